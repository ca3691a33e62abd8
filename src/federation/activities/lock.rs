//! `Lock` of a post by a moderator: no more comments (Lemmy's wire format); `Undo` of it
//! unlocks. Like a removal, it is taken from a moderator only when the post's community
//! announces it from its own instance.

use super::{
    IdOrObject, ReceiveActivity, StoredObject, announced_moderator, community_of_stored, public,
    stored_url,
};
use crate::{
    context::Context,
    db::DbResult,
    federation::{
        FederationResult,
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
pub enum LockType {
    Lock,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Lock {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: LockType,
    pub actor: ObjectId<PersonActor>,
    pub object: IdOrObject,
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

impl Lock {
    pub fn new(
        ctx: &Context,
        actor_ap_id: &str,
        post_ap_id: &str,
        community_ap_id: &str,
    ) -> DbResult<Lock> {
        let community = stored_url(community_ap_id)?;
        Ok(Lock {
            id: ctx.urls.new_activity("lock"),
            kind: LockType::Lock,
            actor: stored_url(actor_ap_id)?.into(),
            object: IdOrObject::Id(stored_url(post_ap_id)?),
            to: vec![public()],
            cc: vec![community.clone()],
            audience: Some(community),
        })
    }
}

#[async_trait::async_trait]
impl ReceiveActivity for Lock {
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
        set_locked_by(data, self.actor.inner(), self.object.id(), true, announcer).await
    }
}

/// Locks or unlocks a stored post for `actor`, a moderator whose community announced it.
pub(super) async fn set_locked_by(
    data: &Data<Context>,
    actor: &Url,
    object: &Url,
    locked: bool,
    announcer: Option<&CommunityActor>,
) -> FederationResult<InboxOutcome> {
    let mut conn = data.pool.get().await?;
    let Some(StoredObject::Post(post)) = StoredObject::find(&mut conn, object.as_str()).await?
    else {
        return Ok(InboxOutcome::Ignored);
    };
    drop(conn);
    let (moderator, community) = announced_moderator(data, actor, announcer).await?;
    service::moderation::apply_announced_lock(data, &moderator.row, &community.row, &post, locked)
        .await?;
    Ok(InboxOutcome::Processed)
}
