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
            block::Block,
            collection::{CollectionChange, CollectionChangeType},
            delete::Delete,
            lock::Lock,
            public, stored_url,
            undo::{Undo, Undoable},
        },
        delivery,
    },
};
use activitypub_federation::config::Data;
use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;

const MAX_REASON_CHARS: usize = 1_000;

/// Refuses what a person banned from this instance tries to write.
pub fn check_not_site_banned(person: &Person) -> ServiceResult<()> {
    if person.is_banned() {
        return Err(ServiceError::Forbidden(
            "you are banned from this instance".into(),
        ));
    }
    Ok(())
}

/// A reason as given: trimmed, empty taken as none, refused when too long.
fn checked_reason(reason: Option<&str>) -> ServiceResult<Option<&str>> {
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if reason.is_some_and(|r| r.chars().count() > MAX_REASON_CHARS) {
        return Err(ServiceError::field(
            "reason",
            format!("the reason must be at most {MAX_REASON_CHARS} characters"),
        ));
    }
    Ok(reason)
}

/// Whether `person` is an admin of this instance.
pub(super) async fn is_admin(ctx: &Context, person: &Person) -> ServiceResult<bool> {
    if !person.local {
        return Ok(false);
    }
    let mut conn = ctx.pool.get().await?;
    Ok(db::people::account(&mut conn, person.id)
        .await?
        .is_some_and(|a| a.is_admin))
}

async fn check_admin(ctx: &Context, person: &Person) -> ServiceResult<()> {
    if is_admin(ctx, person).await? {
        Ok(())
    } else {
        Err(ServiceError::Forbidden("only an admin may do this".into()))
    }
}

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
/// to the community's followers. An admin may also remove what is in a remote community,
/// here only.
pub async fn set_removed(
    data: &Data<Context>,
    moderator: &Person,
    object: &StoredObject,
    removed: bool,
    reason: Option<&str>,
) -> ServiceResult<StoredObject> {
    let reason = checked_reason(reason)?;
    let mut conn = data.pool.get().await?;
    let community = object
        .community(&mut conn)
        .await?
        .ok_or(ServiceError::NotFound("community"))?;
    drop(conn);
    if !community.local && is_admin(data, moderator).await? {
        // An admin hides a remote community's content on this instance only; the
        // community's own moderators decide for everyone else.
        let mut conn = data.pool.get().await?;
        let updated = conn
            .transaction::<_, DbError, _>(async |conn| {
                apply(conn, moderator, &community, object, removed, reason).await
            })
            .await?;
        return Ok(updated);
    }
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
            ..Default::default()
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
            ..Default::default()
        },
    )
    .await?;
    Ok(updated)
}

/// A local moderator features (pins) a post at the top of its community, or unfeatures it.
/// Federates as Lemmy's `Add`/`Remove` of the post to the community's featured collection.
pub async fn set_featured(
    data: &Data<Context>,
    moderator: &Person,
    post: &Post,
    featured: bool,
) -> ServiceResult<Post> {
    let community = community_of_post(data, post).await?;
    check_moderator(data, moderator, &community).await?;
    let collection = community
        .featured_url
        .clone()
        .unwrap_or_else(|| data.urls.community_featured(&community.name).to_string());
    let change = CollectionChange::new(
        data,
        change_type(featured),
        &moderator.ap_id,
        &post.ap_id,
        &collection,
        &community.ap_id,
    )?;
    let mut conn = data.pool.get().await?;
    let updated = conn
        .transaction::<_, DbError, _>(async |conn| {
            let updated = feature_and_log(conn, moderator, &community, post, featured).await?;
            let kind = change_kind_name(featured);
            publish_in_community(conn, data, &community, &change.id, kind, &change).await?;
            Ok(updated)
        })
        .await?;
    delivery::wake(data);
    Ok(updated)
}

/// A feature or unfeature that the post's community announced from its own instance.
pub async fn apply_announced_featured(
    ctx: &Context,
    moderator: &Person,
    community: &Community,
    post: &Post,
    featured: bool,
) -> ServiceResult<()> {
    let mut conn = ctx.pool.get().await?;
    conn.transaction::<_, DbError, _>(async |conn| {
        feature_and_log(conn, moderator, community, post, featured).await
    })
    .await?;
    Ok(())
}

