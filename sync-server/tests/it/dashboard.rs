//! The dispatcher dashboard over plain HTTP, on both backends: logging in and out, adding a
//! technician and enrolling a phone with a code from the page, creating a job with the form
//! (and refusing a bad one without creating anything), the board, CSV export and import (an
//! export imports back without duplicates; a bad file imports nothing), the flags, devices
//! (revoking one stops its sync) and measures pages.
//!
//! A completion held for the desk, from a real phone through the server: the board and the
//! job's page show it held with every reason, the dispatcher releases one and rejects another
//! with the page's forms (CSRF token, note required), the rulings show who, when and why, the
//! API agrees, and a second ruling is refused.
//!
//! The browser end to end (live board, job detail) is `dashboard_browser.rs`.

use std::time::Duration as StdDuration;

use crate::common::{self, Backend, DashboardLogin, TestServer, server};
use chrono::{Duration, Utc};
use fieldkit_core::demo;
use fieldkit_core::model::{Billing, DeviceId, WorkOrder, WorkOrderId};
use fieldkit_core::sync::client::SyncOptions;
use reqwest::Method;
use serde_json::{Value, json};

const PASSWORD: &str = "a long dispatcher password";

fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let at = s.find(start)? + start.len();
    Some(&s[at..][..s[at..].find(end)?])
}

/// The ids of the board's rows with their statuses.
fn board_rows(html: &str) -> Vec<(String, String)> {
    html.split("<tr id=\"job-")
        .skip(1)
        .filter_map(|r| {
            let id = r.split('"').next()?.to_owned();
            let status = between(r, "data-status=\"", "\"")?.to_owned();
            Some((id, status))
        })
        .collect()
}

async fn job_count(ts: &TestServer) -> usize {
    let (s, v) = ts
        .admin(reqwest::Method::GET, "/v1/admin/work-orders", None)
        .await;
    assert_eq!(s, 200);
    v.as_array().map_or(0, Vec::len)
}

fn job_fields<'a>(
    number: &'a str,
    tech: &'a str,
    start: &'a str,
    end: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("number", number),
        ("kind", "repair"),
        ("customer_name", "Customer Zhang"),
        ("customer_phone", "13900001111"),
        ("address", "8 Garden Road"),
        ("zone", "urban"),
        ("product_model", "XQB80"),
        ("product_serial", ""),
        ("reported_fault", "does not drain"),
        ("window_start", start),
        ("window_end", end),
        ("billing", "paid"),
        ("instructions", ""),
        ("technician_id", tech),
    ]
}

