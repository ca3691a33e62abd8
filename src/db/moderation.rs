//! Queries behind moderator and admin actions: featured posts, moderators, bans, removal of
//! someone's content and purges. Purges delete rows, so they recompute every count the
//! deleted rows took part in.

use super::{
    Connection, DbResult,
    models::{Person, Post},
    schema::{community_bans, community_moderators, people, posts},
};
use chrono::{DateTime, Utc};
use diesel::{
    dsl::{self, now},
    prelude::*,
    sql_types::{Array, BigInt, Nullable},
};
use diesel_async::RunQueryDsl;

pub async fn set_featured(conn: &mut Connection, post_id: i64, featured: bool) -> DbResult<Post> {
    Ok(diesel::update(posts::table.find(post_id))
        .set(posts::featured.eq(featured))
        .returning(Post::as_returning())
        .get_result(conn)
        .await?)
}

/// Returns whether the person was a moderator.
pub async fn remove_moderator(
    conn: &mut Connection,
    community_id: i64,
    person_id: i64,
) -> DbResult<bool> {
    let deleted = diesel::delete(
        community_moderators::table
            .filter(community_moderators::community_id.eq(community_id))
            .filter(community_moderators::person_id.eq(person_id)),
    )
    .execute(conn)
    .await?;
    Ok(deleted > 0)
}

