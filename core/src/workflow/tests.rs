//! Every transition allowed and refused, and random command sequences against the invariants.

use proptest::prelude::*;

use super::*;
use crate::model::{VisitOutcome as Out, VisitStatus as V, WorkOrderStatus as O};

fn all_visit_states() -> Vec<V> {
    let mut v = vec![V::Planned, V::EnRoute, V::Arrived, V::Working, V::Paused];
    v.extend(Out::ALL.into_iter().map(V::Ended));
    v
}

/// The visit table, written from PROCEDURE.md independently of the implementation.
fn expected_visit(from: V, a: VisitAction) -> Option<V> {
    use VisitAction as A;
    Some(match (from, a) {
        (V::Planned, A::StartTravel) => V::EnRoute,
        (V::EnRoute, A::Arrive) => V::Arrived,
        (V::Arrived, A::StartWork) => V::Working,
        (V::Working, A::Pause) => V::Paused,
        (V::Paused, A::Resume) => V::Working,
        (V::Working, A::Complete) => V::Ended(Out::Completed),
        (V::Arrived | V::Working | V::Paused, A::TakeBack) => V::Ended(Out::TakenBack),
        (V::EnRoute | V::Arrived, A::NoAccess) => V::Ended(Out::NoAccess),
        // 待件: only once the fault is diagnosed (work started).
        (V::Working | V::Paused, A::AwaitParts) => V::Ended(Out::AwaitingParts),
        // The work done, the customer will not sign.
        (V::Working, A::RefuseSignature) => V::Ended(Out::SignatureRefused),
        // The quote declined once assessed; a second visit once work started; damage on
        // unboxing found on arrival or during the unboxing.
        (V::Arrived | V::Working, A::DeclineQuote) => V::Ended(Out::QuoteDeclined),
        (V::Working | V::Paused, A::NeedSecondVisit) => V::Ended(Out::SecondVisitNeeded),
        (V::Arrived | V::Working, A::RequestRedelivery) => V::Ended(Out::RedeliveryRequested),
        (V::Planned | V::EnRoute, A::Reschedule) => V::Ended(Out::Rescheduled),
        (V::Planned | V::EnRoute | V::Arrived | V::Working | V::Paused, A::Cancel) => {
            V::Ended(Out::Cancelled)
        }
        _ => return None,
    })
}

fn expected_order(from: O, a: OrderAction) -> Option<O> {
    use OrderAction as A;
    Some(match (from, a) {
        (O::Assigned, A::Accept) => O::Accepted,
        (
            O::Accepted
            | O::Confirmed
            | O::NoAccess
            | O::AwaitingReturn
            | O::AwaitingParts
            | O::SignatureRefused
            | O::SecondVisitNeeded,
            A::Confirm,
        ) => O::Confirmed,
        (O::Confirmed, A::StartVisit) => O::Visiting,
        (O::Visiting, A::EndVisit(Out::Completed)) => O::Completed,
        (O::Visiting, A::EndVisit(Out::TakenBack)) => O::AwaitingReturn,
        (O::Visiting, A::EndVisit(Out::NoAccess)) => O::NoAccess,
        (O::Visiting, A::EndVisit(Out::Rescheduled)) => O::Accepted,
        (O::Visiting, A::EndVisit(Out::Cancelled)) => O::Cancelled,
        (O::Visiting, A::EndVisit(Out::AwaitingParts)) => O::AwaitingParts,
        (O::Visiting, A::EndVisit(Out::SignatureRefused)) => O::SignatureRefused,
        (O::Visiting, A::EndVisit(Out::QuoteDeclined)) => O::QuoteDeclined,
        (O::Visiting, A::EndVisit(Out::SecondVisitNeeded)) => O::SecondVisitNeeded,
        (O::Visiting, A::EndVisit(Out::RedeliveryRequested)) => O::RedeliveryRequested,
        (O::Accepted | O::Confirmed | O::NoAccess, A::Reschedule) => O::Accepted,
        (O::AwaitingReturn, A::Reschedule) => O::AwaitingReturn,
        (O::AwaitingParts, A::Reschedule) => O::AwaitingParts,
        (O::SignatureRefused, A::Reschedule) => O::SignatureRefused,
        (O::SecondVisitNeeded, A::Reschedule) => O::SecondVisitNeeded,
        (o, A::Cancel) if !o.is_terminal() => O::Cancelled,
        _ => return None,
    })
}

#[test]
fn every_visit_transition_allowed_or_refused() {
    let mut allowed = 0;
    let mut refused = 0;
    for from in all_visit_states() {
        for a in VisitAction::ALL {
            match (from.apply(a), expected_visit(from, a)) {
                (Ok(got), Some(want)) => {
                    assert_eq!(got, want, "{from:?} --{a:?}");
                    allowed += 1;
                }
                (Err(r), None) => {
                    assert_eq!(r.subject, "visit");
                    assert_eq!(r.state, from.as_str());
                    assert!(!r.hint.is_empty(), "{from:?} --{a:?} refusal says why");
                    refused += 1;
                }
                (got, want) => panic!("{from:?} --{a:?}: got {got:?}, want {want:?}"),
            }
        }
    }
    assert_eq!((allowed, refused), (27, 198));
}

