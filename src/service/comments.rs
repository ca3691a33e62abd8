//! Comments: who may comment, and creating, editing and deleting them.

use super::{ServiceError, ServiceResult, posts::community_of, publish_in_community};
use crate::{
    context::Context,
    db::{
        self, DbError,
        models::{Comment, CommentContent, CommentForm, Person, Post},
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

const MAX_BODY_CHARS: usize = 10_000;

fn validate(body: &str) -> ServiceResult<(String, String)> {
    let body = body.trim();
    if body.is_empty() || body.chars().count() > MAX_BODY_CHARS {
        return Err(ServiceError::field(
            "content",
            format!("a comment must be 1 to {MAX_BODY_CHARS} characters"),
        ));
    }
    Ok((body.to_string(), text::markdown_to_html(body)))
}

/// What a local community enforces on a new comment: the post is open, and the author is
/// not banned. Remote communities enforce their own rules.
pub async fn check_may_comment(ctx: &Context, post: &Post, author: &Person) -> ServiceResult<()> {
    super::moderation::check_not_site_banned(author)?;
    let community = community_of(ctx, post).await?;
    if !community.local {
        return Ok(());
    }
    if post.locked {
        return Err(ServiceError::Forbidden("this post is locked".into()));
    }
    if post.deleted || post.removed {
        return Err(ServiceError::Forbidden("this post has been deleted".into()));
    }
    let mut conn = ctx.pool.get().await?;
    if db::memo::is_banned(&mut conn, community.id, author.id).await? {
        return Err(ServiceError::Forbidden(
            "you are banned from this community".into(),
        ));
    }
    Ok(())
}

/// A local person comments on a post, or replies to a comment of it.
pub async fn create_comment(
    data: &Data<Context>,
    author: &Person,
    post: &Post,
    parent: Option<&Comment>,
    body: &str,
) -> ServiceResult<Comment> {
    if !author.local {
        return Err(ServiceError::Invalid(
            "only local people comment from here".into(),
        ));
    }
    let (body_source, body_html) = validate(body)?;
    if let Some(parent) = parent {
        if parent.post_id != post.id {
            return Err(ServiceError::Invalid(
                "the parent comment belongs to another post".into(),
            ));
        }
    }
    if post.locked {
        return Err(ServiceError::Forbidden("this post is locked".into()));
    }
    check_may_comment(data, post, author).await?;
    let community = community_of(data, post).await?;
    let mentioned = super::notifications::mentioned_people(data, &body_source).await?;
    let in_reply_to = parent
        .map(|p| p.ap_id.clone())
        .unwrap_or_else(|| post.ap_id.clone());
    let ancestors = parent
        .map(|p| {
            let mut ancestors = p.ancestors.clone();
            ancestors.push(p.id);
            ancestors
        })
        .unwrap_or_default();
    let mut conn = data.pool.get().await?;
    let created = conn
        .transaction::<_, DbError, _>(async |conn| {
            let id = db::comments::next_id(conn).await?;
            let row = db::comments::insert_new(
                conn,
                id,
                &CommentForm {
                    ap_id: data.urls.comment(id).to_string(),
                    post_id: post.id,
                    parent_id: parent.map(|p| p.id),
                    author_id: author.id,
                    local: true,
                    body_source: Some(body_source),
                    body_html,
                    published_at: Utc::now(),
                    updated_at: None,
                    ancestors,
                },
            )
            .await?
            .ok_or_else(|| DbError::Corrupt("a fresh comment id was taken".into()))?;
            let create = CreateOrUpdate::for_comment(
                data,
                CreateOrUpdateType::Create,
                &row,
                &author.ap_id,
                &in_reply_to,
                &community.ap_id,
            )?
            .mentioning(&mentioned)?;
            publish_in_community(conn, data, &community, &create.id, "Create", &create).await?;
            Ok(row)
        })
        .await?;
    delivery::wake(data);
    let mentioned = super::notifications::ids_of(&mentioned);
    let (parent_author_id, parent_local) = parent.map_or((post.author_id, post.local), |parent| {
        (parent.author_id, parent.local)
    });
    super::notifications::on_new_comment(
        data,
        &created,
        parent_author_id,
        parent_local,
        &mentioned,
    )
    .await?;
    Ok(created)
}

/// The author edits a comment.
pub async fn edit_comment(
    data: &Data<Context>,
    editor: &Person,
    comment: &Comment,
    body: &str,
) -> ServiceResult<Comment> {
    if editor.id != comment.author_id || !editor.local {
        return Err(ServiceError::Forbidden(
            "only the author may edit a comment".into(),
        ));
    }
    if comment.deleted || comment.removed {
        return Err(ServiceError::Forbidden(
            "a deleted comment cannot be edited".into(),
        ));
    }
    let (body_source, body_html) = validate(body)?;
    let (_, community, in_reply_to) = context_of(data, comment).await?;
    let content = CommentContent {
        body_source: Some(body_source),
        body_html,
        updated_at: Some(Utc::now()),
    };
    let mut conn = data.pool.get().await?;
    let updated = conn
        .transaction::<_, DbError, _>(async |conn| {
            let row = db::comments::update_content(conn, comment.id, &content).await?;
            let update = CreateOrUpdate::for_comment(
                data,
                CreateOrUpdateType::Update,
                &row,
                &editor.ap_id,
                &in_reply_to,
                &community.ap_id,
            )?;
            publish_in_community(conn, data, &community, &update.id, "Update", &update).await?;
            Ok(row)
        })
        .await?;
    delivery::wake(data);
    Ok(updated)
}

/// The author deletes a comment, or restores it. It keeps its place in the thread.
pub async fn delete_comment(
    data: &Data<Context>,
    author: &Person,
    comment: &Comment,
    deleted: bool,
) -> ServiceResult<Comment> {
    if author.id != comment.author_id || !author.local {
        return Err(ServiceError::Forbidden(
            "only the author may delete a comment".into(),
        ));
    }
    if comment.deleted == deleted {
        return Ok(comment.clone());
    }
    let (_, community, _) = context_of(data, comment).await?;
    let delete = Delete::new(data, &author.ap_id, &comment.ap_id, &community.ap_id)?;
    let mut conn = data.pool.get().await?;
    let updated = conn
        .transaction::<_, DbError, _>(async |conn| {
            let row = db::comments::set_deleted(conn, comment.id, deleted).await?;
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

/// A comment's post, community, and the id it replies to.
async fn context_of(
    ctx: &Context,
    comment: &Comment,
) -> ServiceResult<(Post, db::models::Community, String)> {
    let mut conn = ctx.pool.get().await?;
    let post = db::posts::by_id(&mut conn, comment.post_id)
        .await?
        .ok_or(ServiceError::NotFound("post"))?;
    let in_reply_to = match comment.parent_id {
        Some(parent_id) => {
            db::comments::by_id(&mut conn, parent_id)
                .await?
                .ok_or(ServiceError::NotFound("parent comment"))?
                .ap_id
        }
        None => post.ap_id.clone(),
    };
    drop(conn);
    let community = community_of(ctx, &post).await?;
    Ok((post, community, in_reply_to))
}
