-- The last write of many inbox activities at once (db::batch): for each received id in
-- turn, what guild_record_received does for one. The relays and inboxes of all of them come
-- in flat arrays, each activity's share counted by relays_per_received and
-- inboxes_per_received. One statement and one commit for all the activities a busy inbox
-- finished in the same moment. Returns, per received id, whether it was new.
CREATE FUNCTION guild_record_received_many(
    received_ap_ids TEXT[], relays_per_received INTEGER[], inboxes_per_received INTEGER[],
    activity_ap_ids TEXT[], actors TEXT[], activity_kinds TEXT[], activities JSONB[],
    activity_objects TEXT[], keys_of_objects TEXT[],
    inbox_urls TEXT[], inbox_domains TEXT[])
RETURNS BOOLEAN[]
LANGUAGE plpgsql AS $$
DECLARE
    firsts BOOLEAN[] := '{}';
    is_new BOOLEAN;
    relays_before INTEGER := 0;
    inboxes_before INTEGER := 0;
BEGIN
    FOR k IN 1 .. coalesce(array_length(received_ap_ids, 1), 0) LOOP
        INSERT INTO received_activities (ap_id) VALUES (received_ap_ids[k])
        ON CONFLICT DO NOTHING;
        is_new := FOUND;
        firsts := firsts || is_new;
        IF is_new THEN
            FOR i IN relays_before + 1 .. relays_before + relays_per_received[k] LOOP
                PERFORM guild_enqueue(
                    activity_ap_ids[i], actors[i], activity_kinds[i], activities[i],
                    activity_objects[i], keys_of_objects[i],
                    inbox_urls[inboxes_before + 1 : inboxes_before + inboxes_per_received[k]],
                    inbox_domains[inboxes_before + 1 : inboxes_before + inboxes_per_received[k]]);
            END LOOP;
        END IF;
        relays_before := relays_before + relays_per_received[k];
        inboxes_before := inboxes_before + inboxes_per_received[k];
    END LOOP;
    RETURN firsts;
END
$$;

-- Replaced by the function above.
DROP FUNCTION guild_record_received(TEXT, TEXT[], TEXT[], TEXT[], JSONB[], TEXT[], TEXT[], TEXT[], TEXT[]);
