-- A Portuguese social-security (TSU) payment's data, when the merchant sends one.
ALTER TABLE payments ADD COLUMN tsu TEXT NOT NULL DEFAULT '';
