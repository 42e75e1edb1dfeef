//! The self-serve setup pages a setup link opens (issue 14), for a
//! customer's IT admin who holds the identity provider and has no admin
//! token: `GET /setup/{secret}` trades the link for a session cookie and
//! sends the browser on to `/setup/` (so the secret leaves the address
//! bar and the history); the pages then show the connection's status,
//! guides per identity provider with this tenant's SCIM URL, and a token
//! generated on request (shown once); where the link allows `domains`, the
//! tenant's domains with their TXT records, claims and checks (through
//! [`super::domain_claims`], as the operators' page; removing stays the
//! operators'). Every action is CSRF-checked, refused with 403 beyond what
//! the link allows, and audited as the link (`setup_link:<id>`). The pages
//! send `Referrer-Policy: no-referrer`.

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use scim_store::{AuditContext, SetupLink};
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;

use super::domain_claims::{self, DomainRow, NewDomain};
use super::error::UiError;
use super::page::{render, when};
use super::session::{self, CsrfForm, secure};
use crate::client_addr::ClientAddr;
use crate::ops::TenantCtx;
use crate::ops::audit::{MAX_TEXT, bounded};
use crate::ops::setup_links::{LinkRefusal, audit_subject};
use crate::ops::ui_sessions::{SESSION_TTL, UiSession};
use crate::ops::user_agent::identity_provider;
use crate::state::AppState;

/// The setup session's cookie name (`__Host-` when `secure`).
fn cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-scimd_setup" } else { "scimd_setup" }
}

fn refused_link(why: LinkRefusal) -> UiError {
    match why {
        LinkRefusal::Unknown => UiError::new(
            404,
            "Not a setup link",
            "This link is not valid: check that it was copied whole, or ask for a new one.",
        ),
        LinkRefusal::Expired => UiError::new(410, "This setup link has expired", "Ask whoever sent it for a new one."),
        LinkRefusal::Revoked => UiError::new(410, "This setup link was revoked", "Ask whoever sent it for a new one."),
    }
}

/// Opens a setup link: a session cookie for it, and the setup pages.
pub async fn open_link(
    State(state): State<AppState>,
    parts: Parts,
    Path(secret): Path<String>,
) -> Result<Response, UiError> {
    let link = match state.ops.open_setup_link(&secret).await? {
        Ok(link) => link,
        // Guessing links is bounded like guessing tokens: by the source's rate.
        Err(LinkRefusal::Unknown) if !crate::admin_api::auth::guess_allowed(&parts, &state) => {
            return Err(UiError::new(
                429,
                "Too many attempts",
                "Too many unknown links from this address; wait a minute.",
            ));
        }
        Err(why) => return Err(refused_link(why)),
    };
    let now = OffsetDateTime::now_utc();
    let mut s = UiSession::new(secret, now);
    s.expires = s.expires.min(link.expires.unix_timestamp());
    let sealed = state.ops.seal_setup_session(&s)?;
    let secure = secure(&state);
    let max_age = u64::try_from(s.expires - now.unix_timestamp()).unwrap_or(0).min(SESSION_TTL.as_secs());
    let mut resp = Redirect::to("/setup/").into_response();
    resp.headers_mut().insert(header::SET_COOKIE, session::set_cookie(cookie_name(secure), &sealed, max_age, secure));
    Ok(resp)
}

/// A visitor of the setup pages: the link (valid now), its tenant, and
/// what its audit entries say.
pub struct LinkVisitor {
    pub link: SetupLink,
    pub tenant: Arc<TenantCtx>,
    pub csrf: String,
    pub audit: AuditContext,
}

