-- The shopper's own account, where the merchant passed it or the shopper gave it.
ALTER TABLE payments ADD COLUMN debtor TEXT NOT NULL DEFAULT '';