#[test]
fn every_order_transition_allowed_or_refused() {
    let mut allowed = 0;
    for from in O::ALL {
        for a in OrderAction::all() {
            match (from.apply(a), expected_order(from, a)) {
                (Ok(got), Some(want)) => {
                    assert_eq!(got, want, "{from:?} --{a:?}");
                    allowed += 1;
                }
                (Err(r), None) => {
                    assert_eq!(r.state, from.as_str());
                    assert!(!r.hint.is_empty());
                    assert!(r.to_string().starts_with("cannot "), "{r}");
                }
                (got, want) => panic!("{from:?} --{a:?}: got {got:?}, want {want:?}"),
            }
        }
    }
    assert_eq!(allowed, 35);
}

#[test]
fn refusal_reads_like_a_sentence() {
    let r = V::Planned.apply(VisitAction::Arrive).unwrap_err();
    assert_eq!(
        r.to_string(),
        "cannot arrive while the visit is planned: start travel first"
    );
    let r = Job::assigned().apply(JobAction::StartTravel).unwrap_err();
    assert_eq!(
        r.to_string(),
        "cannot start travel while the job is assigned: accept the job first"
    );
}

#[test]
fn a_repair_from_assigned_to_completed() {
    use JobAction::*;
    let mut job = Job::assigned();
    let mut seen = vec![job.status()];
    for a in [
        Accept,
        Confirm,
        StartTravel,
        Arrive,
        StartWork,
        Pause,
        Resume,
        Complete,
    ] {
        job = job.apply(a).unwrap();
        seen.push(job.status());
    }
    use JobStatus as S;
    assert_eq!(
        seen,
        [
            S::Assigned,
            S::Accepted,
            S::Confirmed,
            S::EnRoute,
            S::Arrived,
            S::InProgress,
            S::Paused,
            S::InProgress,
            S::Completed
        ]
    );
    assert_eq!(job.visit, None);
}

#[test]
fn take_back_then_return_visit() {
    use JobAction::*;
    let mut job = Job::assigned();
    for a in [Accept, Confirm, StartTravel, Arrive, StartWork, TakeBack] {
        job = job.apply(a).unwrap();
    }
    assert_eq!(job.status(), JobStatus::AwaitingReturn);
    for a in [
        Reschedule,
        Confirm,
        StartTravel,
        Arrive,
        StartWork,
        Complete,
    ] {
        job = job.apply(a).unwrap();
    }
    assert_eq!(job.status(), JobStatus::Completed);
}

#[test]
fn no_access_then_reschedule_and_reconfirm() {
    use JobAction::*;
    let mut job = Job::assigned();
    for a in [Accept, Confirm, StartTravel, NoAccess] {
        job = job.apply(a).unwrap();
    }
    assert_eq!(job.status(), JobStatus::NoAccess);
    job = job.apply(Reschedule).unwrap();
    assert_eq!(job.status(), JobStatus::Accepted);
    assert!(job.apply(StartTravel).is_err(), "must call again first");
}

#[test]
fn awaiting_parts_then_follow_up_visit_completes() {
    use JobAction::*;
    let mut job = Job::assigned();
    for a in [Accept, Confirm, StartTravel, Arrive] {
        job = job.apply(a).unwrap();
    }
    let r = job.apply(AwaitParts).unwrap_err();
    assert_eq!(r.hint, "start work first: diagnose the fault");
    job = job.apply(StartWork).unwrap();
    job = job.apply(AwaitParts).unwrap();
    assert_eq!(job.status(), JobStatus::AwaitingParts);
    assert_eq!(job.visit, None);
    assert!(
        job.apply(StartTravel).is_err(),
        "the follow-up visit is agreed first"
    );
    job = job.apply(Reschedule).unwrap();
    assert_eq!(
        job.status(),
        JobStatus::AwaitingParts,
        "a new time keeps it waiting"
    );
    for a in [Confirm, StartTravel, Arrive, StartWork, Complete] {
        job = job.apply(a).unwrap();
    }
    assert_eq!(job.status(), JobStatus::Completed);
}

fn any_action() -> impl Strategy<Value = JobAction> {
    prop::sample::select(JobAction::ALL.to_vec())
}

proptest! {
    /// Whatever a technician taps, the order and its visit never disagree, closed jobs stay
    /// closed, and completion is only reached from work in progress.
    #[test]
    fn random_commands_keep_job_consistent(actions in prop::collection::vec(any_action(), 0..60)) {
        let mut job = Job::assigned();
        for a in actions {
            let before = job;
            match job.apply(a) {
                Ok(next) => {
                    match next.order {
                        O::Confirmed => prop_assert_eq!(next.visit, Some(V::Planned)),
                        O::Visiting => prop_assert!(matches!(
                            next.visit,
                            Some(V::EnRoute | V::Arrived | V::Working | V::Paused)
                        )),
                        _ => prop_assert_eq!(next.visit, None),
                    }
                    prop_assert!(!before.order.is_terminal(), "closed job moved by {:?}", a);
                    if next.order == O::Completed {
                        prop_assert_eq!(a, JobAction::Complete);
                        prop_assert_eq!(before.visit, Some(V::Working));
                    }
                    job = next;
                }
                Err(r) => {
                    prop_assert!(!r.hint.is_empty());
                    prop_assert_eq!(job, before);
                }
            }
        }
    }
}
