//! Callbacks (回访), on both backends: the desk's rules (checked, versioned); a phone
//! completes two repairs and the queue picks them under a 100 % sample (each once, with the
//! customer's contact, the script and the rating given on the phone); a call that does not
//! reach the customer, bad calls refused with nothing changed, a call that finds the unit
//! still faulty (a linked `callback_repair` job the phone then pulls), a call that finds a
//! complaint (taken into the complaint queue, channel `callback`); the measures side by side;
//! and under a 0 % sample nothing more is picked.

use fieldkit_core::demo;
use fieldkit_core::model::*;
use fieldkit_server::clock::Clock;
use reqwest::Method;
use serde_json::{Value, json};

use crate::cash::{local, phone, push_all};
use crate::common::{Backend, TestServer, server};

const DAY: i64 = 24 * 3600 * 1000;

async fn queue(ts: &TestServer) -> Value {
    let (s, v) = ts.admin(Method::GET, "/v1/admin/callbacks", None).await;
    assert_eq!(s, 200, "{v}");
    v
}

async fn call(ts: &TestServer, id: &str, body: Value) -> (u16, Value) {
    ts.admin(
        Method::POST,
        &format!("/v1/admin/callbacks/{id}/calls"),
        Some(body),
    )
    .await
}

fn row_of(q: &Value, job: WorkOrderId) -> &Value {
    q["callbacks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["callback"]["work_order_id"] == job.to_string())
        .expect("the job's callback")
}

async fn callbacks(backend: Backend) {
    let now = local(20, 12, 0);
    let clock = Clock::manual(now.timestamp_millis());
    let Some(ts) = server(backend, |c| c.clock = clock.clone()).await else {
        return;
    };
    ts.publish_demo_catalog().await;

    // The rules: defaults first; bad ones refused; then every job, due in 2 days.
    let (s, r) = ts
        .admin(Method::GET, "/v1/admin/callback-rules", None)
        .await;
    assert_eq!(s, 200);
    assert_eq!(r["version"], Value::Null);
    assert_eq!(r["rules"]["sample_percent"], 20);
    let rules = |percent: u64| {
        json!({"every_installation": true, "every_complaint": true,
               "sample_percent": percent, "within_days": 2, "seed": 42})
    };
    let mut unknown = rules(100);
    unknown["sample_size"] = json!(3);
    let mut zero_days = rules(100);
    zero_days["within_days"] = json!(0);
    for bad in [
        rules(101),
        zero_days,
        unknown,
        json!({"sample_percent": 10}),
    ] {
        let (s, v) = ts
            .admin(Method::PUT, "/v1/admin/callback-rules", Some(bad.clone()))
            .await;
        assert_eq!(s, 400, "{bad}: {v}");
    }
    let (s, r) = ts
        .admin(Method::PUT, "/v1/admin/callback-rules", Some(rules(100)))
        .await;
    assert_eq!((s, r["version"].as_i64()), (200, Some(1)), "{r}");

    // Two repairs done on the phone and synced.
    let tech = ts.create_technician("Technician Callbacks").await;
    let orders: Vec<WorkOrder> = (1..=2)
        .map(|n| demo::repair_order(n, local(20, 8 + n, 0), Billing::Paid))
        .collect();
    for o in &orders {
        ts.create_job(o, Some(&tech)).await;
    }
    assert!(queue(&ts).await["callbacks"].as_array().unwrap().is_empty());
    let p = phone(&ts, &tech).await;
    for (n, o) in orders.iter().enumerate() {
        p.clock.set(local(20, 9 + n as u32, 30));
        demo::walk_repair_visit(&p.kit, o.id, &mut |_| Ok(())).expect("the visit");
    }
    push_all(&ts, &p).await;
    // Counted once the drawing checks ran (after the push was answered).
    let counted = ts.settled_completions().await;
    assert!(
        counted.iter().all(|c| c["state"] == "counted"),
        "{counted:?}"
    );

    let q = queue(&ts).await;
    assert_eq!(q["callbacks"].as_array().unwrap().len(), 2, "{q}");
    assert_eq!(q["rules_version"], 1);
    let (a, b) = (row_of(&q, orders[0].id), row_of(&q, orders[1].id));
    for (row, o) in [(a, &orders[0]), (b, &orders[1])] {
        assert_eq!(row["status"], "due");
        assert_eq!(row["callback"]["reason"], "sample");
        assert_eq!(row["callback"]["rules_version"], 1);
        assert_eq!(row["job_number"], o.number.as_str());
        assert_eq!(row["contact"]["name"], o.customer.name.as_str());
        assert_eq!(row["contact"]["phone"], o.customer.phone.as_str());
        assert!(row["script"][0].as_str().unwrap().contains(&o.number));
        assert!(row["device_rating"].is_u64(), "{row}");
        assert_eq!(
            row["callback"]["due_at"].as_i64().unwrap(),
            row["callback"]["completed_at"].as_i64().unwrap() + 2 * DAY
        );
    }
    // Picked once: asking again picks nothing new.
    assert_eq!(queue(&ts).await["callbacks"].as_array().unwrap().len(), 2);
    let (ida, idb) = (
        a["callback"]["id"].as_str().unwrap().to_owned(),
        b["callback"]["id"].as_str().unwrap().to_owned(),
    );

    // Bad calls change nothing.
    for bad in [
        json!({"reached": true}),
        json!({"reached": true, "rating": 6}),
        json!({"reached": false, "rating": 3}),
        json!({"reached": false, "problem": "repair"}),
        json!({"reached": true, "rating": 2, "problem": "complaint"}),
        json!({"reached": true, "rating": 2, "problem": "refund"}),
        json!({"reached": true, "rating": 4, "mood": "fine"}),
    ] {
        let (s, v) = call(&ts, &ida, bad.clone()).await;
        assert_eq!(s, 400, "{bad}: {v}");
    }
    let (s, v) = call(&ts, "nope", json!({"reached": false})).await;
    assert_eq!(s, 404, "{v}");
    let (s, v) = ts
        .admin(Method::GET, &format!("/v1/admin/callbacks/{ida}"), None)
        .await;
    assert_eq!((s, v["revision"].as_u64()), (200, Some(1)));

    // A: not reached, then reached: still faulty — a linked repair job.
    let (s, v) = call(&ts, &ida, json!({"reached": false})).await;
    assert_eq!((s, v["state"].as_str()), (200, Some("open")), "{v}");
    let (s, v) = call(
        &ts,
        &ida,
        json!({"reached": true, "rating": 2, "problem": "repair",
               "note": "还是排水不畅", "revision": 2}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["state"], "done");
    let child = v["repair_job_id"]
        .as_str()
        .expect("a linked job")
        .to_owned();
    let (s, job) = ts
        .admin(Method::GET, &format!("/v1/admin/work-orders/{child}"), None)
        .await;
    assert_eq!(s, 200);
    assert_eq!(job["order"]["parent"]["id"], orders[0].id.to_string());
    assert_eq!(job["order"]["parent"]["kind"], "callback_repair");
    let (s, v) = call(&ts, &ida, json!({"reached": true, "rating": 5})).await;
    assert_eq!(s, 409, "finished: {v}");

    // B: reached, a complaint about the technician — into the complaint queue.
    let (s, v) = call(
        &ts,
        &idb,
        json!({"reached": true, "rating": 3, "problem": "complaint",
               "note": "师傅态度不好", "complaint_category": "attitude"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let complaint = v["complaint_id"].as_str().expect("a complaint").to_owned();
    let (s, c) = ts
        .admin(
            Method::GET,
            &format!("/v1/admin/complaints/{complaint}"),
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(c["channel"], "callback");
    assert_eq!(c["category"], "attitude");
    assert_eq!(c["summary"], "师傅态度不好");
    assert_eq!(c["work_order_id"], orders[1].id.to_string());

    // The measures, hand-computed: 2 picked, both answered (2 and 3: mean 2.5, none
    // satisfied), 2 problems; the phone's ratings of the same jobs beside them.
    let q = queue(&ts).await;
    let m = &q["measures"];
    assert_eq!(
        (m["picked"].as_u64(), m["done"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(m["callback_rating"].as_f64(), Some(2.5));
    assert_eq!(m["satisfied_rate"].as_f64(), Some(0.0));
    assert_eq!(m["problems"], 2);
    let phone_mean =
        (a["device_rating"].as_f64().unwrap() + b["device_rating"].as_f64().unwrap()) / 2.0;
    assert_eq!(m["device_rating"].as_f64(), Some(phone_mean));
    // The same beside the other measures of the period (and the complaint taken in).
    let (s, all) = ts
        .admin(
            Method::GET,
            "/v1/admin/measures?from=2026-11-20&to=2026-11-21",
            None,
        )
        .await;
    assert_eq!(s, 200, "{all}");
    assert_eq!(all["desk"]["callbacks"], *m);
    assert_eq!(all["desk"]["complaints"]["received"], 1);

    // The linked repair reaches the phone; a third repair is completed under a 0 % sample
    // and not picked (the complaint job was picked before, once).
    let (s, _) = ts
        .admin(Method::PUT, "/v1/admin/callback-rules", Some(rules(0)))
        .await;
    assert_eq!(s, 200);
    let o3 = demo::repair_order(3, local(20, 11, 0), Billing::Paid);
    ts.create_job(&o3, Some(&tech)).await;
    let p3 = phone(&ts, &tech).await;
    p3.clock.set(local(20, 11, 30));
    demo::walk_repair_visit(&p3.kit, o3.id, &mut |_| Ok(())).expect("the third visit");
    push_all(&ts, &p3).await;
    assert_eq!(ts.settled_completions().await.len(), 3);
    clock.set((now + chrono::Duration::days(3)).timestamp_millis());
    let q = queue(&ts).await;
    let rows = q["callbacks"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "nothing picked under 0 %: {q}");
    assert!(rows.iter().all(|r| r["status"] == "done"));
    // The audit log has the rules and the calls.
    let (_, log) = ts
        .admin(Method::GET, "/v1/admin/audit-log?limit=1000", None)
        .await;
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == "callback_rules_changed")
            .count(),
        2
    );
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == "callback_recorded")
            .count(),
        3
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callbacks_sqlite() {
    callbacks(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callbacks_postgres() {
    callbacks(Backend::Postgres).await;
}
