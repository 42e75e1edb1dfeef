//! JWT bearer mode (issue 11 item 8, seed 003): a tenant trusts an
//! issuer's JWTs, with keys from a JWKS this test serves on loopback (and
//! counts the fetches of), inline, or an HS256 secret. Every refusal the
//! issue names: expired, not yet valid, wrong issuer, wrong audience,
//! missing scope or group (403), `alg: none`, an HS256 token against an
//! RSA key, an unknown `kid` (one refetch, then no more for 30 s).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::helpers::*;

pub const ISSUER: &str = "https://idp.example.com";
pub const AUDIENCE: &str = "scimd-acme";

/// An Ed25519 key of the test issuer.
pub struct IssuerKey {
    pub kid: String,
    encoding: EncodingKey,
    pub jwk: Value,
}

impl IssuerKey {
    pub fn new(kid: &str) -> IssuerKey {
        let signing = ed25519_dalek::SigningKey::from_bytes(&rand::random());
        let der = signing.to_pkcs8_der().unwrap();
        let x = URL_SAFE_NO_PAD.encode(signing.verifying_key().to_bytes());
        IssuerKey {
            kid: kid.into(),
            encoding: EncodingKey::from_ed_der(der.as_bytes()),
            jwk: json!({"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "use": "sig"}),
        }
    }

    pub fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding).unwrap()
    }
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Claims the tenant accepts, changed by `patch` (`null` removes a claim).
pub fn claims(patch: Value) -> Value {
    let mut c = json!({"iss": ISSUER, "aud": AUDIENCE, "sub": "svc-nauthera", "exp": now() + 300,
                       "iat": now(), "scope": "openid admin", "groups": ["admins", "staff"]});
    for (k, v) in patch.as_object().unwrap() {
        if v.is_null() {
            c.as_object_mut().unwrap().remove(k);
        } else {
            c[k] = v.clone();
        }
    }
    c
}

/// A JWKS served on loopback, counting its fetches.
pub struct JwksServer {
    pub url: String,
    pub keys: Arc<Mutex<Vec<Value>>>,
    pub fetches: Arc<AtomicUsize>,
}

impl JwksServer {
    pub async fn start(keys: Vec<Value>) -> JwksServer {
        let keys = Arc::new(Mutex::new(keys));
        let fetches = Arc::new(AtomicUsize::new(0));
        let (k, f) = (Arc::clone(&keys), Arc::clone(&fetches));
        let app = axum::Router::new().route(
            "/jwks",
            axum::routing::get(move || {
                let (k, f) = (Arc::clone(&k), Arc::clone(&f));
                async move {
                    f.fetch_add(1, Ordering::SeqCst);
                    axum::Json(json!({ "keys": *k.lock().await }))
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/jwks", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        JwksServer { url, keys, fetches }
    }

    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

/// An RSA public key (RFC 7517 appendix A.1's), for the confusion case.
const RSA_N: &str = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";

/// An admin token that may change tenants' settings.
fn admin_token(app: &TestServer) -> String {
    let v = app.cli_json(&["admin-token", "create", "--scope", "tenants:write", "--scope", "tenants:read"]);
    v["token"].as_str().unwrap().to_owned()
}

/// PATCHes `tenant`'s settings with `auth`.
pub async fn set_auth(app: &TestServer, admin: &str, tenant: &str, auth: Value) -> Resp {
    let url = format!("{}/admin/v1/tenants/{tenant}", app.base);
    let rb = app.http.request(Method::PATCH, url).bearer_auth(admin).header("content-type", "application/json");
    send(rb.body(json!({ "auth": auth }).to_string())).await
}

async fn get_users(app: &TestServer, bearer: &str) -> Resp {
    send(app.http.get(app.url("/Users")).bearer_auth(bearer)).await
}

#[track_caller]
fn assert_refused(r: &Resp, status: u16, error: &str, detail: &str) {
    assert_scim_error(r, status, None);
    let www = r.header("www-authenticate").unwrap_or_default();
    assert!(www.starts_with("Bearer") && www.contains(&format!("error=\"{error}\"")), "{www:?} {}", r.text);
    assert!(r.body["detail"].as_str().unwrap().contains(detail), "{}", r.text);
}

#[tokio::test]
async fn jwts_of_the_tenants_issuer_are_validated_as_the_issue_lists() {
    let app = TestServer::spawn().await;
    let admin = admin_token(&app);
    let k1 = IssuerKey::new("k1");
    let rsa = json!({"kty": "RSA", "kid": "rsa1", "n": RSA_N, "e": "AQAB"});
    let jwks = JwksServer::start(vec![k1.jwk.clone(), rsa]).await;

    // Incomplete settings are refused whole.
    let r = set_auth(&app, &admin, "acme", json!({"mode": "jwt", "issuer": ISSUER})).await;
    assert_eq!(r.status.as_u16(), 422, "{}", r.text);
    assert!(r.text.contains("audience"), "{}", r.text);
    let r = set_auth(
        &app,
        &admin,
        "acme",
        json!({"mode": "jwt", "issuer": ISSUER, "audience": AUDIENCE,
        "jwks_url": "http://idp.example.com/jwks"}),
    )
    .await;
    assert_eq!(r.status.as_u16(), 422, "{}", r.text);
    let r = set_auth(
        &app,
        &admin,
        "acme",
        json!({"mode": "both", "issuer": ISSUER, "audience": AUDIENCE,
        "jwks_url": jwks.url}),
    )
    .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    let auth = &r.body["settings"]["auth"];
    assert_eq!(
        (auth["mode"].as_str(), auth["required_scope"].as_str(), auth["required_group"].as_str()),
        (Some("both"), Some("admin"), Some("admins")),
        "{auth}"
    );

    // A valid token works; a write is audited with its subject.
    let good = k1.sign(&claims(json!({})));
    get_users(&app, &good).await.expect(200);
    let created = send(with_json(
        app.http.post(app.url("/Users")).bearer_auth(&good),
        &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "jwt@example.com"}),
    ))
    .await
    .expect(201);
    let entry = app.audit().into_iter().find(|e| e["resource_id"] == created.body["id"]).unwrap();
    assert_eq!((entry["subject"].as_str(), entry["token"].as_str()), (Some("jwt:svc-nauthera"), None), "{entry}");
    // In mode both, scimd's tokens still work.
    app.get("/Users").await.expect(200);
    assert_eq!(jwks.fetches(), 1, "one fetch serves every request");

    // 401 invalid_token for each way of not being valid.
    let cases = [
        (claims(json!({"exp": now() - 120})), "expired"),
        (claims(json!({"exp": null})), "exp"),
        (claims(json!({"nbf": now() + 120})), "not valid yet"),
        // Until the signature, iss and aud hold, the answer says no more
        // than for any credential not valid here.
        (claims(json!({"iss": "https://evil.example.com"})), "not valid for this URL"),
        (claims(json!({"aud": "scimd-other"})), "not valid for this URL"),
        (claims(json!({"aud": "scimd-other", "exp": now() - 999})), "not valid for this URL"),
    ];
    for (c, why) in cases {
        assert_refused(&get_users(&app, &k1.sign(&c)).await, 401, "invalid_token", why);
    }
    // Within the 60 s leeway.
    get_users(&app, &k1.sign(&claims(json!({"exp": now() - 20, "nbf": now() + 20})))).await.expect(200);
    // 403 insufficient_scope for a valid token without the scope or the group.
    let no_scope = k1.sign(&claims(json!({"scope": "openid"})));
    assert_refused(&get_users(&app, &no_scope).await, 403, "insufficient_scope", "scope admin");
    let no_group = k1.sign(&claims(json!({"groups": ["staff"]})));
    assert_refused(&get_users(&app, &no_group).await, 403, "insufficient_scope", "group admins");
    // Entra's scp as an array and a single group string are read.
    get_users(&app, &k1.sign(&claims(json!({"scope": null, "scp": ["admin"], "groups": "admins"})))).await.expect(200);

    // alg none, and an HS256 token naming the RSA key: refused.
    let b64 = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let none = format!("{}.{}.", b64(&json!({"alg": "none", "typ": "JWT", "kid": "k1"})), b64(&claims(json!({}))));
    assert_refused(&get_users(&app, &none).await, 401, "invalid_token", "");
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("rsa1".into());
    let confused =
        jsonwebtoken::encode(&header, &claims(json!({})), &EncodingKey::from_secret(RSA_N.as_bytes())).unwrap();
    assert_refused(&get_users(&app, &confused).await, 401, "invalid_token", "not valid for this URL");
    // A header's jku is never followed.
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some("k1".into());
    header.jku = Some("http://127.0.0.1:9/evil".into());
    let with_jku = jsonwebtoken::encode(&header, &claims(json!({})), &k1.encoding).unwrap();
    get_users(&app, &with_jku).await.expect(200);
    assert_eq!(jwks.fetches(), 1);

    // The issuer rotates: a token of a new kid makes one refetch...
    let k2 = IssuerKey::new("k2");
    jwks.keys.lock().await.push(k2.jwk.clone());
    get_users(&app, &k2.sign(&claims(json!({})))).await.expect(200);
    assert_eq!(jwks.fetches(), 2);
    // ...and a made-up kid right after makes none (30 s between refetches).
    let k3 = IssuerKey::new("k3");
    for _ in 0..3 {
        assert_refused(
            &get_users(&app, &k3.sign(&claims(json!({})))).await,
            401,
            "invalid_token",
            "not valid for this URL",
        );
    }
    assert_eq!(jwks.fetches(), 2, "an unknown kid refetches at most once per 30 s");

    // Mode jwt: scimd tokens are refused.
    set_auth(&app, &admin, "acme", json!({"mode": "jwt"})).await.expect(200);
    eventually(std::time::Duration::from_secs(7), "scimd token refused in jwt mode", || async {
        let r = app.get("/Users").await;
        (r.status.as_u16() == 401).then_some(())
    })
    .await;
    get_users(&app, &good).await.expect(200);
    // The other tenant does not take acme's issuer's tokens, and answers
    // exactly like a path that names no tenant (nothing to enumerate).
    let other = send(app.http.get(app.url_for("other", "/Users")).bearer_auth(&good)).await;
    assert_scim_error(&other, 401, None);
    let nobody = send(app.http.get(app.url_for("nobody", "/Users")).bearer_auth(&good)).await;
    assert_eq!((other.status, &other.body), (nobody.status, &nobody.body));
    assert_eq!(other.header("www-authenticate"), nobody.header("www-authenticate"));
}

#[tokio::test]
async fn an_hs256_secret_is_sealed_and_never_shown() {
    let app = TestServer::spawn().await;
    let admin = admin_token(&app);
    let secret = "a shared secret of at least thirty-two bytes";
    let short = set_auth(
        &app,
        &admin,
        "acme",
        json!({"mode": "jwt", "issuer": ISSUER, "audience": AUDIENCE,
        "hs256_secret": "short"}),
    )
    .await;
    assert_eq!(short.status.as_u16(), 422, "{}", short.text);
    // A body that breaks the documented schema is 422 whatever If-Match
    // says (the body is checked before the version).
    for body in [json!({"auth": {"hs256_secret": "short"}}), json!({"rate_limit": 2_147_483_648_u64})] {
        let rb = app.http.patch(format!("{}/admin/v1/tenants/acme", app.base)).bearer_auth(&admin);
        let rb = rb.header("content-type", "application/json").header("if-match", "W/\"999\"");
        let r = send(rb.body(body.to_string())).await;
        assert_eq!(r.status.as_u16(), 422, "{}", r.text);
    }
    let r = set_auth(
        &app,
        &admin,
        "acme",
        json!({"mode": "jwt", "issuer": ISSUER, "audience": AUDIENCE,
        "hs256_secret": secret, "required_group": ""}),
    )
    .await
    .expect(200);
    assert_eq!(r.body["settings"]["auth"]["hs256_secret_set"], true);
    assert!(!r.text.contains(secret), "{}", r.text);
    let shown = send(app.http.get(format!("{}/admin/v1/tenants/acme", app.base)).bearer_auth(&admin)).await;
    assert!(!shown.text.contains(secret) && !shown.text.contains("sealed:"), "{}", shown.text);
    // Not in the database in plain, nor in the audit.
    for file in ["scimd.db", "scimd.db-wal"] {
        let bytes = std::fs::read(app.dir.path().join(file)).unwrap_or_default();
        assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()), "the secret is in {file} in plain");
    }
    assert!(!format!("{:?}", app.audit()).contains(secret));

    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims(json!({"groups": null})),
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap();
    eventually(std::time::Duration::from_secs(7), "the HS256 token accepted", || async {
        (get_users(&app, &token).await.status.as_u16() == 200).then_some(())
    })
    .await;
    let wrong = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims(json!({})),
        &EncodingKey::from_secret(b"another secret of at least thirty-two bytes"),
    )
    .unwrap();
    assert_refused(&get_users(&app, &wrong).await, 401, "invalid_token", "not valid for this URL");
    // The CLI shows the same, and sets the same way.
    let shown = app.cli_json(&["tenant-auth", "show", "acme"]);
    assert_eq!((shown["mode"].as_str(), shown["hs256_secret_set"].as_bool()), (Some("jwt"), Some(true)), "{shown}");
    let back = app.cli_json(&["tenant-auth", "set", "acme", "--mode", "token", "--hs256-secret-file", "/dev/null"]);
    assert_eq!((back["mode"].as_str(), back["hs256_secret_set"].as_bool()), (Some("token"), Some(false)), "{back}");
}
