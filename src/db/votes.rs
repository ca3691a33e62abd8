//! Votes on posts and comments, and the counters they move. The writes run in SQL functions
//! (migration 000014) that lock the voted item's row, so concurrent votes on one item apply
//! one after the other.

use super::{
    Connection, DbResult,
    schema::{comment_votes, post_votes},
};
use diesel::{
    prelude::*,
    sql_types::{Array, BigInt, Bool, Nullable, SmallInt, Text},
};
use diesel_async::RunQueryDsl;

/// The vote a vote replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviousVote {
    /// -1, 0 (none) or 1.
    pub score: i16,
    /// The id of the Like or Dislike that cast it.
    pub activity: Option<String>,
}

diesel::define_sql_function! {
    /// Migrations 000014 and 000022: sets the vote, moves the post's counters (its sort keys
    /// follow at the next fold), and returns the vote it replaced (no score when there is no
    /// such post).
    fn guild_set_post_vote(
        voted_post: BigInt,
        voter: BigInt,
        new_score: SmallInt,
        activity: Nullable<Text>,
    ) -> Record<(Nullable<SmallInt>, Nullable<Text>)>;
}

diesel::define_sql_function! {
    /// Migration 000014: the same for a comment.
    fn guild_set_comment_vote(
        voted_comment: BigInt,
        voter: BigInt,
        new_score: SmallInt,
        activity: Nullable<Text>,
    ) -> Record<(Nullable<SmallInt>, Nullable<Text>)>;
}

diesel::define_sql_function! {
    /// Migration 000018: many votes, one after the other; per vote, whether its item exists.
    fn guild_set_votes(
        on_posts: Array<Bool>,
        voted_items: Array<BigInt>,
        voters: Array<BigInt>,
        new_scores: Array<SmallInt>,
        activities: Array<Nullable<Text>>,
    ) -> Array<Bool>;
}

/// A vote from another server, written together with others (`db::batch`).
#[derive(Debug, Clone)]
pub struct RemoteVote {
    /// On a post; else on a comment.
    pub on_post: bool,
    pub item_id: i64,
    pub voter_id: i64,
    /// 1, -1, or 0 to withdraw it.
    pub score: i16,
    pub activity_ap_id: Option<String>,
}

/// Sets each vote as [`set_post_vote`] and [`set_comment_vote`] do, in the order given, in
/// one statement; answers, per vote, whether its post or comment exists.
pub async fn set_votes(conn: &mut Connection, votes: &[RemoteVote]) -> DbResult<Vec<bool>> {
    Ok(diesel::select(guild_set_votes(
        votes.iter().map(|v| v.on_post).collect::<Vec<_>>(),
        votes.iter().map(|v| v.item_id).collect::<Vec<_>>(),
        votes.iter().map(|v| v.voter_id).collect::<Vec<_>>(),
        votes.iter().map(|v| v.score).collect::<Vec<_>>(),
        votes
            .iter()
            .map(|v| v.activity_ap_id.as_deref())
            .collect::<Vec<_>>(),
    ))
    .get_result(conn)
    .await?)
}

/// What the vote functions answer: the previous vote, or NotFound for a missing item.
fn previous_vote((score, activity): (Option<i16>, Option<String>)) -> DbResult<PreviousVote> {
    let score = score.ok_or(diesel::result::Error::NotFound)?;
    Ok(PreviousVote { score, activity })
}

/// Sets `person`'s vote on a post: 1, -1, or 0 to withdraw it, with the post's counters,
/// in one round trip (its sort keys follow at the next fold). Returns the vote it replaced.
pub async fn set_post_vote(
    conn: &mut Connection,
    post_id: i64,
    person_id: i64,
    score: i16,
    activity_ap_id: Option<&str>,
) -> DbResult<PreviousVote> {
    previous_vote(
        diesel::select(guild_set_post_vote(
            post_id,
            person_id,
            score,
            activity_ap_id,
        ))
        .get_result(conn)
        .await?,
    )
}

/// Sets `person`'s vote on a comment (see [`set_post_vote`]).
pub async fn set_comment_vote(
    conn: &mut Connection,
    comment_id: i64,
    person_id: i64,
    score: i16,
    activity_ap_id: Option<&str>,
) -> DbResult<PreviousVote> {
    previous_vote(
        diesel::select(guild_set_comment_vote(
            comment_id,
            person_id,
            score,
            activity_ap_id,
        ))
        .get_result(conn)
        .await?,
    )
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
