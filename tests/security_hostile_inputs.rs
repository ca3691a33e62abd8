//! Hostile input against every door: the inbox, the client API, the web forms and the
//! outgoing fetcher. Each case must end in a 4xx or a clean refusal (or, for markup, in
//! harmless stored text), never a 5xx, and refusals must change nothing. Each test prints a
//! table of what every input got (run with `--nocapture`).

mod common;

use common::{
    TestInstance,
    api::{ApiClient, PASSWORD},
    signing::{Signer, signed_post},
    start_instances,
    web::Browser,
};
use serde_json::{Value, json};
use std::time::{Duration, SystemTime};

/// Every table a refused request could have written to.
const TABLES: [&str; 9] = [
    "people",
    "communities",
    "posts",
    "comments",
    "post_votes",
    "comment_votes",
    "community_follows",
    "received_activities",
    "notifications",
];

async fn snapshot(instance: &TestInstance) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in TABLES {
        counts.push(instance.count_rows(table).await);
    }
    counts
}

/// Whether `needle` occurs inside a tag of `html` (live markup), not as escaped text.
fn live(html: &str, needle: &str) -> bool {
    html.match_indices(needle).any(|(at, _)| {
        let before = &html[..at];
        match (before.rfind('<'), before.rfind('>')) {
            (Some(open), Some(close)) => open > close,
            (Some(_), None) => true,
            _ => false,
        }
    }) || (needle.starts_with('<') && html.contains(needle))
}

/// What each hostile input got, printed at the end and checked for 5xx.
#[derive(Default)]
struct Record {
    rows: Vec<(String, u16, String)>,
}

impl Record {
    fn note(&mut self, case: &str, status: u16, detail: impl Into<String>) {
        let detail: String = detail.into();
        self.rows
            .push((case.to_string(), status, detail.chars().take(90).collect()));
    }

    /// Prints the table and fails on any 5xx or any refusal that was not a 4xx.
    fn check(&self, title: &str) {
        println!("\n{title}:");
        for (case, status, detail) in &self.rows {
            println!("  {status}  {case:<58} {detail}");
        }
        let bad: Vec<_> = self
            .rows
            .iter()
            .filter(|(_, status, _)| *status >= 500 || *status == 0)
            .collect();
        assert!(bad.is_empty(), "5xx answers: {bad:?}");
    }
}

fn error_of(body: &Value) -> String {
    body["error"].as_str().unwrap_or_default().to_string()
}

fn page(id: &str, actor: &str, community: &str, name: &str, content: &str) -> Value {
    json!({
        "id": id, "type": "Page", "name": name, "content": content,
        "attributedTo": actor, "audience": community,
        "to": [community, "https://www.w3.org/ns/activitystreams#Public"],
    })
}

