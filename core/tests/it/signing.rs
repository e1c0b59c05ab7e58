//! Signatures bound to what was signed: the image is drawn from the strokes, a customer
//! signs only a summary they were shown, and any later change to the signed records, the
//! timeline, the signature record or its image is detected — by `verify` and by the
//! completion gate.

use crate::common::*;
use fieldkit_core::Error;
use fieldkit_core::api::{PartUse, Verification};
use fieldkit_core::checklist::{AnswerValue, BlockReason};
use fieldkit_core::demo;
use fieldkit_core::model::*;
use fieldkit_core::workflow::JobStatus;
use rusqlite::Connection;

/// A paid repair, walked to just before completion: two customer signatures (the anomaly
/// and the service record), parts, fees, photos.
fn signed_job() -> (Device, WorkOrderId) {
    let d = device();
    let order = demo::repair_order(1, morning(), Billing::Paid);
    d.kit.receive_work_order(&order).unwrap();
    let result = demo::walk_repair_visit(&d.kit, order.id, &mut |step| {
        d.tick();
        if step == "close-out" {
            // Stop before `complete`: everything signed, nothing closed.
            return Err(Error::Invalid {
                field: "stop",
                reason: "here".into(),
            });
        }
        Ok(())
    });
    assert!(matches!(result, Err(Error::Invalid { field: "stop", .. })));
    (d, order.id)
}

fn db(d: &Device) -> Connection {
    Connection::open(d.dir.path().join("fieldkit.db")).unwrap()
}

fn problems(v: &Verification) -> Vec<String> {
    let mut p = v.chain_problems.clone();
    for s in v.signatures.iter().filter(|s| !s.superseded) {
        p.extend(s.problems.iter().cloned());
    }
    p
}

#[test]
fn an_untouched_visit_verifies_and_completes() {
    let (d, id) = signed_job();
    let v = d.kit.verify(id).unwrap();
    assert!(v.ok(), "{v:?}");
    // The anomaly, the fees (the paid-service acknowledgement) and the service record.
    assert_eq!(v.signatures.len(), 3);
    assert!(v.signatures.iter().all(|s| s.role == SignerRole::Customer));
    d.kit.complete(id).unwrap();
    assert!(d.kit.verify(id).unwrap().ok());
}

#[test]
fn the_signature_image_is_drawn_from_the_strokes() {
    let strokes = demo::signature_strokes(4);
    let png = strokes.render_png().unwrap();
    assert_eq!(png, strokes.render_png().unwrap(), "deterministic");
    let decoder = png::Decoder::new(std::io::Cursor::new(&png));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (strokes.width, strokes.height));
    let channels = info.line_size / info.width as usize;
    let pixel = |x: f32, y: f32| {
        let i = (y as usize) * info.line_size + (x as usize) * channels;
        (buf[i] as u32 + buf[i + 1] as u32 + buf[i + 2] as u32) / 3
    };
    for stroke in &strokes.strokes {
        for p in stroke.iter().step_by(5) {
            assert!(pixel(p.x, p.y) < 128, "ink at ({}, {})", p.x, p.y);
        }
    }
    assert_eq!(pixel(2.0, 2.0), 255, "paper elsewhere");
    let other = demo::signature_strokes(5).render_png().unwrap();
    assert_ne!(png, other, "different strokes, different image");
}

#[test]
fn a_changed_answer_after_signing_is_detected_and_blocks_completion_until_signed_again() {
    let (d, id) = signed_job();
    d.tick();
    d.kit
        .answer_step(
            id,
            "work_done",
            &AnswerValue::Text("Replaced the pump and the hose".into()),
        )
        .unwrap();
    let v = d.kit.verify(id).unwrap();
    assert!(!v.ok());
    assert!(
        problems(&v)
            .iter()
            .any(|p| p.contains("step work_done changed")),
        "{v:?}"
    );
    match d.kit.complete(id).unwrap_err() {
        Error::Blocked { blockers, .. } => assert!(blockers.iter().any(|b| matches!(
            &b.reason,
            BlockReason::SignatureMismatch { problem } if problem.contains("work_done")
        ))),
        other => panic!("expected Blocked, got {other}"),
    }
    // The customer is shown the new summary and signs again: the old signature is superseded.
    d.kit.summary_for_signing(id).unwrap();
    d.kit
        .sign(
            id,
            &d.signature(SignerRole::Customer, Some("service_record_signature")),
        )
        .unwrap();
    assert!(d.kit.verify(id).unwrap().ok());
    // The copy handed over before is not the one of the new signature: hand over the new one.
    hand_over_the_new_copy(&d, id);
    assert_eq!(d.kit.job(id).unwrap().status, JobStatus::Completed);
}