impl FromRequestParts<AppState> for LinkVisitor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let secure = secure(state);
        let now = OffsetDateTime::now_utc();
        let Some(s) = session::cookie(&parts.headers, cookie_name(secure))
            .and_then(|sealed| state.ops.open_setup_session(sealed, now))
        else {
            return Err(UiError::new(
                401,
                "Open your setup link",
                "Open the setup link you were sent to reach these pages.",
            )
            .into_response());
        };
        let link = match state.ops.valid_setup_link(&s.secret).await {
            Ok(Ok(link)) => link,
            Ok(Err(why)) => return Err(refused_link(why).into_response()),
            Err(e) => return Err(UiError::from(e).into_response()),
        };
        let tenant = match state.ops.store().tenant_by_id(link.tenant).await {
            Ok(Some(t)) => t,
            Ok(None) => return Err(refused_link(LinkRefusal::Unknown).into_response()),
            Err(e) => return Err(UiError::from(crate::ops::OpError::from(e)).into_response()),
        };
        let tenant = match state.ops.require_tenant(&tenant.slug).await {
            Ok(t) => t,
            Err(e) => return Err(UiError::from(e).into_response()),
        };
        let audit = AuditContext {
            token: None,
            admin_token: None,
            subject: Some(audit_subject(&link)),
            remote_addr: parts.extensions.get::<ClientAddr>().map(ClientAddr::to_string),
            method: parts.method.as_str().to_owned(),
            path: bounded(parts.uri.path(), MAX_TEXT),
            request_id: parts.headers.get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned),
        };
        Ok(LinkVisitor { link, tenant, csrf: s.csrf, audit })
    }
}

impl LinkVisitor {
    fn allows(&self, what: &str) -> bool {
        self.link.allow.iter().any(|a| a == what)
    }

    /// 403 unless the link allows `what` (`scim`, `domains`).
    fn require(&self, what: &str) -> Result<(), UiError> {
        if self.allows(what) {
            return Ok(());
        }
        let covers = if what == "domains" { "your domains" } else { "the SCIM connection" };
        Err(UiError::new(403, "Not allowed", format!("This setup link does not cover {covers}.")))
    }
}

/// A refused request as the setup page lists it, with what to change.
struct Refusal {
    status: u16,
    method: String,
    path: String,
    at: String,
    hint: &'static str,
}

fn hint(status: u16) -> &'static str {
    match status {
        401 => "the identity provider sent no token or a wrong one: paste the token again, or generate a new one",
        403 => "the token may not do this: generate a new token here",
        404 => "check the SCIM URL: it must end with this tenant's name, with nothing after it",
        409 => {
            "a user or group with that name exists already: check the identity provider's matching attribute (userName)"
        }
        429 => "too many requests at once: the identity provider retries by itself",
        _ => "",
    }
}

#[derive(Template)]
#[template(path = "setup_home.html")]
struct HomePage {
    tenant_name: String,
    last_request: Option<String>,
    /// The last request's User-Agent, and the identity provider it names.
    last_user_agent: Option<String>,
    identity_provider: Option<&'static str>,
    users: u64,
    groups: u64,
    refusals: Vec<Refusal>,
    scim: bool,
    /// The link allows domains: the section below, with its forms.
    domains_allowed: bool,
    domains: Vec<DomainRow>,
    /// Where the forms of `domain_claims.html` post.
    domain_action: &'static str,
    can_write: bool,
    can_remove: bool,
    csrf: String,
    error: Option<String>,
    expires: String,
}

pub async fn home(State(state): State<AppState>, v: LinkVisitor) -> Result<Response, UiError> {
    home_page(&state, &v, None).await
}

/// The setup home page, with a refusal to show beside the domain form.
async fn home_page(state: &AppState, v: &LinkVisitor, error: Option<UiError>) -> Result<Response, UiError> {
    let status = state.ops.connection_status(&v.tenant).await?;
    let refusals = status
        .refusals
        .iter()
        .map(|r| Refusal {
            status: r.entry.status,
            method: r.entry.context.method.clone(),
            path: r.entry.context.path.clone(),
            at: when(r.at),
            hint: hint(r.entry.status),
        })
        .collect();
    let domains_allowed = v.allows("domains");
    let domains = if domains_allowed { domain_claims::rows(state, &v.tenant.tenant).await? } else { Vec::new() };
    let code =
        error.as_ref().map_or(StatusCode::OK, |e| StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST));
    let page = HomePage {
        tenant_name: v.tenant.tenant.name.clone(),
        last_request: status.last_request.map(when),
        identity_provider: status.last_user_agent.as_deref().and_then(identity_provider),
        last_user_agent: status.last_user_agent,
        users: status.users,
        groups: status.groups,
        refusals,
        scim: v.allows("scim"),
        domains_allowed,
        domains,
        domain_action: DOMAINS,
        can_write: domains_allowed,
        can_remove: false,
        csrf: v.csrf.clone(),
        error: error.map(|e| e.detail),
        expires: when(v.link.expires),
    };
    Ok((code, render(&page)).into_response())
}

