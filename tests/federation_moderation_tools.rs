//! The rest of the moderators' and admins' tools, across instances: featured posts,
//! moderators added and removed, bans from a community and from the site, reports, purges.
//! Each is done on the community's (or person's) instance and shows on the follower's; each
//! tried by someone without the right, here or forged from elsewhere, is refused and changes
//! nothing.

mod common;

use common::{
    TestInstance, api::ApiClient, eventually, signing::signed_post, start_instances, web::Browser,
};
use guild::{
    db::{self, models::Person},
    service::comments::create_comment,
};
use serde_json::json;

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

async fn person_on(instance: &TestInstance, ap_id: &str) -> Option<Person> {
    let mut conn = instance.conn().await;
    db::people::by_ap_id(&mut conn, ap_id).await.expect("query")
}

/// Moderators of the remote community `community_id` as `instance` knows them.
async fn moderator_names(instance: &TestInstance, community_id: i64) -> Vec<String> {
    let mut conn = instance.conn().await;
    db::communities::moderators(&mut conn, community_id)
        .await
        .expect("query")
        .into_iter()
        .map(|p| p.name)
        .collect()
}

async fn banned_from(instance: &TestInstance, community_id: i64, person_id: i64) -> bool {
    let mut conn = instance.conn().await;
    db::moderation::is_banned(&mut conn, community_id, person_id)
        .await
        .expect("query")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn featured_posts_moderators_and_bans_reach_followers() {
    let mut instances = start_instances(2).await;
    let b = instances.pop().expect("b");
    let a = instances.pop().expect("a");
    let ann = ApiClient::register(&a, "ann").await;
    let carl = ApiClient::register(&a, "carl").await;
    let carl_id = carl.my_id().await;
    let community_id = ann.create_community("maps").await["community"]["id"]
        .as_i64()
        .expect("id");
    let bob = b.create_user("bob").await;
    let remote = b.resolve_community(&format!("maps@{}", a.domain)).await;
    b.follow_and_wait(&bob, &remote).await;
    let anns_post = ann.create_post(community_id, "Welcome", "Say hello").await;
    let anns_post_ap_id = anns_post["post"]["ap_id"]
        .as_str()
        .expect("ap_id")
        .to_string();
    let post = b
        .create_post(&bob, &remote, "Contour lines at 1:25,000")
        .await;
    let post_on_a = eventually("the post to reach A", || {
        let a = &a;
        let ap_id = post.ap_id.clone();
        async move { a.post_by_ap_id(&ap_id).await }
    })
    .await;

    // Featuring: refused to carl, done by ann, shown on B, listed first on A's page.
    let feature = json!({"post_id": post_on_a.id, "featured": true, "feature_type": "Community"});
    carl.post("post/feature", feature.clone())
        .await
        .refused(403, "not_a_moderator");
    let featured = ann.post("post/feature", feature).await.ok();
    assert_eq!(featured["post_view"]["post"]["featured_community"], true);
    eventually("B to show the post featured", || {
        let b = &b;
        let ap_id = post.ap_id.clone();
        async move { b.post_by_ap_id(&ap_id).await.filter(|p| p.featured) }
    })
    .await;
    let featured_collection = common::get_activity_json(&a.url("/c/maps/featured")).await;
    assert_eq!(
        featured_collection["orderedItems"][0].as_str(),
        Some(post.ap_id.as_str())
    );

    // Moderators: carl is made one (and then may lock); B learns it; then he is removed.
    carl.post(
        "community/mod",
        json!({"community_id": community_id, "person_id": carl_id, "added": true}),
    )
    .await
    .refused(403, "not_a_moderator");
    let added = ann
        .post(
            "community/mod",
            json!({"community_id": community_id, "person_id": carl_id, "added": true}),
        )
        .await
        .ok();
    assert_eq!(added["moderators"].as_array().expect("list").len(), 2);
    carl.post(
        "post/lock",
        json!({"post_id": post_on_a.id, "locked": true}),
    )
    .await
    .ok();
    eventually("B to list carl as a moderator", || {
        let b = &b;
        async move {
            let names = moderator_names(b, remote.id).await;
            names.contains(&"carl".to_string()).then_some(())
        }
    })
    .await;
    ann.post(
        "community/mod",
        json!({"community_id": community_id, "person_id": carl_id, "added": false}),
    )
    .await
    .ok();
    eventually("B to drop carl from the moderators", || {
        let b = &b;
        async move {
            let names = moderator_names(b, remote.id).await;
            (!names.contains(&"carl".to_string())).then_some(())
        }
    })
    .await;
    carl.post(
        "post/lock",
        json!({"post_id": post_on_a.id, "locked": false}),
    )
    .await
    .refused(403, "not_a_moderator");

    // A ban of bob, with his posts removed: on A, and announced to B.
    let bob_on_a = person_on(&a, &bob.ap_id).await.expect("bob known on A");
    let ban = json!({
        "community_id": community_id, "person_id": bob_on_a.id, "ban": true,
        "remove_data": true, "reason": "off-topic ads",
    });
    carl.post("community/ban_user", ban.clone())
        .await
        .refused(403, "not_a_moderator");
    assert!(!banned_from(&a, community_id, bob_on_a.id).await);
    ann.post("community/ban_user", ban).await.ok();
    assert!(banned_from(&a, community_id, bob_on_a.id).await);
    assert!(a.post_by_ap_id(&post.ap_id).await.expect("post").removed);
    eventually("B to record the ban and remove bob's post", || {
        let b = &b;
        let ap_id = post.ap_id.clone();
        let (community, person) = (remote.id, bob.id);
        async move {
            let removed = b.post_by_ap_id(&ap_id).await?.removed;
            (removed && banned_from(b, community, person).await).then_some(())
        }
    })
    .await;
    // Banned, bob's comment on ann's post is refused by A (B delivers it; A answers 403).
    let post_on_b = eventually("ann's post to reach B", || {
        let b = &b;
        let ap_id = anns_post_ap_id.clone();
        async move { b.post_by_ap_id(&ap_id).await }
    })
    .await;
    let comment = create_comment(&b.data, &bob, &post_on_b, None, "let me back")
        .await
        .expect("B takes it; A decides");
    let refused = eventually("A to refuse bob's comment", || {
        let b = &b;
        async move {
            let mut conn = b.conn().await;
            let status = db::deliveries::status(&mut conn).await.expect("query");
            status.into_iter().find(|peer| peer.failed_last_day > 0)
        }
    })
    .await;
    assert!(refused.last_error.is_some_and(|e| e.contains("403")));
    assert!(a.comment_by_ap_id(&comment.ap_id).await.is_none());

    // Unbanned: his next comment arrives.
    ann.post(
        "community/ban_user",
        json!({"community_id": community_id, "person_id": bob_on_a.id, "ban": false}),
    )
    .await
    .ok();
    let comment = create_comment(&b.data, &bob, &post_on_b, None, "thanks")
        .await
        .expect("comment");
    eventually("bob's comment to reach A", || {
        let a = &a;
        let ap_id = comment.ap_id.clone();
        async move { a.comment_by_ap_id(&ap_id).await }
    })
    .await;

    // The modlog lists it all, on both sides.
    let modlog = ApiClient::anonymous(&a).get("modlog").await.ok();
    assert_eq!(
        modlog["featured_posts"][0]["mod_feature_post"]["featured"],
        true
    );
    assert_eq!(
        modlog["added_to_community"].as_array().map(Vec::len),
        Some(2)
    );
    let bans = modlog["banned_from_community"].as_array().expect("bans");
    assert_eq!(bans.len(), 2);
    assert!(
        bans.iter()
            .any(|b| b["mod_ban_from_community"]["reason"] == "off-topic ads")
    );
    let modlog_b = ApiClient::anonymous(&b).get("modlog").await.ok();
    assert_eq!(
        modlog_b["banned_from_community"].as_array().map(Vec::len),
        Some(2)
    );
    Browser::new(&b)
        .get("/modlog")
        .await
        .shows(&["banned", "off-topic ads", "featured a post"]);
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn site_bans_federate_and_purges_clean_up() {
    let mut instances = start_instances(2).await;
    let b = instances.pop().expect("b");
    let a = instances.pop().expect("a");
    a.create_admin("root").await;
    let root = ApiClient::login(&a, "root").await;
    let ann = ApiClient::register(&a, "ann").await;
    let ann_id = ann.my_id().await;
    let community_id = ann.create_community("maps").await["community"]["id"]
        .as_i64()
        .expect("id");
    let bob = b.create_user("bob").await;
    let remote = b.resolve_community(&format!("maps@{}", a.domain)).await;
    b.follow_and_wait(&bob, &remote).await;
    let post = ann.create_post(community_id, "Survey notes", "body").await;
    let post_ap_id = post["post"]["ap_id"].as_str().expect("ap_id").to_string();
    let post_on_b = eventually("ann's post to reach B", || {
        let b = &b;
        let ap_id = post_ap_id.clone();
        async move { b.post_by_ap_id(&ap_id).await }
    })
    .await;
    let ann_ap_id = post["creator"]["actor_id"]
        .as_str()
        .expect("actor")
        .to_string();

    // Only admins ban from the site.
    ann.post("user/ban", json!({"person_id": ann_id, "ban": true}))
        .await
        .refused(403, "not_an_admin");
    root.post(
        "user/ban",
        json!({"person_id": ann_id, "ban": true, "reason": "sock puppet"}),
    )
    .await
    .ok();
    // Her login ends, she cannot sign in again, and B applies the ban too.
    ann.get("user/unread_count")
        .await
        .refused(401, "not_logged_in");
    ApiClient::anonymous(&a)
        .post(
            "user/login",
            json!({"username_or_email": "ann", "password": common::api::PASSWORD}),
        )
        .await
        .refused(403, "forbidden");
    eventually("B to record ann's site ban", || {
        let b = &b;
        let ap_id = ann_ap_id.clone();
        async move { person_on(b, &ap_id).await.filter(Person::is_banned) }
    })
    .await;
    let banned_ann = person_on(&b, &ann_ap_id).await.expect("ann on B");
    assert!(
        guild::service::votes::apply_remote_vote(
            &b.data,
            &banned_ann,
            &guild::federation::activities::StoredObject::Post(post_on_b.clone()),
            1,
            None
        )
        .await
        .is_err(),
        "B refuses what a banned person does"
    );
    root.post("user/ban", json!({"person_id": ann_id, "ban": false}))
        .await
        .ok();
    eventually("B to lift ann's ban", || {
        let b = &b;
        let ap_id = ann_ap_id.clone();
        async move { person_on(b, &ap_id).await.filter(|p| !p.is_banned()) }
    })
    .await;
    let modlog = ApiClient::anonymous(&a).get("modlog").await.ok();
    assert_eq!(modlog["banned"].as_array().map(Vec::len), Some(2));
    // The ban ended her logins; unbanned, she signs in again.
    let ann = ApiClient::login(&a, "ann").await;

    // Bob comments and votes on A's post; purging him on A takes both away and the counts
    // follow.
    let comment = create_comment(&b.data, &bob, &post_on_b, None, "first")
        .await
        .expect("comment");
    guild::service::votes::vote(
        &b.data,
        &bob,
        &guild::federation::activities::StoredObject::Post(post_on_b.clone()),
        1,
    )
    .await
    .expect("vote");
    let post_on_a = eventually("bob's comment and vote to reach A", || {
        let a = &a;
        let ap_id = post_ap_id.clone();
        async move {
            a.post_by_ap_id(&ap_id)
                .await
                .filter(|p| p.comment_count == 1 && p.score == 1)
        }
    })
    .await;
    assert!(a.comment_by_ap_id(&comment.ap_id).await.is_some());
    let bob_on_a = person_on(&a, &bob.ap_id).await.expect("bob on A");
    ann.post(
        "admin/purge/person",
        json!({"person_id": bob_on_a.id, "reason": "spam"}),
    )
    .await
    .refused(403, "not_an_admin");
    root.post(
        "admin/purge/person",
        json!({"person_id": bob_on_a.id, "reason": "spam"}),
    )
    .await
    .ok();
    assert!(person_on(&a, &bob.ap_id).await.is_none());
    assert!(a.comment_by_ap_id(&comment.ap_id).await.is_none());
    let recounted = a.post_by_ap_id(&post_ap_id).await.expect("post stays");
    assert_eq!(
        (recounted.comment_count, recounted.score, recounted.upvotes),
        (0, 0, 0)
    );
    assert_eq!(recounted.id, post_on_a.id);

    // B's admin hides ann's post on B only; A keeps it. Then B purges its copy of the
    // remote community; A's stays.
    b.create_admin("boss").await;
    let boss = ApiClient::login(&b, "boss").await;
    ApiClient::login(&b, "bob")
        .await
        .post(
            "post/remove",
            json!({"post_id": post_on_b.id, "removed": true}),
        )
        .await
        .refused(403, "not_a_moderator");
    boss.post(
        "post/remove",
        json!({"post_id": post_on_b.id, "removed": true, "reason": "not here"}),
    )
    .await
    .ok();
    assert!(b.post_by_ap_id(&post_ap_id).await.expect("on B").removed);
    assert!(!a.post_by_ap_id(&post_ap_id).await.expect("on A").removed);
    boss.post(
        "post/lock",
        json!({"post_id": post_on_b.id, "locked": true}),
    )
    .await
    .refused(403, "not_a_moderator");
    boss.post(
        "admin/purge/community",
        json!({"community_id": remote.id, "reason": "we left"}),
    )
    .await
    .ok();
    assert!(b.post_by_ap_id(&post_ap_id).await.is_none());
    assert_eq!(b.count_rows("communities").await, 0);
    boss.post("admin/purge/community", json!({"community_id": remote.id}))
        .await
        .refused(404, "couldnt_find_community");
    root.post(
        "admin/purge/community",
        json!({"community_id": community_id}),
    )
    .await
    .refused(403, "not_an_admin");
    let modlog_b = ApiClient::anonymous(&b).get("modlog").await.ok();
    assert_eq!(
        modlog_b["admin_purged_communities"][0]["admin_purge_community"]["reason"],
        "we left"
    );
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_reach_the_community_moderators() {
    let mut instances = start_instances(2).await;
    let b = instances.pop().expect("b");
    let a = instances.pop().expect("a");
    let ann = ApiClient::register(&a, "ann").await;
    let carl = ApiClient::register(&a, "carl").await;
    let community_id = ann.create_community("maps").await["community"]["id"]
        .as_i64()
        .expect("id");
    let post = ann.create_post(community_id, "Old maps", "body").await;
    let post_id = post["post"]["id"].as_i64().expect("id");
    let comment = carl.create_comment(post_id, None, "rude words").await;
    let comment_id = comment["comment"]["id"].as_i64().expect("id");
    let post_ap_id = post["post"]["ap_id"].as_str().expect("ap_id").to_string();

    // Bob on B reports ann's post: the Flag reaches A.
    b.create_user("bob").await;
    b.create_admin("boss").await;
    let boss = ApiClient::login(&b, "boss").await;
    let resolved = boss
        .get(&format!("resolve_object?q={}", url_escape(&post_ap_id)))
        .await
        .ok();
    let remote_post_id = resolved["post"]["post"]["id"].as_i64().expect("post on B");
    boss.post(
        "post/report",
        json!({"post_id": remote_post_id, "reason": ""}),
    )
    .await
    .refused(400, "invalid_input");
    ApiClient::anonymous(&b)
        .post(
            "post/report",
            json!({"post_id": remote_post_id, "reason": "x"}),
        )
        .await
        .refused(401, "not_logged_in");
    boss.post(
        "post/report",
        json!({"post_id": remote_post_id, "reason": "copied from an atlas"}),
    )
    .await
    .ok();
    let reports = eventually("the report to reach A's moderator", || {
        let ann = &ann;
        async move {
            let list = ann.get("post/report/list?unresolved_only=true").await.ok();
            let reports = list["post_reports"].as_array()?.clone();
            (!reports.is_empty()).then_some(reports)
        }
    })
    .await;
    assert_eq!(reports[0]["post_report"]["reason"], "copied from an atlas");
    assert_eq!(reports[0]["creator"]["name"], "boss");
    let report_id = reports[0]["post_report"]["id"].as_i64().expect("id");

    // Carl, not a moderator, sees none and cannot resolve.
    let carl_list = carl.get("post/report/list").await.ok();
    assert_eq!(carl_list["post_reports"].as_array().map(Vec::len), Some(0));
    carl.put(
        "post/report/resolve",
        json!({"report_id": report_id, "resolved": true}),
    )
    .await
    .refused(403, "not_a_moderator");
    let done = ann
        .put(
            "post/report/resolve",
            json!({"report_id": report_id, "resolved": true}),
        )
        .await
        .ok();
    assert_eq!(done["post_report_view"]["post_report"]["resolved"], true);
    let open = ann.get("post/report/list?unresolved_only=true").await.ok();
    assert_eq!(open["post_reports"].as_array().map(Vec::len), Some(0));

    // A local comment report, seen on the moderator's page and resolved there.
    let reporter = ApiClient::register(&a, "dana").await;
    reporter
        .post(
            "comment/report",
            json!({"comment_id": comment_id, "reason": "insults"}),
        )
        .await
        .ok();
    let comment_reports = ann.get("comment/report/list").await.ok();
    assert_eq!(
        comment_reports["comment_reports"][0]["comment_report"]["original_comment_text"],
        "rude words"
    );
    let mut moderator = Browser::new(&a);
    moderator.get("/login").await;
    moderator
        .submit(
            "/login",
            &[("username", "ann"), ("password", common::api::PASSWORD)],
        )
        .await;
    let page = moderator.get("/reports").await;
    page.shows(&["insults", "rude words", "dana"]);
    let comment_report_id = comment_reports["comment_reports"][0]["comment_report"]["id"]
        .as_i64()
        .expect("id");
    let resolved = moderator
        .submit(
            &format!("/reports/{comment_report_id}/resolve"),
            &[("resolved", "1")],
        )
        .await;
    assert_eq!(resolved.status, 303);
    let open = ann
        .get("comment/report/list?unresolved_only=true")
        .await
        .ok();
    assert_eq!(open["comment_reports"].as_array().map(Vec::len), Some(0));
    let mut visitor = Browser::new(&a);
    assert_eq!(
        visitor.get("/reports").await.status,
        303,
        "visitors are sent to sign in"
    );
    a.stop().await;
    b.stop().await;
}

fn url_escape(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_moderation_is_refused() {
    let mut instances = start_instances(2).await;
    let b = instances.pop().expect("b");
    let a = instances.pop().expect("a");
    let ann = a.create_user("ann").await;
    let maps = a.create_community("maps", "Maps", Some(&ann)).await;
    let post = a.create_post(&ann, &maps, "Ann's post").await;
    let mallory = b.create_user("mallory").await;
    b.create_community("atlas", "Atlas", Some(&mallory)).await;
    let signer = b.person_signer("mallory").await;
    let inbox = a.url("/c/maps/inbox");
    let send = |activity: serde_json::Value| serde_json::to_vec(&activity).expect("json");

    // Mallory features a post of A's community, makes herself a moderator, bans ann.
    let forged = [
        json!({"id": b.url("/activities/add/1"), "type": "Add", "actor": mallory.ap_id,
               "object": post.ap_id, "target": a.url("/c/maps/featured"),
               "to": [PUBLIC], "cc": [maps.ap_id]}),
        json!({"id": b.url("/activities/add/2"), "type": "Add", "actor": mallory.ap_id,
               "object": mallory.ap_id, "target": a.url("/c/maps/moderators"),
               "to": [PUBLIC], "cc": [maps.ap_id]}),
        json!({"id": b.url("/activities/block/1"), "type": "Block", "actor": mallory.ap_id,
               "object": ann.ap_id, "target": maps.ap_id, "to": [PUBLIC], "cc": [maps.ap_id]}),
        // A site ban of someone of another instance.
        json!({"id": b.url("/activities/block/2"), "type": "Block", "actor": mallory.ap_id,
               "object": ann.ap_id, "target": b.url("/actor"), "to": [PUBLIC]}),
        json!({"id": b.url("/activities/block/3"), "type": "Block", "actor": mallory.ap_id,
               "object": ann.ap_id, "target": a.url("/actor"), "to": [PUBLIC]}),
    ];
    for activity in forged {
        let (status, error) = signed_post(&signer, &inbox, &send(activity.clone())).await;
        assert_eq!(status, 403, "{activity}: {error}");
    }
    // Her community relays a ban in A's community.
    let atlas = b.community_signer("atlas").await;
    let announce = json!({
        "id": b.url("/activities/announce/1"), "type": "Announce", "actor": b.url("/c/atlas"),
        "to": [PUBLIC],
        "object": {"id": b.url("/activities/block/4"), "type": "Block", "actor": mallory.ap_id,
                   "object": ann.ap_id, "target": maps.ap_id, "to": [PUBLIC], "cc": [maps.ap_id]},
    });
    let (status, error) = signed_post(&atlas, &a.url("/inbox"), &send(announce)).await;
    assert_eq!(status, 403, "{error}");

    let stored = a.post_by_ap_id(&post.ap_id).await.expect("post");
    assert!(!stored.featured);
    assert_eq!(moderator_names(&a, maps.id).await, vec!["ann".to_string()]);
    assert!(!banned_from(&a, maps.id, ann.id).await);
    assert!(!person_on(&a, &ann.ap_id).await.expect("ann").is_banned());
    assert_eq!(a.count_rows("modlog").await, 0);
    assert_eq!(a.count_rows("community_bans").await, 0);
    a.stop().await;
    b.stop().await;
}
