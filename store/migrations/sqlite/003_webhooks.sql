ALTER TABLE merchants ADD COLUMN webhook_url TEXT NOT NULL DEFAULT '';
ALTER TABLE merchants ADD COLUMN webhook_secret TEXT NOT NULL DEFAULT '';

-- The outbox: written in the same transaction as the status change it reports.
CREATE TABLE webhook_events (
	id              TEXT PRIMARY KEY,
	merchant_id     TEXT NOT NULL REFERENCES merchants(id),
	payment_id      TEXT NOT NULL REFERENCES payments(id),
	type            TEXT NOT NULL,
	payload         TEXT NOT NULL,
	created_at      TEXT NOT NULL,
	next_attempt_at TEXT,
	attempts        INTEGER NOT NULL DEFAULT 0,
	delivered_at    TEXT,
	gave_up_at      TEXT
);
CREATE INDEX webhook_events_due ON webhook_events (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX webhook_events_payment ON webhook_events (payment_id, created_at);

CREATE TABLE webhook_attempts (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	event_id    TEXT NOT NULL REFERENCES webhook_events(id),
	url         TEXT NOT NULL,
	status_code INTEGER NOT NULL DEFAULT 0,
	error       TEXT NOT NULL DEFAULT '',
	duration_ms INTEGER NOT NULL DEFAULT 0,
	attempted_at TEXT NOT NULL
);
CREATE INDEX webhook_attempts_event ON webhook_attempts (event_id, id);

-- Answers to POSTs with an Idempotency-Key, replayed for 24 hours.
CREATE TABLE idempotency (
	merchant_id  TEXT NOT NULL,
	key          TEXT NOT NULL,
	request      TEXT NOT NULL,
	request_hash TEXT NOT NULL,
	status       INTEGER NOT NULL DEFAULT 0,
	body         BLOB,
	created_at   TEXT NOT NULL,
	PRIMARY KEY (merchant_id, key)
);
