//! The communities directory, finding a community on another instance, creating one, and
//! joining or leaving.

use super::{
    Chrome, FormErrors, PageContext, WebError, WebForm, WebResult,
    actors::find_community,
    home::parse_page,
    render, render_with, see_other,
    views::{self, CommunityCard},
};
use crate::{
    db::{
        self,
        communities::{CommunityFilter, CommunitySort},
    },
    federation::resolve::{self, ResolvedActor, ResolvedObject},
    service::{self, communities::NewCommunity},
};
use askama::Template;
use axum::{
    extract::{Path, Query},
    http::StatusCode,
    response::Response,
};
use serde::Deserialize;

const DIRECTORY_PAGE: i64 = 30;

#[derive(Debug, Deserialize)]
pub struct DirectoryQuery {
    q: Option<String>,
    /// "local" for this instance's communities only.
    scope: Option<String>,
    topic: Option<String>,
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "communities.html")]
struct DirectoryPage {
    chrome: Chrome,
    query: String,
    local_only: bool,
    communities: Vec<CommunityCard>,
    next_page: Option<String>,
    previous_page: Option<String>,
    find_error: Option<String>,
    /// Each topic in use with its filter link.
    topics: Vec<(super::home::Tab, String)>,
    topic: String,
}

pub async fn directory(
    page: PageContext,
    Query(query): Query<DirectoryQuery>,
) -> WebResult<Response> {
    directory_with(page, query, None, StatusCode::OK).await
}

async fn directory_with(
    page: PageContext,
    query: DirectoryQuery,
    find_error: Option<String>,
    status: StatusCode,
) -> WebResult<Response> {
    let text = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    if text.is_some_and(|q| q.chars().count() > 200) {
        return Err(WebError::BadRequest(
            "Search for at most 200 characters.".into(),
        ));
    }
    let local_only = query.scope.as_deref() == Some("local");
    let topic = query
        .topic
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let page_number = parse_page(query.page)?;
    let filter = CommunityFilter {
        local_only,
        text,
        topic,
        ..CommunityFilter::default()
    };
    let mut conn = page.data.pool.get().await?;
    let found = db::communities::list(
        &mut conn,
        filter,
        CommunitySort::Popular,
        DIRECTORY_PAGE + 1,
        (page_number - 1) * DIRECTORY_PAGE,
    )
    .await?;
    let has_more = found.len() as i64 > DIRECTORY_PAGE;
    let found = &found[..found.len().min(DIRECTORY_PAGE as usize)];
    let topics = db::communities::topics(&mut conn, 30).await?;
    let cards = views::community_cards(
        &mut conn,
        page.viewer.as_ref(),
        &page.data.settings.domain,
        found,
    )
    .await?;
    let encoded = |value: &str| -> String {
        url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
    };
    let link = |page: i64| {
        format!(
            "/communities?q={}&scope={}&topic={}&page={page}",
            encoded(text.unwrap_or_default()),
            if local_only { "local" } else { "all" },
            encoded(topic.unwrap_or_default()),
        )
    };
    let topic_links = topics
        .iter()
        .map(|t| super::home::Tab {
            label: "",
            href: format!("/communities?topic={}", encoded(t)),
            current: topic.is_some_and(|current| current.eq_ignore_ascii_case(t)),
        })
        .zip(topics.iter().cloned())
        .collect();
    Ok(render_with(
        status,
        &DirectoryPage {
            chrome: Chrome::of(&page),
            query: text.unwrap_or_default().to_string(),
            local_only,
            communities: cards,
            next_page: has_more.then(|| link(page_number + 1)),
            previous_page: (page_number > 1).then(|| link(page_number - 1)),
            find_error,
            topics: topic_links,
            topic: topic.unwrap_or_default().to_string(),
        },
    ))
}

#[derive(Debug, Deserialize)]
pub struct FindQuery {
    q: String,
}

