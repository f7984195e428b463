-- A payment's kind: '' for a merchant's payment; 'refund' for the order a person of the merchant
-- authorises at the merchant's own bank to pay refunds (the merchant's account pays the payers'),
-- driven by the checkout like any payment but never listed, exported or notified as one.
ALTER TABLE payments ADD COLUMN kind TEXT NOT NULL DEFAULT '';
