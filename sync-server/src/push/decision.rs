//! What push judging decides for one op ([`Decision`]): its outcome, its code, the reason in
//! English words and the reason stored (a code with arguments, [`crate::stored`]), and the
//! reason the device is answered with, in its language ([`answer_reason`], [`held_reason`]).

use fieldkit_core::sync::protocol::FirstOutcome;

use crate::i18n::Locale;
use crate::stored::Stored;

/// A decision on one op: outcome, code, the reason the device is answered with (English) and
/// the reason stored (a code and arguments).
pub(super) type Decision = (FirstOutcome, Option<String>, Option<String>, Option<Stored>);

/// Nothing to say: applied.
pub(super) const APPLIED: Decision = (FirstOutcome::Applied, None, None, None);

pub(super) fn refuse(code: &str, said: impl Into<Stored>) -> Decision {
    let said = said.into();
    (
        FirstOutcome::Rejected,
        Some(code.to_owned()),
        Some(said.render(Locale::En)),
        Some(said),
    )
}

/// Refused by the core's rules: their code, their English words, their sentence.
pub(super) fn refused(r: fieldkit_core::sync::replay::Refused) -> Decision {
    let said = r.said.map(Stored::from);
    (FirstOutcome::Rejected, Some(r.code), Some(r.reason), said)
}

pub(super) fn conflict(code: &str, said: impl Into<Stored>) -> Decision {
    let said = said.into();
    (
        FirstOutcome::Conflict,
        Some(code.to_owned()),
        Some(said.render(Locale::En)),
        Some(said),
    )
}

/// A refused or held op's reason as the device is answered: its sentence in the device's
/// language, else the words.
pub(super) fn answer_reason(said: Option<&Stored>, words: Option<&str>, locale: Locale) -> String {
    match said {
        Some(s) => s.render(locale),
        None => words.unwrap_or_default().to_owned(),
    }
}

/// A held completion as the device hears it: the summary, then its first five reasons, in
/// the device's language.
pub(super) fn held_reason(said: Option<&Stored>, reasons: &[Stored], locale: Locale) -> String {
    let head = answer_reason(said, None, locale);
    let list: Vec<String> = reasons.iter().take(5).map(|r| r.render(locale)).collect();
    match locale {
        Locale::ZhCn => format!("{head}：{}", list.join("；")),
        Locale::En => format!("{head}: {}", list.join(" ")),
    }
}
