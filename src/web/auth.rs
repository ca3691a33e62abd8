//! Signing up, logging in and out, and a person's settings.

use super::{Chrome, FormErrors, PageContext, WebForm, WebResult, local_path, render, render_with};
use crate::{
    api::extract::{ClientAddress, TOKEN_COOKIE},
    service::{
        self,
        sessions::{self, LoginError},
    },
};
use askama::Template;
use axum::{
    extract::Query,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;

/// The session cookie: the login token, out of reach of scripts, sent on top-level
/// navigation from other sites (so links into Guild keep you signed in) but not on their
/// forms.
fn session_cookie(token: String) -> Cookie<'static> {
    Cookie::build((TOKEN_COOKIE, token))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .build()
}

fn signed_in_redirect(token: String, next: &str) -> Response {
    (
        CookieJar::new().add(session_cookie(token)),
        Redirect::to(next),
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "signup.html")]
struct SignupPage {
    chrome: Chrome,
    open: bool,
    username: String,
    errors: FormErrors,
}

pub async fn signup_form(page: PageContext) -> WebResult<Response> {
    let open = service::site::registration_open(&page.data, &page.site);
    Ok(render(&SignupPage {
        chrome: Chrome::of(&page),
        open,
        username: String::new(),
        errors: FormErrors::default(),
    }))
}

#[derive(Debug, Deserialize)]
pub struct SignupFields {
    csrf: String,
    username: String,
    password: String,
    password_verify: String,
}

pub async fn signup(
    page: PageContext,
    ClientAddress(address): ClientAddress,
    WebForm(form): WebForm<SignupFields>,
) -> WebResult<Response> {
    page.check_csrf(&form.csrf)?;
    let again = |errors: FormErrors| {
        render_with(
            StatusCode::BAD_REQUEST,
            &SignupPage {
                chrome: Chrome::of(&page),
                open: true,
                username: form.username.clone(),
                errors,
            },
        )
    };
    if form.password != form.password_verify {
        return Ok(again(FormErrors::on(
            "password_verify",
            "The two passwords differ.",
        )));
    }
    let person =
        match service::accounts::register(&page.data, form.username.trim(), form.password.clone())
            .await
        {
            Ok(person) => person,
            Err(service::ServiceError::Conflict(message)) => {
                return Ok(again(FormErrors::on("username", message)));
            }
            Err(service::ServiceError::InvalidField { field, message }) => {
                let field = if field == "name" { "username" } else { field };
                return Ok(again(FormErrors::on(field, message)));
            }
            Err(other) => return Ok(again(FormErrors::from_service(other)?)),
        };
    let login = sessions::open_login(&page.data, person, address).await?;
    Ok(signed_in_redirect(login.token, "/communities"))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    username: String,
    next: String,
    errors: FormErrors,
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn login_form(page: PageContext, Query(query): Query<NextQuery>) -> WebResult<Response> {
    Ok(render(&LoginPage {
        chrome: Chrome::of(&page),
        username: String::new(),
        next: local_path(query.next.as_deref()),
        errors: FormErrors::default(),
    }))
}

#[derive(Debug, Deserialize)]
pub struct LoginFields {
    csrf: String,
    username: String,
    password: String,
    next: Option<String>,
}

pub async fn login(
    page: PageContext,
    ClientAddress(address): ClientAddress,
    WebForm(form): WebForm<LoginFields>,
) -> WebResult<Response> {
    page.check_csrf(&form.csrf)?;
    let next = local_path(form.next.as_deref());
    let refused = |status: StatusCode, message: &str| {
        render_with(
            status,
            &LoginPage {
                chrome: Chrome::of(&page),
                username: form.username.clone(),
                next: next.clone(),
                errors: FormErrors::general(message),
            },
        )
    };
    match sessions::login(&page.data, form.username.trim(), &form.password, address).await {
        Ok(login) => Ok(signed_in_redirect(login.token, &next)),
        Err(LoginError::IncorrectLogin) => Ok(refused(
            StatusCode::UNAUTHORIZED,
            "Wrong user name or password.",
        )),
        Err(LoginError::RateLimited) => Ok(refused(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many attempts. Wait a minute and try again.",
        )),
        Err(LoginError::Service(err)) => Err(err.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfFields {
    csrf: String,
}

/// `POST /logout`: ends the login and clears the cookie.
pub async fn logout(page: PageContext, WebForm(form): WebForm<CsrfFields>) -> WebResult<Response> {
    page.check_csrf(&form.csrf)?;
    if let Some(token) = &page.token {
        sessions::logout(&page.data, token).await?;
    }
    let jar = CookieJar::new().add(crate::api::extract::expired_token_cookie());
    Ok((jar, Redirect::to("/")).into_response())
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    chrome: Chrome,
    display_name: String,
    bio: String,
    saved: bool,
    errors: FormErrors,
}

#[derive(Debug, Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

pub async fn settings_form(
    page: PageContext,
    Query(query): Query<SavedQuery>,
) -> WebResult<Response> {
    let person = page.require_viewer()?;
    Ok(render(&SettingsPage {
        chrome: Chrome::of(&page),
        display_name: person.display_name.clone().unwrap_or_default(),
        bio: person.bio_source.clone().unwrap_or_default(),
        saved: query.saved.is_some(),
        errors: FormErrors::default(),
    }))
}

#[derive(Debug, Deserialize)]
pub struct SettingsFields {
    csrf: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    bio: String,
    #[serde(default)]
    old_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    new_password_verify: String,
}

/// Saves the profile; a filled-in new password changes the password too (which ends every
/// other login).
pub async fn settings(
    page: PageContext,
    ClientAddress(address): ClientAddress,
    WebForm(form): WebForm<SettingsFields>,
) -> WebResult<Response> {
    page.check_csrf(&form.csrf)?;
    let person = page.require_viewer()?.clone();
    let again = |errors: FormErrors| {
        render_with(
            StatusCode::BAD_REQUEST,
            &SettingsPage {
                chrome: Chrome::of(&page),
                display_name: form.display_name.clone(),
                bio: form.bio.clone(),
                saved: false,
                errors,
            },
        )
    };
    if let Err(err) = service::accounts::update_profile(
        &page.data,
        &person,
        Some(&form.display_name),
        Some(&form.bio),
    )
    .await
    {
        return Ok(again(FormErrors::from_service(err)?));
    }
    if form.new_password.is_empty() {
        return Ok(Redirect::to("/settings?saved=1").into_response());
    }
    if form.new_password != form.new_password_verify {
        return Ok(again(FormErrors::on(
            "new_password_verify",
            "The two new passwords differ.",
        )));
    }
    match sessions::change_password(
        &page.data,
        person,
        &form.old_password,
        form.new_password.clone(),
        address,
    )
    .await
    {
        Ok(login) => Ok(signed_in_redirect(login.token, "/settings?saved=1")),
        Err(LoginError::IncorrectLogin) => Ok(again(FormErrors::on(
            "old_password",
            "The current password is wrong.",
        ))),
        Err(LoginError::RateLimited) => Ok(again(FormErrors::general(
            "Too many attempts. Wait a minute and try again.",
        ))),
        Err(LoginError::Service(service::ServiceError::InvalidField { message, .. })) => {
            Ok(again(FormErrors::on("new_password", message)))
        }
        Err(LoginError::Service(err)) => Ok(again(FormErrors::from_service(err)?)),
    }
}
