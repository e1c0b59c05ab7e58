//! The audit log of the desk: who did what, when and from where, for every desk action
//! (jobs created, assigned, rescheduled, cancelled; held completions released or rejected;
//! complaints handled; technicians added; enrolment codes issued and revoked; devices
//! revoked; templates, fee schedules and parts published; accounts created, disabled,
//! enabled, their roles and passwords changed; logins, failed logins and logouts). The desk
//! operations write it ([`record`]), so the JSON API and the dashboard's pages log alike.
//! Lines carry ids and short words, never a customer's name, phone or address, and never
//! what was typed in a failed login's password.

use crate::msg;
use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;

use crate::auth::{TrustedProxies, client_of};
use crate::error::ApiError;
use crate::i18n::Locale;
use crate::records::{AuditEntry, Role};
use crate::state::AppState;
pub use crate::stored::{Code, Stored};
use crate::t;

/// Who acts: a desk account (by its session) or the holder of the admin token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// The account; `None` for the admin token.
    pub account_id: Option<String>,
    /// The account's login, or [`ADMIN_TOKEN_ACTOR`].
    pub login: String,
    pub role: Role,
    /// The client's address.
    pub from: String,
}

/// How the admin token is named in the audit log.
pub const ADMIN_TOKEN_ACTOR: &str = "admin-token";

impl Actor {
    /// The holder of the admin token (an administrator), calling from `from`.
    pub fn admin_token(from: String) -> Self {
        Self {
            account_id: None,
            login: ADMIN_TOKEN_ACTOR.into(),
            role: Role::Administrator,
            from,
        }
    }

    /// `Forbidden` unless an administrator acts.
    pub fn must_administer(&self) -> Result<(), ApiError> {
        if self.role == Role::Administrator {
            Ok(())
        } else {
            Err(ApiError::Forbidden(msg!("err-admin-only")))
        }
    }
}

/// The client's address as the audit log records it: the real client, as the rate limits
/// see it ([`crate::net::client_ip`]: behind a trusted proxy, its `X-Forwarded-For`). The one
/// place the server decides where a request came from for the log.
pub fn client_addr(parts: &Parts, trusted: &TrustedProxies) -> String {
    client_of(parts, trusted).map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
}

/// The client's address ([`client_addr`]) as an extractor, for the JSON API.
pub struct ClientAddr(pub String);

impl<S> FromRequestParts<S> for ClientAddr
where
    S: Send + Sync,
    TrustedProxies: FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(client_addr(
            parts,
            &TrustedProxies::from_ref(state),
        )))
    }
}

