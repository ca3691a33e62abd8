//! Protocol views of our rows: each type wraps a database row and implements the federation
//! library's `Object` (and `Actor`) traits, turning it into JSON and back.

pub mod comment;
pub mod group;
pub mod instance_actor;
pub mod microblog;
pub mod person;
pub mod post;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use url::Url;

/// The JSON-LD `@context` of every document we serve: ActivityStreams, the security
/// vocabulary for `publicKey`, and the extension terms Lemmy and Mastodon use.
pub fn context() -> Value {
    json!([
        "https://www.w3.org/ns/activitystreams",
        "https://w3id.org/security/v1",
        {
            "lemmy": "https://join-lemmy.org/ns#",
            "toot": "http://joinmastodon.org/ns#",
            "sensitive": "as:sensitive",
            "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
            "discoverable": "toot:discoverable",
            "featured": { "@id": "toot:featured", "@type": "@id" },
            "moderators": { "@id": "lemmy:moderators", "@type": "@id" },
            "postingRestrictedToMods": "lemmy:postingRestrictedToMods",
        }
    ])
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoints {
    pub shared_inbox: Url,
}

/// An avatar or banner.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct ImageJson {
    #[serde(rename = "type")]
    pub kind: String,
    pub url: Url,
}

impl ImageJson {
    pub fn new(url: Url) -> Self {
        ImageJson {
            kind: "Image".into(),
            url,
        }
    }
}

/// The Markdown an HTML field was rendered from.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    pub content: String,
    pub media_type: String,
}

impl Source {
    pub fn markdown(content: String) -> Self {
        Source {
            content,
            media_type: "text/markdown".into(),
        }
    }

    /// The source text, when it is Markdown.
    pub fn into_markdown(self) -> Option<String> {
        (self.media_type == "text/markdown").then_some(self.content)
    }
}

/// Parses a stored URL column. Stored URLs were valid when written; a broken one is
/// treated as absent rather than failing the whole document.
pub(crate) fn parse_stored(url: Option<&str>) -> Option<Url> {
    url.and_then(|u| Url::parse(u).ok())
}

/// Cuts `text` to at most `max` characters.
pub(crate) fn truncate_chars(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// The `Mention` tag of a person, as Lemmy and Mastodon read it: `name` is `@user@host`.
pub fn mention_tag(person: &crate::db::models::Person) -> serde_json::Value {
    let host = url::Url::parse(&person.ap_id)
        .ok()
        .as_ref()
        .and_then(crate::urls::Urls::domain_of)
        .unwrap_or_default();
    serde_json::json!({
        "type": "Mention",
        "href": person.ap_id,
        "name": format!("@{}@{host}", person.name),
    })
}

/// Refuses a fetched document holding a NUL character, which a PostgreSQL text column cannot
/// store: refused cleanly here rather than failing at the insert. (The inbox checks the
/// activities it receives; this covers what Guild fetches.)
pub(crate) fn refuse_nul<T: serde::Serialize>(
    document: &T,
) -> crate::federation::FederationResult<()> {
    let value = serde_json::to_value(document)
        .map_err(|e| crate::federation::FederationError::BadRequest(e.to_string()))?;
    if crate::text::has_nul(&value) {
        return Err(crate::federation::FederationError::BadRequest(
            "the document holds a NUL character".into(),
        ));
    }
    Ok(())
}
