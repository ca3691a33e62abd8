//! Posts: who may post where, and creating, editing and deleting them.

use super::{ServiceError, ServiceResult, publish_in_community};
use crate::{
    context::Context,
    db::{
        self, DbError,
        models::{Community, Person, Post, PostContent, PostForm},
    },
    federation::{
        activities::{
            create_or_update::{CreateOrUpdate, CreateOrUpdateType},
            delete::Delete,
            undo::{Undo, Undoable},
        },
        delivery,
    },
    text,
};
use activitypub_federation::config::Data;
use chrono::Utc;
use diesel_async::AsyncConnection;

const MAX_TITLE_CHARS: usize = 200;
const MAX_BODY_CHARS: usize = 50_000;
const MAX_URL_BYTES: usize = 2_000;

#[derive(Debug, Clone, Default)]
pub struct PostInput {
    pub title: String,
    /// Markdown.
    pub body: Option<String>,
    pub url: Option<String>,
    pub sensitive: bool,
}

/// A validated post: trimmed title, rendered body, checked link.
struct ValidPost {
    title: String,
    body_source: Option<String>,
    body_html: Option<String>,
    url: Option<String>,
    sensitive: bool,
}

fn validate(input: PostInput) -> ServiceResult<ValidPost> {
    let title = input.title.trim().to_string();
    if title.is_empty() || title.chars().count() > MAX_TITLE_CHARS {
        return Err(ServiceError::field(
            "title",
            format!("the title must be 1 to {MAX_TITLE_CHARS} characters"),
        ));
    }
    let body = input
        .body
        .map(|b| b.trim().to_string())
        .filter(|b| !b.is_empty());
    if body
        .as_ref()
        .is_some_and(|b| b.chars().count() > MAX_BODY_CHARS)
    {
        return Err(ServiceError::field(
            "body",
            format!("the body must be at most {MAX_BODY_CHARS} characters"),
        ));
    }
    let url = match input
        .url
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty())
    {
        Some(url) => {
            let parsed = url::Url::parse(&url)
                .map_err(|_| ServiceError::field("url", "the link is not a valid URL"))?;
            if !matches!(parsed.scheme(), "http" | "https") || url.len() > MAX_URL_BYTES {
                return Err(ServiceError::field(
                    "url",
                    "the link must be an http or https URL",
                ));
            }
            Some(parsed.to_string())
        }
        None => None,
    };
    Ok(ValidPost {
        title,
        body_html: body.as_deref().map(text::markdown_to_html),
        body_source: body,
        url,
        sensitive: input.sensitive,
    })
}

/// Whether `author` may post in `community`: not deleted, not banned, and a moderator when
/// the community restricts posting to its moderators.
pub async fn check_may_post(
    ctx: &Context,
    community: &Community,
    author: &Person,
) -> ServiceResult<()> {
    if community.deleted {
        return Err(ServiceError::Forbidden(
            "this community has been deleted".into(),
        ));
    }
    super::moderation::check_not_site_banned(author)?;
    let mut conn = ctx.pool.get().await?;
    if community.local && db::memo::is_banned(&mut conn, community.id, author.id).await? {
        return Err(ServiceError::Forbidden(
            "you are banned from this community".into(),
        ));
    }
    if community.posting_restricted_to_mods {
        let moderators = db::communities::moderators(&mut conn, community.id).await?;
        if !moderators.iter().any(|m| m.id == author.id) {
            return Err(ServiceError::Forbidden(
                "only moderators may post in this community".into(),
            ));
        }
    }
    Ok(())
}

