//! Shared test fixtures: a device on a temp dir with a manual clock, and a walker that
//! answers whatever the checklist asks next, through the public API only.

#![allow(dead_code)]

use fieldkit_core::sync::replay::Verdict;
use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use fieldkit_core::api::{CallOutcome, SignatureInput};
use fieldkit_core::checklist::{AnswerValue, StepKind};
use fieldkit_core::clock::ManualClock;
use fieldkit_core::demo;
use fieldkit_core::model::*;
use fieldkit_core::workflow::JobStatus;
use fieldkit_core::{DeviceConfig, FieldKit};

pub struct Device {
    pub dir: tempfile::TempDir,
    pub clock: Arc<ManualClock>,
    pub kit: FieldKit,
    /// The settings it was opened (and is reopened) with.
    pub config: DeviceConfig,
}

/// 2026-11-23 09:00 Beijing time.
pub fn morning() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 11, 23, 1, 0, 0).unwrap()
}

pub fn device() -> Device {
    device_with(DeviceConfig::default())
}

/// A test key for the encrypted database (the apps take theirs from the Keystore/Keychain).
pub fn test_key() -> fieldkit_core::store::DatabaseKey {
    fieldkit_core::store::DatabaseKey::from_bytes(&[0x5a; 32]).unwrap()
}

/// The default settings with the database encrypted under [`test_key`].
pub fn encrypted_config() -> DeviceConfig {
    DeviceConfig {
        database_key: Some(test_key()),
        ..DeviceConfig::default()
    }
}

/// A device with these settings (reopened with them too).
pub fn device_with(config: DeviceConfig) -> Device {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(morning()));
    let kit = FieldKit::open_with_clock(dir.path(), config.clone(), clock.clone()).unwrap();
    demo::stock_the_van(&kit).unwrap();
    Device {
        dir,
        clock,
        kit,
        config,
    }
}

impl Device {
    pub fn reopen(self) -> Device {
        let Device {
            dir,
            clock,
            kit,
            config,
        } = self;
        drop(kit);
        let kit = FieldKit::open_with_clock(dir.path(), config.clone(), clock.clone()).unwrap();
        Device {
            dir,
            clock,
            kit,
            config,
        }
    }

    pub fn order(&self, kind: JobKind, billing: Billing) -> WorkOrderId {
        let mut o = demo::repair_order(1, self.clock.now_for_tests(), billing);
        o.kind = kind;
        // A return is judged on the sale the desk recorded.
        if kind == JobKind::ReturnExchange {
            o.sale = Some(demo::sale(o.reported_at - chrono::Duration::days(2)));
        }
        self.kit.receive_work_order(&o).unwrap();
        o.id
    }

    /// Accept, and call the customer (reached, everything confirmed).
    pub fn plan(&self, id: WorkOrderId) {
        self.kit.accept(id).unwrap();
        self.call(id);
    }

    pub fn call(&self, id: WorkOrderId) {
        self.kit
            .call_customer(
                id,
                &CallOutcome {
                    reached: true,
                    confirmed: CallConfirmations::all(),
                    agreed: None,
                    note: None,
                },
            )
            .unwrap();
    }

    pub fn tick(&self) {
        self.clock.advance(Duration::minutes(3));
    }

    pub fn op_count(&self) -> usize {
        self.kit.pending_ops(i64::MAX).unwrap().len()
    }

    pub fn signature(&self, role: SignerRole, step: Option<&str>) -> SignatureInput {
        SignatureInput {
            signer_name: "Customer Name".into(),
            role,
            strokes: demo::signature_strokes(7),
            step_id: step.map(str::to_owned),
            finding: None,
        }
    }

