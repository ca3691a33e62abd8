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
    SELECT new_id, inbox.url, inbox.domain, key_of_object
      FROM unnest(inbox_urls, inbox_domains) AS inbox(url, domain)
    ON CONFLICT DO NOTHING;
    RETURN new_id;
END
$$;

DROP INDEX deliveries_order_idx;
CREATE INDEX deliveries_order_idx ON deliveries (inbox_url, object_key, id)
    WHERE delivered_at IS NULL AND failed_at IS NULL;

DROP INDEX deliveries_activity_idx;
DELETE FROM deliveries d
 WHERE NOT EXISTS (SELECT 1 FROM sent_activities s WHERE s.id = d.activity_id);
ALTER TABLE deliveries
    ADD CONSTRAINT deliveries_activity_id_inbox_url_key UNIQUE (activity_id, inbox_url),
    ADD CONSTRAINT deliveries_activity_id_fkey FOREIGN KEY (activity_id)
        REFERENCES sent_activities (id) ON DELETE CASCADE;
