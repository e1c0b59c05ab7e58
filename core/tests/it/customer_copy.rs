//! The customer's copy (PDF): rendered on the device after sign-off, read back with
//! poppler's `pdftotext` (job, parts, hash, Chinese and Latin text), rasterised with
//! `pdftoppm` and its QR code decoded (the verify URL); the font is subset; unsigned jobs
//! and unusable fonts are typed errors.
//!
//! Needs poppler-utils and a CJK font: `bash .ci/pdf-tools.sh` installs both.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::common::*;
use fieldkit_core::Error;
use fieldkit_core::checklist::AnswerValue;
use fieldkit_core::demo;
use fieldkit_core::model::*;
use fieldkit_core::report::{CopyOptions, FontSource, ReportError};

const FONT: &str = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";
const BASE: &str = "https://sync.example.com/";

fn font_path() -> PathBuf {
    let p = PathBuf::from(FONT);
    assert!(
        p.is_file(),
        "no CJK font at {FONT}: run `bash .ci/pdf-tools.sh` (installs fonts-wqy-microhei)"
    );
    p
}

fn tool(name: &str) -> Command {
    let found = Command::new(name).arg("-v").output().is_ok();
    assert!(
        found,
        "`{name}` is missing: run `bash .ci/pdf-tools.sh` (installs poppler-utils)"
    );
    Command::new(name)
}

fn options() -> CopyOptions {
    CopyOptions {
        font: FontSource::Path(font_path()),
        font_index: 0,
        verify_base_url: BASE.into(),
        company: "示例家电售后服务 Example Appliance Service".into(),
        utc_offset_minutes: 480,
    }
}

/// A paid repair walked to completion with the demo's script.
fn completed_job() -> (Device, WorkOrder) {
    let d = device();
    let order = demo::repair_order(7, morning(), Billing::Paid);
    d.kit.receive_work_order(&order).unwrap();
    demo::walk_repair_visit(&d.kit, order.id, &mut |_| {
        d.tick();
        Ok(())
    })
    .unwrap();
    (d, order)
}

fn pdftotext(pdf: &Path) -> String {
    let out = tool("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(pdf)
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success(), "pdftotext failed: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// Rasterises every page at 150 dpi and returns the URLs of the QR codes found.
fn qr_codes(pdf: &Path, dir: &Path) -> Vec<String> {
    let prefix = dir.join("page");
    let out = tool("pdftoppm")
        .args(["-png", "-r", "150"])
        .arg(pdf)
        .arg(&prefix)
        .output()
        .unwrap();
    assert!(out.status.success(), "pdftoppm failed: {out:?}");
    let mut pages: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    pages.sort();
    assert!(!pages.is_empty(), "pdftoppm wrote no page");
    let mut found = Vec::new();
    for page in pages {
        let decoder =
            png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&page).unwrap()));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        let channels = info.color_type.samples();
        let (w, h) = (info.width as usize, info.height as usize);
        let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
            let i = (y * w + x) * channels;
            if channels >= 3 {
                ((buf[i] as u32 + buf[i + 1] as u32 + buf[i + 2] as u32) / 3) as u8
            } else {
                buf[i]
            }
        });
        for grid in img.detect_grids() {
            if let Ok((_, content)) = grid.decode() {
                found.push(content);
            }
        }
    }
    found
}

