//! The outgoing queue: activities we publish, one delivery per activity and inbox, the
//! workers that send them, and the state of each peer as a receiver.

use super::{
    Connection, DbResult,
    schema::{deliveries, delivery_workers, instances, received_activities, sent_activities},
};
use chrono::{DateTime, Utc};
use diesel::{
    dsl::now,
    prelude::*,
    sql_types::{Array, Integer, Jsonb, Nullable, Text},
};
use diesel_async::RunQueryDsl;
use serde_json::Value;
use url::Url;
use uuid::Uuid;

/// What an activity is ultimately about: the innermost object's id, following `object`
/// through nested activities (Announce → Create → Page). Deliveries with the same key to
/// the same inbox go in the order they were queued.
pub fn object_key(activity: &Value) -> String {
    let mut current = activity;
    let mut key = activity["id"].as_str().unwrap_or_default().to_string();
    for _ in 0..4 {
        let object = &current["object"];
        if let Some(id) = object.as_str() {
            return id.to_string();
        }
        match object["id"].as_str() {
            Some(id) => key = id.to_string(),
            None => break,
        }
        current = object;
    }
    key
}

/// The id of an activity's object, whether embedded or given as an id.
fn object_of(activity: &Value) -> Option<&str> {
    let object = &activity["object"];
    object.as_str().or_else(|| object["id"].as_str())
}

/// `host[:port]` of an inbox URL.
fn domain_of(inbox: &str) -> String {
    Url::parse(inbox)
        .ok()
        .and_then(|url| {
            let host = url.host_str()?.to_ascii_lowercase();
            Some(match url.port() {
                Some(port) => format!("{host}:{port}"),
                None => host,
            })
        })
        .unwrap_or_default()
}

diesel::define_sql_function! {
    /// Migration 000014: stores an activity and queues its deliveries in one round trip.
    #[allow(clippy::too_many_arguments)]
    fn guild_enqueue(
        activity_ap_id: Text,
        actor: Text,
        activity_kind: Text,
        activity: Jsonb,
        activity_object: Nullable<Text>,
        key_of_object: Text,
        inbox_urls: Array<Text>,
        inbox_domains: Array<Text>,
    ) -> BigInt;
}

/// Stores an activity we publish and queues it for each inbox. Run in the transaction of
/// the change that caused it.
pub async fn enqueue(
    conn: &mut Connection,
    ap_id: &str,
    actor_ap_id: &str,
    kind: &str,
    data: &Value,
    inboxes: &[String],
) -> DbResult<i64> {
    let object_ap_id = object_of(data);
    let domains: Vec<String> = inboxes.iter().map(|inbox| domain_of(inbox)).collect();
    let activity_id = diesel::select(guild_enqueue(
        ap_id,
        actor_ap_id,
        kind,
        data,
        object_ap_id,
        object_key(data),
        inboxes,
        domains,
    ))
    .get_result(conn)
    .await?;
    Ok(activity_id)
}

/// An activity of ours to store, and queue for the inboxes of its [`Batch`].
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub ap_id: String,
    pub actor_ap_id: String,
    pub kind: String,
    pub data: Value,
}

/// Activities of ours that go to the same inboxes (a community's Announces of one activity,
/// say), built before the write that stores them.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    pub activities: Vec<Outgoing>,
    pub inboxes: Vec<String>,
}

/// Stores and queues every activity of `batch`. Run in the transaction of the change.
pub async fn enqueue_batch(conn: &mut Connection, batch: &Batch) -> DbResult<()> {
    for activity in &batch.activities {
        enqueue(
            conn,
            &activity.ap_id,
            &activity.actor_ap_id,
            &activity.kind,
            &activity.data,
            &batch.inboxes,
        )
        .await?;
    }
    Ok(())
}

