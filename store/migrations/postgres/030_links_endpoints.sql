-- The PostgreSQL twin of sqlite/030_links_endpoints.sql.
-- Payment links as rows: the signed URL still carries the terms, and the row lets the merchant
-- list a link with its use and deactivate it. The id is "pl_" and the nonce signed in the URL, so
-- a link minted before this table existed is adopted under the same id when first opened.
CREATE TABLE payment_links (
	id             TEXT PRIMARY KEY,
	merchant_id    TEXT NOT NULL REFERENCES merchants(id),
	nonce          TEXT NOT NULL UNIQUE,
	amount         TEXT NOT NULL,
	currency       TEXT NOT NULL,
	reference      TEXT NOT NULL,
	return_url     TEXT NOT NULL DEFAULT '',
	per_visit      BIGINT NOT NULL DEFAULT 0,
	url            TEXT NOT NULL DEFAULT '',
	created_at     TEXT NOT NULL,
	expires_at     TEXT,
	deactivated_at TEXT
);
CREATE INDEX payment_links_merchant ON payment_links (merchant_id, created_at DESC);
-- A link's use is read from the payments it created, which carry its nonce in their metadata.
CREATE INDEX payments_link ON payments ((metadata::jsonb ->> 'payment_link'))
	WHERE (metadata::jsonb ->> 'payment_link') IS NOT NULL;

-- Several webhook endpoints per merchant, each with the event types it wants ("*": all). A rotated
-- secret keeps signing beside the new one until previous_secret_until.
CREATE TABLE webhook_endpoints (
	id                    TEXT PRIMARY KEY,
	merchant_id           TEXT NOT NULL REFERENCES merchants(id),
	url                   TEXT NOT NULL,
	event_types           TEXT NOT NULL DEFAULT '*',
	secret                TEXT NOT NULL,
	previous_secret       TEXT NOT NULL DEFAULT '',
	previous_secret_until TEXT,
	created_at            TEXT NOT NULL,
	deleted_at            TEXT
);
CREATE INDEX webhook_endpoints_merchant ON webhook_endpoints (merchant_id) WHERE deleted_at IS NULL;
INSERT INTO webhook_endpoints (id, merchant_id, url, event_types, secret, created_at)
	SELECT 'we_' || substr(md5(random()::text || id), 1, 24), id, webhook_url, '*', webhook_secret, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
	FROM merchants WHERE webhook_url != '';

-- Events that are not about a payment (webhook.test): webhook_events.payment_id must name one.
CREATE TABLE merchant_events (
	id          TEXT PRIMARY KEY,
	merchant_id TEXT NOT NULL REFERENCES merchants(id),
	type        TEXT NOT NULL,
	payload     TEXT NOT NULL,
	created_at  TEXT NOT NULL
);

-- The outbox's queue: one delivery per event and endpoint, each retried on its own schedule with
-- the event's id. webhook_events keeps a summary of its deliveries for the payment's view.
CREATE TABLE webhook_deliveries (
	event_id        TEXT NOT NULL,
	endpoint_id     TEXT NOT NULL REFERENCES webhook_endpoints(id),
	type            TEXT NOT NULL,
	created_at      TEXT NOT NULL,
	attempts        BIGINT NOT NULL DEFAULT 0,
	next_attempt_at TEXT,
	delivered_at    TEXT,
	gave_up_at      TEXT,
	PRIMARY KEY (event_id, endpoint_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at DESC);
INSERT INTO webhook_deliveries (event_id, endpoint_id, type, created_at, attempts, next_attempt_at, delivered_at, gave_up_at)
	SELECT e.id, ep.id, e.type, e.created_at, e.attempts, e.next_attempt_at, e.delivered_at, e.gave_up_at
	FROM webhook_events e JOIN webhook_endpoints ep ON ep.merchant_id = e.merchant_id;
-- Events of merchants who had turned webhooks off have nowhere to go.
UPDATE webhook_events SET gave_up_at = to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), next_attempt_at = NULL
	WHERE next_attempt_at IS NOT NULL AND id NOT IN (SELECT event_id FROM webhook_deliveries);

-- Every try of a delivery, by endpoint; webhook_attempts (payment events only) is copied here.
CREATE TABLE webhook_delivery_attempts (
	id           BIGSERIAL PRIMARY KEY,
	event_id     TEXT NOT NULL,
	endpoint_id  TEXT NOT NULL DEFAULT '',
	url          TEXT NOT NULL,
	status_code  BIGINT NOT NULL DEFAULT 0,
	error        TEXT NOT NULL DEFAULT '',
	duration_ms  BIGINT NOT NULL DEFAULT 0,
	attempted_at TEXT NOT NULL
);
CREATE INDEX webhook_delivery_attempts_event ON webhook_delivery_attempts (event_id, endpoint_id, id);
INSERT INTO webhook_delivery_attempts (event_id, endpoint_id, url, status_code, error, duration_ms, attempted_at)
	SELECT a.event_id, COALESCE(ep.id, ''), a.url, a.status_code, a.error, a.duration_ms, a.attempted_at
	FROM webhook_attempts a JOIN webhook_events e ON e.id = a.event_id
	LEFT JOIN webhook_endpoints ep ON ep.merchant_id = e.merchant_id
	ORDER BY a.id;
