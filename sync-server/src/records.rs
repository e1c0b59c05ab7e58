//! The server's record types in one place: technicians and devices, jobs, completions and
//! their flags, the desk's accounts and reads, the completions feed and webhooks, and the
//! facts the measures are computed from. Plain data (with the few methods that read it): the
//! bottom layer, importing nothing from the crate, so the rules ([`crate::push`],
//! [`crate::measures`], [`crate::storage::plan_job_change`]) and the storage backends can
//! all use them without using each other. The modules that used to define them re-export
//! them ([`crate::storage`], [`crate::storage::dashboard`], [`crate::storage::webhooks`],
//! [`crate::push`], [`crate::measures`]), so their old paths still work.

use fieldkit_core::model::{DeviceId, JobKind, TimeWindow, WorkOrder, Zone};
use fieldkit_core::sync::protocol::{Change, Op};
use serde::{Deserialize, Serialize};

use crate::stored::{self, Stored};

mod wire;

// Technicians, devices and enrolment codes.

/// A technician the desk dispatches work to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Technician {
    pub id: String,
    pub name: String,
    /// ms since the epoch.
    pub created_at: i64,
}

/// An enrolled device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRecord {
    pub id: DeviceId,
    pub technician_id: String,
    pub enrolled_at: i64,
    pub revoked_at: Option<i64>,
    /// The highest op `seq` the server has a final answer for.
    pub last_seq: i64,
    /// The Ed25519 key (hex) its pushes must be signed with; `None` for a device enrolled
    /// before keys, which must enrol again to push.
    pub public_key: Option<String>,
}

/// An enrolment code as listed: the code itself is never stored, only when it expires and
/// which device used it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeRecord {
    /// The id to revoke it by (`None` for codes made before ids).
    pub id: Option<String>,
    pub technician_id: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_by: Option<String>,
    pub revoked_at: Option<i64>,
}

// Jobs.

/// A work order as the server holds it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    /// Dispatcher-owned fields and the status as the desk sees it.
    pub order: WorkOrder,
    /// The technician it is assigned to, if any.
    pub technician_id: Option<String>,
    pub cancel_reason: Option<String>,
    /// When a completion arrived (server time, ms).
    pub completed_at: Option<i64>,
    pub updated_at: i64,
}

/// A dispatcher's change to a job.
#[derive(Clone, Debug, PartialEq)]
pub enum JobChange {
    /// Assign (or reassign) to a technician.
    Assign { technician_id: String },
    /// Move the promised window.
    Reschedule { window: TimeWindow },
    /// Cancel the job.
    Cancel { reason: String },
}

/// What a dispatcher's change does: the job as it will be, the changes to queue (for which
/// technician) and a technician newly given the job (its scope grows).
pub struct JobPlan {
    pub job: JobRecord,
    pub changes: Vec<(String, Change)>,
    pub scope: Option<String>,
}

// Pushes, completions and flags.

/// Settings of push handling.
#[derive(Clone, Copy, Debug)]
pub struct PushPolicy {
    /// Device clocks further than this from the server's are flagged (ms).
    pub max_clock_skew_ms: i64,
}

impl Default for PushPolicy {
    fn default() -> Self {
        Self {
            max_clock_skew_ms: 10 * 60 * 1000,
        }
    }
}

/// Something the dispatcher should look at, raised while applying a device's ops.
///
/// Serialized with `detail` in the reader's language ([`crate::i18n::current`]) and the
/// sentence's `code` and `args` beside it (absent for a flag stored before migration 0015,
/// whose `detail` is its words as stored).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Flag {
    pub work_order_id: Option<String>,
    pub op_id: Option<String>,
    pub device_id: String,
    /// `checklist_gate`, `timeline_chain`, `signature`, `completed_after_cancellation`,
    /// `completed_after_reassignment`, `fact_after_cancellation`, `fact_after_reassignment`,
    /// `clock_skew`, `signature_refused`, `redelivery_requested`, `settlement_differs`,
    /// `stock_short`, `stock_count_differs`.
    pub kind: String,
    /// The words stored with the flag: a flag from before migration 0015 says it in English;
    /// a newer one keeps its Chinese words here (what an older server shows) and its
    /// sentence in `said`. Read [`Flag::detail_in`].
    pub detail: String,
    /// What it says, as a code and arguments (none for a flag from before 0015).
    #[serde(flatten, default)]
    pub said: Option<Stored>,
    pub created_at: i64,
}