async fn feature_and_log(
    conn: &mut db::Connection,
    moderator: &Person,
    community: &Community,
    post: &Post,
    featured: bool,
) -> db::DbResult<Post> {
    let updated = db::moderation::set_featured(conn, post.id, featured).await?;
    db::modlog::insert(
        conn,
        &NewModlogEntry {
            moderator_id: moderator.id,
            community_id: Some(community.id),
            action: if featured {
                "feature_post"
            } else {
                "unfeature_post"
            },
            post_id: Some(post.id),
            ..Default::default()
        },
    )
    .await?;
    Ok(updated)
}

fn change_type(added: bool) -> CollectionChangeType {
    if added {
        CollectionChangeType::Add
    } else {
        CollectionChangeType::Remove
    }
}

fn change_kind_name(added: bool) -> &'static str {
    if added { "Add" } else { "Remove" }
}

async fn community_of_post(ctx: &Context, post: &Post) -> ServiceResult<Community> {
    let mut conn = ctx.pool.get().await?;
    db::communities::by_id(&mut conn, post.community_id)
        .await?
        .ok_or(ServiceError::NotFound("community"))
}

/// A moderator (or admin) of a local community makes a local person a moderator of it, or
/// takes that away. Federates as `Add`/`Remove` to the moderators collection.
pub async fn set_moderator(
    data: &Data<Context>,
    actor: &Person,
    community: &Community,
    person: &Person,
    added: bool,
) -> ServiceResult<()> {
    check_moderator(data, actor, community).await?;
    if !person.local {
        // Moderation of a local community happens here, where its moderators sign in.
        return Err(ServiceError::field(
            "person",
            "only people of this instance can moderate its communities",
        ));
    }
    let mut conn = data.pool.get().await?;
    if added && db::communities::is_moderator(&mut conn, community.id, person.id).await? {
        return Ok(());
    }
    let collection = community
        .moderators_url
        .clone()
        .unwrap_or_else(|| data.urls.community_moderators(&community.name).to_string());
    let change = CollectionChange::new(
        data,
        change_type(added),
        &actor.ap_id,
        &person.ap_id,
        &collection,
        &community.ap_id,
    )?;
    conn.transaction::<_, DbError, _>(async |conn| {
        moderator_and_log(conn, actor, community, person, added).await?;
        let kind = change_kind_name(added);
        publish_in_community(conn, data, community, &change.id, kind, &change).await
    })
    .await?;
    delivery::wake(data);
    Ok(())
}

/// A change of moderators that a remote community announced from its own instance.
pub async fn apply_announced_moderator(
    ctx: &Context,
    actor: &Person,
    community: &Community,
    person: &Person,
    added: bool,
) -> ServiceResult<()> {
    let mut conn = ctx.pool.get().await?;
    conn.transaction::<_, DbError, _>(async |conn| {
        moderator_and_log(conn, actor, community, person, added).await
    })
    .await?;
    Ok(())
}

async fn moderator_and_log(
    conn: &mut db::Connection,
    actor: &Person,
    community: &Community,
    person: &Person,
    added: bool,
) -> db::DbResult<()> {
    if added {
        db::communities::add_moderator(conn, community.id, person.id).await?;
    } else {
        db::moderation::remove_moderator(conn, community.id, person.id).await?;
    }
    db::modlog::insert(
        conn,
        &NewModlogEntry {
            moderator_id: actor.id,
            community_id: Some(community.id),
            action: if added {
                "add_moderator"
            } else {
                "remove_moderator"
            },
            target_person_id: Some(person.id),
            ..Default::default()
        },
    )
    .await
}

/// How a ban is given: why, until when (never ends when `None`), and whether what the
/// person wrote is removed with it.
#[derive(Debug, Clone, Default)]
pub struct BanTerms<'a> {
    pub reason: Option<&'a str>,
    pub expires_at: Option<DateTime<Utc>>,
    pub remove_content: bool,
}

impl<'a> BanTerms<'a> {
    fn checked(self) -> ServiceResult<BanTerms<'a>> {
        let reason = checked_reason(self.reason)?;
        if self.expires_at.is_some_and(|until| until <= Utc::now()) {
            return Err(ServiceError::field(
                "expires",
                "a ban must end in the future (leave it empty for a permanent ban)",
            ));
        }
        Ok(BanTerms { reason, ..self })
    }
}