    /// Answers the steps `next` proposes, moving the visit along (travel, arrival, work)
    /// whenever nothing can be done in the current stage, until `stop` (given the next step,
    /// or "" when none can be done now) says so or the visit completes. `choose` picks choice values by step id (default: first option).
    pub fn walk(
        &self,
        id: WorkOrderId,
        choose: &dyn Fn(&str) -> Option<String>,
        stop: &dyn Fn(&str) -> bool,
    ) {
        for _ in 0..200 {
            self.tick();
            let status = self.kit.job(id).unwrap().status;
            if status == JobStatus::Completed {
                return;
            }
            let view = self.kit.checklist(id).unwrap();
            if stop(view.next.as_deref().unwrap_or("")) {
                return;
            }
            let Some(next) = view.next.clone() else {
                match status {
                    JobStatus::Confirmed => self.kit.start_travel(id).map(|_| ()),
                    JobStatus::EnRoute => self.kit.arrive(id).map(|_| ()),
                    JobStatus::Arrived => self.kit.start_work(id).map(|_| ()),
                    JobStatus::InProgress => self.kit.complete(id).map(|_| ()),
                    other => panic!("stuck at {other:?}"),
                }
                .unwrap_or_else(|e| panic!("moving on from {status:?}: {e}"));
                continue;
            };
            self.answer(id, &next, choose);
        }
        panic!("walk did not finish");
    }

    pub fn answer(&self, id: WorkOrderId, step_id: &str, choose: &dyn Fn(&str) -> Option<String>) {
        // The step as the job's own template version has it (a job may be pinned to an older
        // one than the built-in default).
        let view = self.kit.checklist(id).unwrap();
        let kind = view
            .steps
            .into_iter()
            .find(|s| s.id == step_id)
            .unwrap()
            .spec;
        let r = match &kind {
            StepKind::Confirm => self
                .kit
                .answer_step(id, step_id, &AnswerValue::Confirmed)
                .map(|_| ()),
            StepKind::YesNo => self
                .kit
                .answer_step(id, step_id, &AnswerValue::YesNo(true))
                .map(|_| ()),
            // The fee is settled with `settle`: the consented total ("visit", below), in
            // cash, with a receipt unless the choice is an invoice to follow.
            StepKind::Choice { options } if step_id == FEE_SETTLED_STEP => {
                let v = choose(step_id).unwrap_or_else(|| options[0].value.clone());
                let visit = demo::fee_schedule()
                    .items
                    .iter()
                    .find(|i| i.code == "visit")
                    .unwrap()
                    .amount;
                self.kit
                    .settle(
                        id,
                        &Settlement {
                            amount: visit,
                            method: PaymentMethod::Cash,
                            receipt_no: (v == "paid_on_site").then(|| "R-0001".to_owned()),
                            reason: None,
                        },
                    )
                    .map(|_| ())
            }
            StepKind::Choice { options } => {
                let v = choose(step_id).unwrap_or_else(|| options[0].value.clone());
                self.kit
                    .answer_step(id, step_id, &AnswerValue::Choice(v))
                    .map(|_| ())
            }
            StepKind::Text { .. } => self
                .kit
                .answer_step(id, step_id, &AnswerValue::Text("done as agreed".into()))
                .map(|_| ()),
            StepKind::Number { min, max, .. } => self
                .kit
                .answer_step(id, step_id, &AnswerValue::Number((min + max) / 2.0))
                .map(|_| ()),
            StepKind::Serial => self
                .kit
                .answer_step(id, step_id, &AnswerValue::Serial("SN-1234".into()))
                .map(|_| ()),
            StepKind::Photo { min_count } => (0..*min_count).try_for_each(|i| {
                self.kit
                    .add_photo(
                        id,
                        Some(step_id),
                        &demo::fake_photo(&format!("{step_id}{i}")),
                    )
                    .map(|_| ())
            }),
            StepKind::Signature { role } => {
                if *role == SignerRole::Customer {
                    self.kit.summary_for_signing(id).unwrap();
                }
                self.kit
                    .sign(id, &self.signature(*role, Some(step_id)))
                    .map(|_| ())
            }
            StepKind::FeeConsent => {
                let f = demo::fee_schedule();
                self.kit
                    .consent_to_fees(id, &f.id, f.version, &["visit".into()], true)
                    .map(|_| ())
            }
            StepKind::PreVisitCall => panic!("the call step is satisfied by the call"),
            StepKind::Feedback => self.kit.feedback(id, 5, None, false).map(|_| ()),
            StepKind::Finding => demo::sign_finding_step(&self.kit, id, step_id).map(|_| ()),
            // A tick confirms the parts recorded now, or the copy of the latest signature.
            StepKind::PartsReview | StepKind::CustomerCopy => self
                .kit
                .answer_step(id, step_id, &AnswerValue::Confirmed)
                .map(|_| ()),
            StepKind::Loaners { .. } => {
                demo::settle_loaner_step(&self.kit, id, step_id).map(|_| ())
            }
            StepKind::ReturnDecision => {
                let found = demo::return_findings();
                self.kit.return_decision(id, &found).and_then(|decision| {
                    self.kit
                        .answer_step(
                            id,
                            step_id,
                            &AnswerValue::ReturnDecision(ReturnDecision { found, decision }),
                        )
                        .map(|_| ())
                })
            }
        };
        r.unwrap_or_else(|e| panic!("answering {step_id}: {e}"));
    }
}

