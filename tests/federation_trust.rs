//! The trust rules, each against a forgery: objects live on their author's host, the signer
//! is the actor, a community announces only its own content, nobody edits or deletes someone
//! else's work, fetched content carries the id of where it came from, and a replayed
//! Announce is processed once.

mod common;

use common::{TestInstance, eventually, signing::signed_post, start_instances};
use guild::service::{
    comments::create_comment,
    posts::{PostInput, create_post},
};
use serde_json::{Value, json};

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

fn body(value: Value) -> Vec<u8> {
    serde_json::to_vec(&value).expect("JSON")
}

/// A, B and C; A hosts `practice`, followed by bob (B) and carol (C); bob posted in it and
/// commented on his post. Returns the post's and the comment's ids.
async fn setup() -> (TestInstance, TestInstance, TestInstance, String, String) {
    let mut instances = start_instances(3).await;
    let c = instances.pop().expect("C");
    let b = instances.pop().expect("B");
    let a = instances.pop().expect("A");
    let ann = a.create_user("ann").await;
    a.create_community("practice", "Mapping & GIS", Some(&ann))
        .await;
    let bob = b.create_user("bob").await;
    let carol = c.create_user("carol").await;
    c.create_community("impostor", "Not practice", None).await;
    let handle = format!("practice@{}", a.domain);
    let on_b = b.resolve_community(&handle).await;
    let on_c = c.resolve_community(&handle).await;
    b.follow_and_wait(&bob, &on_b).await;
    c.follow_and_wait(&carol, &on_c).await;
    let post = create_post(
        &b.data,
        &bob,
        &on_b,
        PostInput {
            title: "Projections for city maps".into(),
            body: Some("Which do you use?".into()),
            ..Default::default()
        },
    )
    .await
    .expect("post");
    let comment = create_comment(&b.data, &bob, &post, None, "I use Web Mercator, sadly.")
        .await
        .expect("comment");
    let comment_ap_id = comment.ap_id.clone();
    eventually("bob's comment to reach A and C", || async {
        let on_a = a.comment_by_ap_id(&comment_ap_id).await;
        let on_c = c.comment_by_ap_id(&comment_ap_id).await;
        (on_a.is_some() && on_c.is_some()).then_some(())
    })
    .await;
    (a, b, c, post.ap_id, comment.ap_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_activities_are_refused_and_change_nothing() {
    let (a, b, c, post_ap_id, comment_ap_id) = setup().await;
    let community = a.url("/c/practice");
    let inbox = a.url("/c/practice/inbox");
    let carol = c.url("/u/carol");
    let carol_signer = c.person_signer("carol").await;
    let posts_on_a = a.count_rows("posts").await;

    // C sends a Create claiming a post whose id is on B.
    let foreign_id = b.url("/post/9999");
    let forged = json!({
        "id": c.url("/activities/create/forged-1"), "type": "Create", "actor": carol,
        "to": [PUBLIC], "cc": [community], "audience": community,
        "object": {
            "id": foreign_id, "type": "Page", "attributedTo": carol, "name": "Not mine",
            "content": "<p>forged</p>", "to": [community, PUBLIC], "audience": community
        }
    });
    let (status, error) = signed_post(&carol_signer, &inbox, &body(forged)).await;
    assert_eq!(status, 403, "{error}");
    assert!(a.post_by_ap_id(foreign_id.as_str()).await.is_none());

    // C's own post, but claiming bob as its author.
    let forged = json!({
        "id": c.url("/activities/create/forged-2"), "type": "Create", "actor": carol,
        "to": [PUBLIC], "cc": [community], "audience": community,
        "object": {
            "id": c.url("/post/1"), "type": "Page", "attributedTo": b.url("/u/bob"), "name": "Bob says",
            "content": "<p>forged</p>", "to": [community, PUBLIC], "audience": community
        }
    });
    let (status, error) = signed_post(&carol_signer, &inbox, &body(forged)).await;
    assert_eq!(status, 403, "{error}");

    // C edits B's post: the object is bob's, the actor carol.
    let post_on_a = a.post_by_ap_id(&post_ap_id).await.expect("post on A");
    let forged = json!({
        "id": c.url("/activities/update/forged-3"), "type": "Update", "actor": carol,
        "to": [PUBLIC], "cc": [community], "audience": community,
        "object": {
            "id": post_ap_id, "type": "Page", "attributedTo": b.url("/u/bob"), "name": "Vandalised",
            "content": "<p>forged</p>", "to": [community, PUBLIC], "audience": community
        }
    });
    let (status, error) = signed_post(&carol_signer, &inbox, &body(forged)).await;
    assert_eq!(status, 403, "{error}");
    assert_eq!(
        a.post_by_ap_id(&post_ap_id).await.expect("post").title,
        post_on_a.title
    );

    // C deletes B's comment.
    let forged = json!({
        "id": c.url("/activities/delete/forged-4"), "type": "Delete", "actor": carol,
        "to": [PUBLIC], "cc": [community], "audience": community, "object": comment_ap_id
    });
    let (status, error) = signed_post(&carol_signer, &inbox, &body(forged)).await;
    assert_eq!(status, 403, "{error}");
    assert!(
        !a.comment_by_ap_id(&comment_ap_id)
            .await
            .expect("comment")
            .deleted
    );

    // C undoes a Delete it never made, to restore nothing in particular: still forbidden.
    let forged = json!({
        "id": c.url("/activities/undo/forged-5"), "type": "Undo", "actor": carol,
        "object": {
            "id": b.url("/activities/delete/1"), "type": "Delete", "actor": b.url("/u/bob"),
            "object": comment_ap_id
        }
    });
    let (status, _) = signed_post(&carol_signer, &inbox, &body(forged)).await;
    assert_eq!(status, 403);

    // C's community announces content for a community it does not own, to B.
    let impostor = c.url("/c/impostor");
    let impostor_signer = c.community_signer("impostor").await;
    let forged_post = c.url("/post/4242");
    let forged = json!({
        "id": c.url("/activities/announce/forged-6"), "type": "Announce", "actor": impostor,
        "to": [PUBLIC], "cc": [c.url("/c/impostor/followers")],
        "object": {
            "id": c.url("/activities/create/forged-6"), "type": "Create", "actor": carol,
            "to": [PUBLIC], "cc": [community], "audience": community,
            "object": {
                "id": forged_post, "type": "Page", "attributedTo": carol, "name": "Smuggled",
                "content": "<p>smuggled in</p>", "to": [community, PUBLIC], "audience": community
            }
        }
    });
    let (status, error) = signed_post(&impostor_signer, &b.url("/inbox"), &body(forged)).await;
    assert_eq!(status, 403, "{error}");
    assert!(b.post_by_ap_id(forged_post.as_str()).await.is_none());

    // And a vote on A's post, announced by the wrong community.
    let forged = json!({
        "id": c.url("/activities/announce/forged-7"), "type": "Announce", "actor": impostor,
        "to": [PUBLIC], "cc": [],
        "object": {
            "id": c.url("/activities/like/forged-7"), "type": "Like", "actor": carol, "object": post_ap_id
        }
    });
    let (status, _) = signed_post(&impostor_signer, &b.url("/inbox"), &body(forged)).await;
    assert_eq!(status, 403);
    assert_eq!(b.post_by_ap_id(&post_ap_id).await.expect("post").score, 0);

    assert_eq!(a.count_rows("posts").await, posts_on_a);
    assert_eq!(a.count_rows("post_votes").await, 0);
    for instance in [a, b, c] {
        instance.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_announce_is_processed_once() {
    let (a, b, c, post_ap_id, _) = setup().await;
    let community = a.url("/c/practice");
    let community_signer = a.community_signer("practice").await;
    let like = json!({
        "id": a.url("/activities/like/replayed"), "type": "Like", "actor": a.url("/u/ann"),
        "object": post_ap_id, "audience": community
    });
    let announce = |id: &str| {
        body(json!({
            "id": a.url(&format!("/activities/announce/{id}")), "type": "Announce", "actor": community,
            "to": [PUBLIC], "cc": [a.url("/c/practice/followers")], "object": like
        }))
    };
    let (status, first) =
        signed_post(&community_signer, &c.url("/inbox"), &announce("first")).await;
    assert_eq!(status, 202, "{first}");
    assert_eq!(first["status"], "processed");
    let upvotes_on_c = || async { c.post_by_ap_id(&post_ap_id).await.expect("post").upvotes };
    assert_eq!(upvotes_on_c().await, 1);

    // The same Announce again, and the same Like inside another Announce.
    let (status, again) =
        signed_post(&community_signer, &c.url("/inbox"), &announce("first")).await;
    assert_eq!(
        (status.as_u16(), again["status"].as_str()),
        (202, Some("duplicate"))
    );
    let (status, other) =
        signed_post(&community_signer, &c.url("/inbox"), &announce("second")).await;
    assert_eq!(
        (status.as_u16(), other["status"].as_str()),
        (202, Some("duplicate"))
    );
    assert_eq!(upvotes_on_c().await, 1, "the vote counted once");
    for instance in [a, b, c] {
        instance.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetched_content_must_carry_an_id_on_its_own_host() {
    let (a, b, c, _, _) = setup().await;
    // A peer that serves, at its own URL, a page claiming an id on B, and another claiming
    // to be written by someone on B.
    let (listener, evil_domain) = common::listen().await;
    let b_post = b.url("/post/31337").to_string();
    let bob = b.url("/u/bob").to_string();
    let community = a.url("/c/practice").to_string();
    let evil = format!("http://{evil_domain}");
    let documents = axum::Router::new()
        .route(
            "/borrowed-id",
            axum::routing::get({
                let (b_post, bob, community) = (b_post.clone(), bob.clone(), community.clone());
                move || async move {
                    activity_json(json!({
                        "id": b_post, "type": "Page", "attributedTo": bob, "name": "borrowed",
                        "to": [community, PUBLIC], "audience": community
                    }))
                }
            }),
        )
        .route(
            "/borrowed-author",
            axum::routing::get({
                let (evil, bob, community) = (evil.clone(), bob.clone(), community.clone());
                move || async move {
                    activity_json(json!({
                        "id": format!("{evil}/borrowed-author"), "type": "Page", "attributedTo": bob,
                        "name": "borrowed", "to": [community, PUBLIC], "audience": community
                    }))
                }
            }),
        );
    let server = tokio::spawn(async move { axum::serve(listener, documents).await });

    // Bob (a real, signed actor) likes both; A must fetch them, and refuses them.
    let bob_signer = b.person_signer("bob").await;
    for (n, path) in [(1, "borrowed-id"), (2, "borrowed-author")] {
        let like = json!({
            "id": b.url(&format!("/activities/like/fetch-{n}")), "type": "Like", "actor": bob,
            "object": format!("{evil}/{path}")
        });
        let (status, error) = signed_post(&bob_signer, &a.url("/inbox"), &body(like)).await;
        assert!(status.is_client_error(), "{path}: {status} {error}");
        assert!(a.post_by_ap_id(&format!("{evil}/{path}")).await.is_none());
    }
    assert!(a.post_by_ap_id(&b_post).await.is_none());
    server.abort();
    for instance in [a, b, c] {
        instance.stop().await;
    }
}

fn activity_json(value: Value) -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        [("content-type", "application/activity+json")],
        axum::Json(value),
    )
        .into_response()
}