/// A moderator of a local community bans a person (local or remote) from it, or lifts the
/// ban. Federates as Lemmy's `Block` with the community as `target` (and its `Undo`),
/// announced to the community's followers.
pub async fn ban_from_community(
    data: &Data<Context>,
    moderator: &Person,
    community: &Community,
    person: &Person,
    banned: bool,
    terms: BanTerms<'_>,
) -> ServiceResult<()> {
    let terms = terms.checked()?;
    check_moderator(data, moderator, community).await?;
    if banned && (person.id == moderator.id || may_moderate(data, person, community).await?) {
        return Err(ServiceError::Forbidden(
            "moderators and admins cannot be banned from the community".into(),
        ));
    }
    let community_url = stored_url(&community.ap_id)?;
    let block = Block::new(
        data,
        &moderator.ap_id,
        &person.ap_id,
        community_url.clone(),
        (vec![public()], vec![community_url]),
        &terms,
    )?;
    let mut conn = data.pool.get().await?;
    conn.transaction::<_, DbError, _>(async |conn| {
        community_ban_and_log(conn, moderator, community, person, banned, &terms).await?;
        if banned {
            publish_in_community(conn, data, community, &block.id, "Block", &block).await
        } else {
            let undo = Undo::new(
                data,
                &moderator.ap_id,
                Undoable::Block(block),
                &community.ap_id,
            )?;
            publish_in_community(conn, data, community, &undo.id, "Undo", &undo).await
        }
    })
    .await?;
    delivery::wake(data);
    Ok(())
}

/// A ban from a remote community that the community announced from its own instance.
pub async fn apply_announced_community_ban(
    ctx: &Context,
    moderator: &Person,
    community: &Community,
    person: &Person,
    banned: bool,
    terms: BanTerms<'_>,
) -> ServiceResult<()> {
    let mut conn = ctx.pool.get().await?;
    conn.transaction::<_, DbError, _>(async |conn| {
        community_ban_and_log(conn, moderator, community, person, banned, &terms).await
    })
    .await?;
    Ok(())
}

async fn community_ban_and_log(
    conn: &mut db::Connection,
    moderator: &Person,
    community: &Community,
    person: &Person,
    banned: bool,
    terms: &BanTerms<'_>,
) -> db::DbResult<()> {
    if banned {
        db::moderation::ban_from_community(
            conn,
            community.id,
            person.id,
            terms.reason,
            terms.expires_at,
        )
        .await?;
        if terms.remove_content {
            db::moderation::remove_content_of(conn, person.id, Some(community.id)).await?;
        }
    } else {
        db::moderation::unban_from_community(conn, community.id, person.id).await?;
    }
    db::modlog::insert(
        conn,
        &NewModlogEntry {
            moderator_id: moderator.id,
            community_id: Some(community.id),
            action: if banned {
                "ban_from_community"
            } else {
                "unban_from_community"
            },
            target_person_id: Some(person.id),
            reason: terms.reason,
            expires_at: terms.expires_at.filter(|_| banned),
            ..Default::default()
        },
    )
    .await
}

/// An admin bans a person from this instance, or lifts the ban. A banned local person is
/// signed out and cannot sign in; nobody banned may post, comment or vote here. The ban of
/// a local person federates (a `Block` with this instance as `target`) to every peer, which
/// applies it to that person too; the ban of a remote person stays here.
pub async fn ban_from_site(
    data: &Data<Context>,
    admin: &Person,
    person: &Person,
    banned: bool,
    terms: BanTerms<'_>,
) -> ServiceResult<Person> {
    let terms = terms.checked()?;
    check_admin(data, admin).await?;
    if banned && is_admin(data, person).await? {
        return Err(ServiceError::Forbidden(
            "an admin cannot be banned; remove their admin rights first".into(),
        ));
    }
    let instance = data.urls.instance_actor();
    let block = Block::new(
        data,
        &admin.ap_id,
        &person.ap_id,
        instance,
        (vec![public()], vec![]),
        &terms,
    )?;
    let mut conn = data.pool.get().await?;
    let updated = conn
        .transaction::<_, DbError, _>(async |conn| {
            let updated = site_ban_and_log(conn, admin, person, banned, &terms).await?;
            if person.local {
                db::sessions::delete_all(conn, person.id).await?;
                let inboxes = db::follows::peer_inboxes(conn).await?;
                let admin_url = stored_url(&admin.ap_id)?;
                if banned {
                    delivery::enqueue(conn, data, &block.id, &admin_url, "Block", &block, inboxes)
                        .await?;
                } else {
                    let undo = Undo::new_unaddressed(data, &admin.ap_id, Undoable::Block(block))?;
                    delivery::enqueue(conn, data, &undo.id, &admin_url, "Undo", &undo, inboxes)
                        .await?;
                }
            }
            Ok(updated)
        })
        .await?;
    delivery::wake(data);
    Ok(updated)
}

