//! Votes on posts and comments, and the counters they move. Each function locks the voted
//! item's row, so concurrent votes on one item apply one after the other.

use super::{
    Connection, DbResult,
    models::{Comment, Post},
    schema::{comment_votes, comments, post_votes, posts},
};
use diesel::{dsl::sql, prelude::*};
use diesel_async::RunQueryDsl;

/// The item after a vote changed, and the vote it replaced.
#[derive(Debug, Clone)]
pub struct VoteChange<T> {
    pub item: T,
    /// -1, 0 (none) or 1.
    pub previous_score: i16,
    /// The id of the Like or Dislike that cast the previous vote.
    pub previous_activity: Option<String>,
}

/// What a vote change does to the counters: new score minus old (each -1, 0 or 1).
fn deltas(old: i16, new: i16) -> (i32, i32, i32) {
    let up = i32::from(new == 1) - i32::from(old == 1);
    let down = i32::from(new == -1) - i32::from(old == -1);
    (i32::from(new) - i32::from(old), up, down)
}

/// Sets `person`'s vote on a post: 1, -1, or 0 to withdraw it. Run inside a transaction.
pub async fn set_post_vote(
    conn: &mut Connection,
    post_id: i64,
    person_id: i64,
    score: i16,
    activity_ap_id: Option<&str>,
) -> DbResult<VoteChange<Post>> {
    posts::table
        .find(post_id)
        .select(posts::id)
        .for_update()
        .first::<i64>(conn)
        .await?;
    let previous: Option<(i16, Option<String>)> = post_votes::table
        .find((post_id, person_id))
        .select((post_votes::score, post_votes::activity_ap_id))
        .first(conn)
        .await
        .optional()?;
    let (old, previous_activity) = previous.unwrap_or((0, None));
    if score == 0 {
        diesel::delete(post_votes::table.find((post_id, person_id)))
            .execute(conn)
            .await?;
    } else {
        diesel::insert_into(post_votes::table)
            .values((
                post_votes::post_id.eq(post_id),
                post_votes::person_id.eq(person_id),
                post_votes::score.eq(score),
                post_votes::activity_ap_id.eq(activity_ap_id),
            ))
            .on_conflict((post_votes::post_id, post_votes::person_id))
            .do_update()
            .set((
                post_votes::score.eq(score),
                post_votes::activity_ap_id.eq(activity_ap_id),
            ))
            .execute(conn)
            .await?;
    }
    let (score_delta, up, down) = deltas(old, score);
    let item = diesel::update(posts::table.find(post_id))
        .set((
            posts::score.eq(posts::score + score_delta),
            posts::upvotes.eq(posts::upvotes + up),
            posts::downvotes.eq(posts::downvotes + down),
            posts::hot_rank.eq(sql(&format!(
                "guild_hot_rank(score + {score_delta}, published_at)"
            ))),
            posts::active_rank.eq(sql(&format!(
                "guild_hot_rank(score + {score_delta}, newest_comment_at)"
            ))),
        ))
        .returning(Post::as_returning())
        .get_result(conn)
        .await?;
    Ok(VoteChange {
        item,
        previous_score: old,
        previous_activity,
    })
}

/// Sets `person`'s vote on a comment (see [`set_post_vote`]).
pub async fn set_comment_vote(
    conn: &mut Connection,
    comment_id: i64,
    person_id: i64,
    score: i16,
    activity_ap_id: Option<&str>,
) -> DbResult<VoteChange<Comment>> {
    comments::table
        .find(comment_id)
        .select(comments::id)
        .for_update()
        .first::<i64>(conn)
        .await?;
    let previous: Option<(i16, Option<String>)> = comment_votes::table
        .find((comment_id, person_id))
        .select((comment_votes::score, comment_votes::activity_ap_id))
        .first(conn)
        .await
        .optional()?;
    let (old, previous_activity) = previous.unwrap_or((0, None));
    if score == 0 {
        diesel::delete(comment_votes::table.find((comment_id, person_id)))
            .execute(conn)
            .await?;
    } else {
        diesel::insert_into(comment_votes::table)
            .values((
                comment_votes::comment_id.eq(comment_id),
                comment_votes::person_id.eq(person_id),
                comment_votes::score.eq(score),
                comment_votes::activity_ap_id.eq(activity_ap_id),
            ))
            .on_conflict((comment_votes::comment_id, comment_votes::person_id))
            .do_update()
            .set((
                comment_votes::score.eq(score),
                comment_votes::activity_ap_id.eq(activity_ap_id),
            ))
            .execute(conn)
            .await?;
    }
    let (score_delta, up, down) = deltas(old, score);
    let item = diesel::update(comments::table.find(comment_id))
        .set((
            comments::score.eq(comments::score + score_delta),
            comments::upvotes.eq(comments::upvotes + up),
            comments::downvotes.eq(comments::downvotes + down),
        ))
        .returning(Comment::as_returning())
        .get_result(conn)
        .await?;
    Ok(VoteChange {
        item,
        previous_score: old,
        previous_activity,
    })
}

/// A person's current vote on a post (0 when none).
pub async fn post_vote(conn: &mut Connection, post_id: i64, person_id: i64) -> DbResult<i16> {
    Ok(post_votes::table
        .find((post_id, person_id))
        .select(post_votes::score)
        .first(conn)
        .await
        .optional()?
        .unwrap_or(0))
}

pub async fn comment_vote(conn: &mut Connection, comment_id: i64, person_id: i64) -> DbResult<i16> {
    Ok(comment_votes::table
        .find((comment_id, person_id))
        .select(comment_votes::score)
        .first(conn)
        .await
        .optional()?
        .unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::deltas;

    #[test]
    fn vote_changes_move_counters() {
        assert_eq!(deltas(0, 1), (1, 1, 0));
        assert_eq!(deltas(1, -1), (-2, -1, 1));
        assert_eq!(deltas(-1, 0), (1, 0, -1));
        assert_eq!(deltas(1, 1), (0, 0, 0));
    }
}
