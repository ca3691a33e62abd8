//! What moderators do to content in their communities, recorded in the public modlog.
//!
//! Removal is not deletion: the author deletes their own words (a tombstone), a moderator
//! removes them (hidden, with a reason, restorable). On the wire a removal is Lemmy's: a
//! `Delete` by the moderator with the reason in `summary`, announced by the community; a
//! restore is the `Undo` of it.

use super::{ServiceError, ServiceResult, publish_in_community};
use crate::{
    context::Context,
    db::{
        self, DbError,
        models::{Community, Person, Post},
        modlog::NewModlogEntry,
    },
    federation::{
        activities::{
            StoredObject,
            delete::Delete,
            lock::Lock,
            undo::{Undo, Undoable},
        },
        delivery,
    },
};
use activitypub_federation::config::Data;
use diesel_async::AsyncConnection;

const MAX_REASON_CHARS: usize = 1_000;

/// Whether `person` may moderate `community` from here: one of its moderators, or an admin
/// of this instance when the community is local.
pub async fn may_moderate(
    ctx: &Context,
    person: &Person,
    community: &Community,
) -> ServiceResult<bool> {
    let mut conn = ctx.pool.get().await?;
    if db::communities::is_moderator(&mut conn, community.id, person.id).await? {
        return Ok(true);
    }
    Ok(community.local
        && db::people::account(&mut conn, person.id)
            .await?
            .is_some_and(|a| a.is_admin))
}

/// Refuses unless `moderator`, a local person, may moderate `community`, a local one:
/// Guild moderates only its own communities; remote ones are moderated at home.
async fn check_moderator(
    ctx: &Context,
    moderator: &Person,
    community: &Community,
) -> ServiceResult<()> {
    if !community.local {
        return Err(ServiceError::Forbidden(
            "moderate a remote community on its own instance".into(),
        ));
    }
    if !moderator.local || !may_moderate(ctx, moderator, community).await? {
        return Err(ServiceError::Forbidden(
            "only the community's moderators (or an admin) may do this".into(),
        ));
    }
    Ok(())
}

fn action_name(object: &StoredObject, removed: bool) -> &'static str {
    match (object, removed) {
        (StoredObject::Post(_), true) => "remove_post",
        (StoredObject::Post(_), false) => "restore_post",
        (StoredObject::Comment(_), true) => "remove_comment",
        (StoredObject::Comment(_), false) => "restore_comment",
    }
}

/// A local moderator removes a post or comment (with a reason), or restores it. Federates
/// to the community's followers.
pub async fn set_removed(
    data: &Data<Context>,
    moderator: &Person,
    object: &StoredObject,
    removed: bool,
    reason: Option<&str>,
) -> ServiceResult<StoredObject> {
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if reason.is_some_and(|r| r.chars().count() > MAX_REASON_CHARS) {
        return Err(ServiceError::field(
            "reason",
            format!("the reason must be at most {MAX_REASON_CHARS} characters"),
        ));
    }
    let mut conn = data.pool.get().await?;
    let community = object
        .community(&mut conn)
        .await?
        .ok_or(ServiceError::NotFound("community"))?;
    drop(conn);
    check_moderator(data, moderator, &community).await?;
    let mut delete = Delete::new(data, &moderator.ap_id, object.ap_id(), &community.ap_id)?;
    delete.summary = reason.map(str::to_string);
    let mut conn = data.pool.get().await?;
    let updated = conn
        .transaction::<_, DbError, _>(async |conn| {
            let updated = apply(conn, moderator, &community, object, removed, reason).await?;
            if removed {
                publish_in_community(conn, data, &community, &delete.id, "Delete", &delete).await?;
            } else {
                let undo = Undo::new(
                    data,
                    &moderator.ap_id,
                    Undoable::Delete(delete),
                    &community.ap_id,
                )?;
                publish_in_community(conn, data, &community, &undo.id, "Undo", &undo).await?;
            }
            Ok(updated)
        })
        .await?;
    delivery::wake(data);
    Ok(updated)
}

