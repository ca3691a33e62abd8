//! Reports: a person flags a post or comment for the moderators of its community. The report
//! is kept here and, when the community lives elsewhere, sent to it as a `Flag`. Moderators
//! (and admins) see the reports of their communities and mark them resolved.

use super::{
    ServiceError, ServiceResult,
    moderation::{is_admin, may_moderate},
};
use crate::{
    context::Context,
    db::{
        self, DbError,
        models::{Community, Person},
        reports::{NewReport, Report},
    },
    federation::{
        activities::{StoredObject, flag::Flag, stored_url},
        delivery,
    },
};
use activitypub_federation::config::Data;
use diesel_async::AsyncConnection;

const MAX_REASON_CHARS: usize = 1_000;

/// A local person reports a post or comment.
pub async fn report(
    data: &Data<Context>,
    reporter: &Person,
    object: &StoredObject,
    reason: &str,
) -> ServiceResult<Report> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
        return Err(ServiceError::field(
            "reason",
            format!("say why, in 1 to {MAX_REASON_CHARS} characters"),
        ));
    }
    super::moderation::check_not_site_banned(reporter)?;
    let community = community_of(data, object).await?;
    let flag = Flag::new(
        data,
        &reporter.ap_id,
        object.ap_id(),
        &community.ap_id,
        reason,
    )?;
    let mut conn = data.pool.get().await?;
    let report = conn
        .transaction::<_, DbError, _>(async |conn| {
            let report =
                store(conn, reporter, &community, object, reason, flag.id.as_str()).await?;
            if !community.local {
                let actor = stored_url(&reporter.ap_id)?;
                delivery::enqueue(
                    conn,
                    data,
                    &flag.id,
                    &actor,
                    "Flag",
                    &flag,
                    [community.inbox_url.clone()],
                )
                .await?;
            }
            Ok(report)
        })
        .await?;
    delivery::wake(data);
    Ok(report)
}

/// A report that arrived as a `Flag` from the reporter's instance. Only reports about a
/// local community's content are kept: the others are not ours to act on.
pub async fn receive(
    ctx: &Context,
    reporter: &Person,
    object: &StoredObject,
    reason: &str,
    ap_id: &str,
) -> ServiceResult<()> {
    let community = community_of(ctx, object).await?;
    if !community.local {
        return Ok(());
    }
    let reason: String = reason.trim().chars().take(MAX_REASON_CHARS).collect();
    let mut conn = ctx.pool.get().await?;
    store(&mut conn, reporter, &community, object, &reason, ap_id).await?;
    Ok(())
}

async fn store(
    conn: &mut db::Connection,
    reporter: &Person,
    community: &Community,
    object: &StoredObject,
    reason: &str,
    ap_id: &str,
) -> db::DbResult<Report> {
    let (post_id, comment_id, original_text) = match object {
        StoredObject::Post(post) => (
            post.id,
            None,
            match &post.body_source {
                Some(body) => format!("{}\n\n{body}", post.title),
                None => post.title.clone(),
            },
        ),
        StoredObject::Comment(comment) => (
            comment.post_id,
            Some(comment.id),
            comment
                .body_source
                .clone()
                .unwrap_or_else(|| comment.body_html.clone()),
        ),
    };
    db::reports::insert(
        conn,
        &NewReport {
            ap_id,
            reporter_id: reporter.id,
            community_id: community.id,
            post_id,
            comment_id,
            reason,
            original_text: &original_text,
        },
    )
    .await
}

async fn community_of(ctx: &Context, object: &StoredObject) -> ServiceResult<Community> {
    let mut conn = ctx.pool.get().await?;
    object
        .community(&mut conn)
        .await?
        .ok_or(ServiceError::NotFound("community"))
}

/// Whether `person` may see and resolve the reports of `community`: its moderators, and
/// this instance's admins.
async fn may_handle(ctx: &Context, person: &Person, community: &Community) -> ServiceResult<bool> {
    Ok(may_moderate(ctx, person, community).await? || is_admin(ctx, person).await?)
}

/// A moderator or admin marks a report resolved, or opens it again.
pub async fn resolve(
    ctx: &Context,
    moderator: &Person,
    report_id: i64,
    resolved: bool,
) -> ServiceResult<Report> {
    let mut conn = ctx.pool.get().await?;
    let report = db::reports::by_id(&mut conn, report_id)
        .await?
        .ok_or(ServiceError::NotFound("report"))?;
    let community = db::communities::by_id(&mut conn, report.community_id)
        .await?
        .ok_or(ServiceError::NotFound("community"))?;
    drop(conn);
    if !may_handle(ctx, moderator, &community).await? {
        return Err(ServiceError::Forbidden(
            "only the community's moderators (or an admin) may resolve its reports".into(),
        ));
    }
    let mut conn = ctx.pool.get().await?;
    Ok(db::reports::set_resolved(&mut conn, report.id, resolved, moderator.id).await?)
}

/// The reports `viewer` may handle: every report for an admin, those of the communities
/// they moderate for a moderator, none for anyone else.
pub async fn queue(
    ctx: &Context,
    viewer: &Person,
    unresolved_only: bool,
    comments: Option<bool>,
    limit: i64,
    offset: i64,
) -> ServiceResult<Vec<(Report, Person, Community)>> {
    let admin = is_admin(ctx, viewer).await?;
    let mut conn = ctx.pool.get().await?;
    let communities = if admin {
        None
    } else {
        Some(db::reports::moderated_community_ids(&mut conn, viewer.id).await?)
    };
    Ok(db::reports::list(
        &mut conn,
        communities.as_deref(),
        unresolved_only,
        comments,
        limit,
        offset,
    )
    .await?)
}
