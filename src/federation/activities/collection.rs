//! `Add` and `Remove` on a community's collections, as Lemmy sends them: a post to or from
//! `featured` (pinned at the top of the community), a person to or from `moderators`. Taken
//! only when the community announces them from its own instance, which knows its moderators.

use super::{IdOrObject, ReceiveActivity, StoredObject, announced_moderator, public, stored_url};
use crate::{
    context::Context,
    db::{self, DbResult, communities::CommunityCollection},
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
    protocol::helpers::{deserialize_one_or_many, deserialize_skip_error},
};
use serde::{Deserialize, Serialize};
use url::Url;

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub enum CollectionChangeType {
    Add,
    Remove,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CollectionChange {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: CollectionChangeType,
    pub actor: ObjectId<PersonActor>,
    pub object: IdOrObject,
    pub target: Url,
    #[serde(default, deserialize_with = "deserialize_one_or_many")]
    pub to: Vec<Url>,
    #[serde(default, deserialize_with = "deserialize_one_or_many")]
    pub cc: Vec<Url>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "deserialize_skip_error"
    )]
    pub audience: Option<Url>,
}

impl CollectionChange {
    pub fn new(
        ctx: &Context,
        kind: CollectionChangeType,
        actor_ap_id: &str,
        object_ap_id: &str,
        collection: &str,
        community_ap_id: &str,
    ) -> DbResult<CollectionChange> {
        let community = stored_url(community_ap_id)?;
        let name = match kind {
            CollectionChangeType::Add => "add",
            CollectionChangeType::Remove => "remove",
        };
        Ok(CollectionChange {
            id: ctx.urls.new_activity(name),
            kind,
            actor: stored_url(actor_ap_id)?.into(),
            object: IdOrObject::Id(stored_url(object_ap_id)?),
            target: stored_url(collection)?,
            to: vec![public()],
            cc: vec![community.clone()],
            audience: Some(community),
        })
    }
}

#[async_trait::async_trait]
impl ReceiveActivity for CollectionChange {
    fn relayed(&self) -> bool {
        true
    }

    fn id(&self) -> &Url {
        &self.id
    }

    fn actor(&self) -> &Url {
        self.actor.inner()
    }

    async fn community(&self, data: &Data<Context>) -> FederationResult<Option<CommunityActor>> {
        let mut conn = data.pool.get().await?;
        db::communities::by_collection_url(&mut conn, self.target.as_str())
            .await?
            .map(|(community, _)| CommunityActor::new(community))
            .transpose()
    }

    async fn verify(&self, _data: &Data<Context>) -> FederationResult<()> {
        Ok(())
    }

    async fn receive(
        self,
        data: &Data<Context>,
        announcer: Option<&CommunityActor>,
    ) -> FederationResult<InboxOutcome> {
        let mut conn = data.pool.get().await?;
        let Some((_, collection)) =
            db::communities::by_collection_url(&mut conn, self.target.as_str()).await?
        else {
            return Ok(InboxOutcome::Ignored);
        };
        drop(conn);
        let (moderator, community) =
            announced_moderator(data, self.actor.inner(), announcer).await?;
        let added = self.kind == CollectionChangeType::Add;
        match collection {
            CommunityCollection::Featured => {
                let mut conn = data.pool.get().await?;
                let found = StoredObject::find(&mut conn, self.object.id().as_str()).await?;
                drop(conn);
                let Some(StoredObject::Post(post)) = found else {
                    return Ok(InboxOutcome::Ignored);
                };
                if post.community_id != community.row.id {
                    return Err(FederationError::Forbidden(
                        "a community can only feature its own posts".into(),
                    ));
                }
                service::moderation::apply_announced_featured(
                    data,
                    &moderator.row,
                    &community.row,
                    &post,
                    added,
                )
                .await?;
            }
            CommunityCollection::Moderators => {
                let person = ObjectId::<PersonActor>::from(self.object.id().clone())
                    .dereference(data)
                    .await?;
                service::moderation::apply_announced_moderator(
                    data,
                    &moderator.row,
                    &community.row,
                    &person.row,
                    added,
                )
                .await?;
            }
        }
        Ok(InboxOutcome::Processed)
    }
}