/// What the desk published for the demo and these tests: every built-in template, the demo's
/// fee schedule and its part — what a server judges these devices' journals with.
pub fn published() -> fieldkit_core::sync::replay::Published {
    let mut p = fieldkit_core::sync::replay::Published::new();
    for t in fieldkit_core::checklist::default_templates() {
        p.add_template(std::sync::Arc::new(t));
    }
    p.add_fee_schedule(demo::fee_schedule());
    p.add_part("PUMP-220");
    p
}

/// The device's journal for a job, judged op by op as the server judges it: the final
/// replay and every verdict.
pub fn judge_journal(
    d: &Device,
    id: WorkOrderId,
) -> (
    fieldkit_core::sync::replay::JobReplay,
    Vec<(String, fieldkit_core::sync::replay::Verdict)>,
) {
    use fieldkit_core::sync::replay::{Context, JobReplay};
    let order = d.kit.job(id).unwrap().order;
    let p = published();
    let desk = p.for_job(&order);
    let cx = Context {
        order: &order,
        device_id: d.kit.device_id(),
        desk: &desk,
    };
    let mut r = JobReplay::new();
    let verdicts = d
        .kit
        .pending_ops(i64::MAX)
        .unwrap()
        .iter()
        .filter(|op| op.entity == "work_order" && op.entity_id == id.to_string())
        .map(|op| (op.kind.clone(), r.apply(op, &cx)))
        .collect();
    (r, verdicts)
}

/// Reads the manual clock (tests only need the current value).
pub trait NowForTests {
    fn now_for_tests(&self) -> Timestamp;
}

impl NowForTests for ManualClock {
    fn now_for_tests(&self) -> Timestamp {
        use fieldkit_core::clock::Clock;
        self.now()
    }
}

/// A property test's config: `cases` cases, and the regressions kept beside the test's source
/// file (`random_commands.rs` → `random_commands.proptest-regressions`), where they were
/// before the tests became one binary. proptest's default looks for the directory holding a
/// `main.rs` (now `tests/it/`) and would read `tests/proptest-regressions/random_commands.txt`.
pub fn proptest_config(cases: u32) -> proptest::test_runner::Config {
    proptest::test_runner::Config {
        cases,
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::WithSource("proptest-regressions"),
        )),
        ..proptest::test_runner::Config::default()
    }
}

/// A walk's choice: the first option of every choice step.
pub fn none(_: &str) -> Option<String> {
    None
}

/// A walk's stop: never (walk to completion).
pub fn never(_: &str) -> bool {
    false
}

/// Every op of the job's journal is accepted by the server's judge (a completion passes its
/// check), which ends where the device stands.
pub fn judged_alike(d: &Device, id: WorkOrderId) {
    let (replay, verdicts) = judge_journal(d, id);
    for (kind, v) in &verdicts {
        let ok = match v {
            Verdict::Accepted => true,
            Verdict::Completion(check) => check.ok(),
            Verdict::Refused(_) => false,
        };
        assert!(ok, "{kind}: {v:?}");
    }
    assert_eq!(replay.order, d.kit.job(id).unwrap().order.status);
}
