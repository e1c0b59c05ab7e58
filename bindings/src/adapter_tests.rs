//! The adapter from the Rust side (no foreign language): error mapping, observer fan-out and
//! cancellation, id and time validation, the open checklist. The Kotlin suite
//! (.ci/kotlin-tests.sh) covers the same through the real FFI. Needs the `demo` feature (CI
//! tests with it): the crate builds no Rust library (rlib), so these are unit tests.

use std::sync::{Arc, Mutex};

use crate::{
    Answer, CallConfirmations, CallOutcome, FieldKit, FieldKitError, JobObserver, JobStatus,
    KitConfig,
};

/// A fresh database with one repair order (assigned); shared with `view_cost`.
pub(crate) fn kit() -> (Arc<FieldKit>, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let kit = FieldKit::open(
        dir.path().to_string_lossy().into_owned(),
        KitConfig::default(),
    )
    .expect("open");
    let order = crate::demo_repair_order(1, false);
    let id = order.id.clone();
    kit.receive_work_order(order).expect("receive");
    (kit, id, dir)
}

/// A call that reached the customer and confirmed everything.
pub(crate) fn reached() -> CallOutcome {
    CallOutcome {
        reached: true,
        confirmed: CallConfirmations {
            address: true,
            phone: true,
            name: true,
            time_window: true,
            product_model: true,
        },
        agreed: None,
        note: None,
    }
}

/// Records the actions it is told about; clones share the record.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<String>>>);

impl JobObserver for Recorder {
    fn on_job_changed(&self, _job_id: String, action: String) -> Result<(), FieldKitError> {
        self.0.lock().expect("lock").push(action);
        Ok(())
    }
}

#[test]
fn observers_fire_after_success_only_and_stop_when_cancelled_or_dropped() {
    let (kit, id, _dir) = kit();
    let rec = Recorder::default();
    let handle = kit.observe_jobs(Box::new(rec.clone()));
    assert_eq!(kit.accept(id.clone()).expect("accept"), JobStatus::Accepted);
    assert!(matches!(
        kit.accept(id.clone()),
        Err(FieldKitError::Refused { .. })
    ));
    assert_eq!(*rec.0.lock().expect("lock"), vec!["accept".to_owned()]);
    handle.cancel();
    assert!(!handle.is_active());
    kit.call_customer(id.clone(), reached()).expect("call");
    assert_eq!(rec.0.lock().expect("lock").len(), 1);

    let rec2 = Recorder::default();
    drop(kit.observe_jobs(Box::new(rec2.clone())));
    kit.answer_step(id, "tools_parts_loaded".into(), Answer::Confirmed)
        .expect("answer");
    assert!(rec2.0.lock().expect("lock").is_empty());
}

#[test]
fn core_errors_map_to_actionable_kinds() {
    let (kit, id, _dir) = kit();
    match kit.job("nope".into()) {
        Err(FieldKitError::Validation { field_name, .. }) => assert_eq!(field_name, "job id"),
        other => panic!("expected Validation, got {other:?}"),
    }
    match kit.accept("01936b2e-0000-7000-8000-000000000000".into()) {
        Err(FieldKitError::NotFound { entity, .. }) => assert_eq!(entity, "work order"),
        other => panic!("expected NotFound, got {other:?}"),
    }
    kit.accept(id.clone()).expect("accept");
    kit.call_customer(id.clone(), reached()).expect("call");
    match kit.start_travel(id.clone()) {
        Err(FieldKitError::Blocked {
            action, blockers, ..
        }) => {
            assert_eq!(action, "start travel");
            assert_eq!(
                blockers[0].step_id.as_deref(),
                Some("tools_parts_loaded"),
                "{blockers:?}"
            );
        }
        other => panic!("expected Blocked, got {other:?}"),
    }
    match kit.answer_step(id.clone(), "goodbye".into(), Answer::Confirmed) {
        Err(FieldKitError::StepRefused { step, .. }) => assert_eq!(step, "goodbye"),
        other => panic!("expected StepRefused, got {other:?}"),
    }
    assert!(matches!(
        kit.notify_delay(id.clone(), "traffic".into(), i64::MAX),
        Err(FieldKitError::Validation { .. })
    ));
    assert!(matches!(
        kit.feedback(id, -1, None, false),
        Err(FieldKitError::Validation { .. })
    ));
}

