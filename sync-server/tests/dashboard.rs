//! The dispatcher dashboard over plain HTTP, on both backends: logging in and out, adding a
//! technician and enrolling a phone with a code from the page, creating a job with the form
//! (and refusing a bad one without creating anything), the board, CSV export and import (an
//! export imports back without duplicates; a bad file imports nothing), the flags, devices
//! (revoking one stops its sync) and measures pages.
//!
//! The browser end to end (live board, job detail) is `dashboard_browser.rs`.

mod common;

use chrono::{Duration, Utc};
use common::{Backend, DashboardLogin, TestServer, server};
use fieldkit_core::model::DeviceId;

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

    let me: DashboardLogin = ts.dashboard_login("desk", PASSWORD).await;
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
        .json(&serde_json::json!({ "code": code, "device_id": device }))
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
    assert!(res.text().await.unwrap().contains("1 jobs created"));
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
