DROP INDEX community_follows_delivery_idx;
DROP TRIGGER people_follower_inbox ON people;
DROP FUNCTION guild_follower_inbox_moved();
DROP TRIGGER community_follows_delivery ON community_follows;
DROP FUNCTION guild_follow_delivery();
ALTER TABLE community_follows DROP COLUMN delivery_domain, DROP COLUMN delivery_inbox;
