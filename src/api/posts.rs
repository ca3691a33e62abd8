//! `GET /post`, `GET /post/list`, and the calls that write posts: create, edit, delete,
//! vote, save and mark as read.

use super::{
    ApiError, ApiResult,
    communities::{community_by_id, community_view},
    community_by_name,
    extract::{ApiJson, ApiQuery, LoggedIn, MaybeLoggedIn},
    types::{ApiCommunityView, ApiModeratorView, ApiPostView, PostResponse, SuccessResponse},
    views,
};
use crate::{
    context::Context,
    db::{
        self,
        models::{Person, Post},
        views::{FeedScope, PostCursor, PostFilter, PostSort},
    },
    federation::activities::StoredObject,
    service::{self, posts::PostInput},
};
use activitypub_federation::config::Data;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub const DEFAULT_LIMIT: i64 = 10;
pub const MAX_LIMIT: i64 = 50;
/// The most posts one mark-as-read call may name.
const MAX_MARKED: usize = 100;

#[derive(Debug, Deserialize, IntoParams)]
pub struct GetPost {
    id: Option<i64>,
    /// The post of this comment.
    comment_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GetPostResponse {
    post_view: ApiPostView,
    community_view: ApiCommunityView,
    moderators: Vec<ApiModeratorView>,
    cross_posts: Vec<ApiPostView>,
}

#[utoipa::path(get, path = "/api/v3/post", params(GetPost),
    responses((status = 200, body = GetPostResponse), (status = 404, description = "couldnt_find_post")))]
