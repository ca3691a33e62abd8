//! `GET /comment`, `GET /comment/list`, and the calls that write comments: create, edit,
//! delete and vote.

use super::{
    ApiError, ApiResult,
    extract::{ApiJson, ApiQuery, LoggedIn, MaybeLoggedIn},
    posts::{own_content_only, page_and_limit, post_by_id},
    types::{ApiCommentView, CommentResponse},
    views::{self, CommentParts},
};
use crate::{
    context::Context,
    db::{self, models::Person, views::CommentFilter},
    federation::activities::StoredObject,
    service,
};
use activitypub_federation::config::Data;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListComments {
    /// A post's thread; without it (and without `parent_id`), the newest comments of a
    /// community or of everything.
    post_id: Option<i64>,
    /// The subtree under this comment.
    parent_id: Option<i64>,
    max_depth: Option<usize>,
    /// Hot, Top, New, Old or Controversial.
    sort: Option<String>,
    community_id: Option<i64>,
    /// All or Local, outside a thread.
    type_: Option<String>,
    page: Option<i64>,
    limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ListCommentsResponse {
    comments: Vec<ApiCommentView>,
}

/// A post's comments in thread order (or the subtree under `parent_id`), down to
/// `max_depth` levels, siblings ordered by `sort`.
#[utoipa::path(get, path = "/api/v3/comment/list", params(ListComments),
    responses((status = 200, body = ListCommentsResponse), (status = 400), (status = 404)))]
pub async fn list_comments(
    ApiQuery(query): ApiQuery<ListComments>,
    MaybeLoggedIn(viewer): MaybeLoggedIn,
    data: Data<Context>,
) -> ApiResult<Json<ListCommentsResponse>> {
    let sort = query.sort.as_deref().unwrap_or("Hot");
    if !matches!(sort, "Hot" | "Top" | "New" | "Old" | "Controversial") {
        return Err(ApiError::bad_request("invalid_sort"));
    }
    let mut conn = data.pool.get().await?;
    let (post_id, root) = match (query.post_id, query.parent_id) {
        (_, Some(parent_id)) => {
            let parent = db::comments::by_id(&mut conn, parent_id)
                .await?
                .ok_or(ApiError::not_found("couldnt_find_comment"))?;
            (parent.post_id, Some(parent))
        }
        (Some(post_id), None) => (post_id, None),
        (None, None) => {
            drop(conn);
            return latest_comments(&data, viewer.as_ref(), &query).await;
        }
    };
    let view = db::views::post(&mut conn, post_id)
        .await?
        .ok_or(ApiError::not_found("couldnt_find_post"))?;
    let mut comments = db::views::comments_of_post(&mut conn, post_id).await?;
    if let Some(root) = &root {
        comments.retain(|c| c.comment.id == root.id || c.comment.ancestors.contains(&root.id));
    }
    let base_depth = root.as_ref().map(|r| r.ancestors.len()).unwrap_or(0);
    if let Some(max_depth) = query.max_depth {
        comments.retain(|c| c.comment.ancestors.len() < base_depth + max_depth);
    }
    order_siblings(&mut comments, sort);
    let parts: Vec<CommentParts> = comments
        .iter()
        .map(|c| CommentParts {
            comment: &c.comment,
            author: &c.author,
            post: &view.post,
            community: &view.community,
        })
        .collect();
    Ok(Json(ListCommentsResponse {
        comments: views::comment_views(&mut conn, viewer.as_ref(), &parts).await?,
    }))
}

/// The newest comments outside any one thread.
async fn latest_comments(
    data: &Data<Context>,
    viewer: Option<&Person>,
    query: &ListComments,
) -> ApiResult<Json<ListCommentsResponse>> {
    let (limit, offset) = page_and_limit(query.page, query.limit)?;
    let local_only = match query.type_.as_deref().unwrap_or("All") {
        "All" => false,
        "Local" => true,
        _ => return Err(ApiError::bad_request("invalid_type")),
    };
    let filter = CommentFilter {
        community: query.community_id,
        local_only,
        ..CommentFilter::default()
    };
    let mut conn = data.pool.get().await?;
    let found = db::views::comments_in_context(&mut conn, filter, limit, offset).await?;
    Ok(Json(ListCommentsResponse {
        comments: views::comment_views(&mut conn, viewer, &parts_of(&found)).await?,
    }))
}

