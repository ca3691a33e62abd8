//! Counts for NodeInfo and the site description.

use super::{
    Connection, DbResult,
    schema::{comments, communities, people, posts},
};
use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

#[derive(Debug, Clone, Copy, Default)]
pub struct UsageCounts {
    pub users: i64,
    pub active_month: i64,
    pub active_halfyear: i64,
    pub communities: i64,
    pub posts: i64,
    pub comments: i64,
}

/// Local usage. A person is active when they posted or commented within the window.
pub async fn local_usage(conn: &mut Connection) -> DbResult<UsageCounts> {
    let users = people::table
        .filter(people::local.eq(true))
        .filter(people::deleted.eq(false))
        .count()
        .get_result(conn)
        .await?;
    let communities = communities::table
        .filter(communities::local.eq(true))
        .filter(communities::deleted.eq(false))
        .count()
        .get_result(conn)
        .await?;
    let posts = posts::table
        .filter(posts::local.eq(true))
        .filter(posts::deleted.eq(false))
        .count()
        .get_result(conn)
        .await?;
    let comments = comments::table
        .filter(comments::local.eq(true))
        .filter(comments::deleted.eq(false))
        .count()
        .get_result(conn)
        .await?;
    Ok(UsageCounts {
        users,
        active_month: active_since(conn, Duration::days(30)).await?,
        active_halfyear: active_since(conn, Duration::days(182)).await?,
        communities,
        posts,
        comments,
    })
}

async fn active_since(conn: &mut Connection, window: Duration) -> DbResult<i64> {
    let since = Utc::now() - window;
    let posters = posts::table
        .filter(posts::local.eq(true))
        .filter(posts::published_at.ge(since))
        .select(posts::author_id);
    let commenters = comments::table
        .filter(comments::local.eq(true))
        .filter(comments::published_at.ge(since))
        .select(comments::author_id);
    Ok(people::table
        .filter(people::local.eq(true))
        .filter(people::id.eq_any(posters).or(people::id.eq_any(commenters)))
        .count()
        .get_result(conn)
        .await?)
}
