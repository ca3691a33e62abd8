//! Moderator and admin actions beyond removal and locks, in Lemmy's shapes: feature a post,
//! add or remove moderators, ban from a community or from the site, purge.

use super::{
    ApiError, ApiResult,
    communities::community_by_id,
    extract::{ApiJson, LoggedIn},
    posts::{own_content_only, post_by_id, post_response},
    types::{ApiModeratorView, ApiPersonView, PostResponse, SuccessResponse},
    views::person_view,
};
use crate::{
    context::Context,
    db::{self, models::Person},
    service::{self, moderation::BanTerms},
};
use activitypub_federation::config::Data;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

async fn person_by_id(data: &Data<Context>, id: i64) -> ApiResult<Person> {
    let mut conn = data.pool.get().await?;
    db::people::by_id(&mut conn, id)
        .await?
        .ok_or(ApiError::not_found("couldnt_find_person"))
}

/// Lemmy's `expires`: seconds since the epoch.
fn expiry(expires: Option<i64>) -> ApiResult<Option<DateTime<Utc>>> {
    expires
        .map(|secs| {
            DateTime::from_timestamp(secs, 0).ok_or(ApiError::bad_request("invalid_expiry_time"))
        })
        .transpose()
}

#[derive(Debug, Deserialize, ToSchema)]
pub enum PostFeatureType {
    /// Pinned at the top of its community.
    Community,
    /// Pinned at the top of the instance's front page (not supported).
    Local,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct FeaturePost {
    post_id: i64,
    featured: bool,
    feature_type: PostFeatureType,
}

/// A moderator of the post's (local) community features it at the top of the community,
/// or unfeatures it.
#[utoipa::path(post, path = "/api/v3/post/feature", request_body = FeaturePost,
    responses((status = 200, body = PostResponse), (status = 400), (status = 401), (status = 403, description = "not_a_moderator"), (status = 404)))]
pub async fn feature_post(
    LoggedIn(person): LoggedIn,
    data: Data<Context>,
    ApiJson(form): ApiJson<FeaturePost>,
) -> ApiResult<Json<PostResponse>> {
    if matches!(form.feature_type, PostFeatureType::Local) {
        return Err(ApiError::bad_request("invalid_input")
            .with_message("featuring on the front page is not supported; use Community"));
    }
    let post = post_by_id(&data, form.post_id).await?;
    service::moderation::set_featured(&data, &person, &post, form.featured)
        .await
        .map_err(|e| own_content_only(e, "not_a_moderator"))?;
    post_response(&data, &person, form.post_id).await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AddModToCommunity {
    community_id: i64,
    person_id: i64,
    added: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AddModToCommunityResponse {
    moderators: Vec<ApiModeratorView>,
}

/// A moderator (or admin) of a local community makes a local person a moderator, or stops.
#[utoipa::path(post, path = "/api/v3/community/mod", request_body = AddModToCommunity,
    responses((status = 200, body = AddModToCommunityResponse), (status = 400), (status = 401), (status = 403, description = "not_a_moderator"), (status = 404)))]
