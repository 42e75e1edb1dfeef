//! `POST /admin/v1/webhooks/{id}/ping`: a test message sent now, signed
//! like a delivery, not recorded as one. A `json` endpoint gets a
//! `webhook.ping` envelope; a `set` endpoint an OpenID SSF verification
//! event (`…/ssf/event-type/verification`) as a Security Event Token.

use scim_store::webhooks::{Webhook, WebhookFormat};
use serde_json::json;
use uuid::Uuid;

use super::send::{self, Sent};
use crate::ops::Ops;
use crate::ops::error::{OpError, OpResult};

/// The SSF verification event type.
pub const SSF_VERIFICATION: &str = "https://schemas.openid.net/secevent/ssf/event-type/verification";

/// Sends a ping to `w` and says what came back.
pub async fn ping(ops: &Ops, w: &Webhook) -> OpResult<Sent> {
    let policy = ops.webhook_policy();
    let egress = super::egress::Egress::new(policy.allow_private, policy.proxy.as_ref(), send::TIMEOUT)
        .map_err(OpError::internal)?;
    let now = time::OffsetDateTime::now_utc();
    let secrets = ops.endpoint_secrets(w, now)?;
    let id = format!("ping_{}", Uuid::now_v7().simple());
    match w.format {
        WebhookFormat::Json => {
            let body = json!({
                "id": id,
                "type": "webhook.ping",
                "occurred_at": scim_core::resource::format_datetime(now),
                "data": { "webhook": w.id.to_string() },
            });
            let body = serde_json::to_vec(&body).map_err(OpError::internal)?;
            let mut keys = vec![&secrets.current];
            keys.extend(secrets.previous.as_ref());
            Ok(send::post_signed(&egress, &w.url, &keys, &id, body).await)
        }
        WebhookFormat::Set => {
            let ring = ops.key_ring().await?;
            let Some((kid, Ok(key))) = &ring.current else {
                return Err(OpError::internal("no signing key opens: Security Event Tokens cannot be signed"));
            };
            let claims = json!({
                "iss": crate::ops::oauth::issuer_of(ops.public_base()),
                "aud": w.audience.clone().unwrap_or_else(|| w.url.clone()),
                "iat": now.unix_timestamp(),
                "jti": id,
                "sub_id": { "format": "opaque", "id": w.id.to_string() },
                "events": { SSF_VERIFICATION: { "state": id } },
            });
            let set = super::set::sign_set(&claims, kid, key).map_err(OpError::internal)?;
            Ok(send::push_sets(&egress, &w.url, secrets.authorization.as_deref(), &[set]).await)
        }
    }
}
