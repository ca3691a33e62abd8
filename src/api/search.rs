//! `GET /search` (full-text search of what this instance holds) and `GET /resolve_object`
//! (a handle or URL, fetched from its server when the person asking is signed in).

use super::{
    ApiError, ApiResult,
    comments::parts_of,
    communities::parse_community_sort,
    extract::{ApiQuery, MaybeLoggedIn},
    posts::{page_and_limit, parse_sort},
    types::{ApiCommentView, ApiCommunityView, ApiPersonView, ApiPostView},
    views,
};
use crate::{
    context::Context,
    db::{
        self,
        communities::CommunityFilter,
        views::{CommentFilter, FeedScope, PostFilter},
    },
    federation::resolve::{self, ResolvedActor, ResolvedObject},
};
use activitypub_federation::config::Data;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Longer queries are refused: nobody types them, and they cost the database.
const MAX_QUERY_CHARS: usize = 200;

#[derive(Debug, Deserialize, IntoParams)]
pub struct Search {
    q: String,
    community_id: Option<i64>,
    community_name: Option<String>,
    creator_id: Option<i64>,
    /// All, Comments, Posts, Communities or Users.
    type_: Option<String>,
    sort: Option<String>,
    /// All or Local.
    listing_type: Option<String>,
    page: Option<i64>,
    limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResponse {
    type_: String,
    comments: Vec<ApiCommentView>,
    posts: Vec<ApiPostView>,
    communities: Vec<ApiCommunityView>,
    users: Vec<ApiPersonView>,
}

/// Words are matched whole, in any form of case, with PostgreSQL's `simple` text search.
#[utoipa::path(get, path = "/api/v3/search", params(Search),
    responses((status = 200, body = SearchResponse), (status = 400)))]
pub async fn search(
    ApiQuery(query): ApiQuery<Search>,
    MaybeLoggedIn(viewer): MaybeLoggedIn,
    data: Data<Context>,
) -> ApiResult<Json<SearchResponse>> {
    let text = query.q.trim();
    if text.is_empty() || text.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::bad_request("invalid_input")
            .with_message(format!("search for 1 to {MAX_QUERY_CHARS} characters")));
    }
    let kind = query.type_.clone().unwrap_or_else(|| "All".into());
    let (want_posts, want_comments, want_communities, want_users) = match kind.as_str() {
        "All" => (true, true, true, true),
        "Posts" => (true, false, false, false),
        "Comments" => (false, true, false, false),
        "Communities" => (false, false, true, false),
        "Users" => (false, false, false, true),
        _ => {
            return Err(ApiError::bad_request("invalid_type")
                .with_message("type_ is All, Posts, Comments, Communities or Users"));
        }
    };
    let local_only = match query.listing_type.as_deref().unwrap_or("All") {
        "All" => false,
        "Local" => true,
        _ => return Err(ApiError::bad_request("invalid_type")),
    };
    let (limit, offset) = page_and_limit(query.page, query.limit)?;
    let community_id = match (query.community_id, &query.community_name) {
        (Some(id), _) => Some(id),
        (None, Some(name)) => Some(super::community_by_name(&data, name).await?.id),
        (None, None) => None,
    };
    // Searching inside a community or by a person finds only posts and comments.
    let scoped = community_id.is_some() || query.creator_id.is_some();
    let viewer = viewer.as_ref();
    let mut conn = data.pool.get().await?;
    let mut response = SearchResponse {
        type_: kind.clone(),
        comments: Vec::new(),
        posts: Vec::new(),
        communities: Vec::new(),
        users: Vec::new(),
    };
    if want_posts {
        let scope = match (query.creator_id, community_id) {
            (Some(creator), _) => FeedScope::Author(creator),
            (None, Some(community)) => FeedScope::Community(community),
            (None, None) if local_only => FeedScope::Local,
            (None, None) => FeedScope::All,
        };
        let sort = parse_sort(Some(query.sort.as_deref().unwrap_or("TopAll")))?;
        let filter = PostFilter {
            text: Some(text),
            ..PostFilter::default()
        };
        let mut posts =
            db::views::filtered_posts(&mut conn, scope, sort, filter, limit, offset).await?;
        if let (Some(_), Some(community)) = (query.creator_id, community_id) {
            posts.retain(|p| p.community.id == community);
        }
        response.posts = views::post_views(&mut conn, viewer, &posts).await?;
    }
    if want_comments {
        let filter = CommentFilter {
            text: Some(text),
            author: query.creator_id,
            community: community_id,
            local_only,
            ..CommentFilter::default()
        };
        let found = db::views::comments_in_context(&mut conn, filter, limit, offset).await?;
        response.comments = views::comment_views(&mut conn, viewer, &parts_of(&found)).await?;
    }
    if want_communities && !scoped {
        let filter = CommunityFilter {
            text: Some(text),
            local_only,
            ..CommunityFilter::default()
        };
        let sort = parse_community_sort(Some("TopAll"))?;
        let found = db::communities::list(&mut conn, filter, sort, limit, offset).await?;
        response.communities = views::community_views(&mut conn, viewer, &found).await?;
    }
    if want_users && !scoped {
        for person in db::people::search(&mut conn, text, local_only, limit, offset).await? {
            response
                .users
                .push(views::person_view(&mut conn, &person).await?);
        }
    }
    Ok(Json(response))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ResolveObject {
    /// `!community@domain`, `@person@domain`, `name@domain`, or the URL of an actor, post or
    /// comment.
    q: String,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct ResolveObjectResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<ApiCommentView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    post: Option<ApiPostView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    community: Option<ApiCommunityView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    person: Option<ApiPersonView>,
}

