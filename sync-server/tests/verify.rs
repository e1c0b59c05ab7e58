//! The public verify page behind the customer's copy's QR code, end to end: a phone
//! enrols with the real server on 127.0.0.1, walks a paid repair offline, syncs, renders the
//! customer's copy; the QR code decoded from the rasterised PDF opens the verify page, which
//! says "matches"; after the server's stored sign-off record is altered it says "mismatch".
//! Unknown jobs say "unknown"; malformed links are 400s (the server's JSON error body);
//! the page shows no personal data.
//!
//! Needs poppler-utils and a CJK font: `bash .ci/pdf-tools.sh` installs both.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use common::{Backend, TestServer, server};
use fieldkit_core::clock::ManualClock;
use fieldkit_core::demo;
use fieldkit_core::model::*;
use fieldkit_core::report::{CopyOptions, FontSource};
use fieldkit_core::sync::client::SyncOptions;
use fieldkit_core::{DeviceConfig, FieldKit};
use reqwest::Method;
use serde_json::json;

const FONT: &str = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";

fn morning() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 11, 23, 1, 0, 0).unwrap()
}

fn sync_options() -> SyncOptions {
    SyncOptions {
        first_backoff: std::time::Duration::from_millis(5),
        max_backoff: std::time::Duration::from_millis(50),
        ..SyncOptions::default()
    }
}

fn tool(name: &str) -> Command {
    assert!(
        Command::new(name).arg("-v").output().is_ok(),
        "`{name}` is missing: run `bash .ci/pdf-tools.sh` (installs poppler-utils)"
    );
    Command::new(name)
}

/// The QR codes on the PDF's pages (rasterised at 150 dpi).
fn qr_codes(pdf: &[u8]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("copy.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = tool("pdftoppm")
        .args(["-png", "-r", "150"])
        .arg(&path)
        .arg(dir.path().join("page"))
        .output()
        .unwrap();
    assert!(out.status.success(), "pdftoppm failed: {out:?}");
    let mut pages: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    pages.sort();
    pages.iter().flat_map(|p| decode(p)).collect()
}

fn decode(page: &Path) -> Vec<String> {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(page).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let ch = info.color_type.samples();
    let (w, h) = (info.width as usize, info.height as usize);
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
        let i = (y * w + x) * ch;
        if ch >= 3 {
            ((buf[i] as u32 + buf[i + 1] as u32 + buf[i + 2] as u32) / 3) as u8
        } else {
            buf[i]
        }
    });
    img.detect_grids()
        .into_iter()
        .filter_map(|g| g.decode().ok().map(|(_, s)| s))
        .collect()
}

async fn enrolment_code(s: &TestServer, technician: &str) -> String {
    let (status, v) = s
        .admin(
            Method::POST,
            "/v1/admin/enrolment-codes",
            Some(json!({ "technician_id": technician })),
        )
        .await;
    assert_eq!(status, 201, "{v}");
    v["code"].as_str().unwrap().to_owned()
}

/// GETs a verify URL: status and the page's verdict word.
async fn verdict(s: &TestServer, url: &str) -> (u16, String, String) {
    let r = s.client.get(url).send().await.unwrap();
    let status = r.status().as_u16();
    let ctype = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    if status == 200 {
        assert!(ctype.starts_with("text/html"), "{ctype}");
    }
    let body = r.text().await.unwrap();
    let word = body
        .split("data-verdict=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or("")
        .to_owned();
    (status, word, body)
}

/// A phone's signed and synced repair, and its customer's copy.
async fn synced_copy(s: &TestServer) -> (WorkOrder, Vec<u8>) {
    let tech = s.create_technician("Technician A").await;
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(morning()));
    let kit =
        FieldKit::open_with_clock(dir.path(), DeviceConfig::default(), clock.clone()).unwrap();
    demo::stock_the_van(&kit).unwrap();
    let code = enrolment_code(s, &tech).await;
    kit.enroll(&s.base, &code, &sync_options()).await.unwrap();
    let order = demo::repair_order(1, morning(), Billing::Paid);
    s.create_job(&order, Some(&tech)).await;
    kit.sync(&sync_options(), &|_| {}).await.unwrap();
    demo::walk_repair_visit(&kit, order.id, &mut |_| {
        clock.advance(Duration::minutes(4));
        Ok(())
    })
    .unwrap();
    let report = kit.sync(&sync_options(), &|_| {}).await.unwrap();
    assert_eq!(report.applied, report.pushed, "{report:?}");
    assert!(
        Path::new(FONT).is_file(),
        "no CJK font at {FONT}: run `bash .ci/pdf-tools.sh`"
    );
    let pdf = kit
        .customer_copy(
            order.id,
            &CopyOptions {
                font: FontSource::Path(FONT.into()),
                font_index: 0,
                verify_base_url: s.base.clone(),
                company: "Example Appliance Service".into(),
                utc_offset_minutes: 480,
            },
        )
        .unwrap();
    (order, pdf)
}

