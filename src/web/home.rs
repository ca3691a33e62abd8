//! The home page: the feeds (subscribed, local, all) with their sorts.

use super::{
    Chrome, PageContext, WebError, WebResult, render,
    views::{self, PostCard},
};
use crate::db::{
    self,
    views::{FeedScope, PostCursor, PostFilter, PostSort},
};
use askama::Template;
use axum::{extract::Query, response::Response};
use serde::Deserialize;

pub const PAGE_SIZE: i64 = 20;

/// The sorts a listing offers: (query value, label, sort).
pub const SORTS: [(&str, &str, PostSort); 7] = [
    ("hot", "Hot", PostSort::Hot),
    ("active", "Active", PostSort::Active),
    ("new", "New", PostSort::New),
    ("top_day", "Top today", PostSort::TopDay),
    ("top_week", "Top this week", PostSort::TopWeek),
    ("top_all", "Top of all time", PostSort::TopAll),
    ("most_comments", "Most comments", PostSort::MostComments),
];

pub fn parse_sort(value: Option<&str>) -> WebResult<(&'static str, PostSort)> {
    let value = value.unwrap_or("hot");
    SORTS
        .iter()
        .find(|(key, _, _)| *key == value)
        .map(|(key, _, sort)| (*key, *sort))
        .ok_or_else(|| WebError::BadRequest(format!("There is no sort called {value:?}.")))
}

/// The highest page number a link names (pages past it are still reached by cursor).
pub const MAX_PAGE: i64 = 10_000;

pub fn parse_page(page: Option<i64>) -> WebResult<i64> {
    match page.unwrap_or(1) {
        page @ 1..=MAX_PAGE => Ok(page),
        _ => Err(WebError::BadRequest("Pages are numbered from 1.".into())),
    }
}

/// One page of a feed as cards, and where the next page starts if there is one (one row
/// more is read to know). A page reached by a "next" link starts after its cursor; one asked
/// for by number skips the rows before it.
pub async fn listing(
    conn: &mut db::Connection,
    page: &PageContext,
    scope: FeedScope,
    sort: PostSort,
    page_number: i64,
    after: Option<&str>,
) -> WebResult<(Vec<PostCard>, Option<String>)> {
    let after = after
        .map(|text| {
            PostCursor::decode(text, sort)
                .ok_or_else(|| WebError::BadRequest("That page link is not valid.".into()))
        })
        .transpose()?;
    let offset = if after.is_some() {
        0
    } else {
        (page_number - 1) * PAGE_SIZE
    };
    let filter = PostFilter {
        after: after.as_ref(),
        ..PostFilter::default()
    };
    let mut posts =
        db::views::filtered_posts(conn, scope, sort, filter, PAGE_SIZE + 1, offset).await?;
    let has_more = posts.len() as i64 > PAGE_SIZE;
    posts.truncate(PAGE_SIZE as usize);
    let next = posts
        .last()
        .filter(|_| has_more)
        .map(|last| PostCursor::of(last, sort).encode());
    Ok((
        views::post_cards(conn, page.viewer.as_ref(), &posts).await?,
        next,
    ))
}

#[derive(Debug, Deserialize)]
pub struct FeedQuery {
    feed: Option<String>,
    sort: Option<String>,
    page: Option<i64>,
    /// Where the page starts (from a "next" link).
    after: Option<String>,
}

pub struct Tab {
    pub label: &'static str,
    pub href: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    description: String,
    feeds: Vec<Tab>,
    sorts: Vec<Tab>,
    posts: Vec<PostCard>,
    next_page: Option<String>,
    previous_page: Option<String>,
    signed_in: bool,
}

pub async fn home(page: PageContext, Query(query): Query<FeedQuery>) -> WebResult<Response> {
    let signed_in = page.viewer.is_some();
    let default_feed = if signed_in { "subscribed" } else { "local" };
    let feed = query.feed.as_deref().unwrap_or(default_feed);
    let scope = match (feed, &page.viewer) {
        ("subscribed", Some(viewer)) => FeedScope::Subscribed(viewer.id),
        ("subscribed", None) => return Err(WebError::LoginRequired),
        ("local", _) => FeedScope::Local,
        ("all", _) => FeedScope::All,
        _ => {
            return Err(WebError::BadRequest(format!(
                "There is no feed called {feed:?}."
            )));
        }
    };
    let (sort_key, sort) = parse_sort(query.sort.as_deref())?;
    let page_number = parse_page(query.page)?;
    let mut conn = page.data.pool.get().await?;
    let (cards, next) = listing(
        &mut conn,
        &page,
        scope,
        sort,
        page_number,
        query.after.as_deref(),
    )
    .await?;
    let link = |feed: &str, sort: &str, page: i64| format!("/?feed={feed}&sort={sort}&page={page}");
    let mut feeds = Vec::new();
    if signed_in {
        feeds.push(Tab {
            label: "Subscribed",
            href: link("subscribed", sort_key, 1),
            current: feed == "subscribed",
        });
    }
    feeds.push(Tab {
        label: "Local",
        href: link("local", sort_key, 1),
        current: feed == "local",
    });
    feeds.push(Tab {
        label: "All",
        href: link("all", sort_key, 1),
        current: feed == "all",
    });
    let sorts = SORTS
        .iter()
        .map(|(key, label, _)| Tab {
            label,
            href: link(feed, key, 1),
            current: *key == sort_key,
        })
        .collect();
    Ok(render(&HomePage {
        description: page.site.description.clone(),
        chrome: Chrome::of(&page),
        feeds,
        sorts,
        posts: cards,
        next_page: next.map(|after| {
            format!(
                "{}&after={after}",
                link(feed, sort_key, (page_number + 1).min(MAX_PAGE))
            )
        }),
        previous_page: (page_number > 1).then(|| link(feed, sort_key, page_number - 1)),
        signed_in,
    }))
}
