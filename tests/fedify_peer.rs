//! A real third-party ActivityPub implementation, Fedify 1.5 (<https://fedify.dev>), plays a
//! microblog account (`tests/fedify/peer.mjs`, on Node) that follows a Guild community:
//! Fedify signs the Follow, verifies the HTTP signature of Guild's Accept and Announces, and
//! parses what Guild sends with its own JSON-LD vocabulary. Ignored by `cargo test` because
//! it needs Node 20+ and the peer's packages:
//!
//! ```sh
//! (cd tests/fedify && npm ci)
//! cargo test --test fedify_peer -- --ignored --nocapture
//! ```
//!
//! It prints every line the peer wrote, for the record.

mod common;

use common::{TestInstance, get_activity_json, http};
use guild::service::posts::{PostInput, create_post};
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};

/// How long to wait for each step of the exchange.
const PATIENCE: Duration = Duration::from_secs(20);

/// The Node process running Fedify, and what it has written so far.
struct FedifyPeer {
    child: Child,
    base: String,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl FedifyPeer {
    fn start(group: &url::Url, group_inbox: &url::Url) -> FedifyPeer {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        assert!(
            root.join("tests/fedify/node_modules/@fedify/fedify")
                .is_dir(),
            "Fedify is not installed: run `npm ci` in tests/fedify"
        );
        let port = free_port();
        let mut child = Command::new("node")
            .arg("tests/fedify/peer.mjs")
            .current_dir(root)
            .env("FEDIFY_PORT", port.to_string())
            .env("GROUP_ID", group.as_str())
            .env("GROUP_INBOX", group_inbox.as_str())
            .env("EXIT_WITH_STDIN", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs (Node 20 or later must be on PATH)");
        let stdout = collect(child.stdout.take().expect("stdout"));
        let stderr = collect(child.stderr.take().expect("stderr"));
        FedifyPeer {
            child,
            base: format!("http://localhost:{port}"),
            stdout,
            stderr,
        }
    }

    fn lines(&self) -> Vec<String> {
        self.stdout.lock().expect("stdout lines").clone()
    }

    fn errors(&self) -> Vec<String> {
        self.stderr.lock().expect("stderr lines").clone()
    }

    /// The words after `event` on each line that starts with it.
    fn events(&self, event: &str) -> Vec<Vec<String>> {
        self.lines()
            .iter()
            .filter_map(|line| {
                let mut words = line.split_whitespace();
                (words.next() == Some(event)).then(|| words.map(str::to_string).collect())
            })
            .collect()
    }

    /// Waits until `check` finds what it wants in the peer's output; on timeout, fails with
    /// everything the peer wrote.
    async fn wait_for<T>(&mut self, what: &str, check: impl Fn(&FedifyPeer) -> Option<T>) -> T {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if let Some(value) = check(self) {
                return value;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                self.fail(&format!("the Fedify peer exited ({status}) before {what}"));
            }
            if tokio::time::Instant::now() > deadline {
                self.fail(&format!("timed out waiting for {what}"));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn fail(&self, why: &str) -> ! {
        panic!(
            "{why}\n--- Fedify stdout ---\n{}\n--- Fedify stderr ---\n{}",
            self.lines().join("\n"),
            self.errors().join("\n")
        );
    }
}

/// A loopback port nobody listens on (the peer binds it a moment later).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    listener.local_addr().expect("local address").port()
}

/// Gathers the lines of a child's output as they come.
fn collect(stream: impl AsyncRead + Unpin + Send + 'static) -> Arc<Mutex<Vec<String>>> {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    tokio::spawn(async move {
        let mut reader = BufReader::new(stream).lines();
        while let Ok(Some(line)) = reader.next_line().await {
            sink.lock().expect("lines").push(line);
        }
    });
    lines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs node and tests/fedify/node_modules; run by .ci/run"]
async fn a_fedify_account_follows_a_community_and_receives_its_announces() {
    let guild = TestInstance::start().await;
    let ann = guild.create_user("ann").await;
    let practice = guild
        .create_community("practice", "Leadership practice", Some(&ann))
        .await;
    let group = guild.url("/c/practice");
    let group_inbox = guild.url("/c/practice/inbox");
    let group_key = format!("{group}#main-key");

    let mut fedify = FedifyPeer::start(&group, &group_inbox);
    fedify
        .wait_for("READY", |peer| {
            peer.lines().iter().any(|l| l == "READY").then_some(())
        })
        .await;

    // Fedify sends a signed Follow; Guild fetches alice from Fedify and answers with an
    // Accept signed by the group, whose signature Fedify verifies.
    let follow_id = fedify
        .wait_for("Guild's Accept of the Follow", |peer| {
            peer.events("ACCEPTED")
                .first()
                .map(|words| words[0].clone())
        })
        .await;
    assert!(
        fedify
            .events("FOLLOW_SENT")
            .iter()
            .any(|w| w[0] == follow_id),
        "the accepted Follow is the one Fedify sent: {:?}",
        fedify.lines()
    );
    assert_eq!(
        get_activity_json(&guild.url("/c/practice/followers")).await["totalItems"],
        1,
        "Guild counts the Fedify account among the group's followers"
    );

    // A post in the community reaches Fedify twice: Announce{Create{Page}} and Announce{Page}.
    let post = create_post(
        &guild.data,
        &ann,
        &practice,
        PostInput {
            title: "Delegating well".into(),
            body: Some("What do you hand over first?".into()),
            ..Default::default()
        },
    )
    .await
    .expect("post");
    let announces = fedify
        .wait_for("both Announces of the post", |peer| {
            let announces: Vec<Vec<String>> = peer
                .events("ANNOUNCE")
                .into_iter()
                .filter(|words| words.get(1) == Some(&post.ap_id))
                .collect();
            (announces.len() >= 2).then_some(announces)
        })
        .await;
    assert_eq!(announces.len(), 2, "{announces:?}");
    assert_ne!(announces[0][0], announces[1][0], "two distinct Announces");
    let mut types: Vec<String> = announces
        .iter()
        .map(|announce| {
            fedify
                .events("OBJECT_TYPE")
                .into_iter()
                .find(|words| words[0] == announce[0])
                .map(|words| words[1..].join(" "))
                .unwrap_or_default()
        })
        .collect();
    types.sort();
    assert_eq!(types, ["Create Page", "Page"], "what Fedify parsed");

    // Everything Guild posted to Fedify's inboxes carried the group's signature, and Fedify
    // took it (202); nothing was refused. Fedify writes the INBOX line once it has answered,
    // a moment after the ANNOUNCE line its handler writes: wait for both.
    let ids: Vec<String> = announces.iter().map(|a| a[0].clone()).collect();
    let inbox = fedify
        .wait_for("Fedify's answers to both Announces", |peer| {
            let inbox = peer.events("INBOX");
            ids.iter()
                .all(|id| inbox.iter().any(|words| words.get(2) == Some(id)))
                .then_some(inbox)
        })
        .await;
    for id in announces.iter().map(|a| &a[0]) {
        let delivery = inbox
            .iter()
            .find(|words| &words[2] == id)
            .unwrap_or_else(|| fedify.fail(&format!("no INBOX line for {id}")));
        assert_eq!(delivery[0], "202", "Fedify's answer to {id}");
        assert_eq!(delivery[3], group_key, "the key {id} was signed with");
    }
    assert!(
        fedify.events("SIGNATURE_VERIFIED").len() >= 3,
        "Fedify verified the Accept's and both Announces' signatures: {:?}",
        fedify.lines()
    );
    let refused: Vec<String> = fedify
        .errors()
        .into_iter()
        .filter(|line| line.starts_with("REJECTED") || line.starts_with("INBOX_ERROR"))
        .collect();
    assert!(refused.is_empty(), "Fedify refused: {refused:#?}");

    // And Fedify does check: an unsigned copy of the Accept is refused.
    let unsigned = http()
        .post(format!("{}/inbox", fedify.base))
        .header("Content-Type", "application/activity+json")
        .body(
            serde_json::json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": guild.url("/activities/accept/unsigned").as_str(),
                "type": "Accept",
                "actor": group.as_str(),
                "object": follow_id,
            })
            .to_string(),
        )
        .send()
        .await
        .expect("POST to Fedify");
    assert_eq!(
        unsigned.status(),
        401,
        "Fedify refuses an unsigned activity"
    );

    println!("--- What Fedify saw ---");
    for line in fedify.lines() {
        println!("{line}");
    }
    println!("--- Fedify stderr ---");
    for line in fedify.errors() {
        println!("{line}");
    }

    drop(fedify);
    guild.stop().await;
}