pub async fn ban_from_community(
    conn: &mut Connection,
    community_id: i64,
    person_id: i64,
    reason: Option<&str>,
    expires_at: Option<DateTime<Utc>>,
) -> DbResult<()> {
    super::memo::forget_all();
    diesel::insert_into(community_bans::table)
        .values((
            community_bans::community_id.eq(community_id),
            community_bans::person_id.eq(person_id),
            community_bans::reason.eq(reason),
            community_bans::expires_at.eq(expires_at),
        ))
        .on_conflict((community_bans::community_id, community_bans::person_id))
        .do_update()
        .set((
            community_bans::reason.eq(reason),
            community_bans::expires_at.eq(expires_at),
            community_bans::created_at.eq(now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn unban_from_community(
    conn: &mut Connection,
    community_id: i64,
    person_id: i64,
) -> DbResult<()> {
    super::memo::forget_all();
    diesel::delete(
        community_bans::table
            .filter(community_bans::community_id.eq(community_id))
            .filter(community_bans::person_id.eq(person_id)),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A ban in force: who, why, until when.
#[derive(Debug, Clone)]
pub struct Ban {
    pub person: Person,
    pub reason: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// A ban without an end, or ending later.
type InForce =
    dsl::Or<dsl::IsNull<community_bans::expires_at>, dsl::Gt<community_bans::expires_at, now>>;

fn in_force() -> InForce {
    community_bans::expires_at
        .is_null()
        .or(community_bans::expires_at.gt(now))
}

/// Whether a person is banned from a community now.
pub async fn is_banned(conn: &mut Connection, community_id: i64, person_id: i64) -> DbResult<bool> {
    let count: i64 = community_bans::table
        .filter(community_bans::community_id.eq(community_id))
        .filter(community_bans::person_id.eq(person_id))
        .filter(in_force())
        .count()
        .get_result(conn)
        .await?;
    Ok(count > 0)
}

/// Who is banned from a community now, and until when (`None`: no end).
pub async fn bans_in_force(
    conn: &mut Connection,
    community_id: i64,
) -> DbResult<Vec<(i64, Option<DateTime<Utc>>)>> {
    Ok(community_bans::table
        .filter(community_bans::community_id.eq(community_id))
        .filter(in_force())
        .select((community_bans::person_id, community_bans::expires_at))
        .load(conn)
        .await?)
}

/// The bans of a community that are in force, newest first.
pub async fn community_bans(conn: &mut Connection, community_id: i64) -> DbResult<Vec<Ban>> {
    let rows: Vec<(Person, Option<String>, Option<DateTime<Utc>>)> = community_bans::table
        .inner_join(people::table)
        .filter(community_bans::community_id.eq(community_id))
        .filter(in_force())
        .order(community_bans::created_at.desc())
        .select((
            Person::as_select(),
            community_bans::reason,
            community_bans::expires_at,
        ))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(person, reason, expires_at)| Ban {
            person,
            reason,
            expires_at,
        })
        .collect())
}

pub async fn set_site_ban(
    conn: &mut Connection,
    person_id: i64,
    banned: bool,
    expires_at: Option<DateTime<Utc>>,
) -> DbResult<Person> {
    super::memo::forget_all();
    Ok(diesel::update(people::table.find(person_id))
        .set((
            people::banned.eq(banned),
            people::ban_expires_at.eq(expires_at.filter(|_| banned)),
        ))
        .returning(Person::as_returning())
        .get_result(conn)
        .await?)
}

/// People banned from this instance now.
pub async fn site_bans(conn: &mut Connection) -> DbResult<Vec<Person>> {
    Ok(people::table
        .filter(people::banned.eq(true))
        .filter(
            people::ban_expires_at
                .is_null()
                .or(people::ban_expires_at.gt(now)),
        )
        .order(people::name.asc())
        .select(Person::as_select())
        .load(conn)
        .await?)
}

/// Marks everything `person_id` wrote (in one community, or everywhere) as removed.
/// Returns how many posts and comments changed.
pub async fn remove_content_of(
    conn: &mut Connection,
    person_id: i64,
    community_id: Option<i64>,
) -> DbResult<usize> {
    let posts_changed = diesel::sql_query(
        "UPDATE posts SET removed = true \
         WHERE author_id = $1 AND ($2::bigint IS NULL OR community_id = $2)",
    )
    .bind::<BigInt, _>(person_id)
    .bind::<Nullable<BigInt>, _>(community_id)
    .execute(conn)
    .await?;
    // Removed comments leave their post's count and their ancestors' reply counts, as
    // one removal at a time does.
    let changed: Vec<ChangedComment> = diesel::sql_query(
        "UPDATE comments c SET removed = true FROM posts p \
         WHERE c.post_id = p.id AND c.author_id = $1 AND NOT c.removed \
           AND ($2::bigint IS NULL OR p.community_id = $2) \
         RETURNING c.post_id, c.ancestors",
    )
    .bind::<BigInt, _>(person_id)
    .bind::<Nullable<BigInt>, _>(community_id)
    .load(conn)
    .await?;
    let mut post_ids: Vec<i64> = changed.iter().map(|c| c.post_id).collect();
    post_ids.sort_unstable();
    post_ids.dedup();
    let mut ancestor_ids: Vec<i64> = changed.iter().flat_map(|c| c.ancestors.clone()).collect();
    ancestor_ids.sort_unstable();
    ancestor_ids.dedup();
    recount_posts(conn, &post_ids).await?;
    recount_comments(conn, &ancestor_ids).await?;
    let comments_changed = changed.len();
    Ok(posts_changed + comments_changed)
}

/// Deletes a person and everything they wrote or voted. Replies others wrote under their
/// comments go with them (a thread keeps no orphans). Run inside a transaction.
pub async fn purge_person(conn: &mut Connection, person_id: i64) -> DbResult<()> {
    // What the deleted rows were counted in, found before they go.
    let voted_posts: Vec<i64> = diesel::sql_query(
        "SELECT post_id AS id FROM post_votes WHERE person_id = $1 \
         UNION SELECT post_id FROM comments WHERE author_id = $1",
    )
    .bind::<BigInt, _>(person_id)
    .load::<IdRow>(conn)
    .await?
    .into_iter()
    .map(|row| row.id)
    .collect();
    let touched_comments: Vec<i64> = diesel::sql_query(
        "SELECT comment_id AS id FROM comment_votes WHERE person_id = $1 \
         UNION SELECT unnest(ancestors) FROM comments WHERE author_id = $1",
    )
    .bind::<BigInt, _>(person_id)
    .load::<IdRow>(conn)
    .await?
    .into_iter()
    .map(|row| row.id)
    .collect();
    super::memo::forget_all();
    diesel::delete(people::table.find(person_id))
        .execute(conn)
        .await?;
    recount_posts(conn, &voted_posts).await?;
    recount_comments(conn, &touched_comments).await
}

#[derive(QueryableByName)]
struct ChangedComment {
    #[diesel(sql_type = BigInt)]
    post_id: i64,
    #[diesel(sql_type = Array<BigInt>)]
    ancestors: Vec<i64>,
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Recomputes votes, comment counts and ranks of posts from the rows that remain. Counts
/// of comments leave out deleted and removed ones, as `db::comments` keeps them.
async fn recount_posts(conn: &mut Connection, post_ids: &[i64]) -> DbResult<()> {
    diesel::sql_query(
        "UPDATE posts p SET \
           upvotes = (SELECT count(*) FROM post_votes v WHERE v.post_id = p.id AND v.score > 0), \
           downvotes = (SELECT count(*) FROM post_votes v WHERE v.post_id = p.id AND v.score < 0), \
           score = coalesce((SELECT sum(v.score) FROM post_votes v WHERE v.post_id = p.id), 0), \
           comment_count = (SELECT count(*) FROM comments c \
                            WHERE c.post_id = p.id AND NOT c.deleted AND NOT c.removed) \
         WHERE p.id = ANY($1)",
    )
    .bind::<Array<BigInt>, _>(post_ids)
    .execute(conn)
    .await?;
    diesel::sql_query(
        "UPDATE posts SET hot_rank = guild_hot_rank(score, published_at), \
                          active_rank = guild_hot_rank(score, newest_comment_at), \
                          sort_score = score, sort_comment_count = comment_count \
         WHERE id = ANY($1)",
    )
    .bind::<Array<BigInt>, _>(post_ids)
    .execute(conn)
    .await?;
    Ok(())
}

async fn recount_comments(conn: &mut Connection, comment_ids: &[i64]) -> DbResult<()> {
    diesel::sql_query(
        "UPDATE comments c SET \
           upvotes = (SELECT count(*) FROM comment_votes v WHERE v.comment_id = c.id AND v.score > 0), \
           downvotes = (SELECT count(*) FROM comment_votes v WHERE v.comment_id = c.id AND v.score < 0), \
           score = coalesce((SELECT sum(v.score) FROM comment_votes v WHERE v.comment_id = c.id), 0), \
           reply_count = (SELECT count(*) FROM comments r \
                          WHERE r.ancestors @> ARRAY[c.id] AND NOT r.deleted AND NOT r.removed) \
         WHERE c.id = ANY($1)",
    )
    .bind::<Array<BigInt>, _>(comment_ids)
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes the local copy of a community with its posts and comments (their rows hold
/// every count that mentions them).
pub async fn purge_community(conn: &mut Connection, community_id: i64) -> DbResult<()> {
    use super::schema::communities;
    super::memo::forget_all();
    diesel::delete(communities::table.find(community_id))
        .execute(conn)
        .await?;
    Ok(())
}
