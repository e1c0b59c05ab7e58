//! The SLA table and the jobs at risk through the JSON API, on both backends.
//!
//! The server's clock stands at 2026-11-21 12:00 (UTC+08:00). The built-in table (version
//! 0) is in force until an administrator sets one; bad tables are typed 400s and change
//! nothing; two good ones become versions 1 and 2, both kept and audited. Job A (reported
//! 11:00, nobody has called) is at risk: not reached within version 2's 45 minutes. Job B
//! (reported 11:50) is not, until its phone syncs the call and a delay notice whose ETA is
//! past the promised window: then it is, escalated to version 2's supervisor.

use fieldkit_core::checklist::AnswerValue;
use fieldkit_core::demo;
use fieldkit_core::model::*;
use fieldkit_server::clock::Clock;
use reqwest::Method;
use serde_json::{Value, json};

use crate::cash::{local, phone, push_all};
use crate::common::{Backend, TestServer, server};

/// The built-in table with every supervisor and the urban repair's first contact changed.
async fn table(ts: &TestServer, supervisor: &str, first_contact: u32) -> Value {
    let (s, v) = ts.admin(Method::GET, "/v1/admin/sla", None).await;
    assert_eq!(s, 200, "{v}");
    let mut limits = v["current"]["limits"].clone();
    for l in limits.as_array_mut().unwrap() {
        l["supervisor"] = json!(supervisor);
        if l["zone"] == "urban" && l["kind"] == "repair" {
            l["first_contact_minutes"] = json!(first_contact);
        }
    }
    json!({ "limits": limits, "note": "旺季 · high season" })
}

async fn at_risk(ts: &TestServer) -> Value {
    let (s, v) = ts.admin(Method::GET, "/v1/admin/at-risk", None).await;
    assert_eq!(s, 200, "{v}");
    v
}

fn job_of<'a>(report: &'a Value, id: &WorkOrderId) -> Option<&'a Value> {
    report["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["work_order_id"] == id.to_string())
}

