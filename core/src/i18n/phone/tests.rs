//! The phone's catalogue is complete: no problems, every id and every fixed word the core's
//! code names exists in both locales, and every refusal, blocker and error reads as Chinese
//! in zh-CN and as English (no Chinese) in en.

use std::path::Path;

use crate::Error;
use crate::checklist::{BlockReason, Blocker, Localized, Phase, Refusal, Stage, TemplateError};
use crate::i18n::scan::{macro_ids, prefixed_ids, rust_files};
use crate::i18n::{Locale, is_cjk, phone, word_id};
use crate::media::photo::PhotoError;
use crate::model::returns::{FactsError, Fault, Outcome, PriceField};
use crate::model::{SignerRole, VisitOutcome, VisitStatus, WorkOrderStatus};
use crate::workflow::{Job, JobAction, OrderAction, VisitAction};

fn chinese(s: &str) -> bool {
    s.chars().any(is_cjk)
}

/// `text` reads as `locale`: Chinese in zh-CN, none in en; never a bare message id.
fn assert_reads_as(locale: Locale, text: &str) {
    match locale {
        Locale::ZhCn => assert!(chinese(text), "zh-CN without Chinese: {text:?}"),
        Locale::En => assert!(!chinese(text), "en with Chinese: {text:?}"),
    }
    for id in text.split(|c: char| c.is_whitespace() || c == '`') {
        assert!(!phone().has(locale, id), "a bare id in {text:?}");
    }
}

fn core_src() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn the_catalogue_has_every_message_in_every_locale_and_chinese_in_chinese() {
    let problems = phone().problems();
    assert!(problems.is_empty(), "{problems:#?}");
}

