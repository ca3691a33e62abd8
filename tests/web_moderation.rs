//! The moderators' and admins' pages: a community's moderation page (moderators, bans), the
//! feature button and featured posts first, reports filed from the post page, and the admin's
//! site bans and purges. Who may not see or use them is refused, and bad input changes
//! nothing.

mod common;

use common::{TestInstance, api::ApiClient, web::Browser};
use serde_json::json;

async fn signed_in(instance: &TestInstance, name: &str) -> Browser {
    let mut browser = Browser::new(instance);
    browser.get("/login").await;
    let page = browser
        .submit(
            "/login",
            &[("username", name), ("password", common::api::PASSWORD)],
        )
        .await;
    assert_eq!(page.status, 303, "login of {name}: {}", page.html);
    browser
}

async fn comment_count(instance: &TestInstance, post: &serde_json::Value) -> i32 {
    let ap_id = post["post"]["ap_id"].as_str().expect("ap_id");
    instance
        .post_by_ap_id(ap_id)
        .await
        .expect("post")
        .comment_count
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moderators_manage_their_community_from_the_web() {
    let a = TestInstance::start().await;
    let ann = ApiClient::register(&a, "ann").await;
    ApiClient::register(&a, "carl").await;
    let bob = ApiClient::register(&a, "bob").await;
    let community_id = ann.create_community("maps").await["community"]["id"]
        .as_i64()
        .expect("id");
    let older = ann.create_post(community_id, "Older post", "x").await;
    let newer = ann.create_post(community_id, "Newer post", "y").await;
    let older_id = older["post"]["id"].as_i64().expect("id");

    let mut moderator = signed_in(&a, "ann").await;
    let mut carl = signed_in(&a, "carl").await;
    let mut visitor = Browser::new(&a);
    assert_eq!(visitor.get("/c/maps/moderation").await.status, 303);
    assert_eq!(carl.get("/c/maps/moderation").await.status, 403);
    assert!(!carl.get("/c/maps").await.contains("Moderation tools"));
    moderator.get("/c/maps").await.shows(&["Moderation tools"]);
    moderator
        .get("/c/maps/moderation")
        .await
        .shows(&["Moderators", "ann", "Nobody is banned."]);

    // Featuring the older post puts it first on the community page (New order otherwise).
    assert_eq!(
        carl.submit(&format!("/post/{older_id}/feature"), &[("featured", "1")])
            .await
            .status,
        403
    );
    let featured = moderator
        .submit(&format!("/post/{older_id}/feature"), &[("featured", "1")])
        .await;
    assert_eq!(featured.status, 303);
    moderator
        .get(&format!("/post/{older_id}"))
        .await
        .shows(&["featured", "Unfeature (moderator)"]);
    let page = moderator.get("/c/maps?sort=new").await;
    let (first, second) = (
        page.html.find("Older post").expect("older listed"),
        page.html.find("Newer post").expect("newer listed"),
    );
    assert!(first < second, "the featured post comes first");
    assert!(newer["post"]["featured_community"] == false);

    // Carl becomes a moderator, then bob is banned for three days and cannot post.
    let added = moderator
        .submit("/c/maps/moderators", &[("person", "carl"), ("added", "1")])
        .await;
    assert_eq!(added.status, 303);
    assert_eq!(carl.get("/c/maps/moderation").await.status, 200);
    let bad_days = moderator
        .submit(
            "/c/maps/bans",
            &[("person", "bob"), ("ban", "1"), ("days", "soon")],
        )
        .await;
    assert_eq!(bad_days.status, 400);
    let unknown = moderator
        .submit("/c/maps/bans", &[("person", "nobody"), ("ban", "1")])
        .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(a.count_rows("community_bans").await, 0);
    // Bob's comment goes with the ban ("remove what they wrote"); the post's count follows.
    let bobs_comment = bob.create_comment(older_id, None, "buy now").await;
    assert_eq!(comment_count(&a, &older).await, 1);
    let banned = carl
        .submit(
            "/c/maps/bans",
            &[
                ("person", "bob"),
                ("ban", "1"),
                ("reason", "flooding"),
                ("days", "3"),
                ("remove_content", "1"),
            ],
        )
        .await;
    assert_eq!(banned.status, 303);
    assert_eq!(
        comment_count(&a, &older).await,
        0,
        "the removed comment left the count"
    );
    let removed_ap_id = bobs_comment["comment"]["ap_id"].as_str().expect("ap_id");
    assert!(
        a.comment_by_ap_id(removed_ap_id)
            .await
            .expect("kept")
            .removed
    );
    moderator
        .get("/c/maps/moderation")
        .await
        .shows(&["bob", "flooding", "Lift the ban"]);
    bob.post(
        "post",
        json!({"name": "Am I back?", "community_id": community_id}),
    )
    .await
    .refused(403, "forbidden");
    moderator
        .submit("/c/maps/bans", &[("person", "bob"), ("ban", "0")])
        .await;
    bob.create_post(community_id, "Back again", "hello").await;
    // Moderators cannot be banned.
    let refused = moderator
        .submit("/c/maps/bans", &[("person", "carl"), ("ban", "1")])
        .await;
    assert_eq!(refused.status, 403);

    // A report from the post page lands in the moderators' queue.
    let mut bob_web = signed_in(&a, "bob").await;
    let reported = bob_web
        .submit(
            &format!("/post/{older_id}/report"),
            &[("reason", "outdated map")],
        )
        .await;
    assert_eq!(reported.status, 303);
    let empty_reason = bob_web
        .submit(&format!("/post/{older_id}/report"), &[("reason", " ")])
        .await;
    assert_eq!(empty_reason.status, 400);
    carl.get("/reports")
        .await
        .shows(&["outdated map", "Older post"]);
    assert!(!bob_web.get("/reports").await.contains("outdated map"));
    moderator.get("/modlog").await.shows(&[
        "featured a post",
        "made someone a moderator",
        "flooding",
        "until",
    ]);
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_ban_and_purge_from_the_admin_page() {
    let a = TestInstance::start().await;
    a.create_admin("root").await;
    let ann = ApiClient::register(&a, "ann").await;
    let dana = ApiClient::register(&a, "dana").await;
    let community_id = ann.create_community("maps").await["community"]["id"]
        .as_i64()
        .expect("id");
    dana.create_post(community_id, "Dana's post", "text").await;

    let mut admin = signed_in(&a, "root").await;
    let mut ann_web = signed_in(&a, "ann").await;
    admin
        .get("/admin")
        .await
        .shows(&["Site bans and purges", "Nobody is banned."]);
    // Not an admin: refused, nothing changes.
    assert_eq!(
        ann_web
            .submit("/admin/bans", &[("person", "dana"), ("ban", "1")])
            .await
            .status,
        403
    );
    assert_eq!(
        ann_web
            .submit("/admin/purge", &[("kind", "person"), ("name", "dana")])
            .await
            .status,
        403
    );
    // Admins cannot be banned.
    assert_eq!(
        admin
            .submit("/admin/bans", &[("person", "root"), ("ban", "1")])
            .await
            .status,
        403
    );

    let banned = admin
        .submit(
            "/admin/bans",
            &[("person", "ann"), ("ban", "1"), ("reason", "spam ring")],
        )
        .await;
    assert_eq!(banned.status, 303);
    admin.get("/admin").await.shows(&["ann", "permanent"]);
    // Her session is over, and she cannot sign in again.
    assert_eq!(ann_web.get("/settings").await.status, 303);
    let mut again = Browser::new(&a);
    again.get("/login").await;
    let refused = again
        .submit(
            "/login",
            &[("username", "ann"), ("password", common::api::PASSWORD)],
        )
        .await;
    assert_ne!(refused.status, 303, "a banned person cannot sign in");
    admin
        .submit("/admin/bans", &[("person", "ann"), ("ban", "0")])
        .await;
    signed_in(&a, "ann").await;

    // Purges: a person goes with their post; a local community cannot be purged.
    let purged = admin
        .submit(
            "/admin/purge",
            &[("kind", "person"), ("name", "dana"), ("reason", "bot")],
        )
        .await;
    assert_eq!(purged.status, 303);
    assert_eq!(a.count_rows("posts").await, 0);
    let local = admin
        .submit("/admin/purge", &[("kind", "community"), ("name", "maps")])
        .await;
    assert_eq!(local.status, 403);
    let odd = admin
        .submit("/admin/purge", &[("kind", "planet"), ("name", "maps")])
        .await;
    assert_eq!(odd.status, 400);
    admin.get("/modlog").await.shows(&[
        "banned someone from the site",
        "spam ring",
        "purged a person",
        "dana",
    ]);
    a.stop().await;
}