#[test]
fn the_copy_reads_back_and_its_qr_code_is_the_verify_url() {
    let (d, order) = completed_job();
    let signed = d.kit.verify(order.id).unwrap();
    assert!(signed.ok(), "{signed:?}");

    let started = Instant::now();
    let pdf = d.kit.customer_copy(order.id, &options()).unwrap();
    println!(
        "customer copy: {} bytes, rendered in {:?}",
        pdf.len(),
        started.elapsed()
    );
    assert!(pdf.starts_with(b"%PDF-"));

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("copy.pdf");
    std::fs::write(&path, &pdf).unwrap();
    // FIELDKIT_COPY_OUT=file.pdf keeps the copy to look at.
    if let Some(out) = std::env::var_os("FIELDKIT_COPY_OUT") {
        std::fs::write(out, &pdf).unwrap();
    }
    let text = pdftotext(&path);

    // The hash the customer's signature carries: the one printed and in the QR code.
    let sha = {
        let c = rusqlite::Connection::open(d.dir.path().join("fieldkit.db")).unwrap();
        c.query_row(
            "SELECT summary_sha256 FROM signatures WHERE role = 'customer'
              ORDER BY signed_at DESC, rowid DESC LIMIT 1",
            [],
            |r| r.get::<_, String>(0),
        )
        .unwrap()
    };
    assert_eq!(sha.len(), 64);
    for needle in [
        order.number.as_str(),
        &order.id.to_string(),
        "PUMP-220",
        "Drain pump 220V",
        "P22-000981",
        &sha,
        // Chinese: a template step title, the fee label, a heading.
        "出示工号卡",
        "维修工时费",
        "使用配件",
        // Latin.
        "Replaced the drain pump",
        "Example Appliance Service",
        "130.00 CNY",
        // The settlement, printed apart from the signed content.
        "结算 / Settlement",
        "现金 / Cash",
        "SJ-20261204-0001",
    ] {
        assert!(text.contains(needle), "{needle:?} not in the copy:\n{text}");
    }
    // Only what the copy is for: no phone number or address.
    assert!(!text.contains(&order.customer.phone));
    assert!(!text.contains("示例路"));

    let dir = tempfile::tempdir().unwrap();
    let codes = qr_codes(&path, dir.path());
    let url = format!("https://sync.example.com/verify/{}?h={sha}", order.id);
    assert_eq!(codes, vec![url]);

    // The same records give the same bytes.
    assert_eq!(d.kit.customer_copy(order.id, &options()).unwrap(), pdf);
}

#[test]
fn only_the_glyphs_used_are_embedded() {
    let (d, order) = completed_job();
    let font_size = std::fs::metadata(font_path()).unwrap().len() as usize;
    let pdf = d.kit.customer_copy(order.id, &options()).unwrap();
    println!(
        "customer copy {} bytes; font file {} bytes ({:.1}%)",
        pdf.len(),
        font_size,
        100.0 * pdf.len() as f64 / font_size as f64
    );
    assert!(
        pdf.len() * 10 < font_size,
        "the copy ({} bytes) is not much smaller than the font ({font_size} bytes): not subset?",
        pdf.len()
    );
    // From bytes as well as from a path, with the same result.
    let mut o = options();
    o.font = FontSource::Bytes(std::fs::read(font_path()).unwrap());
    assert_eq!(d.kit.customer_copy(order.id, &o).unwrap(), pdf);
}