#[test]
fn sync_errors_map_to_actionable_kinds() {
    use fieldkit_core::Error as E;
    let server = |status: u16, code: &str| E::Server {
        status,
        code: code.into(),
        message: "refused".into(),
    };
    assert!(matches!(
        FieldKitError::from(E::Network("could not connect".into())),
        FieldKitError::Network { .. }
    ));
    assert!(matches!(
        FieldKitError::from(E::NotEnrolled),
        FieldKitError::NotEnrolled { .. }
    ));
    for status in [401, 403] {
        match FieldKitError::from(server(status, "unauthorized")) {
            FieldKitError::Unauthorized { code, reason } => {
                assert_eq!(code, "unauthorized");
                assert!(reason.contains("refused"), "{reason}");
            }
            other => panic!("{status}: expected Unauthorized, got {other:?}"),
        }
    }
    assert!(matches!(
        FieldKitError::from(server(409, "gap")),
        FieldKitError::Conflict { .. }
    ));
    assert!(matches!(
        FieldKitError::from(server(413, "payload_too_large")),
        FieldKitError::Rejected { status: 413, .. }
    ));
    assert!(matches!(
        FieldKitError::from(server(503, "internal")),
        FieldKitError::Network { .. }
    ));
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}

#[test]
fn sync_before_enrolment_and_an_unreachable_server_are_typed() {
    let (kit, id, _dir) = kit();
    assert_eq!(kit.server_account().expect("account"), None);
    assert_eq!(kit.pending_op_count().expect("count"), 0);
    kit.accept(id).expect("accept");
    assert_eq!(kit.pending_op_count().expect("count"), 1);
    assert_eq!(
        kit.pending_op_count().expect("count"),
        kit.pending_changes().expect("count")
    );
    assert!(matches!(
        block_on(kit.clone().sync(None, None)),
        Err(FieldKitError::NotEnrolled { .. })
    ));
    // Nothing listens on port 9 of 127.0.0.1 (discard): refused at once.
    let quick = crate::SyncOptions {
        max_attempts: 2,
        first_backoff_ms: 1,
        max_backoff_ms: 2,
        ..crate::default_sync_options()
    };
    match block_on(kit.clone().enroll(
        "http://127.0.0.1:9".into(),
        "ABCD-EFGH-JKLM".into(),
        Some(quick.clone()),
    )) {
        Err(FieldKitError::Network { reason }) => {
            assert!(reason.contains("2 attempts"), "{reason}")
        }
        other => panic!("expected Network, got {other:?}"),
    }
    assert!(matches!(
        block_on(kit.clone().enroll("ftp://x".into(), "c".into(), None)),
        Err(FieldKitError::Validation { .. })
    ));
    let bad = crate::SyncOptions {
        max_attempts: 0,
        ..quick
    };
    assert!(matches!(
        block_on(kit.clone().sync(None, Some(bad))),
        Err(FieldKitError::Validation { .. })
    ));
    assert!(kit.sync_issues().expect("issues").is_empty());
}

#[test]
fn an_open_checklist_answers_by_position_and_notifies_like_answer_step() {
    let (kit, id, _dir) = kit();
    kit.accept(id.clone()).expect("accept");
    kit.call_customer(id.clone(), reached()).expect("call");
    let sheet = kit.open_checklist(id.clone()).expect("open");
    let view = sheet.view().expect("view");
    assert_eq!(view, kit.checklist(id.clone()).expect("checklist"));
    let at = |step: &str| {
        i32::try_from(view.steps.iter().position(|s| s.id == step).expect(step)).expect("fits")
    };
    let rec = Recorder::default();
    let _handle = kit.observe_jobs(Box::new(rec.clone()));

    for bad in [-1, i32::try_from(view.steps.len()).expect("fits"), i32::MAX] {
        assert!(matches!(
            sheet.confirm(bad),
            Err(FieldKitError::Validation { .. })
        ));
    }
    assert!(matches!(
        sheet.confirm(at("respect_home")),
        Err(FieldKitError::StepRefused { .. })
    ));
    assert!(matches!(
        sheet.answer_and_view(at("respect_home"), Answer::Confirmed),
        Err(FieldKitError::StepRefused { .. })
    ));
    assert!(
        rec.0.lock().expect("lock").is_empty(),
        "no change, no notice"
    );

    let seq = sheet.confirm(at("tools_parts_loaded")).expect("tick");
    let answered = sheet
        .answer_and_view(at("tools_parts_loaded"), Answer::Confirmed)
        .expect("answer again");
    assert!(answered.seq > seq);
    assert_eq!(answered.view, kit.checklist(id).expect("checklist"));
    assert_eq!(
        *rec.0.lock().expect("lock"),
        vec!["answer_step".to_owned(), "answer_step".to_owned()]
    );
}
