//! Votes: a local person's up- and downvotes, and those that arrive from elsewhere.

use super::{ServiceError, ServiceResult, publish_in_community};
use crate::{
    context::Context,
    db::{self, DbError, models::Person},
    federation::{
        activities::{
            StoredObject,
            undo::{Undo, Undoable},
            vote::{Vote, VoteType},
        },
        delivery,
    },
};
use activitypub_federation::config::Data;
use diesel_async::AsyncConnection;

/// A local person votes on a post or comment: 1 up, -1 down, 0 to withdraw. Returns the
/// item with its new counts.
pub async fn vote(
    data: &Data<Context>,
    voter: &Person,
    target: &StoredObject,
    score: i16,
) -> ServiceResult<StoredObject> {
    if !(-1..=1).contains(&score) {
        return Err(ServiceError::Invalid("a vote is 1, -1 or 0".into()));
    }
    if !voter.local {
        return Err(ServiceError::Invalid(
            "only local people vote from here".into(),
        ));
    }
    super::moderation::check_not_site_banned(voter)?;
    let mut conn = data.pool.get().await?;
    let community = target
        .community(&mut conn)
        .await?
        .ok_or(ServiceError::NotFound("community"))?;
    if community.local && db::memo::is_banned(&mut conn, community.id, voter.id).await? {
        return Err(ServiceError::Forbidden(
            "you are banned from this community".into(),
        ));
    }
    let object_ap_id = match target {
        StoredObject::Post(post) => post.ap_id.clone(),
        StoredObject::Comment(comment) => comment.ap_id.clone(),
    };
    let kind = if score < 0 {
        VoteType::Dislike
    } else {
        VoteType::Like
    };
    let new_vote = Vote::new(data, kind, &voter.ap_id, &object_ap_id, &community.ap_id)?;
    let activity_id = (score != 0).then(|| new_vote.id.to_string());
    conn.transaction::<_, DbError, _>(async |conn| {
        let previous = set_vote(conn, target, voter.id, score, activity_id.as_deref()).await?;
        let (previous_score, previous_activity) = (previous.score, previous.activity);
        if previous_score == score {
            return Ok(());
        }
        if score != 0 {
            publish_in_community(conn, data, &community, &new_vote.id, "Like", &new_vote).await?;
        } else {
            // Withdrawn: undo the Like or Dislike that cast it, under its own id.
            let previous_kind = if previous_score < 0 {
                VoteType::Dislike
            } else {
                VoteType::Like
            };
            let mut previous = Vote::new(
                data,
                previous_kind,
                &voter.ap_id,
                &object_ap_id,
                &community.ap_id,
            )?;
            if let Some(id) = previous_activity
                .as_deref()
                .and_then(|id| url::Url::parse(id).ok())
            {
                previous.id = id;
            }
            let undo = Undo::new(
                data,
                &voter.ap_id,
                Undoable::Vote(previous),
                &community.ap_id,
            )?;
            publish_in_community(conn, data, &community, &undo.id, "Undo", &undo).await?;
        }
        Ok(())
    })
    .await?;
    delivery::wake(data);
    let voted = match target {
        StoredObject::Post(post) => db::posts::by_id(&mut conn, post.id)
            .await?
            .map(StoredObject::Post),
        StoredObject::Comment(comment) => db::comments::by_id(&mut conn, comment.id)
            .await?
            .map(StoredObject::Comment),
    };
    voted.ok_or(ServiceError::NotFound("post or comment"))
}

/// A vote that arrived from another server (relayed onward by the inbox when the community
/// is ours).
pub async fn apply_remote_vote(
    ctx: &Context,
    voter: &Person,
    target: &StoredObject,
    score: i16,
    activity_ap_id: Option<&str>,
) -> ServiceResult<()> {
    if score != 0 {
        super::moderation::check_not_site_banned(voter)?;
    }
    {
        let mut conn = ctx.pool.get().await?;
        if let Some(community) = target.community(&mut conn).await? {
            if community.local
                && score != 0
                && db::memo::is_banned(&mut conn, community.id, voter.id).await?
            {
                return Err(ServiceError::Forbidden(
                    "the voter is banned from this community".into(),
                ));
            }
        }
    }
    // Written with the other votes arriving at the same moment (`db::batch`), on a
    // connection of the batch's own: none is held here while it waits.
    let (on_post, item_id) = match target {
        StoredObject::Post(post) => (true, post.id),
        StoredObject::Comment(comment) => (false, comment.id),
    };
    let vote = db::votes::RemoteVote {
        on_post,
        item_id,
        voter_id: voter.id,
        score,
        activity_ap_id: activity_ap_id.map(str::to_owned),
    };
    if !ctx.inbox_batches.set_remote_vote(vote).await? {
        return Err(ServiceError::NotFound("post or comment"));
    }
    Ok(())
}

/// Sets `voter_id`'s vote on the post or comment, with its counters; returns the vote it
/// replaced.
async fn set_vote(
    conn: &mut db::Connection,
    target: &StoredObject,
    voter_id: i64,
    score: i16,
    activity_ap_id: Option<&str>,
) -> Result<db::votes::PreviousVote, DbError> {
    match target {
        StoredObject::Post(post) => {
            db::votes::set_post_vote(conn, post.id, voter_id, score, activity_ap_id).await
        }
        StoredObject::Comment(comment) => {
            db::votes::set_comment_vote(conn, comment.id, voter_id, score, activity_ap_id).await
        }
    }
}
