//! The admin page: the instance's name, description and registration, and the delivery
//! queue per peer, drawn as a small bar chart.

use super::{Chrome, FormErrors, PageContext, WebError, WebForm, WebResult, render_with};
use crate::{db, service};
use askama::Template;
use axum::{
    extract::Query,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;

/// One peer's row in the delivery table, with its bar widths (percent of the widest).
pub struct PeerRow {
    pub instance: String,
    pub pending: i64,
    pub retrying: i64,
    pub failed_last_day: i64,
    pub delivered_last_day: i64,
    pub unreachable: bool,
    pub last_error: String,
    pub pending_width: i64,
    pub failed_width: i64,
    pub delivered_width: i64,
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    chrome: Chrome,
    name: String,
    description: String,
    registration_open: bool,
    saved: bool,
    errors: FormErrors,
    peers: Vec<PeerRow>,
    allowlist: bool,
    blocked: Vec<String>,
    allowed: Vec<String>,
    policy_errors: FormErrors,
    /// People banned from this instance: (label, handle, until).
    site_bans: Vec<(String, String, String)>,
}

#[derive(Debug, Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

fn require_admin(page: &PageContext) -> WebResult<()> {
    page.require_viewer()?;
    if page.viewer_is_admin {
        Ok(())
    } else {
        Err(WebError::Forbidden("Only admins see this page.".into()))
    }
}

async fn peers(page: &PageContext) -> WebResult<Vec<PeerRow>> {
    let mut conn = page.data.pool.get().await?;
    let status = db::deliveries::status(&mut conn).await?;
    let widest = status
        .iter()
        .map(|q| q.pending.max(q.failed_last_day).max(q.delivered_last_day))
        .max()
        .unwrap_or(0)
        .max(1);
    let width = |n: i64| (n * 100 / widest).clamp(if n > 0 { 1 } else { 0 }, 100);
    Ok(status
        .into_iter()
        .map(|q| PeerRow {
            pending_width: width(q.pending),
            failed_width: width(q.failed_last_day),
            delivered_width: width(q.delivered_last_day),
            instance: q.instance,
            pending: q.pending,
            retrying: q.retrying,
            failed_last_day: q.failed_last_day,
            delivered_last_day: q.delivered_last_day,
            unreachable: q.unreachable,
            last_error: q.last_error.unwrap_or_default(),
        })
        .collect())
}

/// The admin page as it stands, with these messages.
async fn admin_view(
    page: &PageContext,
    saved: bool,
    errors: FormErrors,
    policy_errors: FormErrors,
) -> WebResult<AdminPage> {
    let peers = peers(page).await?;
    let policy = service::policy::current(&page.data).await?;
    let sorted = |set: &std::collections::HashSet<String>| {
        let mut list: Vec<String> = set.iter().cloned().collect();
        list.sort();
        list
    };
    let mut conn = page.data.pool.get().await?;
    let site_bans = db::moderation::site_bans(&mut conn)
        .await?
        .iter()
        .map(|person| {
            (
                super::views::person_label(person),
                super::views::person_handle(person),
                super::views::ban_end(person.ban_expires_at),
            )
        })
        .collect();
    drop(conn);
    Ok(AdminPage {
        chrome: Chrome::of(page),
        name: page.site.name.clone(),
        description: page.site.description.clone(),
        registration_open: service::site::registration_open(&page.data, &page.site),
        saved,
        errors,
        peers,
        allowlist: policy.allowlist,
        blocked: sorted(&policy.blocked),
        allowed: sorted(&policy.allowed),
        policy_errors,
        site_bans,
    })
}

pub async fn admin_page(page: PageContext, Query(query): Query<SavedQuery>) -> WebResult<Response> {
    require_admin(&page)?;
    let view = admin_view(
        &page,
        query.saved.is_some(),
        FormErrors::default(),
        FormErrors::default(),
    )
    .await?;
    Ok(render_with(StatusCode::OK, &view))
}

#[derive(Debug, Deserialize)]
pub struct PolicyFields {
    csrf: String,
    /// block, allow, clear, or mode.
    action: String,
    #[serde(default)]
    domain: String,
    #[serde(default)]
    mode: String,
}

/// `POST /admin/federation`: block, allow or clear an instance, or switch the mode. Takes
/// effect at once.
pub async fn update_policy(
    page: PageContext,
    WebForm(form): WebForm<PolicyFields>,
) -> WebResult<Response> {
    use service::policy::{self, InstanceRule};
    page.check_csrf(&form.csrf)?;
    require_admin(&page)?;
    let result = match form.action.as_str() {
        "block" => policy::set_rule(&page.data, &form.domain, InstanceRule::Block).await,
        "allow" => policy::set_rule(&page.data, &form.domain, InstanceRule::Allow).await,
        "clear" => policy::set_rule(&page.data, &form.domain, InstanceRule::Clear).await,
        "mode" => policy::set_allowlist_mode(&page.data, form.mode == "allowlist").await,
        other => {
            return Err(WebError::BadRequest(format!(
                "There is no action {other:?}."
            )));
        }
    };
    match result {
        Ok(()) => Ok(Redirect::to("/admin?saved=1").into_response()),
        Err(err) => {
            let view = admin_view(
                &page,
                false,
                FormErrors::default(),
                FormErrors::from_service(err)?,
            )
            .await?;
            Ok(render_with(StatusCode::BAD_REQUEST, &view))
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct SiteFields {
    csrf: String,
    name: String,
    #[serde(default)]
    description: String,
    registration_open: Option<String>,
}

pub async fn update_site(
    page: PageContext,
    WebForm(form): WebForm<SiteFields>,
) -> WebResult<Response> {
    page.check_csrf(&form.csrf)?;
    require_admin(&page)?;
    let admin = page.require_viewer()?;
    match service::site::update_site(
        &page.data,
        admin,
        &form.name,
        &form.description,
        form.registration_open.is_some(),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to("/admin?saved=1").into_response()),
        Err(err) => {
            let errors = FormErrors::from_service(err)?;
            let mut view = admin_view(&page, false, errors, FormErrors::default()).await?;
            view.name = form.name.clone();
            view.description = form.description.clone();
            view.registration_open = form.registration_open.is_some();
            Ok(render_with(StatusCode::BAD_REQUEST, &view))
        }
    }
}
