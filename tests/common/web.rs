//! A browser without a browser: keeps cookies, asks for HTML, fills in the CSRF field of
//! forms, and does not follow redirects (tests check where they go).

use super::TestInstance;
use std::collections::BTreeMap;

pub struct Browser {
    pub base: url::Url,
    client: reqwest::Client,
    pub cookies: BTreeMap<String, String>,
}

/// A page as the browser got it.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub html: String,
    /// How many SQL statements the server ran for it.
    pub queries: Option<u32>,
    pub content_type: String,
}

impl Page {
    pub fn contains(&self, text: &str) -> bool {
        self.html.contains(text)
    }

    /// Asserts the page holds every one of `texts`.
    pub fn shows(&self, texts: &[&str]) -> &Page {
        for text in texts {
            assert!(
                self.html.contains(text),
                "the page ({}) lacks {text:?}:\n{}",
                self.status,
                self.html
            );
        }
        self
    }
}

impl Browser {
    pub fn new(instance: &TestInstance) -> Browser {
        guild::context::install_crypto_provider();
        Browser {
            base: instance.base.clone(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            cookies: BTreeMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn finish(&mut self, response: reqwest::Response) -> Page {
        for value in response.headers().get_all("set-cookie") {
            let Ok(value) = value.to_str() else { continue };
            let pair = value.split(';').next().unwrap_or_default();
            if let Some((name, cookie)) = pair.split_once('=') {
                let removed = cookie.is_empty() || value.to_ascii_lowercase().contains("max-age=0");
                if removed {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_string(), cookie.to_string());
                }
            }
        }
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let status = response.status().as_u16();
        let location = header("location");
        let queries = header("x-db-queries").and_then(|v| v.parse().ok());
        let content_type = header("content-type").unwrap_or_default();
        let html = response.text().await.expect("body");
        Page {
            status,
            location,
            html,
            queries,
            content_type,
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let url = self.base.join(path.trim_start_matches('/')).expect("url");
        let response = self
            .client
            .get(url)
            .header("accept", "text/html,application/xhtml+xml")
            .header("cookie", self.cookie_header())
            .send()
            .await
            .expect("GET");
        self.finish(response).await
    }

    /// The CSRF token this browser holds (it gets one with its first page).
    pub fn csrf(&self) -> String {
        self.cookies.get("csrf").cloned().unwrap_or_default()
    }

    /// Posts a form with the browser's CSRF token added.
    pub async fn submit(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.csrf();
        let mut all: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    /// Posts exactly these fields.
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let url = self.base.join(path.trim_start_matches('/')).expect("url");
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let response = self
            .client
            .post(url)
            .header("accept", "text/html")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", self.cookie_header())
            .body(body)
            .send()
            .await
            .expect("POST");
        self.finish(response).await
    }

    /// Signs up `name` (fetching a page first for the CSRF cookie) and stays signed in.
    pub async fn sign_up(&mut self, name: &str) {
        self.get("/signup").await;
        let page = self
            .submit(
                "/signup",
                &[
                    ("username", name),
                    ("password", super::api::PASSWORD),
                    ("password_verify", super::api::PASSWORD),
                ],
            )
            .await;
        assert_eq!(page.status, 303, "sign up: {}", page.html);
        assert!(self.cookies.contains_key("jwt"), "signed in");
    }
}
