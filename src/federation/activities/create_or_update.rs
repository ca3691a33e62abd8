//! `Create` and `Update` of posts (`Page`) and comments (`Note`).

use super::{ReceiveActivity, public, stored_url};
use crate::{
    context::Context,
    db::{
        self, DbResult,
        models::{Comment, Post},
    },
    federation::{
        FederationError, FederationResult,
        inbox::InboxOutcome,
        objects::{
            comment::{CommentObject, NoteJson, note_json_of},
            group::CommunityActor,
            mention_tag,
            microblog::MicroblogNote,
            person::PersonActor,
            post::{PageJson, PostObject, page_json_of},
        },
        verify_same_origin,
    },
    service,
};
use activitypub_federation::{
    config::Data,
    fetch::object_id::ObjectId,
    protocol::helpers::{deserialize_one_or_many, deserialize_skip_error},
    traits::Object,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub enum CreateOrUpdateType {
    Create,
    Update,
}

impl CreateOrUpdateType {
    pub fn name(self) -> &'static str {
        match self {
            CreateOrUpdateType::Create => "Create",
            CreateOrUpdateType::Update => "Update",
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(untagged)]
pub enum PostOrComment {
    Post(Box<PageJson>),
    Comment(Box<NoteJson>),
    /// A microblog note that mentions a community: a post there.
    Microblog(Box<MicroblogNote>),
}

impl PostOrComment {
    pub fn id(&self) -> &Url {
        match self {
            PostOrComment::Post(page) => page.id.inner(),
            PostOrComment::Comment(note) => note.id.inner(),
            PostOrComment::Microblog(note) => &note.id,
        }
    }

    pub fn author(&self) -> &Url {
        match self {
            PostOrComment::Post(page) => page.attributed_to.inner(),
            PostOrComment::Comment(note) => note.attributed_to.inner(),
            PostOrComment::Microblog(note) => note.attributed_to.inner(),
        }
    }

    /// The community it is in.
    pub async fn community(&self, data: &Data<Context>) -> FederationResult<CommunityActor> {
        match self {
            PostOrComment::Post(page) => page.community(data).await,
            PostOrComment::Microblog(note) => note.community(data).await,
            PostOrComment::Comment(note) => {
                let (post, _) = note.parent(data).await?;
                let mut conn = data.pool.get().await?;
                CommunityActor::new(
                    db::memo::community_by_id(&mut conn, post.community_id)
                        .await?
                        .ok_or(FederationError::NotFound("community"))?,
                )
            }
        }
    }

    /// Checks it against the rules of its community (when that is ours) and stores it.
    pub async fn store(self, author: &PersonActor, data: &Data<Context>) -> FederationResult<()> {
        let page = match self {
            PostOrComment::Post(page) => *page,
            PostOrComment::Microblog(note) => {
                if !note.is_public() {
                    return Err(FederationError::Forbidden(
                        "only public notes become posts in a community".into(),
                    ));
                }
                let community = note.community(data).await?;
                note.into_page(&community)?
            }
            PostOrComment::Comment(note) => {
                let (post, _) = note.parent(data).await?;
                service::comments::check_may_comment(data, &post, &author.row).await?;
                let expected = note.id.inner().clone();
                CommentObject::verify(&note, &expected, data).await?;
                CommentObject::from_json(*note, data).await?;
                return Ok(());
            }
        };
        let community = page.community(data).await?;
        if community.row.local {
            service::posts::check_may_post(data, &community.row, &author.row).await?;
        }
        let expected = page.id.inner().clone();
        PostObject::verify(&page, &expected, data).await?;
        PostObject::from_json(page, data).await?;
        Ok(())
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateOrUpdate {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: CreateOrUpdateType,
    pub actor: ObjectId<PersonActor>,
    pub object: PostOrComment,
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

impl CreateOrUpdate {
    pub fn for_post(
        ctx: &Context,
        kind: CreateOrUpdateType,
        post: &Post,
        author_ap_id: &str,
        community_ap_id: &str,
    ) -> DbResult<CreateOrUpdate> {
        let page = page_json_of(post, author_ap_id, community_ap_id)
            .map_err(|e| db::DbError::Corrupt(e.to_string()))?;
        let community = stored_url(community_ap_id)?;
        Ok(CreateOrUpdate {
            id: ctx.urls.new_activity(kind.name()),
            kind,
            actor: stored_url(author_ap_id)?.into(),
            object: PostOrComment::Post(Box::new(page)),
            to: vec![public()],
            cc: vec![community.clone()],
            audience: Some(community),
        })
    }

    /// Names the people the post or comment mentions: `Mention` tags, and each one in `cc`
    /// (so that their servers tell them).
    pub fn mentioning(mut self, people: &[db::models::Person]) -> DbResult<CreateOrUpdate> {
        let tags: Vec<Value> = people.iter().map(mention_tag).collect();
        let ids = people
            .iter()
            .map(|person| stored_url(&person.ap_id))
            .collect::<DbResult<Vec<Url>>>()?;
        match &mut self.object {
            PostOrComment::Post(page) => {
                page.tag.extend(tags);
                page.cc.extend(ids.iter().cloned());
            }
            PostOrComment::Comment(note) => {
                note.tag.extend(tags);
                note.cc.extend(ids.iter().cloned());
            }
            PostOrComment::Microblog(_) => {}
        }
        self.cc.extend(ids);
        Ok(self)
    }

    pub fn for_comment(
        ctx: &Context,
        kind: CreateOrUpdateType,
        comment: &Comment,
        author_ap_id: &str,
        in_reply_to: &str,
        community_ap_id: &str,
    ) -> DbResult<CreateOrUpdate> {
        let note = note_json_of(comment, author_ap_id, in_reply_to, community_ap_id)
            .map_err(|e| db::DbError::Corrupt(e.to_string()))?;
        let community = stored_url(community_ap_id)?;
        Ok(CreateOrUpdate {
            id: ctx.urls.new_activity(kind.name()),
            kind,
            actor: stored_url(author_ap_id)?.into(),
            object: PostOrComment::Comment(Box::new(note)),
            to: vec![public()],
            cc: vec![community.clone()],
            audience: Some(community),
        })
    }
}

#[async_trait::async_trait]
impl ReceiveActivity for CreateOrUpdate {
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
        Ok(Some(self.object.community(data).await?))
    }

    /// The object must be on its author's host, and its author must be the actor: nobody
    /// creates or edits in someone else's name.
    async fn verify(&self, _data: &Data<Context>) -> FederationResult<()> {
        verify_same_origin(self.object.id(), self.actor.inner())?;
        if self.object.author() != self.actor.inner() {
            return Err(FederationError::Forbidden(format!(
                "{} cannot {} what {} wrote",
                self.actor.inner(),
                self.kind.name().to_lowercase(),
                self.object.author()
            )));
        }
        Ok(())
    }

    async fn receive(
        self,
        data: &Data<Context>,
        _announcer: Option<&CommunityActor>,
    ) -> FederationResult<InboxOutcome> {
        let author = self.actor.dereference(data).await?;
        self.object.store(&author, data).await?;
        Ok(InboxOutcome::Processed)
    }
}
