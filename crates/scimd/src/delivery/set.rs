//! Security Event Tokens (RFC 8417) for the OpenID Shared Signals
//! Framework, pushed per RFC 8935: one event per SET, as SSF requires. A
//! deactivation is a CAEP `session-revoked` (with `event_timestamp`) and a
//! RISC `account-disabled`; a reactivation a RISC `account-enabled`; a
//! deletion a RISC `account-purged`. Claims: `iss` (scimd's issuer, as in
//! its OAuth metadata and `/.well-known/ssf-configuration`), `aud` (the
//! endpoint's audience), `iat`, `jti` (from the event id, the same at every
//! retry), `txn` (the event id), `sub_id` (RFC 9493: `opaque` with the
//! user's id, or `email`), `events`; no `exp` (RFC 8417 §2.2). JOSE header
//! `typ: secevent+jwt`, signed `EdDSA` with scimd's key (its JWKS).

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use scim_store::EventType;
use serde_json::{Value, json};

pub const CAEP_SESSION_REVOKED: &str = "https://schemas.openid.net/secevent/caep/event-type/session-revoked";
pub const RISC_ACCOUNT_DISABLED: &str = "https://schemas.openid.net/secevent/risc/event-type/account-disabled";
pub const RISC_ACCOUNT_ENABLED: &str = "https://schemas.openid.net/secevent/risc/event-type/account-enabled";
pub const RISC_ACCOUNT_PURGED: &str = "https://schemas.openid.net/secevent/risc/event-type/account-purged";

/// The SET event types an event becomes (none: not sent to SET endpoints).
pub fn set_types_for(t: EventType) -> &'static [&'static str] {
    match t {
        EventType::UserDeactivated => &[CAEP_SESSION_REVOKED, RISC_ACCOUNT_DISABLED],
        EventType::UserReactivated => &[RISC_ACCOUNT_ENABLED],
        EventType::UserDeleted => &[RISC_ACCOUNT_PURGED],
        _ => &[],
    }
}

/// How a SET names its subject (RFC 9493).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectFormat {
    /// `{"format": "opaque", "id": <the user's id>}`
    Opaque,
    /// `{"format": "email", "email": …}`: the primary email, else the
    /// first; opaque for a user without one.
    Email,
}

fn subject(resource: &Value, format: SubjectFormat) -> Value {
    let id = resource.get("id").and_then(Value::as_str).unwrap_or_default();
    if format == SubjectFormat::Email {
        let emails = resource.get("emails").and_then(Value::as_array);
        let pick = emails
            .and_then(|es| es.iter().find(|e| e.get("primary") == Some(&Value::Bool(true))).or_else(|| es.first()));
        if let Some(email) = pick.and_then(|e| e.get("value")).and_then(Value::as_str) {
            return json!({ "format": "email", "email": email });
        }
    }
    json!({ "format": "opaque", "id": id })
}

/// The claims of each SET an event envelope becomes, with its `jti`.
pub fn sets_for(
    envelope: &Value,
    issuer: &str,
    audience: &str,
    format: SubjectFormat,
    iat: i64,
) -> Vec<(String, Value)> {
    let Some(t) = envelope.get("type").and_then(Value::as_str).and_then(EventType::parse) else { return Vec::new() };
    let event_id = envelope.get("id").and_then(Value::as_str).unwrap_or_default();
    let resource = &envelope["data"]["resource"];
    let occurred = envelope
        .get("occurred_at")
        .and_then(Value::as_str)
        .and_then(|s| time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok())
        .map_or(iat, |t| t.unix_timestamp());
    set_types_for(t)
        .iter()
        .enumerate()
        .map(|(i, set_type)| {
            let jti = format!("{event_id}-{}", i + 1);
            let body =
                if *set_type == CAEP_SESSION_REVOKED { json!({ "event_timestamp": occurred }) } else { json!({}) };
            let claims = json!({
                "iss": issuer,
                "aud": audience,
                "iat": iat,
                "jti": jti,
                "txn": event_id,
                "sub_id": subject(resource, format),
                "events": { *set_type: body },
            });
            (jti, claims)
        })
        .collect()
}

/// Signs a SET: `typ: secevent+jwt`, `EdDSA`, `kid`.
pub fn sign_set(claims: &Value, kid: &str, key: &EncodingKey) -> Result<String, jsonwebtoken::errors::Error> {
    let mut header = Header::new(Algorithm::EdDSA);
    header.typ = Some("secevent+jwt".into());
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, key)
}

/// What an RFC 8935 push's answer means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome {
    /// 202 Accepted (any 2xx).
    Delivered,
    /// 400 with an error code (§2.3): sending it again unchanged fails the same way.
    Permanent {
        err: String,
        description: Option<String>,
    },
    Retry,
}

