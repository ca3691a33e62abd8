//! Signing in and out. A login is a row in `login_tokens`; the client holds a JWT naming
//! that row, signed with the instance's secret. The signature spares a database lookup for
//! forged tokens, and the row lets logout (or a password change) end a login for good, which
//! a bare JWT cannot.

use super::{ServiceError, ServiceResult, accounts};
use crate::{
    context::Context,
    db::{self, models::Person},
};
use argon2::{Argon2, PasswordHash, PasswordVerifier};
use governor::{DefaultKeyedRateLimiter, Quota};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::{net::IpAddr, num::NonZeroU32};
use uuid::Uuid;

/// What a login token says. Lemmy's tokens carry `sub`, `iss` and `iat` too; `jti` names the
/// row that keeps the login alive.
#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    iss: String,
    iat: i64,
    jti: Uuid,
}

/// Login attempts allowed in a burst, per client address and per account name; then one
/// more every six seconds. Generous for a person who mistypes, hopeless for guessing.
const LOGIN_BURST: u32 = 10;
const LOGIN_REFILL_PER_MINUTE: u32 = 10;
/// Above this many tracked keys, keys whose limit has fully recovered are forgotten.
const MAX_TRACKED_KEYS: usize = 10_000;

/// Rate limits on login attempts, kept in memory: a restart forgets them, which only gives
/// a guesser a few more tries.
pub struct LoginLimits {
    per_address: DefaultKeyedRateLimiter<IpAddr>,
    per_account: DefaultKeyedRateLimiter<String>,
}

impl Default for LoginLimits {
    fn default() -> Self {
        let quota = || {
            Quota::per_minute(NonZeroU32::new(LOGIN_REFILL_PER_MINUTE).expect("non-zero"))
                .allow_burst(NonZeroU32::new(LOGIN_BURST).expect("non-zero"))
        };
        LoginLimits {
            per_address: DefaultKeyedRateLimiter::keyed(quota()),
            per_account: DefaultKeyedRateLimiter::keyed(quota()),
        }
    }
}

impl LoginLimits {
    /// Counts an attempt; false when the address or the account has used up its attempts.
    /// Every attempt counts, right or wrong, so a guesser learns nothing from the limit.
    fn allow(&self, address: Option<IpAddr>, account: &str) -> bool {
        for limiter_len in [self.per_address.len(), self.per_account.len()] {
            if limiter_len > MAX_TRACKED_KEYS {
                self.per_address.retain_recent();
                self.per_account.retain_recent();
            }
        }
        let address_ok = address.is_none_or(|a| self.per_address.check_key(&a).is_ok());
        let account_ok = self.per_account.check_key(&account.to_lowercase()).is_ok();
        address_ok && account_ok
    }
}

/// Why a login was refused. Wrong name and wrong password are one case, so the answer does
/// not tell which accounts exist.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("wrong user name or password")]
    IncorrectLogin,
    #[error("too many login attempts; wait a minute")]
    RateLimited,
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<db::DbError> for LoginError {
    fn from(err: db::DbError) -> Self {
        LoginError::Service(err.into())
    }
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for LoginError {
    fn from(err: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        LoginError::Service(err.into())
    }
}

/// A token and whom it signs in.
#[derive(Debug, Clone)]
pub struct Login {
    pub token: String,
    pub person: Person,
}

/// Checks a name and password and opens a login. `address` is the client's, for the rate
/// limit and for the person's list of logins.
pub async fn login(
    ctx: &Context,
    name: &str,
    password: &str,
    address: Option<IpAddr>,
) -> Result<Login, LoginError> {
    if !ctx.login_limits.allow(address, name) {
        return Err(LoginError::RateLimited);
    }
    let mut conn = ctx.pool.get().await?;
    let found = db::people::local_account_by_name(&mut conn, name).await?;
    drop(conn);
    let Some((person, account)) = found else {
        return Err(LoginError::IncorrectLogin);
    };
    let Some(hash) = account.password_hash else {
        return Err(LoginError::IncorrectLogin);
    };
    if person.deleted || !verify_password(password.to_string(), hash).await? {
        return Err(LoginError::IncorrectLogin);
    }
    // Told only after the password proved who is asking.
    if person.is_banned() {
        return Err(ServiceError::Forbidden("you are banned from this instance".into()).into());
    }
    Ok(open_login(ctx, person, address).await?)
}

/// Opens a login for a person who has just proved who they are (by password or by
/// registering).
pub async fn open_login(
    ctx: &Context,
    person: Person,
    address: Option<IpAddr>,
) -> ServiceResult<Login> {
    let id = Uuid::new_v4();
    let mut conn = ctx.pool.get().await?;
    let address = address.map(|a| a.to_string());
    db::sessions::insert(&mut conn, id, person.id, address.as_deref()).await?;
    let claims = Claims {
        sub: person.id.to_string(),
        iss: ctx.settings.domain.clone(),
        iat: chrono::Utc::now().timestamp(),
        jti: id,
    };
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret(ctx)?),
    )
    .map_err(|e| ServiceError::Internal(format!("signing a login token: {e}")))?;
    Ok(Login { token, person })
}