fn create(id: &str, actor: &str, community: &str, object: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": id, "type": "Create", "actor": actor,
        "to": [community, "https://www.w3.org/ns/activitystreams#Public"],
        "audience": community, "object": object,
    }))
    .expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inbox_refuses_hostile_activities() {
    let mut instances = start_instances(2).await;
    let b = instances.pop().expect("b");
    let a = instances.pop().expect("a");
    let ann = a.create_user("ann").await;
    let community = a.create_community("maps", "Maps", Some(&ann)).await;
    let anns_post = guild::service::posts::create_post(
        &a.data,
        &ann,
        &community,
        guild::service::posts::PostInput {
            title: "Ann's post".into(),
            body: Some("Original".into()),
            ..Default::default()
        },
    )
    .await
    .expect("post");
    let bob = b.create_user("bob").await;
    b.create_user("mallory").await;
    let inbox = a.url("/c/maps/inbox");
    let bob_signer = b.person_signer("bob").await;
    let c = community.ap_id.as_str();
    let bob_id = bob.ap_id.as_str();
    let id = |n: &str| b.url(&format!("/activities/hostile/{n}")).to_string();
    let mut record = Record::default();
    let before = snapshot(&a).await;

    let mut refused = |case: &str, (status, body): (reqwest::StatusCode, Value)| {
        record.note(case, status.as_u16(), error_of(&body));
        assert!(status.is_client_error(), "{case}: {status} {body}");
    };

    let plain = create(
        &id("1"),
        bob_id,
        c,
        page(&id("p1"), bob_id, c, "Hi", "<p>x</p>"),
    );
    let response = common::http()
        .post(inbox.as_str())
        .header("content-type", "application/activity+json")
        .body(plain.clone())
        .send()
        .await
        .expect("POST");
    let status = response.status();
    refused(
        "unsigned POST",
        (status, response.json().await.unwrap_or_default()),
    );

    let stranger = activitypub_federation::http_signatures::generate_actor_keypair().expect("key");
    let forged = Signer::new(format!("{bob_id}#main-key"), stranger.private_key);
    refused(
        "signature by a key that is not the actor's",
        signed_post(&forged, &inbox, &plain).await,
    );

    let mallory = b.person_signer("mallory").await;
    refused(
        "signed by mallory, actor bob",
        signed_post(&mallory, &inbox, &plain).await,
    );

    let mut stale = b.person_signer("bob").await;
    stale.date = SystemTime::now() - Duration::from_secs(3 * 3600);
    refused(
        "Date three hours old (replay)",
        signed_post(&stale, &inbox, &plain).await,
    );

    let mut headers = bob_signer.post_headers(&inbox, &plain);
    headers.insert(
        "digest",
        "SHA-256=bm90IHRoZSBkaWdlc3Q=".parse().expect("header"),
    );
    let response = common::http()
        .post(inbox.as_str())
        .headers(headers)
        .body(plain.clone())
        .send()
        .await
        .expect("POST");
    let status = response.status();
    refused(
        "Digest of another body",
        (status, response.json().await.unwrap_or_default()),
    );

    let spoofed_id = create(
        a.url("/activities/create/999").as_str(),
        bob_id,
        c,
        page(&id("p2"), bob_id, c, "Hi", "x"),
    );
    refused(
        "activity id on the receiver's host",
        signed_post(&bob_signer, &inbox, &spoofed_id).await,
    );

    let spoofed_object = create(
        &id("3"),
        bob_id,
        c,
        page(a.url("/post/999").as_str(), bob_id, c, "Hi", "x"),
    );
    refused(
        "object id on another host than its actor",
        signed_post(&bob_signer, &inbox, &spoofed_object).await,
    );

    let spoofed_author = create(
        &id("4"),
        bob_id,
        c,
        page(&id("p4"), &ann.ap_id, c, "By ann?", "x"),
    );
    refused(
        "object attributed to a local person",
        signed_post(&bob_signer, &inbox, &spoofed_author).await,
    );

    let foreign_announce = serde_json::to_vec(&json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": id("5"), "type": "Announce", "actor": bob_id, "to": [c],
        "object": create(&id("6"), bob_id, c, page(&id("p6"), bob_id, c, "Relayed", "x"))
            .iter().map(|b| *b as char).collect::<String>(),
    }))
    .expect("json");
    refused(
        "Announce by a person of content not theirs",
        signed_post(&bob_signer, &inbox, &foreign_announce).await,
    );

    let mut nested = String::new();
    for _ in 0..5_000 {
        nested.push_str("{\"a\":");
    }
    nested.push('1');
    for _ in 0..5_000 {
        nested.push('}');
    }
    refused(
        "JSON nested 5,000 deep",
        signed_post(&bob_signer, &inbox, nested.as_bytes()).await,
    );

    let huge_title = create(
        &id("7"),
        bob_id,
        c,
        page(&id("p7"), bob_id, c, &"T".repeat(600_000), "x"),
    );
    refused(
        "a 600 KB title",
        signed_post(&bob_signer, &inbox, &huge_title).await,
    );

    let mut too_big = plain.clone();
    too_big.extend(std::iter::repeat_n(b' ', 1_100_000));
    refused(
        "a body over 1 MiB",
        signed_post(&bob_signer, &inbox, &too_big).await,
    );

    refused(
        "not JSON",
        signed_post(&bob_signer, &inbox, b"<xml>hello</xml>").await,
    );

    let with_nul = create(
        &id("8"),
        bob_id,
        c,
        page(&id("p8"), bob_id, c, "a\u{0}b", "x"),
    );
    refused(
        "a NUL character in a name",
        signed_post(&bob_signer, &inbox, &with_nul).await,
    );

    let delete = serde_json::to_vec(&json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": id("9"), "type": "Delete", "actor": bob_id, "to": [c], "object": anns_post.ap_id,
    }))
    .expect("json");
    refused(
        "Delete of someone else's post",
        signed_post(&bob_signer, &inbox, &delete).await,
    );

    let update = serde_json::to_vec(&json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": id("10"), "type": "Update", "actor": bob_id, "to": [c],
        "object": page(&anns_post.ap_id, &ann.ap_id, c, "Hijacked", "x"),
    }))
    .expect("json");
    refused(
        "Update of someone else's post",
        signed_post(&bob_signer, &inbox, &update).await,
    );

    let file_key = Signer::new(
        "file:///etc/passwd#main-key",
        bob.private_key.clone().expect("key"),
    );
    refused(
        "keyId with a file: URL",
        signed_post(&file_key, &inbox, &plain).await,
    );

    let loop_server = redirect_loop_server().await;
    let loop_key = Signer::new(
        format!("{loop_server}actor#main-key"),
        bob.private_key.clone().expect("key"),
    );
    refused(
        "keyId whose actor URL redirects forever",
        signed_post(&loop_key, &inbox, &plain).await,
    );

    // Checking a signature stores the signer's actor (its key); nothing else may change.
    let mut after = snapshot(&a).await;
    assert!(
        after[0] <= before[0] + 2,
        "only bob and mallory were learnt"
    );
    after[0] = before[0];
    assert_eq!(after, before, "a refused activity changed the database");
    let post = a.post_by_ap_id(&anns_post.ap_id).await.expect("post");
    assert_eq!((post.title.as_str(), post.deleted), ("Ann's post", false));

    // Markup from a peer is accepted but stored harmless.
    let hostile_markup = "<p>hi<script>alert(1)</script><a href=\"javascript:alert(2)\">x</a>\
                          <img src=x onerror=\"alert(3)\"><iframe src=\"https://evil.example\"></iframe></p>";
    let markup = create(
        &id("11"),
        bob_id,
        c,
        page(&id("p11"), bob_id, c, "<b>Bold</b> title", hostile_markup),
    );
    let (status, body) = signed_post(&bob_signer, &inbox, &markup).await;
    record.note(
        "script, javascript: link, onerror, iframe in content",
        status.as_u16(),
        "accepted, sanitised",
    );
    assert!(status.is_success(), "{status} {body}");
    let stored = a.post_by_ap_id(&id("p11")).await.expect("stored");
    let html = stored.body_html.clone().unwrap_or_default();
    for bad in ["<script", "javascript:", "onerror", "<iframe"] {
        assert!(!live(&html, bad), "stored HTML kept {bad}: {html}");
    }
    let mut browser = Browser::new(&a);
    let shown = browser.get(&format!("/post/{}", stored.id)).await;
    assert!(
        !shown.contains("<b>Bold</b>") && !shown.contains("<script>alert"),
        "{}",
        shown.html
    );
    record.check("inbox");
    a.stop().await;
    b.stop().await;
}

