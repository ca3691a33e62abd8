//! The outgoing queue under load and failure: everything arrives, in order per object, after
//! peer outages, a SIGKILL of the sender, with two processes sharing the queue, and with a
//! peer that asks to slow down.

mod common;

use common::{
    TestDatabase, TestInstance, eventually, eventually_within, mastodon::MastodonPeer,
    test_settings,
};
use guild::{
    context::Context,
    db::{self, models::Community, models::Person},
    server,
    service::posts::{PostInput, create_post, edit_post},
};
use nix::{sys::signal, unistd::Pid};
use std::{process::Stdio, time::Duration};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

const GUILD: &str = env!("CARGO_BIN_EXE_guild");
const LONG: Duration = Duration::from_secs(180);

/// These tests load the machine; they run one at a time so each measures itself.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Posts `count` posts and edits each once; returns their ids. A receiver that ends with the
/// edited titles got each post's Create before its Update.
async fn post_and_edit(
    data: &activitypub_federation::config::Data<Context>,
    author: &Person,
    community: &Community,
    count: usize,
) -> Vec<String> {
    let mut ids = Vec::with_capacity(count);
    for n in 0..count {
        let post = create_post(
            data,
            author,
            community,
            PostInput {
                title: format!("Post {n}"),
                ..Default::default()
            },
        )
        .await
        .expect("post");
        edit_post(
            data,
            author,
            &post,
            PostInput {
                title: format!("Post {n} (edited)"),
                ..Default::default()
            },
        )
        .await
        .expect("edit");
        ids.push(post.ap_id);
    }
    ids
}

/// How many of `ids` an instance holds with their edited titles.
async fn edited_count(instance: &TestInstance, ids: &[String]) -> usize {
    let mut conn = instance.conn().await;
    let mut count = 0;
    for id in ids {
        if let Some(post) = db::posts::by_ap_id(&mut conn, id).await.expect("query") {
            if post.title.ends_with("(edited)") {
                count += 1;
            }
        }
    }
    count
}

