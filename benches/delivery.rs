//! Delivery throughput: `cargo bench --bench delivery`.
//!
//! Prints, and writes to `target/bench-delivery.json`:
//! - the raw RSA-2048 signing rate of this machine (the physical limit of signed delivery);
//! - activities per second to one peer that takes 150 ms to answer each request, with the
//!   default concurrency per peer (16) and with 64;
//! - deliveries per second when each activity fans out to 100 fast peers.
//!
//! It needs a PostgreSQL server: `GUILD_BENCH_DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`); a scratch database is created and dropped.

use axum::{Router, http::StatusCode, routing::post};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use guild::{
    config::Settings,
    context::Context,
    db, server,
    service::communities::{NewCommunity, create_community},
};
use rsa::{Pkcs1v15Sign, RsaPrivateKey, pkcs8::DecodePrivateKey};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};
use tokio::{net::TcpListener, sync::watch};

const SLOW_PEER_LATENCY: Duration = Duration::from_millis(150);

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    guild::context::install_crypto_provider();
    if let Ok(filter) = std::env::var("GUILD_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .init();
    }
    let only = std::env::var("GUILD_BENCH_ONLY").unwrap_or_default();
    if only == "fanout" {
        let rate = fan_out(
            &std::env::var("GUILD_BENCH_DATABASE_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into()),
            100,
            30,
        )
        .await;
        println!("fan-out: {rate:.0}/s");
        return;
    }
    let admin_url = std::env::var("GUILD_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let signing_rate = signing_rate().await;
    println!("RSA-2048 signatures per second (all cores): {signing_rate:.0}");

    let slow_default = slow_peer(&admin_url, 16, 800).await;
    println!("one peer at 150 ms, 16 in flight: {slow_default:.0} activities/s");
    let slow_64 = slow_peer(&admin_url, 64, 3000).await;
    println!("one peer at 150 ms, 64 in flight: {slow_64:.0} activities/s");
    let fan_out = fan_out(&admin_url, 100, 60).await;
    println!(
        "fan-out to 100 fast peers: {fan_out:.0} deliveries/s ({:.0} % of the signing rate)",
        100.0 * fan_out / signing_rate
    );

    let summary = json!({
        "rsa2048_signatures_per_second": signing_rate,
        "slow_peer_150ms_default_16": slow_default,
        "slow_peer_150ms_64": slow_64,
        "fan_out_100_peers_deliveries_per_second": fan_out,
    });
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-delivery.json");
    if std::fs::write(
        &path,
        serde_json::to_string_pretty(&summary).unwrap_or_default(),
    )
    .is_ok()
    {
        println!("summary written to {}", path.display());
    }
}

/// Signatures per second with every core signing.
async fn signing_rate() -> f64 {
    let keys = activitypub_federation::http_signatures::generate_actor_keypair().expect("keys");
    let key = Arc::new(RsaPrivateKey::from_pkcs8_pem(&keys.private_key).expect("key"));
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let per_thread = 500;
    let started = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let key = key.clone();
            tokio::task::spawn_blocking(move || {
                for n in 0..per_thread {
                    let digest = Sha256::digest(format!("signing string {t} {n}").as_bytes());
                    key.sign(Pkcs1v15Sign::new::<Sha256>(), &digest)
                        .expect("sign");
                }
            })
        })
        .collect();
    for handle in handles {
        handle.await.expect("signer");
    }
    (threads * per_thread) as f64 / started.elapsed().as_secs_f64()
}