async fn dashboard_pages(backend: Backend) {
    let Some(ts) = server(backend, |_| {}).await else {
        return;
    };
    ts.create_dispatcher("desk", PASSWORD).await;

    // A wrong password gets the form again, 401, and no session.
    let http = ts.no_redirects();
    let res = http.get(ts.url("/login")).send().await.unwrap();
    let login_cookie = common::set_cookie(&res, "fk_login").unwrap();
    let token = common::csrf_in(&res.text().await.unwrap()).unwrap();
    let res = http
        .post(ts.url("/login"))
        .header(reqwest::header::COOKIE, &login_cookie)
        .form(&[
            ("csrf", token.as_str()),
            ("login", "desk"),
            ("password", "wrong password!!"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    assert!(common::set_cookie(&res, "fk_session").is_none());

    let me: DashboardLogin = ts
        .dashboard_login("desk", PASSWORD)
        .await
        // The assertions below read the pages' English sentences.
        .in_english();
    let (s, board) = ts.page(&me, "/board").await;
    assert_eq!(s, 200);
    assert!(board.contains("id=\"board\""), "{board}");

    // A technician, and a phone enrolled with a code from the page.
    let res = ts
        .post_form(&me, "/technicians", &[("name", "Technician Li")])
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let techs = ts
        .admin(reqwest::Method::GET, "/v1/admin/technicians", None)
        .await
        .1;
    let tech = techs[0]["id"].as_str().unwrap().to_owned();
    let res = ts
        .post_form(
            &me,
            &format!("/technicians/{tech}/enrolment-codes"),
            &[("valid_minutes", "30")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 200);
    let page = res.text().await.unwrap();
    let code = between(&page, "id=\"code\">", "<")
        .expect("the code is shown")
        .to_owned();
    let device = DeviceId::new();
    let res = ts
        .client
        .post(ts.url("/v1/enroll"))
        .json(
            &fieldkit_core::sync::device_key::DeviceKey::generate()
                .unwrap()
                .enrolment(&code, device),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let token = res.json::<serde_json::Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, techs_page) = ts.page(&me, "/technicians").await;
    assert!(
        techs_page.contains(&device.to_string()),
        "the code shows who used it"
    );

    // A job from the form, in the dispatchers' offset (UTC+8 by default).
    let offset = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let start = (Utc::now() + Duration::hours(1)).with_timezone(&offset);
    let day = start.format("%Y-%m-%d").to_string();
    let (s_txt, e_txt) = (
        start.format("%Y-%m-%dT%H:%M").to_string(),
        (start + Duration::hours(2))
            .format("%Y-%m-%dT%H:%M")
            .to_string(),
    );
    let res = ts
        .post_form(
            &me,
            "/jobs/new",
            &job_fields("WO-D-1", &tech, &s_txt, &e_txt),
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let id = location
        .strip_prefix("/jobs/")
        .expect("to the job")
        .to_owned();
    let (_, v) = ts
        .admin(
            reqwest::Method::GET,
            &format!("/v1/admin/work-orders/{id}"),
            None,
        )
        .await;
    assert_eq!(v["order"]["number"], "WO-D-1");
    assert_eq!(v["technician_id"], tech.as_str());
    let promised: chrono::DateTime<Utc> =
        serde_json::from_value(v["order"]["promised"]["start"].clone()).unwrap();
    assert_eq!(
        promised
            .with_timezone(&offset)
            .format("%Y-%m-%dT%H:%M")
            .to_string(),
        s_txt
    );

    // A bad form: the page says which field, keeps what was typed, creates nothing.
    let mut bad = job_fields("WO-D-2", &tech, &s_txt, &e_txt);
    bad[5] = ("zone", "downtown");
    let res = ts.post_form(&me, "/jobs/new", &bad).await;
    assert_eq!(res.status().as_u16(), 400);
    let page = res.text().await.unwrap();
    assert!(page.contains("id=\"form-error\""), "{page}");
    assert!(page.contains("zone"), "{page}");
    assert!(page.contains("value=\"WO-D-2\""), "what was typed stays");
    let backwards = job_fields("WO-D-2", &tech, &e_txt, &s_txt);
    assert_eq!(
        ts.post_form(&me, "/jobs/new", &backwards)
            .await
            .status()
            .as_u16(),
        400
    );
    assert_eq!(job_count(&ts).await, 1);

    // The board for that day, and its rows for the live refresh.
    let (_, board) = ts.page(&me, &format!("/board?day={day}")).await;
    assert_eq!(
        board_rows(&board),
        vec![(id.clone(), "assigned".to_owned())]
    );
    let (s, rows) = ts.page(&me, &format!("/board/rows?day={day}")).await;
    assert_eq!(s, 200);
    assert_eq!(board_rows(&rows), vec![(id.clone(), "assigned".to_owned())]);
    let (s, _) = ts.page(&me, "/board?day=23-11-2026").await;
    assert_eq!(s, 400);

    // CSV: the export has the job; importing it back adds nothing; a new line adds one.
    let (s, csv) = ts.page(&me, &format!("/jobs.csv?day={day}")).await;
    assert_eq!(s, 200);
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("id,number,status,kind,technician")
    );
    let row = lines.next().unwrap();
    assert!(
        row.starts_with(&format!("{id},WO-D-1,assigned,repair,Technician Li")),
        "{row}"
    );
    let res = ts.post_form(&me, "/jobs/import", &[("csv", &csv)]).await;
    assert_eq!(res.status().as_u16(), 200);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("0 jobs created") && page.contains("1 already there"),
        "{page}"
    );
    assert_eq!(job_count(&ts).await, 1);
    let fresh = csv.replace(&id, "").replace("WO-D-1", "WO-D-3");
    let res = ts.post_form(&me, "/jobs/import", &[("csv", &fresh)]).await;
    assert!(res.text().await.unwrap().contains("1 job created"));
    assert_eq!(job_count(&ts).await, 2);
    let broken = fresh
        .replace("WO-D-3", "WO-D-4")
        .replace(",paid,", ",free,");
    let res = ts.post_form(&me, "/jobs/import", &[("csv", &broken)]).await;
    assert_eq!(res.status().as_u16(), 400);
    let page = res.text().await.unwrap();
    assert!(page.contains("line 2: billing"), "{page}");
    assert_eq!(job_count(&ts).await, 2, "a bad file imports nothing");

    // The other pages.
    for path in [
        "/flags",
        "/devices",
        "/measures",
        "/technicians",
        "/jobs/new",
    ] {
        let (s, body) = ts.page(&me, path).await;
        assert_eq!(s, 200, "{path}: {body}");
    }
    let (_, m) = ts.page(&me, "/measures").await;
    assert!(m.contains("id=\"score-chart\"") && m.contains("id=\"daily\""));
    let (s, m_csv) = ts.page(&me, "/measures.csv").await;
    assert_eq!(s, 200);
    assert!(m_csv.lines().count() >= 2, "{m_csv}");

    // The job's page: what the desk can do before a phone has sent anything.
    let (s, job_page) = ts.page(&me, &format!("/jobs/{id}")).await;
    assert_eq!(s, 200);
    assert!(job_page.contains("WO-D-1") && job_page.contains("No customer signature"));
    assert_eq!(ts.page(&me, "/jobs/not-a-job").await.0, 404);
    assert_eq!(
        ts.page(&me, &format!("/jobs/{id}/copy.pdf")).await.0,
        409,
        "no copy before the customer signs"
    );
    let wu = ts.create_technician("Technician Wu").await;
    let job = |v: &serde_json::Value| {
        (
            v["technician_id"].as_str().unwrap_or("").to_owned(),
            v["order"]["promised"]["start"]
                .as_str()
                .unwrap_or("")
                .to_owned(),
            v["cancel_reason"].as_str().unwrap_or("").to_owned(),
        )
    };
    let read = || async {
        let (_, v) = ts
            .admin(
                reqwest::Method::GET,
                &format!("/v1/admin/work-orders/{id}"),
                None,
            )
            .await;
        job(&v)
    };
    let before = read().await;
    // Without the CSRF token: refused, nothing changes.
    let res = ts
        .no_redirects()
        .post(ts.url(&format!("/jobs/{id}/assign")))
        .header(reqwest::header::COOKIE, &me.cookie)
        .form(&[("technician_id", wu.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    assert_eq!(read().await, before);
    let res = ts
        .post_form(
            &me,
            &format!("/jobs/{id}/assign"),
            &[("technician_id", &wu)],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(res.headers()["location"], format!("/jobs/{id}").as_str());
    assert_eq!(read().await.0, wu, "reassigned");
    let later = (start + Duration::days(1))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let later_end = (start + Duration::days(1) + Duration::hours(2))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let res = ts
        .post_form(
            &me,
            &format!("/jobs/{id}/reschedule"),
            &[("start", &later_end), ("end", &later)],
        )
        .await;
    assert_eq!(
        res.status().as_u16(),
        400,
        "a window that ends before it starts"
    );
    let res = ts
        .post_form(
            &me,
            &format!("/jobs/{id}/reschedule"),
            &[("start", &later), ("end", &later_end)],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let moved: chrono::DateTime<Utc> = read().await.1.parse().unwrap();
    assert_eq!(
        moved
            .with_timezone(&offset)
            .format("%Y-%m-%dT%H:%M")
            .to_string(),
        later
    );
    let res = ts
        .post_form(
            &me,
            &format!("/jobs/{id}/cancel"),
            &[("reason", "customer moved the appointment to next month")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(
        read().await.2,
        "customer moved the appointment to next month"
    );
    let next_day = (start + Duration::days(1)).format("%Y-%m-%d").to_string();
    let (_, rows) = ts.page(&me, &format!("/board/rows?day={next_day}")).await;
    assert_eq!(
        board_rows(&rows),
        vec![(id.clone(), "cancelled".to_owned())]
    );

    // Revoking the phone on the devices page stops its sync.
    let (_, devices) = ts.page(&me, "/devices").await;
    assert!(devices.contains(&format!("/devices/{device}/revoke")));
    let res = ts
        .post_form(&me, &format!("/devices/{device}/revoke"), &[])
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let pull = ts
        .client
        .get(ts.url("/v1/pull?cursor=0"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(pull.status().as_u16(), 401);

    // Logging out ends the session on the server, not just in the browser.
    assert_eq!(
        ts.post_form(&me, "/logout", &[]).await.status().as_u16(),
        303
    );
    let (s, _) = ts.page(&me, "/board").await;
    assert_eq!(s, 303);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_pages_sqlite() {
    dashboard_pages(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_pages_postgres() {
    dashboard_pages(Backend::Postgres).await;
}

// ------------------------------------------------------------------ held completions

/// Quick retries: the tests' server is local.
fn sync_options() -> SyncOptions {
    SyncOptions {
        first_backoff: StdDuration::from_millis(5),
        max_backoff: StdDuration::from_millis(50),
        ..SyncOptions::default()
    }
}

/// Text as the pages write it (maud escapes these four).
fn escaped(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The job's one completion as the API lists it.
/// A job's completion as the desk's API reads it, in English (its reasons follow the request's
/// language, as the pages this file reads do).
async fn completion_of(ts: &TestServer, job: &WorkOrder) -> Value {
    let list = ts.settled_completions_of("?limit=1000&lang=en").await;
    let mine: Vec<&Value> = list
        .iter()
        .filter(|c| c["work_order_id"] == job.id.to_string())
        .collect();
    assert_eq!(mine.len(), 1, "{list:?}");
    mine[0].clone()
}

/// A job as the desk's API reads it.
async fn work_order(ts: &TestServer, job: &WorkOrder) -> Value {
    let (s, v) = ts
        .admin(
            Method::GET,
            &format!("/v1/admin/work-orders/{}", job.id),
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    v
}

/// Reads the board's event stream until it names `job` (gives up after 10 s).
async fn wait_for_board_event(events: &mut reqwest::Response, job: &WorkOrder) {
    let want = format!("data: {}", job.id);
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + StdDuration::from_secs(10);
    while !seen.contains(&want) {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let chunk = tokio::time::timeout(left, events.chunk())
            .await
            .unwrap_or_else(|_| panic!("no board event for the job: {seen}"))
            .expect("the event stream")
            .expect("the event stream stays open");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
}

/// Two held completions, made by a real phone: the technician's van carries the demo fee
/// schedule and drain pump (`demo::stock_the_van`), but the desk publishes them only after
/// the phone pushed its day. The server judges every op with the rules the phone runs, against
/// what the desk published: the customer's consent to an unpublished fee schedule is refused
/// (`unknown_fee_schedule`), and so is everything that needed it (starting the work, the part
/// from an unknown catalog…); the phone's `complete` is then judged with those problems and
/// held for the desk (`completion_held`), a conflict the phone is told about. No op is
/// forged: it is an honest phone out of step with the desk.
async fn held_completions(backend: Backend) {
    let Some(ts) = server(backend, |_| {}).await else {
        return;
    };
    ts.create_dispatcher("li.na", PASSWORD).await;
    let me = ts
        .dashboard_login("li.na", PASSWORD)
        .await
        // The assertions below read the pages' English sentences.
        .in_english();
    let tech = ts.create_technician("Technician Held").await;
    let now = Utc::now();
    let released = demo::repair_order(1, now, Billing::Paid);
    let rejected = demo::repair_order(2, now, Billing::Paid);
    ts.create_job(&released, Some(&tech)).await;
    ts.create_job(&rejected, Some(&tech)).await;
    let offset = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let day = released
        .promised
        .start
        .with_timezone(&offset)
        .format("%Y-%m-%d")
        .to_string();

    // The phone: enrolled with a code, its jobs pulled, both visits walked, its day pushed.
    let (_dir, kit) = ts.enrolled_kit(&tech, &sync_options()).await;
    kit.sync(&sync_options(), &|_| {})
        .await
        .expect("first sync");
    for job in [&released, &rejected] {
        demo::walk_repair_visit(&kit, job.id, &mut |_| Ok(())).expect("the visit");
    }
    // The live board is open while the phone pushes.
    let mut events = ts
        .client
        .get(ts.url("/board/events"))
        .header(reqwest::header::COOKIE, &me.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(events.status().as_u16(), 200);
    let report = kit.sync(&sync_options(), &|_| {}).await.expect("the push");
    assert_eq!(report.conflicts, 2, "both completions held: {report:?}");
    assert!(report.rejected > 0, "{report:?}");
    // The desk catches up: what the phone carried is published now (too late for this day).
    ts.publish_demo_catalog().await;
    wait_for_board_event(&mut events, &released).await;

    // The API: both held, with their reasons; an unknown state is refused.
    let held = ts.settled_completions_of("?state=held").await;
    assert_eq!(held.len(), 2, "{held:?}");
    let c = completion_of(&ts, &released).await;
    assert_eq!(c["state"], "held", "{c}");
    assert_eq!(c["outcome"], "conflict", "{c}");
    let reasons: Vec<String> = c["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_owned())
        .collect();
    assert!(!reasons.is_empty(), "{c}");
    assert!(c.get("decision").is_none(), "{c}");
    let (s, _) = ts
        .admin(Method::GET, "/v1/admin/completions?state=on_hold", None)
        .await;
    assert_eq!(s, 400);
    assert_ne!(
        work_order(&ts, &released).await["order"]["status"],
        "completed"
    );

    // The board: both rows held, counted apart, live rows too.
    let (_, board) = ts.page(&me, &format!("/board?day={day}")).await;
    let rows = board_rows(&board);
    for job in [&released, &rejected] {
        assert!(
            rows.contains(&(job.id.to_string(), "held".to_owned())),
            "{rows:?}"
        );
    }
    assert!(board.contains("held for the desk"), "{board}");
    assert_eq!(
        between(&board, "data-count=\"held\">", "<"),
        Some("2"),
        "{board}"
    );
    assert_eq!(between(&board, "data-count=\"completed\">", "<"), Some("0"));
    let (_, live) = ts.page(&me, &format!("/board/rows?day={day}")).await;
    assert_eq!(board_rows(&live), rows);
    // The flags page lists both, linking to their jobs.
    let (_, flags) = ts.page(&me, "/flags").await;
    let list = between(&flags, "id=\"held-list\"", "</table>").expect("the held list");
    for job in [&released, &rejected] {
        assert!(
            list.contains(&format!("href=\"/jobs/{}\"", job.id)),
            "{list}"
        );
        assert!(list.contains(&job.number), "{list}");
    }

    // The job's page: held for the desk, every reason, and the two forms.
    let page_url = format!("/jobs/{}", released.id);
    let (s, page) = ts.page(&me, &page_url).await;
    assert_eq!(s, 200);
    assert!(page.contains("data-status=\"held\""), "{page}");
    assert!(page.contains("data-state=\"held\""), "{page}");
    assert!(page.contains("Held for the desk"), "{page}");
    for r in &reasons {
        assert!(page.contains(&escaped(r)), "reason {r:?} on the page");
    }
    let action = format!("action=\"/jobs/{}/completion\"", released.id);
    assert_eq!(page.matches(&action).count(), 2, "release and reject forms");
    assert!(page.contains("id=\"release\"") && page.contains("id=\"reject\""));
    // The flags the checks raised stay listed with the job.
    assert!(page.contains("id=\"job-flags\""), "{page}");

    // Refused rulings change nothing: without the CSRF token, or without a note.
    let ruling = format!("/jobs/{}/completion", released.id);
    let res = ts
        .no_redirects()
        .post(ts.url(&ruling))
        .header(reqwest::header::COOKIE, &me.cookie)
        .form(&[("ruling", "release"), ("note", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    let res = ts
        .post_form(&me, &ruling, &[("ruling", "release"), ("note", "   ")])
        .await;
    assert_eq!(res.status().as_u16(), 400);
    let page = res.text().await.unwrap();
    assert!(page.contains("id=\"job-error\""), "{page}");
    let res = ts
        .post_form(&me, &ruling, &[("ruling", "count it"), ("note", "x")])
        .await;
    assert_eq!(res.status().as_u16(), 400);
    assert_eq!(completion_of(&ts, &released).await["state"], "held");

    // Released from the page: the job is completed, on the board too, in the dispatcher's
    // name; the page shows the ruling.
    let note = "Called the customer: the drain pump was replaced & works";
    let res = ts
        .post_form(&me, &ruling, &[("ruling", "release"), ("note", note)])
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(res.headers()["location"], page_url.as_str());
    wait_for_board_event(&mut events, &released).await;
    let c = completion_of(&ts, &released).await;
    assert_eq!(c["state"], "released", "{c}");
    assert_eq!(c["decision"]["by"], "li.na", "{c}");
    assert_eq!(c["decision"]["note"], note, "{c}");
    let (_, list) = ts
        .admin(Method::GET, "/v1/admin/completions?state=released", None)
        .await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    let job = work_order(&ts, &released).await;
    assert_eq!(job["order"]["status"], "completed", "{job}");
    assert!(job["completed_at"].is_i64(), "{job}");
    let (_, live) = ts.page(&me, &format!("/board/rows?day={day}")).await;
    assert!(
        board_rows(&live).contains(&(released.id.to_string(), "completed".to_owned())),
        "{live}"
    );
    let (_, page) = ts.page(&me, &page_url).await;
    assert!(page.contains("data-state=\"released\""), "{page}");
    assert!(page.contains("Released by the desk"), "{page}");
    assert!(
        page.contains("li.na") && page.contains(&escaped(note)),
        "{page}"
    );
    assert!(!page.contains(&action), "no forms once ruled on");

    // A second ruling is refused: the page says so (409), and so does the API.
    let res = ts
        .post_form(
            &me,
            &ruling,
            &[("ruling", "reject"), ("note", "second thoughts")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 409);
    let page = res.text().await.unwrap();
    let error = between(&page, "id=\"job-error\">", "<").expect("an error on the page");
    assert!(error.contains("no completion held"), "{error}");
    let path = format!("/v1/admin/work-orders/{}/completion", released.id);
    let (s, e) = ts
        .admin(
            Method::POST,
            &path,
            Some(json!({ "ruling": "reject", "note": "second thoughts" })),
        )
        .await;
    assert_eq!(s, 409, "{e}");
    assert_eq!(e["code"], "conflict");
    assert_eq!(completion_of(&ts, &released).await["state"], "released");
    // The API's other refusals.
    let (s, _) = ts
        .admin(Method::POST, &path, Some(json!({ "ruling": "release" })))
        .await;
    assert_eq!(s, 400, "a note is required");
    let (s, _) = ts
        .admin(
            Method::POST,
            &format!("/v1/admin/work-orders/{}/completion", WorkOrderId::new()),
            Some(json!({ "ruling": "release", "note": "n" })),
        )
        .await;
    assert_eq!(s, 404);
    let res = ts
        .client
        .post(ts.url(&path))
        .json(&json!({ "ruling": "release", "note": "n" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);

    // Rejected from the page: it never counts.
    let res = ts
        .post_form(
            &me,
            &format!("/jobs/{}/completion", rejected.id),
            &[
                ("ruling", "reject"),
                ("note", "The customer says nobody came"),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let c = completion_of(&ts, &rejected).await;
    assert_eq!(c["state"], "rejected", "{c}");
    assert_eq!(c["decision"]["by"], "li.na", "{c}");
    let job = work_order(&ts, &rejected).await;
    assert_ne!(job["order"]["status"], "completed", "{job}");
    assert!(job["completed_at"].is_null(), "{job}");
    let (_, board) = ts.page(&me, &format!("/board?day={day}")).await;
    let rows = board_rows(&board);
    assert!(
        rows.contains(&(rejected.id.to_string(), "rejected".to_owned())),
        "{rows:?}"
    );
    assert_eq!(between(&board, "data-count=\"held\">", "<"), Some("0"));
    assert_eq!(
        between(&board, "data-count=\"completed\">", "<"),
        Some("1"),
        "only the released one counts"
    );
    let (_, page) = ts.page(&me, &format!("/jobs/{}", rejected.id)).await;
    assert!(page.contains("Rejected by the desk"), "{page}");
    assert!(page.contains("The customer says nobody came"), "{page}");
    assert!(ts.settled_completions_of("?state=held").await.is_empty());
    ts.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn held_completions_sqlite() {
    held_completions(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn held_completions_postgres() {
    held_completions(Backend::Postgres).await;
}
