DROP TABLE deliveries;
DROP TABLE community_bans;
DROP INDEX comments_ancestors_idx;
ALTER TABLE comments DROP COLUMN ancestors, DROP COLUMN reply_count;
CREATE INDEX posts_community_id_idx ON posts (community_id);
DROP INDEX posts_hot_idx, posts_active_idx, posts_published_idx, posts_score_idx,
    posts_comment_count_idx, posts_community_hot_idx, posts_community_active_idx,
    posts_community_published_idx, posts_community_score_idx, posts_community_comment_count_idx;
ALTER TABLE posts DROP COLUMN newest_comment_at, DROP COLUMN hot_rank, DROP COLUMN active_rank;
DROP FUNCTION guild_hot_rank(INTEGER, TIMESTAMPTZ);
