//! A comment as an ActivityPub `Note` with `inReplyTo` its post or parent comment.

use super::{Source, group::CommunityActor, person::PersonActor, post::PostObject};
use crate::{
    context::Context,
    db::{
        self,
        models::{Comment, CommentContent, CommentForm, Post},
    },
    federation::{FederationError, FederationResult, PUBLIC, verify_same_origin},
    service, text,
};
use activitypub_federation::{
    config::Data,
    fetch::{FetchObjectResponse, fetch_object_http, object_id::ObjectId},
    kinds::object::NoteType,
    protocol::helpers::{deserialize_one_or_many, deserialize_skip_error},
    traits::Object,
};
use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;
use either::Either;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

const MAX_BODY_BYTES: usize = 50_000;

#[derive(Debug, Clone)]
pub struct CommentObject {
    pub row: Comment,
    id: Url,
}

impl CommentObject {
    pub fn new(row: Comment) -> FederationResult<Self> {
        let id = Url::parse(&row.ap_id)
            .map_err(|e| FederationError::BadRequest(format!("stored id {}: {e}", row.ap_id)))?;
        Ok(CommentObject { row, id })
    }
}

/// What a comment replies to.
pub type ReplyTarget = Either<PostObject, CommentObject>;

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NoteJson {
    #[serde(rename = "type")]
    pub kind: NoteType,
    pub id: ObjectId<CommentObject>,
    pub attributed_to: ObjectId<PersonActor>,
    #[serde(default, deserialize_with = "deserialize_one_or_many")]
    pub to: Vec<Url>,
    #[serde(default, deserialize_with = "deserialize_one_or_many")]
    pub cc: Vec<Url>,
    pub content: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "deserialize_skip_error"
    )]
    pub source: Option<Source>,
    pub in_reply_to: ObjectId<ReplyTarget>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "deserialize_skip_error"
    )]
    pub published: Option<DateTime<Utc>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "deserialize_skip_error"
    )]
    pub updated: Option<DateTime<Utc>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "deserialize_skip_error"
    )]
    pub audience: Option<ObjectId<CommunityActor>>,
    /// Mentions and hashtags.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "deserialize_skip_error"
    )]
    pub tag: Vec<Value>,
    /// The post and comment it answers, once looked up: the checks before storing a reply
    /// and the storing itself each need them.
    #[serde(skip)]
    parent: tokio::sync::OnceCell<(Post, Option<Comment>)>,
}

impl NoteJson {
    /// The post this comment belongs to and the comment it answers, fetching what is
    /// missing from its origin.
    pub async fn parent(&self, data: &Data<Context>) -> FederationResult<(Post, Option<Comment>)> {
        let parent = self
            .parent
            .get_or_try_init(|| async {
                if let Some(stored) = stored_parent(self.in_reply_to.inner(), data).await? {
                    return Ok(stored);
                }
                store_missing_ancestors(self.in_reply_to.inner(), data).await?;
                match self.in_reply_to.dereference(data).await? {
                    Either::Left(post) => Ok((post.row, None)),
                    Either::Right(comment) => {
                        let mut conn = data.pool.get().await?;
                        let post = db::posts::by_id(&mut conn, comment.row.post_id)
                            .await?
                            .ok_or(FederationError::NotFound("post"))?;
                        Ok::<_, FederationError>((post, Some(comment.row)))
                    }
                }
            })
            .await?;
        Ok(parent.clone())
    }
}

/// The post and comment that `in_reply_to` names, when they are stored here.
async fn stored_parent(
    in_reply_to: &Url,
    data: &Data<Context>,
) -> FederationResult<Option<(Post, Option<Comment>)>> {
    Ok(data
        .inbox_batches
        .reply_target(in_reply_to.as_str())
        .await?)
}

