//! Property tests: random runs keep the gate honest; mangled template JSON never panics.

use proptest::prelude::*;

use super::*;

#[derive(Clone, Debug)]
enum Act {
    /// An arbitrary answer, often of the wrong kind or invalid.
    Answer {
        step: usize,
        pick: u8,
        text: String,
        num: f64,
        flag: bool,
    },
    /// A valid answer or evidence for the step.
    Valid {
        step: usize,
        flag: bool,
        paid: bool,
    },
    /// Do what `next()` says, validly.
    FollowNext {
        flag: bool,
        paid: bool,
    },
    Except {
        step: usize,
        reason: String,
    },
    Photo {
        step: usize,
    },
    Sign {
        step: usize,
        customer: bool,
    },
    Advance,
    Call(bool),
    Finding(bool),
}

fn act() -> impl Strategy<Value = Act> {
    let num = prop_oneof![
        Just(f64::NAN),
        Just(f64::INFINITY),
        -1000.0..1000.0f64,
        150.0..300.0f64,
    ];
    // Weighted towards progress so that many runs reach work and completion.
    prop_oneof![
        2 => (any::<usize>(), any::<u8>(), "[a-z0-9 检修]{0,8}", num, any::<bool>()).prop_map(
            |(step, pick, text, num, flag)| Act::Answer {
                step,
                pick,
                text,
                num,
                flag
            }
        ),
        2 => (any::<usize>(), any::<bool>(), any::<bool>())
            .prop_map(|(step, flag, paid)| Act::Valid { step, flag, paid }),
        8 => (any::<bool>(), any::<bool>()).prop_map(|(flag, paid)| Act::FollowNext { flag, paid }),
        1 => (any::<usize>(), "[ a-z客户拒绝]{0,6}")
            .prop_map(|(step, reason)| Act::Except { step, reason }),
        1 => any::<usize>().prop_map(|step| Act::Photo { step }),
        1 => (any::<usize>(), any::<bool>()).prop_map(|(step, customer)| Act::Sign { step, customer }),
        3 => Just(Act::Advance),
        1 => any::<bool>().prop_map(Act::Call),
        1 => any::<bool>().prop_map(Act::Finding),
    ]
}

fn arbitrary_answer(step: &Step, pick: u8, text: &str, num: f64, flag: bool) -> AnswerValue {
    match pick % 7 {
        0 => AnswerValue::Confirmed,
        1 => AnswerValue::YesNo(flag),
        2 => match &step.kind {
            StepKind::Choice { options } => {
                let i = usize::from(pick / 7) % (options.len() + 1);
                AnswerValue::Choice(
                    options
                        .get(i)
                        .map_or_else(|| "bogus".to_string(), |o| o.value.clone()),
                )
            }
            _ => AnswerValue::Choice(text.into()),
        },
        3 => AnswerValue::Text(text.into()),
        4 => AnswerValue::Number(num),
        5 => AnswerValue::Serial(text.into()),
        _ => AnswerValue::FeeConsent { agreed: flag },
    }
}

/// Applies `act` when the engine accepts it; returns the step and what was done.
fn apply(t: &Template, facts: &mut VisitFacts, act: &Act) -> Option<(String, Do)> {
    let pick_step = |i: usize| t.steps[i % t.steps.len()].clone();
    let (step, d): (Step, Do) = match act {
        Act::Answer {
            step,
            pick,
            text,
            num,
            flag,
        } => {
            let s = pick_step(*step);
            let a = arbitrary_answer(&s, *pick, text, *num, *flag);
            (s, Do::Answer(a))
        }
        Act::Valid { step, flag, paid } => {
            let s = pick_step(*step);
            let d = happy(t, &s, *flag, *paid);
            (s, d)
        }
        Act::FollowNext { flag, paid } => {
            let s = Run::new(t, facts).next()?.clone();
            let d = happy(t, &s, *flag, *paid);
            (s, d)
        }
        Act::Except { step, reason } => (pick_step(*step), Do::Except(reason.clone())),
        Act::Photo { step } => (pick_step(*step), Do::Photo),
        Act::Sign { step, customer } => {
            let role = if *customer {
                SignerRole::Customer
            } else {
                SignerRole::Technician
            };
            (pick_step(*step), Do::Sign(role))
        }
        Act::Advance => {
            advance(t, facts);
            return None;
        }
        Act::Call(reached) => {
            facts.previsit_call_reached = *reached;
            return None;
        }
        Act::Finding(add) => {
            facts.unacknowledged_findings = if *add {
                facts.unacknowledged_findings + 1
            } else {
                facts.unacknowledged_findings.saturating_sub(1)
            };
            return None;
        }
    };
    perform(t, facts, &step.id, &d).ok()?;
    Some((step.id, d))
}