pub async fn get_post(
    ApiQuery(query): ApiQuery<GetPost>,
    MaybeLoggedIn(viewer): MaybeLoggedIn,
    data: Data<Context>,
) -> ApiResult<Json<GetPostResponse>> {
    let mut conn = data.pool.get().await?;
    let post_id = match (query.id, query.comment_id) {
        (Some(id), _) => id,
        (None, Some(comment_id)) => {
            db::comments::by_id(&mut conn, comment_id)
                .await?
                .ok_or(ApiError::not_found("couldnt_find_comment"))?
                .post_id
        }
        (None, None) => return Err(ApiError::bad_request("no_id_given")),
    };
    let view = db::views::post(&mut conn, post_id)
        .await?
        .ok_or(ApiError::not_found("couldnt_find_post"))?;
    let community = view.community.clone();
    let post_view = views::post_view(&mut conn, viewer.as_ref(), view).await?;
    drop(conn);
    let (community_view, moderators) = community_view(&data, viewer.as_ref(), &community).await?;
    Ok(Json(GetPostResponse {
        post_view,
        community_view,
        moderators,
        cross_posts: Vec::new(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListPosts {
    /// All, Local or Subscribed (signed in).
    type_: Option<String>,
    /// Hot, Active, New, Old, TopDay, TopWeek, TopMonth, TopAll or MostComments.
    sort: Option<String>,
    page: Option<i64>,
    /// Start after the last post of a previous answer (its `next_page`), as Lemmy 0.19 does;
    /// `page` is then ignored.
    page_cursor: Option<String>,
    limit: Option<i64>,
    community_id: Option<i64>,
    community_name: Option<String>,
    /// Only the posts the signed-in person saved.
    saved_only: Option<bool>,
    /// Leave out posts the signed-in person read.
    show_read: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ListPostsResponse {
    posts: Vec<ApiPostView>,
    /// The `page_cursor` of the page after this one, when this one is full.
    next_page: Option<String>,
}

pub fn parse_sort(sort: Option<&str>) -> ApiResult<PostSort> {
    Ok(match sort.unwrap_or("Hot") {
        "Hot" => PostSort::Hot,
        "Active" => PostSort::Active,
        "New" => PostSort::New,
        "Old" => PostSort::Old,
        "TopDay" => PostSort::TopDay,
        "TopWeek" => PostSort::TopWeek,
        "TopMonth" => PostSort::TopMonth,
        "TopAll" => PostSort::TopAll,
        "MostComments" => PostSort::MostComments,
        _ => return Err(ApiError::bad_request("invalid_sort")),
    })
}

/// `limit` and the row offset of `page` (both 1-based, as Lemmy's).
pub fn page_and_limit(page: Option<i64>, limit: Option<i64>) -> ApiResult<(i64, i64)> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    let page = page.unwrap_or(1);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_request("couldnt_get_posts")
            .with_message(format!("limit must be 1 to {MAX_LIMIT}")));
    }
    if !(1..=10_000).contains(&page) {
        return Err(
            ApiError::bad_request("couldnt_get_posts").with_message("page must be 1 to 10000")
        );
    }
    Ok((limit, (page - 1) * limit))
}

#[utoipa::path(get, path = "/api/v3/post/list", params(ListPosts),
    responses((status = 200, body = ListPostsResponse), (status = 400), (status = 401)))]
pub async fn list_posts(
    ApiQuery(query): ApiQuery<ListPosts>,
    MaybeLoggedIn(viewer): MaybeLoggedIn,
    data: Data<Context>,
) -> ApiResult<Json<ListPostsResponse>> {
    let sort = parse_sort(query.sort.as_deref())?;
    let (limit, offset) = page_and_limit(query.page, query.limit)?;
    let scope = if let Some(id) = query.community_id {
        FeedScope::Community(id)
    } else if let Some(name) = &query.community_name {
        FeedScope::Community(community_by_name(&data, name).await?.id)
    } else {
        match query.type_.as_deref().unwrap_or("All") {
            "All" => FeedScope::All,
            "Local" => FeedScope::Local,
            "Subscribed" => {
                FeedScope::Subscribed(viewer.as_ref().ok_or_else(ApiError::unauthorized)?.id)
            }
            "ModeratorView" => return Err(ApiError::forbidden("not_a_moderator")),
            _ => return Err(ApiError::bad_request("invalid_type")),
        }
    };
    let mut filter = PostFilter::default();
    if query.saved_only == Some(true) {
        filter.saved_by = Some(viewer.as_ref().ok_or_else(ApiError::unauthorized)?.id);
    }
    if query.show_read == Some(false) {
        filter.unread_by = viewer.as_ref().map(|v| v.id);
    }
    let cursor = query
        .page_cursor
        .as_deref()
        .map(|text| {
            PostCursor::decode(text, sort).ok_or_else(|| {
                ApiError::bad_request("couldnt_get_posts")
                    .with_message("page_cursor is not one this sort gave")
            })
        })
        .transpose()?;
    filter.after = cursor.as_ref();
    let offset = if cursor.is_some() { 0 } else { offset };
    let mut conn = data.pool.get().await?;
    let posts = db::views::filtered_posts(&mut conn, scope, sort, filter, limit, offset).await?;
    let next_page = posts
        .last()
        .filter(|_| posts.len() as i64 == limit)
        .map(|last| PostCursor::of(last, sort).encode());
    Ok(Json(ListPostsResponse {
        posts: views::post_views(&mut conn, viewer.as_ref(), &posts).await?,
        next_page,
    }))
}

/// A post by id, with what the answer shows, for the person asking.
pub(super) async fn post_response(
    data: &Data<Context>,
    viewer: &Person,
    post_id: i64,
) -> ApiResult<Json<PostResponse>> {
    let mut conn = data.pool.get().await?;
    let view = db::views::post(&mut conn, post_id)
        .await?
        .ok_or(ApiError::not_found("couldnt_find_post"))?;
    Ok(Json(PostResponse {
        post_view: views::post_view(&mut conn, Some(viewer), view).await?,
    }))
}

pub(super) async fn post_by_id(data: &Data<Context>, id: i64) -> ApiResult<Post> {
    let mut conn = data.pool.get().await?;
    db::posts::by_id(&mut conn, id)
        .await?
        .ok_or(ApiError::not_found("couldnt_find_post"))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreatePost {
    /// The title.
    name: String,
    community_id: i64,
    url: Option<String>,
    /// Markdown.
    body: Option<String>,
    nsfw: Option<bool>,
}

#[utoipa::path(post, path = "/api/v3/post", request_body = CreatePost,
    responses((status = 200, body = PostResponse), (status = 400), (status = 401), (status = 403), (status = 404)))]
