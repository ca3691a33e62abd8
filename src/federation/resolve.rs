//! Turning a handle (`name@domain`, `!community@domain`, `@person@domain`) or an actor URL
//! into a stored actor: WebFinger, then a signed GET of the actor, with origin checks. Stored
//! copies are reused while fresh and fetched again once stale.

use super::{
    ACTIVITY_JSON, FederationError, FederationResult,
    inbox::Signer,
    objects::{group::CommunityActor, person::PersonActor},
};
use crate::{context::Context, db, urls::Urls};
use activitypub_federation::{
    config::Data,
    fetch::{object_id::ObjectId, webfinger::Webfinger},
};
use either::Either;
use url::Url;

/// The largest WebFinger answer we read.
const MAX_WEBFINGER_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone)]
pub enum ResolvedActor {
    Person(PersonActor),
    Community(CommunityActor),
}

/// Which kind of actor a handle asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wanted {
    Person,
    Community,
    /// A community when there is one, else a person.
    Any,
}

pub async fn resolve_actor(query: &str, data: &Data<Context>) -> FederationResult<ResolvedActor> {
    let query = query.trim();
    if query.starts_with("http://") || query.starts_with("https://") {
        let url =
            Url::parse(query).map_err(|e| FederationError::BadRequest(format!("{query}: {e}")))?;
        return Ok(
            match ObjectId::<Signer>::from(url).dereference(data).await? {
                Either::Left(person) => ResolvedActor::Person(person),
                Either::Right(community) => ResolvedActor::Community(community),
            },
        );
    }
    let (wanted, handle) = match query.strip_prefix("acct:").unwrap_or(query) {
        h if h.starts_with('!') => (Wanted::Community, &h[1..]),
        h if h.starts_with('@') => (Wanted::Person, &h[1..]),
        h => (Wanted::Any, h),
    };
    let (name, domain) = handle
        .rsplit_once('@')
        .filter(|(name, domain)| !name.is_empty() && !domain.is_empty())
        .ok_or_else(|| {
            FederationError::BadRequest(format!("{query:?} is neither name@domain nor a URL"))
        })?;
    let domain = domain.to_ascii_lowercase();
    let host = check_domain(&domain)?;
    if domain == data.domain() {
        return resolve_local(name, wanted, data).await;
    }
    if !crate::service::policy::permits(data, &domain).await? {
        return Err(FederationError::Forbidden(format!(
            "{domain} does not federate with this instance"
        )));
    }
    if let Some(stored) = stored_remote(name, &domain, wanted, data).await? {
        return Ok(stored);
    }

    let scheme = if data.settings.allow_insecure_localhost {
        "http"
    } else {
        "https"
    };
    let mut url = Url::parse(&format!("{scheme}://{domain}/.well-known/webfinger"))
        .map_err(|e| FederationError::BadRequest(format!("{domain}: {e}")))?;
    url.query_pairs_mut()
        .append_pair("resource", &format!("acct:{name}@{domain}"));
    if url.host_str() != Some(host.as_str()) {
        return Err(FederationError::BadRequest(format!(
            "{domain:?} is not a host name"
        )));
    }
    // In production mode this refuses hosts that resolve to private or loopback addresses
    // before any connection is made (the HTTP client's resolver refuses them too).
    data.is_valid_ip(&url).await?;
    let webfinger = fetch_webfinger(&url, data).await?;

    let mut candidates: Vec<(Url, Option<String>)> = webfinger
        .links
        .into_iter()
        .filter(|link| link.rel.as_deref() == Some("self"))
        .filter(|link| {
            link.kind.as_deref().is_some_and(|k| {
                k.starts_with(ACTIVITY_JSON) || k.starts_with("application/ld+json")
            })
        })
        .filter_map(|link| {
            let kind = link.properties.into_values().next();
            link.href.map(|href| (href, kind))
        })
        .collect();
    // Try the kind asked for first; untyped links (Mastodon's) come after typed matches.
    let rank = |kind: &Option<String>| match (wanted, kind.as_deref()) {
        (Wanted::Community | Wanted::Any, Some("Group")) => 0,
        (Wanted::Person, Some("Person" | "Service" | "Application")) => 0,
        (_, None) => 1,
        (Wanted::Any, Some(_)) => 1,
        _ => 2,
    };
    candidates.sort_by_key(|(_, kind)| rank(kind));
    let mut last_error = FederationError::NotFound("actor");
    for (href, kind) in candidates {
        if rank(&kind) > 1 {
            continue;
        }
        // The link may point to another host (WebFinger allows delegation); the fetch below
        // checks the document's origin against the URL it came from either way.
        match ObjectId::<Signer>::from(href).dereference(data).await {
            Ok(Either::Left(person)) if wanted != Wanted::Community => {
                return Ok(ResolvedActor::Person(person));
            }
            Ok(Either::Right(community)) if wanted != Wanted::Person => {
                return Ok(ResolvedActor::Community(community));
            }
            Ok(_) => {}
            Err(err) => last_error = err,
        }
    }
    Err(last_error)
}

