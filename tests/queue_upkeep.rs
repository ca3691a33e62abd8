//! The queue stays bounded and observable: old activities and received ids are purged,
//! pending ones are kept, and `guild queue status` and `/metrics` report the backlog.

mod common;

use common::TestInstance;
use diesel_async::RunQueryDsl;
use guild::db;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purge_keeps_pending_work_and_drops_old_history() {
    // The aged pending delivery must stay inside the retry horizon, or the worker would
    // rightly give up on it at its next failed attempt.
    let a =
        TestInstance::start_with(|settings| settings.delivery_retry_horizon_hours = 24 * 30).await;
    let mut conn = a.conn().await;
    // Inboxes on loopback ports nobody listens on: the worker's attempts fail and are retried,
    // so the old pending delivery stays pending (and no traffic leaves the machine).
    let down = closed_port_inbox().await;
    let up = closed_port_inbox().await;
    let down_domain = down
        .trim_start_matches("http://")
        .trim_end_matches("/inbox")
        .to_string();
    // The sender is a real local community, so the worker can sign what it retries.
    let sender = a.create_community("sender", "Sender", None).await;
    let activity = |n: u32| serde_json::json!({"id": format!("https://x.example/a/{n}"), "type": "Announce", "object": "https://x.example/p/1"});
    // An old delivered activity, an old one still pending (a peer down), a fresh delivered one.
    for (n, inbox) in [(1, down.as_str()), (2, down.as_str()), (3, up.as_str())] {
        db::deliveries::enqueue(
            &mut conn,
            &format!("https://x.example/a/{n}"),
            &sender.ap_id,
            "Announce",
            &activity(n),
            &[inbox.to_string()],
        )
        .await
        .expect("enqueue");
    }
    diesel::sql_query(
        "UPDATE deliveries SET delivered_at = now() WHERE activity_id IN \
         (SELECT id FROM sent_activities WHERE ap_id IN ('https://x.example/a/1', 'https://x.example/a/3'))",
    )
    .execute(&mut conn)
    .await
    .expect("mark delivered");
    for statement in [
        "UPDATE sent_activities SET created_at = now() - interval '10 days' \
         WHERE ap_id IN ('https://x.example/a/1', 'https://x.example/a/2')",
        "UPDATE deliveries SET created_at = now() - interval '10 days' WHERE activity_id IN \
         (SELECT id FROM sent_activities WHERE ap_id IN ('https://x.example/a/1', 'https://x.example/a/2'))",
    ] {
        diesel::sql_query(statement)
            .execute(&mut conn)
            .await
            .expect("age");
    }
    db::activities::record_received(&mut conn, "https://y.example/old")
        .await
        .expect("received");
    db::activities::record_received(&mut conn, "https://y.example/new")
        .await
        .expect("received");
    diesel::sql_query("UPDATE received_activities SET received_at = now() - interval '10 days' WHERE ap_id = 'https://y.example/old'")
        .execute(&mut conn)
        .await
        .expect("age");

    let week_ago = chrono::Utc::now() - chrono::Duration::days(7);
    let (deliveries, activities) = db::deliveries::purge(&mut conn, week_ago)
        .await
        .expect("purge");
    assert_eq!(
        (deliveries, activities),
        (1, 1),
        "only the old delivered one goes"
    );
    assert_eq!(
        db::deliveries::purge_received(&mut conn, week_ago)
            .await
            .expect("purge"),
        1
    );
    drop(conn);
    assert_eq!(a.count_rows("sent_activities").await, 2);
    assert_eq!(a.count_rows("deliveries").await, 2);
    assert_eq!(a.count_rows("received_activities").await, 1);

    // The pending delivery shows in the status and in the metrics.
    let mut conn = a.conn().await;
    let status = db::deliveries::status(&mut conn).await.expect("status");
    drop(conn);
    let down = status
        .iter()
        .find(|q| q.instance == down_domain)
        .expect("the down peer is listed");
    assert_eq!(down.pending, 1);
    let metrics = common::http()
        .get(a.url("/metrics"))
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("body");
    assert!(
        metrics.contains(&format!(
            r#"guild_delivery_backlog{{instance="{down_domain}"}} 1"#
        )),
        "{metrics}"
    );
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inbox_named_twice_is_queued_once_in_the_order_given() {
    let a = TestInstance::start().await;
    let sender = a.create_community("sender", "Sender", None).await;
    let (first, second) = (closed_port_inbox().await, closed_port_inbox().await);
    let mut conn = a.conn().await;
    let activity = serde_json::json!({"id": "https://x.example/a/9", "type": "Announce", "object": "https://x.example/p/9"});
    let inboxes = [second.clone(), first.clone(), second.clone()];
    let activity_id = db::deliveries::enqueue(
        &mut conn,
        "https://x.example/a/9",
        &sender.ap_id,
        "Announce",
        &activity,
        &inboxes,
    )
    .await
    .expect("enqueue");

    #[derive(diesel::QueryableByName)]
    struct Queued {
        #[diesel(sql_type = diesel::sql_types::Text)]
        inbox_url: String,
    }
    let queued: Vec<Queued> =
        diesel::sql_query("SELECT inbox_url FROM deliveries WHERE activity_id = $1 ORDER BY id")
            .bind::<diesel::sql_types::BigInt, _>(activity_id)
            .load(&mut conn)
            .await
            .expect("queued");
    let queued: Vec<String> = queued.into_iter().map(|q| q.inbox_url).collect();
    assert_eq!(queued, vec![second, first]);
}

/// The inbox URL of a loopback port that was free a moment ago and is closed now.
async fn closed_port_inbox() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("address").port();
    drop(listener);
    format!("http://127.0.0.1:{port}/inbox")
}
