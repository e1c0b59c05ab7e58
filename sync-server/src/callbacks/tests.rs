//! Callbacks: the sampling is deterministic for a seed and keeps close to its share; each
//! outcome rule; the measures over a hand-computed set.

use proptest::prelude::*;
use uuid::Uuid;

use super::*;

fn job(n: u128) -> WorkOrderId {
    WorkOrderId(Uuid::from_u128(n))
}

fn rules(percent: u8, seed: u64) -> CallbackRules {
    CallbackRules {
        sample_percent: percent,
        seed,
        ..CallbackRules::default()
    }
}

fn picked(r: &CallbackRules) -> Vec<u128> {
    (1..=2000u128)
        .filter(|n| sample(r, job(*n), JobKind::Repair, false).is_some())
        .collect()
}

#[test]
fn sampling_is_deterministic_for_a_seed() {
    let a = picked(&rules(20, 7));
    assert_eq!(
        a,
        picked(&rules(20, 7)),
        "the same seed picks the same jobs"
    );
    assert_ne!(a, picked(&rules(20, 8)), "another seed picks others");
    // Close to its share: 20 % of 2000 is 400 (±3 standard deviations ≈ ±54).
    assert!((346..=454).contains(&a.len()), "{}", a.len());
    assert!(picked(&rules(0, 7)).is_empty());
    assert_eq!(picked(&rules(100, 7)).len(), 2000);
    // A larger share keeps every job a smaller one picked (same seed).
    let more = picked(&rules(50, 7));
    assert!(a.iter().all(|n| more.contains(n)));
    // One job's draw, computed by hand: SHA-256 of the seed (8 bytes, big-endian) and the
    // id's text, first 8 bytes, mod 100.
    let mut h = Sha256::new();
    h.update(7u64.to_be_bytes());
    h.update(job(1).to_string().as_bytes());
    let d = h.finalize();
    let want = u64::from_be_bytes(d[..8].try_into().unwrap()) % 100;
    assert_eq!(u64::from(draw(7, job(1))), want);
}

#[test]
fn installations_and_complaints_come_first() {
    let none = rules(0, 1);
    assert_eq!(
        sample(&none, job(1), JobKind::Installation, false),
        Some(Reason::Installation)
    );
    assert_eq!(
        sample(&none, job(1), JobKind::Installation, true),
        Some(Reason::Installation)
    );
    assert_eq!(
        sample(&none, job(1), JobKind::Repair, true),
        Some(Reason::Complaint)
    );
    assert_eq!(sample(&none, job(1), JobKind::Repair, false), None);
    let off = CallbackRules {
        every_installation: false,
        every_complaint: false,
        ..none
    };
    assert_eq!(sample(&off, job(1), JobKind::Installation, true), None);
    assert_eq!(
        rules(101, 0).check(),
        Err(RulesError::Percent),
        "over 100 %"
    );
    let days = |within_days| CallbackRules {
        within_days,
        ..CallbackRules::default()
    };
    assert_eq!(days(0).check(), Err(RulesError::Days));
    assert_eq!(days(31).check(), Err(RulesError::Days));
    assert!(days(30).check().is_ok());
}

fn open(n: u128) -> Callback {
    Callback {
        id: format!("cb{n}"),
        work_order_id: job(n),
        reason: Reason::Sample,
        completed_at: 0,
        due_at: 100,
        rules_version: 0,
        state: CallbackState::Open,
        calls: Vec::new(),
        repair_job_id: None,
        complaint_id: None,
        revision: 1,
        updated_at: 0,
    }
}

fn call(
    reached: bool,
    rating: Option<u8>,
    problem: Option<Problem>,
    note: Option<&str>,
) -> Outcome {
    Outcome {
        reached,
        rating,
        problem,
        note: note.map(str::to_owned),
        by: "desk".into(),
        at: 10,
    }
}

