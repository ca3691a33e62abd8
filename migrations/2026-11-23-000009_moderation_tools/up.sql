-- Site bans: a banned person may not sign in, post, comment or vote on this instance.
ALTER TABLE people
    ADD COLUMN banned BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN ban_expires_at TIMESTAMPTZ;

-- Actions on people (bans, moderators) and purges name their target; a purged target is
-- gone, so its name is kept as text.
ALTER TABLE modlog
    ADD COLUMN target_person_id BIGINT REFERENCES people (id) ON DELETE SET NULL,
    ADD COLUMN target_name TEXT,
    ADD COLUMN expires_at TIMESTAMPTZ;

-- Reports of posts and comments, kept on the reporter's instance and on the community's.
CREATE TABLE reports (
    id BIGSERIAL PRIMARY KEY,
    -- The Flag activity that carried the report.
    ap_id TEXT NOT NULL UNIQUE,
    reporter_id BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    community_id BIGINT NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    comment_id BIGINT REFERENCES comments (id) ON DELETE CASCADE,
    reason TEXT NOT NULL,
    -- What the reported text said when it was reported: it may be edited afterwards.
    original_text TEXT NOT NULL,
    resolved BOOLEAN NOT NULL DEFAULT false,
    resolver_id BIGINT REFERENCES people (id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ
);
CREATE INDEX reports_queue_idx ON reports (community_id, resolved, created_at DESC);
