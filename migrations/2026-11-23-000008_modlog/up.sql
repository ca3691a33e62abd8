-- Every moderator and admin action, shown publicly as the modlog.
CREATE TABLE modlog (
    id bigserial PRIMARY KEY,
    -- Who acted: a local moderator or admin, or a remote moderator whose community
    -- announced the action.
    moderator_id bigint NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    community_id bigint REFERENCES communities (id) ON DELETE CASCADE,
    -- remove_post, restore_post, remove_comment, restore_comment
    action text NOT NULL,
    post_id bigint REFERENCES posts (id) ON DELETE CASCADE,
    comment_id bigint REFERENCES comments (id) ON DELETE CASCADE,
    reason text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX modlog_created_idx ON modlog (created_at DESC, id DESC);
CREATE INDEX modlog_community_idx ON modlog (community_id, created_at DESC);