impl Flag {
    /// A flag saying `said` (its stored words are the Chinese ones).
    pub fn new(
        work_order_id: Option<String>,
        op_id: Option<String>,
        device_id: String,
        kind: &str,
        said: Stored,
        created_at: i64,
    ) -> Flag {
        Flag {
            work_order_id,
            op_id,
            device_id,
            kind: kind.to_owned(),
            detail: said.render(crate::i18n::Locale::ZhCn),
            said: Some(said),
            created_at,
        }
    }

    /// Its detail in `locale` (as stored for a flag from before 0015).
    pub fn detail_in(&self, locale: crate::i18n::Locale) -> String {
        stored::words(self.said.as_ref(), &self.detail, locale)
    }
}

/// A checking completion held by its drawing check's `flags`: their sentences join its
/// reasons (`reasons` the stored words, `codes` the sentences). A completion stored before
/// migration 0015 with reasons in words only keeps words only.
pub fn held_by_flags(reasons: &mut Vec<String>, codes: &mut Vec<Stored>, flags: &[Flag]) {
    let words_only = codes.is_empty() && !reasons.is_empty();
    for f in flags {
        reasons.push(f.detail.clone());
        if !words_only && let Some(s) = &f.said {
            codes.push(s.clone());
        }
    }
}

/// A completion as received from a device.
///
/// Serialized with `reasons` in the reader's language ([`crate::i18n::current`]) and
/// `reason_codes` (each `{code, args}`) beside them (empty for a completion stored before
/// migration 0015, whose `reasons` are its words as stored).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Completion {
    pub op_id: String,
    pub work_order_id: String,
    pub technician_id: String,
    pub device_id: String,
    /// The device's clock at completion (ms).
    pub completed_at_device: i64,
    /// When the server received it (ms).
    pub received_at: i64,
    /// What the device was answered: `applied`, or `conflict` (held for the desk, or the job
    /// was cancelled or reassigned meanwhile).
    pub outcome: String,
    /// Where the completion stands: `checking` (its signature drawings are being checked),
    /// `counted`, `held` (for the desk), `released` or `rejected` (by the desk), or
    /// `conflict` (kept as a fact: the job was cancelled or reassigned). Only `counted` and
    /// `released` count (board, measures, feed).
    #[serde(default)]
    pub state: String,
    /// Why it is held or a conflict (no personal data), in the words stored: English before
    /// migration 0015, Chinese since (read [`Completion::reasons_in`]).
    #[serde(default)]
    pub reasons: Vec<String>,
    /// The same as codes and arguments (empty before 0015).
    #[serde(default)]
    pub reason_codes: Vec<Stored>,
    /// The desk's decision on a held completion, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
    pub flags: Vec<Flag>,
    /// The signature drawings are still being checked (more flags may come).
    #[serde(default)]
    pub checks_pending: bool,
}

impl Completion {
    /// Why it is held or a conflict, in `locale` (as stored before 0015).
    pub fn reasons_in(&self, locale: crate::i18n::Locale) -> Vec<String> {
        stored::words_list(&self.reason_codes, &self.reasons, locale)
    }
}

/// The desk's decision on a held completion (audited).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// Who decided: a dispatcher's login, or `admin-token`.
    pub by: String,
    /// When (ms).
    pub at: i64,
    /// Why, in the desk's words.
    pub note: Option<String>,
}

/// What the desk does with a held completion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ruling {
    /// It counts after all (the desk checked the visit another way).
    Release,
    /// It never counts.
    Reject,
}

/// Where a completion stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CompletionState {
    /// The rules passed; the signature drawings are being checked.
    Checking,
    /// A completion of the job: on the board, in the measures and the feed.
    Counted,
    /// The rules found problems: waiting for the desk.
    Held,
    /// Held, then released by the desk: counted.
    Released,
    /// Held, then rejected by the desk: never counted.
    Rejected,
    /// Completed after the desk cancelled or reassigned the job: kept as a fact, flagged.
    Conflict,
}

