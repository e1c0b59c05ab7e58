//! The dispatcher dashboard in a real headless Chromium (Debian's, driven over WebDriver by
//! `common/webdriver.rs`), on both backends: a dispatcher logs in through the login form,
//! creates a job with the new-job form and assigns it to a technician, opens the board for
//! the job's day and waits for its live connection; then a simulated phone (the core, its own
//! database, its own sync client) pulls the job, walks the visit to completion with the
//! customer's signature and pushes it, and the already-open board shows the row turn
//! `completed` without a reload. The day's CSV is fetched in the browser's session, a
//! screenshot of the board is kept under `target/test-artifacts/`. From the completed job's
//! page the dispatcher makes the repair a callback turned up (the chain's form): the new job's
//! page links back to its parent and the phone pulls it with its parent link. The server's
//! logs (captured here) must hold none of the customer's name, phone or address.
//!
//! Needs `/usr/bin/chromedriver` and `/usr/bin/chromium` (`bash .ci/chromium.sh`); fails
//! without them unless `FIELDKIT_SKIP_BROWSER=1`.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, Once};
use std::time::Duration;

use crate::common::journal::sync_options;
use crate::common::webdriver::Browser;
use crate::common::{Backend, server};
use fieldkit_core::model::{LinkKind, WorkOrderId};
use fieldkit_core::{FieldKit, demo};
use reqwest::Method;
use serde_json::json;

const PASSWORD: &str = "a long dispatcher password";
const CUSTOMER_NAME: &str = "Customer Qiao Lanfang";
const CUSTOMER_PHONE: &str = "13987654321";
const CUSTOMER_ADDRESS: &str = "77 Lantern Alley, Building 3";
/// How long a page or a live update may take on a busy 2-core machine.
const WAIT: Duration = Duration::from_secs(30);

// ------------------------------------------------------------------ captured logs

/// Everything the process logged through `tracing` while a browser test ran ([`capture_logs`]):
/// every crate at `debug`, the server's own events and its HTTP layer's at every level,
/// through the server's own filter (which holds the PostgreSQL driver, whose `debug` output
/// carries query parameters, at `info`). Both backends' tests share it (one subscriber per
/// process).
///
/// The process is the test binary of every server test: its subscriber keeps events only
/// while a browser test holds a [`Capture`], so the others are not logged at `trace` into
/// memory for the rest of the run. Tests running alongside a browser test land here too: a
/// stricter check (none of them may log this test's customer either).
static LOGS: Mutex<Vec<u8>> = Mutex::new(Vec::new());

/// How many browser tests are capturing now.
static CAPTURING: AtomicUsize = AtomicUsize::new(0);

/// The capture stays on while this lives (hold it to the end of the test).
struct Capture;

impl Drop for Capture {
    fn drop(&mut self) {
        CAPTURING.fetch_sub(1, Ordering::SeqCst);
    }
}

struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOGS.lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() -> Capture {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        use tracing_subscriber::filter::{FilterExt, filter_fn};
        use tracing_subscriber::prelude::*;
        // Everything at debug, as an operator chasing a problem would run it: the server's
        // filter still keeps customers out of the logs.
        let filter =
            fieldkit_server::log_filter_from("debug,fieldkit_server=trace,tower_http=trace")
                .and(filter_fn(|_| CAPTURING.load(Ordering::SeqCst) > 0));
        tracing_subscriber::registry()
            .with(
                tracing_subscriber::fmt::layer()
                    .with_ansi(false)
                    .with_writer(|| LogWriter)
                    .with_filter(filter),
            )
            .init();
    });
    CAPTURING.fetch_add(1, Ordering::SeqCst);
    Capture
}

fn captured_logs() -> String {
    String::from_utf8_lossy(&LOGS.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
}

// ------------------------------------------------------------------ the scenario

fn backend_name(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    }
}

