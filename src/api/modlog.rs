//! `GET /modlog`: the public record of moderator actions, in Lemmy's shape. Guild records
//! removals and restores of posts and comments and locks of posts; Lemmy's other lists are
//! empty.

use super::{
    ApiResult,
    extract::ApiQuery,
    posts::page_and_limit,
    types::{ApiComment, ApiCommunity, ApiPerson, ApiPost},
};
use crate::{context::Context, db};
use activitypub_federation::config::Data;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
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
