//! The page cache: anonymous readers get a kept copy only while nothing it shows changed,
//! whoever changed it; signed-in readers, fresh-asking readers and ActivityPub fetches never
//! get one.

mod common;

use common::TestInstance;
use guild::{
    federation::activities::StoredObject,
    service::{comments, posts, votes},
};

async fn anonymous_get(
    instance: &TestInstance,
    path: &str,
    headers: &[(&str, &str)],
) -> (bool, String) {
    let mut request = common::http().get(instance.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("GET");
    assert_eq!(response.status(), 200, "{path}");
    let hit = response
        .headers()
        .get("x-cache")
        .is_some_and(|v| v == "hit");
    (hit, response.text().await.expect("body"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_pages_are_kept_until_what_they_show_changes() {
    let a = TestInstance::start().await;
    let alice = a.create_user("alice").await;
    let bob = a.create_user("bob").await;
    let community = a.create_community("mapping", "Mapping", Some(&alice)).await;
    let first = posts::create_post(
        &a.data,
        &alice,
        &community,
        posts::PostInput {
            title: "Contour lines".into(),
            ..Default::default()
        },
    )
    .await
    .expect("post");
    let html = [("accept", "text/html")];
    let thread = format!("/post/{}", first.id);

    for path in ["/?feed=all", "/c/mapping", thread.as_str()] {
        let (hit, _) = anonymous_get(&a, path, &html).await;
        assert!(!hit, "{path}: the first view is rendered");
        let (hit, _) = anonymous_get(&a, path, &html).await;
        assert!(hit, "{path}: the second view comes from the cache");
    }
    let (hit, _) = anonymous_get(&a, "/api/v3/post/list?type_=All", &[]).await;
    assert!(!hit);
    let (hit, _) = anonymous_get(&a, "/api/v3/post/list?type_=All", &[]).await;
    assert!(hit, "API reads by nobody in particular are kept too");

    // Changes made below the HTTP layer (the service, as the inbox and scheduled jobs do)
    // still reach the next reader: each write moves the content version.
    posts::create_post(
        &a.data,
        &bob,
        &community,
        posts::PostInput {
            title: "Hillshading".into(),
            ..Default::default()
        },
    )
    .await
    .expect("second post");
    let (hit, page) = anonymous_get(&a, "/c/mapping", &html).await;
    assert!(
        !hit && page.contains("Hillshading"),
        "a new post shows at once"
    );
    let (hit, list) = anonymous_get(&a, "/api/v3/post/list?type_=All", &[]).await;
    assert!(!hit && list.contains("Hillshading"));

    comments::create_comment(&a.data, &bob, &first, None, "Try 10 m intervals")
        .await
        .expect("comment");
    let (hit, page) = anonymous_get(&a, &thread, &html).await;
    assert!(
        !hit && page.contains("Try 10 m intervals"),
        "a new comment shows at once"
    );

    anonymous_get(&a, &thread, &html).await;
    let target = StoredObject::Post(first.clone());
    votes::vote(&a.data, &bob, &target, 1).await.expect("vote");
    let (hit, _) = anonymous_get(&a, &thread, &html).await;
    assert!(!hit, "a vote changes the score shown");

    // A reader asking for a fresh page gets one, and an ActivityPub fetch never a page.
    anonymous_get(&a, "/c/mapping", &html).await;
    let (hit, _) = anonymous_get(
        &a,
        "/c/mapping",
        &[("accept", "text/html"), ("cache-control", "no-cache")],
    )
    .await;
    assert!(!hit, "Cache-Control: no-cache is obeyed");
    let (hit, json) =
        anonymous_get(&a, "/c/mapping", &[("accept", "application/activity+json")]).await;
    assert!(
        !hit && json.contains("\"Group\""),
        "the actor, not the page"
    );
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_in_readers_and_personal_pages_are_never_shared() {
    let a = TestInstance::start().await;
    let alice = a.create_user("alice").await;
    a.create_community("speaking", "Public speaking", Some(&alice))
        .await;

    let mut carol = common::web::Browser::new(&a);
    carol.sign_up("carol").await;
    for _ in 0..2 {
        let page = carol.get("/c/speaking").await;
        assert_eq!(page.status, 200);
        assert!(
            page.contains("carol"),
            "a signed-in reader sees their own name"
        );
    }
    // After carol's views, an anonymous reader still gets the page for nobody.
    let (_, page) = anonymous_get(&a, "/c/speaking", &[("accept", "text/html")]).await;
    assert!(
        !page.contains("carol"),
        "carol's page was not kept for others"
    );

    // The login form carries the reader's own CSRF token: never kept.
    let mut visitor = common::web::Browser::new(&a);
    let first = visitor.get("/login").await;
    let second = visitor.get("/login").await;
    let token = visitor.cookies.get("csrf").expect("csrf cookie").clone();
    assert!(first.contains(&token) && second.contains(&token));
    let mut other = common::web::Browser::new(&a);
    let theirs = other.get("/login").await;
    assert!(!theirs.contains(&token), "another visitor's token leaked");
    a.stop().await;
}
