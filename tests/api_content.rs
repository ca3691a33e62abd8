//! Communities, posts and comments through the Lemmy-compatible API, as an app uses them:
//! every call that writes, what the person asking sees (votes, saved, read, subscribed), and
//! the refusals (401 anonymous, 403 someone else's content, 404 unknown ids, 400 bad input).

mod common;

use common::{TestInstance, api::ApiClient};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn communities_are_created_listed_and_followed() {
    let a = TestInstance::start().await;
    let anonymous = ApiClient::anonymous(&a);
    let alice = ApiClient::register(&a, "alice").await;
    let bob = ApiClient::register(&a, "bob").await;

    anonymous
        .post("community", json!({"name": "maps", "title": "Maps"}))
        .await
        .refused(401, "not_logged_in");
    alice
        .post("community", json!({"name": "Bad Name!", "title": "Maps"}))
        .await
        .refused(400, "invalid_input");
    let maps = alice.create_community("maps").await;
    assert_eq!(maps["community"]["name"], "maps");
    assert_eq!(maps["community"]["local"], true);
    alice
        .post("community", json!({"name": "maps", "title": "Again"}))
        .await
        .refused(400, "community_already_exists");
    alice.create_community("speaking").await;
    let maps_id = maps["community"]["id"].as_i64().expect("id");

    // The creator moderates it.
    let got = anonymous.get(&format!("community?id={maps_id}")).await.ok();
    assert_eq!(got["moderators"][0]["moderator"]["name"], "alice");
    assert_eq!(got["community_view"]["subscribed"], "NotSubscribed");
    anonymous.get("community?name=maps").await.ok();
    anonymous
        .get("community?id=999999")
        .await
        .refused(404, "couldnt_find_community");
    anonymous.get("community").await.refused(400, "no_id_given");

    // Bob follows; the list and the community show it, for him only.
    let followed = bob
        .post(
            "community/follow",
            json!({"community_id": maps_id, "follow": true}),
        )
        .await
        .ok();
    assert_eq!(followed["community_view"]["subscribed"], "Subscribed");
    assert_eq!(followed["community_view"]["counts"]["subscribers"], 1);
    assert_eq!(followed["community_view"]["counts"]["subscribers_local"], 1);
    bob.post(
        "community/follow",
        json!({"community_id": 999999, "follow": true}),
    )
    .await
    .refused(404, "couldnt_find_community");
    anonymous
        .post(
            "community/follow",
            json!({"community_id": maps_id, "follow": true}),
        )
        .await
        .refused(401, "not_logged_in");

    let subscribed = bob.get("community/list?type_=Subscribed").await.ok();
    let names: Vec<&str> = subscribed["communities"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|c| c["community"]["name"].as_str())
        .collect();
    assert_eq!(names, ["maps"]);
    anonymous
        .get("community/list?type_=Subscribed")
        .await
        .refused(401, "not_logged_in");
    let all = anonymous.get("community/list?sort=Alphabetical").await.ok();
    let names: Vec<&str> = all["communities"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|c| c["community"]["name"].as_str())
        .collect();
    assert_eq!(names, ["maps", "speaking"]);
    anonymous
        .get("community/list?sort=Sideways")
        .await
        .refused(400, "invalid_sort");
    let site = bob.get("site").await.ok();
    assert_eq!(site["my_user"]["follows"][0]["community"]["name"], "maps");
    assert_eq!(
        alice.get("site").await.ok()["my_user"]["moderates"][0]["community"]["name"],
        "maps"
    );

    let unfollowed = bob
        .post(
            "community/follow",
            json!({"community_id": maps_id, "follow": false}),
        )
        .await
        .ok();
    assert_eq!(unfollowed["community_view"]["subscribed"], "NotSubscribed");
    assert_eq!(unfollowed["community_view"]["counts"]["subscribers"], 0);
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_are_written_voted_saved_and_read() {
    let a = TestInstance::start().await;
    let anonymous = ApiClient::anonymous(&a);
    let alice = ApiClient::register(&a, "alice").await;
    let bob = ApiClient::register(&a, "bob").await;
    let community = alice.create_community("writing").await;
    let community_id = community["community"]["id"].as_i64().expect("id");

    anonymous
        .post("post", json!({"name": "Hi", "community_id": community_id}))
        .await
        .refused(401, "not_logged_in");
    alice
        .post("post", json!({"name": "Hi", "community_id": 999999}))
        .await
        .refused(404, "couldnt_find_community");
    alice
        .post("post", json!({"name": "   ", "community_id": community_id}))
        .await
        .refused(400, "invalid_input");
    alice
        .post(
            "post",
            json!({"name": "Hi", "community_id": community_id, "url": "not a url"}),
        )
        .await
        .refused(400, "invalid_input");
    alice
        .post("post", json!({"name": 5, "community_id": community_id}))
        .await
        .refused(400, "invalid_input");

    let created = alice
        .create_post(community_id, "Drafting in public", "Share *early* drafts.")
        .await;
    let post_id = created["post"]["id"].as_i64().expect("id");
    assert_eq!(created["post"]["body"], "Share *early* drafts.");
    assert_eq!(created["creator"]["name"], "alice");
    assert_eq!(
        created["my_vote"], 0,
        "Guild does not upvote an author's own post"
    );
    let second = alice
        .create_post(community_id, "Editing habits", "Read it aloud.")
        .await;
    let second_id = second["post"]["id"].as_i64().expect("id");

    // Editing: only the author; fields left out keep their value.
    bob.put("post", json!({"post_id": post_id, "name": "Mine now"}))
        .await
        .refused(403, "no_post_edit_allowed");
    let edited = alice
        .put(
            "post",
            json!({"post_id": post_id, "name": "Drafting, in public"}),
        )
        .await
        .ok();
    assert_eq!(edited["post_view"]["post"]["name"], "Drafting, in public");
    assert_eq!(edited["post_view"]["post"]["body"], "Share *early* drafts.");
    assert!(edited["post_view"]["post"]["updated"].is_string());
    alice
        .put("post", json!({"post_id": 999999, "name": "x"}))
        .await
        .refused(404, "couldnt_find_post");

    // Voting.
    bob.post("post/like", json!({"post_id": post_id, "score": 5}))
        .await
        .refused(400, "invalid_input");
    let voted = bob
        .post("post/like", json!({"post_id": post_id, "score": -1}))
        .await
        .ok();
    assert_eq!(voted["post_view"]["my_vote"], -1);
    assert_eq!(voted["post_view"]["counts"]["score"], -1);
    assert_eq!(voted["post_view"]["counts"]["downvotes"], 1);
    let voted = bob
        .post("post/like", json!({"post_id": post_id, "score": 1}))
        .await
        .ok();
    assert_eq!(voted["post_view"]["counts"]["score"], 1);
    assert_eq!(voted["post_view"]["counts"]["upvotes"], 1);
    assert_eq!(voted["post_view"]["counts"]["downvotes"], 0);
    anonymous
        .post("post/like", json!({"post_id": post_id, "score": 1}))
        .await
        .refused(401, "not_logged_in");

    // Saving: visible to the saver, listed by saved_only.
    let saved = bob
        .put("post/save", json!({"post_id": post_id, "save": true}))
        .await
        .ok();
    assert_eq!(saved["post_view"]["saved"], true);
    let saved_list = bob.get("post/list?saved_only=true").await.ok();
    assert_eq!(saved_list["posts"].as_array().map(Vec::len), Some(1));
    assert_eq!(saved_list["posts"][0]["post"]["id"], post_id);
    anonymous
        .get("post/list?saved_only=true")
        .await
        .refused(401, "not_logged_in");
    let as_alice = alice.get(&format!("post?id={post_id}")).await.ok();
    assert_eq!(as_alice["post_view"]["saved"], false);
    bob.put("post/save", json!({"post_id": 999999, "save": true}))
        .await
        .refused(404, "couldnt_find_post");

    // Reading: marked, then left out with show_read=false.
    bob.post(
        "post/mark_as_read",
        json!({"post_ids": [post_id], "read": true}),
    )
    .await
    .ok();
    let got = bob.get(&format!("post?id={post_id}")).await.ok();
    assert_eq!(got["post_view"]["read"], true);
    let unread = bob.get("post/list?show_read=false&sort=New").await.ok();
    let ids: Vec<i64> = unread["posts"]
        .as_array()
        .expect("posts")
        .iter()
        .filter_map(|p| p["post"]["id"].as_i64())
        .collect();
    assert_eq!(ids, [second_id]);
    bob.post(
        "post/mark_as_read",
        json!({"post_ids": [999999], "read": true}),
    )
    .await
    .refused(404, "couldnt_find_post");
    bob.post("post/mark_as_read", json!({"post_ids": [], "read": true}))
        .await
        .refused(400, "invalid_input");
    bob.post(
        "post/mark_as_read",
        json!({"post_id": post_id, "read": false}),
    )
    .await
    .ok();
    assert_eq!(
        bob.get(&format!("post?id={post_id}")).await.ok()["post_view"]["read"],
        false
    );

    // Listing: sorts, types and paging; anonymous readers see no personal fields. Listings
    // order by sort keys, which follow the votes at the next fold.
    let mut conn = a.conn().await;
    guild::db::posts::fold_counts(&mut conn)
        .await
        .expect("fold");
    drop(conn);
    for sort in [
        "Hot",
        "Active",
        "New",
        "Old",
        "TopDay",
        "TopWeek",
        "TopMonth",
        "TopAll",
        "MostComments",
    ] {
        let list = anonymous.get(&format!("post/list?sort={sort}")).await.ok();
        assert_eq!(list["posts"].as_array().map(Vec::len), Some(2), "{sort}");
    }
    let top = anonymous.get("post/list?sort=TopAll").await.ok();
    assert_eq!(top["posts"][0]["post"]["id"], post_id);
    assert!(top["posts"][0]["my_vote"].is_null());
    let old = anonymous
        .get("post/list?sort=Old&limit=1&page=2")
        .await
        .ok();
    assert_eq!(old["posts"][0]["post"]["id"], second_id);
    anonymous.get("post/list?type_=Local").await.ok();
    anonymous
        .get("post/list?sort=Sideways")
        .await
        .refused(400, "invalid_sort");
    anonymous
        .get("post/list?limit=500")
        .await
        .refused(400, "couldnt_get_posts");
    anonymous
        .get("post/list?type_=Subscribed")
        .await
        .refused(401, "not_logged_in");
    assert_eq!(
        bob.get("post/list?type_=Subscribed").await.ok()["posts"]
            .as_array()
            .map(Vec::len),
        Some(0)
    );
    bob.post(
        "community/follow",
        json!({"community_id": community_id, "follow": true}),
    )
    .await
    .ok();
    let subscribed = bob.get("post/list?type_=Subscribed").await.ok();
    assert_eq!(subscribed["posts"].as_array().map(Vec::len), Some(2));
    assert_eq!(subscribed["posts"][0]["subscribed"], "Subscribed");

    // Deleting and restoring.
    bob.post("post/delete", json!({"post_id": post_id, "deleted": true}))
        .await
        .refused(403, "no_post_edit_allowed");
    let deleted = alice
        .post("post/delete", json!({"post_id": post_id, "deleted": true}))
        .await
        .ok();
    assert_eq!(deleted["post_view"]["post"]["deleted"], true);
    assert_eq!(
        anonymous.get("post/list").await.ok()["posts"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    alice
        .post("post/delete", json!({"post_id": post_id, "deleted": false}))
        .await
        .ok();
    assert_eq!(
        anonymous.get("post/list").await.ok()["posts"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    anonymous
        .get("post?id=999999")
        .await
        .refused(404, "couldnt_find_post");
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn comments_thread_and_notify() {
    let a = TestInstance::start().await;
    let anonymous = ApiClient::anonymous(&a);
    let alice = ApiClient::register(&a, "alice").await;
    let bob = ApiClient::register(&a, "bob").await;
    let community_id = alice.create_community("speaking").await["community"]["id"]
        .as_i64()
        .expect("id");
    let post = alice
        .create_post(community_id, "Opening lines", "How do you start?")
        .await;
    let post_id = post["post"]["id"].as_i64().expect("id");
    let other_post = alice.create_post(community_id, "Closing lines", "").await;
    let other_post_id = other_post["post"]["id"].as_i64().expect("id");

    anonymous
        .post("comment", json!({"post_id": post_id, "content": "hi"}))
        .await
        .refused(401, "not_logged_in");
    bob.post("comment", json!({"post_id": 999999, "content": "hi"}))
        .await
        .refused(404, "couldnt_find_post");
    bob.post("comment", json!({"post_id": post_id, "content": "   "}))
        .await
        .refused(400, "invalid_input");

    let top = bob.create_comment(post_id, None, "With a question.").await;
    let top_id = top["comment"]["id"].as_i64().expect("id");
    assert_eq!(top["comment"]["path"], format!("0.{top_id}"));
    bob.post(
        "comment",
        json!({"post_id": other_post_id, "parent_id": top_id, "content": "misplaced"}),
    )
    .await
    .refused(400, "invalid_input");
    let reply = alice
        .create_comment(post_id, Some(top_id), "A story works too, @bob.")
        .await;
    let reply_id = reply["comment"]["id"].as_i64().expect("id");
    assert_eq!(reply["comment"]["path"], format!("0.{top_id}.{reply_id}"));
    let deeper = bob.create_comment(post_id, Some(reply_id), "Agreed.").await;
    let deeper_id = deeper["comment"]["id"].as_i64().expect("id");

    // Alice was replied to on her post; Bob on his comment.
    // Alice: Bob's comment on her post and his answer to her reply.
    let unread = alice.get("user/unread_count").await.ok();
    assert_eq!(unread["replies"], 2, "{unread}");
    let replies = bob.get("user/replies").await.ok();
    assert_eq!(replies["replies"][0]["comment"]["id"], reply_id);
    assert_eq!(replies["replies"][0]["recipient"]["name"], "bob");
    assert_eq!(replies["replies"][0]["comment_reply"]["read"], false);
    let reply_row = replies["replies"][0]["comment_reply"]["id"]
        .as_i64()
        .expect("row id");
    let marked = bob
        .post(
            "comment/mark_as_read",
            json!({"comment_reply_id": reply_row, "read": true}),
        )
        .await
        .ok();
    assert_eq!(marked["comment_reply_view"]["comment_reply"]["read"], true);
    alice
        .post(
            "comment/mark_as_read",
            json!({"comment_reply_id": reply_row, "read": true}),
        )
        .await
        .refused(404, "couldnt_find_comment_reply");
    assert_eq!(
        bob.get("user/replies?unread_only=true").await.ok()["replies"]
            .as_array()
            .map(Vec::len),
        Some(0)
    );
    alice.post("user/mark_all_as_read", json!({})).await.ok();
    assert_eq!(alice.get("user/unread_count").await.ok()["replies"], 0);
    anonymous
        .get("user/replies")
        .await
        .refused(401, "not_logged_in");
    anonymous
        .get("user/unread_count")
        .await
        .refused(401, "not_logged_in");
    // A mention (here recorded directly; tests/mastodon_compat.rs shows one arriving by
    // federation) is listed with its comment.
    {
        let mut conn = a.conn().await;
        let bob_id = bob.my_id().await;
        guild::db::notifications::insert(
            &mut conn,
            bob_id,
            "mention",
            Some(post_id),
            Some(reply_id),
        )
        .await
        .expect("mention recorded");
    }
    let mentions = bob.get("user/mention").await.ok();
    assert_eq!(
        mentions["mentions"][0]["comment"]["id"], reply_id,
        "{mentions}"
    );
    assert_eq!(mentions["mentions"][0]["person_mention"]["read"], false);
    assert_eq!(bob.get("user/unread_count").await.ok()["mentions"], 1);

    // The thread, whole and in parts.
    let thread = anonymous
        .get(&format!("comment/list?post_id={post_id}"))
        .await
        .ok();
    let ids: Vec<i64> = thread["comments"]
        .as_array()
        .expect("comments")
        .iter()
        .filter_map(|c| c["comment"]["id"].as_i64())
        .collect();
    assert_eq!(ids, [top_id, reply_id, deeper_id]);
    let shallow = anonymous
        .get(&format!("comment/list?post_id={post_id}&max_depth=1"))
        .await
        .ok();
    assert_eq!(shallow["comments"].as_array().map(Vec::len), Some(1));
    let subtree = anonymous
        .get(&format!("comment/list?parent_id={reply_id}"))
        .await
        .ok();
    assert_eq!(subtree["comments"].as_array().map(Vec::len), Some(2));
    anonymous
        .get("comment/list?post_id=999999")
        .await
        .refused(404, "couldnt_find_post");
    anonymous
        .get(&format!("comment/list?post_id={post_id}&sort=Sideways"))
        .await
        .refused(400, "invalid_sort");
    let latest = anonymous
        .get(&format!("comment/list?community_id={community_id}"))
        .await
        .ok();
    assert_eq!(latest["comments"][0]["comment"]["id"], deeper_id);

    // One comment; editing, voting and deleting it.
    let got = anonymous.get(&format!("comment?id={top_id}")).await.ok();
    assert_eq!(got["comment_view"]["post"]["id"], post_id);
    assert_eq!(got["comment_view"]["counts"]["child_count"], 2);
    anonymous
        .get("comment?id=999999")
        .await
        .refused(404, "couldnt_find_comment");
    alice
        .put(
            "comment",
            json!({"comment_id": top_id, "content": "Not yours"}),
        )
        .await
        .refused(403, "no_comment_edit_allowed");
    let edited = bob
        .put(
            "comment",
            json!({"comment_id": top_id, "content": "With a *question*."}),
        )
        .await
        .ok();
    assert_eq!(
        edited["comment_view"]["comment"]["content"],
        "With a *question*."
    );
    let liked = alice
        .post("comment/like", json!({"comment_id": top_id, "score": 1}))
        .await
        .ok();
    assert_eq!(liked["comment_view"]["my_vote"], 1);
    assert_eq!(liked["comment_view"]["counts"]["score"], 1);
    alice
        .post("comment/like", json!({"comment_id": top_id, "score": 2}))
        .await
        .refused(400, "invalid_input");
    alice
        .post(
            "comment/delete",
            json!({"comment_id": top_id, "deleted": true}),
        )
        .await
        .refused(403, "no_comment_edit_allowed");
    let deleted = bob
        .post(
            "comment/delete",
            json!({"comment_id": top_id, "deleted": true}),
        )
        .await
        .ok();
    assert_eq!(deleted["comment_view"]["comment"]["deleted"], true);
    // The thread keeps its shape around the deleted comment.
    let thread = anonymous
        .get(&format!("comment/list?post_id={post_id}"))
        .await
        .ok();
    assert_eq!(thread["comments"].as_array().map(Vec::len), Some(3));
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_and_search() {
    let a = TestInstance::start().await;
    let anonymous = ApiClient::anonymous(&a);
    let alice = ApiClient::register(&a, "alice").await;
    let bob = ApiClient::register(&a, "bob").await;
    let community_id = alice.create_community("cartography").await["community"]["id"]
        .as_i64()
        .expect("id");
    let post = alice
        .create_post(
            community_id,
            "Projections compared",
            "Mercator versus Robinson.",
        )
        .await;
    let post_id = post["post"]["id"].as_i64().expect("id");
    bob.create_comment(post_id, None, "Robinson for world maps, always.")
        .await;

    // A person's page: counts, posts, comments, moderated communities.
    let details = anonymous.get("user?username=alice").await.ok();
    assert_eq!(details["person_view"]["person"]["name"], "alice");
    assert_eq!(details["person_view"]["counts"]["post_count"], 1);
    assert_eq!(details["posts"][0]["post"]["id"], post_id);
    assert_eq!(details["moderates"][0]["community"]["name"], "cartography");
    let bob_id = bob.my_id().await;
    let details = anonymous
        .get(&format!("user?person_id={bob_id}"))
        .await
        .ok();
    assert_eq!(details["person_view"]["counts"]["comment_count"], 1);
    assert_eq!(details["comments"].as_array().map(Vec::len), Some(1));
    anonymous
        .get("user?username=nobody")
        .await
        .refused(404, "couldnt_find_person");
    anonymous.get("user").await.refused(400, "no_id_given");
    bob.put("post/save", json!({"post_id": post_id, "save": true}))
        .await
        .ok();
    let saved = bob.get("user?username=bob&saved_only=true").await.ok();
    assert_eq!(saved["posts"][0]["post"]["id"], post_id);
    alice
        .get("user?username=bob&saved_only=true")
        .await
        .refused(403, "forbidden");

    // Full-text search, by kind.
    let found = anonymous.get("search?q=robinson").await.ok();
    assert_eq!(found["posts"][0]["post"]["id"], post_id);
    assert_eq!(found["comments"].as_array().map(Vec::len), Some(1));
    assert_eq!(found["communities"].as_array().map(Vec::len), Some(0));
    let found = anonymous
        .get("search?q=cartography&type_=Communities")
        .await
        .ok();
    assert_eq!(found["communities"][0]["community"]["name"], "cartography");
    assert_eq!(found["posts"].as_array().map(Vec::len), Some(0));
    let found = anonymous.get("search?q=alice&type_=Users").await.ok();
    assert_eq!(found["users"][0]["person"]["name"], "alice");
    let found = anonymous
        .get(&format!(
            "search?q=robinson&type_=Comments&creator_id={bob_id}"
        ))
        .await
        .ok();
    assert_eq!(found["comments"].as_array().map(Vec::len), Some(1));
    let nothing = anonymous.get("search?q=bathymetry").await.ok();
    assert_eq!(nothing["posts"].as_array().map(Vec::len), Some(0));
    anonymous
        .get("search?q=")
        .await
        .refused(400, "invalid_input");
    anonymous
        .get("search?q=maps&type_=Url")
        .await
        .refused(400, "invalid_type");
    anonymous.get("search").await.refused(400, "invalid_input");

    // Without signing in, resolve_object finds only what is stored here.
    let resolved = anonymous.get("resolve_object?q=!cartography").await.ok();
    assert_eq!(resolved["community"]["community"]["name"], "cartography");
    let post_url = post["post"]["ap_id"].as_str().expect("ap_id");
    let resolved = anonymous
        .get(&format!("resolve_object?q={}", urlencode(post_url)))
        .await
        .ok();
    assert_eq!(resolved["post"]["post"]["id"], post_id);
    anonymous
        .get("resolve_object?q=!nothing@localhost:1")
        .await
        .refused(404, "couldnt_find_object");
    a.stop().await;
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