/// A loopback server whose every path redirects to itself.
async fn redirect_loop_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    // By name: the federation library refuses IP-literal hosts before it would follow.
    let port = listener.local_addr().expect("addr").port();
    let base = format!("http://localhost:{port}/");
    let target = format!("{base}actor");
    let app = axum::Router::new().fallback(move || {
        let target = target.clone();
        async move { axum::response::Redirect::temporary(&target) }
    });
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    base
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_and_the_forms_refuse_hostile_input() {
    let a = TestInstance::start().await;
    let alice = ApiClient::register(&a, "alice").await;
    let community_id = alice.create_community("maps").await["community"]["id"]
        .as_i64()
        .expect("id");
    let post = alice.create_post(community_id, "A post", "Body").await;
    let post_id = post["post"]["id"].as_i64().expect("id");
    let mut record = Record::default();
    let anonymous = ApiClient::anonymous(&a);
    let before = snapshot(&a).await;

    // Tokens.
    let none_token = format!(
        "{}.{}.",
        base64_url(br#"{"alg":"none","typ":"JWT"}"#),
        base64_url(
            format!(
                r#"{{"sub":"1","iss":"{}","iat":0,"jti":"{}"}}"#,
                a.domain,
                uuid::Uuid::new_v4()
            )
            .as_bytes()
        )
    );
    for (case, token) in [
        ("JWT with alg none", none_token),
        ("JWT of another instance's secret", forged_jwt(&a.domain)),
        ("a token of 100 KB", "x".repeat(100_000)),
    ] {
        let client = ApiClient {
            base: a.base.clone(),
            token: Some(token),
        };
        let answer = client
            .post("community", json!({"name": "owned", "title": "Owned"}))
            .await;
        record.note(case, answer.status, error_of(&answer.body));
        assert!(
            matches!(answer.status, 400 | 401 | 431),
            "{case}: {}",
            answer.status
        );
    }

    // Names that look alike or hide characters.
    for (case, name) in [
        (
            "user name with Cyrillic а (homoglyph of admin)",
            "\u{430}dmin",
        ),
        ("user name with a right-to-left override", "ad\u{202e}nim"),
        ("user name with a zero-width joiner", "ad\u{200d}min"),
        ("user name that looks like SQL", "x'; DROP TABLE people; --"),
        ("user name with a path", "../../etc/passwd"),
    ] {
        let answer = anonymous
            .post(
                "user/register",
                json!({"username": name, "password": PASSWORD, "password_verify": PASSWORD}),
            )
            .await;
        record.note(case, answer.status, error_of(&answer.body));
        assert_eq!(answer.status, 400, "{case}");
    }

    // SQL-looking search: answered, nothing harmed.
    let answer = anonymous
        .get("search?q=%27%3B%20DROP%20TABLE%20posts%3B%20--")
        .await;
    record.note(
        "search for '; DROP TABLE posts; --",
        answer.status,
        "no match, tables intact",
    );
    assert_eq!(answer.status, 200);
    let answer = anonymous.get("search?q=%25%25%25_%5C").await;
    record.note("search for LIKE wildcards %%%_\\", answer.status, "");
    assert_eq!(answer.status, 200);

    // Numbers and sizes.
    for (case, path) in [
        ("post id beyond i64", "post?id=99999999999999999999"),
        ("limit 10^9", "post/list?limit=1000000000"),
        ("page -1", "post/list?page=-1"),
    ] {
        let answer = anonymous.get(path).await;
        record.note(case, answer.status, error_of(&answer.body));
        assert_eq!(answer.status, 400, "{case}");
    }
    let mut nested = String::new();
    for _ in 0..5_000 {
        nested.push('[');
    }
    for _ in 0..5_000 {
        nested.push(']');
    }
    let response = common::http()
        .post(alice.url("post"))
        .bearer_auth(alice.token.as_deref().expect("token"))
        .header("content-type", "application/json")
        .body(nested)
        .send()
        .await
        .expect("POST");
    record.note("API body nested 5,000 deep", response.status().as_u16(), "");
    assert!(response.status().is_client_error());
    let answer = alice
        .post(
            "post",
            json!({"name": "x".repeat(1_000_000), "community_id": community_id}),
        )
        .await;
    record.note("a 1 MB title", answer.status, error_of(&answer.body));
    assert!((400..500).contains(&answer.status));
    assert_eq!(
        snapshot(&a).await,
        before,
        "a refused API call changed the database"
    );

    // Markup in every text field: stored as the author wrote it, shown escaped or sanitised.
    let script = "<script>alert(1)</script>";
    let created = alice
        .post(
            "post",
            json!({"name": format!("Title {script}"), "community_id": community_id,
                   "body": format!("Body {script} [link](javascript:alert(2)) ![img](javascript:alert(3)) <img src=x onerror=alert(4)>")}),
        )
        .await
        .ok();
    let hostile_post = created["post_view"]["post"]["id"].as_i64().expect("id");
    alice
        .post("comment", json!({"post_id": post_id, "content": format!("Comment {script} <a href=\"javascript:alert(5)\">x</a>")}))
        .await
        .ok();
    alice
        .post("community", json!({"name": "hostile", "title": format!("Circle {script}"), "description": format!("About {script}")}))
        .await
        .ok();
    let mut browser = Browser::new(&a);
    browser.get("/login").await;
    browser
        .submit("/login", &[("username", "alice"), ("password", PASSWORD)])
        .await;
    browser
        .submit(
            "/settings",
            &[
                ("display_name", &format!("Al {script}")),
                ("bio", &format!("Bio {script}")),
            ],
        )
        .await;
    for (case, path) in [
        (
            "script, javascript: links, onerror in a post",
            format!("/post/{hostile_post}"),
        ),
        (
            "script and javascript: link in a comment",
            format!("/post/{post_id}"),
        ),
        (
            "script in a community title and description",
            "/c/hostile".to_string(),
        ),
        ("script in a display name and bio", "/u/alice".to_string()),
        (
            "the same, in the directory and the feed",
            "/communities".to_string(),
        ),
    ] {
        let shown = browser.get(&path).await;
        record.note(case, shown.status, "shown escaped or sanitised");
        assert_eq!(shown.status, 200, "{path}");
        for bad in ["<script>", "javascript:", "onerror"] {
            assert!(!live(&shown.html, bad), "{path} shows live {bad}");
        }
    }

    // Forms.
    let before = snapshot(&a).await;
    let no_csrf = browser
        .post_raw("/create_community", &[("name", "nocsrf"), ("title", "T")])
        .await;
    record.note("form without its CSRF field", no_csrf.status, "");
    assert_eq!(no_csrf.status, 400);
    let wrong = browser
        .post_raw(
            "/create_community",
            &[
                ("csrf", &"0".repeat(48)),
                ("name", "wrongcsrf"),
                ("title", "T"),
            ],
        )
        .await;
    record.note("form with another CSRF token", wrong.status, "");
    assert_eq!(wrong.status, 403);
    let big = "x".repeat(300 * 1024);
    let oversized = browser
        .submit("/create_community", &[("name", "big"), ("title", &big)])
        .await;
    record.note("a 300 KB form", oversized.status, "");
    assert_eq!(oversized.status, 400);
    let redirect = browser
        .submit(
            "/login",
            &[
                ("username", "alice"),
                ("password", PASSWORD),
                ("next", "https://evil.example/"),
            ],
        )
        .await;
    record.note(
        "login with next=https://evil.example/",
        redirect.status,
        redirect.location.clone().unwrap_or_default(),
    );
    assert_eq!(redirect.location.as_deref(), Some("/"));
    let mut other = Browser::new(&a);
    other.sign_up("mallory").await;
    let edit = other
        .submit(
            &format!("/post/{post_id}/edit"),
            &[("title", "Mine"), ("action", "submit")],
        )
        .await;
    record.note("editing someone else's post by form", edit.status, "");
    assert_eq!(edit.status, 403);
    // Mallory's account is the one change the forms made.
    let mut after = snapshot(&a).await;
    after[0] -= 1;
    assert_eq!(after, before, "a refused form changed the database");
    record.check("API and forms");
    a.stop().await;
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn forged_jwt(domain: &str) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &json!({"sub": "1", "iss": domain, "iat": 0, "jti": uuid::Uuid::new_v4()}),
        &jsonwebtoken::EncodingKey::from_secret(b"guessed secret"),
    )
    .expect("encode")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fetcher_refuses_hostile_targets() {
    let mut record = Record::default();
    // A server in production mode: no plain http, no loopback or private addresses.
    let strict =
        TestInstance::start_with(|settings| settings.allow_insecure_localhost = false).await;
    let alice = strict.create_user("alice").await;
    let _ = alice;
    for (case, target) in [
        ("fetch over plain http", "http://127.0.0.1:9/actor"),
        (
            "fetch of a loopback address over https",
            "https://127.0.0.1:9/actor",
        ),
        ("fetch of localhost by name", "https://localhost/actor"),
        ("fetch of the IPv6 loopback", "https://[::1]/actor"),
    ] {
        let result = guild::federation::resolve::resolve_object(target, &strict.data).await;
        record.note(
            case,
            if result.is_err() { 400 } else { 200 },
            result.err().map(|e| e.to_string()).unwrap_or_default(),
        );
    }
    assert!(
        record.rows.iter().all(|(_, status, _)| *status == 400),
        "a private target was fetched"
    );
    strict.stop().await;

    // In development mode loopback is allowed, but a redirect loop and an endless answer
    // still end cleanly.
    let dev = TestInstance::start().await;
    let looping = redirect_loop_server().await;
    let started = std::time::Instant::now();
    let result =
        guild::federation::resolve::resolve_object(&format!("{looping}actor"), &dev.data).await;
    record.note(
        "an actor URL that redirects to itself",
        if result.is_err() { 400 } else { 200 },
        format!("refused in {:?}", started.elapsed()),
    );
    assert!(result.is_err());
    let huge = huge_webfinger_server()
        .await
        .replace("127.0.0.1", "localhost");
    let result =
        guild::federation::resolve::resolve_actor(&format!("someone@{huge}"), &dev.data).await;
    let refused = result.is_err();
    record.note(
        "a WebFinger answer of 20 MB",
        if refused { 400 } else { 200 },
        result.err().map(|e| e.to_string()).unwrap_or_default(),
    );
    assert!(refused);
    record.check("fetcher");
    dev.stop().await;
}

/// A loopback server whose WebFinger answer never ends (20 MB of JSON-looking text).
async fn huge_webfinger_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let host = listener.local_addr().expect("addr").to_string();
    let app = axum::Router::new().fallback(|| async {
        let body = format!("{{\"subject\": \"{}\"}}", "x".repeat(20 * 1024 * 1024));
        ([("content-type", "application/jrd+json")], body)
    });
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    host
}
