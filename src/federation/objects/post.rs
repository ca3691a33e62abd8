//! A post as an ActivityPub `Page` (Lemmy's form): title in `name`, HTML in `content`, the
//! Markdown in `source`, a link in `attachment`, the community in `audience` and `to`.

use super::{Source, group::CommunityActor, person::PersonActor};
use crate::{
    context::Context,
    db::{
        self,
        models::{Post, PostContent, PostForm},
    },
    federation::{FederationError, FederationResult, PUBLIC, verify_same_origin},
    service, text,
};
use activitypub_federation::{
    config::Data,
    fetch::object_id::ObjectId,
    protocol::helpers::{deserialize_one_or_many, deserialize_skip_error},
    traits::Object,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use url::Url;

const MAX_TITLE_CHARS: usize = 200;
/// How long the plain-text excerpt in `summary` is.
const SUMMARY_CHARS: usize = 500;
const MAX_BODY_BYTES: usize = 100_000;

#[derive(Debug, Clone)]
pub struct PostObject {
    pub row: Post,
    id: Url,
}

impl PostObject {
    pub fn new(row: Post) -> FederationResult<Self> {
        let id = Url::parse(&row.ap_id)
            .map_err(|e| FederationError::BadRequest(format!("stored id {}: {e}", row.ap_id)))?;
        Ok(PostObject { row, id })
    }
}

/// The object types that become posts. Lemmy sends `Page`; other group software sends the
/// others.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub enum PageKind {
    Page,
    Article,
    Video,
    Event,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PageJson {
    #[serde(rename = "type")]
    pub kind: PageKind,
    pub id: ObjectId<PostObject>,
    pub attributed_to: ObjectId<PersonActor>,
    #[serde(default, deserialize_with = "deserialize_one_or_many")]
    pub to: Vec<Url>,
    #[serde(default, deserialize_with = "deserialize_one_or_many")]
    pub cc: Vec<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// A plain-text excerpt of the body, for microblogs: Mastodon shows a `Page` as its
    /// name, this summary and a link, never its content.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "deserialize_skip_error"
    )]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "deserialize_skip_error"
    )]
    pub source: Option<Source>,
    #[serde(default, deserialize_with = "deserialize_skip_error")]
    pub attachment: Vec<Value>,
    #[serde(default, deserialize_with = "deserialize_skip_error")]
    pub sensitive: Option<bool>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "deserialize_skip_error"
    )]
    pub comments_enabled: Option<bool>,
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
}

impl PageJson {
    /// The link of a link post: the first `Link` (href) or `Image` (url) attachment.
    fn link(&self) -> Option<Url> {
        self.attachment.iter().find_map(|item| {
            let url = match item.get("type").and_then(Value::as_str) {
                Some("Link") => item.get("href"),
                Some("Image" | "Document") => item.get("url"),
                _ => None,
            }?;
            let url = Url::parse(url.as_str()?).ok()?;
            matches!(url.scheme(), "http" | "https").then_some(url)
        })
    }

    /// The community a post belongs to: `audience`, or else a known community in `to`/`cc`.
    pub async fn community(&self, data: &Data<Context>) -> FederationResult<CommunityActor> {
        if let Some(audience) = &self.audience {
            return audience.dereference(data).await;
        }
        let mut conn = data.pool.get().await?;
        for url in self.to.iter().chain(&self.cc) {
            if let Some(community) = db::memo::community_by_ap_id(&mut conn, url.as_str()).await? {
                return CommunityActor::new(community);
            }
        }
        drop(conn);
        // An unknown community: the first addressee that is not the public collection.
        let candidate = self
            .to
            .iter()
            .chain(&self.cc)
            .find(|url| url.as_str() != PUBLIC)
            .ok_or(FederationError::BadRequest(
                "the post names no community".into(),
            ))?;
        ObjectId::<CommunityActor>::from(candidate.clone())
            .dereference(data)
            .await
    }
}

/// Builds the `Page` of a stored post, looking up its author and community.
pub async fn page_json(post: &Post, data: &Data<Context>) -> FederationResult<PageJson> {
    let mut conn = data.pool.get().await?;
    let author = db::people::by_id(&mut conn, post.author_id)
        .await?
        .ok_or(FederationError::NotFound("author"))?;
    let community = db::communities::by_id(&mut conn, post.community_id)
        .await?
        .ok_or(FederationError::NotFound("community"))?;
    page_json_of(post, &author.ap_id, &community.ap_id)
}

