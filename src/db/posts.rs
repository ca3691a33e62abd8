//! Queries on `posts`.

use super::{
    Connection, DbResult,
    models::{Post, PostContent, PostForm},
    schema::posts,
};
use diesel::{
    dsl::sql,
    prelude::*,
    sql_types::{BigInt, Integer},
};
use diesel_async::RunQueryDsl;

/// Reserves the id of a new local post, so its ActivityPub id can be written in one insert.
pub async fn next_id(conn: &mut Connection) -> DbResult<i64> {
    Ok(diesel::select(sql::<BigInt>("nextval('posts_id_seq')"))
        .get_result(conn)
        .await?)
}

pub async fn insert(conn: &mut Connection, form: &PostForm) -> DbResult<Post> {
    Ok(diesel::insert_into(posts::table)
        .values(form)
        .returning(Post::as_returning())
        .get_result(conn)
        .await?)
}

/// Stores a post received from elsewhere, or refreshes its content when it is known.
/// Returns `None` when the id belongs to a local post, which peers may not overwrite.
pub async fn upsert_remote(
    conn: &mut Connection,
    form: &PostForm,
    content: &PostContent,
) -> DbResult<Option<Post>> {
    if let Some(existing) = by_ap_id(conn, &form.ap_id).await? {
        if existing.local {
            return Ok(None);
        }
        return update_content(conn, existing.id, content).await.map(Some);
    }
    Ok(Some(
        diesel::insert_into(posts::table)
            .values(form)
            .on_conflict(posts::ap_id)
            .do_update()
            .set(content)
            .returning(Post::as_returning())
            .get_result(conn)
            .await?,
    ))
}

pub async fn by_id(conn: &mut Connection, id: i64) -> DbResult<Option<Post>> {
    Ok(posts::table
        .find(id)
        .select(Post::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn by_ap_id(conn: &mut Connection, ap_id: &str) -> DbResult<Option<Post>> {
    Ok(posts::table
        .filter(posts::ap_id.eq(ap_id))
        .select(Post::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn update_content(
    conn: &mut Connection,
    id: i64,
    content: &PostContent,
) -> DbResult<Post> {
    Ok(diesel::update(posts::table.find(id))
        .set(content)
        .returning(Post::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn set_deleted(conn: &mut Connection, id: i64, deleted: bool) -> DbResult<Post> {
    Ok(diesel::update(posts::table.find(id))
        .set(posts::deleted.eq(deleted))
        .returning(Post::as_returning())
        .get_result(conn)
        .await?)
}

/// The newest posts of a community, for its outbox.
pub async fn newest_in_community(
    conn: &mut Connection,
    community_id: i64,
    limit: i64,
    offset: i64,
) -> DbResult<Vec<Post>> {
    Ok(posts::table
        .filter(posts::community_id.eq(community_id))
        .filter(posts::deleted.eq(false))
        .filter(posts::removed.eq(false))
        .order((posts::published_at.desc(), posts::id.desc()))
        .limit(limit)
        .offset(offset)
        .select(Post::as_select())
        .load(conn)
        .await?)
}

pub async fn count_in_community(conn: &mut Connection, community_id: i64) -> DbResult<i64> {
    Ok(posts::table
        .filter(posts::community_id.eq(community_id))
        .filter(posts::deleted.eq(false))
        .filter(posts::removed.eq(false))
        .count()
        .get_result(conn)
        .await?)
}

/// How many posts one call of the rank refresh takes: it holds their rows until it ends,
/// as a fold call does (see [`FOLD_CHUNK`]).
const REFRESH_CHUNK: i32 = 100;

diesel::define_sql_function! {
    /// Migration 000023: refreshes the ranks of up to `most` recent or ranked posts after
    /// `after`, skipping busy ones; returns where the next call goes on (none at the end)
    /// and how many it refreshed.
    fn guild_refresh_ranks(after: BigInt, most: Integer) -> Record<(Nullable<BigInt>, Integer)>;
}

/// Recomputes the ranks that decay with time, and sets the other sort keys with them; run
/// on a schedule. Posts older than the rank window already sit at zero and are skipped; a
/// post a write holds is passed over, to be ranked by the next fold if that write moved its
/// counters, or else by the next refresh. Returns how many posts it refreshed.
pub async fn refresh_ranks(conn: &mut Connection) -> DbResult<usize> {
    let mut refreshed = 0;
    let mut after = 0;
    loop {
        let (last, taken): (Option<i64>, i32) =
            diesel::select(guild_refresh_ranks(after, REFRESH_CHUNK))
                .get_result(conn)
                .await?;
        refreshed += usize::try_from(taken).unwrap_or(0);
        match last {
            Some(last) => after = last,
            None => return Ok(refreshed),
        }
    }
}

/// How many marked posts one fold statement takes. It holds their rows until it ends, and
/// a vote or comment batch that needs one of them waits that long, with every batch queued
/// behind it: 200 at a time (25-35 ms at the large scale) set the inbox's p99 at a fixed
/// 1,000 activities/s to 200-400 ms; 20 at a time hold them for a few milliseconds.
const FOLD_CHUNK: i32 = 20;

diesel::define_sql_function! {
    /// Migration 000022: folds up to `most` marked posts after `after`, skipping busy ones;
    /// returns where the next call goes on (none at the end) and how many it folded.
    fn guild_fold_post_counts(after: BigInt, most: Integer) -> Record<(Nullable<BigInt>, Integer)>;
}

/// Sets the sort keys of every post whose counters moved since the last fold (listings
/// order by the keys, pages show the counters: migration 000022 says why the two are
/// apart), walking the marks in post order, a few at a time. Returns how many posts it
/// folded; a post whose row is busy is passed over and left marked for the next time.
pub async fn fold_counts(conn: &mut Connection) -> DbResult<usize> {
    let mut folded = 0;
    let mut after = 0;
    loop {
        let (last, taken): (Option<i64>, i32) =
            diesel::select(guild_fold_post_counts(after, FOLD_CHUNK))
                .get_result(conn)
                .await?;
        folded += usize::try_from(taken).unwrap_or(0);
        match last {
            Some(last) => after = last,
            None => return Ok(folded),
        }
    }
}

/// Removes or restores a post as a moderator (the author's own delete is `set_deleted`).
pub async fn set_removed(conn: &mut Connection, id: i64, removed: bool) -> DbResult<Post> {
    Ok(diesel::update(posts::table.find(id))
        .set(posts::removed.eq(removed))
        .returning(Post::as_returning())
        .get_result(conn)
        .await?)
}

/// Locks or unlocks a post (no new comments while locked).
pub async fn set_locked(conn: &mut Connection, id: i64, locked: bool) -> DbResult<Post> {
    Ok(diesel::update(posts::table.find(id))
        .set(posts::locked.eq(locked))
        .returning(Post::as_returning())
        .get_result(conn)
        .await?)
}
