//! `Block` of a person, as Lemmy sends it: with a community as `target`, a ban from that
//! community (announced by the community, like every moderator action); with an instance
//! actor as `target`, a ban from that instance, sent by it to its peers. `Undo` lifts
//! either. A Mastodon user's `Block` of someone (no target) concerns only them.

use super::{ReceiveActivity, announced_moderator, stored_url};
use crate::{
    context::Context,
    db::{self, DbResult},
    federation::{
        FederationError, FederationResult,
        inbox::InboxOutcome,
        objects::{group::CommunityActor, person::PersonActor},
    },
    service::{self, moderation::BanTerms},
    urls::Urls,
};
use activitypub_federation::{
    config::Data,
    fetch::object_id::ObjectId,
    kinds::activity::BlockType,
    protocol::helpers::{deserialize_one_or_many, deserialize_skip_error},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Block {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: BlockType,
    pub actor: ObjectId<PersonActor>,
    pub object: ObjectId<PersonActor>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "deserialize_skip_error"
    )]
    pub target: Option<Url>,
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
    /// The reason, shown in the modlog.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "deserialize_skip_error"
    )]
    pub summary: Option<String>,
    /// Whether what the person wrote there is removed with the ban.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "deserialize_skip_error"
    )]
    pub remove_data: Option<bool>,
    /// When the ban ends; never when absent. Newer Lemmy versions name it `endTime`.
    #[serde(
        default,
        alias = "endTime",
        skip_serializing_if = "Option::is_none",
        deserialize_with = "deserialize_skip_error"
    )]
    pub expires: Option<DateTime<Utc>>,
}

impl Block {
    /// A ban of `person_ap_id` from `target` (a community, or this instance's actor),
    /// addressed to `(to, cc)`.
    pub fn new(
        ctx: &Context,
        actor_ap_id: &str,
        person_ap_id: &str,
        target: Url,
        (to, cc): (Vec<Url>, Vec<Url>),
        terms: &BanTerms<'_>,
    ) -> DbResult<Block> {
        Ok(Block {
            id: ctx.urls.new_activity("block"),
            kind: BlockType::Block,
            actor: stored_url(actor_ap_id)?.into(),
            object: stored_url(person_ap_id)?.into(),
            audience: cc.first().cloned(),
            target: Some(target),
            to,
            cc,
            summary: terms.reason.map(str::to_string),
            remove_data: Some(terms.remove_content),
            expires: terms.expires_at,
        })
    }

    fn terms(&self) -> BanTerms<'_> {
        BanTerms {
            reason: self.summary.as_deref(),
            expires_at: self.expires,
            remove_content: self.remove_data.unwrap_or(false),
        }
    }
}

#[async_trait::async_trait]
impl ReceiveActivity for Block {
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
        let Some(target) = &self.target else {
            return Ok(None);
        };
        let mut conn = data.pool.get().await?;
        db::communities::by_ap_id(&mut conn, target.as_str())
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
        announcer: Option<&CommunityActor>,
    ) -> FederationResult<InboxOutcome> {
        set_banned_by(data, &self, true, announcer).await
    }
}

/// Applies a ban (or its lifting) that arrived as a `Block` (or the `Undo` of one).
pub(super) async fn set_banned_by(
    data: &Data<Context>,
    block: &Block,
    banned: bool,
    announcer: Option<&CommunityActor>,
) -> FederationResult<InboxOutcome> {
    let Some(target) = &block.target else {
        return Ok(InboxOutcome::Ignored);
    };
    if block.community(data).await?.is_some() {
        let (moderator, community) =
            announced_moderator(data, block.actor.inner(), announcer).await?;
        let person = block.object.dereference(data).await?;
        service::moderation::apply_announced_community_ban(
            data,
            &moderator.row,
            &community.row,
            &person.row,
            banned,
            block.terms(),
        )
        .await?;
        return Ok(InboxOutcome::Processed);
    }
    // A site ban: an instance speaks only for its own people.
    let actor_domain = Urls::domain_of(block.actor.inner());
    if actor_domain.is_none()
        || actor_domain != Urls::domain_of(target)
        || actor_domain != Urls::domain_of(block.object.inner())
        || actor_domain.as_deref() == Some(data.domain())
    {
        return Err(FederationError::Forbidden(
            "an instance may ban only its own people from itself".into(),
        ));
    }
    let admin = block.actor.dereference(data).await?;
    let person = block.object.dereference(data).await?;
    service::moderation::apply_home_site_ban(data, &admin.row, &person.row, banned, block.terms())
        .await?;
    Ok(InboxOutcome::Processed)
}
