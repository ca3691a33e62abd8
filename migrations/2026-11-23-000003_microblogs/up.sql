-- What an activity is about, so that later activities can refer back to it (the Undo of the
-- Announces Mastodon took when a post goes away).
ALTER TABLE sent_activities ADD COLUMN object_ap_id TEXT;
CREATE INDEX sent_activities_object_ap_id_idx ON sent_activities (object_ap_id) WHERE object_ap_id IS NOT NULL;

-- Mentions of and replies to local people.
CREATE TABLE notifications (
    id BIGSERIAL PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('mention', 'reply')),
    post_id BIGINT REFERENCES posts (id) ON DELETE CASCADE,
    comment_id BIGINT REFERENCES comments (id) ON DELETE CASCADE,
    read BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (person_id, kind, post_id, comment_id)
);
CREATE INDEX notifications_person_idx ON notifications (person_id, id DESC);
