//! The board's panel of jobs at risk in a real headless Chromium, on both backends: the desk
//! has the board open (connected live); a job reported just now is not on the panel; the
//! technician's phone (the core, through the real sync protocol) calls the customer, sets
//! off and sends a delay notice whose ETA is past the promised window; the open board shows
//! the job on the panel — the delay and the ETA past the window, escalated to the supervisor
//! — without a reload (polled in the DOM with a deadline).
//!
//! Needs `/usr/bin/chromedriver` and `/usr/bin/chromium` (`bash .ci/chromium.sh`); fails
//! without them unless `FIELDKIT_SKIP_BROWSER=1`.

use std::time::Duration;

use chrono::Utc;
use fieldkit_core::checklist::AnswerValue;
use fieldkit_core::demo;
use fieldkit_core::model::Billing;
use serde_json::json;

use crate::common::journal::sync_options;
use crate::common::webdriver::Browser;
use crate::common::{Backend, server};

const PASSWORD: &str = "a long dispatcher password";
/// How long a page or a live update may take on a busy 2-core machine.
const WAIT: Duration = Duration::from_secs(30);

async fn delay_notice_goes_at_risk(backend: Backend) {
    let Some(ts) = server(backend, |_| {}).await else {
        return;
    };
    let Some(b) = Browser::start().await else {
        return;
    };
    ts.create_dispatcher("desk", PASSWORD).await;
    let tech = ts.create_technician("Technician Risk Zhao").await;
    ts.publish_demo_catalog().await;
    let (_phone_dir, kit) = ts.enrolled_kit(&tech, &sync_options()).await;
    // Reported just now: within every limit until the phone says otherwise.
    let now = Utc::now();
    let mut job = demo::repair_order(7, now, Billing::Paid);
    job.reported_at = now;
    ts.create_job(&job, Some(&tech)).await;
    let id = job.id.to_string();

    b.goto(&ts.url("/login")).await;
    let login = b.find("#login [name=\"login\"]").await;
    b.send_keys(&login, "desk").await;
    let password = b.find("#login [name=\"password\"]").await;
    b.send_keys(&password, PASSWORD).await;
    b.click(&b.find("#login-submit").await).await;
    b.wait_for("table#board", WAIT).await;
    b.wait_for("body[data-live=\"open\"]", WAIT).await;
    b.wait_for("#at-risk-jobs", WAIT).await;
    let row = format!("#at-risk-jobs tr#risk-{id}");
    assert!(
        b.try_find(&row).await.unwrap().is_none(),
        "a job reported just now is not at risk"
    );
    b.execute("window.fieldkitMark = 'not reloaded'; return true;", vec![])
        .await;

    // The phone pulls the job, calls the customer, sets off and sends a late ETA.
    let r = kit
        .sync(&sync_options(), &|_| {})
        .await
        .expect("first sync");
    assert!(r.pulled >= 1, "{r:?}");
    kit.accept(job.id).unwrap();
    kit.call_customer(job.id, &demo::call_reached()).unwrap();
    kit.answer_step(job.id, "tools_parts_loaded", &AnswerValue::Confirmed)
        .unwrap();
    kit.start_travel(job.id).unwrap();
    let eta = job.promised.end + chrono::Duration::minutes(30);
    kit.notify_delay(job.id, "traffic on the ring road", eta)
        .unwrap();
    let r = kit
        .sync(&sync_options(), &|_| {})
        .await
        .expect("second sync");
    assert_eq!((r.rejected, r.conflicts), (0, 0), "{r:?}");

    // The open board's panel shows it, polled in the DOM.
    b.wait_for(&row, WAIT).await;
    assert_eq!(
        b.live_attribute(&row, "data-level", WAIT).await.as_deref(),
        Some("breach")
    );
    let text = b.live_text(&row, WAIT).await;
    assert!(text.contains(&job.number), "{text}");
    assert!(
        text.contains("技师报告延误") && !text.contains("Delay notice"),
        "{text}"
    );
    assert!(text.contains("预计到达晚于约定时段"), "{text}");
    assert!(
        text.contains("售后服务主管"),
        "escalated to the supervisor: {text}"
    );
    assert!(
        b.try_find(&format!("{row} [data-reason=\"eta_past_window\"]"))
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        b.execute("return window.fieldkitMark || null;", vec![])
            .await,
        json!("not reloaded"),
        "the board was reloaded instead of updated live"
    );
    b.quit().await;
    ts.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delay_notice_goes_at_risk_in_chromium_sqlite() {
    delay_notice_goes_at_risk(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delay_notice_goes_at_risk_in_chromium_postgres() {
    delay_notice_goes_at_risk(Backend::Postgres).await;
}
