//! Errors as HTTP answers, in one place: each layer's error type maps to a status code and
//! a short JSON body `{"error": "..."}`. Internal failures are logged and answered with a
//! generic message, so no detail of ours (queries, paths, keys) reaches a client.

use crate::{
    api::ApiError, config::ConfigError, db::DbError, embedded_pg::EmbeddedPgError,
    federation::FederationError, service::ServiceError,
};
use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::json;

/// Why Guild could not start or a command could not finish.
#[derive(Debug, thiserror::Error)]
pub enum GuildError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    EmbeddedPg(#[from] EmbeddedPgError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error(transparent)]
    Federation(#[from] FederationError),
    #[error("{0}")]
    Startup(String),
    /// The command line asked for something that cannot be done.
    #[error("{0}")]
    Usage(String),
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

fn error_response(status: StatusCode, message: String) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

fn internal(err: &dyn std::fmt::Display) -> Response {
    tracing::error!(%err, "request failed");
    error_response(StatusCode::INTERNAL_SERVER_ERROR, "internal error".into())
}

impl IntoResponse for ServiceError {
    fn into_response(self) -> Response {
        let status = match &self {
            ServiceError::Invalid(_) | ServiceError::InvalidField { .. } => StatusCode::BAD_REQUEST,
            ServiceError::NotFound(_) => StatusCode::NOT_FOUND,
            ServiceError::Conflict(_) => StatusCode::CONFLICT,
            ServiceError::Forbidden(_) => StatusCode::FORBIDDEN,
            ServiceError::Db(_) | ServiceError::Internal(_) => return internal(&self),
        };
        error_response(status, self.to_string())
    }
}

impl IntoResponse for FederationError {
    fn into_response(self) -> Response {
        if let FederationError::Service(inner) = self {
            return inner.into_response();
        }
        let status = match &self {
            FederationError::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            FederationError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            FederationError::Forbidden(_) => StatusCode::FORBIDDEN,
            FederationError::BadRequest(_) => StatusCode::BAD_REQUEST,
            FederationError::NotFound(_) => StatusCode::NOT_FOUND,
            FederationError::Remote(_) => StatusCode::BAD_GATEWAY,
            FederationError::Db(_) | FederationError::Service(_) => return internal(&self),
        };
        if status.is_client_error() {
            tracing::info!(%status, error = %self, "request refused");
        } else {
            tracing::warn!(%status, error = %self, "request failed");
        }
        error_response(status, self.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = match &self.message {
            Some(message) => json!({ "error": self.code, "message": message }),
            None => json!({ "error": self.code }),
        };
        (self.status, Json(body)).into_response()
    }
}