/// A WebFinger handle's domain: `host[:port]`, never an IP address (the federation library
/// refuses those too). Returns the host.
fn check_domain(domain: &str) -> FederationResult<String> {
    let url = Url::parse(&format!("http://{domain}/"))
        .map_err(|_| FederationError::BadRequest(format!("{domain:?} is not a host name")))?;
    match url.host() {
        Some(url::Host::Domain(host)) if Urls::domain_of(&url).as_deref() == Some(domain) => {
            Ok(host.to_string())
        }
        _ => Err(FederationError::BadRequest(format!(
            "{domain:?} is not a host name"
        ))),
    }
}

async fn resolve_local(
    name: &str,
    wanted: Wanted,
    data: &Data<Context>,
) -> FederationResult<ResolvedActor> {
    let mut conn = data.pool.get().await?;
    if wanted != Wanted::Person {
        if let Some(community) = db::communities::local_by_name(&mut conn, name).await? {
            return Ok(ResolvedActor::Community(CommunityActor::new(community)?));
        }
    }
    if wanted != Wanted::Community {
        if let Some(person) = db::people::local_by_name(&mut conn, name).await? {
            return Ok(ResolvedActor::Person(PersonActor::new(person)?));
        }
    }
    Err(FederationError::NotFound("actor"))
}

/// A copy stored earlier, refreshed through the federation library when stale.
async fn stored_remote(
    name: &str,
    domain: &str,
    wanted: Wanted,
    data: &Data<Context>,
) -> FederationResult<Option<ResolvedActor>> {
    let mut conn = data.pool.get().await?;
    if wanted != Wanted::Person {
        if let Some(community) = db::communities::remote_by_name(&mut conn, name, domain).await? {
            drop(conn);
            let id: ObjectId<CommunityActor> = community
                .ap_id
                .parse()
                .map_err(|e| FederationError::BadRequest(format!("stored id: {e}")))?;
            return Ok(Some(ResolvedActor::Community(id.dereference(data).await?)));
        }
    }
    if wanted != Wanted::Community {
        if let Some(person) = db::people::remote_by_name(&mut conn, name, domain).await? {
            drop(conn);
            let id: ObjectId<PersonActor> = person
                .ap_id
                .parse()
                .map_err(|e| FederationError::BadRequest(format!("stored id: {e}")))?;
            return Ok(Some(ResolvedActor::Person(id.dereference(data).await?)));
        }
    }
    Ok(None)
}

async fn fetch_webfinger(url: &Url, data: &Data<Context>) -> FederationResult<Webfinger> {
    let response = data
        .http
        .get(url.as_str())
        .header(
            http::header::ACCEPT,
            "application/jrd+json, application/json",
        )
        .send()
        .await
        .map_err(|e| {
            FederationError::Remote(format!(
                "WebFinger request to {url} failed: {}",
                error_chain(&e)
            ))
        })?;
    if response.status() == http::StatusCode::NOT_FOUND {
        return Err(FederationError::NotFound("account on that instance"));
    }
    if !response.status().is_success() {
        return Err(FederationError::Remote(format!(
            "WebFinger at {url} answered {}",
            response.status()
        )));
    }
    let body = read_limited(response, MAX_WEBFINGER_BYTES).await?;
    serde_json::from_slice(&body).map_err(|e| {
        FederationError::Remote(format!("WebFinger at {url} sent an unreadable answer: {e}"))
    })
}