/// A site ban of a person by their own instance, which alone speaks for its people.
pub async fn apply_home_site_ban(
    ctx: &Context,
    admin: &Person,
    person: &Person,
    banned: bool,
    terms: BanTerms<'_>,
) -> ServiceResult<()> {
    let mut conn = ctx.pool.get().await?;
    conn.transaction::<_, DbError, _>(async |conn| {
        site_ban_and_log(conn, admin, person, banned, &terms).await
    })
    .await?;
    Ok(())
}

async fn site_ban_and_log(
    conn: &mut db::Connection,
    admin: &Person,
    person: &Person,
    banned: bool,
    terms: &BanTerms<'_>,
) -> db::DbResult<Person> {
    let updated = db::moderation::set_site_ban(conn, person.id, banned, terms.expires_at).await?;
    if banned && terms.remove_content {
        db::moderation::remove_content_of(conn, person.id, None).await?;
    }
    db::modlog::insert(
        conn,
        &NewModlogEntry {
            moderator_id: admin.id,
            action: if banned { "ban" } else { "unban" },
            target_person_id: Some(person.id),
            reason: terms.reason,
            expires_at: terms.expires_at.filter(|_| banned),
            ..Default::default()
        },
    )
    .await?;
    Ok(updated)
}

/// An admin deletes a person (remote, or local with their account) and everything they
/// wrote or voted here, for good. Nothing federates: other instances keep their copies.
pub async fn purge_person(
    ctx: &Context,
    admin: &Person,
    person: &Person,
    reason: Option<&str>,
) -> ServiceResult<()> {
    let reason = checked_reason(reason)?;
    check_admin(ctx, admin).await?;
    if person.id == admin.id || is_admin(ctx, person).await? {
        return Err(ServiceError::Forbidden("an admin cannot be purged".into()));
    }
    let name = handle_of(person);
    let mut conn = ctx.pool.get().await?;
    conn.transaction::<_, DbError, _>(async |conn| {
        db::moderation::purge_person(conn, person.id).await?;
        db::modlog::insert(
            conn,
            &NewModlogEntry {
                moderator_id: admin.id,
                action: "purge_person",
                target_name: Some(&name),
                reason,
                ..Default::default()
            },
        )
        .await
    })
    .await?;
    ctx.follower_inboxes.forget_all();
    Ok(())
}

/// An admin deletes the local copy of a remote community with its posts and comments.
/// Local people's follows of it end; following it again fetches it anew.
pub async fn purge_community(
    ctx: &Context,
    admin: &Person,
    community: &Community,
    reason: Option<&str>,
) -> ServiceResult<()> {
    let reason = checked_reason(reason)?;
    check_admin(ctx, admin).await?;
    if community.local {
        return Err(ServiceError::Forbidden(
            "only the copy of a remote community can be purged".into(),
        ));
    }
    let name = community.ap_id.clone();
    let mut conn = ctx.pool.get().await?;
    conn.transaction::<_, DbError, _>(async |conn| {
        db::moderation::purge_community(conn, community.id).await?;
        db::modlog::insert(
            conn,
            &NewModlogEntry {
                moderator_id: admin.id,
                action: "purge_community",
                target_name: Some(&name),
                reason,
                ..Default::default()
            },
        )
        .await
    })
    .await?;
    ctx.follower_inboxes.forget_all();
    Ok(())
}

/// `name` for a local person, `name@domain` for a remote one.
fn handle_of(person: &Person) -> String {
    if person.local {
        return person.name.clone();
    }
    match url::Url::parse(&person.ap_id)
        .ok()
        .as_ref()
        .and_then(crate::urls::Urls::domain_of)
    {
        Some(domain) => format!("{}@{domain}", person.name),
        None => person.name.clone(),
    }
}
