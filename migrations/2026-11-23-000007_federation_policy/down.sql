ALTER TABLE site DROP COLUMN federation_allowlist;
ALTER TABLE instances DROP COLUMN allowed;
