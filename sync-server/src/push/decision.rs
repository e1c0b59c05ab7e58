//! What push judging decides for one op ([`Decision`]): its outcome, its code, the reason the
//! device is answered with (English, as devices are answered) and the reason stored (a code
//! with arguments, [`crate::stored`]).

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
