//! Outgoing fetches refuse loopback and private addresses unless the development setting
//! allows them, and migrations can be undone.

mod common;

use common::{TestDatabase, TestInstance, test_settings};
use guild::{db, federation::resolve::resolve_actor, server};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_mode_refuses_loopback_and_private_peers() {
    // A real peer listens on loopback, but this instance is not in development mode.
    let peer = TestInstance::start().await;
    peer.create_community("practice", "Practice", None).await;
    let database = TestDatabase::create().await;
    let mut settings = test_settings("guild.example", &database.url);
    settings.allow_insecure_localhost = false;
    let config = server::prepare(settings, &database.url)
        .await
        .expect("prepares");
    let data = config.to_request_data();

    // Each refusal names its reason: loopback, plain http, or not a host name at all.
    for (target, reason) in [
        (format!("practice@{}", peer.domain), "internal IP"),
        (peer.url("/c/practice").to_string(), "debug mode"),
        ("practice@localhost".to_string(), "internal IP"),
        ("https://localhost/c/practice".to_string(), "local IP"),
        (
            "https://127.0.0.1/c/practice".to_string(),
            "must have a domain",
        ),
        ("practice@127.0.0.1".to_string(), "not a host name"),
        ("practice@10.1.2.3".to_string(), "not a host name"),
        ("https://[::1]/c/practice".to_string(), "must have a domain"),
    ] {
        let error = resolve_actor(&target, &data)
            .await
            .expect_err(&format!("{target} was fetched"))
            .to_string();
        assert!(error.contains(reason), "{target}: {error}");
    }
    assert_eq!(peer.count_rows("received_activities").await, 0);
    let mut conn = data.pool.get().await.expect("connection");
    assert!(
        db::communities::by_ap_id(&mut conn, peer.url("/c/practice").as_str())
            .await
            .expect("query")
            .is_none(),
        "nothing was stored"
    );
    drop(conn);
    drop(data);
    database.drop_database().await;
    peer.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_are_reversible() {
    let database = TestDatabase::create().await;
    db::run_migrations(&database.url).await.expect("up");
    db::revert_all_migrations(&database.url)
        .await
        .expect("down");
    db::run_migrations(&database.url).await.expect("up again");
    database.drop_database().await;
}
