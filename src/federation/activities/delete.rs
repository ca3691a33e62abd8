//! `Delete` of a post or comment by its author, or by a moderator of its community (Lemmy's
//! removal, with the reason in `summary`). The author's delete makes a tombstone that keeps
//! its place in the thread; a moderator's hides the object as removed. `Undo` of either
//! restores.

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
    kinds::activity::DeleteType,
    protocol::helpers::{deserialize_one_or_many, deserialize_skip_error},
};
use serde::{Deserialize, Serialize};
use url::Url;

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Delete {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: DeleteType,
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
    /// A moderator's reason for removing.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "deserialize_skip_error"
    )]
    pub summary: Option<String>,
}

impl Delete {
    pub fn new(
        ctx: &Context,
        actor_ap_id: &str,
        object_ap_id: &str,
        community_ap_id: &str,
    ) -> DbResult<Delete> {
        let community = stored_url(community_ap_id)?;
        Ok(Delete {
            id: ctx.urls.new_activity("delete"),
            kind: DeleteType::Delete,
            actor: stored_url(actor_ap_id)?.into(),
            object: IdOrObject::Id(stored_url(object_ap_id)?),
            to: vec![public()],
            cc: vec![community.clone()],
            audience: Some(community),
            summary: None,
        })
    }
}

#[async_trait::async_trait]
impl ReceiveActivity for Delete {
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
        set_deleted_by(
            data,
            self.actor.inner(),
            self.object.id(),
            true,
            announcer,
            self.summary.as_deref(),
        )
        .await
    }
}

/// Deletes or restores a stored post or comment on behalf of `actor`: its author, or a
/// moderator whose removal the object's (remote) community announced.
pub(super) async fn set_deleted_by(
    data: &Data<Context>,
    actor: &Url,
    object: &Url,
    deleted: bool,
    announcer: Option<&CommunityActor>,
    reason: Option<&str>,
) -> FederationResult<InboxOutcome> {
    let mut conn = data.pool.get().await?;
    let Some(stored) = StoredObject::find(&mut conn, object.as_str()).await? else {
        // Deleting what we never had changes nothing.
        return Ok(InboxOutcome::Ignored);
    };
    let author = crate::db::people::by_id(&mut conn, stored.author_id()).await?;
    drop(conn);
    if author.as_ref().map(|a| a.ap_id.as_str()) == Some(actor.as_str()) {
        service::content::set_deleted(data, &stored, deleted).await?;
        return Ok(InboxOutcome::Processed);
    }
    // Not the author: a moderator's removal, taken only as `announced_moderator` says.
    let (moderator, community) = announced_moderator(data, actor, announcer).await?;
    service::moderation::apply_announced(
        data,
        &moderator.row,
        &community.row,
        &stored,
        deleted,
        reason,
    )
    .await?;
    Ok(InboxOutcome::Processed)
}
