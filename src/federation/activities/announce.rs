//! `Announce` by a community: how it relays what happens in it to its followers (FEP-1b12).
//! The announced activity is accepted only when it happens in that very community; content
//! must still be on its author's host. Lemmy and Guild also announce the bare post or comment,
//! for Mastodon; that form is taken as a Create when the object is new.

use super::{ReceiveActivity, create_or_update::PostOrComment, dispatch};
use crate::{
    context::Context,
    db,
    federation::{
        FederationError, FederationResult,
        inbox::InboxOutcome,
        objects::{group::CommunityActor, person::PersonActor},
        verify_same_origin,
    },
    urls::Urls,
};
use activitypub_federation::{
    config::Data, fetch::object_id::ObjectId, kinds::activity::AnnounceType,
    protocol::helpers::deserialize_one_or_many,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Announce {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: AnnounceType,
    pub actor: ObjectId<CommunityActor>,
    pub object: Value,
    #[serde(default, deserialize_with = "deserialize_one_or_many")]
    pub to: Vec<Url>,
    #[serde(default, deserialize_with = "deserialize_one_or_many")]
    pub cc: Vec<Url>,
}

#[async_trait::async_trait]
impl ReceiveActivity for Announce {
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
        Ok(())
    }

    async fn receive(
        self,
        data: &Data<Context>,
        _announcer: Option<&CommunityActor>,
    ) -> FederationResult<InboxOutcome> {
        let community = self.actor.dereference(data).await?;
        receive_announced(self.object, &community, data).await
    }
}

/// Handles what `community` announced (or listed in its outbox).
pub async fn receive_announced(
    object: Value,
    community: &CommunityActor,
    data: &Data<Context>,
) -> FederationResult<InboxOutcome> {
    let kind = object
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let id = object
        .get("id")
        .and_then(Value::as_str)
        .and_then(|id| Url::parse(id).ok())
        .ok_or(FederationError::BadRequest(
            "the announced object has no id".into(),
        ))?;
    match kind.as_str() {
        "Create" | "Update" | "Delete" | "Lock" | "Add" | "Remove" | "Block" | "Like"
        | "Dislike" | "Undo" => {
            // Our own activity, relayed back to us: already applied.
            if Urls::domain_of(&id).as_deref() == Some(data.domain()) {
                return Ok(InboxOutcome::Ignored);
            }
            if data.inbox_batches.was_received(id.as_str()).await? {
                return Ok(InboxOutcome::Duplicate);
            }
            let (outcome, _) = Box::pin(dispatch(&kind, object, data, Some(community))).await?;
            data.inbox_batches
                .record_received(db::deliveries::Received {
                    ap_id: id.to_string(),
                    relays: Default::default(),
                })
                .await?;
            Ok(outcome)
        }
        "Page" | "Article" | "Video" | "Event" | "Note" => {
            receive_bare_object(object, &id, community, data).await
        }
        _ => Ok(InboxOutcome::Ignored),
    }
}

/// A post or comment announced without its Create.
async fn receive_bare_object(
    object: Value,
    id: &Url,
    community: &CommunityActor,
    data: &Data<Context>,
) -> FederationResult<InboxOutcome> {
    let mut conn = data.pool.get().await?;
    if super::StoredObject::find(&mut conn, id.as_str())
        .await?
        .is_some()
    {
        return Ok(InboxOutcome::Ignored);
    }
    drop(conn);
    let object: PostOrComment = serde_json::from_value(object)
        .map_err(|e| FederationError::BadRequest(format!("malformed announced object: {e}")))?;
    verify_same_origin(object.id(), object.author())?;
    if object.community(data).await?.row.id != community.row.id {
        return Err(FederationError::Forbidden(
            "a community may only announce its own posts and comments".into(),
        ));
    }
    let author = ObjectId::<PersonActor>::from(object.author().clone())
        .dereference(data)
        .await?;
    object.store(&author, data).await?;
    Ok(InboxOutcome::Processed)
}
