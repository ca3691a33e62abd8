//! A microblog post (Mastodon's `Note` without `inReplyTo`) that mentions a community: it
//! becomes a post there. Its title is the note's `summary` (Mastodon's content warning), or
//! else its first line without the mention; its body is its content.

use super::{
    group::CommunityActor,
    person::PersonActor,
    post::{PageJson, PageKind},
};
use crate::{
    context::Context,
    db,
    federation::{FederationError, FederationResult, PUBLIC},
    text,
};
use activitypub_federation::{
    config::Data,
    fetch::object_id::ObjectId,
    kinds::object::NoteType,
    protocol::helpers::{deserialize_one_or_many, deserialize_skip_error},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use url::Url;

const MAX_TITLE_CHARS: usize = 200;

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MicroblogNote {
    #[serde(rename = "type")]
    pub kind: NoteType,
    pub id: Url,
    pub attributed_to: ObjectId<PersonActor>,
    #[serde(default, deserialize_with = "deserialize_one_or_many")]
    pub to: Vec<Url>,
    #[serde(default, deserialize_with = "deserialize_one_or_many")]
    pub cc: Vec<Url>,
    pub content: String,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "deserialize_skip_error"
    )]
    pub summary: Option<String>,
    #[serde(default, deserialize_with = "deserialize_skip_error")]
    pub sensitive: Option<bool>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "deserialize_skip_error"
    )]
    pub published: Option<DateTime<Utc>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "deserialize_skip_error"
    )]
    pub updated: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "deserialize_skip_error")]
    pub tag: Vec<Value>,
    /// A reply is a comment, never a post: this must be absent or null.
    #[serde(default, skip_serializing, deserialize_with = "null_only")]
    pub in_reply_to: Option<()>,
}

fn null_only<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<()>, D::Error> {
    match Option::<Value>::deserialize(deserializer)? {
        None | Some(Value::Null) => Ok(None),
        Some(_) => Err(serde::de::Error::custom("a reply is not a post")),
    }
}

impl MicroblogNote {
    /// Public notes only: a direct message that mentions a community stays private.
    pub fn is_public(&self) -> bool {
        self.to
            .iter()
            .chain(&self.cc)
            .any(|url| url.as_str() == PUBLIC)
    }

    /// The `href` of each `Mention` tag.
    pub fn mentions(&self) -> Vec<Url> {
        mentions(&self.tag)
    }

    /// The mentioned community: among the mentions first, then the addressees.
    pub async fn community(&self, data: &Data<Context>) -> FederationResult<CommunityActor> {
        let mentioned = self.mentions();
        let candidates: Vec<&Url> = mentioned
            .iter()
            .chain(self.to.iter().chain(&self.cc))
            .filter(|url| url.as_str() != PUBLIC)
            .collect();
        let mut conn = data.pool.get().await?;
        for url in &candidates {
            if let Some(community) = db::memo::community_by_ap_id(&mut conn, url.as_str()).await? {
                return CommunityActor::new(community);
            }
        }
        drop(conn);
        for url in mentioned {
            if let Ok(community) = ObjectId::<CommunityActor>::from(url)
                .dereference(data)
                .await
            {
                return Ok(community);
            }
        }
        Err(FederationError::BadRequest(
            "the note mentions no community".into(),
        ))
    }

    /// The post this note becomes in `community`.
    pub fn into_page(self, community: &CommunityActor) -> FederationResult<PageJson> {
        let community_id = Url::parse(&community.row.ap_id)
            .map_err(|e| FederationError::BadRequest(e.to_string()))?;
        let mention = format!("@{}", community.row.name);
        let handle = format!("{mention}@{}", community_id.host_str().unwrap_or_default());
        let title = self
            .summary
            .as_deref()
            .map(text::html_to_text)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .or_else(|| text::first_line(&self.content, &[mention, handle]))
            .ok_or(FederationError::BadRequest(
                "the note has no text to make a title of".into(),
            ))?;
        Ok(PageJson {
            kind: PageKind::Page,
            id: self.id.into(),
            attributed_to: self.attributed_to,
            to: vec![community_id.clone()],
            cc: self.cc,
            name: Some(title.chars().take(MAX_TITLE_CHARS).collect()),
            content: Some(self.content),
            summary: None,
            media_type: Some("text/html".into()),
            source: None,
            attachment: Vec::new(),
            sensitive: self.sensitive,
            comments_enabled: None,
            published: self.published,
            updated: self.updated,
            audience: Some(community_id.into()),
            tag: self.tag,
        })
    }
}

/// The `href` of each `Mention` in a `tag` list.
pub fn mentions(tags: &[Value]) -> Vec<Url> {
    tags.iter()
        .filter(|tag| tag["type"] == "Mention")
        .filter_map(|tag| tag["href"].as_str().and_then(|href| Url::parse(href).ok()))
        .collect()
}