pub async fn add_mod_to_community(
    LoggedIn(person): LoggedIn,
    data: Data<Context>,
    ApiJson(form): ApiJson<AddModToCommunity>,
) -> ApiResult<Json<AddModToCommunityResponse>> {
    let community = community_by_id(&data, form.community_id).await?;
    let target = person_by_id(&data, form.person_id).await?;
    service::moderation::set_moderator(&data, &person, &community, &target, form.added)
        .await
        .map_err(|e| own_content_only(e, "not_a_moderator"))?;
    let mut conn = data.pool.get().await?;
    let moderators = db::communities::moderators(&mut conn, community.id)
        .await?
        .iter()
        .map(|moderator| ApiModeratorView {
            community: (&community).into(),
            moderator: moderator.into(),
        })
        .collect();
    Ok(Json(AddModToCommunityResponse { moderators }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct BanFromCommunity {
    community_id: i64,
    person_id: i64,
    ban: bool,
    remove_data: Option<bool>,
    reason: Option<String>,
    /// When the ban ends, in seconds since the epoch; never when absent.
    expires: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BanResponse {
    person_view: ApiPersonView,
    banned: bool,
}

/// A moderator of a local community bans a person from it, or lifts the ban.
#[utoipa::path(post, path = "/api/v3/community/ban_user", request_body = BanFromCommunity,
    responses((status = 200, body = BanResponse), (status = 400), (status = 401), (status = 403, description = "not_a_moderator"), (status = 404)))]
pub async fn ban_from_community(
    LoggedIn(person): LoggedIn,
    data: Data<Context>,
    ApiJson(form): ApiJson<BanFromCommunity>,
) -> ApiResult<Json<BanResponse>> {
    let community = community_by_id(&data, form.community_id).await?;
    let target = person_by_id(&data, form.person_id).await?;
    let terms = BanTerms {
        reason: form.reason.as_deref(),
        expires_at: expiry(form.expires)?,
        remove_content: form.remove_data.unwrap_or(false),
    };
    service::moderation::ban_from_community(&data, &person, &community, &target, form.ban, terms)
        .await
        .map_err(|e| own_content_only(e, "not_a_moderator"))?;
    let mut conn = data.pool.get().await?;
    Ok(Json(BanResponse {
        person_view: person_view(&mut conn, &target).await?,
        banned: form.ban,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct BanPerson {
    person_id: i64,
    ban: bool,
    remove_data: Option<bool>,
    reason: Option<String>,
    /// When the ban ends, in seconds since the epoch; never when absent.
    expires: Option<i64>,
}

/// An admin bans a person from this instance, or lifts the ban.
#[utoipa::path(post, path = "/api/v3/user/ban", request_body = BanPerson,
    responses((status = 200, body = BanResponse), (status = 400), (status = 401), (status = 403, description = "not_an_admin"), (status = 404)))]
pub async fn ban_person(
    LoggedIn(person): LoggedIn,
    data: Data<Context>,
    ApiJson(form): ApiJson<BanPerson>,
) -> ApiResult<Json<BanResponse>> {
    let target = person_by_id(&data, form.person_id).await?;
    let terms = BanTerms {
        reason: form.reason.as_deref(),
        expires_at: expiry(form.expires)?,
        remove_content: form.remove_data.unwrap_or(false),
    };
    let updated = service::moderation::ban_from_site(&data, &person, &target, form.ban, terms)
        .await
        .map_err(|e| own_content_only(e, "not_an_admin"))?;
    let mut conn = data.pool.get().await?;
    Ok(Json(BanResponse {
        person_view: person_view(&mut conn, &updated).await?,
        banned: form.ban,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PurgePerson {
    person_id: i64,
    reason: Option<String>,
}

/// An admin deletes a person and everything they wrote or voted here.
#[utoipa::path(post, path = "/api/v3/admin/purge/person", request_body = PurgePerson,
    responses((status = 200, body = SuccessResponse), (status = 401), (status = 403, description = "not_an_admin"), (status = 404)))]
pub async fn purge_person(
    LoggedIn(person): LoggedIn,
    data: Data<Context>,
    ApiJson(form): ApiJson<PurgePerson>,
) -> ApiResult<Json<SuccessResponse>> {
    let target = person_by_id(&data, form.person_id).await?;
    service::moderation::purge_person(&data, &person, &target, form.reason.as_deref())
        .await
        .map_err(|e| own_content_only(e, "not_an_admin"))?;
    Ok(Json(SuccessResponse { success: true }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PurgeCommunity {
    community_id: i64,
    reason: Option<String>,
}

/// An admin deletes this instance's copy of a remote community.
#[utoipa::path(post, path = "/api/v3/admin/purge/community", request_body = PurgeCommunity,
    responses((status = 200, body = SuccessResponse), (status = 401), (status = 403, description = "not_an_admin"), (status = 404)))]
pub async fn purge_community(
    LoggedIn(person): LoggedIn,
    data: Data<Context>,
    ApiJson(form): ApiJson<PurgeCommunity>,
) -> ApiResult<Json<SuccessResponse>> {
    let community = community_by_id(&data, form.community_id).await?;
    service::moderation::purge_community(&data, &person, &community, form.reason.as_deref())
        .await
        .map_err(|e| own_content_only(e, "not_an_admin"))?;
    Ok(Json(SuccessResponse { success: true }))
}
