//! The server's replay of a completed job: a walked visit passes every check, and strokes
//! that do not draw their signature image are found by the separate drawing check.

mod common;

use common::*;
use fieldkit_core::demo;
use fieldkit_core::model::*;
use fieldkit_core::sync::protocol::Op;
use fieldkit_core::sync::replay::{check_completion, drawing_problems, strokes_draw_image};

/// A paid repair walked to completion: its job's ops in order, and where the completion is.
fn completed_job() -> (Vec<Op>, usize) {
    let d = device();
    let order = demo::repair_order(1, morning(), Billing::Paid);
    d.kit.receive_work_order(&order).unwrap();
    demo::walk_repair_visit(&d.kit, order.id, &mut |_| {
        d.tick();
        Ok(())
    })
    .unwrap();
    let ops: Vec<Op> = d
        .kit
        .pending_ops(i64::MAX)
        .unwrap()
        .into_iter()
        .filter(|op| op.entity == "work_order" && op.entity_id == order.id.to_string())
        .collect();
    let complete = ops.iter().position(|op| op.kind == "complete").unwrap();
    (ops, complete)
}

#[test]
fn a_walked_visit_passes_and_its_drawings_match() {
    let (ops, complete) = completed_job();
    let check = check_completion(JobKind::Repair, Billing::Paid, &ops, complete, &[]);
    assert!(check.ok(), "{check:?}");
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
    let (mut ops, complete) = completed_job();
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
    // Not a check_completion matter (it does not draw), and only before the completion.
    let check = check_completion(JobKind::Repair, Billing::Paid, &ops, complete, &[]);
    assert!(
        !check.signatures.iter().any(|p| p.contains("strokes")),
        "{check:?}"
    );
    assert!(
        drawing_problems(&ops, last_sign).is_empty(),
        "not a completion"
    );
}

#[test]
fn strokes_that_do_not_draw_the_named_image_are_found() {
    let (ops, _) = completed_job();
    let mut sign = ops.iter().find(|op| op.kind == "sign").unwrap().clone();
    assert_eq!(strokes_draw_image(&sign), Some(true));
    sign.payload["image_sha256"] = "0".repeat(64).into();
    assert_eq!(strokes_draw_image(&sign), Some(false));
    sign.payload.as_object_mut().unwrap().remove("strokes");
    assert_eq!(strokes_draw_image(&sign), None, "nothing to draw");
    let other = ops.iter().find(|op| op.kind != "sign").unwrap();
    assert_eq!(strokes_draw_image(other), None, "not a signature");
}