pub async fn create_post(
    LoggedIn(person): LoggedIn,
    data: Data<Context>,
    ApiJson(form): ApiJson<CreatePost>,
) -> ApiResult<Json<PostResponse>> {
    let community = community_by_id(&data, form.community_id).await?;
    let input = PostInput {
        title: form.name,
        body: form.body,
        url: form.url.filter(|u| !u.trim().is_empty()),
        sensitive: form.nsfw.unwrap_or(false),
    };
    let post = service::posts::create_post(&data, &person, &community, input).await?;
    post_response(&data, &person, post.id).await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EditPost {
    post_id: i64,
    /// Fields left out keep their value.
    name: Option<String>,
    url: Option<String>,
    body: Option<String>,
    nsfw: Option<bool>,
}

#[utoipa::path(put, path = "/api/v3/post", request_body = EditPost,
    responses((status = 200, body = PostResponse), (status = 400), (status = 401), (status = 403), (status = 404)))]
pub async fn edit_post(
    LoggedIn(person): LoggedIn,
    data: Data<Context>,
    ApiJson(form): ApiJson<EditPost>,
) -> ApiResult<Json<PostResponse>> {
    let post = post_by_id(&data, form.post_id).await?;
    let input = PostInput {
        title: form.name.unwrap_or_else(|| post.title.clone()),
        body: form.body.or_else(|| post.body_source.clone()),
        url: match form.url {
            Some(url) if url.trim().is_empty() => None,
            Some(url) => Some(url),
            None => post.url.clone(),
        },
        sensitive: form.nsfw.unwrap_or(post.sensitive),
    };
    service::posts::edit_post(&data, &person, &post, input)
        .await
        .map_err(|e| own_content_only(e, "no_post_edit_allowed"))?;
    post_response(&data, &person, post.id).await
}

/// Lemmy names the refusal to touch someone else's content per call.
pub(super) fn own_content_only(err: service::ServiceError, code: &'static str) -> ApiError {
    match err {
        service::ServiceError::Forbidden(message) => {
            ApiError::forbidden(code).with_message(message)
        }
        other => other.into(),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DeletePost {
    post_id: i64,
    /// False restores a deleted post.
    deleted: bool,
}

#[utoipa::path(post, path = "/api/v3/post/delete", request_body = DeletePost,
    responses((status = 200, body = PostResponse), (status = 401), (status = 403), (status = 404)))]
pub async fn delete_post(
    LoggedIn(person): LoggedIn,
    data: Data<Context>,
    ApiJson(form): ApiJson<DeletePost>,
) -> ApiResult<Json<PostResponse>> {
    let post = post_by_id(&data, form.post_id).await?;
    service::posts::delete_post(&data, &person, &post, form.deleted)
        .await
        .map_err(|e| own_content_only(e, "no_post_edit_allowed"))?;
    post_response(&data, &person, post.id).await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreatePostLike {
    post_id: i64,
    /// 1 up, -1 down, 0 withdraws the vote.
    score: i16,
}

#[utoipa::path(post, path = "/api/v3/post/like", request_body = CreatePostLike,
    responses((status = 200, body = PostResponse), (status = 400), (status = 401), (status = 404)))]