pub(super) fn parts_of(found: &[db::views::CommentInContext]) -> Vec<CommentParts<'_>> {
    found
        .iter()
        .map(|c| CommentParts {
            comment: &c.comment,
            author: &c.author,
            post: &c.post,
            community: &c.community,
        })
        .collect()
}

/// Orders each comment's replies by `sort`, keeping every reply after its parent.
fn order_siblings(comments: &mut [db::views::CommentView], sort: &str) {
    // A comment's sort key is the path of (sibling rank, id) pairs from the root; sorting
    // by it orders the whole tree at once.
    let key_of = |c: &db::views::CommentView| -> (i64, i64) {
        let c = &c.comment;
        match sort {
            "New" => (-c.published_at.timestamp_micros(), c.id),
            "Old" => (c.published_at.timestamp_micros(), c.id),
            _ => (-(c.score as i64), c.id),
        }
    };
    let keys: std::collections::HashMap<i64, (i64, i64)> =
        comments.iter().map(|c| (c.comment.id, key_of(c))).collect();
    comments.sort_by_cached_key(|c| {
        let mut path: Vec<(i64, i64)> = c
            .comment
            .ancestors
            .iter()
            .map(|id| keys.get(id).copied().unwrap_or((0, *id)))
            .collect();
        path.push(keys[&c.comment.id]);
        path
    });
}

/// One comment as the person asking sees it, or 404.
async fn comment_response(
    data: &Data<Context>,
    viewer: Option<&Person>,
    comment_id: i64,
) -> ApiResult<Json<CommentResponse>> {
    let mut conn = data.pool.get().await?;
    let ids = [comment_id];
    let filter = CommentFilter {
        ids: Some(&ids),
        ..CommentFilter::default()
    };
    let found = db::views::comments_in_context(&mut conn, filter, 1, 0).await?;
    let mut views = views::comment_views(&mut conn, viewer, &parts_of(&found)).await?;
    if views.is_empty() {
        return Err(ApiError::not_found("couldnt_find_comment"));
    }
    Ok(Json(CommentResponse {
        comment_view: views.remove(0),
        recipient_ids: Vec::new(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct GetComment {
    id: i64,
}

#[utoipa::path(get, path = "/api/v3/comment", params(GetComment),
    responses((status = 200, body = CommentResponse), (status = 404, description = "couldnt_find_comment")))]
pub async fn get_comment(
    ApiQuery(query): ApiQuery<GetComment>,
    MaybeLoggedIn(viewer): MaybeLoggedIn,
    data: Data<Context>,
) -> ApiResult<Json<CommentResponse>> {
    comment_response(&data, viewer.as_ref(), query.id).await
}

async fn comment_by_id(data: &Data<Context>, id: i64) -> ApiResult<db::models::Comment> {
    let mut conn = data.pool.get().await?;
    db::comments::by_id(&mut conn, id)
        .await?
        .ok_or(ApiError::not_found("couldnt_find_comment"))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateComment {
    /// Markdown.
    content: String,
    post_id: i64,
    /// The comment this one answers; left out for a top-level comment.
    parent_id: Option<i64>,
}

#[utoipa::path(post, path = "/api/v3/comment", request_body = CreateComment,
    responses((status = 200, body = CommentResponse), (status = 400), (status = 401), (status = 403), (status = 404)))]
pub async fn create_comment(
    LoggedIn(person): LoggedIn,
    data: Data<Context>,
    ApiJson(form): ApiJson<CreateComment>,
) -> ApiResult<Json<CommentResponse>> {
    let post = post_by_id(&data, form.post_id).await?;
    let parent = match form.parent_id {
        Some(id) => {
            let parent = comment_by_id(&data, id).await?;
            if parent.post_id != post.id {
                return Err(ApiError::bad_request("invalid_input")
                    .with_message("the parent comment belongs to another post"));
            }
            Some(parent)
        }
        None => None,
    };
    let comment =
        service::comments::create_comment(&data, &person, &post, parent.as_ref(), &form.content)
            .await?;
    comment_response(&data, Some(&person), comment.id).await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EditComment {
    comment_id: i64,
    content: Option<String>,
}

#[utoipa::path(put, path = "/api/v3/comment", request_body = EditComment,
    responses((status = 200, body = CommentResponse), (status = 400), (status = 401), (status = 403), (status = 404)))]
pub async fn edit_comment(
    LoggedIn(person): LoggedIn,
    data: Data<Context>,
    ApiJson(form): ApiJson<EditComment>,
) -> ApiResult<Json<CommentResponse>> {
    let comment = comment_by_id(&data, form.comment_id).await?;
    if let Some(content) = &form.content {
        service::comments::edit_comment(&data, &person, &comment, content)
            .await
            .map_err(|e| own_content_only(e, "no_comment_edit_allowed"))?;
    }
    comment_response(&data, Some(&person), comment.id).await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DeleteComment {
    comment_id: i64,
    /// False restores a deleted comment.
    deleted: bool,
}

#[utoipa::path(post, path = "/api/v3/comment/delete", request_body = DeleteComment,
    responses((status = 200, body = CommentResponse), (status = 401), (status = 403), (status = 404)))]
