//! The public verify page behind the customer's copy's QR code, end to end: a phone
//! enrols with the real server on 127.0.0.1, walks a paid repair offline, syncs, renders the
//! customer's copy; the QR code decoded from the rasterised PDF opens the verify page, which
//! says "matches"; after the server's stored sign-off record is altered it says "mismatch".
//! Unknown jobs say "unknown"; malformed links are 400s (the server's JSON error body);
//! the page shows no personal data.
//!
//! The dispatcher's job page shows the same job: the signature "matches" (then "mismatch"
//! once altered), the part, the photos served only under their job, and the customer's
//! copy as PDF — byte for byte the document the phone rendered.
//!
//! Needs poppler-utils and a CJK font: `bash .ci/pdf-tools.sh` installs both.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::journal::Phone;
use crate::common::{self, Backend, TestServer, morning, server};
use chrono::Duration;
use fieldkit_core::demo;
use fieldkit_core::model::*;
use fieldkit_core::report::{CopyOptions, FontSource};
use fieldkit_core::sync::client::SyncOptions;
use reqwest::Method;
use serde_json::json;
use sha2::Digest;

const FONT: &str = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";

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
    let phone = Phone::new(morning());
    let (kit, clock) = (&phone.kit, &phone.clock);
    let code = s.enrolment_code(&tech).await;
    kit.enroll(&s.base, &code, &sync_options()).await.unwrap();
    let order = demo::repair_order(1, morning(), Billing::Paid);
    // The desk publishes what the van holds: the copy names the part and the fee lines.
    for (path, body) in [
        (
            "/v1/admin/fee-schedules",
            json!({ "fee_schedule": demo::fee_schedule() }),
        ),
        (
            "/v1/admin/parts",
            json!({ "part": { "sku": "PUMP-220", "name": "排水泵 Drain pump 220V", "unit": "pcs" } }),
        ),
    ] {
        let (status, v) = s.admin(Method::POST, path, Some(body)).await;
        assert_eq!(status, 201, "{v}");
    }
    s.create_job(&order, Some(&tech)).await;
    kit.sync(&sync_options(), &|_| {}).await.unwrap();
    demo::walk_repair_visit(kit, order.id, &mut |_| {
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

/// The dispatcher's job page and PDF for the synced job: returns the page's verdict.
async fn dashboard_verdict(
    s: &TestServer,
    who: &common::DashboardLogin,
    order: &WorkOrder,
) -> String {
    let (status, body) = s.page(who, &format!("/jobs/{}", order.id)).await;
    assert_eq!(status, 200, "{body}");
    body.split("id=\"verdict\" data-verdict=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or("")
        .to_owned()
}

async fn the_dashboard_shows_the_signed_job(s: &TestServer, order: &WorkOrder, device_pdf: &[u8]) {
    s.create_dispatcher("desk", "correct horse battery").await;
    let who = s.dashboard_login("desk", "correct horse battery").await;
    assert_eq!(dashboard_verdict(s, &who, order).await, "matches");
    let (_, body) = s.page(&who, &format!("/jobs/{}", order.id)).await;
    assert!(body.contains("PUMP-220"), "the part is listed");
    // The checklist in the template's words, answers as the copy says them.
    // (In the reader's language: zh-CN by default.)
    assert!(body.contains("进门前穿好鞋套"));
    assert!(body.contains("<td>否</td>") && body.contains("<td>已确认</td>"));
    assert!(
        body.contains("data-kind=\"complete\""),
        "the timeline has the completion"
    );
    assert!(body.contains("id=\"job-status\" data-status=\"completed\""));

    // Every image on the page is served under the job; a hash of another job is not.
    let images: Vec<String> = body
        .split(&format!("src=\"/jobs/{}/blobs/", order.id))
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .collect();
    assert!(
        images.len() >= 2,
        "signature and photo thumbnails: {images:?}"
    );
    for sha in &images {
        let r = s
            .no_redirects()
            .get(s.url(&format!("/jobs/{}/blobs/{sha}", order.id)))
            .header(reqwest::header::COOKIE, &who.cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "{sha}");
        let bytes = r.bytes().await.unwrap();
        let digest = sha2::Sha256::digest(&bytes);
        assert_eq!(&hex::encode(digest), sha, "the bytes are the blob");
    }
    let other = s
        .page(
            &who,
            &format!("/jobs/{}/blobs/{}", WorkOrderId::new(), images[0]),
        )
        .await;
    assert_eq!(
        other.0, 404,
        "a blob is only served under a job that references it"
    );
    // Without a session: no images, no copy.
    let r = s
        .no_redirects()
        .get(s.url(&format!("/jobs/{}/copy.pdf", order.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);

    // The customer's copy from the dashboard: the phone's document, byte for byte.
    let r = s
        .no_redirects()
        .get(s.url(&format!("/jobs/{}/copy.pdf", order.id)))
        .header(reqwest::header::COOKIE, &who.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "application/pdf"
    );
    let pdf = r.bytes().await.unwrap();
    let text = |pdf: &[u8]| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("copy.pdf");
        std::fs::write(&path, pdf).unwrap();
        let out = tool("pdftotext").arg(&path).arg("-").output().unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let server_text = text(&pdf);
    assert!(server_text.contains(&order.number), "{server_text}");
    assert!(server_text.contains("PUMP-220"), "{server_text}");
    // The settlement, printed apart from the signed content, from the synced `settle` op.
    assert!(server_text.contains("SJ-20261204-0001"), "{server_text}");
    assert_eq!(server_text, text(device_pdf), "the same document's text");
    assert!(pdf[..] == device_pdf[..], "the same document's bytes");
}

async fn the_copys_qr_code_verifies(backend: Backend) -> Option<(TestServer, WorkOrder, String)> {
    let s = server(backend, |c| {
        c.company_name = "Example Appliance Service".into()
    })
    .await?;
    let (order, pdf) = synced_copy(&s).await;
    the_dashboard_shows_the_signed_job(&s, &order, &pdf).await;
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
    // The customer reads it in their phone's language: Chinese unless it asks for English.
    assert!(
        body.contains(r#"<html lang="zh-CN">"#) && body.contains("此单据与服务器记录一致"),
        "{body}"
    );
    let en = s
        .client
        .get(&url)
        .header("accept-language", "en-GB,en;q=0.9")
        .send()
        .await
        .unwrap();
    assert_eq!(en.headers()["content-language"], "en");
    let en = en.text().await.unwrap();
    assert!(
        en.contains(r#"<html lang="en">"#)
            && en.contains("This copy matches the server's record.")
            && !en.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "{en}"
    );
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
    let who = s.dashboard_login("desk", "correct horse battery").await;

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
    assert_eq!(dashboard_verdict(&s, &who, &order).await, "mismatch");
    let copy = s.page(&who, &format!("/jobs/{}/copy.pdf", order.id)).await;
    assert_eq!(
        copy.0, 409,
        "no copy of content that does not match its hash"
    );

    // Put back: matches again (the verdict is recomputed from what is stored, every time).
    db.execute(
        "UPDATE ops SET body = json_set(body, '$.payload.summary.parts[0].quantity', 1)
          WHERE entity_id = ?1 AND kind = 'sign'
            AND json_extract(body, '$.payload.summary.parts[0].quantity') IS NOT NULL",
        [order.id.to_string()],
    )
    .unwrap();
    assert_eq!(verdict(&s, &url).await.1, "matches");
    assert_eq!(dashboard_verdict(&s, &who, &order).await, "matches");

    // The signature record itself altered (the signer's name): the seal breaks.
    db.execute(
        "UPDATE ops SET body = json_set(body, '$.payload.signer_name', 'Someone else')
          WHERE entity_id = ?1 AND kind = 'sign'",
        [order.id.to_string()],
    )
    .unwrap();
    assert_eq!(verdict(&s, &url).await.1, "mismatch");
    assert_eq!(dashboard_verdict(&s, &who, &order).await, "mismatch");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_says_matches_postgres() {
    // `None` when PostgreSQL is skipped (FIELDKIT_SKIP_PG=1).
    let _ = the_copys_qr_code_verifies(Backend::Postgres).await;
}
