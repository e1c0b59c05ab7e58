//! The core's public error: one enum, each variant a kind an app can act on. Messages name
//! ids and steps, never customer data.

use crate::checklist::{Blocker, Refusal as ChecklistRefusal, TemplateError};
use crate::workflow::Refusal;

/// Everything a FieldKit call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No such record on this device.
    #[error("{entity} {id} not found")]
    NotFound { entity: &'static str, id: String },

    /// The job or visit is not in a state that allows this.
    #[error(transparent)]
    Refused(#[from] Refusal),

    /// The checklist refuses this answer (out of order, out of range…).
    #[error(transparent)]
    Checklist(#[from] ChecklistRefusal),

    /// Steps still outstanding stop this action.
    #[error("cannot {action}: {}", blockers_text(.blockers))]
    Blocked {
        action: &'static str,
        blockers: Vec<Blocker>,
    },

    /// A value given by the caller is not acceptable.
    #[error("invalid {field}: {reason}")]
    Invalid { field: &'static str, reason: String },

    /// A photo could not be taken in (unknown format, corrupt, too large…).
    #[error("photo: {0}")]
    Photo(#[from] crate::media::photo::PhotoError),

    /// A checklist template is malformed.
    #[error("template: {0}")]
    Template(#[from] TemplateError),

    /// The database was written by a newer app version; it is left untouched.
    #[error(
        "the database is at schema version {found}, newer than this app supports ({supported}); update the app"
    )]
    DatabaseTooNew { found: i64, supported: i64 },

    /// The database key given does not open this device's database (or none was given for
    /// an encrypted one). Nothing on disk was changed: open again with the right key.
    #[error("the database key does not open this device's database; nothing was changed")]
    WrongKey,

    /// SQLite failed.
    #[error("storage: {0}")]
    Storage(#[from] rusqlite::Error),

    /// A file operation failed.
    #[error("file: {0}")]
    Io(#[from] std::io::Error),

    /// The server could not be reached, or did not answer in time, after every retry.
    /// Nothing recorded is lost: the next sync carries on where this one stopped.
    #[error("network: {0}")]
    Network(String),

    /// The server's certificate is not trusted, or the TLS handshake failed: not retried,
    /// since trying again meets the same certificate. Check the server's address and the
    /// extra trust anchors.
    #[cfg(feature = "client")]
    #[error("TLS: {0}")]
    Tls(String),

    /// The server refused the request (its status and machine-readable code): e.g. the
    /// device's token was revoked (401), or an enrolment code is unknown or used.
    #[error("server refused ({status} {code}): {message}")]
    Server {
        status: u16,
        code: String,
        message: String,
    },

    /// The customer's copy could not be made (not signed yet, unusable font…).
    #[cfg(feature = "report")]
    #[error("customer's copy: {0}")]
    Report(#[from] crate::report::ReportError),

    /// This device has not been enrolled with a server yet.
    #[error("this device is not enrolled with a server")]
    NotEnrolled,
}

fn blockers_text(blockers: &[Blocker]) -> String {
    let n = blockers.len();
    let list: Vec<String> = blockers.iter().take(5).map(|b| b.to_string()).collect();
    let more = if n > 5 {
        format!(" (and {} more)", n - 5)
    } else {
        String::new()
    };
    format!("{n} outstanding: {}{more}", list.join("; "))
}

impl Error {
    pub(crate) fn not_found(entity: &'static str, id: impl ToString) -> Self {
        Error::NotFound {
            entity,
            id: id.to_string(),
        }
    }

    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Error::Invalid {
            field,
            reason: reason.into(),
        }
    }
}

/// Shorthand for results of FieldKit calls.
pub type Result<T, E = Error> = std::result::Result<T, E>;
