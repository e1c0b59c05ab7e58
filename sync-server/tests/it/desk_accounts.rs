//! The desk's accounts, on SQLite and PostgreSQL: roles (a dispatcher is refused the
//! administrators' pages and forms), disabling an account ends its open sessions at once
//! (its open board's event stream too),
//! a password change needs the old password and ends the account's other sessions, the
//! 30-minute idle timeout by the server's clock (the board's background refreshes do not
//! count), the per-account login backoff (a typed 429 with Retry-After whatever the
//! address, bounded), and over HTTPS the `__Host-` cookies and HSTS.

use std::net::IpAddr;
use std::path::Path;

use fieldkit_server::clock::Clock;
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{self, Backend, DashboardLogin, TestServer, csrf_in, server, set_cookie};

const ADMIN_PW: &str = "administrator password";
const DESK_PW: &str = "dispatcher password";
/// 2027-01-15 08:00 UTC: the manual clock's start.
const START: i64 = 1_800_000_000_000;
const MINUTE: i64 = 60_000;

/// A client whose connections come from `ip` (any 127.x address reaches the server on
/// 127.0.0.1), not following redirects.
fn client_from(ip: [u8; 4]) -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .local_address(IpAddr::from(ip))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// One login attempt through the form from `http`: the raw answer.
async fn try_login(
    ts: &TestServer,
    http: &reqwest::Client,
    login: &str,
    password: &str,
) -> reqwest::Response {
    // The double-submit token: any well-formed token in both the cookie and the field.
    let token = "ab".repeat(32);
    http.post(ts.url("/login"))
        .header(reqwest::header::COOKIE, format!("fk_login={token}"))
        .form(&[
            ("csrf", token.as_str()),
            ("login", login),
            ("password", password),
        ])
        .send()
        .await
        .expect("login")
}

async fn status_of(ts: &TestServer, who: &DashboardLogin, path: &str) -> u16 {
    ts.page(who, path).await.0
}

async fn accounts(ts: &TestServer) -> Vec<Value> {
    let (s, v) = ts.admin(Method::GET, "/v1/admin/dispatchers", None).await;
    assert_eq!(s, 200, "{v}");
    v.as_array().expect("a list").clone()
}

// ------------------------------------------------------------------ roles

