//! The dashboard's doors over plain HTTP, on both backends, for every entry of
//! [`fieldkit_server::dashboard::ROUTES`]: without a session (no cookie, or a made-up one)
//! a page answers 303 to `/login` and anything else 401/403, never 200; a form posted with a
//! session but without its CSRF token (or with a wrong one), or from another origin, answers
//! 403 and changes nothing; and a crawl of the pages a logged-in dispatcher (and a visitor of
//! the login page) can reach finds no same-site link, script, form action or script-fetched
//! path that `ROUTES` does not list, and no `ROUTES` entry that nothing links to.
//!
//! The fixture's job has a completion held for the desk (a real phone, see [`fixture`]), so
//! the job's page carries its release and reject forms: the crawl finds them, and a forged
//! ruling is refused with the completion still held.

use std::collections::{BTreeSet, VecDeque};

use crate::common::dashboard_fixture::{
    Fixture, PASSWORD, fixture, links_in_html, matches, new_job, route_of,
};
use crate::common::{self, Backend};
use chrono::{Duration, Utc};
use fieldkit_core::model::DeviceId;
use fieldkit_server::dashboard::ROUTES;
use reqwest::header::{COOKIE, LOCATION, ORIGIN};

/// The routes that answer without a session: the login form and its post, the language
/// switch (the browser's own cookie), and the board's script (static code, no data; see
/// `ROUTES`).
const PUBLIC: &[(&str, &str)] = &[
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/lang"),
    ("GET", "/assets/board.js"),
];

/// Routes no page of this crawl links to, by design: the root (redirects to the board) and
/// the login page (where a request without a session is sent). A job's images and customer's
/// copy are linked since the fixture's phone synced photos and a signature. An invoice's form
/// shows only for a settlement owed an invoice, and the fixture's settlement is refused (its
/// fee consent is): `invoices.rs` finds that form on the page and posts it. Its doors are still tried here.
const NOT_LINKED: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/login"),
    ("POST", "/money/invoices/{id}"),
    // The fixture has no complaint: nothing links to one (`complaints.rs` works them).
    ("GET", "/complaints/{id}"),
    ("POST", "/complaints/{id}/assess"),
    ("POST", "/complaints/{id}/extend"),
    ("POST", "/complaints/{id}/resolve"),
    ("POST", "/complaints/{id}/report"),
    // The fixture's job is not picked for a callback (the default 20 % sample).
    ("POST", "/callbacks/{id}/calls"),
    // The fixture raises no replenishment (no minimum is set).
    ("POST", "/stock/replenishments/{id}/approve"),
    ("POST", "/stock/replenishments/{id}/issue"),
    // The fixture issues no tool: nothing links to a tool's return or loss.
    ("POST", "/tools/{id}/return"),
    ("POST", "/tools/{id}/lost"),
];

/// 64 random hex digits: shaped like a session token or a CSRF token, and nobody's.
fn random_hex() -> String {
    fieldkit_server::dashboard::session::random_token()
}

/// A form's fields.
type Form = Vec<(String, String)>;

/// The concrete paths to try for a pattern: with a real id, and with a made-up one.
fn concrete(f: &Fixture, pattern: &str) -> Vec<String> {
    if !pattern.contains("{id}") {
        return vec![pattern.to_owned()];
    }
    let real = if pattern.starts_with("/technicians/") {
        f.tech.clone()
    } else if pattern.starts_with("/devices/") {
        f.device.to_string()
    } else if pattern.starts_with("/jobs/") || pattern.starts_with("/money/invoices/") {
        f.job.clone()
    } else if pattern.starts_with("/accounts/") {
        f.account.clone()
    } else if pattern.starts_with("/complaints/")
        || pattern.starts_with("/callbacks/")
        || pattern.starts_with("/stock/")
        || pattern.starts_with("/tools/")
    {
        // The fixture has no complaint: a forged form must not make one either.
        random_hex()
    } else {
        panic!("{pattern}: say which real id to try here")
    };
    let made_up = if pattern.starts_with("/devices/") {
        DeviceId::new().to_string()
    } else {
        random_hex()
    };
    let sha = random_hex() + &random_hex();
    vec![
        pattern.replace("{id}", &real).replace("{sha}", &sha[..64]),
        pattern
            .replace("{id}", &made_up)
            .replace("{sha}", &sha[..64]),
    ]
}

