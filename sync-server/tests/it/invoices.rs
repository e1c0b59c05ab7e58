//! Invoices to follow (发票待开) and the desk's money page, on both backends.
//!
//! A phone (its clock set by hand) settles paid repairs around 2026-11-20 (UTC+08:00): by
//! transfer without a receipt on the 18th (its invoice due on the 21st, 10:00), in cash
//! without a receipt on the 20th and the 21st, and in cash with a receipt on site (no invoice
//! owed). The server's clock stands at the 21st, 12:00. The report lists each settlement owed
//! an invoice as overdue or due, by its due date; the desk records an invoice once (the API
//! and the dashboard's form); hostile requests get typed 4xx and record nothing; when the
//! server's clock passes a due date the invoice is overdue. The dashboard's cash hand-in form
//! records what the API records, with the same checks.

use fieldkit_core::demo;
use fieldkit_core::model::*;
use fieldkit_server::clock::Clock;
use reqwest::Method;
use serde_json::{Value, json};

use crate::cash::{local, phone, push_all, settle_at};
use crate::common::{Backend, TestServer, server};

fn settlement(method: PaymentMethod, receipt: Option<&str>) -> Settlement {
    Settlement {
        amount: 13_000,
        method,
        receipt_no: receipt.map(str::to_owned),
        reason: None,
    }
}

async fn report(ts: &TestServer, query: &str) -> Vec<Value> {
    let (s, v) = ts
        .admin(
            Method::GET,
            &format!("/v1/admin/reports/invoices{query}"),
            None,
        )
        .await;
    assert_eq!(s, 200, "{query}: {v}");
    v["invoices"].as_array().expect("a list").clone()
}

fn jobs_of(rows: &[Value]) -> Vec<&str> {
    rows.iter()
        .map(|r| r["work_order_id"].as_str().unwrap())
        .collect()
}

async fn issue(ts: &TestServer, job: &str, body: Value) -> (u16, Value) {
    ts.admin(
        Method::POST,
        &format!("/v1/admin/work-orders/{job}/invoice"),
        Some(body),
    )
    .await
}

