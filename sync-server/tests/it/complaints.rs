//! The desk's complaints and the holiday calendar, on both backends.
//!
//! The server's clock is set by hand in late November / December 2026 (UTC+08:00). The desk
//! takes in a phone complaint about a job and works it through: assess, resolve, report the
//! result (a dissatisfied customer reopens it), with the due time of 001 4.3.1 counted on the
//! holiday calendar; hostile and out-of-order requests get typed 4xx and change nothing; two
//! desks cannot overwrite each other (revision); a complaint the customer raised on the
//! technician's phone is taken into the queue once; the desk uploads next year's calendar
//! (a bad one is refused whole) and a year-end complaint's due time stops being an estimate;
//! the measures (handled in time, satisfaction) over a hand-computed set.

use chrono::{DateTime, TimeZone, Utc};
use fieldkit_core::demo;
use fieldkit_core::error::Error;
use fieldkit_core::model::*;
use fieldkit_server::clock::Clock;
use reqwest::Method;
use serde_json::{Value, json};

use crate::cash::{phone, push_all};
use crate::common::{Backend, TestServer, server};

/// `y-m-d h:min` in UTC+08:00.
fn bj(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    chrono::FixedOffset::east_opt(8 * 3600)
        .unwrap()
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .unwrap()
        .with_timezone(&Utc)
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

async fn post(ts: &TestServer, path: &str, body: Value) -> (u16, Value) {
    ts.admin(Method::POST, path, Some(body)).await
}

async fn queue(ts: &TestServer, query: &str) -> Value {
    let (s, v) = ts
        .admin(Method::GET, &format!("/v1/admin/complaints{query}"), None)
        .await;
    assert_eq!(s, 200, "{v}");
    v
}

fn code(v: &Value) -> &str {
    v["code"].as_str().unwrap_or("")
}

/// A hypothetical 2027 calendar, as the desk would upload it from the notice (test data, not
/// the real notice): 1 Jan a holiday, 4–8 Oct a holiday week with Sat 9 Oct worked.
fn desk_2027() -> Value {
    json!({
        "header": {"note": "hypothetical 2027, for tests only"},
        "years": [{
            "year": 2027, "source_url": "test:hypothetical-2027",
            "holidays": [
                {"name": "元旦", "from": "2027-01-01", "to": "2027-01-01"},
                {"name": "国庆节", "from": "2027-10-04", "to": "2027-10-08"}
            ],
            "working_days": [{"date": "2027-10-09", "for": "国庆节"}]
        }]
    })
}

async fn desk_works_a_phone_complaint(backend: Backend) {
    // Thu 12 Feb 2026, 10:00: three working days are Fri 13 Feb, Sat 14 Feb (worked, 调休)
    // and Tue 24 Feb (the Spring Festival holiday runs 15–23 Feb): due 25 Feb 00:00.
    let clock = Clock::manual(ms(bj(2026, 2, 12, 10, 0)));
    let Some(ts) = server(backend, |c| c.clock = clock.clone()).await else {
        return;
    };
    let tech = ts.create_technician("Technician Complaints").await;
    let order = demo::repair_order(1, bj(2026, 2, 11, 9, 0), Billing::Paid);
    ts.create_job(&order, Some(&tech)).await;

    let (s, c) = post(
        &ts,
        "/v1/admin/complaints",
        json!({
            "channel": "phone", "category": "timeliness",
            "work_order_id": order.id, "summary": "  师傅迟到两个小时，没有提前打电话。 "
        }),
    )
    .await;
    assert_eq!(s, 201, "{c}");
    let id = c["id"].as_str().unwrap().to_owned();
    assert_eq!(c["summary"], "师傅迟到两个小时，没有提前打电话。");
    assert_eq!(c["state"], "open");
    assert_eq!(c["revision"], 1);
    assert_eq!(c["due_at"], ms(bj(2026, 2, 25, 0, 0)));
    assert_eq!(c["due_estimated"], false);
    let q = queue(&ts, "").await;
    assert_eq!(q["complaints"][0]["status"], "due");
    assert_eq!(q["complaints"][0]["job_number"], order.number.as_str());

    // Out of order: no resolution before the assessment; no report before a resolution.
    let path = |what: &str| format!("/v1/admin/complaints/{id}/{what}");
    let (s, v) = post(&ts, &path("resolve"), json!({"resolution": "道歉"})).await;
    assert_eq!((s, code(&v)), (409, "conflict"), "{v}");
    let (s, v) = post(&ts, &path("report"), json!({"opinion": "satisfied"})).await;
    assert_eq!((s, code(&v)), (409, "conflict"), "{v}");
    // Bad input: a technician responsible but not named, an unknown one, an empty cause, an
    // extension that is not later, an unknown field.
    for (body, want) in [
        (
            json!({"valid": true, "cause": "迟到", "responsible": "technician"}),
            400,
        ),
        (
            json!({"valid": true, "cause": "迟到", "responsible": "technician", "technician_id": "nobody"}),
            404,
        ),
        (
            json!({"valid": true, "cause": "迟到", "responsible": "desk", "technician_id": tech}),
            400,
        ),
        (
            json!({"valid": true, "cause": "   ", "responsible": "desk"}),
            400,
        ),
        (
            json!({"valid": true, "cause": "x", "responsible": "desk", "extra": 1}),
            400,
        ),
    ] {
        let (s, v) = post(&ts, &path("assess"), body.clone()).await;
        assert_eq!(s, want, "{body}: {v}");
    }
    let (s, v) = post(
        &ts,
        &path("extend"),
        json!({"until": "2026-02-20", "reason": "等配件"}),
    )
    .await;
    assert_eq!(s, 400, "not later than the due time: {v}");
    let (s, v) = ts
        .admin(Method::GET, &format!("/v1/admin/complaints/{id}"), None)
        .await;
    assert_eq!(
        (s, v["revision"].as_u64()),
        (200, Some(1)),
        "nothing changed"
    );

    // Assess (the technician responsible), on revision 1.
    let (s, v) = post(
        &ts,
        &path("assess"),
        json!({"valid": true, "cause": "未按约定时间上门", "responsible": "technician",
               "technician_id": tech, "revision": 1}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["revision"], 2);
    // A second desk still on revision 1 is refused, nothing overwritten.
    let (s, v) = post(
        &ts,
        &path("assess"),
        json!({"valid": false, "cause": "客户记错时间", "responsible": "none", "revision": 1}),
    )
    .await;
    assert_eq!((s, code(&v)), (409, "conflict"), "{v}");
    // Extended on Mon 23 Feb (before the due time), told to the customer: due end of 27 Feb.
    clock.set(ms(bj(2026, 2, 23, 9, 0)));
    let (s, v) = post(
        &ts,
        &path("extend"),
        json!({"until": "2026-02-27", "reason": "需厂家鉴定"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["extension"]["due_at"], ms(bj(2026, 2, 28, 0, 0)));
    // Past the original due time, within the extension: still due, not overdue.
    clock.set(ms(bj(2026, 2, 26, 9, 0)));
    assert_eq!(queue(&ts, "").await["complaints"][0]["status"], "due");
    assert_eq!(
        queue(&ts, "?status=overdue").await["complaints"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    let (s, v) = post(
        &ts,
        &path("resolve"),
        json!({"resolution": "上门致歉，减免上门费"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["state"], "handled");
    assert_eq!(v["first_handled_at"], ms(bj(2026, 2, 26, 9, 0)));
    // The customer is not satisfied: reopened, the round kept.
    let (s, v) = post(
        &ts,
        &path("report"),
        json!({"opinion": "dissatisfied", "note": "希望更换师傅"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["state"], "open");
    assert_eq!(v["rounds"].as_array().unwrap().len(), 1);
    let (s, _) = post(
        &ts,
        &path("resolve"),
        json!({"resolution": "改派其他师傅复查"}),
    )
    .await;
    assert_eq!(s, 200);
    let (s, v) = post(&ts, &path("report"), json!({"opinion": "satisfied"})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["state"], "closed");
    assert_eq!(
        v["first_handled_at"],
        ms(bj(2026, 2, 26, 9, 0)),
        "the first handling is the one measured"
    );
    // Closed: nothing more.
    let (s, v) = post(&ts, &path("resolve"), json!({"resolution": "再次处理"})).await;
    assert_eq!((s, code(&v)), (409, "conflict"), "{v}");
    let q = queue(&ts, "").await;
    assert_eq!(q["complaints"][0]["status"], "closed");
    let m = &q["measures"];
    assert_eq!(m["received"], 1);
    assert_eq!(
        (
            m["handled_in_time"]["num"].as_u64(),
            m["handled_in_time"]["den"].as_u64()
        ),
        (Some(1), Some(1))
    );
    // One rejected round, one accepted: 1 of 2.
    assert_eq!(
        (
            m["satisfied"]["num"].as_u64(),
            m["satisfied"]["den"].as_u64()
        ),
        (Some(1), Some(2))
    );
    // Every step is in the audit log.
    let (_, log) = ts.admin(Method::GET, "/v1/admin/audit-log", None).await;
    let actions: Vec<&str> = log
        .as_array()
        .or_else(|| log["entries"].as_array())
        .expect("the log")
        .iter()
        .filter(|e| e["target"] == id.as_str())
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == "complaint_received")
            .count(),
        1
    );
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == "complaint_changed")
            .count(),
        6,
        "{actions:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn desk_works_a_phone_complaint_sqlite() {
    desk_works_a_phone_complaint(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn desk_works_a_phone_complaint_postgres() {
    desk_works_a_phone_complaint(Backend::Postgres).await;
}

async fn hostile_intake_is_refused(backend: Backend) {
    let now = bj(2026, 11, 20, 10, 0);
    let clock = Clock::manual(ms(now));
    let Some(ts) = server(backend, |c| c.clock = clock.clone()).await else {
        return;
    };
    let day = 24 * 3600 * 1000;
    for (body, want) in [
        (
            json!({"channel": "device", "category": "other", "summary": "x"}),
            400,
        ),
        (
            json!({"channel": "callback", "category": "other", "summary": "x"}),
            400,
        ),
        (
            json!({"channel": "fax", "category": "other", "summary": "x"}),
            400,
        ),
        (
            json!({"channel": "phone", "category": "other", "summary": " \n "}),
            400,
        ),
        (
            json!({"channel": "phone", "category": "other", "summary": "x".repeat(2001)}),
            400,
        ),
        (
            json!({"channel": "phone", "category": "other", "summary": "x", "received_at": ms(now) + 60_000}),
            400,
        ),
        (
            json!({"channel": "phone", "category": "other", "summary": "x", "received_at": ms(now) - 91 * day}),
            400,
        ),
        (
            json!({"channel": "phone", "category": "other", "summary": "x", "work_order_id": "not-a-uuid"}),
            400,
        ),
        (
            json!({"channel": "phone", "category": "other", "summary": "x", "work_order_id": WorkOrderId::new()}),
            404,
        ),
        (
            json!({"channel": "phone", "category": "other", "summary": "x", "customer_phone": "13800000000"}),
            400,
        ),
        (json!({"channel": "phone", "summary": "x"}), 400),
    ] {
        let (s, v) = post(&ts, "/v1/admin/complaints", body.clone()).await;
        assert_eq!(s, want, "{body}: {v}");
        assert!(!v["code"].as_str().unwrap_or("").is_empty(), "typed: {v}");
        assert!(
            !v.to_string().contains("13800000000"),
            "no personal data echoed: {v}"
        );
    }
    for path in [
        "/v1/admin/complaints/nope",
        "/v1/admin/complaints/nope/resolve",
    ] {
        let (s, v) = if path.ends_with("resolve") {
            post(&ts, path, json!({"resolution": "x"})).await
        } else {
            ts.admin(Method::GET, path, None).await
        };
        assert_eq!((s, code(&v)), (404, "not_found"), "{path}: {v}");
    }
    // Without the token: 401; nothing was taken in.
    let r = ts
        .client
        .post(ts.url("/v1/admin/complaints"))
        .json(&json!({"channel": "phone", "category": "other", "summary": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    assert_eq!(queue(&ts, "").await["measures"]["received"], 0);
    // A letter read two days late is dated when it came: due counted from then.
    let (s, v) = post(
        &ts,
        "/v1/admin/complaints",
        json!({"channel": "letter", "category": "charges", "summary": "收费过高",
               "received_at": ms(bj(2026, 11, 18, 15, 0))}),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    // Wed 18 Nov → Thu 19, Fri 20, Mon 23: due Tue 24 Nov 00:00; now (Fri 20) it is due.
    assert_eq!(v["due_at"], ms(bj(2026, 11, 24, 0, 0)));
    clock.set(ms(bj(2026, 11, 24, 0, 0)));
    let q = queue(&ts, "?status=overdue").await;
    assert_eq!(q["complaints"].as_array().unwrap().len(), 1);
    assert_eq!(q["measures"]["overdue"], 1);
    assert_eq!(
        (
            q["measures"]["handled_in_time"]["num"].as_u64(),
            q["measures"]["handled_in_time"]["den"].as_u64()
        ),
        (Some(0), Some(1)),
        "past due and not handled counts as late"
    );
    let (s, _) = ts
        .admin(Method::GET, "/v1/admin/complaints?status=late", None)
        .await;
    assert_eq!(s, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_intake_is_refused_sqlite() {
    hostile_intake_is_refused(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_intake_is_refused_postgres() {
    hostile_intake_is_refused(Backend::Postgres).await;
}

async fn the_desk_uploads_next_years_calendar(backend: Backend) {
    // Tue 29 Dec 2026: the 3rd working day after is in 2027, which the shipped calendar
    // does not cover.
    let clock = Clock::manual(ms(bj(2026, 12, 29, 10, 0)));
    let Some(ts) = server(backend, |c| c.clock = clock.clone()).await else {
        return;
    };
    let (s, cal) = ts
        .admin(Method::GET, "/v1/admin/holiday-calendar", None)
        .await;
    assert_eq!(s, 200);
    assert_eq!(cal["version"], Value::Null);
    assert_eq!(cal["years"][0]["year"], 2026);
    assert_eq!(cal["years"][0]["origin"], "built_in");
    let intake = json!({"channel": "phone", "category": "attitude", "summary": "态度差"});
    let (s, before) = post(&ts, "/v1/admin/complaints", intake.clone()).await;
    assert_eq!(s, 201);
    // Weekdays only: Wed 30, Thu 31 Dec, Fri 1 Jan → due Sat 2 Jan 00:00, marked estimated.
    assert_eq!(before["due_at"], ms(bj(2027, 1, 2, 0, 0)));
    assert_eq!(before["due_estimated"], true);

    // A calendar with a fault is refused whole and names it; nothing is stored.
    let mut bad = desk_2027();
    bad["years"][0]["working_days"][0]["date"] = json!("2027-10-11"); // a Monday
    let mut unknown = desk_2027();
    unknown["years"][0]["workingdays"] = json!([]);
    for body in [bad, unknown, json!({"years": []}), json!([1, 2])] {
        let (s, v) = ts
            .admin(
                Method::PUT,
                "/v1/admin/holiday-calendar",
                Some(body.clone()),
            )
            .await;
        assert_eq!((s, code(&v)), (400, "bad_request"), "{body}: {v}");
    }
    let (_, cal) = ts
        .admin(Method::GET, "/v1/admin/holiday-calendar", None)
        .await;
    assert_eq!(cal["version"], Value::Null, "nothing stored");

    let (s, cal) = ts
        .admin(Method::PUT, "/v1/admin/holiday-calendar", Some(desk_2027()))
        .await;
    assert_eq!(s, 200, "{cal}");
    assert_eq!(cal["version"], 1);
    let years: Vec<(i64, &str)> = cal["years"]
        .as_array()
        .unwrap()
        .iter()
        .map(|y| (y["year"].as_i64().unwrap(), y["origin"].as_str().unwrap()))
        .collect();
    assert_eq!(years, vec![(2026, "built_in"), (2027, "desk")]);
    // The same complaint now: Wed 30, Thu 31 Dec, (1 Jan holiday, weekend) Mon 4 Jan.
    let (s, after) = post(&ts, "/v1/admin/complaints", intake).await;
    assert_eq!(s, 201);
    assert_eq!(after["due_at"], ms(bj(2027, 1, 5, 0, 0)));
    assert_eq!(after["due_estimated"], false);
    // The Friday before the holiday week: Fri 1 Oct 2027 → Sat 9 (worked), Mon 11, Tue 12.
    clock.set(ms(bj(2027, 10, 1, 16, 0)));
    let (s, oct) = post(
        &ts,
        "/v1/admin/complaints",
        json!({"channel": "visit", "category": "damage", "summary": "地板划伤"}),
    )
    .await;
    assert_eq!(s, 201);
    assert_eq!(oct["due_at"], ms(bj(2027, 10, 13, 0, 0)));
    // A second upload replaces the first; the audit log has both.
    let (s, cal) = ts
        .admin(Method::PUT, "/v1/admin/holiday-calendar", Some(desk_2027()))
        .await;
    assert_eq!((s, cal["version"].as_i64()), (200, Some(2)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desk_uploads_next_years_calendar_sqlite() {
    the_desk_uploads_next_years_calendar(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desk_uploads_next_years_calendar_postgres() {
    the_desk_uploads_next_years_calendar(Backend::Postgres).await;
}

async fn a_complaint_on_the_phone_reaches_the_queue_once(backend: Backend) {
    let clock = Clock::manual(ms(crate::cash::local(20, 12, 0)));
    let Some(ts) = server(backend, |c| c.clock = clock.clone()).await else {
        return;
    };
    ts.publish_demo_catalog().await;
    let tech = ts.create_technician("Technician Feedback").await;
    let order = demo::repair_order(1, crate::cash::local(20, 9, 0), Billing::Paid);
    ts.create_job(&order, Some(&tech)).await;
    let p = phone(&ts, &tech).await;
    p.clock.set(crate::cash::local(20, 9, 30));
    let mut reached = false;
    let r = demo::walk_repair_visit(&p.kit, order.id, &mut |step| {
        if step == "customer signed" {
            reached = true;
            Err(Error::Invalid {
                field: "walk",
                reason: "stopped here".into(),
            })
        } else {
            Ok(())
        }
    });
    assert!(reached, "the walk stopped early: {r:?}");
    // A phone whose clock runs five days ahead: its complaint counts from the server's now.
    p.clock.set(crate::cash::local(25, 10, 0));
    p.kit
        .feedback(order.id, 2, Some("地上留了很多灰"), true)
        .unwrap();
    push_all(&ts, &p).await;
    for _ in 0..2 {
        let q = queue(&ts, "").await;
        let rows = q["complaints"].as_array().unwrap();
        assert_eq!(rows.len(), 1, "taken in once: {q}");
        let c = &rows[0]["complaint"];
        assert_eq!(c["channel"], "device");
        assert_eq!(c["summary"], "地上留了很多灰");
        assert_eq!(c["work_order_id"], order.id.to_string());
        assert!(c["source_op_id"].is_string());
        assert_eq!(c["received_at"], ms(crate::cash::local(20, 12, 0)));
        // Fri 20 Nov → Mon 23, Tue 24, Wed 25: due Thu 26 Nov 00:00 (not counted from the 25th).
        assert_eq!(c["due_at"], ms(crate::cash::local(26, 0, 0)));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_complaint_on_the_phone_reaches_the_queue_once_sqlite() {
    a_complaint_on_the_phone_reaches_the_queue_once(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_complaint_on_the_phone_reaches_the_queue_once_postgres() {
    a_complaint_on_the_phone_reaches_the_queue_once(Backend::Postgres).await;
}
