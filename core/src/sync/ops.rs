//! The op catalogue: one Rust type per op kind and payload version, shared by the device and
//! the server. Every writer builds its op here ([`JobOp`], [`StockOp`] → `kind` + `payload`)
//! and every reader parses here ([`Op::body`]), so a renamed field is a compile error, not a
//! silently empty string.
//!
//! The wire keeps the payload as JSON ([`Op::payload`]): the job's hash chain is computed over
//! its exact text, so parsing never rewrites it. Parsing is strict: an unknown kind, an unknown
//! version, a missing or unknown field, or a value of the wrong type is an [`OpError`] (the
//! server answers that op `rejected` with [`OpError::code`]; the ops behind it go on).
//!
//! Evolution: [`OP_VERSION`] is the newest payload version this code writes and reads. A
//! payload shape never changes within a version; a new shape is a new version (a new variant
//! here), and every older version stays readable. Payloads written by older apps may carry a
//! `visit_id` field that later versions moved to the op itself: it is accepted when it names
//! the op's own visit. An op of a kind or version this code does not know (a newer app talking
//! to an older server) is refused as `unsupported_op` / `unsupported_version`, with a reason
//! that says to update the server, and kept: the server stores every op with its outcome.

mod payloads;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

pub use super::protocol::OP_VERSION;
use super::protocol::Op;
pub use payloads::*;

/// Why an op's kind, version or payload cannot be read. Messages name fields, never values
/// (a payload may carry a customer's name).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OpError {
    /// Neither `work_order` nor `stock`.
    #[error("the op's entity `{entity}` is not known")]
    UnknownEntity { entity: String },
    /// A kind this code does not know (a newer app, or a forged op).
    #[error("`{kind}` is not an op this server knows: update the server, the op is kept")]
    UnknownKind { kind: String },
    /// A payload version this code does not know.
    #[error(
        "version {version} of `{kind}` is newer than this server knows ({OP_VERSION}): update \
         the server, the op is kept"
    )]
    UnsupportedVersion { kind: String, version: i64 },
    /// The payload does not have the shape of its kind and version.
    #[error("the payload of `{kind}` is not valid: {detail}")]
    BadPayload { kind: String, detail: String },
}

impl OpError {
    /// The machine-readable code a server answers with.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownEntity { .. } => "unknown_entity",
            Self::UnknownKind { .. } => "unsupported_op",
            Self::UnsupportedVersion { .. } => "unsupported_version",
            Self::BadPayload { .. } => "bad_payload",
        }
    }
}

// ---------------------------------------------------------------- the catalogue

/// A fact of a job (entity `work_order`), by kind.
#[derive(Clone, Debug, PartialEq)]
pub enum JobOp {
    Accept,
    CallCustomer(CallCustomerV1),
    Reschedule(RescheduleV1),
    StartTravel,
    NotifyDelay(NotifyDelayV1),
    Arrive(ArriveV1),
    NoAccess(NoAccessV1),
    Cancel(ReasonV1),
    AnswerStep(AnswerStepV1),
    ExceptStep(ExceptStepV1),
    StartWork,
    RecordFinding(RecordFindingV1),
    ConsentToFees(ConsentToFeesV1),
    Pause(ReasonV1),
    Resume,
    TakeBack(Box<TakeBackV1>),
    Feedback(FeedbackV1),
    Complete(CompleteV1),
    AddPhoto(AddPhotoV1),
    RecordPart(RecordPartV1),
    SummaryViewed(SummaryViewedV1),
    Sign(Box<SignV1>),
    AwaitParts(AwaitPartsV1),
    RefuseSignature(RefuseSignatureV1),
    /// `decline_quote`: the customer declined the quote (the reason).
    DeclineQuote(ReasonV1),
    /// `need_second_visit`: another visit is needed (the reason).
    NeedSecondVisit(ReasonV1),
    RequestRedelivery(RequestRedeliveryV1),
    ReturnLoaner(ReturnLoanerV1),
    Settle(SettleV1),
}

/// A van-stock op (entity `stock`, entity id = the part's SKU).
#[derive(Clone, Debug, PartialEq)]
pub enum StockOp {
    Issue(StockMovementV1),
    Use(StockMovementV1),
    Return(StockMovementV1),
    WriteOff(StockMovementV1),
    /// A replenishment the desk issued, received on the van.
    Receive(ReceiveStockV1),
    /// A stock check (盘点): what the technician counted in the van.
    Count(CountStockV1),
}

