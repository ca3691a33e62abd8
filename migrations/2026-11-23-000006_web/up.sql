-- Set by an admin on the admin page; NULL follows the `registration_open` setting.
ALTER TABLE site ADD COLUMN registration_open boolean;

-- What a community's practice is about ("Writing", "Data & maps"), for the directory's
-- filter. Chosen by its creator; remote communities have none.
ALTER TABLE communities ADD COLUMN topic text;
CREATE INDEX communities_topic_idx ON communities (lower(topic)) WHERE topic IS NOT NULL;
