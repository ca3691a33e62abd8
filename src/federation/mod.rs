//! ActivityPub: the protocol views of our rows (actors, and later posts and comments), the
//! inboxes, discovery (WebFinger, NodeInfo) and fetching from other servers.

pub mod activities;
pub mod backfill;
pub mod delivery;
pub mod discovery;
pub mod inbox;
pub mod objects;
pub mod resolve;
pub mod routes;
pub mod signatures;

use crate::{
    context::{Context, FETCH_TIMEOUT},
    db::{
        self, Connection, DbError,
        models::{Community, Person, Site},
    },
    service::ServiceError,
};
use activitypub_federation::config::{FederationConfig, FederationConfigBuilderError};
use objects::instance_actor::InstanceActor;
use url::Url;

/// The `Content-Type` of ActivityPub documents.
pub const ACTIVITY_JSON: &str = "application/activity+json";
/// The JSON-LD form of the same, which ActivityPub also requires servers to accept.
pub const LD_JSON_PROFILE: &str =
    r#"application/ld+json; profile="https://www.w3.org/ns/activitystreams""#;
/// The public collection: addressing an activity to it makes it public.
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
/// The largest request body an inbox reads (Mastodon's limit too).
pub const MAX_INBOX_BODY: usize = 1024 * 1024;
/// How many documents one incoming activity (or one lookup) may make Guild fetch: the
/// actor, the object, its author, and the chain of posts and comments it replies to. A
/// deeper reply chain is refused rather than followed, so a hostile server cannot keep an
/// inbox request fetching for ever.
pub const MAX_FETCHES_PER_ACTIVITY: u32 = 20;

#[derive(Debug, thiserror::Error)]
pub enum FederationError {
    #[error("request body is larger than {} bytes", MAX_INBOX_BODY)]
    BodyTooLarge,
    /// Missing, malformed or wrong HTTP signature, or a signer we cannot look up.
    #[error("{0}")]
    Unauthorized(String),
    /// Signed correctly, but by someone who may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// Not a valid document or activity.
    #[error("{0}")]
    BadRequest(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Another server failed us: unreachable, or answered something unusable.
    #[error("{0}")]
    Remote(String),
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<activitypub_federation::error::Error> for FederationError {
    fn from(err: activitypub_federation::error::Error) -> Self {
        use activitypub_federation::error::Error as E;
        match err {
            E::NotFound => FederationError::NotFound("object"),
            E::ActivitySignatureInvalid | E::ActivityBodyDigestInvalid => {
                FederationError::Unauthorized(err.to_string())
            }
            // What the peer sent, or pointed us to, is unusable: their fault, not worth a retry.
            E::UrlVerificationError(_)
            | E::ParseReceivedActivity { .. }
            | E::DomainResolveError(_)
            | E::ResolveInternalIpError(..)
            | E::FetchWrongId(_)
            | E::FetchInvalidContentType(_)
            | E::ParseFetchedObject(..)
            | E::ObjectDeleted(_)
            | E::RequestLimit
            | E::ResponseBodyLimit
            | E::WebfingerResolveFailed(_) => FederationError::BadRequest(err.to_string()),
            other => FederationError::Remote(other.to_string()),
        }
    }
}

impl From<diesel::result::Error> for FederationError {
    fn from(err: diesel::result::Error) -> Self {
        FederationError::Db(err.into())
    }
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for FederationError {
    fn from(err: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        FederationError::Db(err.into())
    }
}

pub type FederationResult<T> = Result<T, FederationError>;

/// Builds the federation library's configuration. Development mode (the
/// `allow_insecure_localhost` setting) allows plain http, explicit ports and loopback peers;
/// it is never on by default.
pub async fn config(
    ctx: Context,
    site: &Site,
) -> Result<FederationConfig<Context>, FederationConfigBuilderError> {
    let instance_actor = InstanceActor::from_site(site, &ctx.urls);
    let insecure = ctx.settings.allow_insecure_localhost;
    FederationConfig::builder()
        .domain(ctx.settings.domain.clone())
        .client(ctx.http.clone())
        .request_timeout(FETCH_TIMEOUT)
        .http_fetch_limit(MAX_FETCHES_PER_ACTIVITY)
        .debug(insecure)
        .http_signature_compat(true)
        // Fetches are signed by the instance actor, so servers that demand signed GETs
        // (Mastodon's secure mode) answer us.
        .signed_fetch_actor(&instance_actor)
        .url_verifier(Box::new(PolicyVerifier(ctx.clone())))
        .app_data(ctx)
        .build()
        .await
}

/// Whether two URLs have the same origin: host and port. ActivityPub's trust rules compare
/// origins, and on a test machine `localhost:40123` and `localhost:40124` are two servers,
/// so the port counts.
pub fn same_origin(a: &Url, b: &Url) -> bool {
    a.host_str().map(str::to_ascii_lowercase) == b.host_str().map(str::to_ascii_lowercase)
        && a.port_or_known_default() == b.port_or_known_default()
}

/// Fails unless `id` is on the same origin as `expected`.
pub fn verify_same_origin(id: &Url, expected: &Url) -> FederationResult<()> {
    if same_origin(id, expected) {
        Ok(())
    } else {
        Err(FederationError::Forbidden(format!(
            "{id} is not on the same host as {expected}"
        )))
    }
}

/// The local person called `name`, or 404.
pub(crate) async fn local_person(conn: &mut Connection, name: &str) -> FederationResult<Person> {
    db::people::local_by_name(conn, name)
        .await?
        .ok_or(FederationError::NotFound("person"))
}

/// The local community called `name`, or 404.
pub(crate) async fn local_community(ctx: &Context, name: &str) -> FederationResult<Community> {
    db::memo::local_community_by_name(&ctx.inbox_batches, name)
        .await?
        .ok_or(FederationError::NotFound("community"))
}

/// Refuses to fetch from instances the federation policy refuses. The federation library
/// asks it before every fetch of an object or actor.
#[derive(Clone)]
pub struct PolicyVerifier(pub Context);

#[async_trait::async_trait]
impl activitypub_federation::config::UrlVerifier for PolicyVerifier {
    async fn verify(&self, url: &Url) -> Result<(), activitypub_federation::error::Error> {
        let domain = crate::urls::Urls::domain_of(url).unwrap_or_default();
        match crate::service::policy::permits(&self.0, &domain).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(activitypub_federation::error::Error::UrlVerificationError(
                "the instance does not federate with us",
            )),
            Err(err) => {
                tracing::warn!(%err, "federation policy unreadable; refusing the fetch");
                Err(activitypub_federation::error::Error::UrlVerificationError(
                    "the federation policy could not be read",
                ))
            }
        }
    }
}
