//! `/admin/v1/webhooks`: webhook endpoints (issue 12, `docs/events.md`) —
//! register (the `whsec_` secret shown once), list, read, change, enable,
//! disable, rotate the secret, delete; each endpoint's deliveries with
//! their attempts, replays, and a ping. Scope `webhooks:write`. A token
//! limited to some tenants sees and manages only endpoints limited to
//! those tenants. The rules are [`crate::ops::webhooks`]'s.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use scim_core::resource::format_datetime;
use scim_store::webhooks::{Attempt, DeliveryQuery, DeliveryRecord, DeliveryState, Selection, Webhook};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::auth::Admin;
use super::body::json_body;
use super::problem::{AuthRefusals, Problem};
use super::query;
use crate::ops::Ops;
use crate::ops::admin_tokens::Scope;
use crate::ops::audit_search::instant;
use crate::ops::webhooks::{RegisteredWebhook, ReplayRequest, WebhookSpec};
use crate::state::AppState;

/// A webhook endpoint, as the admin API shows it (never its secrets).
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    pub id: String,
    pub url: String,
    /// `"all"` or the tenants' slugs.
    #[schema(value_type = Object)]
    pub tenants: Value,
    /// `"all"` or event type names.
    #[schema(value_type = Object)]
    pub types: Value,
    /// `json` (Standard Webhooks) or `set` (RFC 8935 Security Event Tokens).
    pub format: &'static str,
    pub description: String,
    /// For `set`: the `aud` claim (default: the URL).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// For `set`: `opaque` or `email`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject_format: Option<String>,
    /// Whether an `Authorization` header is sent (its value is never shown).
    pub authorization_set: bool,
    pub max_in_flight: u32,
    pub enabled: bool,
    /// Why it is disabled: by an operator, `410 Gone`, or failing for 5 days.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled_at: Option<String>,
    /// Since when every attempt has failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failing_since: Option<String>,
    /// While a rotation's overlap lasts: until when the replaced secret
    /// also signs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_secret_until: Option<String>,
    pub created: String,
    pub updated: String,
}

/// A registration or a rotation: the endpoint and its new secret, shown
/// this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookSecretView {
    pub webhook: WebhookView,
    /// `whsec_` and the base64 of the key: the HMAC key is the decoded bytes.
    pub secret: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookList {
    pub items: Vec<WebhookView>,
}

/// The body of `POST /webhooks` and `PATCH /webhooks/{id}`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookBody {
    /// `https://…` (or `http://…`); no redirects are followed.
    pub url: Option<String>,
    /// `"all"` (the default) or a list of tenant slugs.
    #[schema(schema_with = all_or_list)]
    pub tenants: Option<Selection<String>>,
    /// `"all"` (the default) or a list of event types.
    #[schema(schema_with = all_or_list)]
    pub types: Option<Selection<String>>,
    /// `json` (default) or `set`; fixed once registered.
    pub format: Option<String>,
    pub description: Option<String>,
    /// For `set`: the `aud` claim (default: the URL). `null` removes it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub audience: Option<Option<String>>,
    /// For `set`: `opaque` (default) or `email`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub subject_format: Option<Option<String>>,
    /// An `Authorization` header value to send (e.g. `Bearer …`), stored
    /// sealed. `null` removes it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub authorization: Option<Option<String>>,
    /// Deliveries in flight at once, 1 to 256 (default 16).
    #[schema(minimum = 1, maximum = 256)]
    pub max_in_flight: Option<u32>,
    /// PATCH only: enable (clearing why it was disabled) or disable.
    pub enabled: Option<bool>,
}

/// `"all"` or a list of strings, as OpenAPI says it.
fn all_or_list() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Type};
    OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["all"])))
        .item(ArrayBuilder::new().items(ObjectBuilder::new().schema_type(Type::String)).min_items(Some(1)))
        .build()
        .into()
}

/// A field that may be absent (leave it), `null` (remove it) or a value.
fn nullable<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Ok(Some(Option::deserialize(d)?))
}

impl From<WebhookBody> for WebhookSpec {
    fn from(b: WebhookBody) -> WebhookSpec {
        WebhookSpec {
            url: b.url,
            tenants: b.tenants,
            types: b.types,
            format: b.format,
            description: b.description,
            audience: b.audience,
            subject_format: b.subject_format,
            authorization: b.authorization,
            max_in_flight: b.max_in_flight,
            enabled: b.enabled,
        }
    }
}

