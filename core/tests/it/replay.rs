//! The second judge on journals the real device wrote: every honest visit of every job kind
//! and billing is accepted op by op and completes; the drawing check finds strokes that do
//! not draw their image; and a journal edited after the fact is caught.

use crate::common::*;
use fieldkit_core::demo;
use fieldkit_core::model::*;
use fieldkit_core::sync::protocol::Op;
use fieldkit_core::sync::replay::{
    Context, JobReplay, Verdict, drawing_problems, strokes_draw_image,
};

fn job_ops(d: &Device, id: WorkOrderId) -> Vec<Op> {
    d.kit
        .pending_ops(i64::MAX)
        .unwrap()
        .into_iter()
        .filter(|op| op.entity == "work_order" && op.entity_id == id.to_string())
        .collect()
}

/// Judges `ops` one by one; returns each verdict.
fn judge(order: &WorkOrder, device: DeviceId, ops: &[Op]) -> (JobReplay, Vec<Verdict>) {
    let p = published();
    let desk = p.for_job(order);
    let cx = Context {
        order,
        device_id: device,
        desk: &desk,
    };
    let mut r = JobReplay::new();
    let verdicts = ops.iter().map(|op| r.apply(op, &cx)).collect();
    (r, verdicts)
}

/// A paid repair walked to completion: the order, its job's ops in order, and where the
/// completion is.
fn completed_job() -> (Device, WorkOrder, Vec<Op>, usize) {
    let d = device();
    let order = demo::repair_order(1, morning(), Billing::Paid);
    d.kit.receive_work_order(&order).unwrap();
    demo::walk_repair_visit(&d.kit, order.id, &mut |_| {
        d.tick();
        Ok(())
    })
    .unwrap();
    let ops = job_ops(&d, order.id);
    let complete = ops.iter().position(|op| op.kind == "complete").unwrap();
    (d, order, ops, complete)
}

fn assert_all_accepted(verdicts: &[Verdict], ops: &[Op]) {
    for (v, op) in verdicts.iter().zip(ops) {
        match v {
            Verdict::Accepted => {}
            Verdict::Completion(check) => assert!(check.ok(), "{}: {check:?}", op.kind),
            Verdict::Refused(r) => panic!("{} refused: {r:?}", op.kind),
        }
    }
}

#[test]
fn the_demo_repair_is_accepted_op_by_op_and_completes() {
    let (d, order, ops, _) = completed_job();
    let (r, verdicts) = judge(&order, d.kit.device_id(), &ops);
    assert_all_accepted(&verdicts, &ops);
    assert!(matches!(verdicts.last(), Some(Verdict::Completion(c)) if c.ok()));
    assert_eq!(r.order, WorkOrderStatus::Completed);
    assert_eq!(r.chain_breaks, 0);
}

#[test]
fn every_kind_and_billing_walked_by_the_checklist_is_accepted() {
    for kind in JobKind::ALL {
        for billing in [Billing::Warranty, Billing::Paid] {
            let d = device();
            let id = d.order(kind, billing);
            d.plan(id);
            d.walk(id, &|_| None, &|_| false);
            let order = d.kit.job(id).unwrap().order;
            let ops = job_ops(&d, id);
            let (r, verdicts) = judge(&order, d.kit.device_id(), &ops);
            assert_all_accepted(&verdicts, &ops);
            assert_eq!(r.order, WorkOrderStatus::Completed, "{kind:?} {billing:?}");
        }
    }
}

#[test]
fn the_device_and_the_judge_build_the_same_summary() {
    let (d, order, ops, complete) = completed_job();
    let signed: Vec<String> = ops
        .iter()
        .filter(|op| op.kind == "sign")
        .map(|op| op.payload["summary_sha256"].as_str().unwrap().to_owned())
        .collect();
    let p = published();
    let desk = p.for_job(&order);
    let cx = Context {
        order: &order,
        device_id: d.kit.device_id(),
        desk: &desk,
    };
    // Replayed up to each signature, the judge's summary hashes to what the device signed.
    for (i, op) in ops[..complete].iter().enumerate() {
        if op.kind == "sign" {
            let before = JobReplay::fold(&ops[..i], &cx);
            let sha = before.summary(&cx).unwrap().sha256();
            assert!(signed.contains(&sha), "signature at {i}");
        }
    }
}

#[test]
fn an_edited_journal_is_caught_and_its_completion_held() {
    let (d, order, mut ops, complete) = completed_job();
    let part = ops.iter().position(|op| op.kind == "record_part").unwrap();
    ops[part].payload["quantity"] = 3.into();
    let (r, verdicts) = judge(&order, d.kit.device_id(), &ops);
    assert!(
        matches!(&verdicts[part], Verdict::Refused(x) if x.code == "chain_mismatch"),
        "{:?}",
        verdicts[part]
    );
    // Everything before it stands, and the ops behind it still chain (to its recorded hash):
    // the next one is accepted. (What the customer then signs no longer matches the judge's
    // records, which lack the edited part: the signature is refused too.)
    for (i, v) in verdicts.iter().enumerate().take(part) {
        assert!(matches!(v, Verdict::Accepted), "{}: {v:?}", ops[i].kind);
    }
    assert!(
        matches!(verdicts[part + 1], Verdict::Accepted),
        "{:?}",
        verdicts[part + 1]
    );
    let Verdict::Completion(check) = &verdicts[complete] else {
        panic!("{:?}", verdicts[complete]);
    };
    assert!(!check.ok());
    assert!(!check.chain.is_empty(), "{check:?}");
    assert_eq!(r.chain_breaks, 1);
}

#[test]
fn a_walked_visit_s_drawings_match() {
    let (_, _, ops, complete) = completed_job();
    assert!(ops.iter().filter(|op| op.kind == "sign").count() >= 2);
    assert_eq!(drawing_problems(&ops, complete), Vec::<String>::new());
    // The sign ops and the completion are enough.
    let signs: Vec<Op> = ops
        .iter()
        .filter(|op| op.kind == "sign" || op.kind == "complete")
        .cloned()
        .collect();
    assert_eq!(
        drawing_problems(&signs, signs.len() - 1),
        Vec::<String>::new()
    );
}

#[test]
fn a_standing_customer_signature_that_its_strokes_do_not_draw_is_found() {
    let (_, _, mut ops, complete) = completed_job();
    let last_sign = ops[..complete]
        .iter()
        .rposition(|op| op.kind == "sign" && op.payload["role"] == "customer")
        .unwrap();
    // One point of the drawing moved: the image it names is no longer what it draws.
    let x = &mut ops[last_sign].payload["strokes"]["strokes"][0][0]["x"];
    *x = (x.as_f64().unwrap() + 40.0).into();
    let found = drawing_problems(&ops, complete);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("strokes do not draw"), "{found:?}");
    assert!(
        drawing_problems(&ops, last_sign).is_empty(),
        "not a completion"
    );
}

#[test]
fn strokes_that_do_not_draw_the_named_image_are_found() {
    let (_, _, ops, _) = completed_job();
    let mut sign = ops.iter().find(|op| op.kind == "sign").unwrap().clone();
    assert_eq!(strokes_draw_image(&sign), Some(true));
    sign.payload["image_sha256"] = "0".repeat(64).into();
    assert_eq!(strokes_draw_image(&sign), Some(false));
    sign.payload.as_object_mut().unwrap().remove("strokes");
    assert_eq!(strokes_draw_image(&sign), None, "nothing to draw");
    let other = ops.iter().find(|op| op.kind != "sign").unwrap();
    assert_eq!(strokes_draw_image(other), None, "not a signature");
}
