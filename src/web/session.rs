//! Who is looking at a page, and the CSRF token of their forms.
//!
//! Signing in on the web opens the same kind of login as the API (`service::sessions`) and
//! keeps its token in the `jwt` cookie (HttpOnly, SameSite=Lax). Forms carry a CSRF token
//! by double submission: a random `csrf` cookie, set on the first page, must equal the
//! hidden `csrf` field of every form posted. Another site can make a browser post a form, but
//! cannot read the cookie to fill in the field.

use super::WebError;
use crate::{
    context::Context,
    db::{
        self,
        models::{Person, Site},
    },
    service::sessions,
};
use activitypub_federation::config::{Data, FederationConfig};
use axum::{
    extract::{FromRequestParts, Request},
    http::{HeaderValue, header, request::Parts},
    middleware::Next,
    response::Response,
};
use axum_extra::extract::{
    CookieJar,
    cookie::{Cookie, SameSite},
};
use rand::RngCore;

pub const CSRF_COOKIE: &str = "csrf";

/// The CSRF token of this browser, put in the request by `csrf_cookie`.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

fn fresh_token() -> String {
    let mut bytes = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Makes sure every browser has a CSRF cookie: reuses the one it sent, else sets a new one on
/// the page it gets (only on HTML pages; servers fetching JSON get no cookie).
pub async fn csrf_cookie(mut request: Request, next: Next) -> Response {
    let sent = CookieJar::from_headers(request.headers())
        .get(CSRF_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| v.len() == 48 && v.bytes().all(|b| b.is_ascii_hexdigit()));
    let (token, fresh) = match sent {
        Some(token) => (token, false),
        None => (fresh_token(), true),
    };
    request.extensions_mut().insert(CsrfToken(token.clone()));
    let mut response = next.run(request).await;
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if fresh && is_html {
        let cookie = Cookie::build((CSRF_COOKIE, token))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .build();
        if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// Everything a page needs to know about its request: the instance, the person signed in
/// (if any) and the CSRF token for its forms.
pub struct PageContext {
    pub data: Data<Context>,
    pub site: Site,
    pub viewer: Option<Person>,
    pub viewer_is_admin: bool,
    pub csrf: String,
    /// The login token the request carried, valid or not.
    pub token: Option<String>,
}

impl PageContext {
    /// The signed-in person, or the login page for anyone else.
    pub fn require_viewer(&self) -> Result<&Person, WebError> {
        self.viewer.as_ref().ok_or(WebError::LoginRequired)
    }

    /// Checks the CSRF field of a posted form.
    pub fn check_csrf(&self, submitted: &str) -> Result<(), WebError> {
        // Both are ours or random; a plain comparison leaks nothing worth a timing attack
        // on a 192-bit token, but compare in constant time anyway.
        let same = submitted.len() == self.csrf.len()
            && submitted
                .bytes()
                .zip(self.csrf.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        if same {
            Ok(())
        } else {
            Err(WebError::Forbidden(
                "This form expired or came from another site. Go back, reload the page and try again."
                    .into(),
            ))
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PageContext {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, WebError> {
        let data = parts
            .extensions
            .get::<FederationConfig<Context>>()
            .map(|config| config.to_request_data())
            .ok_or_else(|| WebError::Internal("the federation middleware is missing".into()))?;
        let csrf = parts
            .extensions
            .get::<CsrfToken>()
            .map(|t| t.0.clone())
            .unwrap_or_default();
        let token = crate::api::extract::token_of(&parts.headers);
        let viewer = match &token {
            Some(token) => sessions::authenticate(&data, token).await?,
            None => None,
        };
        let mut conn = data.pool.get().await?;
        let site = db::site::get(&mut conn)
            .await?
            .ok_or_else(|| WebError::Internal("the site row is missing".into()))?;
        let viewer_is_admin = match &viewer {
            Some(person) => db::people::account(&mut conn, person.id)
                .await?
                .is_some_and(|a| a.is_admin),
            None => false,
        };
        Ok(PageContext {
            data,
            site,
            viewer,
            viewer_is_admin,
            csrf,
            token,
        })
    }
}
