//! `@name` and `@name@domain` typed in a local comment: the people it names are notified,
//! here and, through the `Mention` tags of the federated Note, on their own instance. An
//! e-mail address, code, or an unknown name notifies nobody.

mod common;

use common::{api::ApiClient, eventually, start_instances};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mentions_in_comments_reach_the_people_named() {
    let mut instances = start_instances(2).await;
    let b = instances.pop().expect("b");
    let a = instances.pop().expect("a");
    let ann = ApiClient::register(&a, "ann").await;
    let carl = ApiClient::register(&a, "carl").await;
    let dana = ApiClient::register(&a, "dana").await;
    let community_id = ann.create_community("maps").await["community"]["id"]
        .as_i64()
        .expect("id");
    let bob = b.create_user("bob").await;
    let remote = b.resolve_community(&format!("maps@{}", a.domain)).await;
    b.follow_and_wait(&bob, &remote).await;
    let bob_api = ApiClient::login(&b, "bob").await;
    let post = ann
        .create_post(community_id, "Field trip", "Who comes?")
        .await;
    let post_id = post["post"]["id"].as_i64().expect("id");
    let post_ap_id = post["post"]["ap_id"].as_str().expect("ap_id").to_string();
    eventually("the post to reach B", || {
        let b = &b;
        let ap_id = post_ap_id.clone();
        async move { b.post_by_ap_id(&ap_id).await }
    })
    .await;
    // A to know bob: his name must resolve to a stored person.
    ann.get(&format!("resolve_object?q=@bob@{}", b.domain))
        .await
        .ok();

    let text = format!(
        "@carl and @bob@{} are in; write to dana@example.org, not `@dana`. @nobody?",
        b.domain
    );
    let comment = ann.create_comment(post_id, None, &text).await;
    let comment_id = comment["comment"]["id"].as_i64().expect("id");

    let mentions = carl.get("user/mention").await.ok();
    assert_eq!(
        mentions["mentions"][0]["comment"]["id"], comment_id,
        "{mentions}"
    );
    let none = dana.get("user/mention").await.ok();
    assert_eq!(none["mentions"].as_array().map(Vec::len), Some(0), "{none}");
    let own = ann.get("user/mention").await.ok();
    assert_eq!(own["mentions"].as_array().map(Vec::len), Some(0));

    // On B, bob is told too.
    let on_b = eventually("bob's mention on B", || {
        let bob_api = &bob_api;
        async move {
            let mentions = bob_api.get("user/mention").await.ok();
            let list = mentions["mentions"].as_array()?.clone();
            (!list.is_empty()).then_some(list)
        }
    })
    .await;
    assert!(
        on_b[0]["comment"]["content"]
            .as_str()
            .is_some_and(|c| c.contains("are in")),
        "{on_b:?}"
    );
    a.stop().await;
    b.stop().await;
}
