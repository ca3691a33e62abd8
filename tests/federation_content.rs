//! Posts, comments, votes, edits and deletes travel through the community (FEP-1b12) so that
//! A (the community's home), B and C hold the same threads and counts.

mod common;

use common::{TestInstance, eventually, start_instances};
use guild::{
    federation::activities::StoredObject,
    service::{
        comments::{create_comment, delete_comment},
        posts::{PostInput, create_post, delete_post, edit_post},
        votes::vote,
    },
};
use serde_json::Value;

/// The post with `ap_id` as `instance` lists it in the community, once it is there.
async fn listed_post(instance: &TestInstance, community: &str, ap_id: &str) -> Value {
    eventually(
        &format!("the post to reach {}", instance.domain),
        || async {
            instance
                .community_posts(community)
                .await
                .into_iter()
                .find(|p| p["post"]["ap_id"] == ap_id)
        },
    )
    .await
}

/// The comments of the post with `ap_id` as `instance` lists them.
async fn thread(instance: &TestInstance, post_ap_id: &str) -> Vec<Value> {
    let post = instance
        .post_by_ap_id(post_ap_id)
        .await
        .expect("post stored");
    instance
        .api(&format!("comment/list?post_id={}&sort=Old", post.id))
        .await["comments"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Score, upvotes, downvotes of a post on an instance.
async fn counts(instance: &TestInstance, post_ap_id: &str) -> (i64, i64, i64) {
    let post = instance
        .post_by_ap_id(post_ap_id)
        .await
        .expect("post stored");
    let view = instance.api(&format!("post?id={}", post.id)).await;
    let counts = &view["post_view"]["counts"];
    (
        counts["score"].as_i64().unwrap_or(i64::MIN),
        counts["upvotes"].as_i64().unwrap_or(i64::MIN),
        counts["downvotes"].as_i64().unwrap_or(i64::MIN),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thread_with_votes_edits_and_a_delete_agrees_everywhere() {
    let mut instances = start_instances(3).await;
    let c = instances.pop().expect("C");
    let b = instances.pop().expect("B");
    let a = instances.pop().expect("A");
    let ann = a.create_user("ann").await;
    let practice_on_a = a
        .create_community("practice", "Public speaking", Some(&ann))
        .await;
    let bob = b.create_user("bob").await;
    let carol = c.create_user("carol").await;
    let handle = format!("practice@{}", a.domain);
    let practice_on_b = b.resolve_community(&handle).await;
    let practice_on_c = c.resolve_community(&handle).await;
    b.follow_and_wait(&bob, &practice_on_b).await;
    c.follow_and_wait(&carol, &practice_on_c).await;

    // Bob (on B) posts in the community on A.
    let post = create_post(
        &b.data,
        &bob,
        &practice_on_b,
        PostInput {
            title: "How do you open a talk?".into(),
            body: Some("I start with a **question**.".into()),
            url: Some("https://example.org/openings".into()),
            sensitive: false,
        },
    )
    .await
    .expect("post created");
    let on_a = listed_post(&a, "practice", &post.ap_id).await;
    let on_c = listed_post(&c, &handle, &post.ap_id).await;
    let on_b = listed_post(&b, &handle, &post.ap_id).await;
    for listed in [&on_a, &on_b, &on_c] {
        assert_eq!(listed["post"]["name"], "How do you open a talk?");
        assert_eq!(listed["post"]["url"], "https://example.org/openings");
        assert_eq!(listed["creator"]["actor_id"], bob.ap_id);
        assert_eq!(listed["community"]["actor_id"], practice_on_a.ap_id);
    }
    assert_eq!(on_a["post"]["body"], "I start with a **question**.");
    assert_eq!(on_c["post"]["body"], on_a["post"]["body"]);

    // Carol (on C) comments; Ann (on A) replies to her. B sees the three levels.
    let post_on_c = c.post_by_ap_id(&post.ap_id).await.expect("on C");
    let carols = create_comment(&c.data, &carol, &post_on_c, None, "With a story.")
        .await
        .expect("comment");
    let carols_on_a = eventually("carol's comment to reach A", || async {
        a.comment_by_ap_id(&carols.ap_id).await
    })
    .await;
    let post_on_a = a.post_by_ap_id(&post.ap_id).await.expect("on A");
    let anns = create_comment(
        &a.data,
        &ann,
        &post_on_a,
        Some(&carols_on_a),
        "A story *and* a question.",
    )
    .await
    .expect("reply");
    let thread_on_b = eventually("the reply to reach B", || async {
        let thread = thread(&b, &post.ap_id).await;
        (thread.len() == 2).then_some(thread)
    })
    .await;
    assert_eq!(thread_on_b[0]["comment"]["ap_id"], carols.ap_id);
    assert_eq!(thread_on_b[0]["creator"]["actor_id"], carol.ap_id);
    assert_eq!(thread_on_b[1]["comment"]["ap_id"], anns.ap_id);
    assert_eq!(thread_on_b[1]["creator"]["actor_id"], ann.ap_id);
    let path = thread_on_b[1]["comment"]["path"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(path.split('.').count(), 3, "post → comment → reply: {path}");
    assert!(path.contains(&thread_on_b[0]["comment"]["id"].to_string()));
    assert_eq!(thread_on_b[0]["counts"]["child_count"], 1);
    for instance in [&a, &b, &c] {
        let thread = eventually("the thread to settle", || async {
            let thread = thread(instance, &post.ap_id).await;
            (thread.len() == 2).then_some(thread)
        })
        .await;
        assert_eq!(thread[1]["comment"]["content"], "A story *and* a question.");
    }

    // Objects and activities answer at their ids: JSON for servers, pages for browsers.
    let note = common::get_activity_json(&url::Url::parse(&anns.ap_id).expect("URL")).await;
    assert_eq!(note["type"], "Note");
    assert_eq!(note["inReplyTo"], carols.ap_id);
    assert_eq!(note["attributedTo"], ann.ap_id);
    assert_eq!(note["audience"], practice_on_a.ap_id);
    let page = common::get_activity_json(&url::Url::parse(&post.ap_id).expect("URL")).await;
    assert_eq!(page["type"], "Page");
    assert_eq!(page["name"], "How do you open a talk?");
    assert_eq!(
        page["attachment"][0]["href"],
        "https://example.org/openings"
    );
    let html = common::http()
        .get(post.ap_id.as_str())
        .header("Accept", "text/html")
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("page");
    assert!(
        html.contains("How do you open a talk?") && html.contains("With a story."),
        "{html}"
    );
    let outbox = common::get_activity_json(&b.url("/u/bob/outbox")).await;
    let create = outbox["orderedItems"]
        .as_array()
        .expect("items")
        .iter()
        .find(|a| a["type"] == "Create")
        .cloned()
        .expect("bob's Create in his outbox");
    let create_id = url::Url::parse(create["id"].as_str().expect("id")).expect("URL");
    assert_eq!(
        common::get_activity_json(&create_id).await["object"]["id"],
        post.ap_id
    );
    let activity_page = common::http()
        .get(create_id.as_str())
        .header("Accept", "text/html")
        .send()
        .await
        .expect("GET");
    assert!(
        activity_page
            .text()
            .await
            .expect("page")
            .contains("<h1>Create</h1>")
    );

    // Upvotes from B and C, a downvote from A: the same counts on all three.
    vote(
        &b.data,
        &bob,
        &StoredObject::Post(b.post_by_ap_id(&post.ap_id).await.expect("B")),
        1,
    )
    .await
    .expect("vote");
    vote(
        &c.data,
        &carol,
        &StoredObject::Post(c.post_by_ap_id(&post.ap_id).await.expect("C")),
        1,
    )
    .await
    .expect("vote");
    vote(
        &a.data,
        &ann,
        &StoredObject::Post(a.post_by_ap_id(&post.ap_id).await.expect("A")),
        -1,
    )
    .await
    .expect("vote");
    for instance in [&a, &b, &c] {
        eventually(
            &format!("votes to agree on {}", instance.domain),
            || async { (counts(instance, &post.ap_id).await == (1, 2, 1)).then_some(()) },
        )
        .await;
    }
    // Carol withdraws hers.
    vote(
        &c.data,
        &carol,
        &StoredObject::Post(c.post_by_ap_id(&post.ap_id).await.expect("C")),
        0,
    )
    .await
    .expect("undo vote");
    for instance in [&a, &b, &c] {
        eventually(
            &format!("the undo to reach {}", instance.domain),
            || async { (counts(instance, &post.ap_id).await == (0, 1, 1)).then_some(()) },
        )
        .await;
    }
    // A vote on a comment travels too.
    let carols_on_b = b.comment_by_ap_id(&carols.ap_id).await.expect("on B");
    vote(&b.data, &bob, &StoredObject::Comment(carols_on_b), 1)
        .await
        .expect("comment vote");
    for instance in [&a, &c] {
        eventually("the comment vote", || async {
            let comment = instance.comment_by_ap_id(&carols.ap_id).await?;
            (comment.score == 1 && comment.upvotes == 1).then_some(())
        })
        .await;
    }

    // Carol deletes her comment, then restores it (an Undo of the Delete).
    let carols_on_c = c.comment_by_ap_id(&carols.ap_id).await.expect("on C");
    delete_comment(&c.data, &carol, &carols_on_c, true)
        .await
        .expect("delete comment");
    for instance in [&a, &b] {
        eventually("the comment deletion", || async {
            instance
                .comment_by_ap_id(&carols.ap_id)
                .await?
                .deleted
                .then_some(())
        })
        .await;
    }
    let carols_on_c = c.comment_by_ap_id(&carols.ap_id).await.expect("on C");
    delete_comment(&c.data, &carol, &carols_on_c, false)
        .await
        .expect("restore comment");
    for instance in [&a, &b] {
        eventually("the comment restoration", || async {
            (!instance.comment_by_ap_id(&carols.ap_id).await?.deleted).then_some(())
        })
        .await;
    }

    // Bob edits, then deletes; the edit and the deletion reach everyone.
    let post_on_b = b.post_by_ap_id(&post.ap_id).await.expect("on B");
    edit_post(
        &b.data,
        &bob,
        &post_on_b,
        PostInput {
            title: "How do you open a talk? (edited)".into(),
            body: Some("Question, story, or silence.".into()),
            url: None,
            sensitive: false,
        },
    )
    .await
    .expect("edit");
    for instance in [&a, &b, &c] {
        eventually(
            &format!("the edit to reach {}", instance.domain),
            || async {
                let post = instance.post_by_ap_id(&post.ap_id).await?;
                (post.title == "How do you open a talk? (edited)"
                    && post.url.is_none()
                    && post.updated_at.is_some())
                .then_some(())
            },
        )
        .await;
    }
    let post_on_b = b.post_by_ap_id(&post.ap_id).await.expect("on B");
    delete_post(&b.data, &bob, &post_on_b, true)
        .await
        .expect("delete");
    for instance in [&a, &b, &c] {
        eventually(
            &format!("the deletion to reach {}", instance.domain),
            || async {
                let post = instance.post_by_ap_id(&post.ap_id).await?;
                post.deleted.then_some(())
            },
        )
        .await;
        let community = if instance.domain == a.domain {
            "practice".to_string()
        } else {
            handle.clone()
        };
        assert!(
            instance
                .community_posts(&community)
                .await
                .iter()
                .all(|p| p["post"]["ap_id"] != post.ap_id),
            "a deleted post leaves the feed"
        );
        // The thread keeps its shape under the tombstone.
        assert_eq!(thread(instance, &post.ap_id).await.len(), 2);
    }
    // The author's own instance serves the tombstone at the post's id.
    let response = common::http()
        .get(post.ap_id.as_str())
        .header("Accept", "application/activity+json")
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), 410);
    let tombstone: Value = response.json().await.expect("JSON");
    assert_eq!(tombstone["type"], "Tombstone");

    for instance in [a, b, c] {
        instance.stop().await;
    }
}
