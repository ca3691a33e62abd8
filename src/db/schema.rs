//! Diesel's view of the tables created in `migrations/`. Keep in step with the SQL.

diesel::table! {
    instances (id) {
        id -> Int8,
        domain -> Text,
        software -> Nullable<Text>,
        software_version -> Nullable<Text>,
        blocked -> Bool,
        last_seen_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        delivery_paused_until -> Nullable<Timestamptz>,
        failing_since -> Nullable<Timestamptz>,
        unreachable -> Bool,
        allowed -> Bool,
    }
}

diesel::table! {
    site (id) {
        id -> Int4,
        instance_id -> Int8,
        name -> Text,
        description -> Text,
        actor_ap_id -> Text,
        public_key -> Text,
        private_key -> Text,
        created_at -> Timestamptz,
        jwt_secret -> Text,
        registration_open -> Nullable<Bool>,
        federation_allowlist -> Bool,
    }
}

diesel::table! {
    people (id) {
        id -> Int8,
        ap_id -> Text,
        instance_id -> Int8,
        local -> Bool,
        actor_type -> Text,
        name -> Text,
        display_name -> Nullable<Text>,
        bio_source -> Nullable<Text>,
        bio_html -> Nullable<Text>,
        profile_url -> Nullable<Text>,
        avatar_url -> Nullable<Text>,
        banner_url -> Nullable<Text>,
        inbox_url -> Text,
        shared_inbox_url -> Nullable<Text>,
        outbox_url -> Nullable<Text>,
        followers_url -> Nullable<Text>,
        public_key -> Text,
        private_key -> Nullable<Text>,
        published_at -> Timestamptz,
        updated_at -> Nullable<Timestamptz>,
        last_refreshed_at -> Timestamptz,
        deleted -> Bool,
        banned -> Bool,
        ban_expires_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    local_accounts (person_id) {
        person_id -> Int8,
        password_hash -> Nullable<Text>,
        is_admin -> Bool,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    communities (id) {
        id -> Int8,
        ap_id -> Text,
        instance_id -> Int8,
        local -> Bool,
        name -> Text,
        title -> Text,
        description_source -> Nullable<Text>,
        description_html -> Nullable<Text>,
        icon_url -> Nullable<Text>,
        banner_url -> Nullable<Text>,
        inbox_url -> Text,
        shared_inbox_url -> Nullable<Text>,
        outbox_url -> Nullable<Text>,
        followers_url -> Nullable<Text>,
        moderators_url -> Nullable<Text>,
        featured_url -> Nullable<Text>,
        public_key -> Text,
        private_key -> Nullable<Text>,
        posting_restricted_to_mods -> Bool,
        sensitive -> Bool,
        published_at -> Timestamptz,
        updated_at -> Nullable<Timestamptz>,
        last_refreshed_at -> Timestamptz,
        deleted -> Bool,
        topic -> Nullable<Text>,
        subscribers -> Int8,
    }
}

diesel::table! {
    community_moderators (community_id, person_id) {
        community_id -> Int8,
        person_id -> Int8,
        added_at -> Timestamptz,
    }
}

diesel::table! {
    community_follows (community_id, person_id) {
        community_id -> Int8,
        person_id -> Int8,
        pending -> Bool,
        follow_activity_ap_id -> Nullable<Text>,
        created_at -> Timestamptz,
        delivery_domain -> Nullable<Text>,
        delivery_inbox -> Nullable<Text>,
    }
}

diesel::table! {
    posts (id) {
        id -> Int8,
        ap_id -> Text,
        community_id -> Int8,
        author_id -> Int8,
        local -> Bool,
        title -> Text,
        url -> Nullable<Text>,
        body_source -> Nullable<Text>,
        body_html -> Nullable<Text>,
        sensitive -> Bool,
        locked -> Bool,
        featured -> Bool,
        deleted -> Bool,
        removed -> Bool,
        published_at -> Timestamptz,
        updated_at -> Nullable<Timestamptz>,
        score -> Int4,
        upvotes -> Int4,
        downvotes -> Int4,
        comment_count -> Int4,
        newest_comment_at -> Timestamptz,
        hot_rank -> Float8,
        active_rank -> Float8,
        sort_score -> Int4,
        sort_comment_count -> Int4,
    }
}

diesel::table! {
    comments (id) {
        id -> Int8,
        ap_id -> Text,
        post_id -> Int8,
        parent_id -> Nullable<Int8>,
        author_id -> Int8,
        local -> Bool,
        body_source -> Nullable<Text>,
        body_html -> Text,
        deleted -> Bool,
        removed -> Bool,
        published_at -> Timestamptz,
        updated_at -> Nullable<Timestamptz>,
        score -> Int4,
        upvotes -> Int4,
        downvotes -> Int4,
        ancestors -> Array<Int8>,
        reply_count -> Int4,
    }
}

diesel::table! {
    post_votes (post_id, person_id) {
        post_id -> Int8,
        person_id -> Int8,
        score -> Int2,
        activity_ap_id -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    comment_votes (comment_id, person_id) {
        comment_id -> Int8,
        person_id -> Int8,
        score -> Int2,
        activity_ap_id -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    received_activities (ap_id) {
        ap_id -> Text,
        received_at -> Timestamptz,
    }
}

diesel::table! {
    sent_activities (id) {
        id -> Int8,
        ap_id -> Text,
        actor_ap_id -> Text,
        kind -> Text,
        data -> Jsonb,
        created_at -> Timestamptz,
        object_ap_id -> Nullable<Text>,
    }
}

diesel::table! {
    notifications (id) {
        id -> Int8,
        person_id -> Int8,
        kind -> Text,
        post_id -> Nullable<Int8>,
        comment_id -> Nullable<Int8>,
        read -> Bool,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    community_bans (community_id, person_id) {
        community_id -> Int8,
        person_id -> Int8,
        reason -> Nullable<Text>,
        expires_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    deliveries (id) {
        id -> Int8,
        activity_id -> Int8,
        inbox_url -> Text,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        last_error -> Nullable<Text>,
        delivered_at -> Nullable<Timestamptz>,
        failed_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        instance_domain -> Text,
        object_key -> Text,
        claimed_by -> Nullable<Uuid>,
        claimed_until -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    delivery_workers (id) {
        id -> Uuid,
        heartbeat_at -> Timestamptz,
    }
}

diesel::table! {
    login_tokens (id) {
        id -> Uuid,
        person_id -> Int8,
        ip -> Nullable<Text>,
        created_at -> Timestamptz,
        last_used_at -> Timestamptz,
    }
}

diesel::table! {
    post_saves (person_id, post_id) {
        person_id -> Int8,
        post_id -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    post_reads (person_id, post_id) {
        person_id -> Int8,
        post_id -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    modlog (id) {
        id -> Int8,
        moderator_id -> Int8,
        community_id -> Nullable<Int8>,
        action -> Text,
        post_id -> Nullable<Int8>,
        comment_id -> Nullable<Int8>,
        reason -> Nullable<Text>,
        created_at -> Timestamptz,
        target_person_id -> Nullable<Int8>,
        target_name -> Nullable<Text>,
        expires_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    reports (id) {
        id -> Int8,
        ap_id -> Text,
        reporter_id -> Int8,
        community_id -> Int8,
        post_id -> Int8,
        comment_id -> Nullable<Int8>,
        reason -> Text,
        original_text -> Text,
        resolved -> Bool,
        resolver_id -> Nullable<Int8>,
        created_at -> Timestamptz,
        updated_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(site -> instances (instance_id));
diesel::joinable!(login_tokens -> people (person_id));
diesel::joinable!(post_saves -> posts (post_id));
diesel::joinable!(post_reads -> posts (post_id));
diesel::joinable!(community_bans -> communities (community_id));
diesel::joinable!(modlog -> people (moderator_id));
diesel::joinable!(community_bans -> people (person_id));
diesel::joinable!(deliveries -> sent_activities (activity_id));
diesel::joinable!(notifications -> people (person_id));
diesel::joinable!(notifications -> posts (post_id));
diesel::joinable!(notifications -> comments (comment_id));
diesel::joinable!(people -> instances (instance_id));
diesel::joinable!(local_accounts -> people (person_id));
diesel::joinable!(communities -> instances (instance_id));
diesel::joinable!(community_moderators -> communities (community_id));
diesel::joinable!(community_moderators -> people (person_id));
diesel::joinable!(community_follows -> communities (community_id));
diesel::joinable!(community_follows -> people (person_id));
diesel::joinable!(posts -> communities (community_id));
diesel::joinable!(posts -> people (author_id));
diesel::joinable!(comments -> posts (post_id));
diesel::joinable!(comments -> people (author_id));
diesel::joinable!(post_votes -> posts (post_id));
diesel::joinable!(post_votes -> people (person_id));
diesel::joinable!(comment_votes -> comments (comment_id));
diesel::joinable!(comment_votes -> people (person_id));

diesel::joinable!(reports -> communities (community_id));
diesel::joinable!(reports -> posts (post_id));

diesel::allow_tables_to_appear_in_same_query!(
    instances,
    modlog,
    reports,
    site,
    people,
    local_accounts,
    communities,
    community_moderators,
    community_follows,
    posts,
    comments,
    post_votes,
    comment_votes,
    received_activities,
    sent_activities,
    community_bans,
    deliveries,
    notifications,
    delivery_workers,
    login_tokens,
    post_saves,
    post_reads,
);