/// The person a token signs in, if its signature holds and its login is still open.
pub async fn authenticate(ctx: &Context, token: &str) -> ServiceResult<Option<Person>> {
    let Some(claims) = decode(ctx, token)? else {
        return Ok(None);
    };
    let mut conn = ctx.pool.get().await?;
    let Some(person_id) = db::sessions::person_of(&mut conn, claims.jti).await? else {
        return Ok(None);
    };
    if claims.sub != person_id.to_string() {
        return Ok(None);
    }
    Ok(db::people::by_id(&mut conn, person_id)
        .await?
        .filter(|p| p.local && !p.deleted && !p.is_banned()))
}

/// Ends the login a token names. Ending one that has ended already is not an error.
pub async fn logout(ctx: &Context, token: &str) -> ServiceResult<()> {
    if let Some(claims) = decode(ctx, token)? {
        let mut conn = ctx.pool.get().await?;
        db::sessions::delete(&mut conn, claims.jti).await?;
    }
    Ok(())
}

/// Changes a password after checking the old one, ends every login of the person (a stolen
/// token must not outlive the change) and opens a new one for the caller.
pub async fn change_password(
    ctx: &Context,
    person: Person,
    old_password: &str,
    new_password: String,
    address: Option<IpAddr>,
) -> Result<Login, LoginError> {
    if !ctx.login_limits.allow(address, &person.name) {
        return Err(LoginError::RateLimited);
    }
    let mut conn = ctx.pool.get().await?;
    let account = db::people::account(&mut conn, person.id)
        .await?
        .ok_or(ServiceError::NotFound("account"))?;
    drop(conn);
    let old_ok = match account.password_hash {
        Some(hash) => verify_password(old_password.to_string(), hash).await?,
        None => false,
    };
    if !old_ok {
        return Err(LoginError::IncorrectLogin);
    }
    let hash = accounts::hash_password(new_password).await?;
    let mut conn = ctx.pool.get().await?;
    db::people::set_password(&mut conn, person.id, &hash).await?;
    db::sessions::delete_all(&mut conn, person.id).await?;
    drop(conn);
    Ok(open_login(ctx, person, address).await?)
}

fn secret(ctx: &Context) -> ServiceResult<&[u8]> {
    // Empty only if the context was built without the site row: never sign with that.
    if ctx.session_secret.is_empty() {
        return Err(ServiceError::Internal("no session secret loaded".into()));
    }
    Ok(&ctx.session_secret)
}

/// The claims of a well-signed token of this instance; `None` for anything else.
fn decode(ctx: &Context, token: &str) -> ServiceResult<Option<Claims>> {
    let mut validation = Validation::new(Algorithm::HS256);
    // Lemmy's tokens never expire (logout ends them); ours neither, so `exp` is not required.
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.set_issuer(&[&ctx.settings.domain]);
    Ok(
        jsonwebtoken::decode::<Claims>(token, &DecodingKey::from_secret(secret(ctx)?), &validation)
            .ok()
            .map(|data| data.claims),
    )
}

/// Checks a password against its Argon2 hash, off the async threads (it is slow on purpose).
async fn verify_password(password: String, hash: String) -> ServiceResult<bool> {
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&hash)
            .map_err(|e| ServiceError::Internal(format!("stored password hash: {e}")))?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .map_err(|e| ServiceError::Internal(e.to_string()))?
}
