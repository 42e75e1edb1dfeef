//! Bearer JWTs (DESIGN §6, RFC 7519, RFC 8725): the keys a tenant trusts
//! and the validation of a token against them and the tenant's policy.
//! Pure: fetching a JWKS is `jwks.rs`, choosing a tenant's policy is the
//! caller's.
//!
//! What RFC 8725 asks, and how:
//! - Algorithms are pinned per key, never taken from the token: an RSA key
//!   verifies RS256 (or the `alg` its JWK names), a P-256 key ES256, an
//!   Ed25519 key EdDSA, a tenant's shared secret HS256. `alg: none` cannot
//!   be parsed; a token whose `alg` differs from its key's is refused, so
//!   an HS256 token signed with an RSA public key as secret gets nowhere.
//! - An HMAC key never comes from a JWKS (`kty: oct` is skipped): a shared
//!   secret is configured as such, sealed.
//! - The header's `jku`, `x5u` and `jwk` are ignored: keys come only from
//!   the tenant's settings.
//! - `exp` is required; `exp` and `nbf` are checked with 60 s leeway; `iss`
//!   and `aud` must be the configured ones.
//!
//! Scopes come from `scope` (a space-separated string, RFC 8693 §4.2) or
//! `scp` (a string or an array, as Entra ID issues them); groups from the
//! configured claim (an array or a string).

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

/// Clock skew allowed on `exp` and `nbf`, in seconds.
pub const LEEWAY_SECS: u64 = 60;

/// A key a tenant trusts, with the one algorithm it verifies.
#[derive(Clone)]
pub struct TrustedKey {
    pub kid: Option<String>,
    pub alg: Algorithm,
    pub key: DecodingKey,
}

impl std::fmt::Debug for TrustedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrustedKey").field("kid", &self.kid).field("alg", &self.alg).finish_non_exhaustive()
    }
}

impl TrustedKey {
    /// An HS256 shared secret.
    pub fn hs256(secret: &[u8]) -> TrustedKey {
        TrustedKey { kid: None, alg: Algorithm::HS256, key: DecodingKey::from_secret(secret) }
    }
}

/// The usable signature keys of a JWKS document (RFC 7517), each pinned
/// to its algorithm, and a note for each key left out. Symmetric keys,
/// encryption keys and keys of unknown types are left out.
pub fn keys_of_jwks(jwks: &Value) -> (Vec<TrustedKey>, Vec<String>) {
    let mut keys = Vec::new();
    let mut skipped = Vec::new();
    let Some(list) = jwks.get("keys").and_then(Value::as_array) else {
        skipped.push("not a JWKS: no \"keys\" array".to_owned());
        return (keys, skipped);
    };
    for (i, jwk) in list.iter().enumerate() {
        match key_of_jwk(jwk) {
            Ok(key) => keys.push(key),
            Err(why) => skipped.push(format!("key {i}: {why}")),
        }
    }
    (keys, skipped)
}

