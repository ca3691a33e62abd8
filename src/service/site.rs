//! The instance itself: its row in `site` and the keys of its instance actor.

use super::{ServiceError, ServiceResult, generate_keypair};
use crate::{
    context::Context,
    db::{
        self,
        models::{NewSite, Site},
    },
};

/// Loads this instance's site row, creating it (with the instance actor's keys) on the first
/// start. Refuses a database made for another domain: every stored id would be wrong.
pub async fn ensure_site(ctx: &Context) -> ServiceResult<Site> {
    let mut conn = ctx.pool.get().await?;
    if let Some(site) = db::site::get(&mut conn).await? {
        let expected = ctx.urls.instance_actor();
        if site.actor_ap_id != expected.as_str() {
            return Err(ServiceError::Invalid(format!(
                "this database belongs to the instance whose actor is {}, but the configured \
                 domain would make it {expected}; set GUILD_DOMAIN back or use a new database",
                site.actor_ap_id
            )));
        }
        return Ok(site);
    }
    let keys = generate_keypair().await?;
    let instance = db::instances::get_or_create(&mut conn, &ctx.settings.domain).await?;
    let site = db::site::insert(
        &mut conn,
        &NewSite {
            instance_id: instance.id,
            name: ctx.settings.site_name.clone(),
            actor_ap_id: ctx.urls.instance_actor().to_string(),
            public_key: keys.public_key,
            private_key: keys.private_key,
        },
    )
    .await;
    match site {
        Ok(site) => Ok(site),
        // Two processes started at once on a new database: the other one won.
        Err(err) if err.unique_violation().is_some() => db::site::get(&mut conn)
            .await?
            .ok_or(ServiceError::NotFound("site")),
        Err(err) => Err(err.into()),
    }
}

/// Whether people may sign up: the admin's choice, else the setting.
pub fn registration_open(ctx: &Context, site: &Site) -> bool {
    site.registration_open
        .unwrap_or(ctx.settings.registration_open)
}

/// An admin changes the instance's name, description and registration.
pub async fn update_site(
    ctx: &Context,
    admin: &db::models::Person,
    name: &str,
    description: &str,
    registration_open: bool,
) -> ServiceResult<Site> {
    let mut conn = ctx.pool.get().await?;
    let is_admin = db::people::account(&mut conn, admin.id)
        .await?
        .is_some_and(|a| a.is_admin);
    if !is_admin {
        return Err(ServiceError::Forbidden(
            "only admins change the site".into(),
        ));
    }
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ServiceError::field(
            "name",
            "the name must be 1 to 100 characters",
        ));
    }
    if description.chars().count() > 2_000 {
        return Err(ServiceError::field(
            "description",
            "the description must be at most 2000 characters",
        ));
    }
    Ok(
        db::site::update_settings(&mut conn, name, description.trim(), Some(registration_open))
            .await?,
    )
}
