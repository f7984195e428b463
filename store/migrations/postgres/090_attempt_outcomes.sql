-- An attempt at the shopper's bank ends with an outcome (failed, denied, cancelled, abandoned,
-- lost, succeeded), a reason code and the bank's own words, at ended_at; a payment returns to
-- open after an attempt that failed while another may follow, up to the merchant's max_attempts
-- (0: as many as time allows), and keeps its failure reason's code beside the reason.
ALTER TABLE authorisations ADD COLUMN outcome TEXT NOT NULL DEFAULT '';
ALTER TABLE authorisations ADD COLUMN reason TEXT NOT NULL DEFAULT '';
ALTER TABLE authorisations ADD COLUMN reason_detail TEXT NOT NULL DEFAULT '';
ALTER TABLE authorisations ADD COLUMN ended_at TEXT;
ALTER TABLE payments ADD COLUMN max_attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE payments ADD COLUMN failure_code TEXT NOT NULL DEFAULT '';

-- Attempts given up before this migration were lost ones.
UPDATE authorisations SET outcome = 'lost', reason = 'bank_no_answer', ended_at = updated_at WHERE sca_status = 'lost';