/// A local person posts in a community (local or remote).
pub async fn create_post(
    data: &Data<Context>,
    author: &Person,
    community: &Community,
    input: PostInput,
) -> ServiceResult<Post> {
    if !author.local {
        return Err(ServiceError::Invalid(
            "only local people post from here".into(),
        ));
    }
    let post = validate(input)?;
    check_may_post(data, community, author).await?;
    let mentioned = match &post.body_source {
        Some(body) => super::notifications::mentioned_people(data, body).await?,
        None => Vec::new(),
    };
    let now = Utc::now();
    let mut conn = data.pool.get().await?;
    let created = conn
        .transaction::<_, DbError, _>(async |conn| {
            let id = db::posts::next_id(conn).await?;
            let row = db::posts::insert(
                conn,
                &PostForm {
                    id: Some(id),
                    ap_id: data.urls.post(id).to_string(),
                    community_id: community.id,
                    author_id: author.id,
                    local: true,
                    title: post.title,
                    url: post.url,
                    body_source: post.body_source,
                    body_html: post.body_html,
                    sensitive: post.sensitive,
                    locked: false,
                    published_at: now,
                    updated_at: None,
                    newest_comment_at: now,
                },
            )
            .await?;
            let create = CreateOrUpdate::for_post(
                data,
                CreateOrUpdateType::Create,
                &row,
                &author.ap_id,
                &community.ap_id,
            )?
            .mentioning(&mentioned)?;
            publish_in_community(conn, data, community, &create.id, "Create", &create).await?;
            Ok(row)
        })
        .await?;
    delivery::wake(data);
    let mentioned = super::notifications::ids_of(&mentioned);
    super::notifications::on_new_post(data, &created, &mentioned).await?;
    Ok(created)
}

/// The author edits a post.
pub async fn edit_post(
    data: &Data<Context>,
    editor: &Person,
    post: &Post,
    input: PostInput,
) -> ServiceResult<Post> {
    if editor.id != post.author_id || !editor.local {
        return Err(ServiceError::Forbidden(
            "only the author may edit a post".into(),
        ));
    }
    if post.deleted || post.removed {
        return Err(ServiceError::Forbidden(
            "a deleted post cannot be edited".into(),
        ));
    }
    let valid = validate(input)?;
    let community = community_of(data, post).await?;
    let content = PostContent {
        title: valid.title,
        url: valid.url,
        body_source: valid.body_source,
        body_html: valid.body_html,
        sensitive: valid.sensitive,
        locked: post.locked,
        updated_at: Some(Utc::now()),
    };
    let mut conn = data.pool.get().await?;
    let updated = conn
        .transaction::<_, DbError, _>(async |conn| {
            let row = db::posts::update_content(conn, post.id, &content).await?;
            let update = CreateOrUpdate::for_post(
                data,
                CreateOrUpdateType::Update,
                &row,
                &editor.ap_id,
                &community.ap_id,
            )?;
            publish_in_community(conn, data, &community, &update.id, "Update", &update).await?;
            Ok(row)
        })
        .await?;
    delivery::wake(data);
    Ok(updated)
}

/// The author deletes a post, or restores it (`deleted` false): a Delete, or an Undo of one.
pub async fn delete_post(
    data: &Data<Context>,
    author: &Person,
    post: &Post,
    deleted: bool,
) -> ServiceResult<Post> {
    if author.id != post.author_id || !author.local {
        return Err(ServiceError::Forbidden(
            "only the author may delete a post".into(),
        ));
    }
    if post.deleted == deleted {
        return Ok(post.clone());
    }
    let community = community_of(data, post).await?;
    let delete = Delete::new(data, &author.ap_id, &post.ap_id, &community.ap_id)?;
    let mut conn = data.pool.get().await?;
    let updated = conn
        .transaction::<_, DbError, _>(async |conn| {
            let row = db::posts::set_deleted(conn, post.id, deleted).await?;
            if deleted {
                publish_in_community(conn, data, &community, &delete.id, "Delete", &delete).await?;
            } else {
                let undo = Undo::new(
                    data,
                    &author.ap_id,
                    Undoable::Delete(delete),
                    &community.ap_id,
                )?;
                publish_in_community(conn, data, &community, &undo.id, "Undo", &undo).await?;
            }
            Ok(row)
        })
        .await?;
    delivery::wake(data);
    Ok(updated)
}

pub(super) async fn community_of(ctx: &Context, post: &Post) -> ServiceResult<Community> {
    let mut conn = ctx.pool.get().await?;
    db::memo::community_by_id(&mut conn, post.community_id)
        .await?
        .ok_or(ServiceError::NotFound("community"))
}
