//! Bad input to the client API gets a 4xx with Lemmy's error shape, never a 500, and
//! stores nothing.

mod common;

use common::{TestInstance, api::ApiClient, http};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_get_a_clear_refusal() {
    let a = TestInstance::start().await;
    let alice = ApiClient::register(&a, "alice").await;
    let community_id = alice.create_community("maps").await["community"]["id"]
        .as_i64()
        .expect("id");
    let post_id = alice.create_post(community_id, "A post", "Body").await["post"]["id"]
        .as_i64()
        .expect("id");
    let before = (
        a.count_rows("posts").await,
        a.count_rows("comments").await,
        a.count_rows("communities").await,
    );

    let gets = [
        "post?id=abc",
        "post?id=-1",
        "post/list?page=0",
        "post/list?page=99999999999999999999",
        "post/list?limit=-5",
        "post/list?type_=Nonsense",
        "post/list?community_name=nowhere@localhost:1",
        "comment/list?max_depth=-1",
        "comment/list?parent_id=999999",
        "comment?id=",
        "community?id=1.5",
        "community/list?type_=Nonsense",
        "user?person_id=999999",
        "user/replies?limit=0",
        "search?q=%00%00",
        "user?username=a%00b",
        "community?name=a%00b",
        "search?q=a&listing_type=Nowhere",
        "search?q=a&community_name=nowhere",
        "resolve_object?q=http://%5B::1",
        "resolve_object?q=",
        "resolve_object?q=@@@",
    ];
    // Every wrong answer is collected, so one run shows them all.
    let mut wrong = Vec::new();
    for path in gets {
        let answer = alice.get(path).await;
        if !((400..500).contains(&answer.status) && answer.body["error"].is_string()) {
            wrong.push(format!("GET {path}: {} {}", answer.status, answer.body));
        }
    }
    let long_title = "t".repeat(100_000);
    let posts = [
        (
            "post",
            json!({"name": long_title, "community_id": community_id}),
        ),
        ("post", json!({"name": "x", "community_id": "one"})),
        ("post", json!([1, 2, 3])),
        (
            "post",
            json!({"name": "x", "community_id": community_id, "url": "javascript:alert(1)"}),
        ),
        (
            "post",
            json!({"name": "x", "community_id": community_id, "url": "http://"}),
        ),
        (
            "comment",
            json!({"post_id": post_id, "content": "c".repeat(200_000)}),
        ),
        (
            "comment",
            json!({"post_id": post_id, "parent_id": 999999, "content": "hi"}),
        ),
        ("comment", json!({"post_id": post_id})),
        ("community", json!({"name": "ok_name", "title": ""})),
        (
            "community",
            json!({"name": "ok_name", "title": "t".repeat(10_000)}),
        ),
        ("community", json!({"name": "x".repeat(500), "title": "T"})),
        ("post/like", json!({"post_id": post_id, "score": 70000})),
        ("post/like", json!({"post_id": post_id, "score": "up"})),
        (
            "post/mark_as_read",
            json!({"post_ids": (0..500).collect::<Vec<i64>>(), "read": true}),
        ),
        ("comment/like", json!({"comment_id": 999999, "score": 1})),
        (
            "post",
            json!({"name": "nul\u{0}title", "community_id": community_id}),
        ),
        (
            "post",
            json!({"name": "ok", "community_id": community_id, "body": "nul\u{0}body"}),
        ),
        (
            "comment",
            json!({"post_id": post_id, "content": "nul\u{0}"}),
        ),
        (
            "community",
            json!({"name": "nul_title", "title": "a\u{0}b"}),
        ),
        (
            "community/follow",
            json!({"community_id": -1, "follow": true}),
        ),
    ];
    for (path, body) in posts {
        let answer = alice.post(path, body.clone()).await;
        if !((400..500).contains(&answer.status) && answer.body["error"].is_string()) {
            wrong.push(format!(
                "POST {path} {}: {} {}",
                body.to_string().chars().take(80).collect::<String>(),
                answer.status,
                answer.body
            ));
        }
    }
    // Not JSON at all, and the wrong content type.
    for (content_type, body) in [
        ("application/json", "not json"),
        ("text/plain", "{\"name\": \"x\"}"),
        ("application/json", ""),
    ] {
        let response = http()
            .post(alice.url("post"))
            .bearer_auth(alice.token.as_deref().expect("token"))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("POST");
        let status = response.status().as_u16();
        let json: serde_json::Value = response.json().await.unwrap_or_default();
        if !((400..500).contains(&status) && json["error"] == "invalid_input") {
            wrong.push(format!("{content_type} {body:?}: {status} {json}"));
        }
    }
    assert!(wrong.is_empty(), "answered wrongly:\n{}", wrong.join("\n"));
    assert_eq!(
        (
            a.count_rows("posts").await,
            a.count_rows("comments").await,
            a.count_rows("communities").await,
        ),
        before,
        "nothing was stored"
    );
    a.stop().await;
}