/// A form that would be accepted on `pattern` (CSRF token aside): refusals are then only
/// about the session, the token or the origin.
fn valid_fields(f: &Fixture, pattern: &str) -> Vec<(String, String)> {
    let kv = |k: &str, v: &str| (k.to_owned(), v.to_owned());
    match pattern {
        "/logout"
        | "/devices/{id}/revoke"
        | "/jobs/{id}/complaint-handled"
        | "/technicians/{id}/revoke-codes"
        | "/accounts/{id}/disable"
        | "/accounts/{id}/enable" => vec![],
        "/accounts" => vec![
            kv("login", "intruder"),
            kv("password", "an intruder's password"),
            kv("role", "administrator"),
        ],
        "/accounts/{id}/role" => vec![kv("role", "administrator")],
        "/account/password" => vec![
            kv("current", PASSWORD),
            kv("new", "a forged new password"),
            kv("repeat", "a forged new password"),
        ],
        "/jobs/{id}/assign" => vec![kv("technician_id", &f.tech)],
        "/jobs/{id}/reschedule" => {
            let w = new_job("", "");
            let at = |k: &str| w.iter().find(|(n, _)| n == k).unwrap().1.clone();
            vec![
                kv("start", &at("window_start")),
                kv("end", &at("window_end")),
            ]
        }
        "/jobs/{id}/cancel" => vec![kv("reason", "a forged cancellation")],
        "/jobs/{id}/completion" => vec![kv("ruling", "release"), kv("note", "a forged release")],
        "/jobs/new" => new_job("WO-SEC-2", ""),
        "/jobs/import" => {
            let offset = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
            let start = (Utc::now() + Duration::hours(1)).with_timezone(&offset);
            let f =
                |t: chrono::DateTime<chrono::FixedOffset>| t.format("%Y-%m-%d %H:%M").to_string();
            let csv = format!(
                "number,kind,window_start,window_end,customer_name,customer_phone,address,zone,\
                 product_model,billing,reported_fault\n\
                 WO-SEC-3,repair,{},{},Customer Import,13900003333,1 Import Road,urban,XQB80,\
                 paid,no drain\n",
                f(start),
                f(start + Duration::hours(2))
            );
            vec![kv("csv", &csv)]
        }
        "/technicians" => vec![kv("name", "Technician Intruder")],
        "/technicians/{id}/enrolment-codes" => vec![kv("valid_minutes", "30")],
        "/technicians/{id}/profile" => vec![
            kv("employee_number", "FK-FORGED"),
            kv("phone", "13900000000"),
            kv("zone_urban", "on"),
            kv("skills", "repair | KFR | 制冷证"),
            kv("qualifications", "制冷证 | ZL-1 | 2030-01-01"),
            kv("hours", "1-5 | 09:00 | 18:00"),
        ],
        "/account/language" => vec![kv("language", "en")],
        "/jobs/{id}/children" => vec![kv("kind", "rework"), kv("technician_id", &f.tech)],
        "/money/cash-handins" => vec![
            kv("technician_id", &f.tech),
            kv("day", HANDIN_DAY),
            kv("amount", "99.00"),
        ],
        "/money/invoices/{id}" => vec![
            kv("settlement_id", "a forged settlement"),
            kv("number", "FP-FORGED"),
            kv("issued_on", HANDIN_DAY),
        ],
        "/complaints" => vec![
            kv("channel", "phone"),
            kv("category", "other"),
            kv("job_number", ""),
            kv("summary", "a forged complaint"),
        ],
        "/complaints/calendar" => vec![kv(
            "document",
            r#"{"header": {}, "years": [{"year": 2027, "source_url": "forged", "holidays": [], "working_days": []}]}"#,
        )],
        "/complaints/{id}/assess" => vec![
            kv("valid", "yes"),
            kv("cause", "forged"),
            kv("responsible", "desk"),
            kv("revision", "1"),
        ],
        "/complaints/{id}/extend" => vec![
            kv("until", "2030-01-01"),
            kv("reason", "forged"),
            kv("revision", "1"),
        ],
        "/complaints/{id}/resolve" => vec![kv("resolution", "forged"), kv("revision", "1")],
        "/complaints/{id}/report" => vec![kv("opinion", "satisfied"), kv("revision", "1")],
        "/callbacks/rules" => vec![
            kv("every_installation", "on"),
            kv("sample_percent", "100"),
            kv("within_days", "3"),
            kv("seed", "1"),
        ],
        "/callbacks/{id}/calls" => {
            vec![kv("reached", "yes"), kv("rating", "5"), kv("revision", "1")]
        }
        "/stock/minimums" => vec![
            kv("technician_id", &f.tech),
            kv("sku", "PUMP-220"),
            kv("minimum", "50"),
        ],
        "/stock/replenishments/{id}/approve" | "/stock/replenishments/{id}/issue" => vec![],
        "/tools" => vec![
            kv("technician_id", &f.tech),
            kv("name", "forged drill"),
            kv("asset_number", "FA-FORGED"),
        ],
        "/tools/{id}/return" => vec![],
        "/tools/{id}/lost" => vec![kv("report", "forged"), kv("happened_at", "")],
        other => panic!("a new POST route {other}: give it a valid form here"),
    }
}

