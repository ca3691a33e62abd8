//! The one way out. Every activity Guild publishes is written to `sent_activities` with one
//! `deliveries` row per inbox, in the transaction of the change that caused it; a worker then
//! signs and POSTs each delivery, retrying failures with backoff. Nothing is sent from memory
//! only, so a restart loses nothing.

use super::{ACTIVITY_JSON, objects::context, signatures};
use crate::{
    context::Context,
    db::{
        self, Connection, DbResult,
        deliveries::{Batch, DueDelivery, Outgoing},
    },
    urls::Urls,
};
use chrono::{Duration as ChronoDuration, Utc};
use rsa::{RsaPrivateKey, pkcs8::DecodePrivateKey};
use serde::Serialize;
use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex, RwLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};
use tokio::sync::{Notify, Semaphore, mpsc, watch};
use url::Url;
use uuid::Uuid;

/// How many deliveries a worker claims at once.
const CLAIM_BATCH: i64 = 64;
/// How many deliveries a worker holds (in flight or waiting for a slot) at most.
const MAX_HELD: usize = 512;
/// How long a claimed delivery stays hidden from other workers if its worker vanishes
/// without a trace (heartbeats normally free it sooner).
const LEASE: ChronoDuration = ChronoDuration::minutes(10);
/// How often the queue is polled when nothing wakes the worker.
const POLL: Duration = Duration::from_secs(1);
/// How often a worker says it is alive; one silent for `DEAD_AFTER` is presumed killed and
/// its deliveries go back to the queue.
const HEARTBEAT: Duration = Duration::from_secs(5);
const DEAD_AFTER: ChronoDuration = ChronoDuration::seconds(30);
/// How often an unreachable peer is tried again.
const PROBE_UNREACHABLE: ChronoDuration = ChronoDuration::days(1);
/// The longest pause a peer's Retry-After can impose.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// Stores `activity` (published by `actor`) and queues it for `inboxes`: each once, and none
/// on this instance. Call inside the transaction of the change, then [`wake`].
pub async fn enqueue<T: Serialize>(
    conn: &mut Connection,
    ctx: &Context,
    id: &Url,
    actor: &Url,
    kind: &str,
    activity: &T,
    inboxes: impl IntoIterator<Item = String>,
) -> DbResult<()> {
    let batch = Batch {
        activities: vec![outgoing(id, actor, kind, activity)?],
        inboxes: remote_inboxes(ctx, inboxes),
    };
    db::deliveries::enqueue_batch(conn, &batch).await
}

/// `activity` (published by `actor`) as something to store and queue.
pub fn outgoing<T: Serialize>(
    id: &Url,
    actor: &Url,
    kind: &str,
    activity: &T,
) -> DbResult<Outgoing> {
    let data = serde_json::to_value(activity)
        .map_err(|e| db::DbError::Setup(format!("activity {id} cannot be serialised: {e}")))?;
    Ok(Outgoing {
        ap_id: id.to_string(),
        actor_ap_id: actor.to_string(),
        kind: kind.to_string(),
        data,
    })
}

/// The inboxes deliveries go to: valid URLs, each once, none on this instance.
pub fn remote_inboxes(ctx: &Context, inboxes: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut unique: Vec<String> = Vec::new();
    for inbox in inboxes {
        let Ok(url) = Url::parse(&inbox) else {
            continue;
        };
        if Urls::domain_of(&url).as_deref() == Some(ctx.settings.domain.as_str()) {
            continue;
        }
        if !unique.contains(&inbox) {
            unique.push(inbox);
        }
    }
    unique
}

