//! Linked jobs (关联工单), on both backends: the desk makes a child job from a parent in one
//! call — it copies the parent's customer, site and product, links to the parent, and when
//! assigned reaches the technician's phone, which pulls it (through the real sync client) with
//! its parent link; the job JSON and the job page show the chain both ways; bad or hostile
//! requests get typed 4xx and make nothing.

use chrono::Utc;
use fieldkit_core::model::*;
use fieldkit_core::{FieldKit, demo};
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::journal::sync_options;
use crate::common::{Backend, TestServer, server};

async fn sync(kit: &FieldKit) {
    kit.sync(&sync_options(), &|_| {})
        .await
        .expect("the phone syncs");
}

async fn get_job(ts: &TestServer, id: &str) -> Value {
    let (s, v) = ts
        .admin(Method::GET, &format!("/v1/admin/work-orders/{id}"), None)
        .await;
    assert_eq!(s, 200, "{v}");
    v
}

async fn make_child(ts: &TestServer, parent: WorkOrderId, body: Value) -> (u16, Value) {
    ts.admin(
        Method::POST,
        &format!("/v1/admin/work-orders/{parent}/children"),
        Some(body),
    )
    .await
}

async fn desk_makes_children_and_the_phone_pulls_them(backend: Backend) {
    let Some(ts) = server(backend, |_| {}).await else {
        return;
    };
    ts.publish_demo_catalog().await;
    let tech = ts.create_technician("Technician Linked").await;

    // A repair the phone does and syncs: the parent is completed on the server.
    let repair = demo::repair_order(1, Utc::now(), Billing::Paid);
    ts.create_job(&repair, Some(&tech)).await;
    let (_dir, kit) = ts.enrolled_kit(&tech, &sync_options()).await;
    sync(&kit).await;
    demo::walk_repair_visit(&kit, repair.id, &mut |_| Ok(())).unwrap();
    sync(&kit).await;
    let list = ts.settled_completions().await;
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(
        get_job(&ts, &repair.id.to_string()).await["order"]["status"],
        "completed"
    );

    // The repair a callback turned up, in one call: the parent's customer, site and product.
    let (s, child) = make_child(
        &ts,
        repair.id,
        json!({"kind": "callback_repair", "assign_to": tech, "reported_fault": "drips again"}),
    )
    .await;
    assert_eq!(s, 201, "{child}");
    let o = &child["order"];
    assert_eq!(o["kind"], "repair");
    assert_eq!(o["status"], "assigned");
    assert_eq!(o["number"], format!("{}-1", repair.number));
    assert_eq!(o["reported_fault"], "drips again");
    assert_eq!(o["customer"], json!(repair.customer));
    assert_eq!(o["site"], json!(repair.site));
    assert_eq!(o["product"], json!(repair.product));
    assert_eq!(o["billing"], "paid");
    assert_eq!(
        o["parent"],
        json!({"id": repair.id, "number": repair.number, "kind": "callback_repair"})
    );
    assert_eq!(child["technician_id"], tech.as_str());
    assert_eq!(child["parent"]["status"], "completed");
    assert_eq!(child["children"], json!([]));
    let child_id: WorkOrderId = serde_json::from_value(o["id"].clone()).unwrap();
    assert_ne!(child_id, repair.id);

    // A delivery, and its redelivery made unassigned, then another assigned: kind delivery.
    let mut delivery = demo::repair_order(2, Utc::now(), Billing::Warranty);
    delivery.kind = JobKind::Delivery;
    ts.create_job(&delivery, Some(&tech)).await;
    let (s, redelivery) = make_child(&ts, delivery.id, json!({"kind": "redelivery"})).await;
    assert_eq!(s, 201, "{redelivery}");
    assert_eq!(redelivery["order"]["kind"], "delivery");
    assert_eq!(redelivery["technician_id"], Value::Null);
    let (s, second) = make_child(
        &ts,
        delivery.id,
        json!({"kind": "redelivery", "assign_to": tech, "number": "RD-2",
               "promised": delivery.promised, "instructions": "call first"}),
    )
    .await;
    assert_eq!(s, 201, "{second}");
    assert_eq!(second["order"]["number"], "RD-2");
    assert_eq!(second["order"]["promised"], json!(delivery.promised));
    let second_id: WorkOrderId = serde_json::from_value(second["order"]["id"].clone()).unwrap();

    // The phone pulls both assigned children with their links; the unassigned one is not its.
    sync(&kit).await;
    let pulled = kit.job(child_id).unwrap().order;
    assert_eq!(
        pulled.parent,
        Some(ParentLink {
            id: repair.id,
            number: repair.number.clone(),
            kind: LinkKind::CallbackRepair,
        })
    );
    assert_eq!(pulled.customer, repair.customer);
    assert_eq!(pulled.kind, JobKind::Repair);
    let pulled = kit.job(second_id).unwrap().order;
    assert_eq!(
        pulled.parent.map(|p| (p.id, p.kind)),
        Some((delivery.id, LinkKind::Redelivery))
    );
    assert_eq!(pulled.kind, JobKind::Delivery);
    let redelivery_id: WorkOrderId =
        serde_json::from_value(redelivery["order"]["id"].clone()).unwrap();
    assert!(
        kit.job(redelivery_id).is_err(),
        "an unassigned job stays on the server"
    );
    // A new phone of the technician gets them too, from scratch.
    let (_dir2, kit2) = ts.enrolled_kit(&tech, &sync_options()).await;
    sync(&kit2).await;
    assert_eq!(
        kit2.job(child_id).unwrap().order.parent.map(|p| p.number),
        Some(repair.number.clone())
    );

    // The chain both ways in the job JSON.
    let parent = get_job(&ts, &delivery.id.to_string()).await;
    assert_eq!(parent["parent"], Value::Null);
    let children = parent["children"].as_array().unwrap();
    assert_eq!(children.len(), 2, "{parent}");
    assert_eq!(children[0]["id"], redelivery["order"]["id"]);
    assert_eq!(children[0]["number"], format!("{}-1", delivery.number));
    assert_eq!(children[1]["number"], "RD-2");
    assert_eq!(children[1]["link"], "redelivery");
    assert_eq!(children[1]["kind"], "delivery");
    assert_eq!(children[1]["status"], "assigned");
    assert_eq!(children[1]["technician_id"], tech.as_str());
    let back = get_job(&ts, &second_id.to_string()).await;
    assert_eq!(back["parent"]["id"], json!(delivery.id));
    assert_eq!(back["parent"]["link"], "redelivery");
    assert_eq!(back["parent"]["kind"], "delivery");
    assert_eq!(back["children"], json!([]));
    // The repair's chain lists its one child; the list of jobs keeps its shape.
    let repair_json = get_job(&ts, &repair.id.to_string()).await;
    assert_eq!(repair_json["children"][0]["id"], json!(child_id));
    assert_eq!(repair_json["children"][0]["link"], "callback_repair");

    // Audited: who, which child, which link.
    let (s, log) = ts
        .admin(Method::GET, "/v1/admin/audit-log?limit=1000", None)
        .await;
    assert_eq!(s, 200);
    let made: Vec<&Value> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "job_child_created")
        .collect();
    assert_eq!(made.len(), 3, "{log}");
    assert!(made.iter().any(|e| {
        e["target"] == json!(child_id)
            && e["detail_code"] == "audit_child_of"
            && e["detail_args"]["kind"]["word"] == "callback_repair"
            && e["detail_args"]["parent"] == json!(repair.id)
    }));
    ts.server.shutdown().await.unwrap();
}

