//! Queries on `notifications`: mentions of and replies to local people.

use super::{Connection, DbResult, schema::notifications};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = notifications, check_for_backend(diesel::pg::Pg))]
pub struct Notification {
    pub id: i64,
    pub person_id: i64,
    pub kind: String,
    pub post_id: Option<i64>,
    pub comment_id: Option<i64>,
    pub read: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// Records that `person_id` was mentioned in, or replied to by, a post or comment; once.
pub async fn insert(
    conn: &mut Connection,
    person_id: i64,
    kind: &str,
    post_id: Option<i64>,
    comment_id: Option<i64>,
) -> DbResult<()> {
    diesel::insert_into(notifications::table)
        .values((
            notifications::person_id.eq(person_id),
            notifications::kind.eq(kind),
            notifications::post_id.eq(post_id),
            notifications::comment_id.eq(comment_id),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(())
}

/// A person's notifications of one kind about comments (all, or only the unread ones),
/// newest first.
pub async fn comments_for_person(
    conn: &mut Connection,
    person_id: i64,
    kind: &str,
    unread_only: bool,
    limit: i64,
    offset: i64,
) -> DbResult<Vec<Notification>> {
    let mut query = notifications::table
        .filter(notifications::person_id.eq(person_id))
        .filter(notifications::kind.eq(kind))
        .filter(notifications::comment_id.is_not_null())
        .into_boxed();
    if unread_only {
        query = query.filter(notifications::read.eq(false));
    }
    Ok(query
        .order(notifications::id.desc())
        .limit(limit)
        .offset(offset)
        .select(Notification::as_select())
        .load(conn)
        .await?)
}

/// Unread notifications of one kind about comments (those `comments_for_person` lists).
pub async fn unread_count(conn: &mut Connection, person_id: i64, kind: &str) -> DbResult<i64> {
    Ok(notifications::table
        .filter(notifications::person_id.eq(person_id))
        .filter(notifications::kind.eq(kind))
        .filter(notifications::comment_id.is_not_null())
        .filter(notifications::read.eq(false))
        .count()
        .get_result(conn)
        .await?)
}

/// Marks one of a person's notifications read or unread; `None` if they have no such one.
pub async fn set_read(
    conn: &mut Connection,
    person_id: i64,
    id: i64,
    read: bool,
) -> DbResult<Option<Notification>> {
    Ok(diesel::update(
        notifications::table
            .filter(notifications::id.eq(id))
            .filter(notifications::person_id.eq(person_id)),
    )
    .set(notifications::read.eq(read))
    .returning(Notification::as_returning())
    .get_result(conn)
    .await
    .optional()?)
}

pub async fn mark_all_read(conn: &mut Connection, person_id: i64) -> DbResult<usize> {
    Ok(diesel::update(
        notifications::table
            .filter(notifications::person_id.eq(person_id))
            .filter(notifications::read.eq(false)),
    )
    .set(notifications::read.eq(true))
    .execute(conn)
    .await?)
}
