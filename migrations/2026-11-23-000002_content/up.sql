-- Ranks, threads, bans and the outgoing delivery queue.

-- Lemmy's "hot" formula: score decays with age (hours), so new posts with a few votes
-- rise above old ones with many. Uses now(), so ranks are refreshed on a schedule.
CREATE FUNCTION guild_hot_rank(score INTEGER, since TIMESTAMPTZ) RETURNS DOUBLE PRECISION
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN now() - since < interval '7 days' THEN
            10000 * log(greatest(1, 3 + score))
                / power(greatest(0, extract(epoch FROM now() - since) / 3600) + 2, 1.8)
        ELSE 0
    END
$$;

ALTER TABLE posts
    ADD COLUMN newest_comment_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    ADD COLUMN hot_rank DOUBLE PRECISION NOT NULL DEFAULT 0,
    ADD COLUMN active_rank DOUBLE PRECISION NOT NULL DEFAULT 0;
UPDATE posts SET newest_comment_at = published_at,
                 hot_rank = guild_hot_rank(score, published_at),
                 active_rank = guild_hot_rank(score, published_at);

-- The feeds: each sort of each scope has an index that yields rows in order.
CREATE INDEX posts_hot_idx ON posts (hot_rank DESC, id DESC);
CREATE INDEX posts_active_idx ON posts (active_rank DESC, id DESC);
CREATE INDEX posts_published_idx ON posts (published_at DESC, id DESC);
CREATE INDEX posts_score_idx ON posts (score DESC, id DESC);
CREATE INDEX posts_comment_count_idx ON posts (comment_count DESC, id DESC);
CREATE INDEX posts_community_hot_idx ON posts (community_id, hot_rank DESC, id DESC);
CREATE INDEX posts_community_active_idx ON posts (community_id, active_rank DESC, id DESC);
CREATE INDEX posts_community_published_idx ON posts (community_id, published_at DESC, id DESC);
CREATE INDEX posts_community_score_idx ON posts (community_id, score DESC, id DESC);
CREATE INDEX posts_community_comment_count_idx ON posts (community_id, comment_count DESC, id DESC);
DROP INDEX posts_community_id_idx;

-- A comment's ancestors, root first: the thread order is (ancestors || id), the depth is
-- the array's length, and a subtree is every comment whose ancestors contain its root.
ALTER TABLE comments
    ADD COLUMN ancestors BIGINT[] NOT NULL DEFAULT '{}',
    ADD COLUMN reply_count INTEGER NOT NULL DEFAULT 0;
CREATE INDEX comments_ancestors_idx ON comments USING gin (ancestors);

-- People banned from a community, until expires_at when set.
CREATE TABLE community_bans (
    community_id BIGINT NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    person_id BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    reason TEXT,
    expires_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (community_id, person_id)
);

-- One row per activity and inbox to deliver to; written in the same transaction as the
-- change that caused it, so nothing is sent from memory only.
CREATE TABLE deliveries (
    id BIGSERIAL PRIMARY KEY,
    activity_id BIGINT NOT NULL REFERENCES sent_activities (id) ON DELETE CASCADE,
    inbox_url TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_error TEXT,
    delivered_at TIMESTAMPTZ,
    failed_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (activity_id, inbox_url)
);
CREATE INDEX deliveries_pending_idx ON deliveries (next_attempt_at)
    WHERE delivered_at IS NULL AND failed_at IS NULL;
