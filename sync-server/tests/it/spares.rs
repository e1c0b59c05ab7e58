//! Spare parts on the server, on both backends: a day of usage on three phones (each the core
//! on its own database, synced for real) gives the warehouse view computed by hand; a stock
//! check that differs from the server's ledger is flagged; a replenishment raised below the
//! minimum is approved, issued, pulled, received on the van and closed (audited); forged stock
//! ops (more used than the ledger holds, a receipt of nothing issued) are flagged or refused.

use std::time::Duration as StdDuration;

use chrono::Utc;
use fieldkit_core::api::StockCount;
use fieldkit_core::model::*;
use fieldkit_core::sync::client::SyncOptions;
use fieldkit_core::sync::protocol::*;
use fieldkit_core::{FieldKit, demo};
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{Backend, TestServer, server, to_wire};

fn sync_options() -> SyncOptions {
    SyncOptions {
        first_backoff: StdDuration::from_millis(5),
        max_backoff: StdDuration::from_millis(50),
        ..SyncOptions::default()
    }
}

async fn sync(kit: &FieldKit) -> fieldkit_core::sync::client::SyncReport {
    kit.sync(&sync_options(), &|_| {}).await.expect("sync")
}

/// The van's line for `sku` in a stock report.
fn line<'a>(report: &'a Value, tech: &str, sku: &str) -> &'a Value {
    report["vans"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["technician_id"] == tech)
        .and_then(|v| {
            v["parts"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["sku"] == sku)
        })
        .unwrap_or_else(|| panic!("no line for {sku} in {report}"))
}

async fn stock(ts: &TestServer) -> Value {
    let (s, v) = ts.admin(Method::GET, "/v1/admin/stock", None).await;
    assert_eq!(s, 200, "{v}");
    v
}

