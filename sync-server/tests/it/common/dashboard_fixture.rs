//! The dashboard fixture the security crawl and the language crawl share: a server with a
//! dispatcher logged in, other accounts, a technician, an enrolled phone and a job today whose
//! completion the phone pushed is held for the desk (photos, a signature, flags); and the
//! helpers that read a page's links.

use chrono::{Duration, Utc};
use fieldkit_core::model::{DeviceId, WorkOrderId};
use fieldkit_core::sync::client::SyncOptions;
use fieldkit_core::{FieldKit, demo};
use fieldkit_server::dashboard::ROUTES;
use reqwest::header::LOCATION;

use super::{Backend, DashboardLogin, TestServer, server};

pub const PASSWORD: &str = "a long dispatcher password";

/// Whether a concrete path matches a route pattern (`{id}`: any one non-empty segment).
pub fn matches(pattern: &str, path: &str) -> bool {
    let p: Vec<&str> = pattern.split('/').collect();
    let q: Vec<&str> = path.split('/').collect();
    p.len() == q.len()
        && p.iter().zip(&q).all(|(a, b)| {
            if a.starts_with('{') && a.ends_with('}') {
                !b.is_empty()
            } else {
                a == b
            }
        })
}

/// The `ROUTES` entry a request falls under.
pub fn route_of(method: &str, path: &str) -> Option<(&'static str, &'static str)> {
    ROUTES
        .iter()
        .copied()
        .find(|(m, p)| *m == method && matches(p, path))
}

/// A server with a dispatcher logged in, a technician, an enrolled phone and a job today,
/// whose completion the phone pushed is held for the desk.
pub struct Fixture {
    pub ts: TestServer,
    pub me: DashboardLogin,
    /// Another desk account (active).
    pub account: String,
    pub tech: String,
    /// The job the form created.
    pub job: String,
    pub device: DeviceId,
    pub device_token: String,
    /// The job's day on the board.
    pub day: String,
    /// The phone (kept open for the test's length).
    pub _phone: (tempfile::TempDir, FieldKit),
}

pub fn job_fields(number: &str, tech: &str, start: &str, end: &str) -> Vec<(String, String)> {
    [
        ("number", number),
        ("kind", "repair"),
        ("customer_name", "Customer Security"),
        ("customer_phone", "13900002222"),
        ("address", "9 Gate Road"),
        ("zone", "urban"),
        ("product_model", "XQB80"),
        ("product_serial", ""),
        ("reported_fault", "does not spin"),
        ("window_start", start),
        ("window_end", end),
        ("billing", "paid"),
        ("instructions", ""),
        ("technician_id", tech),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// A job starting in an hour, in the dispatchers' offset (UTC+8 by default).
pub fn new_job(number: &str, tech: &str) -> Vec<(String, String)> {
    let offset = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let start = (Utc::now() + Duration::hours(1)).with_timezone(&offset);
    let f = |t: chrono::DateTime<chrono::FixedOffset>| t.format("%Y-%m-%dT%H:%M").to_string();
    job_fields(number, tech, &f(start), &f(start + Duration::hours(2)))
}

/// Quick retries: the tests' server is local.
pub fn sync_options() -> SyncOptions {
    SyncOptions {
        first_backoff: std::time::Duration::from_millis(5),
        max_backoff: std::time::Duration::from_millis(50),
        ..SyncOptions::default()
    }
}

/// The fixture. Its job's completion is held for the desk the way `dashboard.rs` makes
/// one: a real phone whose van carries a fee schedule the desk never published walks the
/// visit and pushes it; the server refuses the fee consent and what needed it, and holds the
/// completion (`completion_held`).
pub async fn fixture(backend: Backend) -> Option<Fixture> {
    let ts = server(backend, |_| {}).await?;
    ts.create_dispatcher("desk", PASSWORD).await;
    let me = ts.dashboard_login("desk", PASSWORD).await;
    // Other accounts, one disabled: the accounts page carries every account form.
    let account = ts
        .create_account("other.desk", PASSWORD, "dispatcher")
        .await;
    let gone = ts.create_account("gone.desk", PASSWORD, "dispatcher").await;
    let (s, _) = ts
        .admin(
            reqwest::Method::POST,
            &format!("/v1/admin/dispatchers/{gone}/disable"),
            None,
        )
        .await;
    assert_eq!(s, 204);
    let tech = ts.create_technician("Technician Guard").await;
    // Its van stocked as in the demo: the desk has not published that fee schedule and part.
    let (dir, kit) = ts.enrolled_kit(&tech, &sync_options()).await;
    let device = kit.device_id();
    let device_token = kit.server_account().unwrap().expect("enrolled").token;
    let fields = new_job("WO-SEC-1", &tech);
    let day = fields
        .iter()
        .find(|(k, _)| k == "window_start")
        .map(|(_, v)| v[..10].to_owned())
        .unwrap();
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let res = ts.post_form(&me, "/jobs/new", &borrowed).await;
    assert_eq!(res.status().as_u16(), 303);
    // Where the form sends the dispatcher is a dashboard route too.
    let to = res.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(
        route_of("GET", &to).is_some(),
        "the new-job form redirects to {to}, not a listed route"
    );
    let job = to.strip_prefix("/jobs/").expect("to the job").to_owned();
    kit.sync(&sync_options(), &|_| {})
        .await
        .expect("the phone pulls");
    let id: WorkOrderId = job.parse().unwrap();
    demo::walk_repair_visit(&kit, id, &mut |_| Ok(())).expect("the visit");
    let report = kit
        .sync(&sync_options(), &|_| {})
        .await
        .expect("the phone pushes");
    assert_eq!(report.conflicts, 1, "the completion is held: {report:?}");
    let list = ts.settled_completions().await;
    assert_eq!(list[0]["state"], "held", "{list:?}");
    Some(Fixture {
        ts,
        me,
        account,
        tech,
        job,
        device,
        device_token,
        day,
        _phone: (dir, kit),
    })
}

/// An attribute's value in a tag (`name="…"`, as the pages write them), entities decoded.
pub fn attr(tag: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let at = tag.find(&key)? + key.len();
    let v = &tag[at..at + tag[at..].find('"')?];
    Some(
        v.replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}

/// Every (method, url) a page points to: `href`/`src` (GET) and form actions.
pub fn links_in_html(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for chunk in html.split('<').skip(1) {
        let tag = match chunk.find('>') {
            Some(end) => &chunk[..end],
            None => continue,
        };
        let tag = format!(" {}", tag.replace(['\n', '\t'], " "));
        if tag.starts_with(" form ") || tag == " form" {
            let method = attr(&tag, "method")
                .unwrap_or_else(|| "get".into())
                .to_uppercase();
            out.push((method, attr(&tag, "action").unwrap_or_default()));
        }
        for name in ["href", "src"] {
            if let Some(v) = attr(&tag, name) {
                out.push(("GET".into(), v));
            }
        }
    }
    out
}
