//! The desk's complaint and callback work in a real headless Chromium (over WebDriver, as
//! `dashboard_browser.rs`), on both backends. A phone completes a repair and syncs; the desk
//! logs in, sets the callback rules on the page (every job), works the callback queue (the
//! customer reached, rated 2, complains: the complaint is taken in on the callback channel);
//! then it takes in a phone complaint about the job by the job's number, assesses it (the
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

use crate::common::journal::sync_options;
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
    // The phone does the repair and syncs; the completion is counted.
    ts.publish_demo_catalog().await;
    let (_phone_dir, kit) = ts.enrolled_kit(&tech, &sync_options()).await;
    kit.sync(&sync_options(), &|_| {})
        .await
        .expect("first sync");
    demo::walk_repair_visit(&kit, order.id, &mut |_| Ok(())).expect("the visit");
    kit.sync(&sync_options(), &|_| {})
        .await
        .expect("second sync");
    let counted = ts.settled_completions().await;
    assert_eq!(counted[0]["state"], "counted", "{counted:?}");

    b.goto(&ts.url("/login")).await;
    type_in(&b, "#login [name=\"login\"]", "desk").await;
    type_in(&b, "#login [name=\"password\"]", PASSWORD).await;
    b.click(&b.find("#login-submit").await).await;
    b.wait_for("table#board", WAIT).await;

    // The callback rules: every job; the job is then in the callback queue.
    b.goto(&ts.url("/callbacks")).await;
    b.wait_for("form#callback-rules", WAIT).await;
    type_in(&b, "#callback-rules [name=\"sample_percent\"]", "100").await;
    submit(&b, "#callback-rules").await;
    let row = format!("#callback-queue tr[data-job=\"{}\"]", order.id);
    b.wait_for_attribute(&row, "data-status", "due", WAIT).await;
    let shown = b.live_text(&row, WAIT).await;
    assert!(
        shown.contains(&order.customer.phone),
        "the contact: {shown}"
    );
    assert!(shown.contains(&order.number), "{shown}");
    // The customer is reached, rates 2 and complains.
    select(&b, &format!("{row} form.call"), "rating", "2").await;
    select(&b, &format!("{row} form.call"), "problem", "complaint").await;
    select(
        &b,
        &format!("{row} form.call"),
        "complaint_category",
        "attitude",
    )
    .await;
    type_in(
        &b,
        &format!("{row} form.call [name=\"note\"]"),
        "师傅说话不客气",
    )
    .await;
    submit(&b, &format!("{row} form.call")).await;
    b.wait_for_attribute(&row, "data-status", "done", WAIT)
        .await;
    let measures = b.live_text("#callback-measures", WAIT).await;
    assert!(
        measures.contains("2.00"),
        "the callback's rating: {measures}"
    );
    let (_, q) = ts.admin(Method::GET, "/v1/admin/complaints", None).await;
    let from_callback = &q["complaints"][0]["complaint"];
    assert_eq!(from_callback["channel"], "callback");
    assert_eq!(from_callback["summary"], "师傅说话不客气");

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
    assert!(
        measures.contains("2"),
        "both complaints received: {measures}"
    );

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
