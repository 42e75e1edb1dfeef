//! Webhook endpoints as operators manage them (issue 12, `docs/events.md`):
//! register (the secret shown once), read, change, enable and disable,
//! rotate the secret with an overlap, delete; their deliveries and
//! replays. Sending is `crate::delivery`'s.
//!
//! Secrets (`whsec_…`) and an endpoint's `Authorization` header are sealed
//! (`sealing.rs`), bound to the endpoint: never shown again, never logged.

use std::time::Duration;

use scim_core::ScimError;
use scim_store::webhooks::{
    DeliveryQuery, DeliveryRecord, NewWebhook, ReplayRange, Selection, Webhook, WebhookChange, WebhookFormat,
};
use scim_store::{AuditContext, EventType};
use serde_json::json;
use uuid::Uuid;

use super::Ops;
use super::error::{OpError, OpResult};
use crate::delivery::egress;
use crate::delivery::set::set_types_for;
use crate::delivery::signature::WebhookSecret;

/// Deliveries in flight per endpoint when the registration names none.
pub const DEFAULT_MAX_IN_FLIGHT: u32 = 16;
/// The most an endpoint may ask for.
pub const MAX_IN_FLIGHT: u32 = 256;
/// How long the replaced secret keeps signing after a rotation, unless
/// the rotation names another overlap.
pub const DEFAULT_ROTATION_OVERLAP: Duration = Duration::from_secs(24 * 3600);
/// The longest overlap a rotation may ask for.
pub const MAX_ROTATION_OVERLAP: Duration = Duration::from_secs(7 * 24 * 3600);

/// How outbound webhook calls may go (the server's settings).
#[derive(Debug, Clone, Default)]
pub struct WebhookPolicy {
    /// Whether URLs resolving to loopback, private or link-local addresses
    /// are allowed (`--allow-private-webhooks`).
    pub allow_private: bool,
    /// An egress proxy every call goes through.
    pub proxy: Option<url::Url>,
}

/// A registration or a change, as an operator sends it (slugs and type
/// names, not ids).
#[derive(Debug, Clone, Default)]
pub struct WebhookSpec {
    pub url: Option<String>,
    pub tenants: Option<Selection<String>>,
    pub types: Option<Selection<String>>,
    pub format: Option<String>,
    pub description: Option<String>,
    pub audience: Option<Option<String>>,
    pub subject_format: Option<Option<String>>,
    pub authorization: Option<Option<String>>,
    pub max_in_flight: Option<u32>,
    pub enabled: Option<bool>,
}

/// A registered endpoint with its secret, shown this once.
pub struct RegisteredWebhook {
    pub webhook: Webhook,
    pub secret: String,
}

/// What a replay names: a tenant's sequence numbers, or a time range.
#[derive(Debug, Clone)]
pub enum ReplayRequest {
    Sequences { tenant: String, from: i64, to: i64 },
    Time { since: time::OffsetDateTime, until: time::OffsetDateTime },
}

fn invalid(detail: impl Into<String>) -> OpError {
    OpError::Refused(ScimError::invalid_value(detail.into()))
}

fn no_such_webhook() -> OpError {
    OpError::Refused(ScimError::not_found("no such webhook endpoint"))
}

fn secret_purpose(id: Uuid) -> String {
    format!("webhook-secret:{id}")
}

fn authorization_purpose(id: Uuid) -> String {
    format!("webhook-authorization:{id}")
}

/// The secrets an endpoint signs with now: the current one, and the one a
/// rotation replaced until its overlap ends.
pub struct EndpointSecrets {
    pub current: WebhookSecret,
    pub previous: Option<WebhookSecret>,
    /// The `Authorization` header value to send, if any.
    pub authorization: Option<String>,
}

impl Ops {
    /// How outbound webhook calls may go.
    pub fn with_webhook_policy(mut self, policy: WebhookPolicy) -> Self {
        self.webhook_policy = policy;
        self
    }

    pub fn webhook_policy(&self) -> &WebhookPolicy {
        &self.webhook_policy
    }

    /// Checks a URL for an endpoint: absolute http(s), and not a literal
    /// private address unless allowed (names are checked on every
    /// connection, `delivery::egress`).
    fn check_webhook_url(&self, raw: &str) -> OpResult<String> {
        let url = url::Url::parse(raw).map_err(|e| invalid(format!("url is not an absolute URL: {e}")))?;
        egress::check_url(&url, self.webhook_policy.allow_private).map_err(|e| invalid(format!("url: {e}")))?;
        Ok(url.to_string())
    }

