//! Queries on `reports`: posts and comments people flagged for their community's moderators.

use super::{
    Connection, DbResult,
    models::{Community, Person},
    schema::{communities, people, reports},
};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = reports, check_for_backend(diesel::pg::Pg))]
pub struct Report {
    pub id: i64,
    pub ap_id: String,
    pub reporter_id: i64,
    pub community_id: i64,
    pub post_id: i64,
    pub comment_id: Option<i64>,
    pub reason: String,
    pub original_text: String,
    pub resolved: bool,
    pub resolver_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = reports)]
pub struct NewReport<'a> {
    pub ap_id: &'a str,
    pub reporter_id: i64,
    pub community_id: i64,
    pub post_id: i64,
    pub comment_id: Option<i64>,
    pub reason: &'a str,
    pub original_text: &'a str,
}

/// Stores a report unless its Flag was stored before; returns it either way.
pub async fn insert(conn: &mut Connection, report: &NewReport<'_>) -> DbResult<Report> {
    let inserted = diesel::insert_into(reports::table)
        .values(report)
        .on_conflict(reports::ap_id)
        .do_nothing()
        .returning(Report::as_returning())
        .get_result(conn)
        .await
        .optional()?;
    match inserted {
        Some(report) => Ok(report),
        None => Ok(reports::table
            .filter(reports::ap_id.eq(report.ap_id))
            .select(Report::as_select())
            .first(conn)
            .await?),
    }
}

pub async fn by_id(conn: &mut Connection, id: i64) -> DbResult<Option<Report>> {
    Ok(reports::table
        .find(id)
        .select(Report::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn set_resolved(
    conn: &mut Connection,
    id: i64,
    resolved: bool,
    resolver_id: i64,
) -> DbResult<Report> {
    Ok(diesel::update(reports::table.find(id))
        .set((
            reports::resolved.eq(resolved),
            reports::resolver_id.eq(Some(resolver_id)),
            reports::updated_at.eq(diesel::dsl::now),
        ))
        .returning(Report::as_returning())
        .get_result(conn)
        .await?)
}

/// Reports in the given communities (all of them when `community_ids` is `None`), newest
/// first, each with its reporter and community.
pub async fn list(
    conn: &mut Connection,
    community_ids: Option<&[i64]>,
    unresolved_only: bool,
    comments: Option<bool>,
    limit: i64,
    offset: i64,
) -> DbResult<Vec<(Report, Person, Community)>> {
    let mut query = reports::table
        .inner_join(people::table.on(people::id.eq(reports::reporter_id)))
        .inner_join(communities::table)
        .select((
            Report::as_select(),
            Person::as_select(),
            Community::as_select(),
        ))
        .into_boxed();
    if let Some(ids) = community_ids {
        query = query.filter(reports::community_id.eq_any(ids.to_vec()));
    }
    if unresolved_only {
        query = query.filter(reports::resolved.eq(false));
    }
    match comments {
        Some(true) => query = query.filter(reports::comment_id.is_not_null()),
        Some(false) => query = query.filter(reports::comment_id.is_null()),
        None => {}
    }
    Ok(query
        .order((reports::created_at.desc(), reports::id.desc()))
        .limit(limit)
        .offset(offset)
        .load(conn)
        .await?)
}

/// Communities a person moderates (for their report queue).
pub async fn moderated_community_ids(conn: &mut Connection, person_id: i64) -> DbResult<Vec<i64>> {
    use super::schema::community_moderators;
    Ok(community_moderators::table
        .filter(community_moderators::person_id.eq(person_id))
        .select(community_moderators::community_id)
        .load(conn)
        .await?)
}
