//! Telling local people that someone mentioned them or replied to them.

use super::ServiceResult;
use crate::{
    context::Context,
    db::{
        self,
        models::{Comment, Post},
    },
};
use url::Url;

/// Notifications for a new comment: its parent's author (a reply) and the local people it
/// mentions. Nobody is notified of their own words.
pub async fn on_new_comment(
    ctx: &Context,
    comment: &Comment,
    mentions: &[Url],
) -> ServiceResult<()> {
    let mut conn = ctx.pool.get().await?;
    let parent_author = match comment.parent_id {
        Some(parent_id) => db::comments::by_id(&mut conn, parent_id)
            .await?
            .map(|c| c.author_id),
        None => db::posts::by_id(&mut conn, comment.post_id)
            .await?
            .map(|p| p.author_id),
    };
    if let Some(author_id) = parent_author.filter(|id| *id != comment.author_id) {
        if is_local(&mut conn, author_id).await? {
            db::notifications::insert(
                &mut conn,
                author_id,
                "reply",
                Some(comment.post_id),
                Some(comment.id),
            )
            .await?;
        }
    }
    for person_id in local_mentioned(&mut conn, mentions, comment.author_id).await? {
        db::notifications::insert(
            &mut conn,
            person_id,
            "mention",
            Some(comment.post_id),
            Some(comment.id),
        )
        .await?;
    }
    Ok(())
}

/// Notifications for a new post: the local people it mentions.
pub async fn on_new_post(ctx: &Context, post: &Post, mentions: &[Url]) -> ServiceResult<()> {
    let mut conn = ctx.pool.get().await?;
    for person_id in local_mentioned(&mut conn, mentions, post.author_id).await? {
        db::notifications::insert(&mut conn, person_id, "mention", Some(post.id), None).await?;
    }
    Ok(())
}

async fn is_local(conn: &mut db::Connection, person_id: i64) -> ServiceResult<bool> {
    Ok(db::people::by_id(conn, person_id)
        .await?
        .is_some_and(|p| p.local))
}

async fn local_mentioned(
    conn: &mut db::Connection,
    mentions: &[Url],
    author_id: i64,
) -> ServiceResult<Vec<i64>> {
    let mut ids = Vec::new();
    for url in mentions {
        if let Some(person) = db::people::by_ap_id(conn, url.as_str()).await? {
            if person.local && person.id != author_id && !ids.contains(&person.id) {
                ids.push(person.id);
            }
        }
    }
    Ok(ids)
}