/// The body of `POST /webhooks/{id}/rotate-secret` (optional).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotationBody {
    /// How long the replaced secret keeps signing beside the new one
    /// (default 86400, at most 604800; 0 ends it at once).
    #[schema(maximum = 604800)]
    pub overlap_seconds: Option<u64>,
}

/// The body of `POST /webhooks/{id}/replay`: a tenant's sequence range,
/// or a time range.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayBody {
    /// With `from_sequence`/`to_sequence`: the tenant's slug.
    pub tenant: Option<String>,
    pub from_sequence: Option<i64>,
    pub to_sequence: Option<i64>,
    /// RFC 3339: events that occurred at or after it.
    pub since: Option<String>,
    /// RFC 3339: events that occurred before it.
    pub until: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReplayView {
    /// Deliveries queued, in sequence order.
    pub queued: u64,
}

/// One attempt of a delivery.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptView {
    pub at: String,
    /// The answer's status; absent when none came.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    pub latency_ms: u64,
    /// The first KiB of the answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl From<&Attempt> for AttemptView {
    fn from(a: &Attempt) -> AttemptView {
        AttemptView {
            at: format_datetime(a.at),
            status: a.status,
            latency_ms: a.latency_ms,
            response: a.response.clone(),
            error: a.error.clone(),
        }
    }
}

/// One event's delivery to the endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: i64,
    /// The event id (= `webhook-id`); absent once the event is gone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_type: Option<&'static str>,
    pub tenant_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequence: Option<i64>,
    pub resource_id: String,
    /// `pending`, `delivered` or `dead` (dead-lettered).
    pub state: &'static str,
    pub attempts: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    pub created: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// Queued by a replay.
    pub replay: bool,
    /// The latest attempts (up to 20), oldest first.
    pub attempt_log: Vec<AttemptView>,
}