diesel::define_sql_function! {
    /// Migration 000017: records received ids and enqueues the batches of the new ones.
    #[allow(clippy::too_many_arguments)]
    fn guild_record_received_many(
        received_ap_ids: Array<Text>,
        relays_per_received: Array<Integer>,
        inboxes_per_received: Array<Integer>,
        activity_ap_ids: Array<Text>,
        actors: Array<Text>,
        activity_kinds: Array<Text>,
        activities: Array<Jsonb>,
        activity_objects: Array<Nullable<Text>>,
        keys_of_objects: Array<Text>,
        inbox_urls: Array<Text>,
        inbox_domains: Array<Text>,
    ) -> Array<Bool>;
}

/// An inbox activity's id, with the community's relays of it (empty when it has none).
#[derive(Debug, Clone)]
pub struct Received {
    pub ap_id: String,
    pub relays: Batch,
}

/// Records each received id and, only for the ids not received before, stores and queues
/// their relays, in one statement. Answers, in order, whether each id was new; when the same
/// id comes twice, only its first is.
pub async fn record_received(conn: &mut Connection, received: &[Received]) -> DbResult<Vec<bool>> {
    let relays = || received.iter().flat_map(|r| &r.relays.activities);
    let inboxes = || received.iter().flat_map(|r| &r.relays.inboxes);
    let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    Ok(diesel::select(guild_record_received_many(
        received.iter().map(|r| &r.ap_id).collect::<Vec<_>>(),
        received
            .iter()
            .map(|r| count(r.relays.activities.len()))
            .collect::<Vec<_>>(),
        received
            .iter()
            .map(|r| count(r.relays.inboxes.len()))
            .collect::<Vec<_>>(),
        relays().map(|a| &a.ap_id).collect::<Vec<_>>(),
        relays().map(|a| &a.actor_ap_id).collect::<Vec<_>>(),
        relays().map(|a| &a.kind).collect::<Vec<_>>(),
        relays().map(|a| &a.data).collect::<Vec<_>>(),
        relays().map(|a| object_of(&a.data)).collect::<Vec<_>>(),
        relays().map(|a| object_key(&a.data)).collect::<Vec<_>>(),
        inboxes().collect::<Vec<_>>(),
        inboxes().map(|i| domain_of(i)).collect::<Vec<_>>(),
    ))
    .get_result(conn)
    .await?)
}

/// A delivery taken from the queue, with what it carries.
#[derive(Debug, Clone, Queryable)]
pub struct DueDelivery {
    pub id: i64,
    pub inbox_url: String,
    pub instance_domain: String,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    pub actor_ap_id: String,
    pub data: Value,
}

/// Claims up to `limit` deliveries for `worker`, oldest first: due, not held by a live
/// worker, to a peer that is not paused and not in `exclude`, and the oldest pending delivery
/// about its object to its inbox. SKIP LOCKED lets several workers (and processes) claim
/// disjoint sets. The order test is a per-row subquery on purpose: as an anti-join, a fresh
/// table without statistics gets a quadratic plan (seconds for a few thousand rows). It
/// matches on the hash that `deliveries_order_idx` is keyed by (migration 000021), then on
/// the texts, since two pairs of inbox and object may share a hash.
pub async fn claim(
    conn: &mut Connection,
    worker: Uuid,
    limit: i64,
    exclude: &[String],
    lease_until: DateTime<Utc>,
) -> DbResult<Vec<DueDelivery>> {
    #[derive(QueryableByName)]
    struct Claimed {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
    }
    let claimed: Vec<Claimed> = diesel::sql_query(
        "UPDATE deliveries SET claimed_by = $1, claimed_until = $2, attempts = attempts + 1 \
         WHERE id IN ( \
             SELECT d.id FROM deliveries d \
             LEFT JOIN instances i ON i.domain = d.instance_domain \
             WHERE d.delivered_at IS NULL AND d.failed_at IS NULL AND d.next_attempt_at <= now() \
               AND (d.claimed_by IS NULL OR d.claimed_until < now()) \
               AND (i.delivery_paused_until IS NULL OR i.delivery_paused_until <= now()) \
               AND d.instance_domain <> ALL($3) \
               AND d.id = (SELECT min(e.id) FROM deliveries e \
                           WHERE hashtextextended(e.inbox_url || ' ' || e.object_key, 0) \
                                 = hashtextextended(d.inbox_url || ' ' || d.object_key, 0) \
                             AND e.inbox_url = d.inbox_url AND e.object_key = d.object_key \
                             AND e.delivered_at IS NULL AND e.failed_at IS NULL) \
             ORDER BY d.id LIMIT $4 FOR UPDATE OF d SKIP LOCKED) \
         RETURNING id",
    )
    .bind::<diesel::sql_types::Uuid, _>(worker)
    .bind::<diesel::sql_types::Timestamptz, _>(lease_until)
    .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(exclude)
    .bind::<diesel::sql_types::BigInt, _>(limit)
    .load(conn)
    .await?;
    let ids: Vec<i64> = claimed.into_iter().map(|c| c.id).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(deliveries::table
        .inner_join(sent_activities::table)
        .filter(deliveries::id.eq_any(ids))
        .order(deliveries::id)
        .select((
            deliveries::id,
            deliveries::inbox_url,
            deliveries::instance_domain,
            deliveries::attempts,
            deliveries::created_at,
            sent_activities::actor_ap_id,
            sent_activities::data,
        ))
        .load(conn)
        .await?)
}

