-- Sessions and per-person state for the client API.

-- The key that signs login tokens (JWT), made at first start.
ALTER TABLE site ADD COLUMN jwt_secret TEXT NOT NULL DEFAULT encode(sha256(gen_random_uuid()::text::bytea || clock_timestamp()::text::bytea), 'hex');

-- One row per live login; logging out deletes it, which invalidates the token.
CREATE TABLE login_tokens (
    id UUID PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    ip TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX login_tokens_person_idx ON login_tokens (person_id);

CREATE TABLE post_saves (
    person_id BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (person_id, post_id)
);

CREATE TABLE post_reads (
    person_id BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (person_id, post_id)
);

-- Full-text search (the 'simple' configuration: communities of practice write in many
-- languages, and stemming for one would mangle the others).
CREATE INDEX posts_search_idx ON posts
    USING gin (to_tsvector('simple', title || ' ' || coalesce(body_source, body_html, '')));
CREATE INDEX comments_search_idx ON comments
    USING gin (to_tsvector('simple', coalesce(body_source, body_html)));
CREATE INDEX communities_search_idx ON communities
    USING gin (to_tsvector('simple', name || ' ' || title || ' ' || coalesce(description_source, description_html, '')));
CREATE INDEX people_search_idx ON people
    USING gin (to_tsvector('simple', name || ' ' || coalesce(display_name, '')));