impl CompletionState {
    /// Every state.
    pub const ALL: [CompletionState; 6] = [
        Self::Checking,
        Self::Counted,
        Self::Held,
        Self::Released,
        Self::Rejected,
        Self::Conflict,
    ];

    /// The stable name used in storage and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Checking => "checking",
            Self::Counted => "counted",
            Self::Held => "held",
            Self::Released => "released",
            Self::Rejected => "rejected",
            Self::Conflict => "conflict",
        }
    }

    /// Parses [`CompletionState::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// It counts: on the board, in the measures and the completions feed.
    pub fn counts(self) -> bool {
        matches!(self, Self::Counted | Self::Released)
    }
}

/// A completion waiting for its signature drawings to be checked ([`crate::drawings`]).
#[derive(Clone, Debug)]
pub struct DrawingCheck {
    /// The completion op.
    pub op_id: String,
    pub work_order_id: String,
    pub device_id: String,
    /// The device's `sign` ops on the job and the completion, in `seq` order, up to the
    /// completion.
    pub ops: Vec<fieldkit_core::sync::protocol::Op>,
}

// The desk: dispatcher accounts, sessions, and what the board and admin pages read.

/// What a desk account may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything a dispatcher does, and manages accounts, technicians, enrolment codes
    /// and devices, and reads the audit log.
    Administrator,
    /// Works the jobs: the board, new jobs, CSV, a job's changes and rulings, the flags
    /// and the measures.
    Dispatcher,
}

impl Role {
    /// Both roles.
    pub const ALL: [Role; 2] = [Role::Administrator, Role::Dispatcher];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Administrator => "administrator",
            Self::Dispatcher => "dispatcher",
        }
    }

    /// Parses [`Role::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// A dispatcher who can log in to the dashboard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DispatcherAccount {
    pub id: String,
    /// What they type to log in (unique, case as given).
    pub login: String,
    /// The PHC string of an argon2id hash.
    pub password_hash: String,
    pub created_at: i64,
    pub role: Role,
    /// When an administrator disabled it (it cannot log in, its sessions ended); `None`:
    /// active.
    pub disabled_at: Option<i64>,
}

/// A logged-in dispatcher's session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    pub dispatcher_id: String,
    pub login: String,
    /// The token every form of this session carries.
    pub csrf: String,
    pub created_at: i64,
    /// The end of the session however active it is.
    pub expires_at: i64,
    /// The last request the dispatcher made (the idle timeout counts from it).
    pub last_seen_at: i64,
    /// The account's role, as read with the session (ignored when a session is created).
    pub role: Role,
}

/// One line of the audit log: who did what, when, from where.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct AuditEntry {
    /// Its number, in the order written (0 when not yet stored).
    pub id: i64,
    /// ms since the epoch, by the server's clock.
    pub at: i64,
    /// The account that acted (`None`: the admin token, or a login that failed).
    pub actor_id: Option<String>,
    /// Its login as it was then, `admin-token`, or what a failed login was for.
    pub actor: String,
    /// What was done (`job_created`, `login_failed`…: the desk's audit actions).
    pub action: String,
    /// What it was done to (a job, device, technician or account id), if anything.
    pub target: Option<String>,
    /// A short detail without personal data (a role, a ruling, a count), in the words stored:
    /// English before migration 0015, Chinese since (read [`AuditEntry::detail_in`]).
    pub detail: Option<String>,
    /// The same as a code and arguments (none before 0015). On the wire: `detail_code`,
    /// `detail_args`.
    #[serde(skip_deserializing)]
    pub detail_said: Option<Stored>,
    /// The client's address.
    pub from_addr: String,
}

impl AuditEntry {
    /// Its detail in `locale` (as stored before 0015).
    pub fn detail_in(&self, locale: crate::i18n::Locale) -> Option<String> {
        match &self.detail_said {
            Some(s) => Some(s.render(locale)),
            None => self.detail.clone(),
        }
    }
}

/// The failed logins counted against one login name (the per-account backoff).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoginFailures {
    /// Failures in a row (a success or a quiet spell resets them).
    pub failures: i64,
    /// When the last one was.
    pub last_failure_at: i64,
}

