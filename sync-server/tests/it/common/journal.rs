//! A phone made of the real core, for tests that push into storage (or over HTTP): its own
//! device database in a temp dir, a manual clock the test moves, the van stocked as the
//! demo's phones are ([`demo::stock_the_van`]: the server must have published
//! [`demo::fee_schedule`] and [`demo::van_part`]). Every op it pushes is a real journal op:
//! made by [`FieldKit`], hash-chained, in the device's own `seq` order, signed with its own
//! device id. So the device a test registers in storage must be [`Phone::device_id`], and a
//! job must reach it as the server holds it (`JobRecord.order` after `create_work_order`, or
//! pulled: it carries the checklists the desk pinned).

use std::sync::Arc;

use fieldkit_core::api::CompletionRecord;
use fieldkit_core::checklist::AnswerValue;
use fieldkit_core::clock::{Clock, ManualClock};
use fieldkit_core::model::*;
use fieldkit_core::sync::client::{SyncOptions, SyncReport};
use fieldkit_core::sync::protocol::{Op, PushResponse};
use fieldkit_core::{DeviceConfig, FieldKit, demo};

/// The steps [`demo::walk_repair_visit`] reports, in its order. [`Phone::walk_repair_with`]
/// asks before each of them what time it is.
pub const REPAIR_STEPS: [&str; 18] = [
    "accept",
    "call_customer",
    "tools_parts_loaded",
    "start_travel",
    "notify_delay",
    "arrive",
    "id_badge",
    "shoe_covers",
    "warranty checked",
    "anomaly recorded and signed",
    "fees agreed",
    "start_work",
    "record_part",
    "pause/resume",
    "work done",
    "customer signed",
    "close-out",
    "complete",
];

/// The steps of [`Phone::walk_to_arrival`], in order.
pub const ARRIVAL_STEPS: [&str; 5] = [
    "accept",
    "call_customer",
    "loaded",
    "start_travel",
    "arrive",
];

/// One technician's phone: the real core on its own database.
pub struct Phone {
    pub kit: FieldKit,
    pub clock: Arc<ManualClock>,
    _dir: tempfile::TempDir,
}

/// A hook asked before each step of a walk, with the step's name: it may act on the phone
/// and returns the time the phone's clock shows from that step on (`None`: it stays).
pub type Hook<'a> = &'a mut dyn FnMut(&FieldKit, &str) -> Option<Timestamp>;

impl Phone {
    /// A new phone whose clock stands at `start`, its van stocked (one `stock` op, `seq` 1).
    pub fn new(start: Timestamp) -> Phone {
        let dir = tempfile::tempdir().expect("phone dir");
        let clock = Arc::new(ManualClock::new(start));
        let kit = FieldKit::open_with_clock(dir.path(), DeviceConfig::default(), clock.clone())
            .expect("the phone's database opens");
        demo::stock_the_van(&kit).expect("the van is stocked");
        Phone {
            kit,
            clock,
            _dir: dir,
        }
    }

    /// The device id the phone signs with (register this one in storage).
    pub fn device_id(&self) -> DeviceId {
        self.kit.device_id()
    }

    /// The phone's clock.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Moves the phone's clock to `t` (never back: a test that did would make a journal no
    /// phone makes).
    pub fn set_clock(&self, t: Timestamp) {
        assert!(
            t >= self.clock.now(),
            "the phone's clock would go back from {} to {t}",
            self.clock.now()
        );
        self.clock.set(t);
    }

    /// The desk's work order reaches the phone (as the server holds it).
    pub fn receive(&self, order: &WorkOrder) {
        self.kit
            .receive_work_order(order)
            .expect("the phone takes the work order");
    }

    /// The technician accepts the job.
    pub fn accept(&self, id: WorkOrderId) {
        self.kit.accept(id).expect("accept");
    }

    /// [`demo::walk_repair_visit`] on the job (a paid repair, from accepting to completion):
    /// before each of [`REPAIR_STEPS`], `at(step)` may set the clock.
    pub fn walk_repair(
        &self,
        id: WorkOrderId,
        at: &mut dyn FnMut(&str) -> Option<Timestamp>,
    ) -> CompletionRecord {
        self.walk_repair_with(id, &mut |_, step| at(step))
    }

