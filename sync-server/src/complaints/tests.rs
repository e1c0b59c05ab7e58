//! The complaint's rules: one row per transition and refusal, and a property over random
//! sequences of changes (what may follow what, and what each change keeps).

use proptest::prelude::*;

use super::*;

const HOUR: i64 = 3_600_000;
const RECEIVED: i64 = 1_000 * HOUR;
const DUE: i64 = RECEIVED + 72 * HOUR;

fn fresh() -> Complaint {
    Complaint {
        id: "c1".into(),
        channel: Channel::Phone,
        category: Category::Timeliness,
        work_order_id: None,
        summary: "late".into(),
        received_at: RECEIVED,
        taken_by: "desk".into(),
        source_op_id: None,
        due_at: DUE,
        due_estimated: false,
        state: State::Open,
        assessment: None,
        extension: None,
        resolution: None,
        first_handled_at: None,
        report: None,
        rounds: Vec::new(),
        revision: 1,
        updated_at: RECEIVED,
    }
}

fn assess() -> Change {
    Change::Assess {
        valid: true,
        cause: "late".into(),
        responsible: Responsible::Desk,
        technician_id: None,
    }
}

fn resolve() -> Change {
    Change::Resolve {
        text: "apology".into(),
    }
}

fn report(opinion: Opinion) -> Change {
    Change::Report {
        opinion,
        note: None,
    }
}

fn run(changes: &[(Change, i64)]) -> Result<Complaint, ChangeError> {
    let mut c = fresh();
    for (ch, at) in changes {
        c = c.apply(ch.clone(), "desk", *at)?;
    }
    Ok(c)
}

