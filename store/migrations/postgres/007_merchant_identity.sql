-- The merchant's company registration as JSON {scheme, id, legal_status}, which some banks
-- require (Powens' beneficiary_identity); '' when none was set.
ALTER TABLE merchants ADD COLUMN identity TEXT NOT NULL DEFAULT '';
