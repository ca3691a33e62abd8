-- A vote or a comment changes its post's counters, and each such change used to rewrite the
-- post's row together with an entry in each of its fifteen indexes, because the counters
-- and the ranks computed from them are sort keys. PostgreSQL can update a row in place of
-- its page without touching any index (a HOT update) only when no indexed column changes.
--
-- So the counters and the sort keys are now kept apart:
-- - score, upvotes, downvotes, comment_count and newest_comment_at are the live counters.
--   No index holds them; pages and API answers show them.
-- - sort_score, sort_comment_count, hot_rank and active_rank are the sort keys. The
--   listings' indexes hold them, and they follow the counters by a few seconds: a write
--   that moves a post's counters marks the post in posts_to_rank, and the server folds the
--   marked posts' counters into their sort keys every few seconds
--   (guild_fold_post_counts), one rewrite for all the votes and comments a post received
--   in between.
-- Anonymous readers already see pages up to five seconds old (the page cache), so a listing
-- that is a few seconds behind the counters it shows is nothing new.

-- Room on each page for the next version of a row, so that its counter updates stay on
-- the page. Applies to pages filled from now on.
ALTER TABLE posts SET (fillfactor = 90);

DROP INDEX posts_score_idx;
DROP INDEX posts_comment_count_idx;
DROP INDEX posts_community_score_idx;
DROP INDEX posts_community_comment_count_idx;
DROP INDEX posts_community_counts_idx;

ALTER TABLE posts
    ADD COLUMN sort_score INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN sort_comment_count INTEGER NOT NULL DEFAULT 0;
UPDATE posts SET sort_score = score, sort_comment_count = comment_count
 WHERE score <> 0 OR comment_count <> 0;

CREATE INDEX posts_score_idx ON posts (sort_score DESC, id DESC);
CREATE INDEX posts_comment_count_idx ON posts (sort_comment_count DESC, id DESC);
CREATE INDEX posts_community_score_idx
    ON posts (community_id, featured DESC, sort_score DESC, id DESC);
CREATE INDEX posts_community_comment_count_idx
    ON posts (community_id, featured DESC, sort_comment_count DESC, id DESC);
-- A community's comment count is the sum of its posts' sort_comment_count, read from this
-- index alone; it follows the posts by as long as their sort keys do.
CREATE INDEX posts_community_counts_idx ON posts (community_id)
    INCLUDE (sort_comment_count, deleted, removed);

-- Posts whose counters moved since their sort keys were last set. No foreign key: a mark
-- of a post that is gone is dropped by the next fold, and a key check on every vote would
-- cost more than that.
CREATE TABLE posts_to_rank (
    post_id BIGINT PRIMARY KEY
);

CREATE FUNCTION guild_post_counters_moved() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO posts_to_rank (post_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

CREATE TRIGGER posts_counters_moved AFTER UPDATE OF score, comment_count, newest_comment_at
    ON posts FOR EACH ROW
    WHEN (OLD.score <> NEW.score OR OLD.comment_count <> NEW.comment_count
          OR OLD.newest_comment_at <> NEW.newest_comment_at)
    EXECUTE FUNCTION guild_post_counters_moved();

-- A new post is ranked by its own INSERT: it belongs near the top of "hot" at once, not
-- at the next fold or refresh.
CREATE FUNCTION guild_post_ranked_on_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.sort_score := NEW.score;
    NEW.sort_comment_count := NEW.comment_count;
    NEW.hot_rank := guild_hot_rank(NEW.score, NEW.published_at);
    NEW.active_rank := guild_hot_rank(NEW.score, NEW.newest_comment_at);
    RETURN NEW;
END
$$;

CREATE TRIGGER posts_ranked_on_insert BEFORE INSERT ON posts
    FOR EACH ROW EXECUTE FUNCTION guild_post_ranked_on_insert();

-- Sets the sort keys of the marked posts after `after`, up to `most` of them, from their
-- counters and drops their marks. It never waits: a post whose row a vote or comment holds
-- is skipped and stays marked for the next fold. The inbox does wait on the fold, for as
-- long as one call holds its rows, so callers take a few posts at a time: a vote batch
-- stuck behind a long fold holds up every vote queued behind it. Returns how many posts it
-- folded, and the last post it looked at when there may be more marks after it (the next
-- call's `after`), NULL when it reached the end.
CREATE FUNCTION guild_fold_post_counts(
    after BIGINT, most INTEGER, OUT last_post BIGINT, OUT folded INTEGER)
LANGUAGE plpgsql AS $$
DECLARE
    due BIGINT[];
    held BIGINT[];
BEGIN
    due := ARRAY(SELECT post_id FROM posts_to_rank WHERE post_id > after
                 ORDER BY post_id LIMIT most);
    folded := 0;
    IF cardinality(due) = 0 THEN
        RETURN;
    END IF;
    IF cardinality(due) = most THEN
        last_post := due[most];
    END IF;
    held := ARRAY(SELECT id FROM posts WHERE id = ANY (due)
                  ORDER BY id FOR NO KEY UPDATE SKIP LOCKED);
    -- The marks of the posts held, and of posts that are gone.
    DELETE FROM posts_to_rank m
     WHERE m.post_id = ANY (held)
        OR (m.post_id = ANY (due) AND NOT EXISTS (SELECT 1 FROM posts p WHERE p.id = m.post_id));
    UPDATE posts
       SET sort_score = score,
           sort_comment_count = comment_count,
           hot_rank = guild_hot_rank(score, published_at),
           active_rank = guild_hot_rank(score, newest_comment_at)
     WHERE id = ANY (held);
    folded := cardinality(held);
END
$$;

-- The counter writes no longer set the ranks themselves (the fold does).
CREATE OR REPLACE FUNCTION guild_set_post_vote(
    voted_post BIGINT, voter BIGINT, new_score SMALLINT, activity TEXT,
    OUT previous_score SMALLINT, OUT previous_activity TEXT)
LANGUAGE plpgsql AS $$
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
        UPDATE posts
           SET score = score + new_score - previous_score,
               upvotes = upvotes + (new_score = 1)::INTEGER - (previous_score = 1)::INTEGER,
               downvotes = downvotes + (new_score = -1)::INTEGER - (previous_score = -1)::INTEGER
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
           newest_comment_at = greatest(newest_comment_at, written)
     WHERE id = commented_post
    RETURNING comment_count INTO new_count;
    IF cardinality(ancestor_ids) > 0 THEN
        UPDATE comments SET reply_count = reply_count + 1 WHERE id = ANY (ancestor_ids);
    END IF;
    RETURN new_count;
END
$$;
