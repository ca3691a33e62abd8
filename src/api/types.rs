//! The shapes of Lemmy's HTTP API v3 (0.19), which Guild answers so that Lemmy apps work
//! with it. Field names and nesting follow Lemmy; values Guild has no notion of (languages,
//! embeds, saved or hidden posts) take their neutral value.

use crate::db::{
    models::{Comment, Community, Person, Post},
    views::PostView,
};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
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

#[derive(Debug, Clone, Serialize, ToSchema)]
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
    pub visibility: CommunityVisibility,
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
            visibility: CommunityVisibility::Public,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
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

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiPostCounts {
    pub post_id: i64,
    pub comments: i32,
    pub score: i32,
    pub upvotes: i32,
    pub downvotes: i32,
    pub published: DateTime<Utc>,
    pub newest_comment_time: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiPostView {
    pub post: ApiPost,
    pub creator: ApiPerson,
    pub community: ApiCommunity,
    pub creator_banned_from_community: bool,
    pub banned_from_community: bool,
    pub creator_is_moderator: bool,
    pub creator_is_admin: bool,
    pub counts: ApiPostCounts,
    pub subscribed: SubscribedType,
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
            subscribed: SubscribedType::NotSubscribed,
            saved: false,
            read: false,
            hidden: false,
            creator_blocked: false,
            my_vote: None,
            unread_comments: 0,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
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

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiCommentCounts {
    pub comment_id: i64,
    pub score: i32,
    pub upvotes: i32,
    pub downvotes: i32,
    pub published: DateTime<Utc>,
    pub child_count: i32,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
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
    pub subscribed: SubscribedType,
    pub saved: bool,
    pub creator_blocked: bool,
    pub my_vote: Option<i16>,
}

impl ApiCommentView {
    pub fn new(comment: &Comment, author: &Person, post: &Post, community: &Community) -> Self {
        ApiCommentView {
            comment: comment.into(),
            creator: author.into(),
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
            subscribed: SubscribedType::NotSubscribed,
            saved: false,
            creator_blocked: false,
            my_vote: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
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

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiCommunityView {
    pub community: ApiCommunity,
    pub subscribed: SubscribedType,
    pub blocked: bool,
    pub counts: ApiCommunityCounts,
    pub banned_from_community: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiModeratorView {
    pub community: ApiCommunity,
    pub moderator: ApiPerson,
}

/// Whether the person asking follows a community.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub enum SubscribedType {
    Subscribed,
    NotSubscribed,
    /// A Follow sent to a remote community whose Accept has not arrived yet.
    Pending,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub enum CommunityVisibility {
    Public,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiPersonCounts {
    pub person_id: i64,
    pub post_count: i64,
    pub comment_count: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiPersonView {
    pub person: ApiPerson,
    pub counts: ApiPersonCounts,
    pub is_admin: bool,
}

/// A reply or a mention, as Lemmy's inbox lists it: the notification's own fields.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiNotificationRow {
    pub id: i64,
    pub recipient_id: i64,
    pub comment_id: i64,
    pub read: bool,
    pub published: DateTime<Utc>,
}

/// Lemmy's `CommentReplyView` and `PersonMentionView` share this shape; only the name of the
/// first field differs, so each wraps it under its own name.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiNotificationView {
    pub comment: ApiComment,
    pub creator: ApiPerson,
    pub post: ApiPost,
    pub community: ApiCommunity,
    pub recipient: ApiPerson,
    pub counts: ApiCommentCounts,
    pub creator_banned_from_community: bool,
    pub banned_from_community: bool,
    pub creator_is_moderator: bool,
    pub creator_is_admin: bool,
    pub subscribed: SubscribedType,
    pub saved: bool,
    pub creator_blocked: bool,
    pub my_vote: Option<i16>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiCommentReplyView {
    pub comment_reply: ApiNotificationRow,
    #[serde(flatten)]
    pub view: ApiNotificationView,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiPersonMentionView {
    pub person_mention: ApiNotificationRow,
    #[serde(flatten)]
    pub view: ApiNotificationView,
}

/// Lemmy's answer to calls that only succeed or fail.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SuccessResponse {
    pub success: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PostResponse {
    pub post_view: ApiPostView,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CommentResponse {
    pub comment_view: ApiCommentView,
    pub recipient_ids: Vec<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CommunityResponse {
    pub community_view: ApiCommunityView,
    pub discussion_languages: Vec<i32>,
}
