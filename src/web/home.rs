//! The home page: what this instance is, and its communities.

use super::{render, site_name};
use crate::{context::Context, db};
use activitypub_federation::config::Data;
use askama::Template;
use axum::response::{IntoResponse, Response};

const LISTED: i64 = 100;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    site_name: &'a str,
    domain: &'a str,
    communities: Vec<(String, String, String)>,
}

pub async fn home(data: Data<Context>) -> Response {
    let communities = match data.pool.get().await {
        Ok(mut conn) => db::communities::list_local(&mut conn, LISTED).await,
        Err(err) => Err(err.into()),
    };
    let communities = match communities {
        Ok(list) => list,
        Err(err) => return crate::federation::FederationError::from(err).into_response(),
    };
    render(&HomePage {
        site_name: site_name(&data),
        domain: &data.settings.domain,
        communities: communities
            .into_iter()
            .map(|c| (format!("/c/{}", c.name), c.title, c.name))
            .collect(),
    })
}
