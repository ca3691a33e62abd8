ALTER TABLE site DROP COLUMN registration_open;