async fn roles(backend: Backend) {
    let Some(ts) = server(backend, |_| {}).await else {
        return;
    };
    let admin_id = ts.create_account("boss", ADMIN_PW, "administrator").await;
    // The API's default role is the lesser one.
    let (s, v) = ts
        .admin(
            Method::POST,
            "/v1/admin/dispatchers",
            Some(json!({ "login": "desk", "password": DESK_PW })),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["role"], "dispatcher", "{v}");
    let (s, v) = ts
        .admin(
            Method::POST,
            "/v1/admin/dispatchers",
            Some(json!({ "login": "x", "password": DESK_PW, "role": "owner" })),
        )
        .await;
    assert_eq!(s, 400, "an unknown role: {v}");
    let tech = ts.create_technician("王师傅").await;
    let device = fieldkit_core::model::DeviceId::new();
    ts.enrol(&tech, device).await;

    let desk = ts.dashboard_login("desk", DESK_PW).await;
    let boss = ts.dashboard_login("boss", ADMIN_PW).await;
    // A dispatcher works the jobs…
    for path in [
        "/board",
        "/jobs/new",
        "/flags",
        "/measures",
        "/account/password",
    ] {
        assert_eq!(status_of(&ts, &desk, path).await, 200, "{backend:?} {path}");
    }
    let (_, board) = ts.page(&desk, "/board").await;
    for admin_only in ["href=\"/accounts\"", "href=\"/audit\"", "href=\"/devices\""] {
        assert!(
            !board.contains(admin_only),
            "{admin_only} in a dispatcher's nav"
        );
    }
    // …and is refused the administrators' pages and forms, which change nothing.
    for path in ["/technicians", "/devices", "/accounts", "/audit"] {
        assert_eq!(status_of(&ts, &desk, path).await, 403, "{backend:?} {path}");
        assert_eq!(status_of(&ts, &boss, path).await, 200, "{backend:?} {path}");
    }
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        ("/technicians".into(), vec![("name", "李师傅")]),
        (format!("/technicians/{tech}/enrolment-codes"), vec![]),
        (format!("/technicians/{tech}/revoke-codes"), vec![]),
        (format!("/devices/{device}/revoke"), vec![]),
        (
            "/accounts".into(),
            vec![
                ("login", "mallory"),
                ("password", "a long enough password"),
                ("role", "administrator"),
            ],
        ),
        (format!("/accounts/{admin_id}/disable"), vec![]),
        (
            format!("/accounts/{admin_id}/role"),
            vec![("role", "dispatcher")],
        ),
    ];
    for (path, fields) in &posts {
        let res = ts.post_form(&desk, path, fields).await;
        assert_eq!(res.status().as_u16(), 403, "{backend:?} POST {path}");
    }
    let list = accounts(&ts).await;
    assert_eq!(list.len(), 2, "no account made: {list:?}");
    assert!(list.iter().all(|a| a["disabled_at"].is_null()), "{list:?}");
    assert_eq!(list[0]["role"], "administrator", "{list:?}");
    let (_, techs) = ts.admin(Method::GET, "/v1/admin/technicians", None).await;
    assert_eq!(techs.as_array().unwrap().len(), 1, "no technician added");
    let (_, devices) = ts.admin(Method::GET, "/v1/admin/devices", None).await;
    assert!(devices[0]["revoked_at"].is_null(), "{devices}");

    // An administrator makes an account on the page, and changes its role.
    let res = ts
        .post_form(
            &boss,
            "/accounts",
            &[
                ("login", "night.desk"),
                ("password", "night shift password"),
                ("role", "dispatcher"),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let night = accounts(&ts).await;
    let night = night.iter().find(|a| a["login"] == "night.desk").unwrap();
    assert_eq!(night["role"], "dispatcher");
    let id = night["id"].as_str().unwrap();
    let res = ts
        .post_form(
            &boss,
            &format!("/accounts/{id}/role"),
            &[("role", "administrator")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let n = ts
        .dashboard_login("night.desk", "night shift password")
        .await;
    assert_eq!(status_of(&ts, &n, "/accounts").await, 200, "{backend:?}");
    // Not one's own role, nor one's own account.
    let res = ts
        .post_form(
            &boss,
            &format!("/accounts/{admin_id}/role"),
            &[("role", "dispatcher")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 409);
    let res = ts
        .post_form(&boss, &format!("/accounts/{admin_id}/disable"), &[])
        .await;
    assert_eq!(res.status().as_u16(), 409);
    assert_eq!(status_of(&ts, &boss, "/accounts").await, 200);
}

#[tokio::test]
async fn roles_sqlite() {
    roles(Backend::Sqlite).await;
}

#[tokio::test]
async fn roles_postgres() {
    roles(Backend::Postgres).await;
}

// ------------------------------------------------------------------ disabling

async fn disabling(backend: Backend) {
    let Some(ts) = server(backend, |_| {}).await else {
        return;
    };
    ts.create_dispatcher("boss", ADMIN_PW).await;
    let id = ts.create_account("desk", DESK_PW, "dispatcher").await;
    let boss = ts.dashboard_login("boss", ADMIN_PW).await;
    let desk = ts.dashboard_login("desk", DESK_PW).await;
    let other_tab = ts.dashboard_login("desk", DESK_PW).await;
    assert_eq!(status_of(&ts, &desk, "/board").await, 200);
    // The dispatcher's open board listens for job changes.
    let mut events = ts
        .client
        .get(ts.url("/board/events"))
        .header(reqwest::header::COOKIE, &desk.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(events.status().as_u16(), 200);

    let res = ts
        .post_form(&boss, &format!("/accounts/{id}/disable"), &[])
        .await;
    assert_eq!(res.status().as_u16(), 303, "{backend:?}");
    // A job changes: the disabled dispatcher's board stream ends instead of telling it.
    let job = fieldkit_core::demo::repair_order(
        1,
        chrono::Utc::now(),
        fieldkit_core::model::Billing::Paid,
    );
    ts.create_job(&job, None).await;
    let mut heard = String::new();
    let ended = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while let Some(chunk) = events.chunk().await.expect("the stream") {
            heard.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await;
    assert!(ended.is_ok(), "{backend:?}: the board stream ended");
    assert!(!heard.contains(&job.id.to_string()), "{heard}");
    // Its open sessions are refused at once: pages send it to the login, forms get 401.
    for who in [&desk, &other_tab] {
        let res = ts
            .no_redirects()
            .get(ts.url("/board"))
            .header(reqwest::header::COOKIE, &who.cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 303, "{backend:?}");
        assert_eq!(res.headers()["location"], "/login");
        let res = ts.post_form(who, "/logout", &[]).await;
        assert_eq!(res.status().as_u16(), 401, "{backend:?}");
    }
    // It cannot log in, with the same answer as a wrong password.
    let res = try_login(&ts, &ts.no_redirects(), "desk", DESK_PW).await;
    assert_eq!(res.status().as_u16(), 401, "{backend:?}");
    let (_, page) = ts.page(&boss, "/accounts").await;
    assert!(page.contains("data-state=\"disabled\""), "{page}");

    // Enabled again (the API this time): it logs in; disabled by the API: refused again.
    let (s, _) = ts
        .admin(
            Method::POST,
            &format!("/v1/admin/dispatchers/{id}/enable"),
            None,
        )
        .await;
    assert_eq!(s, 204);
    let desk = ts.dashboard_login("desk", DESK_PW).await;
    let (s, _) = ts
        .admin(
            Method::POST,
            &format!("/v1/admin/dispatchers/{id}/disable"),
            None,
        )
        .await;
    assert_eq!(s, 204);
    assert_eq!(status_of(&ts, &desk, "/board").await, 303, "{backend:?}");
    let (s, _) = ts
        .admin(
            Method::POST,
            "/v1/admin/dispatchers/no-such-id/disable",
            None,
        )
        .await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn a_disabled_dispatchers_open_session_is_refused_at_once_sqlite() {
    disabling(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_disabled_dispatchers_open_session_is_refused_at_once_postgres() {
    disabling(Backend::Postgres).await;
}

// ------------------------------------------------------------------ password change

async fn password_change(backend: Backend) {
    let Some(ts) = server(backend, |_| {}).await else {
        return;
    };
    ts.create_account("desk", DESK_PW, "dispatcher").await;
    let here = ts.dashboard_login("desk", DESK_PW).await;
    let elsewhere = ts.dashboard_login("desk", DESK_PW).await;
    let new = "a brand new password";
    let change = |current: &'static str, new: &'static str, repeat: &'static str| {
        let (ts, here) = (&ts, &here);
        async move {
            ts.post_form(
                here,
                "/account/password",
                &[("current", current), ("new", new), ("repeat", repeat)],
            )
            .await
            .status()
            .as_u16()
        }
    };
    assert_eq!(
        change("not my password", new, new).await,
        403,
        "{backend:?}"
    );
    assert_eq!(change(DESK_PW, new, "a different one!!").await, 400);
    assert_eq!(change(DESK_PW, "short", "short").await, 400);
    // Nothing changed: both sessions on, the old password works.
    assert_eq!(status_of(&ts, &elsewhere, "/board").await, 200);
    let res = try_login(&ts, &ts.no_redirects(), "desk", new).await;
    assert_eq!(res.status().as_u16(), 401);

    assert_eq!(change(DESK_PW, new, new).await, 200, "{backend:?}");
    assert_eq!(
        status_of(&ts, &here, "/board").await,
        200,
        "this session stays"
    );
    assert_eq!(
        status_of(&ts, &elsewhere, "/board").await,
        303,
        "{backend:?}: the other session ended"
    );
    let res = try_login(&ts, &ts.no_redirects(), "desk", DESK_PW).await;
    assert_eq!(res.status().as_u16(), 401, "the old password is gone");
    ts.dashboard_login("desk", new).await;
}

#[tokio::test]
async fn password_change_sqlite() {
    password_change(Backend::Sqlite).await;
}

#[tokio::test]
async fn password_change_postgres() {
    password_change(Backend::Postgres).await;
}

// ------------------------------------------------------------------ idle timeout

async fn idle_timeout(backend: Backend) {
    let clock = Clock::manual(START);
    let Some(ts) = server(backend, |c| c.clock = clock.clone()).await else {
        return;
    };
    ts.create_account("desk", DESK_PW, "dispatcher").await;
    let who = ts.dashboard_login("desk", DESK_PW).await;
    clock.advance(29 * MINUTE);
    assert_eq!(
        status_of(&ts, &who, "/board").await,
        200,
        "{backend:?}: idle 29 min"
    );
    // That request was activity: another 29 minutes are fine.
    clock.advance(29 * MINUTE);
    assert_eq!(
        status_of(&ts, &who, "/flags").await,
        200,
        "{backend:?}: extended"
    );
    clock.advance(31 * MINUTE);
    assert_eq!(
        status_of(&ts, &who, "/board").await,
        303,
        "{backend:?}: idle 31 min"
    );
    // Once gone, gone (time does not bring it back).
    assert_eq!(status_of(&ts, &who, "/board").await, 303);

    // The open board refreshing itself is not the dispatcher's activity.
    let who = ts.dashboard_login("desk", DESK_PW).await;
    clock.advance(20 * MINUTE);
    assert_eq!(status_of(&ts, &who, "/board/rows").await, 200);
    clock.advance(11 * MINUTE);
    assert_eq!(
        status_of(&ts, &who, "/board").await,
        303,
        "{backend:?}: background refreshes do not keep a login alive"
    );
}

#[tokio::test]
async fn idle_sessions_end_after_30_minutes_sqlite() {
    idle_timeout(Backend::Sqlite).await;
}

#[tokio::test]
async fn idle_sessions_end_after_30_minutes_postgres() {
    idle_timeout(Backend::Postgres).await;
}

// ------------------------------------------------------------------ login backoff

fn retry_after(res: &reqwest::Response) -> i64 {
    res.headers()
        .get(reqwest::header::RETRY_AFTER)
        .expect("Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .expect("seconds")
}

async fn backoff(backend: Backend) {
    let clock = Clock::manual(START);
    let Some(ts) = server(backend, |c| {
        c.clock = clock.clone();
        c.login_per_minute = 10_000;
        c.login_backoff_max_secs = 120;
    })
    .await
    else {
        return;
    };
    ts.create_account("desk", DESK_PW, "dispatcher").await;
    ts.create_account("colleague", ADMIN_PW, "administrator")
        .await;
    let attacker = client_from([127, 0, 0, 2]);
    let elsewhere = client_from([127, 0, 0, 3]);
    for _ in 0..5 {
        let res = try_login(&ts, &attacker, "desk", "guess guess guess").await;
        assert_eq!(res.status().as_u16(), 401, "{backend:?}");
    }
    // The account is held back from every address, even with the right password…
    for http in [&attacker, &elsewhere] {
        let res = try_login(&ts, http, "desk", DESK_PW).await;
        assert_eq!(res.status().as_u16(), 429, "{backend:?}");
        assert_eq!(retry_after(&res), 30);
        let page = res.text().await.unwrap();
        assert!(page.contains("此账号登录失败次数过多"), "{page}");
    }
    // …and only that account.
    let res = try_login(&ts, &attacker, "colleague", ADMIN_PW).await;
    assert_eq!(res.status().as_u16(), 303, "{backend:?}");
    // After the wait, the right password gets in and starts the count over.
    clock.advance(30_000);
    let res = try_login(&ts, &elsewhere, "desk", DESK_PW).await;
    assert_eq!(res.status().as_u16(), 303, "{backend:?}");
    assert!(set_cookie(&res, "fk_session").is_some());

    // An attacker who keeps guessing doubles the wait, up to the bound (120 s here), never
    // more: the real user is never kept out longer than that after the last guess.
    let mut waits = Vec::new();
    for _ in 0..12 {
        let res = try_login(&ts, &attacker, "desk", "guess guess guess").await;
        match res.status().as_u16() {
            401 => {}
            429 => {
                let w = retry_after(&res);
                waits.push(w);
                clock.advance(w * 1000);
            }
            s => panic!("{backend:?}: {s}"),
        }
    }
    assert_eq!(&waits[..3], &[30, 60, 120], "{backend:?}: {waits:?}");
    assert!(waits.iter().all(|w| *w <= 120), "{waits:?}");
    // Right after one more wrong guess the real user waits the bound, not more.
    let mut res = try_login(&ts, &attacker, "desk", "guess guess guess").await;
    if res.status().as_u16() == 429 {
        clock.advance(retry_after(&res) * 1000);
        res = try_login(&ts, &attacker, "desk", "guess guess guess").await;
    }
    assert_eq!(res.status().as_u16(), 401);
    let res = try_login(&ts, &elsewhere, "desk", DESK_PW).await;
    assert_eq!(res.status().as_u16(), 429);
    assert_eq!(retry_after(&res), 120, "{backend:?}: the bound");
    clock.advance(120_000);
    let res = try_login(&ts, &elsewhere, "desk", DESK_PW).await;
    assert_eq!(res.status().as_u16(), 303, "{backend:?}: bounded");

    // Where the failures came from is in the audit log.
    let (_, log) = ts
        .admin(Method::GET, "/v1/admin/audit-log?limit=1000", None)
        .await;
    let failed: Vec<&Value> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["action"] == "login_failed")
        .collect();
    assert!(failed.len() >= 5, "{log}");
    assert!(
        failed.iter().all(|l| l["from_addr"] == "127.0.0.2"),
        "{log}"
    );
    assert!(failed.iter().all(|l| l["actor"] == "desk"), "{log}");
}

#[tokio::test]
async fn failed_logins_back_off_per_account_sqlite() {
    backoff(Backend::Sqlite).await;
}

#[tokio::test]
async fn failed_logins_back_off_per_account_postgres() {
    backoff(Backend::Postgres).await;
}

// ------------------------------------------------------------------ https

/// A self-signed certificate for 127.0.0.1, as chain and key PEM files in `dir`.
fn certificate(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".into()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let (c, k) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&c, cert.pem()).unwrap();
    std::fs::write(&k, key.serialize_pem()).unwrap();
    (c, k)
}

fn cookie_header<'a>(res: &'a reqwest::Response, name: &str) -> &'a str {
    res.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie"))
}

fn host_only_secure(header: &str) {
    let attrs: Vec<String> = header
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect();
    for want in ["secure", "httponly", "samesite=strict", "path=/"] {
        assert!(attrs.iter().any(|a| a == want), "{want} in {header}");
    }
    assert!(
        !attrs.iter().any(|a| a.starts_with("domain")),
        "no Domain: {header}"
    );
}

#[tokio::test]
async fn over_https_the_cookies_are_host_prefixed_and_hsts_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = certificate(dir.path());
    let ts = common::server(Backend::Sqlite, |c| {
        c.tls_cert = Some(cert);
        c.tls_key = Some(key);
    })
    .await
    .expect("the SQLite server");
    assert!(ts.base.starts_with("https://"));
    ts.create_account("desk", DESK_PW, "dispatcher").await;
    let pem = std::fs::read(dir.path().join("cert.pem")).unwrap();
    let http = reqwest::Client::builder()
        .tls_certs_merge(reqwest::Certificate::from_pem_bundle(&pem).unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let res = http.get(ts.url("/login")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let hsts = res.headers()["strict-transport-security"].to_str().unwrap();
    assert!(hsts.starts_with("max-age="), "{hsts}");
    host_only_secure(cookie_header(&res, "__Host-fk_login"));
    let login_cookie = set_cookie(&res, "__Host-fk_login").unwrap();
    let token = csrf_in(&res.text().await.unwrap()).unwrap();
    let res = http
        .post(ts.url("/login"))
        .header(reqwest::header::COOKIE, &login_cookie)
        .form(&[
            ("csrf", token.as_str()),
            ("login", "desk"),
            ("password", DESK_PW),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    host_only_secure(cookie_header(&res, "__Host-fk_session"));
    let session = set_cookie(&res, "__Host-fk_session").unwrap();
    let get = |cookie: String| {
        let http = http.clone();
        let url = ts.url("/board");
        async move {
            let res = http
                .get(url)
                .header(reqwest::header::COOKIE, cookie)
                .send()
                .await
                .unwrap();
            assert!(res.headers().contains_key("strict-transport-security"));
            res.status().as_u16()
        }
    };
    assert_eq!(get(session.clone()).await, 200);
    // The same token under the unprefixed name (a cookie any sibling host could set): no.
    let plain = session.replacen("__Host-fk_session", "fk_session", 1);
    assert_eq!(get(plain).await, 303);
}

#[tokio::test]
async fn over_plain_http_no_hsts_and_the_plain_cookie_name() {
    let ts = server(Backend::Sqlite, |_| {}).await.unwrap();
    let res = ts
        .no_redirects()
        .get(ts.url("/login"))
        .send()
        .await
        .unwrap();
    assert!(!res.headers().contains_key("strict-transport-security"));
    assert!(set_cookie(&res, "fk_login").is_some());
    assert!(set_cookie(&res, "__Host-fk_login").is_none());
}
