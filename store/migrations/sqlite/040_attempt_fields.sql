-- What the checkout reads of an attempt at the bank gets columns of its own; the extra column
-- keeps only the provider's private state (tokens, verifier, links it follows). Existing rows'
-- values move out of extra into the new columns.
ALTER TABLE authorisations ADD COLUMN affiliate TEXT NOT NULL DEFAULT '';
ALTER TABLE authorisations ADD COLUMN hint TEXT NOT NULL DEFAULT '';
ALTER TABLE authorisations ADD COLUMN challenge_method TEXT NOT NULL DEFAULT '';
ALTER TABLE authorisations ADD COLUMN challenge_information TEXT NOT NULL DEFAULT '';
ALTER TABLE authorisations ADD COLUMN otp_format TEXT NOT NULL DEFAULT '';
ALTER TABLE authorisations ADD COLUMN otp_length INTEGER NOT NULL DEFAULT 0;
ALTER TABLE authorisations ADD COLUMN authorize_first INTEGER NOT NULL DEFAULT 0;
ALTER TABLE authorisations ADD COLUMN bank_key TEXT NOT NULL DEFAULT '';
-- A JSON array of the accounts a consent read; NULL until they are read.
ALTER TABLE authorisations ADD COLUMN accounts TEXT;

UPDATE authorisations SET
	affiliate = COALESCE(json_extract(extra, '$.affiliate'), ''),
	hint = COALESCE(json_extract(extra, '$.hint'), ''),
	challenge_method = COALESCE(json_extract(extra, '$.challenge'), ''),
	challenge_information = COALESCE(json_extract(extra, '$.additional_information'), ''),
	otp_format = COALESCE(json_extract(extra, '$.otp_format'), ''),
	otp_length = CAST(COALESCE(json_extract(extra, '$.otp_length'), '0') AS INTEGER),
	authorize_first = COALESCE(json_extract(extra, '$.phase'), '') = 'authorize',
	bank_key = COALESCE(json_extract(extra, '$.bank_key'), ''),
	accounts = CASE WHEN json_extract(extra, '$.accounts') = 'null' THEN '[]' ELSE json_extract(extra, '$.accounts') END,
	method = CASE WHEN method = '' THEN COALESCE(json_extract(extra, '$.method'), '') ELSE method END,
	extra = json_remove(extra, '$.affiliate', '$.hint', '$.challenge', '$.additional_information', '$.otp_format',
		'$.otp_length', '$.phase', '$.bank_key', '$.accounts', '$.method')
WHERE json_valid(extra);
