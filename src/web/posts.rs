//! The page of a post, with its comment thread.

use super::render;
use crate::{context::Context, db, db::models::Post};
use askama::Template;
use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
};

struct CommentLine {
    id: i64,
    depth: usize,
    author: String,
    body_html: String,
    score: i32,
    gone: bool,
}

#[derive(Template)]
#[template(path = "post.html")]
struct PostPage<'a> {
    site_name: &'a str,
    title: String,
    url: Option<String>,
    body_html: String,
    author: String,
    community_title: String,
    community_href: String,
    score: i32,
    comment_count: i32,
    gone: bool,
    comments: Vec<CommentLine>,
}

pub async fn post_page(ctx: &Context, post: &Post) -> Response {
    let loaded = async {
        let mut conn = ctx.pool.get().await?;
        let view = db::views::post(&mut conn, post.id).await?;
        let comments = db::views::comments_of_post(&mut conn, post.id).await?;
        Ok::<_, db::DbError>((view, comments))
    }
    .await;
    let (view, comments) = match loaded {
        Ok((Some(view), comments)) => (view, comments),
        Ok((None, _)) => return (StatusCode::NOT_FOUND, "no such post").into_response(),
        Err(err) => {
            tracing::error!(%err, "post page");
            return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
        }
    };
    let handle = |person: &db::models::Person| {
        person
            .display_name
            .clone()
            .unwrap_or_else(|| person.name.clone())
    };
    let gone = view.post.deleted || view.post.removed;
    render(&PostPage {
        site_name: &ctx.settings.site_name,
        title: if gone {
            "[deleted]".into()
        } else {
            view.post.title.clone()
        },
        url: if gone { None } else { view.post.url.clone() },
        body_html: if gone {
            String::new()
        } else {
            view.post.body_html.clone().unwrap_or_default()
        },
        author: handle(&view.author),
        community_title: view.community.title.clone(),
        community_href: if view.community.local {
            format!("/c/{}", view.community.name)
        } else {
            view.community.ap_id.clone()
        },
        score: view.post.score,
        comment_count: view.post.comment_count,
        gone,
        comments: comments
            .into_iter()
            .map(|c| {
                let gone = c.comment.deleted || c.comment.removed;
                CommentLine {
                    id: c.comment.id,
                    depth: c.comment.ancestors.len(),
                    author: handle(&c.author),
                    body_html: if gone {
                        "<p>[deleted]</p>".into()
                    } else {
                        c.comment.body_html
                    },
                    score: c.comment.score,
                    gone,
                }
            })
            .collect(),
    })
}
