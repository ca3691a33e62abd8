//! Load over loopback HTTP: signed activities into community inboxes, and feed reads.

use super::{
    Scale,
    seed::{self, scalar},
    server::Server,
};
use base64::{Engine, engine::general_purpose::STANDARD as BASE64};
use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures::{StreamExt, stream};
use hdrhistogram::Histogram;
use indicatif::ProgressBar;
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};
use url::Url;

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
/// The first tenth of the inbox activities, but never more than this many, go first to warm
/// the server up, unmeasured.
const WARM_UP: usize = 500;
/// Remote people who send the activities.
const SENDERS: i64 = 2_000;
/// The newest posts, which the activities answer and like.
const TARGET_POSTS: i64 = 1_000;

fn histogram() -> Histogram<u64> {
    // Microseconds, up to a minute, three significant figures.
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("histogram bounds")
}

fn millis(h: &Histogram<u64>, quantile: f64) -> f64 {
    (h.value_at_quantile(quantile) as f64 / 1000.0 * 100.0).round() / 100.0
}

fn latency_json(h: &Histogram<u64>) -> Value {
    json!({
        "p50_ms": millis(h, 0.50),
        "p99_ms": millis(h, 0.99),
        "max_ms": (h.max() as f64 / 10.0).round() / 100.0,
    })
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(512)
        .timeout(Duration::from_secs(60))
        .build()
        .expect("HTTP client")
}

#[derive(diesel::QueryableByName)]
struct Sender {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    ap_id: String,
    #[diesel(sql_type = Text)]
    public_key: String,
}

#[derive(diesel::QueryableByName)]
struct Target {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    ap_id: String,
    #[diesel(sql_type = Text)]
    community_name: String,
    #[diesel(sql_type = Text)]
    community_ap_id: String,
}

#[derive(diesel::QueryableByName)]
struct Voted {
    #[diesel(sql_type = BigInt)]
    post_id: i64,
    #[diesel(sql_type = BigInt)]
    person_id: i64,
}