/// One visit fact of a job the board shows (the ops that move a visit along).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobActivity {
    pub work_order_id: String,
    pub kind: String,
    pub device_time: i64,
    pub received_at: i64,
}

/// The op kinds that move a job along the board (see [`crate::dashboard::board`]).
pub const STAGE_KINDS: [&str; 13] = [
    "accept",
    "start_travel",
    "arrive",
    "start_work",
    "pause",
    "resume",
    "complete",
    "no_access",
    "await_parts",
    "refuse_signature",
    "decline_quote",
    "need_second_visit",
    "request_redelivery",
];

/// An op the server refused: the dispatcher should know why.
///
/// Serialized with `reason` in the reader's language and `reason_code`, `reason_args`
/// beside it (absent for an op stored before migration 0015).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct RejectedOp {
    pub op_id: String,
    pub device_id: String,
    pub entity: String,
    pub entity_id: String,
    pub kind: String,
    /// The rejection code the device was answered with.
    pub code: Option<String>,
    /// The reason in the words stored (English before 0015; read [`RejectedOp::reason_in`]).
    pub reason: Option<String>,
    /// The reason as a code and arguments (none before 0015).
    #[serde(skip_deserializing)]
    pub reason_said: Option<Stored>,
    pub received_at: i64,
}

impl RejectedOp {
    /// Its reason in `locale` (as stored before 0015).
    pub fn reason_in(&self, locale: crate::i18n::Locale) -> Option<String> {
        match &self.reason_said {
            Some(s) => Some(s.render(locale)),
            None => self.reason.clone(),
        }
    }
}

/// One op of a job as the server received it, for the job's timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct TimelineEntry {
    pub op: Op,
    pub device_id: String,
    /// `applied`, `conflict` or `rejected`.
    pub outcome: String,
    pub code: Option<String>,
    /// The reason in the words stored (English before migration 0015).
    pub reason: Option<String>,
    /// The reason as a code and arguments (none before 0015).
    pub reason_said: Option<Stored>,
    /// Server time (ms).
    pub received_at: i64,
}

// The completions feed and webhooks.

/// The only event type today.
pub const COMPLETED_EVENT: &str = "work_order.completed";

/// A webhook subscription as stored (the secret included: it signs every delivery).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewWebhook {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    pub secret: String,
    pub created_at: i64,
}

/// A subscription as listed: no secret, with its deliveries counted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookSummary {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    pub created_at: i64,
    /// Deliveries waiting for their first or next attempt.
    pub pending: i64,
    pub delivered: i64,
    /// Deliveries that gave up after the last attempt (see `redeliver`).
    pub failed: i64,
    /// Why the latest failed attempt failed (status code or network error, no body).
    pub last_error: Option<String>,
}

/// A delivery due now, claimed for a while (its lease) by the worker that got it.
#[derive(Clone, Debug, PartialEq)]
pub struct DueDelivery {
    pub subscription_id: String,
    pub url: String,
    pub secret: String,
    /// Attempts made before this one.
    pub attempts: i64,
    pub feed_seq: i64,
    pub completion: Completion,
    /// The claim's id, presented by its finish: a finish whose claim was taken over (its
    /// lease ran out) records nothing, unless it delivered.
    pub claim: String,
}

/// How an attempt ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttemptResult {
    /// 2xx.
    Delivered { at: i64 },
    /// Try again at `next_at`.
    Retry { next_at: i64, error: String },
    /// No more attempts.
    Failed { error: String },
}

/// One completion in the feed.
#[derive(Clone, Debug, PartialEq)]
pub struct FeedEntry {
    /// The feed's number: increasing, visible in order; the SSE `id:`.
    pub seq: i64,
    pub completion: Completion,
}

// The measures' input: plain facts about work orders and what technicians recorded on
// them, as the storage read returns them (`Storage::measure_facts`).