async fn invoices_to_follow(backend: Backend) {
    let clock = Clock::manual(local(21, 12, 0).timestamp_millis());
    let Some(ts) = server(backend, |c| c.clock = clock.clone()).await else {
        return;
    };
    ts.publish_demo_catalog().await;
    let tech = ts.create_technician("Technician Invoices").await;
    let plan = [
        (
            1,
            local(18, 10, 0),
            settlement(PaymentMethod::Transfer, None),
        ),
        (2, local(20, 10, 0), settlement(PaymentMethod::Cash, None)),
        (
            3,
            local(20, 11, 0),
            settlement(PaymentMethod::Cash, Some("SJ-3")),
        ),
        (4, local(21, 11, 0), settlement(PaymentMethod::Cash, None)),
    ];
    let mut jobs = Vec::new();
    for (n, at, _) in &plan {
        let job = demo::repair_order(*n, *at - chrono::Duration::hours(1), Billing::Paid);
        ts.create_job(&job, Some(&tech)).await;
        jobs.push(job.id);
    }
    // A job never settled.
    let unsettled = demo::repair_order(9, local(21, 9, 0), Billing::Warranty);
    ts.create_job(&unsettled, Some(&tech)).await;
    let p = phone(&ts, &tech).await;
    for ((_, at, s), id) in plan.into_iter().zip(&jobs) {
        settle_at(&p, *id, at, s);
    }
    push_all(&ts, &p).await;
    let [j1, j2, j3, j4] = [0, 1, 2, 3].map(|i| jobs[i].to_string());

    // Owed: 1 (overdue since the 21st 10:00), 2 and 4 (due); 3 had a receipt on site.
    let all = report(&ts, "").await;
    assert_eq!(
        jobs_of(&all),
        [j1.as_str(), j2.as_str(), j4.as_str()],
        "{all:?}"
    );
    assert_eq!(
        all.iter().map(|r| r["status"].clone()).collect::<Vec<_>>(),
        ["overdue", "due", "due"]
    );
    let due_of = |r: &Value| {
        chrono::DateTime::parse_from_rfc3339(r["due"].as_str().unwrap())
            .unwrap()
            .timestamp_millis()
    };
    assert_eq!(due_of(&all[0]), local(21, 10, 0).timestamp_millis());
    assert_eq!(due_of(&all[1]), local(23, 10, 0).timestamp_millis());
    assert_eq!(all[0]["method"], "transfer");
    assert_eq!(all[0]["amount"], 13_000);
    assert_eq!(all[0]["job_number"], "WO-DEMO-00001");
    assert_eq!(all[0]["technician_id"], tech.as_str());
    assert_eq!(all[0]["invoice"], Value::Null);
    assert_eq!(
        jobs_of(&report(&ts, "?status=overdue").await),
        [j1.as_str()]
    );
    assert_eq!(
        jobs_of(&report(&ts, "?status=due").await),
        [j2.as_str(), j4.as_str()]
    );
    assert!(report(&ts, "?status=issued").await.is_empty());

    // Job 2's invoice, issued today.
    let (s, v) = issue(
        &ts,
        &j2,
        json!({"number": " FP-0002 ", "issued_on": "2026-11-21"}),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["status"], "issued");
    assert_eq!(v["invoice"]["number"], "FP-0002");
    assert_eq!(v["invoice"]["issued_on"], "2026-11-21");
    assert_eq!(v["invoice"]["recorded_by"], "admin-token");
    let settlement_2 = v["settlement_id"].as_str().unwrap().to_owned();
    // Hostile or wrong: typed, nothing recorded.
    let long = "9".repeat(65);
    let refused: Vec<(&str, String, Value, u16, &str)> = vec![
        (
            "issued twice",
            j2.clone(),
            json!({"number": "FP-0003", "issued_on": "2026-11-21"}),
            409,
            "conflict",
        ),
        (
            "issued twice, by its id",
            j2.clone(),
            json!({"settlement_id": settlement_2, "number": "FP-0003", "issued_on": "2026-11-21"}),
            409,
            "conflict",
        ),
        (
            "a receipt on site: no invoice owed",
            j3.clone(),
            json!({"number": "FP-0004", "issued_on": "2026-11-21"}),
            409,
            "conflict",
        ),
        (
            "no settlement",
            unsettled.id.to_string(),
            json!({"number": "FP-0005", "issued_on": "2026-11-21"}),
            409,
            "conflict",
        ),
        (
            "no such job",
            WorkOrderId::new().to_string(),
            json!({"number": "FP-0006", "issued_on": "2026-11-21"}),
            404,
            "not_found",
        ),
        (
            "no such settlement of the job",
            j1.clone(),
            json!({"settlement_id": "nope", "number": "FP-0007", "issued_on": "2026-11-21"}),
            404,
            "not_found",
        ),
        (
            "another job's settlement",
            j1.clone(),
            json!({"settlement_id": settlement_2, "number": "FP-0007", "issued_on": "2026-11-21"}),
            404,
            "not_found",
        ),
        (
            "not a job id",
            "not-a-uuid".into(),
            json!({"number": "FP-0008", "issued_on": "2026-11-21"}),
            400,
            "bad_request",
        ),
        (
            "an unknown field",
            j1.clone(),
            json!({"number": "FP-1", "issued_on": "2026-11-21", "amount": 1}),
            400,
            "bad_request",
        ),
        (
            "no number",
            j1.clone(),
            json!({"issued_on": "2026-11-21"}),
            400,
            "bad_request",
        ),
        (
            "a blank number",
            j1.clone(),
            json!({"number": "  ", "issued_on": "2026-11-21"}),
            400,
            "bad_request",
        ),
        (
            "a number too long",
            j1.clone(),
            json!({"number": long, "issued_on": "2026-11-21"}),
            400,
            "bad_request",
        ),
        (
            "a number of the wrong type",
            j1.clone(),
            json!({"number": 7, "issued_on": "2026-11-21"}),
            400,
            "bad_request",
        ),
        (
            "not a day",
            j1.clone(),
            json!({"number": "FP-1", "issued_on": "2026-11-31"}),
            400,
            "bad_request",
        ),
        (
            "before the settlement's day",
            j1.clone(),
            json!({"number": "FP-1", "issued_on": "2026-11-17"}),
            400,
            "bad_request",
        ),
        (
            "after today",
            j1.clone(),
            json!({"number": "FP-1", "issued_on": "2026-11-22"}),
            400,
            "bad_request",
        ),
    ];
    for (what, job, body, status, code) in refused {
        let (s, v) = issue(&ts, &job, body).await;
        assert_eq!((s, v["code"].as_str()), (status, Some(code)), "{what}: {v}");
    }
    let res = ts
        .dispatcher(Method::POST, &format!("/v1/admin/work-orders/{j1}/invoice"))
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body("{\"number\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400, "malformed JSON");
    for q in ["?status=late", "?state=due", "?status="] {
        let (s, v) = ts
            .admin(Method::GET, &format!("/v1/admin/reports/invoices{q}"), None)
            .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (400, Some("bad_request")),
            "{q}: {v}"
        );
    }
    // A device's token is no desk's.
    let res = ts
        .client
        .get(ts.url("/v1/admin/reports/invoices"))
        .bearer_auth(&p.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    assert_eq!(jobs_of(&report(&ts, "?status=issued").await), [j2.as_str()]);
    assert_eq!(
        jobs_of(&report(&ts, "?status=overdue").await),
        [j1.as_str()]
    );

    // The dashboard: the money page lists them; its form records job 1's invoice.
    ts.create_account("desk.money", "a long enough password", "dispatcher")
        .await;
    let desk = ts
        .dashboard_login("desk.money", "a long enough password")
        .await;
    let (s, page) = ts.page(&desk, "/money").await;
    assert_eq!(s, 200);
    assert!(page.contains("待开发票"), "{page}");
    assert!(page.contains(r#"href="/money""#), "in the navigation");
    let overdue_table = page
        .split(r#"id="invoices-overdue""#)
        .nth(1)
        .and_then(|t| t.split("</table>").next())
        .expect("the overdue table");
    assert!(overdue_table.contains(&format!(r#"action="/money/invoices/{j1}""#)));
    assert!(!overdue_table.contains(&j2));
    let settlement_1 = all[0]["settlement_id"].as_str().unwrap();
    for (fields, status) in [
        (
            vec![
                ("settlement_id", settlement_1),
                ("number", "FP-0001"),
                ("issued_on", "2026-11-22"),
            ],
            400,
        ),
        (
            vec![("settlement_id", settlement_1), ("number", "FP-0001")],
            400,
        ),
    ] {
        let res = ts
            .post_form(&desk, &format!("/money/invoices/{j1}"), &fields)
            .await;
        assert_eq!(res.status().as_u16(), status, "{fields:?}");
    }
    let res = ts
        .post_form(
            &desk,
            &format!("/money/invoices/{j1}"),
            &[
                ("settlement_id", settlement_1),
                ("number", "FP-0001"),
                ("issued_on", "2026-11-21"),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let issued = report(&ts, "?status=issued").await;
    assert_eq!(jobs_of(&issued), [j1.as_str(), j2.as_str()]);
    assert_eq!(issued[0]["invoice"]["recorded_by"], "desk.money");
    let (_, page) = ts.page(&desk, "/money").await;
    assert!(page.contains("FP-0001") && page.contains("已开具"));

    // Audited: two invoices, each naming its job.
    let (_, log) = ts
        .admin(Method::GET, "/v1/admin/audit-log?limit=1000", None)
        .await;
    let targets: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "invoice_issued")
        .map(|e| e["target"].as_str().unwrap())
        .collect();
    assert_eq!(targets.len(), 2, "{log}");
    assert!(targets.contains(&j1.as_str()) && targets.contains(&j2.as_str()));

    // Three days on, job 4's invoice (due the 24th, 11:00) is overdue.
    clock.set(local(24, 12, 0).timestamp_millis());
    assert_eq!(
        jobs_of(&report(&ts, "?status=overdue").await),
        [j4.as_str()]
    );
    assert!(report(&ts, "?status=due").await.is_empty());
    ts.server.shutdown().await.unwrap();
}

async fn cash_handin_form(backend: Backend) {
    let Some(ts) = server(backend, |_| {}).await else {
        return;
    };
    let tech = ts.create_technician("Technician Hand-in").await;
    ts.create_account("desk.cash", "a long enough password", "dispatcher")
        .await;
    let desk = ts
        .dashboard_login("desk.cash", "a long enough password")
        .await;
    let (s, page) = ts.page(&desk, "/money").await;
    assert_eq!(s, 200);
    assert!(
        page.contains(r#"id="cash-handin""#) && page.contains("登记现金上交"),
        "{page}"
    );
    assert!(page.contains(&format!(r#"option value="{tech}""#)));

    // Refused, nothing recorded: bad amounts, a bad day, no such technician, a stray field.
    for (fields, status) in [
        (
            vec![
                ("technician_id", tech.as_str()),
                ("day", "2026-11-20"),
                ("amount", "12.345"),
            ],
            400,
        ),
        (
            vec![
                ("technician_id", tech.as_str()),
                ("day", "2026-11-20"),
                ("amount", "-5"),
            ],
            400,
        ),
        (
            vec![
                ("technician_id", tech.as_str()),
                ("day", "2026-11-20"),
                ("amount", "0"),
            ],
            400,
        ),
        (
            vec![
                ("technician_id", tech.as_str()),
                ("day", "2026-11-20"),
                ("amount", "1000000.01"),
            ],
            400,
        ),
        (
            vec![
                ("technician_id", tech.as_str()),
                ("day", "2026-11-31"),
                ("amount", "10"),
            ],
            400,
        ),
        (
            vec![
                ("technician_id", "nobody"),
                ("day", "2026-11-20"),
                ("amount", "10"),
            ],
            404,
        ),
        (
            vec![
                ("technician_id", tech.as_str()),
                ("day", "2026-11-20"),
                ("amount", "10"),
                ("total", "9"),
            ],
            400,
        ),
    ] {
        let res = ts.post_form(&desk, "/money/cash-handins", &fields).await;
        assert_eq!(res.status().as_u16(), status, "{fields:?}");
    }
    // Without the CSRF token: refused.
    let res = ts
        .no_redirects()
        .post(ts.url("/money/cash-handins"))
        .header(reqwest::header::COOKIE, &desk.cookie)
        .form(&[
            ("technician_id", tech.as_str()),
            ("day", "2026-11-20"),
            ("amount", "10"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    let (_, r) = ts
        .admin(Method::GET, "/v1/admin/reports/cash?date=2026-11-20", None)
        .await;
    assert_eq!(r["technicians"], json!([]), "nothing recorded: {r}");

    // 130.50 yuan for the 20th: recorded in fen, audited, back on the page's day.
    let res = ts
        .post_form(
            &desk,
            "/money/cash-handins",
            &[
                ("technician_id", tech.as_str()),
                ("day", "2026-11-20"),
                ("amount", "130.5"),
                ("note", "收银台"),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(
        res.headers()["location"].to_str().unwrap(),
        "/money?day=2026-11-20#cash"
    );
    let (_, r) = ts
        .admin(Method::GET, "/v1/admin/reports/cash?date=2026-11-20", None)
        .await;
    assert_eq!(r["technicians"][0]["technician_id"], tech.as_str());
    assert_eq!(r["technicians"][0]["handed_in"], 13_050);
    let (_, log) = ts.admin(Method::GET, "/v1/admin/audit-log", None).await;
    let by: Vec<&Value> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "cash_handed_in")
        .collect();
    assert_eq!(by.len(), 1);
    assert_eq!(by[0]["actor"], "desk.cash");
    ts.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoices_to_follow_sqlite() {
    invoices_to_follow(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoices_to_follow_postgres() {
    invoices_to_follow(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cash_handin_form_sqlite() {
    cash_handin_form(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cash_handin_form_postgres() {
    cash_handin_form(Backend::Postgres).await;
}