fn key_of_jwk(jwk: &Value) -> Result<TrustedKey, String> {
    let text = |name: &str| jwk.get(name).and_then(Value::as_str);
    if text("use").is_some_and(|u| u != "sig") {
        return Err("not a signature key (use is not \"sig\")".into());
    }
    let named = text("alg");
    let (alg, key) = match (text("kty"), text("crv")) {
        (Some("RSA"), _) => {
            let alg = match named {
                None => Algorithm::RS256,
                Some(a @ ("RS256" | "RS384" | "RS512" | "PS256" | "PS384" | "PS512")) => parse_alg(a)?,
                Some(other) => return Err(format!("alg {other} is not an RSA signature algorithm")),
            };
            let (n, e) = (text("n").ok_or("no n")?, text("e").ok_or("no e")?);
            // RFC 7518 §3.3: at least 2048 bits (and no absurd sizes).
            let bits = rsa_modulus_bits(n).ok_or("n is not base64url")?;
            if !(2048..=8192).contains(&bits) {
                return Err(format!("an RSA key of {bits} bits (2048 to 8192 are taken)"));
            }
            (alg, DecodingKey::from_rsa_components(n, e).map_err(|e| e.to_string())?)
        }
        (Some("EC"), Some(crv)) => {
            let alg = match crv {
                "P-256" => Algorithm::ES256,
                "P-384" => Algorithm::ES384,
                other => return Err(format!("curve {other} is not supported")),
            };
            if named.is_some_and(|a| parse_alg(a).ok() != Some(alg)) {
                return Err(format!("alg {} does not fit curve {crv}", named.unwrap_or_default()));
            }
            let (x, y) = (text("x").ok_or("no x")?, text("y").ok_or("no y")?);
            (alg, DecodingKey::from_ec_components(x, y).map_err(|e| e.to_string())?)
        }
        (Some("OKP"), Some("Ed25519")) => {
            if named.is_some_and(|a| a != "EdDSA" && a != "Ed25519") {
                return Err("alg does not fit an Ed25519 key".into());
            }
            (Algorithm::EdDSA, DecodingKey::from_ed_components(text("x").ok_or("no x")?).map_err(|e| e.to_string())?)
        }
        (Some("oct"), _) => return Err("symmetric keys are never taken from a JWKS".into()),
        (kty, _) => return Err(format!("key type {} is not supported", kty.unwrap_or("(none)"))),
    };
    Ok(TrustedKey { kid: text("kid").map(str::to_owned), alg, key })
}

/// The size in bits of an RSA modulus given as base64url (leading zero
/// bytes not counted).
fn rsa_modulus_bits(n: &str) -> Option<usize> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(n.trim_end_matches('=')).ok()?;
    let first = bytes.iter().position(|&b| b != 0)?;
    Some((bytes.len() - first - 1) * 8 + (8 - bytes[first].leading_zeros() as usize))
}

fn parse_alg(a: &str) -> Result<Algorithm, String> {
    a.parse().map_err(|_| format!("unknown alg {a}"))
}

/// What a token must be and carry.
#[derive(Debug, Clone)]
pub struct Policy<'a> {
    pub issuer: &'a str,
    pub audience: &'a str,
    /// Empty: no scope required.
    pub required_scope: &'a str,
    /// Empty: no group required.
    pub required_group: &'a str,
    pub group_claim: &'a str,
    /// The header `typ` required (`at+jwt` for scimd's own tokens).
    pub typ: Option<&'a str>,
}

/// A valid token's claims that matter.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    pub subject: Option<String>,
    pub scopes: Vec<String>,
    pub claims: Value,
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// Not shown to be meant for this tenant (a bad signature, issuer or
    /// audience; not a JWT): 401, answered like any credential that is not
    /// valid here; the reason is for the log only.
    NotHere(String),
    /// Meant for this tenant but not valid (expired, not yet valid, no exp):
    /// 401, `invalid_token`, with the reason.
    Invalid(String),
    /// Valid, but without the scope or group (403, `insufficient_scope`).
    Insufficient(String),
    /// Signed by a key (`kid`) not among those known: worth refetching the
    /// issuer's keys once.
    UnknownKey(String),
}

/// Whether `token` has the shape of a JWS compact serialization.
pub fn looks_like_jwt(token: &str) -> bool {
    token.starts_with("eyJ") && token.bytes().filter(|&b| b == b'.').count() == 2
}

/// The `kid` of a token's header, unverified: for choosing a validator.
pub fn kid_of(token: &str) -> Option<String> {
    jsonwebtoken::decode_header(token).ok()?.kid
}