/// `activity`, someone else's, forwarded to `inbox` and signed by our instance actor. It is
/// stored under a fresh id of ours; its own id travels inside it.
pub fn forward(ctx: &Context, activity: &serde_json::Value, inbox: String) -> DbResult<Batch> {
    let kind = activity["type"].as_str().unwrap_or("Activity");
    tracing::debug!(id = ?activity["id"], %inbox, "forwarding an activity to its community");
    Ok(Batch {
        activities: vec![outgoing(
            &ctx.urls.new_activity("forward"),
            &ctx.urls.instance_actor(),
            kind,
            activity,
        )?],
        inboxes: remote_inboxes(ctx, [inbox]),
    })
}

/// Tells the worker that deliveries were queued (after the transaction committed).
pub fn wake(ctx: &Context) {
    ctx.delivery_wakeup.notify_one();
}

/// How long a community's list of follower inboxes is kept. Follows and unfollows by peers
/// forget their community's list at once; this bounds how long any other change (a
/// follower's new shared inbox, a purge) goes unseen.
const FOLLOWER_INBOXES_KEPT: Duration = Duration::from_secs(60);

/// (instance domain, inbox URL) of each follower instance of a community.
type InboxList = Arc<[(String, String)]>;

/// The follower inboxes of each local community that relayed something lately. Every
/// activity a community relays needs them; kept here, a busy community reads them once a
/// minute instead of once per activity (one index range since migration 000020).
#[derive(Default)]
pub struct FollowerInboxes {
    lists: RwLock<HashMap<i64, (Instant, InboxList)>>,
    /// Bumped by every `forget`, so that a list read before a follow changed is not kept
    /// after it.
    generation: AtomicU64,
}

impl FollowerInboxes {
    /// The inboxes to deliver to for `community_id`, leaving out the instance
    /// `except_domain` (where the activity came from).
    pub async fn of(
        &self,
        conn: &mut Connection,
        community_id: i64,
        except_domain: Option<&str>,
    ) -> DbResult<Vec<String>> {
        let list = match self.kept(community_id) {
            Some(list) => list,
            None => {
                let generation = self.generation.load(Ordering::Acquire);
                let list: InboxList = db::follows::follower_inboxes(conn, community_id)
                    .await?
                    .into();
                if let Ok(mut lists) = self.lists.write()
                    && self.generation.load(Ordering::Acquire) == generation
                {
                    lists.insert(community_id, (Instant::now(), list.clone()));
                }
                list
            }
        };
        let except = except_domain.map(str::to_ascii_lowercase);
        let mut inboxes: Vec<String> = list
            .iter()
            .filter(|(domain, _)| Some(domain) != except.as_ref())
            .map(|(_, inbox)| inbox.clone())
            .collect();
        inboxes.sort();
        inboxes.dedup();
        Ok(inboxes)
    }

    fn kept(&self, community_id: i64) -> Option<InboxList> {
        let lists = self.lists.read().ok()?;
        let (loaded, list) = lists.get(&community_id)?;
        (loaded.elapsed() < FOLLOWER_INBOXES_KEPT).then(|| list.clone())
    }

    /// Call after a change to `community_id`'s followers committed.
    pub fn forget(&self, community_id: i64) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        if let Ok(mut lists) = self.lists.write() {
            lists.remove(&community_id);
        }
    }

    /// Call after a change that may touch any community's followers (a purge) committed.
    pub fn forget_all(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        if let Ok(mut lists) = self.lists.write() {
            lists.clear();
        }
    }
}

