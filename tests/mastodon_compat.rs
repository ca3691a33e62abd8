//! Mastodon users take part in a Guild community without an account on Guild: they follow
//! it, see its posts as boosts, post into it by mentioning it, reply and like where Mastodon
//! delivers replies and likes (the author's server), and see removed posts disappear. The
//! peer is `tests/common/mastodon.rs`, which checks what it receives the way Mastodon does.

mod common;

use common::{
    TestInstance, eventually, get_activity_json, mastodon::MastodonPeer, start_instances,
};
use guild::{
    db,
    service::posts::{PostInput, create_post, delete_post},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mastodon_user_takes_part_in_a_community() {
    let mut instances = start_instances(3).await;
    let c = instances.pop().expect("C");
    let b = instances.pop().expect("B");
    let a = instances.pop().expect("A");
    let masto = MastodonPeer::start().await;
    let ann = a.create_user("ann").await;
    let practice = a
        .create_community("practice", "Leadership practice", Some(&ann))
        .await;
    let bob = b.create_user("bob").await;
    let carol = c.create_user("carol").await;
    let handle = format!("practice@{}", a.domain);
    let on_b = b.resolve_community(&handle).await;
    let on_c = c.resolve_community(&handle).await;
    b.follow_and_wait(&bob, &on_b).await;
    c.follow_and_wait(&carol, &on_c).await;
    let group = get_activity_json(&a.url("/c/practice")).await;

    // Follow → Accept, signed by the group, naming the Follow.
    let follow_id = masto
        .follow(&a.url("/c/practice"), &a.url("/c/practice/inbox"))
        .await;
    eventually("the Accept to reach Mastodon", || async {
        masto
            .state()
            .accepted_follows
            .contains(&follow_id)
            .then_some(())
    })
    .await;
    assert_eq!(
        get_activity_json(&a.url("/c/practice/followers")).await["totalItems"],
        3
    );

    // Posts in the community reach Mastodon as boosts it can take: one by a local author,
    // one by bob on B (relayed by A, fetched by Mastodon from B).
    let anns = create_post(
        &a.data,
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
    let bobs = create_post(
        &b.data,
        &bob,
        &on_b,
        PostInput {
            title: "Feedback that lands".into(),
            body: Some("Specific, kind, soon.".into()),
            ..Default::default()
        },
    )
    .await
    .expect("post");
    for post in [&anns.ap_id, &bobs.ap_id] {
        eventually(&format!("Mastodon to boost {post}"), || async {
            let boosts = masto
                .state()
                .boosts
                .iter()
                .filter(|b| &b.object_id == post && b.public)
                .count();
            (boosts == 2).then_some(())
        })
        .await;
    }
    assert!(
        !masto
            .state()
            .refused
            .iter()
            .any(|r| r.starts_with("Announce dropped")),
        "{:?}",
        masto.state().refused
    );
    // Mastodon shows a Page as its name, summary and link: the summary is a plain excerpt.
    let page = get_activity_json(&url::Url::parse(&anns.ap_id).expect("URL")).await;
    assert_eq!(page["summary"], "What do you hand over first?");

    // A public note that mentions the community becomes a post there, relayed to B and C.
    let note_id = masto
        .mention(&group, &a.url("/inbox"), "How do you run a retrospective?")
        .await;
    for instance in [&a, &b, &c] {
        let post = eventually(
            &format!("the mention to become a post on {}", instance.domain),
            || async { instance.post_by_ap_id(&note_id).await },
        )
        .await;
        assert_eq!(post.title, "How do you run a retrospective?");
        assert!(
            post.body_html
                .as_deref()
                .unwrap_or_default()
                .contains("Second paragraph")
        );
    }
    let listed = b.community_posts(&handle).await;
    let mention_post = listed
        .iter()
        .find(|p| p["post"]["ap_id"] == note_id)
        .expect("listed on B");
    assert_eq!(mention_post["creator"]["actor_id"], masto.actor.as_str());

    // A reply to bob's post goes to bob's server (B), which forwards it to the community.
    let bob_json = get_activity_json(&b.url("/u/bob")).await;
    let reply_id = masto
        .reply(
            &bobs.ap_id,
            &bob_json,
            &b.url("/inbox"),
            "Soon matters most.",
        )
        .await;
    for instance in [&b, &a, &c] {
        eventually(
            &format!("the reply to reach {}", instance.domain),
            || async { instance.comment_by_ap_id(&reply_id).await },
        )
        .await;
    }
    let mut conn = b.conn().await;
    let replies = db::notifications::comments_for_person(&mut conn, bob.id, "reply", false, 10, 0)
        .await
        .expect("query");
    assert_eq!(replies.len(), 1, "bob is told of the reply");
    drop(conn);

    // A like of bob's post, sent to B, counts everywhere; its Undo too.
    masto.like(&bobs.ap_id, &b.url("/inbox"), 1).await;
    for instance in [&a, &b, &c] {
        eventually(
            &format!("the like to count on {}", instance.domain),
            || async { (instance.post_by_ap_id(&bobs.ap_id).await?.score == 1).then_some(()) },
        )
        .await;
    }
    masto.undo_like(&bobs.ap_id, &b.url("/inbox"), 1).await;
    for instance in [&a, &b, &c] {
        eventually(&format!("the unlike on {}", instance.domain), || async {
            (instance.post_by_ap_id(&bobs.ap_id).await?.score == 0).then_some(())
        })
        .await;
    }

    // Deleting a post undoes the boost Mastodon took of it.
    let anns_now = a.post_by_ap_id(&anns.ap_id).await.expect("post");
    delete_post(&a.data, &ann, &anns_now, true)
        .await
        .expect("delete");
    let boosted: Vec<String> = masto
        .state()
        .boosts
        .iter()
        .filter(|b| b.object_id == anns.ap_id)
        .map(|b| b.announce_id.clone())
        .collect();
    eventually("Mastodon to receive Undo{Announce}", || async {
        masto
            .state()
            .undone_boosts
            .iter()
            .any(|id| boosted.contains(id))
            .then_some(())
    })
    .await;

    masto.stop();
    for instance in [a, b, c] {
        instance.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secure_mode_both_ways() {
    let a = TestInstance::start_with(|settings| settings.require_signed_fetch = true).await;
    a.create_community("practice", "Facilitation", None).await;
    let masto = MastodonPeer::start().await;
    masto.state().require_signed_fetch = true;

    // Guild in secure mode: unsigned reads of its documents are refused, signed ones served;
    // its instance actor and WebFinger stay open so peers can always get the keys.
    let group = a.url("/c/practice");
    let unsigned = common::http()
        .get(group.as_str())
        .header("Accept", "application/activity+json")
        .send()
        .await
        .expect("GET");
    assert_eq!(unsigned.status(), 401);
    assert_eq!(masto.signed_get(&group).await.status(), 200);
    assert_eq!(
        get_activity_json(&a.url("/actor")).await["type"],
        "Application"
    );
    let page = common::http()
        .get(group.as_str())
        .header("Accept", "text/html")
        .send()
        .await
        .expect("GET");
    assert_eq!(page.status(), 200, "browsers still get the page");

    // Mastodon in secure mode: Guild's GETs are signed by its instance actor, so it answers.
    let alice = format!("@alice@{}", masto.host);
    guild::federation::resolve::resolve_actor(&alice, &a.data)
        .await
        .expect("alice resolves");
    let fetches = masto.state().signed_fetches.clone();
    assert!(
        fetches
            .iter()
            .any(|key| key == &format!("{}#main-key", a.url("/actor"))),
        "{fetches:?}"
    );
    masto.stop();
    a.stop().await;
}
