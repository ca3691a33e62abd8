//! The inboxes: `POST /inbox` (shared), `/u/{name}/inbox` and `/c/{name}/inbox`.
//!
//! Every request goes through the same gate before anything is stored:
//! 1. the body is at most 1 MiB (413);
//! 2. it carries an HTTP signature with acceptable dates and covered headers (401), and its
//!    `Digest` matches the body (401);
//! 3. it is a JSON activity with an id, a type and an actor (400);
//! 4. the signer's key is found (fetched if need be) and the signature verifies (401);
//! 5. the signer is the activity's actor, and the activity's id is on the actor's host (403);
//! 6. its id was not received before (a replay is answered 202 and not processed again).
//!
//! Then the activity is applied (`activities::dispatch`); types Guild does not act on are
//! acknowledged and logged. The people and communities it reads are read once
//! (`db::memo`), and what is not kept is looked up together with the other activities in
//! flight (`db::batch`). Its id is recorded, together with the community's relay of it when it
//! happened in a local community, by one statement shared with the activities that finish
//! at the same moment.

use super::{
    FederationError, FederationResult, MAX_INBOX_BODY, activities, delivery, local_community,
    local_person,
    objects::{group::CommunityActor, person::PersonActor},
    signatures, verify_same_origin,
};
use crate::{context::Context, db, urls::Urls};
use activitypub_federation::{
    config::Data,
    fetch::{fetch_object_http, object_id::ObjectId},
    traits::Object,
};
use axum::{
    Json,
    body::Body,
    extract::{Path, Request},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use either::Either;
use serde::Deserialize;
use serde_json::{Value, json};
use url::Url;

/// Anyone who may sign an activity: a person (or bot) or a community.
pub type Signer = Either<PersonActor, CommunityActor>;

/// What became of an activity the gate let through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboxOutcome {
    Processed,
    /// Received before: acknowledged again, not processed again.
    Duplicate,
    /// A valid activity of a type Guild does not act on (yet).
    Ignored,
}

impl IntoResponse for InboxOutcome {
    fn into_response(self) -> Response {
        let status = match self {
            InboxOutcome::Processed => "processed",
            InboxOutcome::Duplicate => "duplicate",
            InboxOutcome::Ignored => "ignored",
        };
        (StatusCode::ACCEPTED, Json(json!({ "status": status }))).into_response()
    }
}

pub async fn shared_inbox(data: Data<Context>, request: Request) -> FederationResult<InboxOutcome> {
    db::memo::scope(data.recent_rows.clone(), async {
        counted(&data, receive(&data, request).await)
    })
    .await
}

/// Counts the outcome of an inbox POST for the metrics.
fn counted(
    data: &Data<Context>,
    result: FederationResult<InboxOutcome>,
) -> FederationResult<InboxOutcome> {
    let outcome = match &result {
        Ok(InboxOutcome::Processed) => "processed",
        Ok(InboxOutcome::Duplicate) => "duplicate",
        Ok(InboxOutcome::Ignored) => "ignored",
        Err(FederationError::BodyTooLarge) => "too_large",
        Err(FederationError::Unauthorized(_)) => "unauthorized",
        Err(FederationError::Forbidden(_)) => "forbidden",
        Err(FederationError::BadRequest(_)) => "bad_request",
        Err(FederationError::NotFound(_)) => "not_found",
        Err(_) => "error",
    };
    data.metrics.count_inbox(outcome);
    result
}

pub async fn person_inbox(
    Path(name): Path<String>,
    data: Data<Context>,
    request: Request,
) -> FederationResult<InboxOutcome> {
    db::memo::scope(data.recent_rows.clone(), async {
        let mut conn = data.pool.get().await?;
        local_person(&mut conn, &name).await?;
        drop(conn);
        counted(&data, receive(&data, request).await)
    })
    .await
}

pub async fn community_inbox(
    Path(name): Path<String>,
    data: Data<Context>,
    request: Request,
) -> FederationResult<InboxOutcome> {
    db::memo::scope(data.recent_rows.clone(), async {
        local_community(&data, &name).await?;
        counted(&data, receive(&data, request).await)
    })
    .await
}

