//! Pages for local people and communities, and for the activities they publish.

use super::render;
use crate::{
    context::Context,
    db::models::{Community, Person},
};
use askama::Template;
use axum::response::Response;

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage<'a> {
    site_name: &'a str,
    handle: String,
    display_name: &'a str,
    bio_html: &'a str,
    joined: String,
}

pub fn person_page(ctx: &Context, person: &Person) -> Response {
    render(&PersonPage {
        site_name: &ctx.settings.site_name,
        handle: format!("@{}@{}", person.name, ctx.settings.domain),
        display_name: person.display_name.as_deref().unwrap_or(&person.name),
        bio_html: person.bio_html.as_deref().unwrap_or_default(),
        joined: person.published_at.format("%-d %B %Y").to_string(),
    })
}

#[derive(Template)]
#[template(path = "community.html")]
struct CommunityPage<'a> {
    site_name: &'a str,
    handle: String,
    title: &'a str,
    description_html: &'a str,
    followers: i64,
    moderators: Vec<(String, String)>,
}

pub fn community_page(
    ctx: &Context,
    community: &Community,
    moderators: &[Person],
    followers: i64,
) -> Response {
    render(&CommunityPage {
        site_name: &ctx.settings.site_name,
        handle: format!("!{}@{}", community.name, ctx.settings.domain),
        title: &community.title,
        description_html: community.description_html.as_deref().unwrap_or_default(),
        followers,
        moderators: moderators
            .iter()
            .map(|m| {
                (
                    format!("/u/{}", m.name),
                    m.display_name.clone().unwrap_or_else(|| m.name.clone()),
                )
            })
            .collect(),
    })
}

#[derive(Template)]
#[template(path = "activity.html")]
struct ActivityPage<'a> {
    site_name: &'a str,
    kind: String,
    actor: String,
    object: Option<String>,
    json: String,
}

/// An activity as a page: what it is, who did it, and its JSON.
pub fn activity_page(ctx: &Context, activity: &serde_json::Value) -> Response {
    let text = |value: &serde_json::Value| value.as_str().map(str::to_string);
    let object = &activity["object"];
    render(&ActivityPage {
        site_name: &ctx.settings.site_name,
        kind: text(&activity["type"]).unwrap_or_default(),
        actor: text(&activity["actor"]).unwrap_or_default(),
        object: text(object).or_else(|| text(&object["id"])),
        json: serde_json::to_string_pretty(activity).unwrap_or_default(),
    })
}