/// Types into the form field `name` (an input or a textarea).
async fn fill(b: &Browser, name: &str, value: &str) {
    let el = b.find(&format!("#new-job [name=\"{name}\"]")).await;
    b.clear(&el).await;
    b.send_keys(&el, value).await;
}

async fn live_board(backend: Backend) {
    let _capture = capture_logs();
    let Some(ts) = server(backend, |_| {}).await else {
        return;
    };
    let Some(b) = Browser::start().await else {
        return;
    };
    let number = format!("WO-BR-{}", backend_name(backend).to_uppercase());
    ts.create_dispatcher("desk", PASSWORD).await;

    // Logging in through the form lands on the board.
    b.goto(&ts.url("/login")).await;
    let login = b.find("#login [name=\"login\"]").await;
    b.send_keys(&login, "desk").await;
    let password = b.find("#login [name=\"password\"]").await;
    b.send_keys(&password, PASSWORD).await;
    b.click(&b.find("#login-submit").await).await;
    b.wait_for("table#board", WAIT).await;
    assert!(
        b.current_url().await.ends_with("/board"),
        "{}",
        b.current_url().await
    );
    assert!(b.try_find("#login-error").await.unwrap().is_none());

    // A technician with an enrolled phone.
    let tech = ts.create_technician("Technician Browser Li").await;
    ts.publish_demo_catalog().await;
    let (_phone_dir, kit) = ts.enrolled_kit(&tech, &sync_options()).await;

    // The new-job form, its promised window left as the form proposes (from 2 h ahead).
    b.goto(&ts.url("/jobs/new")).await;
    fill(&b, "number", &number).await;
    fill(&b, "customer_name", CUSTOMER_NAME).await;
    fill(&b, "customer_phone", CUSTOMER_PHONE).await;
    fill(&b, "address", CUSTOMER_ADDRESS).await;
    fill(&b, "product_model", "WM-8000").await;
    fill(&b, "reported_fault", "does not drain").await;
    b.click(
        &b.find("#new-job select[name=\"kind\"] option[value=\"repair\"]")
            .await,
    )
    .await;
    b.click(
        &b.find("#new-job select[name=\"billing\"] option[value=\"paid\"]")
            .await,
    )
    .await;
    b.click(
        &b.find(&format!(
            "#new-job select[name=\"technician_id\"] option[value=\"{tech}\"]"
        ))
        .await,
    )
    .await;
    let start = b
        .attribute(&b.find("#new-job [name=\"window_start\"]").await, "value")
        .await
        .expect("the form proposes a start");
    let day = start.get(..10).expect("a datetime-local value").to_owned();
    b.click(&b.find("#create-job").await).await;
    // The form answers with a redirect to the new job's page.
    let id = b
        .wait_until("the redirect to the new job", WAIT, async || {
            let url = b.current_url().await;
            let rest = url.split_once("/jobs/")?.1;
            (rest != "new" && !rest.is_empty()).then(|| rest.to_owned())
        })
        .await;
    let work_order: WorkOrderId = id.parse().expect("a job id in the URL");
    let (s, v) = ts
        .admin(Method::GET, &format!("/v1/admin/work-orders/{id}"), None)
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["order"]["number"], number.as_str());
    assert_eq!(v["technician_id"], tech.as_str());

    // The board of that day, connected live.
    b.goto(&ts.url(&format!("/board?day={day}"))).await;
    b.wait_for("body[data-live=\"open\"]", WAIT).await;
    let row = format!("tr#job-{id}");
    // Read again if the live board re-renders the row meanwhile.
    assert_eq!(
        b.live_text(&format!("{row} a.job-link"), WAIT).await,
        number
    );
    assert_eq!(
        b.live_attribute(&row, "data-status", WAIT).await.as_deref(),
        Some("assigned")
    );
    assert!(
        b.live_text(&row, WAIT)
            .await
            .contains("Technician Browser Li")
    );
    // A mark in the page: still there after the update only if the page was not reloaded.
    b.execute("window.fieldkitMark = 'not reloaded'; return true;", vec![])
        .await;

    // The phone pulls the job, does the visit (the customer signs), and pushes it.
    let r = kit
        .sync(&sync_options(), &|_| {})
        .await
        .expect("first sync");
    assert!(r.pulled >= 1, "{r:?}");
    demo::walk_repair_visit(&kit, work_order, &mut |_| Ok(())).expect("the visit");
    let r = kit
        .sync(&sync_options(), &|_| {})
        .await
        .expect("second sync");
    assert_eq!((r.rejected, r.conflicts), (0, 0), "{r:?}");
    assert!(r.applied > 0, "{r:?}");

    // The open board shows it, polled in the DOM.
    b.wait_for_attribute(&row, "data-status", "completed", WAIT)
        .await;
    // In the language the dispatcher's browser asks for (Chinese).
    assert_eq!(
        b.live_text(&format!("{row} td.status"), WAIT).await,
        "已完工"
    );
    // The day's counts above the table follow.
    b.wait_until("the completed count to follow", WAIT, async || {
        let el = b
            .try_find("#counts [data-count=\"completed\"]")
            .await
            .ok()
            .flatten()?;
        (b.try_text(&el).await.ok()? == "1").then_some(())
    })
    .await;
    assert_eq!(
        b.execute("return window.fieldkitMark || null;", vec![])
            .await,
        json!("not reloaded"),
        "the board was reloaded instead of updated live"
    );
    assert!(
        b.try_find("body[data-live=\"open\"]")
            .await
            .unwrap()
            .is_some()
    );

    // The day's CSV, fetched in the browser's session from the export link.
    let href = b
        .attribute(&b.find("#export-csv").await, "href")
        .await
        .expect("the export link");
    assert!(href.contains(&format!("/jobs.csv?day={day}")), "{href}");
    let got = b
        .execute(
            "return fetch(arguments[0], { credentials: 'same-origin' }).then(function (r) { \
               return r.text().then(function (t) { \
                 return { status: r.status, type: r.headers.get('content-type'), text: t }; \
               }); \
             });",
            vec![json!(href)],
        )
        .await;
    assert_eq!(got["status"], 200, "{got}");
    assert!(
        got["type"].as_str().unwrap_or("").starts_with("text/csv"),
        "{got}"
    );
    let mut csv = csv::Reader::from_reader(got["text"].as_str().unwrap().as_bytes());
    let headers = csv.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    let job_row = rows
        .iter()
        .find(|r| &r[col("id")] == id.as_str())
        .unwrap_or_else(|| panic!("job {id} in the CSV: {got}"));
    assert_eq!(&job_row[col("number")], number.as_str());
    assert_eq!(&job_row[col("status")], "completed");
    assert!(!job_row[col("completed_at")].is_empty(), "{job_row:?}");

    // A picture of the board as the dispatcher sees it now.
    let shot = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("target")
        .join("test-artifacts")
        .join(format!("dashboard-board-{}.png", backend_name(backend)));
    let png = b.screenshot(&shot).await;
    assert_png(&shot, &png);

    open_job_detail(&b, &id, &shot).await;
    make_linked_job(&b, &kit, work_order).await;

    b.quit().await;
    ts.server.shutdown().await.unwrap();

    // The server said what happened, and nothing about whom. (The capture is kept beside the
    // screenshot to read.)
    let logs = captured_logs();
    std::fs::write(shot.with_extension("log"), &logs).expect("log artifact");
    assert!(
        logs.contains("work order created on the dashboard") && logs.contains(&id),
        "the log capture works"
    );
    for secret in [CUSTOMER_NAME, CUSTOMER_PHONE, CUSTOMER_ADDRESS] {
        assert!(
            !logs.contains(secret),
            "the server logged the customer's {secret:?}"
        );
    }
}

