//! Queries on `community_follows` (the bans are in `moderation`).

use super::{
    Connection, DbResult, inbox_or,
    models::CommunityFollow,
    schema::{community_follows, people},
};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

/// Records a follow, or updates its state and activity id when it exists.
pub async fn upsert(
    conn: &mut Connection,
    community_id: i64,
    person_id: i64,
    pending: bool,
    follow_activity_ap_id: Option<&str>,
) -> DbResult<()> {
    diesel::insert_into(community_follows::table)
        .values((
            community_follows::community_id.eq(community_id),
            community_follows::person_id.eq(person_id),
            community_follows::pending.eq(pending),
            community_follows::follow_activity_ap_id.eq(follow_activity_ap_id),
        ))
        .on_conflict((
            community_follows::community_id,
            community_follows::person_id,
        ))
        .do_update()
        .set((
            community_follows::pending.eq(pending),
            community_follows::follow_activity_ap_id.eq(follow_activity_ap_id),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn get(
    conn: &mut Connection,
    community_id: i64,
    person_id: i64,
) -> DbResult<Option<CommunityFollow>> {
    Ok(community_follows::table
        .find((community_id, person_id))
        .select(CommunityFollow::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Marks a pending follow accepted. Returns false when there was no pending follow.
pub async fn accept(conn: &mut Connection, community_id: i64, person_id: i64) -> DbResult<bool> {
    let changed = diesel::update(community_follows::table.find((community_id, person_id)))
        .filter(community_follows::pending.eq(true))
        .set(community_follows::pending.eq(false))
        .execute(conn)
        .await?;
    Ok(changed == 1)
}

/// Removes a follow. Returns false when there was none.
pub async fn delete(conn: &mut Connection, community_id: i64, person_id: i64) -> DbResult<bool> {
    let deleted = diesel::delete(community_follows::table.find((community_id, person_id)))
        .execute(conn)
        .await?;
    Ok(deleted == 1)
}

/// Accepted follows of a community by people of this instance.
pub async fn local_follower_count(conn: &mut Connection, community_id: i64) -> DbResult<i64> {
    Ok(community_follows::table
        .inner_join(people::table)
        .filter(community_follows::community_id.eq(community_id))
        .filter(community_follows::pending.eq(false))
        .filter(people::local.eq(true))
        .count()
        .get_result(conn)
        .await?)
}

/// Where to deliver what a community relays: each remote follower's shared inbox (or own
/// inbox), once, with the domain of its instance. Both are kept on the follow (migration
/// 000020), so this reads one range of one index.
pub async fn follower_inboxes(
    conn: &mut Connection,
    community_id: i64,
) -> DbResult<Vec<(String, String)>> {
    let found: Vec<(Option<String>, Option<String>)> = community_follows::table
        .filter(community_follows::community_id.eq(community_id))
        .filter(community_follows::pending.eq(false))
        .filter(community_follows::delivery_inbox.is_not_null())
        .select((
            community_follows::delivery_domain,
            community_follows::delivery_inbox,
        ))
        .distinct()
        .load(conn)
        .await?;
    Ok(found
        .into_iter()
        .filter_map(|(domain, inbox)| Some((domain?, inbox?)))
        .collect())
}

/// The follow recorded with the Follow activity `ap_id`.
pub async fn by_activity(conn: &mut Connection, ap_id: &str) -> DbResult<Option<CommunityFollow>> {
    Ok(community_follows::table
        .filter(community_follows::follow_activity_ap_id.eq(ap_id))
        .select(CommunityFollow::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// One inbox per peer that follows any local community, or hosts a community someone here
/// follows: where news about this instance's people (a site ban) must go.
pub async fn peer_inboxes(conn: &mut Connection) -> DbResult<Vec<String>> {
    use super::schema::communities;
    let followers: Vec<String> = community_follows::table
        .inner_join(people::table)
        .inner_join(communities::table)
        .filter(communities::local.eq(true))
        .filter(people::local.eq(false))
        .select(inbox_or(people::shared_inbox_url, people::inbox_url))
        .distinct()
        .load(conn)
        .await?;
    let followed: Vec<String> = community_follows::table
        .inner_join(people::table)
        .inner_join(communities::table)
        .filter(communities::local.eq(false))
        .filter(people::local.eq(true))
        .select(inbox_or(
            communities::shared_inbox_url,
            communities::inbox_url,
        ))
        .distinct()
        .load(conn)
        .await?;
    let mut inboxes = followers;
    inboxes.extend(followed);
    inboxes.sort();
    inboxes.dedup();
    Ok(inboxes)
}
