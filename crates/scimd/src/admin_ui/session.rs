//! Who is logged in to the web admin, and the checks every form passes.
//!
//! The session is a cookie sealed by [`crate::ops::ui_sessions`]:
//! `HttpOnly`, `SameSite=Strict`, `Path=/`, ending with the session, and
//! `Secure` (with the `__Host-` name prefix) whenever the public URL is
//! HTTPS — behind a TLS-terminating proxy scimd itself sees plain HTTP,
//! so the public URL decides, not the connection. [`UiAdmin`]
//! authenticates the admin token it carries on every request.
//!
//! CSRF: every form carries the session's random CSRF token, compared in
//! constant time ([`UiAdmin::check_csrf`]); the login form, before there
//! is a session, carries a nonce that must match a short-lived cookie
//! ([`LOGIN_TTL`]). And forms from another site are refused by their
//! `Sec-Fetch-Site` or `Origin` ([`same_origin`]).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

use super::error::UiError;
use super::page::Nav;
use crate::admin_api::auth::Admin;
use crate::ops::admin_tokens::{AdminAuthRefusal, Scope};
use crate::ops::ui_sessions::SESSION_TTL;
use crate::state::AppState;

/// How long the login form's nonce is good for.
pub const LOGIN_TTL: u64 = 3600;

/// The session cookie's name: with the `__Host-` prefix when `secure`
/// (the browser then insists on `Secure`, `Path=/` and no `Domain`).
pub fn session_cookie(secure: bool) -> &'static str {
    if secure { "__Host-scimd_session" } else { "scimd_session" }
}

/// The login nonce cookie's name.
pub fn login_cookie(secure: bool) -> &'static str {
    if secure { "__Host-scimd_login" } else { "scimd_login" }
}

/// Whether cookies are `Secure`: the public URL is HTTPS.
pub fn secure(state: &AppState) -> bool {
    state.ops.public_base().starts_with("https://")
}

/// A `Set-Cookie` value: `value` for `max_age` seconds (0: remove it).
pub fn set_cookie(name: &str, value: &str, max_age: u64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}");
    // Sealed values and nonces are base64url and ':' only.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("scimd_invalid=; Max-Age=0"))
}

/// The value of cookie `name` in the request, if any.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Whether two secrets are equal, in constant time.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// 403 unless a form's CSRF token `sent` is the session's `expected`
/// (compared in constant time).
pub fn check_csrf(expected: &str, sent: &str) -> Result<(), UiError> {
    if same_secret(sent, expected) {
        Ok(())
    } else {
        Err(UiError::new(403, "Refused", "The form has expired or did not come from this site: reload and retry."))
    }
}

/// A form that carries only its CSRF token.
#[derive(serde::Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

/// Whether a request comes from a page of this origin, as far as the
/// browser says: `Sec-Fetch-Site` (`same-origin`, or `none` for what the
/// user typed) where sent, else `Origin` against `Host`; a request with
/// neither (not a browser's form) passes to the CSRF check.
pub fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return matches!(site, "same-origin" | "none");
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else { return true };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    let origin_host = origin.split_once("://").map_or("", |(_, h)| h);
    !host.is_empty() && origin_host.eq_ignore_ascii_case(host)
}

/// A logged-in operator: the admin API's caller (scopes, tenants, audit
/// context) and the session's CSRF token.
pub struct UiAdmin {
    pub admin: Admin,
    pub csrf: String,
    /// The admin token's name and visible prefix, for the header.
    pub who: String,
}

impl UiAdmin {
    /// 403 unless the form's CSRF token is the session's.
    pub fn check_csrf(&self, sent: &str) -> Result<(), UiError> {
        check_csrf(&self.csrf, sent)
    }

    /// 403 unless the admin token carries `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), UiError> {
        self.admin.require(scope).map_err(UiError::from)
    }

    /// The header of this operator's pages.
    pub fn nav(&self) -> Nav {
        Nav { csrf: self.csrf.clone(), who: self.who.clone() }
    }

    /// The tenant named `slug`, for a page that shows what `scope` allows
    /// of it: 403 without the scope, 404 unless the admin token may act on
    /// the tenant.
    pub async fn tenant_to_see(
        &self,
        state: &AppState,
        slug: &str,
        scope: Scope,
    ) -> Result<std::sync::Arc<crate::ops::TenantCtx>, UiError> {
        self.require(scope)?;
        Ok(self.admin.tenant(&state.ops, slug).await?)
    }

    /// The tenant named `slug`, for a form that changes it: the form's
    /// CSRF token checked, the `tenants:write` scope required, and the
    /// tenant one the admin token may act on (else 404).
    pub async fn tenant_to_change(
        &self,
        state: &AppState,
        slug: &str,
        csrf: &str,
    ) -> Result<std::sync::Arc<crate::ops::TenantCtx>, UiError> {
        self.check_csrf(csrf)?;
        self.require(Scope::TenantsWrite)?;
        Ok(self.admin.tenant(&state.ops, slug).await?)
    }
}

/// The page to log in again, clearing the ended session.
fn to_login(state: &AppState) -> Response {
    let secure = secure(state);
    let mut resp = Redirect::to("/ui/login").into_response();
    resp.headers_mut().insert(header::SET_COOKIE, set_cookie(session_cookie(secure), "", 0, secure));
    resp
}

impl FromRequestParts<AppState> for UiAdmin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let secure = secure(state);
        let now = OffsetDateTime::now_utc();
        let Some(session) =
            cookie(&parts.headers, session_cookie(secure)).and_then(|sealed| state.ops.open_ui_session(sealed, now))
        else {
            return Err(Redirect::to("/ui/login").into_response());
        };
        let principal = match state.ops.authenticate_admin(&session.secret).await {
            Ok(Ok(p)) => p,
            // Revoked or expired since: the session is over.
            Ok(Err(AdminAuthRefusal::Invalid | AdminAuthRefusal::Expired)) => return Err(to_login(state)),
            Err(e) => return Err(UiError::from(e).into_response()),
        };
        let who = principal.label.clone();
        Ok(UiAdmin { admin: Admin::of(principal, parts), csrf: session.csrf, who })
    }
}

/// The session cookie for a new session, sealed.
pub fn session_set_cookie(state: &AppState, sealed: &str) -> HeaderValue {
    let secure = secure(state);
    set_cookie(session_cookie(secure), sealed, SESSION_TTL.as_secs(), secure)
}