/// Validates `token` with `keys` against `policy`.
///
/// Until the signature, `iss` and `aud` have passed, nothing says the token
/// was meant for this tenant, so every refusal is [`Refusal::NotHere`]:
/// telling a stranger "wrong audience" (or "expired") would confirm that
/// the tenant exists (see `scim.rs`). `exp` and `nbf` are checked after,
/// by hand, for that reason.
pub fn validate(token: &str, keys: &[TrustedKey], policy: &Policy<'_>) -> Result<Verified, Refusal> {
    let not_here = |why: String| Refusal::NotHere(why);
    let header = jsonwebtoken::decode_header(token).map_err(|e| not_here(format!("not a JWT: {e}")))?;
    if let Some(typ) = policy.typ
        && !header
            .typ
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case(typ) || t.eq_ignore_ascii_case(&format!("application/{typ}")))
    {
        return Err(not_here(format!("typ is not {typ}")));
    }
    // RFC 7515 §4.1.11: extensions the token says must be understood are
    // not, here.
    if header.crit.as_ref().is_some_and(|c| !c.is_empty()) {
        return Err(not_here("the header names critical extensions".into()));
    }
    // Keys of the token's kid, and keys without a kid (an HS256 secret; a
    // JWKS key published without one).
    let candidates: Vec<&TrustedKey> = keys
        .iter()
        .filter(|k| k.kid.is_none() || header.kid.is_none() || k.kid == header.kid)
        .filter(|k| k.alg == header.alg)
        .take(MAX_CANDIDATES)
        .collect();
    if candidates.is_empty() {
        return Err(match &header.kid {
            Some(kid) if !keys.iter().any(|k| k.kid.as_deref() == Some(kid.as_str())) => {
                Refusal::UnknownKey(format!("no trusted key has kid {kid:?}"))
            }
            _ => not_here(format!("no trusted key verifies {:?}", header.alg)),
        });
    }
    let mut validation = Validation::new(header.alg);
    validation.leeway = LEEWAY_SECS;
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.set_required_spec_claims(&["iss", "aud"]);
    validation.set_issuer(&[policy.issuer]);
    validation.set_audience(&[policy.audience]);
    let mut last = None;
    let mut claims = None;
    for key in candidates {
        match jsonwebtoken::decode::<Value>(token, &key.key, &validation) {
            Ok(data) => {
                claims = Some(data.claims);
                break;
            }
            Err(e) => last = Some(e),
        }
    }
    let Some(claims) = claims else {
        return Err(not_here(last.map_or_else(|| "no key verified it".to_owned(), |e| e.to_string())));
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let leeway = i64::try_from(LEEWAY_SECS).unwrap_or(60);
    let time_claim = |name: &str| claims.get(name).and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)));
    match time_claim("exp") {
        None => return Err(Refusal::Invalid("the token has no exp claim".into())),
        Some(exp) if exp.saturating_add(leeway) < now => return Err(Refusal::Invalid("the token has expired".into())),
        Some(_) => {}
    }
    if claims.get("nbf").is_some() {
        match time_claim("nbf") {
            Some(nbf) if nbf.saturating_sub(leeway) <= now => {}
            _ => return Err(Refusal::Invalid("the token is not valid yet (nbf)".into())),
        }
    }
    let scopes = scopes_of(&claims);
    if !policy.required_scope.is_empty() && !scopes.iter().any(|s| s == policy.required_scope) {
        return Err(Refusal::Insufficient(format!("the token lacks the scope {}", policy.required_scope)));
    }
    if !policy.required_group.is_empty() && !strings_of(claims.get(policy.group_claim)).contains(&policy.required_group)
    {
        return Err(Refusal::Insufficient(format!(
            "the token's {} claim does not name the group {}",
            policy.group_claim, policy.required_group
        )));
    }
    let subject = claims.get("sub").and_then(Value::as_str).map(str::to_owned);
    Ok(Verified { subject, scopes, claims })
}

/// Keys tried at most for one token (a JWKS may hold several of one
/// algorithm, and a token need not name its kid).
const MAX_CANDIDATES: usize = 8;

/// The scopes of `scope` (RFC 8693 §4.2) and `scp` (Entra ID).
pub fn scopes_of(claims: &Value) -> Vec<String> {
    let mut scopes: Vec<String> = Vec::new();
    for name in ["scope", "scp"] {
        for s in strings_of(claims.get(name)) {
            scopes.extend(s.split_whitespace().map(str::to_owned));
        }
    }
    scopes
}