    async fn resolve_tenants(&self, sel: Selection<String>) -> OpResult<Selection<Uuid>> {
        Ok(match sel {
            Selection::All(m) => Selection::All(m),
            Selection::Only(slugs) => {
                if slugs.is_empty() {
                    return Err(invalid("tenants must be \"all\" or a non-empty list of tenant slugs"));
                }
                let mut ids = Vec::with_capacity(slugs.len());
                for slug in &slugs {
                    match self.tenant(slug).await? {
                        Some(ctx) => ids.push(ctx.tenant.id),
                        None => return Err(invalid(format!("no tenant {slug:?}"))),
                    }
                }
                ids.sort();
                ids.dedup();
                Selection::Only(ids)
            }
        })
    }

    /// The event types an endpoint of `format` receives: what was asked,
    /// narrowed for SETs to the types that have a SET.
    fn resolve_types(sel: Selection<String>, format: WebhookFormat) -> OpResult<Selection<EventType>> {
        let asked: Vec<EventType> = match sel {
            Selection::All(m) if format == WebhookFormat::Json => return Ok(Selection::All(m)),
            Selection::All(_) => EventType::ALL.to_vec(),
            Selection::Only(names) => {
                if names.is_empty() {
                    return Err(invalid("types must be \"all\" or a non-empty list of event types"));
                }
                let mut types = Vec::new();
                for n in &names {
                    let t = EventType::parse(n).ok_or_else(|| {
                        let known: Vec<&str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
                        invalid(format!("unknown event type {n:?}; the types are {}", known.join(", ")))
                    })?;
                    if !types.contains(&t) {
                        types.push(t);
                    }
                }
                types
            }
        };
        let types: Vec<EventType> = match format {
            WebhookFormat::Json => asked,
            WebhookFormat::Set => asked.into_iter().filter(|t| !set_types_for(*t).is_empty()).collect(),
        };
        if types.is_empty() {
            return Err(invalid(
                "a \"set\" endpoint receives user.deactivated, user.reactivated and user.deleted; none was asked",
            ));
        }
        Ok(Selection::Only(types))
    }

    fn check_subject_format(f: &Option<String>) -> OpResult<()> {
        match f.as_deref() {
            None | Some("opaque") | Some("email") => Ok(()),
            Some(other) => Err(invalid(format!("subject_format must be \"opaque\" or \"email\", not {other:?}"))),
        }
    }

    fn check_max_in_flight(n: u32) -> OpResult<u32> {
        if (1..=MAX_IN_FLIGHT).contains(&n) {
            Ok(n)
        } else {
            Err(invalid(format!("max_in_flight must be from 1 to {MAX_IN_FLIGHT}")))
        }
    }

    fn check_text(name: &str, value: &str, max: usize) -> OpResult<()> {
        if value.chars().count() > max || value.chars().any(char::is_control) {
            return Err(invalid(format!("{name} must be at most {max} characters, without control characters")));
        }
        Ok(())
    }

    /// Registers an endpoint; its secret is in the answer, and nowhere
    /// else ever again.
    pub async fn register_webhook(&self, spec: WebhookSpec, who: AuditContext) -> OpResult<RegisteredWebhook> {
        let url = self.check_webhook_url(spec.url.as_deref().ok_or_else(|| invalid("url is required"))?)?;
        let format = match spec.format.as_deref() {
            None => WebhookFormat::Json,
            Some(f) => WebhookFormat::parse(f).ok_or_else(|| invalid("format must be \"json\" or \"set\""))?,
        };
        let tenants = self.resolve_tenants(spec.tenants.unwrap_or_else(Selection::all)).await?;
        let types = Self::resolve_types(spec.types.unwrap_or_else(Selection::all), format)?;
        let description = spec.description.unwrap_or_default();
        Self::check_text("description", &description, 500)?;
        let audience = spec.audience.flatten();
        if let Some(a) = &audience {
            Self::check_text("audience", a, 500)?;
        }
        let subject_format = spec.subject_format.flatten();
        Self::check_subject_format(&subject_format)?;
        let authorization = spec.authorization.flatten();
        if let Some(a) = &authorization {
            Self::check_text("authorization", a, 4096)?;
        }
        let max_in_flight = Self::check_max_in_flight(spec.max_in_flight.unwrap_or(DEFAULT_MAX_IN_FLIGHT))?;
        let id = Uuid::now_v7();
        let secret = WebhookSecret::generate();
        let sealing = self.sealing()?;
        let new = NewWebhook {
            id,
            url,
            tenants,
            types,
            format,
            description,
            audience: match format {
                WebhookFormat::Set => audience,
                WebhookFormat::Json => None,
            },
            subject_format: match format {
                WebhookFormat::Set => Some(subject_format.unwrap_or_else(|| "opaque".into())),
                WebhookFormat::Json => None,
            },
            authorization_sealed: authorization.map(|a| sealing.seal(&authorization_purpose(id), a.as_bytes())),
            secret_sealed: sealing.seal(&secret_purpose(id), secret.to_text().as_bytes()),
            max_in_flight,
        };
        let webhook = self.store.create_webhook(new).await?;
        let detail = json!({"webhook": {"registered": id, "url": webhook.url, "format": format.as_str()}});
        self.record_admin_change(None, who, 201, detail).await;
        Ok(RegisteredWebhook { webhook, secret: secret.to_text() })
    }

