//! The JSON client API: a subset of Lemmy's HTTP API v3, so that Lemmy apps work with Guild.
//! Handlers read through `db::views` and act through `service`; errors answer Lemmy's shape,
//! `{"error": "..."}`.

mod comments;
mod communities;
pub mod extract;
mod moderation;
mod modlog;
mod posts;
mod reports;
mod search;
mod site;
pub mod types;
mod users;
mod views;

use crate::{
    context::Context,
    db,
    federation::FederationError,
    service::{ServiceError, sessions::LoginError},
};
use activitypub_federation::config::Data;
use axum::{
    Json, Router,
    routing::{get, post, put},
};
use std::borrow::Cow;
use utoipa::OpenApi;

pub fn router() -> Router {
    Router::new().nest(
        "/api/v3",
        Router::new()
            .route("/site", get(site::get_site))
            .route("/user/register", post(users::register))
            .route("/user/login", post(users::login))
            .route("/user/logout", post(users::logout))
            .route("/user/change_password", put(users::change_password))
            .route("/user", get(users::get_person_details))
            .route("/user/replies", get(users::replies))
            .route("/user/mention", get(users::mentions))
            .route("/user/unread_count", get(users::unread_count))
            .route("/user/mark_all_as_read", post(users::mark_all_as_read))
            .route(
                "/community",
                get(communities::get_community).post(communities::create_community),
            )
            .route("/community/list", get(communities::list_communities))
            .route("/community/follow", post(communities::follow_community))
            .route(
                "/post",
                get(posts::get_post)
                    .post(posts::create_post)
                    .put(posts::edit_post),
            )
            .route("/post/list", get(posts::list_posts))
            .route("/post/delete", post(posts::delete_post))
            .route("/post/like", post(posts::like_post))
            .route("/post/save", put(posts::save_post))
            .route("/post/mark_as_read", post(posts::mark_post_as_read))
            .route("/post/remove", post(posts::remove_post))
            .route("/post/lock", post(posts::lock_post))
            .route("/post/feature", post(moderation::feature_post))
            .route("/post/report", post(reports::report_post))
            .route("/post/report/resolve", put(reports::resolve_post_report))
            .route("/post/report/list", get(reports::list_post_reports))
            .route("/community/mod", post(moderation::add_mod_to_community))
            .route("/community/ban_user", post(moderation::ban_from_community))
            .route("/user/ban", post(moderation::ban_person))
            .route("/admin/purge/person", post(moderation::purge_person))
            .route("/admin/purge/community", post(moderation::purge_community))
            .route(
                "/comment",
                get(comments::get_comment)
                    .post(comments::create_comment)
                    .put(comments::edit_comment),
            )
            .route("/comment/list", get(comments::list_comments))
            .route("/comment/delete", post(comments::delete_comment))
            .route("/comment/like", post(comments::like_comment))
            .route("/comment/remove", post(comments::remove_comment))
            .route("/comment/report", post(reports::report_comment))
            .route(
                "/comment/report/resolve",
                put(reports::resolve_comment_report),
            )
            .route("/comment/report/list", get(reports::list_comment_reports))
            .route("/modlog", get(modlog::get_modlog))
            .route("/comment/mark_as_read", post(users::mark_reply_as_read))
            .route("/search", get(search::search))
            .route("/resolve_object", get(search::resolve_object))
            .route("/openapi.json", get(openapi))
            .fallback(unknown_endpoint),
    )
}

/// The OpenAPI 3 description of this API, generated from the handlers and types above.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Guild client API",
        description = "The subset of Lemmy's HTTP API v3 (0.19) that Guild serves. Errors answer `{\"error\": \"snake_case_name\", \"message\": \"...\"}`. Send the token from login as `Authorization: Bearer TOKEN` or as the `jwt` cookie."
    ),
    paths(
        site::get_site,
        users::register,
        users::login,
        users::logout,
        users::change_password,
        users::get_person_details,
        users::replies,
        users::mentions,
        users::unread_count,
        users::mark_all_as_read,
        users::mark_reply_as_read,
        communities::get_community,
        communities::list_communities,
        communities::create_community,
        communities::follow_community,
        posts::get_post,
        posts::list_posts,
        posts::create_post,
        posts::edit_post,
        posts::delete_post,
        posts::like_post,
        posts::save_post,
        posts::mark_post_as_read,
        posts::remove_post,
        posts::lock_post,
        comments::get_comment,
        comments::list_comments,
        comments::create_comment,
        comments::edit_comment,
        comments::delete_comment,
        comments::like_comment,
        comments::remove_comment,
        moderation::feature_post,
        moderation::add_mod_to_community,
        moderation::ban_from_community,
        moderation::ban_person,
        moderation::purge_person,
        moderation::purge_community,
        reports::report_post,
        reports::report_comment,
        reports::resolve_post_report,
        reports::resolve_comment_report,
        reports::list_post_reports,
        reports::list_comment_reports,
        modlog::get_modlog,
        search::search,
        search::resolve_object,
    )
)]
pub struct ApiDoc;

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

