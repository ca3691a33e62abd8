//! `Flag`: a person reports a post or comment to the moderators of its community. Sent by
//! the reporter's instance straight to the community's inbox (reports are not public, so
//! never announced).

use super::{IdOrObject, ReceiveActivity, StoredObject, community_of_stored, stored_url};
use crate::{
    context::Context,
    db::DbResult,
    federation::{
        FederationError, FederationResult,
        inbox::InboxOutcome,
        objects::{group::CommunityActor, person::PersonActor},
    },
    service,
};
use activitypub_federation::{
    config::Data,
    fetch::object_id::ObjectId,
    kinds::activity::FlagType,
    protocol::helpers::{deserialize_one_or_many, deserialize_skip_error},
};
use serde::{Deserialize, Serialize};
use url::Url;

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Flag {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: FlagType,
    pub actor: ObjectId<PersonActor>,
    pub object: IdOrObject,
    #[serde(default, deserialize_with = "deserialize_one_or_many")]
    pub to: Vec<Url>,
    /// The reason.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "deserialize_skip_error"
    )]
    pub summary: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "deserialize_skip_error"
    )]
    pub audience: Option<Url>,
}

impl Flag {
    pub fn new(
        ctx: &Context,
        reporter_ap_id: &str,
        object_ap_id: &str,
        community_ap_id: &str,
        reason: &str,
    ) -> DbResult<Flag> {
        let community = stored_url(community_ap_id)?;
        Ok(Flag {
            id: ctx.urls.new_activity("flag"),
            kind: FlagType::Flag,
            actor: stored_url(reporter_ap_id)?.into(),
            object: IdOrObject::Id(stored_url(object_ap_id)?),
            to: vec![community.clone()],
            summary: Some(reason.to_string()),
            audience: Some(community),
        })
    }
}

#[async_trait::async_trait]
impl ReceiveActivity for Flag {
    fn relayed(&self) -> bool {
        false
    }

    fn id(&self) -> &Url {
        &self.id
    }

    fn actor(&self) -> &Url {
        self.actor.inner()
    }

    async fn community(&self, data: &Data<Context>) -> FederationResult<Option<CommunityActor>> {
        community_of_stored(data, self.object.id()).await
    }

    async fn verify(&self, _data: &Data<Context>) -> FederationResult<()> {
        Ok(())
    }

    async fn receive(
        self,
        data: &Data<Context>,
        announcer: Option<&CommunityActor>,
    ) -> FederationResult<InboxOutcome> {
        if announcer.is_some() {
            return Err(FederationError::BadRequest(
                "reports are sent to the community, not announced".into(),
            ));
        }
        let mut conn = data.pool.get().await?;
        let Some(object) = StoredObject::find(&mut conn, self.object.id().as_str()).await? else {
            return Ok(InboxOutcome::Ignored);
        };
        drop(conn);
        let reporter = self.actor.dereference(data).await?;
        let reason = self.summary.as_deref().unwrap_or_default();
        service::reports::receive(data, &reporter.row, &object, reason, self.id.as_str()).await?;
        Ok(InboxOutcome::Processed)
    }
}
