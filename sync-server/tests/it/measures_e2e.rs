//! The quality measures end to end: the desk creates jobs over HTTP, real cores (each with its
//! own database and a manual clock) walk the visits and sync with their own client, and the
//! dispatcher's JSON and CSV endpoints count what happened. One phone's clock runs 3 h ahead:
//! the server flags it and the measures correct its times. Run on both backends.

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::common::journal::Phone;
use crate::common::{Backend, TestServer, server};
use chrono::{Duration, Utc};
use fieldkit_core::clock::Clock;
use fieldkit_core::demo;
use fieldkit_core::model::*;
use fieldkit_server::measures::MeasureConfig;
use reqwest::Method;
use serde_json::{Value, json};

/// A phone of `technician` (the core, its van stocked) whose clock stands at `clock_at`,
/// enrolled with a code the desk made.
async fn phone(s: &TestServer, technician: &str, clock_at: Timestamp) -> Phone {
    let p = Phone::new(clock_at);
    p.enrol(s, technician).await;
    p
}

async fn sync(p: &Phone) {
    let r = p.sync().await;
    assert_eq!(r.rejected, 0, "{r:?}");
}

/// Walks a repair visit, the clock moving `step` after each step; returns when it started
/// travelling, arrived and completed (device clock, ms).
fn walk(p: &Phone, id: WorkOrderId, step: Duration) -> BTreeMap<String, i64> {
    let times = Mutex::new(BTreeMap::new());
    demo::walk_repair_visit(&p.kit, id, &mut |name| {
        if matches!(name, "start_travel" | "arrive" | "complete") {
            times
                .lock()
                .unwrap()
                .insert(name.to_owned(), p.clock.now().timestamp_millis());
        }
        p.clock.advance(step);
        Ok(())
    })
    .unwrap();
    times.into_inner().unwrap()
}

async fn get(s: &TestServer, path: &str, query: &[(&str, String)]) -> (u16, String, String) {
    let enc = |v: &str| -> String {
        v.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    let qs: Vec<String> = query
        .iter()
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect();
    let res = s
        .dispatcher(Method::GET, &format!("{path}?{}", qs.join("&")))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let ctype = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, ctype, res.text().await.unwrap())
}

fn csv_rows(body: &str) -> Vec<BTreeMap<String, String>> {
    let mut lines = body.trim_end().split("\r\n");
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            assert_eq!(cells.len(), header.len(), "{l}");
            header
                .iter()
                .zip(cells)
                .map(|(h, c)| (h.to_string(), c.to_owned()))
                .collect()
        })
        .collect()
}

