//! Owns the sentences the server stores about what happened — a flag's detail, a completion's
//! hold reasons, a refused op's reason, an audit line's detail — as a stable code with typed
//! arguments ([`Stored`]), never as words, so each reader sees them in their own language
//! (dashboard pages, the JSON API by the request's language; webhooks in Chinese).
//!
//! Codes are the server's own ([`Code`], messages `stored-…` in `locales/*/stored.ftl`) or a
//! message of the core's phone catalogue (`core.` + its id: a workflow refusal, a checklist
//! blocker, a signature problem; see [`fieldkit_core::i18n::Said`]). Rows written before
//! migration 0015 have no code: their words show as stored (the legacy fallback).
//!
//! Arguments come from devices (a SKU, a step id, a number): text is capped
//! ([`fieldkit_core::i18n::MAX_TEXT_ARG`]) and pages escape it; no code takes customer data.

use std::collections::BTreeMap;

use fieldkit_core::i18n::{Said, SaidArg, capped, join, word, word_id};
use serde::{Deserialize, Serialize};

use crate::i18n::{CATALOGUE, FluentArgs, Locale, num};
use fieldkit_core::i18n::FluentValue;

/// The prefix of a code that names a message of the core's phone catalogue.
pub const CORE_PREFIX: &str = "core.";

/// A stored sentence: a code and its arguments (`{"code": "clock_skew", "args": {…}}` in the
/// database, the API and webhooks).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stored {
    /// A [`Code`] (`clock_skew`…) or `core.` + a message id of the core's catalogue.
    pub code: String,
    /// The arguments by name: numbers, text (capped), or the core's fixed words and labels.
    #[serde(default)]
    pub args: BTreeMap<String, SaidArg>,
}

/// Every code of the server's own sentences (a test checks each has words in both locales).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Code {
    // Flags raised while judging a push.
    ClockSkew,
    FactAfterCancellation,
    FactAfterReassignment,
    SignatureRefused,
    RedeliveryRequested,
    SettlementDiffers,
    SecondCompletion,
    CompletedAfterCancellation,
    CompletedAfterReassignment,
    StockShortOnJob,
    StockShort,
    StockCountDiffers,
    // Why an op was refused or kept as a conflict.
    UnknownJob,
    UnknownEntity,
    StockBadEntity,
    StockEntityMismatch,
    NotAStockOp,
    StockQuantityRange,
    UnknownReplenishment,
    JobCancelledFact,
    JobReassignedFact,
    AlreadyCompleted,
    CompletionKeptCancelled,
    CompletionKeptReassigned,
    CompletionHeld,
    // The audit log's details.
    AuditTechnician,
    AuditTechnicianMisfit,
    AuditCodeValid,
    AuditCodesUnused,
    AuditRole,
    AuditAccountDisabled,
    AuditFailuresInARow,
    AuditWrongPassword,
    AuditChildOf,
    AuditCallbackRules,
    AuditCallbackCall,
    AuditComplaintChannel,
    AuditComplaintChange,
    AuditCalendarYears,
    AuditSlaVersion,
    AuditCashHandIn,
    AuditEmployeeNumber,
    AuditSparesMinimum,
    AuditSparesQuantity,
    AuditTool,
    AuditInvoice,
    AuditPublished,
}

impl Code {
    /// Every code.
    pub const ALL: [Code; 47] = [
        Code::ClockSkew,
        Code::FactAfterCancellation,
        Code::FactAfterReassignment,
        Code::SignatureRefused,
        Code::RedeliveryRequested,
        Code::SettlementDiffers,
        Code::SecondCompletion,
        Code::CompletedAfterCancellation,
        Code::CompletedAfterReassignment,
        Code::StockShortOnJob,
        Code::StockShort,
        Code::StockCountDiffers,
        Code::UnknownJob,
        Code::UnknownEntity,
        Code::StockBadEntity,
        Code::StockEntityMismatch,
        Code::NotAStockOp,
        Code::StockQuantityRange,
        Code::UnknownReplenishment,
        Code::JobCancelledFact,
        Code::JobReassignedFact,
        Code::AlreadyCompleted,
        Code::CompletionKeptCancelled,
        Code::CompletionKeptReassigned,
        Code::CompletionHeld,
        Code::AuditTechnician,
        Code::AuditTechnicianMisfit,
        Code::AuditCodeValid,
        Code::AuditCodesUnused,
        Code::AuditRole,
        Code::AuditAccountDisabled,
        Code::AuditFailuresInARow,
        Code::AuditWrongPassword,
        Code::AuditChildOf,
        Code::AuditCallbackRules,
        Code::AuditCallbackCall,
        Code::AuditComplaintChannel,
        Code::AuditComplaintChange,
        Code::AuditCalendarYears,
        Code::AuditSlaVersion,
        Code::AuditCashHandIn,
        Code::AuditEmployeeNumber,
        Code::AuditSparesMinimum,
        Code::AuditSparesQuantity,
        Code::AuditTool,
        Code::AuditInvoice,
        Code::AuditPublished,
    ];

