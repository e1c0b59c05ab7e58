//! Every refusal of the engine, provoked; their messages carry no answer text.

use super::*;

#[test]
fn every_refusal_is_provoked() {
    let repair = template("repair");
    let install = template("installation");
    let mut seen: BTreeSet<&'static str> = BTreeSet::new();
    let mut expect = |r: Result<(), Refusal>, name: &'static str, step: &str| {
        let e = r.expect_err(name);
        let got = format!("{e:?}");
        assert!(got.starts_with(name), "expected {name}, got {got}");
        let msg = e.to_string();
        assert!(msg.contains(step), "{msg}");
        seen.insert(name);
    };

    let planned = VisitFacts::new(JobKind::Repair, Billing::Warranty);
    let run = Run::new(&repair, &planned);
    expect(
        run.check_answer("nope", &AnswerValue::Confirmed),
        "UnknownStep",
        "nope",
    );
    expect(
        run.check_answer("product_serial", &AnswerValue::Serial("A1".into())),
        "NotApplicable",
        "product_serial",
    );
    expect(
        run.check_answer("id_badge", &AnswerValue::Confirmed),
        "PhaseNotOpen",
        "id_badge",
    );
    expect(
        run.check_answer("previsit_call", &AnswerValue::Confirmed),
        "NeedsEvidence",
        "previsit_call",
    );
    expect(
        run.check_answer("tools_parts_loaded", &AnswerValue::YesNo(true)),
        "WrongKind",
        "tools_parts_loaded",
    );
    expect(
        run.check_evidence("tools_parts_loaded", Evidence::Photo),
        "WrongKind",
        "tools_parts_loaded",
    );
    expect(
        run.check_exception("tools_parts_loaded", "忘了"),
        "ExceptionNotAllowed",
        "tools_parts_loaded",
    );

    let mut onsite = planned.clone();
    onsite.stage = Stage::OnSite;
    let run = Run::new(&repair, &onsite);
    expect(
        run.check_exception("shoe_covers", "  \t"),
        "EmptyReason",
        "shoe_covers",
    );
    expect(
        run.check_answer("warranty_proof", &AnswerValue::YesNo(true)),
        "OutOfOrder",
        "warranty_proof",
    );

    // Assessment open: serial, choice.
    let facts = script_until(
        &repair,
        JobKind::Repair,
        Billing::Warranty,
        false,
        false,
        |s| s.id == "product_serial",
    );
    let run = Run::new(&repair, &facts);
    for bad in ["", "AB 12", "AB\u{7}12", &"9".repeat(65)] {
        expect(
            run.check_answer("product_serial", &AnswerValue::Serial(bad.into())),
            "BadSerial",
            "product_serial",
        );
    }
    assert!(
        run.check_answer("product_serial", &AnswerValue::Serial("9".repeat(64)))
            .is_ok()
    );
    expect(
        run.check_answer("coverage", &AnswerValue::Choice("maybe".into())),
        "OutOfOrder",
        "coverage",
    );
    let mut facts = facts;
    record(
        &mut facts,
        "product_serial",
        &Do::Answer(AnswerValue::Serial("SN1".into())),
    );
    record(
        &mut facts,
        "unit_intact",
        &Do::Answer(AnswerValue::YesNo(false)),
    );
    let run = Run::new(&repair, &facts);
    expect(
        run.check_answer("coverage", &AnswerValue::Choice("maybe".into())),
        "NotAnOption",
        "coverage",
    );
    expect(
        run.check_answer("anomaly_description", &AnswerValue::Text("  坏 ".into())),
        "TooShort",
        "anomaly_description",
    );

    // Work open: numbers, signatures.
    let facts = script_until(
        &install,
        JobKind::Installation,
        Billing::Warranty,
        true,
        false,
        |s| s.id == "supply_voltage",
    );
    let run = Run::new(&install, &facts);
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        expect(
            run.check_answer("supply_voltage", &AnswerValue::Number(bad)),
            "NotANumber",
            "supply_voltage",
        );
    }
    for bad in [179.9, 250.1, -5.0] {
        expect(
            run.check_answer("supply_voltage", &AnswerValue::Number(bad)),
            "OutOfRange",
            "supply_voltage",
        );
    }
    assert!(
        run.check_answer("supply_voltage", &AnswerValue::Number(180.0))
            .is_ok()
    );
    assert!(
        run.check_answer("supply_voltage", &AnswerValue::Number(250.0))
            .is_ok()
    );
    assert!(
        run.check_exception("supply_voltage", "电压 170 V，已建议客户整改")
            .is_ok()
    );
    let facts = script(
        &install,
        JobKind::Installation,
        Billing::Warranty,
        true,
        false,
    );
    let run = Run::new(&install, &facts);
    expect(
        run.check_evidence(
            "service_record_signature",
            Evidence::Signature(SignerRole::Technician),
        ),
        "WrongSigner",
        "service_record_signature",
    );

    let all = [
        "UnknownStep",
        "NotApplicable",
        "PhaseNotOpen",
        "OutOfOrder",
        "WrongKind",
        "NeedsEvidence",
        "OutOfRange",
        "NotAnOption",
        "TooShort",
        "BadSerial",
        "NotANumber",
        "ExceptionNotAllowed",
        "EmptyReason",
        "WrongSigner",
    ];
    let missing: Vec<_> = all.iter().filter(|n| !seen.contains(*n)).collect();
    assert!(missing.is_empty(), "not provoked: {missing:?}");
}

#[test]
fn refusal_messages_carry_no_answer_text() {
    let t = template("repair");
    let facts = script_until(&t, JobKind::Repair, Billing::Warranty, false, false, |s| {
        s.id == "product_serial"
    });
    let run = Run::new(&t, &facts);
    let secret = "张三 13800138000";
    let e = run
        .check_answer("product_serial", &AnswerValue::Serial(secret.into()))
        .expect_err("spaces are not allowed");
    assert!(!e.to_string().contains("13800138000"));
}