    /// [`Phone::walk_repair`] whose hook may also act on the phone before a step.
    pub fn walk_repair_with(&self, id: WorkOrderId, hook: Hook<'_>) -> CompletionRecord {
        self.before(&mut *hook, REPAIR_STEPS[0]);
        let mut done = 0;
        demo::walk_repair_visit(&self.kit, id, &mut |step| {
            assert_eq!(
                step, REPAIR_STEPS[done],
                "demo::walk_repair_visit reports other steps: update REPAIR_STEPS"
            );
            done += 1;
            if let Some(next) = REPAIR_STEPS.get(done) {
                self.before(&mut *hook, next);
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("the demo visit walks on the phone: {e}"))
    }

    /// A visit up to the arrival: accept, the pre-visit call (reached, everything
    /// confirmed), the job kind's before-leaving step, start travel, arrive. `at(step)` (one
    /// of [`ARRIVAL_STEPS`]) may set the clock before each.
    pub fn walk_to_arrival(&self, id: WorkOrderId, at: &mut dyn FnMut(&str) -> Option<Timestamp>) {
        let mut at = |_: &FieldKit, s: &str| at(s);
        self.before(&mut at, "accept");
        self.accept(id);
        self.before(&mut at, "call_customer");
        self.kit
            .call_customer(
                id,
                &fieldkit_core::api::CallOutcome {
                    reached: true,
                    confirmed: CallConfirmations::all(),
                    agreed: None,
                    note: None,
                },
            )
            .expect("call the customer");
        self.before(&mut at, "loaded");
        let loaded = match self.kit.job(id).expect("the job").order.kind {
            JobKind::Installation => "tools_materials_loaded",
            JobKind::Delivery => "goods_loaded",
            _ => "tools_parts_loaded",
        };
        self.kit
            .answer_step(id, loaded, &AnswerValue::Confirmed)
            .expect("the before-leaving step");
        self.before(&mut at, "start_travel");
        self.kit.start_travel(id).expect("start travel");
        self.before(&mut at, "arrive");
        self.kit.arrive(id).expect("arrive");
    }

    /// The unit goes to the workshop ([`demo::take_back_with_evidence`]) on the visit under
    /// way.
    pub fn take_back(&self, id: WorkOrderId) {
        demo::take_back_with_evidence(&self.kit, id).expect("take back");
    }

    fn before(&self, hook: Hook<'_>, step: &str) {
        if let Some(t) = hook(&self.kit, step) {
            self.set_clock(t);
        }
    }

    /// Everything in the outbox (what the server has not acknowledged), in `seq` order.
    pub fn outbox(&self) -> Vec<Op> {
        self.kit.pending_ops(100_000).expect("the outbox")
    }

    /// The outbox ops of one job, in `seq` order.
    pub fn job_ops(&self, id: WorkOrderId) -> Vec<Op> {
        let id = id.to_string();
        self.outbox()
            .into_iter()
            .filter(|o| o.entity == "work_order" && o.entity_id == id)
            .collect()
    }

    /// The outbox op of `seq`.
    pub fn op(&self, seq: i64) -> Op {
        self.outbox()
            .into_iter()
            .find(|o| o.seq == seq)
            .unwrap_or_else(|| panic!("no op {seq} in the outbox"))
    }

    /// The server's answer reaches the phone: what it has a final answer for leaves the
    /// outbox.
    pub fn acknowledge(&self, r: &PushResponse) {
        self.kit
            .acknowledge_ops(&r.results, r.acked_through)
            .expect("acknowledge");
    }

    /// Enrols over HTTP with a one-time code the desk makes for `technician_id`, keeping
    /// the account for [`Phone::sync`].
    pub async fn enrol(&self, ts: &super::TestServer, technician_id: &str) {
        let code = ts.enrolment_code(technician_id).await;
        self.kit
            .enroll(&ts.base, &code, &sync_options())
            .await
            .expect("the phone enrols");
    }

    /// Syncs with the server it enrolled with (push, pull, upload): as the app does.
    pub async fn sync(&self) -> SyncReport {
        self.kit
            .sync(&sync_options(), &|_| {})
            .await
            .expect("the phone syncs")
    }
}

/// Quick retries for tests.
pub fn sync_options() -> SyncOptions {
    SyncOptions {
        first_backoff: std::time::Duration::from_millis(5),
        max_backoff: std::time::Duration::from_millis(50),
        chunk_bytes: 64 * 1024,
        ..SyncOptions::default()
    }
}

/// A technician `name` (made on `via`) whose phone enrolled through `via` and pulled `n` new
/// paid repairs, numbered from `first`.
pub async fn crew(
    via: &super::TestServer,
    name: &str,
    first: u32,
    n: u32,
) -> (Phone, Vec<WorkOrder>) {
    let t = via.create_technician(name).await;
    let phone = Phone::new(chrono::Utc::now());
    phone.enrol(via, &t).await;
    let mut jobs = Vec::new();
    for i in 0..n {
        let j = demo::repair_order(first + i, chrono::Utc::now(), Billing::Paid);
        via.create_job(&j, Some(&t)).await;
        jobs.push(j);
    }
    phone.sync().await;
    (phone, jobs)
}

/// The phone walks `jobs` to completion and syncs (through the instance it enrolled with),
/// every op applied; the completions' op ids.
pub async fn complete(phone: &Phone, jobs: &[WorkOrder]) -> Vec<String> {
    let mut ids = Vec::new();
    for j in jobs {
        let record = phone.walk_repair(j.id, &mut |_| None);
        let op = phone
            .job_ops(j.id)
            .into_iter()
            .find(|o| o.seq == record.seq)
            .expect("the completion in the outbox");
        ids.push(op.op_id.to_string());
    }
    let r = phone.sync().await;
    assert_eq!((r.rejected, r.conflicts), (0, 0), "every op applied: {r:?}");
    ids
}