/// One inbox POST, signed before the clock starts.
struct Signed {
    url: Url,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

/// Draft-cavage signature as Mastodon and Lemmy send it:
/// `(request-target) host date digest content-type`, `rsa-sha256`.
fn sign(url: &Url, body: &[u8], key_id: &str, key: &RsaPrivateKey, date: &str) -> Signed {
    let host = match url.port() {
        Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_string(),
    };
    let digest = format!("SHA-256={}", BASE64.encode(Sha256::digest(body)));
    let content_type = "application/activity+json";
    let signing_string = format!(
        "(request-target): post {}\nhost: {host}\ndate: {date}\ndigest: {digest}\ncontent-type: {content_type}",
        url.path()
    );
    let signature = key
        .sign(
            Pkcs1v15Sign::new::<Sha256>(),
            &Sha256::digest(signing_string.as_bytes()),
        )
        .expect("sign");
    let header = format!(
        "keyId=\"{key_id}\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date digest content-type\",signature=\"{}\"",
        BASE64.encode(signature)
    );
    let mut headers = reqwest::header::HeaderMap::new();
    for (name, value) in [
        ("date", date),
        ("digest", digest.as_str()),
        ("content-type", content_type),
        ("signature", header.as_str()),
    ] {
        headers.insert(name, value.parse().expect("header value"));
    }
    Signed {
        url: url.clone(),
        headers,
        body: body.to_vec(),
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// What the database holds that the inbox step changes, to check it afterwards.
async fn inbox_counts(conn: &mut AsyncPgConnection) -> [i64; 4] {
    [
        scalar(conn, "SELECT count(*) FROM comments").await,
        scalar(conn, "SELECT count(*) FROM post_votes").await,
        scalar(conn, "SELECT sum(comment_count)::bigint FROM posts").await,
        scalar(conn, "SELECT sum(upvotes)::bigint FROM posts").await,
    ]
}

/// Half `Create(Note)` answering one of the newest posts, half `Like` of one, each from one
/// of [`SENDERS`] remote people, to the post's community inbox: `concurrency` in flight, or
/// at `offered_rate` per second when it is given.
pub async fn inbox(
    server: &Server,
    database_url: &str,
    scale: &Scale,
    concurrency: usize,
    offered_rate: Option<u64>,
    trace: Option<&std::path::Path>,
) -> (Value, bool) {
    let mut conn = AsyncPgConnection::establish(database_url)
        .await
        .expect("connect to the bench database");
    // The bench plays peers whose actors this instance fetched recently, as a busy
    // instance has (a stale one would be fetched again from a peer that does not exist).
    seed::exec(
        &mut conn,
        &format!(
            "UPDATE people SET last_refreshed_at = now() + interval '1 hour'
             WHERE id IN (SELECT id FROM people WHERE NOT local AND name LIKE 'person\\_%'
                          ORDER BY id LIMIT {SENDERS})"
        ),
    )
    .await
    .expect("mark the senders as recently fetched");
    // The server runs without delivery, so the relays that earlier runs queued are still
    // pending, and the queue's index would grow with every run (975,000 entries after one
    // session), where an instance that delivers keeps only the few not yet sent. Each run
    // starts with the queue such an instance has: empty.
    let dropped = seed::exec(
        &mut conn,
        "DELETE FROM deliveries WHERE delivered_at IS NULL AND failed_at IS NULL",
    )
    .await
    .expect("empty the delivery queue");
    seed::exec(&mut conn, "VACUUM deliveries")
        .await
        .expect("vacuum the delivery queue");
    println!("inbox: {dropped} deliveries left pending by earlier runs dropped");
    let senders: Vec<Sender> = diesel::sql_query(format!(
        "SELECT id, ap_id, public_key FROM people WHERE NOT local AND name LIKE 'person\\_%'
         ORDER BY id LIMIT {SENDERS}"
    ))
    .load(&mut conn)
    .await
    .expect("load the senders");
    let targets: Vec<Target> = diesel::sql_query(format!(
        "SELECT p.id, p.ap_id, c.name AS community_name, c.ap_id AS community_ap_id
         FROM posts p JOIN communities c ON c.id = p.community_id
         WHERE NOT p.deleted AND NOT p.removed AND NOT p.locked
         ORDER BY p.id DESC LIMIT {TARGET_POSTS}"
    ))
    .load(&mut conn)
    .await
    .expect("load the target posts");
    let target_ids: Vec<String> = targets.iter().map(|t| t.id.to_string()).collect();
    let voted: HashSet<(i64, i64)> = diesel::sql_query(format!(
        "SELECT post_id, person_id FROM post_votes WHERE post_id IN ({})",
        target_ids.join(",")
    ))
    .load::<Voted>(&mut conn)
    .await
    .expect("load the votes")
    .into_iter()
    .map(|v| (v.post_id, v.person_id))
    .collect();

    let keys = seed::remote_keys();
    let by_pem: HashMap<String, usize> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| (seed::public_pem(k), i))
        .collect();
    let run = chrono::Utc::now().timestamp_millis();
    let date = httpdate::fmt_http_date(std::time::SystemTime::now());
    // Build the activities: (sender, inbox, body); Likes only of posts the sender has not
    // voted on, so each one adds a vote.
    let mut plan = Vec::with_capacity(scale.inbox_activities);
    let mut liked = HashSet::new();
    let mut creates = 0i64;
    let mut likes = 0i64;
    let mut n = 0usize;
    while plan.len() < scale.inbox_activities {
        let sender = &senders[n % senders.len()];
        let target = &targets[(n * 7 + n / senders.len()) % targets.len()];
        n += 1;
        let root = sender
            .ap_id
            .split("/u/")
            .next()
            .expect("a person URL")
            .to_string();
        let inbox = server.url(&format!("c/{}/inbox", target.community_name));
        let body = if plan.len() % 2 == 0 {
            creates += 1;
            json!({
                "@context": ["https://www.w3.org/ns/activitystreams"],
                "id": format!("{root}/activities/create/{run}-{n}"),
                "type": "Create",
                "actor": sender.ap_id,
                "to": [PUBLIC],
                "cc": [target.community_ap_id],
                "audience": target.community_ap_id,
                "object": {
                    "id": format!("{root}/comment/bench-{run}-{n}"),
                    "type": "Note",
                    "attributedTo": sender.ap_id,
                    "to": [PUBLIC],
                    "cc": [target.community_ap_id],
                    "audience": target.community_ap_id,
                    "inReplyTo": target.ap_id,
                    "content": format!("<p>Inbox bench reply {n} of run {run}.</p>"),
                    "mediaType": "text/html",
                    "source": {"content": format!("Inbox bench reply {n} of run {run}."),
                               "mediaType": "text/markdown"},
                    "published": chrono::Utc::now().to_rfc3339(),
                },
            })
        } else {
            let pair = (target.id, sender.id);
            if voted.contains(&pair) || !liked.insert(pair) {
                continue;
            }
            likes += 1;
            json!({
                "@context": ["https://www.w3.org/ns/activitystreams"],
                "id": format!("{root}/activities/like/{run}-{n}"),
                "type": "Like",
                "actor": sender.ap_id,
                "object": target.ap_id,
                "audience": target.community_ap_id,
            })
        };
        let key = *by_pem
            .get(&sender.public_key)
            .expect("a seeded person with one of the bench's keys (seed again?)");
        plan.push((
            format!("{}#main-key", sender.ap_id),
            key,
            inbox,
            serde_json::to_vec(&body).expect("JSON"),
        ));
    }

    // Sign on every core, before the clock starts.
    let signing = ProgressBar::new(plan.len() as u64);
    signing.set_message("signing");
    let started = Instant::now();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = plan.len().div_ceil(threads).max(1);
    let requests: Vec<Signed> = std::thread::scope(|scope| {
        let handles: Vec<_> = plan
            .chunks(chunk)
            .map(|part| {
                let keys = &keys;
                let date = &date;
                let signing = &signing;
                scope.spawn(move || {
                    part.iter()
                        .map(|(key_id, key, inbox, body)| {
                            signing.inc(1);
                            sign(inbox, body, key_id, &keys[*key], date)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("signing thread"))
            .collect()
    });
    signing.finish_and_clear();
    println!(
        "inbox: {} activities ({creates} Create(Note), {likes} Like) from {} senders signed in {:.1} s",
        requests.len(),
        senders.len(),
        started.elapsed().as_secs_f64()
    );

    let before = inbox_counts(&mut conn).await;
    let client = client();
    let latencies = Arc::new(Mutex::new(histogram()));
    let failures = Arc::new(Mutex::new(Vec::new()));
    let progress = ProgressBar::new(requests.len() as u64);
    // With `--inbox-trace`, each measured POST's due time (from the start), its latency and
    // its kind, to see whether slow answers come together or alone.
    let traced = Arc::new(Mutex::new(Vec::<(f64, f64, &'static str)>::new()));
    let origin = tokio::time::Instant::now();
    // One POST; its latency counts from `due`, the moment it was meant to go, so that a
    // server falling behind a fixed rate shows in the figures rather than slowing the load.
    let send = |request: Signed, due: tokio::time::Instant| {
        let client = client.clone();
        let latencies = latencies.clone();
        let failures = failures.clone();
        let progress = progress.clone();
        let traced = traced.clone();
        let kind = if contains(&request.body, b"\"type\":\"Like\"") {
            "Like"
        } else {
            "Create"
        };
        async move {
            let result = client
                .post(request.url.clone())
                .headers(request.headers)
                .body(request.body)
                .send()
                .await;
            let outcome = match result {
                Ok(response) => {
                    let status = response.status();
                    let body = response.text().await.unwrap_or_default();
                    if status.is_success() && body.contains("processed") {
                        Ok(())
                    } else {
                        Err(format!("{status}: {body}"))
                    }
                }
                Err(e) => Err(e.to_string()),
            };
            let micros = due.elapsed().as_micros() as u64;
            latencies
                .lock()
                .expect("histogram lock")
                .saturating_record(micros.max(1));
            traced.lock().expect("trace lock").push((
                due.duration_since(origin).as_secs_f64() * 1000.0,
                micros as f64 / 1000.0,
                kind,
            ));
            if let Err(problem) = outcome {
                failures.lock().expect("failures lock").push(problem);
            }
            progress.inc(1);
        }
    };
    // The first activities warm the server up (its pool's connections, their prepared
    // statements and function plans, the rows it keeps) and are not measured: the figures
    // are those of a running server, not of one that has just started.
    let mut requests = requests;
    let measured = requests.split_off((requests.len() / 10).min(WARM_UP));
    let warm_up = requests.len();
    stream::iter(requests)
        .for_each_concurrent(concurrency, |request| {
            send(request, tokio::time::Instant::now())
        })
        .await;
    *latencies.lock().expect("histogram lock") = histogram();
    traced.lock().expect("trace lock").clear();
    let warm_up_failures = failures.lock().expect("failures lock").len();
    let requests = measured;
    let cpu_before = server.cpu_seconds();
    let started = Instant::now();
    match offered_rate {
        // As fast as `concurrency` POSTs in flight go: the throughput.
        None => {
            stream::iter(requests)
                .for_each_concurrent(concurrency, |request| {
                    send(request, tokio::time::Instant::now())
                })
                .await;
        }
        // At a fixed rate, whatever the answers take: the latency at a load the server
        // sustains, rather than the queueing of `concurrency` POSTs against its capacity.
        Some(rate) => {
            let first = tokio::time::Instant::now();
            // A bound on connections should the server fall far behind; waiting for one
            // still counts in the latency, since it is measured from the due time.
            let in_flight = Arc::new(tokio::sync::Semaphore::new(512));
            let mut tasks = Vec::with_capacity(requests.len());
            for (i, request) in requests.into_iter().enumerate() {
                let due = first + Duration::from_secs_f64(i as f64 / rate as f64);
                tokio::time::sleep_until(due).await;
                let permit = in_flight
                    .clone()
                    .acquire_owned()
                    .await
                    .expect("the semaphore is never closed");
                let post = send(request, due);
                tasks.push(tokio::spawn(async move {
                    post.await;
                    drop(permit);
                }));
            }
            futures::future::join_all(tasks).await;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    progress.finish_and_clear();
    let cpu = server.cpu_seconds() - cpu_before;
    let memory = server.memory();
    let latencies = latencies.lock().expect("histogram lock").clone();
    let failures = failures.lock().expect("failures lock").clone();
    let sent = latencies.len();
    let accepted = sent - (failures.len() - warm_up_failures) as u64;
    let rate = accepted as f64 / elapsed;

    if let Some(path) = trace {
        let mut lines = String::from("due_ms,latency_ms,kind\n");
        let mut rows = traced.lock().expect("trace lock").clone();
        rows.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (due, latency, kind) in rows {
            lines.push_str(&format!("{due:.3},{latency:.3},{kind}\n"));
        }
        if let Err(e) = std::fs::write(path, lines) {
            eprintln!("inbox: cannot write the trace to {}: {e}", path.display());
        }
    }

    let after = inbox_counts(&mut conn).await;
    let expected = [
        before[0] + creates,
        before[1] + likes,
        before[2] + creates,
        before[3] + likes,
    ];
    let mut problems: Vec<String> = failures.iter().take(5).cloned().collect();
    if !failures.is_empty() {
        problems.push(format!(
            "{} of {} POSTs not accepted",
            failures.len(),
            sent as usize + warm_up
        ));
    }
    for (i, what) in [
        "comments",
        "post votes",
        "sum of comment counts",
        "sum of upvotes",
    ]
    .iter()
    .enumerate()
    {
        if after[i] != expected[i] {
            problems.push(format!(
                "{what}: {} after the run, expected {}",
                after[i], expected[i]
            ));
        }
    }
    problems.extend(seed::counter_mismatches(&mut conn).await);
    let load = match offered_rate {
        None => format!("{concurrency} in flight"),
        Some(rate) => format!("offered at {rate}/s"),
    };
    let load = format!("{load}, after {warm_up} to warm up");
    println!(
        "inbox ({load}): {accepted}/{sent} accepted in {elapsed:.2} s = {rate:.0}/s, p50 {} ms, p99 {} ms, max {} ms; server CPU {cpu:.1} s ({:.0} % of one core), RSS {:.1} MiB, peak {:.1} MiB",
        millis(&latencies, 0.5),
        millis(&latencies, 0.99),
        (latencies.max() as f64 / 10.0).round() / 100.0,
        cpu / elapsed * 100.0,
        memory.rss_kib as f64 / 1024.0,
        memory.peak_rss_kib as f64 / 1024.0,
    );
    for problem in &problems {
        eprintln!("inbox: {problem}");
    }
    let figures = json!({
        "activities": sent,
        "creates": creates,
        "likes": likes,
        "senders": senders.len(),
        "concurrency": offered_rate.is_none().then_some(concurrency),
        "offered_per_second": offered_rate,
        "warm_up_activities": warm_up,
        "accepted": accepted,
        "seconds": (elapsed * 100.0).round() / 100.0,
        "accepted_per_second": rate.round(),
        "latency": latency_json(&latencies),
        "server_cpu_seconds": (cpu * 100.0).round() / 100.0,
        "server_cpu_cores": (cpu / elapsed * 100.0).round() / 100.0,
        "rss_kib_after": memory.rss_kib,
        "peak_rss_kib": memory.peak_rss_kib,
        "problems": problems,
    });
    (figures, problems.is_empty())
}

/// What a feed answer must hold besides status 200.
#[derive(Clone)]
enum Expect {
    /// A JSON post list of this many posts.
    Posts(usize),
    /// HTML holding this text this many times (at least).
    Html(String, usize),
}

fn check_body(expect: &Expect, body: &str) -> Result<(), String> {
    match expect {
        Expect::Posts(n) => {
            let json: Value = serde_json::from_str(body).map_err(|e| format!("not JSON: {e}"))?;
            let found = json["posts"].as_array().map_or(0, |a| a.len());
            if found == *n {
                Ok(())
            } else {
                Err(format!("{found} posts, expected {n}"))
            }
        }
        Expect::Html(text, n) => {
            let found = body.matches(text.as_str()).count();
            if found >= *n {
                Ok(())
            } else {
                Err(format!("{text:?} {found} times, expected at least {n}"))
            }
        }
    }
}

/// The pages and API calls of a forum's readers, each loaded by `concurrency` clients for
/// the scale's seconds; every answer must be 200 and the first of each hold what it should.
pub async fn feeds(
    server: &Server,
    database_url: &str,
    scale: &Scale,
    concurrency: usize,
    rate: u64,
) -> (Value, bool) {
    let mut conn = AsyncPgConnection::establish(database_url)
        .await
        .expect("connect to the bench database");
    // The busiest community, and the post with the seeded 500-comment thread.
    let community_id = scalar(
        &mut conn,
        "SELECT community_id FROM posts GROUP BY community_id ORDER BY count(*) DESC LIMIT 1",
    )
    .await;
    let community: String = diesel::select(diesel::dsl::sql::<Text>(&format!(
        "(SELECT name FROM communities WHERE id = {community_id})"
    )))
    .get_result(&mut conn)
    .await
    .expect("community name");
    let thread = scalar(
        &mut conn,
        &format!(
            "SELECT id FROM posts WHERE comment_count >= {} ORDER BY id LIMIT 1",
            seed::THREAD_COMMENTS
        ),
    )
    .await;
    let thread_comments = scalar(
        &mut conn,
        &format!("SELECT count(*) FROM comments WHERE post_id = {thread}"),
    )
    .await as usize;
    drop(conn);

    // The web pages show 20 posts a page and the API 10 unless asked. Readers are anonymous,
    // so pages come from the page cache once rendered; the `_rendered` runs ask for a fresh
    // render (`Cache-Control: no-cache`), the cost a signed-in reader or a changing page has.
    let card = "class=\"post-card".to_string();
    let mut endpoints: Vec<(String, String, Expect)> = vec![
        (
            "front_page_all_hot".into(),
            "/?feed=all&sort=hot".into(),
            Expect::Html(card.clone(), 20),
        ),
        (
            "community_hot".into(),
            format!("/c/{community}?sort=hot"),
            Expect::Html(card.clone(), 20),
        ),
        (
            "community_new".into(),
            format!("/c/{community}?sort=new"),
            Expect::Html(card.clone(), 20),
        ),
        (
            "post_with_500_comments".into(),
            format!("/post/{thread}"),
            Expect::Html("(bench comment ".into(), thread_comments),
        ),
        (
            "front_page_all_hot_rendered".into(),
            "/?feed=all&sort=hot".into(),
            Expect::Html(card.clone(), 20),
        ),
        (
            "community_hot_rendered".into(),
            format!("/c/{community}?sort=hot"),
            Expect::Html(card.clone(), 20),
        ),
        (
            "post_with_500_comments_rendered".into(),
            format!("/post/{thread}"),
            Expect::Html("(bench comment ".into(), thread_comments),
        ),
    ];
    for sort in [
        "Hot",
        "Active",
        "New",
        "Old",
        "TopDay",
        "TopWeek",
        "TopMonth",
        "TopAll",
        "MostComments",
    ] {
        endpoints.push((
            format!("api_post_list_{sort}"),
            format!("/api/v3/post/list?type_=All&sort={sort}"),
            Expect::Posts(10),
        ));
    }

    let client = client();
    let mut results = serde_json::Map::new();
    let mut ok = true;
    for (name, path, expect) in endpoints {
        let url = server.url(&path);
        // Rendered runs ask for a fresh page; the others take what the server has.
        let cache_control = if name.ends_with("_rendered") {
            "no-cache"
        } else {
            ""
        };
        // One request first: its body is checked, and caches are warm as in steady state.
        let first = client
            .get(url.clone())
            .header("accept", "text/html,application/json")
            .header("cache-control", cache_control)
            .send()
            .await;
        let first_check = match first {
            Ok(response) if response.status() == 200 => {
                let body = response.text().await.unwrap_or_default();
                check_body(&expect, &body)
            }
            Ok(response) => Err(format!("status {}", response.status())),
            Err(e) => Err(e.to_string()),
        };
        let latencies = Arc::new(Mutex::new(histogram()));
        let bad = Arc::new(Mutex::new(Vec::<String>::new()));
        let cpu_before = server.cpu_seconds();
        let started = Instant::now();
        let deadline = started + Duration::from_secs(scale.feed_seconds);
        let workers = (0..concurrency).map(|_| {
            let client = client.clone();
            let url = url.clone();
            let latencies = latencies.clone();
            let bad = bad.clone();
            async move {
                let mut local = histogram();
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    let result = client
                        .get(url.clone())
                        .header("accept", "text/html,application/json")
                        .header("cache-control", cache_control)
                        .send()
                        .await;
                    let status = match result {
                        Ok(response) => {
                            let status = response.status();
                            // Read the whole body: the time to the last byte is what a reader waits.
                            let _ = response.bytes().await;
                            status.as_u16()
                        }
                        Err(_) => 0,
                    };
                    local.saturating_record((sent.elapsed().as_micros() as u64).max(1));
                    if status != 200 {
                        bad.lock().expect("lock").push(format!("status {status}"));
                    }
                }
                latencies
                    .lock()
                    .expect("lock")
                    .add(&local)
                    .expect("same bounds");
            }
        });
        futures::future::join_all(workers).await;
        let elapsed = started.elapsed().as_secs_f64();
        let cpu = server.cpu_seconds() - cpu_before;
        let latencies = latencies.lock().expect("lock").clone();
        let bad = bad.lock().expect("lock").clone();
        let rate = latencies.len() as f64 / elapsed;
        let mut problems = Vec::new();
        if let Err(problem) = first_check {
            problems.push(problem);
        }
        if !bad.is_empty() {
            problems.push(format!(
                "{} of {} answers not 200 (first: {})",
                bad.len(),
                latencies.len(),
                bad[0]
            ));
        }
        println!(
            "{name:>28}: {rate:>7.0} req/s, p50 {:>7.2} ms, p99 {:>7.2} ms, max {:>8.2} ms, server CPU {:.0} %{}",
            millis(&latencies, 0.5),
            millis(&latencies, 0.99),
            latencies.max() as f64 / 1000.0,
            cpu / elapsed * 100.0,
            if problems.is_empty() {
                String::new()
            } else {
                format!("  PROBLEM: {}", problems.join("; "))
            }
        );
        ok &= problems.is_empty();
        let mut figures = latency_json(&latencies);
        figures["path"] = path.into();
        figures["requests"] = latencies.len().into();
        figures["requests_per_second"] = rate.round().into();
        figures["server_cpu_cores"] = ((cpu / elapsed * 100.0).round() / 100.0).into();
        figures["problems"] = problems.into();
        results.insert(name, figures);
    }
    let memory = server.memory();
    println!(
        "after the feeds: RSS {:.1} MiB, peak {:.1} MiB",
        memory.rss_kib as f64 / 1024.0,
        memory.peak_rss_kib as f64 / 1024.0
    );
    // The targets name a rate (2,000 requests/s): the two hot pages at that fixed rate,
    // each latency counted from when its request was due, so a server that falls behind
    // shows it (no coordinated omission).
    if rate > 0 {
        for (name, path) in [
            (
                "front_page_all_hot_fixed_rate",
                "/?feed=all&sort=hot".to_string(),
            ),
            (
                "community_hot_fixed_rate",
                format!("/c/{community}?sort=hot"),
            ),
        ] {
            let figures = fixed_rate(server, &client, &path, rate, scale.feed_seconds).await;
            println!(
                "{name:>28}: {} due at {rate}/s, {} sent (at most 256 in flight), {} answered 200, p50 {} ms, p99 {} ms, max {} ms, server CPU {} cores",
                figures["due"],
                figures["sent"],
                figures["ok"],
                figures["p50_ms"],
                figures["p99_ms"],
                figures["max_ms"],
                figures["server_cpu_cores"]
            );
            if figures["failed"] != 0 {
                ok = false;
                eprintln!("{name}: {} requests not answered 200", figures["failed"]);
            }
            results.insert(name.into(), figures);
        }
    }
    results.insert("concurrency".into(), concurrency.into());
    results.insert("rss_kib_after".into(), memory.rss_kib.into());
    (Value::Object(results), ok)
}

/// GETs `path` at `rate` per second for `seconds`, whatever the answers take.
async fn fixed_rate(
    server: &Server,
    client: &reqwest::Client,
    path: &str,
    rate: u64,
    seconds: u64,
) -> Value {
    let url = server.url(path);
    let due = rate * seconds;
    let latencies = Arc::new(Mutex::new(histogram()));
    let answered = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let failed = Arc::new(std::sync::atomic::AtomicU64::new(0));
    // Past this many in flight the server has fallen far behind: further requests are
    // counted as not sent rather than piling up connections without bound.
    let in_flight = Arc::new(tokio::sync::Semaphore::new(256));
    let mut not_sent = 0u64;
    let cpu_before = server.cpu_seconds();
    let started = tokio::time::Instant::now();
    let mut tasks = Vec::with_capacity(due as usize);
    for i in 0..due {
        let at = started + Duration::from_secs_f64(i as f64 / rate as f64);
        tokio::time::sleep_until(at).await;
        let Ok(permit) = in_flight.clone().try_acquire_owned() else {
            not_sent += 1;
            continue;
        };
        let failed = failed.clone();
        let client = client.clone();
        let url = url.clone();
        let latencies = latencies.clone();
        let answered = answered.clone();
        tasks.push(tokio::spawn(async move {
            let result = client.get(url).header("accept", "text/html").send().await;
            let status = match result {
                Ok(response) => {
                    let status = response.status();
                    let _ = response.bytes().await;
                    status.as_u16()
                }
                Err(_) => 0,
            };
            let counter = if status == 200 { &answered } else { &failed };
            counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let micros = at.elapsed().as_micros() as u64;
            latencies
                .lock()
                .expect("lock")
                .saturating_record(micros.max(1));
            drop(permit);
        }));
    }
    futures::future::join_all(tasks).await;
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = server.cpu_seconds() - cpu_before;
    let latencies = latencies.lock().expect("lock").clone();
    let mut figures = latency_json(&latencies);
    figures["path"] = path.into();
    figures["rate"] = rate.into();
    figures["due"] = due.into();
    figures["sent"] = (due - not_sent).into();
    figures["ok"] =
        std::sync::atomic::AtomicU64::load(&answered, std::sync::atomic::Ordering::Relaxed).into();
    figures["failed"] =
        std::sync::atomic::AtomicU64::load(&failed, std::sync::atomic::Ordering::Relaxed).into();
    figures["server_cpu_cores"] = ((cpu / elapsed * 100.0).round() / 100.0).into();
    figures
}
