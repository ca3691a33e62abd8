//! Queries on `instances`.

use super::{Connection, DbResult, models::Instance, schema::instances};
use diesel::{prelude::*, upsert::excluded};
use diesel_async::RunQueryDsl;

/// The row for `domain` (host with port), created on first sight.
pub async fn get_or_create(conn: &mut Connection, domain: &str) -> DbResult<Instance> {
    let domain = domain.to_ascii_lowercase();
    // The no-op update makes RETURNING yield the row when it already exists.
    Ok(diesel::insert_into(instances::table)
        .values(instances::domain.eq(&domain))
        .on_conflict(instances::domain)
        .do_update()
        .set(instances::domain.eq(excluded(instances::domain)))
        .returning(Instance::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn by_domain(conn: &mut Connection, domain: &str) -> DbResult<Option<Instance>> {
    Ok(instances::table
        .filter(instances::domain.eq(domain.to_ascii_lowercase()))
        .select(Instance::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Notes that the instance answered us or sent us something just now.
pub async fn mark_seen(conn: &mut Connection, id: i64) -> DbResult<()> {
    diesel::update(instances::table.find(id))
        .set(instances::last_seen_at.eq(diesel::dsl::now))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_software(
    conn: &mut Connection,
    id: i64,
    software: &str,
    version: Option<&str>,
) -> DbResult<()> {
    diesel::update(instances::table.find(id))
        .set((
            instances::software.eq(software),
            instances::software_version.eq(version),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Marks an instance blocked or allowed (creating its row if it is new to us).
pub async fn set_policy(
    conn: &mut Connection,
    domain: &str,
    blocked: bool,
    allowed: bool,
) -> DbResult<Instance> {
    let instance = get_or_create(conn, domain).await?;
    Ok(diesel::update(instances::table.find(instance.id))
        .set((
            instances::blocked.eq(blocked),
            instances::allowed.eq(allowed),
        ))
        .returning(Instance::as_returning())
        .get_result(conn)
        .await?)
}

/// The domains marked blocked and those marked allowed.
pub async fn policy_lists(conn: &mut Connection) -> DbResult<(Vec<String>, Vec<String>)> {
    let marked: Vec<(String, bool, bool)> = instances::table
        .filter(instances::blocked.or(instances::allowed))
        .select((instances::domain, instances::blocked, instances::allowed))
        .order(instances::domain.asc())
        .load(conn)
        .await?;
    let blocked = marked.iter().filter(|m| m.1).map(|m| m.0.clone()).collect();
    let allowed = marked.iter().filter(|m| m.2).map(|m| m.0.clone()).collect();
    Ok((blocked, allowed))
}