async fn bad_requests_make_nothing(backend: Backend) {
    let Some(ts) = server(backend, |_| {}).await else {
        return;
    };
    let tech = ts.create_technician("Technician Refusals").await;
    let parent = demo::repair_order(7, Utc::now(), Billing::Warranty);
    ts.create_job(&parent, Some(&tech)).await;
    let refused = [
        (json!({"kind": "rework", "surprise": 1}), 400, "bad_request"),
        (json!({"kind": "recall"}), 400, "bad_request"),
        (json!({}), 400, "bad_request"),
        (
            json!({"kind": "redelivery", "job_kind": "repair"}),
            400,
            "bad_request",
        ),
        (
            json!({"kind": "follow_up", "job_kind": "installation"}),
            400,
            "bad_request",
        ),
        (
            json!({"kind": "rework", "number": "   "}),
            400,
            "bad_request",
        ),
        (
            json!({"kind": "rework", "number": "9".repeat(65)}),
            400,
            "bad_request",
        ),
        (
            json!({"kind": "rework", "reported_fault": ""}),
            400,
            "bad_request",
        ),
        (
            json!({"kind": "rework", "promised": {"start": "2026-12-05T10:00:00Z", "end": "2026-12-05T09:00:00Z"}}),
            400,
            "bad_request",
        ),
        (
            json!({"kind": "rework", "assign_to": "no-such-technician"}),
            404,
            "not_found",
        ),
    ];
    for (body, status, code) in &refused {
        let (s, v) = make_child(&ts, parent.id, body.clone()).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (*status, Some(*code)),
            "{body}: {v}"
        );
    }
    // A rework may redo an installation; a second visit may be any kind of work.
    let (s, v) = make_child(
        &ts,
        parent.id,
        json!({"kind": "rework", "job_kind": "installation"}),
    )
    .await;
    assert_eq!(
        (s, &v["order"]["kind"]),
        (201, &json!("installation")),
        "{v}"
    );
    let (s, v) = make_child(
        &ts,
        parent.id,
        json!({"kind": "second_visit", "job_kind": "return_exchange"}),
    )
    .await;
    assert_eq!(
        (s, &v["order"]["kind"]),
        (201, &json!("return_exchange")),
        "{v}"
    );
    assert_eq!(
        get_job(&ts, &parent.id.to_string()).await["children"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // No such parent; not a job id.
    let (s, v) = make_child(&ts, WorkOrderId::new(), json!({"kind": "rework"})).await;
    assert_eq!((s, v["code"].as_str()), (404, Some("not_found")), "{v}");
    let (s, _) = ts
        .admin(
            Method::POST,
            "/v1/admin/work-orders/not-a-uuid/children",
            Some(json!({"kind": "rework"})),
        )
        .await;
    assert_eq!(s, 400);
    // A cancelled parent: 409, nothing made.
    let (s, v) = ts
        .admin(
            Method::POST,
            &format!("/v1/admin/work-orders/{}/cancel", parent.id),
            Some(json!({"reason": "customer moved"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = make_child(&ts, parent.id, json!({"kind": "rework"})).await;
    assert_eq!((s, v["code"].as_str()), (409, Some("conflict")), "{v}");
    assert_eq!(
        get_job(&ts, &parent.id.to_string()).await["children"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // A device's token is no desk's.
    let token = ts.enrol(&tech, DeviceId::new()).await.token;
    let res = ts
        .client
        .post(ts.url(&format!("/v1/admin/work-orders/{}/children", parent.id)))
        .bearer_auth(&token)
        .json(&json!({"kind": "rework"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    ts.server.shutdown().await.unwrap();
}

async fn the_job_page_shows_the_chain_and_makes_a_child(backend: Backend) {
    let Some(ts) = server(backend, |_| {}).await else {
        return;
    };
    let tech = ts.create_technician("Technician Page").await;
    ts.create_dispatcher("desk.links", "a long enough password")
        .await;
    let desk = ts
        .dashboard_login("desk.links", "a long enough password")
        .await;
    let parent = demo::repair_order(3, Utc::now(), Billing::Paid);
    ts.create_job(&parent, Some(&tech)).await;

    let (s, page) = ts.page(&desk, &format!("/jobs/{}", parent.id)).await;
    assert_eq!(s, 200);
    assert!(
        page.contains("<h2>关联工单</h2>") && page.contains("暂无关联工单"),
        "{page}"
    );
    assert!(page.contains(r#"id="new-child""#));

    // The form makes a rework for the technician and lands on its page.
    let res = ts
        .post_form(
            &desk,
            &format!("/jobs/{}/children", parent.id),
            &[
                ("kind", "rework"),
                ("technician_id", tech.as_str()),
                ("start", ""),
                ("end", ""),
                ("reported_fault", ""),
                ("instructions", ""),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let to = res.headers()["location"].to_str().unwrap().to_owned();
    let child_id = to.trim_start_matches("/jobs/").to_owned();
    let child = get_job(&ts, &child_id).await;
    assert_eq!(child["order"]["parent"]["kind"], "rework");
    assert_eq!(
        child["order"]["reported_fault"],
        json!(parent.reported_fault)
    );
    assert_eq!(child["technician_id"], tech.as_str());
    let (s, page) = ts.page(&desk, &to).await;
    assert_eq!(s, 200);
    assert!(page.contains(r#"id="chain-parent""#), "{page}");
    assert!(page.contains(&format!(r#"href="/jobs/{}""#, parent.id)));
    assert!(
        page.contains(" · 返工") && page.contains(">已派工<"),
        "{page}"
    );
    let (_, page) = ts.page(&desk, &format!("/jobs/{}", parent.id)).await;
    assert!(page.contains(r#"id="chain-children""#));
    assert!(page.contains(&format!(r#"href="/jobs/{child_id}""#)));

    // A bad kind or half a window: refused, nothing made.
    for fields in [
        vec![("kind", "recall")],
        vec![("kind", "rework"), ("start", "2026-12-05T10:00")],
    ] {
        let res = ts
            .post_form(&desk, &format!("/jobs/{}/children", parent.id), &fields)
            .await;
        assert_eq!(res.status().as_u16(), 400, "{fields:?}");
    }
    assert_eq!(
        get_job(&ts, &parent.id.to_string()).await["children"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    ts.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn children_reach_the_phone_sqlite() {
    desk_makes_children_and_the_phone_pulls_them(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn children_reach_the_phone_postgres() {
    desk_makes_children_and_the_phone_pulls_them(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_child_requests_sqlite() {
    bad_requests_make_nothing(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_child_requests_postgres() {
    bad_requests_make_nothing(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_page_chain_sqlite() {
    the_job_page_shows_the_chain_and_makes_a_child(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_page_chain_postgres() {
    the_job_page_shows_the_chain_and_makes_a_child(Backend::Postgres).await;
}
