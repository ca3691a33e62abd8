//! What pages show of posts, comments, communities and people, prepared for templates. Lists
//! are filled for the person looking in a fixed number of queries, whatever their length.

use crate::db::{
    self, Connection, DbResult,
    models::{Comment, Community, Person},
    views::{CommentView, PostView},
};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// `host[:port]` of an actor's id, for its handle.
pub fn domain_of(ap_id: &str) -> String {
    url::Url::parse(ap_id)
        .ok()
        .and_then(|url| crate::urls::Urls::domain_of(&url))
        .unwrap_or_default()
}

/// Where a community's page is here: `/c/name`, or `/c/name@domain` for a remote one.
pub fn community_href(community: &Community) -> String {
    if community.local {
        format!("/c/{}", community.name)
    } else {
        format!("/c/{}@{}", community.name, domain_of(&community.ap_id))
    }
}

pub fn community_handle(community: &Community, local_domain: &str) -> String {
    let domain = if community.local {
        local_domain.to_string()
    } else {
        domain_of(&community.ap_id)
    };
    format!("!{}@{domain}", community.name)
}

pub fn person_href(person: &Person) -> String {
    if person.local {
        format!("/u/{}", person.name)
    } else {
        format!("/u/{}@{}", person.name, domain_of(&person.ap_id))
    }
}

pub fn person_label(person: &Person) -> String {
    let name = person.display_name.as_deref().unwrap_or(&person.name);
    if person.local {
        name.to_string()
    } else {
        format!("{name} ({})", domain_of(&person.ap_id))
    }
}

/// A person's name as forms take it: `name` here, `name@domain` for someone elsewhere.
pub fn person_handle(person: &Person) -> String {
    if person.local {
        person.name.clone()
    } else {
        format!("{}@{}", person.name, domain_of(&person.ap_id))
    }
}

/// When a ban ends, or "permanent".
pub fn ban_end(until: Option<DateTime<Utc>>) -> String {
    until
        .map(|until| until.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| "permanent".into())
}

/// "3 hours ago", for people; the exact time goes in the `<time>` element.
pub fn ago(when: DateTime<Utc>) -> String {
    let seconds = (Utc::now() - when).num_seconds().max(0);
    let (n, unit) = match seconds {
        s if s < 60 => return "just now".into(),
        s if s < 3600 => (s / 60, "minute"),
        s if s < 86_400 => (s / 3600, "hour"),
        s if s < 86_400 * 30 => (s / 86_400, "day"),
        s if s < 86_400 * 365 => (s / (86_400 * 30), "month"),
        s => (s / (86_400 * 365), "year"),
    };
    format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" })
}

pub struct PostCard {
    pub id: i64,
    pub title: String,
    pub url: Option<String>,
    pub href: String,
    pub community_title: String,
    pub community_href: String,
    pub author: String,
    pub author_href: String,
    pub score: i32,
    pub comments: i32,
    pub ago: String,
    pub published: String,
    pub my_vote: i16,
    pub sensitive: bool,
}

/// Post cards for a list, with the viewer's votes.
pub async fn post_cards(
    conn: &mut Connection,
    viewer: Option<&Person>,
    posts: &[PostView],
) -> DbResult<Vec<PostCard>> {
    let ids: Vec<i64> = posts.iter().map(|p| p.post.id).collect();
    let votes: HashMap<i64, i16> = match viewer {
        Some(viewer) => db::personal::post_votes_among(conn, viewer.id, &ids)
            .await?
            .into_iter()
            .collect(),
        None => HashMap::new(),
    };
    Ok(posts
        .iter()
        .map(|view| {
            let post = &view.post;
            PostCard {
                id: post.id,
                title: post.title.clone(),
                url: post.url.clone(),
                href: format!("/post/{}", post.id),
                community_title: view.community.title.clone(),
                community_href: community_href(&view.community),
                author: person_label(&view.author),
                author_href: person_href(&view.author),
                score: post.score,
                comments: post.comment_count,
                ago: ago(post.published_at),
                published: post.published_at.to_rfc3339(),
                my_vote: votes.get(&post.id).copied().unwrap_or(0),
                sensitive: post.sensitive,
            }
        })
        .collect())
}