pub async fn mark_delivered(conn: &mut Connection, id: i64) -> DbResult<()> {
    diesel::update(deliveries::table.find(id))
        .set((
            deliveries::delivered_at.eq(now),
            deliveries::last_error.eq(None::<String>),
            deliveries::claimed_by.eq(None::<Uuid>),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Marks many deliveries delivered in one statement.
pub async fn mark_all_delivered(conn: &mut Connection, ids: &[i64]) -> DbResult<()> {
    diesel::update(deliveries::table.filter(deliveries::id.eq_any(ids)))
        .set((
            deliveries::delivered_at.eq(now),
            deliveries::last_error.eq(None::<String>),
            deliveries::claimed_by.eq(None::<Uuid>),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Gives up on a delivery (the receiver refused it, or it failed for too long).
pub async fn mark_failed(conn: &mut Connection, id: i64, error: &str) -> DbResult<()> {
    diesel::update(deliveries::table.find(id))
        .set((
            deliveries::failed_at.eq(now),
            deliveries::last_error.eq(error),
            deliveries::claimed_by.eq(None::<Uuid>),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Puts a delivery back in the queue, due at `at`.
pub async fn retry_at(
    conn: &mut Connection,
    id: i64,
    at: DateTime<Utc>,
    error: &str,
) -> DbResult<()> {
    diesel::update(deliveries::table.find(id))
        .set((
            deliveries::next_attempt_at.eq(at),
            deliveries::last_error.eq(error),
            deliveries::claimed_by.eq(None::<Uuid>),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// A peer answered: it is reachable again.
pub async fn instance_succeeded(conn: &mut Connection, domain: &str) -> DbResult<()> {
    diesel::update(instances::table.filter(instances::domain.eq(domain)))
        .filter(
            instances::failing_since
                .is_not_null()
                .or(instances::unreachable.eq(true)),
        )
        .set((
            instances::failing_since.eq(None::<DateTime<Utc>>),
            instances::unreachable.eq(false),
            instances::delivery_paused_until.eq(None::<DateTime<Utc>>),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// A peer failed (error, timeout, 5xx). After `horizon` of failing it is marked unreachable
/// and only probed once `probe_after` has passed. Returns whether it is now unreachable.
pub async fn instance_failed(
    conn: &mut Connection,
    domain: &str,
    horizon: chrono::Duration,
    probe_after: chrono::Duration,
) -> DbResult<bool> {
    let failing_since: Option<DateTime<Utc>> = diesel::insert_into(instances::table)
        .values((
            instances::domain.eq(domain),
            instances::failing_since.eq(now),
        ))
        .on_conflict(instances::domain)
        .do_update()
        .set(
            instances::failing_since
                .eq(diesel::dsl::sql("coalesce(instances.failing_since, now())")),
        )
        .returning(instances::failing_since)
        .get_result(conn)
        .await?;
    let unreachable = failing_since.is_some_and(|since| Utc::now() - since > horizon);
    if unreachable {
        diesel::update(instances::table.filter(instances::domain.eq(domain)))
            .set((
                instances::unreachable.eq(true),
                instances::delivery_paused_until.eq(Utc::now() + probe_after),
            ))
            .execute(conn)
            .await?;
    }
    Ok(unreachable)
}

/// A peer asked us to slow down (429, Retry-After): nothing goes to it before `until`.
pub async fn pause_instance(
    conn: &mut Connection,
    domain: &str,
    until: DateTime<Utc>,
) -> DbResult<()> {
    diesel::insert_into(instances::table)
        .values((
            instances::domain.eq(domain),
            instances::delivery_paused_until.eq(until),
        ))
        .on_conflict(instances::domain)
        .do_update()
        .set(instances::delivery_paused_until.eq(until))
        .execute(conn)
        .await?;
    Ok(())
}

/// Registers a worker, or records that it is alive.
pub async fn heartbeat(conn: &mut Connection, worker: Uuid) -> DbResult<()> {
    diesel::insert_into(delivery_workers::table)
        .values(delivery_workers::id.eq(worker))
        .on_conflict(delivery_workers::id)
        .do_update()
        .set(delivery_workers::heartbeat_at.eq(now))
        .execute(conn)
        .await?;
    Ok(())
}

/// Forgets workers silent for longer than `silence` (a process that was killed) and returns
/// their deliveries to the queue at once. Returns how many deliveries were released.
pub async fn release_dead_workers(
    conn: &mut Connection,
    silence: chrono::Duration,
) -> DbResult<usize> {
    let dead: Vec<Uuid> = diesel::delete(
        delivery_workers::table.filter(delivery_workers::heartbeat_at.lt(Utc::now() - silence)),
    )
    .returning(delivery_workers::id)
    .get_results(conn)
    .await?;
    if dead.is_empty() {
        return Ok(0);
    }
    release_claims(conn, &dead).await
}

/// Returns a worker's unfinished deliveries to the queue (on shutdown, or when it died).
pub async fn release_claims(conn: &mut Connection, workers: &[Uuid]) -> DbResult<usize> {
    Ok(diesel::update(deliveries::table)
        .filter(deliveries::claimed_by.eq_any(workers))
        .filter(deliveries::delivered_at.is_null())
        .filter(deliveries::failed_at.is_null())
        .set((
            deliveries::claimed_by.eq(None::<Uuid>),
            deliveries::claimed_until.eq(None::<DateTime<Utc>>),
        ))
        .execute(conn)
        .await?)
}

pub async fn unregister(conn: &mut Connection, worker: Uuid) -> DbResult<()> {
    release_claims(conn, &[worker]).await?;
    diesel::delete(delivery_workers::table.find(worker))
        .execute(conn)
        .await?;
    Ok(())
}

/// The queue as seen from one peer.
#[derive(Debug, Clone, QueryableByName, serde::Serialize)]
pub struct InstanceQueue {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub instance: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub pending: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>)]
    pub oldest_pending: Option<DateTime<Utc>>,
    /// Pending deliveries that failed at least once.
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub retrying: i64,
    /// Deliveries given up on in the last day.
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub failed_last_day: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub delivered_last_day: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>)]
    pub next_attempt: Option<DateTime<Utc>>,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub unreachable: bool,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub last_error: Option<String>,
}

/// Per-peer backlog, failures and next retry.
pub async fn status(conn: &mut Connection) -> DbResult<Vec<InstanceQueue>> {
    Ok(diesel::sql_query(
        "SELECT d.instance_domain AS instance, \
                count(*) FILTER (WHERE d.delivered_at IS NULL AND d.failed_at IS NULL) AS pending, \
                min(d.created_at) FILTER (WHERE d.delivered_at IS NULL AND d.failed_at IS NULL) AS oldest_pending, \
                count(*) FILTER (WHERE d.delivered_at IS NULL AND d.failed_at IS NULL AND d.attempts > 0 \
                                   AND d.last_error IS NOT NULL) AS retrying, \
                count(*) FILTER (WHERE d.failed_at > now() - interval '1 day') AS failed_last_day, \
                count(*) FILTER (WHERE d.delivered_at > now() - interval '1 day') AS delivered_last_day, \
                min(d.next_attempt_at) FILTER (WHERE d.delivered_at IS NULL AND d.failed_at IS NULL) AS next_attempt, \
                coalesce(bool_or(i.unreachable), false) AS unreachable, \
                (array_agg(d.last_error ORDER BY d.id DESC) FILTER (WHERE d.last_error IS NOT NULL))[1] AS last_error \
         FROM deliveries d LEFT JOIN instances i ON i.domain = d.instance_domain \
         GROUP BY d.instance_domain ORDER BY d.instance_domain",
    )
    .load(conn)
    .await?)
}

/// Deletes what was delivered or given up on before `before`, and the activities that have
/// nothing left to deliver. Returns (deliveries, activities) deleted.
pub async fn purge(conn: &mut Connection, before: DateTime<Utc>) -> DbResult<(usize, usize)> {
    let deliveries_deleted = diesel::delete(
        deliveries::table
            .filter(deliveries::created_at.lt(before))
            .filter(
                deliveries::delivered_at
                    .is_not_null()
                    .or(deliveries::failed_at.is_not_null()),
            ),
    )
    .execute(conn)
    .await?;
    let activities_deleted = diesel::sql_query(
        "DELETE FROM sent_activities s WHERE s.created_at < $1 \
         AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.activity_id = s.id)",
    )
    .bind::<diesel::sql_types::Timestamptz, _>(before)
    .execute(conn)
    .await?;
    Ok((deliveries_deleted, activities_deleted))
}

/// Forgets received activity ids older than `before`.
pub async fn purge_received(conn: &mut Connection, before: DateTime<Utc>) -> DbResult<usize> {
    Ok(diesel::delete(
        received_activities::table.filter(received_activities::received_at.lt(before)),
    )
    .execute(conn)
    .await?)
}

/// Deliveries neither delivered nor given up on.
pub async fn pending_count(conn: &mut Connection) -> DbResult<i64> {
    Ok(deliveries::table
        .filter(deliveries::delivered_at.is_null())
        .filter(deliveries::failed_at.is_null())
        .count()
        .get_result(conn)
        .await?)
}

/// The ids of the Announces an actor sent of the object `object_ap_id` itself (not of an
/// activity about it): the ones Mastodon keeps as boosts.
pub async fn announces_of_object(
    conn: &mut Connection,
    actor_ap_id: &str,
    object_ap_id: &str,
) -> DbResult<Vec<String>> {
    Ok(sent_activities::table
        .filter(sent_activities::actor_ap_id.eq(actor_ap_id))
        .filter(sent_activities::kind.eq("Announce"))
        .filter(sent_activities::object_ap_id.eq(object_ap_id))
        .select(sent_activities::ap_id)
        .load(conn)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::object_key;
    use serde_json::json;

    #[test]
    fn the_key_is_the_innermost_object() {
        let page = json!({"id": "https://a/post/1", "type": "Page"});
        let create = json!({"id": "https://b/create/1", "type": "Create", "object": page});
        let announce = json!({"id": "https://a/announce/1", "type": "Announce", "object": create});
        assert_eq!(object_key(&announce), "https://a/post/1");
        let like = json!({"id": "https://b/like/1", "type": "Like", "object": "https://a/post/1"});
        assert_eq!(
            object_key(&json!({"id": "x", "type": "Announce", "object": like})),
            "https://a/post/1"
        );
        assert_eq!(
            object_key(
                &json!({"id": "https://b/follow/1", "type": "Follow", "object": "https://a/c/x"})
            ),
            "https://a/c/x"
        );
        assert_eq!(
            object_key(&json!({"id": "https://b/x/1", "type": "Thing"})),
            "https://b/x/1"
        );
    }
}
