//! Telling local people that someone mentioned them or replied to them.

use super::ServiceResult;
use crate::{
    context::Context,
    db::{
        self,
        models::{Comment, Person, Post},
    },
    text,
};
use url::Url;

/// Notifications for a new comment: its parent's author (a reply) and the local people it
/// mentions. Nobody is notified of their own words.
///
/// `parent_author_id` and `parent_local` are the author of the comment or post it answers
/// and whether that was written here, which every caller has at hand. (A post or comment is
/// local exactly when its author is: its id is on its author's instance.)
pub async fn on_new_comment(
    ctx: &Context,
    comment: &Comment,
    parent_author_id: i64,
    parent_local: bool,
    mentions: &[Url],
) -> ServiceResult<()> {
    let mut conn = ctx.pool.get().await?;
    if parent_local && parent_author_id != comment.author_id {
        db::notifications::insert(
            &mut conn,
            parent_author_id,
            "reply",
            Some(comment.post_id),
            Some(comment.id),
        )
        .await?;
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

/// How many people one text may mention: more is a spam pattern, not a conversation.
const MAX_MENTIONS: usize = 20;

/// The stored people a local author's Markdown mentions (`@name`, `@name@domain`). People
/// not known here are not looked up: a mention is no reason to fetch.
pub async fn mentioned_people(ctx: &Context, source: &str) -> ServiceResult<Vec<Person>> {
    let mut conn = ctx.pool.get().await?;
    let mut people: Vec<Person> = Vec::new();
    for (name, domain) in text::mentioned_handles(source)
        .into_iter()
        .take(MAX_MENTIONS)
    {
        let found = match domain {
            Some(domain) if !domain.eq_ignore_ascii_case(&ctx.settings.domain) => {
                db::people::remote_by_name(&mut conn, &name, &domain).await?
            }
            _ => db::people::local_by_name(&mut conn, &name).await?,
        };
        if let Some(person) = found.filter(|p| !p.deleted) {
            if !people.iter().any(|p| p.id == person.id) {
                people.push(person);
            }
        }
    }
    Ok(people)
}

/// The ids of `people`, as `on_new_comment` and `on_new_post` take them.
pub fn ids_of(people: &[Person]) -> Vec<Url> {
    people
        .iter()
        .filter_map(|person| Url::parse(&person.ap_id).ok())
        .collect()
}