async fn sla_and_at_risk(backend: Backend) {
    let clock = Clock::manual(local(21, 12, 0).timestamp_millis());
    let Some(ts) = server(backend, |c| c.clock = clock.clone()).await else {
        return;
    };
    ts.publish_demo_catalog().await;

    // The built-in table: every zone (rural too) and kind, version 0, no history.
    let (s, v) = ts.admin(Method::GET, "/v1/admin/sla", None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["current"]["version"], 0);
    assert_eq!(v["history"], json!([]));
    let limits = v["current"]["limits"].as_array().unwrap();
    assert_eq!(limits.len(), 15);
    let rural = limits
        .iter()
        .find(|l| l["zone"] == "rural" && l["kind"] == "repair")
        .unwrap();
    assert_eq!(rural["response_hours"], 72);

    // Bad tables: typed 400s naming the field, nothing set.
    let good = table(&ts, "王主管", 20).await;
    let mut unknown = good.clone();
    unknown["limits"][0]["grace_minutes"] = json!(5);
    let mut zero = good.clone();
    zero["limits"][3]["warning_percent"] = json!(0);
    let mut short = good.clone();
    short["limits"].as_array_mut().unwrap().pop();
    let mut negative = good.clone();
    negative["limits"][0]["repair_hours"] = json!(-1);
    let mut nobody = good.clone();
    nobody["limits"][2]["supervisor"] = json!(" ");
    for (what, body, want) in [
        ("an unknown field", unknown, "grace_minutes"),
        ("a warning share of 0", zero, "warning_percent"),
        ("a missing row", short, "rural follow_up"),
        ("a negative limit", negative, "repair_hours"),
        ("no supervisor", nobody, "supervisor"),
    ] {
        let (s, v) = ts.admin(Method::PUT, "/v1/admin/sla", Some(body)).await;
        assert_eq!(s, 400, "{what}: {v}");
        assert_eq!(v["code"], "bad_request", "{what}: {v}");
        assert!(v.to_string().contains(want), "{what}: {v}");
    }
    let (_, v) = ts.admin(Method::GET, "/v1/admin/sla", None).await;
    assert_eq!(v["current"]["version"], 0, "nothing was set");

    // Two versions, both kept, newest first; audited.
    let (s, v1) = ts.admin(Method::PUT, "/v1/admin/sla", Some(good)).await;
    assert_eq!(s, 200, "{v1}");
    assert_eq!(
        (v1["version"].as_i64(), v1["set_by"].as_str()),
        (Some(1), Some("admin-token"))
    );
    let (s, v2) = ts
        .admin(
            Method::PUT,
            "/v1/admin/sla",
            Some(table(&ts, "李主管", 45).await),
        )
        .await;
    assert_eq!(s, 200, "{v2}");
    assert_eq!(v2["version"], 2);
    let (_, v) = ts.admin(Method::GET, "/v1/admin/sla", None).await;
    assert_eq!(v["current"], v2);
    let history: Vec<i64> = v["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["version"].as_i64().unwrap())
        .collect();
    assert_eq!(history, vec![2, 1]);
    assert_eq!(v["history"][1], v1, "the old version is kept as it was");
    let (_, log) = ts
        .admin(Method::GET, "/v1/admin/audit-log?limit=1000", None)
        .await;
    let details: Vec<&Value> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "sla_changed")
        .map(|e| &e["detail_args"]["version"])
        .collect();
    assert_eq!(details.len(), 2, "{log}");
    assert!(details.contains(&&json!(1)) && details.contains(&&json!(2)));

    // Job A: reported 11:00, not called by 11:45. Job B: reported 11:50.
    let tech = ts.create_technician("Technician SLA").await;
    let a = demo::repair_order(1, local(21, 14, 0), Billing::Paid);
    assert_eq!(a.reported_at, local(21, 11, 0));
    let mut b = demo::repair_order(2, local(21, 14, 0), Billing::Paid);
    b.reported_at = local(21, 11, 50);
    ts.create_job(&a, Some(&tech)).await;
    ts.create_job(&b, Some(&tech)).await;
    let r = at_risk(&ts).await;
    assert_eq!(r["sla_version"], 2);
    let ja = job_of(&r, &a.id).expect("job A at risk");
    assert_eq!(ja["level"], "breach");
    assert_eq!(ja["escalate_to"], "李主管");
    assert_eq!(
        ja["risks"],
        json!([{ "reason": "not_contacted", "level": "breach",
                 "due": local(21, 11, 45).timestamp_millis() }])
    );
    assert!(job_of(&r, &b.id).is_none(), "{r}");

    // B's phone calls the customer (reached) and sends a delay notice past the window.
    let p = phone(&ts, &tech).await;
    p.clock.set(local(21, 11, 55));
    p.kit.accept(b.id).unwrap();
    p.kit.call_customer(b.id, &demo::call_reached()).unwrap();
    p.kit
        .answer_step(b.id, "tools_parts_loaded", &AnswerValue::Confirmed)
        .unwrap();
    p.kit.start_travel(b.id).unwrap();
    let eta = b.promised.end + chrono::Duration::minutes(30);
    p.kit.notify_delay(b.id, "traffic", eta).unwrap();
    push_all(&ts, &p).await;
    let r = at_risk(&ts).await;
    let jb = job_of(&r, &b.id).expect("job B at risk after its delay notice");
    let reasons: Vec<&str> = jb["risks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, vec!["delay_notice", "eta_past_window"], "{jb}");
    assert_eq!(jb["risks"][1]["new_eta"], eta.timestamp_millis());
    assert_eq!(jb["escalate_to"], "李主管");
    assert_eq!(r["jobs"][0]["level"], "breach", "breaches first");

    // The time to first contact is measured: B reached 5 minutes after its call.
    let (s, m) = ts
        .admin(
            Method::GET,
            "/v1/admin/measures?from=2026-11-21&to=2026-11-21",
            None,
        )
        .await;
    assert_eq!(s, 200, "{m}");
    assert_eq!(m["fleet"]["first_contact"]["contacted"], 1, "{m}");
    assert_eq!(m["fleet"]["first_contact"]["max_minutes"], 5.0, "{m}");
    ts.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sla_and_at_risk_sqlite() {
    sla_and_at_risk(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sla_and_at_risk_postgres() {
    sla_and_at_risk(Backend::Postgres).await;
}
