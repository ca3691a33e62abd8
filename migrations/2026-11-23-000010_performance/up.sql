-- Community counts (posts, and comments as the sum of the posts' comment_count) read from
-- this index alone, without visiting the posts: the busiest community of a large instance
-- has tens of thousands of posts, and its page shows the counts on every view.
CREATE INDEX posts_community_counts_idx ON posts (community_id)
    INCLUDE (comment_count, deleted, removed);
