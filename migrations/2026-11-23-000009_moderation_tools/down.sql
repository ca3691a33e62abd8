DROP TABLE reports;
ALTER TABLE modlog DROP COLUMN target_person_id, DROP COLUMN target_name, DROP COLUMN expires_at;
ALTER TABLE people DROP COLUMN banned, DROP COLUMN ban_expires_at;
