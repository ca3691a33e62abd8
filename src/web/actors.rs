//! The pages of communities and people, local or remote (`/c/name@domain`), and of the
//! activities local actors publish.

use super::{
    Chrome, PageContext, WebError, WebResult,
    home::{PAGE_SIZE, Tab, parse_page, parse_sort},
    render,
    views::{self, CommentCard, PostCard},
};
use crate::{
    context::Context,
    db::{
        self,
        models::{Community, Person},
        views::{CommentFilter, FeedScope},
    },
};
use askama::Template;
use axum::{
    extract::{FromRequestParts, Query},
    http::request::Parts,
    response::Response,
};
use serde::Deserialize;

#[derive(Debug, Deserialize, Default)]
pub struct ListingQuery {
    pub sort: Option<String>,
    pub page: Option<i64>,
    /// Where the page starts (from a "next" link).
    pub after: Option<String>,
}

/// A community named `name` (local) or `name@domain` (remote, stored here).
pub async fn find_community(ctx: &Context, name: &str) -> WebResult<Community> {
    let mut conn = ctx.pool.get().await?;
    let found = match name.split_once('@') {
        Some((name, domain)) if !domain.eq_ignore_ascii_case(&ctx.settings.domain) => {
            db::communities::remote_by_name(&mut conn, name, domain).await?
        }
        Some((name, _)) => db::communities::local_by_name(&mut conn, name).await?,
        None => db::communities::local_by_name(&mut conn, name).await?,
    };
    found
        .filter(|c| !c.deleted)
        .ok_or(WebError::NotFound("community"))
}

pub(super) async fn find_person(ctx: &Context, name: &str) -> WebResult<Person> {
    let mut conn = ctx.pool.get().await?;
    let found = match name.split_once('@') {
        Some((name, domain)) if !domain.eq_ignore_ascii_case(&ctx.settings.domain) => {
            db::people::remote_by_name(&mut conn, name, domain).await?
        }
        Some((name, _)) => db::people::local_by_name(&mut conn, name).await?,
        None => db::people::local_by_name(&mut conn, name).await?,
    };
    found.ok_or(WebError::NotFound("person"))
}

pub struct ModeratorLink {
    pub href: String,
    pub name: String,
}

#[derive(Template)]
#[template(path = "community.html")]
struct CommunityPage {
    chrome: Chrome,
    name: String,
    title: String,
    handle: String,
    href: String,
    description_html: String,
    local: bool,
    members: i64,
    posts_count: i64,
    moderators: Vec<ModeratorLink>,
    membership: &'static str,
    sorts: Vec<Tab>,
    posts: Vec<PostCard>,
    next_page: Option<String>,
    previous_page: Option<String>,
    origin_url: String,
    topic: String,
    topic_query: String,
    /// The viewer moderates this local community: a link to its moderation page shows.
    can_moderate: bool,
}

/// `/c/{name}` for a browser.
pub async fn community_page(parts: &mut Parts, name: &str) -> Response {
    match community_page_inner(parts, name).await {
        Ok(response) => response,
        Err(err) => axum::response::IntoResponse::into_response(err),
    }
}