/// A claim that is a string or an array of strings.
fn strings_of(claim: Option<&Value>) -> Vec<&str> {
    match claim {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{EncodingKey, Header};
    use serde_json::json;

    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn policy() -> Policy<'static> {
        Policy {
            issuer: "https://idp.example.com",
            audience: "scimd",
            required_scope: "admin",
            required_group: "admins",
            group_claim: "groups",
            typ: None,
        }
    }

    fn now() -> i64 {
        time::OffsetDateTime::now_utc().unix_timestamp()
    }

    fn claims() -> Value {
        json!({"iss": "https://idp.example.com", "aud": "scimd", "sub": "svc", "exp": now() + 300,
               "scope": "read admin", "groups": ["admins"]})
    }

    fn hs(claims: &Value) -> String {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(SECRET)).unwrap()
    }

    fn check(claims: &Value) -> Result<Verified, Refusal> {
        validate(&hs(claims), &[TrustedKey::hs256(SECRET)], &policy())
    }

    fn with(patch: Value) -> Value {
        let mut c = claims();
        for (k, v) in patch.as_object().unwrap() {
            if v.is_null() {
                c.as_object_mut().unwrap().remove(k);
            } else {
                c[k] = v.clone();
            }
        }
        c
    }

    #[test]
    fn a_valid_token_gives_its_subject_and_scopes() {
        let v = check(&claims()).unwrap();
        assert_eq!(v.subject.as_deref(), Some("svc"));
        assert_eq!(v.scopes, ["read", "admin"]);
        // Entra's scp, as an array or a string; groups as a single string.
        let entra = with(json!({"scope": null, "scp": ["admin"], "groups": "admins"}));
        assert!(check(&entra).is_ok());
        assert!(check(&with(json!({"scope": null, "scp": "x admin"}))).is_ok());
        // An audience list that contains ours.
        assert!(check(&with(json!({"aud": ["other", "scimd"]}))).is_ok());
        // Within the leeway.
        assert!(check(&with(json!({"exp": now() - 30}))).is_ok());
        assert!(check(&with(json!({"nbf": now() + 30}))).is_ok());
    }

    #[test]
    fn invalid_tokens_are_refused_with_the_reason() {
        let invalid = |c: Value, why: &str| match check(&c) {
            Err(Refusal::Invalid(m)) => assert!(m.contains(why), "{m}"),
            other => panic!("{other:?} for {c}"),
        };
        invalid(with(json!({"exp": now() - 120})), "expired");
        invalid(with(json!({"exp": null})), "exp");
        invalid(with(json!({"nbf": now() + 120})), "not valid yet");
        // Until iss and aud match, nothing is said (the tenant could be told apart).
        let not_here = |c: Value, why: &str| match check(&c) {
            Err(Refusal::NotHere(m)) => assert!(m.contains(why), "{m}"),
            other => panic!("{other:?} for {c}"),
        };
        not_here(with(json!({"iss": "https://evil.example.com"})), "Issuer");
        not_here(with(json!({"aud": "someone-else"})), "Audience");
        not_here(with(json!({"iss": "https://evil.example.com", "exp": now() - 999})), "Issuer");
        let wrong_secret = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims(),
            &EncodingKey::from_secret(b"another secret, also 32 bytes...."),
        )
        .unwrap();
        assert!(matches!(validate(&wrong_secret, &[TrustedKey::hs256(SECRET)], &policy()), Err(Refusal::NotHere(_))));
    }

    #[test]
    fn scope_and_group_are_required_unless_turned_off() {
        assert!(matches!(check(&with(json!({"scope": "read"}))), Err(Refusal::Insufficient(m)) if m.contains("admin")));
        assert!(
            matches!(check(&with(json!({"groups": ["users"]}))), Err(Refusal::Insufficient(m)) if m.contains("admins"))
        );
        let lax = Policy { required_scope: "", required_group: "", ..policy() };
        let bare = with(json!({"scope": null, "groups": null}));
        assert!(validate(&hs(&bare), &[TrustedKey::hs256(SECRET)], &lax).is_ok());
        let custom = Policy { group_claim: "roles", ..policy() };
        let roles = with(json!({"groups": null, "roles": ["admins"]}));
        assert!(validate(&hs(&roles), &[TrustedKey::hs256(SECRET)], &custom).is_ok());
    }

    #[test]
    fn alg_none_and_algorithm_confusion_get_nowhere() {
        // alg none: header {"alg":"none"}, no signature.
        let b64 = |v: &Value| {
            use base64::Engine;
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
        };
        let none = format!("{}.{}.", b64(&json!({"alg": "none", "typ": "JWT"})), b64(&claims()));
        assert!(matches!(validate(&none, &[TrustedKey::hs256(SECRET)], &policy()), Err(Refusal::NotHere(_))));
        // An HS256 token against an RSA key: its alg is not the key's.
        let rsa = json!({"keys": [{"kty": "RSA", "kid": "r1", "n": "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw", "e": "AQAB"}]});
        let (keys, skipped) = keys_of_jwks(&rsa);
        assert!(skipped.is_empty(), "{skipped:?}");
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("r1".into());
        let confused =
            jsonwebtoken::encode(&header, &claims(), &EncodingKey::from_secret(b"the RSA public key")).unwrap();
        assert!(
            matches!(validate(&confused, &keys, &policy()), Err(Refusal::NotHere(m)) if m.contains("HS256")),
            "{:?}",
            validate(&confused, &keys, &policy())
        );
        // An unknown kid is worth a refetch.
        header.kid = Some("r2".into());
        let unknown = jsonwebtoken::encode(&header, &claims(), &EncodingKey::from_secret(SECRET)).unwrap();
        assert!(matches!(validate(&unknown, &keys, &policy()), Err(Refusal::UnknownKey(_))));
        assert_eq!(kid_of(&unknown).as_deref(), Some("r2"));
    }

    #[test]
    fn a_kid_on_an_hs256_token_and_several_keys_of_one_alg_are_fine() {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("any".into());
        let with_kid = jsonwebtoken::encode(&header, &claims(), &EncodingKey::from_secret(SECRET)).unwrap();
        assert!(validate(&with_kid, &[TrustedKey::hs256(SECRET)], &policy()).is_ok());
        let keys = [TrustedKey::hs256(b"an older secret, also 32 bytes long!"), TrustedKey::hs256(SECRET)];
        assert!(validate(&hs(&claims()), &keys, &policy()).is_ok(), "the second key verifies");
        let mut crit = Header::new(Algorithm::HS256);
        crit.crit = Some(vec!["exp".into()]);
        let crit = jsonwebtoken::encode(&crit, &claims(), &EncodingKey::from_secret(SECRET)).unwrap();
        assert!(matches!(validate(&crit, &[TrustedKey::hs256(SECRET)], &policy()), Err(Refusal::NotHere(_))));
    }

    #[test]
    fn jwks_keys_are_pinned_and_symmetric_ones_skipped() {
        let jwks = json!({"keys": [
            {"kty": "oct", "k": "c2VjcmV0", "kid": "h"},
            {"kty": "EC", "crv": "P-256", "kid": "e", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
            {"kty": "EC", "crv": "P-256", "alg": "ES384", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
            {"kty": "OKP", "crv": "Ed25519", "kid": "d", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
            {"kty": "RSA", "use": "enc", "n": "AQAB", "e": "AQAB"},
            {"kty": "RSA", "kid": "small", "n": "AQAB", "e": "AQAB"},
        ]});
        let (keys, skipped) = keys_of_jwks(&jwks);
        let algs: Vec<(Option<&str>, Algorithm)> = keys.iter().map(|k| (k.kid.as_deref(), k.alg)).collect();
        assert_eq!(algs, [(Some("e"), Algorithm::ES256), (Some("d"), Algorithm::EdDSA)]);
        assert_eq!(skipped.len(), 4, "{skipped:?}");
        assert!(skipped[3].contains("17 bits"), "{skipped:?}");
        assert!(skipped[0].contains("symmetric"));
        assert!(keys_of_jwks(&json!({})).1[0].contains("keys"));
    }

    #[test]
    fn jwt_shape() {
        assert!(looks_like_jwt(&hs(&claims())));
        assert!(!looks_like_jwt("scimd_abc"));
        assert!(!looks_like_jwt("eyJ.a"));
    }
}
