//! Every kind of `FieldKitError` has its `reason` in the kit's language: Chinese in zh-CN, no
//! Chinese in en. The kinds a JVM or XCTest test cannot reach without a server (Tls,
//! Unauthorized, Rejected, Conflict, Internal) are checked here, through the same mapping.

use fieldkit_core::Error as E;
use fieldkit_core::checklist::{BlockReason, Blocker, Refusal as StepRefusal, TemplateError};
use fieldkit_core::i18n::{Locale, is_cjk, phone, word_id};
use fieldkit_core::media::photo::PhotoError;
use fieldkit_core::model::WorkOrderStatus;
use fieldkit_core::report::ReportError;
use fieldkit_core::workflow::OrderAction;

use super::*;

/// One core error per FFI kind (and then some), with what it maps to.
fn core_errors() -> Vec<E> {
    let server = |status: u16, code: &str| E::Server {
        status,
        code: code.to_owned(),
        message: "the server said no".to_owned(),
    };
    vec![
        E::Invalid {
            field: "day",
            reason: "not a valid local date".to_owned(),
        },
        E::Template(TemplateError::NoSteps),
        E::NotFound {
            entity: "work order",
            id: "WO-1".to_owned(),
        },
        E::Refused(
            WorkOrderStatus::Completed
                .apply(OrderAction::Accept)
                .unwrap_err(),
        ),
        E::Checklist(StepRefusal::OutOfOrder {
            step: "warranty_proof".to_owned(),
            missing: vec!["id_badge".to_owned()],
        }),
        E::Blocked {
            action: "complete",
            blockers: vec![Blocker {
                step_id: Some("service_record_signature".to_owned()),
                label: None,
                reason: BlockReason::Unanswered,
            }],
        },
        E::Photo(PhotoError::UnknownFormat),
        server(409, "conflict"),
        E::DatabaseTooNew {
            found: 99,
            supported: 3,
        },
        E::WrongKey,
        E::Io(std::io::Error::other("disk full")),
        E::Network("connection refused (after 2 attempts)".to_owned()),
        server(503, "unavailable"),
        E::Tls("invalid peer certificate: UnknownIssuer".to_owned()),
        server(401, "unknown_code"),
        server(403, "device_revoked"),
        server(422, "bad_op"),
        E::NotEnrolled,
        E::Report(ReportError::NotSigned("WO-1".to_owned())),
    ]
}

/// Every kind, in `locale`: the core's errors mapped, and the FFI's own.
fn every_kind(locale: Locale) -> Vec<FieldKitError> {
    let mut all: Vec<FieldKitError> = core_errors()
        .into_iter()
        .map(|e| FieldKitError::from_core(e, locale))
        .collect();
    // (The kit's language is one per process: these take it as an argument, so tests that
    // run at the same time do not switch it under each other.)
    all.push(FieldKitError::validation_in(
        locale,
        "data dir",
        "must not be empty",
    ));
    all.push(FieldKitError::internal_in(
        locale,
        "err-internal",
        "the photo task failed unexpectedly",
    ));
    all.push(FieldKitError::internal_in(
        locale,
        "err-callback",
        "IllegalStateException",
    ));
    all
}

/// The reason of every kind: the match is exhaustive, so a kind added to `FieldKitError`
/// fails to compile here until it is given a place (and a reason) in these tests.
fn reason_of(e: &FieldKitError) -> (&'static str, &str) {
    match e {
        FieldKitError::Validation { reason, .. } => ("Validation", reason),
        FieldKitError::NotFound { reason, .. } => ("NotFound", reason),
        FieldKitError::Refused { reason, .. } => ("Refused", reason),
        FieldKitError::StepRefused { reason, .. } => ("StepRefused", reason),
        FieldKitError::Blocked { reason, .. } => ("Blocked", reason),
        FieldKitError::Photo { reason, .. } => ("Photo", reason),
        FieldKitError::Conflict { reason } => ("Conflict", reason),
        FieldKitError::UpdateRequired { reason } => ("UpdateRequired", reason),
        FieldKitError::WrongKey { reason } => ("WrongKey", reason),
        FieldKitError::Storage { reason } => ("Storage", reason),
        FieldKitError::Network { reason } => ("Network", reason),
        FieldKitError::Tls { reason } => ("Tls", reason),
        FieldKitError::Unauthorized { reason, .. } => ("Unauthorized", reason),
        FieldKitError::Rejected { reason, .. } => ("Rejected", reason),
        FieldKitError::NotEnrolled { reason } => ("NotEnrolled", reason),
        FieldKitError::Report { reason, .. } => ("Report", reason),
        FieldKitError::Internal { reason } => ("Internal", reason),
    }
}