/// Any op's typed body.
#[derive(Clone, Debug, PartialEq)]
pub enum OpBody {
    Job(JobOp),
    Stock(StockOp),
}

/// Every job op kind, as written on the wire.
pub const JOB_KINDS: [&str; 29] = [
    "accept",
    "call_customer",
    "reschedule",
    "start_travel",
    "notify_delay",
    "arrive",
    "no_access",
    "cancel",
    "answer_step",
    "except_step",
    "start_work",
    "record_finding",
    "consent_to_fees",
    "pause",
    "resume",
    "take_back",
    "feedback",
    "complete",
    "add_photo",
    "record_part",
    "summary_viewed",
    "sign",
    "await_parts",
    "refuse_signature",
    "decline_quote",
    "need_second_visit",
    "request_redelivery",
    "return_loaner",
    "settle",
];

/// Every stock op kind, as written on the wire.
pub const STOCK_KINDS: [&str; 6] = [
    "issue_stock",
    "use_stock",
    "return_stock",
    "write_off_stock",
    "receive_stock",
    "count_stock",
];

fn to_value<T: Serialize>(v: &T) -> Value {
    // Plain structs of strings, numbers and maps: serialising them cannot fail.
    serde_json::to_value(v).unwrap_or(Value::Null)
}

impl JobOp {
    /// The op's kind on the wire.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Accept => "accept",
            Self::CallCustomer(_) => "call_customer",
            Self::Reschedule(_) => "reschedule",
            Self::StartTravel => "start_travel",
            Self::NotifyDelay(_) => "notify_delay",
            Self::Arrive(_) => "arrive",
            Self::NoAccess(_) => "no_access",
            Self::Cancel(_) => "cancel",
            Self::AnswerStep(_) => "answer_step",
            Self::ExceptStep(_) => "except_step",
            Self::StartWork => "start_work",
            Self::RecordFinding(_) => "record_finding",
            Self::ConsentToFees(_) => "consent_to_fees",
            Self::Pause(_) => "pause",
            Self::Resume => "resume",
            Self::TakeBack(_) => "take_back",
            Self::Feedback(_) => "feedback",
            Self::Complete(_) => "complete",
            Self::AddPhoto(_) => "add_photo",
            Self::RecordPart(_) => "record_part",
            Self::SummaryViewed(_) => "summary_viewed",
            Self::Sign(_) => "sign",
            Self::AwaitParts(_) => "await_parts",
            Self::RefuseSignature(_) => "refuse_signature",
            Self::DeclineQuote(_) => "decline_quote",
            Self::NeedSecondVisit(_) => "need_second_visit",
            Self::RequestRedelivery(_) => "request_redelivery",
            Self::ReturnLoaner(_) => "return_loaner",
            Self::Settle(_) => "settle",
        }
    }

    /// The payload version this variant is.
    pub fn version(&self) -> i64 {
        1
    }

    /// The payload as JSON.
    pub fn payload(&self) -> Value {
        match self {
            Self::Accept | Self::StartTravel | Self::StartWork | Self::Resume => {
                Value::Object(Map::new())
            }
            Self::CallCustomer(p) => to_value(p),
            Self::Reschedule(p) => to_value(p),
            Self::NotifyDelay(p) => to_value(p),
            Self::Arrive(p) => to_value(p),
            Self::NoAccess(p) => to_value(p),
            Self::Cancel(p) | Self::Pause(p) => to_value(p),
            Self::AnswerStep(p) => to_value(p),
            Self::ExceptStep(p) => to_value(p),
            Self::RecordFinding(p) => to_value(p),
            Self::ConsentToFees(p) => to_value(p),
            Self::TakeBack(p) => to_value(p),
            Self::Feedback(p) => to_value(p),
            Self::Complete(p) => to_value(p),
            Self::AddPhoto(p) => to_value(p),
            Self::RecordPart(p) => to_value(p),
            Self::SummaryViewed(p) => to_value(p),
            Self::Sign(p) => to_value(p.as_ref()),
            Self::AwaitParts(p) => to_value(p),
            Self::RefuseSignature(p) => to_value(p),
            Self::DeclineQuote(p) | Self::NeedSecondVisit(p) => to_value(p),
            Self::RequestRedelivery(p) => to_value(p),
            Self::ReturnLoaner(p) => to_value(p),
            Self::Settle(p) => to_value(p),
        }
    }

    /// Reads a job op of `kind` and `version` from its payload. `visit_id` is the op's own
    /// visit: a legacy `visit_id` field in the payload must name the same one.
    pub fn parse(
        kind: &str,
        version: i64,
        visit_id: Option<&str>,
        payload: &Value,
    ) -> Result<JobOp, OpError> {
        if !JOB_KINDS.contains(&kind) {
            return Err(OpError::UnknownKind {
                kind: bounded(kind),
            });
        }
        check_version(kind, version)?;
        let p = Payload {
            kind,
            visit_id,
            value: payload,
        };
        Ok(match kind {
            "accept" => p.empty(JobOp::Accept)?,
            "call_customer" => JobOp::CallCustomer(p.read(true)?),
            "reschedule" => JobOp::Reschedule(p.read(true)?),
            "start_travel" => p.empty(JobOp::StartTravel)?,
            "notify_delay" => JobOp::NotifyDelay(p.read(false)?),
            "arrive" => JobOp::Arrive(p.read(true)?),
            "no_access" => JobOp::NoAccess(p.read(true)?),
            "cancel" => JobOp::Cancel(p.read(true)?),
            "answer_step" => JobOp::AnswerStep(p.read(true)?),
            "except_step" => JobOp::ExceptStep(p.read(true)?),
            "start_work" => p.empty(JobOp::StartWork)?,
            "record_finding" => JobOp::RecordFinding(p.read(false)?),
            "consent_to_fees" => JobOp::ConsentToFees(p.read(false)?),
            "pause" => JobOp::Pause(p.read(true)?),
            "resume" => p.empty(JobOp::Resume)?,
            "take_back" => JobOp::TakeBack(Box::new(p.read(true)?)),
            "feedback" => JobOp::Feedback(p.read(false)?),
            "complete" => JobOp::Complete(p.read(true)?),
            "add_photo" => JobOp::AddPhoto(p.read(false)?),
            "record_part" => JobOp::RecordPart(p.read(false)?),
            "summary_viewed" => JobOp::SummaryViewed(p.read(true)?),
            "await_parts" => JobOp::AwaitParts(p.read(false)?),
            "refuse_signature" => JobOp::RefuseSignature(p.read(false)?),
            "decline_quote" => JobOp::DeclineQuote(p.read(false)?),
            "need_second_visit" => JobOp::NeedSecondVisit(p.read(false)?),
            "request_redelivery" => JobOp::RequestRedelivery(p.read(false)?),
            "return_loaner" => JobOp::ReturnLoaner(p.read(false)?),
            "settle" => JobOp::Settle(p.read(false)?),
            _ => JobOp::Sign(Box::new(p.read(false)?)),
        })
    }
}

