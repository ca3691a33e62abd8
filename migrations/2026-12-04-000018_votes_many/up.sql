-- Remote votes, many at a time (db::batch): each set as guild_set_post_vote or
-- guild_set_comment_vote sets it, one after the other in the order given. The caller sorts
-- them, posts before comments and each by id, so that a batch takes its row locks in the
-- order a new comment's counting trigger does (its post, then the comments above it), and
-- the two cannot deadlock. Returns, per vote, whether its post or comment exists.
CREATE FUNCTION guild_set_votes(
    on_posts BOOLEAN[], voted_items BIGINT[], voters BIGINT[], new_scores SMALLINT[],
    activities TEXT[])
RETURNS BOOLEAN[]
LANGUAGE plpgsql AS $$
DECLARE
    found_items BOOLEAN[] := '{}';
    previous SMALLINT;
BEGIN
    FOR i IN 1 .. coalesce(array_length(voted_items, 1), 0) LOOP
        IF on_posts[i] THEN
            SELECT v.previous_score INTO previous
              FROM guild_set_post_vote(voted_items[i], voters[i], new_scores[i], activities[i]) v;
        ELSE
            SELECT v.previous_score INTO previous
              FROM guild_set_comment_vote(voted_items[i], voters[i], new_scores[i], activities[i]) v;
        END IF;
        found_items := found_items || (previous IS NOT NULL);
    END LOOP;
    RETURN found_items;
END
$$;