impl From<&DeliveryRecord> for DeliveryView {
    fn from(d: &DeliveryRecord) -> DeliveryView {
        DeliveryView {
            id: d.id,
            event_id: d.event_id.map(|i| i.to_string()),
            event_type: d.event_type.map(|t| t.as_str()),
            tenant_id: d.tenant.to_string(),
            sequence: d.sequence,
            resource_id: d.resource_id.to_string(),
            state: d.state.as_str(),
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at.map(format_datetime),
            last_status: d.last_status,
            last_error: d.last_error.clone(),
            created: format_datetime(d.created),
            finished_at: d.finished_at.map(format_datetime),
            replay: d.replay,
            attempt_log: d.attempt_log.iter().map(AttemptView::from).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryPage {
    pub items: Vec<DeliveryView>,
    /// Pass as `before` for the next (older) page; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryParams {
    /// `pending`, `delivered` or `dead`.
    pub state: Option<String>,
    /// The `next_cursor` of the previous page.
    pub before: Option<String>,
    /// Deliveries per page, 1 to 1000 (default 100).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    pub limit: Option<String>,
}

/// What a ping found.
#[derive(Debug, Serialize, ToSchema)]
pub struct PingView {
    /// Whether the endpoint accepted it.
    pub delivered: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    pub latency_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl From<crate::delivery::send::Sent> for PingView {
    fn from(sent: crate::delivery::send::Sent) -> PingView {
        PingView {
            delivered: sent.verdict == crate::delivery::send::Verdict::Delivered,
            status: sent.attempt.status,
            latency_ms: sent.attempt.latency_ms,
            response: sent.attempt.response,
            error: sent.attempt.error,
        }
    }
}

/// The view of `w`, its tenants by slug.
pub async fn view_of(ops: &Ops, w: &Webhook) -> Result<WebhookView, Problem> {
    let tenants = match ops.webhook_tenant_slugs(w).await? {
        None => Value::String("all".into()),
        Some(slugs) => Value::from(slugs),
    };
    let types = match &w.types {
        Selection::All(_) => Value::String("all".into()),
        Selection::Only(ts) => Value::from(ts.iter().map(|t| t.as_str()).collect::<Vec<_>>()),
    };
    let now = time::OffsetDateTime::now_utc();
    Ok(WebhookView {
        id: w.id.to_string(),
        url: w.url.clone(),
        tenants,
        types,
        format: w.format.as_str(),
        description: w.description.clone(),
        audience: w.audience.clone(),
        subject_format: w.subject_format.clone(),
        authorization_set: w.authorization_sealed.is_some(),
        max_in_flight: w.max_in_flight,
        enabled: w.enabled,
        disabled_reason: w.disabled_reason.clone(),
        disabled_at: w.disabled_at.map(format_datetime),
        failing_since: w.failing_since.map(format_datetime),
        previous_secret_until: w.previous_secret_until.filter(|u| *u > now).map(format_datetime),
        created: format_datetime(w.created),
        updated: format_datetime(w.updated),
    })
}

/// Whether the caller may see and manage `w`: a token limited to some
/// tenants only endpoints limited to those.
pub fn may_manage(admin: &Admin, w: &Webhook) -> bool {
    if !admin.principal.is_limited() {
        return true;
    }
    match &w.tenants {
        Selection::All(_) => false,
        Selection::Only(ids) => ids.iter().all(|id| admin.principal.tenants.contains(id)),
    }
}

fn not_found() -> Problem {
    Problem::not_found("no such webhook endpoint")
}

/// The endpoint `id` if the admin token may manage it; else 404.
pub async fn find(state: &AppState, admin: &Admin, id: &str) -> Result<Webhook, Problem> {
    let id = Uuid::parse_str(id).map_err(|_| not_found())?;
    let w = state.ops.webhook(id).await.map_err(|_| not_found())?;
    if may_manage(admin, &w) { Ok(w) } else { Err(not_found()) }
}

/// A limited token names only its own tenants.
async fn check_tenants(state: &AppState, admin: &Admin, tenants: &Option<Selection<String>>) -> Result<(), Problem> {
    if !admin.principal.is_limited() {
        return Ok(());
    }
    match tenants {
        None | Some(Selection::All(_)) => Err(Problem::tenant_not_allowed(
            "a token limited to some tenants registers endpoints for a list of its tenants, not \"all\"",
        )),
        Some(Selection::Only(slugs)) => {
            for slug in slugs {
                admin.tenant(&state.ops, slug).await?;
            }
            Ok(())
        }
    }
}

pub async fn secret_view(ops: &Ops, r: RegisteredWebhook) -> Result<WebhookSecretView, Problem> {
    Ok(WebhookSecretView { webhook: view_of(ops, &r.webhook).await?, secret: r.secret })
}

/// Registers an endpoint; the answer holds its secret, shown this once.
#[utoipa::path(
    post, path = "/admin/v1/webhooks", tag = "webhooks",
    request_body(content = WebhookBody, content_type = "application/json"),
    responses(
        (status = 201, description = "Registered; it receives the events committed from now on", body = WebhookSecretView),
        (status = 400, description = "Not JSON, or unknown fields", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A URL that is not http(s) or names a private address, an unknown tenant or event type, a bad format", body = Problem, content_type = "application/problem+json"),
        AuthRefusals,
    ),
    security(("admin_token" = ["webhooks:write"]))
)]
pub async fn create_webhook(
    State(state): State<AppState>,
    admin: Admin,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    admin.require(Scope::WebhooksWrite)?;
    let body: WebhookBody = json_body(&headers, &body)?;
    if body.enabled.is_some() {
        return Err(Problem::new(
            422,
            "invalid-value",
            "Invalid value",
            "enabled is for PATCH: a new endpoint is enabled",
        ));
    }
    check_tenants(&state, &admin, &body.tenants).await?;
    let registered = state.ops.register_webhook(body.into(), admin.audit).await?;
    Ok((StatusCode::CREATED, Json(secret_view(&state.ops, registered).await?)).into_response())
}

/// Lists the endpoints, oldest first.
#[utoipa::path(
    get, path = "/admin/v1/webhooks", tag = "webhooks",
    responses((status = 200, description = "The endpoints", body = WebhookList), AuthRefusals),
    security(("admin_token" = ["webhooks:write"]))
)]
pub async fn list_webhooks(State(state): State<AppState>, admin: Admin) -> Result<Json<WebhookList>, Problem> {
    admin.require(Scope::WebhooksWrite)?;
    let mut items = Vec::new();
    for w in state.ops.webhooks().await?.iter().filter(|w| may_manage(&admin, w)) {
        items.push(view_of(&state.ops, w).await?);
    }
    Ok(Json(WebhookList { items }))
}

/// One endpoint.
#[utoipa::path(
    get, path = "/admin/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = String, Path, description = "The endpoint's id")),
    responses(
        (status = 200, description = "The endpoint", body = WebhookView),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
        AuthRefusals,
    ),
    security(("admin_token" = ["webhooks:write"]))
)]
pub async fn get_webhook(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<WebhookView>, Problem> {
    admin.require(Scope::WebhooksWrite)?;
    let w = find(&state, &admin, &id).await?;
    Ok(Json(view_of(&state.ops, &w).await?))
}

/// Changes an endpoint: any field of the registration but `format`, and
/// `enabled`.
#[utoipa::path(
    patch, path = "/admin/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = String, Path, description = "The endpoint's id")),
    request_body(content = WebhookBody, content_type = "application/json"),
    responses(
        (status = 200, description = "The endpoint as changed", body = WebhookView),
        (status = 400, description = "Not JSON, or unknown fields", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A value the registration would refuse", body = Problem, content_type = "application/problem+json"),
        AuthRefusals,
    ),
    security(("admin_token" = ["webhooks:write"]))
)]
pub async fn update_webhook(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<WebhookView>, Problem> {
    admin.require(Scope::WebhooksWrite)?;
    let body: WebhookBody = json_body(&headers, &body)?;
    let w = find(&state, &admin, &id).await?;
    if body.tenants.is_some() {
        check_tenants(&state, &admin, &body.tenants).await?;
    }
    let w = state.ops.update_webhook(w.id, body.into(), admin.audit).await?;
    Ok(Json(view_of(&state.ops, &w).await?))
}

async fn set_enabled(state: AppState, admin: Admin, id: String, enabled: bool) -> Result<Json<WebhookView>, Problem> {
    admin.require(Scope::WebhooksWrite)?;
    let w = find(&state, &admin, &id).await?;
    let spec = WebhookSpec { enabled: Some(enabled), ..WebhookSpec::default() };
    let w = state.ops.update_webhook(w.id, spec, admin.audit).await?;
    Ok(Json(view_of(&state.ops, &w).await?))
}

/// Enables an endpoint (clearing why it was disabled): its queued and new
/// events go out again, in order.
#[utoipa::path(
    post, path = "/admin/v1/webhooks/{id}/enable", tag = "webhooks",
    params(("id" = String, Path, description = "The endpoint's id")),
    responses(
        (status = 200, description = "Enabled", body = WebhookView),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
        AuthRefusals,
    ),
    security(("admin_token" = ["webhooks:write"]))
)]
pub async fn enable_webhook(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<WebhookView>, Problem> {
    set_enabled(state, admin, id, true).await
}

/// Disables an endpoint: nothing is sent until it is enabled again; events
/// meanwhile are kept for it (within retention).
#[utoipa::path(
    post, path = "/admin/v1/webhooks/{id}/disable", tag = "webhooks",
    params(("id" = String, Path, description = "The endpoint's id")),
    responses(
        (status = 200, description = "Disabled", body = WebhookView),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
        AuthRefusals,
    ),
    security(("admin_token" = ["webhooks:write"]))
)]
pub async fn disable_webhook(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<WebhookView>, Problem> {
    set_enabled(state, admin, id, false).await
}

/// Deletes an endpoint with its deliveries.
#[utoipa::path(
    delete, path = "/admin/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = String, Path, description = "The endpoint's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
        AuthRefusals,
    ),
    security(("admin_token" = ["webhooks:write"]))
)]
pub async fn delete_webhook(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    admin.require(Scope::WebhooksWrite)?;
    let w = find(&state, &admin, &id).await?;
    state.ops.delete_webhook(w.id, admin.audit).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new secret, shown this once; the replaced one keeps signing beside it
/// for the overlap (both signatures are sent, space-separated).
#[utoipa::path(
    post, path = "/admin/v1/webhooks/{id}/rotate-secret", tag = "webhooks",
    params(("id" = String, Path, description = "The endpoint's id")),
    request_body(content = Option<RotationBody>, content_type = "application/json"),
    responses(
        (status = 200, description = "The new secret", body = WebhookSecretView),
        (status = 400, description = "Not JSON, or unknown fields", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as JSON", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An overlap over 7 days", body = Problem, content_type = "application/problem+json"),
        AuthRefusals,
    ),
    security(("admin_token" = ["webhooks:write"]))
)]
pub async fn rotate_webhook_secret(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<WebhookSecretView>, Problem> {
    admin.require(Scope::WebhooksWrite)?;
    let body: RotationBody = if body.is_empty() { RotationBody::default() } else { json_body(&headers, &body)? };
    let w = find(&state, &admin, &id).await?;
    let overlap = body.overlap_seconds.map(std::time::Duration::from_secs);
    let rotated = state.ops.rotate_webhook_secret(w.id, overlap, admin.audit).await?;
    Ok(Json(secret_view(&state.ops, rotated).await?))
}

/// The endpoint's deliveries, newest first, with their latest attempts.
#[utoipa::path(
    get, path = "/admin/v1/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = String, Path, description = "The endpoint's id"), DeliveryParams),
    responses(
        (status = 200, description = "A page of deliveries, newest first", body = DeliveryPage),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad state, cursor or limit", body = Problem, content_type = "application/problem+json"),
        AuthRefusals,
    ),
    security(("admin_token" = ["webhooks:write"]))
)]
pub async fn list_deliveries(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    params: Result<Query<DeliveryParams>, QueryRejection>,
) -> Result<Json<DeliveryPage>, Problem> {
    admin.require(Scope::WebhooksWrite)?;
    let w = find(&state, &admin, &id).await?;
    let Query(params) = params.map_err(|e| query::malformed(&e))?;
    let invalid = |d: &str| Problem::new(422, "invalid-value", "Invalid value", d.to_owned());
    let state_filter = params
        .state
        .as_deref()
        .map(|s| DeliveryState::parse(s).ok_or_else(|| invalid("state must be pending, delivered or dead")))
        .transpose()?;
    let before = params
        .before
        .as_deref()
        .map(|b| b.parse::<i64>().map_err(|_| invalid("before must be a next_cursor this list gave")))
        .transpose()?;
    let limit = query::limit(params.limit.as_deref(), 1000)?;
    let q = DeliveryQuery { state: state_filter, before, limit };
    let records = state.ops.webhook_deliveries(w.id, q).await?;
    let next_cursor = (records.len() == limit as usize).then(|| records.last().map(|d| d.id.to_string())).flatten();
    Ok(Json(DeliveryPage { items: records.iter().map(DeliveryView::from).collect(), next_cursor }))
}