/// The parts of an activity the gate needs, whatever its type.
#[derive(Debug, Deserialize)]
struct Envelope {
    id: Url,
    #[serde(rename = "type")]
    kind: String,
    #[serde(deserialize_with = "deserialize_actor")]
    actor: Url,
}

/// `actor` may be an id or an embedded object with one.
fn deserialize_actor<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Url, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum ActorRef {
        Id(Url),
        Object { id: Url },
    }
    Ok(match ActorRef::deserialize(deserializer)? {
        ActorRef::Id(id) | ActorRef::Object { id } => id,
    })
}

async fn receive(data: &Data<Context>, request: Request) -> FederationResult<InboxOutcome> {
    let (parts, body) = request.into_parts();
    let body = read_body(&parts.headers, body).await?;

    let pending = signatures::check_request(&parts.method, &parts.uri, &parts.headers)
        .map_err(|e| FederationError::Unauthorized(e.to_string()))?;
    signatures::verify_digest(&parts.headers, &body)
        .map_err(|e| FederationError::Unauthorized(e.to_string()))?;

    let activity: Value = serde_json::from_slice(&body)
        .map_err(|e| FederationError::BadRequest(format!("the body is not valid JSON: {e}")))?;
    if crate::text::has_nul(&activity) {
        return Err(FederationError::BadRequest(
            "the activity holds a NUL character".into(),
        ));
    }
    tracing::debug!(target: "guild::wire", path = %parts.uri.path(), body = %String::from_utf8_lossy(&body), "received");
    let envelope: Envelope = serde_json::from_value(activity.clone())
        .map_err(|e| FederationError::BadRequest(format!("not an activity: {e}")))?;
    // A refused instance is turned away before anything of it is fetched or stored.
    for url in [&envelope.actor, &envelope.id] {
        let domain = crate::urls::Urls::domain_of(url).unwrap_or_default();
        if !crate::service::policy::permits(data, &domain).await? {
            return Err(FederationError::Forbidden(format!(
                "{domain} does not federate with this instance"
            )));
        }
    }

    let signer = signing_actor(pending.key_id(), data).await?;
    pending
        .verify(signer_key(&signer))
        .map_err(|e| FederationError::Unauthorized(e.to_string()))?;
    let activity = if signer.id() == &envelope.actor {
        activity
    } else {
        vouch_for_forwarded(&envelope, activity, &signer, data).await?
    };
    verify_same_origin(&envelope.id, &envelope.actor)?;
    if Urls::domain_of(&envelope.id).as_deref() == Some(data.domain()) {
        return Err(FederationError::Forbidden(
            "an activity from this very instance".into(),
        ));
    }

    if data
        .inbox_batches
        .was_received(envelope.id.as_str())
        .await?
    {
        tracing::debug!(id = %envelope.id, "duplicate activity ignored");
        return Ok(InboxOutcome::Duplicate);
    }

    // Applying an activity is idempotent, so the id is recorded only once it has been
    // applied: if we fail halfway, the peer's retry is applied, not dropped as a duplicate.
    let (outcome, relay) = activities::dispatch(&envelope.kind, activity, data, None).await?;
    let relays = match relay {
        Some(relay) => {
            let mut conn = data.pool.get().await?;
            activities::relay_batch(&mut conn, data, relay).await?
        }
        None => db::deliveries::Batch::default(),
    };
    let relayed = !relays.inboxes.is_empty();
    let first = data
        .inbox_batches
        .record_received(db::deliveries::Received {
            ap_id: envelope.id.to_string(),
            relays,
        })
        .await?;
    if first && relayed {
        delivery::wake(data);
    }
    Ok(if first {
        outcome
    } else {
        InboxOutcome::Duplicate
    })
}