/// Fetches and stores the comments above a reply that are not stored yet, from the top
/// down, so that each one's parent is stored when it is. Following the chain by recursive
/// dereferencing nests one set of stack frames per level, and a chain of 16 comments
/// overflowed a worker thread's stack in a debug build; this loop keeps the stack flat.
/// The chain's length is bounded by the fetches one activity may cause
/// (`MAX_FETCHES_PER_ACTIVITY`): a longer one fails the whole activity.
async fn store_missing_ancestors(first: &Url, data: &Data<Context>) -> FederationResult<()> {
    let mut missing: Vec<(NoteJson, Url)> = Vec::new();
    let mut next = first.clone();
    loop {
        let mut conn = data.pool.get().await?;
        let stored = db::comments::by_ap_id(&mut conn, next.as_str())
            .await?
            .is_some()
            || db::posts::by_ap_id(&mut conn, next.as_str())
                .await?
                .is_some();
        drop(conn);
        if stored || crate::urls::Urls::domain_of(&next).as_deref() == Some(data.domain()) {
            break;
        }
        let fetched: FetchObjectResponse<Value> = fetch_object_http(&next, data).await?;
        if fetched.object.get("type").and_then(Value::as_str) != Some("Note") {
            // The post at the top: dereferenced by the caller.
            break;
        }
        let note: NoteJson = serde_json::from_value(fetched.object)
            .map_err(|e| FederationError::BadRequest(format!("malformed reply {next}: {e}")))?;
        next = note.in_reply_to.inner().clone();
        missing.push((note, fetched.url));
    }
    for (note, fetched_from) in missing.into_iter().rev() {
        CommentObject::verify(&note, &fetched_from, data).await?;
        CommentObject::from_json(note, data).await?;
    }
    Ok(())
}

/// Builds the `Note` of a stored comment, looking up what it refers to.
pub async fn note_json(comment: &Comment, data: &Data<Context>) -> FederationResult<NoteJson> {
    let mut conn = data.pool.get().await?;
    let author = db::people::by_id(&mut conn, comment.author_id)
        .await?
        .ok_or(FederationError::NotFound("author"))?;
    let post = db::posts::by_id(&mut conn, comment.post_id)
        .await?
        .ok_or(FederationError::NotFound("post"))?;
    let community = db::communities::by_id(&mut conn, post.community_id)
        .await?
        .ok_or(FederationError::NotFound("community"))?;
    let in_reply_to = match comment.parent_id {
        Some(parent_id) => {
            db::comments::by_id(&mut conn, parent_id)
                .await?
                .ok_or(FederationError::NotFound("parent comment"))?
                .ap_id
        }
        None => post.ap_id,
    };
    note_json_of(comment, &author.ap_id, &in_reply_to, &community.ap_id)
}

/// Builds the `Note` of a comment whose author, parent and community ids are known.
pub fn note_json_of(
    comment: &Comment,
    author_ap_id: &str,
    in_reply_to: &str,
    community_ap_id: &str,
) -> FederationResult<NoteJson> {
    let community_id = parse(community_ap_id)?;
    Ok(NoteJson {
        kind: NoteType::Note,
        id: parse(&comment.ap_id)?.into(),
        attributed_to: parse(author_ap_id)?.into(),
        to: vec![parse(PUBLIC)?],
        cc: vec![community_id.clone()],
        content: comment.body_html.clone(),
        media_type: Some("text/html".into()),
        source: comment.body_source.clone().map(Source::markdown),
        in_reply_to: parse(in_reply_to)?.into(),
        published: Some(comment.published_at),
        updated: comment.updated_at,
        audience: Some(community_id.into()),
        tag: Vec::new(),
        parent: Default::default(),
    })
}

fn parse(url: &str) -> FederationResult<Url> {
    Url::parse(url).map_err(|e| FederationError::BadRequest(format!("{url}: {e}")))
}

#[async_trait::async_trait]
impl Object for CommentObject {
    type DataType = Context;
    type Kind = NoteJson;
    type Error = FederationError;

    fn id(&self) -> &Url {
        &self.id
    }

