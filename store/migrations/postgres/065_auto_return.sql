-- The merchant may ask that the result page take the shopper back to the shop by itself.
ALTER TABLE payments ADD COLUMN auto_return BIGINT NOT NULL DEFAULT 0;