    /// The stable name stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::ClockSkew => "clock_skew",
            Code::FactAfterCancellation => "fact_after_cancellation",
            Code::FactAfterReassignment => "fact_after_reassignment",
            Code::SignatureRefused => "signature_refused",
            Code::RedeliveryRequested => "redelivery_requested",
            Code::SettlementDiffers => "settlement_differs",
            Code::SecondCompletion => "second_completion",
            Code::CompletedAfterCancellation => "completed_after_cancellation",
            Code::CompletedAfterReassignment => "completed_after_reassignment",
            Code::StockShortOnJob => "stock_short_on_job",
            Code::StockShort => "stock_short",
            Code::StockCountDiffers => "stock_count_differs",
            Code::UnknownJob => "unknown_job",
            Code::UnknownEntity => "unknown_entity",
            Code::StockBadEntity => "stock_bad_entity",
            Code::StockEntityMismatch => "stock_entity_mismatch",
            Code::NotAStockOp => "not_a_stock_op",
            Code::StockQuantityRange => "stock_quantity_range",
            Code::UnknownReplenishment => "unknown_replenishment",
            Code::JobCancelledFact => "job_cancelled_fact",
            Code::JobReassignedFact => "job_reassigned_fact",
            Code::AlreadyCompleted => "already_completed",
            Code::CompletionKeptCancelled => "completion_kept_cancelled",
            Code::CompletionKeptReassigned => "completion_kept_reassigned",
            Code::CompletionHeld => "completion_held",
            Code::AuditTechnician => "audit_technician",
            Code::AuditTechnicianMisfit => "audit_technician_misfit",
            Code::AuditCodeValid => "audit_code_valid",
            Code::AuditCodesUnused => "audit_codes_unused",
            Code::AuditRole => "audit_role",
            Code::AuditAccountDisabled => "audit_account_disabled",
            Code::AuditFailuresInARow => "audit_failures_in_a_row",
            Code::AuditWrongPassword => "audit_wrong_password",
            Code::AuditChildOf => "audit_child_of",
            Code::AuditCallbackRules => "audit_callback_rules",
            Code::AuditCallbackCall => "audit_callback_call",
            Code::AuditComplaintChannel => "audit_complaint_channel",
            Code::AuditComplaintChange => "audit_complaint_change",
            Code::AuditCalendarYears => "audit_calendar_years",
            Code::AuditSlaVersion => "audit_sla_version",
            Code::AuditCashHandIn => "audit_cash_hand_in",
            Code::AuditEmployeeNumber => "audit_employee_number",
            Code::AuditSparesMinimum => "audit_spares_minimum",
            Code::AuditSparesQuantity => "audit_spares_quantity",
            Code::AuditTool => "audit_tool",
            Code::AuditInvoice => "audit_invoice",
            Code::AuditPublished => "audit_published",
        }
    }

    /// Parses [`Code::as_str`].
    pub fn parse(s: &str) -> Option<Code> {
        Code::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Its message in the server's catalogue: `stored-` and the code with dashes.
    pub fn message_id(self) -> String {
        format!("stored-{}", self.as_str().replace('_', "-"))
    }

    /// A sentence of this code with no arguments (add them with [`Stored::arg`]).
    pub fn said(self) -> Stored {
        Stored {
            code: self.as_str().to_owned(),
            args: BTreeMap::new(),
        }
    }
}

impl From<Code> for Stored {
    fn from(c: Code) -> Self {
        c.said()
    }
}

impl From<Said> for Stored {
    /// A message of the core's catalogue, kept as `core.` + its id.
    fn from(s: Said) -> Self {
        Stored {
            code: format!("{CORE_PREFIX}{}", s.id),
            args: s.args,
        }
    }
}

impl Stored {
    /// Adds an argument (text capped).
    pub fn arg(mut self, name: &str, value: impl Into<SaidArg>) -> Stored {
        let value = match value.into() {
            SaidArg::Text(t) => SaidArg::Text(capped(&t)),
            v => v,
        };
        self.args.insert(name.to_owned(), value);
        self
    }

    /// Adds one of the fixed English words shown through the catalogues: `prefix` + the word
    /// (the server's `role-…`, `link-…`, else the core's).
    pub fn word(self, name: &str, prefix: &str, english: &str) -> Stored {
        self.arg(
            name,
            SaidArg::Word {
                prefix: prefix.to_owned(),
                word: capped(english),
            },
        )
    }