/// What a refused form must not have changed.
#[derive(Debug, PartialEq)]
struct Snapshot {
    jobs: usize,
    technicians: usize,
    codes: usize,
    /// The codes table as shown (a revoked code shows its new expiry).
    codes_table: String,
    /// The desk accounts as the API lists them (roles, disabled).
    accounts: serde_json::Value,
    /// The job as the desk's API reads it (technician, window, cancellation, completed).
    job: serde_json::Value,
    /// The completions as the desk's API lists them (the job's held one, not ruled on).
    completions: serde_json::Value,
    /// The phone's pull answer (401 once revoked).
    device_pull: u16,
    /// The board with the dispatcher's session (303 once logged out).
    session: u16,
    /// The cash reconciliation of [`HANDIN_DAY`] and the invoices report (hand-ins and
    /// invoices recorded).
    money: (serde_json::Value, serde_json::Value),
    /// The complaints, the holiday calendar in force and the callback rules (none taken in,
    /// none uploaded, none set).
    complaints: (serde_json::Value, serde_json::Value, serde_json::Value),
    /// The minimum levels as the replenishments see them (none set, none raised).
    stock: serde_json::Value,
    /// The registered tools (none issued).
    tools: serde_json::Value,
}

/// The day a forged cash hand-in names.
const HANDIN_DAY: &str = "2026-11-20";

async fn snapshot(f: &Fixture) -> Snapshot {
    let count = |path: &'static str| async move {
        let (s, v) = f.ts.admin(reqwest::Method::GET, path, None).await;
        assert_eq!(s, 200, "{path}: {v}");
        v.as_array().map_or(0, Vec::len)
    };
    let (s, page) = f.ts.page(&f.me, "/technicians").await;
    assert_eq!(s, 200);
    let codes_table = page
        .split("id=\"codes\"")
        .nth(1)
        .and_then(|t| t.split("</table>").next())
        .expect("the codes table")
        .to_owned();
    let pull =
        f.ts.client
            .get(f.ts.url("/v1/pull?cursor=0"))
            .bearer_auth(&f.device_token)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
    Snapshot {
        jobs: count("/v1/admin/work-orders").await,
        technicians: count("/v1/admin/technicians").await,
        accounts: f
            .ts
            .admin(reqwest::Method::GET, "/v1/admin/dispatchers", None)
            .await
            .1,
        job: f
            .ts
            .admin(
                reqwest::Method::GET,
                &format!("/v1/admin/work-orders/{}", f.job),
                None,
            )
            .await
            .1,
        completions: serde_json::Value::Array(f.ts.settled_completions().await),
        // Rows in the body (the header row is in <thead>).
        codes: codes_table.matches("<tr>").count() - 1,
        codes_table,
        device_pull: pull,
        session: f.ts.page(&f.me, "/board").await.0,
        money: (
            f.ts.admin(
                reqwest::Method::GET,
                &format!("/v1/admin/reports/cash?date={HANDIN_DAY}"),
                None,
            )
            .await
            .1,
            f.ts.admin(reqwest::Method::GET, "/v1/admin/reports/invoices", None)
                .await
                .1["invoices"]
                .clone(),
        ),
        complaints: (
            f.ts.admin(reqwest::Method::GET, "/v1/admin/complaints", None)
                .await
                .1["complaints"]
                .clone(),
            f.ts.admin(reqwest::Method::GET, "/v1/admin/holiday-calendar", None)
                .await
                .1,
            f.ts.admin(reqwest::Method::GET, "/v1/admin/callback-rules", None)
                .await
                .1,
        ),
        stock: f
            .ts
            .admin(reqwest::Method::GET, "/v1/admin/stock/replenishments", None)
            .await
            .1,
        tools: f
            .ts
            .admin(reqwest::Method::GET, "/v1/admin/tools", None)
            .await
            .1,
    }
}