impl StockOp {
    /// The op's kind on the wire.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Issue(_) => "issue_stock",
            Self::Use(_) => "use_stock",
            Self::Return(_) => "return_stock",
            Self::WriteOff(_) => "write_off_stock",
            Self::Receive(_) => "receive_stock",
            Self::Count(_) => "count_stock",
        }
    }

    /// The movement it records (none for a receipt or a count).
    pub fn movement(&self) -> Option<&StockMovementV1> {
        match self {
            Self::Issue(m) | Self::Use(m) | Self::Return(m) | Self::WriteOff(m) => Some(m),
            Self::Receive(_) | Self::Count(_) => None,
        }
    }

    /// The part's SKU.
    pub fn sku(&self) -> &str {
        match self {
            Self::Issue(m) | Self::Use(m) | Self::Return(m) | Self::WriteOff(m) => &m.sku,
            Self::Receive(r) => &r.sku,
            Self::Count(c) => &c.sku,
        }
    }

    /// The payload as JSON.
    pub fn payload(&self) -> Value {
        match self {
            Self::Issue(m) | Self::Use(m) | Self::Return(m) | Self::WriteOff(m) => to_value(m),
            Self::Receive(r) => to_value(r),
            Self::Count(c) => to_value(c),
        }
    }

    /// Reads a stock op.
    pub fn parse(kind: &str, version: i64, payload: &Value) -> Result<StockOp, OpError> {
        if !STOCK_KINDS.contains(&kind) {
            return Err(OpError::UnknownKind {
                kind: bounded(kind),
            });
        }
        check_version(kind, version)?;
        let p = Payload {
            kind,
            visit_id: None,
            value: payload,
        };
        match kind {
            "receive_stock" => return p.read(false).map(StockOp::Receive),
            "count_stock" => return p.read(false).map(StockOp::Count),
            _ => {}
        }
        let m: StockMovementV1 = p.read(false)?;
        Ok(match kind {
            "issue_stock" => StockOp::Issue(m),
            "use_stock" => StockOp::Use(m),
            "return_stock" => StockOp::Return(m),
            _ => StockOp::WriteOff(m),
        })
    }
}

