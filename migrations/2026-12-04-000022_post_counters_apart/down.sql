DROP TRIGGER posts_ranked_on_insert ON posts;
DROP FUNCTION guild_post_ranked_on_insert();
DROP TRIGGER posts_counters_moved ON posts;
DROP FUNCTION guild_post_counters_moved();
DROP FUNCTION guild_fold_post_counts(BIGINT, INTEGER);
DROP TABLE posts_to_rank;

DROP INDEX posts_score_idx;
DROP INDEX posts_comment_count_idx;
DROP INDEX posts_community_score_idx;
DROP INDEX posts_community_comment_count_idx;
DROP INDEX posts_community_counts_idx;
ALTER TABLE posts DROP COLUMN sort_score, DROP COLUMN sort_comment_count;
ALTER TABLE posts RESET (fillfactor);
UPDATE posts SET hot_rank = guild_hot_rank(score, published_at),
                 active_rank = guild_hot_rank(score, newest_comment_at)
 WHERE hot_rank <> 0 OR active_rank <> 0
    OR published_at > now() - interval '7 days'
    OR newest_comment_at > now() - interval '7 days';
CREATE INDEX posts_score_idx ON posts (score DESC, id DESC);
CREATE INDEX posts_comment_count_idx ON posts (comment_count DESC, id DESC);
CREATE INDEX posts_community_score_idx ON posts (community_id, featured DESC, score DESC, id DESC);
CREATE INDEX posts_community_comment_count_idx
    ON posts (community_id, featured DESC, comment_count DESC, id DESC);
CREATE INDEX posts_community_counts_idx ON posts (community_id)
    INCLUDE (comment_count, deleted, removed);

-- The counter writes set the ranks again, as migration 000014 wrote them.
CREATE OR REPLACE FUNCTION guild_set_post_vote(
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

CREATE OR REPLACE FUNCTION guild_count_new_comment(
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