async fn send(
    f: &Fixture,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    origin: Option<&str>,
    fields: &[(String, String)],
) -> reqwest::Response {
    let http = f.ts.no_redirects();
    let mut req = match method {
        "GET" => http.get(f.ts.url(path)),
        "POST" => http.post(f.ts.url(path)).form(fields),
        other => panic!("method {other}"),
    };
    if let Some(c) = cookie {
        req = req.header(COOKIE, c);
    }
    if let Some(o) = origin {
        req = req.header(ORIGIN, o);
    }
    req.send().await.expect("request")
}

fn with_csrf(token: &str, fields: &[(String, String)]) -> Vec<(String, String)> {
    let mut all = vec![("csrf".to_owned(), token.to_owned())];
    all.extend_from_slice(fields);
    all
}

/// Without a session every route but the public ones refuses; never 200.
async fn no_session_is_refused(f: &Fixture) {
    let made_up = format!("fk_session={}", random_hex());
    for &(method, pattern) in ROUTES {
        if PUBLIC.contains(&(method, pattern)) {
            continue;
        }
        let fields = if method == "POST" {
            // A token that would be any session's, to be sure the session is what is missing.
            with_csrf(&random_hex(), &valid_fields(f, pattern))
        } else {
            vec![]
        };
        for path in concrete(f, pattern) {
            for cookie in [None, Some(made_up.as_str())] {
                let res = send(f, method, &path, cookie, None, &fields).await;
                let status = res.status().as_u16();
                let to = res
                    .headers()
                    .get(LOCATION)
                    .map(|l| l.to_str().unwrap().to_owned());
                let ok = match method {
                    "GET" => (status == 303 && to.as_deref() == Some("/login")) || status == 401,
                    _ => status == 401 || status == 403,
                };
                assert!(
                    ok,
                    "{method} {path} without a session (cookie {cookie:?}): {status} {to:?}"
                );
            }
        }
    }
    // The public ones do answer, and the board's script carries no data.
    for (method, pattern) in PUBLIC {
        if *method == "GET" {
            let res = send(f, method, pattern, None, None, &[]).await;
            // The language switch sends the browser back where it came from.
            let want = if *pattern == "/lang" { 303 } else { 200 };
            assert_eq!(res.status().as_u16(), want, "{pattern}");
        }
    }
    let js = send(f, "GET", "/assets/board.js", None, None, &[])
        .await
        .text()
        .await
        .unwrap();
    assert!(!js.contains("Customer") && !js.contains("WO-SEC"), "{js}");
}

