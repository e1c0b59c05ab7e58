//! The core's public error: one enum, each variant a kind an app can act on, and its text in
//! the technician's language ([`Error::reason`]; `Display` is the English one). Messages name
//! ids and steps, never customer data.

use std::fmt;

use crate::checklist::{Blocker, Refusal as ChecklistRefusal, TemplateError};
use crate::i18n::{Locale, num, word};
use crate::ptr;
use crate::workflow::Refusal;

/// Everything a FieldKit call can fail with. `Display` writes [`Error::reason`] in English
/// (logs, the server).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No such record on this device.
    NotFound { entity: &'static str, id: String },

    /// The job or visit is not in a state that allows this.
    Refused(#[from] Refusal),

    /// The checklist refuses this answer (out of order, out of range…).
    Checklist(#[from] ChecklistRefusal),

    /// Steps still outstanding stop this action.
    Blocked {
        action: &'static str,
        blockers: Vec<Blocker>,
    },

    /// A value given by the caller is not acceptable.
    Invalid { field: &'static str, reason: String },

    /// A photo could not be taken in (unknown format, corrupt, too large…).
    Photo(#[from] crate::media::photo::PhotoError),

    /// A checklist template is malformed.
    Template(#[from] TemplateError),

    /// The database was written by a newer app version; it is left untouched.
    DatabaseTooNew { found: i64, supported: i64 },

    /// The database key given does not open this device's database (or none was given for
    /// an encrypted one). Nothing on disk was changed: open again with the right key.
    WrongKey,

    /// SQLite failed.
    Storage(#[from] rusqlite::Error),

    /// A file operation failed.
    Io(#[from] std::io::Error),

    /// The server could not be reached, or did not answer in time, after every retry.
    /// Nothing recorded is lost: the next sync carries on where this one stopped.
    Network(String),

    /// The server's certificate is not trusted, or the TLS handshake failed: not retried,
    /// since trying again meets the same certificate. Check the server's address and the
    /// extra trust anchors.
    #[cfg(feature = "client")]
    Tls(String),

    /// The server refused the request (its status and machine-readable code): e.g. the
    /// device's token was revoked (401), or an enrolment code is unknown or used.
    Server {
        status: u16,
        code: String,
        message: String,
    },

    /// The customer's copy could not be made (not signed yet, unusable font…).
    #[cfg(feature = "report")]
    Report(#[from] crate::report::ReportError),

    /// This device has not been enrolled with a server yet.
    NotEnrolled,
}

/// How many blockers a message lists before "and N more".
const LISTED_BLOCKERS: usize = 5;

impl Error {
    /// The error in `locale`, for the technician: names ids and steps, never customer data.
    /// Details that come from elsewhere (SQLite, the network, the server) stay as they came.
    pub fn reason(&self, locale: Locale) -> String {
        match self {
            Error::NotFound { entity, id } => ptr!(
                locale,
                "err-not-found",
                entity = word(locale, "entity-", entity),
                id = id.as_str()
            ),
            Error::Refused(r) => r.reason(locale),
            Error::Checklist(r) => r.reason(locale),
            Error::Blocked { action, blockers } => {
                let n = blockers.len();
                let list: Vec<String> = blockers
                    .iter()
                    .take(LISTED_BLOCKERS)
                    .map(|b| b.reason(locale))
                    .collect();
                let sep = match locale {
                    Locale::ZhCn => "；",
                    Locale::En => "; ",
                };
                ptr!(
                    locale,
                    "err-blocked",
                    action = word(locale, "wf-action-", action),
                    count = num(n as f64),
                    list = list.join(sep),
                    more = num(n.saturating_sub(LISTED_BLOCKERS) as f64)
                )
            }
            Error::Invalid { field, reason } => ptr!(
                locale,
                "err-invalid",
                field = word(locale, "field-", field),
                reason = word(locale, "invalid-", reason)
            ),
            Error::Photo(p) => ptr!(locale, "err-photo", detail = p.reason(locale)),
            Error::Template(t) => ptr!(locale, "err-template", detail = t.to_string()),
            Error::DatabaseTooNew { found, supported } => ptr!(
                locale,
                "err-database-too-new",
                found = found.to_string(),
                supported = supported.to_string()
            ),
            Error::WrongKey => ptr!(locale, "err-wrong-key"),
            Error::Storage(e) => ptr!(locale, "err-storage", detail = e.to_string()),
            Error::Io(e) => ptr!(locale, "err-file", detail = e.to_string()),
            Error::Network(d) => ptr!(locale, "err-network", detail = d.as_str()),
            #[cfg(feature = "client")]
            Error::Tls(d) => ptr!(locale, "err-tls", detail = d.as_str()),
            Error::Server {
                status,
                code,
                message,
            } => ptr!(
                locale,
                "err-server",
                status = status.to_string(),
                code = code.as_str(),
                message = message.as_str()
            ),
            #[cfg(feature = "report")]
            Error::Report(r) => ptr!(locale, "err-report", detail = r.reason(locale)),
            Error::NotEnrolled => ptr!(locale, "err-not-enrolled"),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason(Locale::En))
    }
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