/// Runs a delivery worker until `stop` turns true.
///
/// The worker claims due deliveries from the shared queue and sends each in a task of its
/// own, at most `delivery_concurrency_per_instance` at a time to any one peer: a peer that is
/// slow only fills its own slots, and the worker keeps claiming for the others. Deliveries
/// about one object to one inbox are never claimed before the earlier ones are done, so a
/// Create arrives before its Update and its Delete.
pub async fn run_worker(ctx: Context, mut stop: watch::Receiver<bool>) {
    let worker = Uuid::new_v4();
    let keys = Arc::new(KeyCache::default());
    let healthy = Arc::new(HealthyPeers::default());
    let (delivered, delivered_queue) = mpsc::unbounded_channel::<(i64, String)>();
    let recorder = tokio::spawn(record_delivered(
        ctx.clone(),
        delivered_queue,
        healthy.clone(),
    ));
    let held: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let slots: Arc<Mutex<HashMap<String, Arc<Semaphore>>>> = Arc::default();
    // Rung when a peer's held deliveries fall to its slots' worth: time to top it up.
    let finished = Arc::new(Notify::new());
    let per_instance = ctx.settings.delivery_concurrency_per_instance;
    let mut tasks = tokio::task::JoinSet::new();
    let mut last_heartbeat = tokio::time::Instant::now() - HEARTBEAT;
    loop {
        if *stop.borrow() {
            break;
        }
        if last_heartbeat.elapsed() >= HEARTBEAT {
            last_heartbeat = tokio::time::Instant::now();
            if let Err(err) = heartbeat(&ctx, worker).await {
                tracing::warn!(%err, "delivery worker heartbeat failed");
            }
        }
        while tasks.try_join_next().is_some() {}
        let (total_held, saturated) = {
            let held = held.lock().unwrap_or_else(|e| e.into_inner());
            // More than the slots are held per peer, so that a finished delivery's slot is
            // taken at once by the next one; a peer is topped up again (in one claim of many)
            // only once no more than its slots' worth is left.
            let saturated: Vec<String> = held
                .iter()
                .filter(|(_, count)| **count > per_instance)
                .map(|(domain, _)| domain.clone())
                .collect();
            (held.values().sum::<usize>(), saturated)
        };
        let room = MAX_HELD
            .saturating_sub(total_held)
            .min(CLAIM_BATCH as usize) as i64;
        let claimed = if room > 0 {
            match claim(&ctx, worker, room, &saturated).await {
                Ok(claimed) => claimed,
                Err(err) => {
                    tracing::warn!(%err, "delivery queue unavailable");
                    Vec::new()
                }
            }
        } else {
            Vec::new()
        };
        let got_any = !claimed.is_empty();
        for delivery in claimed {
            let domain = delivery.instance_domain.clone();
            *held
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry(domain.clone())
                .or_default() += 1;
            let slot = slots
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry(domain.clone())
                .or_insert_with(|| Arc::new(Semaphore::new(per_instance)))
                .clone();
            let (ctx, keys, held, finished, healthy, delivered) = (
                ctx.clone(),
                keys.clone(),
                held.clone(),
                finished.clone(),
                healthy.clone(),
                delivered.clone(),
            );
            tasks.spawn(async move {
                if let Ok(_permit) = slot.acquire().await {
                    let started = std::time::Instant::now();
                    let outcome = send(&ctx, &keys, &delivery).await;
                    let sent = started.elapsed();
                    ctx.metrics.delivery_seconds.observe(sent.as_secs_f64());
                    let recorded = match outcome {
                        Outcome::Delivered => {
                            ctx.metrics.count_delivery("delivered");
                            let _ = delivered.send((delivery.id, delivery.instance_domain.clone()));
                            Ok(())
                        }
                        outcome => record(&ctx, &delivery, outcome, &healthy).await,
                    };
                    tracing::trace!(?sent, total = ?started.elapsed(), "delivery");
                    if let Err(err) = recorded {
                        tracing::warn!(%err, id = delivery.id, "could not record a delivery's outcome");
                    }
                }
                let refill = match held.lock().unwrap_or_else(|e| e.into_inner()).get_mut(&domain) {
                    Some(count) => {
                        *count = count.saturating_sub(1);
                        *count <= per_instance
                    }
                    None => true,
                };
                // The loop claims again only once a peer runs low, not after each delivery.
                if refill {
                    finished.notify_one();
                }
            });
        }
        if got_any {
            continue;
        }
        tokio::select! {
            _ = stop.changed() => {}
            () = ctx.delivery_wakeup.notified() => {}
            () = finished.notified() => {}
            () = tokio::time::sleep(POLL) => {}
        }
    }
    // Let what is in flight finish briefly, then hand the rest back to the queue.
    let _ = tokio::time::timeout(Duration::from_secs(10), async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    tasks.abort_all();
    drop(delivered);
    let _ = recorder.await;
    if let Ok(mut conn) = ctx.pool.get().await {
        if let Err(err) = db::deliveries::unregister(&mut conn, worker).await {
            tracing::warn!(%err, "delivery worker could not hand back its deliveries");
        }
    }
}

/// Records successful deliveries in batches: at several hundred a second, one UPDATE each
/// would cost the database more than the sending does.
async fn record_delivered(
    ctx: Context,
    mut queue: mpsc::UnboundedReceiver<(i64, String)>,
    healthy: Arc<HealthyPeers>,
) {
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        // Gather what arrives within a few milliseconds.
        let deadline = tokio::time::sleep(Duration::from_millis(5));
        tokio::pin!(deadline);
        while batch.len() < 1000 {
            tokio::select! {
                next = queue.recv() => match next {
                    Some(item) => batch.push(item),
                    None => break,
                },
                () = &mut deadline => break,
            }
        }
        let recorded = async {
            let mut conn = ctx.pool.get().await?;
            let ids: Vec<i64> = batch.iter().map(|(id, _)| *id).collect();
            db::deliveries::mark_all_delivered(&mut conn, &ids).await?;
            for (_, domain) in &batch {
                if healthy.mark_ok(domain) {
                    db::deliveries::instance_succeeded(&mut conn, domain).await?;
                }
            }
            Ok::<_, db::DbError>(())
        }
        .await;
        if let Err(err) = recorded {
            tracing::warn!(%err, count = batch.len(), "could not record deliveries; they will be sent again");
        }
    }
}

