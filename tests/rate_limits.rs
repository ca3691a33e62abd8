//! Rate limits: writes per client address and per account, inbox POSTs per peer instance.
//! Over the limit, the answer is 429 with `Retry-After` and Lemmy's error shape; reads go on.

mod common;

use common::{TestInstance, api::ApiClient, signing::signed_post, start_instances};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_are_limited_per_address_and_reads_go_on() {
    let a = TestInstance::start_with(|settings| settings.write_rate_per_minute = 6).await;
    // Registering is the first write of the address.
    let alice = ApiClient::register(&a, "alice").await;
    let community = alice.create_community("maps").await["community"]["id"]
        .as_i64()
        .expect("id");
    let post = alice.create_post(community, "Post", "Body").await["post"]["id"]
        .as_i64()
        .expect("id");
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(
            alice
                .post("post/like", json!({"post_id": post, "score": 1}))
                .await
                .status,
        );
    }
    // 3 writes before, so the fourth like (the seventh write) is refused.
    assert_eq!(statuses, [200, 200, 200, 429, 429], "{statuses:?}");
    let response = common::http()
        .post(alice.url("post/like"))
        .bearer_auth(alice.token.as_deref().expect("token"))
        .json(&json!({"post_id": post, "score": 1}))
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 429);
    let retry_after: u64 = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["error"], "rate_limit_error");
    // Another client from the same address shares the address's budget.
    ApiClient::anonymous(&a)
        .post(
            "user/register",
            json!({"username": "bob", "password": common::api::PASSWORD, "password_verify": common::api::PASSWORD}),
        )
        .await
        .refused(429, "rate_limit_error");
    // Reading is not limited.
    for _ in 0..20 {
        assert_eq!(alice.get(&format!("post?id={post}")).await.status, 200);
    }
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inbox_posts_are_limited_per_peer() {
    let mut instances = start_instances(1).await;
    let a = TestInstance::start_with(|settings| settings.inbox_rate_per_minute = 3).await;
    let b = instances.pop().expect("b");
    a.create_community("maps", "Maps", None).await;
    let bob = b.create_user("bob").await;
    let signer = b.person_signer("bob").await;
    let inbox = a.url("/c/maps/inbox");
    let mut statuses = Vec::new();
    for n in 0..5 {
        let follow = serde_json::to_vec(&json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": b.url(&format!("/activities/follow/{n}")),
            "type": "Follow", "actor": bob.ap_id, "object": a.url("/c/maps"),
        }))
        .expect("json");
        let (status, _) = signed_post(&signer, &inbox, &follow).await;
        statuses.push(status.as_u16());
    }
    assert_eq!(&statuses[3..], [429, 429], "{statuses:?}");
    assert!(statuses[..3].iter().all(|s| *s < 300), "{statuses:?}");
    a.stop().await;
    b.stop().await;
}

/// Behind a trusted reverse proxy, each client is limited by the address the proxy names in
/// `X-Forwarded-For`; from anyone else the header is ignored, so forging it buys nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn addresses_behind_a_trusted_proxy_are_limited_apart() {
    let register = |instance: &TestInstance, name: &str, forwarded_for: &str| {
        let url = ApiClient::anonymous(instance).url("user/register");
        let request = common::http()
            .post(url)
            .header("x-forwarded-for", forwarded_for)
            .json(&json!({"username": name, "password": common::api::PASSWORD, "password_verify": common::api::PASSWORD}));
        async move { request.send().await.expect("POST").status().as_u16() }
    };
    // The tests connect from 127.0.0.1: here it is the proxy.
    let proxied = TestInstance::start_with(|settings| {
        settings.write_rate_per_minute = 2;
        settings.trusted_proxies = vec!["127.0.0.0/8".parse().expect("range")];
    })
    .await;
    let mut statuses = Vec::new();
    for (n, client) in [
        "198.51.100.7",
        "198.51.100.7",
        "198.51.100.7",
        "203.0.113.9",
    ]
    .iter()
    .enumerate()
    {
        // A client's own claim, then what the proxy appended: the proxy's entry counts.
        let header = format!("10.9.9.{n}, {client}");
        statuses.push(register(&proxied, &format!("user{n}"), &header).await);
    }
    assert_eq!(statuses, [200, 200, 429, 200], "{statuses:?}");
    proxied.stop().await;

    // Not behind a trusted proxy: every request is from 127.0.0.1, whatever it claims.
    let direct = TestInstance::start_with(|settings| settings.write_rate_per_minute = 2).await;
    let mut statuses = Vec::new();
    for n in 0..3 {
        let header = format!("198.51.100.{n}");
        statuses.push(register(&direct, &format!("user{n}"), &header).await);
    }
    assert_eq!(statuses, [200, 200, 429], "{statuses:?}");
    direct.stop().await;
}