    async fn read_from_id(object_id: Url, data: &Data<Context>) -> FederationResult<Option<Self>> {
        let mut conn = data.pool.get().await?;
        db::comments::by_ap_id(&mut conn, object_id.as_str())
            .await?
            .map(CommentObject::new)
            .transpose()
    }

    async fn delete(&self, data: &Data<Context>) -> FederationResult<()> {
        let mut conn = data.pool.get().await?;
        conn.transaction::<_, db::DbError, _>(async |conn| {
            db::comments::set_deleted(conn, self.row.id, true).await
        })
        .await?;
        Ok(())
    }

    fn is_deleted(&self) -> bool {
        self.row.deleted || self.row.removed
    }

    async fn into_json(self, data: &Data<Context>) -> FederationResult<NoteJson> {
        note_json(&self.row, data).await
    }

    /// A comment must come from its author's host, and from the host it was fetched from.
    async fn verify(
        json: &NoteJson,
        expected_domain: &Url,
        _data: &Data<Context>,
    ) -> FederationResult<()> {
        verify_same_origin(json.id.inner(), expected_domain)?;
        verify_same_origin(json.id.inner(), json.attributed_to.inner())?;
        Ok(())
    }

    async fn from_json(json: NoteJson, data: &Data<Context>) -> FederationResult<Self> {
        super::refuse_nul(&json)?;
        if json.content.len() > MAX_BODY_BYTES {
            return Err(FederationError::BadRequest(
                "the comment is too long".into(),
            ));
        }
        let author = json.attributed_to.dereference(data).await?;
        let (post, parent) = json.parent(data).await?;
        let (parent_author_id, parent_local) = parent
            .as_ref()
            .map_or((post.author_id, post.local), |p| (p.author_id, p.local));
        if let Some(audience) = &json.audience {
            let mut conn = data.pool.get().await?;
            let community = db::memo::community_by_id(&mut conn, post.community_id).await?;
            if community.map(|c| c.ap_id).as_deref() != Some(audience.inner().as_str()) {
                return Err(FederationError::BadRequest(
                    "the comment's audience is not its post's community".into(),
                ));
            }
        }
        let ap_id = json.id.inner().to_string();
        let form = CommentForm {
            ap_id: ap_id.clone(),
            post_id: post.id,
            parent_id: parent.as_ref().map(|p| p.id),
            author_id: author.row.id,
            local: false,
            body_source: json.source.and_then(Source::into_markdown),
            body_html: text::sanitize_html(&json.content),
            published_at: json.published.unwrap_or_else(Utc::now),
            updated_at: json.updated,
            ancestors: parent
                .map(|p| {
                    let mut ancestors = p.ancestors;
                    ancestors.push(p.id);
                    ancestors
                })
                .unwrap_or_default(),
        };
        let mentions = super::microblog::mentions(&json.tag);
        // Most comments that arrive are new: try the insert first, and look for a stored one
        // only when it is refused as a duplicate (an edit, a redelivery, or a local id).
        let inserted = data
            .inbox_batches
            .insert_remote_comment(form.clone())
            .await?;
        let row = match &inserted {
            Some(row) => row.clone(),
            None => {
                let mut conn = data.pool.get().await?;
                let stored = db::comments::by_ap_id(&mut conn, &ap_id)
                    .await?
                    .ok_or(FederationError::NotFound("comment"))?;
                if stored.local {
                    return Err(FederationError::Forbidden(format!(
                        "{ap_id} is a local comment"
                    )));
                }
                if stored.author_id != author.row.id {
                    return Err(FederationError::Forbidden(
                        "a comment cannot change its author".into(),
                    ));
                }
                let content = CommentContent {
                    body_source: form.body_source,
                    body_html: form.body_html,
                    updated_at: form.updated_at,
                };
                db::comments::update_content(&mut conn, stored.id, &content).await?
            }
        };
        if inserted.is_some() {
            service::notifications::on_new_comment(
                data,
                &row,
                parent_author_id,
                parent_local,
                &mentions,
            )
            .await?;
        }
        CommentObject::new(row)
    }
}
