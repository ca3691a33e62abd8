//! A small client of Guild's Lemmy-compatible API, as an app would use it.

use super::{TestInstance, http};
use serde_json::{Value, json};

pub const PASSWORD: &str = "correct horse battery";

/// An app talking to one instance, signed in or not.
#[derive(Clone)]
pub struct ApiClient {
    pub base: url::Url,
    pub token: Option<String>,
}

/// An answer: its status and its JSON body (`Null` when the body is not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    /// The body of a 200 answer; panics with the body otherwise.
    pub fn ok(self) -> Value {
        assert_eq!(
            self.status, 200,
            "expected 200, got {}: {}",
            self.status, self.body
        );
        self.body
    }

    /// Checks a refusal: its status and Lemmy's error name.
    pub fn refused(&self, status: u16, error: &str) {
        assert_eq!(
            (self.status, self.body["error"].as_str()),
            (status, Some(error)),
            "unexpected answer: {}",
            self.body
        );
    }
}

impl ApiClient {
    pub fn anonymous(instance: &TestInstance) -> ApiClient {
        ApiClient {
            base: instance.base.clone(),
            token: None,
        }
    }

    /// Registers `name` with the test password and signs in with the token it answers.
    pub async fn register(instance: &TestInstance, name: &str) -> ApiClient {
        let mut client = ApiClient::anonymous(instance);
        let body = client
            .post(
                "user/register",
                json!({"username": name, "password": PASSWORD, "password_verify": PASSWORD}),
            )
            .await
            .ok();
        client.token = Some(body["jwt"].as_str().expect("a token").to_string());
        client
    }

    /// Signs in as `name`, whose password is the test password.
    pub async fn login(instance: &TestInstance, name: &str) -> ApiClient {
        ApiClient::login_with(instance, name, PASSWORD).await
    }

    pub async fn login_with(instance: &TestInstance, name: &str, password: &str) -> ApiClient {
        let mut client = ApiClient::anonymous(instance);
        let body = client
            .post(
                "user/login",
                json!({"username_or_email": name, "password": password}),
            )
            .await
            .ok();
        client.token = Some(body["jwt"].as_str().expect("a token").to_string());
        client
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}api/v3/{path}", self.base)
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let request = match &self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        };
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        Answer {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(http().get(self.url(path))).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(http().post(self.url(path)).json(&body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Answer {
        self.send(http().put(self.url(path)).json(&body)).await
    }

    /// The id of the signed-in person.
    pub async fn my_id(&self) -> i64 {
        let site = self.get("site").await.ok();
        site["my_user"]["local_user_view"]["person"]["id"]
            .as_i64()
            .expect("signed in")
    }

    pub async fn create_community(&self, name: &str) -> Value {
        self.post(
            "community",
            json!({"name": name, "title": format!("The {name} circle")}),
        )
        .await
        .ok()["community_view"]
            .clone()
    }

    pub async fn create_post(&self, community_id: i64, title: &str, body: &str) -> Value {
        self.post(
            "post",
            json!({"name": title, "community_id": community_id, "body": body}),
        )
        .await
        .ok()["post_view"]
            .clone()
    }

    pub async fn create_comment(&self, post_id: i64, parent_id: Option<i64>, text: &str) -> Value {
        self.post(
            "comment",
            json!({"post_id": post_id, "parent_id": parent_id, "content": text}),
        )
        .await
        .ok()["comment_view"]
            .clone()
    }
}