    pub async fn webhooks(&self) -> OpResult<Vec<Webhook>> {
        Ok(self.store.webhooks().await?)
    }

    pub async fn webhook(&self, id: Uuid) -> OpResult<Webhook> {
        self.store.webhook(id).await?.ok_or_else(no_such_webhook)
    }

    /// Changes an endpoint (enabling it clears why it was disabled).
    pub async fn update_webhook(&self, id: Uuid, spec: WebhookSpec, who: AuditContext) -> OpResult<Webhook> {
        let current = self.webhook(id).await?;
        if spec.format.as_deref().is_some_and(|f| f != current.format.as_str()) {
            return Err(invalid("format cannot change: register a new endpoint"));
        }
        let url = spec.url.as_deref().map(|u| self.check_webhook_url(u)).transpose()?;
        let tenants = match spec.tenants {
            Some(t) => Some(self.resolve_tenants(t).await?),
            None => None,
        };
        let types = spec.types.map(|t| Self::resolve_types(t, current.format)).transpose()?;
        if let Some(d) = &spec.description {
            Self::check_text("description", d, 500)?;
        }
        if let Some(Some(a)) = &spec.audience {
            Self::check_text("audience", a, 500)?;
        }
        if let Some(f) = &spec.subject_format {
            Self::check_subject_format(f)?;
        }
        if let Some(Some(a)) = &spec.authorization {
            Self::check_text("authorization", a, 4096)?;
        }
        let max_in_flight = spec.max_in_flight.map(Self::check_max_in_flight).transpose()?;
        let authorization_sealed = match spec.authorization {
            Some(Some(a)) => Some(Some(self.sealing()?.seal(&authorization_purpose(id), a.as_bytes()))),
            Some(None) => Some(None),
            None => None,
        };
        let change = WebhookChange {
            url,
            tenants,
            types,
            description: spec.description,
            audience: spec.audience,
            subject_format: spec.subject_format,
            authorization_sealed,
            max_in_flight,
            enabled: spec.enabled,
            disabled_reason: None,
            rotate_secret: None,
        };
        let webhook = self.store.update_webhook(id, change).await?;
        let detail = json!({"webhook": {"changed": id, "enabled": webhook.enabled, "url": webhook.url}});
        self.record_admin_change(None, who, 200, detail).await;
        Ok(webhook)
    }

    /// Disables an endpoint for `reason` (the delivery worker: a `410
    /// Gone`, or failing for days), audited as the server's doing.
    pub async fn disable_webhook(&self, id: Uuid, reason: &str) -> OpResult<()> {
        let change = WebhookChange { enabled: Some(false), disabled_reason: Some(reason.into()), ..Default::default() };
        self.store.update_webhook(id, change).await?;
        let who = AuditContext { method: "TASK".into(), path: format!("webhooks/{id}"), ..AuditContext::default() };
        self.record_admin_change(None, who, 200, json!({"webhook": {"disabled": id, "reason": reason}})).await;
        Ok(())
    }

    pub async fn delete_webhook(&self, id: Uuid, who: AuditContext) -> OpResult<()> {
        self.store.delete_webhook(id).await.map_err(|e| match e {
            scim_store::StoreError::NotFound => no_such_webhook(),
            e => e.into(),
        })?;
        self.record_admin_change(None, who, 204, json!({"webhook": {"deleted": id}})).await;
        Ok(())
    }

