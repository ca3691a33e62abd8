DROP FUNCTION guild_record_received_many(
    TEXT[], INTEGER[], INTEGER[], TEXT[], TEXT[], TEXT[], JSONB[], TEXT[], TEXT[], TEXT[], TEXT[]);

-- As migration 000015 made it.
CREATE FUNCTION guild_record_received(
    received_ap_id TEXT, activity_ap_ids TEXT[], actors TEXT[], activity_kinds TEXT[],
    activities JSONB[], activity_objects TEXT[], keys_of_objects TEXT[],
    inbox_urls TEXT[], inbox_domains TEXT[])
RETURNS BOOLEAN
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO received_activities (ap_id) VALUES (received_ap_id) ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        RETURN FALSE;
    END IF;
    FOR i IN 1 .. coalesce(array_length(activity_ap_ids, 1), 0) LOOP
        PERFORM guild_enqueue(activity_ap_ids[i], actors[i], activity_kinds[i], activities[i],
                              activity_objects[i], keys_of_objects[i], inbox_urls, inbox_domains);
    END LOOP;
    RETURN TRUE;
END
$$;
