//! A take-back with its evidence (PROCEDURE 14, templates v3 on), through the public API on a
//! real device database and judged by the server's rules: photos of the unit's condition, the
//! receipt shown to the customer and signed by them, and the receipt and loaner in the signed
//! summary and on the customer's copy. Refusals write nothing; a job pinned to an older
//! checklist keeps the older rule.

use std::path::PathBuf;
use std::process::Command;

use crate::common::*;
use fieldkit_core::Error;
use fieldkit_core::api::TakeBack;
use fieldkit_core::demo;
use fieldkit_core::model::*;
use fieldkit_core::report::{CopyOptions, FontSource};
use fieldkit_core::workflow::JobStatus;

/// A warranty repair at work, one photo of the unit taken: its hash.
fn at_work(d: &Device) -> (WorkOrderId, String) {
    let id = d.order(JobKind::Repair, Billing::Warranty);
    d.plan(id);
    d.walk(id, &none, &|next| next == "respect_home");
    let photo = d
        .kit
        .add_photo(id, None, &demo::fake_photo("the unit's scratched side"))
        .unwrap();
    (id, photo.sha256)
}

fn refused(d: &Device, id: WorkOrderId, tb: &TakeBack, why: &str) {
    let queued = d.op_count();
    let err = d.kit.take_back(id, tb).unwrap_err();
    assert!(
        matches!(&err, Error::Invalid { reason, .. } if reason.contains(why)),
        "{why}: {err}"
    );
    assert_eq!(d.op_count(), queued, "{why}: nothing queued");
    assert_eq!(d.kit.job(id).unwrap().status, JobStatus::InProgress);
}

#[test]
fn a_take_back_needs_condition_photos_and_the_customers_signature_on_its_receipt() {
    let d = device();
    let (id, photo) = at_work(&d);
    let tb = TakeBack {
        condition_photos: vec![photo.clone()],
        ..demo::sample_take_back()
    };
    refused(
        &d,
        id,
        &demo::sample_take_back(),
        "photograph the unit's condition",
    );
    refused(
        &d,
        id,
        &TakeBack {
            condition_photos: vec!["ab".repeat(32)],
            ..tb.clone()
        },
        "not one of this visit's",
    );
    refused(&d, id, &tb, "has not signed the take-back receipt");
    // Signing a receipt the customer was not shown: refused.
    let err = d
        .kit
        .sign_take_back_receipt(id, &tb, "王女士", &demo::signature_strokes(3))
        .unwrap_err();
    assert!(err.to_string().contains("show the customer"), "{err}");
    // Shown and signed: another receipt number than the one taken back is not it.
    let other = TakeBack {
        receipt_no: "R-0002".into(),
        ..tb.clone()
    };
    let shown = d.kit.take_back_summary(id, &other).unwrap();
    let receipt = shown.summary.take_back.clone().unwrap();
    assert_eq!(receipt.receipt_no, "R-0002");
    assert_eq!(
        receipt.loaner,
        Some(("WM-LOAN".to_owned(), "LN-77".to_owned()))
    );
    d.kit
        .sign_take_back_receipt(id, &other, "王女士", &demo::signature_strokes(3))
        .unwrap();
    refused(&d, id, &tb, "not the one the customer signed");
    // The right receipt, shown and signed: taken back.
    d.kit.take_back_summary(id, &tb).unwrap();
    let signed = d
        .kit
        .sign_take_back_receipt(id, &tb, "王女士", &demo::signature_strokes(4))
        .unwrap();
    let r = d.kit.take_back(id, &tb).unwrap();
    assert_eq!(r.receipt_no, "R-0001");
    assert_eq!(d.kit.job(id).unwrap().status, JobStatus::AwaitingReturn);
    let op = d.kit.pending_ops(i64::MAX).unwrap().pop().unwrap();
    assert_eq!(op.kind, "take_back");
    assert_eq!(op.payload["condition_photos"], serde_json::json!([photo]));
    // The device's verification agrees: the receipt signature stands as signed.
    let v = d.kit.verify(id).unwrap();
    let check = v
        .signatures
        .iter()
        .find(|c| c.signature_id == signed.id)
        .unwrap();
    assert!(check.problems.is_empty(), "{check:?}");
    judged_alike(&d, id);
}

#[test]
fn the_customers_copy_prints_the_receipt_and_the_loaner() {
    let font = PathBuf::from("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc");
    assert!(
        font.is_file(),
        "no CJK font: run `bash .ci/pdf-tools.sh` (installs fonts-wqy-microhei)"
    );
    let d = device();
    let (id, _) = at_work(&d);
    demo::take_back_citing_photos(&d.kit, id).unwrap_err();
    demo::show_take_back_receipt(&d.kit, id).unwrap();
    demo::sign_take_back_receipt(&d.kit, id).unwrap();
    demo::take_back_citing_photos(&d.kit, id).unwrap();
    let pdf = d
        .kit
        .customer_copy(
            id,
            &CopyOptions {
                font: FontSource::Path(font),
                font_index: 0,
                verify_base_url: "https://sync.example.com/".into(),
                company: "示例家电售后服务".into(),
                utc_offset_minutes: 480,
            },
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("copy.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext: run `bash .ci/pdf-tools.sh`");
    let text = String::from_utf8(out.stdout).unwrap();
    for want in ["取回维修收据", "R-0001", "GB-2026-0042", "WM-LOAN", "LN-77"] {
        assert!(text.contains(want), "{want} not on the copy:\n{text}");
    }
}

/// A job pinned to repair v2 (before the evidence was asked) takes the unit back as before,
/// on the phone and by the server's replay.
#[test]
fn a_job_pinned_to_an_older_checklist_keeps_the_older_rule() {
    let d = device();
    let mut o = demo::repair_order(3, d.clock.now_for_tests(), Billing::Warranty);
    o.checklist = Some(JobChecklist {
        visit: TemplateRef {
            id: "repair".into(),
            version: 2,
        },
        return_visit: None,
    });
    d.kit.receive_work_order(&o).unwrap();
    d.plan(o.id);
    d.walk(o.id, &none, &|next| next == "respect_home");
    d.kit.take_back(o.id, &demo::sample_take_back()).unwrap();
    assert_eq!(d.kit.job(o.id).unwrap().status, JobStatus::AwaitingReturn);
    judged_alike(&d, o.id);
}
