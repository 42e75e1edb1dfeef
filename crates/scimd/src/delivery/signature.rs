//! Standard Webhooks signatures (the Standard Webhooks specification,
//! "Signature scheme"): a secret is `whsec_` followed by the base64 of
//! 24 to 64 random bytes, and the HMAC-SHA256 key is those bytes (not the
//! text). A delivery carries `webhook-signature: v1,<base64 of HMAC(key,
//! "{webhook-id}.{webhook-timestamp}.{body}")>`; during a rotation's
//! overlap one signature per secret, separated by a space.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::hmac;
use subtle::ConstantTimeEq;

/// The prefix of a secret's text.
pub const PREFIX: &str = "whsec_";
/// Random bytes in a secret scimd generates.
const GENERATED_BYTES: usize = 32;

/// A webhook secret: the HMAC key's bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(Vec<u8>);

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(<redacted>)")
    }
}

impl WebhookSecret {
    /// A new secret of 256 random bits.
    pub fn generate() -> Self {
        let mut bytes = vec![0u8; GENERATED_BYTES];
        rand::fill(&mut bytes[..]);
        WebhookSecret(bytes)
    }

    /// `whsec_` and the base64 of the key.
    pub fn to_text(&self) -> String {
        format!("{PREFIX}{}", STANDARD.encode(&self.0))
    }

    /// Reads a secret's text (the `whsec_` prefix is optional, as the
    /// specification's libraries accept it).
    pub fn parse(text: &str) -> Result<Self, String> {
        let b64 = text.trim().strip_prefix(PREFIX).unwrap_or(text.trim());
        let bytes = STANDARD.decode(b64).map_err(|_| "the secret is not whsec_ and base64".to_owned())?;
        if !(24..=64).contains(&bytes.len()) {
            return Err(format!("the secret holds {} bytes; 24 to 64 are allowed", bytes.len()));
        }
        Ok(WebhookSecret(bytes))
    }

    fn mac(&self, msg_id: &str, timestamp: i64, body: &[u8]) -> hmac::Tag {
        let key = hmac::Key::new(hmac::HMAC_SHA256, &self.0);
        let mut ctx = hmac::Context::with_key(&key);
        ctx.update(msg_id.as_bytes());
        ctx.update(b".");
        ctx.update(timestamp.to_string().as_bytes());
        ctx.update(b".");
        ctx.update(body);
        ctx.sign()
    }

    /// `v1,<base64 signature>` of a message.
    pub fn sign(&self, msg_id: &str, timestamp: i64, body: &[u8]) -> String {
        format!("v1,{}", STANDARD.encode(self.mac(msg_id, timestamp, body).as_ref()))
    }
}

/// The `webhook-signature` header: one `v1,` signature per secret,
/// space-separated.
pub fn signature_header(secrets: &[&WebhookSecret], msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    secrets.iter().map(|s| s.sign(msg_id, timestamp, body)).collect::<Vec<_>>().join(" ")
}

/// Why a signature does not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyError {
    /// The timestamp is further than the tolerance from now (a replay, or
    /// a clock far off).
    Timestamp,
    /// No `v1` signature matches any secret.
    Mismatch,
}

/// Verifies a `webhook-signature` header as a receiver does: any `v1`
/// signature matching any secret (compared in constant time), and a
/// timestamp within `tolerance_secs` of `now` either way.
pub fn verify(
    header: &str,
    secrets: &[&WebhookSecret],
    msg_id: &str,
    timestamp: i64,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> Result<(), VerifyError> {
    if (now - timestamp).abs() > tolerance_secs {
        return Err(VerifyError::Timestamp);
    }
    for secret in secrets {
        let expected = secret.mac(msg_id, timestamp, body);
        for candidate in header.split(' ') {
            let Some(b64) = candidate.strip_prefix("v1,") else { continue };
            let Ok(given) = STANDARD.decode(b64) else { continue };
            if bool::from(given.as_slice().ct_eq(expected.as_ref())) {
                return Ok(());
            }
        }
    }
    Err(VerifyError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Standard Webhooks specification's published example.
    #[test]
    fn the_specifications_test_vector() {
        let secret = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let (id, ts, body) = ("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, br#"{"test": 2432232314}"#);
        assert_eq!(secret.sign(id, ts, body), "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        let header = signature_header(&[&secret], id, ts, body);
        assert_eq!(verify(&header, &[&secret], id, ts, body, ts + 10, 300), Ok(()));
        assert_eq!(verify(&header, &[&secret], id, ts, b"{}", ts, 300), Err(VerifyError::Mismatch));
        assert_eq!(verify(&header, &[&secret], id, ts, body, ts + 301, 300), Err(VerifyError::Timestamp));
        assert_eq!(verify(&header, &[&secret], id, ts, body, ts - 301, 300), Err(VerifyError::Timestamp));
    }

    #[test]
    fn secrets_round_trip_and_are_bounded() {
        let s = WebhookSecret::generate();
        let text = s.to_text();
        assert!(text.starts_with("whsec_"));
        assert_eq!(WebhookSecret::parse(&text).unwrap(), s);
        assert_ne!(WebhookSecret::generate(), s);
        assert!(!format!("{s:?}").contains(&text[6..]), "Debug redacts");
        assert!(WebhookSecret::parse(&format!("whsec_{}", STANDARD.encode([1u8; 23]))).is_err());
        assert!(WebhookSecret::parse(&format!("whsec_{}", STANDARD.encode([1u8; 65]))).is_err());
        assert!(WebhookSecret::parse("whsec_!!!").is_err());
        assert!(WebhookSecret::parse(&STANDARD.encode([7u8; 24])).is_ok(), "the prefix is optional");
    }

    #[test]
    fn during_a_rotation_either_secret_verifies() {
        let (old, new) = (WebhookSecret::generate(), WebhookSecret::generate());
        let header = signature_header(&[&new, &old], "evt", 1000, b"body");
        assert_eq!(header.split(' ').count(), 2);
        assert!(header.split(' ').all(|s| s.starts_with("v1,")));
        assert_eq!(verify(&header, &[&old], "evt", 1000, b"body", 1000, 300), Ok(()));
        assert_eq!(verify(&header, &[&new], "evt", 1000, b"body", 1000, 300), Ok(()));
        let other = WebhookSecret::generate();
        assert_eq!(verify(&header, &[&other], "evt", 1000, b"body", 1000, 300), Err(VerifyError::Mismatch));
    }
}
