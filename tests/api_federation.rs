//! What an app does through the API federates like the same action anywhere else: a person
//! on one instance finds a community on another, follows it, reads its posts and answers.

mod common;

use common::{api::ApiClient, eventually, start_instances};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_follows_a_remote_community_and_takes_part() {
    let mut instances = start_instances(2).await;
    let b = instances.pop().expect("b");
    let a = instances.pop().expect("a");
    let alice = ApiClient::register(&a, "alice").await;
    let bob = ApiClient::register(&b, "bob").await;
    let community_id_on_a = alice.create_community("maps").await["community"]["id"]
        .as_i64()
        .expect("id");

    // Anonymous readers of B cannot make it fetch; Bob, signed in, can.
    let handle = format!("!maps@{}", a.domain);
    ApiClient::anonymous(&b)
        .get(&format!("resolve_object?q={}", urlencode(&handle)))
        .await
        .refused(404, "couldnt_find_object");
    let resolved = bob
        .get(&format!("resolve_object?q={}", urlencode(&handle)))
        .await
        .ok();
    assert_eq!(resolved["community"]["community"]["local"], false);
    let remote_id = resolved["community"]["community"]["id"]
        .as_i64()
        .expect("id on b");

    let followed = bob
        .post(
            "community/follow",
            json!({"community_id": remote_id, "follow": true}),
        )
        .await
        .ok();
    assert_eq!(followed["community_view"]["subscribed"], "Pending");
    eventually("the follow to be accepted", || {
        let bob = bob.clone();
        async move {
            let got = bob.get(&format!("community?id={remote_id}")).await.ok();
            (got["community_view"]["subscribed"] == "Subscribed").then_some(())
        }
    })
    .await;
    let on_a = alice
        .get(&format!("community?id={community_id_on_a}"))
        .await
        .ok();
    assert_eq!(on_a["community_view"]["counts"]["subscribers"], 1);
    assert_eq!(on_a["community_view"]["counts"]["subscribers_local"], 0);

    // Alice posts on A; it reaches Bob's subscribed feed on B.
    let post = alice
        .create_post(community_id_on_a, "Field notes", "Bring a compass.")
        .await;
    let ap_id = post["post"]["ap_id"].as_str().expect("ap_id").to_string();
    let remote_post_id = eventually("the post to reach B", || {
        let bob = bob.clone();
        let ap_id = ap_id.clone();
        async move {
            let feed = bob.get("post/list?type_=Subscribed&sort=New").await.ok();
            feed["posts"]
                .as_array()?
                .iter()
                .find(|p| p["post"]["ap_id"] == ap_id.as_str())
                .and_then(|p| p["post"]["id"].as_i64())
        }
    })
    .await;

    // Bob answers and votes from B; A counts both.
    let comment = bob
        .create_comment(remote_post_id, None, "And a spare pencil.")
        .await;
    let comment_ap_id = comment["comment"]["ap_id"]
        .as_str()
        .expect("ap_id")
        .to_string();
    bob.post("post/like", json!({"post_id": remote_post_id, "score": 1}))
        .await
        .ok();
    let post_id_on_a = post["post"]["id"].as_i64().expect("id");
    eventually("the comment and the vote to reach A", || {
        let alice = alice.clone();
        let comment_ap_id = comment_ap_id.clone();
        async move {
            let thread = alice
                .get(&format!("comment/list?post_id={post_id_on_a}"))
                .await
                .ok();
            let arrived = thread["comments"]
                .as_array()?
                .iter()
                .any(|c| c["comment"]["ap_id"] == comment_ap_id.as_str());
            let got = alice.get(&format!("post?id={post_id_on_a}")).await.ok();
            (arrived && got["post_view"]["counts"]["upvotes"] == 1).then_some(())
        }
    })
    .await;
    // Alice sees the reply in her inbox on A.
    let replies = alice.get("user/replies").await.ok();
    assert_eq!(
        replies["replies"][0]["comment"]["ap_id"],
        comment_ap_id.as_str()
    );
    assert_eq!(replies["replies"][0]["creator"]["local"], false);

    // Bob, unfollowing, sends an Undo; A forgets him.
    bob.post(
        "community/follow",
        json!({"community_id": remote_id, "follow": false}),
    )
    .await
    .ok();
    eventually("A to drop the follower", || {
        let alice = alice.clone();
        async move {
            let got = alice
                .get(&format!("community?id={community_id_on_a}"))
                .await
                .ok();
            (got["community_view"]["counts"]["subscribers"] == 0).then_some(())
        }
    })
    .await;
    a.stop().await;
    b.stop().await;
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