async fn heartbeat(ctx: &Context, worker: Uuid) -> DbResult<()> {
    let mut conn = ctx.pool.get().await?;
    db::deliveries::heartbeat(&mut conn, worker).await?;
    let released = db::deliveries::release_dead_workers(&mut conn, DEAD_AFTER).await?;
    if released > 0 {
        tracing::info!(
            released,
            "deliveries of a stopped worker returned to the queue"
        );
    }
    Ok(())
}

async fn claim(
    ctx: &Context,
    worker: Uuid,
    limit: i64,
    saturated: &[String],
) -> DbResult<Vec<DueDelivery>> {
    let mut conn = ctx.pool.get().await?;
    db::deliveries::claim(&mut conn, worker, limit, saturated, Utc::now() + LEASE).await
}

enum Outcome {
    Delivered,
    /// The receiver refused it for good (a 4xx other than 408 and 429).
    Refused(String),
    /// Worth trying again, not before the given delay if the receiver named one.
    Failed(String, Option<Duration>),
}

async fn send(ctx: &Context, keys: &KeyCache, delivery: &DueDelivery) -> Outcome {
    let inbox = match Url::parse(&delivery.inbox_url) {
        Ok(url) => url,
        Err(e) => return Outcome::Refused(format!("bad inbox URL: {e}")),
    };
    // Nothing goes to an instance the federation policy refuses, even if it was queued
    // before the policy changed.
    match crate::service::policy::permits(ctx, &delivery.instance_domain).await {
        Ok(true) => {}
        Ok(false) => return Outcome::Refused("blocked by the federation policy".into()),
        Err(e) => return Outcome::Failed(format!("reading the federation policy: {e}"), None),
    }
    let key = match keys.get(ctx, &delivery.actor_ap_id).await {
        Ok(key) => key,
        Err(e) => return Outcome::Refused(format!("no key to sign with: {e}")),
    };
    let mut document = delivery.data.clone();
    if let Some(object) = document.as_object_mut() {
        object.insert("@context".into(), context());
    }
    let body = match serde_json::to_vec(&document) {
        Ok(body) => body,
        Err(e) => return Outcome::Refused(e.to_string()),
    };
    tracing::debug!(target: "guild::wire", inbox = %inbox, body = %String::from_utf8_lossy(&body), "sending");
    let key_id = format!("{}#main-key", delivery.actor_ap_id);
    // An RSA signature costs about a millisecond of CPU: off the async threads, so that
    // both cores sign while the network waits.
    let signed = {
        let (inbox, body) = (inbox.clone(), body.clone());
        tokio::task::spawn_blocking(move || signatures::sign_post(&inbox, &body, &key_id, &key))
            .await
    };
    let headers = match signed {
        Ok(Ok(headers)) => headers,
        Ok(Err(e)) => return Outcome::Refused(e.to_string()),
        Err(e) => return Outcome::Failed(format!("signing task: {e}"), None),
    };
    let response = ctx
        .http
        .post(inbox.as_str())
        .headers(headers)
        .header(http::header::ACCEPT, ACTIVITY_JSON)
        .body(body)
        .send()
        .await;
    let response = match response {
        Ok(response) => response,
        Err(e) => return Outcome::Failed(super::resolve::error_chain(&e), None),
    };
    let status = response.status();
    if status.is_success() {
        return Outcome::Delivered;
    }
    let mut retry_after = response
        .headers()
        .get(http::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after);
    if status == http::StatusCode::TOO_MANY_REQUESTS && retry_after.is_none() {
        // Slow down even when the peer did not say for how long.
        retry_after = Some(Duration::from_secs(
            ctx.settings.delivery_first_retry_seconds,
        ));
    }
    let text: String = response
        .text()
        .await
        .unwrap_or_default()
        .chars()
        .take(300)
        .collect();
    let message = format!("{status}: {text}");
    if status.is_client_error()
        && status != http::StatusCode::REQUEST_TIMEOUT
        && status != http::StatusCode::TOO_MANY_REQUESTS
    {
        Outcome::Refused(message)
    } else {
        Outcome::Failed(message, retry_after)
    }
}

