-- A relayed activity queues one delivery per follower instance: a community followed from
-- seventy instances writes seventy rows for each activity it receives. Each row paid,
-- besides its heap tuple, a foreign-key check on sent_activities (a trigger and a row lock
-- per row), a unique index on (activity_id, inbox_url) and an ordering index on
-- (inbox_url, object_key, id), both compared as collated text. The rows are written in
-- one place only (guild_enqueue, in the statement that writes their activity) and deleted
-- with it by the upkeep, so:
--  * the foreign key goes: nothing else writes these rows, and the purge deletes an
--    activity only once none of its deliveries is left (it asks, by the index below);
--  * the unique index goes: guild_enqueue now takes each inbox once (DISTINCT);
--  * the ordering index keys on a 64-bit hash of inbox and object, and the claim compares
--    the texts as well, so a collision only makes the index find one row more.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_activity_id_fkey;
ALTER TABLE deliveries DROP CONSTRAINT deliveries_activity_id_inbox_url_key;
CREATE INDEX deliveries_activity_idx ON deliveries (activity_id);

DROP INDEX deliveries_order_idx;
CREATE INDEX deliveries_order_idx
    ON deliveries (hashtextextended(inbox_url || ' ' || object_key, 0), id)
    WHERE delivered_at IS NULL AND failed_at IS NULL;

-- As migration 000014's, but with each inbox taken once, in the order given, now that no
-- unique index turns a repeated inbox away.
CREATE OR REPLACE FUNCTION guild_enqueue(
    activity_ap_id TEXT, actor TEXT, activity_kind TEXT, activity JSONB,
    activity_object TEXT, key_of_object TEXT, inbox_urls TEXT[], inbox_domains TEXT[])
RETURNS BIGINT
LANGUAGE plpgsql AS $$
DECLARE
    new_id BIGINT;
BEGIN
    INSERT INTO sent_activities (ap_id, actor_ap_id, kind, data, object_ap_id)
    VALUES (activity_ap_id, actor, activity_kind, activity, activity_object)
    RETURNING id INTO new_id;
    INSERT INTO deliveries (activity_id, inbox_url, instance_domain, object_key)
    SELECT new_id, firsts.url, firsts.domain, key_of_object
      FROM (SELECT DISTINCT ON (inbox.url) inbox.url, inbox.domain, inbox.n
              FROM unnest(inbox_urls, inbox_domains) WITH ORDINALITY AS inbox(url, domain, n)
             ORDER BY inbox.url, inbox.n) AS firsts
     ORDER BY firsts.n;
    RETURN new_id;
END
$$;
