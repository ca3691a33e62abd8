//! Queries on `login_tokens`: the live logins behind the client API's tokens.

use super::{Connection, DbResult, schema::login_tokens};
use diesel::{dsl::now, prelude::*};
use diesel_async::RunQueryDsl;
use uuid::Uuid;

pub async fn insert(
    conn: &mut Connection,
    id: Uuid,
    person_id: i64,
    ip: Option<&str>,
) -> DbResult<()> {
    diesel::insert_into(login_tokens::table)
        .values((
            login_tokens::id.eq(id),
            login_tokens::person_id.eq(person_id),
            login_tokens::ip.eq(ip),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// The person a live login belongs to (and notes that it was used).
pub async fn person_of(conn: &mut Connection, id: Uuid) -> DbResult<Option<i64>> {
    Ok(diesel::update(login_tokens::table.find(id))
        .set(login_tokens::last_used_at.eq(now))
        .returning(login_tokens::person_id)
        .get_result(conn)
        .await
        .optional()?)
}

/// Ends one login. Returns false when it had ended already.
pub async fn delete(conn: &mut Connection, id: Uuid) -> DbResult<bool> {
    Ok(diesel::delete(login_tokens::table.find(id))
        .execute(conn)
        .await?
        == 1)
}

/// Ends every login of a person (after a password change).
pub async fn delete_all(conn: &mut Connection, person_id: i64) -> DbResult<usize> {
    Ok(
        diesel::delete(login_tokens::table.filter(login_tokens::person_id.eq(person_id)))
            .execute(conn)
            .await?,
    )
}