async fn record(
    ctx: &Context,
    delivery: &DueDelivery,
    outcome: Outcome,
    healthy: &HealthyPeers,
) -> DbResult<()> {
    let mut conn = ctx.pool.get().await?;
    let settings = &ctx.settings;
    let horizon = ChronoDuration::hours(settings.delivery_retry_horizon_hours as i64);
    let domain = delivery.instance_domain.as_str();
    match outcome {
        Outcome::Delivered => {
            db::deliveries::mark_delivered(&mut conn, delivery.id).await?;
            if healthy.mark_ok(domain) {
                db::deliveries::instance_succeeded(&mut conn, domain).await?;
            }
            Ok(())
        }
        Outcome::Refused(error) => {
            ctx.metrics.count_delivery("refused");
            tracing::info!(inbox = %delivery.inbox_url, %error, "delivery refused");
            db::deliveries::mark_failed(&mut conn, delivery.id, &error).await?;
            // A refusal is an answer: the peer is up.
            if healthy.mark_ok(domain) {
                db::deliveries::instance_succeeded(&mut conn, domain).await?;
            }
            Ok(())
        }
        Outcome::Failed(error, retry_after) => {
            healthy.mark_failing(domain);
            if Utc::now() - delivery.created_at > horizon {
                ctx.metrics.count_delivery("given_up");
                tracing::warn!(inbox = %delivery.inbox_url, %error, "delivery given up");
                return db::deliveries::mark_failed(&mut conn, delivery.id, &error).await;
            }
            ctx.metrics.count_delivery("failed");
            let delay = match retry_after {
                // The peer asked for a pause: nothing goes to it until then.
                Some(pause) => {
                    let until = Utc::now() + chrono_duration(pause.min(MAX_RETRY_AFTER));
                    db::deliveries::pause_instance(&mut conn, domain, until).await?;
                    pause.min(MAX_RETRY_AFTER)
                }
                None => {
                    let unreachable = db::deliveries::instance_failed(
                        &mut conn,
                        domain,
                        horizon,
                        PROBE_UNREACHABLE,
                    )
                    .await?;
                    if unreachable {
                        tracing::warn!(
                            instance = domain,
                            "peer marked unreachable; probed again tomorrow"
                        );
                    }
                    backoff(
                        delivery.attempts,
                        Duration::from_secs(settings.delivery_first_retry_seconds),
                    )
                }
            };
            tracing::debug!(inbox = %delivery.inbox_url, %error, ?delay, "delivery will be retried");
            db::deliveries::retry_at(
                &mut conn,
                delivery.id,
                Utc::now() + chrono_duration(delay),
                &error,
            )
            .await
        }
    }
}

