//! Accounts through the Lemmy-compatible API: registering, signing in with a token (header
//! or cookie), signing out, changing the password, and the refusals of each.

mod common;

use common::{
    TestInstance,
    api::{ApiClient, PASSWORD},
    http,
};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_login_and_logout() {
    let a = TestInstance::start().await;
    let anonymous = ApiClient::anonymous(&a);
    let alice = ApiClient::register(&a, "alice").await;

    // The token signs in: GET site shows who is asking.
    let site = alice.get("site").await.ok();
    assert_eq!(
        site["my_user"]["local_user_view"]["person"]["name"],
        "alice"
    );
    assert_eq!(
        site["my_user"]["local_user_view"]["local_user"]["admin"],
        false
    );
    assert_eq!(site["site_view"]["local_site"]["registration_mode"], "Open");
    assert_eq!(site["site_view"]["counts"]["users"], 1);
    assert!(anonymous.get("site").await.ok()["my_user"].is_null());

    // Login answers a second, independent token, also set as the `jwt` cookie.
    let response = http()
        .post(anonymous.url("user/login"))
        .json(&json!({"username_or_email": "Alice", "password": PASSWORD}))
        .send()
        .await
        .expect("login");
    assert_eq!(response.status(), 200);
    let cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("a cookie")
        .to_string();
    assert!(
        cookie.starts_with("jwt=") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    let body: serde_json::Value = response.json().await.expect("json");
    let second_token = body["jwt"].as_str().expect("token").to_string();
    assert_ne!(Some(&second_token), alice.token.as_ref());

    // The cookie alone signs in, as a browser would.
    let cookie_pair = cookie.split(';').next().expect("pair").to_string();
    let site: serde_json::Value = http()
        .get(anonymous.url("site"))
        .header("cookie", &cookie_pair)
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("json");
    assert_eq!(
        site["my_user"]["local_user_view"]["person"]["name"],
        "alice"
    );

    // Logout ends that login only; the first token still works.
    let second = ApiClient {
        base: a.base.clone(),
        token: Some(second_token),
    };
    let logout = second.post("user/logout", json!({})).await;
    assert_eq!(logout.body["success"], true, "{:?}", logout);
    second
        .post("community", json!({"name": "writing", "title": "Writing"}))
        .await
        .refused(401, "not_logged_in");
    second
        .post("user/logout", json!({}))
        .await
        .refused(401, "not_logged_in");
    assert!(second.get("site").await.ok()["my_user"].is_null());
    alice
        .post("community", json!({"name": "writing", "title": "Writing"}))
        .await
        .ok();
    assert_eq!(a.count_rows("login_tokens").await, 1);
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_registrations_are_refused_and_store_nothing() {
    let a = TestInstance::start().await;
    let anonymous = ApiClient::anonymous(&a);
    let register = |name: &str, password: &str, verify: &str| {
        let body = json!({"username": name, "password": password, "password_verify": verify});
        let anonymous = anonymous.clone();
        async move { anonymous.post("user/register", body).await }
    };
    register("bob", PASSWORD, "something else")
        .await
        .refused(400, "passwords_dont_match");
    register("bob", "short", "short")
        .await
        .refused(400, "invalid_input");
    register("b", PASSWORD, PASSWORD)
        .await
        .refused(400, "invalid_input");
    register("bob smith", PASSWORD, PASSWORD)
        .await
        .refused(400, "invalid_input");
    register("bob", PASSWORD, PASSWORD).await.ok();
    register("bob", PASSWORD, PASSWORD)
        .await
        .refused(409, "user_already_exists");
    register("BOB", PASSWORD, PASSWORD)
        .await
        .refused(409, "user_already_exists");
    // Malformed and incomplete bodies.
    let raw = http()
        .post(anonymous.url("user/register"))
        .header("content-type", "application/json")
        .body("{\"username\": ")
        .send()
        .await
        .expect("POST");
    assert_eq!(raw.status(), 400);
    let body: serde_json::Value = raw.json().await.expect("json error");
    assert_eq!(body["error"], "invalid_input");
    anonymous
        .post("user/register", json!({"username": "carol"}))
        .await
        .refused(400, "invalid_input");
    // Just over the 2 MiB limit: the server reads it through and answers 413
    // (tests/oversized_bodies.rs sends such bodies slowly).
    let huge = "x".repeat(1_100_000);
    anonymous
        .post(
            "user/register",
            json!({"username": "dave", "password": huge, "password_verify": huge}),
        )
        .await
        .refused(413, "invalid_input");
    assert_eq!(a.count_rows("people").await, 1);
    a.stop().await;

    let closed = TestInstance::start_with(|settings| settings.registration_open = false).await;
    ApiClient::anonymous(&closed)
        .post(
            "user/register",
            json!({"username": "erin", "password": PASSWORD, "password_verify": PASSWORD}),
        )
        .await
        .refused(403, "registration_closed");
    let site = ApiClient::anonymous(&closed).get("site").await.ok();
    assert_eq!(
        site["site_view"]["local_site"]["registration_mode"],
        "Closed"
    );
    assert_eq!(closed.count_rows("people").await, 0);
    closed.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_and_forged_tokens_are_refused() {
    let a = TestInstance::start().await;
    let anonymous = ApiClient::anonymous(&a);
    ApiClient::register(&a, "alice").await;
    let login = |name: &str, password: &str| {
        let body = json!({"username_or_email": name, "password": password});
        let anonymous = anonymous.clone();
        async move { anonymous.post("user/login", body).await }
    };
    login("alice", "not the password")
        .await
        .refused(401, "incorrect_login");
    login("nobody", PASSWORD)
        .await
        .refused(401, "incorrect_login");

    // A token signed with another secret, one with a login id that never existed, and
    // garbage: all anonymous for reading, 401 for writing.
    let forged = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &json!({"sub": "1", "iss": a.domain, "iat": 0, "jti": uuid::Uuid::new_v4()}),
        &jsonwebtoken::EncodingKey::from_secret(b"not the instance's secret"),
    )
    .expect("encode");
    for token in [forged, "garbage".to_string()] {
        let client = ApiClient {
            base: a.base.clone(),
            token: Some(token),
        };
        assert!(client.get("site").await.ok()["my_user"].is_null());
        client
            .post("community", json!({"name": "forged", "title": "Forged"}))
            .await
            .refused(401, "not_logged_in");
    }
    assert_eq!(a.count_rows("communities").await, 0);
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_attempts_are_rate_limited_per_account_and_address() {
    let a = TestInstance::start().await;
    let anonymous = ApiClient::anonymous(&a);
    ApiClient::register(&a, "alice").await;
    ApiClient::register(&a, "bob").await;
    let login = |name: &'static str, password: &'static str| {
        let anonymous = anonymous.clone();
        async move {
            anonymous
                .post(
                    "user/login",
                    json!({"username_or_email": name, "password": password}),
                )
                .await
        }
    };
    let mut refused = 0;
    for _ in 0..10 {
        let answer = login("alice", "guess guess guess").await;
        assert_eq!(answer.status, 401, "{:?}", answer);
        refused += 1;
    }
    assert_eq!(refused, 10);
    // The eleventh attempt is refused before the password is even checked, right or not.
    login("alice", PASSWORD)
        .await
        .refused(429, "rate_limit_error");
    // The address has used up its attempts too (every test client is 127.0.0.1).
    login("bob", PASSWORD)
        .await
        .refused(429, "rate_limit_error");
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changing_the_password_ends_every_login() {
    let a = TestInstance::start().await;
    let alice = ApiClient::register(&a, "alice").await;
    let new_password = "a much better passphrase";
    alice
        .put(
            "user/change_password",
            json!({"old_password": "wrong old password", "new_password": new_password, "new_password_verify": new_password}),
        )
        .await
        .refused(401, "incorrect_login");
    alice
        .put(
            "user/change_password",
            json!({"old_password": PASSWORD, "new_password": new_password, "new_password_verify": "typo"}),
        )
        .await
        .refused(400, "passwords_dont_match");
    alice
        .put(
            "user/change_password",
            json!({"old_password": PASSWORD, "new_password": "short", "new_password_verify": "short"}),
        )
        .await
        .refused(400, "invalid_input");
    let answer = alice
        .put(
            "user/change_password",
            json!({"old_password": PASSWORD, "new_password": new_password, "new_password_verify": new_password}),
        )
        .await
        .ok();
    let fresh = ApiClient {
        base: a.base.clone(),
        token: Some(answer["jwt"].as_str().expect("new token").to_string()),
    };
    assert!(
        alice.get("site").await.ok()["my_user"].is_null(),
        "the old token is dead"
    );
    assert_eq!(
        fresh.get("site").await.ok()["my_user"]["local_user_view"]["person"]["name"],
        "alice"
    );
    let anonymous = ApiClient::anonymous(&a);
    anonymous
        .post(
            "user/login",
            json!({"username_or_email": "alice", "password": PASSWORD}),
        )
        .await
        .refused(401, "incorrect_login");
    anonymous
        .post(
            "user/login",
            json!({"username_or_email": "alice", "password": new_password}),
        )
        .await
        .ok();
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_from_the_command_line_signs_in_as_admin() {
    let a = TestInstance::start().await;
    a.create_admin("root_admin").await;
    let anonymous = ApiClient::anonymous(&a);
    let site = anonymous.get("site").await.ok();
    assert_eq!(site["admins"][0]["person"]["name"], "root_admin");
    assert_eq!(site["admins"][0]["is_admin"], true);
    let token = anonymous
        .post(
            "user/login",
            json!({"username_or_email": "root_admin", "password": PASSWORD}),
        )
        .await
        .ok()["jwt"]
        .as_str()
        .expect("token")
        .to_string();
    let admin = ApiClient {
        base: a.base.clone(),
        token: Some(token),
    };
    let site = admin.get("site").await.ok();
    assert_eq!(
        site["my_user"]["local_user_view"]["local_user"]["admin"],
        true
    );
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_describes_itself_and_refuses_unknown_calls() {
    let a = TestInstance::start().await;
    let anonymous = ApiClient::anonymous(&a);
    let spec = anonymous.get("openapi.json").await.ok();
    assert!(spec["openapi"].as_str().expect("version").starts_with("3."));
    for path in [
        "/api/v3/site",
        "/api/v3/user/login",
        "/api/v3/post/list",
        "/api/v3/comment/like",
        "/api/v3/resolve_object",
    ] {
        assert!(spec["paths"][path].is_object(), "{path} is described");
    }
    assert!(spec["components"]["schemas"]["ApiPostView"].is_object());
    anonymous
        .get("private_message/list")
        .await
        .refused(404, "unknown_endpoint");
    anonymous
        .get("post/list?limit=banana")
        .await
        .refused(400, "invalid_input");
    a.stop().await;
}