/// Every kind the enum has (kept next to `reason_of`: both change when a kind is added).
const KINDS: [&str; 17] = [
    "Validation",
    "NotFound",
    "Refused",
    "StepRefused",
    "Blocked",
    "Photo",
    "Conflict",
    "UpdateRequired",
    "WrongKey",
    "Storage",
    "Network",
    "Tls",
    "Unauthorized",
    "Rejected",
    "NotEnrolled",
    "Report",
    "Internal",
];

#[test]
fn every_kind_has_a_chinese_and_an_english_reason() {
    for locale in Locale::ALL {
        let mut seen = std::collections::BTreeSet::new();
        for e in every_kind(locale) {
            let (kind, reason) = reason_of(&e);
            seen.insert(kind);
            let chinese = reason.chars().any(is_cjk);
            match locale {
                Locale::ZhCn => assert!(chinese, "{kind} has no Chinese: {reason:?}"),
                Locale::En => assert!(!chinese, "{kind} has Chinese in en: {reason:?}"),
            }
            assert_eq!(e.to_string(), reason, "{kind}: Display is the reason");
            assert!(!reason.starts_with("err-"), "{kind}: a bare id: {reason}");
        }
        let kinds: std::collections::BTreeSet<&str> = KINDS.into_iter().collect();
        assert_eq!(seen, kinds, "{locale}: not every kind was made");
    }
}

#[test]
fn the_reasons_name_ids_and_steps_in_both_languages() {
    for locale in Locale::ALL {
        let all = every_kind(locale);
        let text = |kind: &str| {
            all.iter()
                .map(reason_of)
                .find(|(k, _)| *k == kind)
                .unwrap()
                .1
                .to_owned()
        };
        assert!(text("NotFound").contains("WO-1"));
        assert!(text("StepRefused").contains("warranty_proof"));
        assert!(text("Blocked").contains("service_record_signature"));
    }
    let zh = FieldKitError::from_core(
        E::Invalid {
            field: "day",
            reason: "not a valid local date".to_owned(),
        },
        Locale::ZhCn,
    );
    assert_eq!(zh.to_string(), "日期无效：不是有效的本地日期");
}

#[test]
fn unknown_tags_speak_chinese() {
    for (tag, want) in [
        ("zh-CN", Locale::ZhCn),
        ("zh-Hans-CN", Locale::ZhCn),
        ("en-US", Locale::En),
        ("en_GB", Locale::En),
        ("fr-FR", Locale::ZhCn),
        ("", Locale::ZhCn),
        ("%%%", Locale::ZhCn),
    ] {
        assert_eq!(locale_of_tag(tag), want, "{tag:?}");
    }
}

/// The string literals that are arguments `n` (0-based) of calls of `call`.
fn literal_args(text: &str, call: &str, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    for piece in text.split(call).skip(1) {
        let mut rest = piece.trim_start();
        for _ in 0..n {
            let Some(comma) = rest.find(',') else { break };
            rest = rest[comma + 1..].trim_start();
        }
        if let Some(r) = rest.strip_prefix('"')
            && let Some(end) = r.find('"')
        {
            out.push(r[..end].to_owned());
        }
    }
    out
}

/// The FFI's own fixed words (fields and reasons of its validation errors, the fields of ids,
/// times and counts it parses) have a message in both locales.
#[test]
fn every_word_the_ffi_names_has_a_message() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut missing = Vec::new();
    let mut named = 0;
    for file in fieldkit_core::i18n::scan::rust_files(&src) {
        if file.starts_with(src.join("error")) {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let mut words = Vec::new();
        for call in ["validation(", "millis(", " id(", "(id(", "time(", "count("] {
            words.extend(
                literal_args(&text, call, 0)
                    .into_iter()
                    .map(|w| ("field-", w)),
            );
        }
        words.extend(
            literal_args(&text, "validation(", 1)
                .into_iter()
                .map(|w| ("invalid-", w)),
        );
        for (prefix, w) in words {
            named += 1;
            for l in Locale::ALL {
                if !phone().has(l, &word_id(prefix, &w)) {
                    missing.push(format!("{}: {l}: {prefix}{w}", file.display()));
                }
            }
        }
    }
    assert!(named > 20, "only {named}: the scan is broken");
    assert!(missing.is_empty(), "{missing:#?}");
}
