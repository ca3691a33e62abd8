//! Rows as Rust structs, and the forms that insert or update them.

use super::schema::{
    comments, communities, community_follows, instances, local_accounts, people, posts, site,
};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = instances, check_for_backend(diesel::pg::Pg))]
pub struct Instance {
    pub id: i64,
    pub domain: String,
    pub software: Option<String>,
    pub software_version: Option<String>,
    pub blocked: bool,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub delivery_paused_until: Option<DateTime<Utc>>,
    pub failing_since: Option<DateTime<Utc>>,
    pub unreachable: bool,
    pub allowed: bool,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = site, check_for_backend(diesel::pg::Pg))]
pub struct Site {
    pub id: i32,
    pub instance_id: i64,
    pub name: String,
    pub description: String,
    pub actor_ap_id: String,
    pub public_key: String,
    pub private_key: String,
    pub created_at: DateTime<Utc>,
    pub jwt_secret: String,
    pub registration_open: Option<bool>,
    pub federation_allowlist: bool,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = site)]
pub struct NewSite {
    pub instance_id: i64,
    pub name: String,
    pub actor_ap_id: String,
    pub public_key: String,
    pub private_key: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = people, check_for_backend(diesel::pg::Pg))]
pub struct Person {
    pub id: i64,
    pub ap_id: String,
    pub instance_id: i64,
    pub local: bool,
    pub actor_type: String,
    pub name: String,
    pub display_name: Option<String>,
    pub bio_source: Option<String>,
    pub bio_html: Option<String>,
    pub profile_url: Option<String>,
    pub avatar_url: Option<String>,
    pub banner_url: Option<String>,
    pub inbox_url: String,
    pub shared_inbox_url: Option<String>,
    pub outbox_url: Option<String>,
    pub followers_url: Option<String>,
    pub public_key: String,
    pub private_key: Option<String>,
    pub published_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
    pub last_refreshed_at: DateTime<Utc>,
    pub deleted: bool,
    /// Banned from this instance (until `ban_expires_at`, when set).
    pub banned: bool,
    pub ban_expires_at: Option<DateTime<Utc>>,
}

impl Person {
    /// Whether a site ban holds now.
    pub fn is_banned(&self) -> bool {
        self.banned && self.ban_expires_at.is_none_or(|until| until > Utc::now())
    }
}

/// Everything needed to store a person, local or remote. For a remote person the same form
/// updates the stored copy when it is fetched again.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = people, treat_none_as_null = true)]
pub struct PersonForm {
    pub ap_id: String,
    pub instance_id: i64,
    pub local: bool,
    pub actor_type: String,
    pub name: String,
    pub display_name: Option<String>,
    pub bio_source: Option<String>,
    pub bio_html: Option<String>,
    pub profile_url: Option<String>,
    pub avatar_url: Option<String>,
    pub banner_url: Option<String>,
    pub inbox_url: String,
    pub shared_inbox_url: Option<String>,
    pub outbox_url: Option<String>,
    pub followers_url: Option<String>,
    pub public_key: String,
    pub private_key: Option<String>,
    pub published_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
    pub last_refreshed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = local_accounts, check_for_backend(diesel::pg::Pg))]
pub struct LocalAccount {
    pub person_id: i64,
    pub password_hash: Option<String>,
    pub is_admin: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = communities, check_for_backend(diesel::pg::Pg))]
pub struct Community {
    pub id: i64,
    pub ap_id: String,
    pub instance_id: i64,
    pub local: bool,
    pub name: String,
    pub title: String,
    pub description_source: Option<String>,
    pub description_html: Option<String>,
    pub icon_url: Option<String>,
    pub banner_url: Option<String>,
    pub inbox_url: String,
    pub shared_inbox_url: Option<String>,
    pub outbox_url: Option<String>,
    pub followers_url: Option<String>,
    pub moderators_url: Option<String>,
    pub featured_url: Option<String>,
    pub public_key: String,
    pub private_key: Option<String>,
    pub posting_restricted_to_mods: bool,
    pub sensitive: bool,
    pub published_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
    pub last_refreshed_at: DateTime<Utc>,
    pub deleted: bool,
    pub topic: Option<String>,
}