/// `GET /communities/find?q=name@domain` (or a URL): resolves the community and opens its
/// page. Only signed-in people make the instance fetch from elsewhere.
pub async fn find(page: PageContext, Query(query): Query<FindQuery>) -> WebResult<Response> {
    let q = query.q.trim().to_string();
    let handle = if q.starts_with("http://") || q.starts_with("https://") || q.starts_with('!') {
        q.clone()
    } else {
        format!("!{}", q.trim_start_matches('@'))
    };
    let found = if page.viewer.is_some() {
        resolve::resolve_object(&handle, &page.data).await.ok()
    } else {
        resolve::find_stored(&handle, &page.data)
            .await
            .ok()
            .flatten()
    };
    match found {
        Some(ResolvedObject::Actor(ResolvedActor::Community(community))) => {
            Ok(see_other(&views::community_href(&community.row)))
        }
        _ => {
            let message = if page.viewer.is_some() {
                format!("No community {q:?} could be found. Check the spelling: name@domain.")
            } else {
                format!("{q:?} is not known here yet. Log in to look it up on its instance.")
            };
            let query = DirectoryQuery {
                q: None,
                scope: None,
                topic: None,
                page: None,
            };
            directory_with(page, query, Some(message), StatusCode::NOT_FOUND).await
        }
    }
}

#[derive(Template)]
#[template(path = "community_form.html")]
struct CommunityForm {
    chrome: Chrome,
    name: String,
    title: String,
    topic: String,
    description: String,
    /// Topics in use, offered as suggestions.
    topics: Vec<String>,
    errors: FormErrors,
}

async fn topics_in_use(page: &PageContext) -> WebResult<Vec<String>> {
    let mut conn = page.data.pool.get().await?;
    Ok(db::communities::topics(&mut conn, 50).await?)
}

pub async fn create_form(page: PageContext) -> WebResult<Response> {
    page.require_viewer()?;
    Ok(render(&CommunityForm {
        chrome: Chrome::of(&page),
        name: String::new(),
        title: String::new(),
        topic: String::new(),
        description: String::new(),
        topics: topics_in_use(&page).await?,
        errors: FormErrors::default(),
    }))
}

#[derive(Debug, Deserialize)]
pub struct CommunityFields {
    csrf: String,
    name: String,
    title: String,
    #[serde(default)]
    topic: String,
    #[serde(default)]
    description: String,
}

pub async fn create(
    page: PageContext,
    WebForm(form): WebForm<CommunityFields>,
) -> WebResult<Response> {
    page.check_csrf(&form.csrf)?;
    let creator = page.require_viewer()?;
    let input = NewCommunity {
        name: form.name.trim().to_string(),
        title: form.title.clone(),
        description: Some(form.description.clone()).filter(|d| !d.trim().is_empty()),
        moderator_id: Some(creator.id),
        topic: Some(form.topic.clone()),
    };
    match service::communities::create_community(&page.data, input).await {
        Ok(community) => Ok(see_other(&format!("/c/{}", community.name))),
        Err(err) => {
            let errors = match err {
                service::ServiceError::Conflict(message) => FormErrors::on("name", message),
                other => FormErrors::from_service(other)?,
            };
            Ok(render_with(
                StatusCode::BAD_REQUEST,
                &CommunityForm {
                    chrome: Chrome::of(&page),
                    name: form.name.clone(),
                    title: form.title.clone(),
                    topic: form.topic.clone(),
                    description: form.description.clone(),
                    topics: topics_in_use(&page).await?,
                    errors,
                },
            ))
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct MembershipFields {
    csrf: String,
}

/// `POST /c/{name}/join`: follows; a remote community stays pending until it accepts.
pub async fn join(
    page: PageContext,
    Path(name): Path<String>,
    WebForm(form): WebForm<MembershipFields>,
) -> WebResult<Response> {
    page.check_csrf(&form.csrf)?;
    let person = page.require_viewer()?;
    let community = find_community(&page.data, &name).await?;
    service::follows::follow_community(&page.data, person, &community).await?;
    Ok(see_other(&views::community_href(&community)))
}

/// `POST /c/{name}/leave`.
pub async fn leave(
    page: PageContext,
    Path(name): Path<String>,
    WebForm(form): WebForm<MembershipFields>,
) -> WebResult<Response> {
    page.check_csrf(&form.csrf)?;
    let person = page.require_viewer()?;
    let community = find_community(&page.data, &name).await?;
    service::follows::unfollow_community(&page.data, person, &community).await?;
    Ok(see_other(&views::community_href(&community)))
}
