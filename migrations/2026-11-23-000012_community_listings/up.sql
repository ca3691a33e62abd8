-- A community's page lists its featured posts first, then the rest in the chosen sort. The
-- per-community sort indexes did not lead with `featured`, so every view sorted all of the
-- community's posts (11-12 ms for 500 posts, far more for the busiest community of a large
-- instance). With `featured` after the community, each index yields the page in order.
DROP INDEX posts_community_hot_idx;
DROP INDEX posts_community_active_idx;
DROP INDEX posts_community_published_idx;
DROP INDEX posts_community_score_idx;
DROP INDEX posts_community_comment_count_idx;
CREATE INDEX posts_community_hot_idx ON posts (community_id, featured DESC, hot_rank DESC, id DESC);
CREATE INDEX posts_community_active_idx ON posts (community_id, featured DESC, active_rank DESC, id DESC);
CREATE INDEX posts_community_published_idx ON posts (community_id, featured DESC, published_at DESC, id DESC);
CREATE INDEX posts_community_score_idx ON posts (community_id, featured DESC, score DESC, id DESC);
CREATE INDEX posts_community_comment_count_idx ON posts (community_id, featured DESC, comment_count DESC, id DESC);
