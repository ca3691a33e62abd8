//! `GET /community`, `GET /community/list`, `POST /community`, `POST /community/follow`.

use super::{
    ApiError, ApiResult, community_by_name,
    extract::{ApiJson, ApiQuery, LoggedIn, MaybeLoggedIn},
    posts::page_and_limit,
    types::{ApiCommunityView, ApiModeratorView, CommunityResponse},
    views,
};
use crate::{
    context::Context,
    db::{
        self,
        communities::{CommunityFilter, CommunitySort},
        models::{Community, Person},
    },
    service::{self, communities::NewCommunity},
};
use activitypub_federation::config::Data;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
pub struct GetCommunity {
    id: Option<i64>,
    /// `name` for a local community, `name@domain` for a remote one.
    name: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GetCommunityResponse {
    community_view: ApiCommunityView,
    moderators: Vec<ApiModeratorView>,
    discussion_languages: Vec<i32>,
}

#[utoipa::path(get, path = "/api/v3/community", params(GetCommunity),
    responses((status = 200, body = GetCommunityResponse), (status = 404, description = "couldnt_find_community")))]
pub async fn get_community(
    ApiQuery(query): ApiQuery<GetCommunity>,
    MaybeLoggedIn(viewer): MaybeLoggedIn,
    data: Data<Context>,
) -> ApiResult<Json<GetCommunityResponse>> {
    let community = match (query.id, query.name) {
        (Some(id), _) => community_by_id(&data, id).await?,
        (None, Some(name)) => community_by_name(&data, &name).await?,
        (None, None) => return Err(ApiError::bad_request("no_id_given")),
    };
    let (community_view, moderators) = community_view(&data, viewer.as_ref(), &community).await?;
    Ok(Json(GetCommunityResponse {
        community_view,
        moderators,
        discussion_languages: Vec::new(),
    }))
}

pub(super) async fn community_by_id(data: &Data<Context>, id: i64) -> ApiResult<Community> {
    let mut conn = data.pool.get().await?;
    db::communities::by_id(&mut conn, id)
        .await?
        .filter(|c| !c.deleted)
        .ok_or(ApiError::not_found("couldnt_find_community"))
}

/// A community with its counts, and its moderators.
pub(super) async fn community_view(
    data: &Data<Context>,
    viewer: Option<&Person>,
    community: &Community,
) -> ApiResult<(ApiCommunityView, Vec<ApiModeratorView>)> {
    let mut conn = data.pool.get().await?;
    let view = views::community_view(&mut conn, viewer, community).await?;
    let moderators = db::communities::moderators(&mut conn, community.id)
        .await?
        .iter()
        .map(|m| ApiModeratorView {
            community: community.into(),
            moderator: m.into(),
        })
        .collect();
    Ok((view, moderators))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListCommunities {
    /// All, Local or Subscribed.
    type_: Option<String>,
    /// New and Old order by age, Alphabetical by name; every other sort lists the most
    /// followed first.
    sort: Option<String>,
    show_nsfw: Option<bool>,
    page: Option<i64>,
    limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ListCommunitiesResponse {
    communities: Vec<ApiCommunityView>,
}

pub(super) fn parse_community_sort(sort: Option<&str>) -> ApiResult<CommunitySort> {
    Ok(match sort.unwrap_or("Hot") {
        "New" => CommunitySort::New,
        "Old" => CommunitySort::Old,
        "Alphabetical" | "NameAsc" => CommunitySort::Name,
        "Hot" | "Active" | "Scaled" | "Controversial" | "MostComments" | "NewComments"
        | "TopAll" | "TopDay" | "TopWeek" | "TopMonth" | "TopYear" | "TopHour" | "TopSixHour"
        | "TopTwelveHour" | "TopThreeMonths" | "TopSixMonths" | "TopNineMonths" => {
            CommunitySort::Popular
        }
        _ => return Err(ApiError::bad_request("invalid_sort")),
    })
}

#[utoipa::path(get, path = "/api/v3/community/list", params(ListCommunities),
    responses((status = 200, body = ListCommunitiesResponse)))]
pub async fn list_communities(
    ApiQuery(query): ApiQuery<ListCommunities>,
    MaybeLoggedIn(viewer): MaybeLoggedIn,
    data: Data<Context>,
) -> ApiResult<Json<ListCommunitiesResponse>> {
    let sort = parse_community_sort(query.sort.as_deref())?;
    let (limit, offset) = page_and_limit(query.page, query.limit)?;
    let mut filter = CommunityFilter::default();
    match query.type_.as_deref().unwrap_or("All") {
        "All" => {}
        "Local" => filter.local_only = true,
        "Subscribed" => {
            let viewer = viewer.as_ref().ok_or_else(ApiError::unauthorized)?;
            filter.followed_by = Some(viewer.id);
        }
        _ => return Err(ApiError::bad_request("invalid_type")),
    }
    let mut conn = data.pool.get().await?;
    let mut communities = db::communities::list(&mut conn, filter, sort, limit, offset).await?;
    if query.show_nsfw != Some(true) {
        communities.retain(|c| !c.sensitive);
    }
    Ok(Json(ListCommunitiesResponse {
        communities: views::community_views(&mut conn, viewer.as_ref(), &communities).await?,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateCommunity {
    name: String,
    title: String,
    description: Option<String>,
}

#[utoipa::path(post, path = "/api/v3/community", request_body = CreateCommunity,
    responses((status = 200, body = CommunityResponse), (status = 400), (status = 401), (status = 409)))]
pub async fn create_community(
    LoggedIn(person): LoggedIn,
    data: Data<Context>,
    ApiJson(form): ApiJson<CreateCommunity>,
) -> ApiResult<Json<CommunityResponse>> {
    let community = service::communities::create_community(
        &data,
        NewCommunity {
            name: form.name,
            title: form.title,
            description: form.description,
            moderator_id: Some(person.id),
            topic: None,
        },
    )
    .await
    .map_err(|err| match err {
        service::ServiceError::Conflict(message) => {
            ApiError::bad_request("community_already_exists").with_message(message)
        }
        other => other.into(),
    })?;
    let (community_view, _) = community_view(&data, Some(&person), &community).await?;
    Ok(Json(CommunityResponse {
        community_view,
        discussion_languages: Vec::new(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct FollowCommunity {
    community_id: i64,
    follow: bool,
}

/// Following a remote community answers `Pending` until its Accept arrives.
#[utoipa::path(post, path = "/api/v3/community/follow", request_body = FollowCommunity,
    responses((status = 200, body = CommunityResponse), (status = 401), (status = 403), (status = 404)))]
pub async fn follow_community(
    LoggedIn(person): LoggedIn,
    data: Data<Context>,
    ApiJson(form): ApiJson<FollowCommunity>,
) -> ApiResult<Json<CommunityResponse>> {
    let community = community_by_id(&data, form.community_id).await?;
    if form.follow {
        service::follows::follow_community(&data, &person, &community).await?;
    } else {
        service::follows::unfollow_community(&data, &person, &community).await?;
    }
    let (community_view, _) = community_view(&data, Some(&person), &community).await?;
    Ok(Json(CommunityResponse {
        community_view,
        discussion_languages: Vec::new(),
    }))
}
