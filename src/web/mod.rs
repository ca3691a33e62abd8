//! The HTML pages: the home page, and the pages of local people and communities, which
//! share their URLs with the ActivityPub actors.

pub mod actors;
mod home;
pub mod posts;

use crate::context::Context;
use askama::Template;
use axum::{
    Router,
    http::StatusCode,
    response::{Html, IntoResponse, Response},
    routing::get,
};

/// The pages that are not also ActivityPub documents (those live in `federation::routes`).
pub fn router() -> Router {
    Router::new().route("/", get(home::home))
}

/// Every page shows the site's name.
pub(crate) fn site_name(ctx: &Context) -> &str {
    &ctx.settings.site_name
}

/// Renders a template into a response; a template that fails to render is our bug, shown as
/// a plain 500 and logged.
pub(crate) fn render<T: Template>(template: &T) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(err) => {
            tracing::error!(%err, "template failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}
