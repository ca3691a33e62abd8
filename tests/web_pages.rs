//! The web pages, as a browser sees them: what each page shows, what each form accepts and
//! refuses (with the message next to the field), CSRF protection, and that a page's
//! queries do not grow with its items.

mod common;

use common::{TestInstance, api::PASSWORD, web::Browser};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_reads_every_page() {
    let a = TestInstance::start().await;
    guild::service::demo::seed(&a.data, PASSWORD)
        .await
        .expect("demo content");
    let mut visitor = Browser::new(&a);

    let home = visitor.get("/").await;
    assert_eq!(home.status, 200);
    home.shows(&[
        "communities of practice",
        "How do you get past the blank page?",
        "Log in",
        "Sign up",
        r#"href="/style.css""#,
    ]);
    assert!(visitor.cookies.contains_key("csrf"), "a CSRF cookie is set");
    let directory = visitor.get("/communities").await;
    directory.shows(&[
        "Writing",
        "Mapping",
        "Public Speaking",
        "Event Planning",
        "members",
    ]);
    directory.shows(&["All topics", "Data &#38; maps", "Communication"]);
    let by_topic = visitor.get("/communities?topic=Data+%26+maps").await;
    by_topic.shows(&["Mapping", "Trend Analysis"]);
    assert!(
        !by_topic.contains("Public Speaking"),
        "the topic filter keeps other topics out"
    );
    let searched = visitor
        .get("/communities?q=projections+cartography+mapping")
        .await;
    assert_eq!(searched.status, 200);
    let community = visitor.get("/c/mapping").await;
    community.shows(&[
        "Mapping",
        "GIS",
        "!mapping@",
        "Projections compared",
        "Moderators",
        "Log in to join",
        "RSS feed",
    ]);
    let sorted = visitor.get("/c/mapping?sort=new&page=1").await;
    assert_eq!(sorted.status, 200);
    // The link just before the title.
    let before_title =
        &community.html[..community.html.find("Projections compared").expect("listed")];
    let post_href = before_title
        .rsplit("href=\"/post/")
        .next()
        .and_then(|rest| rest.split('"').next())
        .expect("a post link");
    let post = visitor.get(&format!("/post/{post_href}")).await;
    post.shows(&[
        "Projections compared",
        "Equal Earth",
        "Log in</a> to comment",
    ]);
    let person = visitor.get("/u/chidi").await;
    person.shows(&[
        "Chidi Mensah",
        "@chidi@",
        "GIS analyst",
        "Posts",
        "Comments",
    ]);
    visitor.get("/signup").await.shows(&["password_verify"]);
    visitor.get("/login").await.shows(&["current-password"]);
    let css = visitor.get("/style.css").await;
    assert!(css.content_type.starts_with("text/css"));
    assert!(css.contains("prefers-color-scheme: dark"));

    // Errors are pages in the same style.
    for path in [
        "/nowhere",
        "/c/nothing_here",
        "/post/999999",
        "/u/nobody",
        "/c/nothing@elsewhere.example",
    ] {
        let page = visitor.get(path).await;
        assert_eq!(page.status, 404, "{path}");
        page.shows(&["Not found", "/style.css"]);
    }
    let bad_sort = visitor.get("/?sort=sideways").await;
    assert_eq!(bad_sort.status, 400);
    bad_sort.shows(&["There is no sort"]);
    // Pages only for people signed in send visitors to the login page.
    for path in [
        "/settings",
        "/create_community",
        "/c/mapping/submit",
        "/admin",
    ] {
        let page = visitor.get(path).await;
        assert_eq!(
            (page.status, page.location.as_deref()),
            (303, Some("/login")),
            "{path}"
        );
    }

    // Feeds are RSS.
    let feed = visitor.get("/c/mapping/feed").await;
    assert!(feed.content_type.starts_with("application/rss+xml"));
    assert!(
        feed.contains("<rss") && feed.contains("Projections compared"),
        "{}",
        feed.html
    );
    let local = visitor.get("/feed").await;
    assert!(local.contains("<item>") && local.contains("Opening lines that worked"));

    // The ActivityPub document still answers at the same URL.
    let json = common::get_activity_json(&a.url("/c/mapping")).await;
    assert_eq!(json["type"], "Group");
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_run_the_same_queries_for_few_or_many_items() {
    let a = TestInstance::start().await;
    let alice = a.create_user("alice").await;
    let community = a.create_community("writing", "Writing", Some(&alice)).await;
    let post = |n: usize| guild::service::posts::PostInput {
        title: format!("Post {n}"),
        body: Some(format!("Body {n}")),
        ..Default::default()
    };
    let first = guild::service::posts::create_post(&a.data, &alice, &community, post(0))
        .await
        .expect("post");
    guild::service::comments::create_comment(&a.data, &alice, &first, None, "One comment")
        .await
        .expect("comment");
    let mut visitor = Browser::new(&a);
    visitor.sign_up("bob").await;
    let pages = [
        "/",
        "/?feed=all",
        "/c/writing",
        "/communities",
        "/u/alice",
        &format!("/post/{}", first.id),
    ];
    let mut few = Vec::new();
    for page in pages {
        few.push(visitor.get(page).await.queries.expect("counted"));
    }
    for n in 1..15 {
        let created = guild::service::posts::create_post(&a.data, &alice, &community, post(n))
            .await
            .expect("post");
        guild::service::comments::create_comment(&a.data, &alice, &created, None, "More")
            .await
            .expect("comment");
        guild::service::comments::create_comment(&a.data, &alice, &first, None, "And more")
            .await
            .expect("comment");
        a.create_community(&format!("circle_{n}"), &format!("Circle {n}"), Some(&alice))
            .await;
    }
    let mut many = Vec::new();
    for page in pages {
        let got = visitor.get(page).await;
        assert_eq!(got.status, 200, "{page}");
        many.push(got.queries.expect("counted"));
    }
    println!("queries per page (1 item / 15 items):");
    for ((page, few), many) in pages.iter().zip(&few).zip(&many) {
        println!("  {page:<14} {few:>3} {many:>3}");
    }
    assert_eq!(few, many, "a page's queries grew with its items");
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_refuse_bad_input_next_to_the_field() {
    let a = TestInstance::start().await;
    a.create_user("taken").await;
    let mut browser = Browser::new(&a);
    browser.get("/signup").await;

    let mismatch = browser
        .submit(
            "/signup",
            &[
                ("username", "newbie"),
                ("password", PASSWORD),
                ("password_verify", "other password"),
            ],
        )
        .await;
    assert_eq!(mismatch.status, 400);
    mismatch.shows(&[
        "The two passwords differ.",
        r#"id="password_verify-error""#,
        r#"value="newbie""#,
    ]);
    let short = browser
        .submit(
            "/signup",
            &[
                ("username", "newbie"),
                ("password", "short"),
                ("password_verify", "short"),
            ],
        )
        .await;
    short.shows(&["at least 10 characters", r#"id="password-error""#]);
    let taken = browser
        .submit(
            "/signup",
            &[
                ("username", "taken"),
                ("password", PASSWORD),
                ("password_verify", PASSWORD),
            ],
        )
        .await;
    taken.shows(&["is taken", r#"id="username-error""#]);
    let bad_name = browser
        .submit(
            "/signup",
            &[
                ("username", "no spaces please"),
                ("password", PASSWORD),
                ("password_verify", PASSWORD),
            ],
        )
        .await;
    bad_name.shows(&[r#"id="username-error""#]);
    assert_eq!(a.count_rows("people").await, 1);

    browser.sign_up("newbie").await;
    let bad_community = browser
        .submit("/create_community", &[("name", "Bad Name"), ("title", "")])
        .await;
    assert_eq!(bad_community.status, 400);
    bad_community.shows(&[r#"id="name-error""#]);
    let no_title = browser
        .submit("/create_community", &[("name", "speaking"), ("title", " ")])
        .await;
    no_title.shows(&[r#"id="title-error""#, r#"value="speaking""#]);
    let created = browser
        .submit(
            "/create_community",
            &[
                ("name", "speaking"),
                ("title", "Public Speaking"),
                ("description", "Talks and nerves."),
            ],
        )
        .await;
    assert_eq!(created.location.as_deref(), Some("/c/speaking"));
    let again = browser
        .submit(
            "/create_community",
            &[("name", "speaking"), ("title", "Again")],
        )
        .await;
    again.shows(&[r#"id="name-error""#]);

    let empty_title = browser
        .submit(
            "/c/speaking/submit",
            &[("title", ""), ("body", "text"), ("action", "submit")],
        )
        .await;
    assert_eq!(empty_title.status, 400);
    empty_title.shows(&[r#"id="title-error""#, "text</textarea>"]);
    let bad_link = browser
        .submit(
            "/c/speaking/submit",
            &[
                ("title", "Links"),
                ("url", "ftp://example.org/x"),
                ("action", "submit"),
            ],
        )
        .await;
    bad_link.shows(&[r#"id="url-error""#, "http or https"]);
    let preview = browser
        .submit(
            "/c/speaking/submit",
            &[
                ("title", "Draft"),
                ("body", "Some **bold** words"),
                ("action", "preview"),
            ],
        )
        .await;
    assert_eq!(preview.status, 200);
    preview.shows(&["Preview", "<strong>bold</strong>", r#"value="Draft""#]);
    assert_eq!(
        a.count_rows("posts").await,
        0,
        "preview and refusals store nothing"
    );

    // A form without the CSRF token, or with another one, is refused and changes nothing.
    let forged = browser
        .post_raw(
            "/create_community",
            &[("name", "forged"), ("title", "Forged")],
        )
        .await;
    assert_eq!(
        forged.status, 400,
        "a form without the csrf field is incomplete"
    );
    let forged = browser
        .post_raw(
            "/create_community",
            &[
                ("csrf", "0123456789abcdef0123456789abcdef0123456789abcdef"),
                ("name", "forged"),
                ("title", "Forged"),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);
    forged.shows(&["came from another site"]);
    let nul = browser
        .submit("/create_community", &[("name", "nul"), ("title", "a\0b")])
        .await;
    assert_eq!(nul.status, 400);
    assert_eq!(a.count_rows("communities").await, 1);
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_posts_comments_votes_edits_and_leaves() {
    let a = TestInstance::start().await;
    let mut ann = Browser::new(&a);
    ann.sign_up("ann").await;
    ann.submit(
        "/create_community",
        &[("name", "writing"), ("title", "Writing")],
    )
    .await;
    let mut bob = Browser::new(&a);
    bob.sign_up("bob").await;

    let joined = bob.submit("/c/writing/join", &[]).await;
    assert_eq!(joined.location.as_deref(), Some("/c/writing"));
    bob.get("/c/writing").await.shows(&["Leave", "1 member"]);
    let created = bob
        .submit(
            "/c/writing/submit",
            &[
                ("title", "Morning pages"),
                ("body", "Three pages, *every* day."),
                ("action", "submit"),
            ],
        )
        .await;
    let post_path = created.location.clone().expect("redirect to the post");
    let post = bob.get(&post_path).await;
    post.shows(&["Morning pages", "<em>every</em>", "Edit", "Delete"]);
    let home = bob.get("/").await;
    home.shows(&["Subscribed", "Morning pages"]);

    // Ann comments, Bob replies to her comment, Ann upvotes the post.
    let commented = ann
        .submit(&format!("{post_path}/comment"), &[("content", "I do two.")])
        .await;
    let anchor = commented.location.expect("redirect");
    let comment_id = anchor
        .split("#comment-")
        .nth(1)
        .expect("anchor")
        .to_string();
    bob.submit(
        &format!("{post_path}/comment"),
        &[("content", "Two is fine."), ("parent_id", &comment_id)],
    )
    .await;
    ann.submit(&format!("{post_path}/vote"), &[("score", "1")])
        .await;
    let page = ann.get(&post_path).await;
    page.shows(&[
        "I do two.",
        "Two is fine.",
        r#"aria-label="1 points""#,
        r#"aria-pressed="true""#,
        "--depth: 1",
    ]);
    assert!(
        !page.contains(r#"action="/post/1/edit""#) && !page.contains(&format!("{post_path}/edit")),
        "not Ann's to edit"
    );
    ann.submit(&format!("/comment/{comment_id}/vote"), &[("score", "-1")])
        .await;
    assert!(ann.get(&post_path).await.contains("-1 point"));

    // Only the author edits; the edit shows.
    let refused = ann.get(&format!("{post_path}/edit")).await;
    assert_eq!(refused.status, 403);
    let edited = bob
        .submit(
            &format!("{post_path}/edit"),
            &[
                ("title", "Morning pages, revisited"),
                ("body", "Three pages."),
                ("action", "submit"),
            ],
        )
        .await;
    assert_eq!(edited.status, 303);
    bob.get(&post_path)
        .await
        .shows(&["Morning pages, revisited", "edited"]);
    let comment_edit = ann
        .submit(
            &format!("/comment/{comment_id}/edit"),
            &[("content", "I do two, sometimes three.")],
        )
        .await;
    assert_eq!(comment_edit.status, 303);
    bob.get(&post_path).await.shows(&["sometimes three"]);
    let not_bobs = bob
        .submit(&format!("/comment/{comment_id}/delete"), &[])
        .await;
    assert_eq!(not_bobs.status, 403);
    ann.submit(&format!("/comment/{comment_id}/delete"), &[])
        .await;
    bob.get(&post_path)
        .await
        .shows(&["[deleted]", "Two is fine."]);

    // Settings: profile and password.
    let saved = bob
        .submit(
            "/settings",
            &[
                ("display_name", "Bob the Scribe"),
                ("bio", "Writes *daily*."),
            ],
        )
        .await;
    assert_eq!(saved.location.as_deref(), Some("/settings?saved=1"));
    bob.get("/u/bob")
        .await
        .shows(&["Bob the Scribe", "<em>daily</em>"]);
    let wrong = bob
        .submit(
            "/settings",
            &[
                ("old_password", "not it at all"),
                ("new_password", "a new passphrase"),
                ("new_password_verify", "a new passphrase"),
            ],
        )
        .await;
    wrong.shows(&[r#"id="old_password-error""#]);

    // Leaving, deleting, logging out.
    bob.submit("/c/writing/leave", &[]).await;
    bob.get("/c/writing").await.shows(&["Join", "0 members"]);
    bob.submit(&format!("{post_path}/delete"), &[]).await;
    bob.get(&post_path).await.shows(&["[deleted]"]);
    let out = bob.submit("/logout", &[]).await;
    assert_eq!(out.location.as_deref(), Some("/"));
    assert!(!bob.cookies.contains_key("jwt"));
    bob.get("/").await.shows(&["Log in"]);

    // Logging in again, with a wrong password first.
    let wrong = bob
        .submit(
            "/login",
            &[("username", "bob"), ("password", "wrong password")],
        )
        .await;
    assert_eq!(wrong.status, 401);
    wrong.shows(&["Wrong user name or password."]);
    let right = bob
        .submit(
            "/login",
            &[
                ("username", "bob"),
                ("password", PASSWORD),
                ("next", "/c/writing"),
            ],
        )
        .await;
    assert_eq!(right.location.as_deref(), Some("/c/writing"));
    let elsewhere = bob
        .submit(
            "/login",
            &[
                ("username", "bob"),
                ("password", PASSWORD),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(elsewhere.location.as_deref(), Some("/"), "no open redirect");
    let backslash = bob
        .submit(
            "/login",
            &[
                ("username", "bob"),
                ("password", PASSWORD),
                ("next", "/\\evil.example/"),
            ],
        )
        .await;
    assert_eq!(
        backslash.location.as_deref(),
        Some("/"),
        "browsers read /\\host as //host"
    );
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_page_runs_the_instance() {
    let a = TestInstance::start().await;
    a.create_admin("root_admin").await;
    let mut member = Browser::new(&a);
    member.sign_up("member").await;
    assert_eq!(member.get("/admin").await.status, 403);
    assert_eq!(
        member
            .submit(
                "/admin",
                &[("name", "Taken over"), ("registration_open", "1")]
            )
            .await
            .status,
        403
    );

    let mut admin = Browser::new(&a);
    admin.get("/login").await;
    admin
        .submit(
            "/login",
            &[("username", "root_admin"), ("password", PASSWORD)],
        )
        .await;
    let page = admin.get("/admin").await;
    page.shows(&[
        "Instance name",
        "Delivery to other instances",
        "Nothing has been sent",
    ]);
    let empty = admin
        .submit("/admin", &[("name", ""), ("description", "x")])
        .await;
    empty.shows(&[r#"id="name-error""#]);
    let saved = admin
        .submit(
            "/admin",
            &[
                ("name", "Practitioners United"),
                ("description", "Where practitioners meet."),
            ],
        )
        .await;
    assert_eq!(saved.location.as_deref(), Some("/admin?saved=1"));

    // Registration is now closed: the sign-up page says so and refuses.
    let mut visitor = Browser::new(&a);
    let home = visitor.get("/").await;
    home.shows(&["Practitioners United", "Where practitioners meet."]);
    visitor
        .get("/signup")
        .await
        .shows(&["Registration is closed"]);
    let refused = visitor
        .submit(
            "/signup",
            &[
                ("username", "latecomer"),
                ("password", PASSWORD),
                ("password_verify", PASSWORD),
            ],
        )
        .await;
    assert_eq!(refused.status, 403);
    let api = common::api::ApiClient::anonymous(&a).get("site").await.ok();
    assert_eq!(
        api["site_view"]["local_site"]["registration_mode"],
        "Closed"
    );

    // The delivery table lists a peer once something was queued for it.
    {
        let mut conn = a.conn().await;
        let sender = a.create_community("sender", "Sender", None).await;
        guild::db::deliveries::enqueue(
            &mut conn,
            a.url("/activities/x/1").as_str(),
            &sender.ap_id,
            "Announce",
            &serde_json::json!({"type": "Announce"}),
            &["http://127.0.0.1:9/inbox".to_string()],
        )
        .await
        .expect("enqueue");
    }
    admin
        .get("/admin")
        .await
        .shows(&["127.0.0.1:9", "<svg class=\"bars\""]);
    a.stop().await;
}