/// An activity signed by someone other than its actor: a server forwarding what reached it
/// instead of the community (Mastodon sends replies and likes to the author's server). Its
/// body is not trusted: a post or comment is fetched again from its origin; a vote is taken
/// only from the server of the voted object, where Mastodon delivers it; a deletion only when
/// the object's origin says it is gone. Anything else is refused.
async fn vouch_for_forwarded(
    envelope: &Envelope,
    mut activity: Value,
    signer: &Signer,
    data: &Data<Context>,
) -> FederationResult<Value> {
    let refused = || {
        FederationError::Forbidden(format!(
            "the activity's actor {} is not its signer {}",
            envelope.actor,
            signer.id()
        ))
    };
    let object_id = |value: &Value| {
        value
            .as_str()
            .or_else(|| value["id"].as_str())
            .and_then(|id| Url::parse(id).ok())
    };
    match envelope.kind.as_str() {
        "Create" | "Update" => {
            let id = object_id(&activity["object"]).ok_or_else(refused)?;
            let fetched = fetch_object_http::<_, Value>(&id, data).await?.object;
            activity["object"] = fetched;
        }
        "Like" | "Dislike" | "Undo" => {
            let voted = if envelope.kind == "Undo" {
                if !matches!(
                    activity["object"]["type"].as_str(),
                    Some("Like" | "Dislike")
                ) {
                    return Err(refused());
                }
                object_id(&activity["object"]["object"])
            } else {
                object_id(&activity["object"])
            }
            .ok_or_else(refused)?;
            if Urls::domain_of(&voted) != Urls::domain_of(signer.id()) {
                return Err(refused());
            }
        }
        "Delete" => {
            let id = object_id(&activity["object"]).ok_or_else(refused)?;
            let status = data
                .http
                .get(id.as_str())
                .header(http::header::ACCEPT, super::ACTIVITY_JSON)
                .send()
                .await
                .map_err(|e| FederationError::Remote(format!("checking {id}: {e}")))?
                .status();
            if status != http::StatusCode::GONE && status != http::StatusCode::NOT_FOUND {
                return Err(refused());
            }
        }
        _ => return Err(refused()),
    }
    tracing::debug!(id = %envelope.id, forwarder = %signer.id(), "forwarded activity vouched for");
    Ok(activity)
}

async fn read_body(headers: &http::HeaderMap, body: Body) -> FederationResult<bytes::Bytes> {
    let body = crate::body_limit::within(headers, body, MAX_INBOX_BODY)
        .await
        .map_err(|_| FederationError::BodyTooLarge)?;
    axum::body::to_bytes(body, MAX_INBOX_BODY)
        .await
        .map_err(|err| {
            let too_large = std::error::Error::source(&err)
                .is_some_and(|source| source.is::<http_body_util::LengthLimitError>());
            if too_large {
                FederationError::BodyTooLarge
            } else {
                FederationError::BadRequest(format!("could not read the request body: {err}"))
            }
        })
}

/// Checks the signature of a GET (secure mode): by any actor whose key verifies.
pub async fn verify_signed_get(
    method: &http::Method,
    uri: &http::Uri,
    headers: &http::HeaderMap,
    data: &Data<Context>,
) -> FederationResult<()> {
    let pending = signatures::check_request(method, uri, headers)
        .map_err(|e| FederationError::Unauthorized(e.to_string()))?;
    let signer = signing_actor(pending.key_id(), data).await?;
    pending
        .verify(signer_key(&signer))
        .map_err(|e| FederationError::Unauthorized(e.to_string()))
}

/// Finds the actor that owns `key_id`: ours or stored, else fetched from its server.
async fn signing_actor(key_id: &str, data: &Data<Context>) -> FederationResult<Signer> {
    let mut actor_id = Url::parse(key_id)
        .map_err(|_| FederationError::Unauthorized(format!("the keyId {key_id:?} is not a URL")))?;
    actor_id.set_fragment(None);
    ObjectId::<Signer>::from(actor_id)
        .dereference(data)
        .await
        .map_err(|e| FederationError::Unauthorized(format!("cannot get the key {key_id}: {e}")))
}

fn signer_key(signer: &Signer) -> &str {
    use activitypub_federation::traits::Actor;
    signer.public_key_pem()
}
