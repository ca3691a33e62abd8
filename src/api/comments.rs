//! `GET /api/v3/comment/list`.

use super::{ApiError, ApiResult, types::ApiCommentView};
use crate::{context::Context, db};
use activitypub_federation::config::Data;
use axum::{Json, extract::Query};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
pub struct ListComments {
    post_id: Option<i64>,
    parent_id: Option<i64>,
    max_depth: Option<usize>,
    sort: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ListCommentsResponse {
    comments: Vec<ApiCommentView>,
}

/// A post's comments in thread order (or the subtree under `parent_id`), down to
/// `max_depth` levels. `sort` orders siblings: Hot and Top by score, New, Old.
pub async fn list_comments(
    Query(query): Query<ListComments>,
    data: Data<Context>,
) -> ApiResult<Json<ListCommentsResponse>> {
    let mut conn = data.pool.get().await?;
    let (post_id, root) = match (query.post_id, query.parent_id) {
        (_, Some(parent_id)) => {
            let parent = db::comments::by_id(&mut conn, parent_id)
                .await?
                .ok_or(ApiError::not_found("couldnt_find_comment"))?;
            (parent.post_id, Some(parent))
        }
        (Some(post_id), None) => (post_id, None),
        (None, None) => return Err(ApiError::bad_request("no_id_given")),
    };
    let view = db::views::post(&mut conn, post_id)
        .await?
        .ok_or(ApiError::not_found("couldnt_find_post"))?;
    let mut comments = db::views::comments_of_post(&mut conn, post_id).await?;
    if let Some(root) = &root {
        comments.retain(|c| c.comment.id == root.id || c.comment.ancestors.contains(&root.id));
    }
    let base_depth = root.as_ref().map(|r| r.ancestors.len()).unwrap_or(0);
    if let Some(max_depth) = query.max_depth {
        comments.retain(|c| c.comment.ancestors.len() < base_depth + max_depth);
    }
    order_siblings(&mut comments, query.sort.as_deref().unwrap_or("Hot"))?;
    Ok(Json(ListCommentsResponse {
        comments: comments
            .iter()
            .map(|c| ApiCommentView::new(c, &view.post, &view.community))
            .collect(),
    }))
}

/// Orders each comment's replies by `sort`, keeping every reply after its parent.
fn order_siblings(comments: &mut [db::views::CommentView], sort: &str) -> super::ApiResult<()> {
    // A comment's sort key is the path of (sibling rank, id) pairs from the root; sorting
    // by it orders the whole tree at once.
    let key_of = |c: &db::views::CommentView| -> (i64, i64) {
        let c = &c.comment;
        match sort {
            "New" => (-c.published_at.timestamp_micros(), c.id),
            "Old" => (c.published_at.timestamp_micros(), c.id),
            _ => (-(c.score as i64), c.id),
        }
    };
    if !matches!(sort, "Hot" | "Top" | "New" | "Old" | "Controversial") {
        return Err(ApiError::bad_request("invalid_sort"));
    }
    let keys: std::collections::HashMap<i64, (i64, i64)> =
        comments.iter().map(|c| (c.comment.id, key_of(c))).collect();
    comments.sort_by_cached_key(|c| {
        let mut path: Vec<(i64, i64)> = c
            .comment
            .ancestors
            .iter()
            .map(|id| keys.get(id).copied().unwrap_or((0, *id)))
            .collect();
        path.push(keys[&c.comment.id]);
        path
    });
    Ok(())
}