/// A removal or restore that the community announced from its own instance: that instance
/// checked who its moderators are.
pub async fn apply_announced(
    ctx: &Context,
    moderator: &Person,
    community: &Community,
    object: &StoredObject,
    removed: bool,
    reason: Option<&str>,
) -> ServiceResult<()> {
    let mut conn = ctx.pool.get().await?;
    conn.transaction::<_, DbError, _>(async |conn| {
        apply(conn, moderator, community, object, removed, reason).await
    })
    .await?;
    Ok(())
}

async fn apply(
    conn: &mut db::Connection,
    moderator: &Person,
    community: &Community,
    object: &StoredObject,
    removed: bool,
    reason: Option<&str>,
) -> db::DbResult<StoredObject> {
    let (updated, post_id, comment_id) = match object {
        StoredObject::Post(post) => (
            StoredObject::Post(db::posts::set_removed(conn, post.id, removed).await?),
            Some(post.id),
            None,
        ),
        StoredObject::Comment(comment) => (
            StoredObject::Comment(db::comments::set_removed(conn, comment.id, removed).await?),
            Some(comment.post_id),
            Some(comment.id),
        ),
    };
    db::modlog::insert(
        conn,
        &NewModlogEntry {
            moderator_id: moderator.id,
            community_id: Some(community.id),
            action: action_name(object, removed),
            post_id,
            comment_id,
            reason,
        },
    )
    .await?;
    Ok(updated)
}

/// A local moderator locks a post (no more comments) or unlocks it. Federates as Lemmy's
/// `Lock` and `Undo{Lock}`, announced by the community.
pub async fn set_locked(
    data: &Data<Context>,
    moderator: &Person,
    post: &Post,
    locked: bool,
) -> ServiceResult<Post> {
    let mut conn = data.pool.get().await?;
    let community = db::communities::by_id(&mut conn, post.community_id)
        .await?
        .ok_or(ServiceError::NotFound("community"))?;
    drop(conn);
    check_moderator(data, moderator, &community).await?;
    let lock = Lock::new(data, &moderator.ap_id, &post.ap_id, &community.ap_id)?;
    let mut conn = data.pool.get().await?;
    let updated = conn
        .transaction::<_, DbError, _>(async |conn| {
            let updated = lock_and_log(conn, moderator, &community, post, locked).await?;
            if locked {
                publish_in_community(conn, data, &community, &lock.id, "Lock", &lock).await?;
            } else {
                let undo = Undo::new(
                    data,
                    &moderator.ap_id,
                    Undoable::Lock(lock),
                    &community.ap_id,
                )?;
                publish_in_community(conn, data, &community, &undo.id, "Undo", &undo).await?;
            }
            Ok(updated)
        })
        .await?;
    delivery::wake(data);
    Ok(updated)
}

/// A lock or unlock that the post's community announced from its own instance.
pub async fn apply_announced_lock(
    ctx: &Context,
    moderator: &Person,
    community: &Community,
    post: &Post,
    locked: bool,
) -> ServiceResult<()> {
    let mut conn = ctx.pool.get().await?;
    conn.transaction::<_, DbError, _>(async |conn| {
        lock_and_log(conn, moderator, community, post, locked).await
    })
    .await?;
    Ok(())
}

async fn lock_and_log(
    conn: &mut db::Connection,
    moderator: &Person,
    community: &Community,
    post: &Post,
    locked: bool,
) -> db::DbResult<Post> {
    let updated = db::posts::set_locked(conn, post.id, locked).await?;
    db::modlog::insert(
        conn,
        &NewModlogEntry {
            moderator_id: moderator.id,
            community_id: Some(community.id),
            action: if locked { "lock_post" } else { "unlock_post" },
            post_id: Some(post.id),
            comment_id: None,
            reason: None,
        },
    )
    .await?;
    Ok(updated)
}