pub fn classify_push_response(status: u16, body: &[u8]) -> PushOutcome {
    match status {
        200..=299 => PushOutcome::Delivered,
        400 => match serde_json::from_slice::<Value>(body) {
            Ok(v) => match v.get("err").and_then(Value::as_str) {
                Some(err) => PushOutcome::Permanent {
                    err: err.to_owned(),
                    description: v.get("description").and_then(Value::as_str).map(str::to_owned),
                },
                None => PushOutcome::Retry,
            },
            Err(_) => PushOutcome::Retry,
        },
        _ => PushOutcome::Retry,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{DecodingKey, Validation};

    fn envelope(t: &str) -> Value {
        json!({
            "id": "0193a1b2-0000-7000-8000-000000000001", "type": t,
            "occurred_at": "2026-12-05T01:02:03.456Z",
            "data": {"resource": {"id": "u-1", "userName": "a", "emails": [{"value": "x@a.test"}, {"value": "p@a.test", "primary": true}]}},
        })
    }

    #[test]
    fn each_event_becomes_its_sets() {
        let sets = sets_for(&envelope("user.deactivated"), "https://scimd.test", "aud-1", SubjectFormat::Opaque, 100);
        assert_eq!(sets.len(), 2);
        let (jti, c) = &sets[0];
        assert_eq!(jti, "0193a1b2-0000-7000-8000-000000000001-1");
        assert_eq!(c["events"][CAEP_SESSION_REVOKED]["event_timestamp"], 1796432523);
        assert_eq!(c["sub_id"], json!({"format": "opaque", "id": "u-1"}));
        assert_eq!(
            (c["iss"].as_str(), c["aud"].as_str(), c["iat"].as_i64()),
            (Some("https://scimd.test"), Some("aud-1"), Some(100))
        );
        assert!(c.get("exp").is_none());
        assert_eq!(c["events"].as_object().unwrap().len(), 1, "one event per SET");
        assert!(sets[1].1["events"].get(RISC_ACCOUNT_DISABLED).is_some());
        assert_ne!(sets[0].0, sets[1].0);
        let again = sets_for(&envelope("user.deactivated"), "https://scimd.test", "aud-1", SubjectFormat::Opaque, 999);
        assert_eq!(again[0].0, sets[0].0, "the same jti at every retry");
        let email = sets_for(&envelope("user.deleted"), "i", "a", SubjectFormat::Email, 1);
        assert_eq!(email[0].1["sub_id"], json!({"format": "email", "email": "p@a.test"}));
        assert!(email[0].1["events"].get(RISC_ACCOUNT_PURGED).is_some());
        assert!(
            sets_for(&envelope("user.reactivated"), "i", "a", SubjectFormat::Opaque, 1)[0].1["events"]
                .get(RISC_ACCOUNT_ENABLED)
                .is_some()
        );
        assert!(sets_for(&envelope("user.updated"), "i", "a", SubjectFormat::Opaque, 1).is_empty());
    }

    #[test]
    fn a_set_is_signed_as_secevent_jwt() {
        use ed25519_dalek::pkcs8::EncodePrivateKey;
        let signing = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
        let der = signing.to_pkcs8_der().unwrap();
        let key = EncodingKey::from_ed_der(der.as_bytes());
        let claims =
            &sets_for(&envelope("user.deleted"), "https://scimd.test", "aud-1", SubjectFormat::Opaque, 100)[0].1;
        let token = sign_set(claims, "kid-1", &key).unwrap();
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.typ.as_deref(), Some("secevent+jwt"));
        assert_eq!(header.kid.as_deref(), Some("kid-1"));
        let public = signing.verifying_key().to_bytes();
        let mut v = Validation::new(Algorithm::EdDSA);
        v.set_audience(&["aud-1"]);
        v.required_spec_claims.clear();
        v.validate_exp = false;
        let decoded = jsonwebtoken::decode::<Value>(&token, &DecodingKey::from_ed_der(&public), &v).unwrap();
        assert_eq!(&decoded.claims, claims);
    }

    #[test]
    fn push_answers_are_classified() {
        assert_eq!(classify_push_response(202, b""), PushOutcome::Delivered);
        assert_eq!(
            classify_push_response(400, br#"{"err":"invalid_audience","description":"wrong aud"}"#),
            PushOutcome::Permanent { err: "invalid_audience".into(), description: Some("wrong aud".into()) }
        );
        assert_eq!(classify_push_response(400, b"nope"), PushOutcome::Retry);
        assert_eq!(classify_push_response(500, b""), PushOutcome::Retry);
    }
}