/// Completion waits for the copy of the customer's latest signature; handed over, the visit
/// completes.
fn hand_over_the_new_copy(d: &Device, id: WorkOrderId) {
    match d.kit.complete(id).unwrap_err() {
        Error::Blocked { blockers, .. } => assert!(
            blockers
                .iter()
                .any(|b| b.reason == BlockReason::CopyNotHanded),
            "{blockers:?}"
        ),
        other => panic!("expected Blocked, got {other}"),
    }
    d.kit
        .answer_step(id, "customer_copy", &AnswerValue::Confirmed)
        .unwrap();
    d.kit.complete(id).unwrap();
}

/// Signed means signed, whatever the device's clock says: a new fee consent after the
/// customer signed off the record blocks completion until they sign again, even with the
/// device's clock put back before the signature.
#[test]
fn fees_agreed_again_after_the_sign_off_block_completion_whatever_the_clock() {
    for clock_back in [false, true] {
        let (d, id) = signed_job();
        if clock_back {
            d.clock.advance(chrono::Duration::hours(-3));
        } else {
            d.tick();
        }
        let f = demo::fee_schedule();
        d.kit
            .consent_to_fees(
                id,
                &f.id,
                f.version,
                &["visit".into(), "labour".into()],
                true,
            )
            .unwrap();
        match d.kit.complete(id).unwrap_err() {
            Error::Blocked { blockers, .. } => assert!(
                blockers.iter().any(|b| matches!(
                    &b.reason,
                    BlockReason::SignatureMismatch { problem } if problem.contains("fees")
                )),
                "clock back {clock_back}: {blockers:?}"
            ),
            other => panic!("expected Blocked, got {other}"),
        }
        assert!(!d.kit.verify(id).unwrap().ok(), "clock back {clock_back}");
        // Shown the record again and signed, the new fees and the record: it completes.
        for step in ["fee_consent_signature", "service_record_signature"] {
            d.kit.summary_for_signing(id).unwrap();
            d.kit
                .sign(id, &d.signature(SignerRole::Customer, Some(step)))
                .unwrap();
        }
        hand_over_the_new_copy(&d, id);
    }
}

#[test]
fn a_summary_changed_after_it_was_shown_cannot_be_signed() {
    let (d, id) = signed_job();
    d.kit.summary_for_signing(id).unwrap();
    d.tick();
    d.kit
        .record_part(
            id,
            &PartUse {
                sku: "PUMP-220".into(),
                quantity: 1,
                new_serial: None,
                old_part: OldPartFate::None,
                old_serial: None,
            },
        )
        .unwrap();
    // The part reopened the parts review: confirmed again, the summary changed once more.
    d.kit
        .answer_step(id, "parts_reviewed", &AnswerValue::Confirmed)
        .unwrap();
    let err = d
        .kit
        .sign(
            id,
            &d.signature(SignerRole::Customer, Some("service_record_signature")),
        )
        .unwrap_err();
    assert!(
        err.to_string().contains("show the customer the summary"),
        "{err}"
    );
}

