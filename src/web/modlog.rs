//! `/modlog`: every moderator action, newest first, for anyone to read.

use super::{Chrome, PageContext, WebResult, home::parse_page, render, views};
use crate::db;
use askama::Template;
use axum::{extract::Query, response::Response};
use serde::Deserialize;

const PAGE_SIZE: i64 = 50;

pub struct ModlogRow {
    pub when: String,
    pub ago: String,
    pub moderator: String,
    pub moderator_href: String,
    pub action: &'static str,
    pub target_href: String,
    /// Who the action was about (for bans and moderators), or what was purged.
    pub target: String,
    pub reason: String,
    /// When a ban ends.
    pub until: String,
}

#[derive(Template)]
#[template(path = "modlog.html")]
struct ModlogPage {
    chrome: Chrome,
    rows: Vec<ModlogRow>,
    next_page: Option<String>,
    previous_page: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ModlogQuery {
    page: Option<i64>,
}

pub async fn modlog_page(
    page: PageContext,
    Query(query): Query<ModlogQuery>,
) -> WebResult<Response> {
    let page_number = parse_page(query.page)?;
    let mut conn = page.data.pool.get().await?;
    let mut entries = db::modlog::newest(
        &mut conn,
        None,
        PAGE_SIZE + 1,
        (page_number - 1) * PAGE_SIZE,
    )
    .await?;
    let has_more = entries.len() as i64 > PAGE_SIZE;
    entries.truncate(PAGE_SIZE as usize);
    let target_ids: Vec<i64> = entries
        .iter()
        .filter_map(|(entry, _)| entry.target_person_id)
        .collect();
    let targets: std::collections::HashMap<i64, db::models::Person> =
        db::people::by_ids(&mut conn, &target_ids)
            .await?
            .into_iter()
            .map(|person| (person.id, person))
            .collect();
    let rows = entries
        .iter()
        .map(|(entry, moderator)| ModlogRow {
            when: entry.created_at.to_rfc3339(),
            ago: views::ago(entry.created_at),
            moderator: views::person_label(moderator),
            moderator_href: views::person_href(moderator),
            action: match entry.action.as_str() {
                "remove_post" => "removed a post",
                "restore_post" => "restored a post",
                "remove_comment" => "removed a comment",
                "restore_comment" => "restored a comment",
                "lock_post" => "locked a post",
                "unlock_post" => "unlocked a post",
                "feature_post" => "featured a post",
                "unfeature_post" => "unfeatured a post",
                "add_moderator" => "made someone a moderator",
                "remove_moderator" => "removed a moderator",
                "ban_from_community" => "banned someone from a community",
                "unban_from_community" => "lifted a ban from a community",
                "ban" => "banned someone from the site",
                "unban" => "lifted a site ban",
                "purge_person" => "purged a person",
                "purge_community" => "purged a community",
                _ => "acted",
            },
            target_href: match (entry.post_id, entry.comment_id, entry.target_person_id) {
                (Some(post), Some(comment), _) => format!("/post/{post}#comment-{comment}"),
                (Some(post), None, _) => format!("/post/{post}"),
                (None, None, Some(person)) => targets
                    .get(&person)
                    .map(views::person_href)
                    .unwrap_or_else(|| "/".into()),
                _ => "/".into(),
            },
            target: match (&entry.target_name, entry.target_person_id) {
                (Some(name), _) => name.clone(),
                (None, Some(person)) => targets
                    .get(&person)
                    .map(views::person_label)
                    .unwrap_or_default(),
                _ => String::new(),
            },
            reason: entry.reason.clone().unwrap_or_default(),
            until: entry
                .expires_at
                .map(|until| views::ban_end(Some(until)))
                .unwrap_or_default(),
        })
        .collect();
    let link = |n: i64| format!("/modlog?page={n}");
    Ok(render(&ModlogPage {
        chrome: Chrome::of(&page),
        rows,
        next_page: has_more.then(|| link(page_number + 1)),
        previous_page: (page_number > 1).then(|| link(page_number - 1)),
    }))
}
