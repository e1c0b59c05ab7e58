//! The desk logs a phone complaint in a real headless Chromium (over WebDriver, as
//! `dashboard_browser.rs`), on both backends: it logs in, opens the complaints page, takes in
//! a complaint about a job by the job's number, lands on the complaint, assesses it (the
//! technician responsible), resolves it and reports the result to a satisfied customer; the
//! queue then shows it closed with the measures, and the JSON API agrees. A calendar that
//! does not load is refused on the page, and nothing is stored.
//!
//! Needs `/usr/bin/chromedriver` and `/usr/bin/chromium` (`bash .ci/chromium.sh`); fails
//! without them unless `FIELDKIT_SKIP_BROWSER=1`.

use std::time::Duration;

use fieldkit_core::demo;
use fieldkit_core::model::Billing;
use reqwest::Method;

use crate::common::webdriver::Browser;
use crate::common::{Backend, server};

const PASSWORD: &str = "a long dispatcher password";
const WAIT: Duration = Duration::from_secs(30);

async fn select(b: &Browser, form: &str, name: &str, value: &str) {
    b.click(
        &b.find(&format!(
            "{form} select[name=\"{name}\"] option[value=\"{value}\"]"
        ))
        .await,
    )
    .await;
}

async fn type_in(b: &Browser, css: &str, text: &str) {
    let el = b.find(css).await;
    b.clear(&el).await;
    b.send_keys(&el, text).await;
}

async fn submit(b: &Browser, form: &str) {
    b.click(&b.find(&format!("{form} button[type=\"submit\"]")).await)
        .await;
}

async fn desk_logs_a_phone_complaint(backend: Backend) {
    let Some(ts) = server(backend, |_| {}).await else {
        return;
    };
    let Some(b) = Browser::start().await else {
        return;
    };
    ts.create_dispatcher("desk", PASSWORD).await;
    let tech = ts.create_technician("Technician Complaint Wang").await;
    let order = demo::repair_order(7, chrono::Utc::now(), Billing::Paid);
    ts.create_job(&order, Some(&tech)).await;

    b.goto(&ts.url("/login")).await;
    type_in(&b, "#login [name=\"login\"]", "desk").await;
    type_in(&b, "#login [name=\"password\"]", PASSWORD).await;
    b.click(&b.find("#login-submit").await).await;
    b.wait_for("table#board", WAIT).await;

    // The phone call: taken in about the job, by its number.
    b.goto(&ts.url("/complaints")).await;
    b.wait_for("form#complaint-intake", WAIT).await;
    select(&b, "#complaint-intake", "channel", "phone").await;
    select(&b, "#complaint-intake", "category", "timeliness").await;
    type_in(&b, "#complaint-intake [name=\"job_number\"]", &order.number).await;
    type_in(
        &b,
        "#complaint-intake [name=\"summary\"]",
        "师傅迟到两个小时，也没有提前打电话",
    )
    .await;
    submit(&b, "#complaint-intake").await;
    let id = b
        .wait_until("the complaint's page", WAIT, async || {
            let url = b.current_url().await;
            let rest = url.split_once("/complaints/")?.1.to_owned();
            (!rest.is_empty()).then_some(rest)
        })
        .await;
    b.wait_for_attribute("table#complaint", "data-state", "open", WAIT)
        .await;

    // Assessed: valid, the technician responsible.
    type_in(&b, "form#assess [name=\"cause\"]", "未按约定时间上门").await;
    select(&b, "form#assess", "responsible", "technician").await;
    select(&b, "form#assess", "technician_id", &tech).await;
    submit(&b, "form#assess").await;
    b.wait_for_attribute("table#complaint", "data-revision", "2", WAIT)
        .await;
    // Resolved, then the result reported to a satisfied customer.
    type_in(
        &b,
        "form#resolve [name=\"resolution\"]",
        "致电道歉并减免上门费",
    )
    .await;
    submit(&b, "form#resolve").await;
    b.wait_for_attribute("table#complaint", "data-state", "handled", WAIT)
        .await;
    select(&b, "form#report", "opinion", "satisfied").await;
    submit(&b, "form#report").await;
    b.wait_for_attribute("table#complaint", "data-state", "closed", WAIT)
        .await;

    // The queue shows it closed, with the job's number and the measures.
    b.goto(&ts.url("/complaints")).await;
    let row = format!("#complaint-queue tr[data-id=\"{id}\"]");
    b.wait_for_attribute(&row, "data-status", "closed", WAIT)
        .await;
    assert!(b.live_text(&row, WAIT).await.contains(&order.number));
    let measures = b.live_text("#complaint-measures", WAIT).await;
    assert!(measures.contains("100% (1/1)"), "{measures}");

    // A calendar that does not load is refused on the page; nothing is stored.
    type_in(
        &b,
        "#calendar-upload [name=\"document\"]",
        r#"{"header": {}, "years": [{"year": 2027, "source_url": "x", "holidays": [], "working_days": [{"date": "2027-03-01"}]}]}"#,
    )
    .await;
    submit(&b, "#calendar-upload").await;
    b.wait_until("the refusal", WAIT, async || {
        let body = b.live_text("body", WAIT).await;
        body.contains("2027-03-01").then_some(())
    })
    .await;

    let (s, c) = ts
        .admin(Method::GET, &format!("/v1/admin/complaints/{id}"), None)
        .await;
    assert_eq!(s, 200);
    assert_eq!(c["state"], "closed");
    assert_eq!(c["channel"], "phone");
    assert_eq!(c["work_order_id"], order.id.to_string());
    assert_eq!(c["assessment"]["technician_id"], tech.as_str());
    assert_eq!(c["taken_by"], "desk");
    let (_, cal) = ts
        .admin(Method::GET, "/v1/admin/holiday-calendar", None)
        .await;
    assert_eq!(cal["version"], serde_json::Value::Null);
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn desk_logs_a_phone_complaint_in_chromium_sqlite() {
    desk_logs_a_phone_complaint(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn desk_logs_a_phone_complaint_in_chromium_postgres() {
    desk_logs_a_phone_complaint(Backend::Postgres).await;
}
