//! Reports in Lemmy's shapes: anyone signed in reports a post or comment; the community's
//! moderators (and admins) list and resolve them.

use super::{
    ApiError, ApiResult,
    extract::{ApiJson, ApiQuery, LoggedIn},
    posts::{own_content_only, page_and_limit, post_by_id},
    types::{ApiComment, ApiCommunity, ApiPerson, ApiPost},
};
use crate::{
    context::Context,
    db::{
        self, Connection,
        models::{Community, Person},
        reports::Report,
    },
    federation::activities::StoredObject,
    service,
};
use activitypub_federation::config::Data;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct PostReport {
    id: i64,
    creator_id: i64,
    post_id: i64,
    original_post_name: String,
    original_post_body: Option<String>,
    reason: String,
    resolved: bool,
    resolver_id: Option<i64>,
    published: DateTime<Utc>,
    updated: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PostReportView {
    post_report: PostReport,
    post: ApiPost,
    community: ApiCommunity,
    creator: ApiPerson,
    post_creator: ApiPerson,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommentReport {
    id: i64,
    creator_id: i64,
    comment_id: i64,
    original_comment_text: String,
    reason: String,
    resolved: bool,
    resolver_id: Option<i64>,
    published: DateTime<Utc>,
    updated: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommentReportView {
    comment_report: CommentReport,
    comment: ApiComment,
    post: ApiPost,
    community: ApiCommunity,
    creator: ApiPerson,
    comment_creator: ApiPerson,
}

async fn post_report_view(
    conn: &mut Connection,
    report: Report,
    reporter: &Person,
    community: &Community,
) -> ApiResult<Option<PostReportView>> {
    let Some(view) = db::views::post(conn, report.post_id).await? else {
        return Ok(None);
    };
    let (name, body) = match report.original_text.split_once("\n\n") {
        Some((name, body)) => (name.to_string(), Some(body.to_string())),
        None => (report.original_text.clone(), None),
    };
    Ok(Some(PostReportView {
        post_report: PostReport {
            id: report.id,
            creator_id: report.reporter_id,
            post_id: report.post_id,
            original_post_name: name,
            original_post_body: body,
            reason: report.reason,
            resolved: report.resolved,
            resolver_id: report.resolver_id,
            published: report.created_at,
            updated: report.updated_at,
        },
        post: (&view.post).into(),
        community: community.into(),
        creator: reporter.into(),
        post_creator: (&view.author).into(),
    }))
}

async fn comment_report_view(
    conn: &mut Connection,
    report: Report,
    reporter: &Person,
    community: &Community,
) -> ApiResult<Option<CommentReportView>> {
    let Some(comment_id) = report.comment_id else {
        return Ok(None);
    };
    let (Some(comment), Some(post)) = (
        db::views::comment(conn, comment_id).await?,
        db::posts::by_id(conn, report.post_id).await?,
    ) else {
        return Ok(None);
    };
    Ok(Some(CommentReportView {
        comment_report: CommentReport {
            id: report.id,
            creator_id: report.reporter_id,
            comment_id,
            original_comment_text: report.original_text,
            reason: report.reason,
            resolved: report.resolved,
            resolver_id: report.resolver_id,
            published: report.created_at,
            updated: report.updated_at,
        },
        comment: (&comment.comment).into(),
        post: (&post).into(),
        community: community.into(),
        creator: reporter.into(),
        comment_creator: (&comment.author).into(),
    }))
}

/// A report with its reporter and community, found by id.
async fn report_parts(
    conn: &mut Connection,
    report: Report,
) -> ApiResult<(Report, Person, Community)> {
    let reporter = db::people::by_id(conn, report.reporter_id)
        .await?
        .ok_or(ApiError::not_found("couldnt_find_report"))?;
    let community = db::communities::by_id(conn, report.community_id)
        .await?
        .ok_or(ApiError::not_found("couldnt_find_report"))?;
    Ok((report, reporter, community))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreatePostReport {
    post_id: i64,
    reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PostReportResponse {
    post_report_view: PostReportView,
}

#[utoipa::path(post, path = "/api/v3/post/report", request_body = CreatePostReport,
    responses((status = 200, body = PostReportResponse), (status = 400), (status = 401), (status = 404)))]
pub async fn report_post(
    LoggedIn(person): LoggedIn,
    data: Data<Context>,
    ApiJson(form): ApiJson<CreatePostReport>,
) -> ApiResult<Json<PostReportResponse>> {
    let post = post_by_id(&data, form.post_id).await?;
    let report =
        service::reports::report(&data, &person, &StoredObject::Post(post), &form.reason).await?;
    post_report_response(&data, report).await
}

async fn post_report_response(
    data: &Data<Context>,
    report: Report,
) -> ApiResult<Json<PostReportResponse>> {
    let mut conn = data.pool.get().await?;
    let (report, reporter, community) = report_parts(&mut conn, report).await?;
    let view = post_report_view(&mut conn, report, &reporter, &community)
        .await?
        .ok_or(ApiError::not_found("couldnt_find_post"))?;
    Ok(Json(PostReportResponse {
        post_report_view: view,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateCommentReport {
    comment_id: i64,
    reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommentReportResponse {
    comment_report_view: CommentReportView,
}

#[utoipa::path(post, path = "/api/v3/comment/report", request_body = CreateCommentReport,
    responses((status = 200, body = CommentReportResponse), (status = 400), (status = 401), (status = 404)))]
pub async fn report_comment(
    LoggedIn(person): LoggedIn,
    data: Data<Context>,
    ApiJson(form): ApiJson<CreateCommentReport>,
) -> ApiResult<Json<CommentReportResponse>> {
    let mut conn = data.pool.get().await?;
    let comment = db::comments::by_id(&mut conn, form.comment_id)
        .await?
        .ok_or(ApiError::not_found("couldnt_find_comment"))?;
    drop(conn);
    let report = service::reports::report(
        &data,
        &person,
        &StoredObject::Comment(comment),
        &form.reason,
    )
    .await?;
    comment_report_response(&data, report).await
}

async fn comment_report_response(
    data: &Data<Context>,
    report: Report,
) -> ApiResult<Json<CommentReportResponse>> {
    let mut conn = data.pool.get().await?;
    let (report, reporter, community) = report_parts(&mut conn, report).await?;
    let view = comment_report_view(&mut conn, report, &reporter, &community)
        .await?
        .ok_or(ApiError::not_found("couldnt_find_comment"))?;
    Ok(Json(CommentReportResponse {
        comment_report_view: view,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ResolveReport {
    report_id: i64,
    resolved: bool,
}

#[utoipa::path(put, path = "/api/v3/post/report/resolve", request_body = ResolveReport,
    responses((status = 200, body = PostReportResponse), (status = 401), (status = 403, description = "not_a_moderator"), (status = 404)))]
pub async fn resolve_post_report(
    LoggedIn(person): LoggedIn,
    data: Data<Context>,
    ApiJson(form): ApiJson<ResolveReport>,
) -> ApiResult<Json<PostReportResponse>> {
    let report = service::reports::resolve(&data, &person, form.report_id, form.resolved)
        .await
        .map_err(|e| own_content_only(e, "not_a_moderator"))?;
    post_report_response(&data, report).await
}

#[utoipa::path(put, path = "/api/v3/comment/report/resolve", request_body = ResolveReport,
    responses((status = 200, body = CommentReportResponse), (status = 401), (status = 403, description = "not_a_moderator"), (status = 404)))]
pub async fn resolve_comment_report(
    LoggedIn(person): LoggedIn,
    data: Data<Context>,
    ApiJson(form): ApiJson<ResolveReport>,
) -> ApiResult<Json<CommentReportResponse>> {
    let report = service::reports::resolve(&data, &person, form.report_id, form.resolved)
        .await
        .map_err(|e| own_content_only(e, "not_a_moderator"))?;
    comment_report_response(&data, report).await
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListReports {
    page: Option<i64>,
    limit: Option<i64>,
    unresolved_only: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ListPostReportsResponse {
    post_reports: Vec<PostReportView>,
}

/// The post reports the person asking may handle (none unless they moderate or administer).
#[utoipa::path(get, path = "/api/v3/post/report/list", params(ListReports),
    responses((status = 200, body = ListPostReportsResponse), (status = 401)))]
pub async fn list_post_reports(
    LoggedIn(person): LoggedIn,
    data: Data<Context>,
    ApiQuery(query): ApiQuery<ListReports>,
) -> ApiResult<Json<ListPostReportsResponse>> {
    let (limit, offset) = page_and_limit(query.page, query.limit)?;
    let unresolved_only = query.unresolved_only.unwrap_or(false);
    let reports =
        service::reports::queue(&data, &person, unresolved_only, Some(false), limit, offset)
            .await?;
    let mut conn = data.pool.get().await?;
    let mut post_reports = Vec::with_capacity(reports.len());
    for (report, reporter, community) in reports {
        if let Some(view) = post_report_view(&mut conn, report, &reporter, &community).await? {
            post_reports.push(view);
        }
    }
    Ok(Json(ListPostReportsResponse { post_reports }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ListCommentReportsResponse {
    comment_reports: Vec<CommentReportView>,
}

/// The comment reports the person asking may handle.
#[utoipa::path(get, path = "/api/v3/comment/report/list", params(ListReports),
    responses((status = 200, body = ListCommentReportsResponse), (status = 401)))]
pub async fn list_comment_reports(
    LoggedIn(person): LoggedIn,
    data: Data<Context>,
    ApiQuery(query): ApiQuery<ListReports>,
) -> ApiResult<Json<ListCommentReportsResponse>> {
    let (limit, offset) = page_and_limit(query.page, query.limit)?;
    let unresolved_only = query.unresolved_only.unwrap_or(false);
    let reports =
        service::reports::queue(&data, &person, unresolved_only, Some(true), limit, offset).await?;
    let mut conn = data.pool.get().await?;
    let mut comment_reports = Vec::with_capacity(reports.len());
    for (report, reporter, community) in reports {
        if let Some(view) = comment_report_view(&mut conn, report, &reporter, &community).await? {
            comment_reports.push(view);
        }
    }
    Ok(Json(ListCommentReportsResponse { comment_reports }))
}