/// Builds the `Page` of a post whose author and community ids are known.
pub fn page_json_of(
    post: &Post,
    author_ap_id: &str,
    community_ap_id: &str,
) -> FederationResult<PageJson> {
    let community_id = parse(community_ap_id)?;
    Ok(PageJson {
        kind: PageKind::Page,
        id: parse(&post.ap_id)?.into(),
        attributed_to: parse(author_ap_id)?.into(),
        to: vec![community_id.clone(), parse(PUBLIC)?],
        cc: vec![],
        name: Some(post.title.clone()),
        content: post.body_html.clone(),
        summary: post
            .body_html
            .as_deref()
            .map(|html| text::excerpt(html, SUMMARY_CHARS)),
        media_type: Some("text/html".into()),
        source: post.body_source.clone().map(Source::markdown),
        attachment: post
            .url
            .iter()
            .map(|url| json!({ "type": "Link", "href": url }))
            .collect(),
        sensitive: Some(post.sensitive),
        comments_enabled: Some(!post.locked),
        published: Some(post.published_at),
        updated: post.updated_at,
        audience: Some(community_id.into()),
        tag: Vec::new(),
    })
}

fn parse(url: &str) -> FederationResult<Url> {
    Url::parse(url).map_err(|e| FederationError::BadRequest(format!("{url}: {e}")))
}

#[async_trait::async_trait]
impl Object for PostObject {
    type DataType = Context;
    type Kind = PageJson;
    type Error = FederationError;

    fn id(&self) -> &Url {
        &self.id
    }

    async fn read_from_id(object_id: Url, data: &Data<Context>) -> FederationResult<Option<Self>> {
        data.inbox_batches
            .post_by_ap_id(object_id.as_str())
            .await?
            .map(PostObject::new)
            .transpose()
    }

    async fn delete(&self, data: &Data<Context>) -> FederationResult<()> {
        let mut conn = data.pool.get().await?;
        db::posts::set_deleted(&mut conn, self.row.id, true).await?;
        Ok(())
    }

    fn is_deleted(&self) -> bool {
        self.row.deleted || self.row.removed
    }

    async fn into_json(self, data: &Data<Context>) -> FederationResult<PageJson> {
        page_json(&self.row, data).await
    }

    /// A post must come from its author's host, and from the host it was fetched from.
    async fn verify(
        json: &PageJson,
        expected_domain: &Url,
        _data: &Data<Context>,
    ) -> FederationResult<()> {
        verify_same_origin(json.id.inner(), expected_domain)?;
        verify_same_origin(json.id.inner(), json.attributed_to.inner())?;
        Ok(())
    }

    async fn from_json(json: PageJson, data: &Data<Context>) -> FederationResult<Self> {
        super::refuse_nul(&json)?;
        let author = json.attributed_to.dereference(data).await?;
        let community = json.community(data).await?;
        let title = json
            .name
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(FederationError::BadRequest(
                "a post needs a title (name)".into(),
            ))?;
        // Titles a little over our limit (other software allows 255) are cut; far longer
        // ones are not a title but an attack, and are refused.
        if title.chars().count() > MAX_TITLE_CHARS * 5 {
            return Err(FederationError::BadRequest(
                "the title is far too long".into(),
            ));
        }
        let body_html = json
            .content
            .as_deref()
            .or(json.summary.as_deref())
            .map(|html| {
                if html.len() > MAX_BODY_BYTES {
                    Err(FederationError::BadRequest("the post is too long".into()))
                } else {
                    Ok(text::sanitize_html(html))
                }
            })
            .transpose()?;
        let content = PostContent {
            title: title.chars().take(MAX_TITLE_CHARS).collect(),
            url: json.link().map(Into::into),
            body_source: json.source.clone().and_then(Source::into_markdown),
            body_html,
            sensitive: json.sensitive.unwrap_or(false),
            locked: json.comments_enabled == Some(false),
            updated_at: json.updated,
        };
        let published_at = json.published.unwrap_or_else(Utc::now);
        let form = PostForm {
            id: None,
            ap_id: json.id.inner().to_string(),
            community_id: community.row.id,
            author_id: author.row.id,
            local: false,
            title: content.title.clone(),
            url: content.url.clone(),
            body_source: content.body_source.clone(),
            body_html: content.body_html.clone(),
            sensitive: content.sensitive,
            locked: content.locked,
            published_at,
            updated_at: json.updated,
            newest_comment_at: published_at,
        };
        let mut conn = data.pool.get().await?;
        if let Some(stored) = db::posts::by_ap_id(&mut conn, &form.ap_id).await? {
            if stored.author_id != author.row.id || stored.community_id != community.row.id {
                return Err(FederationError::Forbidden(
                    "a post cannot change its author or community".into(),
                ));
            }
        }
        let known = db::posts::by_ap_id(&mut conn, &form.ap_id).await?.is_some();
        let row = db::posts::upsert_remote(&mut conn, &form, &content)
            .await?
            .ok_or(FederationError::Forbidden(format!(
                "{} is a local post",
                form.ap_id
            )))?;
        // The notifications take connections of their own: give this one back first.
        drop(conn);
        if !known {
            let mentions = super::microblog::mentions(&json.tag);
            service::notifications::on_new_post(data, &row, &mentions).await?;
        }
        PostObject::new(row)
    }
}
