//! A community as an ActivityPub `Group` actor (FEP-1b12).

use super::{
    Endpoints, ImageJson, Source, parse_stored, person::verify_actor_document, truncate_chars,
};
use crate::{
    context::Context,
    db::{
        self,
        models::{Community, CommunityForm},
    },
    federation::{FederationError, FederationResult},
    text,
    urls::Urls,
};
use activitypub_federation::{
    config::Data,
    fetch::object_id::ObjectId,
    kinds::actor::GroupType,
    protocol::{helpers::deserialize_skip_error, public_key::PublicKey},
    traits::{Actor, Object},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

const MAX_NAME_CHARS: usize = 255;
const MAX_TITLE_CHARS: usize = 200;
const MAX_DESCRIPTION_BYTES: usize = 50_000;

/// A stored community, local or remote, with its id parsed.
#[derive(Debug, Clone)]
pub struct CommunityActor {
    pub row: Community,
    id: Url,
}

impl CommunityActor {
    pub fn new(row: Community) -> FederationResult<Self> {
        let id = Url::parse(&row.ap_id)
            .map_err(|e| FederationError::BadRequest(format!("stored id {}: {e}", row.ap_id)))?;
        Ok(CommunityActor { row, id })
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupJson {
    #[serde(rename = "type")]
    pub kind: GroupType,
    pub id: ObjectId<CommunityActor>,
    pub preferred_username: String,
    /// The title.
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
    /// The HTML page; Mastodon links to it and keeps it only when it is on the id's host.
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
    pub moderators: Option<Url>,
    /// Lemmy 0.19 names the moderators collection here too.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "deserialize_skip_error"
    )]
    pub attributed_to: Option<Url>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "deserialize_skip_error"
    )]
    pub featured: Option<Url>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "deserialize_skip_error"
    )]
    pub endpoints: Option<Endpoints>,
    pub public_key: PublicKey,
    #[serde(default, deserialize_with = "deserialize_skip_error")]
    pub posting_restricted_to_mods: bool,
    #[serde(default, deserialize_with = "deserialize_skip_error")]
    pub sensitive: bool,
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
}

impl GroupJson {
    /// The document for a local community.
    pub fn local(row: &Community, urls: &Urls) -> Self {
        let name = &row.name;
        GroupJson {
            kind: GroupType::Group,
            id: urls.community(name).into(),
            preferred_username: name.clone(),
            name: Some(row.title.clone()),
            summary: row.description_html.clone(),
            source: row.description_source.clone().map(Source::markdown),
            url: Some(urls.community(name)),
            icon: parse_stored(row.icon_url.as_deref()).map(ImageJson::new),
            image: parse_stored(row.banner_url.as_deref()).map(ImageJson::new),
            inbox: urls.community_inbox(name),
            outbox: Some(urls.community_outbox(name)),
            followers: Some(urls.community_followers(name)),
            moderators: Some(urls.community_moderators(name)),
            attributed_to: Some(urls.community_moderators(name)),
            featured: Some(urls.community_featured(name)),
            endpoints: Some(Endpoints {
                shared_inbox: urls.shared_inbox(),
            }),
            public_key: PublicKey {
                id: format!("{}#main-key", urls.community(name)),
                owner: urls.community(name),
                public_key_pem: row.public_key.clone(),
            },
            posting_restricted_to_mods: row.posting_restricted_to_mods,
            sensitive: row.sensitive,
            // Anyone may join a community of practice.
            manually_approves_followers: Some(false),
            discoverable: Some(true),
            published: Some(row.published_at),
            updated: row.updated_at,
        }
    }
}

#[async_trait::async_trait]
impl Object for CommunityActor {
    type DataType = Context;
    type Kind = GroupJson;
    type Error = FederationError;

    fn id(&self) -> &Url {
        &self.id
    }

    fn last_refreshed_at(&self) -> Option<DateTime<Utc>> {
        Some(self.row.last_refreshed_at)
    }

    async fn read_from_id(object_id: Url, data: &Data<Context>) -> FederationResult<Option<Self>> {
        let mut conn = data.pool.get().await?;
        db::memo::community_by_ap_id(&mut conn, object_id.as_str())
            .await?
            .map(CommunityActor::new)
            .transpose()
    }

    async fn delete(&self, data: &Data<Context>) -> FederationResult<()> {
        let mut conn = data.pool.get().await?;
        db::communities::mark_deleted(&mut conn, self.row.id).await?;
        Ok(())
    }

    fn is_deleted(&self) -> bool {
        self.row.deleted
    }

    async fn into_json(self, data: &Data<Context>) -> FederationResult<GroupJson> {
        if !self.row.local {
            return Err(FederationError::NotFound("local community"));
        }
        Ok(GroupJson::local(&self.row, &data.urls))
    }

    async fn verify(
        json: &GroupJson,
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

    async fn from_json(json: GroupJson, data: &Data<Context>) -> FederationResult<Self> {
        super::refuse_nul(&json)?;
        let id = json.id.inner().clone();
        let domain = Urls::domain_of(&id)
            .ok_or(FederationError::BadRequest("actor id has no host".into()))?;
        let now = Utc::now();
        let name = truncate_chars(&json.preferred_username, MAX_NAME_CHARS);
        let title = json
            .name
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| truncate_chars(t, MAX_TITLE_CHARS))
            .unwrap_or_else(|| name.clone());
        let description_html = json
            .summary
            .as_deref()
            .filter(|s| s.len() <= MAX_DESCRIPTION_BYTES)
            .map(text::sanitize_html);
        let mut conn = data.pool.get().await?;
        let instance = db::instances::get_or_create(&mut conn, &domain).await?;
        db::instances::mark_seen(&mut conn, instance.id).await?;
        let form = CommunityForm {
            ap_id: id.to_string(),
            instance_id: instance.id,
            local: false,
            name,
            title,
            description_source: json.source.and_then(Source::into_markdown),
            description_html,
            icon_url: json.icon.map(|i| i.url.into()),
            banner_url: json.image.map(|i| i.url.into()),
            inbox_url: json.inbox.into(),
            shared_inbox_url: json.endpoints.map(|e| e.shared_inbox.into()),
            outbox_url: json.outbox.map(Into::into),
            followers_url: json.followers.map(Into::into),
            moderators_url: json.moderators.or(json.attributed_to).map(Into::into),
            featured_url: json.featured.map(Into::into),
            public_key: json.public_key.public_key_pem,
            private_key: None,
            posting_restricted_to_mods: json.posting_restricted_to_mods,
            sensitive: json.sensitive,
            published_at: json.published.unwrap_or(now),
            updated_at: json.updated,
            last_refreshed_at: now,
        };
        let row = db::communities::upsert_remote(&mut conn, &form)
            .await?
            .ok_or(FederationError::Forbidden(format!(
                "{id} is a local community"
            )))?;
        CommunityActor::new(row)
    }
}

impl Actor for CommunityActor {
    fn public_key_pem(&self) -> &str {
        &self.row.public_key
    }

    fn private_key_pem(&self) -> Option<String> {
        self.row.private_key.clone()
    }

    fn inbox(&self) -> Url {
        parse_stored(Some(&self.row.inbox_url)).unwrap_or_else(|| self.id.clone())
    }

    fn shared_inbox(&self) -> Option<Url> {
        parse_stored(self.row.shared_inbox_url.as_deref())
    }
}