/// Every `ptr!(l, "id"…)` and every literal id with a message prefix in the core's code
/// exists in both locales: a typo fails here, not on a phone.
#[test]
fn every_message_the_code_names_exists() {
    let mut missing = Vec::new();
    let mut named = 0;
    for file in rust_files(&core_src()) {
        if file.starts_with(core_src().join("i18n")) {
            continue; // docs and tests show made-up ids
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let mut ids = macro_ids(&text, "ptr!(");
        ids.extend(prefixed_ids(
            &text,
            &[
                "err-", "block-", "step-", "wf-", "photo-", "sig-", "check-", "op-", "refused-",
            ],
        ));
        for id in ids {
            named += 1;
            for l in Locale::ALL {
                if !phone().has(l, &id) {
                    missing.push(format!("{}: {l}: {id}", file.display()));
                }
            }
        }
    }
    assert!(named > 80, "only {named} ids found: the scan is broken");
    assert!(missing.is_empty(), "{missing:#?}");
}

/// The string literals that are arguments `n` (0-based) of each call of `call` in `text`,
/// as far as they are literals.
fn literal_args(text: &str, call: &str, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find(call) {
        from += i + call.len();
        let mut rest = text[from..].trim_start();
        let mut ok = true;
        for _ in 0..n {
            // Skip one argument: a literal or anything up to the next top-level comma.
            if let Some(r) = rest.strip_prefix('"') {
                let Some(end) = r.find('"') else { break };
                rest = r[end + 1..].trim_start();
            } else {
                let Some(end) = rest.find([',', ')']) else {
                    break;
                };
                rest = &rest[end..];
            }
            match rest.strip_prefix(',') {
                Some(r) => rest = r.trim_start(),
                None => ok = false,
            }
        }
        if let (true, Some(r)) = (ok, rest.strip_prefix('"'))
            && let Some(end) = r.find('"')
        {
            out.push(r[..end].to_owned());
        }
    }
    out
}

/// The core's fixed English words that go through `word`: field names and reasons of
/// `Error::invalid`, the problems of the judges shared with the server, entities of
/// `not_found`, actions of `Blocked`. Each has a message in both locales.
#[test]
fn every_fixed_word_the_code_names_has_a_message() {
    let mut missing = Vec::new();
    let mut named = 0;
    let mut check = |prefix: &str, english: &str, file: &Path| {
        named += 1;
        let id = word_id(prefix, english);
        for l in Locale::ALL {
            if !phone().has(l, &id) {
                missing.push(format!("{}: {l}: {id} ({english:?})", file.display()));
            }
        }
    };
    for file in rust_files(&core_src()) {
        let name = file.to_string_lossy();
        if name.contains("tests") || name.ends_with("demo.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        // Inline unit tests name made-up words.
        let text = text
            .split("#[cfg(test)]\nmod tests {")
            .next()
            .unwrap_or_default();
        for f in literal_args(text, "Error::invalid(", 0) {
            check("field-", &f, &file);
        }
        for r in literal_args(text, "Error::invalid(", 1) {
            check("invalid-", &r, &file);
        }
        for f in literal_args(text, "text(", 0) {
            check("field-", &f, &file);
        }
        // The judge's fixed reasons for refusing an op, shown by `refused-word`.
        for r in literal_args(text, "Refused::new(", 1) {
            check("invalid-", &r, &file);
        }
        for e in literal_args(text, "not_found(", 0) {
            check("entity-", &e, &file);
        }
        for e in literal_args(text, "entity: ", 0) {
            check("entity-", &e, &file);
        }
        if name.contains("/api/") {
            for a in literal_args(text, "action: ", 0) {
                check("wf-action-", &a, &file);
            }
            for a in literal_args(text, ".visit(", 0) {
                check("wf-action-", &a, &file);
            }
        }
        // The judges shared with the server return their problem as a literal.
        if text.contains("_problem") || name.ends_with("replay/endings.rs") {
            for p in literal_args(text, "Some(", 0) {
                check("invalid-", &p, &file);
            }
            for p in literal_args(text, "Some((", 1) {
                check("invalid-", &p, &file);
            }
        }
    }
    assert!(named > 100, "only {named} words found: the scan is broken");
    assert!(missing.is_empty(), "{missing:#?}");
}

#[test]
fn literal_args_skip_what_is_not_a_literal() {
    let src = r#"Error::invalid("day", "not valid"); Error::invalid(field, why); Error::invalid(
        "x", format!("{a}"))"#;
    assert_eq!(literal_args(src, "Error::invalid(", 0), ["day", "x"]);
    assert_eq!(literal_args(src, "Error::invalid(", 1), ["not valid"]);
}

/// Every refusal of the state machines (every action in every state) is translated word by
/// word: the action, the subject, the state and the hint each have a message.
#[test]
fn every_workflow_refusal_reads_in_both_languages() {
    let mut refusals = Vec::new();
    let visits: Vec<VisitStatus> = [
        VisitStatus::Planned,
        VisitStatus::EnRoute,
        VisitStatus::Arrived,
        VisitStatus::Working,
        VisitStatus::Paused,
    ]
    .into_iter()
    .chain(VisitOutcome::ALL.into_iter().map(VisitStatus::Ended))
    .collect();
    for order in WorkOrderStatus::ALL {
        for a in OrderAction::all() {
            refusals.extend(order.apply(a).err());
        }
        for visit in std::iter::once(None).chain(visits.iter().copied().map(Some)) {
            for a in JobAction::ALL {
                refusals.extend(Job { order, visit }.apply(a).err());
            }
        }
    }
    for v in &visits {
        for a in VisitAction::ALL {
            refusals.extend(v.apply(a).err());
        }
    }
    assert!(refusals.len() > 200, "{}", refusals.len());
    for r in &refusals {
        for (prefix, english) in [
            ("wf-action-", r.action),
            ("wf-subject-", r.subject),
            ("wf-state-", r.state),
            ("wf-hint-", r.hint),
        ] {
            let id = word_id(prefix, english);
            for l in Locale::ALL {
                assert!(phone().has(l, &id), "{l}: no {id} ({r:?})");
            }
        }
        for l in Locale::ALL {
            assert_reads_as(l, &r.reason(l));
        }
        // English is what it always was.
        assert_eq!(
            r.to_string(),
            format!(
                "cannot {} while the {} is {}: {}",
                r.action, r.subject, r.state, r.hint
            )
        );
    }
}

/// One refusal of each kind (the match fails to compile when a kind is added: add it here
/// and to the catalogue).
fn every_step_refusal() -> Vec<Refusal> {
    let step = || "warranty_proof".to_owned();
    let all = vec![
        Refusal::UnknownStep { step: step() },
        Refusal::NotApplicable { step: step() },
        Refusal::PhaseNotOpen {
            step: step(),
            phase: Phase::Work,
            stage: Stage::OnSite,
        },
        Refusal::OutOfOrder {
            step: step(),
            missing: vec!["id_badge".into(), "shoe_covers".into()],
        },
        Refusal::WrongKind {
            step: step(),
            expected: "a yes/no answer",
        },
        Refusal::NeedsEvidence { step: step() },
        Refusal::OutOfRange {
            step: step(),
            value: 12.5,
            min: 0.0,
            max: 10.0,
            unit: "MPa".into(),
        },
        Refusal::NotAnOption {
            step: step(),
            value: "maybe".into(),
        },
        Refusal::TooShort {
            step: step(),
            min_len: 10,
        },
        Refusal::BadSerial { step: step() },
        Refusal::BadIds { step: step() },
        Refusal::BadHash { step: step() },
        Refusal::NotANumber { step: step() },
        Refusal::ExceptionNotAllowed { step: step() },
        Refusal::EmptyReason { step: step() },
        Refusal::WrongSigner {
            step: step(),
            expected: SignerRole::Customer,
        },
        Refusal::PartsMismatch { step: step() },
        Refusal::NotTheSignedCopy { step: step() },
        Refusal::NothingSigned { step: step() },
        Refusal::LoanersDiffer {
            step: step(),
            value: "collected".into(),
        },
        Refusal::FindingNotNamed { step: step() },
        Refusal::NoSaleRecord { step: step() },
        Refusal::BadReturnFacts {
            step: step(),
            error: FactsError::OutOfRange,
        },
        Refusal::NotTheReturnDecision {
            step: step(),
            decided: Outcome::RepairOnly,
        },
    ];
    for r in &all {
        match r {
            Refusal::UnknownStep { .. }
            | Refusal::NotApplicable { .. }
            | Refusal::PhaseNotOpen { .. }
            | Refusal::OutOfOrder { .. }
            | Refusal::WrongKind { .. }
            | Refusal::NeedsEvidence { .. }
            | Refusal::OutOfRange { .. }
            | Refusal::NotAnOption { .. }
            | Refusal::TooShort { .. }
            | Refusal::BadSerial { .. }
            | Refusal::BadIds { .. }
            | Refusal::BadHash { .. }
            | Refusal::NotANumber { .. }
            | Refusal::ExceptionNotAllowed { .. }
            | Refusal::EmptyReason { .. }
            | Refusal::WrongSigner { .. }
            | Refusal::PartsMismatch { .. }
            | Refusal::NotTheSignedCopy { .. }
            | Refusal::NothingSigned { .. }
            | Refusal::LoanersDiffer { .. }
            | Refusal::FindingNotNamed { .. }
            | Refusal::NoSaleRecord { .. }
            | Refusal::BadReturnFacts { .. }
            | Refusal::NotTheReturnDecision { .. } => {}
        }
    }
    all
}

#[test]
fn every_step_refusal_reads_in_both_languages_and_names_its_step() {
    for r in every_step_refusal() {
        for l in Locale::ALL {
            let text = r.reason(l);
            assert_reads_as(l, &text);
            assert!(text.contains("warranty_proof"), "{text}");
        }
        assert_eq!(r.to_string(), r.reason(Locale::En));
    }
    // The words inside refusals are translated too.
    for p in Phase::ALL {
        assert!(
            phone().has(Locale::ZhCn, &word_id("phase-", p.as_str())),
            "{p:?}"
        );
    }
    for s in [
        Stage::Planned,
        Stage::EnRoute,
        Stage::OnSite,
        Stage::Working,
    ] {
        assert!(phone().has(Locale::ZhCn, &word_id("stage-", &s.to_string())));
    }
    for o in [
        Outcome::Return,
        Outcome::Exchange,
        Outcome::RepairOnly,
        Outcome::Refused,
    ] {
        assert!(phone().has(Locale::ZhCn, &word_id("outcome-", &format!("{o:?}"))));
    }
    let text = Refusal::PhaseNotOpen {
        step: "x".into(),
        phase: Phase::CloseOut,
        stage: Stage::EnRoute,
    }
    .reason(Locale::ZhCn);
    assert!(text.contains("收尾") && text.contains("在途"), "{text}");
}

#[test]
fn the_expected_kinds_of_every_step_kind_are_translated() {
    let templates = crate::checklist::default_templates();
    let mut seen = 0;
    for t in &templates {
        for s in &t.steps {
            seen += 1;
            let id = word_id("expects-", s.kind.expects());
            assert!(phone().has(Locale::ZhCn, &id), "{id}");
        }
    }
    assert!(seen > 20);
}

fn every_block_reason() -> Vec<BlockReason> {
    let all = vec![
        BlockReason::Unanswered,
        BlockReason::NeedsPhotos { have: 1, need: 3 },
        BlockReason::NeedsSignature {
            role: SignerRole::Technician,
        },
        BlockReason::ConsentRefused,
        BlockReason::CallNotReached,
        BlockReason::FindingNotAcknowledged { count: 2 },
        BlockReason::SignatureMismatch {
            problem: "the signature record was altered".into(),
        },
        BlockReason::NeedsFinding,
        BlockReason::PartsChanged,
        BlockReason::CopyNotHanded,
        BlockReason::LoanerOut { count: 1 },
        BlockReason::NoSaleRecord,
        BlockReason::DecisionChanged,
    ];
    for r in &all {
        match r {
            BlockReason::Unanswered
            | BlockReason::NeedsPhotos { .. }
            | BlockReason::NeedsSignature { .. }
            | BlockReason::ConsentRefused
            | BlockReason::CallNotReached
            | BlockReason::FindingNotAcknowledged { .. }
            | BlockReason::SignatureMismatch { .. }
            | BlockReason::NeedsFinding
            | BlockReason::PartsChanged
            | BlockReason::CopyNotHanded
            | BlockReason::LoanerOut { .. }
            | BlockReason::NoSaleRecord
            | BlockReason::DecisionChanged => {}
        }
    }
    all
}

#[test]
fn every_blocker_names_its_step_by_the_label_of_the_locale() {
    for reason in every_block_reason() {
        let b = Blocker {
            step_id: Some("condition_photos".into()),
            label: Some(Localized {
                zh_cn: "机器状况照片".into(),
                en: "Condition photos".into(),
            }),
            reason: reason.clone(),
        };
        let zh = b.reason(Locale::ZhCn);
        let en = b.reason(Locale::En);
        assert_reads_as(Locale::ZhCn, &zh);
        assert_reads_as(Locale::En, &en);
        if !matches!(reason, BlockReason::FindingNotAcknowledged { .. }) {
            assert!(zh.contains("机器状况照片"), "{zh}");
            assert!(en.contains("Condition photos"), "{en}");
        }
        assert_eq!(b.to_string(), en);
    }
    let photos = Blocker {
        step_id: Some("p".into()),
        label: None,
        reason: BlockReason::NeedsPhotos { have: 1, need: 2 },
    };
    assert_eq!(photos.to_string(), "p: 1 more photo needed (1 of 2).");
    assert_eq!(
        photos.reason(Locale::ZhCn),
        "p：还需 1 张照片（已有 1 张，共需 2 张）。"
    );
}

/// One error of each kind the core has (with both features).
fn every_error() -> Vec<Error> {
    let blocker = |n: u32| Blocker {
        step_id: Some(format!("step_{n}")),
        label: None,
        reason: BlockReason::Unanswered,
    };
    let all = vec![
        Error::not_found("work order", "WO-1"),
        Error::Refused(
            WorkOrderStatus::Completed
                .apply(OrderAction::Accept)
                .unwrap_err(),
        ),
        Error::Checklist(Refusal::BadHash { step: "x".into() }),
        Error::Blocked {
            action: "complete",
            blockers: (1..=7).map(blocker).collect(),
        },
        Error::invalid("day", "not a valid local date"),
        Error::Photo(PhotoError::TooLarge { bytes: 10, max: 5 }),
        Error::Template(TemplateError::NoSteps),
        Error::DatabaseTooNew {
            found: 99,
            supported: 12,
        },
        Error::WrongKey,
        Error::Storage(rusqlite::Error::QueryReturnedNoRows),
        Error::Io(std::io::Error::other("disk full")),
        Error::Network("connection refused (after 2 attempts)".into()),
        #[cfg(feature = "client")]
        Error::Tls("invalid peer certificate: UnknownIssuer".into()),
        Error::Server {
            status: 401,
            code: "device_revoked".into(),
            message: "the device was revoked".into(),
        },
        #[cfg(feature = "report")]
        Error::Report(crate::report::ReportError::NotSigned("WO-1".into())),
        Error::NotEnrolled,
    ];
    for e in &all {
        match e {
            Error::NotFound { .. }
            | Error::Refused(_)
            | Error::Checklist(_)
            | Error::Blocked { .. }
            | Error::Invalid { .. }
            | Error::Photo(_)
            | Error::Template(_)
            | Error::DatabaseTooNew { .. }
            | Error::WrongKey
            | Error::Storage(_)
            | Error::Io(_)
            | Error::Network(_)
            | Error::Server { .. }
            | Error::NotEnrolled => {}
            #[cfg(feature = "client")]
            Error::Tls(_) => {}
            #[cfg(feature = "report")]
            Error::Report(_) => {}
        }
    }
    all
}

#[test]
fn every_error_reads_in_both_languages_and_display_is_english() {
    for e in every_error() {
        for l in Locale::ALL {
            assert_reads_as(l, &e.reason(l));
        }
        assert_eq!(e.to_string(), e.reason(Locale::En));
    }
    let blocked = &every_error()[3];
    assert!(
        blocked
            .to_string()
            .starts_with("cannot complete: 7 outstanding: Not done yet: step_1.")
            && blocked
                .to_string()
                .ends_with("Not done yet: step_5. (and 2 more)"),
        "{blocked}"
    );
    let zh = blocked.reason(Locale::ZhCn);
    assert!(
        zh.starts_with("无法完工：还有 7 项未完成：") && zh.ends_with("（另有 2 项）"),
        "{zh}"
    );
    assert_eq!(
        Error::invalid("day", "not a valid local date").reason(Locale::ZhCn),
        "日期无效：不是有效的本地日期"
    );
}

#[test]
fn the_words_of_facts_errors_are_translated() {
    for f in [
        PriceField::PricePaid,
        PriceField::ListPrice,
        PriceField::CurrentPrice,
    ] {
        let e = FactsError::NegativePrice {
            field: f,
            value: -1,
        };
        assert_reads_as(Locale::ZhCn, &e.reason(Locale::ZhCn));
        assert!(!e.reason(Locale::ZhCn).contains(&format!("{f:?}")));
    }
    for fault in [Fault::None, Fault::Product, Fault::Company, Fault::Customer] {
        let e = FactsError::MisuseContradictsFault { fault };
        assert!(!e.reason(Locale::ZhCn).contains(&format!("{fault:?}")));
        assert_eq!(
            e.to_string(),
            format!("misuse was found but the fault is put on the {fault:?}")
        );
    }
}

#[test]
fn an_english_word_the_catalogue_lacks_stays_english_never_an_id() {
    let e = Error::invalid("a field added later", "a reason added later");
    assert_eq!(
        e.to_string(),
        "invalid a field added later: a reason added later"
    );
    let zh = e.reason(Locale::ZhCn);
    assert!(zh.contains("a reason added later") && chinese(&zh), "{zh}");
    assert_eq!(
        word_id("wf-state-", "awaiting_return"),
        "wf-state-awaiting-return"
    );
    assert_eq!(
        word_id("invalid-", " Not in 1 KiB–64 MiB "),
        "invalid-not-in-1-kib-64-mib"
    );
}

#[test]
fn reasons_with_numbers_are_translated_with_their_numbers() {
    let long = Error::invalid("note", format!("longer than {} characters", 2000));
    assert_eq!(
        long.to_string(),
        "invalid note: longer than 2000 characters"
    );
    assert_eq!(long.reason(Locale::ZhCn), "备注无效：超过 2000 个字符");
    let rating = Error::invalid("rating", format!("{} is not between 1 and 5", 500));
    assert_eq!(
        rating.to_string(),
        "invalid rating: 500 is not between 1 and 5"
    );
    assert_eq!(
        rating.reason(Locale::ZhCn),
        "评分无效：500 不在 1 到 5 之间"
    );
    // A word that is in the catalogue with its number is taken as it is.
    assert_eq!(
        Error::invalid("parts", "more than 20 parts in one request").reason(Locale::ZhCn),
        "配件无效：一次申请超过 20 种配件"
    );
}
