//! `Follow` of a community by a person, and the community's `Accept`.

use super::{ReceiveActivity, stored_url};
use crate::{
    context::Context,
    db::{
        self, DbResult,
        models::{Community, Person},
    },
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
    kinds::activity::{AcceptType, FollowType},
    protocol::helpers::deserialize_one_or_many,
};
use serde::{Deserialize, Serialize};
use url::Url;

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Follow {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: FollowType,
    pub actor: ObjectId<PersonActor>,
    pub object: ObjectId<CommunityActor>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "deserialize_one_or_many"
    )]
    pub to: Vec<Url>,
}

impl Follow {
    pub fn new(ctx: &Context, person: &Person, community: &Community) -> DbResult<Follow> {
        let object = stored_url(&community.ap_id)?;
        Ok(Follow {
            id: ctx.urls.new_activity("follow"),
            kind: FollowType::Follow,
            actor: stored_url(&person.ap_id)?.into(),
            to: vec![object.clone()],
            object: object.into(),
        })
    }
}

#[async_trait::async_trait]
impl ReceiveActivity for Follow {
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
        Ok(Some(self.object.dereference_local(data).await?))
    }

    async fn verify(&self, data: &Data<Context>) -> FederationResult<()> {
        if !self.object.is_local(data) {
            return Err(FederationError::NotFound("community on this instance"));
        }
        Ok(())
    }

    async fn receive(
        self,
        data: &Data<Context>,
        _announcer: Option<&CommunityActor>,
    ) -> FederationResult<InboxOutcome> {
        let community = self.object.dereference_local(data).await?;
        let person = self.actor.dereference(data).await?;
        service::follows::accept_remote_follower(data, &community.row, &person.row, self).await?;
        Ok(InboxOutcome::Processed)
    }
}

/// The Follow an Accept answers: embedded (as Lemmy and Guild send it) or by id.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(untagged)]
pub enum FollowRef {
    Embedded(Follow),
    Id(Url),
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Accept {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: AcceptType,
    pub actor: ObjectId<CommunityActor>,
    pub object: FollowRef,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "deserialize_one_or_many"
    )]
    pub to: Vec<Url>,
}

impl Accept {
    pub fn new(ctx: &Context, community: &Community, follow: Follow) -> DbResult<Accept> {
        Ok(Accept {
            id: ctx.urls.new_activity("accept"),
            kind: AcceptType::Accept,
            actor: stored_url(&community.ap_id)?.into(),
            to: vec![follow.actor.inner().clone()],
            object: FollowRef::Embedded(follow),
        })
    }
}

#[async_trait::async_trait]
impl ReceiveActivity for Accept {
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
        Ok(Some(self.actor.dereference(data).await?))
    }

    async fn verify(&self, _data: &Data<Context>) -> FederationResult<()> {
        if let FollowRef::Embedded(follow) = &self.object {
            if follow.object.inner() != self.actor.inner() {
                return Err(FederationError::Forbidden(
                    "a community can only accept follows of itself".into(),
                ));
            }
        }
        Ok(())
    }

    async fn receive(
        self,
        data: &Data<Context>,
        _announcer: Option<&CommunityActor>,
    ) -> FederationResult<InboxOutcome> {
        let community = self.actor.dereference(data).await?;
        let mut conn = data.pool.get().await?;
        let person = match &self.object {
            FollowRef::Embedded(follow) => {
                db::people::by_ap_id(&mut conn, follow.actor.inner().as_str()).await?
            }
            FollowRef::Id(id) => match db::follows::by_activity(&mut conn, id.as_str()).await? {
                Some(follow) if follow.community_id == community.row.id => {
                    db::people::by_id(&mut conn, follow.person_id).await?
                }
                _ => None,
            },
        };
        drop(conn);
        let Some(person) = person.filter(|p| p.local) else {
            return Ok(InboxOutcome::Ignored);
        };
        service::follows::follow_accepted(data, &community, &person).await?;
        Ok(InboxOutcome::Processed)
    }
}
