//! The web admin in a real browser (issue 14): headless Chromium from
//! Debian's packages, driven through chromedriver with fantoccini. Log in
//! with an admin token, create a tenant, issue a token (shown once), use it
//! over SCIM, revoke it and see SCIM refuse it; and the locks: the CSRF
//! token, forms from another site, the security headers, logging out.
//! Screenshots of each page go to `target/ui-screenshots/`.
//!
//! Chromium and chromedriver must be installed (`scripts/chromium.sh`,
//! run by `scripts/test.sh` and `.ci/run`): without them these tests fail,
//! they are not skipped.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

/// The chromedriver binary (`SCIMD_TEST_CHROMEDRIVER`, else Debian's).
fn chromedriver_bin() -> String {
    std::env::var("SCIMD_TEST_CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into())
}

/// A chromedriver process and a headless Chromium session through it.
struct Browser {
    client: Client,
    driver: Child,
    shots: PathBuf,
}

impl Browser {
    async fn start(width: u32, height: u32) -> Browser {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let driver = Command::new(chromedriver_bin())
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {} ({e}): run scripts/chromium.sh to install Chromium", chromedriver_bin())
            });
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not listen on {port}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let binary = std::env::var("SCIMD_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let mut caps = json!({"goog:chromeOptions": {
            "binary": binary,
            "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     format!("--window-size={},{height}", width.max(500))],
        }});
        // A window is at least 500 px wide: narrower screens are a phone's,
        // emulated.
        if width < 500 {
            caps["goog:chromeOptions"]["mobileEmulation"] =
                json!({"deviceMetrics": {"width": width, "height": height, "pixelRatio": 2}});
        }
        let serde_json::Value::Object(caps) = caps else { unreachable!() };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a Chromium session through chromedriver");
        let shots = PathBuf::from(scimd_bin()).parent().unwrap().parent().unwrap().join("ui-screenshots");
        std::fs::create_dir_all(&shots).unwrap();
        Browser { client, driver, shots }
    }

    async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    async fn text_of(&self, css: &str) -> String {
        let el = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("no {css}: {e}"));
        el.text().await.unwrap()
    }

    async fn fill(&self, css: &str, value: &str) {
        let el = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("no {css}: {e}"));
        el.clear().await.unwrap();
        el.send_keys(value).await.unwrap();
    }

    async fn click(&self, css: &str) {
        let el = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("no {css}: {e}"));
        el.click().await.unwrap();
    }

    /// Clicks a button that submits a form, and waits (up to 5 s) until
    /// the page it was on is replaced by the answer and loaded.
    async fn submit(&self, css: &str) {
        let old = self.client.find(Locator::Css("html")).await.unwrap();
        self.click(css).await;
        let deadline = Instant::now() + Duration::from_secs(5);
        // A replaced page's elements are stale: reading one fails.
        while old.text().await.is_ok() {
            assert!(Instant::now() < deadline, "{css} did not load another page");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        while self.client.execute("return document.readyState", vec![]).await.ok().as_ref().and_then(|v| v.as_str())
            != Some("complete")
        {
            assert!(Instant::now() < deadline, "the page after {css} did not load");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    async fn body(&self) -> String {
        self.text_of("body").await
    }

    async fn path(&self) -> String {
        self.client.current_url().await.unwrap().path().to_owned()
    }

    /// Waits (up to 5 s) for the page at `path`, after a click that
    /// navigates: the click may return before the new page is there.
    async fn wait_for(&self, path: &str) {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let ready = self.client.execute("return document.readyState", vec![]).await.ok();
            if self.path().await == path && ready.as_ref().and_then(|v| v.as_str()) == Some("complete") {
                return;
            }
            if Instant::now() > deadline {
                panic!("not at {path} but {}: {}", self.path().await, self.body().await);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Writes a screenshot of the page as `name.png`.
    async fn shot(&self, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(self.shots.join(format!("{name}.png")), png).unwrap();
    }

    /// The session cookie as the browser holds it (WebDriver sees
    /// HttpOnly cookies), as a `Cookie` header value.
    async fn cookie_header(&self) -> String {
        let cookies = self.client.get_all_cookies().await.unwrap();
        cookies.iter().map(|c| format!("{}={}", c.name(), c.value())).collect::<Vec<_>>().join("; ")
    }

    async fn quit(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}

/// Logs in with `token`; the front page is open afterwards.
async fn log_in(b: &Browser, app: &TestServer, token: &str) {
    b.goto(&format!("{}/ui/", app.base)).await;
    b.wait_for("/ui/login").await;
    b.fill("#token", token).await;
    b.submit("form[action='/ui/login'] button[type=submit]").await;
    b.wait_for("/ui/").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_creates_a_tenant_and_a_token_uses_it_over_scim_and_revokes_it() {
    let app = TestServer::spawn().await;
    let admin = app.admin_token(&["--scope", "admin", "--name", "ops"]);
    let admin_secret = admin["token"].as_str().unwrap();
    let b = Browser::start(1440, 1000).await;

    b.goto(&format!("{}/ui/", app.base)).await;
    assert!(b.body().await.contains("Admin token"), "the login page: {}", b.body().await);
    b.shot("login").await;
    // A wrong token: the form again, with why.
    b.fill("#token", "scimd_not_a_token").await;
    b.submit("form[action='/ui/login'] button[type=submit]").await;
    assert!(b.body().await.contains("not a valid admin token"), "{}", b.body().await);

    log_in(&b, &app, admin_secret).await;
    let front = b.body().await;
    assert!(front.contains("acme") && front.contains("other"), "the tenants: {front}");
    assert!(front.contains("ops ("), "who is logged in: {front}");
    b.shot("tenants").await;

    // Search.
    b.fill("#q", "acm").await;
    b.submit("form[role=search] button").await;
    let found = b.text_of("table").await;
    assert!(found.contains("acme") && !found.contains("other"), "{found}");

    // A new tenant.
    b.goto(&format!("{}/ui/tenants", app.base)).await;
    b.fill("#slug", "globex").await;
    b.fill("#name", "Globex Corporation").await;
    b.submit("form[method=post][action='/ui/tenants'] button[type=submit]").await;
    b.wait_for("/ui/tenants/globex").await;
    let scim_url = b.text_of("#scim-url").await;
    assert_eq!(scim_url, format!("{}/scim/v2/globex", app.base));

    // A token, shown once; the copy button copies it (or selects it).
    b.fill("#token-name", "Entra ID").await;
    b.submit("form[action='/ui/tenants/globex/tokens'] button[type=submit]").await;
    let secret = b.text_of("#new-token").await;
    assert!(secret.starts_with("scimd_"), "{secret}");
    b.click("button[data-copy=new-token]").await;
    let copied = b.client.find(Locator::Css("button[data-copy=new-token]")).await.unwrap();
    assert_eq!(copied.attr("data-copied").await.unwrap().as_deref(), Some("true"), "the copy button ran");
    b.shot("tenant-new-token").await;

    // It works over SCIM.
    let scim = |token: String| {
        let rb = app.http.request(Method::GET, format!("{scim_url}/Users")).bearer_auth(token);
        send(rb)
    };
    assert_eq!(scim(secret.clone()).await.status.as_u16(), 200);

    // Shown once: the tenant's page no longer has it.
    b.goto(&format!("{}/ui/tenants/globex", app.base)).await;
    let page = b.body().await;
    assert!(!page.contains(&secret), "the secret is shown once only");
    assert!(page.contains("Entra ID") && page.contains("active"), "{page}");

    // Revoked: SCIM refuses it within a second or two.
    b.submit("button[aria-label='Revoke token Entra ID']").await;
    b.wait_for("/ui/tenants/globex").await;
    assert!(b.text_of("table").await.contains("revoked"));
    eventually(Duration::from_secs(3), "the revoked token refused over SCIM", || async {
        (scim(secret.clone()).await.status.as_u16() == 401).then_some(())
    })
    .await;
    b.shot("tenant-revoked").await;

    // Every change is on record as the admin token.
    let audit = app.cli_json(&["audit", "list", "--tenant", "globex", "--limit", "100"]).to_string();
    assert!(audit.contains("\"created\"") && audit.contains("\"revoked\""), "{audit}");
    assert!(audit.contains(admin["id"].as_str().unwrap()), "as the admin token: {audit}");

    // Log out: back to the login page, and the pages ask to log in.
    b.submit("form[action='/ui/logout'] button").await;
    b.wait_for("/ui/login").await;
    b.goto(&format!("{}/ui/tenants/globex", app.base)).await;
    b.wait_for("/ui/login").await;
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_without_the_csrf_token_or_from_another_site_are_refused() {
    let app = TestServer::spawn().await;
    let admin = app.admin_token(&["--scope", "admin"]);
    let b = Browser::start(1440, 1000).await;
    log_in(&b, &app, admin["token"].as_str().unwrap()).await;
    let cookie = b.cookie_header().await;
    assert!(cookie.contains("scimd_session="), "{cookie}");
    b.goto(&format!("{}/ui/tenants", app.base)).await;
    let csrf = b
        .client
        .find(Locator::Css("form[action='/ui/tenants'] input[name=csrf]"))
        .await
        .unwrap()
        .attr("value")
        .await
        .unwrap()
        .unwrap();
    b.quit().await;

    // Redirects not followed: a created tenant answers 303 to its page.
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let post = |body: String, origin: Option<&str>| {
        let mut rb = http
            .post(format!("{}/ui/tenants", app.base))
            .header("cookie", &cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some(o) = origin {
            rb = rb.header("origin", o);
        }
        send(rb)
    };
    // Without the CSRF token, with a wrong one, from another site: 403,
    // and no tenant.
    for (body, origin) in [
        ("slug=evil1".to_owned(), None),
        ("slug=evil2&csrf=AAAA".to_owned(), None),
        (format!("slug=evil3&csrf={csrf}"), Some("https://attacker.example")),
    ] {
        let r = post(body.clone(), origin).await;
        assert_eq!(r.status.as_u16(), 403, "{body} from {origin:?}: {}", r.text);
    }
    let tenants = app.cli_json(&["tenant", "list"]).to_string();
    assert!(!tenants.contains("evil"), "{tenants}");
    // The same form with the token, from this site: created.
    let own = app.base.clone();
    let r = post(format!("slug=fine&csrf={csrf}"), Some(&own)).await;
    assert_eq!(r.status.as_u16(), 303, "{}", r.text);
    assert!(app.cli_json(&["tenant", "list"]).to_string().contains("fine"));

    // A session whose admin token is revoked is over.
    let r = send(http.get(format!("{}/ui/tenants", app.base)).header("cookie", &cookie)).await;
    assert_eq!(r.status.as_u16(), 200, "the session works before: {}", r.text);
    app.cli(&["admin-token", "revoke", admin["id"].as_str().unwrap()]);
    eventually(Duration::from_secs(3), "the revoked admin token's session ends", || async {
        let r = send(http.get(format!("{}/ui/tenants", app.base)).header("cookie", &cookie)).await;
        (r.status.as_u16() == 303 && r.header("location") == Some("/ui/login")).then_some(())
    })
    .await;
}

#[tokio::test]
async fn pages_carry_a_strict_content_security_policy_and_no_inline_script() {
    let app = TestServer::spawn().await;
    // reqwest follows the redirect to the login page.
    let r = send(app.http.get(format!("{}/ui/", app.base))).await;
    assert_eq!(r.status.as_u16(), 200);
    assert!(r.text.contains("<form method=\"post\" action=\"/ui/login\">"), "{}", r.text);
    let csp = r.header("content-security-policy").unwrap_or_default().to_owned();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(r.header("x-frame-options"), Some("DENY"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert!(!r.text.contains("<script>") && !r.text.contains("onclick"), "no inline script");
    let set_cookie = r.header("set-cookie").unwrap_or_default();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"), "{set_cookie}");
    // Plain HTTP public URL: not Secure (the browser would drop it).
    assert!(!set_cookie.contains("Secure"), "{set_cookie}");
    let css = send(app.http.get(format!("{}/ui/assets/ui.css", app.base))).await;
    assert_eq!(css.status.as_u16(), 200);
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    let missing = send(app.http.get(format!("{}/ui/nothing-here", app.base))).await;
    assert_eq!(missing.status.as_u16(), 404);
}

#[tokio::test]
async fn behind_an_https_public_url_the_session_cookie_is_secure() {
    let dir = TempDir::new();
    let database = database_url(dir.path());
    cli(&database, &["init"]);
    let server =
        ServerProcess::start_with(&database, dir.path(), &["--public-url", "https://scim.example.com"], TEST_ENV);
    let r = send(http_client().get(format!("http://{}/ui/login", server.addr))).await;
    let set_cookie = r.header("set-cookie").unwrap_or_default();
    assert!(set_cookie.starts_with("__Host-scimd_login="), "{set_cookie}");
    assert!(set_cookie.contains("; Secure"), "{set_cookie}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_are_readable_on_a_phone() {
    let app = TestServer::spawn().await;
    let admin = app.admin_token(&["--scope", "admin"]);
    let b = Browser::start(375, 812).await;
    log_in(&b, &app, admin["token"].as_str().unwrap()).await;
    b.goto(&format!("{}/ui/tenants/acme", app.base)).await;
    b.shot("tenant-375px").await;
    // Nothing wider than the screen: the page does not scroll sideways.
    let width = b.client.execute("return document.documentElement.scrollWidth", vec![]).await.unwrap();
    let wide = b
        .client
        .execute(
            "return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 376)\
             .map(e => e.tagName + '.' + e.className + '#' + e.id + ' ' + Math.round(e.getBoundingClientRect().right))",
            vec![],
        )
        .await
        .unwrap();
    assert!(width.as_u64().unwrap() <= 375, "the page is {width} px wide at 375: {wide}");
    // Every input has a label.
    let unlabelled = b
        .client
        .execute(
            "return [...document.querySelectorAll('input:not([type=hidden])')]\
             .filter(i => !(i.id && document.querySelector('label[for=\"' + i.id + '\"]'))).length",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(unlabelled.as_u64(), Some(0), "inputs without a label");
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_claims_a_domain_publishes_its_txt_record_and_verifies_it() {
    let (app, dns) = crate::domains::spawn_with_dns(&[]).await;
    let admin = app.admin_token(&["--scope", "admin"]);
    let b = Browser::start(1440, 1000).await;
    log_in(&b, &app, admin["token"].as_str().unwrap()).await;
    b.goto(&format!("{}/ui/tenants/acme/domains", app.base)).await;
    b.fill("#domain", "Acme.Example.COM").await;
    b.submit("form[action='/ui/tenants/acme/domains'] button[type=submit]").await;
    b.wait_for("/ui/tenants/acme/domains").await;
    let article = b.text_of("#domain-acme\\.example\\.com").await;
    assert!(article.contains("pending"), "{article}");
    let name = b.text_of("#txt-name-1").await;
    let value = b.text_of("#txt-value-1").await;
    assert_eq!(name, "_scimd-challenge.acme.example.com");
    assert!(value.starts_with("scimd-verification="), "{value}");
    b.shot("domains-pending").await;

    // Checked before the record exists: still pending, and why.
    b.submit("button[aria-label='Check acme.example.com now']").await;
    let article = b.text_of("#domain-acme\\.example\\.com").await;
    assert!(article.contains("pending") && article.contains("Last check"), "{article}");

    // Published: verified.
    dns.set_txt(&name, &[value.as_str()]);
    b.submit("button[aria-label='Check acme.example.com now']").await;
    let article = b.text_of("#domain-acme\\.example\\.com").await;
    assert!(article.contains("verified") && article.contains("(dns)"), "{article}");
    b.shot("domains-verified").await;

    // A consumer mail domain is refused with why, and nothing is claimed.
    b.fill("#domain", "gmail.com").await;
    b.submit("form[action='/ui/tenants/acme/domains'] button[type=submit]").await;
    assert!(b.text_of("[role=alert]").await.contains("consumer mail domain"));
    let listed = app.cli_json(&["domain", "list", "--tenant", "acme"]).to_string();
    assert!(listed.contains("acme.example.com") && !listed.contains("gmail"), "{listed}");
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_setup_link_guides_the_customer_through_entra_id_and_shows_the_connection() {
    let app = TestServer::spawn().await;
    let admin = app.admin_token(&["--scope", "admin"]);
    let link = app
        .admin(Method::POST, "/tenants/acme/setup-links", Some(admin["token"].as_str().unwrap()), Some(json!({})))
        .await
        .expect(201);
    let url = link.body["url"].as_str().unwrap().to_owned();
    let link_id = link.body["id"].as_str().unwrap().to_owned();

    // Without the link: nothing.
    let r = send(app.http.get(format!("{}/setup/", app.base))).await;
    assert_eq!(r.status.as_u16(), 401, "{}", r.text);

    let b = Browser::start(1440, 1000).await;
    b.goto(&url).await;
    // The link is traded for a session: the secret leaves the address bar.
    b.wait_for("/setup/").await;
    let home = b.body().await;
    assert!(home.contains("Acme Corp") && home.contains("Waiting for the first request"), "{home}");
    assert!(home.contains("0 users"), "{home}");
    b.shot("setup-home-waiting").await;

    b.submit("a[href='/setup/idp/entra']").await;
    b.wait_for("/setup/idp/entra").await;
    assert_eq!(b.text_of("#scim-url").await, format!("{}/scim/v2/acme", app.base));
    assert!(b.body().await.contains("Tenant URL") && b.body().await.contains("Provisioning Mode"));
    b.submit("form[action='/setup/token'] button").await;
    let secret = b.text_of("#new-token").await;
    assert!(secret.starts_with("scimd_"), "{secret}");
    b.shot("setup-entra-token").await;

    // The identity provider connects with it.
    let user = json!({"schemas": [USER_SCHEMA], "userName": "first@acme.example"});
    let rb = app.http.post(format!("{}/scim/v2/acme/Users", app.base)).bearer_auth(&secret);
    assert_eq!(send(with_json(rb, &user)).await.status.as_u16(), 201);
    // A refusal the page explains: a wrong token.
    let rb = app.http.get(format!("{}/scim/v2/acme/Users", app.base)).bearer_auth("scimd_wrong");
    assert_eq!(send(rb).await.status.as_u16(), 401);

    eventually(Duration::from_secs(5), "the status shows the connection", || async {
        b.goto(&format!("{}/setup/", app.base)).await;
        let home = b.body().await;
        (home.contains("connected") && home.contains("1 user ")).then_some(())
    })
    .await;
    b.shot("setup-home-connected").await;

    // The Google page tells the truth and offers no token.
    b.goto(&format!("{}/setup/idp/google", app.base)).await;
    let google = b.body().await;
    assert!(google.contains("catalogue") && !google.contains("Generate a token"), "{google}");
    b.quit().await;

    // Every action through the link is on record as the link.
    let audit = app.cli_json(&["audit", "list", "--tenant", "acme", "--limit", "100"]).to_string();
    assert!(audit.contains(&format!("setup_link:{link_id}")), "{audit}");

    // The pages send no referrer; a revoked link opens nothing.
    let r = send(app.http.get(&url)).await;
    assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
    app.admin(
        Method::POST,
        &format!("/tenants/acme/setup-links/{link_id}/revoke"),
        Some(admin["token"].as_str().unwrap()),
        None,
    )
    .await
    .expect(200);
    let r = send(app.http.get(&url)).await;
    assert_eq!(r.status.as_u16(), 410, "{}", r.text);
    assert!(r.text.contains("revoked"), "{}", r.text);
}

/// Issues a setup link for `acme` allowing `allow`: its URL and id.
async fn setup_link(app: &TestServer, admin: &str, allow: &[&str]) -> (String, String) {
    let body = json!({"allow": allow});
    let link = app.admin(Method::POST, "/tenants/acme/setup-links", Some(admin), Some(body)).await.expect(201);
    (link.body["url"].as_str().unwrap().to_owned(), link.body["id"].as_str().unwrap().to_owned())
}

/// The CSRF token of the setup session open in `b` (from the token form of
/// an identity provider's guide), and its cookie.
async fn setup_session(b: &Browser, app: &TestServer) -> (String, String) {
    b.goto(&format!("{}/setup/idp/okta", app.base)).await;
    let input = b.client.find(Locator::Css("form[action='/setup/token'] input[name=csrf]")).await.unwrap();
    let csrf = input.attr("value").await.unwrap().unwrap();
    (csrf, b.cookie_header().await)
}

/// A form posted to the setup pages outside the browser, with the session's cookie.
async fn post_setup_form(app: &TestServer, path: &str, cookie: &str, form: &[(&str, &str)]) -> Resp {
    let body = form.iter().map(|(k, v)| format!("{k}={}", urlencode(v))).collect::<Vec<_>>().join("&");
    let rb = app
        .http
        .post(format!("{}{path}", app.base))
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body);
    send(rb).await
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_setup_link_with_domains_claims_a_domain_and_verifies_it_by_its_txt_record() {
    let (app, dns) = crate::domains::spawn_with_dns(&[]).await;
    let admin = app.admin_token(&["--scope", "admin"]);
    let (url, link_id) = setup_link(&app, admin["token"].as_str().unwrap(), &["scim", "domains"]).await;
    let b = Browser::start(1440, 1000).await;
    b.goto(&url).await;
    b.wait_for("/setup/").await;
    let section = b.text_of("#domains-section").await;
    assert!(section.contains("Your domains") && section.contains("No domain claimed yet"), "{section}");

    b.fill("#domain", "Acme.Example.COM").await;
    b.submit("form[action='/setup/domains'] button[type=submit]").await;
    b.wait_for("/setup/").await;
    let article = b.text_of("#domain-acme\\.example\\.com").await;
    assert!(article.contains("pending"), "{article}");
    let name = b.text_of("#txt-name-1").await;
    let value = b.text_of("#txt-value-1").await;
    assert_eq!(name, "_scimd-challenge.acme.example.com");
    assert!(value.starts_with("scimd-verification="), "{value}");
    // The record's name and value each have a copy button; removing is the operators' alone.
    b.client.find(Locator::Css("button[data-copy='txt-name-1']")).await.expect("a copy button for the name");
    b.client.find(Locator::Css("button[data-copy='txt-value-1']")).await.expect("a copy button for the value");
    assert!(b.client.find(Locator::Css("button[aria-label='Remove acme.example.com']")).await.is_err());
    b.shot("setup-domains-pending").await;

    // Checked before the record exists: still pending, and why.
    b.submit("button[aria-label='Check acme.example.com now']").await;
    let article = b.text_of("#domain-acme\\.example\\.com").await;
    assert!(
        article.contains("pending") && article.contains("Last check") && article.contains("no TXT record"),
        "{article}"
    );

    // Published: verified, and no more Check now.
    dns.set_txt(&name, &[value.as_str()]);
    b.submit("button[aria-label='Check acme.example.com now']").await;
    let article = b.text_of("#domain-acme\\.example\\.com").await;
    assert!(article.contains("verified") && article.contains("(dns)"), "{article}");
    assert!(b.client.find(Locator::Css("button[aria-label='Check acme.example.com now']")).await.is_err());
    b.shot("setup-domains-verified").await;

    // A consumer mail domain is refused with why, as on the operators' page.
    b.fill("#domain", "gmail.com").await;
    b.submit("form[action='/setup/domains'] button[type=submit]").await;
    assert!(b.text_of("[role=alert]").await.contains("consumer mail domain"));
    b.shot("setup-domains-refused").await;

    // Without the session's CSRF token: refused; and there is no way to remove.
    let (csrf, cookie) = setup_session(&b, &app).await;
    let r = post_setup_form(&app, "/setup/domains", &cookie, &[("csrf", "wrong"), ("domain", "csrf.example")]).await;
    assert_eq!(r.status.as_u16(), 403, "{}", r.text);
    let r = post_setup_form(&app, "/setup/domains/acme.example.com/remove", &cookie, &[("csrf", &csrf)]).await;
    assert_eq!(r.status.as_u16(), 404, "{}", r.text);
    b.quit().await;
    let listed = app.cli_json(&["domain", "list", "--tenant", "acme"]);
    let names: Vec<&str> = listed.as_array().unwrap().iter().map(|d| d["domain"].as_str().unwrap()).collect();
    assert_eq!(names, ["acme.example.com"], "{listed}");

    // The claim and the checks are on record as the link.
    let audit = app.cli_json(&["audit", "list", "--tenant", "acme", "--limit", "100"]);
    let by_link: Vec<&serde_json::Value> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["subject"].as_str() == Some(&format!("setup_link:{link_id}")))
        .collect();
    assert!(by_link.iter().any(|e| e["detail"]["domain"]["added"] == "acme.example.com"), "{audit}");
    assert!(by_link.iter().any(|e| e["detail"]["domain"]["state"] == "verified"), "{audit}");
    assert!(by_link.iter().all(|e| e["admin_token"].is_null()), "{audit}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_setup_link_without_domains_shows_none_and_cannot_claim_or_check_one() {
    let app = TestServer::spawn().await;
    let admin = app.admin_token(&["--scope", "admin"]);
    let token = admin["token"].as_str().unwrap();
    app.admin(Method::POST, "/tenants/acme/domains", Some(token), Some(json!({"domain": "example.com"})))
        .await
        .expect(201);
    let (url, _) = setup_link(&app, token, &["scim"]).await;
    let b = Browser::start(1440, 1000).await;
    b.goto(&url).await;
    b.wait_for("/setup/").await;
    let home = b.body().await;
    assert!(home.contains("Choose your identity provider"), "{home}");
    assert!(!home.contains("Your domains") && !home.contains("example.com"), "{home}");
    assert!(b.client.find(Locator::Css("form[action='/setup/domains']")).await.is_err());

    // Even with the session's own CSRF token, the domain routes refuse it.
    let (csrf, cookie) = setup_session(&b, &app).await;
    b.quit().await;
    let r = post_setup_form(&app, "/setup/domains", &cookie, &[("csrf", &csrf), ("domain", "other.example")]).await;
    assert_eq!(r.status.as_u16(), 403, "{}", r.text);
    assert!(r.text.contains("does not cover your domains"), "{}", r.text);
    let r = post_setup_form(&app, "/setup/domains/example.com/verify", &cookie, &[("csrf", &csrf)]).await;
    assert_eq!(r.status.as_u16(), 403, "{}", r.text);
    // Nothing was claimed or checked.
    let listed = app.cli_json(&["domain", "list", "--tenant", "acme"]);
    let names: Vec<&str> = listed.as_array().unwrap().iter().map(|d| d["domain"].as_str().unwrap()).collect();
    assert_eq!(names, ["example.com"], "{listed}");
    assert!(listed[0]["last_checked"].is_null(), "{listed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_setup_status_names_the_identity_provider_from_its_user_agent() {
    let app = TestServer::spawn().await;
    let admin = app.admin_token(&["--scope", "admin"]);
    let admin = admin["token"].as_str().unwrap();
    let issued =
        app.admin(Method::POST, "/tenants/acme/tokens", Some(admin), Some(json!({"name": "okta"}))).await.expect(201);
    let secret = issued.body["token"].as_str().unwrap().to_owned();
    let (url, _) = setup_link(&app, admin, &["scim"]).await;

    let rb = app.http.get(format!("{}/scim/v2/acme/Users", app.base)).bearer_auth(&secret);
    assert_eq!(send(rb.header("user-agent", "Okta SCIM Client 1.0")).await.status.as_u16(), 200);

    let b = Browser::start(1440, 1000).await;
    b.goto(&url).await;
    b.wait_for("/setup/").await;
    eventually(Duration::from_secs(5), "the status names Okta", || async {
        b.goto(&format!("{}/setup/", app.base)).await;
        let home = b.body().await;
        home.contains("from Okta.").then_some(())
    })
    .await;
    assert_eq!(b.text_of("#user-agent code").await, "Okta SCIM Client 1.0");
    b.shot("setup-home-okta").await;

    // The operators see it beside the token's last use, and so does the admin API.
    log_in(&b, &app, admin).await;
    b.goto(&format!("{}/ui/tenants/acme", app.base)).await;
    let table = b.text_of("table").await;
    assert!(table.contains("Okta: Okta SCIM Client 1.0"), "{table}");
    b.shot("tenant-token-user-agent").await;
    b.quit().await;
    let okta_token = |list: &Resp| -> serde_json::Value {
        list.body["items"].as_array().unwrap().iter().find(|t| t["name"] == "okta").cloned().unwrap()
    };
    let list = app.admin(Method::GET, "/tenants/acme/tokens", Some(admin), None).await.expect(200);
    assert_eq!(okta_token(&list)["last_user_agent"], "Okta SCIM Client 1.0", "{}", list.text);

    // Another client with the token: recorded at once, not trusted: control
    // characters dropped, at most 200 characters, named by no provider.
    let long = format!("curl/8.5.0\tlong{}", "x".repeat(300));
    let rb = app.http.get(format!("{}/scim/v2/acme/Groups", app.base)).bearer_auth(&secret);
    assert_eq!(send(rb.header("user-agent", long)).await.status.as_u16(), 200);
    let kept = eventually(Duration::from_secs(5), "the new User-Agent is recorded", || async {
        let list = app.admin(Method::GET, "/tenants/acme/tokens", Some(admin), None).await.expect(200);
        let ua = okta_token(&list)["last_user_agent"].as_str().unwrap_or("").to_owned();
        ua.starts_with("curl").then_some(ua)
    })
    .await;
    assert_eq!(kept.chars().count(), 200, "{kept}");
    assert!(kept.starts_with("curl/8.5.0longxxx"), "{kept}");
}

#[tokio::test]
async fn an_expired_or_unknown_setup_link_is_refused() {
    let app = TestServer::spawn().await;
    let admin = app.admin_token(&["--scope", "admin"]);
    let body = json!({"expires_in": 1, "allow": ["domains"]});
    let link =
        app.admin(Method::POST, "/tenants/acme/setup-links", Some(admin["token"].as_str().unwrap()), Some(body)).await;
    let url = link.expect(201).body["url"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let r = send(app.http.get(&url)).await;
    assert_eq!(r.status.as_u16(), 410, "{}", r.text);
    assert!(r.text.contains("expired"), "{}", r.text);
    let r = send(app.http.get(format!("{}/setup/scimd_not_a_link", app.base))).await;
    assert_eq!(r.status.as_u16(), 404, "{}", r.text);
}
