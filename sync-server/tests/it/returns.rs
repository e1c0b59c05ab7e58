//! Returns and exchanges (004 一 第6章 第21–24条) end to end, on both backends: the desk's
//! sale record on a new work order, by the API and the dashboard's form (checked, typed
//! 400s); the phone and the server's judge
//! giving the same answer on every row of the rules' table; and a modified app's forged
//! return decisions refused by the judge (`checklist`) with the completion held.

use chrono::{Duration, Utc};
use fieldkit_core::checklist::AnswerValue;
use fieldkit_core::demo;
use fieldkit_core::model::returns::{self, PriceBasis, ReturnAnswer, ReturnFacts};
use fieldkit_core::model::returns_table::{at, table};
use fieldkit_core::model::*;
use fieldkit_core::sync::protocol::*;
use reqwest::Method;
use serde_json::json;

use crate::common::phone::{Phone, answer, phone};
use crate::common::{Backend, TestServer, hostile, server};

/// Where the phone's walk stops: every step before `return_decision` is done.
const BEFORE_DECISION: &str = "anomaly recorded and signed";

/// The table's dates are in June–August 2026: moved by whole days (so the customer's
/// calendar days between sale and request stay the same) to end before today.
fn shift() -> Duration {
    Duration::days((Utc::now() - at("2026-09-01T00:00:00+08:00")).num_days())
}

/// The order's sale and the on-site findings of `f`, moved by `by`.
fn split(f: &ReturnFacts, by: Duration) -> (Sale, Timestamp, ReturnFindings) {
    let sale = Sale {
        sold_at: f.sold_at + by,
        price_paid: f.price_paid,
        list_price: f.list_price,
        current_price: Some(f.current_price),
        seasonal: f.seasonal,
        category: f.category,
        customer_type: CustomerType::Individual,
        requested_at: None,
    };
    let found = ReturnFindings {
        request: f.request,
        proof_of_purchase: f.proof_of_purchase,
        resalable: f.resalable,
        inspection: f.inspection,
        misuse: f.misuse,
        fault: f.fault,
    };
    (sale, f.requested_at + by, found)
}

/// A return job for a new technician with `sale`, asked at `requested_at`; their phone has
/// walked it up to the return decision.
async fn job_at_decision(
    ts: &TestServer,
    n: usize,
    sale: Option<Sale>,
    requested_at: Timestamp,
) -> (WorkOrderId, Phone) {
    let tech = ts.create_technician(&format!("Technician R{n}")).await;
    let mut order = demo::repair_order(n as u32, Utc::now(), Billing::Warranty);
    order.kind = JobKind::ReturnExchange;
    order.reported_at = requested_at;
    order.sale = sale;
    ts.create_job(&order, Some(&tech)).await;
    let p = phone(ts, &tech, |_| {}).await;
    p.walk_until(order.id, BEFORE_DECISION);
    (order.id, p)
}

fn decision(found: ReturnFindings, decision: ReturnAnswer) -> AnswerValue {
    AnswerValue::ReturnDecision(ReturnDecision { found, decision })
}

/// The journal with one more answer to `return_decision` (like the honest one), carrying
/// `forged`, the timeline chained again.
fn with_forged_answer(mut ops: Vec<Op>, forged: AnswerValue) -> (Vec<Op>, usize) {
    let i = hostile::find(&ops, "answer_step", Some(("step", "return_decision")));
    let mut p = ops[i].payload.clone();
    p["answer"] = serde_json::to_value(&forged).unwrap();
    let op = hostile::forge(&ops[i], "answer_step", p);
    ops.push(op);
    hostile::rechain(&mut ops);
    let at = ops.len() - 1;
    (ops, at)
}

fn refused_by_checklist(o: &OpOutcome) -> bool {
    matches!(o, OpOutcome::Rejected { code, .. } if code == "checklist")
}