    /// A new secret; the current one keeps signing beside it for
    /// `overlap` (receivers accept either while they switch).
    pub async fn rotate_webhook_secret(
        &self,
        id: Uuid,
        overlap: Option<Duration>,
        who: AuditContext,
    ) -> OpResult<RegisteredWebhook> {
        let overlap = overlap.unwrap_or(DEFAULT_ROTATION_OVERLAP);
        if overlap > MAX_ROTATION_OVERLAP {
            return Err(invalid(format!("the overlap is at most {} seconds", MAX_ROTATION_OVERLAP.as_secs())));
        }
        self.webhook(id).await?;
        let secret = WebhookSecret::generate();
        let sealed = self.sealing()?.seal(&secret_purpose(id), secret.to_text().as_bytes());
        let until = time::OffsetDateTime::now_utc() + overlap;
        let change = WebhookChange { rotate_secret: Some((sealed, until)), ..Default::default() };
        let webhook = self.store.update_webhook(id, change).await?;
        let detail = json!({"webhook": {"secret_rotated": id, "overlap_seconds": overlap.as_secs()}});
        self.record_admin_change(None, who, 200, detail).await;
        Ok(RegisteredWebhook { webhook, secret: secret.to_text() })
    }

    /// The secrets `w` signs with at `now`, opened.
    pub fn endpoint_secrets(&self, w: &Webhook, now: time::OffsetDateTime) -> OpResult<EndpointSecrets> {
        let sealing = self.sealing()?;
        let open = |sealed: &str| -> OpResult<WebhookSecret> {
            let bytes = sealing.open(&secret_purpose(w.id), sealed).map_err(OpError::internal)?;
            let text = String::from_utf8(bytes).map_err(OpError::internal)?;
            WebhookSecret::parse(&text).map_err(OpError::internal)
        };
        let previous = match (&w.previous_secret_sealed, w.previous_secret_until) {
            (Some(sealed), Some(until)) if until > now => Some(open(sealed)?),
            _ => None,
        };
        let authorization = match &w.authorization_sealed {
            Some(sealed) => {
                let bytes = sealing.open(&authorization_purpose(w.id), sealed).map_err(OpError::internal)?;
                Some(String::from_utf8(bytes).map_err(OpError::internal)?)
            }
            None => None,
        };
        Ok(EndpointSecrets { current: open(&w.secret_sealed)?, previous, authorization })
    }

    /// The tenants' slugs an endpoint selects (`None`: all).
    pub async fn webhook_tenant_slugs(&self, w: &Webhook) -> OpResult<Option<Vec<String>>> {
        match &w.tenants {
            Selection::All(_) => Ok(None),
            Selection::Only(ids) => {
                let mut slugs = Vec::with_capacity(ids.len());
                for id in ids {
                    if let Some(t) = self.store.tenant_by_id(*id).await? {
                        slugs.push(t.slug);
                    }
                }
                Ok(Some(slugs))
            }
        }
    }

    pub async fn webhook_deliveries(&self, id: Uuid, q: DeliveryQuery) -> OpResult<Vec<DeliveryRecord>> {
        self.webhook(id).await?;
        Ok(self.store.webhook_deliveries(id, q).await?)
    }

    /// Queues a range of events again for one endpoint, in their order;
    /// how many.
    pub async fn replay_webhook(&self, id: Uuid, req: ReplayRequest, who: AuditContext) -> OpResult<u64> {
        self.webhook(id).await?;
        let range = match &req {
            ReplayRequest::Sequences { tenant, from, to } => {
                if *from < 1 || to < from {
                    return Err(invalid("from_sequence must be at least 1 and to_sequence at least from_sequence"));
                }
                let t = self.tenant(tenant).await?.ok_or_else(|| invalid(format!("no tenant {tenant:?}")))?;
                ReplayRange::Sequences { tenant: t.tenant.id, from: *from, to: *to }
            }
            ReplayRequest::Time { since, until } => {
                if until <= since {
                    return Err(invalid("until must be after since"));
                }
                ReplayRange::Time { since: *since, until: *until }
            }
        };
        let queued = self.store.replay_webhook(id, range).await?;
        self.record_admin_change(None, who, 202, json!({"webhook": {"replayed": id, "events": queued}})).await;
        Ok(queued)
    }
}
