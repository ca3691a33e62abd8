//! The HTML pages: server-rendered, usable without JavaScript (links navigate, forms post).
//! Actor, post and comment URLs share their paths with the ActivityPub documents
//! (`federation::routes` chooses by the `Accept` header and calls in here for browsers).

pub mod actors;
mod admin;
mod auth;
mod communities;
mod feeds;
mod home;
mod moderation;
mod modlog;
pub mod posts;
pub mod session;
mod views;

use crate::{context::Context, db::DbError, federation::FederationError, service::ServiceError};
use askama::Template;
use axum::{
    Router,
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
pub use session::PageContext;

/// The pages that are not also ActivityPub documents (those live in `federation::routes`).
pub fn router() -> Router {
    Router::new()
        .route("/", get(home::home))
        .route("/communities", get(communities::directory))
        .route("/communities/find", get(communities::find))
        .route(
            "/create_community",
            get(communities::create_form).post(communities::create),
        )
        .route("/c/{name}/join", post(communities::join))
        .route("/c/{name}/leave", post(communities::leave))
        .route(
            "/c/{name}/submit",
            get(posts::create_form).post(posts::create),
        )
        .route("/c/{name}/feed", get(feeds::community_feed))
        .route("/feed", get(feeds::local_feed))
        .route("/post/{id}/vote", post(posts::vote_post))
        .route("/post/{id}/comment", post(posts::comment))
        .route("/post/{id}/edit", get(posts::edit_form).post(posts::edit))
        .route("/post/{id}/delete", post(posts::delete))
        .route("/post/{id}/remove", post(posts::remove_post))
        .route("/post/{id}/lock", post(posts::lock_post))
        .route("/comment/{id}/remove", post(posts::remove_comment))
        .route("/post/{id}/feature", post(moderation::feature_post))
        .route("/post/{id}/report", post(moderation::report_post))
        .route("/comment/{id}/report", post(moderation::report_comment))
        .route("/reports", get(moderation::reports_page))
        .route("/reports/{id}/resolve", post(moderation::resolve_report))
        .route(
            "/c/{name}/moderation",
            get(moderation::community_moderation),
        )
        .route("/c/{name}/moderators", post(moderation::set_moderator))
        .route("/c/{name}/bans", post(moderation::ban_from_community))
        .route("/admin/bans", post(moderation::ban_from_site))
        .route("/admin/purge", post(moderation::purge))
        .route("/modlog", get(modlog::modlog_page))
        .route("/comment/{id}/vote", post(posts::vote_comment))
        .route(
            "/comment/{id}/edit",
            get(posts::edit_comment_form).post(posts::edit_comment),
        )
        .route("/comment/{id}/delete", post(posts::delete_comment))
        .route("/signup", get(auth::signup_form).post(auth::signup))
        .route("/login", get(auth::login_form).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/settings", get(auth::settings_form).post(auth::settings))
        .route("/admin", get(admin::admin_page).post(admin::update_site))
        .route("/admin/federation", post(admin::update_policy))
        .route("/style.css", get(stylesheet))
        .fallback(not_found)
}

/// What every page shows around its content.
pub struct Chrome {
    pub site_name: String,
    pub viewer: Option<String>,
    pub is_admin: bool,
    pub csrf: String,
}

impl Chrome {
    pub fn of(page: &PageContext) -> Chrome {
        Chrome {
            site_name: page.site.name.clone(),
            viewer: page.viewer.as_ref().map(|p| p.name.clone()),
            is_admin: page.viewer_is_admin,
            csrf: page.csrf.clone(),
        }
    }

    /// For pages rendered without a request context (ActivityPub routes have one too, but
    /// errors may come before it).
    pub fn plain(ctx: &Context) -> Chrome {
        Chrome {
            site_name: ctx.settings.site_name.clone(),
            viewer: None,
            is_admin: false,
            csrf: String::new(),
        }
    }
}

/// Renders a template into a response; a template that fails to render is our bug, shown as
/// a plain 500 and logged.
pub(crate) fn render<T: Template>(template: &T) -> Response {
    render_with(StatusCode::OK, template)
}

pub(crate) fn render_with<T: Template>(status: StatusCode, template: &T) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(err) => {
            tracing::error!(%err, "template failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

/// Why a page could not be shown; each becomes a page in the site's style.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    BadRequest(String),
    /// Signing in would help: answered with the login page.
    #[error("log in first")]
    LoginRequired,
    #[error("{0}")]
    Internal(String),
}

impl From<ServiceError> for WebError {
    fn from(err: ServiceError) -> Self {
        match err {
            ServiceError::Invalid(message)
            | ServiceError::InvalidField { message, .. }
            | ServiceError::Conflict(message) => WebError::BadRequest(message),
            ServiceError::NotFound(what) => WebError::NotFound(what),
            ServiceError::Forbidden(message) => WebError::Forbidden(message),
            ServiceError::Db(_) | ServiceError::Internal(_) => WebError::Internal(err.to_string()),
        }
    }
}

impl From<DbError> for WebError {
    fn from(err: DbError) -> Self {
        WebError::Internal(err.to_string())
    }
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for WebError {
    fn from(err: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        DbError::from(err).into()
    }
}

impl From<FederationError> for WebError {
    fn from(err: FederationError) -> Self {
        match err {
            FederationError::Service(inner) => inner.into(),
            FederationError::Db(inner) => inner.into(),
            FederationError::NotFound(what) => WebError::NotFound(what),
            other => WebError::BadRequest(other.to_string()),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    title: String,
    message: String,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, title) = match &self {
            WebError::NotFound(_) => (StatusCode::NOT_FOUND, "Not found"),
            WebError::Forbidden(_) => (StatusCode::FORBIDDEN, "Not allowed"),
            WebError::BadRequest(_) => (StatusCode::BAD_REQUEST, "That did not work"),
            WebError::LoginRequired => return Redirect::to("/login").into_response(),
            WebError::Internal(detail) => {
                tracing::error!(%detail, "page failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "Something broke")
            }
        };
        let message = match &self {
            WebError::NotFound(what) => format!("There is no such {what} here."),
            WebError::Internal(_) => "This is our fault; it has been logged.".into(),
            other => other.to_string(),
        };
        render_with(
            status,
            &ErrorPage {
                chrome: Chrome {
                    site_name: "Guild".into(),
                    viewer: None,
                    is_admin: false,
                    csrf: String::new(),
                },
                title: title.into(),
                message,
            },
        )
    }
}

pub type WebResult<T> = Result<T, WebError>;

async fn not_found() -> WebError {
    WebError::NotFound("page")
}

/// The one stylesheet, compiled into the binary.
async fn stylesheet() -> Response {
    (
        [
            (axum::http::header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (axum::http::header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../templates/style.css"),
    )
        .into_response()
}

/// Where a redirect after a form may go: only paths on this site. Browsers read `/\host`
/// like `//host` (another site), so a backslash after the first slash is refused too.
pub(crate) fn local_path(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path[1..].starts_with(['/', '\\'])
                && !path.chars().any(char::is_control) =>
        {
            path.to_string()
        }
        _ => "/".into(),
    }
}

/// The largest form a page accepts (a post body is at most 50,000 characters).
const MAX_FORM_BYTES: usize = 256 * 1024;

/// A posted form; a malformed one answers with an error page. `%00` is refused: PostgreSQL
/// cannot store NUL characters.
pub struct WebForm<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequest<S> for WebForm<T> {
    type Rejection = WebError;

    async fn from_request(request: axum::extract::Request, _state: &S) -> WebResult<Self> {
        let too_large = || WebError::BadRequest("The form is too large.".into());
        let (parts, body) = request.into_parts();
        let body = crate::body_limit::within(&parts.headers, body, MAX_FORM_BYTES)
            .await
            .map_err(|_| too_large())?;
        let body = axum::body::to_bytes(body, MAX_FORM_BYTES)
            .await
            .map_err(|_| too_large())?;
        if body.contains(&0) || body.windows(3).any(|w| w == b"%00") {
            return Err(WebError::BadRequest(
                "The form holds a character that cannot be stored.".into(),
            ));
        }
        serde_urlencoded::from_bytes(&body)
            .map(WebForm)
            .map_err(|e| WebError::BadRequest(format!("The form is incomplete: {e}.")))
    }
}

/// Messages for a form shown again: one per field, and one for the whole form.
#[derive(Debug, Default)]
pub struct FormErrors {
    pub general: Option<String>,
    fields: Vec<(&'static str, String)>,
}

impl FormErrors {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(field, _)| *field == name)
            .map(|(_, message)| message.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.general.is_none() && self.fields.is_empty()
    }

    pub fn general(message: impl Into<String>) -> FormErrors {
        FormErrors {
            general: Some(message.into()),
            fields: Vec::new(),
        }
    }

    pub fn on(field: &'static str, message: impl Into<String>) -> FormErrors {
        FormErrors {
            general: None,
            fields: vec![(field, message.into())],
        }
    }

    /// A refusal a person can fix becomes a message on the form; anything else an error
    /// page.
    pub fn from_service(err: ServiceError) -> WebResult<FormErrors> {
        match err {
            ServiceError::InvalidField { field, message } => Ok(FormErrors::on(field, message)),
            ServiceError::Invalid(message) | ServiceError::Conflict(message) => {
                Ok(FormErrors::general(message))
            }
            other => Err(other.into()),
        }
    }
}

/// Sends the browser on after a form (303, so the next request is a GET).
pub(crate) fn see_other(path: &str) -> Response {
    Redirect::to(path).into_response()
}
