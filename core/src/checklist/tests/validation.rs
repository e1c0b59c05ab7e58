//! Template validation: every template error provoked, messages naming the step, and
//! unvalidated templates never panicking the engine.

use super::*;

fn l(s: &str) -> Value {
    json!({"zh-CN": format!("中文{s}"), "en": s})
}

fn base() -> Value {
    json!({
        "id": "t", "version": 1, "title": l("Test"), "job_kinds": ["repair"],
        "billing_step": "coverage",
        "steps": [
            {"id": "a", "label": l("A"), "phase": "arrival", "kind": {"type": "confirm"}},
            {"id": "q", "label": l("Q"), "phase": "assessment", "kind": {"type": "yes_no"}},
            {"id": "coverage", "label": l("Coverage"), "phase": "assessment",
             "kind": {"type": "choice", "options": [
                {"value": "warranty", "label": l("Warranty")},
                {"value": "paid", "label": l("Paid")}]}},
            {"id": "fee", "label": l("Fee"), "phase": "assessment",
             "kind": {"type": "fee_consent"}, "when": {"paid": true}},
            {"id": "v", "label": l("V"), "phase": "work",
             "kind": {"type": "number", "unit": "V", "min": 1, "max": 2}},
            {"id": "p", "label": l("P"), "phase": "work",
             "kind": {"type": "photo", "min_count": 1}, "after": ["v"]},
            {"id": "s", "label": l("S"), "phase": "close_out",
             "kind": {"type": "signature", "role": "customer"},
             "when": {"answer": {"step": "q", "equals": {"type": "yes_no", "value": true}}}}
        ]
    })
}

#[test]
fn the_base_template_is_valid() {
    Template::from_json(&base().to_string()).expect("valid");
}

