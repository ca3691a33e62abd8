//! Queries on the activity logs: ids received (for de-duplication) and activities sent.

use super::{
    Connection, DbResult,
    schema::{received_activities, sent_activities},
};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::Value;

/// Records that the activity `ap_id` arrived. Returns false when it had arrived before,
/// which makes the caller skip it.
pub async fn record_received(conn: &mut Connection, ap_id: &str) -> DbResult<bool> {
    let inserted = diesel::insert_into(received_activities::table)
        .values(received_activities::ap_id.eq(ap_id))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(inserted == 1)
}

/// The JSON of an activity we published, by its id.
pub async fn sent_by_ap_id(conn: &mut Connection, ap_id: &str) -> DbResult<Option<Value>> {
    Ok(sent_activities::table
        .filter(sent_activities::ap_id.eq(ap_id))
        .select(sent_activities::data)
        .first(conn)
        .await
        .optional()?)
}

/// The newest activities an actor published, newest first, and how many there are in all.
pub async fn sent_by_actor(
    conn: &mut Connection,
    actor_ap_id: &str,
    limit: i64,
) -> DbResult<(Vec<Value>, i64)> {
    let items = sent_activities::table
        .filter(sent_activities::actor_ap_id.eq(actor_ap_id))
        .order(sent_activities::id.desc())
        .limit(limit)
        .select(sent_activities::data)
        .load(conn)
        .await?;
    let total = sent_activities::table
        .filter(sent_activities::actor_ap_id.eq(actor_ap_id))
        .count()
        .get_result(conn)
        .await?;
    Ok((items, total))
}
