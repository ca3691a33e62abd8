//! The instance actor (`Application` at `/actor`): it signs the GETs this instance makes, so
//! that servers which require signed fetches answer them.
//!
//! Other servers' instance actors are stored as people of type `Application`; this type only
//! ever represents our own.

use super::Endpoints;
use crate::{
    context::Context,
    db::{self, models::Site},
    federation::{FederationError, FederationResult},
    urls::Urls,
};
use activitypub_federation::{
    config::Data,
    kinds::actor::ApplicationType,
    protocol::public_key::PublicKey,
    traits::{Actor, Object},
};
use serde::{Deserialize, Serialize};
use url::Url;

#[derive(Debug, Clone)]
pub struct InstanceActor {
    id: Url,
    inbox: Url,
    shared_inbox: Url,
    public_key: String,
    private_key: String,
}

impl InstanceActor {
    pub fn from_site(site: &Site, urls: &Urls) -> Self {
        InstanceActor {
            id: urls.instance_actor(),
            inbox: urls.shared_inbox(),
            shared_inbox: urls.shared_inbox(),
            public_key: site.public_key.clone(),
            private_key: site.private_key.clone(),
        }
    }

    /// The name in the actor's WebFinger handle: like Mastodon, the host itself.
    pub fn preferred_username(urls: &Urls) -> String {
        urls.base().host_str().unwrap_or("instance").to_string()
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationJson {
    #[serde(rename = "type")]
    kind: ApplicationType,
    id: Url,
    preferred_username: String,
    name: String,
    inbox: Url,
    endpoints: Endpoints,
    public_key: PublicKey,
    manually_approves_followers: bool,
    url: Url,
}

#[async_trait::async_trait]
impl Object for InstanceActor {
    type DataType = Context;
    type Kind = ApplicationJson;
    type Error = FederationError;

    fn id(&self) -> &Url {
        &self.id
    }

    async fn read_from_id(object_id: Url, data: &Data<Context>) -> FederationResult<Option<Self>> {
        if object_id != data.urls.instance_actor() {
            return Ok(None);
        }
        let mut conn = data.pool.get().await?;
        Ok(db::site::get(&mut conn)
            .await?
            .map(|site| InstanceActor::from_site(&site, &data.urls)))
    }

    async fn into_json(self, data: &Data<Context>) -> FederationResult<ApplicationJson> {
        let urls = &data.urls;
        Ok(ApplicationJson {
            kind: ApplicationType::Application,
            preferred_username: InstanceActor::preferred_username(urls),
            name: data.settings.site_name.clone(),
            inbox: self.inbox.clone(),
            endpoints: Endpoints {
                shared_inbox: self.shared_inbox.clone(),
            },
            public_key: PublicKey {
                id: format!("{}#main-key", self.id),
                owner: self.id.clone(),
                public_key_pem: self.public_key.clone(),
            },
            manually_approves_followers: true,
            url: urls.base().clone(),
            id: self.id,
        })
    }

    async fn verify(
        _json: &ApplicationJson,
        _expected: &Url,
        _data: &Data<Context>,
    ) -> FederationResult<()> {
        Err(FederationError::BadRequest(
            "other servers' instance actors are read as people".into(),
        ))
    }

    async fn from_json(_json: ApplicationJson, _data: &Data<Context>) -> FederationResult<Self> {
        Err(FederationError::BadRequest(
            "other servers' instance actors are read as people".into(),
        ))
    }
}

impl Actor for InstanceActor {
    fn public_key_pem(&self) -> &str {
        &self.public_key
    }

    fn private_key_pem(&self) -> Option<String> {
        Some(self.private_key.clone())
    }

    fn inbox(&self) -> Url {
        self.inbox.clone()
    }

    fn shared_inbox(&self) -> Option<Url> {
        Some(self.shared_inbox.clone())
    }
}
