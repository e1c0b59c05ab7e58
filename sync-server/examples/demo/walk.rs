//! A technician's visit walked through the real core, for every job kind: a paid repair
//! follows `fieldkit_core::demo::walk_repair_visit` (delay notice, finding, photos, fee
//! consent, part, pause, two signatures); every other kind follows its checklist step by
//! step, answering each step as a technician would (photos and signatures included).
//!
//! Shared by the demo (`examples/demo`) and the benchmarks (`benches/`, by `#[path]`).

#![allow(dead_code)] // each user takes a subset

use fieldkit_core::api::{CallOutcome, SignatureInput};
use fieldkit_core::checklist::{AnswerValue, StepKind};
use fieldkit_core::demo;
use fieldkit_core::model::*;
use fieldkit_core::workflow::JobStatus;
use fieldkit_core::{Error, FieldKit, Result};

/// A refusal of the walk itself (not of the core).
fn stuck(reason: String) -> Error {
    Error::Invalid {
        field: "demo walk",
        reason,
    }
}

/// Walks the job from "assigned" to completion. `tick` runs after every step (move the
/// device's clock on there).
pub fn walk_visit(kit: &FieldKit, id: WorkOrderId, tick: &mut dyn FnMut()) -> Result<()> {
    let order = kit.job(id)?.order;
    if order.kind == JobKind::Repair && order.billing == Billing::Paid {
        demo::walk_repair_visit(kit, id, &mut |_| {
            tick();
            Ok(())
        })?;
        return Ok(());
    }
    kit.accept(id)?;
    tick();
    kit.call_customer(
        id,
        &CallOutcome {
            reached: true,
            confirmed: CallConfirmations::all(),
            agreed: None,
            note: None,
        },
    )?;
    tick();
    for _ in 0..200 {
        let status = kit.job(id)?.status;
        if status == JobStatus::Completed {
            return Ok(());
        }
        let view = kit.checklist(id)?;
        match view.next {
            Some(step) => answer(kit, id, &view.template, &step, order.billing)?,
            None => match status {
                JobStatus::Confirmed => kit.start_travel(id).map(drop)?,
                JobStatus::EnRoute => kit.arrive(id).map(drop)?,
                JobStatus::Arrived => kit.start_work(id).map(drop)?,
                JobStatus::InProgress => kit.complete(id).map(drop)?,
                other => return Err(stuck(format!("stuck at {}", other.as_str()))),
            },
        }
        tick();
    }
    Err(stuck("did not finish in 200 steps".into()))
}

/// Answers one checklist step the way a technician would.
fn answer(
    kit: &FieldKit,
    id: WorkOrderId,
    template: &TemplateRef,
    step_id: &str,
    billing: Billing,
) -> Result<()> {
    let Some(step) = fieldkit_core::checklist::default_templates()
        .into_iter()
        .find(|t| t.id == template.id)
        .and_then(|t| t.step(step_id).cloned())
    else {
        return Err(stuck(format!("unknown step {step_id}")));
    };
    let say = |a: AnswerValue| kit.answer_step(id, step_id, &a).map(drop);
    match &step.kind {
        StepKind::Confirm => say(AnswerValue::Confirmed),
        StepKind::YesNo => say(AnswerValue::YesNo(true)),
        // The fee is settled, not ticked: the consented call-out fee, in cash, receipt issued.
        StepKind::Choice { .. } if step_id == "fee_settled" => {
            let f = demo::fee_schedule();
            let consented = f
                .items
                .iter()
                .filter(|i| i.code == "visit")
                .map(|i| i.amount);
            let settlement = Settlement {
                amount: consented.sum(),
                method: PaymentMethod::Cash,
                receipt_no: Some(format!("R-{}", &id.to_string()[24..])),
                reason: None,
            };
            kit.settle(id, &settlement).map(drop)
        }
        StepKind::Choice { options } => {
            let pick = match (step_id, billing) {
                ("coverage", Billing::Paid) => "paid".to_owned(),
                ("coverage", Billing::Warranty) => "warranty".to_owned(),
                _ => options.first().map(|o| o.value.clone()).unwrap_or_default(),
            };
            say(AnswerValue::Choice(pick))
        }
        StepKind::Text { .. } => say(AnswerValue::Text("Done as agreed with the customer".into())),
        StepKind::Number { min, max, .. } => say(AnswerValue::Number((min + max) / 2.0)),
        StepKind::Serial => say(AnswerValue::Serial(format!("SN-{}", &id.to_string()[24..]))),
        StepKind::Photo { min_count } => (0..*min_count).try_for_each(|i| {
            let tag = format!("{id}/{step_id}/{i}");
            kit.add_photo(id, Some(step_id), &demo::fake_photo(&tag))
                .map(drop)
        }),
        StepKind::Signature { role } => {
            if *role == SignerRole::Customer {
                kit.summary_for_signing(id)?;
            }
            kit.sign(
                id,
                &SignatureInput {
                    signer_name: match role {
                        SignerRole::Customer => "Customer (demo)".into(),
                        _ => "Technician (demo)".into(),
                    },
                    role: *role,
                    strokes: demo::signature_strokes(id.0.as_u128() as u32),
                    step_id: Some(step_id.to_owned()),
                    finding: None,
                },
            )
            .map(drop)
        }
        StepKind::FeeConsent => {
            let f = demo::fee_schedule();
            kit.consent_to_fees(id, &f.id, f.version, &["visit".into()], true)
                .map(drop)
        }
        StepKind::PreVisitCall => Err(stuck("the call step is satisfied by the call".into())),
        StepKind::Feedback => kit
            .feedback(id, 5, Some("满意 / satisfied"), false)
            .map(drop),
        StepKind::Finding => demo::sign_finding_step(kit, id, step_id).map(drop),
        // A tick confirms the parts as recorded, or the copy of the customer's signature.
        StepKind::PartsReview | StepKind::CustomerCopy => say(AnswerValue::Confirmed),
        StepKind::Loaners { .. } => demo::settle_loaner_step(kit, id, step_id).map(drop),
        StepKind::ReturnDecision => {
            let found = demo::return_findings();
            let decision = kit.return_decision(id, &found)?;
            say(AnswerValue::ReturnDecision(ReturnDecision {
                found,
                decision,
            }))
        }
    }
}

/// A job of `kind` for the desk to dispatch: made-up customer, promised from `start` for two
/// hours. `n` makes the job number.
pub fn order(n: u32, kind: JobKind, billing: Billing, start: Timestamp) -> WorkOrder {
    let mut o = demo::repair_order(n, start - chrono::Duration::minutes(30), billing);
    o.number = format!("WO-{n:05}");
    o.kind = kind;
    let (model, fault) = match kind {
        JobKind::Delivery => ("FR-520 refrigerator", "deliver and unbox"),
        JobKind::Installation => ("AC-3500 air conditioner", "install and commission"),
        JobKind::Repair => ("WM-8000 washer", "washer does not drain"),
        JobKind::ReturnExchange => ("DW-60 dishwasher", "exchange a unit that leaks"),
        JobKind::FollowUp => ("WH-80 water heater", "follow-up after last week's repair"),
    };
    o.product.model = model.into();
    o.reported_fault = fault.into();
    if kind == JobKind::ReturnExchange {
        o.sale = Some(demo::sale(o.reported_at - chrono::Duration::days(3)));
    }
    o
}