/// Every row of the rules' table: the phone's decision is the table's; the phone records it
/// and refuses another outcome; the server's judge applies the phone's answer and refuses the
/// other outcome forged into the journal — the same answer on both sides, row by row.
async fn device_and_server_agree(backend: Backend) {
    let Some(ts) = server(backend, |_| {}).await else {
        return;
    };
    ts.publish_demo_catalog().await;
    let by = shift();
    let rows = table();
    assert_eq!(rows.len(), 37);
    for (n, row) in rows.iter().enumerate() {
        let ctx = format!("{} ({}, {:?})", row.name, row.article, row.facts.category);
        let (sale, requested_at, found) = split(&row.facts, by);
        let (job, p) = job_at_decision(&ts, n, Some(sale), requested_at).await;

        // The device: the decision is the table's, and the only one it records.
        let decided = p.kit.return_decision(job, &found).unwrap();
        assert_eq!(decided.outcome, row.outcome, "{ctx}");
        assert_eq!(decided.reason, row.reason, "{ctx}");
        assert_eq!(decided.price_basis, row.basis, "{ctx}");
        assert_eq!(decided.amount, row.amount, "{ctx}");
        // Moved by whole days: the same calendar days, the same answer as the table's facts.
        assert_eq!(Ok(decided), returns::decide(&row.facts), "{ctx}");
        let mut other = decided;
        other.outcome = match decided.outcome {
            returns::Outcome::Refused => returns::Outcome::Return,
            _ => returns::Outcome::Refused,
        };
        assert!(
            matches!(
                p.kit
                    .answer_step(job, "return_decision", &decision(found, other)),
                Err(fieldkit_core::Error::Checklist(_))
            ),
            "{ctx}: the phone refuses another outcome"
        );
        p.kit
            .answer_step(job, "return_decision", &decision(found, decided))
            .unwrap_or_else(|e| panic!("{ctx}: {e}"));

        // The server: the phone's answer applied, the other outcome refused.
        let (ops, forged) = with_forged_answer(p.outbox(), decision(found, other));
        let r = ts.push_ops(&p.token, &ops).await;
        let honest = hostile::find(&ops, "answer_step", Some(("step", "return_decision")));
        assert_eq!(answer(&r, &ops[honest]), OpOutcome::Applied, "{ctx}");
        assert!(
            refused_by_checklist(&answer(&r, &ops[forged])),
            "{ctx}: {:?}",
            answer(&r, &ops[forged])
        );
    }
    ts.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_and_server_agree_on_every_row_sqlite() {
    device_and_server_agree(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_and_server_agree_on_every_row_postgres() {
    device_and_server_agree(Backend::Postgres).await;
}

/// A modified app's return decisions: each walked honestly to completion by the real core,
/// then the decision in the journal replaced by the forged one and the timeline chained
/// again. The judge refuses the answer (`checklist`), work cannot start on the visit's
/// replay, and the completion is held.
async fn forged_decisions(backend: Backend) {
    let Some(ts) = server(backend, |_| {}).await else {
        return;
    };
    ts.publish_demo_catalog().await;
    let by = shift();
    let base = fieldkit_core::model::returns_table::base();
    let mut day8 = base.clone();
    day8.requested_at = at(fieldkit_core::model::returns_table::DAY8);
    day8.fault = returns::Fault::Product;
    day8.resalable = false;
    let mut misuse = base.clone();
    misuse.misuse = Some(returns::Misuse::Washing);
    misuse.request = returns::Request::Exchange;
    let mut discount = base.clone();
    discount.price_paid = 80_000;
    discount.fault = returns::Fault::Product;
    let full_refund = ReturnAnswer {
        outcome: returns::Outcome::Return,
        reason: returns::Reason::WithinWindowFault,
        price_basis: Some(PriceBasis::Paid),
        amount: 100_000,
        days_since_sale: 0,
    };
    let cases = [
        ("refund on day 8 without a report", day8, full_refund),
        (
            "misuse claimed exchangeable",
            misuse,
            ReturnAnswer {
                outcome: returns::Outcome::Exchange,
                reason: returns::Reason::WithinWindow,
                ..full_refund
            },
        ),
        (
            "a discounted sale refunded at the original price",
            discount,
            ReturnAnswer {
                price_basis: Some(PriceBasis::Original),
                ..full_refund
            },
        ),
    ];
    for (n, (what, facts, forged)) in cases.into_iter().enumerate() {
        let (sale, requested_at, found) = split(&facts, by);
        let tech = ts.create_technician(&format!("Technician F{n}")).await;
        let mut order = demo::repair_order(100 + n as u32, Utc::now(), Billing::Paid);
        order.kind = JobKind::ReturnExchange;
        order.reported_at = requested_at;
        order.sale = Some(sale);
        ts.create_job(&order, Some(&tech)).await;
        let p = phone(&ts, &tech, |_| {}).await;
        let (kit, job) = (&p.kit, order.id);
        let honest = kit.return_decision(job, &found).unwrap();
        assert_ne!(honest, forged, "{what}: the rules decide otherwise");
        demo::walk_repair_visit(kit, job, &mut |s| {
            if s == BEFORE_DECISION {
                kit.answer_step(job, "return_decision", &decision(found, honest))?;
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{what}: {e}"));

        let mut ops = p.outbox();
        let i = hostile::find(&ops, "answer_step", Some(("step", "return_decision")));
        ops[i].payload["answer"] = serde_json::to_value(decision(found, forged)).unwrap();
        hostile::rechain(&mut ops);
        let r = ts.push_ops(&p.token, &ops).await;
        let o = answer(&r, &ops[i]);
        assert!(refused_by_checklist(&o), "{what}: {o:?}");
        let start = hostile::find(&ops, "start_work", None);
        assert!(
            matches!(answer(&r, &ops[start]), OpOutcome::Rejected { code, .. } if code == "blocked"),
            "{what}: {:?}",
            answer(&r, &ops[start])
        );
        let complete = ops.iter().rposition(|o| o.kind == "complete").unwrap();
        assert!(
            matches!(answer(&r, &ops[complete]), OpOutcome::Conflict { code, .. } if code == "completion_held"),
            "{what}: {:?}",
            answer(&r, &ops[complete])
        );
    }
    ts.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_return_decisions_are_refused_sqlite() {
    forged_decisions(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_return_decisions_are_refused_postgres() {
    forged_decisions(Backend::Postgres).await;
}

/// The desk's sale record on a new work order: stored and handed back as sent; bad facts and
/// unknown fields are a 400 that names the problem (and no personal data).
async fn sale_on_new_orders(backend: Backend) {
    let Some(ts) = server(backend, |_| {}).await else {
        return;
    };
    let now = Utc::now();
    let mut order = demo::repair_order(1, now, Billing::Warranty);
    order.kind = JobKind::ReturnExchange;
    let sale = demo::sale(order.reported_at - Duration::days(3));
    order.sale = Some(sale.clone());
    let created = ts.create_job(&order, None).await;
    let held: WorkOrder = serde_json::from_value(created["order"].clone()).unwrap();
    assert_eq!(held.sale, Some(sale.clone()));
    let (s, v) = ts
        .admin(
            Method::GET,
            &format!("/v1/admin/work-orders/{}", order.id),
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["order"]["sale"]["category"], "appliance");
    assert_eq!(v["order"]["sale"]["price_paid"], 299_900);

    let body = |sale: serde_json::Value| {
        let o = demo::repair_order(2, now, Billing::Warranty);
        json!({
            "number": "WO-SALE-2",
            "kind": "return_exchange",
            "customer": o.customer,
            "site": o.site,
            "product": o.product,
            "reported_fault": o.reported_fault,
            "promised": o.promised,
            "billing": o.billing,
            "reported_at": o.reported_at,
            "sale": sale,
        })
    };
    let good = serde_json::to_value(&sale).unwrap();
    let mut paid_above = good.clone();
    paid_above["price_paid"] = json!(400_000);
    let mut negative = good.clone();
    negative["current_price"] = json!(-1);
    let mut after = good.clone();
    after["sold_at"] = json!(now + Duration::days(1));
    let mut unknown = good.clone();
    unknown["discount"] = json!(10);
    let mut bad_category = good.clone();
    bad_category["category"] = json!("furniture");
    for (what, sale, says) in [
        (
            "paid above list",
            paid_above,
            "more than the original price",
        ),
        ("negative price", negative, "negative"),
        ("sold after the request", after, "before the sale"),
        ("unknown field", unknown, "discount"),
        ("unknown category", bad_category, "furniture"),
    ] {
        // Read in English (the words below); Chinese is the default.
        let r = ts
            .dispatcher(Method::POST, "/v1/admin/work-orders?lang=en")
            .json(&body(sale))
            .send()
            .await
            .unwrap();
        let s = r.status().as_u16();
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(s, 400, "{what}: {v}");
        assert_eq!(v["code"], "bad_request", "{what}: {v}");
        let text = v.to_string();
        assert!(text.contains(says), "{what}: {v}");
        assert!(
            !text.contains("王女士") && !text.contains("13800000000"),
            "{what}"
        );
    }
    let (s, v) = ts
        .admin(Method::POST, "/v1/admin/work-orders", Some(body(good)))
        .await;
    assert_eq!(s, 201, "{v}");

    // A second visit made from the return job keeps the sale, judged from the parent's day.
    let (s, v) = ts
        .admin(
            Method::POST,
            &format!("/v1/admin/work-orders/{}/children", order.id),
            Some(json!({ "kind": "second_visit", "job_kind": "return_exchange" })),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let child: WorkOrder = serde_json::from_value(v["order"].clone()).unwrap();
    let facts = child.sale_facts().expect("the child has the sale");
    assert_eq!(facts.requested_at, order.reported_at);
    assert_eq!(facts.sale.price_paid, sale.price_paid);
    assert_ne!(child.reported_at, order.reported_at);

    // The dashboard's new-job form: the sale typed in yuan, in the desk's offset (UTC+8).
    ts.create_dispatcher("desk.returns", "a long enough password")
        .await;
    let desk = ts
        .dashboard_login("desk.returns", "a long enough password")
        .await
        // The assertions below read the pages' English sentences.
        .in_english();
    let (_, form) = ts.page(&desk, "/jobs/new").await;
    assert!(form.contains("Sold on"), "the form offers the sale");
    assert!(form.contains("value=\"battery\""), "every category");
    let offset = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let local = |t: Timestamp| {
        t.with_timezone(&offset)
            .format("%Y-%m-%dT%H:%M")
            .to_string()
    };
    let (start, end, sold) = (
        local(now + Duration::hours(2)),
        local(now + Duration::hours(4)),
        local(now - Duration::days(5)),
    );
    let fields = |number: &'static str, paid: &'static str| -> Vec<(&'static str, String)> {
        [
            ("number", number),
            ("kind", "return_exchange"),
            ("customer_name", "Customer Li"),
            ("customer_phone", "13900002222"),
            ("address", "9 Garden Road"),
            ("zone", "urban"),
            ("product_model", "DW-60"),
            ("reported_fault", "leaks"),
            ("billing", "warranty"),
            ("price_paid", paid),
            ("list_price", "3299"),
            ("category", "appliance"),
            ("customer_type", "business"),
            ("seasonal", "on"),
        ]
        .into_iter()
        .map(|(k, v)| (k, v.to_owned()))
        .chain([
            ("window_start", start.clone()),
            ("window_end", end.clone()),
            ("sale_date", sold.clone()),
        ])
        .collect()
    };
    let post = async |f: Vec<(&'static str, String)>| {
        let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        ts.post_form(&desk, "/jobs/new", &f).await
    };
    let res = post(fields("WO-SALE-F1", "2999.50")).await;
    assert_eq!(res.status().as_u16(), 303);
    let id = res.headers()["location"]
        .to_str()
        .unwrap()
        .trim_start_matches("/jobs/")
        .to_owned();
    let (_, v) = ts
        .admin(Method::GET, &format!("/v1/admin/work-orders/{id}"), None)
        .await;
    let held: Sale = serde_json::from_value(v["order"]["sale"].clone()).unwrap();
    assert_eq!((held.price_paid, held.list_price), (299_950, 329_900));
    assert!(held.seasonal);
    assert_eq!(held.customer_type, CustomerType::Business);
    assert_eq!(local(held.sold_at), sold);
    // Paid above the list price: the page says so and creates nothing.
    let res = post(fields("WO-SALE-F2", "4000")).await;
    assert_eq!(res.status().as_u16(), 400);
    let page = res.text().await.unwrap();
    // In the desk's language (this desk chose English).
    assert!(
        page.contains("the price paid is more than the original price"),
        "{page}"
    );
    ts.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sale_on_new_orders_sqlite() {
    sale_on_new_orders(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sale_on_new_orders_postgres() {
    sale_on_new_orders(Backend::Postgres).await;
}
