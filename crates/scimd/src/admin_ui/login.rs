//! Logging in to the web admin with an admin token, and out.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;

use super::error::UiError;
use super::page::{Nav, render};
use super::session::{self, CsrfForm, LOGIN_TTL, UiAdmin, same_secret, secure};
use crate::admin_api::auth::{Admin, guess_allowed};
use crate::ops::admin_tokens::AdminAuthRefusal;
use crate::ops::ui_sessions::{SESSION_TTL, UiSession, random_token};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    nav: Option<Nav>,
    error: Option<&'a str>,
    nonce: &'a str,
    hours: u64,
}

/// The login form, with a fresh nonce in a cookie and in the form.
fn login_form(state: &AppState, status: StatusCode, error: Option<&str>) -> Response {
    let nonce = random_token();
    let page = LoginPage { nav: None, error, nonce: &nonce, hours: SESSION_TTL.as_secs() / 3600 };
    let mut resp = (status, render(&page)).into_response();
    let secure = secure(state);
    resp.headers_mut()
        .insert(header::SET_COOKIE, session::set_cookie(session::login_cookie(secure), &nonce, LOGIN_TTL, secure));
    resp
}

pub async fn login_page(State(state): State<AppState>) -> Response {
    login_form(&state, StatusCode::OK, None)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    nonce: String,
    #[serde(default)]
    token: String,
}

/// Checks the nonce and the token; a session cookie and the front page,
/// or the form again with why (401), without saying more than the admin
/// API does.
pub async fn log_in(
    State(state): State<AppState>,
    parts: axum::http::request::Parts,
    Form(form): Form<LoginForm>,
) -> Result<Response, UiError> {
    let secure = secure(&state);
    let expected = session::cookie(&parts.headers, session::login_cookie(secure)).unwrap_or("");
    if expected.is_empty() || !same_secret(expected, &form.nonce) {
        return Ok(login_form(&state, StatusCode::FORBIDDEN, Some("The form expired: log in again.")));
    }
    let refused = |why: &str| login_form(&state, StatusCode::UNAUTHORIZED, Some(why));
    let secret = form.token.trim();
    let principal = match state.ops.authenticate_admin(secret).await? {
        Ok(p) => p,
        Err(refusal) => {
            if !guess_allowed(&parts, &state) {
                return Err(UiError::new(
                    429,
                    "Too many attempts",
                    "Too many failed logins from this address; wait a minute.",
                ));
            }
            return Ok(refused(match refusal {
                AdminAuthRefusal::Invalid => "That is not a valid admin token.",
                AdminAuthRefusal::Expired => "That admin token has expired.",
            }));
        }
    };
    let session = UiSession::new(secret.to_owned(), OffsetDateTime::now_utc());
    let sealed = state.ops.seal_ui_session(&session)?;
    let admin = Admin::of(principal, &parts);
    state.ops.record_admin_change(None, admin.audit, 200, json!({"ui": {"logged_in": true}})).await;
    let mut resp = Redirect::to("/ui/").into_response();
    let h = resp.headers_mut();
    h.append(header::SET_COOKIE, session::session_set_cookie(&state, &sealed));
    h.append(header::SET_COOKIE, session::set_cookie(session::login_cookie(secure), "", 0, secure));
    Ok(resp)
}

/// Ends the session in this browser.
pub async fn log_out(
    State(state): State<AppState>,
    ui: UiAdmin,
    Form(form): Form<CsrfForm>,
) -> Result<Response, UiError> {
    ui.check_csrf(&form.csrf)?;
    let secure = secure(&state);
    let mut resp = Redirect::to("/ui/login").into_response();
    resp.headers_mut().insert(header::SET_COOKIE, session::set_cookie(session::session_cookie(secure), "", 0, secure));
    Ok(resp)
}
