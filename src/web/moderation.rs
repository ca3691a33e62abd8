//! Pages and forms of moderators and admins beyond the post page's remove and lock: feature
//! a post, reports (anyone files one; moderators see their queue and resolve), a community's
//! moderation page (moderators and bans), and the admin's site bans and purges.

use super::{
    Chrome, PageContext, WebError, WebForm, WebResult,
    actors::{find_community, find_person},
    posts::{comment_by_id, post_by_id},
    render, see_other, views,
};
use crate::{
    db::{self, models::Community},
    federation::activities::StoredObject,
    service::{self, moderation::BanTerms},
};
use askama::Template;
use axum::{
    extract::{Path, Query},
    response::Response,
};
use chrono::{Duration, Utc};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct FeatureFields {
    csrf: String,
    /// "1" features, "0" unfeatures.
    featured: String,
}

/// `POST /post/{id}/feature`.
pub async fn feature_post(
    page: PageContext,
    Path(id): Path<i64>,
    WebForm(form): WebForm<FeatureFields>,
) -> WebResult<Response> {
    page.check_csrf(&form.csrf)?;
    let moderator = page.require_viewer()?;
    let post = post_by_id(&page, id).await?;
    service::moderation::set_featured(&page.data, moderator, &post, form.featured == "1").await?;
    Ok(see_other(&format!("/post/{id}")))
}

#[derive(Debug, Deserialize)]
pub struct ReportFields {
    csrf: String,
    reason: String,
}

/// `POST /post/{id}/report`.
pub async fn report_post(
    page: PageContext,
    Path(id): Path<i64>,
    WebForm(form): WebForm<ReportFields>,
) -> WebResult<Response> {
    page.check_csrf(&form.csrf)?;
    let reporter = page.require_viewer()?;
    let post = post_by_id(&page, id).await?;
    service::reports::report(
        &page.data,
        reporter,
        &StoredObject::Post(post),
        &form.reason,
    )
    .await?;
    Ok(see_other(&format!("/post/{id}?reported=1")))
}

/// `POST /comment/{id}/report`.
pub async fn report_comment(
    page: PageContext,
    Path(id): Path<i64>,
    WebForm(form): WebForm<ReportFields>,
) -> WebResult<Response> {
    page.check_csrf(&form.csrf)?;
    let reporter = page.require_viewer()?;
    let comment = comment_by_id(&page, id).await?;
    let post_id = comment.post_id;
    service::reports::report(
        &page.data,
        reporter,
        &StoredObject::Comment(comment),
        &form.reason,
    )
    .await?;
    Ok(see_other(&format!(
        "/post/{post_id}?reported=1#comment-{id}"
    )))
}

pub struct ReportRow {
    pub id: i64,
    pub what: &'static str,
    pub href: String,
    pub community: String,
    pub reporter: String,
    pub reporter_href: String,
    pub reason: String,
    pub original_text: String,
    pub ago: String,
    pub resolved: bool,
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    chrome: Chrome,
    rows: Vec<ReportRow>,
    showing_all: bool,
}

#[derive(Debug, Deserialize)]
pub struct ReportsQuery {
    all: Option<String>,
}

/// `GET /reports`: the reports of the communities the viewer moderates (all, for admins).
pub async fn reports_page(
    page: PageContext,
    Query(query): Query<ReportsQuery>,
) -> WebResult<Response> {
    let viewer = page.require_viewer()?;
    let showing_all = query.all.is_some();
    let reports = service::reports::queue(&page.data, viewer, !showing_all, None, 100, 0).await?;
    let rows = reports
        .into_iter()
        .map(|(report, reporter, community)| ReportRow {
            id: report.id,
            what: if report.comment_id.is_some() {
                "comment"
            } else {
                "post"
            },
            href: match report.comment_id {
                Some(comment) => format!("/post/{}#comment-{comment}", report.post_id),
                None => format!("/post/{}", report.post_id),
            },
            community: community.title.clone(),
            reporter: views::person_label(&reporter),
            reporter_href: views::person_href(&reporter),
            reason: report.reason,
            original_text: report.original_text,
            ago: views::ago(report.created_at),
            resolved: report.resolved,
        })
        .collect();
    Ok(render(&ReportsPage {
        chrome: Chrome::of(&page),
        rows,
        showing_all,
    }))
}

#[derive(Debug, Deserialize)]
pub struct ResolveFields {
    csrf: String,
    /// "1" resolves, "0" opens again.
    resolved: String,
}

/// `POST /reports/{id}/resolve`.
pub async fn resolve_report(
    page: PageContext,
    Path(id): Path<i64>,
    WebForm(form): WebForm<ResolveFields>,
) -> WebResult<Response> {
    page.check_csrf(&form.csrf)?;
    let moderator = page.require_viewer()?;
    service::reports::resolve(&page.data, moderator, id, form.resolved == "1").await?;
    Ok(see_other("/reports"))
}

pub struct PersonRow {
    pub label: String,
    pub handle: String,
    pub href: String,
    pub reason: String,
    pub until: String,
}

#[derive(Template)]
#[template(path = "community_moderation.html")]
struct CommunityModerationPage {
    chrome: Chrome,
    name: String,
    title: String,
    moderators: Vec<PersonRow>,
    bans: Vec<PersonRow>,
}

