//! Copies of what anonymous readers get, served again while nothing they show has changed.
//!
//! Most readers of a forum are not signed in, and they all get the same front page,
//! community pages, threads and API listings. Rendering one takes a few milliseconds of
//! queries and templating, which at a few hundred requests a second is the whole machine
//! (docs/performance.md has the figures). So a GET without a login token is answered from a
//! copy when the copy was made under the current *content version*: a number in the
//! database that a trigger moves with every statement that writes to a table a page shows
//! (migration 000011), whoever wrote it (a request, the inbox, a scheduled job, a command).
//! Checking it costs one tiny query instead of the page's dozen.
//!
//! A copy is also never older than `KEPT`: a version read just before a writer's commit
//! becomes visible can label a page rendered without that write, and times shown as "5
//! minutes ago" age. Only complete `200` answers in HTML or JSON are kept, never one that
//! sets a cookie or carries the reader's CSRF token.

use crate::{api::extract::token_of, db, web::session::CsrfToken};
use axum::{
    body::{Body, Bytes},
    extract::Request,
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::Response,
};
use std::{sync::Arc, time::Duration};

/// The longest a copy is served.
const KEPT: Duration = Duration::from_secs(5);
/// What all copies may weigh together, in bytes of body.
const CAPACITY: u64 = 32 * 1024 * 1024;
/// The largest answer worth keeping.
const LARGEST: usize = 1024 * 1024;

/// A kept answer, and the content version it was made under.
struct KeptPage {
    version: i64,
    headers: HeaderMap,
    body: Bytes,
}

pub struct PageCache {
    copies: moka::sync::Cache<String, Arc<KeptPage>>,
}

impl Default for PageCache {
    fn default() -> Self {
        PageCache {
            copies: moka::sync::Cache::builder()
                .max_capacity(CAPACITY)
                .weigher(|key: &String, copy: &Arc<KeptPage>| {
                    u32::try_from(key.len() + copy.body.len()).unwrap_or(u32::MAX)
                })
                .time_to_live(KEPT)
                .build(),
        }
    }
}

/// The key of a request whose answer may be shared: a GET by nobody in particular for a
/// page or the client API (not an ActivityPub document, which servers fetch and sign for).
fn shared_key(request: &Request) -> Option<String> {
    if request.method() != Method::GET {
        return None;
    }
    let accept = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if accept.contains("activity+json") || accept.contains("ld+json") {
        return None;
    }
    // A reader's `Cache-Control: no-cache` asks for a fresh answer (the benchmark measures
    // rendering with it).
    let no_cache = request
        .headers()
        .get_all(header::CACHE_CONTROL)
        .iter()
        .chain(request.headers().get_all(header::PRAGMA))
        .any(|v| v.to_str().is_ok_and(|v| v.contains("no-cache")));
    if no_cache || request.headers().contains_key("signature") {
        return None;
    }
    if token_of(request.headers()).is_some() {
        return None;
    }
    // What was asked for is part of the key: a path can answer HTML or JSON by `Accept`.
    let uri = request.uri();
    Some(match uri.query() {
        Some(query) => format!("{accept}\n{}?{query}", uri.path()),
        None => format!("{accept}\n{}", uri.path()),
    })
}

pub async fn serve(request: Request, next: Next) -> Response {
    let Some(key) = shared_key(&request) else {
        return next.run(request).await;
    };
    let Some(ctx) = crate::context::of_request(&request) else {
        return next.run(request).await;
    };
    let version = match ctx.pool.get().await {
        Ok(mut conn) => db::site::content_version(&mut conn).await.ok(),
        Err(_) => None,
    };
    let Some(version) = version else {
        return next.run(request).await;
    };
    if let Some(copy) = ctx.page_cache.copies.get(&key)
        && copy.version == version
    {
        let mut response = Response::new(Body::from(copy.body.clone()));
        *response.headers_mut() = copy.headers.clone();
        response
            .headers_mut()
            .insert("x-cache", HeaderValue::from_static("hit"));
        return response;
    }
    let csrf = request.extensions().get::<CsrfToken>().map(|t| t.0.clone());
    let response = next.run(request).await;
    if !worth_keeping(&response) {
        return response;
    }
    let (parts, body) = response.into_parts();
    // Our own handlers' answers are in memory already: collecting them only moves them.
    let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
        return Response::builder()
            .status(StatusCode::INTERNAL_SERVER_ERROR)
            .body(Body::from("the page could not be read"))
            .unwrap_or_default();
    };
    let personal = csrf.is_some_and(|token| {
        body.windows(token.len())
            .any(|window| window == token.as_bytes())
    });
    if !personal && body.len() <= LARGEST {
        ctx.page_cache.copies.insert(
            key,
            Arc::new(KeptPage {
                version,
                headers: parts.headers.clone(),
                body: body.clone(),
            }),
        );
    }
    Response::from_parts(parts, Body::from(body))
}

fn worth_keeping(response: &Response) -> bool {
    let headers = response.headers();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let small = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .is_none_or(|length| length <= LARGEST);
    response.status() == StatusCode::OK
        && (content_type.starts_with("text/html") || content_type.starts_with("application/json"))
        && !headers.contains_key(header::SET_COOKIE)
        && small
}
