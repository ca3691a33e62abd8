//! Rate limits on what clients and peers send, as one middleware in front of every route:
//! writes per client address and per signed-in account, and inbox POSTs per peer instance.
//! Logins have their own, stricter limit (`service::sessions`). Limits live in memory (a
//! restart resets them) and answer 429 with `Retry-After`.

use crate::{
    api::extract::{client_address, token_of},
    config::Settings,
};
use axum::{
    extract::Request,
    http::{HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use governor::{DefaultKeyedRateLimiter, Quota, clock::Clock};
use std::{hash::Hash, net::IpAddr, num::NonZeroU32};

/// Above this many tracked keys, keys whose limit has fully recovered are forgotten.
const MAX_TRACKED_KEYS: usize = 100_000;

pub struct RateLimits {
    writes_by_address: Option<DefaultKeyedRateLimiter<IpAddr>>,
    writes_by_account: Option<DefaultKeyedRateLimiter<String>>,
    inbox_by_peer: Option<DefaultKeyedRateLimiter<String>>,
}

fn limiter<K: Hash + Eq + Clone>(per_minute: u32) -> Option<DefaultKeyedRateLimiter<K>> {
    let rate = NonZeroU32::new(per_minute)?;
    Some(DefaultKeyedRateLimiter::keyed(
        Quota::per_minute(rate).allow_burst(rate),
    ))
}

/// Counts one request against a limiter; the wait before the next is allowed, if refused.
fn check<K: Hash + Eq + Clone>(
    limiter: &Option<DefaultKeyedRateLimiter<K>>,
    key: &K,
) -> Result<(), std::time::Duration> {
    let Some(limiter) = limiter else {
        return Ok(());
    };
    if limiter.len() > MAX_TRACKED_KEYS {
        limiter.retain_recent();
    }
    limiter.check_key(key).map_err(|not_until| {
        not_until.wait_time_from(governor::clock::DefaultClock::default().now())
    })
}

impl RateLimits {
    pub fn new(settings: &Settings) -> RateLimits {
        RateLimits {
            writes_by_address: limiter(settings.write_rate_per_minute),
            writes_by_account: limiter(settings.write_rate_per_minute),
            inbox_by_peer: limiter(settings.inbox_rate_per_minute),
        }
    }
}

/// The domain of the key an inbox POST claims to be signed with (checked later; this only
/// chooses which peer's budget the request spends).
fn signing_domain(request: &Request) -> Option<String> {
    let signature = request.headers().get("signature")?.to_str().ok()?;
    let key_id = signature
        .split(',')
        .find_map(|part| part.trim().strip_prefix("keyId="))?
        .trim_matches('"');
    url::Url::parse(key_id)
        .ok()
        .and_then(|url| crate::urls::Urls::domain_of(&url))
}

fn too_many(wait: std::time::Duration) -> Response {
    let seconds = wait.as_secs().max(1);
    let mut response = (
        StatusCode::TOO_MANY_REQUESTS,
        axum::Json(serde_json::json!({
            "error": "rate_limit_error",
            "message": format!("too many requests; try again in {seconds} s"),
        })),
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

pub async fn limit(request: Request, next: Next) -> Response {
    let is_write = matches!(
        *request.method(),
        Method::POST | Method::PUT | Method::DELETE | Method::PATCH
    );
    // Reads are never limited: they pass without any work here.
    if !is_write {
        return next.run(request).await;
    }
    let Some(ctx) = crate::context::of_request(&request) else {
        return next.run(request).await;
    };
    let limits = &ctx.rate_limits;
    let outcome = if request.uri().path().ends_with("/inbox") {
        match signing_domain(&request) {
            Some(domain) => check(&limits.inbox_by_peer, &domain),
            None => Ok(()),
        }
    } else {
        let address = client_address(
            request.extensions(),
            request.headers(),
            &ctx.settings.trusted_proxies,
        );
        let by_address = match address {
            Some(address) => check(&limits.writes_by_address, &address),
            None => Ok(()),
        };
        let by_account = match token_of(request.headers()) {
            // The token itself is the key: checking it would cost a query, and a forged
            // one only spends its own budget.
            Some(token) => check(&limits.writes_by_account, &token),
            None => Ok(()),
        };
        return match by_address.and(by_account) {
            Ok(()) => next.run(request).await,
            Err(wait) => too_many(wait),
        };
    };
    match outcome {
        Ok(()) => next.run(request).await,
        Err(wait) => too_many(wait),
    }
}