async fn moderated_community(page: &PageContext, name: &str) -> WebResult<Community> {
    let viewer = page.require_viewer()?;
    let community = find_community(&page.data, name).await?;
    if !community.local
        || !service::moderation::may_moderate(&page.data, viewer, &community).await?
    {
        return Err(WebError::Forbidden(
            "Only this community's moderators (and admins) see this page.".into(),
        ));
    }
    Ok(community)
}

/// `GET /c/{name}/moderation`: moderators and bans of a local community.
pub async fn community_moderation(
    page: PageContext,
    Path(name): Path<String>,
) -> WebResult<Response> {
    let community = moderated_community(&page, &name).await?;
    let mut conn = page.data.pool.get().await?;
    let moderators = db::communities::moderators(&mut conn, community.id)
        .await?
        .iter()
        .map(|person| PersonRow {
            label: views::person_label(person),
            handle: views::person_handle(person),
            href: views::person_href(person),
            reason: String::new(),
            until: String::new(),
        })
        .collect();
    let bans = db::moderation::community_bans(&mut conn, community.id)
        .await?
        .into_iter()
        .map(|ban| PersonRow {
            label: views::person_label(&ban.person),
            handle: views::person_handle(&ban.person),
            href: views::person_href(&ban.person),
            reason: ban.reason.unwrap_or_default(),
            until: views::ban_end(ban.expires_at),
        })
        .collect();
    Ok(render(&CommunityModerationPage {
        chrome: Chrome::of(&page),
        name: community.name.clone(),
        title: community.title.clone(),
        moderators,
        bans,
    }))
}

#[derive(Debug, Deserialize)]
pub struct ModeratorFields {
    csrf: String,
    person: String,
    /// "1" adds, "0" removes.
    added: String,
}

/// `POST /c/{name}/moderators`.
pub async fn set_moderator(
    page: PageContext,
    Path(name): Path<String>,
    WebForm(form): WebForm<ModeratorFields>,
) -> WebResult<Response> {
    page.check_csrf(&form.csrf)?;
    let community = moderated_community(&page, &name).await?;
    let actor = page.require_viewer()?;
    let person = find_person(&page.data, form.person.trim()).await?;
    service::moderation::set_moderator(&page.data, actor, &community, &person, form.added == "1")
        .await?;
    Ok(see_other(&format!("/c/{}/moderation", community.name)))
}

#[derive(Debug, Deserialize)]
pub struct BanFields {
    csrf: String,
    person: String,
    /// "1" bans, "0" lifts the ban.
    ban: String,
    #[serde(default)]
    reason: String,
    /// Days the ban lasts; empty for a permanent ban.
    #[serde(default)]
    days: String,
    /// Present when what the person wrote goes too.
    remove_content: Option<String>,
}

impl BanFields {
    fn terms(&self) -> WebResult<BanTerms<'_>> {
        let expires_at = match self.days.trim() {
            "" => None,
            days => {
                let days: i64 = days
                    .parse()
                    .ok()
                    .filter(|d| (1..=36_500).contains(d))
                    .ok_or_else(|| {
                        WebError::BadRequest("days must be a whole number from 1 to 36500".into())
                    })?;
                Some(Utc::now() + Duration::days(days))
            }
        };
        Ok(BanTerms {
            reason: Some(self.reason.as_str()),
            expires_at,
            remove_content: self.remove_content.is_some(),
        })
    }
}

/// `POST /c/{name}/bans`.
pub async fn ban_from_community(
    page: PageContext,
    Path(name): Path<String>,
    WebForm(form): WebForm<BanFields>,
) -> WebResult<Response> {
    page.check_csrf(&form.csrf)?;
    let community = moderated_community(&page, &name).await?;
    let moderator = page.require_viewer()?;
    let person = find_person(&page.data, form.person.trim()).await?;
    service::moderation::ban_from_community(
        &page.data,
        moderator,
        &community,
        &person,
        form.ban == "1",
        form.terms()?,
    )
    .await?;
    Ok(see_other(&format!("/c/{}/moderation", community.name)))
}

/// `POST /admin/bans`: an admin bans a person from the site, or lifts the ban.
pub async fn ban_from_site(
    page: PageContext,
    WebForm(form): WebForm<BanFields>,
) -> WebResult<Response> {
    page.check_csrf(&form.csrf)?;
    let admin = page.require_viewer()?;
    let person = find_person(&page.data, form.person.trim()).await?;
    service::moderation::ban_from_site(&page.data, admin, &person, form.ban == "1", form.terms()?)
        .await?;
    Ok(see_other("/admin#bans"))
}

#[derive(Debug, Deserialize)]
pub struct PurgeFields {
    csrf: String,
    /// "person" or "community".
    kind: String,
    name: String,
    #[serde(default)]
    reason: String,
}

/// `POST /admin/purge`: an admin purges a person, or this instance's copy of a remote
/// community.
pub async fn purge(page: PageContext, WebForm(form): WebForm<PurgeFields>) -> WebResult<Response> {
    page.check_csrf(&form.csrf)?;
    let admin = page.require_viewer()?;
    let name = form.name.trim();
    match form.kind.as_str() {
        "person" => {
            let person = find_person(&page.data, name).await?;
            service::moderation::purge_person(&page.data, admin, &person, Some(&form.reason))
                .await?;
        }
        "community" => {
            let community = find_community(&page.data, name).await?;
            service::moderation::purge_community(&page.data, admin, &community, Some(&form.reason))
                .await?;
        }
        _ => return Err(WebError::BadRequest("purge a person or a community".into())),
    }
    Ok(see_other("/admin#bans"))
}