pub struct CommentCard {
    pub id: i64,
    pub depth: usize,
    pub author: String,
    pub author_href: String,
    pub body_html: String,
    pub score: i32,
    pub ago: String,
    pub published: String,
    pub gone: bool,
    pub removed: bool,
    pub mine: bool,
    pub my_vote: i16,
    /// Where a comment outside its thread links to.
    pub href: String,
    pub post_title: String,
}

fn comment_card(
    comment: &Comment,
    author: &Person,
    post_title: &str,
    viewer: Option<&Person>,
    votes: &HashMap<i64, i16>,
) -> CommentCard {
    let gone = comment.deleted || comment.removed;
    CommentCard {
        id: comment.id,
        depth: comment.ancestors.len(),
        author: person_label(author),
        author_href: person_href(author),
        body_html: if gone {
            String::new()
        } else {
            comment.body_html.clone()
        },
        score: comment.score,
        ago: ago(comment.published_at),
        published: comment.published_at.to_rfc3339(),
        gone,
        removed: comment.removed,
        mine: viewer.is_some_and(|v| v.id == comment.author_id),
        my_vote: votes.get(&comment.id).copied().unwrap_or(0),
        href: format!("/post/{}#comment-{}", comment.post_id, comment.id),
        post_title: post_title.to_string(),
    }
}

/// A thread's comments in order, with the viewer's votes.
pub async fn thread(
    conn: &mut Connection,
    viewer: Option<&Person>,
    post_title: &str,
    comments: &[CommentView],
) -> DbResult<Vec<CommentCard>> {
    let ids: Vec<i64> = comments.iter().map(|c| c.comment.id).collect();
    let votes = comment_votes(conn, viewer, &ids).await?;
    Ok(comments
        .iter()
        .map(|c| comment_card(&c.comment, &c.author, post_title, viewer, &votes))
        .collect())
}

/// Comments from several threads (a person's page), each linking to its place.
pub async fn comment_list(
    conn: &mut Connection,
    viewer: Option<&Person>,
    comments: &[db::views::CommentInContext],
) -> DbResult<Vec<CommentCard>> {
    let ids: Vec<i64> = comments.iter().map(|c| c.comment.id).collect();
    let votes = comment_votes(conn, viewer, &ids).await?;
    Ok(comments
        .iter()
        .map(|c| comment_card(&c.comment, &c.author, &c.post.title, viewer, &votes))
        .collect())
}

async fn comment_votes(
    conn: &mut Connection,
    viewer: Option<&Person>,
    ids: &[i64],
) -> DbResult<HashMap<i64, i16>> {
    Ok(match viewer {
        Some(viewer) => db::personal::comment_votes_among(conn, viewer.id, ids)
            .await?
            .into_iter()
            .collect(),
        None => HashMap::new(),
    })
}

pub struct CommunityCard {
    pub title: String,
    pub topic: String,
    pub handle: String,
    pub href: String,
    pub description_html: String,
    pub members: i64,
    pub posts: i64,
    pub comments: i64,
    pub local: bool,
    pub membership: &'static str,
}

/// Community cards with their counts and the viewer's membership, in three queries.
pub async fn community_cards(
    conn: &mut Connection,
    viewer: Option<&Person>,
    local_domain: &str,
    communities: &[Community],
) -> DbResult<Vec<CommunityCard>> {
    let ids: Vec<i64> = communities.iter().map(|c| c.id).collect();
    let counts = db::communities::counts(conn, &ids).await?;
    let follows: HashMap<i64, bool> = match viewer {
        Some(viewer) => db::personal::follows_among(conn, viewer.id, &ids)
            .await?
            .into_iter()
            .collect(),
        None => HashMap::new(),
    };
    Ok(communities
        .iter()
        .map(|community| {
            let count = counts.get(&community.id).copied().unwrap_or_default();
            CommunityCard {
                title: community.title.clone(),
                topic: community.topic.clone().unwrap_or_default(),
                handle: community_handle(community, local_domain),
                href: community_href(community),
                description_html: community.description_html.clone().unwrap_or_default(),
                members: count.subscribers,
                posts: count.posts,
                comments: count.comments,
                local: community.local,
                membership: membership(follows.get(&community.id).copied()),
            }
        })
        .collect())
}

/// "member", "pending" or "" from a follow's pending flag.
pub fn membership(pending: Option<bool>) -> &'static str {
    match pending {
        Some(false) => "member",
        Some(true) => "pending",
        None => "",
    }
}
