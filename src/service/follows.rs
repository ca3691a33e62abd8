//! Following communities: local people following local or remote communities, and remote
//! people following ours.

use super::{ServiceError, ServiceResult};
use crate::{
    context::Context,
    db::{
        self, DbError,
        models::{Community, Person},
    },
    federation::{
        activities::{
            follow::{Accept, Follow},
            undo::{Undo, Undoable},
        },
        backfill, delivery,
        objects::group::CommunityActor,
    },
};
use activitypub_federation::config::Data;
use diesel_async::AsyncConnection;

/// Where a follow stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowState {
    Following,
    /// Sent to a remote community, whose Accept has not arrived yet.
    Pending,
}

/// A local person follows a community. Local communities accept at once; a remote one gets
/// a Follow and the follow stays pending until its Accept arrives.
pub async fn follow_community(
    data: &Data<Context>,
    person: &Person,
    community: &Community,
) -> ServiceResult<FollowState> {
    if !person.local {
        return Err(ServiceError::Invalid(
            "only local people follow from here".into(),
        ));
    }
    let mut conn = data.pool.get().await?;
    if community.local {
        if db::memo::is_banned(&mut conn, community.id, person.id).await? {
            return Err(ServiceError::Forbidden(
                "you are banned from this community".into(),
            ));
        }
        db::follows::upsert(&mut conn, community.id, person.id, false, None).await?;
        return Ok(FollowState::Following);
    }
    if let Some(existing) = db::follows::get(&mut conn, community.id, person.id).await? {
        return Ok(if existing.pending {
            FollowState::Pending
        } else {
            FollowState::Following
        });
    }
    let follow = Follow::new(data, person, community)?;
    let inbox = community.inbox_url.clone();
    conn.transaction::<_, DbError, _>(async |conn| {
        db::follows::upsert(
            conn,
            community.id,
            person.id,
            true,
            Some(follow.id.as_str()),
        )
        .await?;
        delivery::enqueue(
            conn,
            data,
            &follow.id,
            follow.actor.inner(),
            "Follow",
            &follow,
            [inbox],
        )
        .await
    })
    .await?;
    delivery::wake(data);
    Ok(FollowState::Pending)
}

/// A local person stops following a community (an Undo of the Follow for a remote one).
pub async fn unfollow_community(
    data: &Data<Context>,
    person: &Person,
    community: &Community,
) -> ServiceResult<()> {
    let mut conn = data.pool.get().await?;
    let Some(existing) = db::follows::get(&mut conn, community.id, person.id).await? else {
        return Ok(());
    };
    if community.local {
        db::follows::delete(&mut conn, community.id, person.id).await?;
        return Ok(());
    }
    let mut follow = Follow::new(data, person, community)?;
    if let Some(id) = existing
        .follow_activity_ap_id
        .as_deref()
        .and_then(|id| url::Url::parse(id).ok())
    {
        follow.id = id;
    }
    let undo = Undo::new(
        data,
        &person.ap_id,
        Undoable::Follow(follow),
        &community.ap_id,
    )?;
    let inbox = community.inbox_url.clone();
    conn.transaction::<_, DbError, _>(async |conn| {
        db::follows::delete(conn, community.id, person.id).await?;
        delivery::enqueue(conn, data, &undo.id, &undo.actor, "Undo", &undo, [inbox]).await
    })
    .await?;
    delivery::wake(data);
    Ok(())
}

/// A remote person's Follow of a local community: recorded and accepted.
pub async fn accept_remote_follower(
    data: &Data<Context>,
    community: &Community,
    person: &Person,
    follow: Follow,
) -> ServiceResult<()> {
    let mut conn = data.pool.get().await?;
    if db::memo::is_banned(&mut conn, community.id, person.id).await? {
        return Err(ServiceError::Forbidden(format!(
            "{} is banned from this community",
            person.ap_id
        )));
    }
    let follow_id = follow.id.to_string();
    let accept = Accept::new(data, community, follow)?;
    let inbox = person
        .shared_inbox_url
        .clone()
        .unwrap_or_else(|| person.inbox_url.clone());
    conn.transaction::<_, DbError, _>(async |conn| {
        db::follows::upsert(conn, community.id, person.id, false, Some(&follow_id)).await?;
        delivery::enqueue(
            conn,
            data,
            &accept.id,
            accept.actor.inner(),
            "Accept",
            &accept,
            [inbox],
        )
        .await
    })
    .await?;
    data.follower_inboxes.forget(community.id);
    delivery::wake(data);
    Ok(())
}

/// A remote community accepted a local person's follow. On the first accepted follow of a
/// community from this instance, its recent posts are fetched so it does not start empty.
pub async fn follow_accepted(
    data: &Data<Context>,
    community: &CommunityActor,
    person: &Person,
) -> ServiceResult<()> {
    let mut conn = data.pool.get().await?;
    if !db::follows::accept(&mut conn, community.row.id, person.id).await? {
        return Ok(());
    }
    if db::follows::local_follower_count(&mut conn, community.row.id).await? == 1 {
        let data = data.reset_request_count();
        let community = community.clone();
        tokio::spawn(async move {
            if let Err(err) = backfill::backfill_community(&community, &data).await {
                tracing::warn!(community = %community.row.ap_id, %err, "backfill failed");
            }
        });
    }
    Ok(())
}
