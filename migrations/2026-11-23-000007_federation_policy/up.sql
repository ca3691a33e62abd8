-- Allowlist mode: only instances marked `allowed` federate. Blocklist mode (the default):
-- every instance but those marked `blocked`.
ALTER TABLE instances ADD COLUMN allowed boolean NOT NULL DEFAULT false;
ALTER TABLE site ADD COLUMN federation_allowlist boolean NOT NULL DEFAULT false;