/// A receiver that answers 202 after `latency`, counting requests.
async fn peer(latency: Duration, count: Arc<AtomicU64>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    let app = Router::new().route(
        "/inbox",
        post(move || {
            let count = count.clone();
            async move {
                if !latency.is_zero() {
                    tokio::time::sleep(latency).await;
                }
                count.fetch_add(1, Ordering::Relaxed);
                StatusCode::ACCEPTED
            }
        }),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("localhost:{port}")
}

/// A scratch database and an instance's context on it, with one community.
struct Scratch {
    admin_url: String,
    name: String,
    ctx: Context,
    community: db::models::Community,
}

async fn scratch(admin_url: &str, per_instance: usize) -> Scratch {
    let name = format!("guild_bench_{}", uuid::Uuid::new_v4().simple());
    let mut admin = AsyncPgConnection::establish(admin_url)
        .await
        .expect("connect");
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("create database");
    let mut url = url::Url::parse(admin_url).expect("URL");
    url.set_path(&format!("/{name}"));
    let settings = Settings {
        domain: "localhost:1".into(),
        database_url: Some(url.to_string()),
        allow_insecure_localhost: true,
        database_pool_size: 16,
        delivery_concurrency_per_instance: per_instance,
        ..Settings::default()
    }
    .validated()
    .expect("settings");
    let data = server::prepare(settings, url.as_str())
        .await
        .expect("prepare")
        .to_request_data();
    let community = create_community(
        &data,
        NewCommunity {
            name: "bench".into(),
            title: "Bench".into(),
            description: None,
            moderator_id: None,
            topic: None,
        },
    )
    .await
    .expect("community");
    Scratch {
        admin_url: admin_url.into(),
        name,
        ctx: (*data).clone(),
        community,
    }
}

impl Scratch {
    /// Queues `activities` Announces by the community, each about its own object, for
    /// every inbox.
    async fn queue(&self, activities: usize, inboxes: &[String]) {
        let mut conn = self.ctx.pool.get().await.expect("connection");
        for n in 0..activities {
            let id = format!("http://localhost:1/activities/announce/bench-{n}");
            let activity = json!({
                "id": id, "type": "Announce", "actor": self.community.ap_id,
                "to": ["https://www.w3.org/ns/activitystreams#Public"],
                "object": { "id": format!("http://localhost:1/post/{n}"), "type": "Page", "name": "bench" }
            });
            db::deliveries::enqueue(
                &mut conn,
                &id,
                &self.community.ap_id,
                "Announce",
                &activity,
                inboxes,
            )
            .await
            .expect("enqueue");
        }
    }

    /// Runs a delivery worker until `expected` requests have arrived; returns the rate.
    async fn deliver(&self, expected: u64, counters: &[Arc<AtomicU64>]) -> f64 {
        let (stop, stopped) = watch::channel(false);
        let started = Instant::now();
        let worker = tokio::spawn(guild::federation::delivery::run_worker(
            self.ctx.clone(),
            stopped,
        ));
        loop {
            let done: u64 = counters
                .iter()
                .map(|c| AtomicU64::load(c, Ordering::Relaxed))
                .sum();
            if done >= expected {
                break;
            }
            if started.elapsed() > Duration::from_secs(600) {
                panic!("only {done} of {expected} deliveries after 10 minutes");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let rate = expected as f64 / started.elapsed().as_secs_f64();
        let _ = stop.send(true);
        let _ = worker.await;
        rate
    }

    async fn drop_database(self) {
        drop(self.ctx);
        let mut admin = AsyncPgConnection::establish(&self.admin_url)
            .await
            .expect("connect");
        let _ = diesel::sql_query(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .execute(&mut admin)
        .await;
    }
}

async fn slow_peer(admin_url: &str, per_instance: usize, activities: usize) -> f64 {
    let scratch = scratch(admin_url, per_instance).await;
    let count = Arc::new(AtomicU64::new(0));
    let domain = peer(SLOW_PEER_LATENCY, count.clone()).await;
    scratch
        .queue(activities, &[format!("http://{domain}/inbox")])
        .await;
    let rate = scratch.deliver(activities as u64, &[count]).await;
    scratch.drop_database().await;
    rate
}

async fn fan_out(admin_url: &str, peers: usize, activities: usize) -> f64 {
    let scratch = scratch(admin_url, 16).await;
    let mut counters = Vec::new();
    let mut inboxes = Vec::new();
    for _ in 0..peers {
        let count = Arc::new(AtomicU64::new(0));
        let domain = peer(Duration::ZERO, count.clone()).await;
        counters.push(count);
        inboxes.push(format!("http://{domain}/inbox"));
    }
    scratch.queue(activities, &inboxes).await;
    let rate = scratch
        .deliver((peers * activities) as u64, &counters)
        .await;
    scratch.drop_database().await;
    rate
}