/// Where the setup pages' domain forms post.
const DOMAINS: &str = "/setup/domains";

/// Claims a domain through the link (`domains` allowed): pending, with its
/// TXT record shown on the home page.
pub async fn claim_domain(
    State(state): State<AppState>,
    v: LinkVisitor,
    Form(form): Form<NewDomain>,
) -> Result<Response, UiError> {
    session::check_csrf(&v.csrf, &form.csrf)?;
    v.require("domains")?;
    match domain_claims::claim(&state, &v.tenant.tenant, &form, v.audit.clone()).await? {
        Ok(()) => Ok(Redirect::to("/setup/#domains").into_response()),
        Err(shown) => home_page(&state, &v, Some(shown)).await,
    }
}

/// Checks one of the tenant's domains now through the link (`domains`
/// allowed).
pub async fn check_domain(
    State(state): State<AppState>,
    v: LinkVisitor,
    Path(domain): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, UiError> {
    session::check_csrf(&v.csrf, &form.csrf)?;
    v.require("domains")?;
    domain_claims::check(&state, &v.tenant.tenant, &domain, v.audit.clone()).await?;
    Ok(Redirect::to("/setup/#domains").into_response())
}

/// An identity provider's guide.
struct Guide {
    name: &'static str,
    url_label: &'static str,
    token_label: &'static str,
    note: Option<&'static str>,
    steps: &'static [&'static str],
}

fn guide(idp: &str) -> Option<Guide> {
    Some(match idp {
        "entra" => Guide {
            name: "Microsoft Entra ID",
            url_label: "Tenant URL",
            token_label: "Secret Token",
            note: None,
            steps: &[
                "In the Microsoft Entra admin center, open Enterprise applications, New application, Create your own application, and choose “Integrate any other application you don't find in the gallery”.",
                "In the application, open Provisioning and set Provisioning Mode to Automatic.",
                "Under Admin Credentials, paste the Tenant URL and the Secret Token from this page, then Test Connection.",
                "Review the attribute mappings, set Provisioning Status to On, and Save.",
                "Under Users and groups, assign the people and groups to provision. Entra ID syncs about every 40 minutes; Provision on demand sends one user at once.",
            ],
        },
        "okta" => Guide {
            name: "Okta",
            url_label: "SCIM connector base URL",
            token_label: "Bearer token",
            note: None,
            steps: &[
                "In the Okta Admin Console, open Applications, Create App Integration (SAML 2.0 or SWA), and on its General tab enable SCIM provisioning.",
                "On the Provisioning tab, Integration: paste the SCIM connector base URL, set the unique identifier field for users to userName, tick Push New Users, Push Profile Updates and Push Groups, choose HTTP Header authentication and paste the Bearer token.",
                "Test Connector Configuration, then Save.",
                "Under Provisioning, To App: enable Create Users, Update User Attributes and Deactivate Users.",
                "Assign people, and push the groups you want on the Push Groups tab.",
            ],
        },
        "onelogin" => Guide {
            name: "OneLogin",
            url_label: "SCIM Base URL",
            token_label: "SCIM Bearer Token",
            note: None,
            steps: &[
                "In OneLogin, open Applications, Add App, and choose “SCIM Provisioner with SAML (SCIM v2 Enterprise)”.",
                "On Configuration, paste the SCIM Base URL and the SCIM Bearer Token, then Enable the API connection.",
                "On Provisioning, enable provisioning and choose what happens when a user is removed (Delete or Suspend).",
                "Save, then assign users (and map roles to groups under Rules).",
            ],
        },
        "jumpcloud" => Guide {
            name: "JumpCloud",
            url_label: "Base URL",
            token_label: "Token Key",
            note: None,
            steps: &[
                "In the JumpCloud Admin Portal, open SSO Applications, Add New Application, and create a custom application with Identity Management.",
                "Under Identity Management, choose SCIM 2.0, paste the Base URL and the Token Key, and Test Connection.",
                "Activate, then bind the user groups to provision to the application.",
            ],
        },
        "google" => Guide {
            name: "Google Workspace",
            url_label: "",
            token_label: "",
            note: Some(
                "Google Workspace provisions over SCIM only to the applications in its own catalogue of pre-integrated apps: it cannot push to a SCIM URL you type in. If this application is in Google's catalogue, turn on automatic provisioning there. Otherwise, keep Google as your directory and connect an identity provider that syncs from it (Okta, JumpCloud, OneLogin or Microsoft Entra ID all import Google Workspace users), then connect that one here.",
            ),
            steps: &[],
        },
        "other" => Guide {
            name: "Another SCIM 2.0 provider",
            url_label: "SCIM base URL",
            token_label: "Bearer token",
            note: None,
            steps: &[
                "In your identity provider, add a SCIM 2.0 application (sometimes “custom SCIM” or “SCIM connector”).",
                "Paste the SCIM base URL; choose bearer-token (HTTP header) authentication and paste the token.",
                "Map userName to a unique attribute (often the email address), and enable create, update and deactivate.",
                "Assign users and groups, and start provisioning: the status on the first page shows when the first request arrives.",
            ],
        },
        _ => return None,
    })
}

