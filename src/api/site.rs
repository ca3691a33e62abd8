//! `GET /site`: what an app shows about the instance, and about the person signed in.

use super::{
    ApiResult,
    extract::MaybeLoggedIn,
    types::{ApiCommunity, ApiModeratorView, ApiPerson, ApiPersonCounts, ApiPersonView},
};
use crate::{
    context::Context,
    db::{self, communities::CommunityFilter, models::Person},
};
use activitypub_federation::config::Data;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// How many followed communities `my_user.follows` lists at most.
const MAX_LISTED_FOLLOWS: i64 = 1000;

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiSite {
    id: i32,
    name: String,
    sidebar: Option<String>,
    published: DateTime<Utc>,
    updated: Option<DateTime<Utc>>,
    icon: Option<String>,
    banner: Option<String>,
    description: Option<String>,
    actor_id: String,
    last_refreshed_at: DateTime<Utc>,
    inbox_url: String,
    public_key: String,
    instance_id: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiLocalSite {
    id: i32,
    site_id: i32,
    site_setup: bool,
    enable_downvotes: bool,
    enable_nsfw: bool,
    community_creation_admin_only: bool,
    require_email_verification: bool,
    private_instance: bool,
    default_theme: String,
    default_post_listing_type: String,
    hide_modlog_mod_names: bool,
    application_email_admins: bool,
    actor_name_max_length: i32,
    federation_enabled: bool,
    captcha_enabled: bool,
    captcha_difficulty: String,
    published: DateTime<Utc>,
    /// Open or Closed (`registration_open` in the settings).
    registration_mode: String,
    reports_email_admins: bool,
    federation_signed_fetch: bool,
    default_post_listing_mode: String,
    default_sort_type: String,
}

/// Guild's rate limits are not Lemmy's (only logins are limited); these are Lemmy's
/// defaults, which apps read as "no unusual limit".
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiLocalSiteRateLimit {
    local_site_id: i32,
    message: i32,
    message_per_second: i32,
    post: i32,
    post_per_second: i32,
    register: i32,
    register_per_second: i32,
    image: i32,
    image_per_second: i32,
    comment: i32,
    comment_per_second: i32,
    search: i32,
    search_per_second: i32,
    published: DateTime<Utc>,
    import_user_settings: i32,
    import_user_settings_per_second: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiSiteCounts {
    site_id: i32,
    users: i64,
    posts: i64,
    comments: i64,
    communities: i64,
    users_active_day: i64,
    users_active_week: i64,
    users_active_month: i64,
    users_active_half_year: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiSiteView {
    site: ApiSite,
    local_site: ApiLocalSite,
    local_site_rate_limit: ApiLocalSiteRateLimit,
    counts: ApiSiteCounts,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiLocalUser {
    id: i64,
    person_id: i64,
    show_nsfw: bool,
    theme: String,
    default_sort_type: String,
    default_listing_type: String,
    interface_language: String,
    show_avatars: bool,
    send_notifications_to_email: bool,
    show_scores: bool,
    show_bot_accounts: bool,
    show_read_posts: bool,
    email_verified: bool,
    accepted_application: bool,
    open_links_in_new_tab: bool,
    blur_nsfw: bool,
    auto_expand: bool,
    infinite_scroll_enabled: bool,
    admin: bool,
    post_listing_mode: String,
    totp_2fa_enabled: bool,
    enable_keyboard_navigation: bool,
    enable_animated_images: bool,
    collapse_bot_comments: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiVoteDisplayMode {
    local_user_id: i64,
    score: bool,
    upvotes: bool,
    downvotes: bool,
    upvote_percentage: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiLocalUserView {
    local_user: ApiLocalUser,
    local_user_vote_display_mode: ApiVoteDisplayMode,
    person: ApiPerson,
    counts: ApiPersonCounts,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiCommunityFollowerView {
    community: ApiCommunity,
    follower: ApiPerson,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiMyUserInfo {
    local_user_view: ApiLocalUserView,
    follows: Vec<ApiCommunityFollowerView>,
    moderates: Vec<ApiModeratorView>,
    community_blocks: Vec<serde_json::Value>,
    instance_blocks: Vec<serde_json::Value>,
    person_blocks: Vec<serde_json::Value>,
    discussion_languages: Vec<i32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GetSiteResponse {
    site_view: ApiSiteView,
    admins: Vec<ApiPersonView>,
    /// Guild's own version; apps only show it.
    version: String,
    my_user: Option<ApiMyUserInfo>,
    all_languages: Vec<serde_json::Value>,
    discussion_languages: Vec<i32>,
    taglines: Vec<serde_json::Value>,
    custom_emojis: Vec<serde_json::Value>,
    blocked_urls: Vec<serde_json::Value>,
}

#[utoipa::path(get, path = "/api/v3/site", responses((status = 200, body = GetSiteResponse)))]
pub async fn get_site(
    MaybeLoggedIn(viewer): MaybeLoggedIn,
    data: Data<Context>,
) -> ApiResult<Json<GetSiteResponse>> {
    let mut conn = data.pool.get().await?;
    let site = db::site::get(&mut conn)
        .await?
        .ok_or_else(|| super::ApiError::internal("the site row is missing"))?;
    let usage = db::stats::local_usage(&mut conn).await?;
    let mut admins = Vec::new();
    for admin in db::people::admins(&mut conn).await? {
        admins.push(super::views::person_view(&mut conn, &admin).await?);
    }
    let my_user = match &viewer {
        Some(person) => Some(my_user_info(&mut conn, person).await?),
        None => None,
    };
    let settings = &data.settings;
    let site_view = ApiSiteView {
        site: ApiSite {
            id: site.id,
            name: site.name.clone(),
            sidebar: None,
            published: site.created_at,
            updated: None,
            icon: None,
            banner: None,
            description: Some(site.description.clone()).filter(|d| !d.is_empty()),
            actor_id: site.actor_ap_id.clone(),
            last_refreshed_at: site.created_at,
            inbox_url: data.urls.shared_inbox().to_string(),
            public_key: site.public_key.clone(),
            instance_id: site.instance_id,
        },
        local_site: ApiLocalSite {
            id: site.id,
            site_id: site.id,
            site_setup: true,
            enable_downvotes: true,
            enable_nsfw: true,
            community_creation_admin_only: false,
            require_email_verification: false,
            private_instance: false,
            default_theme: "browser".into(),
            default_post_listing_type: "All".into(),
            hide_modlog_mod_names: true,
            application_email_admins: false,
            actor_name_max_length: 30,
            federation_enabled: true,
            captcha_enabled: false,
            captcha_difficulty: "medium".into(),
            published: site.created_at,
            registration_mode: if crate::service::site::registration_open(&data, &site) {
                "Open".into()
            } else {
                "Closed".into()
            },
            reports_email_admins: false,
            federation_signed_fetch: settings.require_signed_fetch,
            default_post_listing_mode: "List".into(),
            default_sort_type: "Hot".into(),
        },
        local_site_rate_limit: ApiLocalSiteRateLimit {
            local_site_id: site.id,
            message: 999,
            message_per_second: 60,
            post: 999,
            post_per_second: 600,
            register: 999,
            register_per_second: 3600,
            image: 999,
            image_per_second: 3600,
            comment: 999,
            comment_per_second: 600,
            search: 999,
            search_per_second: 600,
            published: site.created_at,
            import_user_settings: 1,
            import_user_settings_per_second: 86400,
        },
        counts: ApiSiteCounts {
            site_id: site.id,
            users: usage.users,
            posts: usage.posts,
            comments: usage.comments,
            communities: usage.communities,
            users_active_day: 0,
            users_active_week: 0,
            users_active_month: usage.active_month,
            users_active_half_year: usage.active_halfyear,
        },
    };
    Ok(Json(GetSiteResponse {
        site_view,
        admins,
        version: env!("CARGO_PKG_VERSION").to_string(),
        my_user,
        all_languages: Vec::new(),
        discussion_languages: Vec::new(),
        taglines: Vec::new(),
        custom_emojis: Vec::new(),
        blocked_urls: Vec::new(),
    }))
}

async fn my_user_info(conn: &mut db::Connection, person: &Person) -> ApiResult<ApiMyUserInfo> {
    let view = super::views::person_view(conn, person).await?;
    let is_admin = view.is_admin;
    let filter = CommunityFilter {
        followed_by: Some(person.id),
        ..CommunityFilter::default()
    };
    let follows = db::communities::list(
        conn,
        filter,
        db::communities::CommunitySort::Name,
        MAX_LISTED_FOLLOWS,
        0,
    )
    .await?
    .iter()
    .map(|community| ApiCommunityFollowerView {
        community: community.into(),
        follower: person.into(),
    })
    .collect();
    let moderates = db::communities::moderated_by(conn, person.id)
        .await?
        .iter()
        .map(|community| ApiModeratorView {
            community: community.into(),
            moderator: person.into(),
        })
        .collect();
    Ok(ApiMyUserInfo {
        local_user_view: ApiLocalUserView {
            local_user: ApiLocalUser {
                id: person.id,
                person_id: person.id,
                show_nsfw: false,
                theme: "browser".into(),
                default_sort_type: "Hot".into(),
                default_listing_type: "All".into(),
                interface_language: "browser".into(),
                show_avatars: true,
                send_notifications_to_email: false,
                show_scores: true,
                show_bot_accounts: true,
                show_read_posts: true,
                email_verified: false,
                accepted_application: true,
                open_links_in_new_tab: false,
                blur_nsfw: true,
                auto_expand: false,
                infinite_scroll_enabled: false,
                admin: is_admin,
                post_listing_mode: "List".into(),
                totp_2fa_enabled: false,
                enable_keyboard_navigation: false,
                enable_animated_images: true,
                collapse_bot_comments: false,
            },
            local_user_vote_display_mode: ApiVoteDisplayMode {
                local_user_id: person.id,
                score: true,
                upvotes: true,
                downvotes: true,
                upvote_percentage: false,
            },
            person: person.into(),
            counts: view.counts,
        },
        follows,
        moderates,
        community_blocks: Vec::new(),
        instance_blocks: Vec::new(),
        person_blocks: Vec::new(),
        discussion_languages: Vec::new(),
    })
}
