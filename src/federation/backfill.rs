//! Filling a newly followed remote community with its recent posts, read from its outbox, so
//! that followers do not start with an empty page.

use super::{
    FederationError, FederationResult, activities::announce::receive_announced,
    objects::group::CommunityActor,
};
use crate::context::Context;
use activitypub_federation::{config::Data, fetch::fetch_object_http};
use serde_json::Value;
use url::Url;

/// How many outbox items are read.
pub const BACKFILL_ITEMS: usize = 20;

pub async fn backfill_community(
    community: &CommunityActor,
    data: &Data<Context>,
) -> FederationResult<usize> {
    let Some(outbox) = community.row.outbox_url.as_deref() else {
        return Ok(0);
    };
    let outbox =
        Url::parse(outbox).map_err(|e| FederationError::BadRequest(format!("outbox URL: {e}")))?;
    let collection = fetch_object_http::<_, Value>(&outbox, data).await?.object;
    let mut items = collection.get("orderedItems").cloned();
    if items.is_none() {
        // A paged collection: read its first page.
        if let Some(first) = collection.get("first") {
            items = match first {
                Value::String(url) => {
                    let url = Url::parse(url)
                        .map_err(|e| FederationError::BadRequest(format!("outbox page: {e}")))?;
                    fetch_object_http::<_, Value>(&url, data)
                        .await?
                        .object
                        .get("orderedItems")
                        .cloned()
                }
                page => page.get("orderedItems").cloned(),
            };
        }
    }
    let items = match items {
        Some(Value::Array(items)) => items,
        _ => return Ok(0),
    };
    let mut stored = 0;
    // Oldest first, so that comments find their posts.
    for item in items.into_iter().take(BACKFILL_ITEMS).rev() {
        let Some(object) = item.get("object").cloned() else {
            continue;
        };
        match receive_announced(object, community, &data.reset_request_count()).await {
            Ok(_) => stored += 1,
            Err(err) => {
                tracing::info!(community = %community.row.ap_id, %err, "outbox item skipped")
            }
        }
    }
    Ok(stored)
}
