//! The home page: the feeds (subscribed, local, all) with their sorts.

use super::{
    Chrome, PageContext, WebError, WebResult, render,
    views::{self, PostCard},
};
use crate::db::{
    self,
    views::{FeedScope, PostSort},
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

pub fn parse_page(page: Option<i64>) -> WebResult<i64> {
    match page.unwrap_or(1) {
        page @ 1..=10_000 => Ok(page),
        _ => Err(WebError::BadRequest("Pages are numbered from 1.".into())),
    }
}

/// One page of a feed as cards, and whether another page follows (one row more is read
/// to know).
pub async fn listing(
    conn: &mut db::Connection,
    page: &PageContext,
    scope: FeedScope,
    sort: PostSort,
    page_number: i64,
) -> WebResult<(Vec<PostCard>, bool)> {
    let mut posts = db::views::posts(
        conn,
        scope,
        sort,
        PAGE_SIZE + 1,
        (page_number - 1) * PAGE_SIZE,
    )
    .await?;
    let has_more = posts.len() as i64 > PAGE_SIZE;
    posts.truncate(PAGE_SIZE as usize);
    Ok((
        views::post_cards(conn, page.viewer.as_ref(), &posts).await?,
        has_more,
    ))
}

#[derive(Debug, Deserialize)]
pub struct FeedQuery {
    feed: Option<String>,
    sort: Option<String>,
    page: Option<i64>,
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
    let (cards, has_more) = listing(&mut conn, &page, scope, sort, page_number).await?;
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
        next_page: has_more.then(|| link(feed, sort_key, page_number + 1)),
        previous_page: (page_number > 1).then(|| link(feed, sort_key, page_number - 1)),
        signed_in,
    }))
}