async fn unknown_endpoint() -> ApiError {
    ApiError::not_found("unknown_endpoint")
        .with_message("Guild does not serve this part of Lemmy's API; see /api/v3/openapi.json")
}

/// What went wrong with an API call: an HTTP status, Lemmy's snake_case error name, and
/// for people a sentence saying more.
#[derive(Debug, thiserror::Error)]
#[error("{code}")]
pub struct ApiError {
    pub status: http::StatusCode,
    pub code: Cow<'static, str>,
    pub message: Option<String>,
}

impl ApiError {
    pub fn new(status: http::StatusCode, code: impl Into<Cow<'static, str>>) -> Self {
        ApiError {
            status,
            code: code.into(),
            message: None,
        }
    }

    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }

    pub fn bad_request(code: &'static str) -> Self {
        ApiError::new(http::StatusCode::BAD_REQUEST, code)
    }

    pub fn not_found(code: &'static str) -> Self {
        ApiError::new(http::StatusCode::NOT_FOUND, code)
    }

    pub fn forbidden(code: &'static str) -> Self {
        ApiError::new(http::StatusCode::FORBIDDEN, code)
    }

    pub fn unauthorized() -> Self {
        ApiError::new(http::StatusCode::UNAUTHORIZED, "not_logged_in")
    }

    /// A failure of ours, logged here; the client learns nothing of its detail.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(%detail, "API call failed");
        ApiError::new(http::StatusCode::INTERNAL_SERVER_ERROR, "internal_error")
    }
}

impl From<db::DbError> for ApiError {
    fn from(err: db::DbError) -> Self {
        ApiError::internal(err)
    }
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for ApiError {
    fn from(err: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        db::DbError::from(err).into()
    }
}

impl From<ServiceError> for ApiError {
    fn from(err: ServiceError) -> Self {
        use http::StatusCode;
        let message = err.to_string();
        let error = match err {
            ServiceError::Invalid(_) | ServiceError::InvalidField { .. } => {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_input")
            }
            ServiceError::NotFound(what) => ApiError::new(
                StatusCode::NOT_FOUND,
                format!("couldnt_find_{}", what.replace(' ', "_")),
            ),
            ServiceError::Conflict(_) => ApiError::new(StatusCode::CONFLICT, "already_exists"),
            ServiceError::Forbidden(_) => ApiError::new(StatusCode::FORBIDDEN, "forbidden"),
            ServiceError::Db(_) | ServiceError::Internal(_) => return ApiError::internal(err),
        };
        error.with_message(message)
    }
}

impl From<LoginError> for ApiError {
    fn from(err: LoginError) -> Self {
        use http::StatusCode;
        let message = err.to_string();
        match err {
            LoginError::IncorrectLogin => {
                ApiError::new(StatusCode::UNAUTHORIZED, "incorrect_login").with_message(message)
            }
            LoginError::RateLimited => {
                ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limit_error")
                    .with_message(message)
            }
            LoginError::Service(inner) => inner.into(),
        }
    }
}

/// Fetching something from another server failed: for an app, the object was not found.
impl From<FederationError> for ApiError {
    fn from(err: FederationError) -> Self {
        match err {
            FederationError::Service(inner) => inner.into(),
            FederationError::Db(_) => ApiError::internal(err),
            other => ApiError::not_found("couldnt_find_object").with_message(other.to_string()),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// A community named `name` (local) or `name@domain` (a stored remote one).
pub(crate) async fn community_by_name(
    data: &Data<Context>,
    name: &str,
) -> ApiResult<db::models::Community> {
    let mut conn = data.pool.get().await?;
    let found = match name.split_once('@') {
        Some((name, domain)) if !domain.eq_ignore_ascii_case(data.domain()) => {
            db::communities::remote_by_name(&mut conn, name, domain).await?
        }
        Some((name, _)) => db::communities::local_by_name(&mut conn, name).await?,
        None => db::communities::local_by_name(&mut conn, name).await?,
    };
    found.ok_or(ApiError::not_found("couldnt_find_community"))
}
