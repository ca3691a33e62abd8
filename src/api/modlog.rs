//! `GET /modlog`: the public record of moderator and admin actions, in Lemmy's shape.
//! Lemmy's lists of actions Guild does not have (community removal, hiding, transfers,
//! admin appointments, purged posts and comments) stay empty.

use super::{
    ApiResult,
    extract::ApiQuery,
    posts::page_and_limit,
    types::{ApiComment, ApiCommunity, ApiPerson, ApiPost},
};
use crate::{
    context::Context,
    db::{self, Connection, models::Person, modlog::ModlogEntry},
};
use activitypub_federation::config::Data;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
pub struct GetModlog {
    community_id: Option<i64>,
    page: Option<i64>,
    limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ModRemovePost {
    id: i64,
    mod_person_id: i64,
    post_id: i64,
    reason: Option<String>,
    removed: bool,
    when_: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ModRemovePostView {
    mod_remove_post: ModRemovePost,
    moderator: ApiPerson,
    post: ApiPost,
    community: ApiCommunity,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ModRemoveComment {
    id: i64,
    mod_person_id: i64,
    comment_id: i64,
    reason: Option<String>,
    removed: bool,
    when_: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ModRemoveCommentView {
    mod_remove_comment: ModRemoveComment,
    moderator: ApiPerson,
    comment: ApiComment,
    commenter: ApiPerson,
    post: ApiPost,
    community: ApiCommunity,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ModLockPost {
    id: i64,
    mod_person_id: i64,
    post_id: i64,
    locked: bool,
    when_: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ModLockPostView {
    mod_lock_post: ModLockPost,
    moderator: ApiPerson,
    post: ApiPost,
    community: ApiCommunity,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct GetModlogResponse {
    removed_posts: Vec<ModRemovePostView>,
    removed_comments: Vec<ModRemoveCommentView>,
    locked_posts: Vec<ModLockPostView>,
    featured_posts: Vec<serde_json::Value>,
    removed_communities: Vec<serde_json::Value>,
    banned_from_community: Vec<serde_json::Value>,
    banned: Vec<serde_json::Value>,
    added_to_community: Vec<serde_json::Value>,
    transferred_to_community: Vec<serde_json::Value>,
    added: Vec<serde_json::Value>,
    admin_purged_persons: Vec<serde_json::Value>,
    admin_purged_communities: Vec<serde_json::Value>,
    admin_purged_posts: Vec<serde_json::Value>,
    admin_purged_comments: Vec<serde_json::Value>,
    hidden_communities: Vec<serde_json::Value>,
}

#[utoipa::path(get, path = "/api/v3/modlog", params(GetModlog),
    responses((status = 200, body = GetModlogResponse), (status = 400)))]
pub async fn get_modlog(
    ApiQuery(query): ApiQuery<GetModlog>,
    data: Data<Context>,
) -> ApiResult<Json<GetModlogResponse>> {
    let (limit, offset) = page_and_limit(query.page, query.limit)?;
    let mut conn = data.pool.get().await?;
    let entries = db::modlog::newest(&mut conn, query.community_id, limit, offset).await?;
    let mut response = GetModlogResponse::default();
    for (entry, moderator) in entries {
        if add_person_or_purge_entry(&mut conn, &mut response, &entry, &moderator).await? {
            continue;
        }
        let removed = entry.action.starts_with("remove");
        let lock = match entry.action.as_str() {
            "lock_post" => Some(true),
            "unlock_post" => Some(false),
            _ => None,
        };
        let (Some(post_id), Some(community_id)) = (entry.post_id, entry.community_id) else {
            continue;
        };
        let Some(view) = db::views::post(&mut conn, post_id).await? else {
            continue;
        };
        if view.community.id != community_id {
            continue;
        }
        if let Some(featured) = match entry.action.as_str() {
            "feature_post" => Some(true),
            "unfeature_post" => Some(false),
            _ => None,
        } {
            response.featured_posts.push(json!({
                "mod_feature_post": {
                    "id": entry.id, "mod_person_id": moderator.id, "post_id": post_id,
                    "featured": featured, "when_": entry.created_at,
                    "is_featured_community": true,
                },
                "moderator": ApiPerson::from(&moderator),
                "post": ApiPost::from(&view.post),
                "community": ApiCommunity::from(&view.community),
            }));
            continue;
        }
        if let Some(locked) = lock {
            response.locked_posts.push(ModLockPostView {
                mod_lock_post: ModLockPost {
                    id: entry.id,
                    mod_person_id: moderator.id,
                    post_id,
                    locked,
                    when_: entry.created_at,
                },
                moderator: (&moderator).into(),
                post: (&view.post).into(),
                community: (&view.community).into(),
            });
            continue;
        }
        match entry.comment_id {
            None => response.removed_posts.push(ModRemovePostView {
                mod_remove_post: ModRemovePost {
                    id: entry.id,
                    mod_person_id: moderator.id,
                    post_id,
                    reason: entry.reason.clone(),
                    removed,
                    when_: entry.created_at,
                },
                moderator: (&moderator).into(),
                post: (&view.post).into(),
                community: (&view.community).into(),
            }),
            Some(comment_id) => {
                let Some(comment) = db::views::comment(&mut conn, comment_id).await? else {
                    continue;
                };
                response.removed_comments.push(ModRemoveCommentView {
                    mod_remove_comment: ModRemoveComment {
                        id: entry.id,
                        mod_person_id: moderator.id,
                        comment_id,
                        reason: entry.reason.clone(),
                        removed,
                        when_: entry.created_at,
                    },
                    moderator: (&moderator).into(),
                    comment: (&comment.comment).into(),
                    commenter: (&comment.author).into(),
                    post: (&view.post).into(),
                    community: (&view.community).into(),
                });
            }
        }
    }
    Ok(Json(response))
}

/// Adds an entry about a person (moderators, bans) or a purge to its list; `false` when the
/// entry is about a post or comment instead.
async fn add_person_or_purge_entry(
    conn: &mut Connection,
    response: &mut GetModlogResponse,
    entry: &ModlogEntry,
    moderator: &Person,
) -> ApiResult<bool> {
    let person = match entry.target_person_id {
        Some(id) => db::people::by_id(conn, id).await?,
        None => None,
    };
    let community = match entry.community_id {
        Some(id) => db::communities::by_id(conn, id).await?,
        None => None,
    };
    let moderator_json = ApiPerson::from(moderator);
    let when = entry.created_at;
    match (entry.action.as_str(), person, community) {
        (action @ ("add_moderator" | "remove_moderator"), Some(person), Some(community)) => {
            response.added_to_community.push(json!({
                "mod_add_community": {
                    "id": entry.id, "mod_person_id": moderator.id, "other_person_id": person.id,
                    "community_id": community.id, "removed": action == "remove_moderator",
                    "when_": when,
                },
                "moderator": moderator_json,
                "community": ApiCommunity::from(&community),
                "modded_person": ApiPerson::from(&person),
            }));
        }
        (
            action @ ("ban_from_community" | "unban_from_community"),
            Some(person),
            Some(community),
        ) => {
            response.banned_from_community.push(json!({
                "mod_ban_from_community": {
                    "id": entry.id, "mod_person_id": moderator.id, "other_person_id": person.id,
                    "community_id": community.id, "reason": entry.reason,
                    "banned": action == "ban_from_community", "expires": entry.expires_at,
                    "when_": when,
                },
                "moderator": moderator_json,
                "community": ApiCommunity::from(&community),
                "banned_person": ApiPerson::from(&person),
            }));
        }
        (action @ ("ban" | "unban"), Some(person), _) => {
            response.banned.push(json!({
                "mod_ban": {
                    "id": entry.id, "mod_person_id": moderator.id, "other_person_id": person.id,
                    "reason": entry.reason, "banned": action == "ban",
                    "expires": entry.expires_at, "when_": when,
                },
                "moderator": moderator_json,
                "banned_person": ApiPerson::from(&person),
            }));
        }
        ("purge_person", _, _) => {
            response.admin_purged_persons.push(json!({
                "admin_purge_person": {
                    "id": entry.id, "admin_person_id": moderator.id, "reason": entry.reason,
                    "when_": when,
                },
                "admin": moderator_json,
            }));
        }
        ("purge_community", _, _) => {
            response.admin_purged_communities.push(json!({
                "admin_purge_community": {
                    "id": entry.id, "admin_person_id": moderator.id, "reason": entry.reason,
                    "when_": when,
                },
                "admin": moderator_json,
            }));
        }
        _ => return Ok(false),
    }
    Ok(true)
}