/// A work order as the desk created it, with the technician's recorded events.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobFacts {
    pub work_order_id: String,
    /// The desk's reference ("WO-…"); not personal data.
    pub number: String,
    pub kind: JobKind,
    /// The response-promise zone of the site (市区 / 郊区), from the work order's site.
    pub zone: Zone,
    /// When the customer called the desk (ms): response time runs from here.
    pub reported_at: i64,
    /// The promised window (ms): the visit's start and end.
    pub promised_start: i64,
    pub promised_end: i64,
    /// The technician the job is assigned to now.
    pub technician_id: Option<String>,
    /// Cancelled by the desk or the customer.
    pub cancelled: bool,
    /// When the desk handled the customer's complaint on this job, if it did (ms).
    pub complaint_handled_at: Option<i64>,
    /// The applied ops on the job (any order).
    pub events: Vec<EventFact>,
}

/// One fact a technician's device recorded on a job (an applied op).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventFact {
    /// The op's kind: `call_customer`, `start_travel`, `arrive`, `start_work`, `pause`,
    /// `resume`, `feedback`, `take_back`, `no_access`, `complete`…
    pub kind: String,
    pub visit_id: Option<String>,
    pub device_id: String,
    /// The op's per-device sequence (a tie-breaker between facts at the same instant).
    pub seq: i64,
    /// The device's clock when the fact was recorded (ms).
    pub device_time: i64,
    /// When the server received it (ms).
    pub received_at: i64,
    /// The device clock's offset from the server's (device − server, ms) measured when this
    /// op's batch arrived, if the batch was flagged `clock_skew`.
    pub skew_ms: Option<i64>,
    /// For `feedback`: the customer's rating (1–5).
    pub rating: Option<u8>,
    /// For `feedback`: the customer wants to complain.
    pub complaint: bool,
    /// For `consent_to_fees` and `settle`: the money it records.
    #[serde(default)]
    pub money: Option<EventMoney>,
    /// For `call_customer` and `notify_delay`: whether the customer was reached, the new ETA.
    #[serde(default)]
    pub notice: Option<EventNotice>,
}

/// What a call to the customer or a delay notice records (no personal data: no note, no
/// reason).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum EventNotice {
    /// `call_customer`: the call reached the customer (a first contact) or not (an attempt).
    Call { reached: bool },
    /// `notify_delay`: the new ETA the customer was given (ms), and whether they were told
    /// before the promised time.
    Delay { new_eta: i64, in_time: bool },
}

/// Cash a technician handed in to the desk for one local day (现金上交), as the desk recorded it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CashHandIn {
    pub id: String,
    pub technician_id: String,
    /// The local day the cash was collected on (YYYY-MM-DD).
    pub day: String,
    /// In fen, more than 0.
    pub amount: i64,
    /// The desk's note (may be empty).
    pub note: String,
    /// Who recorded it (the audit log's actor).
    pub recorded_by: String,
    /// ms since the epoch.
    pub recorded_at: i64,
}

/// The money a fee consent or a settlement records (fen), as the server accepted it: a
/// consent's total is the sum of its items on the published schedule (judged so).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum EventMoney {
    /// `consent_to_fees`.
    Consent { total: i64, agreed: bool },
    /// `settle`.
    Settle {
        amount: i64,
        method: fieldkit_core::model::PaymentMethod,
    },
}

impl EventFact {
    /// When the fact happened by the server's clock: the device time, minus the measured
    /// offset when the batch was flagged `clock_skew`, and never later than the server received
    /// it (a fact cannot happen after it arrived).
    pub fn at(&self) -> i64 {
        self.device_time
            .saturating_sub(self.skew_ms.unwrap_or(0))
            .min(self.received_at)
    }

    /// Whether [`EventFact::at`] differs from the raw device time.
    pub fn corrected(&self) -> bool {
        self.at() != self.device_time
    }
}

/// The invoice the desk issued for a settlement made without one on site (发票, due
/// [`fieldkit_core::model::INVOICE_DUE_DAYS`] days after the settlement), as recorded
/// (migration 0007). One per settlement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceRecord {
    /// The settlement's id (the `settle` op's `id`).
    pub settlement_id: String,
    pub work_order_id: String,
    /// The invoice's number, as printed on it.
    pub number: String,
    /// The day it was issued (YYYY-MM-DD, local).
    pub issued_on: String,
    /// Who recorded it (the audit log's actor).
    pub recorded_by: String,
    /// ms since the epoch.
    pub recorded_at: i64,
}
