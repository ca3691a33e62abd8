DROP TRIGGER community_follows_subscribers ON community_follows;
DROP FUNCTION guild_count_subscribers();
ALTER TABLE communities DROP COLUMN subscribers;
