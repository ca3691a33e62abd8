//! The shapes of Lemmy's HTTP API v3 (0.19), which Guild answers so that Lemmy apps work
//! with it. Field names and nesting follow Lemmy; values Guild has no notion of (languages,
//! embeds, saved or hidden posts) take their neutral value.

use crate::db::{
    models::{Comment, Community, Person, Post},
    views::{CommentView, PostView},
};
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct ApiPerson {
    pub id: i64,
    pub name: String,
    pub display_name: Option<String>,
    pub avatar: Option<String>,
    pub banned: bool,
    pub published: DateTime<Utc>,
    pub updated: Option<DateTime<Utc>>,
    pub actor_id: String,
    pub bio: Option<String>,
    pub local: bool,
    pub banner: Option<String>,
    pub deleted: bool,
    pub bot_account: bool,
    pub instance_id: i64,
}

impl From<&Person> for ApiPerson {
    fn from(person: &Person) -> Self {
        ApiPerson {
            id: person.id,
            name: person.name.clone(),
            display_name: person.display_name.clone(),
            avatar: person.avatar_url.clone(),
            banned: false,
            published: person.published_at,
            updated: person.updated_at,
            actor_id: person.ap_id.clone(),
            bio: person
                .bio_source
                .clone()
                .or_else(|| person.bio_html.clone()),
            local: person.local,
            banner: person.banner_url.clone(),
            deleted: person.deleted,
            bot_account: person.actor_type != "Person",
            instance_id: person.instance_id,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ApiCommunity {
    pub id: i64,
    pub name: String,
    pub title: String,
    pub description: Option<String>,
    pub removed: bool,
    pub published: DateTime<Utc>,
    pub updated: Option<DateTime<Utc>>,
    pub deleted: bool,
    pub nsfw: bool,
    pub actor_id: String,
    pub local: bool,
    pub icon: Option<String>,
    pub banner: Option<String>,
    pub hidden: bool,
    pub posting_restricted_to_mods: bool,
    pub instance_id: i64,
    pub visibility: &'static str,
}

impl From<&Community> for ApiCommunity {
    fn from(community: &Community) -> Self {
        ApiCommunity {
            id: community.id,
            name: community.name.clone(),
            title: community.title.clone(),
            description: community
                .description_source
                .clone()
                .or_else(|| community.description_html.clone()),
            removed: false,
            published: community.published_at,
            updated: community.updated_at,
            deleted: community.deleted,
            nsfw: community.sensitive,
            actor_id: community.ap_id.clone(),
            local: community.local,
            icon: community.icon_url.clone(),
            banner: community.banner_url.clone(),
            hidden: false,
            posting_restricted_to_mods: community.posting_restricted_to_mods,
            instance_id: community.instance_id,
            visibility: "Public",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ApiPost {
    pub id: i64,
    pub name: String,
    pub url: Option<String>,
    pub body: Option<String>,
    pub creator_id: i64,
    pub community_id: i64,
    pub removed: bool,
    pub locked: bool,
    pub published: DateTime<Utc>,
    pub updated: Option<DateTime<Utc>>,
    pub deleted: bool,
    pub nsfw: bool,
    pub ap_id: String,
    pub local: bool,
    pub language_id: i32,
    pub featured_community: bool,
    pub featured_local: bool,
}

impl From<&Post> for ApiPost {
    fn from(post: &Post) -> Self {
        ApiPost {
            id: post.id,
            name: post.title.clone(),
            url: post.url.clone(),
            body: post.body_source.clone().or_else(|| post.body_html.clone()),
            creator_id: post.author_id,
            community_id: post.community_id,
            removed: post.removed,
            locked: post.locked,
            published: post.published_at,
            updated: post.updated_at,
            deleted: post.deleted,
            nsfw: post.sensitive,
            ap_id: post.ap_id.clone(),
            local: post.local,
            language_id: 0,
            featured_community: post.featured,
            featured_local: false,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ApiPostCounts {
    pub post_id: i64,
    pub comments: i32,
    pub score: i32,
    pub upvotes: i32,
    pub downvotes: i32,
    pub published: DateTime<Utc>,
    pub newest_comment_time: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ApiPostView {
    pub post: ApiPost,
    pub creator: ApiPerson,
    pub community: ApiCommunity,
    pub creator_banned_from_community: bool,
    pub banned_from_community: bool,
    pub creator_is_moderator: bool,
    pub creator_is_admin: bool,
    pub counts: ApiPostCounts,
    pub subscribed: &'static str,
    pub saved: bool,
    pub read: bool,
    pub hidden: bool,
    pub creator_blocked: bool,
    pub my_vote: Option<i16>,
    pub unread_comments: i64,
}

impl From<&PostView> for ApiPostView {
    fn from(view: &PostView) -> Self {
        let post = &view.post;
        ApiPostView {
            post: post.into(),
            creator: (&view.author).into(),
            community: (&view.community).into(),
            creator_banned_from_community: false,
            banned_from_community: false,
            creator_is_moderator: false,
            creator_is_admin: false,
            counts: ApiPostCounts {
                post_id: post.id,
                comments: post.comment_count,
                score: post.score,
                upvotes: post.upvotes,
                downvotes: post.downvotes,
                published: post.published_at,
                newest_comment_time: post.newest_comment_at,
            },
            subscribed: "NotSubscribed",
            saved: false,
            read: false,
            hidden: false,
            creator_blocked: false,
            my_vote: None,
            unread_comments: 0,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ApiComment {
    pub id: i64,
    pub creator_id: i64,
    pub post_id: i64,
    pub content: String,
    pub removed: bool,
    pub published: DateTime<Utc>,
    pub updated: Option<DateTime<Utc>>,
    pub deleted: bool,
    pub ap_id: String,
    pub local: bool,
    /// Lemmy's ltree path: `0.` then the ids from the root down to this comment.
    pub path: String,
    pub distinguished: bool,
    pub language_id: i32,
}

impl From<&Comment> for ApiComment {
    fn from(comment: &Comment) -> Self {
        let mut path = String::from("0");
        for id in comment.ancestors.iter().chain(std::iter::once(&comment.id)) {
            path.push('.');
            path.push_str(&id.to_string());
        }
        ApiComment {
            id: comment.id,
            creator_id: comment.author_id,
            post_id: comment.post_id,
            content: comment
                .body_source
                .clone()
                .unwrap_or_else(|| comment.body_html.clone()),
            removed: comment.removed,
            published: comment.published_at,
            updated: comment.updated_at,
            deleted: comment.deleted,
            ap_id: comment.ap_id.clone(),
            local: comment.local,
            path,
            distinguished: false,
            language_id: 0,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ApiCommentCounts {
    pub comment_id: i64,
    pub score: i32,
    pub upvotes: i32,
    pub downvotes: i32,
    pub published: DateTime<Utc>,
    pub child_count: i32,
}

#[derive(Debug, Clone, Serialize)]
pub struct ApiCommentView {
    pub comment: ApiComment,
    pub creator: ApiPerson,
    pub post: ApiPost,
    pub community: ApiCommunity,
    pub counts: ApiCommentCounts,
    pub creator_banned_from_community: bool,
    pub banned_from_community: bool,
    pub creator_is_moderator: bool,
    pub creator_is_admin: bool,
    pub subscribed: &'static str,
    pub saved: bool,
    pub creator_blocked: bool,
    pub my_vote: Option<i16>,
}

impl ApiCommentView {
    pub fn new(view: &CommentView, post: &Post, community: &Community) -> Self {
        let comment = &view.comment;
        ApiCommentView {
            comment: comment.into(),
            creator: (&view.author).into(),
            post: post.into(),
            community: community.into(),
            counts: ApiCommentCounts {
                comment_id: comment.id,
                score: comment.score,
                upvotes: comment.upvotes,
                downvotes: comment.downvotes,
                published: comment.published_at,
                child_count: comment.reply_count,
            },
            creator_banned_from_community: false,
            banned_from_community: false,
            creator_is_moderator: false,
            creator_is_admin: false,
            subscribed: "NotSubscribed",
            saved: false,
            creator_blocked: false,
            my_vote: None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ApiCommunityCounts {
    pub community_id: i64,
    pub subscribers: i64,
    pub posts: i64,
    pub comments: i64,
    pub published: DateTime<Utc>,
    pub users_active_day: i64,
    pub users_active_week: i64,
    pub users_active_month: i64,
    pub users_active_half_year: i64,
    pub subscribers_local: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ApiCommunityView {
    pub community: ApiCommunity,
    pub subscribed: &'static str,
    pub blocked: bool,
    pub counts: ApiCommunityCounts,
    pub banned_from_community: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ApiModeratorView {
    pub community: ApiCommunity,
    pub moderator: ApiPerson,
}
