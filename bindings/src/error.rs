//! The one error type that crosses the FFI, and the one place core errors are mapped to it.
//!
//! Each variant is a kind an app can act on; `reason` is a sentence for the technician in the
//! kit's language ([`speaking`]: zh-CN unless the app said otherwise), from the core's
//! catalogue, which names ids and steps, never customer data.

use fieldkit_core::checklist::Refusal as StepRefusal;
use fieldkit_core::i18n::{Locale, SharedLocale, phone, word};
use fieldkit_core::media::photo::PhotoError;
use fieldkit_core::report::ReportError;

use crate::shared::Blocker;

/// Everything a FieldKit call can fail with. Kotlin: `FieldKitException.<Kind>`; Swift:
/// `FieldKitError.<kind>`.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum FieldKitError {
    /// A value given by the app is not acceptable (empty, too long, malformed id…).
    /// (`field_name`, not `field`: `field` is a keyword inside Kotlin accessors; `reason` is
    /// the whole sentence, naming the field.)
    #[error("{reason}")]
    Validation { field_name: String, reason: String },

    /// No such record on this device.
    #[error("{reason}")]
    NotFound {
        entity: String,
        id: String,
        reason: String,
    },

    /// The job or visit is not in a state that allows this action.
    #[error("{reason}")]
    Refused {
        action: String,
        state: String,
        reason: String,
    },

    /// The checklist refuses this answer: out of order (`missing` lists the steps to do
    /// first), out of range, not applicable…
    #[error("{reason}")]
    StepRefused {
        step: String,
        missing: Vec<String>,
        reason: String,
    },

    /// Steps still outstanding stop this action; each blocker names its step.
    #[error("{reason}")]
    Blocked {
        action: String,
        blockers: Vec<Blocker>,
        reason: String,
    },

    /// A photo could not be taken in: ask for another one.
    #[error("{reason}")]
    Photo {
        problem: PhotoProblem,
        reason: String,
    },

    /// The change conflicts with the server's version (sync: the server answered 409).
    #[error("{reason}")]
    Conflict { reason: String },

    /// The database was written by a newer app version: the app must be updated.
    #[error("{reason}")]
    UpdateRequired { reason: String },

    /// The database key does not open this device's database: nothing was changed. Open
    /// again with the right key (the one the Keystore / Keychain holds for this install).
    #[error("{reason}")]
    WrongKey { reason: String },

    /// The database or a file failed (disk full, I/O error…).
    #[error("{reason}")]
    Storage { reason: String },

    /// The network or the server failed (sync) after every retry; nothing is lost, retry
    /// later.
    #[error("{reason}")]
    Network { reason: String },

    /// The server's certificate is not trusted, or TLS failed (sync): retrying will not help.
    /// Check the server's address, or give the company's CA in `SyncOptions`'s
    /// `extra_trust_anchors_pem`.
    #[error("{reason}")]
    Tls { reason: String },

    /// The server does not accept this device or code (sync): the enrolment code is wrong,
    /// expired or used, or the device was revoked. Enrol (again) with a new code.
    #[error("{reason}")]
    Unauthorized { code: String, reason: String },

    /// The server refused the request for good (sync): retrying it unchanged will not help
    /// (`status` is the HTTP status, `code` the server's machine-readable code).
    #[error("{reason}")]
    Rejected {
        status: i32,
        code: String,
        reason: String,
    },

    /// This device is not enrolled with a server yet: call `enroll` first.
    #[error("{reason}")]
    NotEnrolled { reason: String },

    /// The customer's copy could not be made: no customer signature yet, the signed content
    /// no longer matches its hash, or the font is unusable.
    #[error("{reason}")]
    Report {
        problem: ReportProblem,
        reason: String,
    },

    /// A bug or an unexpected failure (also: an observer threw).
    #[error("{reason}")]
    Internal { reason: String },
}

/// Why a photo was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum PhotoProblem {
    Empty,
    TooLarge,
    UnknownFormat,
    Unsupported,
    Corrupt,
    TooManyPixels,
    Unreadable,
}

/// Why the customer's copy could not be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum ReportProblem {
    NotSigned,
    SignedContentAltered,
    Font,
    Render,
}

/// Shorthand for results of FFI calls.
pub type Result<T, E = FieldKitError> = std::result::Result<T, E>;

/// The language every `reason` is written in: the kit's, set when a kit is opened and by
/// `set_locale`. One per process (an app holds one kit; the last kit opened or switched
/// decides).
static SPEAKING: SharedLocale = SharedLocale::new(Locale::ZhCn);

/// The language `reason`s are written in now.
pub(crate) fn speaking() -> Locale {
    SPEAKING.get()
}

/// Writes every `reason` from now on in `locale`.
pub(crate) fn speak(locale: Locale) {
    SPEAKING.set(locale);
}

/// The locale a BCP 47 tag names (`zh-CN`, `zh-Hans-CN`, `en-US`, `en_GB`…); Chinese for
/// anything FieldKit does not speak, never an error.
pub(crate) fn locale_of_tag(tag: &str) -> Locale {
    Locale::from_tag(tag).unwrap_or_default()
}

impl FieldKitError {
    /// A value given by the app is not acceptable: `field` and `reason` are the FFI's fixed
    /// English words, written in the kit's language (messages `field-…`, `invalid-…`).
    pub(crate) fn validation(field: &str, reason: &str) -> Self {
        Self::validation_in(speaking(), field, reason)
    }

    /// [`FieldKitError::validation`] in `l`.
    fn validation_in(l: Locale, field: &str, reason: &str) -> Self {
        Self::Validation {
            field_name: field.to_owned(),
            reason: fieldkit_core::tr!(
                phone(),
                l,
                "err-invalid",
                field = word(l, "field-", field),
                reason = word(l, "invalid-", reason)
            ),
        }
    }

