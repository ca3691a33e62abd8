-- Where a community relays to, kept on each follow: the follower's shared inbox (or own
-- inbox) and its instance's domain, NULL for a local follower. A community that relays an
-- activity reads the distinct inboxes of its remote followers; joined through `people` and
-- `instances` that read one person row per follower (150 random rows, about 2 ms, at the
-- forum bench's large scale), and each community's first relay after a start paid it.
-- Kept here, it is one range of the partial index below.
--
-- A trigger fills the two columns when a follow is made, and another follows a person's
-- inbox when it changes (a peer moved its shared inbox), so no write path needs to know.
ALTER TABLE community_follows ADD COLUMN delivery_domain TEXT, ADD COLUMN delivery_inbox TEXT;

CREATE FUNCTION guild_follow_delivery() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- No row (a local follower) leaves both NULL.
    SELECT i.domain, coalesce(p.shared_inbox_url, p.inbox_url)
      INTO NEW.delivery_domain, NEW.delivery_inbox
      FROM people p JOIN instances i ON i.id = p.instance_id
     WHERE p.id = NEW.person_id AND NOT p.local;
    RETURN NEW;
END
$$;

CREATE TRIGGER community_follows_delivery BEFORE INSERT OR UPDATE OF person_id
    ON community_follows FOR EACH ROW EXECUTE FUNCTION guild_follow_delivery();

CREATE FUNCTION guild_follower_inbox_moved() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE community_follows f
       SET delivery_domain = CASE WHEN NEW.local THEN NULL ELSE i.domain END,
           delivery_inbox = CASE WHEN NEW.local THEN NULL
                                 ELSE coalesce(NEW.shared_inbox_url, NEW.inbox_url) END
      FROM instances i
     WHERE f.person_id = NEW.id AND i.id = NEW.instance_id;
    RETURN NULL;
END
$$;

CREATE TRIGGER people_follower_inbox AFTER UPDATE OF shared_inbox_url, inbox_url, instance_id, local
    ON people FOR EACH ROW
    WHEN (OLD.shared_inbox_url IS DISTINCT FROM NEW.shared_inbox_url
          OR OLD.inbox_url IS DISTINCT FROM NEW.inbox_url
          OR OLD.instance_id IS DISTINCT FROM NEW.instance_id
          OR OLD.local IS DISTINCT FROM NEW.local)
    EXECUTE FUNCTION guild_follower_inbox_moved();

UPDATE community_follows f
   SET delivery_domain = i.domain, delivery_inbox = coalesce(p.shared_inbox_url, p.inbox_url)
  FROM people p JOIN instances i ON i.id = p.instance_id
 WHERE p.id = f.person_id AND NOT p.local;

CREATE INDEX community_follows_delivery_idx ON community_follows (community_id)
    INCLUDE (delivery_domain, delivery_inbox)
    WHERE NOT pending AND delivery_inbox IS NOT NULL;
