//! RSS feeds of a community and of the local communities, for feed readers.

use super::{WebError, WebResult, actors::find_community};
use crate::{
    context::Context,
    db::{
        self,
        views::{FeedScope, PostSort, PostView},
    },
};
use activitypub_federation::config::Data;
use axum::{
    extract::Path,
    http::header,
    response::{IntoResponse, Response},
};

const FEED_ITEMS: i64 = 30;

fn rss_response(channel: rss::Channel) -> Response {
    (
        [(header::CONTENT_TYPE, "application/rss+xml; charset=utf-8")],
        channel.to_string(),
    )
        .into_response()
}

fn items(data: &Context, posts: &[PostView]) -> Vec<rss::Item> {
    posts
        .iter()
        .map(|view| {
            let post = &view.post;
            let page = data.urls.base().join(&format!("post/{}", post.id)).ok();
            rss::Item {
                title: Some(post.title.clone()),
                link: page.as_ref().map(|u| u.to_string()),
                description: post.body_html.clone(),
                author: Some(view.author.name.clone()),
                guid: Some(rss::Guid {
                    value: post.ap_id.clone(),
                    permalink: true,
                }),
                pub_date: Some(post.published_at.to_rfc2822()),
                comments: page.map(|u| u.to_string()),
                ..rss::Item::default()
            }
        })
        .collect()
}

/// `GET /c/{name}/feed`: a community's newest posts.
pub async fn community_feed(data: Data<Context>, Path(name): Path<String>) -> WebResult<Response> {
    let community = find_community(&data, &name).await?;
    let mut conn = data.pool.get().await?;
    let posts = db::views::posts(
        &mut conn,
        FeedScope::Community(community.id),
        PostSort::New,
        FEED_ITEMS,
        0,
    )
    .await?;
    let link = data
        .urls
        .base()
        .join(&super::views::community_href(&community)[1..])
        .map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(rss_response(rss::Channel {
        title: community.title.clone(),
        link: link.to_string(),
        description: crate::text::html_to_text(
            community.description_html.as_deref().unwrap_or_default(),
        ),
        items: items(&data, &posts),
        ..rss::Channel::default()
    }))
}

/// `GET /feed`: the newest posts of this instance's communities.
pub async fn local_feed(data: Data<Context>) -> WebResult<Response> {
    let mut conn = data.pool.get().await?;
    let site = db::site::get(&mut conn)
        .await?
        .ok_or_else(|| WebError::Internal("the site row is missing".into()))?;
    let posts = db::views::posts(&mut conn, FeedScope::Local, PostSort::New, FEED_ITEMS, 0).await?;
    Ok(rss_response(rss::Channel {
        title: site.name.clone(),
        link: data.urls.base().to_string(),
        description: if site.description.is_empty() {
            format!("The newest posts on {}", site.name)
        } else {
            site.description.clone()
        },
        items: items(&data, &posts),
        ..rss::Channel::default()
    }))
}
