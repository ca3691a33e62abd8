//! Local accounts: creating people who sign in here.

use super::{ServiceError, ServiceResult, generate_keypair, validate_actor_name};
use crate::{
    context::Context,
    db::{
        self,
        models::{LocalAccount, Person, PersonForm},
    },
};
use argon2::{Argon2, PasswordHasher, password_hash::SaltString};
use chrono::Utc;
use diesel_async::AsyncConnection;

pub const MIN_PASSWORD_LEN: usize = 10;
const MAX_PASSWORD_LEN: usize = 1000;

#[derive(Debug, Clone)]
pub struct NewAccount {
    pub name: String,
    /// `None` creates an account that cannot sign in until a password is set.
    pub password: Option<String>,
    pub is_admin: bool,
}

pub async fn create_account(ctx: &Context, input: NewAccount) -> ServiceResult<Person> {
    validate_actor_name(&input.name, "a user name", true)?;
    let password_hash = match input.password {
        Some(password) => Some(hash_password(password).await?),
        None => None,
    };
    let keys = generate_keypair().await?;
    let now = Utc::now();
    let form = PersonForm {
        ap_id: ctx.urls.person(&input.name).to_string(),
        instance_id: 0, // set below, inside the transaction
        local: true,
        actor_type: "Person".into(),
        name: input.name.clone(),
        display_name: None,
        bio_source: None,
        bio_html: None,
        profile_url: Some(ctx.urls.person(&input.name).to_string()),
        avatar_url: None,
        banner_url: None,
        inbox_url: ctx.urls.person_inbox(&input.name).to_string(),
        shared_inbox_url: Some(ctx.urls.shared_inbox().to_string()),
        outbox_url: Some(ctx.urls.person_outbox(&input.name).to_string()),
        followers_url: None,
        public_key: keys.public_key,
        private_key: Some(keys.private_key),
        published_at: now,
        updated_at: None,
        last_refreshed_at: now,
    };
    let domain = ctx.settings.domain.clone();
    let mut conn = ctx.pool.get().await?;
    let result = conn
        .transaction::<_, db::DbError, _>(async |conn| {
            let instance = db::instances::get_or_create(conn, &domain).await?;
            let person = db::people::insert(
                conn,
                &PersonForm {
                    instance_id: instance.id,
                    ..form
                },
            )
            .await?;
            db::people::insert_account(
                conn,
                &LocalAccount {
                    person_id: person.id,
                    password_hash,
                    is_admin: input.is_admin,
                    created_at: now,
                },
            )
            .await?;
            Ok(person)
        })
        .await;
    match result {
        Ok(person) => Ok(person),
        Err(err) if err.unique_violation().is_some() => Err(ServiceError::Conflict(format!(
            "the user name {} is taken",
            input.name
        ))),
        Err(err) => Err(err.into()),
    }
}

/// Hashes a password with Argon2id (the crate's defaults follow OWASP's advice). Hashing is
/// deliberately slow, so it runs off the async threads.
pub async fn hash_password(password: String) -> ServiceResult<String> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(ServiceError::field(
            "password",
            format!("the password must be at least {MIN_PASSWORD_LEN} characters long"),
        ));
    }
    if password.len() > MAX_PASSWORD_LEN {
        return Err(ServiceError::field("password", "the password is too long"));
    }
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| ServiceError::Internal(format!("password hashing failed: {e}")))
    })
    .await
    .map_err(|e| ServiceError::Internal(e.to_string()))?
}

/// Someone signs up on the instance's own pages or through an app.
pub async fn register(ctx: &Context, name: &str, password: String) -> ServiceResult<Person> {
    let mut conn = ctx.pool.get().await?;
    let site = db::site::get(&mut conn)
        .await?
        .ok_or(ServiceError::NotFound("site"))?;
    drop(conn);
    if !super::site::registration_open(ctx, &site) {
        return Err(ServiceError::Forbidden(
            "registration is closed on this instance".into(),
        ));
    }
    create_account(
        ctx,
        NewAccount {
            name: name.to_string(),
            password: Some(password),
            is_admin: false,
        },
    )
    .await
}

/// The longest display name and bio a person may set.
const MAX_DISPLAY_NAME_CHARS: usize = 50;
const MAX_BIO_CHARS: usize = 5_000;

/// A local person changes how they present themselves. Peers see the change the next time
/// they refresh the actor.
pub async fn update_profile(
    ctx: &Context,
    person: &Person,
    display_name: Option<&str>,
    bio: Option<&str>,
) -> ServiceResult<Person> {
    if !person.local {
        return Err(ServiceError::Forbidden(
            "only local people change a profile here".into(),
        ));
    }
    let display_name = display_name.map(str::trim).filter(|d| !d.is_empty());
    if display_name.is_some_and(|d| d.chars().count() > MAX_DISPLAY_NAME_CHARS) {
        return Err(ServiceError::field(
            "display_name",
            format!("the display name must be at most {MAX_DISPLAY_NAME_CHARS} characters"),
        ));
    }
    let bio = bio.map(str::trim).filter(|b| !b.is_empty());
    if bio.is_some_and(|b| b.chars().count() > MAX_BIO_CHARS) {
        return Err(ServiceError::field(
            "bio",
            format!("the bio must be at most {MAX_BIO_CHARS} characters"),
        ));
    }
    let bio_html = bio.map(crate::text::markdown_to_html);
    let mut conn = ctx.pool.get().await?;
    Ok(
        db::people::update_profile(&mut conn, person.id, display_name, bio, bio_html.as_deref())
            .await?,
    )
}
