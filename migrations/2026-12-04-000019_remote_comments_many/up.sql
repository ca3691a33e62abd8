-- Comments from other servers, many at a time (db::batch): one INSERT for all the new
-- comments a busy inbox received in the same moment, counted on their posts and ancestors
-- by the row trigger of migration 000016, as one comment alone is. The ancestors of all of
-- them come in one flat array, each comment's share counted by ancestors_per_comment.
--
-- Before inserting, it locks the posts, then the ancestor comments, each in id order: the
-- order in which a batch of votes (guild_set_votes) takes the same locks, so that the two
-- never wait on each other in a cycle. Without it the triggers would lock post, ancestors,
-- next post, … and a vote batch holding a later post while waiting on an ancestor could
-- deadlock with it.
--
-- Returns the rows inserted; a comment whose ap_id is stored already is skipped, as
-- ON CONFLICT DO NOTHING skips it (and it is not counted again).
CREATE FUNCTION guild_insert_remote_comments(
    ap_ids TEXT[], post_ids BIGINT[], parent_ids BIGINT[], author_ids BIGINT[],
    body_sources TEXT[], body_htmls TEXT[], published TIMESTAMPTZ[], updated TIMESTAMPTZ[],
    ancestors_per_comment INTEGER[], ancestor_ids BIGINT[])
RETURNS SETOF comments
LANGUAGE plpgsql AS $$
DECLARE
    ancestors_before INTEGER[] := '{}';
    counted INTEGER := 0;
BEGIN
    FOR i IN 1 .. coalesce(array_length(ap_ids, 1), 0) LOOP
        ancestors_before := ancestors_before || counted;
        counted := counted + ancestors_per_comment[i];
    END LOOP;
    PERFORM 1 FROM posts WHERE id = ANY (post_ids) ORDER BY id FOR NO KEY UPDATE;
    PERFORM 1 FROM comments WHERE id = ANY (ancestor_ids) ORDER BY id FOR NO KEY UPDATE;
    RETURN QUERY
    INSERT INTO comments (ap_id, post_id, parent_id, author_id, local, body_source, body_html,
                          published_at, updated_at, ancestors)
    SELECT ap_ids[i], post_ids[i], parent_ids[i], author_ids[i], false, body_sources[i],
           body_htmls[i], published[i], updated[i],
           ancestor_ids[ancestors_before[i] + 1 : ancestors_before[i] + ancestors_per_comment[i]]
      FROM generate_subscripts(ap_ids, 1) AS i
     ORDER BY i
    ON CONFLICT (ap_id) DO NOTHING
    RETURNING *;
END
$$;