/// A form with the session but without its CSRF token, with another token, or from another
/// site is refused 403 and changes nothing.
async fn forged_forms_are_refused(f: &Fixture) {
    let before = snapshot(f).await;
    assert_eq!(before.device_pull, 200);
    assert_eq!(before.session, 200);
    assert_eq!(
        before.completions[0]["state"], "held",
        "{:?}",
        before.completions
    );
    let cookie = f.me.cookie.as_str();
    for &(method, pattern) in ROUTES {
        if method != "POST" || PUBLIC.contains(&(method, pattern)) {
            continue;
        }
        let fields = valid_fields(f, pattern);
        for path in concrete(f, pattern) {
            let tries: [(&str, Form, Option<&str>); 3] = [
                ("no csrf field", fields.clone(), None),
                (
                    "a wrong csrf token",
                    with_csrf(&random_hex(), &fields),
                    None,
                ),
                (
                    "another origin",
                    with_csrf(&f.me.csrf, &fields),
                    Some("http://evil.example"),
                ),
            ];
            for (what, body, origin) in tries {
                let res = send(f, "POST", &path, Some(cookie), origin, &body).await;
                assert_eq!(res.status().as_u16(), 403, "POST {path} with {what}");
            }
        }
    }
    assert_eq!(
        snapshot(f).await,
        before,
        "a refused form changed something"
    );

    // The login form: without its double-submit token, or from another site, no session.
    let http = f.ts.no_redirects();
    let res = http.get(f.ts.url("/login")).send().await.unwrap();
    let login_cookie = common::set_cookie(&res, "fk_login").unwrap();
    let token = common::csrf_in(&res.text().await.unwrap()).unwrap();
    let creds = [("login", "desk"), ("password", PASSWORD)];
    let attempts = [
        (creds.to_vec(), None),
        (
            [("csrf", token.as_str())]
                .into_iter()
                .chain(creds)
                .collect::<Vec<_>>(),
            Some("http://evil.example"),
        ),
    ];
    for (form, origin) in attempts {
        let mut req = http
            .post(f.ts.url("/login"))
            .header(COOKIE, &login_cookie)
            .form(&form);
        if let Some(o) = origin {
            req = req.header(ORIGIN, o);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status().as_u16(), 403, "login {origin:?}");
        assert!(common::set_cookie(&res, "fk_session").is_none());
    }

    // The control: the same form with the token and this server's origin goes through.
    let res = send(
        f,
        "POST",
        "/technicians",
        Some(cookie),
        Some(&f.ts.base),
        &with_csrf(&f.me.csrf, &valid_fields(f, "/technicians")),
    )
    .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(snapshot(f).await.technicians, before.technicians + 1);
}

/// The quoted paths a script fetches or opens (`'/board/rows?day='`, `"/x"`).
fn paths_in_script(js: &str) -> Vec<String> {
    let mut out = Vec::new();
    for q in ['\'', '"'] {
        for piece in js.split(q).skip(1).step_by(2) {
            if piece.starts_with('/') && !piece.starts_with("//") {
                out.push(piece.to_owned());
            }
        }
    }
    out
}

