//! `Like` and `Dislike` of posts and comments: an upvote and a downvote.

use super::{ReceiveActivity, StoredObject, stored_url};
use crate::{
    context::Context,
    db::DbResult,
    federation::{
        FederationError, FederationResult,
        inbox::InboxOutcome,
        objects::{comment::ReplyTarget, group::CommunityActor, person::PersonActor},
    },
    service,
};
use activitypub_federation::{
    config::Data, fetch::object_id::ObjectId, protocol::helpers::deserialize_skip_error,
};
use either::Either;
use serde::{Deserialize, Serialize};
use url::Url;

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub enum VoteType {
    Like,
    Dislike,
}

impl VoteType {
    pub fn score(self) -> i16 {
        match self {
            VoteType::Like => 1,
            VoteType::Dislike => -1,
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Vote {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: VoteType,
    pub actor: ObjectId<PersonActor>,
    pub object: ObjectId<ReplyTarget>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "deserialize_skip_error"
    )]
    pub audience: Option<Url>,
    /// The voted item, once looked up: finding the community and applying the vote both
    /// need it.
    #[serde(skip)]
    target: tokio::sync::OnceCell<StoredObject>,
}

impl Vote {
    pub fn new(
        ctx: &Context,
        kind: VoteType,
        actor_ap_id: &str,
        object_ap_id: &str,
        community_ap_id: &str,
    ) -> DbResult<Vote> {
        Ok(Vote {
            id: ctx.urls.new_activity(match kind {
                VoteType::Like => "like",
                VoteType::Dislike => "dislike",
            }),
            kind,
            actor: stored_url(actor_ap_id)?.into(),
            object: stored_url(object_ap_id)?.into(),
            audience: Some(stored_url(community_ap_id)?),
            target: Default::default(),
        })
    }

    /// The voted item, fetched from its origin if it is not stored yet.
    pub(super) async fn target(&self, data: &Data<Context>) -> FederationResult<StoredObject> {
        let target = self
            .target
            .get_or_try_init(|| async {
                Ok::<_, FederationError>(match self.object.dereference(data).await? {
                    Either::Left(post) => StoredObject::Post(post.row),
                    Either::Right(comment) => StoredObject::Comment(comment.row),
                })
            })
            .await?;
        Ok(target.clone())
    }
}

#[async_trait::async_trait]
impl ReceiveActivity for Vote {
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
        let target = self.target(data).await?;
        let mut conn = data.pool.get().await?;
        target
            .community(&mut conn)
            .await?
            .map(CommunityActor::new)
            .transpose()
    }

    async fn verify(&self, _data: &Data<Context>) -> FederationResult<()> {
        Ok(())
    }

    async fn receive(
        self,
        data: &Data<Context>,
        _announcer: Option<&CommunityActor>,
    ) -> FederationResult<InboxOutcome> {
        let target = self.target(data).await?;
        let voter = self.actor.dereference(data).await?;
        service::votes::apply_remote_vote(
            data,
            &voter.row,
            &target,
            self.kind.score(),
            Some(self.id.as_str()),
        )
        .await?;
        Ok(InboxOutcome::Processed)
    }
}
