-- The ten-minute refresh of the ranks that decay with time rewrote every post of the last
-- week in one UPDATE: 38,840 rows and 5-9 s at the forum bench's large scale, with every
-- vote and comment on a recent post waiting for it to end. It now walks those posts in id
-- order, a few at a time, as the fold of migration 000022 walks its marks, and passes over
-- a post a write holds: the next fold ranks it if that write moved its counters, the next
-- refresh if not.
--
-- Refreshes the ranks of up to `most` posts after `after` that are recent or still ranked;
-- returns how many, and the last post it took when there may be more after it (the next
-- call's `after`), NULL when it reached the end.
CREATE FUNCTION guild_refresh_ranks(
    after BIGINT, most INTEGER, OUT last_post BIGINT, OUT refreshed INTEGER)
LANGUAGE plpgsql AS $$
DECLARE
    due BIGINT[];
BEGIN
    due := ARRAY(SELECT id FROM posts
                  WHERE id > after
                    AND (hot_rank <> 0 OR active_rank <> 0
                         OR published_at > now() - interval '7 days'
                         OR newest_comment_at > now() - interval '7 days')
                  ORDER BY id LIMIT most
                  FOR NO KEY UPDATE SKIP LOCKED);
    refreshed := cardinality(due);
    IF refreshed = most THEN
        last_post := due[most];
    END IF;
    UPDATE posts
       SET hot_rank = guild_hot_rank(score, published_at),
           active_rank = guild_hot_rank(score, newest_comment_at),
           sort_score = score,
           sort_comment_count = comment_count
     WHERE id = ANY (due);
END
$$;