async fn a_day_of_spares(backend: Backend) {
    let Some(ts) = server(backend, |_| {}).await else {
        return;
    };
    ts.publish_demo_catalog().await;
    let a = ts.create_technician("Technician Spares A").await;
    let b = ts.create_technician("Technician Spares B").await;
    let c = ts.create_technician("Technician Spares C").await;
    let job = demo::repair_order(1, Utc::now(), Billing::Paid);
    ts.create_job(&job, Some(&a)).await;
    // Each van starts with 2 drain pumps (demo::stock_the_van: issue_stock 2).
    let (_da, ka) = ts.enrolled_kit(&a, &sync_options()).await;
    let (_db, kb) = ts.enrolled_kit(&b, &sync_options()).await;
    let (_dc, kc) = ts.enrolled_kit(&c, &sync_options()).await;
    sync(&ka).await;
    // A: a repair uses one pump (old part returned), 3 more issued.
    demo::walk_repair_visit(&ka, job.id, &mut |_| Ok(())).expect("the visit is walked");
    ka.issue_stock("PUMP-220", 3).unwrap();
    // B: one given back to the warehouse, one written off.
    kb.return_stock("PUMP-220", 1).unwrap();
    kb.write_off_defective("PUMP-220", 1).unwrap();
    // C: one more issued, then a stock check that finds only 2.
    kc.issue_stock("PUMP-220", 1).unwrap();
    let counted = kc
        .count_stock(&[StockCount {
            sku: "PUMP-220".into(),
            counted: 2,
        }])
        .unwrap();
    assert_eq!(counted[0].expected, 3);
    for k in [&ka, &kb] {
        let r = sync(k).await;
        assert_eq!((r.rejected, r.conflicts), (0, 0), "{r:?}");
    }
    let r = sync(&kc).await;
    assert_eq!(
        (r.rejected, r.conflicts),
        (0, 1),
        "the count differs: {r:?}"
    );

    // The warehouse view, by hand.
    let v = stock(&ts).await;
    let want = [
        // tech, issued, used, returned, written off, old parts returned, on hand
        (&a, 5, 1, 0, 0, 1, 4),
        (&b, 2, 0, 1, 1, 0, 0),
        (&c, 3, 0, 0, 0, 0, 3),
    ];
    for (tech, issued, used, returned, off, old, on_hand) in want {
        let l = line(&v, tech, "PUMP-220");
        let got = [
            &l["issued"],
            &l["used"],
            &l["returned"],
            &l["written_off"],
            &l["old_parts_returned"],
            &l["on_hand"],
        ];
        assert_eq!(
            got,
            [
                &json!(issued),
                &json!(used),
                &json!(returned),
                &json!(off),
                &json!(old),
                &json!(on_hand)
            ],
            "{tech}: {l}"
        );
    }
    assert_eq!(
        v["parts"],
        json!([{"sku": "PUMP-220", "on_hand": 7, "used": 1, "old_parts_returned": 1}])
    );
    // The stock check's difference, flagged against the server's ledger.
    assert_eq!(
        line(&v, &c, "PUMP-220")["last_count"],
        json!({"counted": 2, "ledger": 3, "differs": true, "at": line(&v, &c, "PUMP-220")["last_count"]["at"]})
    );
    assert!(line(&v, &a, "PUMP-220")["last_count"].is_null());

    // Replenishment: B's van is at 0; the desk sets a minimum of 2 → a request for 2 is raised.
    let (s, e) = ts
        .admin(
            Method::PUT,
            "/v1/admin/stock/minimums",
            Some(json!({"technician_id": b, "sku": "PUMP-220", "minimum": -1})),
        )
        .await;
    assert_eq!(s, 400, "{e}");
    let (s, e) = ts
        .admin(
            Method::PUT,
            "/v1/admin/stock/minimums",
            Some(json!({"technician_id": "nobody", "sku": "PUMP-220", "minimum": 2})),
        )
        .await;
    assert_eq!(s, 404, "{e}");
    let (s, m) = ts
        .admin(
            Method::PUT,
            "/v1/admin/stock/minimums",
            Some(json!({"technician_id": b, "sku": "PUMP-220", "minimum": 2})),
        )
        .await;
    assert_eq!(s, 200, "{m}");
    let path = format!("/v1/admin/stock/replenishments?technician={b}");
    let (_, list) = ts.admin(Method::GET, &path, None).await;
    let reqs = list["replenishments"].as_array().unwrap();
    assert_eq!(reqs.len(), 1, "{list}");
    assert_eq!(
        (&reqs[0]["state"], &reqs[0]["quantity"], &reqs[0]["on_hand"]),
        (&json!("raised"), &json!(2), &json!(0))
    );
    let id = reqs[0]["id"].as_str().unwrap().to_owned();
    // Issued before approval: refused.
    let (s, _) = ts
        .admin(
            Method::POST,
            &format!("/v1/admin/stock/replenishments/{id}/issue"),
            None,
        )
        .await;
    assert_eq!(s, 409);
    let (s, r) = ts
        .admin(
            Method::POST,
            &format!("/v1/admin/stock/replenishments/{id}/approve"),
            None,
        )
        .await;
    assert_eq!((s, &r["state"]), (200, &json!("approved")), "{r}");
    let (s, r) = ts
        .admin(
            Method::POST,
            &format!("/v1/admin/stock/replenishments/{id}/issue"),
            None,
        )
        .await;
    assert_eq!((s, &r["state"]), (200, &json!("issued")), "{r}");
    let (s, _) = ts
        .admin(
            Method::POST,
            "/v1/admin/stock/replenishments/rq-none/approve",
            None,
        )
        .await;
    assert_eq!(s, 404);
    // An app that does not ask for replenishments is not sent one.
    let (_, plain) = (0, {
        let res = ts
            .client
            .get(ts.url("/v1/pull?cursor=0&limit=500"))
            .bearer_auth(ts.enrol(&b, DeviceId::new()).await.token)
            .send()
            .await
            .unwrap();
        res.json::<Value>().await.unwrap()
    });
    assert!(
        !plain.to_string().contains("\"replenishment\""),
        "an older app got a replenishment: {plain}"
    );
    // The van pulls the issue, receives it; the server closes the request.
    sync(&kb).await;
    let pending = kb.replenishments().unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!((pending[0].quantity, pending[0].received_at), (2, None));
    assert_eq!(kb.receive_replenishment(&id).unwrap(), 2);
    assert!(kb.receive_replenishment(&id).is_err(), "received twice");
    let r = sync(&kb).await;
    assert_eq!((r.rejected, r.conflicts), (0, 0), "{r:?}");
    let (_, list) = ts.admin(Method::GET, &path, None).await;
    assert_eq!(list["replenishments"][0]["state"], "received", "{list}");
    let v = stock(&ts).await;
    let l = line(&v, &b, "PUMP-220");
    assert_eq!(
        (&l["received"], &l["on_hand"], &l["below_minimum"]),
        (&json!(2), &json!(2), &json!(false))
    );
    // Audited.
    let (_, audit) = ts.admin(Method::GET, "/v1/admin/audit-log", None).await;
    let text = audit.to_string();
    for action in [
        "stock_minimum_set",
        "replenishment_approved",
        "replenishment_issued",
    ] {
        assert!(text.contains(action), "{action} not in the audit log");
    }

    // Forged stock ops from a fresh van (2 pumps): using 100 is flagged (conflict, kept);
    // receiving a replenishment never issued is refused and not counted.
    let d = ts.create_technician("Technician Spares D").await;
    let dd = tempfile::tempdir().unwrap();
    let kd = FieldKit::open(dd.path(), fieldkit_core::DeviceConfig::default()).unwrap();
    demo::stock_the_van(&kd).unwrap();
    let token = ts.enrol(&d, kd.device_id()).await.token;
    let mut ops: Vec<Op> = kd.pending_ops(100).unwrap().iter().map(to_wire).collect();
    let base = ops[0].clone();
    let forged = |seq: i64, kind: &str, payload: Value| Op {
        op_id: OpId::new(),
        seq,
        kind: kind.into(),
        payload,
        hash: None,
        ..base.clone()
    };
    let now = Utc::now();
    ops.push(forged(
        2,
        "use_stock",
        json!({"id": StockMovementId::new(), "sku": "PUMP-220", "kind": "used", "quantity": 100,
               "at": now, "visit_id": null}),
    ));
    ops.push(forged(
        3,
        "receive_stock",
        json!({"id": StockMovementId::new(), "request_id": "rq-forged", "sku": "PUMP-220",
               "quantity": 5, "at": now}),
    ));
    let r = ts.push_ops(&token, &ops).await;
    assert_eq!(r.results[0].outcome, OpOutcome::Applied);
    assert!(
        matches!(&r.results[1].outcome, OpOutcome::Conflict { code, .. } if code == "stock_short"),
        "{:?}",
        r.results[1]
    );
    assert!(
        matches!(&r.results[2].outcome, OpOutcome::Rejected { code, .. } if code == "unknown_replenishment"),
        "{:?}",
        r.results[2]
    );
    let v = stock(&ts).await;
    assert_eq!(line(&v, &d, "PUMP-220")["on_hand"], json!(-98));
    assert_eq!(line(&v, &d, "PUMP-220")["received"], json!(0));
    // The warehouse's page shows the same van line, and the replenishments with their state.
    ts.create_dispatcher("warehouse", "a long warehouse password")
        .await;
    let desk = ts
        .dashboard_login("warehouse", "a long warehouse password")
        .await;
    let (status, html) = ts.page(&desk, "/stock").await;
    assert_eq!(status, 200);
    let row = html
        .split(&format!("data-technician=\"{d}\" data-sku=\"PUMP-220\""))
        .nth(1)
        .and_then(|r| r.split("</tr>").next())
        .expect("the van's line on the page");
    assert!(row.contains(">-98<"), "{row}");
    assert!(
        html.contains("data-state=\"received\""),
        "the received request is listed"
    );
    ts.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_day_of_spares_sqlite() {
    a_day_of_spares(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_day_of_spares_postgres() {
    a_day_of_spares(Backend::Postgres).await;
}
