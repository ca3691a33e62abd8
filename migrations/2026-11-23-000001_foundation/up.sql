-- Every server Guild knows of, its own included. The domain keeps its port, so
-- localhost:40123 and localhost:40124 are two instances.
CREATE TABLE instances (
    id BIGSERIAL PRIMARY KEY,
    domain TEXT NOT NULL UNIQUE,
    software TEXT,
    software_version TEXT,
    blocked BOOLEAN NOT NULL DEFAULT FALSE,
    last_seen_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- This instance: one row, holding the keys of the instance actor that signs fetches.
CREATE TABLE site (
    id INTEGER PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    instance_id BIGINT NOT NULL REFERENCES instances (id),
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    actor_ap_id TEXT NOT NULL,
    public_key TEXT NOT NULL,
    private_key TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Local and remote people. Credentials of local ones live apart, in local_accounts.
CREATE TABLE people (
    id BIGSERIAL PRIMARY KEY,
    ap_id TEXT NOT NULL UNIQUE,
    instance_id BIGINT NOT NULL REFERENCES instances (id),
    local BOOLEAN NOT NULL,
    actor_type TEXT NOT NULL DEFAULT 'Person',
    name TEXT NOT NULL,
    display_name TEXT,
    bio_source TEXT,
    bio_html TEXT,
    profile_url TEXT,
    avatar_url TEXT,
    banner_url TEXT,
    inbox_url TEXT NOT NULL,
    shared_inbox_url TEXT,
    outbox_url TEXT,
    followers_url TEXT,
    public_key TEXT NOT NULL,
    private_key TEXT,
    published_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ,
    last_refreshed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    CONSTRAINT people_private_key_only_local CHECK (local = (private_key IS NOT NULL))
);
CREATE UNIQUE INDEX people_local_name_key ON people (lower(name)) WHERE local;
CREATE INDEX people_instance_id_idx ON people (instance_id);

CREATE TABLE local_accounts (
    person_id BIGINT PRIMARY KEY REFERENCES people (id) ON DELETE CASCADE,
    password_hash TEXT,
    is_admin BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE communities (
    id BIGSERIAL PRIMARY KEY,
    ap_id TEXT NOT NULL UNIQUE,
    instance_id BIGINT NOT NULL REFERENCES instances (id),
    local BOOLEAN NOT NULL,
    name TEXT NOT NULL,
    title TEXT NOT NULL,
    description_source TEXT,
    description_html TEXT,
    icon_url TEXT,
    banner_url TEXT,
    inbox_url TEXT NOT NULL,
    shared_inbox_url TEXT,
    outbox_url TEXT,
    followers_url TEXT,
    moderators_url TEXT,
    featured_url TEXT,
    public_key TEXT NOT NULL,
    private_key TEXT,
    posting_restricted_to_mods BOOLEAN NOT NULL DEFAULT FALSE,
    sensitive BOOLEAN NOT NULL DEFAULT FALSE,
    published_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ,
    last_refreshed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    CONSTRAINT communities_private_key_only_local CHECK (local = (private_key IS NOT NULL))
);
CREATE UNIQUE INDEX communities_local_name_key ON communities (lower(name)) WHERE local;
CREATE INDEX communities_instance_id_idx ON communities (instance_id);

CREATE TABLE community_moderators (
    community_id BIGINT NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    person_id BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    added_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (community_id, person_id)
);

-- A person following a community. Pending until the community's Accept arrives.
CREATE TABLE community_follows (
    community_id BIGINT NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    person_id BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    pending BOOLEAN NOT NULL,
    follow_activity_ap_id TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (community_id, person_id)
);
CREATE INDEX community_follows_person_id_idx ON community_follows (person_id);

CREATE TABLE posts (
    id BIGSERIAL PRIMARY KEY,
    ap_id TEXT NOT NULL UNIQUE,
    community_id BIGINT NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    author_id BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    local BOOLEAN NOT NULL,
    title TEXT NOT NULL,
    url TEXT,
    body_source TEXT,
    body_html TEXT,
    sensitive BOOLEAN NOT NULL DEFAULT FALSE,
    locked BOOLEAN NOT NULL DEFAULT FALSE,
    featured BOOLEAN NOT NULL DEFAULT FALSE,
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    removed BOOLEAN NOT NULL DEFAULT FALSE,
    published_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ,
    score INTEGER NOT NULL DEFAULT 0,
    upvotes INTEGER NOT NULL DEFAULT 0,
    downvotes INTEGER NOT NULL DEFAULT 0,
    comment_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX posts_community_id_idx ON posts (community_id);
CREATE INDEX posts_author_id_idx ON posts (author_id);

CREATE TABLE comments (
    id BIGSERIAL PRIMARY KEY,
    ap_id TEXT NOT NULL UNIQUE,
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    parent_id BIGINT REFERENCES comments (id) ON DELETE CASCADE,
    author_id BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    local BOOLEAN NOT NULL,
    body_source TEXT,
    body_html TEXT NOT NULL,
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    removed BOOLEAN NOT NULL DEFAULT FALSE,
    published_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ,
    score INTEGER NOT NULL DEFAULT 0,
    upvotes INTEGER NOT NULL DEFAULT 0,
    downvotes INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX comments_post_id_idx ON comments (post_id);
CREATE INDEX comments_parent_id_idx ON comments (parent_id);
CREATE INDEX comments_author_id_idx ON comments (author_id);

-- One vote per person and item; score is +1 (Like) or -1 (Dislike).
CREATE TABLE post_votes (
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    person_id BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    score SMALLINT NOT NULL CHECK (score IN (-1, 1)),
    activity_ap_id TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (post_id, person_id)
);

CREATE TABLE comment_votes (
    comment_id BIGINT NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    person_id BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    score SMALLINT NOT NULL CHECK (score IN (-1, 1)),
    activity_ap_id TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (comment_id, person_id)
);

-- Ids of activities already taken from an inbox, so a replay is processed once.
CREATE TABLE received_activities (
    ap_id TEXT PRIMARY KEY,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX received_activities_received_at_idx ON received_activities (received_at);

-- Every activity this instance publishes, kept so its id can be fetched.
CREATE TABLE sent_activities (
    id BIGSERIAL PRIMARY KEY,
    ap_id TEXT NOT NULL UNIQUE,
    actor_ap_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    data JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX sent_activities_created_at_idx ON sent_activities (created_at);