async fn pending(data: &activitypub_federation::config::Data<Context>) -> i64 {
    let mut conn = data.pool.get().await.expect("connection");
    db::deliveries::pending_count(&mut conn)
        .await
        .expect("query")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_posts_reach_two_follower_instances_in_order() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let a = TestInstance::start_with(|s| s.delivery_first_retry_seconds = 1).await;
    let b = TestInstance::start().await;
    let c = TestInstance::start().await;
    let ann = a.create_user("ann").await;
    let community = a.create_community("writing", "Writing", Some(&ann)).await;
    let handle = format!("writing@{}", a.domain);
    for (instance, name) in [(&b, "bob"), (&c, "carol")] {
        let person = instance.create_user(name).await;
        let remote = instance.resolve_community(&handle).await;
        instance.follow_and_wait(&person, &remote).await;
    }
    let ids = post_and_edit(&a.data, &ann, &community, 200).await;
    for instance in [&b, &c] {
        eventually_within(
            LONG,
            &format!("200 edited posts on {}", instance.domain),
            || async { (edited_count(instance, &ids).await == 200).then_some(()) },
        )
        .await;
    }
    // Each post: Announce{Create}, the bare Announce and Announce{Update}, to each of two
    // instances; all delivered, none given up.
    let mut conn = a.conn().await;
    let status = db::deliveries::status(&mut conn).await.expect("status");
    drop(conn);
    let delivered: i64 = status.iter().map(|q| q.delivered_last_day).sum();
    let failed: i64 = status.iter().map(|q| q.failed_last_day).sum();
    assert_eq!(failed, 0, "{status:?}");
    assert!(delivered >= 1200, "{status:?}");
    assert_eq!(pending(&a.data).await, 0);
    for instance in [a, b, c] {
        instance.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_was_down_gets_everything_after_the_retry() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let a = TestInstance::start_with(|s| s.delivery_first_retry_seconds = 1).await;
    let mut b = TestInstance::start().await;
    let ann = a.create_user("ann").await;
    let community = a.create_community("events", "Events", Some(&ann)).await;
    let bob = b.create_user("bob").await;
    let remote = b.resolve_community(&format!("events@{}", a.domain)).await;
    b.follow_and_wait(&bob, &remote).await;

    b.suspend().await;
    let ids = post_and_edit(&a.data, &ann, &community, 50).await;
    // Attempts fail while B is down; the queue keeps them and the peer is marked failing.
    eventually("failed attempts to B", || async {
        let mut conn = a.conn().await;
        let status = db::deliveries::status(&mut conn).await.expect("status");
        status
            .iter()
            .any(|q| q.instance == b.domain && q.retrying > 0)
            .then_some(())
    })
    .await;
    let mut conn = a.conn().await;
    let instance = db::instances::by_domain(&mut conn, &b.domain)
        .await
        .expect("query")
        .expect("known");
    assert!(instance.failing_since.is_some());
    drop(conn);
    assert_eq!(edited_count(&b, &ids).await, 0);

    b.resume().await;
    eventually_within(LONG, "all 50 posts, edited, on B", || async {
        (edited_count(&b, &ids).await == 50).then_some(())
    })
    .await;
    let mut conn = a.conn().await;
    let instance = db::instances::by_domain(&mut conn, &b.domain)
        .await
        .expect("query")
        .expect("known");
    assert!(
        instance.failing_since.is_none(),
        "B counts as reachable again"
    );
    drop(conn);
    a.stop().await;
    b.stop().await;
}

/// A `guild` child process on a test database.
fn guild_process(args: &[&str], port: u16, database_url: &str) -> Child {
    Command::new(GUILD)
        .args(args)
        .env("GUILD_DATABASE_URL", database_url)
        .env("GUILD_DOMAIN", format!("localhost:{port}"))
        .env("GUILD_BIND", format!("127.0.0.1:{port}"))
        .env("GUILD_ALLOW_INSECURE_LOCALHOST", "true")
        .env("GUILD_DELIVERY_FIRST_RETRY_SECONDS", "1")
        .env("GUILD_LOG", "warn")
        .env_remove("GUILD_CONFIG")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("guild starts")
}

/// Waits until a child prints the line that says it is up.
async fn wait_ready(child: &mut Child, marker: &str) {
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let ready = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.expect("stdout") {
            if line.contains(marker) {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(ready, Ok(true), "guild did not start");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("address")
        .port()
}

/// A handle on a child instance's data from the test process (same database and domain).
async fn data_for(port: u16, database_url: &str) -> activitypub_federation::config::Data<Context> {
    let settings = test_settings(&format!("localhost:{port}"), database_url);
    server::prepare(settings, database_url)
        .await
        .expect("prepares")
        .to_request_data()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkill_in_the_middle_loses_nothing() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let database = TestDatabase::create().await;
    let port = free_port();
    let mut sender = guild_process(&["serve"], port, &database.url);
    wait_ready(&mut sender, "Guild is listening").await;
    let a = data_for(port, &database.url).await;
    let ann = guild::service::accounts::create_account(
        &a,
        guild::service::accounts::NewAccount {
            name: "ann".into(),
            password: None,
            is_admin: false,
        },
    )
    .await
    .expect("user");
    let community = guild::service::communities::create_community(
        &a,
        guild::service::communities::NewCommunity {
            name: "volunteering".into(),
            title: "Volunteering".into(),
            description: None,
            moderator_id: Some(ann.id),
            topic: None,
        },
    )
    .await
    .expect("community");
    let b = TestInstance::start().await;
    let bob = b.create_user("bob").await;
    let remote = b
        .resolve_community(&format!("volunteering@localhost:{port}"))
        .await;
    b.follow_and_wait(&bob, &remote).await;

    // Stop the sender, queue 500 posts (1,000 deliveries to B: each post's Announce{Create}
    // and bare Announce), and start it again: the queue is full when the kill comes.
    signal::kill(
        Pid::from_raw(sender.id().expect("running") as i32),
        signal::Signal::SIGTERM,
    )
    .expect("SIGTERM");
    let _ = sender.wait().await;
    let mut ids = Vec::new();
    for n in 0..500 {
        let post = create_post(
            &a,
            &ann,
            &community,
            PostInput {
                title: format!("Shift {n}"),
                ..Default::default()
            },
        )
        .await
        .expect("post");
        ids.push(post.ap_id);
    }
    let mut sender = guild_process(&["serve"], port, &database.url);
    wait_ready(&mut sender, "Guild is listening").await;
    let stored = || async {
        let mut conn = b.conn().await;
        let mut count = 0;
        for id in &ids {
            if db::posts::by_ap_id(&mut conn, id)
                .await
                .expect("query")
                .is_some()
            {
                count += 1;
            }
        }
        count
    };
    eventually_within(LONG, "some deliveries before the kill", || async {
        (stored().await >= 20).then_some(())
    })
    .await;
    signal::kill(
        Pid::from_raw(sender.id().expect("running") as i32),
        signal::Signal::SIGKILL,
    )
    .expect("SIGKILL");
    let _ = sender.wait().await;
    let at_kill = stored().await;
    assert!(
        at_kill < 500,
        "all delivered before the kill; the test proves nothing"
    );
    assert!(pending(&a).await > 0);

    let mut sender = guild_process(&["serve"], port, &database.url);
    wait_ready(&mut sender, "Guild is listening").await;
    eventually_within(LONG, "all 500 posts on B after the restart", || async {
        (stored().await == 500).then_some(())
    })
    .await;
    // The last post on B does not mean an empty queue: a post's bare Announce goes after
    // its Announce{Create}, and what the killed worker held comes back only once it is
    // presumed dead.
    eventually_within(LONG, "the queue drained after the restart", || async {
        (pending(&a).await == 0).then_some(())
    })
    .await;
    assert_eq!(b.count_rows("posts").await, 500, "nothing stored twice");
    println!("killed with {at_kill} of 500 posts delivered; all 500 after the restart");
    signal::kill(
        Pid::from_raw(sender.id().expect("running") as i32),
        signal::Signal::SIGTERM,
    )
    .expect("SIGTERM");
    let _ = sender.wait().await;
    drop(a);
    b.stop().await;
    database.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_share_the_queue_without_sending_twice() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let database = TestDatabase::create().await;
    let port = free_port();
    let mut server_process = guild_process(&["serve", "--no-delivery"], port, &database.url);
    wait_ready(&mut server_process, "Guild is listening").await;
    let mut first = guild_process(&["deliver"], port, &database.url);
    wait_ready(&mut first, "Guild is delivering").await;
    let mut second = guild_process(&["deliver"], port, &database.url);
    wait_ready(&mut second, "Guild is delivering").await;
    let a = data_for(port, &database.url).await;
    let ann = guild::service::accounts::create_account(
        &a,
        guild::service::accounts::NewAccount {
            name: "ann".into(),
            password: None,
            is_admin: false,
        },
    )
    .await
    .expect("user");
    let community = guild::service::communities::create_community(
        &a,
        guild::service::communities::NewCommunity {
            name: "mapping".into(),
            title: "Mapping".into(),
            description: None,
            moderator_id: Some(ann.id),
            topic: None,
        },
    )
    .await
    .expect("community");
    let peer = MastodonPeer::start().await;
    let group = url::Url::parse(&community.ap_id).expect("URL");
    let follow = peer
        .follow(&group, &url::Url::parse(&community.inbox_url).expect("URL"))
        .await;
    eventually("the Accept", || async {
        peer.state()
            .accepted_follows
            .contains(&follow)
            .then_some(())
    })
    .await;
    peer.state().count_only = true;

    for n in 0..500 {
        create_post(
            &a,
            &ann,
            &community,
            PostInput {
                title: format!("Layer {n}"),
                ..Default::default()
            },
        )
        .await
        .expect("post");
    }
    let mut conn = a.pool.get().await.expect("connection");
    let workers: i64 = {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        db::schema::delivery_workers::table
            .count()
            .get_result(&mut conn)
            .await
            .expect("count")
    };
    drop(conn);
    assert_eq!(workers, 2, "two delivery processes at work");
    eventually_within(LONG, "1,000 deliveries at the peer", || async {
        (peer.state().deliveries_by_id.len() >= 1001).then_some(())
    })
    .await;
    let twice: Vec<(String, u32)> = peer
        .state()
        .deliveries_by_id
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(id, n)| (id.clone(), *n))
        .collect();
    assert!(twice.is_empty(), "delivered more than once: {twice:?}");
    for child in [&server_process, &first, &second] {
        signal::kill(
            Pid::from_raw(child.id().expect("running") as i32),
            signal::Signal::SIGTERM,
        )
        .expect("SIGTERM");
    }
    for mut child in [server_process, first, second] {
        let _ = child.wait().await;
    }
    peer.stop();
    drop(a);
    database.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_asks_to_slow_down_is_paused_and_others_go_on() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let a = TestInstance::start_with(|s| s.delivery_first_retry_seconds = 1).await;
    let b = TestInstance::start().await;
    let ann = a.create_user("ann").await;
    let community = a
        .create_community("speaking", "Public speaking", Some(&ann))
        .await;
    let bob = b.create_user("bob").await;
    let remote = b.resolve_community(&format!("speaking@{}", a.domain)).await;
    b.follow_and_wait(&bob, &remote).await;
    let peer = MastodonPeer::start().await;
    let follow = peer
        .follow(&a.url("/c/speaking"), &a.url("/c/speaking/inbox"))
        .await;
    eventually("the Accept", || async {
        peer.state()
            .accepted_follows
            .contains(&follow)
            .then_some(())
    })
    .await;
    {
        let mut state = peer.state();
        state.count_only = true;
        state.throttle = Some((std::time::Instant::now() + Duration::from_secs(6), 6));
    }

    let started = std::time::Instant::now();
    let mut ids = Vec::new();
    for n in 0..20 {
        let post = a.create_post(&ann, &community, &format!("Talk {n}")).await;
        ids.push(post.ap_id);
    }
    eventually("B to get all 20 while the peer is paused", || async {
        let mut conn = b.conn().await;
        let mut count = 0;
        for id in &ids {
            if db::posts::by_ap_id(&mut conn, id)
                .await
                .expect("query")
                .is_some()
            {
                count += 1;
            }
        }
        (count == 20).then_some(())
    })
    .await;
    let b_done = started.elapsed();
    assert!(
        b_done < Duration::from_secs(6),
        "B waited for the throttled peer: {b_done:?}"
    );
    let (throttled, taken) = {
        let state = peer.state();
        let taken = state
            .deliveries_by_id
            .keys()
            .filter(|id| id.contains("/activities/announce/"))
            .count();
        (state.throttled, taken)
    };
    assert!(throttled >= 1, "the peer never asked to slow down");
    assert_eq!(taken, 0, "the peer received announces during its pause");
    assert!(
        throttled <= 17,
        "the paused peer was hammered: {throttled} requests refused (one round per slot is expected)"
    );
    eventually_within(
        LONG,
        "the peer to get all 40 Announces after its pause",
        || async {
            let got = peer
                .state()
                .deliveries_by_id
                .keys()
                .filter(|id| id.contains("/activities/announce/"))
                .count();
            (got >= 40).then_some(())
        },
    )
    .await;
    println!(
        "B had everything after {b_done:?}; the peer refused {throttled} requests during its pause"
    );
    peer.stop();
    a.stop().await;
    b.stop().await;
}
