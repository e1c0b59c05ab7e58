//! The adapter from the Rust side (no foreign language): error mapping, observer fan-out and
//! cancellation, id and time validation. The Kotlin suite (.ci/kotlin-tests.sh) covers the
//! same through the real FFI.

use std::sync::{Arc, Mutex};

use fieldkit_ffi::{
    Answer, CallConfirmations, CallOutcome, FieldKit, FieldKitError, JobObserver, JobStatus,
    KitConfig,
};

fn kit() -> (Arc<FieldKit>, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let kit = FieldKit::open(
        dir.path().to_string_lossy().into_owned(),
        KitConfig::default(),
    )
    .expect("open");
    let order = fieldkit_ffi::demo_repair_order(1, false);
    let id = order.id.clone();
    kit.receive_work_order(order).expect("receive");
    (kit, id, dir)
}

fn reached() -> CallOutcome {
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
