//! The rules of Guild, in one place: what may be created, by whom, and what follows from it.
//! The CLI, the API, the web pages and the inbox all call these functions; they write the
//! database (and, later, queue deliveries) and never speak HTTP themselves.

pub mod accounts;
pub mod comments;
pub mod communities;
pub mod content;
pub mod demo;
pub mod follows;
pub mod moderation;
pub mod notifications;
pub mod policy;
pub mod posts;
pub mod reports;
pub mod sessions;
pub mod site;
pub mod votes;

use crate::{
    context::Context,
    db::{Connection, DbError, DbResult, models::Community},
    federation::{activities, delivery},
};
use serde::Serialize;
use url::Url;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The input breaks a rule; the message says which, in words a user understands.
    #[error("{0}")]
    Invalid(String),
    /// Like `Invalid`, naming the form field at fault, so a page can show the message next
    /// to it.
    #[error("{message}")]
    InvalidField {
        field: &'static str,
        message: String,
    },
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Forbidden(String),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<diesel::result::Error> for ServiceError {
    fn from(err: diesel::result::Error) -> Self {
        ServiceError::Db(err.into())
    }
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for ServiceError {
    fn from(err: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        ServiceError::Db(err.into())
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;

impl ServiceError {
    pub fn field(field: &'static str, message: impl Into<String>) -> ServiceError {
        ServiceError::InvalidField {
            field,
            message: message.into(),
        }
    }
}

/// A fresh RSA key pair for a local actor. Key generation takes tens of milliseconds of CPU,
/// so it runs off the async threads.
pub async fn generate_keypair() -> ServiceResult<activitypub_federation::http_signatures::Keypair> {
    tokio::task::spawn_blocking(activitypub_federation::http_signatures::generate_actor_keypair)
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?
        .map_err(|e| ServiceError::Internal(format!("key generation failed: {e}")))
}

/// Checks an actor name: 3 to 30 characters of `a-z`, `0-9` and `_` (and `A-Z` when
/// `allow_upper`). Names appear in URLs and WebFinger handles, so nothing else is allowed.
pub(crate) fn validate_actor_name(name: &str, what: &str, allow_upper: bool) -> ServiceResult<()> {
    let valid_char = |c: char| {
        c.is_ascii_lowercase()
            || c.is_ascii_digit()
            || c == '_'
            || (allow_upper && c.is_ascii_uppercase())
    };
    let letters = if allow_upper {
        "letters"
    } else {
        "lowercase letters"
    };
    if !(3..=30).contains(&name.len()) || !name.chars().all(valid_char) {
        return Err(ServiceError::field(
            "name",
            format!("{what} must be 3 to 30 characters: {letters}, digits and _"),
        ));
    }
    Ok(())
}

/// Publishes an activity by a local person in a community, inside the transaction of the
/// change. In a local community the community announces it to its followers at once; a
/// remote community receives it in its inbox and announces it itself.
pub(crate) async fn publish_in_community<A: Serialize>(
    conn: &mut Connection,
    ctx: &Context,
    community: &Community,
    id: &Url,
    kind: &str,
    activity: &A,
) -> DbResult<()> {
    let value = serde_json::to_value(activity).map_err(|e| DbError::Corrupt(e.to_string()))?;
    let actor = value
        .get("actor")
        .and_then(serde_json::Value::as_str)
        .and_then(|a| Url::parse(a).ok())
        .ok_or_else(|| DbError::Corrupt(format!("activity {id} has no actor")))?;
    if community.local {
        // Stored without inboxes so that its id answers; it travels inside the Announce.
        delivery::enqueue(conn, ctx, id, &actor, kind, activity, []).await?;
        activities::announce(conn, ctx, community, value, None).await
    } else {
        delivery::enqueue(
            conn,
            ctx,
            id,
            &actor,
            kind,
            activity,
            [community.inbox_url.clone()],
        )
        .await
    }
}
