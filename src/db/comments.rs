//! Queries on `comments`, and the post counters a comment moves.

use super::{
    Connection, DbResult,
    models::{Comment, CommentContent, CommentForm},
    schema::{comments, posts},
};
use diesel::{
    dsl::sql,
    prelude::*,
    sql_types::{Array, BigInt, Integer, Nullable, Text, Timestamptz},
};
use diesel_async::RunQueryDsl;
use std::collections::HashMap;

pub async fn next_id(conn: &mut Connection) -> DbResult<i64> {
    Ok(diesel::select(sql::<BigInt>("nextval('comments_id_seq')"))
        .get_result(conn)
        .await?)
}

/// Inserts a local comment under `id` (from [`next_id`]: its ActivityPub id holds it),
/// unless its ap_id is known. The INSERT counts it on its post and ancestors (a trigger of
/// migration 000016). Returns `None` when it was already stored. Comments from other
/// servers go in batches: [`insert_remote_many`].
pub async fn insert_new(
    conn: &mut Connection,
    id: i64,
    form: &CommentForm,
) -> DbResult<Option<Comment>> {
    Ok(diesel::insert_into(comments::table)
        .values((comments::id.eq(id), form))
        .on_conflict(comments::ap_id)
        .do_nothing()
        .returning(Comment::as_returning())
        .get_result(conn)
        .await
        .optional()?)
}

/// Inserts comments from other servers in one statement, each counted as [`insert_new`]
/// counts one (the forms' `local` is not read: they are all remote). Answers, per form, the row
/// inserted, or `None` when its ap_id was stored already, or was given earlier in `forms`.
/// Locks the posts and then the ancestors in id order first (migration 000019 says why).
pub async fn insert_remote_many(
    conn: &mut Connection,
    forms: &[CommentForm],
) -> DbResult<Vec<Option<Comment>>> {
    let inserted: Vec<Comment> = diesel::sql_query(
        "SELECT * FROM guild_insert_remote_comments($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind::<Array<Text>, _>(forms.iter().map(|f| f.ap_id.as_str()).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(forms.iter().map(|f| f.post_id).collect::<Vec<_>>())
    .bind::<Array<Nullable<BigInt>>, _>(forms.iter().map(|f| f.parent_id).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(forms.iter().map(|f| f.author_id).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(
        forms
            .iter()
            .map(|f| f.body_source.as_deref())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Text>, _>(
        forms
            .iter()
            .map(|f| f.body_html.as_str())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Timestamptz>, _>(forms.iter().map(|f| f.published_at).collect::<Vec<_>>())
    .bind::<Array<Nullable<Timestamptz>>, _>(forms.iter().map(|f| f.updated_at).collect::<Vec<_>>())
    .bind::<Array<Integer>, _>(
        forms
            .iter()
            .map(|f| i32::try_from(f.ancestors.len()).unwrap_or(i32::MAX))
            .collect::<Vec<_>>(),
    )
    .bind::<Array<BigInt>, _>(
        forms
            .iter()
            .flat_map(|f| f.ancestors.iter().copied())
            .collect::<Vec<_>>(),
    )
    .load(conn)
    .await?;
    let mut by_ap_id: HashMap<String, Comment> = inserted
        .into_iter()
        .map(|row| (row.ap_id.clone(), row))
        .collect();
    // A row answers the first form that asked for it; a repeat of it was not inserted.
    Ok(forms.iter().map(|f| by_ap_id.remove(&f.ap_id)).collect())
}

/// Adds `delta` to the post's comment count and to the reply counts of the ancestors.
async fn count_on_post(conn: &mut Connection, comment: &Comment, delta: i32) -> DbResult<()> {
    diesel::update(posts::table.find(comment.post_id))
        .set(posts::comment_count.eq(posts::comment_count + delta))
        .execute(conn)
        .await?;
    count_on_ancestors(conn, comment, delta).await
}

/// Adds `delta` to the reply counts of the comment's ancestors.
async fn count_on_ancestors(conn: &mut Connection, comment: &Comment, delta: i32) -> DbResult<()> {
    if !comment.ancestors.is_empty() {
        diesel::update(comments::table.filter(comments::id.eq_any(&comment.ancestors)))
            .set(comments::reply_count.eq(comments::reply_count + delta))
            .execute(conn)
            .await?;
    }
    Ok(())
}

pub async fn by_id(conn: &mut Connection, id: i64) -> DbResult<Option<Comment>> {
    Ok(comments::table
        .find(id)
        .select(Comment::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn by_ap_id(conn: &mut Connection, ap_id: &str) -> DbResult<Option<Comment>> {
    Ok(comments::table
        .filter(comments::ap_id.eq(ap_id))
        .select(Comment::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Every comment of a post, in thread order (each reply after its parent).
pub async fn for_post(conn: &mut Connection, post_id: i64) -> DbResult<Vec<Comment>> {
    Ok(comments::table
        .filter(comments::post_id.eq(post_id))
        .order(sql::<diesel::sql_types::Array<BigInt>>("ancestors || id"))
        .select(Comment::as_select())
        .load(conn)
        .await?)
}

pub async fn update_content(
    conn: &mut Connection,
    id: i64,
    content: &CommentContent,
) -> DbResult<Comment> {
    Ok(diesel::update(comments::table.find(id))
        .set(content)
        .returning(Comment::as_returning())
        .get_result(conn)
        .await?)
}

/// Deletes or restores a comment. It stays in the thread either way; deleted comments are
/// not counted on their post. Run inside a transaction.
pub async fn set_deleted(conn: &mut Connection, id: i64, deleted: bool) -> DbResult<Comment> {
    let before: bool = comments::table
        .find(id)
        .select(comments::deleted)
        .first(conn)
        .await?;
    let comment = diesel::update(comments::table.find(id))
        .set(comments::deleted.eq(deleted))
        .returning(Comment::as_returning())
        .get_result(conn)
        .await?;
    if before != deleted && !comment.removed {
        count_on_post(conn, &comment, if deleted { -1 } else { 1 }).await?;
    }
    Ok(comment)
}

/// Removes or restores a comment as a moderator; the post's count follows, as on delete.
/// Call inside a transaction.
pub async fn set_removed(conn: &mut Connection, id: i64, removed: bool) -> DbResult<Comment> {
    let before: bool = comments::table
        .find(id)
        .select(comments::removed)
        .first(conn)
        .await?;
    let comment = diesel::update(comments::table.find(id))
        .set(comments::removed.eq(removed))
        .returning(Comment::as_returning())
        .get_result(conn)
        .await?;
    if before != removed && !comment.deleted {
        count_on_post(conn, &comment, if removed { -1 } else { 1 }).await?;
    }
    Ok(comment)
}