#[test]
fn every_template_error_is_provoked() {
    type Mutate = fn(&mut Value);
    let cases: Vec<(&str, Mutate)> = vec![
        ("Json", |v| *v = json!("not a template")),
        ("Json", |v| v["steps"][0]["requried"] = json!(false)),
        ("Json", |v| {
            v["steps"][0]["kind"] = json!({"type": "teleport"})
        }),
        ("Json", |v| v["steps"][0]["phase"] = json!("lunch")),
        ("EmptyTemplateId", |v| v["id"] = json!(" ")),
        ("ZeroVersion", |v| v["version"] = json!(0)),
        ("EmptyTitle", |v| v["title"]["en"] = json!("")),
        ("NoJobKinds", |v| v["job_kinds"] = json!([])),
        ("NoSteps", |v| v["steps"] = json!([])),
        ("EmptyId", |v| v["steps"][1]["id"] = json!("")),
        ("BadId", |v| v["steps"][1]["id"] = json!("Shoe Covers")),
        ("DuplicateStep", |v| v["steps"][1]["id"] = json!("a")),
        ("PhaseOutOfOrder", |v| {
            v["steps"][0]["phase"] = json!("work")
        }),
        ("EmptyLabel", |v| {
            v["steps"][0]["label"]["zh-CN"] = json!(" ")
        }),
        ("EmptyLabel", |v| {
            v["steps"][0]["help"] = json!({"zh-CN": "帮助", "en": ""})
        }),
        ("EmptyLabel", |v| {
            v["steps"][2]["kind"]["options"][0]["label"]["en"] = json!("")
        }),
        ("UnknownAfter", |v| {
            v["steps"][1]["after"] = json!(["ghost"])
        }),
        ("AfterCycle", |v| v["steps"][4]["after"] = json!(["p"])),
        ("AfterCycle", |v| v["steps"][0]["after"] = json!(["a"])),
        ("AfterLaterPhase", |v| v["steps"][1]["after"] = json!(["v"])),
        ("UnknownConditionStep", |v| {
            v["steps"][6]["when"]["answer"]["step"] = json!("ghost")
        }),
        (
            "ConditionOnLaterStep",
            |v| {
                v["steps"][1]["when"] =
                    json!({"answer": {"step": "s", "equals": {"type": "confirmed"}}})
            },
        ),
        (
            "ConditionOnLaterStep",
            |v| v["steps"][1]["when"] = json!({"not": {"answer": {"step": "q", "equals": {"type": "yes_no", "value": true}}}}),
        ),
        ("ConditionValueMismatch", |v| {
            v["steps"][6]["when"]["answer"]["equals"] = json!({"type": "confirmed"})
        }),
        ("ConditionValueMismatch", |v| {
            v["steps"][6]["when"] = json!({"answer": {"step": "coverage",
                "equals": {"type": "choice", "value": "free"}}})
        }),
        ("ConditionValueMismatch", |v| {
            v["steps"][6]["when"] = json!({"answer": {"step": "v",
                "equals": {"type": "number", "value": 9}}})
        }),
        ("BadRange", |v| v["steps"][4]["kind"]["min"] = json!(3)),
        ("NoOptions", |v| {
            v["billing_step"] = Value::Null;
            v["steps"][2]["kind"]["options"] = json!([]);
        }),
        ("EmptyOptionValue", |v| {
            v["steps"][2]["kind"]["options"][0]["value"] = json!("")
        }),
        ("DuplicateOption", |v| {
            v["steps"][2]["kind"]["options"][1]["value"] = json!("warranty")
        }),
        ("ZeroPhotos", |v| {
            v["steps"][5]["kind"]["min_count"] = json!(0)
        }),
        ("BadBillingStep", |v| v["billing_step"] = json!("ghost")),
        ("BadBillingStep", |v| v["billing_step"] = json!("q")),
        ("BadBillingStep", |v| {
            v["steps"][2]["kind"]["options"][1]["value"] = json!("free")
        }),
        ("BadBillingStep", |v| {
            v["steps"][2]["when"] = json!({"paid": true})
        }),
        ("BadFeeConsent", |v| {
            v["steps"][3]["required"] = json!(false)
        }),
        ("BadFeeConsent", |v| {
            v["steps"][3]["when"] = json!({"job_kind": {"any_of": ["repair"]}})
        }),
        ("BadFeeConsent", |v| {
            v["steps"][3]["exception_allowed"] = json!(true)
        }),
        ("MissingFeeConsent", |v| {
            let steps = v["steps"].as_array_mut().expect("array");
            steps.remove(3);
        }),
    ];
    let mut seen = BTreeSet::new();
    for (name, mutate) in cases {
        let mut v = base();
        mutate(&mut v);
        let e = Template::from_json(&v.to_string()).expect_err(name);
        let got = format!("{e:?}");
        assert!(got.starts_with(name), "expected {name}, got {got}");
        assert!(!e.to_string().is_empty());
        seen.insert(name);
    }
    // Range problems that JSON cannot express.
    let mut t = Template::from_json(&base().to_string()).expect("valid");
    t.steps[4].kind = StepKind::Number {
        unit: "V".into(),
        min: f64::NAN,
        max: 2.0,
    };
    assert!(matches!(t.validate(), Err(TemplateError::BadRange { .. })));
    let all = [
        "Json",
        "EmptyTemplateId",
        "ZeroVersion",
        "EmptyTitle",
        "NoJobKinds",
        "NoSteps",
        "EmptyId",
        "BadId",
        "DuplicateStep",
        "PhaseOutOfOrder",
        "EmptyLabel",
        "UnknownAfter",
        "AfterCycle",
        "AfterLaterPhase",
        "UnknownConditionStep",
        "ConditionOnLaterStep",
        "ConditionValueMismatch",
        "BadRange",
        "NoOptions",
        "EmptyOptionValue",
        "DuplicateOption",
        "ZeroPhotos",
        "BadBillingStep",
        "BadFeeConsent",
        "MissingFeeConsent",
    ];
    let missing: Vec<_> = all.iter().filter(|n| !seen.contains(*n)).collect();
    assert!(missing.is_empty(), "not provoked: {missing:?}");
}

#[test]
fn error_messages_name_the_step() {
    let mut v = base();
    v["steps"][4]["after"] = json!(["p"]);
    let e = Template::from_json(&v.to_string()).expect_err("cycle");
    let msg = e.to_string();
    assert!(msg.contains("`v`") || msg.contains("`p`"), "{msg}");
}

#[test]
fn unvalidated_templates_never_panic_the_engine() {
    // Forward condition, self-dependency, unknown after, duplicate ids, no steps.
    let mut t = Template::from_json(&base().to_string()).expect("valid");
    t.steps[1].when = Some(Condition::Answer {
        step: "s".into(),
        equals: AnswerValue::Confirmed,
    });
    t.steps[0].after = vec!["a".into(), "ghost".into()];
    t.steps.push(t.steps[0].clone());
    let facts = VisitFacts::new(JobKind::Repair, Billing::Paid);
    let run = Run::new(&t, &facts);
    assert_eq!(run.status("q"), Some(StepStatus::NotApplicable));
    assert!(!run.completion_blockers().is_empty());
    let _ = run.next();
    let _ = run.steps();
    let empty = Template {
        steps: Vec::new(),
        ..t
    };
    let run = Run::new(&empty, &facts);
    assert!(run.completion_blockers().is_empty());
    assert!(run.next().is_none());
}
