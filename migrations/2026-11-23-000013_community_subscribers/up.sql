-- The directory lists communities by how many people follow them. Counting every
-- community's follows for each view took 270-380 ms at the large benchmark scale (2,000
-- communities, 300,000 follows). The count is kept on the community instead, by a trigger,
-- so that every way a follow changes (accepted, undone, cascaded from a purge) moves it.
-- Follows change rarely next to posts and comments, so the extra row update costs little.
ALTER TABLE communities ADD COLUMN subscribers BIGINT NOT NULL DEFAULT 0;

UPDATE communities c SET subscribers = f.n
FROM (SELECT community_id, count(*) AS n FROM community_follows
      WHERE NOT pending GROUP BY community_id) f
WHERE c.id = f.community_id;

CREATE FUNCTION guild_count_subscribers() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') AND NOT OLD.pending THEN
        UPDATE communities SET subscribers = subscribers - 1 WHERE id = OLD.community_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NOT NEW.pending THEN
        UPDATE communities SET subscribers = subscribers + 1 WHERE id = NEW.community_id;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER community_follows_subscribers
    AFTER INSERT OR UPDATE OF pending, community_id OR DELETE ON community_follows
    FOR EACH ROW EXECUTE FUNCTION guild_count_subscribers();

CREATE INDEX communities_subscribers_idx ON communities (subscribers DESC, id);
