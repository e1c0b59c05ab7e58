//! The daily cash reconciliation (现金日结), one day computed by hand, on both backends.
//!
//! Two technicians' phones (their clocks set by hand) settle five paid repairs around one
//! local day (UTC+08:00), 2026-11-20: cash as agreed, cash less than agreed (with the reason,
//! flagged), by QR, one minute before and one minute after local midnight. The desk records
//! the cash each handed in. The reconciliation of the day (and of the next) is exactly what
//! was computed by hand; bad hand-ins are typed 4xx and record nothing; every hand-in is in
//! the audit log; the dashboard shows the day.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use fieldkit_core::checklist::AnswerValue;
use fieldkit_core::clock::ManualClock;
use fieldkit_core::model::*;
use fieldkit_core::sync::protocol::*;
use fieldkit_core::{DeviceConfig, Error, FieldKit, demo};
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{Backend, TestServer, server, to_wire};

/// A phone whose clock the test sets: enrolled for `technician`, every job pulled (also
/// the invoices test's phone).
pub(crate) struct Phone {
    pub(crate) kit: FieldKit,
    pub(crate) clock: Arc<ManualClock>,
    pub(crate) token: String,
    _dir: tempfile::TempDir,
}

pub(crate) async fn phone(ts: &TestServer, technician: &str) -> Phone {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(local(20, 8, 0)));
    let kit =
        FieldKit::open_with_clock(dir.path(), DeviceConfig::default(), clock.clone()).unwrap();
    let token = ts.enrol(technician, kit.device_id()).await.token;
    let page: PullResponse = ts
        .client
        .get(ts.url("/v1/pull?cursor=0&limit=500"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!page.more);
    for c in page.changes {
        match c.change {
            Change::WorkOrder { work_order } => kit.receive_work_order(&work_order).unwrap(),
            Change::FeeSchedule { fee_schedule } => kit.set_fee_schedule(&fee_schedule).unwrap(),
            Change::CatalogPart { part } => kit.add_catalog_part(&part).unwrap(),
            Change::ChecklistTemplate { json } => {
                kit.install_template(&json).unwrap();
            }
            _ => {}
        }
    }
    kit.issue_stock("PUMP-220", 10).unwrap();
    Phone {
        kit,
        clock,
        token,
        _dir: dir,
    }
}

/// 2026-11-`day` `h`:`m` in UTC+08:00.
pub(crate) fn local(day: u32, h: u32, m: u32) -> DateTime<Utc> {
    chrono::FixedOffset::east_opt(8 * 3600)
        .unwrap()
        .with_ymd_and_hms(2026, 11, day, h, m, 0)
        .unwrap()
        .with_timezone(&Utc)
}

/// Walks job `id` (a paid repair, 130.00 agreed) at `at` on the phone's clock and settles it
/// with `s`; the rest of the close-out and the completion follow.
pub(crate) fn settle_at(p: &Phone, id: WorkOrderId, at: DateTime<Utc>, s: Settlement) {
    p.clock.set(at - chrono::Duration::minutes(30));
    let r = demo::walk_repair_visit(&p.kit, id, &mut |step| {
        if step == "customer signed" {
            Err(Error::Invalid {
                field: "walk",
                reason: "stopped here".into(),
            })
        } else {
            Ok(())
        }
    });
    assert!(matches!(r, Err(Error::Invalid { .. })));
    p.kit.feedback(id, 5, None, false).unwrap();
    p.clock.set(at);
    p.kit.settle(id, &s).unwrap();
    for step in ["customer_copy", "goodbye"] {
        p.kit
            .answer_step(id, step, &AnswerValue::Confirmed)
            .unwrap();
    }
    p.kit.complete(id).unwrap();
}

pub(crate) async fn push_all(ts: &TestServer, p: &Phone) {
    let ops: Vec<Op> = p
        .kit
        .pending_ops(10_000)
        .unwrap()
        .iter()
        .map(to_wire)
        .collect();
    let r = ts.push_ops(&p.token, &ops).await;
    for (op, res) in ops.iter().zip(&r.results) {
        assert_eq!(res.outcome, OpOutcome::Applied, "{}", op.kind);
    }
}

fn cash(amount: Cents, reason: Option<&str>) -> Settlement {
    Settlement {
        amount,
        method: PaymentMethod::Cash,
        receipt_no: Some("SJ-1".into()),
        reason: reason.map(str::to_owned),
    }
}