    /// Its server code, if it is one of the server's own.
    pub fn code(&self) -> Option<Code> {
        Code::parse(&self.code)
    }

    /// A whole-number argument.
    pub fn int(&self, name: &str) -> Option<i64> {
        match self.args.get(name)? {
            SaidArg::Int(n) => Some(*n),
            _ => None,
        }
    }

    /// A text argument.
    pub fn text(&self, name: &str) -> Option<&str> {
        match self.args.get(name)? {
            SaidArg::Text(t) => Some(t),
            _ => None,
        }
    }

    /// The sentence in `locale`. A code this server does not know (written by a newer one)
    /// shows as the code.
    pub fn render(&self, locale: Locale) -> String {
        if let Some(id) = self.code.strip_prefix(CORE_PREFIX) {
            return Said {
                id: id.to_owned(),
                args: self.args.clone(),
            }
            .render(locale);
        }
        let Some(code) = self.code() else {
            return self.code.clone();
        };
        let mut args = FluentArgs::new();
        for (name, value) in &self.args {
            let v: FluentValue<'static> = match value {
                SaidArg::Int(n) => num(*n as f64),
                SaidArg::Text(t) => t.clone().into(),
                SaidArg::Word { prefix, word: w } => {
                    // The server's words first (`role-…`, `link-…`), else the core's.
                    let id = word_id(prefix, w);
                    if CATALOGUE.has(locale, &id) {
                        CATALOGUE.format(locale, &id, None).into()
                    } else {
                        word(locale, prefix, w).into()
                    }
                }
                SaidArg::Label { zh_cn, en } => match locale {
                    Locale::ZhCn => zh_cn.clone().into(),
                    Locale::En => en.clone().into(),
                },
                SaidArg::Said(s) => s.render(locale).into(),
                SaidArg::List(l) => join(l.iter().map(|s| s.render(locale)), locale).into(),
            };
            args.set(name.clone(), v);
        }
        CATALOGUE.format(locale, &code.message_id(), Some(&args))
    }

    /// As JSON for a database column.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Parses [`Stored::to_json`]; `None` for anything else (a row from before 0015).
    pub fn from_json(s: &str) -> Option<Stored> {
        serde_json::from_str(s).ok()
    }
}

/// A list of sentences as JSON for a database column.
pub fn list_to_json(list: &[Stored]) -> String {
    serde_json::to_string(list).unwrap_or_else(|_| "[]".into())
}

/// Parses [`list_to_json`] (empty for anything else).
pub fn list_from_json(s: Option<&str>) -> Vec<Stored> {
    s.and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default()
}

/// The Chinese words of `list` (the word columns older servers read).
pub fn zh_cn(list: &[Stored]) -> Vec<String> {
    list.iter().map(|s| s.render(Locale::ZhCn)).collect()
}

/// Words for a reader: the sentence in `locale` when there is one, else the words stored
/// before it (a row older than migration 0015).
pub fn words(said: Option<&Stored>, legacy: &str, locale: Locale) -> String {
    said.map_or_else(|| legacy.to_owned(), |s| s.render(locale))
}

/// Optional words for a reader: the sentence in `locale`, else the words stored (if any).
pub fn words_opt(said: Option<&Stored>, legacy: Option<&str>, locale: Locale) -> Option<String> {
    match said {
        Some(s) => Some(s.render(locale)),
        None => legacy.map(str::to_owned),
    }
}