pub async fn like_post(
    LoggedIn(person): LoggedIn,
    data: Data<Context>,
    ApiJson(form): ApiJson<CreatePostLike>,
) -> ApiResult<Json<PostResponse>> {
    let post = post_by_id(&data, form.post_id).await?;
    service::votes::vote(&data, &person, &StoredObject::Post(post), form.score).await?;
    post_response(&data, &person, form.post_id).await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SavePost {
    post_id: i64,
    save: bool,
}

#[utoipa::path(put, path = "/api/v3/post/save", request_body = SavePost,
    responses((status = 200, body = PostResponse), (status = 401), (status = 404)))]
pub async fn save_post(
    LoggedIn(person): LoggedIn,
    data: Data<Context>,
    ApiJson(form): ApiJson<SavePost>,
) -> ApiResult<Json<PostResponse>> {
    let post = post_by_id(&data, form.post_id).await?;
    let mut conn = data.pool.get().await?;
    db::personal::set_saved(&mut conn, person.id, post.id, form.save).await?;
    drop(conn);
    post_response(&data, &person, post.id).await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct MarkPostAsRead {
    /// Lemmy 0.19.4 and later send a list; earlier apps send `post_id`.
    post_ids: Option<Vec<i64>>,
    post_id: Option<i64>,
    read: bool,
}

#[utoipa::path(post, path = "/api/v3/post/mark_as_read", request_body = MarkPostAsRead,
    responses((status = 200, body = SuccessResponse), (status = 400), (status = 401), (status = 404)))]
pub async fn mark_post_as_read(
    LoggedIn(person): LoggedIn,
    data: Data<Context>,
    ApiJson(form): ApiJson<MarkPostAsRead>,
) -> ApiResult<Json<SuccessResponse>> {
    let mut ids = form.post_ids.unwrap_or_default();
    ids.extend(form.post_id);
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() || ids.len() > MAX_MARKED {
        return Err(ApiError::bad_request("invalid_input")
            .with_message(format!("name 1 to {MAX_MARKED} posts")));
    }
    let mut conn = data.pool.get().await?;
    for id in &ids {
        if db::posts::by_id(&mut conn, *id).await?.is_none() {
            return Err(ApiError::not_found("couldnt_find_post"));
        }
    }
    db::personal::set_read(&mut conn, person.id, &ids, form.read).await?;
    Ok(Json(SuccessResponse { success: true }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RemovePost {
    post_id: i64,
    /// False restores a removed post.
    removed: bool,
    reason: Option<String>,
}

/// A moderator of the post's (local) community, or an admin, removes or restores it.
#[utoipa::path(post, path = "/api/v3/post/remove", request_body = RemovePost,
    responses((status = 200, body = PostResponse), (status = 401), (status = 403, description = "not_a_moderator"), (status = 404)))]
pub async fn remove_post(
    LoggedIn(person): LoggedIn,
    data: Data<Context>,
    ApiJson(form): ApiJson<RemovePost>,
) -> ApiResult<Json<PostResponse>> {
    let post = post_by_id(&data, form.post_id).await?;
    service::moderation::set_removed(
        &data,
        &person,
        &StoredObject::Post(post),
        form.removed,
        form.reason.as_deref(),
    )
    .await
    .map_err(|e| own_content_only(e, "not_a_moderator"))?;
    post_response(&data, &person, form.post_id).await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LockPost {
    post_id: i64,
    locked: bool,
}

/// A moderator of the post's (local) community, or an admin, locks it (no more comments)
/// or unlocks it.
#[utoipa::path(post, path = "/api/v3/post/lock", request_body = LockPost,
    responses((status = 200, body = PostResponse), (status = 401), (status = 403, description = "not_a_moderator"), (status = 404)))]
pub async fn lock_post(
    LoggedIn(person): LoggedIn,
    data: Data<Context>,
    ApiJson(form): ApiJson<LockPost>,
) -> ApiResult<Json<PostResponse>> {
    let post = post_by_id(&data, form.post_id).await?;
    service::moderation::set_locked(&data, &person, &post, form.locked)
        .await
        .map_err(|e| own_content_only(e, "not_a_moderator"))?;
    post_response(&data, &person, form.post_id).await
}