impl OpBody {
    /// Reads any op's body from its envelope fields.
    pub fn parse(
        entity: &str,
        kind: &str,
        version: i64,
        visit_id: Option<&str>,
        payload: &Value,
    ) -> Result<OpBody, OpError> {
        match entity {
            "work_order" => JobOp::parse(kind, version, visit_id, payload).map(OpBody::Job),
            "stock" => StockOp::parse(kind, version, payload).map(OpBody::Stock),
            other => Err(OpError::UnknownEntity {
                entity: bounded(other),
            }),
        }
    }

    /// The entity on the wire.
    pub fn entity(&self) -> &'static str {
        match self {
            Self::Job(_) => "work_order",
            Self::Stock(_) => "stock",
        }
    }

    /// The kind on the wire.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Job(j) => j.kind(),
            Self::Stock(s) => s.kind(),
        }
    }

    /// The payload as JSON.
    pub fn payload(&self) -> Value {
        match self {
            Self::Job(j) => j.payload(),
            Self::Stock(s) => s.payload(),
        }
    }
}

impl Op {
    /// The op's typed body, or why it cannot be read.
    pub fn body(&self) -> Result<OpBody, OpError> {
        OpBody::parse(
            &self.entity,
            &self.kind,
            self.version,
            self.visit_id.as_deref(),
            &self.payload,
        )
    }

    /// The op's typed job body (`None` for stock ops).
    pub fn job_op(&self) -> Result<Option<JobOp>, OpError> {
        Ok(match self.body()? {
            OpBody::Job(j) => Some(j),
            OpBody::Stock(_) => None,
        })
    }
}

fn check_version(kind: &str, version: i64) -> Result<(), OpError> {
    if version > OP_VERSION {
        return Err(OpError::UnsupportedVersion {
            kind: kind.to_owned(),
            version,
        });
    }
    if version < 1 {
        return Err(OpError::BadPayload {
            kind: kind.to_owned(),
            detail: format!("version {version} does not exist (versions start at 1)"),
        });
    }
    Ok(())
}

/// A name from the wire, cut short so a forged one cannot flood a message.
fn bounded(s: &str) -> String {
    s.chars().take(64).collect()
}

struct Payload<'a> {
    kind: &'a str,
    visit_id: Option<&'a str>,
    value: &'a Value,
}

impl Payload<'_> {
    fn bad(&self, detail: impl Into<String>) -> OpError {
        OpError::BadPayload {
            kind: self.kind.to_owned(),
            detail: detail.into(),
        }
    }

    /// Reads the payload as `T`; with `strip_visit`, a legacy `visit_id` field is taken out
    /// once checked against the op's visit. Read from the payload in place: a copy is made
    /// only for the legacy field (a signature's strokes are thousands of values, and a push
    /// reads each op's body more than once).
    fn read<T: DeserializeOwned>(&self, strip_visit: bool) -> Result<T, OpError> {
        let Value::Object(map) = self.value else {
            return Err(self.bad("the payload is not a JSON object"));
        };
        let read = if strip_visit && let Some(v) = map.get("visit_id") {
            if v.as_str() != self.visit_id || v.is_null() {
                return Err(self.bad("`visit_id` does not name the op's visit"));
            }
            let mut map = map.clone();
            map.remove("visit_id");
            // Through `&Value` too: one deserializer per payload type in the library.
            T::deserialize(&Value::Object(map))
        } else {
            T::deserialize(self.value)
        };
        read.map_err(|e| self.bad(describe(&e)))
    }

    fn empty(&self, op: JobOp) -> Result<JobOp, OpError> {
        let _: NoFieldsV1 = self.read(true)?;
        Ok(op)
    }
}

/// A serde error in words that name fields but never echo values.
fn describe(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    for prefix in ["missing field `", "unknown field `", "duplicate field `"] {
        if let Some(rest) = msg.strip_prefix(prefix)
            && let Some(name) = rest.split('`').next()
        {
            return format!("{}{}`", prefix, bounded(name));
        }
    }
    if msg.starts_with("unknown variant `") {
        return "a value is not one of the names this field allows".to_owned();
    }
    "a field has the wrong type or an invalid value".to_owned()
}

#[cfg(test)]
mod tests;
