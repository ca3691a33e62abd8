//! Moderators remove and restore posts and comments, and lock posts; the removal federates (a `Delete` by
//! the moderator with the reason in `summary`, announced by the community, as Lemmy sends
//! it), shows on follower instances and in the modlog, and nobody else can do it: not a
//! local non-moderator, not a remote person, not a community relaying what is not its own.

mod common;

use common::{api::ApiClient, eventually, signing::signed_post, start_instances, web::Browser};
use guild::service::{
    comments::create_comment,
    posts::{PostInput, create_post},
};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moderator_removes_and_restores_across_instances() {
    let mut instances = start_instances(2).await;
    let b = instances.pop().expect("b");
    let a = instances.pop().expect("a");
    let ann = ApiClient::register(&a, "ann").await;
    let carl = ApiClient::register(&a, "carl").await;
    let community_id = ann.create_community("maps").await["community"]["id"]
        .as_i64()
        .expect("id");
    let bob = b.create_user("bob").await;
    let remote = b.resolve_community(&format!("maps@{}", a.domain)).await;
    b.follow_and_wait(&bob, &remote).await;
    // Bob posts from B into A's community; it reaches A, and comes back announced.
    let post = create_post(
        &b.data,
        &bob,
        &remote,
        PostInput {
            title: "Buy cheap maps now".into(),
            body: Some("spam".into()),
            ..Default::default()
        },
    )
    .await
    .expect("post on b");
    let post_on_a = eventually("the post to reach A", || {
        let a = &a;
        let ap_id = post.ap_id.clone();
        async move { a.post_by_ap_id(&ap_id).await }
    })
    .await;
    let post_on_b = b.post_by_ap_id(&post.ap_id).await.expect("on b");
    let comment = create_comment(&b.data, &bob, &post_on_b, None, "more spam")
        .await
        .expect("comment");
    let comment_on_a = eventually("the comment to reach A", || {
        let a = &a;
        let ap_id = comment.ap_id.clone();
        async move { a.comment_by_ap_id(&ap_id).await }
    })
    .await;

    // Not a moderator: refused, nothing changes.
    carl.post(
        "post/remove",
        json!({"post_id": post_on_a.id, "removed": true, "reason": "mine"}),
    )
    .await
    .refused(403, "not_a_moderator");
    ApiClient::anonymous(&a)
        .post(
            "post/remove",
            json!({"post_id": post_on_a.id, "removed": true}),
        )
        .await
        .refused(401, "not_logged_in");
    assert!(!a.post_by_ap_id(&post.ap_id).await.expect("post").removed);
    assert_eq!(a.count_rows("modlog").await, 0);

    // The moderator removes the post and the comment, with reasons.
    let removed = ann
        .post(
            "post/remove",
            json!({"post_id": post_on_a.id, "removed": true, "reason": "spam"}),
        )
        .await
        .ok();
    assert_eq!(removed["post_view"]["post"]["removed"], true);
    ann.post(
        "comment/remove",
        json!({"comment_id": comment_on_a.id, "removed": true, "reason": "also spam"}),
    )
    .await
    .ok();
    eventually("B to show both removed", || {
        let b = &b;
        let (post_id, comment_id) = (post.ap_id.clone(), comment.ap_id.clone());
        async move {
            let post = b.post_by_ap_id(&post_id).await?;
            let comment = b.comment_by_ap_id(&comment_id).await?;
            (post.removed && comment.removed).then_some(())
        }
    })
    .await;
    let listing = ApiClient::anonymous(&b)
        .get("post/list?sort=New")
        .await
        .ok();
    assert!(
        listing["posts"]
            .as_array()
            .expect("posts")
            .iter()
            .all(|p| p["post"]["ap_id"] != post.ap_id.as_str()),
        "a removed post leaves B's listings"
    );
    // Both modlogs say who did it and why.
    let modlog = ApiClient::anonymous(&a)
        .get(&format!("modlog?community_id={community_id}"))
        .await
        .ok();
    assert_eq!(
        modlog["removed_posts"][0]["mod_remove_post"]["reason"],
        "spam"
    );
    assert_eq!(modlog["removed_posts"][0]["moderator"]["name"], "ann");
    assert_eq!(
        modlog["removed_comments"][0]["mod_remove_comment"]["reason"],
        "also spam"
    );
    let modlog_b = ApiClient::anonymous(&b).get("modlog").await.ok();
    assert_eq!(
        modlog_b["removed_posts"][0]["mod_remove_post"]["reason"],
        "spam"
    );
    let mut reader = Browser::new(&a);
    reader
        .get("/modlog")
        .await
        .shows(&["removed a post", "spam", "ann"]);
    reader
        .get(&format!("/post/{}", post_on_a.id))
        .await
        .shows(&["[removed by a moderator]"]);

    // The web shows moderators their tools, and nobody else.
    let mut moderator = Browser::new(&a);
    moderator.get("/login").await;
    moderator
        .submit(
            "/login",
            &[("username", "ann"), ("password", common::api::PASSWORD)],
        )
        .await;
    moderator
        .get(&format!("/post/{}", post_on_a.id))
        .await
        .shows(&["Restore (moderator)"]);
    assert!(
        !reader
            .get(&format!("/post/{}", post_on_a.id))
            .await
            .contains("(moderator)")
    );

    // Restored by form; B follows.
    let restored = moderator
        .submit(
            &format!("/post/{}/remove", post_on_a.id),
            &[("removed", "0")],
        )
        .await;
    assert_eq!(restored.status, 303);
    eventually("B to show the post again", || {
        let b = &b;
        let ap_id = post.ap_id.clone();
        async move { (!b.post_by_ap_id(&ap_id).await?.removed).then_some(()) }
    })
    .await;

    // Locking: refused to a non-moderator; the moderator's lock reaches B, where nobody can
    // comment any more, until the unlock.
    carl.post(
        "post/lock",
        json!({"post_id": post_on_a.id, "locked": true}),
    )
    .await
    .refused(403, "not_a_moderator");
    let locked = ann
        .post(
            "post/lock",
            json!({"post_id": post_on_a.id, "locked": true}),
        )
        .await
        .ok();
    assert_eq!(locked["post_view"]["post"]["locked"], true);
    let locked_on_b = eventually("B to show the post locked", || {
        let b = &b;
        let ap_id = post.ap_id.clone();
        async move { b.post_by_ap_id(&ap_id).await.filter(|p| p.locked) }
    })
    .await;
    let refused = create_comment(&b.data, &bob, &locked_on_b, None, "one more").await;
    assert!(refused.is_err(), "a locked post takes no comments");
    let modlog = ApiClient::anonymous(&a).get("modlog").await.ok();
    assert_eq!(modlog["locked_posts"][0]["mod_lock_post"]["locked"], true);
    moderator
        .submit(&format!("/post/{}/lock", post_on_a.id), &[("locked", "0")])
        .await;
    eventually("B to show the post unlocked", || {
        let b = &b;
        let ap_id = post.ap_id.clone();
        async move { (!b.post_by_ap_id(&ap_id).await?.locked).then_some(()) }
    })
    .await;
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_removals_are_refused() {
    let mut instances = start_instances(2).await;
    let b = instances.pop().expect("b");
    let a = instances.pop().expect("a");
    let ann = a.create_user("ann").await;
    let maps = a.create_community("maps", "Maps", Some(&ann)).await;
    let post = a.create_post(&ann, &maps, "Ann's post").await;
    let mallory = b.create_user("mallory").await;
    b.create_community("atlas", "Atlas", Some(&mallory)).await;
    let removal = |id: &str, actor: &str| {
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": id, "type": "Delete", "actor": actor, "object": post.ap_id,
            "summary": "forged", "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [maps.ap_id],
        })
    };
    // A remote person removing on their own: 403.
    let signer = b.person_signer("mallory").await;
    let body = serde_json::to_vec(&removal(
        b.url("/activities/delete/1").as_str(),
        &mallory.ap_id,
    ))
    .expect("json");
    let (status, error) = signed_post(&signer, &a.url("/c/maps/inbox"), &body).await;
    assert_eq!(status, 403, "{error}");
    // A community relaying a removal of what is not in it: 403.
    let atlas = b.community_signer("atlas").await;
    let announce = serde_json::to_vec(&json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": b.url("/activities/announce/1"), "type": "Announce", "actor": b.url("/c/atlas"),
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": removal(b.url("/activities/delete/2").as_str(), &mallory.ap_id),
    }))
    .expect("json");
    let (status, error) = signed_post(&atlas, &a.url("/inbox"), &announce).await;
    assert_eq!(status, 403, "{error}");
    // A remote person locking a post of A's community: 403.
    let lock = serde_json::to_vec(&json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": b.url("/activities/lock/1"), "type": "Lock", "actor": mallory.ap_id,
        "object": post.ap_id, "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [maps.ap_id],
    }))
    .expect("json");
    let (status, error) = signed_post(&signer, &a.url("/c/maps/inbox"), &lock).await;
    assert_eq!(status, 403, "{error}");
    let stored = a.post_by_ap_id(&post.ap_id).await.expect("post");
    assert!(!stored.removed && !stored.deleted && !stored.locked);
    assert_eq!(a.count_rows("modlog").await, 0);
    a.stop().await;
    b.stop().await;
}
