//! What each person marks for themselves: saved and read posts, and their own votes and
//! follows, read in bulk for a page of items (one query per kind, never one per item).

use super::{
    Connection, DbResult,
    schema::{comment_votes, community_follows, post_reads, post_saves, post_votes},
};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

pub async fn set_saved(
    conn: &mut Connection,
    person_id: i64,
    post_id: i64,
    saved: bool,
) -> DbResult<()> {
    if saved {
        diesel::insert_into(post_saves::table)
            .values((
                post_saves::person_id.eq(person_id),
                post_saves::post_id.eq(post_id),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
    } else {
        diesel::delete(post_saves::table.find((person_id, post_id)))
            .execute(conn)
            .await?;
    }
    Ok(())
}

pub async fn set_read(
    conn: &mut Connection,
    person_id: i64,
    post_ids: &[i64],
    read: bool,
) -> DbResult<()> {
    if read {
        let rows: Vec<_> = post_ids
            .iter()
            .map(|id| {
                (
                    post_reads::person_id.eq(person_id),
                    post_reads::post_id.eq(*id),
                )
            })
            .collect();
        diesel::insert_into(post_reads::table)
            .values(rows)
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
    } else {
        diesel::delete(
            post_reads::table
                .filter(post_reads::person_id.eq(person_id))
                .filter(post_reads::post_id.eq_any(post_ids)),
        )
        .execute(conn)
        .await?;
    }
    Ok(())
}

/// Of `post_ids`, those the person saved.
pub async fn saved_among(
    conn: &mut Connection,
    person_id: i64,
    post_ids: &[i64],
) -> DbResult<Vec<i64>> {
    Ok(post_saves::table
        .filter(post_saves::person_id.eq(person_id))
        .filter(post_saves::post_id.eq_any(post_ids))
        .select(post_saves::post_id)
        .load(conn)
        .await?)
}

/// Of `post_ids`, those the person read.
pub async fn read_among(
    conn: &mut Connection,
    person_id: i64,
    post_ids: &[i64],
) -> DbResult<Vec<i64>> {
    Ok(post_reads::table
        .filter(post_reads::person_id.eq(person_id))
        .filter(post_reads::post_id.eq_any(post_ids))
        .select(post_reads::post_id)
        .load(conn)
        .await?)
}

/// The person's votes on `post_ids`.
pub async fn post_votes_among(
    conn: &mut Connection,
    person_id: i64,
    post_ids: &[i64],
) -> DbResult<Vec<(i64, i16)>> {
    Ok(post_votes::table
        .filter(post_votes::person_id.eq(person_id))
        .filter(post_votes::post_id.eq_any(post_ids))
        .select((post_votes::post_id, post_votes::score))
        .load(conn)
        .await?)
}

/// The person's votes on `comment_ids`.
pub async fn comment_votes_among(
    conn: &mut Connection,
    person_id: i64,
    comment_ids: &[i64],
) -> DbResult<Vec<(i64, i16)>> {
    Ok(comment_votes::table
        .filter(comment_votes::person_id.eq(person_id))
        .filter(comment_votes::comment_id.eq_any(comment_ids))
        .select((comment_votes::comment_id, comment_votes::score))
        .load(conn)
        .await?)
}

/// The person's follows among `community_ids`: (community, pending).
pub async fn follows_among(
    conn: &mut Connection,
    person_id: i64,
    community_ids: &[i64],
) -> DbResult<Vec<(i64, bool)>> {
    Ok(community_follows::table
        .filter(community_follows::person_id.eq(person_id))
        .filter(community_follows::community_id.eq_any(community_ids))
        .select((community_follows::community_id, community_follows::pending))
        .load(conn)
        .await?)
}
