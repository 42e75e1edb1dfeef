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
    // The script marks the button once the clipboard call has settled.
    let copied = b.client.find(Locator::Css("button[data-copy=new-token]")).await.unwrap();
    eventually(Duration::from_secs(3), "the copy button ran", || async {
        (copied.attr("data-copied").await.unwrap().as_deref() == Some("true")).then_some(())
    })
    .await;
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
    let secret = admin["token"].as_str().unwrap().to_owned();
    let user = app.create_user_with(json!({"userName": "a.very.long.user.name.that.could.overflow@example.com"})).await;
    let uid = user["id"].as_str().unwrap().to_owned();
    let group = app.create_group("Sales", &[&uid]).await;
    let gid = group["id"].as_str().unwrap().to_owned();
    let hook = app
        .admin(Method::POST, "/webhooks", Some(&secret), Some(json!({"url": "https://hooks.example.com/scim-events"})))
        .await;
    let hook_id = hook.body["webhook"]["id"].as_str().unwrap().to_owned();
    let b = Browser::start(375, 812).await;
    // Logging in with the keyboard alone: type the token, press Enter.
    b.goto(&format!("{}/ui/", app.base)).await;
    b.wait_for("/ui/login").await;
    let field = b.client.find(Locator::Css("#token")).await.unwrap();
    field.send_keys(&format!("{secret}\u{E007}")).await.unwrap();
    b.wait_for("/ui/").await;
    let pages = [
        ("tenants-375px", "/ui/".to_owned()),
        ("tenant-375px", "/ui/tenants/acme".to_owned()),
        ("domains-375px", "/ui/tenants/acme/domains".to_owned()),
        ("users-375px", "/ui/tenants/acme/users".to_owned()),
        ("user-375px", format!("/ui/tenants/acme/users/{uid}")),
        ("groups-375px", "/ui/tenants/acme/groups".to_owned()),
        ("group-375px", format!("/ui/tenants/acme/groups/{gid}")),
        ("settings-375px", "/ui/tenants/acme/settings".to_owned()),
        ("audit-375px", "/ui/tenants/acme/audit".to_owned()),
        ("events-375px", "/ui/tenants/acme/events".to_owned()),
        ("webhooks-375px", "/ui/webhooks".to_owned()),
        ("webhook-375px", format!("/ui/webhooks/{hook_id}")),
    ];
    for (name, path) in pages {
        b.goto(&format!("{}{path}", app.base)).await;
        b.wait_for(&path).await;
        b.shot(name).await;
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
        assert!(width.as_u64().unwrap() <= 375, "{path} is {width} px wide at 375: {wide}");
        // Every control has a label; every button says what it does.
        let unlabelled = b
            .client
            .execute(
                "return [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]\
                 .filter(i => !(i.id && document.querySelector('label[for=\"' + i.id + '\"]')))\
                 .concat([...document.querySelectorAll('button')].filter(x => !(x.textContent.trim() || x.getAttribute('aria-label'))))\
                 .map(e => e.outerHTML)",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(unlabelled, json!([]), "{path}: controls without a label");
    }
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

    // Another client with the token: recorded within seconds (not on every
    // request: a caller cycling User-Agents cannot turn requests into
    // writes), not trusted: control characters dropped, at most 200
    // characters, named by no provider.
    let long = format!("curl/8.5.0\tlong{}", "x".repeat(300));
    let kept = eventually(Duration::from_secs(12), "the new User-Agent is recorded", || async {
        let rb = app.http.get(format!("{}/scim/v2/acme/Groups", app.base)).bearer_auth(&secret);
        assert_eq!(send(rb.header("user-agent", long.clone())).await.status.as_u16(), 200);
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

/// The rows of the first table on the page, as text.
async fn table_rows(b: &Browser, css: &str) -> Vec<String> {
    let mut rows = Vec::new();
    for el in b.client.find_all(Locator::Css(css)).await.unwrap() {
        rows.push(el.text().await.unwrap());
    }
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_searches_users_and_groups_pages_members_changes_settings_and_reads_the_audit() {
    let app = TestServer::spawn().await;
    let admin = app.admin_token(&["--scope", "admin", "--name", "ops"]);
    let ann = app.create_user_with(json!({"userName": "ann.lee", "displayName": "Ann Lee"})).await;
    let bob = app.create_user("bob.ray").await;
    let bob_id = bob["id"].as_str().unwrap().to_owned();
    app.patch_ops(&format!("/Users/{bob_id}"), json!([{"op": "replace", "path": "active", "value": false}]))
        .await
        .expect(200);
    let cat = app.create_user("cat.sun").await;
    app.delete(&format!("/Users/{}", cat["id"].as_str().unwrap())).await.expect(204);
    let mut members = vec![ann["id"].as_str().unwrap().to_owned()];
    for n in 0..104 {
        members.push(app.create_user(&format!("member{n:03}")).await["id"].as_str().unwrap().to_owned());
    }
    let refs: Vec<&str> = members.iter().map(String::as_str).collect();
    let sales = app.create_group("Sales", &refs).await;
    let sales_id = sales["id"].as_str().unwrap().to_owned();

    let b = Browser::start(1440, 1000).await;
    log_in(&b, &app, admin["token"].as_str().unwrap()).await;
    let users = format!("{}/ui/tenants/acme/users", app.base);
    let search = |q: &str, state: &str| {
        let mut url = reqwest::Url::parse(&users).unwrap();
        url.query_pairs_mut().append_pair("q", q).append_pair("state", state);
        url.to_string()
    };
    // All, with their state.
    b.goto(&search("", "")).await;
    let all = b.text_of("table").await;
    assert!(
        all.contains("ann.lee") && all.contains("Ann Lee") && all.contains("bob.ray") && all.contains("cat.sun"),
        "{all}"
    );
    let row = |name: &str| all.lines().find(|l| l.contains(name)).unwrap_or_default().to_owned();
    assert!(
        row("bob.ray").contains("deactivated")
            && row("cat.sun").contains("deleted")
            && row("ann.lee").contains("active")
    );
    assert!(b.body().await.contains("Next page"), "50 of 107 users on the first page");
    b.shot("users").await;
    // Plain text, a SCIM filter, each state; a broken filter says why.
    b.fill("#q", "ann").await;
    b.submit("form[role=search] button").await;
    let found = table_rows(&b, "table tbody tr").await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("ann.lee"));
    b.goto(&search(r#"userName sw "bob""#, "")).await;
    assert_eq!(table_rows(&b, "table tbody tr").await.len(), 1);
    assert!(b.text_of("table").await.contains("bob.ray"));
    b.goto(&search("", "deleted")).await;
    let deleted = table_rows(&b, "table tbody tr").await;
    assert!(deleted.len() == 1 && deleted[0].contains("cat.sun"), "{deleted:?}");
    b.goto(&search("", "deactivated")).await;
    let off = table_rows(&b, "table tbody tr").await;
    assert!(off.len() == 1 && off[0].contains("bob.ray"), "{off:?}");
    b.goto(&search("a", "active")).await;
    let active = b.text_of("table").await;
    assert!(active.contains("ann.lee") && !active.contains("bob.ray") && !active.contains("cat.sun"), "{active}");
    b.goto(&search(r#"userName eq "unterminated"#, "")).await;
    assert!(b.text_of("[role=alert]").await.contains("That filter does not work"), "{}", b.body().await);

    // A user's groups; a group's members, a page at a time.
    b.goto(&format!("{users}/{}", ann["id"].as_str().unwrap())).await;
    assert!(b.text_of(".groups").await.contains("Sales"));
    b.shot("user").await;
    b.click(".groups a").await;
    b.wait_for(&format!("/ui/tenants/acme/groups/{sales_id}")).await;
    assert_eq!(table_rows(&b, "table tbody tr").await.len(), 100, "the first page of members");
    b.shot("group").await;
    b.click("a[rel=next]").await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while table_rows(&b, "table tbody tr").await.len() != 5 {
        assert!(Instant::now() < deadline, "the second page of members: {}", b.body().await);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(b.body().await.contains("First page"));
    b.goto(&format!("{}/ui/tenants/acme/groups?q=sal", app.base)).await;
    assert!(b.text_of("table").await.contains("Sales"));

    // Settings: suspend, and SCIM refuses; resume.
    b.goto(&format!("{}/ui/tenants/acme/settings", app.base)).await;
    b.shot("settings").await;
    b.click("#suspended").await;
    b.submit("form.settings button[type=submit]").await;
    assert!(b.body().await.contains("Saved."), "{}", b.body().await);
    eventually(Duration::from_secs(3), "SCIM refused while suspended", || async {
        (app.get("/Users").await.status.as_u16() == 403).then_some(())
    })
    .await;
    assert_eq!(
        b.client.find(Locator::Css("#suspended")).await.unwrap().prop("checked").await.unwrap().as_deref(),
        Some("true")
    );
    b.click("#suspended").await;
    b.submit("form.settings button[type=submit]").await;
    eventually(Duration::from_secs(3), "SCIM answering again", || async {
        (app.get("/Users").await.status.as_u16() == 200).then_some(())
    })
    .await;

    // The audit log: the settings changes as the admin token, filtered by
    // outcome, and exported.
    b.goto(&format!("{}/ui/tenants/acme/audit", app.base)).await;
    let log = b.text_of("table").await;
    assert!(log.contains("admin token") && log.contains("PATCH") || log.contains("settings"), "{log}");
    b.shot("audit").await;
    // A refused request, then only refusals.
    app.post("/Users", &json!({"schemas": [USER_SCHEMA]})).await.expect(400);
    b.goto(&format!("{}/ui/tenants/acme/audit?outcome=refused", app.base)).await;
    let refused = table_rows(&b, "table tbody tr").await;
    assert!(!refused.is_empty() && refused.iter().all(|r| r.contains("refused")), "{refused:?}");
    b.goto(&format!("{}/ui/tenants/acme/audit?since=2000-01-01T00:00&until=2000-01-02T00:00", app.base)).await;
    assert!(b.body().await.contains("No entry matches."));
    b.goto(&format!("{}/ui/tenants/acme/audit?since=yesterday", app.base)).await;
    assert!(b.text_of("[role=alert]").await.contains("since"), "a bad time says which");
    let export = app
        .http
        .get(format!("{}/ui/tenants/acme/audit/export?outcome=ok", app.base))
        .header("cookie", b.cookie_header().await)
        .send()
        .await
        .unwrap();
    assert_eq!(export.status().as_u16(), 200);
    assert!(export.headers()["content-disposition"].to_str().unwrap().contains("acme-audit.ndjson"));
    let text = export.text().await.unwrap();
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(lines.len() >= 108, "every write of this test: {}", lines.len());
    assert!(lines.iter().all(|l| l["outcome"] == "ok"));
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tenant_page_charts_activity_the_tail_shows_new_events_and_the_front_page_flags_failing_tenants() {
    let app = TestServer::spawn().await;
    let admin = app.admin_token(&["--scope", "admin", "--name", "ops"]);
    for n in ["a1", "a2", "a3"] {
        app.create_user(n).await;
    }
    // Refusals of `other`: enough to need a look.
    for _ in 0..10 {
        let r = send(
            app.http
                .post(app.url_for("other", "/Users"))
                .bearer_auth(&app.other.token)
                .header("content-type", "application/scim+json")
                .body(r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]}"#),
        )
        .await;
        assert_eq!(r.status.as_u16(), 400);
    }
    let b = Browser::start(1440, 1000).await;
    log_in(&b, &app, admin["token"].as_str().unwrap()).await;
    let attention = b.text_of(".attention").await;
    assert!(attention.contains("Other Inc") && attention.contains("10 requests refused"), "{attention}");
    assert!(!attention.contains("Acme"), "{attention}");
    b.shot("front-page-attention").await;

    // The chart: three users created this hour, drawn.
    b.goto(&format!("{}/ui/tenants/acme", app.base)).await;
    let created = b.client.find_all(Locator::Css("svg.chart rect.created")).await.unwrap();
    assert_eq!(created.len(), 1, "one bar this hour");
    let title = b.client.find(Locator::Css("svg.chart title")).await.unwrap().html(true).await.unwrap();
    assert!(title.contains("Provisioning activity"), "{title}");
    let svg = b.client.find(Locator::Css("svg.chart")).await.unwrap().html(false).await.unwrap();
    assert!(svg.contains("3 created"), "the hour's counts in words");
    b.shot("tenant-activity").await;

    // The live tail: the events so far, then a new one as it commits.
    b.goto(&format!("{}/ui/tenants/acme/events", app.base)).await;
    let before = b.text_of("#tail").await;
    assert!(before.contains("user.created") && before.contains("a3"), "{before}");
    app.create_user("live.one").await;
    eventually(Duration::from_secs(10), "the new event in the tail", || async {
        b.text_of("#tail tbody tr:first-child").await.contains("live.one").then_some(())
    })
    .await;
    assert!(b.text_of("#tail-state").await.contains("Live"));
    b.shot("events-tail").await;
    // The poll itself: JSON after a sequence number, for this session only.
    let poll = app.http.get(format!("{}/ui/tenants/acme/events/poll?after=0", app.base)).send().await.unwrap();
    assert!(poll.url().path().ends_with("/ui/login"), "no session, no events: {}", poll.url());
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_sees_a_failing_webhook_and_sends_it_again() {
    use crate::receiver::{Behaviour, Receiver};
    let app = TestServer::spawn().await;
    let admin = app.admin_token(&["--scope", "admin", "--name", "ops"]);
    let admin_secret = admin["token"].as_str().unwrap().to_owned();
    let rx = Receiver::start().await;
    // A permanent refusal (RFC 8935): the delivery is dead at once.
    rx.set(Behaviour {
        status: 400,
        body: r#"{"err":"invalid_request","description":"not today"}"#.into(),
        ..Behaviour::default()
    });
    let r = app
        .admin(
            Method::POST,
            "/webhooks",
            Some(&admin_secret),
            Some(json!({"url": rx.url, "format": "set", "description": "SIEM"})),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    let id = r.body["webhook"]["id"].as_str().unwrap().to_owned();
    let u = app.create_user("leaver").await;
    app.delete(&format!("/Users/{}", u["id"].as_str().unwrap())).await.expect(204);
    eventually(Duration::from_secs(15), "the delivery refused", || async { (!rx.received().is_empty()).then_some(()) })
        .await;

    let b = Browser::start(1440, 1000).await;
    log_in(&b, &app, &admin_secret).await;
    b.goto(&format!("{}/ui/webhooks", app.base)).await;
    assert!(b.text_of("table").await.contains(&rx.url));
    b.click(&format!("a[href='/ui/webhooks/{id}']")).await;
    b.wait_for(&format!("/ui/webhooks/{id}")).await;
    let failed = eventually(Duration::from_secs(10), "the dead delivery on the page", || async {
        b.goto(&format!("{}/ui/webhooks/{id}?state=dead", app.base)).await;
        let rows = table_rows(&b, "table.deliveries tbody tr").await;
        (rows.len() == 1).then_some(rows)
    })
    .await;
    assert!(
        failed[0].contains("user.deleted") && failed[0].contains("failed") && failed[0].contains("400"),
        "{failed:?}"
    );
    assert!(failed[0].contains("invalid_request"), "the endpoint's reason: {failed:?}");
    b.shot("webhook-failing").await;

    // The endpoint is fixed; a ping gets through; the event is sent again.
    rx.set(Behaviour { status: 202, ..Behaviour::default() });
    b.submit("form[action$='/ping'] button").await;
    assert!(b.text_of(".ping").await.contains("accepted the ping"), "{}", b.body().await);
    b.goto(&format!("{}/ui/webhooks/{id}?state=dead", app.base)).await;
    b.submit("table.deliveries button[aria-label^='Deliver event']").await;
    assert!(b.body().await.contains("1 deliveries queued again"), "{}", b.body().await);
    let replayed = eventually(Duration::from_secs(15), "the replay accepted", || async {
        let got: Vec<_> =
            rx.accepted().into_iter().filter(|r| r.header("content-type") == "application/secevent+jwt").collect();
        (!got.is_empty()).then_some(got)
    })
    .await;
    assert_eq!(replayed.len(), 1);
    eventually(Duration::from_secs(10), "the replay delivered on the page", || async {
        b.goto(&format!("{}/ui/webhooks/{id}?state=delivered", app.base)).await;
        let rows = table_rows(&b, "table.deliveries tbody tr").await;
        (rows.len() == 1 && rows[0].contains("replayed")).then_some(())
    })
    .await;
    b.shot("webhook-replayed").await;
    b.quit().await;
}
