-- Refunds: money going back from the merchant's account to the account a payment came from,
-- authorised by a person of the merchant at the merchant's own bank.

-- A payment the merchant wants refundable: the checkout asks for the shopper's account even at
-- banks that do not need it. The debtor column keeps the account sealed from now on (AES-GCM
-- under a key derived from the server's secret, "v1:…"); the store seals older rows on start.
ALTER TABLE payments ADD COLUMN refundable INTEGER NOT NULL DEFAULT 0;

CREATE TABLE refunds (
	id              TEXT PRIMARY KEY,
	payment_id      TEXT NOT NULL REFERENCES payments(id),
	merchant_id     TEXT NOT NULL REFERENCES merchants(id),
	amount_minor    INTEGER NOT NULL CHECK (amount_minor > 0),
	currency        TEXT NOT NULL,
	reference       TEXT NOT NULL,
	status          TEXT NOT NULL,
	payee           TEXT NOT NULL, -- the payer's account and name, sealed like payments.debtor
	failure_reason  TEXT NOT NULL DEFAULT '',
	batch_id        TEXT NOT NULL DEFAULT '',
	idempotency_key TEXT,
	request_hash    TEXT NOT NULL DEFAULT '',
	created_at      TEXT NOT NULL,
	updated_at      TEXT NOT NULL,
	UNIQUE (merchant_id, idempotency_key)
);
CREATE INDEX refunds_payment ON refunds (payment_id, created_at);
CREATE INDEX refunds_awaiting ON refunds (merchant_id, created_at) WHERE status = 'awaiting_authorisation';
CREATE INDEX refunds_batch ON refunds (batch_id) WHERE batch_id <> '';

-- Every step of a refund, append-only like payment_events.
CREATE TABLE refund_events (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	refund_id   TEXT NOT NULL REFERENCES refunds(id),
	from_status TEXT NOT NULL,
	to_status   TEXT NOT NULL,
	detail      TEXT NOT NULL DEFAULT '',
	created_at  TEXT NOT NULL
);
CREATE INDEX refund_events_refund ON refund_events (refund_id, id);
CREATE TRIGGER refund_events_no_update BEFORE UPDATE ON refund_events
BEGIN SELECT RAISE(ABORT, 'refund_events is append-only'); END;
CREATE TRIGGER refund_events_no_delete BEFORE DELETE ON refund_events
BEGIN SELECT RAISE(ABORT, 'refund_events is append-only'); END;

-- The merchant's own account refunds are paid from, and the bank (and so provider) holding it.
CREATE TABLE refund_accounts (
	merchant_id TEXT PRIMARY KEY REFERENCES merchants(id),
	bic         TEXT NOT NULL,
	provider    TEXT NOT NULL,
	account     TEXT NOT NULL,
	name        TEXT NOT NULL DEFAULT '',
	updated_at  TEXT NOT NULL
);
