//! A small Mastodon-shaped peer for tests: it serves a `Person` (alice) with WebFinger and her
//! statuses, signs what it sends the way Mastodon does, and checks what it receives the way
//! Mastodon 4.2 does (the facts are in `docs/federation.md`, section "Mastodon"):
//! - every POST must carry a draft-cavage signature by the activity's actor, covering
//!   `(request-target)` (or `digest`) and `date`, with a matching SHA-256 `Digest`, dated
//!   within Mastodon's window;
//! - an `Accept` must name alice's Follow, by id or embedded;
//! - an `Announce` is taken only when its object can be fetched by id with an ActivityPub
//!   content type, the document's id equals the URL, and its host is its author's host.
//!
//! It records everything it took and refused, for tests to assert on.

use super::signing::Signer;
use axum::{
    Router,
    body::Bytes,
    extract::{Path, Query, State},
    http::{HeaderMap, Method, StatusCode, Uri},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use base64::{Engine, engine::general_purpose::STANDARD as BASE64};
use rsa::{Pkcs1v15Sign, RsaPublicKey, pkcs8::DecodePublicKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime},
};
use tokio::task::JoinHandle;
use url::Url;

const AS_PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/mastodon");

/// A boost the peer took: the Announce's id and the status it boosts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Boost {
    pub announce_id: String,
    pub object_id: String,
    pub public: bool,
}

#[derive(Debug, Default)]
pub struct PeerState {
    /// Alice's statuses, served at their ids.
    pub statuses: HashMap<String, Value>,
    /// Follows sent, by id, waiting for an Accept.
    pub pending_follows: HashMap<String, String>,
    pub accepted_follows: Vec<String>,
    /// Every activity taken, in order.
    pub received: Vec<Value>,
    /// Why requests were refused.
    pub refused: Vec<String>,
    pub boosts: Vec<Boost>,
    pub undone_boosts: Vec<String>,
    /// When set, alice's actor is served only to signed GETs (authorized fetch).
    pub require_signed_fetch: bool,
    /// The keyIds of the signed GETs the peer answered.
    pub signed_fetches: Vec<String>,
    /// Only count what arrives (for load tests): no fetching of announced objects.
    pub count_only: bool,
    /// How many times each activity id was POSTed here.
    pub deliveries_by_id: HashMap<String, u32>,
    /// While set and in the future, every POST is answered 429 with `Retry-After` seconds.
    pub throttle: Option<(std::time::Instant, u64)>,
    /// POSTs answered 429.
    pub throttled: u32,
    /// Keys already fetched: keyId → (PEM, owner).
    pub keys: HashMap<String, (String, String)>,
    /// GETs of statuses answered.
    pub status_fetches: u32,
    /// Alice's display name, when set (the fixture's otherwise).
    pub display_name: Option<String>,
}

#[derive(Clone)]
struct Shared {
    base: Url,
    public_key_pem: String,
    state: Arc<Mutex<PeerState>>,
}

pub struct MastodonPeer {
    pub base: Url,
    /// `host:port`.
    pub host: String,
    pub actor: Url,
    pub signer: Signer,
    pub state: Arc<Mutex<PeerState>>,
    task: JoinHandle<()>,
}

impl MastodonPeer {
    pub async fn start() -> MastodonPeer {
        let (listener, host) = super::listen().await;
        let base = Url::parse(&format!("http://{host}/")).expect("URL");
        let keys = activitypub_federation::http_signatures::generate_actor_keypair().expect("keys");
        let state = Arc::new(Mutex::new(PeerState::default()));
        let shared = Shared {
            base: base.clone(),
            public_key_pem: keys.public_key.clone(),
            state: state.clone(),
        };
        let app = Router::new()
            .route("/.well-known/webfinger", get(webfinger))
            .route("/users/alice", get(actor))
            .route("/users/alice/statuses/{id}", get(status))
            .route("/inbox", post(inbox))
            .route("/users/alice/inbox", post(inbox))
            .with_state(shared);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let actor = base.join("users/alice").expect("URL");
        MastodonPeer {
            signer: Signer::new(format!("{actor}#main-key"), keys.private_key),
            base,
            host,
            actor,
            state,
            task,
        }
    }

