-- The merchant's identification at the bank it pays refunds from, where that bank mandates one in
-- the corporate context (Berlin Group PSU-Corporate-ID: an organisation number, a corporate
-- agreement id); '' sends none.
ALTER TABLE refund_accounts ADD COLUMN corporate_id TEXT NOT NULL DEFAULT '';
