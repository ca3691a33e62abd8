-- The counter writes of every vote and comment, as functions.
--
-- diesel never keeps an UPDATE (nor an INSERT … ON CONFLICT DO UPDATE) as a prepared
-- statement: each vote and comment had its UPDATE of posts parsed and planned afresh, and
-- planning an UPDATE of a table with fifteen indexes cost more than running it. PL/pgSQL
-- keeps the plans of a function's statements for the life of the connection, and diesel
-- keeps `SELECT f(…)` prepared, so a vote is one planned-once round trip instead of four.

-- Sets a person's vote on a post (1, -1, or 0 to withdraw it), moves the post's counters
-- and ranks, and returns the vote it replaced (previous_score is NULL when there is no
-- such post). The post's row lock makes concurrent votes on one post apply one after the
-- other, each seeing the vote before it.
CREATE FUNCTION guild_set_post_vote(
    voted_post BIGINT, voter BIGINT, new_score SMALLINT, activity TEXT,
    OUT previous_score SMALLINT, OUT previous_activity TEXT)
LANGUAGE plpgsql AS $$
DECLARE
    score_delta INTEGER;
BEGIN
    PERFORM 1 FROM posts WHERE id = voted_post FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    SELECT v.score, v.activity_ap_id INTO previous_score, previous_activity
      FROM post_votes v WHERE v.post_id = voted_post AND v.person_id = voter;
    previous_score := coalesce(previous_score, 0);
    IF new_score = 0 THEN
        DELETE FROM post_votes WHERE post_id = voted_post AND person_id = voter;
    ELSE
        INSERT INTO post_votes (post_id, person_id, score, activity_ap_id)
        VALUES (voted_post, voter, new_score, activity)
        ON CONFLICT (post_id, person_id)
        DO UPDATE SET score = EXCLUDED.score, activity_ap_id = EXCLUDED.activity_ap_id;
    END IF;
    IF new_score <> previous_score THEN
        score_delta := new_score - previous_score;
        UPDATE posts
           SET score = score + score_delta,
               upvotes = upvotes + (new_score = 1)::INTEGER - (previous_score = 1)::INTEGER,
               downvotes = downvotes + (new_score = -1)::INTEGER - (previous_score = -1)::INTEGER,
               hot_rank = guild_hot_rank(score + score_delta, published_at),
               active_rank = guild_hot_rank(score + score_delta, newest_comment_at)
         WHERE id = voted_post;
    END IF;
END
$$;

-- The same for a vote on a comment (comments have no ranks).
CREATE FUNCTION guild_set_comment_vote(
    voted_comment BIGINT, voter BIGINT, new_score SMALLINT, activity TEXT,
    OUT previous_score SMALLINT, OUT previous_activity TEXT)
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM comments WHERE id = voted_comment FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    SELECT v.score, v.activity_ap_id INTO previous_score, previous_activity
      FROM comment_votes v WHERE v.comment_id = voted_comment AND v.person_id = voter;
    previous_score := coalesce(previous_score, 0);
    IF new_score = 0 THEN
        DELETE FROM comment_votes WHERE comment_id = voted_comment AND person_id = voter;
    ELSE
        INSERT INTO comment_votes (comment_id, person_id, score, activity_ap_id)
        VALUES (voted_comment, voter, new_score, activity)
        ON CONFLICT (comment_id, person_id)
        DO UPDATE SET score = EXCLUDED.score, activity_ap_id = EXCLUDED.activity_ap_id;
    END IF;
    IF new_score <> previous_score THEN
        UPDATE comments
           SET score = score + new_score - previous_score,
               upvotes = upvotes + (new_score = 1)::INTEGER - (previous_score = 1)::INTEGER,
               downvotes = downvotes + (new_score = -1)::INTEGER - (previous_score = -1)::INTEGER
         WHERE id = voted_comment;
    END IF;
END
$$;

-- Counts a new comment on its post (count, newest comment time, active rank) and on the
-- reply counts of its ancestors. Returns the post's new comment count.
CREATE FUNCTION guild_count_new_comment(
    commented_post BIGINT, ancestor_ids BIGINT[], written TIMESTAMPTZ)
RETURNS INTEGER
LANGUAGE plpgsql AS $$
DECLARE
    new_count INTEGER;
BEGIN
    UPDATE posts
       SET comment_count = comment_count + 1,
           newest_comment_at = greatest(newest_comment_at, written),
           active_rank = guild_hot_rank(score, greatest(newest_comment_at, written))
     WHERE id = commented_post
    RETURNING comment_count INTO new_count;
    IF cardinality(ancestor_ids) > 0 THEN
        UPDATE comments SET reply_count = reply_count + 1 WHERE id = ANY (ancestor_ids);
    END IF;
    RETURN new_count;
END
$$;

-- Stores an activity we publish and queues it for each inbox, in one round trip: the
-- deliveries used to go in a multi-row INSERT whose text changed with the number of
-- inboxes, so it was parsed and planned afresh every time. Returns the activity's id.
CREATE FUNCTION guild_enqueue(
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