    pub fn stop(self) {
        self.task.abort();
    }

    pub fn state(&self) -> std::sync::MutexGuard<'_, PeerState> {
        self.state.lock().expect("peer state")
    }

    fn fill(&self, fixture: &str, values: &[(&str, String)]) -> Value {
        let mut text = std::fs::read_to_string(format!("{FIXTURES}/{fixture}")).expect("fixture");
        let base = self.base.as_str().trim_end_matches('/').to_string();
        let mut all: Vec<(&str, String)> = vec![("BASE", base), ("HOST", self.host.clone())];
        all.extend(values.iter().cloned());
        for (name, value) in all {
            text = text.replace(&format!("{{{{{name}}}}}"), &value);
        }
        serde_json::from_str(&text).expect("fixture is JSON once filled")
    }

    async fn send(&self, inbox: &Url, activity: &Value) -> reqwest::StatusCode {
        let body = serde_json::to_vec(activity).expect("JSON");
        super::signing::signed_post(&self.signer, inbox, &body)
            .await
            .0
    }

    /// Alice follows a group; returns the Follow's id.
    pub async fn follow(&self, group: &Url, group_inbox: &Url) -> String {
        let follow = self.fill(
            "follow.json",
            &[
                ("UUID", uuid::Uuid::new_v4().to_string()),
                ("GROUP", group.to_string()),
            ],
        );
        let id = follow["id"].as_str().expect("id").to_string();
        self.state()
            .pending_follows
            .insert(id.clone(), group.to_string());
        let status = self.send(group_inbox, &follow).await;
        assert!(status.is_success(), "Follow answered {status}");
        id
    }

    fn new_status_id(&self) -> String {
        (100 + self.state().statuses.len()).to_string()
    }

    /// Alice posts a public note that mentions a group, delivered to `inbox` (the group
    /// server's shared inbox). Returns the note's id.
    pub async fn mention(&self, group: &Value, inbox: &Url, text: &str) -> String {
        let group_id = Url::parse(group["id"].as_str().expect("group id")).expect("URL");
        let status = self.new_status_id();
        let note = self.fill(
            "note-mention.json",
            &[
                ("STATUS", status),
                ("NOW", chrono::Utc::now().to_rfc3339()),
                ("GROUP", group_id.to_string()),
                (
                    "GROUP_FOLLOWERS",
                    group["followers"].as_str().unwrap_or_default().to_string(),
                ),
                (
                    "GROUP_URL",
                    group["url"].as_str().unwrap_or_default().to_string(),
                ),
                (
                    "GROUP_NAME",
                    group["preferredUsername"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                ),
                ("GROUP_HOST", super::host_and_port(&group_id)),
                ("TEXT", text.to_string()),
            ],
        );
        self.publish(note, inbox).await
    }

    /// Alice replies to a post or comment, delivered (as Mastodon does) to the replied-to
    /// author's shared inbox. Returns the reply's id.
    pub async fn reply(
        &self,
        in_reply_to: &str,
        author: &Value,
        inbox: &Url,
        text: &str,
    ) -> String {
        let status = self.new_status_id();
        let note = self.fill(
            "note-reply.json",
            &[
                ("STATUS", status),
                ("NOW", chrono::Utc::now().to_rfc3339()),
                ("IN_REPLY_TO", in_reply_to.to_string()),
                (
                    "REPLIED_AUTHOR",
                    author["id"].as_str().unwrap_or_default().to_string(),
                ),
                (
                    "REPLIED_NAME",
                    author["preferredUsername"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                ),
                ("TEXT", text.to_string()),
            ],
        );
        self.publish(note, inbox).await
    }

    /// Stores `length` statuses of alice, each replying to the next and the last to
    /// `ends_at`, as a hostile server could serve without end; returns the first one's id.
    /// Nothing is sent.
    pub fn reply_chain(&self, length: usize, ends_at: &str, author: &Value) -> String {
        let first = self.state().statuses.len() + 100;
        for n in 0..length {
            let status = (first + n).to_string();
            let in_reply_to = if n + 1 == length {
                ends_at.to_string()
            } else {
                self.base
                    .join(&format!("users/alice/statuses/{}", first + n + 1))
                    .expect("URL")
                    .to_string()
            };
            let note = self.fill(
                "note-reply.json",
                &[
                    ("STATUS", status.clone()),
                    ("NOW", chrono::Utc::now().to_rfc3339()),
                    ("IN_REPLY_TO", in_reply_to),
                    (
                        "REPLIED_AUTHOR",
                        author["id"].as_str().unwrap_or_default().to_string(),
                    ),
                    ("REPLIED_NAME", "someone".to_string()),
                    ("TEXT", format!("link {n} of a long chain")),
                ],
            );
            self.state().statuses.insert(status, note);
        }
        self.base
            .join(&format!("users/alice/statuses/{first}"))
            .expect("URL")
            .to_string()
    }

    /// Sends the Create of the stored status `id` to `inbox`; returns the answer's status.
    pub async fn send_create_of(&self, id: &str, inbox: &Url) -> reqwest::StatusCode {
        let status = id.rsplit('/').next().unwrap_or_default().to_string();
        let note = self
            .state()
            .statuses
            .get(&status)
            .cloned()
            .expect("stored status");
        let mut create = self.fill(
            "create.json",
            &[("STATUS", status), ("NOW", chrono::Utc::now().to_rfc3339())],
        );
        create["to"] = note["to"].clone();
        create["cc"] = note["cc"].clone();
        create["object"] = note;
        self.send(inbox, &create).await
    }

    async fn publish(&self, note: Value, inbox: &Url) -> String {
        let id = note["id"].as_str().expect("id").to_string();
        let status = id.rsplit('/').next().unwrap_or_default().to_string();
        self.state().statuses.insert(status.clone(), note.clone());
        let mut create = self.fill(
            "create.json",
            &[("STATUS", status), ("NOW", chrono::Utc::now().to_rfc3339())],
        );
        create["to"] = note["to"].clone();
        create["cc"] = note["cc"].clone();
        create["object"] = note;
        let answer = self.send(inbox, &create).await;
        assert!(answer.is_success(), "Create answered {answer}");
        id
    }

    /// Alice likes a status, delivered to its author's shared inbox; returns the Like's id.
    pub async fn like(&self, object: &str, inbox: &Url, n: u32) -> String {
        let (answer, id) = self.try_like(object, inbox, n).await;
        assert!(answer.is_success(), "Like answered {answer}");
        id
    }

    /// Sends alice's Like number `n` of `object` to `inbox`; returns the answer's status and
    /// the Like's id, whatever the answer.
    pub async fn try_like(
        &self,
        object: &str,
        inbox: &Url,
        n: u32,
    ) -> (reqwest::StatusCode, String) {
        let like = self.fill(
            "like.json",
            &[("LIKE", n.to_string()), ("OBJECT", object.to_string())],
        );
        let answer = self.send(inbox, &like).await;
        (answer, like["id"].as_str().expect("id").to_string())
    }

    pub async fn undo_like(&self, object: &str, inbox: &Url, n: u32) {
        let undo = self.fill(
            "undo-like.json",
            &[("LIKE", n.to_string()), ("OBJECT", object.to_string())],
        );
        let answer = self.send(inbox, &undo).await;
        assert!(answer.is_success(), "Undo answered {answer}");
    }

    /// A GET signed as alice (to a server in secure mode).
    pub async fn signed_get(&self, url: &Url) -> reqwest::Response {
        let headers = self.signer.get_headers(url);
        super::http()
            .get(url.as_str())
            .headers(headers)
            .send()
            .await
            .expect("GET")
    }
}

async fn webfinger(
    State(peer): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let host = super::host_and_port(&peer.base);
    if query.get("resource").map(String::as_str) != Some(&format!("acct:alice@{host}")) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let text = std::fs::read_to_string(format!("{FIXTURES}/webfinger.json"))
        .expect("fixture")
        .replace("{{BASE}}", peer.base.as_str().trim_end_matches('/'))
        .replace("{{HOST}}", &host);
    ([("content-type", "application/jrd+json")], text).into_response()
}

async fn actor(
    State(peer): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if peer.state.lock().expect("state").require_signed_fetch {
        match verify_signature(&method, &uri, &headers, None, None).await {
            Ok((key_id, _)) => peer
                .state
                .lock()
                .expect("state")
                .signed_fetches
                .push(key_id),
            Err(reason) => {
                peer.state
                    .lock()
                    .expect("state")
                    .refused
                    .push(format!("unsigned GET: {reason}"));
                return (StatusCode::UNAUTHORIZED, reason).into_response();
            }
        }
    }
    let pem = serde_json::to_string(&peer.public_key_pem).expect("JSON string");
    let text = std::fs::read_to_string(format!("{FIXTURES}/actor.json"))
        .expect("fixture")
        .replace("{{BASE}}", peer.base.as_str().trim_end_matches('/'))
        .replace("\"{{PUBLIC_KEY_PEM}}\"", &pem);
    let mut actor: Value = serde_json::from_str(&text).expect("actor fixture");
    if let Some(name) = peer.state.lock().expect("state").display_name.clone() {
        actor["name"] = json!(name);
    }
    activity_json(actor)
}

async fn status(State(peer): State<Shared>, Path(id): Path<String>) -> Response {
    let note = {
        let mut state = peer.state.lock().expect("state");
        state.status_fetches += 1;
        state.statuses.get(&id).cloned()
    };
    match note {
        Some(mut note) => {
            note["@context"] = json!("https://www.w3.org/ns/activitystreams");
            activity_json(note)
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

fn activity_json(value: Value) -> Response {
    (
        [("content-type", "application/activity+json; charset=utf-8")],
        axum::Json(value),
    )
        .into_response()
}

async fn inbox(
    State(peer): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    {
        let mut state = peer.state.lock().expect("state");
        if let Some((until, seconds)) = state.throttle {
            if std::time::Instant::now() < until {
                state.throttled += 1;
                return (
                    StatusCode::TOO_MANY_REQUESTS,
                    [("retry-after", seconds.to_string())],
                )
                    .into_response();
            }
        }
    }
    let refuse = |reason: String| {
        peer.state
            .lock()
            .expect("state")
            .refused
            .push(reason.clone());
        (StatusCode::UNAUTHORIZED, reason).into_response()
    };
    let (_, owner) =
        match verify_signature(&method, &uri, &headers, Some(&body), Some(&peer.state)).await {
            Ok(signed) => signed,
            Err(reason) => return refuse(reason),
        };
    let Ok(activity) = serde_json::from_slice::<Value>(&body) else {
        return refuse("not JSON".into());
    };
    // Mastodon requires the signer to be the activity's actor.
    if activity["actor"].as_str() != Some(owner.as_str()) {
        return refuse(format!(
            "actor {} is not the signer {owner}",
            activity["actor"]
        ));
    }
    {
        let mut state = peer.state.lock().expect("state");
        let id = activity["id"].as_str().unwrap_or_default().to_string();
        *state.deliveries_by_id.entry(id).or_default() += 1;
        if state.count_only {
            state.received.push(activity);
            return StatusCode::ACCEPTED.into_response();
        }
    }
    let alice = peer.base.join("users/alice").expect("URL").to_string();
    match activity["type"].as_str() {
        Some("Accept") => {
            let object = &activity["object"];
            let matched = match object {
                Value::String(id) => peer
                    .state
                    .lock()
                    .expect("state")
                    .pending_follows
                    .contains_key(id),
                _ => object["type"] == "Follow" && object["actor"] == alice.as_str(),
            };
            if !matched {
                return refuse("an Accept of no Follow of ours".into());
            }
            let follow_id = object
                .as_str()
                .or(object["id"].as_str())
                .unwrap_or_default()
                .to_string();
            peer.state
                .lock()
                .expect("state")
                .accepted_follows
                .push(follow_id);
        }
        Some("Announce") => match take_announce(&activity).await {
            Ok(boost) => peer.state.lock().expect("state").boosts.push(boost),
            Err(reason) => peer
                .state
                .lock()
                .expect("state")
                .refused
                .push(format!("Announce dropped: {reason}")),
        },
        Some("Undo") if activity["object"]["type"] == "Announce" => {
            let id = activity["object"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            peer.state.lock().expect("state").undone_boosts.push(id);
        }
        _ => {}
    }
    peer.state.lock().expect("state").received.push(activity);
    StatusCode::ACCEPTED.into_response()
}

/// Mastodon's handling of an Announce from a group: a self-authored embedded status is taken
/// as is; anything else is fetched by id and must pass the trustworthiness checks.
async fn take_announce(announce: &Value) -> Result<Boost, String> {
    let group = announce["actor"].as_str().ok_or("no actor")?;
    let public = announce["to"]
        .as_array()
        .is_some_and(|to| to.iter().any(|t| t == AS_PUBLIC));
    let object = &announce["object"];
    let announce_id = announce["id"].as_str().ok_or("no id")?.to_string();
    if object["attributedTo"].as_str() == Some(group) {
        let object_id = object["id"].as_str().ok_or("no object id")?.to_string();
        return Ok(Boost {
            announce_id,
            object_id,
            public,
        });
    }
    let target = object
        .as_str()
        .or(object["id"].as_str())
        .ok_or("no object id")?;
    let target = Url::parse(target).map_err(|e| e.to_string())?;
    let response = super::http()
        .get(target.as_str())
        .header("Accept", "application/activity+json, application/ld+json")
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if response.status() != StatusCode::OK {
        return Err(format!("{target} answered {}", response.status()));
    }
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let media = content_type.split(';').next().unwrap_or_default().trim();
    if media != "application/activity+json"
        && content_type != r#"application/ld+json; profile="https://www.w3.org/ns/activitystreams""#
    {
        return Err(format!("{target} has content type {content_type}"));
    }
    let document: Value = response.json().await.map_err(|e| e.to_string())?;
    if document["id"].as_str() != Some(target.as_str()) {
        return Err(format!("{target} says its id is {}", document["id"]));
    }
    if !document["@context"]
        .to_string()
        .contains("https://www.w3.org/ns/activitystreams")
    {
        return Err("no ActivityStreams context".into());
    }
    let kind = document["type"].as_str().unwrap_or_default();
    let (author, status) = match kind {
        "Note" | "Question" | "Article" | "Page" | "Image" | "Audio" | "Video" | "Event" => {
            (document["attributedTo"].as_str(), document.clone())
        }
        "Create" => (document["actor"].as_str(), document["object"].clone()),
        other => return Err(format!("cannot take a {other}")),
    };
    let author = Url::parse(author.ok_or("no author")?).map_err(|e| e.to_string())?;
    if super::host_and_port(&author) != super::host_and_port(&target) {
        return Err(format!("{target} is not on its author's host {author}"));
    }
    let author_response = super::http()
        .get(author.as_str())
        .header("Accept", "application/activity+json")
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !author_response.status().is_success() {
        return Err(format!(
            "author {author} answered {}",
            author_response.status()
        ));
    }
    let object_id = status["id"].as_str().ok_or("no status id")?.to_string();
    Ok(Boost {
        announce_id,
        object_id,
        public,
    })
}

/// Verifies a draft-cavage signature as Mastodon does; returns the keyId and the key's
/// owner. `body` is given for POSTs, whose Digest must be signed and must match.
async fn verify_signature(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Option<&[u8]>,
    cache: Option<&Arc<Mutex<PeerState>>>,
) -> Result<(String, String), String> {
    let header = headers
        .get("signature")
        .and_then(|v| v.to_str().ok())
        .ok_or("no Signature header")?;
    let params: HashMap<String, String> = header
        .split(',')
        .filter_map(|part| part.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().trim_matches('"').to_string()))
        .collect();
    let key_id = params.get("keyId").ok_or("no keyId")?.clone();
    let algorithm = params
        .get("algorithm")
        .map(|a| a.to_ascii_lowercase())
        .unwrap_or("hs2019".into());
    if algorithm != "rsa-sha256" && algorithm != "hs2019" {
        return Err(format!("algorithm {algorithm}"));
    }
    let signed: Vec<String> = params
        .get("headers")
        .map(|h| h.split_whitespace().map(str::to_ascii_lowercase).collect())
        .unwrap_or_else(|| vec!["date".into()]);
    if !signed.iter().any(|h| h == "date" || h == "(created)") {
        return Err("date not signed".into());
    }
    if !signed
        .iter()
        .any(|h| h == "(request-target)" || h == "digest")
    {
        return Err("neither (request-target) nor digest signed".into());
    }
    if let Some(body) = body {
        if !signed.iter().any(|h| h == "digest") {
            return Err("digest not signed".into());
        }
        let digest = headers
            .get("digest")
            .and_then(|v| v.to_str().ok())
            .ok_or("no Digest")?;
        let (name, value) = digest.split_once('=').ok_or("bad Digest")?;
        if !name.eq_ignore_ascii_case("sha-256") || value != BASE64.encode(Sha256::digest(body)) {
            return Err("Digest does not match".into());
        }
    }
    let date = headers
        .get("date")
        .and_then(|v| v.to_str().ok())
        .ok_or("no Date")?;
    let date = httpdate::parse_http_date(date).map_err(|_| "bad Date")?;
    let now = SystemTime::now();
    if date > now + Duration::from_secs(3600) || now > date + Duration::from_secs(300 + 3600) {
        return Err("Date outside the window".into());
    }
    let target = format!(
        "{} {}",
        method.as_str().to_ascii_lowercase(),
        uri.path_and_query().map(|p| p.as_str()).unwrap_or("/")
    );
    let signing_string = signed
        .iter()
        .map(|h| match h.as_str() {
            "(request-target)" => Ok(format!("(request-target): {target}")),
            name => headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|v| format!("{name}: {v}"))
                .ok_or(format!("signed header {name} missing")),
        })
        .collect::<Result<Vec<_>, _>>()?
        .join("\n");
    // Mastodon fetches the key (here: the actor, at the keyId without its fragment).
    let cached = cache.and_then(|state| state.lock().expect("state").keys.get(&key_id).cloned());
    let (pem, owner) = match cached {
        Some(found) => found,
        None => {
            let mut actor_url = Url::parse(&key_id).map_err(|e| e.to_string())?;
            actor_url.set_fragment(None);
            let actor: Value = super::http()
                .get(actor_url.as_str())
                .header("Accept", "application/activity+json")
                .send()
                .await
                .map_err(|e| e.to_string())?
                .json()
                .await
                .map_err(|e| e.to_string())?;
            if actor["publicKey"]["id"].as_str() != Some(key_id.as_str()) {
                return Err(format!("{actor_url} does not own the key {key_id}"));
            }
            let pem = actor["publicKey"]["publicKeyPem"]
                .as_str()
                .ok_or("no key")?
                .to_string();
            let owner = actor["id"].as_str().ok_or("no actor id")?.to_string();
            if let Some(state) = cache {
                state
                    .lock()
                    .expect("state")
                    .keys
                    .insert(key_id.clone(), (pem.clone(), owner.clone()));
            }
            (pem, owner)
        }
    };
    let pem = pem.as_str();
    let key = RsaPublicKey::from_public_key_pem(pem).map_err(|e| e.to_string())?;
    let signature = BASE64
        .decode(params.get("signature").ok_or("no signature")?)
        .map_err(|e| e.to_string())?;
    key.verify(
        Pkcs1v15Sign::new::<Sha256>(),
        &Sha256::digest(signing_string.as_bytes()),
        &signature,
    )
    .map_err(|_| "signature does not verify".to_string())?;
    Ok((key_id, owner))
}
