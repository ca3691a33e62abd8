//! `GET /api/v3/community`.

use super::{
    ApiError, ApiResult, community_by_name,
    types::{ApiCommunityCounts, ApiCommunityView, ApiModeratorView},
};
use crate::{context::Context, db, db::models::Community};
use activitypub_federation::config::Data;
use axum::{Json, extract::Query};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
pub struct GetCommunity {
    id: Option<i64>,
    name: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct GetCommunityResponse {
    community_view: ApiCommunityView,
    moderators: Vec<ApiModeratorView>,
    discussion_languages: Vec<i32>,
}

pub async fn get_community(
    Query(query): Query<GetCommunity>,
    data: Data<Context>,
) -> ApiResult<Json<GetCommunityResponse>> {
    let community = match (query.id, query.name) {
        (Some(id), _) => {
            let mut conn = data.pool.get().await?;
            db::communities::by_id(&mut conn, id)
                .await?
                .ok_or(ApiError::not_found("couldnt_find_community"))?
        }
        (None, Some(name)) => community_by_name(&data, &name).await?,
        (None, None) => return Err(ApiError::bad_request("no_id_given")),
    };
    let (community_view, moderators) = community_view(&data, &community).await?;
    Ok(Json(GetCommunityResponse {
        community_view,
        moderators,
        discussion_languages: Vec::new(),
    }))
}

/// A community with its counts, and its moderators.
pub(super) async fn community_view(
    data: &Data<Context>,
    community: &Community,
) -> ApiResult<(ApiCommunityView, Vec<ApiModeratorView>)> {
    let mut conn = data.pool.get().await?;
    let subscribers = db::communities::follower_count(&mut conn, community.id).await?;
    let subscribers_local = db::follows::local_follower_count(&mut conn, community.id).await?;
    let posts = db::posts::count_in_community(&mut conn, community.id).await?;
    let moderators = db::communities::moderators(&mut conn, community.id).await?;
    let view = ApiCommunityView {
        community: community.into(),
        subscribed: "NotSubscribed",
        blocked: false,
        counts: ApiCommunityCounts {
            community_id: community.id,
            subscribers,
            posts,
            comments: 0,
            published: community.published_at,
            users_active_day: 0,
            users_active_week: 0,
            users_active_month: 0,
            users_active_half_year: 0,
            subscribers_local,
        },
        banned_from_community: false,
    };
    let moderators = moderators
        .iter()
        .map(|m| ApiModeratorView {
            community: community.into(),
            moderator: m.into(),
        })
        .collect();
    Ok((view, moderators))
}