pub async fn delete_comment(
    LoggedIn(person): LoggedIn,
    data: Data<Context>,
    ApiJson(form): ApiJson<DeleteComment>,
) -> ApiResult<Json<CommentResponse>> {
    let comment = comment_by_id(&data, form.comment_id).await?;
    service::comments::delete_comment(&data, &person, &comment, form.deleted)
        .await
        .map_err(|e| own_content_only(e, "no_comment_edit_allowed"))?;
    comment_response(&data, Some(&person), comment.id).await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateCommentLike {
    comment_id: i64,
    /// 1 up, -1 down, 0 withdraws the vote.
    score: i16,
}

#[utoipa::path(post, path = "/api/v3/comment/like", request_body = CreateCommentLike,
    responses((status = 200, body = CommentResponse), (status = 400), (status = 401), (status = 404)))]
pub async fn like_comment(
    LoggedIn(person): LoggedIn,
    data: Data<Context>,
    ApiJson(form): ApiJson<CreateCommentLike>,
) -> ApiResult<Json<CommentResponse>> {
    let comment = comment_by_id(&data, form.comment_id).await?;
    service::votes::vote(&data, &person, &StoredObject::Comment(comment), form.score).await?;
    comment_response(&data, Some(&person), form.comment_id).await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RemoveComment {
    comment_id: i64,
    /// False restores a removed comment.
    removed: bool,
    reason: Option<String>,
}

/// A moderator of the comment's (local) community, or an admin, removes or restores it.
#[utoipa::path(post, path = "/api/v3/comment/remove", request_body = RemoveComment,
    responses((status = 200, body = CommentResponse), (status = 401), (status = 403, description = "not_a_moderator"), (status = 404)))]
pub async fn remove_comment(
    LoggedIn(person): LoggedIn,
    data: Data<Context>,
    ApiJson(form): ApiJson<RemoveComment>,
) -> ApiResult<Json<CommentResponse>> {
    let comment = comment_by_id(&data, form.comment_id).await?;
    service::moderation::set_removed(
        &data,
        &person,
        &StoredObject::Comment(comment),
        form.removed,
        form.reason.as_deref(),
    )
    .await
    .map_err(|e| own_content_only(e, "not_a_moderator"))?;
    comment_response(&data, Some(&person), form.comment_id).await
}