#[test]
fn bad_inputs_are_typed_errors() {
    let d = device();
    // No such job.
    let missing = WorkOrderId::new();
    assert!(matches!(
        d.kit.customer_copy(missing, &options()),
        Err(Error::NotFound { .. })
    ));

    // A job under way but not signed yet.
    let order = demo::repair_order(8, morning(), Billing::Paid);
    d.kit.receive_work_order(&order).unwrap();
    assert!(matches!(
        d.kit.customer_copy(order.id, &options()),
        Err(Error::Report(ReportError::NotSigned(_)))
    ));
    d.plan(order.id);
    d.kit
        .answer_step(order.id, "tools_parts_loaded", &AnswerValue::Confirmed)
        .unwrap();
    d.kit.start_travel(order.id).unwrap();
    d.kit.arrive(order.id).unwrap();
    assert!(matches!(
        d.kit.customer_copy(order.id, &options()),
        Err(Error::Report(ReportError::NotSigned(_)))
    ));

    // A signed job with unusable fonts or a bad verify URL.
    let (d, order) = completed_job();
    for font in [
        FontSource::Bytes(Vec::new()),
        FontSource::Bytes(b"definitely not a font".repeat(100)),
        FontSource::Bytes(demo::fake_photo("not a font")),
        FontSource::Path(PathBuf::from("/nonexistent/font.ttf")),
    ] {
        let mut o = options();
        o.font = font.clone();
        let r = d.kit.customer_copy(order.id, &o);
        assert!(
            matches!(r, Err(Error::Report(ReportError::Font(_)))),
            "{font:?}: {r:?}"
        );
    }
    let mut o = options();
    o.font_index = 7;
    assert!(matches!(
        d.kit.customer_copy(order.id, &o),
        Err(Error::Report(ReportError::Font(_)))
    ));
    for base in ["", "ftp://x", "https://a b"] {
        let mut o = options();
        o.verify_base_url = base.into();
        assert!(matches!(
            d.kit.customer_copy(order.id, &o),
            Err(Error::Invalid {
                field: "verify_base_url",
                ..
            })
        ));
    }
    // Errors name ids, never the customer.
    let mut o = options();
    o.font = FontSource::Bytes(Vec::new());
    let msg = d.kit.customer_copy(order.id, &o).unwrap_err().to_string();
    assert!(!msg.contains(&order.customer.name), "{msg}");
}

/// The technician's card (004 一 第5章 第19条 (3); 第8章 第29条): before the server sent one
/// the copy names no technician and no hotline; once sent (with a pulled page) it prints the
/// technician's name, employee number and the service hotline, and the `id_badge` step shows
/// the number.
#[test]
fn the_copy_prints_the_technician_and_the_service_hotline_once_the_card_is_known() {
    use fieldkit_core::sync::protocol::{PullResponse, TechnicianCard};
    let (d, order) = completed_job();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("copy.pdf");
    std::fs::write(&path, d.kit.customer_copy(order.id, &options()).unwrap()).unwrap();
    let before = pdftotext(&path);
    assert!(
        !before.contains("服务热线") && !before.contains("服务技师"),
        "{before}"
    );

    d.kit
        .apply_changes(&PullResponse {
            changes: Vec::new(),
            cursor: 0,
            more: false,
            accepts: vec![],
            card: Some(TechnicianCard {
                technician_id: "tech-1".into(),
                name: "张师傅".into(),
                employee_number: Some("GH-0042".into()),
                service_hotline: Some("400-820-8820".into()),
            }),
        })
        .unwrap();
    std::fs::write(&path, d.kit.customer_copy(order.id, &options()).unwrap()).unwrap();
    let text = pdftotext(&path);
    for needle in [
        "服务热线 / Service hotline: 400-820-8820",
        "服务技师 / Technician",
        "张师傅 (工号 / No. GH-0042)",
    ] {
        assert!(text.contains(needle), "{needle:?} not in the copy:\n{text}");
    }

    // The id_badge step of an open visit shows the number; other steps nothing.
    let other = demo::repair_order(8, morning(), Billing::Warranty);
    d.kit.receive_work_order(&other).unwrap();
    d.kit.accept(other.id).unwrap();
    d.kit
        .call_customer(other.id, &demo::call_reached())
        .unwrap();
    let badge = d.kit.step_context(other.id, "id_badge").unwrap();
    assert_eq!(
        badge.prompt,
        Some((
            "出示工号卡：工号 GH-0042（张师傅）".into(),
            "Show your ID badge: employee no. GH-0042 (张师傅)".into()
        ))
    );
    let shoes = d.kit.step_context(other.id, "shoe_covers").unwrap();
    assert_eq!((shoes.card, shoes.prompt), (None, None));
    assert!(matches!(
        d.kit.step_context(other.id, "nope"),
        Err(Error::NotFound { entity: "step", .. })
    ));
    // The finished job has no open visit: typed, not a panic.
    assert!(matches!(
        d.kit.step_context(order.id, "id_badge"),
        Err(Error::NotFound { .. })
    ));
}
