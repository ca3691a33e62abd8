//! The federation policy: a blocked instance's activities are refused at the inbox (403,
//! nothing stored), its objects are not fetched, nothing is delivered to it; allowlist mode
//! accepts only allowed instances; changes from the admin page or from `guild federation`
//! in another process take effect in the running server without a restart.

mod common;

use common::{api::PASSWORD, eventually, signing::signed_post, start_instances, web::Browser};
use guild::service::policy::{self, InstanceRule};
use serde_json::json;

fn note_in(community: &str, author: &str, id: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{id}/create"),
        "type": "Create",
        "actor": author,
        "to": [community, "https://www.w3.org/ns/activitystreams#Public"],
        "audience": community,
        "object": {
            "id": id, "type": "Page", "name": "From a blocked place", "content": "<p>hi</p>",
            "attributedTo": author, "audience": community,
            "to": [community, "https://www.w3.org/ns/activitystreams#Public"],
        }
    }))
    .expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_instance_is_refused_both_ways() {
    let mut instances = start_instances(2).await;
    let b = instances.pop().expect("b");
    let a = instances.pop().expect("a");
    let ann = a.create_user("ann").await;
    let community = a.create_community("maps", "Maps", Some(&ann)).await;
    let bob = b.create_user("bob").await;
    let bob_community = b.create_community("atlas", "Atlas", Some(&bob)).await;
    // Bob follows A's community while the instances are on good terms.
    let remote = b.resolve_community(&format!("maps@{}", a.domain)).await;
    b.follow_and_wait(&bob, &remote).await;

    policy::set_rule(&a.data, &b.domain, InstanceRule::Block)
        .await
        .expect("block");

    // B's signed activity to A's inbox: 403, nothing stored.
    let before = a.count_rows("posts").await;
    let signer = b.person_signer("bob").await;
    let body = note_in(&community.ap_id, &bob.ap_id, b.url("/post/900").as_str());
    let (status, error) = signed_post(&signer, &a.url("/c/maps/inbox"), &body).await;
    assert_eq!(status, 403, "{error}");
    assert!(
        error["error"]
            .as_str()
            .is_some_and(|e| e.contains("does not federate")),
        "{error}"
    );
    assert_eq!(a.count_rows("posts").await, before);

    // A fetches nothing from B.
    let refused =
        guild::federation::resolve::resolve_actor(&format!("!atlas@{}", b.domain), &a.data).await;
    assert!(
        refused.is_err(),
        "resolving on a blocked instance must fail"
    );
    let fetch = guild::federation::resolve::resolve_object(&bob_community.ap_id, &a.data).await;
    assert!(fetch.is_err(), "fetching from a blocked instance must fail");
    assert!(a.post_by_ap_id(&bob_community.ap_id).await.is_none());

    // A delivers nothing to B: the Announce of a new post is given up, B never sees it.
    let post = a.create_post(&ann, &community, "Not for B").await;
    eventually("the delivery to B to be refused by the policy", || {
        let a = &a;
        let b_domain = b.domain.clone();
        async move {
            let mut conn = a.conn().await;
            let status = guild::db::deliveries::status(&mut conn).await.ok()?;
            let queue = status.into_iter().find(|q| q.instance == b_domain)?;
            (queue.pending == 0
                && queue.last_error.as_deref() == Some("blocked by the federation policy"))
            .then_some(())
        }
    })
    .await;
    assert!(b.post_by_ap_id(&post.ap_id).await.is_none());

    // Unblocked, B's activity is taken again.
    policy::set_rule(&a.data, &b.domain, InstanceRule::Clear)
        .await
        .expect("unblock");
    let body = note_in(&community.ap_id, &bob.ap_id, b.url("/post/901").as_str());
    let (status, error) = signed_post(&signer, &a.url("/c/maps/inbox"), &body).await;
    assert!(status.is_success(), "{status} {error}");
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allowlist_mode_accepts_only_allowed_instances() {
    let mut instances = start_instances(2).await;
    let b = instances.pop().expect("b");
    let a = instances.pop().expect("a");
    let ann = a.create_user("ann").await;
    let community = a.create_community("maps", "Maps", Some(&ann)).await;
    let bob = b.create_user("bob").await;
    b.create_community("atlas", "Atlas", Some(&bob)).await;
    policy::set_allowlist_mode(&a.data, true)
        .await
        .expect("mode");
    let signer = b.person_signer("bob").await;
    let body = note_in(&community.ap_id, &bob.ap_id, b.url("/post/1").as_str());
    let (status, _) = signed_post(&signer, &a.url("/c/maps/inbox"), &body).await;
    assert_eq!(status, 403, "not on the allowlist");
    assert!(
        guild::federation::resolve::resolve_actor(&format!("!atlas@{}", b.domain), &a.data)
            .await
            .is_err()
    );
    policy::set_rule(&a.data, &b.domain, InstanceRule::Allow)
        .await
        .expect("allow");
    let (status, error) = signed_post(&signer, &a.url("/c/maps/inbox"), &body).await;
    assert!(status.is_success(), "{status} {error}");
    a.resolve_community(&format!("atlas@{}", b.domain)).await;
    // Bad domains are refused with a reason.
    let bad = policy::set_rule(&a.data, "not a domain/", InstanceRule::Block).await;
    assert!(bad.is_err());
    let own = policy::set_rule(&a.data, &a.domain, InstanceRule::Block).await;
    assert!(own.is_err(), "an instance cannot block itself");
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_page_and_the_command_line_change_it_without_a_restart() {
    let mut instances = start_instances(2).await;
    let b = instances.pop().expect("b");
    let a = instances.pop().expect("a");
    a.create_admin("root_admin").await;
    let bob = b.create_user("bob").await;
    b.create_community("atlas", "Atlas", Some(&bob)).await;
    let handle = format!("!atlas@{}", b.domain);

    let mut admin = Browser::new(&a);
    admin.get("/login").await;
    admin
        .submit(
            "/login",
            &[("username", "root_admin"), ("password", PASSWORD)],
        )
        .await;
    let bad = admin
        .submit(
            "/admin/federation",
            &[("action", "block"), ("domain", "no spaces allowed")],
        )
        .await;
    assert_eq!(bad.status, 400);
    bad.shows(&[r#"id="domain-error""#]);
    let blocked = admin
        .submit(
            "/admin/federation",
            &[("action", "block"), ("domain", &b.domain)],
        )
        .await;
    assert_eq!(blocked.location.as_deref(), Some("/admin?saved=1"));
    admin.get("/admin").await.shows(&[&b.domain, "Unblock"]);
    assert!(
        guild::federation::resolve::resolve_actor(&handle, &a.data)
            .await
            .is_err()
    );
    admin
        .submit(
            "/admin/federation",
            &[("action", "clear"), ("domain", &b.domain)],
        )
        .await;
    guild::federation::resolve::resolve_actor(&handle, &a.data)
        .await
        .expect("unblocked again");

    // The command line, another process on the same database: the server sees it soon.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_guild"))
        .args(["federation", "block", &b.domain])
        .env("GUILD_DATABASE_URL", &a.database.url)
        .env("GUILD_DOMAIN", &a.domain)
        .env("GUILD_ALLOW_INSECURE_LOCALHOST", "true")
        .env("GUILD_LOG", "warn")
        .env_remove("GUILD_CONFIG")
        .output()
        .expect("guild runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let signer = b.person_signer("bob").await;
    let community = a.create_community("maps", "Maps", None).await;
    eventually("the running server to refuse B", || {
        let signer = &signer;
        let a = &a;
        let body = note_in(&community.ap_id, &bob.ap_id, b.url("/post/5").as_str());
        async move {
            let (status, _) = signed_post(signer, &a.url("/c/maps/inbox"), &body).await;
            (status == 403).then_some(())
        }
    })
    .await;
    let listed = std::process::Command::new(env!("CARGO_BIN_EXE_guild"))
        .args(["federation", "list"])
        .env("GUILD_DATABASE_URL", &a.database.url)
        .env("GUILD_DOMAIN", &a.domain)
        .env("GUILD_ALLOW_INSECURE_LOCALHOST", "true")
        .env("GUILD_LOG", "warn")
        .env_remove("GUILD_CONFIG")
        .output()
        .expect("guild runs");
    let text = String::from_utf8_lossy(&listed.stdout);
    assert!(
        text.contains("Mode: blocklist") && text.contains(&b.domain),
        "{text}{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    a.stop().await;
    b.stop().await;
}