/// Each tampering, applied to a fresh signed job directly in the database or the files.
#[test]
fn tampering_with_records_timeline_signature_or_image_is_detected() {
    type Tamper = (&'static str, &'static str, fn(&Device, &Connection));
    let cases: Vec<Tamper> = vec![
        ("part quantity", "part record", |_, c| {
            c.execute("UPDATE part_usages SET quantity = quantity + 1", [])
                .unwrap();
        }),
        ("part removed", "removed after signing", |_, c| {
            c.execute_batch("PRAGMA foreign_keys = OFF; DELETE FROM part_usages;")
                .unwrap();
        }),
        ("finding text", "finding", |_, c| {
            c.execute("UPDATE findings SET description = 'no scratch at all'", [])
                .unwrap();
        }),
        ("fees", "fees", |_, c| {
            c.execute("UPDATE fee_consents SET total = 1", []).unwrap();
        }),
        (
            "a part slipped in behind the journal's back",
            "not in the job's timeline",
            |_, c| {
                c.execute(
                "INSERT INTO part_usages (id, visit_id, sku, quantity, old_part, stock_short, at)
                 SELECT '01a20000-0000-7000-8000-000000000001', visit_id, sku, 5, 'none', 0, at - 1
                 FROM part_usages LIMIT 1",
                [],
            )
            .unwrap();
            },
        ),
        ("photo detached", "photo", |_, c| {
            c.execute(
                "DELETE FROM visit_attachments WHERE step_id = 'debris_removed'",
                [],
            )
            .unwrap();
        }),
        ("event deleted", "timeline", |_, c| {
            c.execute(
                "DELETE FROM journal WHERE seq = (SELECT min(seq) FROM journal WHERE kind = 'arrive')",
                [],
            )
            .unwrap();
        }),
        ("events reordered", "timeline", |_, c| {
            let seq = |kind: &str| -> i64 {
                c.query_row(
                    "SELECT min(seq) FROM journal WHERE kind = ?1",
                    [kind],
                    |r| r.get(0),
                )
                .unwrap()
            };
            let (a, b) = (seq("accept"), seq("call_customer"));
            c.execute("UPDATE journal SET seq = -1 WHERE seq = ?1", [a])
                .unwrap();
            c.execute("UPDATE journal SET seq = ?1 WHERE seq = ?2", [a, b])
                .unwrap();
            c.execute("UPDATE journal SET seq = ?1 WHERE seq = -1", [b])
                .unwrap();
        }),
        ("event payload edited", "timeline", |_, c| {
            c.execute(
                "UPDATE journal SET payload = replace(payload, 'traffic', 'a flat tyre')
                 WHERE kind = 'notify_delay'",
                [],
            )
            .unwrap();
        }),
        ("summary hash", "summary does not match", |_, c| {
            c.execute(
                "UPDATE signatures SET summary_sha256 = replace(summary_sha256, substr(summary_sha256, 1, 1), 'x')",
                [],
            )
            .unwrap();
        }),
        ("signer name", "altered", |_, c| {
            c.execute("UPDATE signatures SET signer_name = 'Someone Else'", [])
                .unwrap();
        }),
        ("stored strokes", "strokes", |_, c| {
            c.execute("UPDATE signatures SET strokes = replace(strokes, '\"width\":600', '\"width\":601')", [])
                .unwrap();
        }),
        ("signature image file", "image", |d, c| {
            let sha: String = c
                .query_row("SELECT image_sha256 FROM signatures LIMIT 1", [], |r| {
                    r.get(0)
                })
                .unwrap();
            let path = d.dir.path().join("blobs").join(&sha[..2]).join(&sha);
            std::fs::write(path, b"\x89PNG\r\n\x1a\nforged").unwrap();
        }),
    ];
    for (what, expect, tamper) in cases {
        let (d, id) = signed_job();
        assert!(d.kit.verify(id).unwrap().ok(), "{what}: verifies before");
        tamper(&d, &db(&d));
        let v = d.kit.verify(id).unwrap();
        let found = problems(&v);
        assert!(!v.ok(), "{what}: not detected");
        assert!(
            found.iter().any(|p| p.contains(expect)),
            "{what}: expected a problem mentioning {expect:?}, got {found:?}"
        );
        for p in &found {
            assert!(
                !p.contains("王女士") && !p.contains("1380000"),
                "{what}: personal data in {p}"
            );
        }
        assert!(
            matches!(d.kit.complete(id), Err(Error::Blocked { .. })),
            "{what}: completion must be refused"
        );
    }
}