    /// A failure of the FFI itself (a task that did not finish, a callback that threw):
    /// `detail` names no customer data.
    pub(crate) fn internal(id: &str, detail: &str) -> Self {
        Self::internal_in(speaking(), id, detail)
    }

    /// [`FieldKitError::internal`] in `l`.
    fn internal_in(l: Locale, id: &str, detail: &str) -> Self {
        Self::Internal {
            reason: fieldkit_core::tr!(phone(), l, id, detail = detail.to_owned()),
        }
    }

    /// The one mapping of the core's errors to the FFI's, every `reason` in `locale`.
    pub(crate) fn from_core(e: fieldkit_core::Error, locale: Locale) -> Self {
        use fieldkit_core::Error as E;
        let reason = e.reason(locale);
        match e {
            E::NotFound { entity, id } => Self::NotFound {
                entity: entity.to_owned(),
                id,
                reason,
            },
            E::Refused(r) => Self::Refused {
                action: r.action.to_owned(),
                state: r.state.to_owned(),
                reason,
            },
            E::Checklist(r) => {
                let (step, missing) = match r {
                    StepRefusal::OutOfOrder { step, missing } => (step, missing),
                    StepRefusal::UnknownStep { step }
                    | StepRefusal::NotApplicable { step }
                    | StepRefusal::PhaseNotOpen { step, .. }
                    | StepRefusal::WrongKind { step, .. }
                    | StepRefusal::NeedsEvidence { step }
                    | StepRefusal::OutOfRange { step, .. }
                    | StepRefusal::NotAnOption { step, .. }
                    | StepRefusal::TooShort { step, .. }
                    | StepRefusal::BadSerial { step }
                    | StepRefusal::NotANumber { step }
                    | StepRefusal::ExceptionNotAllowed { step }
                    | StepRefusal::EmptyReason { step }
                    | StepRefusal::WrongSigner { step, .. }
                    | StepRefusal::PartsMismatch { step }
                    | StepRefusal::NotTheSignedCopy { step }
                    | StepRefusal::NothingSigned { step }
                    | StepRefusal::LoanersDiffer { step, .. }
                    | StepRefusal::FindingNotNamed { step }
                    | StepRefusal::NoSaleRecord { step }
                    | StepRefusal::BadReturnFacts { step, .. }
                    | StepRefusal::NotTheReturnDecision { step, .. }
                    | StepRefusal::BadIds { step }
                    | StepRefusal::BadHash { step } => (step, Vec::new()),
                    // A refusal added to the core later still arrives, without its step.
                    #[allow(unreachable_patterns)]
                    _ => (String::new(), Vec::new()),
                };
                Self::StepRefused {
                    step,
                    missing,
                    reason,
                }
            }
            E::Blocked { action, blockers } => Self::Blocked {
                action: action.to_owned(),
                blockers: blockers.into_iter().map(Blocker::from).collect(),
                reason,
            },
            E::Invalid { field, .. } => Self::Validation {
                field_name: field.to_owned(),
                reason,
            },
            E::Photo(p) => Self::Photo {
                problem: match p {
                    PhotoError::Empty => PhotoProblem::Empty,
                    PhotoError::TooLarge { .. } => PhotoProblem::TooLarge,
                    PhotoError::UnknownFormat => PhotoProblem::UnknownFormat,
                    PhotoError::Unsupported(_) => PhotoProblem::Unsupported,
                    PhotoError::Corrupt(_) => PhotoProblem::Corrupt,
                    PhotoError::TooManyPixels { .. } => PhotoProblem::TooManyPixels,
                    PhotoError::Io(_) => PhotoProblem::Unreadable,
                },
                reason,
            },
            E::Template(_) => Self::Validation {
                field_name: "template".to_owned(),
                reason,
            },
            E::DatabaseTooNew { .. } => Self::UpdateRequired { reason },
            E::WrongKey => Self::WrongKey { reason },
            E::Storage(_) | E::Io(_) => Self::Storage { reason },
            E::Network(_) => Self::Network { reason },
            E::Tls(_) => Self::Tls { reason },
            E::NotEnrolled => Self::NotEnrolled { reason },
            E::Report(r) => Self::Report {
                problem: match r {
                    ReportError::NotSigned(_) => ReportProblem::NotSigned,
                    ReportError::SignedContentAltered(_) => ReportProblem::SignedContentAltered,
                    ReportError::Font(_) => ReportProblem::Font,
                    ReportError::Render(_) => ReportProblem::Render,
                },
                reason,
            },
            E::Server { status, code, .. } => match status {
                401 | 403 => Self::Unauthorized { code, reason },
                409 => Self::Conflict { reason },
                // Retried by the client; one that still arrives is the server's trouble.
                s if s >= 500 || s == 408 || s == 429 => Self::Network { reason },
                _ => Self::Rejected {
                    status: i32::from(status),
                    code,
                    reason,
                },
            },
            // A kind added to the core later arrives as Internal until it is mapped here.
            #[allow(unreachable_patterns)]
            _ => Self::Internal { reason },
        }
    }
}

/// Every `?` on a core result: the mapping above, in the kit's language.
impl From<fieldkit_core::Error> for FieldKitError {
    fn from(e: fieldkit_core::Error) -> Self {
        Self::from_core(e, speaking())
    }
}

/// A foreign callback threw something it did not declare (or the call itself failed).
impl From<uniffi::UnexpectedUniFFICallbackError> for FieldKitError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        Self::internal("err-callback", &e.reason)
    }
}

#[cfg(test)]
mod tests;
