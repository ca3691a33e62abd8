//! Turns stored rows into Lemmy's views for the person asking: their vote, whether they saved
//! or read a post, whether they follow its community. Each list costs a fixed number of
//! queries (one per kind of fact), however long it is.

use super::{
    ApiResult,
    types::{
        ApiCommentView, ApiCommunityCounts, ApiCommunityView, ApiPersonCounts, ApiPersonView,
        ApiPostView, SubscribedType,
    },
};
use crate::db::{
    self, Connection,
    models::{Comment, Community, Person, Post},
    views::PostView,
};
use std::collections::{HashMap, HashSet};

/// The subscription state of each of `community_ids` for the viewer.
async fn subscriptions(
    conn: &mut Connection,
    viewer: Option<&Person>,
    community_ids: &[i64],
) -> ApiResult<HashMap<i64, SubscribedType>> {
    let Some(viewer) = viewer else {
        return Ok(HashMap::new());
    };
    Ok(db::personal::follows_among(conn, viewer.id, community_ids)
        .await?
        .into_iter()
        .map(|(id, pending)| {
            let state = if pending {
                SubscribedType::Pending
            } else {
                SubscribedType::Subscribed
            };
            (id, state)
        })
        .collect())
}

fn unique(ids: impl Iterator<Item = i64>) -> Vec<i64> {
    let mut seen = HashSet::new();
    ids.filter(|id| seen.insert(*id)).collect()
}

pub async fn post_views(
    conn: &mut Connection,
    viewer: Option<&Person>,
    posts: &[PostView],
) -> ApiResult<Vec<ApiPostView>> {
    let post_ids: Vec<i64> = posts.iter().map(|p| p.post.id).collect();
    let author_ids = unique(posts.iter().map(|p| p.author.id));
    let community_ids = unique(posts.iter().map(|p| p.community.id));
    let admins: HashSet<i64> = db::people::admins_among(conn, &author_ids)
        .await?
        .into_iter()
        .collect();
    let subscribed = subscriptions(conn, viewer, &community_ids).await?;
    let (saved, read, votes) = match viewer {
        Some(viewer) => (
            db::personal::saved_among(conn, viewer.id, &post_ids).await?,
            db::personal::read_among(conn, viewer.id, &post_ids).await?,
            db::personal::post_votes_among(conn, viewer.id, &post_ids).await?,
        ),
        None => Default::default(),
    };
    let saved: HashSet<i64> = saved.into_iter().collect();
    let read: HashSet<i64> = read.into_iter().collect();
    let votes: HashMap<i64, i16> = votes.into_iter().collect();
    Ok(posts
        .iter()
        .map(|view| {
            let mut api = ApiPostView::from(view);
            let id = view.post.id;
            api.creator_is_admin = admins.contains(&view.author.id);
            api.subscribed = subscribed
                .get(&view.community.id)
                .copied()
                .unwrap_or(SubscribedType::NotSubscribed);
            if viewer.is_some() {
                api.saved = saved.contains(&id);
                api.read = read.contains(&id);
                api.my_vote = Some(votes.get(&id).copied().unwrap_or(0));
            }
            api
        })
        .collect())
}

pub async fn post_view(
    conn: &mut Connection,
    viewer: Option<&Person>,
    post: PostView,
) -> ApiResult<ApiPostView> {
    let mut views = post_views(conn, viewer, std::slice::from_ref(&post)).await?;
    Ok(views.remove(0))
}

/// A comment with its author, post and community.
pub struct CommentParts<'a> {
    pub comment: &'a Comment,
    pub author: &'a Person,
    pub post: &'a Post,
    pub community: &'a Community,
}

pub async fn comment_views(
    conn: &mut Connection,
    viewer: Option<&Person>,
    comments: &[CommentParts<'_>],
) -> ApiResult<Vec<ApiCommentView>> {
    let comment_ids: Vec<i64> = comments.iter().map(|c| c.comment.id).collect();
    let author_ids = unique(comments.iter().map(|c| c.author.id));
    let community_ids = unique(comments.iter().map(|c| c.community.id));
    let admins: HashSet<i64> = db::people::admins_among(conn, &author_ids)
        .await?
        .into_iter()
        .collect();
    let subscribed = subscriptions(conn, viewer, &community_ids).await?;
    let votes: HashMap<i64, i16> = match viewer {
        Some(viewer) => db::personal::comment_votes_among(conn, viewer.id, &comment_ids)
            .await?
            .into_iter()
            .collect(),
        None => HashMap::new(),
    };
    Ok(comments
        .iter()
        .map(|parts| {
            let mut api =
                ApiCommentView::new(parts.comment, parts.author, parts.post, parts.community);
            api.creator_is_admin = admins.contains(&parts.author.id);
            api.subscribed = subscribed
                .get(&parts.community.id)
                .copied()
                .unwrap_or(SubscribedType::NotSubscribed);
            if viewer.is_some() {
                api.my_vote = Some(votes.get(&parts.comment.id).copied().unwrap_or(0));
            }
            api
        })
        .collect())
}

pub async fn community_views(
    conn: &mut Connection,
    viewer: Option<&Person>,
    communities: &[Community],
) -> ApiResult<Vec<ApiCommunityView>> {
    let ids: Vec<i64> = communities.iter().map(|c| c.id).collect();
    let counts = db::communities::counts(conn, &ids).await?;
    let subscribed = subscriptions(conn, viewer, &ids).await?;
    Ok(communities
        .iter()
        .map(|community| {
            let count = counts.get(&community.id).copied().unwrap_or_default();
            ApiCommunityView {
                community: community.into(),
                subscribed: subscribed
                    .get(&community.id)
                    .copied()
                    .unwrap_or(SubscribedType::NotSubscribed),
                blocked: false,
                counts: ApiCommunityCounts {
                    community_id: community.id,
                    subscribers: count.subscribers,
                    posts: count.posts,
                    comments: count.comments,
                    published: community.published_at,
                    users_active_day: 0,
                    users_active_week: 0,
                    users_active_month: 0,
                    users_active_half_year: 0,
                    subscribers_local: count.subscribers_local,
                },
                banned_from_community: false,
            }
        })
        .collect())
}

pub async fn community_view(
    conn: &mut Connection,
    viewer: Option<&Person>,
    community: &Community,
) -> ApiResult<ApiCommunityView> {
    let mut views = community_views(conn, viewer, std::slice::from_ref(community)).await?;
    Ok(views.remove(0))
}

/// A person with their post and comment counts and whether they administer this instance.
pub async fn person_view(conn: &mut Connection, person: &Person) -> ApiResult<ApiPersonView> {
    let (post_count, comment_count) = db::people::content_counts(conn, person.id).await?;
    let is_admin = !db::people::admins_among(conn, &[person.id])
        .await?
        .is_empty();
    Ok(ApiPersonView {
        person: person.into(),
        counts: ApiPersonCounts {
            person_id: person.id,
            post_count,
            comment_count,
        },
        is_admin,
    })
}
