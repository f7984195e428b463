-- Who is answering a keyed request, and until when: a claim whose owner died (kill -9, power cut)
-- is released at the next start, or taken over once its lease has run out.
ALTER TABLE idempotency ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE idempotency ADD COLUMN lease_until TEXT NOT NULL DEFAULT '';