async fn measures_end_to_end(backend: Backend) {
    let Some(s) = server(backend, |_| {}).await else {
        return;
    };
    let base = Utc::now();
    let ta = s.create_technician("Technician A").await;
    let tb = s.create_technician("Technician B").await;
    s.publish_demo_catalog().await;

    // A's jobs (walked from 3 h ago): repairs promised from 2.5 h and 1.5 h ago, for 2 h
    // each; one more, cancelled.
    let j1 = demo::repair_order(1, base - Duration::hours(3), Billing::Paid);
    let j2 = demo::repair_order(2, base - Duration::hours(2), Billing::Paid);
    let j3 = demo::repair_order(3, base - Duration::hours(3), Billing::Paid);
    // B's: a suburban repair called in 40 min ago, promised from 2 h 50 min ahead (B's
    // phone, 3 h ahead, must be able to announce a delay), and one whose window (5.5 h to
    // 3.5 h ago) passed with nobody there.
    let mut j4 = demo::repair_order(4, base + Duration::minutes(140), Billing::Paid);
    j4.site.zone = Zone::Suburban;
    let j5 = demo::repair_order(5, base - Duration::hours(6), Billing::Paid);
    for (j, t) in [(&j1, &ta), (&j2, &ta), (&j3, &ta), (&j4, &tb), (&j5, &tb)] {
        s.create_job(j, Some(t)).await;
    }
    let (st, _) = s
        .admin(
            Method::POST,
            &format!("/v1/admin/work-orders/{}/cancel", j3.id),
            Some(json!({ "reason": "customer called it off" })),
        )
        .await;
    assert_eq!(st, 200);

    // A's phone keeps good time (its visits are in the past); B's runs 3 h ahead.
    let pa = phone(&s, &ta, base - Duration::hours(3)).await;
    let pb = phone(&s, &tb, base + Duration::hours(3)).await;
    sync(&pa).await;
    sync(&pb).await;
    let a1 = walk(&pa, j1.id, Duration::minutes(2));
    let a2 = walk(&pa, j2.id, Duration::minutes(2));
    let b4 = walk(&pb, j4.id, Duration::minutes(1));
    assert!(
        a2["complete"] < Utc::now().timestamp_millis(),
        "A's clock stays in the past"
    );
    // A syncs with its clock right (the visits were hours ago); B's is still 3 h ahead.
    pa.clock.set(Utc::now());
    sync(&pa).await;
    sync(&pb).await;
    // Counted once their signature drawings are checked (after the push was answered).
    let done = s.settled_completions().await;
    assert_eq!(done.len(), 3, "{done:?}");
    assert!(done.iter().all(|c| c["state"] == "counted"), "{done:?}");

    // The period: yesterday to tomorrow.
    let period = [
        ("from", (base - Duration::days(1)).to_rfc3339()),
        ("to", (base + Duration::days(1)).to_rfc3339()),
    ];
    let (st, ctype, body) = get(&s, "/v1/admin/measures", &period).await;
    assert_eq!(st, 200, "{body}");
    assert!(ctype.starts_with("application/json"));
    let m: Value = serde_json::from_str(&body).unwrap();
    let f = &m["fleet"];
    assert_eq!(
        (
            f["jobs"].as_u64(),
            f["cancelled"].as_u64(),
            f["completed"].as_u64()
        ),
        (Some(5), Some(1), Some(3))
    );
    let tech = |id: &str| {
        m["technicians"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["technician_id"] == id)
            .unwrap()
            .clone()
    };
    let ratio = |v: &Value| (v["num"].as_u64().unwrap(), v["den"].as_u64().unwrap());
    let a = tech(&ta);
    assert_eq!(
        (
            a["jobs"].as_u64(),
            a["cancelled"].as_u64(),
            a["completed"].as_u64()
        ),
        (Some(3), Some(1), Some(2))
    );
    // Both arrived inside their windows and within the urban 24 h of the call, first visit.
    assert_eq!(ratio(&a["sla"]), (2, 2));
    assert_eq!(ratio(&a["on_time_arrival"]), (2, 2));
    assert_eq!(ratio(&a["visit_completion"]), (2, 2));
    assert_eq!(ratio(&a["first_visit_fix"]), (2, 2));
    assert_eq!(ratio(&a["repair_timeliness"]), (2, 2));
    assert_eq!(a["report_timeliness"]["num"], 2);
    assert_eq!(a["rating"]["mean"], 5.0);
    assert_eq!(a["skew_corrected_events"], 0);
    // Response: call (3 h before the window) to the device's recorded arrival.
    let resp =
        |arrive: i64, j: &WorkOrder| (arrive - j.reported_at.timestamp_millis()) as f64 / 60_000.0;
    let mean = (resp(a1["arrive"], &j1) + resp(a2["arrive"], &j2)) / 2.0;
    assert!((a["response"]["mean_minutes"].as_f64().unwrap() - mean).abs() < 1e-6);
    assert_eq!(a["score"], 100.0);
    assert_eq!(a["band"], "excellent");

    let b = tech(&tb);
    assert_eq!(
        (b["jobs"].as_u64(), b["completed"].as_u64()),
        (Some(2), Some(1))
    );
    // B's facts were flagged and corrected: by its device it arrived more than 3 h 40 min
    // after the call; corrected (and never later than the server received it), within the
    // hour. J5 was never visited.
    assert!(resp(b4["arrive"], &j4) > 220.0);
    assert!(
        b["response"]["mean_minutes"].as_f64().unwrap() < 60.0,
        "{b}"
    );
    assert!(b["skew_corrected_events"].as_u64().unwrap() > 10, "{b}");
    assert_eq!(ratio(&b["on_time_arrival"]), (1, 2));
    assert_eq!(ratio(&b["visit_completion"]), (1, 2));
    assert_eq!(ratio(&b["sla"]), (1, 1));
    assert_eq!(ratio(&b["first_visit_fix"]), (1, 1));
    // sla 20 + on time 15·½ + repair 10 + completion 15·½ + first visit 15 + rating 15
    // + report 5 = 80 of 95 → 84.21, good.
    assert_eq!(b["score"], 84.21);
    assert_eq!(b["band"], "good");
    let zones: Vec<&str> = m["zones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|z| z["zone"].as_str().unwrap())
        .collect();
    assert_eq!(zones, ["urban", "suburban"]);

    // The same as CSV, both ways of asking.
    let (st, ctype, csv) = get(&s, "/v1/admin/measures.csv", &period).await;
    assert_eq!(st, 200);
    assert!(ctype.starts_with("text/csv"));
    let mut q = period.to_vec();
    q.push(("format", "csv".into()));
    let (_, _, csv2) = get(&s, "/v1/admin/measures", &q).await;
    let rows = csv_rows(&csv);
    assert_eq!(rows.len(), 5, "fleet, 2 technicians, 2 zones");
    assert_eq!(csv_rows(&csv2).len(), 5);
    assert_eq!(
        (rows[0]["scope"].as_str(), rows[0]["jobs"].as_str()),
        ("fleet", "5")
    );
    let row_a = rows.iter().find(|r| r["id"] == ta).unwrap();
    assert_eq!(
        (
            row_a["jobs"].as_str(),
            row_a["completed"].as_str(),
            row_a["band"].as_str()
        ),
        ("3", "2", "excellent")
    );
    let row_b = rows.iter().find(|r| r["id"] == tb).unwrap();
    assert_eq!(
        (
            row_b["on_time_arrivals"].as_str(),
            row_b["arrivals_due"].as_str()
        ),
        ("1", "2")
    );
    for secret in [&j1.customer.name, &j1.customer.phone, &j1.site.address] {
        assert!(!csv.contains(secret.as_str()) && !body.contains(secret.as_str()));
    }

    // The daily report of the day A arrived at J1 (local time): A's visits that day, with
    // travel and on-site time from what the device recorded.
    let cfg = MeasureConfig::default();
    let day = cfg.local_date(a1["arrive"]);
    let mine: Vec<&BTreeMap<String, i64>> = [&a1, &a2]
        .into_iter()
        .filter(|v| cfg.local_date(v["arrive"]) == day)
        .collect();
    let q = [("date", day.to_string())];
    let (st, _, body) = get(&s, "/v1/admin/reports/daily", &q).await;
    assert_eq!(st, 200, "{body}");
    let r: Value = serde_json::from_str(&body).unwrap();
    let row = r["technicians"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["technician_id"] == ta)
        .unwrap();
    assert_eq!(row["jobs"], mine.len());
    assert_eq!(row["by_category"]["repair"], mine.len());
    assert_eq!(row["by_category"]["delivery"], 0);
    let travel: i64 = mine
        .iter()
        .map(|v| (v["arrive"] - v["start_travel"]) / 60_000)
        .sum();
    let on_site: i64 = mine
        .iter()
        .map(|v| (v["complete"] - v["arrive"]) / 60_000)
        .sum();
    assert_eq!(row["travel_minutes"], travel);
    // The walk pauses and resumes within one step: no paused time.
    assert_eq!(row["on_site_minutes"], on_site);
    let (st, ctype, csv) = get(&s, "/v1/admin/reports/daily.csv", &q).await;
    assert_eq!(st, 200);
    assert!(ctype.starts_with("text/csv"));
    let rows = csv_rows(&csv);
    let row_a = rows.iter().find(|r| r["technician_id"] == ta).unwrap();
    assert_eq!(row_a["repair"], mine.len().to_string());
    assert_eq!(row_a["travel_minutes"], travel.to_string());

    // Complaint handling: recorded once; unknown and malformed ids refused.
    let path = format!("/v1/admin/work-orders/{}/complaint-handled", j1.id);
    let (st, v) = s.admin(Method::POST, &path, None).await;
    assert_eq!(st, 200, "{v}");
    let first = v["handled_at"].as_i64().unwrap();
    let (_, v) = s.admin(Method::POST, &path, None).await;
    assert_eq!(v["handled_at"].as_i64(), Some(first));
    let unknown = format!(
        "/v1/admin/work-orders/{}/complaint-handled",
        WorkOrderId::new()
    );
    assert_eq!(s.admin(Method::POST, &unknown, None).await.0, 404);
    assert_eq!(
        s.admin(
            Method::POST,
            "/v1/admin/work-orders/nope/complaint-handled",
            None
        )
        .await
        .0,
        400
    );

    // Bad queries: 400 with a typed body.
    for q in [
        vec![],
        vec![("from", "2026-11-20".to_owned())],
        vec![("from", "yesterday".into()), ("to", "2026-11-20".into())],
        vec![("from", "2026-11-20".into()), ("to", "2026-11-19".into())],
        vec![("from", "2020-01-01".into()), ("to", "2026-11-19".into())],
        vec![
            ("from", "2026-11-19".into()),
            ("to", "2026-11-20".into()),
            ("format", "xml".into()),
        ],
        vec![
            ("from", "2026-11-19".into()),
            ("to", "2026-11-20".into()),
            ("extra", "1".into()),
        ],
    ] {
        let (st, _, body) = get(&s, "/v1/admin/measures", &q).await;
        assert_eq!(st, 400, "{q:?}: {body}");
        let e: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(e["code"], "bad_request");
    }
    for q in [
        vec![],
        vec![("date", "2026-13-01".to_owned())],
        vec![("date", "today".into())],
    ] {
        assert_eq!(get(&s, "/v1/admin/reports/daily", &q).await.0, 400, "{q:?}");
    }
    // A date range (dates, `to` inclusive) answers.
    let (st, _, _) = get(
        &s,
        "/v1/admin/measures",
        &[("from", "2026-11-01".into()), ("to", "2026-11-30".into())],
    )
    .await;
    assert_eq!(st, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn measures_end_to_end_sqlite() {
    measures_end_to_end(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn measures_end_to_end_postgres() {
    measures_end_to_end(Backend::Postgres).await;
}