/// `Retry-After` as seconds or as an HTTP date.
fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(std::time::SystemTime::now())
            .unwrap_or_default(),
    )
}

fn chrono_duration(duration: Duration) -> ChronoDuration {
    ChronoDuration::from_std(duration).unwrap_or(ChronoDuration::hours(1))
}

/// Exponential backoff from `first`, doubling per attempt up to an hour, with ±20 % jitter
/// so that retries to a peer that comes back do not arrive all at once.
fn backoff(attempts: i32, first: Duration) -> Duration {
    let doublings = attempts.clamp(1, 16) as u32 - 1;
    let base = (first.as_secs_f64() * f64::from(1u32 << doublings)).min(3600.0);
    let jitter = 0.8 + rand::random::<f64>() * 0.4;
    Duration::from_secs_f64(base * jitter)
}

/// The peers this worker saw answer since their last failure, so that a success only
/// clears a peer's failure state in the database when there may be one to clear.
#[derive(Default)]
struct HealthyPeers(Mutex<std::collections::HashSet<String>>);

impl HealthyPeers {
    /// Records a success; returns whether the peer was not known healthy until now.
    fn mark_ok(&self, domain: &str) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(domain.to_string())
    }

    fn mark_failing(&self, domain: &str) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(domain);
    }
}

/// Local actors' private keys, parsed once.
#[derive(Default)]
struct KeyCache(Mutex<HashMap<String, Arc<RsaPrivateKey>>>);

impl KeyCache {
    async fn get(&self, ctx: &Context, actor_ap_id: &str) -> Result<Arc<RsaPrivateKey>, String> {
        if let Some(key) = self.0.lock().map_err(|e| e.to_string())?.get(actor_ap_id) {
            return Ok(key.clone());
        }
        let mut conn = ctx.pool.get().await.map_err(|e| e.to_string())?;
        let pem = if actor_ap_id == ctx.urls.instance_actor().as_str() {
            db::site::get(&mut conn)
                .await
                .map_err(|e| e.to_string())?
                .map(|site| site.private_key)
        } else if let Some(person) = db::people::by_ap_id(&mut conn, actor_ap_id)
            .await
            .map_err(|e| e.to_string())?
        {
            person.private_key
        } else {
            db::communities::by_ap_id(&mut conn, actor_ap_id)
                .await
                .map_err(|e| e.to_string())?
                .and_then(|community| community.private_key)
        }
        .ok_or_else(|| format!("{actor_ap_id} is not a local actor"))?;
        let key = Arc::new(RsaPrivateKey::from_pkcs8_pem(&pem).map_err(|e| e.to_string())?);
        self.0
            .lock()
            .map_err(|e| e.to_string())?
            .insert(actor_ap_id.to_string(), key.clone());
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::backoff;
    use std::time::Duration;

    #[test]
    fn backoff_grows_and_is_capped() {
        let first = Duration::from_secs(30);
        assert!(backoff(1, first) >= Duration::from_secs(24));
        assert!(backoff(1, first) <= Duration::from_secs(36));
        assert!(backoff(4, first) >= Duration::from_secs(192));
        assert!(backoff(30, first) <= Duration::from_secs(4320));
    }
}