/// Signed-in people may make the instance fetch what it does not hold yet; anyone else gets
/// only what is stored (so strangers cannot use the instance to fetch for them).
#[utoipa::path(get, path = "/api/v3/resolve_object", params(ResolveObject),
    responses((status = 200, body = ResolveObjectResponse), (status = 404, description = "couldnt_find_object")))]
pub async fn resolve_object(
    ApiQuery(query): ApiQuery<ResolveObject>,
    MaybeLoggedIn(viewer): MaybeLoggedIn,
    data: Data<Context>,
) -> ApiResult<Json<ResolveObjectResponse>> {
    if query.q.trim().is_empty() || query.q.len() > 2_000 {
        return Err(ApiError::bad_request("invalid_input"));
    }
    let found = match &viewer {
        Some(_) => resolve::resolve_object(&query.q, &data).await?,
        None => resolve::find_stored(&query.q, &data)
            .await?
            .ok_or(ApiError::not_found("couldnt_find_object"))?,
    };
    let viewer = viewer.as_ref();
    let mut conn = data.pool.get().await?;
    let mut response = ResolveObjectResponse::default();
    match found {
        ResolvedObject::Actor(ResolvedActor::Community(community)) => {
            response.community =
                Some(views::community_view(&mut conn, viewer, &community.row).await?);
        }
        ResolvedObject::Actor(ResolvedActor::Person(person)) => {
            response.person = Some(views::person_view(&mut conn, &person.row).await?);
        }
        ResolvedObject::Post(post) => {
            let view = db::views::post(&mut conn, post.row.id)
                .await?
                .ok_or(ApiError::not_found("couldnt_find_object"))?;
            response.post = Some(views::post_view(&mut conn, viewer, view).await?);
        }
        ResolvedObject::Comment(comment) => {
            let ids = [comment.row.id];
            let filter = CommentFilter {
                ids: Some(&ids),
                ..CommentFilter::default()
            };
            let found = db::views::comments_in_context(&mut conn, filter, 1, 0).await?;
            response.comment = views::comment_views(&mut conn, viewer, &parts_of(&found))
                .await?
                .pop();
        }
    }
    Ok(Json(response))
}