/// Reads a response body, refusing to hold more than `limit` bytes.
pub(crate) async fn read_limited(
    mut response: reqwest::Response,
    limit: usize,
) -> FederationResult<Vec<u8>> {
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| FederationError::Remote(format!("reading {}: {e}", response.url())))?
    {
        if body.len() + chunk.len() > limit {
            return Err(FederationError::Remote(format!(
                "{} sent more than {limit} bytes",
                response.url()
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// An error with its causes, for messages about failed requests (reqwest's own message
/// leaves out why a request failed).
pub(crate) fn error_chain(err: &dyn std::error::Error) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

/// What a search box may name: an actor, a post or a comment.
// One value per lookup, moved once: boxing the larger variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum ResolvedObject {
    Actor(ResolvedActor),
    Post(super::objects::post::PostObject),
    Comment(super::objects::comment::CommentObject),
}

/// Resolves a handle or the URL of an actor, post or comment, fetching and storing it when
/// it is not here yet (or stale).
pub async fn resolve_object(query: &str, data: &Data<Context>) -> FederationResult<ResolvedObject> {
    let query = query.trim();
    if !(query.starts_with("http://") || query.starts_with("https://")) {
        return Ok(ResolvedObject::Actor(resolve_actor(query, data).await?));
    }
    let url =
        Url::parse(query).map_err(|e| FederationError::BadRequest(format!("{query}: {e}")))?;
    // A stored actor answers at once. Anything else is fetched as a post or comment first,
    // then as an actor: an actor's JSON fails the first parse, and costs a second fetch.
    let mut conn = data.pool.get().await.map_err(db::DbError::from)?;
    if let Some(person) = db::people::by_ap_id(&mut conn, url.as_str()).await? {
        drop(conn);
        return Ok(ResolvedObject::Actor(ResolvedActor::Person(
            PersonActor::new(person)?,
        )));
    }
    if let Some(community) = db::communities::by_ap_id(&mut conn, url.as_str()).await? {
        drop(conn);
        return Ok(ResolvedObject::Actor(ResolvedActor::Community(
            CommunityActor::new(community)?,
        )));
    }
    drop(conn);
    let as_content = ObjectId::<super::objects::comment::ReplyTarget>::from(url)
        .dereference(data)
        .await;
    match as_content {
        Ok(Either::Left(post)) => Ok(ResolvedObject::Post(post)),
        Ok(Either::Right(comment)) => Ok(ResolvedObject::Comment(comment)),
        Err(content_err) => match resolve_actor(query, data).await {
            Ok(actor) => Ok(ResolvedObject::Actor(actor)),
            Err(actor_err) => {
                tracing::debug!(%content_err, %actor_err, query, "nothing to resolve");
                Err(actor_err)
            }
        },
    }
}

/// The same lookup without fetching: only what is stored here already.
pub async fn find_stored(
    query: &str,
    data: &Data<Context>,
) -> FederationResult<Option<ResolvedObject>> {
    let query = query.trim();
    let mut conn = data.pool.get().await.map_err(db::DbError::from)?;
    if query.starts_with("http://") || query.starts_with("https://") {
        if let Some(post) = db::posts::by_ap_id(&mut conn, query).await? {
            return Ok(Some(ResolvedObject::Post(
                super::objects::post::PostObject::new(post)?,
            )));
        }
        if let Some(comment) = db::comments::by_ap_id(&mut conn, query).await? {
            return Ok(Some(ResolvedObject::Comment(
                super::objects::comment::CommentObject::new(comment)?,
            )));
        }
        if let Some(person) = db::people::by_ap_id(&mut conn, query).await? {
            return Ok(Some(ResolvedObject::Actor(ResolvedActor::Person(
                PersonActor::new(person)?,
            ))));
        }
        if let Some(community) = db::communities::by_ap_id(&mut conn, query).await? {
            return Ok(Some(ResolvedObject::Actor(ResolvedActor::Community(
                CommunityActor::new(community)?,
            ))));
        }
        return Ok(None);
    }
    let handle = query.strip_prefix("acct:").unwrap_or(query);
    let (wants_community, wants_person, handle) = match handle.chars().next() {
        Some('!') => (true, false, &handle[1..]),
        Some('@') => (false, true, &handle[1..]),
        _ => (true, true, handle),
    };
    let (name, domain) = handle.rsplit_once('@').unwrap_or((handle, data.domain()));
    let here = domain.eq_ignore_ascii_case(data.domain());
    if wants_community {
        let community = if here {
            db::communities::local_by_name(&mut conn, name).await?
        } else {
            db::communities::remote_by_name(&mut conn, name, domain).await?
        };
        if let Some(community) = community {
            return Ok(Some(ResolvedObject::Actor(ResolvedActor::Community(
                CommunityActor::new(community)?,
            ))));
        }
    }
    if wants_person {
        let person = if here {
            db::people::local_by_name(&mut conn, name).await?
        } else {
            db::people::remote_by_name(&mut conn, name, domain).await?
        };
        if let Some(person) = person {
            return Ok(Some(ResolvedObject::Actor(ResolvedActor::Person(
                PersonActor::new(person)?,
            ))));
        }
    }
    Ok(None)
}
