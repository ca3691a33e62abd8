//! The page of a post with its comment thread, and the forms that write posts and comments:
//! create (with a Markdown preview), edit, delete, vote, reply.

use super::{
    Chrome, FormErrors, PageContext, WebError, WebForm, WebResult,
    actors::find_community,
    render, render_with, see_other,
    views::{self, CommentCard},
};
use crate::{
    db::{
        self,
        models::{Comment, Post},
    },
    federation::activities::StoredObject,
    service::{self, posts::PostInput},
    text,
};
use askama::Template;
use axum::{
    extract::{FromRequestParts, Path},
    http::{StatusCode, request::Parts},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "post.html")]
struct PostPage {
    chrome: Chrome,
    id: i64,
    title: String,
    url: Option<String>,
    body_html: String,
    author: String,
    author_href: String,
    community_title: String,
    community_href: String,
    score: i32,
    my_vote: i16,
    comment_count: i32,
    ago: String,
    published: String,
    edited: bool,
    gone: bool,
    locked: bool,
    mine: bool,
    origin_url: String,
    local: bool,
    comments: Vec<CommentCard>,
    /// The viewer moderates this (local) community: remove and restore forms show.
    can_moderate: bool,
    removed: bool,
    featured: bool,
    /// The viewer has just sent a report.
    reported: bool,
    /// Locking and featuring happen on the community's instance only.
    community_local: bool,
}

/// `/post/{id}` for a browser.
pub async fn post_page(parts: &mut Parts, id: i64) -> Response {
    match post_page_inner(parts, id).await {
        Ok(response) => response,
        Err(err) => err.into_response(),
    }
}

async fn post_page_inner(parts: &mut Parts, id: i64) -> WebResult<Response> {
    let page = PageContext::from_request_parts(parts, &()).await?;
    let mut conn = page.data.pool.get().await?;
    let view = db::views::post(&mut conn, id)
        .await?
        .ok_or(WebError::NotFound("post"))?;
    let comments = db::views::comments_of_post(&mut conn, id).await?;
    let viewer = page.viewer.as_ref();
    let cards = views::thread(&mut conn, viewer, &view.post.title, &comments).await?;
    let my_vote = match viewer {
        Some(viewer) => db::votes::post_vote(&mut conn, id, viewer.id).await?,
        None => 0,
    };
    drop(conn);
    let can_moderate = match viewer {
        Some(viewer) if view.community.local => {
            service::moderation::may_moderate(&page.data, viewer, &view.community).await?
        }
        // Admins remove a remote community's content here (and only remove it).
        Some(_) => page.viewer_is_admin,
        None => false,
    };
    let post = &view.post;
    let gone = post.deleted || post.removed;
    let reported = parts
        .uri
        .query()
        .is_some_and(|q| q.split('&').any(|pair| pair == "reported=1"));
    Ok(render(&PostPage {
        can_moderate,
        removed: post.removed,
        featured: post.featured,
        reported,
        community_local: view.community.local,
        chrome: Chrome::of(&page),
        id,
        title: if post.removed {
            "[removed by a moderator]".into()
        } else if gone {
            "[deleted]".into()
        } else {
            post.title.clone()
        },
        url: if gone { None } else { post.url.clone() },
        body_html: if gone {
            String::new()
        } else {
            post.body_html.clone().unwrap_or_default()
        },
        author: views::person_label(&view.author),
        author_href: views::person_href(&view.author),
        community_title: view.community.title.clone(),
        community_href: views::community_href(&view.community),
        score: post.score,
        my_vote,
        comment_count: post.comment_count,
        ago: views::ago(post.published_at),
        published: post.published_at.to_rfc3339(),
        edited: post.updated_at.is_some(),
        gone,
        locked: post.locked,
        mine: viewer.is_some_and(|v| v.id == post.author_id),
        origin_url: post.ap_id.clone(),
        local: post.local,
        comments: cards,
    }))
}

#[derive(Template)]
#[template(path = "post_form.html")]
struct PostForm {
    chrome: Chrome,
    heading: String,
    action: String,
    title: String,
    url: String,
    body: String,
    nsfw: bool,
    preview_html: Option<String>,
    errors: FormErrors,
}