/// What a line of the audit log says was done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Login,
    LoginFailed,
    LoginRefusedBackoff,
    Logout,
    JobCreated,
    JobAssigned,
    JobRescheduled,
    JobCancelled,
    CompletionReleased,
    CompletionRejected,
    ComplaintHandled,
    TechnicianAdded,
    EnrolmentCodeIssued,
    EnrolmentCodesRevoked,
    EnrolmentCodeRevoked,
    DeviceRevoked,
    Published,
    AccountCreated,
    AccountDisabled,
    AccountEnabled,
    RoleChanged,
    PasswordChanged,
    /// A job made from another (a redelivery, a rework…): target the child, detail the link.
    JobChildCreated,
    CashHandedIn,
    /// The invoice of a settlement recorded as issued: target the job, detail the settlement
    /// and the invoice's number and day.
    InvoiceIssued,
    /// A complaint taken in by the desk: target the complaint, detail the channel.
    ComplaintReceived,
    /// A complaint assessed, extended, resolved or its result reported: target the
    /// complaint, detail which.
    ComplaintChanged,
    /// A holiday calendar uploaded: target its version, detail the years it lists.
    HolidayCalendarUploaded,
    /// The callback rules changed: target their version, detail the rules.
    CallbackRulesChanged,
    /// A callback's call recorded: target the callback, detail what it found.
    CallbackRecorded,
    /// A new version of the SLA table set: detail its number.
    SlaChanged,
    /// A technician's profile saved: target the technician, detail the employee number.
    TechnicianProfileChanged,
    /// A van's minimum level of a part set: target the technician, detail part and level.
    StockMinimumSet,
    /// A replenishment request approved: target the request, detail part and quantity.
    ReplenishmentApproved,
    /// A replenishment request issued to the van: target the request, detail as approved.
    ReplenishmentIssued,
    /// A registered tool issued to a technician (004 二 第14条).
    ToolIssued,
    /// A registered tool returned.
    ToolReturned,
    /// A registered tool reported lost, with its report.
    ToolLost,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 38] = [
        Action::Login,
        Action::LoginFailed,
        Action::LoginRefusedBackoff,
        Action::Logout,
        Action::JobCreated,
        Action::JobAssigned,
        Action::JobRescheduled,
        Action::JobCancelled,
        Action::CompletionReleased,
        Action::CompletionRejected,
        Action::ComplaintHandled,
        Action::TechnicianAdded,
        Action::EnrolmentCodeIssued,
        Action::EnrolmentCodesRevoked,
        Action::EnrolmentCodeRevoked,
        Action::DeviceRevoked,
        Action::Published,
        Action::AccountCreated,
        Action::AccountDisabled,
        Action::AccountEnabled,
        Action::RoleChanged,
        Action::PasswordChanged,
        Action::JobChildCreated,
        Action::CashHandedIn,
        Action::InvoiceIssued,
        Action::ComplaintReceived,
        Action::ComplaintChanged,
        Action::HolidayCalendarUploaded,
        Action::CallbackRulesChanged,
        Action::CallbackRecorded,
        Action::SlaChanged,
        Action::TechnicianProfileChanged,
        Action::StockMinimumSet,
        Action::ReplenishmentApproved,
        Action::ReplenishmentIssued,
        Action::ToolIssued,
        Action::ToolReturned,
        Action::ToolLost,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::LoginFailed => "login_failed",
            Self::LoginRefusedBackoff => "login_refused_backoff",
            Self::Logout => "logout",
            Self::JobCreated => "job_created",
            Self::JobAssigned => "job_assigned",
            Self::JobRescheduled => "job_rescheduled",
            Self::JobCancelled => "job_cancelled",
            Self::CompletionReleased => "completion_released",
            Self::CompletionRejected => "completion_rejected",
            Self::ComplaintHandled => "complaint_handled",
            Self::TechnicianAdded => "technician_added",
            Self::EnrolmentCodeIssued => "enrolment_code_issued",
            Self::EnrolmentCodesRevoked => "enrolment_codes_revoked",
            Self::EnrolmentCodeRevoked => "enrolment_code_revoked",
            Self::DeviceRevoked => "device_revoked",
            Self::Published => "published",
            Self::AccountCreated => "account_created",
            Self::AccountDisabled => "account_disabled",
            Self::AccountEnabled => "account_enabled",
            Self::RoleChanged => "role_changed",
            Self::PasswordChanged => "password_changed",
            Self::JobChildCreated => "job_child_created",
            Self::CashHandedIn => "cash_handed_in",
            Self::InvoiceIssued => "invoice_issued",
            Self::ComplaintReceived => "complaint_received",
            Self::ComplaintChanged => "complaint_changed",
            Self::HolidayCalendarUploaded => "holiday_calendar_uploaded",
            Self::CallbackRulesChanged => "callback_rules_changed",
            Self::CallbackRecorded => "callback_recorded",
            Self::SlaChanged => "sla_changed",
            Self::TechnicianProfileChanged => "technician_profile_changed",
            Self::StockMinimumSet => "stock_minimum_set",
            Self::ReplenishmentApproved => "replenishment_approved",
            Self::ReplenishmentIssued => "replenishment_issued",
            Self::ToolIssued => "tool_issued",
            Self::ToolReturned => "tool_returned",
            Self::ToolLost => "tool_lost",
        }
    }

    /// What the dashboard calls it: zh-CN, then en.
    pub fn words(self, l: Locale) -> String {
        t!(l, &format!("audit-{}", self.as_str().replace('_', "-")))
    }

    /// Parses [`Action::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// Writes a line: `actor` did `action` to `target` (an id), now by the server's clock. A
/// line that cannot be written fails the call: the action is done, but the caller hears it
/// was not recorded.
pub async fn record(
    s: &AppState,
    actor: &Actor,
    action: Action,
    target: Option<&str>,
    detail: Option<Stored>,
) -> Result<(), ApiError> {
    s.storage
        .append_audit(AuditEntry {
            id: 0,
            at: s.clock.now_ms(),
            actor_id: actor.account_id.clone(),
            actor: actor.login.clone(),
            action: action.as_str().to_owned(),
            target: target.map(str::to_owned),
            // The Chinese words beside the sentence: what an older server shows.
            detail: detail.as_ref().map(|d| d.render(Locale::ZhCn)),
            detail_said: detail,
            from_addr: actor.from.clone(),
        })
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_names_round_trip_and_are_bilingual() {
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(a));
            for l in Locale::ALL {
                let id = format!("audit-{}", a.as_str().replace('_', "-"));
                assert!(crate::i18n::CATALOGUE.has(l, &id), "{l}: {id}");
            }
            assert!(a.words(Locale::ZhCn).chars().any(crate::i18n::is_cjk));
        }
    }
}
