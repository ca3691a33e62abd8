//! Queries on `site`, the single row describing this instance.

use super::{
    Connection, DbResult,
    models::{NewSite, Site},
    schema::site,
};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

/// The content version (see `page_cache`): moves with every write to what pages show.
pub async fn content_version(conn: &mut Connection) -> DbResult<i64> {
    Ok(
        diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "(SELECT last_value FROM content_version)",
        ))
        .get_result(conn)
        .await?,
    )
}

pub async fn get(conn: &mut Connection) -> DbResult<Option<Site>> {
    Ok(site::table
        .select(Site::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn insert(conn: &mut Connection, form: &NewSite) -> DbResult<Site> {
    Ok(diesel::insert_into(site::table)
        .values(form)
        .returning(Site::as_returning())
        .get_result(conn)
        .await?)
}

/// What an admin may change about the instance.
pub async fn update_settings(
    conn: &mut Connection,
    name: &str,
    description: &str,
    registration_open: Option<bool>,
) -> DbResult<Site> {
    Ok(diesel::update(site::table)
        .set((
            site::name.eq(name),
            site::description.eq(description),
            site::registration_open.eq(registration_open),
        ))
        .returning(Site::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn set_federation_allowlist(conn: &mut Connection, allowlist: bool) -> DbResult<()> {
    diesel::update(site::table)
        .set(site::federation_allowlist.eq(allowlist))
        .execute(conn)
        .await?;
    Ok(())
}
