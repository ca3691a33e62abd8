//! The JSON client API: a subset of Lemmy's HTTP API v3, so that Lemmy apps work with Guild.
//! Handlers read through `db::views` and act through `service`; errors answer Lemmy's shape,
//! `{"error": "..."}`.

mod comments;
mod communities;
mod posts;
pub mod types;

use crate::{context::Context, db};
use activitypub_federation::config::Data;
use axum::{Router, routing::get};

pub fn router() -> Router {
    Router::new().nest(
        "/api/v3",
        Router::new()
            .route("/post", get(posts::get_post))
            .route("/post/list", get(posts::list_posts))
            .route("/comment/list", get(comments::list_comments))
            .route("/community", get(communities::get_community)),
    )
}

/// What went wrong with an API call: an HTTP status and Lemmy's snake_case error name.
#[derive(Debug, thiserror::Error)]
#[error("{code}")]
pub struct ApiError {
    pub status: http::StatusCode,
    pub code: &'static str,
}

impl ApiError {
    pub fn bad_request(code: &'static str) -> Self {
        ApiError {
            status: http::StatusCode::BAD_REQUEST,
            code,
        }
    }

    pub fn not_found(code: &'static str) -> Self {
        ApiError {
            status: http::StatusCode::NOT_FOUND,
            code,
        }
    }

    pub fn unauthorized() -> Self {
        ApiError {
            status: http::StatusCode::UNAUTHORIZED,
            code: "not_logged_in",
        }
    }
}

impl From<db::DbError> for ApiError {
    fn from(err: db::DbError) -> Self {
        tracing::error!(%err, "API call failed");
        ApiError {
            status: http::StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal_error",
        }
    }
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for ApiError {
    fn from(err: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        db::DbError::from(err).into()
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
