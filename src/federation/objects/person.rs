//! A person as an ActivityPub actor (`Person`, or `Service`/`Application` for bots).

use super::{Endpoints, ImageJson, Source, parse_stored, truncate_chars};
use crate::{
    context::Context,
    db::{
        self,
        models::{Person, PersonForm},
    },
    federation::{FederationError, FederationResult, verify_same_origin},
    text,
    urls::Urls,
};
use activitypub_federation::{
    config::Data,
    fetch::object_id::ObjectId,
    protocol::{helpers::deserialize_skip_error, public_key::PublicKey},
    traits::{Actor, Object},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

const MAX_NAME_CHARS: usize = 255;
const MAX_DISPLAY_NAME_CHARS: usize = 100;
const MAX_BIO_BYTES: usize = 20_000;

/// A stored person, local or remote, with its id parsed.
#[derive(Debug, Clone)]
pub struct PersonActor {
    pub row: Person,
    id: Url,
}

impl PersonActor {
    pub fn new(row: Person) -> FederationResult<Self> {
        let id = Url::parse(&row.ap_id)
            .map_err(|e| FederationError::BadRequest(format!("stored id {}: {e}", row.ap_id)))?;
        Ok(PersonActor { row, id })
    }
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub enum PersonKind {
    Person,
    Service,
    Application,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonJson {
    #[serde(rename = "type")]
    pub kind: PersonKind,
    pub id: ObjectId<PersonActor>,
    pub preferred_username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "deserialize_skip_error"
    )]
    pub source: Option<Source>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "deserialize_skip_error"
    )]
    pub url: Option<Url>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "deserialize_skip_error"
    )]
    pub icon: Option<ImageJson>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "deserialize_skip_error"
    )]
    pub image: Option<ImageJson>,
    pub inbox: Url,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "deserialize_skip_error"
    )]
    pub outbox: Option<Url>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "deserialize_skip_error"
    )]
    pub followers: Option<Url>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "deserialize_skip_error"
    )]
    pub endpoints: Option<Endpoints>,
    pub public_key: PublicKey,
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
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "deserialize_skip_error"
    )]
    pub manually_approves_followers: Option<bool>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "deserialize_skip_error"
    )]
    pub discoverable: Option<bool>,
}

impl PersonJson {
    /// The document for a local person.
    pub fn local(row: &Person, urls: &Urls) -> Self {
        PersonJson {
            kind: PersonKind::Person,
            id: urls.person(&row.name).into(),
            preferred_username: row.name.clone(),
            name: row.display_name.clone(),
            summary: row.bio_html.clone(),
            source: row.bio_source.clone().map(Source::markdown),
            url: Some(urls.person(&row.name)),
            icon: parse_stored(row.avatar_url.as_deref()).map(ImageJson::new),
            image: parse_stored(row.banner_url.as_deref()).map(ImageJson::new),
            inbox: urls.person_inbox(&row.name),
            outbox: Some(urls.person_outbox(&row.name)),
            followers: None,
            endpoints: Some(Endpoints {
                shared_inbox: urls.shared_inbox(),
            }),
            public_key: PublicKey {
                id: format!("{}#main-key", urls.person(&row.name)),
                owner: urls.person(&row.name),
                public_key_pem: row.public_key.clone(),
            },
            published: Some(row.published_at),
            updated: row.updated_at,
            manually_approves_followers: Some(false),
            discoverable: Some(true),
        }
    }
}

#[async_trait::async_trait]
impl Object for PersonActor {
    type DataType = Context;
    type Kind = PersonJson;
    type Error = FederationError;

    fn id(&self) -> &Url {
        &self.id
    }

    fn last_refreshed_at(&self) -> Option<DateTime<Utc>> {
        Some(self.row.last_refreshed_at)
    }

    async fn read_from_id(object_id: Url, data: &Data<Context>) -> FederationResult<Option<Self>> {
        db::memo::person_by_ap_id(&data.inbox_batches, object_id.as_str())
            .await?
            .map(PersonActor::new)
            .transpose()
    }

    async fn delete(&self, data: &Data<Context>) -> FederationResult<()> {
        let mut conn = data.pool.get().await?;
        db::people::mark_deleted(&mut conn, self.row.id).await?;
        Ok(())
    }