#[derive(Debug, Deserialize)]
pub struct PostFields {
    csrf: String,
    title: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    body: String,
    nsfw: Option<String>,
    /// "preview" shows the form again with the body rendered.
    action: Option<String>,
}

impl PostFields {
    fn input(&self) -> PostInput {
        PostInput {
            title: self.title.clone(),
            body: Some(self.body.clone()).filter(|b| !b.trim().is_empty()),
            url: Some(self.url.clone()).filter(|u| !u.trim().is_empty()),
            sensitive: self.nsfw.is_some(),
        }
    }
}

/// `GET /c/{name}/submit`.
pub async fn create_form(page: PageContext, Path(name): Path<String>) -> WebResult<Response> {
    page.require_viewer()?;
    let community = find_community(&page.data, &name).await?;
    Ok(render(&PostForm {
        chrome: Chrome::of(&page),
        heading: format!("New post in {}", community.title),
        action: format!("/c/{name}/submit"),
        title: String::new(),
        url: String::new(),
        body: String::new(),
        nsfw: false,
        preview_html: None,
        errors: FormErrors::default(),
    }))
}

/// `POST /c/{name}/submit`: the post, or the form again with its messages or preview.
pub async fn create(
    page: PageContext,
    Path(name): Path<String>,
    WebForm(form): WebForm<PostFields>,
) -> WebResult<Response> {
    page.check_csrf(&form.csrf)?;
    let author = page.require_viewer()?;
    let community = find_community(&page.data, &name).await?;
    let again = |errors: FormErrors, preview_html: Option<String>| PostForm {
        chrome: Chrome::of(&page),
        heading: format!("New post in {}", community.title),
        action: format!("/c/{name}/submit"),
        title: form.title.clone(),
        url: form.url.clone(),
        body: form.body.clone(),
        nsfw: form.nsfw.is_some(),
        preview_html,
        errors,
    };
    if form.action.as_deref() == Some("preview") {
        let preview = text::markdown_to_html(&form.body);
        return Ok(render(&again(FormErrors::default(), Some(preview))));
    }
    match service::posts::create_post(&page.data, author, &community, form.input()).await {
        Ok(post) => Ok(see_other(&format!("/post/{}", post.id))),
        Err(err) => Ok(render_with(
            StatusCode::BAD_REQUEST,
            &again(FormErrors::from_service(err)?, None),
        )),
    }
}

pub(super) async fn post_by_id(page: &PageContext, id: i64) -> WebResult<Post> {
    let mut conn = page.data.pool.get().await?;
    db::posts::by_id(&mut conn, id)
        .await?
        .ok_or(WebError::NotFound("post"))
}

/// `GET /post/{id}/edit`.
pub async fn edit_form(page: PageContext, Path(id): Path<i64>) -> WebResult<Response> {
    let viewer = page.require_viewer()?;
    let post = post_by_id(&page, id).await?;
    if post.author_id != viewer.id {
        return Err(WebError::Forbidden(
            "Only the author may edit a post.".into(),
        ));
    }
    Ok(render(&PostForm {
        chrome: Chrome::of(&page),
        heading: "Edit post".into(),
        action: format!("/post/{id}/edit"),
        title: post.title.clone(),
        url: post.url.clone().unwrap_or_default(),
        body: post.body_source.clone().unwrap_or_default(),
        nsfw: post.sensitive,
        preview_html: None,
        errors: FormErrors::default(),
    }))
}

