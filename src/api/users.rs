//! Accounts (`/user/register`, `/user/login`, `/user/logout`, `/user/change_password`),
//! people (`GET /user`) and a person's inbox (`/user/replies`, `/user/mention`,
//! `/user/unread_count`, `/user/mark_all_as_read`).

use super::{
    ApiError, ApiResult,
    comments::parts_of,
    extract::{ApiJson, ApiQuery, ClientAddress, LoggedIn, MaybeLoggedIn, TOKEN_COOKIE, token_of},
    posts::page_and_limit,
    types::{
        ApiCommentReplyView, ApiCommentView, ApiModeratorView, ApiNotificationRow,
        ApiNotificationView, ApiPersonMentionView, ApiPersonView, ApiPostView, SuccessResponse,
    },
    views,
};
use crate::{
    context::Context,
    db::{
        self,
        models::Person,
        notifications::Notification,
        views::{CommentFilter, FeedScope, PostFilter},
    },
    service::{self, ServiceError, sessions},
};
use activitypub_federation::config::Data;
use axum::{
    Json,
    http::request::Parts,
    response::{IntoResponse, Response},
};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    jwt: Option<String>,
    /// True when an admin must approve the account first (never, here).
    registration_created: bool,
    verify_email_sent: bool,
}

/// The login answer, with the token also set as the `jwt` cookie for browsers.
fn login_response(token: String) -> Response {
    let cookie = Cookie::build((TOKEN_COOKIE, token.clone()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .build();
    (
        CookieJar::new().add(cookie),
        Json(LoginResponse {
            jwt: Some(token),
            registration_created: false,
            verify_email_sent: false,
        }),
    )
        .into_response()
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Register {
    username: String,
    password: String,
    password_verify: String,
}

#[utoipa::path(post, path = "/api/v3/user/register", request_body = Register,
    responses((status = 200, body = LoginResponse), (status = 400), (status = 403, description = "registration_closed"), (status = 409, description = "user_already_exists")))]
pub async fn register(
    ClientAddress(address): ClientAddress,
    data: Data<Context>,
    ApiJson(form): ApiJson<Register>,
) -> ApiResult<Response> {
    if form.password != form.password_verify {
        return Err(ApiError::bad_request("passwords_dont_match"));
    }
    let person = service::accounts::register(&data, &form.username, form.password)
        .await
        .map_err(|err| match err {
            ServiceError::Forbidden(message) => {
                ApiError::forbidden("registration_closed").with_message(message)
            }
            ServiceError::Conflict(message) => {
                ApiError::new(http::StatusCode::CONFLICT, "user_already_exists")
                    .with_message(message)
            }
            other => other.into(),
        })?;
    let login = sessions::open_login(&data, person, address).await?;
    Ok(login_response(login.token))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Login {
    username_or_email: String,
    password: String,
}

/// Wrong credentials answer 401 `incorrect_login`; too many attempts from one address or
/// for one account answer 429 `rate_limit_error`.
#[utoipa::path(post, path = "/api/v3/user/login", request_body = Login,
    responses((status = 200, body = LoginResponse), (status = 401, description = "incorrect_login"), (status = 429, description = "rate_limit_error")))]
pub async fn login(
    ClientAddress(address): ClientAddress,
    data: Data<Context>,
    ApiJson(form): ApiJson<Login>,
) -> ApiResult<Response> {
    let login = sessions::login(&data, &form.username_or_email, &form.password, address).await?;
    Ok(login_response(login.token))
}

/// Ends the login of the token sent, and clears the cookie.
#[utoipa::path(post, path = "/api/v3/user/logout",
    responses((status = 200, body = SuccessResponse), (status = 401)))]
pub async fn logout(parts: Parts, data: Data<Context>) -> ApiResult<Response> {
    let token = token_of(&parts.headers).ok_or_else(ApiError::unauthorized)?;
    if sessions::authenticate(&data, &token).await?.is_none() {
        return Err(ApiError::unauthorized());
    }
    sessions::logout(&data, &token).await?;
    let jar = CookieJar::new().add(crate::api::extract::expired_token_cookie());
    Ok((jar, Json(SuccessResponse { success: true })).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ChangePassword {
    new_password: String,
    new_password_verify: String,
    old_password: String,
}

/// Ends every login of the person and answers a new token.
#[utoipa::path(put, path = "/api/v3/user/change_password", request_body = ChangePassword,
    responses((status = 200, body = LoginResponse), (status = 400), (status = 401)))]