/// Sentences for a reader: rendered in `locale` when stored as codes, else as stored.
pub fn words_list(said: &[Stored], legacy: &[String], locale: Locale) -> Vec<String> {
    if said.is_empty() {
        legacy.to_vec()
    } else {
        said.iter().map(|s| s.render(locale)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One sentence of every code, with the arguments its words name (the match fails to
    /// compile when a code is added: give it words in both locales and a sample here).
    fn sample(c: Code) -> Stored {
        let s = c.said();
        match c {
            Code::ClockSkew => s.arg("seconds", 7200i64).arg("direction", "ahead"),
            Code::FactAfterCancellation | Code::FactAfterReassignment => s.arg("kind", "arrive"),
            Code::SettlementDiffers => s.arg("settled", 100i64).arg("consented", 120i64),
            Code::StockShortOnJob | Code::StockShort => {
                s.arg("quantity", 3i64).arg("sku", "P-1").arg("held", 1i64)
            }
            Code::StockCountDiffers => s.arg("counted", 3i64).arg("sku", "P-1").arg("held", 1i64),
            Code::CompletionHeld => s.arg("count", 2i64),
            Code::AuditTechnician => s.arg("technician", "t-1"),
            Code::AuditTechnicianMisfit => s.arg("technician", "t-1").arg("codes", "skill"),
            Code::AuditCodeValid => s.arg("minutes", 30i64),
            Code::AuditCodesUnused | Code::AuditFailuresInARow => s.arg("count", 2i64),
            Code::AuditRole => s.word("role", "role-", "dispatcher"),
            Code::AuditChildOf => s
                .word("kind", "link-", "redelivery")
                .arg("parent", "j-1")
                .arg("technician", "t-1"),
            Code::AuditCallbackRules => s
                .arg("installations", 1i64)
                .arg("complaints", 0i64)
                .arg("sample", 10i64)
                .arg("within", 7i64)
                .arg("seed", 1i64),
            Code::AuditCallbackCall => s.arg("outcome", "answered_repair"),
            Code::AuditComplaintChannel => s.arg("channel", "phone"),
            Code::AuditComplaintChange => s.arg("change", "assess"),
            Code::AuditCalendarYears => s.arg("years", "2026,2027"),
            Code::AuditSlaVersion => s.arg("version", 3i64),
            Code::AuditCashHandIn => s.arg("day", "2026-01-02").arg("amount", 12_800i64),
            Code::AuditEmployeeNumber => s.arg("number", "FK-001"),
            Code::AuditSparesMinimum => s.arg("sku", "P-1").arg("minimum", 2i64),
            Code::AuditSparesQuantity => s.arg("sku", "P-1").arg("quantity", 2i64),
            Code::AuditTool => s.arg("tool", "tool-1").arg("asset", "A-1"),
            Code::AuditInvoice => s
                .arg("settlement", "s-1")
                .arg("number", "INV-1")
                .arg("issued_on", "2026-01-02"),
            Code::AuditPublished => s.arg("what", "fee_schedule"),
            Code::SignatureRefused
            | Code::RedeliveryRequested
            | Code::SecondCompletion
            | Code::CompletedAfterCancellation
            | Code::CompletedAfterReassignment
            | Code::UnknownJob
            | Code::UnknownEntity
            | Code::StockBadEntity
            | Code::StockEntityMismatch
            | Code::NotAStockOp
            | Code::StockQuantityRange
            | Code::UnknownReplenishment
            | Code::JobCancelledFact
            | Code::JobReassignedFact
            | Code::AlreadyCompleted
            | Code::CompletionKeptCancelled
            | Code::CompletionKeptReassigned
            | Code::AuditAccountDisabled
            | Code::AuditWrongPassword => s,
        }
    }

    #[test]
    fn every_code_has_words_in_both_locales_and_round_trips() {
        let mut seen = std::collections::HashSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()), "{} twice", c.as_str());
            assert_eq!(Code::parse(c.as_str()), Some(c));
            let s = sample(c);
            assert_eq!(Stored::from_json(&s.to_json()), Some(s.clone()));
            for l in Locale::ALL {
                assert!(CATALOGUE.has(l, &c.message_id()), "{l}: {}", c.message_id());
                let words = s.render(l);
                // Every placeable filled: Fluent writes a missing one as `{$name}`.
                assert!(!words.contains('{'), "{l}: {}: {words}", c.as_str());
            }
            assert!(s.render(Locale::ZhCn).chars().any(crate::i18n::is_cjk));
            assert_ne!(s.render(Locale::ZhCn), s.render(Locale::En));
        }
    }

    #[test]
    fn every_stored_message_is_a_code() {
        for l in Locale::ALL {
            for id in CATALOGUE.ids(l).filter(|i| i.starts_with("stored-")) {
                assert!(
                    Code::ALL.iter().any(|c| c.message_id() == id),
                    "{l}: {id} names no code"
                );
            }
        }
    }

    #[test]
    fn core_sentences_render_through_the_phone_catalogue() {
        let s: Stored = Said::new("check-chain-breaks").arg("count", 2i64).into();
        assert_eq!(s.code, "core.check-chain-breaks");
        let back = Stored::from_json(&s.to_json()).unwrap();
        assert!(back.render(Locale::ZhCn).chars().any(crate::i18n::is_cjk));
        assert!(back.render(Locale::En).contains("hash chain"));
    }

    #[test]
    fn unknown_codes_and_old_rows_fall_back() {
        let s = Stored {
            code: "from_a_newer_server".into(),
            args: BTreeMap::new(),
        };
        assert_eq!(s.render(Locale::ZhCn), "from_a_newer_server");
        assert_eq!(words(None, "as stored", Locale::En), "as stored");
        assert_eq!(Stored::from_json("the device's clock is 1 s ahead"), None);
    }

    #[test]
    fn text_arguments_are_capped() {
        let s = Code::StockShort.said().arg("sku", "x".repeat(100_000));
        assert!(s.text("sku").unwrap().chars().count() <= fieldkit_core::i18n::MAX_TEXT_ARG + 1);
    }
}
