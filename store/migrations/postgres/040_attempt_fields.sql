-- What the checkout reads of an attempt at the bank gets columns of its own; the extra column
-- keeps only the provider's private state (tokens, verifier, links it follows). Existing rows'
-- values move out of extra into the new columns. (The SQLite twin does the same with json_extract.)
ALTER TABLE authorisations ADD COLUMN affiliate TEXT NOT NULL DEFAULT '';
ALTER TABLE authorisations ADD COLUMN hint TEXT NOT NULL DEFAULT '';
ALTER TABLE authorisations ADD COLUMN challenge_method TEXT NOT NULL DEFAULT '';
ALTER TABLE authorisations ADD COLUMN challenge_information TEXT NOT NULL DEFAULT '';
ALTER TABLE authorisations ADD COLUMN otp_format TEXT NOT NULL DEFAULT '';
ALTER TABLE authorisations ADD COLUMN otp_length BIGINT NOT NULL DEFAULT 0;
ALTER TABLE authorisations ADD COLUMN authorize_first BIGINT NOT NULL DEFAULT 0;
ALTER TABLE authorisations ADD COLUMN bank_key TEXT NOT NULL DEFAULT '';
-- A JSON array of the accounts a consent read; NULL until they are read.
ALTER TABLE authorisations ADD COLUMN accounts TEXT;

UPDATE authorisations SET
	affiliate = COALESCE(extra::jsonb ->> 'affiliate', ''),
	hint = COALESCE(extra::jsonb ->> 'hint', ''),
	challenge_method = COALESCE(extra::jsonb ->> 'challenge', ''),
	challenge_information = COALESCE(extra::jsonb ->> 'additional_information', ''),
	otp_format = COALESCE(extra::jsonb ->> 'otp_format', ''),
	otp_length = CAST(COALESCE(NULLIF(extra::jsonb ->> 'otp_length', ''), '0') AS BIGINT),
	authorize_first = CASE WHEN extra::jsonb ->> 'phase' = 'authorize' THEN 1 ELSE 0 END,
	bank_key = COALESCE(extra::jsonb ->> 'bank_key', ''),
	accounts = CASE WHEN extra::jsonb ->> 'accounts' = 'null' THEN '[]' ELSE extra::jsonb ->> 'accounts' END,
	method = CASE WHEN method = '' THEN COALESCE(extra::jsonb ->> 'method', '') ELSE method END,
	extra = (extra::jsonb - 'affiliate' - 'hint' - 'challenge' - 'additional_information' - 'otp_format'
		- 'otp_length' - 'phase' - 'bank_key' - 'accounts' - 'method')::text
WHERE extra IS NOT NULL AND extra <> '' AND left(extra, 1) = '{';
