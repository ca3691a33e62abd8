//! The inbox gate: unsigned, forged, stale, oversized and malformed requests are refused
//! with a 4xx and a JSON error, and leave nothing behind; a replay is processed once.

mod common;

use common::{
    TestInstance,
    signing::{Signer, signed_post},
    start_instances,
};
use guild::db;
use serde_json::json;
use std::time::{Duration, SystemTime};

/// The tables an accepted activity could write to.
const ACTIVITY_TABLES: [&str; 7] = [
    "received_activities",
    "community_follows",
    "posts",
    "comments",
    "post_votes",
    "comment_votes",
    "sent_activities",
];

async fn snapshot(instance: &TestInstance) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in ACTIVITY_TABLES {
        counts.push(instance.count_rows(table).await);
    }
    counts
}

/// The private key of a local person, read from their instance's database.
async fn private_key(instance: &TestInstance, name: &str) -> String {
    let mut conn = instance.conn().await;
    db::people::local_by_name(&mut conn, name)
        .await
        .expect("query")
        .expect("person exists")
        .private_key
        .expect("local people have keys")
}

fn follow(actor: &url::Url, object: &url::Url, id: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": id,
        "type": "Follow",
        "actor": actor,
        "object": object,
    }))
    .expect("JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inbox_refuses_bad_requests_and_stores_nothing() {
    let mut instances = start_instances(2).await;
    let b = instances.pop().expect("B");
    let a = instances.pop().expect("A");
    let ann = a.create_user("ann").await;
    a.create_community("practice", "Facilitation", Some(&ann))
        .await;
    b.create_user("bob").await;
    b.create_user("mallory").await;
    let bob = b.url("/u/bob");
    let mallory = b.url("/u/mallory");
    let community = a.url("/c/practice");
    let inbox = a.url("/c/practice/inbox");
    let bob_key = private_key(&b, "bob").await;
    let mallory_key = private_key(&b, "mallory").await;
    let before = snapshot(&a).await;
    let activity_id = |n: u32| b.url(&format!("/activities/follow/{n}")).to_string();

    // Unsigned.
    let body = follow(&bob, &community, &activity_id(1));
    let response = common::http()
        .post(inbox.as_str())
        .header("content-type", "application/activity+json")
        .body(body.clone())
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 401);
    let error: serde_json::Value = response.json().await.expect("JSON error");
    assert!(
        error["error"]
            .as_str()
            .is_some_and(|e| e.contains("signature")),
        "{error}"
    );

    // Signed with a key that is not bob's, though it claims to be.
    let stranger = activitypub_federation::http_signatures::generate_actor_keypair().expect("key");
    let forged = Signer::new(format!("{bob}#main-key"), stranger.private_key);
    let (status, error) = signed_post(&forged, &inbox, &body).await;
    assert_eq!(status, 401, "{error}");
    assert!(error["error"].is_string());

    // Signed by mallory, claiming to be bob.
    let mallory_signer = Signer::new(format!("{mallory}#main-key"), mallory_key.clone());
    let (status, error) = signed_post(&mallory_signer, &inbox, &body).await;
    assert_eq!(status, 403, "{error}");
    assert!(
        error["error"]
            .as_str()
            .is_some_and(|e| e.contains("signer")),
        "{error}"
    );

    // Signed correctly, but two hours ago.
    let mut stale = Signer::new(format!("{bob}#main-key"), bob_key.clone());
    stale.date = SystemTime::now() - Duration::from_secs(2 * 60 * 60);
    let (status, error) = signed_post(&stale, &inbox, &body).await;
    assert_eq!(status, 401, "{error}");

    // And two hours ahead.
    let mut early = Signer::new(format!("{bob}#main-key"), bob_key.clone());
    early.date = SystemTime::now() + Duration::from_secs(2 * 60 * 60);
    let (status, error) = signed_post(&early, &inbox, &body).await;
    assert_eq!(status, 401, "{error}");

    // Signed, with a Digest that does not match the body.
    let bob_signer = Signer::new(format!("{bob}#main-key"), bob_key.clone());
    let mut headers = bob_signer.post_headers(&inbox, &body);
    headers.insert(
        "digest",
        "SHA-256=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
            .parse()
            .expect("value"),
    );
    let response = common::http()
        .post(inbox.as_str())
        .headers(headers)
        .body(body.clone())
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 401);

    // Over 1 MiB.
    let mut huge = serde_json::to_vec(&json!({
        "id": activity_id(2), "type": "Create", "actor": bob, "object": { "content": "" }
    }))
    .expect("JSON");
    huge.splice(
        huge.len() - 3..huge.len() - 3,
        std::iter::repeat_n(b'x', 1024 * 1024 + 10),
    );
    let (status, error) = signed_post(&bob_signer, &inbox, &huge).await;
    assert_eq!(status, 413, "{error}");
    assert!(error["error"].is_string());

    // Signed correctly, but not JSON.
    let (status, error) = signed_post(&bob_signer, &inbox, b"{\"id\": \"half an activity").await;
    assert_eq!(status, 400, "{error}");
    assert!(
        error["error"].as_str().is_some_and(|e| e.contains("JSON")),
        "{error}"
    );

    // JSON, but not an activity (no actor).
    let (status, _) = signed_post(
        &bob_signer,
        &inbox,
        br#"{"id": "https://x.example/1", "type": "Note"}"#,
    )
    .await;
    assert_eq!(status, 400);

    // An activity whose id is on another host than its actor.
    let elsewhere = follow(&bob, &community, a.url("/activities/follow/3").as_str());
    let (status, _) = signed_post(&bob_signer, &inbox, &elsewhere).await;
    assert_eq!(status, 403);

    // Signed correctly, but holding a NUL character, which PostgreSQL cannot store.
    let with_nul = serde_json::to_vec(&json!({
        "id": activity_id(4), "type": "Create", "actor": bob, "to": [community],
        "object": {"id": b.url("/post/nul").to_string(), "type": "Page", "name": "a\u{0}b",
                   "attributedTo": bob, "audience": community, "content": "x"}
    }))
    .expect("JSON");
    let (status, error) = signed_post(&bob_signer, &inbox, &with_nul).await;
    assert_eq!(status, 400, "{error}");
    assert!(
        error["error"].as_str().is_some_and(|e| e.contains("NUL")),
        "{error}"
    );

    // An inbox that does not exist.
    let (status, _) = signed_post(&bob_signer, &a.url("/c/nothing/inbox"), &body).await;
    assert_eq!(status, 404);

    assert_eq!(
        snapshot(&a).await,
        before,
        "a refused request changed the database"
    );

    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_activity_is_processed_once() {
    let mut instances = start_instances(2).await;
    let b = instances.pop().expect("B");
    let a = instances.pop().expect("A");
    a.create_community("practice", "Event planning", None).await;
    b.create_user("bob").await;
    let bob = b.url("/u/bob");
    let bob_key = private_key(&b, "bob").await;
    let body = follow(
        &bob,
        &a.url("/c/practice"),
        b.url("/activities/follow/replayed").as_str(),
    );

    // Signed as other servers do it: lower-case digest name, hs2019, to the shared inbox.
    let mut signer = Signer::new(format!("{bob}#main-key"), bob_key);
    signer.digest_name = "sha-256";
    signer.algorithm = "hs2019";
    let (status, first) = signed_post(&signer, &a.url("/inbox"), &body).await;
    assert_eq!(status, 202, "{first}");
    assert_ne!(first["status"], "duplicate");

    // The same activity again, freshly signed: acknowledged, not processed again.
    let (status, second) = signed_post(&signer, &a.url("/inbox"), &body).await;
    assert_eq!(status, 202);
    assert_eq!(second["status"], "duplicate");
    assert_eq!(a.count_rows("received_activities").await, 1);

    // And through the community's own inbox.
    let (status, third) = signed_post(&signer, &a.url("/c/practice/inbox"), &body).await;
    assert_eq!(status, 202);
    assert_eq!(third["status"], "duplicate");

    a.stop().await;
    b.stop().await;
}