    fn is_deleted(&self) -> bool {
        self.row.deleted
    }

    async fn into_json(self, data: &Data<Context>) -> FederationResult<PersonJson> {
        if !self.row.local {
            return Err(FederationError::NotFound("local person"));
        }
        Ok(PersonJson::local(&self.row, &data.urls))
    }

    async fn verify(
        json: &PersonJson,
        expected_domain: &Url,
        _data: &Data<Context>,
    ) -> FederationResult<()> {
        verify_actor_document(
            json.id.inner(),
            expected_domain,
            &json.inbox,
            json.endpoints.as_ref(),
            &json.public_key,
        )
    }

    async fn from_json(json: PersonJson, data: &Data<Context>) -> FederationResult<Self> {
        super::refuse_nul(&json)?;
        let id = json.id.inner().clone();
        let domain = Urls::domain_of(&id)
            .ok_or(FederationError::BadRequest("actor id has no host".into()))?;
        let now = Utc::now();
        let bio_html = json
            .summary
            .as_deref()
            .map(|s| text::sanitize_html(&truncate_bytes(s, MAX_BIO_BYTES)));
        let kind = match json.kind {
            PersonKind::Person => "Person",
            PersonKind::Service => "Service",
            PersonKind::Application => "Application",
        };
        let mut conn = data.pool.get().await?;
        let instance = db::instances::get_or_create(&mut conn, &domain).await?;
        db::instances::mark_seen(&mut conn, instance.id).await?;
        let form = PersonForm {
            ap_id: id.to_string(),
            instance_id: instance.id,
            local: false,
            actor_type: kind.into(),
            name: truncate_chars(&json.preferred_username, MAX_NAME_CHARS),
            display_name: json
                .name
                .as_deref()
                .map(|n| truncate_chars(n, MAX_DISPLAY_NAME_CHARS)),
            bio_source: json.source.and_then(Source::into_markdown),
            bio_html,
            profile_url: json.url.map(Into::into),
            avatar_url: json.icon.map(|i| i.url.into()),
            banner_url: json.image.map(|i| i.url.into()),
            inbox_url: json.inbox.into(),
            shared_inbox_url: json.endpoints.map(|e| e.shared_inbox.into()),
            outbox_url: json.outbox.map(Into::into),
            followers_url: json.followers.map(Into::into),
            public_key: json.public_key.public_key_pem,
            private_key: None,
            published_at: json.published.unwrap_or(now),
            updated_at: json.updated,
            last_refreshed_at: now,
        };
        let row = db::people::upsert_remote(&mut conn, &form).await?.ok_or(
            FederationError::Forbidden(format!("{id} is a local person")),
        )?;
        PersonActor::new(row)
    }
}

impl Actor for PersonActor {
    fn public_key_pem(&self) -> &str {
        &self.row.public_key
    }

    fn private_key_pem(&self) -> Option<String> {
        self.row.private_key.clone()
    }

    fn inbox(&self) -> Url {
        // Stored inbox URLs were validated when stored.
        parse_stored(Some(&self.row.inbox_url)).unwrap_or_else(|| self.id.clone())
    }

    fn shared_inbox(&self) -> Option<Url> {
        parse_stored(self.row.shared_inbox_url.as_deref())
    }
}

/// Checks shared by every actor document fetched from elsewhere: it comes from the host that
/// served it, its inboxes are on that host, and its key belongs to it.
pub(crate) fn verify_actor_document(
    id: &Url,
    expected_domain: &Url,
    inbox: &Url,
    endpoints: Option<&Endpoints>,
    public_key: &PublicKey,
) -> FederationResult<()> {
    verify_same_origin(id, expected_domain)?;
    verify_same_origin(inbox, id)?;
    if let Some(endpoints) = endpoints {
        verify_same_origin(&endpoints.shared_inbox, id)?;
    }
    if &public_key.owner != id {
        return Err(FederationError::BadRequest(format!(
            "the key of {id} claims another owner, {}",
            public_key.owner
        )));
    }
    Ok(())
}

fn truncate_bytes(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}