async fn reconciliation(backend: Backend) {
    let Some(ts) = server(backend, |_| {}).await else {
        return;
    };
    ts.publish_demo_catalog().await;
    let a = ts.create_technician("Technician Cash A").await;
    let b = ts.create_technician("Technician Cash B").await;
    let c = ts.create_technician("Technician Cash C").await;
    // A: 130.00 cash as agreed at 10:00; 120.00 cash (10.00 off, flagged) at 23:59; 130.00
    // cash at 00:01 the next day. B: 130.00 by QR at 11:00 (nothing to hand in); 130.00 cash
    // at 15:00.
    let qr = Settlement {
        amount: 13_000,
        method: PaymentMethod::Qr,
        receipt_no: None,
        reason: None,
    };
    let plan = [
        (1, &a, local(20, 10, 0), cash(13_000, None)),
        (
            2,
            &a,
            local(20, 23, 59),
            cash(12_000, Some("10.00 off for the late arrival")),
        ),
        (3, &a, local(21, 0, 1), cash(13_000, None)),
        (4, &b, local(20, 11, 0), qr),
        (5, &b, local(20, 15, 0), cash(13_000, None)),
    ];
    let mut jobs = Vec::new();
    for (n, tech, at, _) in &plan {
        // Promised from half an hour before the settlement (the walk's delay notice names an
        // arrival after the phone's time).
        let job = demo::repair_order(*n, *at - chrono::Duration::hours(1), Billing::Paid);
        ts.create_job(&job, Some(tech)).await;
        jobs.push(job.id);
    }
    let pa = phone(&ts, &a).await;
    let pb = phone(&ts, &b).await;
    for ((_, tech, at, settlement), id) in plan.into_iter().zip(jobs) {
        let p = if tech == &a { &pa } else { &pb };
        settle_at(p, id, at, settlement);
    }
    push_all(&ts, &pa).await;
    push_all(&ts, &pb).await;

    // The desk records what was handed in: A 200.00 for the 20th and 50.00 for the 21st,
    // B 130.00, C 10.00 (no settlement of C's that day).
    for (tech, day, amount) in [
        (&a, "2026-11-20", 20_000),
        (&a, "2026-11-21", 5_000),
        (&b, "2026-11-20", 13_000),
        (&c, "2026-11-20", 1_000),
    ] {
        let (s, v) = ts
            .admin(
                Method::POST,
                "/v1/admin/cash-handins",
                Some(
                    json!({"technician_id": tech, "day": day, "amount": amount, "note": "收银台"}),
                ),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        assert_eq!(v["amount"], amount);
    }
    // Bad hand-ins: typed, nothing recorded.
    for (what, body, status) in [
        (
            "no such technician",
            json!({"technician_id": "nobody", "day": "2026-11-20", "amount": 1}),
            404,
        ),
        (
            "not a date",
            json!({"technician_id": a, "day": "2026-11-31", "amount": 1}),
            400,
        ),
        (
            "nothing handed in",
            json!({"technician_id": a, "day": "2026-11-20", "amount": 0}),
            400,
        ),
        (
            "a negative amount",
            json!({"technician_id": a, "day": "2026-11-20", "amount": -5}),
            400,
        ),
        (
            "an unknown field",
            json!({"technician_id": a, "day": "2026-11-20", "amount": 1, "total": 9}),
            400,
        ),
        (
            "a note too long",
            json!({"technician_id": a, "day": "2026-11-20", "amount": 1, "note": "x".repeat(501)}),
            400,
        ),
    ] {
        let (s, v) = ts
            .admin(Method::POST, "/v1/admin/cash-handins", Some(body))
            .await;
        assert_eq!(s, status, "{what}: {v}");
        let code = if status == 404 {
            "not_found"
        } else {
            "bad_request"
        };
        assert_eq!(v["code"], code, "{what}: typed: {v}");
    }

    // The 20th, by hand:
    // A: cash 130.00 + 120.00 = 250.00 against 130.00 + 130.00 = 260.00 agreed, 200.00 handed
    //    in, 50.00 outstanding, one settlement differs; the 00:01 one is the 21st's.
    // B: cash 130.00 against 130.00, 130.00 handed in; 130.00 by QR.
    // C: 10.00 handed in, nothing collected.
    let (s, r) = ts
        .admin(Method::GET, "/v1/admin/reports/cash?date=2026-11-20", None)
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["date"], "2026-11-20");
    assert_eq!(r["utc_offset_minutes"], 480);
    let row = |tech: &str,
               n: u32,
               collected: i64,
               consented: i64,
               handed_in: i64,
               other: i64,
               differing: u32| {
        json!({
            "technician_id": tech, "cash_settlements": n, "collected": collected,
            "consented": consented, "handed_in": handed_in, "outstanding": collected - handed_in,
            "other_methods": other, "differing": differing,
        })
    };
    let mut expected = vec![
        row(&a, 2, 25_000, 26_000, 20_000, 0, 1),
        row(&b, 1, 13_000, 13_000, 13_000, 13_000, 0),
        row(&c, 0, 0, 0, 1_000, 0, 0),
    ];
    expected.sort_by(|x, y| {
        x["technician_id"]
            .as_str()
            .cmp(&y["technician_id"].as_str())
    });
    assert_eq!(r["technicians"], Value::Array(expected));
    assert_eq!(r["totals"], row("", 3, 38_000, 39_000, 34_000, 13_000, 1));
    // The 21st: A's 130.00 at 00:01 and the 50.00 handed in for it.
    let (_, r) = ts
        .admin(Method::GET, "/v1/admin/reports/cash?date=2026-11-21", None)
        .await;
    assert_eq!(
        r["technicians"],
        json!([row(&a, 1, 13_000, 13_000, 5_000, 0, 0)])
    );
    // A bad day is a typed 400.
    for q in ["date=2026-13-01", "date=", "day=2026-11-20"] {
        let (s, v) = ts
            .admin(Method::GET, &format!("/v1/admin/reports/cash?{q}"), None)
            .await;
        assert_eq!(s, 400, "{q}: {v}");
    }
    // Audited: four hand-ins.
    let (_, log) = ts.admin(Method::GET, "/v1/admin/audit-log", None).await;
    let handins = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "cash_handed_in")
        .count();
    assert_eq!(handins, 4);
    // The dashboard's measures page shows the day.
    ts.create_dispatcher("desk.cash", "a long enough password")
        .await;
    let desk = ts
        .dashboard_login("desk.cash", "a long enough password")
        .await;
    let (_, en) = ts
        .page(&desk.in_english(), "/measures?date=2026-11-20")
        .await;
    assert!(en.contains("Daily cash reconciliation"), "en heading");
    let (status, page) = ts.page(&desk, "/measures?date=2026-11-20").await;
    assert_eq!(status, 200);
    assert!(page.contains("现金日结"), "zh-CN heading");
    assert!(
        page.contains("¥250.00") && page.contains("¥50.00"),
        "A's row"
    );
    ts.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cash_reconciliation_sqlite() {
    reconciliation(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cash_reconciliation_postgres() {
    reconciliation(Backend::Postgres).await;
}
