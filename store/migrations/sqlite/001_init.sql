CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

CREATE TABLE merchants (
	id              TEXT PRIMARY KEY,
	name            TEXT NOT NULL,
	allowed_origins TEXT NOT NULL DEFAULT '[]',
	creditor        TEXT NOT NULL,
	signing_secret  TEXT NOT NULL,
	created_at      TEXT NOT NULL
);

CREATE TABLE api_keys (
	id          TEXT PRIMARY KEY,
	merchant_id TEXT NOT NULL REFERENCES merchants(id),
	hash        TEXT NOT NULL UNIQUE,
	hint        TEXT NOT NULL,
	created_at  TEXT NOT NULL,
	revoked_at  TEXT
);

CREATE TABLE payments (
	id               TEXT PRIMARY KEY,
	merchant_id      TEXT NOT NULL REFERENCES merchants(id),
	token            TEXT NOT NULL UNIQUE,
	status           TEXT NOT NULL,
	amount_minor     INTEGER NOT NULL CHECK (amount_minor > 0),
	currency         TEXT NOT NULL,
	reference        TEXT NOT NULL,
	creditor         TEXT NOT NULL,
	return_url       TEXT NOT NULL DEFAULT '',
	locale           TEXT NOT NULL DEFAULT '',
	preselect_bic    TEXT NOT NULL DEFAULT '',
	country          TEXT NOT NULL DEFAULT '',
	metadata         TEXT NOT NULL DEFAULT '{}',
	bank_bic         TEXT NOT NULL DEFAULT '',
	provider         TEXT NOT NULL DEFAULT '',
	bank_status      TEXT NOT NULL DEFAULT '',
	bank_accepted    INTEGER NOT NULL DEFAULT 0,
	failure_reason   TEXT NOT NULL DEFAULT '',
	idempotency_key  TEXT,
	request_hash     TEXT NOT NULL DEFAULT '',
	expires_at       TEXT NOT NULL,
	created_at       TEXT NOT NULL,
	updated_at       TEXT NOT NULL,
	UNIQUE (merchant_id, idempotency_key)
);
CREATE INDEX payments_merchant_created ON payments (merchant_id, created_at DESC);
CREATE INDEX payments_unfinished ON payments (status) WHERE status IN ('open', 'authorising', 'processing');

CREATE TABLE payment_events (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	payment_id  TEXT NOT NULL REFERENCES payments(id),
	from_status TEXT NOT NULL,
	to_status   TEXT NOT NULL,
	cause       TEXT NOT NULL,
	bank_status TEXT NOT NULL DEFAULT '',
	detail      TEXT NOT NULL DEFAULT '',
	created_at  TEXT NOT NULL
);
CREATE INDEX payment_events_payment ON payment_events (payment_id, id);

-- The log is append-only: the database itself refuses edits.
CREATE TRIGGER payment_events_no_update BEFORE UPDATE ON payment_events
BEGIN SELECT RAISE(ABORT, 'payment_events is append-only'); END;
CREATE TRIGGER payment_events_no_delete BEFORE DELETE ON payment_events
BEGIN SELECT RAISE(ABORT, 'payment_events is append-only'); END;

CREATE TABLE authorisations (
	id               TEXT PRIMARY KEY,
	payment_id       TEXT NOT NULL REFERENCES payments(id),
	provider         TEXT NOT NULL,
	bic              TEXT NOT NULL,
	product          TEXT NOT NULL DEFAULT '',
	bank_payment_id  TEXT NOT NULL DEFAULT '',
	bank_auth_id     TEXT NOT NULL DEFAULT '',
	approach         TEXT NOT NULL DEFAULT '',
	method           TEXT NOT NULL DEFAULT '',
	redirect_url     TEXT NOT NULL DEFAULT '',
	autostart_token  TEXT NOT NULL DEFAULT '',
	extra            TEXT NOT NULL DEFAULT '{}',
	state_hash       TEXT UNIQUE,
	state_used_at    TEXT,
	psu_ip           TEXT NOT NULL DEFAULT '',
	psu_user_agent   TEXT NOT NULL DEFAULT '',
	sca_status       TEXT NOT NULL DEFAULT '',
	app_launched     INTEGER NOT NULL DEFAULT 0,
	active           INTEGER NOT NULL DEFAULT 1,
	created_at       TEXT NOT NULL,
	updated_at       TEXT NOT NULL
);
CREATE INDEX authorisations_payment ON authorisations (payment_id, created_at DESC);
-- At most one live bank order per payment: reloads and new tabs resume it.
CREATE UNIQUE INDEX authorisations_one_active ON authorisations (payment_id) WHERE active = 1;

CREATE TABLE sessions (
	id         TEXT PRIMARY KEY,
	data       BLOB NOT NULL,
	expires_at TEXT NOT NULL
);
