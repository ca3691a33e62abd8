//! `Undo` of a Follow (unfollow), of a Like or Dislike (vote withdrawn), or of a Delete
//! (restore). Only the actor of the undone activity may undo it.

use super::{
    ReceiveActivity,
    block::{Block, set_banned_by},
    delete::{Delete, set_deleted_by},
    follow::Follow,
    lock::{Lock, set_locked_by},
    public, stored_url,
    vote::Vote,
};
use crate::{
    context::Context,
    db::{self, DbResult},
    federation::{
        FederationError, FederationResult, inbox::InboxOutcome, objects::group::CommunityActor,
    },
    service,
    urls::Urls,
};
use activitypub_federation::{
    config::Data,
    kinds::activity::UndoType,
    protocol::helpers::{deserialize_one_or_many, deserialize_skip_error},
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Undoable {
    Follow(Follow),
    Vote(Vote),
    Delete(Delete),
    Lock(Lock),
    Block(Block),
    /// Anything else (an Announce, a bare id): acknowledged, not acted on.
    Other(Value),
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Undo {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: UndoType,
    pub actor: Url,
    pub object: Undoable,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "deserialize_one_or_many"
    )]
    pub to: Vec<Url>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "deserialize_one_or_many"
    )]
    pub cc: Vec<Url>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "deserialize_skip_error"
    )]
    pub audience: Option<Url>,
}

impl Undo {
    pub fn new(
        ctx: &Context,
        actor_ap_id: &str,
        object: Undoable,
        community_ap_id: &str,
    ) -> DbResult<Undo> {
        let community = stored_url(community_ap_id)?;
        let addressed_publicly = !matches!(object, Undoable::Follow(_));
        Ok(Undo {
            id: ctx.urls.new_activity("undo"),
            kind: UndoType::Undo,
            actor: stored_url(actor_ap_id)?,
            object,
            to: if addressed_publicly {
                vec![public()]
            } else {
                vec![community.clone()]
            },
            cc: if addressed_publicly {
                vec![community.clone()]
            } else {
                vec![]
            },
            audience: Some(community),
        })
    }

    /// An Undo outside any community (of a site ban), public.
    pub fn new_unaddressed(ctx: &Context, actor_ap_id: &str, object: Undoable) -> DbResult<Undo> {
        Ok(Undo {
            id: ctx.urls.new_activity("undo"),
            kind: UndoType::Undo,
            actor: stored_url(actor_ap_id)?,
            object,
            to: vec![public()],
            cc: vec![],
            audience: None,
        })
    }
}

#[async_trait::async_trait]
impl ReceiveActivity for Undo {
    fn relayed(&self) -> bool {
        matches!(
            self.object,
            Undoable::Vote(_) | Undoable::Delete(_) | Undoable::Lock(_) | Undoable::Block(_)
        )
    }

    fn id(&self) -> &Url {
        &self.id
    }

    fn actor(&self) -> &Url {
        &self.actor
    }

    async fn community(&self, data: &Data<Context>) -> FederationResult<Option<CommunityActor>> {
        match &self.object {
            Undoable::Follow(follow) => follow.community(data).await,
            Undoable::Vote(vote) => vote.community(data).await,
            Undoable::Delete(delete) => delete.community(data).await,
            Undoable::Lock(lock) => lock.community(data).await,
            Undoable::Block(block) => block.community(data).await,
            Undoable::Other(_) => Ok(None),
        }
    }

    async fn verify(&self, _data: &Data<Context>) -> FederationResult<()> {
        let inner_actor = match &self.object {
            Undoable::Follow(follow) => follow.actor.inner(),
            Undoable::Vote(vote) => vote.actor.inner(),
            Undoable::Delete(delete) => delete.actor.inner(),
            Undoable::Lock(lock) => lock.actor.inner(),
            // Any moderator (or admin) of the same instance may lift a ban, not only the
            // one who gave it; who may is checked again when it is applied.
            Undoable::Block(block) => {
                if Urls::domain_of(block.actor.inner()) != Urls::domain_of(&self.actor) {
                    return Err(FederationError::Forbidden(
                        "a ban is lifted from the instance that gave it".into(),
                    ));
                }
                return Ok(());
            }
            Undoable::Other(_) => return Ok(()),
        };
        if inner_actor != &self.actor {
            return Err(FederationError::Forbidden(format!(
                "{} cannot undo what {inner_actor} did",
                self.actor
            )));
        }
        Ok(())
    }

    async fn receive(
        self,
        data: &Data<Context>,
        announcer: Option<&CommunityActor>,
    ) -> FederationResult<InboxOutcome> {
        match self.object {
            Undoable::Follow(follow) => {
                let community = follow.object.dereference_local(data).await?;
                let mut conn = data.pool.get().await?;
                let Some(person) =
                    db::people::by_ap_id(&mut conn, follow.actor.inner().as_str()).await?
                else {
                    return Ok(InboxOutcome::Ignored);
                };
                db::follows::delete(&mut conn, community.row.id, person.id).await?;
                data.follower_inboxes.forget(community.row.id);
                Ok(InboxOutcome::Processed)
            }
            Undoable::Vote(vote) => {
                let target = vote.target(data).await?;
                let voter = vote.actor.dereference(data).await?;
                service::votes::apply_remote_vote(data, &voter.row, &target, 0, None).await?;
                Ok(InboxOutcome::Processed)
            }
            Undoable::Delete(delete) => {
                set_deleted_by(
                    data,
                    delete.actor.inner(),
                    delete.object.id(),
                    false,
                    announcer,
                    delete.summary.as_deref(),
                )
                .await
            }
            Undoable::Lock(lock) => {
                set_locked_by(data, lock.actor.inner(), lock.object.id(), false, announcer).await
            }
            Undoable::Block(block) => set_banned_by(data, &block, false, announcer).await,
            Undoable::Other(_) => Ok(InboxOutcome::Ignored),
        }
    }
}