async fn the_copys_qr_code_verifies(backend: Backend) -> Option<(TestServer, WorkOrder, String)> {
    let s = server(backend, |_| {}).await?;
    let (order, pdf) = synced_copy(&s).await;
    let codes = qr_codes(&pdf);
    assert_eq!(codes.len(), 1, "{codes:?}");
    let url = codes[0].clone();
    assert!(
        url.starts_with(&format!("{}/verify/{}?h=", s.base, order.id)),
        "{url}"
    );
    let (status, word, body) = verdict(&s, &url).await;
    assert_eq!((status, word.as_str()), (200, "matches"), "{body}");
    assert!(body.contains(&order.id.to_string()));
    for personal in [
        order.customer.name.as_str(),
        &order.customer.phone,
        &order.site.address,
    ] {
        assert!(!body.contains(personal), "personal data on the page");
    }

    // Another hash for the same job: mismatch. No such job: unknown. Malformed: 400.
    let other = format!("{}/verify/{}?h={}", s.base, order.id, "ab".repeat(32));
    assert_eq!(verdict(&s, &other).await.1, "mismatch");
    let h = url.split("?h=").nth(1).unwrap().to_owned();
    let unknown = format!("{}/verify/{}?h={h}", s.base, WorkOrderId::new());
    let (status, word, _) = verdict(&s, &unknown).await;
    assert_eq!((status, word.as_str()), (200, "unknown"));
    for bad in [
        format!("/verify/{}", order.id),
        format!("/verify/{}?h=xyz", order.id),
        format!("/verify/{}?h={}", order.id, "g".repeat(64)),
        format!("/verify/not-a-job?h={h}"),
    ] {
        let (status, _, _) = verdict(&s, &s.url(&bad)).await;
        assert_eq!(status, 400, "{bad}");
    }
    Some((s, order, url))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_says_matches_then_mismatch_after_the_record_is_altered_sqlite() {
    let (s, order, url) = the_copys_qr_code_verifies(Backend::Sqlite).await.unwrap();

    // Someone edits the stored sign-off on the server: one more pump than was signed for.
    let db =
        rusqlite::Connection::open(s.dir.path().join("server").join("fieldkit-server.db")).unwrap();
    db.busy_timeout(std::time::Duration::from_secs(5)).unwrap();
    let changed = db
        .execute(
            "UPDATE ops SET body = json_set(body, '$.payload.summary.parts[0].quantity', 2)
              WHERE entity_id = ?1 AND kind = 'sign'
                AND json_extract(body, '$.payload.summary.parts[0].quantity') IS NOT NULL",
            [order.id.to_string()],
        )
        .unwrap();
    assert!(changed >= 1);
    let (status, word, body) = verdict(&s, &url).await;
    assert_eq!((status, word.as_str()), (200, "mismatch"), "{body}");

    // Put back: matches again (the verdict is recomputed from what is stored, every time).
    db.execute(
        "UPDATE ops SET body = json_set(body, '$.payload.summary.parts[0].quantity', 1)
          WHERE entity_id = ?1 AND kind = 'sign'
            AND json_extract(body, '$.payload.summary.parts[0].quantity') IS NOT NULL",
        [order.id.to_string()],
    )
    .unwrap();
    assert_eq!(verdict(&s, &url).await.1, "matches");

    // The signature record itself altered (the signer's name): the seal breaks.
    db.execute(
        "UPDATE ops SET body = json_set(body, '$.payload.signer_name', 'Someone else')
          WHERE entity_id = ?1 AND kind = 'sign'",
        [order.id.to_string()],
    )
    .unwrap();
    assert_eq!(verdict(&s, &url).await.1, "mismatch");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_says_matches_postgres() {
    // `None` when PostgreSQL is skipped (FIELDKIT_SKIP_PG=1).
    let _ = the_copys_qr_code_verifies(Backend::Postgres).await;
}