/// Everything needed to store a community, local or remote (see [`PersonForm`]).
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = communities, treat_none_as_null = true)]
pub struct CommunityForm {
    pub ap_id: String,
    pub instance_id: i64,
    pub local: bool,
    pub name: String,
    pub title: String,
    pub description_source: Option<String>,
    pub description_html: Option<String>,
    pub icon_url: Option<String>,
    pub banner_url: Option<String>,
    pub inbox_url: String,
    pub shared_inbox_url: Option<String>,
    pub outbox_url: Option<String>,
    pub followers_url: Option<String>,
    pub moderators_url: Option<String>,
    pub featured_url: Option<String>,
    pub public_key: String,
    pub private_key: Option<String>,
    pub posting_restricted_to_mods: bool,
    pub sensitive: bool,
    pub published_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
    pub last_refreshed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = posts, check_for_backend(diesel::pg::Pg))]
pub struct Post {
    pub id: i64,
    pub ap_id: String,
    pub community_id: i64,
    pub author_id: i64,
    pub local: bool,
    pub title: String,
    pub url: Option<String>,
    pub body_source: Option<String>,
    pub body_html: Option<String>,
    pub sensitive: bool,
    pub locked: bool,
    pub featured: bool,
    pub deleted: bool,
    pub removed: bool,
    pub published_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
    /// The live counters, moved by each vote and comment; no index holds them.
    pub score: i32,
    pub upvotes: i32,
    pub downvotes: i32,
    pub comment_count: i32,
    pub newest_comment_at: DateTime<Utc>,
    /// The sort keys, which listings are ordered by: set from the counters by
    /// `db::posts::fold_counts` a few seconds after they move (migration 000022 says why).
    pub hot_rank: f64,
    pub active_rank: f64,
    pub sort_score: i32,
    pub sort_comment_count: i32,
}

/// A new post, or the new content of a stored one (for an edit or a refetch, only the
/// content columns are changed: see [`PostContent`]).
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = posts)]
pub struct PostForm {
    pub id: Option<i64>,
    pub ap_id: String,
    pub community_id: i64,
    pub author_id: i64,
    pub local: bool,
    pub title: String,
    pub url: Option<String>,
    pub body_source: Option<String>,
    pub body_html: Option<String>,
    pub sensitive: bool,
    pub locked: bool,
    pub published_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
    /// Set to `published_at`: a post without comments is as active as it is new.
    pub newest_comment_at: DateTime<Utc>,
}

/// What an edit changes.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = posts, treat_none_as_null = true)]
pub struct PostContent {
    pub title: String,
    pub url: Option<String>,
    pub body_source: Option<String>,
    pub body_html: Option<String>,
    pub sensitive: bool,
    pub locked: bool,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable, Identifiable)]
#[diesel(table_name = comments, check_for_backend(diesel::pg::Pg))]
pub struct Comment {
    pub id: i64,
    pub ap_id: String,
    pub post_id: i64,
    pub parent_id: Option<i64>,
    pub author_id: i64,
    pub local: bool,
    pub body_source: Option<String>,
    pub body_html: String,
    pub deleted: bool,
    pub removed: bool,
    pub published_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
    pub score: i32,
    pub upvotes: i32,
    pub downvotes: i32,
    pub ancestors: Vec<i64>,
    pub reply_count: i32,
}

/// A new comment. Its `None`s are written as NULL, not as DEFAULT, so that the INSERT has
/// one text and is prepared once (diesel does not keep an INSERT with DEFAULTs).
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = comments, treat_none_as_default_value = false)]
pub struct CommentForm {
    pub ap_id: String,
    pub post_id: i64,
    pub parent_id: Option<i64>,
    pub author_id: i64,
    pub local: bool,
    pub body_source: Option<String>,
    pub body_html: String,
    pub published_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
    pub ancestors: Vec<i64>,
}

#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = comments, treat_none_as_null = true)]
pub struct CommentContent {
    pub body_source: Option<String>,
    pub body_html: String,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = community_follows, check_for_backend(diesel::pg::Pg))]
pub struct CommunityFollow {
    pub community_id: i64,
    pub person_id: i64,
    pub pending: bool,
    pub follow_activity_ap_id: Option<String>,
    pub created_at: DateTime<Utc>,
}