/// Crawls the dashboard as the logged-in dispatcher (and the login page without a session):
/// every same-site path found must be a listed route; every listed route must be found.
async fn crawl(f: &Fixture) {
    let base = reqwest::Url::parse(&f.ts.base).unwrap();
    let http = f.ts.no_redirects();
    let mut queue: VecDeque<(String, bool)> = VecDeque::from([
        (format!("/board?day={}", f.day), true),
        ("/login".to_owned(), false),
    ]);
    let mut fetched: BTreeSet<String> = BTreeSet::new();
    let mut found: BTreeSet<(String, String)> = BTreeSet::new();
    let mut unlisted: BTreeSet<String> = BTreeSet::new();
    let mut external: BTreeSet<String> = BTreeSet::new();
    while let Some((url, logged_in)) = queue.pop_front() {
        let page_url = base.join(&url).unwrap();
        if !fetched.insert(format!("{logged_in}{}", page_url.path())) {
            continue;
        }
        assert!(fetched.len() < 200, "the crawl does not end: {fetched:?}");
        let mut req = http.get(page_url.clone());
        if logged_in {
            req = req.header(COOKIE, &f.me.cookie);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        assert!(
            status == 200 || status == 303,
            "GET {page_url} (logged in: {logged_in}): {status}"
        );
        let ctype = res
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let mut links: Vec<(String, String)> = Vec::new();
        if let Some(to) = res.headers().get(LOCATION) {
            links.push(("GET".into(), to.to_str().unwrap().to_owned()));
        }
        if ctype.starts_with("text/html") {
            links.extend(links_in_html(&res.text().await.unwrap()));
        } else if ctype.starts_with("text/javascript") {
            let js = res.text().await.unwrap();
            links.extend(
                paths_in_script(&js)
                    .into_iter()
                    .map(|p| ("SCRIPT".to_owned(), p)),
            );
        }
        // Anything else (CSV) is only checked for its status.
        for (method, link) in links {
            if link.starts_with('#') {
                continue;
            }
            let Ok(target) = page_url.join(&link) else {
                unlisted.insert(format!("{method} {link} (unparsable, on {url})"));
                continue;
            };
            if target.origin() != base.origin() {
                external.insert(link);
                continue;
            }
            let path = target.path().to_owned();
            // A path a script uses: fetched (GET) or opened as events (GET).
            let method = if method == "SCRIPT" {
                "GET".to_owned()
            } else {
                method
            };
            match route_of(&method, &path) {
                Some((m, p)) => {
                    found.insert((m.to_owned(), p.to_owned()));
                    // Follow pages (not the event stream, which never ends).
                    if m == "GET" && p != "/board/events" {
                        let mut next = path.clone();
                        if let Some(q) = target.query() {
                            next = format!("{next}?{q}");
                        }
                        queue.push_back((next, logged_in));
                    }
                }
                None => {
                    unlisted.insert(format!("{method} {path} (on {url})"));
                }
            }
        }
    }
    eprintln!(
        "crawled {} pages; routes linked: {}",
        fetched.len(),
        found.len()
    );
    assert!(
        unlisted.is_empty(),
        "paths linked from the dashboard but missing from dashboard::ROUTES: {unlisted:#?}"
    );
    assert!(
        external.is_empty(),
        "the dashboard links off-site: {external:?}"
    );
    let never: Vec<_> = ROUTES
        .iter()
        .filter(|(m, p)| {
            !NOT_LINKED.contains(&(*m, *p)) && !found.contains(&(m.to_string(), p.to_string()))
        })
        .collect();
    assert!(
        never.is_empty(),
        "ROUTES entries no dashboard page links to (stale, or say why in NOT_LINKED): {never:?}"
    );
}

async fn dashboard_security(backend: Backend) {
    let Some(f) = fixture(backend).await else {
        return;
    };
    no_session_is_refused(&f).await;
    crawl(&f).await;
    // Last: it adds a technician (its control) and checks logout's refusal kept the session.
    forged_forms_are_refused(&f).await;
    f.ts.server.shutdown().await.unwrap();
}

#[test]
fn route_patterns_match_one_segment_per_id() {
    assert!(matches(
        "/technicians/{id}/enrolment-codes",
        "/technicians/abc/enrolment-codes"
    ));
    assert!(!matches(
        "/technicians/{id}/enrolment-codes",
        "/technicians//enrolment-codes"
    ));
    assert!(!matches("/devices/{id}/revoke", "/devices/a/b/revoke"));
    assert!(matches("/board", "/board"));
    assert!(!matches("/board", "/board/rows"));
    assert_eq!(
        links_in_html(
            "<a href=\"/jobs.csv?day=1&amp;x=2\">x</a><form id=\"f\" method=\"post\" \
             action=\"/logout\"><script src=\"/assets/board.js\"></script>"
        ),
        vec![
            ("GET".to_owned(), "/jobs.csv?day=1&x=2".to_owned()),
            ("POST".to_owned(), "/logout".to_owned()),
            ("GET".to_owned(), "/assets/board.js".to_owned()),
        ]
    );
    assert_eq!(
        paths_in_script("fetch('/board/rows?day=' + d); new EventSource(\"/board/events\");"),
        vec!["/board/rows?day=", "/board/events"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_security_sqlite() {
    dashboard_security(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_security_postgres() {
    dashboard_security(Backend::Postgres).await;
}