pub async fn change_password(
    LoggedIn(person): LoggedIn,
    ClientAddress(address): ClientAddress,
    data: Data<Context>,
    ApiJson(form): ApiJson<ChangePassword>,
) -> ApiResult<Response> {
    if form.new_password != form.new_password_verify {
        return Err(ApiError::bad_request("passwords_dont_match"));
    }
    let login = sessions::change_password(
        &data,
        person,
        &form.old_password,
        form.new_password,
        address,
    )
    .await?;
    Ok(login_response(login.token))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct GetPersonDetails {
    person_id: Option<i64>,
    /// `name` for a local person, `name@domain` for a remote one.
    username: Option<String>,
    page: Option<i64>,
    limit: Option<i64>,
    /// The signed-in person's saved posts (only their own).
    saved_only: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GetPersonDetailsResponse {
    person_view: ApiPersonView,
    comments: Vec<ApiCommentView>,
    posts: Vec<ApiPostView>,
    moderates: Vec<ApiModeratorView>,
}

#[utoipa::path(get, path = "/api/v3/user", params(GetPersonDetails),
    responses((status = 200, body = GetPersonDetailsResponse), (status = 400), (status = 404, description = "couldnt_find_person")))]
pub async fn get_person_details(
    ApiQuery(query): ApiQuery<GetPersonDetails>,
    MaybeLoggedIn(viewer): MaybeLoggedIn,
    data: Data<Context>,
) -> ApiResult<Json<GetPersonDetailsResponse>> {
    let (limit, offset) = page_and_limit(query.page, query.limit)?;
    let mut conn = data.pool.get().await?;
    let person = match (query.person_id, &query.username) {
        (Some(id), _) => db::people::by_id(&mut conn, id).await?,
        (None, Some(name)) => match name.split_once('@') {
            Some((name, domain)) if !domain.eq_ignore_ascii_case(data.domain()) => {
                db::people::remote_by_name(&mut conn, name, domain).await?
            }
            Some((name, _)) => db::people::local_by_name(&mut conn, name).await?,
            None => db::people::local_by_name(&mut conn, name).await?,
        },
        (None, None) => return Err(ApiError::bad_request("no_id_given")),
    }
    .ok_or(ApiError::not_found("couldnt_find_person"))?;
    let person_view = views::person_view(&mut conn, &person).await?;
    let saved_only = query.saved_only == Some(true);
    let (posts, comments) = if saved_only {
        if viewer.as_ref().map(|v| v.id) != Some(person.id) {
            return Err(ApiError::forbidden("forbidden")
                .with_message("saved posts are private to their owner"));
        }
        let filter = PostFilter {
            saved_by: Some(person.id),
            ..PostFilter::default()
        };
        let posts = db::views::filtered_posts(
            &mut conn,
            FeedScope::All,
            db::views::PostSort::New,
            filter,
            limit,
            offset,
        )
        .await?;
        (posts, Vec::new())
    } else {
        let posts = db::views::posts(
            &mut conn,
            FeedScope::Author(person.id),
            db::views::PostSort::New,
            limit,
            offset,
        )
        .await?;
        let filter = CommentFilter {
            author: Some(person.id),
            ..CommentFilter::default()
        };
        let comments = db::views::comments_in_context(&mut conn, filter, limit, offset).await?;
        (posts, comments)
    };
    let moderates = db::communities::moderated_by(&mut conn, person.id)
        .await?
        .iter()
        .map(|community| ApiModeratorView {
            community: community.into(),
            moderator: (&person).into(),
        })
        .collect();
    Ok(Json(GetPersonDetailsResponse {
        posts: views::post_views(&mut conn, viewer.as_ref(), &posts).await?,
        comments: views::comment_views(&mut conn, viewer.as_ref(), &parts_of(&comments)).await?,
        moderates,
        person_view,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct GetInbox {
    page: Option<i64>,
    limit: Option<i64>,
    unread_only: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GetRepliesResponse {
    replies: Vec<ApiCommentReplyView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GetPersonMentionsResponse {
    mentions: Vec<ApiPersonMentionView>,
}

/// A person's notifications of one kind, each with its comment as they see it.
async fn inbox(
    data: &Data<Context>,
    person: &Person,
    kind: &str,
    query: &GetInbox,
) -> ApiResult<Vec<(ApiNotificationRow, ApiNotificationView)>> {
    let (limit, offset) = page_and_limit(query.page, query.limit)?;
    let mut conn = data.pool.get().await?;
    let rows: Vec<Notification> = db::notifications::comments_for_person(
        &mut conn,
        person.id,
        kind,
        query.unread_only == Some(true),
        limit,
        offset,
    )
    .await?;
    drop(conn);
    notification_views(data, person, &rows).await
}

/// Notifications with their comments as the person sees them.
async fn notification_views(
    data: &Data<Context>,
    person: &Person,
    rows: &[Notification],
) -> ApiResult<Vec<(ApiNotificationRow, ApiNotificationView)>> {
    let mut conn = data.pool.get().await?;
    let ids: Vec<i64> = rows.iter().filter_map(|n| n.comment_id).collect();
    let filter = CommentFilter {
        ids: Some(&ids),
        ..CommentFilter::default()
    };
    let found = db::views::comments_in_context(&mut conn, filter, ids.len() as i64, 0).await?;
    let comment_views = views::comment_views(&mut conn, Some(person), &parts_of(&found)).await?;
    let recipient: super::types::ApiPerson = person.into();
    Ok(rows
        .iter()
        .filter_map(|row| {
            let view = comment_views
                .iter()
                .find(|v| Some(v.comment.id) == row.comment_id)?
                .clone();
            Some((
                ApiNotificationRow {
                    id: row.id,
                    recipient_id: person.id,
                    comment_id: view.comment.id,
                    read: row.read,
                    published: row.created_at,
                },
                ApiNotificationView {
                    comment: view.comment,
                    creator: view.creator,
                    post: view.post,
                    community: view.community,
                    recipient: recipient.clone(),
                    counts: view.counts,
                    creator_banned_from_community: false,
                    banned_from_community: false,
                    creator_is_moderator: view.creator_is_moderator,
                    creator_is_admin: view.creator_is_admin,
                    subscribed: view.subscribed,
                    saved: false,
                    creator_blocked: false,
                    my_vote: view.my_vote,
                },
            ))
        })
        .collect())
}

/// Comments that answer the person's posts and comments, newest first.
#[utoipa::path(get, path = "/api/v3/user/replies", params(GetInbox),
    responses((status = 200, body = GetRepliesResponse), (status = 401)))]
pub async fn replies(
    LoggedIn(person): LoggedIn,
    ApiQuery(query): ApiQuery<GetInbox>,
    data: Data<Context>,
) -> ApiResult<Json<GetRepliesResponse>> {
    let replies = inbox(&data, &person, "reply", &query)
        .await?
        .into_iter()
        .map(|(comment_reply, view)| ApiCommentReplyView {
            comment_reply,
            view,
        })
        .collect();
    Ok(Json(GetRepliesResponse { replies }))
}

/// Comments that mention the person, newest first. Mentions in posts are not listed: Lemmy's
/// shape has room for comments only.
#[utoipa::path(get, path = "/api/v3/user/mention", params(GetInbox),
    responses((status = 200, body = GetPersonMentionsResponse), (status = 401)))]
pub async fn mentions(
    LoggedIn(person): LoggedIn,
    ApiQuery(query): ApiQuery<GetInbox>,
    data: Data<Context>,
) -> ApiResult<Json<GetPersonMentionsResponse>> {
    let mentions = inbox(&data, &person, "mention", &query)
        .await?
        .into_iter()
        .map(|(person_mention, view)| ApiPersonMentionView {
            person_mention,
            view,
        })
        .collect();
    Ok(Json(GetPersonMentionsResponse { mentions }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GetUnreadCountResponse {
    replies: i64,
    mentions: i64,
    private_messages: i64,
}

#[utoipa::path(get, path = "/api/v3/user/unread_count",
    responses((status = 200, body = GetUnreadCountResponse), (status = 401)))]
pub async fn unread_count(
    LoggedIn(person): LoggedIn,
    data: Data<Context>,
) -> ApiResult<Json<GetUnreadCountResponse>> {
    let mut conn = data.pool.get().await?;
    Ok(Json(GetUnreadCountResponse {
        replies: db::notifications::unread_count(&mut conn, person.id, "reply").await?,
        mentions: db::notifications::unread_count(&mut conn, person.id, "mention").await?,
        private_messages: 0,
    }))
}

#[utoipa::path(post, path = "/api/v3/user/mark_all_as_read",
    responses((status = 200, body = GetRepliesResponse), (status = 401)))]
pub async fn mark_all_as_read(
    LoggedIn(person): LoggedIn,
    data: Data<Context>,
) -> ApiResult<Json<GetRepliesResponse>> {
    let mut conn = data.pool.get().await?;
    db::notifications::mark_all_read(&mut conn, person.id).await?;
    Ok(Json(GetRepliesResponse {
        replies: Vec::new(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct MarkReplyAsRead {
    comment_reply_id: i64,
    read: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommentReplyResponse {
    comment_reply_view: ApiCommentReplyView,
}

#[utoipa::path(post, path = "/api/v3/comment/mark_as_read", request_body = MarkReplyAsRead,
    responses((status = 200, body = CommentReplyResponse), (status = 401), (status = 404)))]
pub async fn mark_reply_as_read(
    LoggedIn(person): LoggedIn,
    data: Data<Context>,
    ApiJson(form): ApiJson<MarkReplyAsRead>,
) -> ApiResult<Json<CommentReplyResponse>> {
    let mut conn = data.pool.get().await?;
    let row = db::notifications::set_read(&mut conn, person.id, form.comment_reply_id, form.read)
        .await?
        .filter(|row| row.kind == "reply")
        .ok_or(ApiError::not_found("couldnt_find_comment_reply"))?;
    drop(conn);
    let (comment_reply, view) = notification_views(&data, &person, &[row])
        .await?
        .pop()
        .ok_or(ApiError::not_found("couldnt_find_comment_reply"))?;
    Ok(Json(CommentReplyResponse {
        comment_reply_view: ApiCommentReplyView {
            comment_reply,
            view,
        },
    }))
}
