//! Local reads: the all, local and subscribed feeds and a community's page, in every sort,
//! page by page.

mod common;

use common::{TestInstance, eventually};
use diesel_async::RunQueryDsl;
use guild::{
    db::views::{FeedScope, PostSort, posts},
    federation::activities::StoredObject,
    service::{
        comments::create_comment,
        posts::{PostInput, create_post},
        votes::vote,
    },
};

async fn titles(instance: &TestInstance, query: &str) -> Vec<String> {
    instance.api(&format!("post/list?{query}")).await["posts"]
        .as_array()
        .expect("posts")
        .iter()
        .map(|p| p["post"]["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feeds_sort_and_page() {
    let a = TestInstance::start().await;
    let b = TestInstance::start().await;
    let voters = [
        a.create_user("ann").await,
        a.create_user("abe").await,
        a.create_user("ada").await,
    ];
    let writing = a
        .create_community("writing", "Writing", Some(&voters[0]))
        .await;
    let leadership = a.create_community("leadership", "Leadership", None).await;
    let post = |community, title: &str| {
        let data = a.data.clone();
        let author = voters[0].clone();
        let title = title.to_string();
        async move {
            create_post(
                &data,
                &author,
                community,
                PostInput {
                    title,
                    ..Default::default()
                },
            )
            .await
            .expect("post")
        }
    };
    let old = post(&writing, "Old and loved").await;
    let recent = post(&writing, "Recent and liked").await;
    let newest = post(&leadership, "Newest and disliked").await;

    // Ages: three days, ten minutes, now.
    let mut conn = a.conn().await;
    diesel::sql_query(format!(
        "UPDATE posts SET published_at = now() - interval '3 days', newest_comment_at = now() - interval '3 days' WHERE id = {}",
        old.id
    ))
    .execute(&mut conn)
    .await
    .expect("age");
    diesel::sql_query(format!(
        "UPDATE posts SET published_at = now() - interval '10 minutes', newest_comment_at = now() - interval '10 minutes' WHERE id = {}",
        recent.id
    ))
    .execute(&mut conn)
    .await
    .expect("age");
    drop(conn);

    // Scores 3, 1, -1; two comments on the recent post.
    for voter in &voters {
        vote(&a.data, voter, &StoredObject::Post(old.clone()), 1)
            .await
            .expect("vote");
    }
    vote(&a.data, &voters[1], &StoredObject::Post(recent.clone()), 1)
        .await
        .expect("vote");
    vote(&a.data, &voters[2], &StoredObject::Post(newest.clone()), -1)
        .await
        .expect("vote");
    let recent_now = a.post_by_ap_id(&recent.ap_id).await.expect("post");
    create_comment(&a.data, &voters[1], &recent_now, None, "First!")
        .await
        .expect("comment");
    create_comment(&a.data, &voters[2], &recent_now, None, "Second.")
        .await
        .expect("comment");
    let mut conn = a.conn().await;
    guild::db::posts::refresh_ranks(&mut conn)
        .await
        .expect("ranks");
    drop(conn);

    let all = "type_=All&limit=10";
    assert_eq!(
        titles(&a, &format!("{all}&sort=New")).await,
        ["Newest and disliked", "Recent and liked", "Old and loved"]
    );
    assert_eq!(
        titles(&a, &format!("{all}&sort=Old")).await,
        ["Old and loved", "Recent and liked", "Newest and disliked"]
    );
    assert_eq!(
        titles(&a, &format!("{all}&sort=TopAll")).await,
        ["Old and loved", "Recent and liked", "Newest and disliked"]
    );
    assert_eq!(
        titles(&a, &format!("{all}&sort=TopDay")).await,
        ["Recent and liked", "Newest and disliked"]
    );
    assert_eq!(titles(&a, &format!("{all}&sort=TopWeek")).await.len(), 3);
    assert_eq!(
        titles(&a, &format!("{all}&sort=MostComments")).await[0],
        "Recent and liked"
    );
    assert_eq!(
        titles(&a, &format!("{all}&sort=Active")).await[0],
        "Recent and liked"
    );
    // Hot: age outweighs votes; a recent post with one vote beats a fresh one at -1.
    assert_eq!(
        titles(&a, &format!("{all}&sort=Hot")).await,
        ["Recent and liked", "Newest and disliked", "Old and loved"]
    );

    // Pages.
    assert_eq!(
        titles(&a, "sort=New&limit=2&page=1").await,
        ["Newest and disliked", "Recent and liked"]
    );
    assert_eq!(
        titles(&a, "sort=New&limit=2&page=2").await,
        ["Old and loved"]
    );
    assert!(titles(&a, "sort=New&limit=2&page=3").await.is_empty());

    // A community's page.
    assert_eq!(
        titles(&a, "community_name=writing&sort=New").await,
        ["Recent and liked", "Old and loved"]
    );

    // Local leaves out what arrived from elsewhere; All includes it.
    let bea = b.create_user("bea").await;
    let remote = b
        .create_community("remote", "Remote practice", Some(&bea))
        .await;
    b.create_post(&bea, &remote, "From B").await;
    let handle = format!("remote@{}", b.domain);
    let remote_on_a = a.resolve_community(&handle).await;
    a.follow_and_wait(&voters[0], &remote_on_a).await;
    eventually("B's post to be backfilled into A", || async {
        titles(&a, "type_=All&sort=New")
            .await
            .contains(&"From B".to_string())
            .then_some(())
    })
    .await;
    assert!(
        !titles(&a, "type_=Local&sort=New")
            .await
            .contains(&"From B".to_string())
    );
    assert_eq!(titles(&a, "type_=Local&sort=New").await.len(), 3);

    // Subscribed: what ann follows (the remote community, and writing once she joins it).
    let subscribed = |person_id| {
        let a = &a;
        async move {
            let mut conn = a.conn().await;
            posts(
                &mut conn,
                FeedScope::Subscribed(person_id),
                PostSort::New,
                10,
                0,
            )
            .await
            .expect("feed")
            .into_iter()
            .map(|v| v.post.title)
            .collect::<Vec<_>>()
        }
    };
    assert_eq!(subscribed(voters[0].id).await, ["From B"]);
    guild::service::follows::follow_community(&a.data, &voters[0], &writing)
        .await
        .expect("join");
    assert_eq!(
        subscribed(voters[0].id).await,
        ["From B", "Recent and liked", "Old and loved"]
    );

    // Bad parameters answer 400 in Lemmy's shape; Subscribed needs a login.
    for (query, status) in [
        ("sort=Sideways", 400),
        ("limit=0", 400),
        ("page=0", 400),
        ("type_=Subscribed", 401),
    ] {
        let response = common::http()
            .get(a.url(&format!("/api/v3/post/list?{query}")))
            .send()
            .await
            .expect("GET");
        assert_eq!(response.status(), status, "{query}");
        let body: serde_json::Value = response.json().await.expect("JSON");
        assert!(body["error"].is_string(), "{query}: {body}");
    }
    let response = common::http()
        .get(a.url("/api/v3/post?id=999999"))
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), 404);

    a.stop().await;
    b.stop().await;
}