#[test]
fn each_outcome_rule() {
    let c = open(1);
    assert_eq!(
        c.record(call(true, None, None, None)),
        Err(OutcomeError::Rating)
    );
    assert_eq!(
        c.record(call(true, Some(6), None, None)),
        Err(OutcomeError::Rating)
    );
    assert_eq!(
        c.record(call(false, Some(3), None, None)),
        Err(OutcomeError::Rating)
    );
    assert_eq!(
        c.record(call(false, None, Some(Problem::Repair), None)),
        Err(OutcomeError::Rating)
    );
    assert_eq!(
        c.record(call(true, Some(2), Some(Problem::Complaint), Some("  "))),
        Err(OutcomeError::ComplaintNote)
    );
    let done = c.record(call(true, Some(4), None, None)).unwrap();
    assert_eq!((done.state, done.revision), (CallbackState::Done, 2));
    assert_eq!(
        done.record(call(true, Some(5), None, None)),
        Err(OutcomeError::Finished)
    );
    // Three calls without an answer: given up.
    let mut c = open(2);
    for n in 1..=MAX_ATTEMPTS {
        c = c.record(call(false, None, None, None)).unwrap();
        let want = if n < MAX_ATTEMPTS {
            CallbackState::Open
        } else {
            CallbackState::Unreachable
        };
        assert_eq!(c.state, want, "after {n} calls");
    }
    assert_eq!(c.answer(), None);
}

#[test]
fn measures_over_a_hand_computed_set() {
    // 1: rated 5 (phone 5); 2: rated 2 with a repair (phone 4); 3: rated 4, no phone rating;
    // 4: unreachable; 5: open, past due; 6: open, not yet due.
    let answered = |n, r, p| open(n).record(call(true, Some(r), p, None)).unwrap();
    let mut unreachable = open(4);
    for _ in 0..MAX_ATTEMPTS {
        unreachable = unreachable.record(call(false, None, None, None)).unwrap();
    }
    let mut late = open(5);
    late.due_at = 50;
    let all = vec![
        answered(1, 5, None),
        answered(2, 2, Some(Problem::Repair)),
        answered(3, 4, None),
        unreachable,
        late,
        open(6),
    ];
    let phone = |j: WorkOrderId| match j {
        j if j == job(1) => Some(5),
        j if j == job(2) => Some(4),
        j if j == job(5) => Some(1),
        _ => None,
    };
    let m = measures(&all, 60, phone);
    assert_eq!(
        (m.picked, m.done, m.unreachable, m.overdue, m.problems),
        (6, 3, 1, 1, 1)
    );
    // (5 + 2 + 4) / 3 on the callback; (5 + 4) / 2 on the phone, for the same customers.
    assert_eq!(m.callback_rating, Some(11.0 / 3.0));
    assert_eq!(m.device_rating, Some(4.5));
    assert_eq!(m.satisfied_rate, Some(2.0 / 3.0));
    assert_eq!(measures(&[], 0, |_| None), CallbackMeasures::default());
}

proptest! {
    /// Whatever is recorded, in any order: a refused call changes nothing; at most
    /// MAX_ATTEMPTS unanswered calls; a finished callback takes no more.
    #[test]
    fn calls_never_go_past_their_end(calls in prop::collection::vec(
        (any::<bool>(), prop::option::of(0u8..8), prop::option::of(prop::sample::select(vec![Problem::Repair, Problem::Complaint])), prop::option::of("[ a]{0,3}")), 0..12)) {
        let mut c = open(1);
        for (reached, rating, problem, note) in calls {
            let before = c.clone();
            match before.record(call(reached, rating, problem, note.as_deref())) {
                Ok(next) => {
                    prop_assert_eq!(before.state, CallbackState::Open);
                    prop_assert_eq!(next.revision, before.revision + 1);
                    c = next;
                }
                Err(_) => prop_assert_eq!(&c, &before),
            }
            let unanswered = c.calls.iter().filter(|o| !o.reached).count();
            prop_assert!(unanswered <= MAX_ATTEMPTS);
            prop_assert!(c.calls.iter().filter(|o| o.reached).count() <= 1);
            prop_assert_eq!(c.state == CallbackState::Done, c.answer().is_some());
        }
    }
}