/// One row of the table: what it shows, the changes (with their times), the outcome.
type Row = (&'static str, Vec<(Change, i64)>, Result<State, ChangeError>);

#[test]
fn each_transition_and_refusal() {
    let t = RECEIVED + HOUR;
    let rows: Vec<Row> = vec![
        ("assess (4.2.2)", vec![(assess(), t)], Ok(State::Open)),
        (
            "resolve needs the assessment (004 第28条(3))",
            vec![(resolve(), t)],
            Err(ChangeError::NotAssessed),
        ),
        (
            "assess then resolve (4.2.3(2))",
            vec![(assess(), t), (resolve(), t)],
            Ok(State::Handled),
        ),
        (
            "report needs a resolution (4.2.3(3))",
            vec![(assess(), t), (report(Opinion::Satisfied), t)],
            Err(ChangeError::NotHandled),
        ),
        (
            "satisfied closes",
            vec![
                (assess(), t),
                (resolve(), t),
                (report(Opinion::Satisfied), t),
            ],
            Ok(State::Closed),
        ),
        (
            "unreachable closes",
            vec![
                (assess(), t),
                (resolve(), t),
                (report(Opinion::Unreachable), t),
            ],
            Ok(State::Closed),
        ),
        (
            "dissatisfied reopens (004 第28条(2) 确保用户满意)",
            vec![
                (assess(), t),
                (resolve(), t),
                (report(Opinion::Dissatisfied), t),
            ],
            Ok(State::Open),
        ),
        (
            "closed refuses everything",
            vec![
                (assess(), t),
                (resolve(), t),
                (report(Opinion::Acceptable), t),
                (assess(), t),
            ],
            Err(ChangeError::Closed),
        ),
        (
            "handled refuses a second resolution",
            vec![(assess(), t), (resolve(), t), (resolve(), t)],
            Err(ChangeError::AlreadyHandled),
        ),
        (
            "an extension must be later (4.3.1(2))",
            vec![(
                Change::Extend {
                    due_at: DUE,
                    reason: "parts".into(),
                },
                t,
            )],
            Err(ChangeError::NotLater),
        ),
        (
            "a technician responsible is named",
            vec![(
                Change::Assess {
                    valid: true,
                    cause: "late".into(),
                    responsible: Responsible::Technician,
                    technician_id: Some("  ".into()),
                },
                t,
            )],
            Err(ChangeError::TechnicianNaming),
        ),
        (
            "an empty resolution",
            vec![
                (assess(), t),
                (
                    Change::Resolve {
                        text: " \n ".into(),
                    },
                    t,
                ),
            ],
            Err(ChangeError::Text("resolution")),
        ),
    ];
    for (name, changes, want) in rows {
        assert_eq!(run(&changes).map(|c| c.state), want, "{name}");
    }
}

#[test]
fn an_extension_is_told_before_the_due_time() {
    let extend = |c: &Complaint, to: i64, at: i64| {
        c.apply(
            Change::Extend {
                due_at: to,
                reason: "waiting for the maker's report".into(),
            },
            "desk",
            at,
        )
    };
    let once = extend(&fresh(), DUE + 48 * HOUR, DUE - 1).unwrap();
    assert_eq!(once.due_in_force(), DUE + 48 * HOUR);
    assert!(!once.overdue(DUE + HOUR));
    // A second extension before the first one's end (after the original due time) holds.
    let twice = extend(&once, DUE + 96 * HOUR, DUE + HOUR).unwrap();
    assert_eq!(twice.due_in_force(), DUE + 96 * HOUR);
    // Once the due time in force has passed: late, no extension.
    assert_eq!(
        extend(&fresh(), DUE + 48 * HOUR, DUE),
        Err(ChangeError::TooLate)
    );
    assert!(fresh().overdue(DUE));
    assert_eq!(fresh().handled_in_time(DUE), Some(false));
    // Handled just before the due time in force: in time; at it: late.
    let handled = |at| {
        run(&[(assess(), RECEIVED), (resolve(), at)])
            .unwrap()
            .handled_in_time(at)
    };
    assert_eq!(handled(DUE - 1), Some(true));
    assert_eq!(handled(DUE), Some(false));
    assert_eq!(fresh().handled_in_time(DUE - 1), None, "not yet judged");
}

fn any_change() -> impl Strategy<Value = Change> {
    prop_oneof![
        (
            any::<bool>(),
            prop::sample::select(vec![
                Responsible::Technician,
                Responsible::Desk,
                Responsible::Product,
                Responsible::Logistics,
                Responsible::None,
            ]),
            any::<bool>(),
            "[ a-z]{0,5}"
        )
            .prop_map(|(valid, responsible, named, cause)| Change::Assess {
                valid,
                cause,
                responsible,
                technician_id: named.then(|| "t1".to_owned()),
            }),
        (-100i64..200, "[ a-z]{0,5}").prop_map(|(h, reason)| Change::Extend {
            due_at: DUE + h * HOUR,
            reason,
        }),
        "[ a-z]{0,5}".prop_map(|text| Change::Resolve { text }),
        prop::sample::select(vec![
            Opinion::Satisfied,
            Opinion::Acceptable,
            Opinion::Dissatisfied,
            Opinion::Unreachable,
        ])
        .prop_map(report),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Whatever the desk sends, in whatever order: a refused change changes nothing; an
    /// accepted one moves the revision by one; the state always matches what is recorded;
    /// the first handling and the due time in force only ever move forward; closed is final.
    #[test]
    fn what_may_follow_what(steps in prop::collection::vec((any_change(), 0i64..200), 0..30)) {
        let mut c = fresh();
        let mut dissatisfied = 0;
        for (change, h) in steps {
            let before = c.clone();
            let was_closed = c.state == State::Closed;
            let is_dissatisfied = matches!(change, Change::Report { opinion: Opinion::Dissatisfied, .. });
            match before.apply(change, "desk", RECEIVED + h * HOUR) {
                Ok(next) => {
                    prop_assert!(!was_closed, "closed is final");
                    prop_assert_eq!(next.revision, before.revision + 1);
                    prop_assert!(next.due_in_force() >= before.due_in_force());
                    if let Some(first) = before.first_handled_at {
                        prop_assert_eq!(next.first_handled_at, Some(first));
                    }
                    if next.state == State::Handled {
                        prop_assert!(next.assessment.is_some());
                    }
                    if is_dissatisfied && before.state == State::Handled {
                        dissatisfied += 1;
                    }
                    c = next;
                }
                Err(_) => prop_assert_eq!(&c, &before),
            }
            prop_assert_eq!(c.resolution.is_some(), c.state != State::Open);
            prop_assert_eq!(c.rounds.len(), dissatisfied);
            prop_assert!(c.due_in_force() >= c.due_at);
        }
    }
}