/// `POST /post/{id}/edit`.
pub async fn edit(
    page: PageContext,
    Path(id): Path<i64>,
    WebForm(form): WebForm<PostFields>,
) -> WebResult<Response> {
    page.check_csrf(&form.csrf)?;
    let editor = page.require_viewer()?;
    let post = post_by_id(&page, id).await?;
    let again = |errors: FormErrors, preview_html: Option<String>| PostForm {
        chrome: Chrome::of(&page),
        heading: "Edit post".into(),
        action: format!("/post/{id}/edit"),
        title: form.title.clone(),
        url: form.url.clone(),
        body: form.body.clone(),
        nsfw: form.nsfw.is_some(),
        preview_html,
        errors,
    };
    if form.action.as_deref() == Some("preview") {
        let preview = text::markdown_to_html(&form.body);
        return Ok(render(&again(FormErrors::default(), Some(preview))));
    }
    match service::posts::edit_post(&page.data, editor, &post, form.input()).await {
        Ok(_) => Ok(see_other(&format!("/post/{id}"))),
        Err(err) => Ok(render_with(
            StatusCode::BAD_REQUEST,
            &again(FormErrors::from_service(err)?, None),
        )),
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfOnly {
    csrf: String,
}

/// `POST /post/{id}/delete`.
pub async fn delete(
    page: PageContext,
    Path(id): Path<i64>,
    WebForm(form): WebForm<CsrfOnly>,
) -> WebResult<Response> {
    page.check_csrf(&form.csrf)?;
    let author = page.require_viewer()?;
    let post = post_by_id(&page, id).await?;
    service::posts::delete_post(&page.data, author, &post, true).await?;
    Ok(see_other(&format!("/post/{id}")))
}

#[derive(Debug, Deserialize)]
pub struct VoteFields {
    csrf: String,
    score: i16,
}

/// `POST /post/{id}/vote`: 1, -1, or 0 to take the vote back.
pub async fn vote_post(
    page: PageContext,
    Path(id): Path<i64>,
    WebForm(form): WebForm<VoteFields>,
) -> WebResult<Response> {
    page.check_csrf(&form.csrf)?;
    let voter = page.require_viewer()?;
    let post = post_by_id(&page, id).await?;
    service::votes::vote(&page.data, voter, &StoredObject::Post(post), form.score).await?;
    Ok(see_other(&format!("/post/{id}")))
}

#[derive(Debug, Deserialize)]
pub struct CommentFields {
    csrf: String,
    content: String,
    parent_id: Option<i64>,
}

/// `POST /post/{id}/comment`: a comment, or a reply to one.
pub async fn comment(
    page: PageContext,
    Path(id): Path<i64>,
    WebForm(form): WebForm<CommentFields>,
) -> WebResult<Response> {
    page.check_csrf(&form.csrf)?;
    let author = page.require_viewer()?;
    let post = post_by_id(&page, id).await?;
    let parent = match form.parent_id {
        Some(parent_id) => Some(comment_by_id(&page, parent_id).await?),
        None => None,
    };
    let comment = service::comments::create_comment(
        &page.data,
        author,
        &post,
        parent.as_ref(),
        &form.content,
    )
    .await?;
    Ok(see_other(&format!("/post/{id}#comment-{}", comment.id)))
}

pub(super) async fn comment_by_id(page: &PageContext, id: i64) -> WebResult<Comment> {
    let mut conn = page.data.pool.get().await?;
    db::comments::by_id(&mut conn, id)
        .await?
        .ok_or(WebError::NotFound("comment"))
}

/// `POST /comment/{id}/vote`.
pub async fn vote_comment(
    page: PageContext,
    Path(id): Path<i64>,
    WebForm(form): WebForm<VoteFields>,
) -> WebResult<Response> {
    page.check_csrf(&form.csrf)?;
    let voter = page.require_viewer()?;
    let comment = comment_by_id(&page, id).await?;
    let post_id = comment.post_id;
    service::votes::vote(
        &page.data,
        voter,
        &StoredObject::Comment(comment),
        form.score,
    )
    .await?;
    Ok(see_other(&format!("/post/{post_id}#comment-{id}")))
}

#[derive(Template)]
#[template(path = "comment_form.html")]
struct CommentEditForm {
    chrome: Chrome,
    id: i64,
    content: String,
    errors: FormErrors,
}

/// `GET /comment/{id}/edit`.
pub async fn edit_comment_form(page: PageContext, Path(id): Path<i64>) -> WebResult<Response> {
    let viewer = page.require_viewer()?;
    let comment = comment_by_id(&page, id).await?;
    if comment.author_id != viewer.id {
        return Err(WebError::Forbidden(
            "Only the author may edit a comment.".into(),
        ));
    }
    Ok(render(&CommentEditForm {
        chrome: Chrome::of(&page),
        id,
        content: comment
            .body_source
            .clone()
            .unwrap_or_else(|| text::html_to_text(&comment.body_html)),
        errors: FormErrors::default(),
    }))
}

#[derive(Debug, Deserialize)]
pub struct CommentEditFields {
    csrf: String,
    content: String,
}

/// `POST /comment/{id}/edit`.
pub async fn edit_comment(
    page: PageContext,
    Path(id): Path<i64>,
    WebForm(form): WebForm<CommentEditFields>,
) -> WebResult<Response> {
    page.check_csrf(&form.csrf)?;
    let editor = page.require_viewer()?;
    let comment = comment_by_id(&page, id).await?;
    match service::comments::edit_comment(&page.data, editor, &comment, &form.content).await {
        Ok(_) => Ok(see_other(&format!(
            "/post/{}#comment-{id}",
            comment.post_id
        ))),
        Err(err) => Ok(render_with(
            StatusCode::BAD_REQUEST,
            &CommentEditForm {
                chrome: Chrome::of(&page),
                id,
                content: form.content.clone(),
                errors: FormErrors::from_service(err)?,
            },
        )),
    }
}

/// `POST /comment/{id}/delete`.
pub async fn delete_comment(
    page: PageContext,
    Path(id): Path<i64>,
    WebForm(form): WebForm<CsrfOnly>,
) -> WebResult<Response> {
    page.check_csrf(&form.csrf)?;
    let author = page.require_viewer()?;
    let comment = comment_by_id(&page, id).await?;
    service::comments::delete_comment(&page.data, author, &comment, true).await?;
    Ok(see_other(&format!(
        "/post/{}#comment-{id}",
        comment.post_id
    )))
}

#[derive(Debug, Deserialize)]
pub struct RemoveFields {
    csrf: String,
    /// "1" removes, "0" restores.
    removed: String,
    #[serde(default)]
    reason: String,
}

/// `POST /post/{id}/remove`: a moderator removes or restores the post.
pub async fn remove_post(
    page: PageContext,
    Path(id): Path<i64>,
    WebForm(form): WebForm<RemoveFields>,
) -> WebResult<Response> {
    page.check_csrf(&form.csrf)?;
    let moderator = page.require_viewer()?;
    let post = post_by_id(&page, id).await?;
    service::moderation::set_removed(
        &page.data,
        moderator,
        &StoredObject::Post(post),
        form.removed == "1",
        Some(&form.reason),
    )
    .await?;
    Ok(see_other(&format!("/post/{id}")))
}

/// `POST /comment/{id}/remove`.
pub async fn remove_comment(
    page: PageContext,
    Path(id): Path<i64>,
    WebForm(form): WebForm<RemoveFields>,
) -> WebResult<Response> {
    page.check_csrf(&form.csrf)?;
    let moderator = page.require_viewer()?;
    let comment = comment_by_id(&page, id).await?;
    let post_id = comment.post_id;
    service::moderation::set_removed(
        &page.data,
        moderator,
        &StoredObject::Comment(comment),
        form.removed == "1",
        Some(&form.reason),
    )
    .await?;
    Ok(see_other(&format!("/post/{post_id}#comment-{id}")))
}

#[derive(Debug, Deserialize)]
pub struct LockFields {
    csrf: String,
    /// "1" locks, "0" unlocks.
    locked: String,
}

/// `POST /post/{id}/lock`: a moderator locks or unlocks the post.
pub async fn lock_post(
    page: PageContext,
    Path(id): Path<i64>,
    WebForm(form): WebForm<LockFields>,
) -> WebResult<Response> {
    page.check_csrf(&form.csrf)?;
    let moderator = page.require_viewer()?;
    let post = post_by_id(&page, id).await?;
    service::moderation::set_locked(&page.data, moderator, &post, form.locked == "1").await?;
    Ok(see_other(&format!("/post/{id}")))
}