/// The screenshot file is a non-empty PNG of the window.
fn assert_png(path: &Path, bytes: &[u8]) {
    let on_disk = std::fs::read(path).expect("the screenshot was written");
    assert_eq!(on_disk, bytes);
    assert!(
        on_disk.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{} is not a PNG",
        path.display()
    );
    let reader = png::Decoder::new(std::io::Cursor::new(on_disk))
        .read_info()
        .expect("a readable PNG");
    let info = reader.info();
    assert!(
        info.width >= 600 && info.height >= 400,
        "{}x{}",
        info.width,
        info.height
    );
}

/// The completed job's page (opened from the board, as a dispatcher would): the customer's
/// signature is verified, its image loads, and the PDF copy is offered and served.
async fn open_job_detail(b: &Browser, id: &str, shot: &Path) {
    let link = b.find(&format!("tr#job-{id} a.job-link")).await;
    b.click(&link).await;
    b.wait_for("#verdict[data-verdict=\"matches\"]", WAIT).await;
    assert!(b.current_url().await.ends_with(&format!("/jobs/{id}")));
    // The signature's image is served under the job and decodes in the browser.
    b.wait_until("the signature image to load", WAIT, async || {
        let w = b
            .execute(
                "var i = document.querySelector('#signature img'); \
                 return i && i.complete ? i.naturalWidth : 0;",
                vec![],
            )
            .await;
        (w.as_u64().unwrap_or(0) > 0).then_some(())
    })
    .await;
    let timeline = b.find_all("#timeline tr[data-kind=\"complete\"]").await;
    assert_eq!(timeline.len(), 1, "the completion is on the timeline");
    // The customer's copy, downloaded in the dispatcher's session from the page's link.
    let href = b
        .attribute(&b.find("a#copy-pdf").await, "href")
        .await
        .expect("a link");
    let head = b
        .execute(
            "return fetch(arguments[0], { credentials: 'same-origin' }).then(function (r) { \
               return r.arrayBuffer().then(function (buf) { \
                 return [r.status, r.headers.get('content-type'), \
                   String.fromCharCode.apply(null, new Uint8Array(buf.slice(0, 5)))]; }); });",
            vec![href.into()],
        )
        .await;
    assert_eq!(head, serde_json::json!([200, "application/pdf", "%PDF-"]));
    let png = b
        .screenshot(&shot.with_file_name(format!(
            "{}-job.png",
            shot.file_stem().unwrap().to_str().unwrap()
        )))
        .await;
    assert!(png.starts_with(b"\x89PNG"));
}