fn check_invariants(t: &Template, facts: &VisitFacts) -> Result<(), TestCaseError> {
    let run = Run::new(t, facts);
    let blockers = run.completion_blockers();
    let all_done = t.steps.iter().all(|s| {
        !s.required
            || !run.is_applicable(s)
            || matches!(
                run.status(&s.id),
                Some(StepStatus::Satisfied | StepStatus::Excepted)
            )
    });
    let clear = all_done && facts.unacknowledged_findings == 0;
    prop_assert_eq!(blockers.is_empty(), clear, "blockers: {:?}", blockers);
    let p = run.progress();
    prop_assert!(p.satisfied <= p.applicable_required);
    prop_assert_eq!(p.satisfied == p.applicable_required, all_done);
    for b in &blockers {
        prop_assert!(!b.to_string().is_empty());
    }
    if let Some(next) = run.next() {
        let status = run.status(&next.id);
        prop_assert!(
            matches!(status, Some(StepStatus::Pending | StepStatus::Refused)),
            "next() gave {} with {:?}",
            next.id,
            status
        );
        prop_assert!(run.is_applicable(next));
        prop_assert!(facts.stage.opens(next.phase));
        let r = match happy(t, next, true, false) {
            Do::Answer(v) => run.check_answer(&next.id, &v),
            Do::Photo => run.check_evidence(&next.id, Evidence::Photo),
            Do::Sign(role) => run.check_evidence(&next.id, Evidence::Signature(role)),
            Do::SignFinding => {
                run.check_evidence(&next.id, Evidence::Signature(SignerRole::Customer))
            }
            Do::Except(_) | Do::Call | Do::Feedback | Do::HandCopy => Ok(()),
        };
        if next.kind == StepKind::ReturnDecision && facts.sale.is_none() {
            // Without a sale record no decision holds, and the step says why it blocks.
            prop_assert_eq!(
                r,
                Err(Refusal::NoSaleRecord {
                    step: next.id.clone()
                })
            );
            prop_assert!(
                blockers
                    .iter()
                    .any(|b| b.reason == BlockReason::NoSaleRecord),
                "{:?}",
                blockers
            );
            return Ok(());
        }
        prop_assert!(r.is_ok(), "next() gave {} but: {:?}", next.id, r);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_runs_keep_the_gate_honest(
        which in 0usize..5,
        kind_pick in any::<usize>(),
        order_paid in any::<bool>(),
        has_sale in any::<bool>(),
        acts in prop::collection::vec(act(), 1..200),
    ) {
        let templates = default_templates();
        let t = &templates[which % templates.len()];
        let kind = t.job_kinds[kind_pick % t.job_kinds.len()];
        let order = if order_paid { Billing::Paid } else { Billing::Warranty };
        let mut facts = VisitFacts::new(kind, order);
        facts.sale = has_sale.then(scripted_sale);
        check_invariants(t, &facts)?;
        for a in &acts {
            let before = facts.clone();
            if let Some((id, d)) = apply(t, &mut facts, a) {
                let run_before = Run::new(t, &before);
                let step = t.step(&id).expect("known step");
                // The canonical rule: no accepted work before fee consent when paid. The
                // customer's rating is theirs to give, not work: it may come while a consent
                // is pending (coverage turned paid during the work; a declined quote), and the
                // pending consent still blocks completion (`check_invariants`).
                if step.phase >= Phase::Work && !matches!(d, Do::Feedback) {
                    for fc in t.steps.iter().filter(|s| s.kind == StepKind::FeeConsent) {
                        prop_assert!(matches!(
                            run_before.status(&fc.id),
                            Some(StepStatus::Satisfied | StepStatus::NotApplicable)
                        ));
                    }
                }
                prop_assert!(facts.stage.opens(step.phase));
                let run = Run::new(t, &facts);
                let status = run.status(&id);
                match d {
                    Do::Answer(AnswerValue::FeeConsent { agreed: false }) => {
                        prop_assert_eq!(status, Some(StepStatus::Refused));
                    }
                    Do::Answer(_) => prop_assert_eq!(status, Some(StepStatus::Satisfied)),
                    Do::Except(_) => prop_assert!(matches!(
                        status,
                        Some(StepStatus::Excepted | StepStatus::Satisfied)
                    )),
                    Do::Feedback | Do::SignFinding | Do::HandCopy => {
                        prop_assert_eq!(status, Some(StepStatus::Satisfied))
                    }
                    Do::Photo | Do::Sign(_) | Do::Call => {}
                }
            }
            check_invariants(t, &facts)?;
        }
    }

    #[test]
    fn mangled_template_json_never_panics(
        which in 0usize..5,
        flips in prop::collection::vec((any::<usize>(), any::<u8>()), 0..8),
        cut in prop::option::of(any::<usize>()),
    ) {
        let (_, json) = default_template_sources()[which % default_template_sources().len()];
        let mut bytes = json.as_bytes().to_vec();
        for (at, b) in flips {
            let i = at % bytes.len();
            bytes[i] = b;
        }
        if let Some(c) = cut {
            bytes.truncate(c % (bytes.len() + 1));
        }
        let text = String::from_utf8_lossy(&bytes);
        if let Ok(t) = Template::from_json(&text) {
            let facts = VisitFacts::new(t.job_kinds[0], Billing::Paid);
            let run = Run::new(&t, &facts);
            let _ = run.completion_blockers();
            let _ = run.next();
        }
    }
}