#[derive(Template)]
#[template(path = "setup_idp.html")]
struct IdpPage {
    tenant_name: String,
    idp: String,
    idp_name: &'static str,
    url_label: &'static str,
    token_label: &'static str,
    note: Option<&'static str>,
    steps: &'static [&'static str],
    scim_url: String,
    secret: Option<String>,
    csrf: String,
}

fn idp_page(state: &AppState, v: &LinkVisitor, idp: &str, secret: Option<String>) -> Result<Response, UiError> {
    v.require("scim")?;
    let g = guide(idp).ok_or_else(|| UiError::new(404, "Not found", "There is no such identity provider here."))?;
    let page = IdpPage {
        tenant_name: v.tenant.tenant.name.clone(),
        idp: idp.to_owned(),
        idp_name: g.name,
        url_label: g.url_label,
        token_label: g.token_label,
        note: g.note,
        steps: g.steps,
        scim_url: state.ops.scim_url(&v.tenant.tenant.slug),
        secret,
        csrf: v.csrf.clone(),
    };
    Ok(render(&page))
}

pub async fn idp_guide(
    State(state): State<AppState>,
    v: LinkVisitor,
    Path(idp): Path<String>,
) -> Result<Response, UiError> {
    idp_page(&state, &v, &idp, None)
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    idp: String,
}

/// Generates a SCIM token for the identity provider: shown once (201).
pub async fn generate_token(
    State(state): State<AppState>,
    v: LinkVisitor,
    Form(form): Form<TokenForm>,
) -> Result<Response, UiError> {
    session::check_csrf(&v.csrf, &form.csrf)?;
    let g = guide(&form.idp).filter(|g| !g.steps.is_empty());
    let Some(g) = g else { return Err(UiError::new(404, "Not found", "There is no such identity provider here.")) };
    v.require("scim")?;
    let name = format!("{} (setup link {})", g.name, v.link.prefix);
    let token = state.ops.issue_token(&v.tenant.tenant, &name, None).await?;
    let detail = json!({"token": {"created": token.info.id, "name": token.info.name}});
    state.ops.record_admin_change(Some(v.tenant.tenant.id), v.audit.clone(), 201, detail).await;
    let mut resp = idp_page(&state, &v, &form.idp, Some(token.secret))?;
    *resp.status_mut() = StatusCode::CREATED;
    Ok(resp)
}

/// The setup pages leak nothing through the Referer header.
pub async fn no_referrer(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let mut resp = next.run(req).await;
    resp.headers_mut().insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    resp
}