/// On the completed job's page (open), the chain's form makes the repair a callback turned up,
/// for the parent's technician (the form's default); the new job's page links back to the
/// parent, and the phone pulls the job with its parent link.
async fn make_linked_job(b: &Browser, kit: &FieldKit, parent: WorkOrderId) {
    b.click(
        &b.find("#new-child select[name=\"kind\"] option[value=\"callback_repair\"]")
            .await,
    )
    .await;
    b.click(&b.find("#create-child").await).await;
    let child = b
        .wait_until("the redirect to the linked job", WAIT, async || {
            let url = b.current_url().await;
            let rest = url.split_once("/jobs/")?.1.to_owned();
            (rest != parent.to_string() && !rest.is_empty()).then_some(rest)
        })
        .await;
    let child: WorkOrderId = child.parse().expect("a job id in the URL");
    b.wait_for("#chain-parent li[data-link=\"callback_repair\"]", WAIT)
        .await;
    let href = b
        .attribute(&b.find("#chain-parent a").await, "href")
        .await
        .expect("a link to the parent");
    assert!(href.ends_with(&format!("/jobs/{parent}")), "{href}");
    kit.sync(&sync_options(), &|_| {})
        .await
        .expect("the phone syncs");
    let got = kit.job(child).expect("the phone has the linked job").order;
    assert_eq!(
        got.parent.map(|p| (p.id, p.kind)),
        Some((parent, LinkKind::CallbackRepair))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_board_in_chromium_sqlite() {
    live_board(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_board_in_chromium_postgres() {
    live_board(Backend::Postgres).await;
}
