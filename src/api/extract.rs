//! What API handlers take from a request: the signed-in person, the client's address, and
//! JSON bodies and query strings whose rejections answer in Lemmy's error shape.

use super::ApiError;
use crate::{context::Context, db::models::Person, service::sessions};
use activitypub_federation::config::Data;
use axum::{
    extract::{ConnectInfo, FromRequest, FromRequestParts, Query, Request},
    http::{header, request::Parts},
};
use axum_extra::extract::CookieJar;
use serde::de::DeserializeOwned;
use std::net::{IpAddr, SocketAddr};

/// The name of the cookie that carries a login token, as Lemmy's web UI names it.
pub const TOKEN_COOKIE: &str = "jwt";

/// Tells the browser to forget its login token.
pub fn expired_token_cookie() -> axum_extra::extract::cookie::Cookie<'static> {
    let mut cookie = axum_extra::extract::cookie::Cookie::build((TOKEN_COOKIE, ""))
        .path("/")
        .http_only(true)
        .build();
    cookie.make_removal();
    cookie
}

/// A login token as the client sent it: `Authorization: Bearer …`, else the `jwt` cookie.
pub fn token_of(headers: &http::HeaderMap) -> Option<String> {
    let from_header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string());
    from_header.or_else(|| {
        CookieJar::from_headers(headers)
            .get(TOKEN_COOKIE)
            .map(|c| c.value().to_string())
    })
}

fn data_of(parts: &Parts) -> Result<Data<Context>, ApiError> {
    parts
        .extensions
        .get::<activitypub_federation::config::FederationConfig<Context>>()
        .map(|config| config.to_request_data())
        .ok_or_else(|| ApiError::internal("the federation middleware is missing"))
}

/// A request by a signed-in person; anyone else gets 401 `not_logged_in`.
pub struct LoggedIn(pub Person);

impl<S: Send + Sync> FromRequestParts<S> for LoggedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let token = token_of(&parts.headers).ok_or_else(ApiError::unauthorized)?;
        let data = data_of(parts)?;
        sessions::authenticate(&data, &token)
            .await?
            .map(LoggedIn)
            .ok_or_else(ApiError::unauthorized)
    }
}

/// A request by whoever it is: a signed-in person, or nobody when there is no token or one
/// that no longer holds (apps keep stale tokens; reading must still work for them).
pub struct MaybeLoggedIn(pub Option<Person>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeLoggedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let Some(token) = token_of(&parts.headers) else {
            return Ok(MaybeLoggedIn(None));
        };
        let data = data_of(parts)?;
        Ok(MaybeLoggedIn(sessions::authenticate(&data, &token).await?))
    }
}

/// The address the request came from, when the server knows it.
pub struct ClientAddress(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let trusted = parts
            .extensions
            .get::<activitypub_federation::config::FederationConfig<Context>>()
            .map(|config| config.to_request_data().settings.trusted_proxies.clone())
            .unwrap_or_default();
        Ok(ClientAddress(client_address(
            &parts.extensions,
            &parts.headers,
            &trusted,
        )))
    }
}

/// Who sent a request: the connecting address, or, when that is a trusted proxy, the
/// nearest address in `X-Forwarded-For` that is not one (the proxies append to it, so the
/// entries to its left are whatever the client claimed).
pub fn client_address(
    extensions: &http::Extensions,
    headers: &http::HeaderMap,
    trusted_proxies: &[ipnet::IpNet],
) -> Option<IpAddr> {
    let peer = extensions.get::<ConnectInfo<SocketAddr>>()?.0.ip();
    let trusted = |ip: &IpAddr| trusted_proxies.iter().any(|net| net.contains(ip));
    if !trusted(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map_while(|entry| entry.trim().parse().ok())
        .collect();
    Some(
        forwarded
            .into_iter()
            .rev()
            .find(|ip| !trusted(ip))
            .unwrap_or(peer),
    )
}

/// The largest JSON body the API reads: axum's default limit for its `Json`, which reads
/// the body after [`crate::body_limit::within`] has checked its declared length.
const MAX_API_BODY: usize = 2 * 1024 * 1024;

/// A JSON body; a malformed or oversized one answers 4xx with what was wrong.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let (parts, body) = req.into_parts();
        let body = crate::body_limit::within(&parts.headers, body, MAX_API_BODY)
            .await
            .map_err(|_| {
                ApiError::new(http::StatusCode::PAYLOAD_TOO_LARGE, "invalid_input")
                    .with_message(format!("the body is over {MAX_API_BODY} bytes"))
            })?;
        let req = Request::from_parts(parts, body);
        // Parsed as a document first, to look for NULs, then into its type.
        match axum::Json::<serde_json::Value>::from_request(req, state).await {
            Ok(axum::Json(value)) => {
                if crate::text::has_nul(&value) {
                    return Err(ApiError::bad_request("invalid_input")
                        .with_message("text may not hold NUL characters"));
                }
                serde_json::from_value(value).map(ApiJson).map_err(|e| {
                    ApiError::bad_request("invalid_input")
                        .with_message(format!("Failed to deserialize the JSON body: {e}"))
                })
            }
            Err(rejection) => {
                // Lemmy's apps expect 400 for a bad request; an oversized body keeps its 413
                // and a missing JSON content type its 415.
                let status = match rejection.status() {
                    http::StatusCode::UNPROCESSABLE_ENTITY => http::StatusCode::BAD_REQUEST,
                    other => other,
                };
                Err(ApiError::new(status, "invalid_input").with_message(rejection.body_text()))
            }
        }
    }
}

/// A query string; a malformed one answers 400 with what was wrong.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        // PostgreSQL cannot store or compare text holding NUL; `%00` is refused here.
        let query = parts.uri.query().unwrap_or_default();
        if query.contains("%00") {
            return Err(ApiError::bad_request("invalid_input")
                .with_message("text may not hold NUL characters"));
        }
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => Err(ApiError::new(rejection.status(), "invalid_input")
                .with_message(rejection.body_text())),
        }
    }
}
