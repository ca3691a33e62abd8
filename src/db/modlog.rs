//! Queries on `modlog`: the public record of moderator and admin actions.

use super::{
    Connection, DbResult,
    models::Person,
    schema::{modlog, people},
};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = modlog, check_for_backend(diesel::pg::Pg))]
pub struct ModlogEntry {
    pub id: i64,
    pub moderator_id: i64,
    pub community_id: Option<i64>,
    pub action: String,
    pub post_id: Option<i64>,
    pub comment_id: Option<i64>,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub target_person_id: Option<i64>,
    pub target_name: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, Insertable)]
#[diesel(table_name = modlog)]
pub struct NewModlogEntry<'a> {
    pub moderator_id: i64,
    pub community_id: Option<i64>,
    pub action: &'a str,
    pub post_id: Option<i64>,
    pub comment_id: Option<i64>,
    pub reason: Option<&'a str>,
    pub target_person_id: Option<i64>,
    pub target_name: Option<&'a str>,
    pub expires_at: Option<DateTime<Utc>>,
}

pub async fn insert(conn: &mut Connection, entry: &NewModlogEntry<'_>) -> DbResult<()> {
    diesel::insert_into(modlog::table)
        .values(entry)
        .execute(conn)
        .await?;
    Ok(())
}

/// The newest entries (of one community, or of all), each with who acted.
pub async fn newest(
    conn: &mut Connection,
    community_id: Option<i64>,
    limit: i64,
    offset: i64,
) -> DbResult<Vec<(ModlogEntry, Person)>> {
    let mut query = modlog::table
        .inner_join(people::table)
        .select((ModlogEntry::as_select(), Person::as_select()))
        .into_boxed();
    if let Some(community_id) = community_id {
        query = query.filter(modlog::community_id.eq(community_id));
    }
    Ok(query
        .order((modlog::created_at.desc(), modlog::id.desc()))
        .limit(limit)
        .offset(offset)
        .load(conn)
        .await?)
}
