//! No secret leaves the server: password hashes, private keys, the site's token secret and
//! login tokens appear in no JSON answer (client API and ActivityPub documents) and in no log
//! line, with every module logging at debug level while two instances federate.

mod common;

use common::{api::ApiClient, eventually, get_activity_json, http, start_instances};
use guild::db;
use std::sync::{Arc, Mutex};
use tracing_subscriber::fmt::MakeWriter;

/// Everything logged, kept for the test to read.
#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for LogBuffer {
    type Writer = LogBuffer;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// A line from the middle of a PEM key: enough to recognise it anywhere.
fn key_fingerprint(pem: &str) -> String {
    pem.lines().nth(2).expect("a PEM key has lines").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_stay_out_of_answers_and_logs() {
    let log = LogBuffer::default();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("debug"))
        .with_writer(log.clone())
        .with_ansi(false)
        .init();

    let mut instances = start_instances(2).await;
    let b = instances.pop().expect("b");
    let a = instances.pop().expect("a");
    let ann = ApiClient::register(&a, "ann").await;
    let again = ApiClient::login(&a, "ann").await;
    let community_id = ann.create_community("maps").await["community"]["id"]
        .as_i64()
        .expect("id");
    let post = ann.create_post(community_id, "Secret-free", "body").await;
    let post_id = post["post"]["id"].as_i64().expect("id");
    ann.create_comment(post_id, None, "a comment").await;
    let bob = b.create_user("bob").await;
    let remote = b.resolve_community(&format!("maps@{}", a.domain)).await;
    b.follow_and_wait(&bob, &remote).await;
    let changed = ann
        .put(
            "user/change_password",
            serde_json::json!({
                "old_password": common::api::PASSWORD,
                "new_password": "another long password",
                "new_password_verify": "another long password",
            }),
        )
        .await
        .ok();
    let ann = ApiClient::login_with(&a, "ann", "another long password").await;
    let post_ap_id = post["post"]["ap_id"].as_str().expect("ap_id").to_string();
    eventually("the post to reach B", || {
        let b = &b;
        let ap_id = post_ap_id.clone();
        async move { b.post_by_ap_id(&ap_id).await }
    })
    .await;

    // The secrets, read from both databases.
    let mut secrets: Vec<(String, String)> = vec![
        ("the first password".into(), common::api::PASSWORD.into()),
        ("the second password".into(), "another long password".into()),
        ("a login token".into(), again.token.clone().expect("token")),
        ("a login token".into(), ann.token.clone().expect("token")),
        (
            "a login token".into(),
            changed["jwt"].as_str().expect("token").to_string(),
        ),
    ];
    for instance in [&a, &b] {
        let mut conn = instance.conn().await;
        let site = db::site::get(&mut conn)
            .await
            .expect("query")
            .expect("site");
        secrets.push(("the token secret".into(), site.jwt_secret.clone()));
        secrets.push(("the site's key".into(), key_fingerprint(&site.private_key)));
        for name in ["ann", "bob"] {
            if let Some((person, account)) = db::people::local_account_by_name(&mut conn, name)
                .await
                .expect("query")
            {
                let key = person.private_key.expect("key");
                secrets.push((format!("{name}'s key"), key_fingerprint(&key)));
                let hash = account.password_hash.expect("hash");
                secrets.push((format!("{name}'s password hash"), hash));
            }
        }
        if let Some(community) = db::communities::local_by_name(&mut conn, "maps")
            .await
            .expect("query")
        {
            let key = community.private_key.expect("key");
            secrets.push(("the community's key".into(), key_fingerprint(&key)));
        }
    }

    // Every kind of answer, as the public and as ann see them.
    let mut answers = Vec::new();
    for path in [
        "site",
        "user?username=ann",
        "post/list?type_=All",
        &format!("post?id={post_id}"),
        &format!("comment/list?post_id={post_id}"),
        "community?name=maps",
        "community/list",
        "search?q=maps",
        "modlog",
        "user/replies",
        "openapi.json",
    ] {
        answers.push((path.to_string(), ann.get(path).await.body.to_string()));
        let anonymous = ApiClient::anonymous(&a).get(path).await.body.to_string();
        answers.push((path.to_string(), anonymous));
    }
    for path in [
        "/u/ann",
        "/c/maps",
        "/actor",
        "/c/maps/outbox",
        "/c/maps/followers",
        "/c/maps/moderators",
        &format!("/post/{post_id}"),
        "/.well-known/nodeinfo",
    ] {
        let json = get_activity_json(&a.url(path)).await;
        answers.push((path.to_string(), json.to_string()));
    }
    let nodeinfo = http()
        .get(a.url("/nodeinfo/2.1"))
        .send()
        .await
        .expect("nodeinfo")
        .text()
        .await
        .expect("body");
    answers.push(("/nodeinfo/2.1".into(), nodeinfo));
    for (what, answer) in &answers {
        for (name, secret) in &secrets {
            assert!(
                !answer.contains(secret.as_str()),
                "{name} is in the answer to {what}"
            );
        }
    }

    let logged = String::from_utf8_lossy(&log.0.lock().expect("log")).to_string();
    assert!(
        logged.lines().count() > 100,
        "the log was captured ({} lines)",
        logged.lines().count()
    );
    for (name, secret) in &secrets {
        assert!(!logged.contains(secret.as_str()), "{name} is in the log");
    }
    println!(
        "{} answers and {} log lines checked for {} secrets",
        answers.len(),
        logged.lines().count(),
        secrets.len()
    );
    a.stop().await;
    b.stop().await;
}