async fn community_page_inner(parts: &mut Parts, name: &str) -> WebResult<Response> {
    let page = PageContext::from_request_parts(parts, &()).await?;
    let Query(query) = Query::<ListingQuery>::from_request_parts(parts, &())
        .await
        .map_err(|e| WebError::BadRequest(e.body_text()))?;
    let community = find_community(&page.data, name).await?;
    let (sort_key, sort) = parse_sort(query.sort.as_deref())?;
    let page_number = parse_page(query.page)?;
    let mut conn = page.data.pool.get().await?;
    let (cards, next) = super::home::listing(
        &mut conn,
        &page,
        FeedScope::Community(community.id),
        sort,
        page_number,
        query.after.as_deref(),
    )
    .await?;
    let counts = db::communities::counts(&mut conn, &[community.id])
        .await?
        .remove(&community.id)
        .unwrap_or_default();
    let moderators = db::communities::moderators(&mut conn, community.id).await?;
    let membership = match &page.viewer {
        Some(viewer) => views::membership(
            db::personal::follows_among(&mut conn, viewer.id, &[community.id])
                .await?
                .first()
                .map(|(_, pending)| *pending),
        ),
        None => "",
    };
    let can_moderate = community.local
        && page.viewer.as_ref().is_some_and(|viewer| {
            page.viewer_is_admin || moderators.iter().any(|m| m.id == viewer.id)
        });
    let href = views::community_href(&community);
    let link = |sort: &str, page: i64| format!("{href}?sort={sort}&page={page}");
    Ok(render(&CommunityPage {
        can_moderate,
        chrome: Chrome::of(&page),
        name: if community.local {
            community.name.clone()
        } else {
            format!("{}@{}", community.name, views::domain_of(&community.ap_id))
        },
        title: community.title.clone(),
        handle: views::community_handle(&community, &page.data.settings.domain),
        description_html: community.description_html.clone().unwrap_or_default(),
        local: community.local,
        members: counts.subscribers,
        posts_count: counts.posts,
        moderators: moderators
            .iter()
            .map(|m| ModeratorLink {
                href: views::person_href(m),
                name: views::person_label(m),
            })
            .collect(),
        membership,
        sorts: super::home::SORTS
            .iter()
            .map(|(key, label, _)| Tab {
                label,
                href: link(key, 1),
                current: *key == sort_key,
            })
            .collect(),
        posts: cards,
        next_page: next.map(|after| {
            format!(
                "{}&after={after}",
                link(sort_key, (page_number + 1).min(super::home::MAX_PAGE))
            )
        }),
        previous_page: (page_number > 1).then(|| link(sort_key, page_number - 1)),
        origin_url: community.ap_id.clone(),
        topic: community.topic.clone().unwrap_or_default(),
        topic_query: url::form_urlencoded::byte_serialize(
            community.topic.as_deref().unwrap_or_default().as_bytes(),
        )
        .collect(),
        href,
    }))
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage {
    chrome: Chrome,
    display_name: String,
    handle: String,
    bio_html: String,
    joined: String,
    local: bool,
    origin_url: String,
    posts: Vec<PostCard>,
    comments: Vec<CommentCard>,
    /// The person page shows one page of each; the shared post list asks for these.
    next_page: Option<String>,
    previous_page: Option<String>,
}

/// `/u/{name}` for a browser: the person's newest posts and comments.
pub async fn person_page(parts: &mut Parts, name: &str) -> Response {
    match person_page_inner(parts, name).await {
        Ok(response) => response,
        Err(err) => axum::response::IntoResponse::into_response(err),
    }
}

async fn person_page_inner(parts: &mut Parts, name: &str) -> WebResult<Response> {
    let page = PageContext::from_request_parts(parts, &()).await?;
    let person = find_person(&page.data, name).await?;
    let mut conn = page.data.pool.get().await?;
    let posts = db::views::posts(
        &mut conn,
        FeedScope::Author(person.id),
        db::views::PostSort::New,
        PAGE_SIZE,
        0,
    )
    .await?;
    let post_cards = views::post_cards(&mut conn, page.viewer.as_ref(), &posts).await?;
    let filter = CommentFilter {
        author: Some(person.id),
        ..CommentFilter::default()
    };
    let comments = db::views::comments_in_context(&mut conn, filter, PAGE_SIZE, 0).await?;
    let comment_cards = views::comment_list(&mut conn, page.viewer.as_ref(), &comments).await?;
    let domain = if person.local {
        page.data.settings.domain.clone()
    } else {
        views::domain_of(&person.ap_id)
    };
    Ok(render(&PersonPage {
        chrome: Chrome::of(&page),
        display_name: person
            .display_name
            .clone()
            .unwrap_or_else(|| person.name.clone()),
        handle: format!("@{}@{domain}", person.name),
        bio_html: person.bio_html.clone().unwrap_or_default(),
        joined: person.published_at.format("%-d %B %Y").to_string(),
        local: person.local,
        origin_url: person.ap_id.clone(),
        posts: post_cards,
        comments: comment_cards,
        next_page: None,
        previous_page: None,
    }))
}

#[derive(Template)]
#[template(path = "activity.html")]
struct ActivityPage {
    chrome: Chrome,
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
        chrome: Chrome::plain(ctx),
        kind: text(&activity["type"]).unwrap_or_default(),
        actor: text(&activity["actor"]).unwrap_or_default(),
        object: text(object).or_else(|| text(&object["id"])),
        json: serde_json::to_string_pretty(activity).unwrap_or_default(),
    })
}
