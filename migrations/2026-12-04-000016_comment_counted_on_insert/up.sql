-- A new comment is counted on its post (count, newest comment time, active rank) and on
-- its ancestors' reply counts by its own INSERT, through a row trigger, as Lemmy keeps its
-- aggregates. The inbox used to wrap the INSERT and `SELECT guild_count_new_comment(…)` in
-- a transaction: four round trips where one statement, atomic on its own, now does.
-- A comment refused by ON CONFLICT DO NOTHING fires no AFTER INSERT trigger, so a
-- redelivered comment is not counted twice. Bulk loaders that compute the counters
-- themselves (the forum bench's seed) disable the trigger for their load.
CREATE FUNCTION guild_comment_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM guild_count_new_comment(NEW.post_id, NEW.ancestors, NEW.published_at);
    RETURN NULL;
END
$$;

CREATE TRIGGER comments_counted_on_insert AFTER INSERT ON comments
    FOR EACH ROW EXECUTE FUNCTION guild_comment_inserted();