/// Delivers a range of events again, in their order: a tenant's sequence
/// numbers, or a time range. Receivers de-duplicate on `webhook-id`.
#[utoipa::path(
    post, path = "/admin/v1/webhooks/{id}/replay", tag = "webhooks",
    params(("id" = String, Path, description = "The endpoint's id")),
    request_body(content = ReplayBody, content_type = "application/json"),
    responses(
        (status = 202, description = "Queued", body = ReplayView),
        (status = 400, description = "Not JSON, or unknown fields", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as JSON", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Neither or both ranges, a bad range, over 100,000 events", body = Problem, content_type = "application/problem+json"),
        AuthRefusals,
    ),
    security(("admin_token" = ["webhooks:write"]))
)]
pub async fn replay_webhook(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    admin.require(Scope::WebhooksWrite)?;
    let body: ReplayBody = json_body(&headers, &body)?;
    let w = find(&state, &admin, &id).await?;
    let invalid = |d: &str| Problem::new(422, "invalid-value", "Invalid value", d.to_owned());
    let req = match (&body.tenant, body.from_sequence, body.to_sequence, &body.since, &body.until) {
        (Some(tenant), Some(from), Some(to), None, None) => {
            admin.tenant(&state.ops, tenant).await?;
            ReplayRequest::Sequences { tenant: tenant.clone(), from, to }
        }
        (None, None, None, Some(since), Some(until)) => {
            ReplayRequest::Time { since: instant("since", since)?, until: instant("until", until)? }
        }
        _ => {
            return Err(invalid("send either tenant, from_sequence and to_sequence, or since and until (RFC 3339)"));
        }
    };
    let queued = state.ops.replay_webhook(w.id, req, admin.audit).await?;
    Ok((StatusCode::ACCEPTED, Json(ReplayView { queued })).into_response())
}

/// Sends a signed test message now (`webhook.ping`; for `set`, an SSF
/// verification event) and says what the endpoint answered. Not recorded
/// as a delivery.
#[utoipa::path(
    post, path = "/admin/v1/webhooks/{id}/ping", tag = "webhooks",
    params(("id" = String, Path, description = "The endpoint's id")),
    responses(
        (status = 200, description = "What the endpoint answered", body = PingView),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
        AuthRefusals,
    ),
    security(("admin_token" = ["webhooks:write"]))
)]
pub async fn ping_webhook(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<PingView>, Problem> {
    admin.require(Scope::WebhooksWrite)?;
    let w = find(&state, &admin, &id).await?;
    let sent = crate::delivery::ping::ping(&state.ops, &w).await?;
    Ok(Json(PingView::from(sent)))
}
