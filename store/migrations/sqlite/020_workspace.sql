-- The merchant's workspace: people with roles, their set-password links, their sign-in
-- sessions, failed sign-ins (for the rate limit) and the audit log of what they changed.

-- A person signs in with an e-mail address, which belongs to one merchant.
CREATE TABLE users (
	id             TEXT PRIMARY KEY,
	merchant_id    TEXT NOT NULL REFERENCES merchants(id),
	email          TEXT NOT NULL UNIQUE,
	role           TEXT NOT NULL CHECK (role IN ('owner', 'developer', 'support', 'viewer')),
	password_hash  TEXT NOT NULL DEFAULT '', -- argon2id, PHC string with its parameters; empty until set
	totp_secret    TEXT NOT NULL DEFAULT '', -- base32; empty while the second factor is off
	totp_last_step INTEGER NOT NULL DEFAULT 0, -- the last time step a code was accepted for: no reuse
	created_at     TEXT NOT NULL
);
CREATE INDEX users_merchant ON users (merchant_id);

-- One-time links to set a password: only the token's hash is kept.
CREATE TABLE password_tokens (
	hash       TEXT PRIMARY KEY,
	user_id    TEXT NOT NULL REFERENCES users(id),
	expires_at TEXT NOT NULL,
	used_at    TEXT
);

-- Signed-in sessions, by the hash of the id kept in the browser's session.
CREATE TABLE user_sessions (
	hash       TEXT PRIMARY KEY,
	user_id    TEXT NOT NULL REFERENCES users(id),
	ip         TEXT NOT NULL,
	created_at TEXT NOT NULL,
	expires_at TEXT NOT NULL,
	revoked_at TEXT
);
CREATE INDEX user_sessions_user ON user_sessions (user_id);

-- Failed sign-ins, by account (the e-mail) and by client address.
CREATE TABLE sign_in_failures (
	scope TEXT NOT NULL CHECK (scope IN ('account', 'ip')),
	key   TEXT NOT NULL,
	at    TEXT NOT NULL
);
CREATE INDEX sign_in_failures_key ON sign_in_failures (scope, key, at);

-- What people changed, newest last.
CREATE TABLE audit_log (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	merchant_id TEXT NOT NULL REFERENCES merchants(id),
	user_id     TEXT NOT NULL,
	email       TEXT NOT NULL,
	action      TEXT NOT NULL,
	target      TEXT NOT NULL DEFAULT '',
	detail      TEXT NOT NULL DEFAULT '',
	ip          TEXT NOT NULL DEFAULT '',
	created_at  TEXT NOT NULL
);
CREATE INDEX audit_log_merchant ON audit_log (merchant_id, id);

-- The workspace searches payments by bank and provider.
CREATE INDEX payments_merchant_bank ON payments (merchant_id, bank_bic);
