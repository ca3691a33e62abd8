//! `GET /api/v3/post` and `GET /api/v3/post/list`.

use super::{
    ApiError, ApiResult,
    communities::community_view,
    community_by_name,
    types::{ApiModeratorView, ApiPostView},
};
use crate::{
    context::Context,
    db::{
        self,
        views::{FeedScope, PostSort},
    },
};
use activitypub_federation::config::Data;
use axum::{Json, extract::Query};
use serde::{Deserialize, Serialize};

pub const DEFAULT_LIMIT: i64 = 10;
pub const MAX_LIMIT: i64 = 50;

#[derive(Debug, Deserialize)]
pub struct GetPost {
    id: Option<i64>,
    comment_id: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct GetPostResponse {
    post_view: ApiPostView,
    community_view: super::types::ApiCommunityView,
    moderators: Vec<ApiModeratorView>,
    cross_posts: Vec<ApiPostView>,
}

pub async fn get_post(
    Query(query): Query<GetPost>,
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
    drop(conn);
    let (community_view, moderators) = community_view(&data, &view.community).await?;
    Ok(Json(GetPostResponse {
        post_view: (&view).into(),
        community_view,
        moderators,
        cross_posts: Vec::new(),
    }))
}

#[derive(Debug, Deserialize)]
pub struct ListPosts {
    type_: Option<String>,
    sort: Option<String>,
    page: Option<i64>,
    limit: Option<i64>,
    community_id: Option<i64>,
    community_name: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ListPostsResponse {
    posts: Vec<ApiPostView>,
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

pub fn page_and_limit(page: Option<i64>, limit: Option<i64>) -> ApiResult<(i64, i64)> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    let page = page.unwrap_or(1);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_request("couldnt_get_posts"));
    }
    if page < 1 {
        return Err(ApiError::bad_request("couldnt_get_posts"));
    }
    Ok((limit, (page - 1) * limit))
}

pub async fn list_posts(
    Query(query): Query<ListPosts>,
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
            "Subscribed" | "ModeratorView" => return Err(ApiError::unauthorized()),
            _ => return Err(ApiError::bad_request("invalid_type")),
        }
    };
    let mut conn = data.pool.get().await?;
    let posts = db::views::posts(&mut conn, scope, sort, limit, offset).await?;
    Ok(Json(ListPostsResponse {
        posts: posts.iter().map(Into::into).collect(),
        next_page: None,
    }))
}
