DROP INDEX communities_topic_idx;
ALTER TABLE communities DROP COLUMN topic;
ALTER TABLE site DROP COLUMN registration_open;
