//! Wire types of the sync protocol under `/v1`, shared by the device and the server.
//!
//! - Enrolment: `POST /v1/enroll` [`EnrollRequest`] → [`EnrollResponse`]. The device sends the
//!   public half of an Ed25519 key it made, and proves it holds the private half by signing
//!   [`enrolment_message`]; the server binds the device to that key.
//! - Push: `POST /v1/push` [`PushRequest`] → [`PushResponse`] (one [`OpResult`] per op), with
//!   the [`PUSH_SIGNATURE`] header: the device key's signature of [`push_message`] over the
//!   exact JSON body, so a bearer token alone cannot push.
//! - Pull: `GET /v1/pull?cursor=N&limit=M` ([`PullQuery`]) → [`PullResponse`].
//! - Blobs: `POST /v1/blobs/missing` [`MissingBlobsRequest`] → [`MissingBlobsResponse`];
//!   `PUT /v1/blobs/{sha256}` with [`UPLOAD_OFFSET`] and [`UPLOAD_LENGTH`] headers, body = the
//!   bytes from that offset; `HEAD`/`GET /v1/blobs/{sha256}` → [`BlobStatus`] (the server's
//!   offset, to resume from).
//! - Every 4xx/5xx carries an [`ErrorBody`].
//!
//! Requests refuse unknown fields (a typo is a 400, not a silently ignored field); responses
//! are read leniently so a newer server can add fields.

use serde::{Deserialize, Serialize};

use crate::model::{DeviceId, FeeSchedule, OpId, Part, WorkOrder, WorkOrderId};

/// The path prefix of this protocol version.
pub const PREFIX: &str = "/v1";
/// Most ops in one push.
pub const MAX_PUSH_OPS: usize = 500;
/// Default page size of a pull.
pub const DEFAULT_PULL_LIMIT: i64 = 100;
/// Largest page size of a pull.
pub const MAX_PULL_LIMIT: i64 = 1000;
/// Most hashes in one `blobs/missing` question.
pub const MAX_MISSING_HASHES: usize = 1000;
/// Request header: the byte offset of the chunk in the body of a blob `PUT`; response
/// header of `HEAD`/`GET`/`PUT`: how many bytes the server holds.
pub const UPLOAD_OFFSET: &str = "upload-offset";
/// Request header: the blob's full length, on every chunk.
pub const UPLOAD_LENGTH: &str = "upload-length";
/// Header of a push: the device's clock when sending (ms since the epoch), so the server can
/// tell clock skew from ops legitimately made offline hours ago.
pub const DEVICE_TIME: &str = "fieldkit-device-time";
/// Header of a push: the device key's Ed25519 signature (128 hex digits) of
/// [`push_message`] over the request's JSON body (before any `Content-Encoding`).
pub const PUSH_SIGNATURE: &str = "fieldkit-signature";
/// Length of an Ed25519 public key in hex.
pub const PUBLIC_KEY_HEX_LEN: usize = 64;
/// Length of an Ed25519 signature in hex.
pub const SIGNATURE_HEX_LEN: usize = 128;

/// What a device signs to prove, at enrolment, that it holds the key it sends: the code as
/// sent, the device id and the public key (hex), under a domain tag.
pub fn enrolment_message(code: &str, device_id: DeviceId, public_key_hex: &str) -> Vec<u8> {
    format!("fieldkit-enrol-v1\n{device_id}\n{public_key_hex}\n{code}").into_bytes()
}

/// What a device signs for each push: a domain tag, its id, then the exact JSON body bytes.
pub fn push_message(device_id: DeviceId, body: &[u8]) -> Vec<u8> {
    let mut m = format!("fieldkit-push-v1\n{device_id}\n").into_bytes();
    m.extend_from_slice(body);
    m
}

/// The newest op payload version this code writes and reads (the op catalogue, `ops`, builds
/// and parses payloads up to it).
pub const OP_VERSION: i64 = 1;

/// One op of a device's journal, as stored in its outbox and as pushed to the server.
///
/// Ops are intent-level facts (`arrive`, `answer_step`, `record_part`…). For a job
/// (`entity == "work_order"`) the op is also the job's timeline event: `op_id` is the event
/// id, `device_time` its time, and `hash` chains it to the job's previous event
/// (`media::chain::event_hash`, over the exact `payload.to_string()`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Op {
    /// UUIDv7 made on the device: the idempotency key.
    pub op_id: OpId,
    /// Gapless per-device sequence, from 1.
    pub seq: i64,
    /// What the op is about: `"work_order"` (a job's fact) or `"stock"` (the van's stock).
    pub entity: String,
    /// The work order id, or the part's SKU for stock.
    pub entity_id: String,
    /// The visit the fact belongs to, if any.
    pub visit_id: Option<String>,
    /// Intent-level name: `"arrive"`, `"answer_step"`, `"record_part"`…
    pub kind: String,
    /// Version of the payload's shape; the server accepts older versions.
    pub version: i64,
    /// The facts of the op (shape given by `kind` and `version`).
    pub payload: serde_json::Value,
    /// Hybrid logical clock stamp (encoded, sorts as text).
    pub hlc: String,
    /// The device's wall clock when the op was made, in ms since the epoch.
    pub device_time: i64,
    /// The job timeline's hash chain at this op (`None` for ops that are not job events).
    pub hash: Option<String>,
}

// ---------------------------------------------------------------- enrolment

/// `POST /v1/enroll`: a device exchanges a one-time code from the desk for a token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrollRequest {
    /// The one-time enrolment code the dispatcher gave the technician.
    pub code: String,
    /// The id the device made for itself (UUIDv7).
    pub device_id: DeviceId,
    /// The device's Ed25519 public key, 64 hex digits: every push must be signed with it.
    pub public_key: String,
    /// The key's Ed25519 signature (128 hex digits) of
    /// [`enrolment_message`]`(code, device_id, public_key)`: proof the device holds it.
    pub proof: String,
}

/// The answer to an enrolment. The server keeps only the token's hash; repeating the same
/// enrolment (same code, device and key: a retry after a lost answer) returns the same token
/// and changes nothing.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollResponse {
    pub device_id: DeviceId,
    /// The technician this device now works for.
    pub technician_id: String,
    /// Bearer token for every other device route.
    pub token: String,
    /// The technician's card (absent from older servers; older apps ignore it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<TechnicianCard>,
    /// The op encodings this server reads beyond the first protocol's ([`ACCEPTS`]); an older
    /// server sends none, and the device then writes every op the first way.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accepts: Vec<String>,
}

/// A `sign` op may carry its strokes packed ([`crate::media::packed`], field
/// `strokes_packed`) instead of as JSON points.
pub const ACCEPTS_PACKED_STROKES: &str = "sign.strokes_packed";
/// What this version's server reads beyond the first protocol, told to devices on enrolment
/// and on every pull so they write nothing an older server would refuse.
pub const ACCEPTS: &[&str] = &[ACCEPTS_PACKED_STROKES];

/// The technician (name, 工号) and the service hotline, for the `id_badge` step and the copy:
/// an optional field of answers, never a [`Change`] (older apps could not read a new type).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TechnicianCard {
    pub technician_id: String,
    pub name: String,
    /// 工号, once the desk saved the technician's profile.
    #[serde(default)]
    pub employee_number: Option<String>,
    /// The company's service hotline (服务热线), when the server has one set.
    #[serde(default)]
    pub service_hotline: Option<String>,
}

impl std::fmt::Debug for EnrollResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnrollResponse")
            .field("device_id", &self.device_id)
            .field("technician_id", &self.technician_id)
            .finish_non_exhaustive()
    }
}

// ---------------------------------------------------------------- push

/// `POST /v1/push`: outbox ops in `seq` order, at most [`MAX_PUSH_OPS`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    pub ops: Vec<Op>,
}

/// The answer to a push: one result per op, in the order sent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PushResponse {
    pub results: Vec<OpResult>,
    /// Every op with `seq <= acked_through` has a final answer (applied, duplicate, rejected
    /// or conflict) that is durably stored: the device may drop them from its outbox.
    pub acked_through: i64,
}

/// What became of one op.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpResult {
    pub op_id: OpId,
    pub seq: i64,
    #[serde(flatten)]
    pub outcome: OpOutcome,
}

/// The server's answer for one op.
///
/// JSON: `{"outcome": "applied"}`, `{"outcome": "rejected", "code": "...", "reason": "..."}`…
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum OpOutcome {
    /// Stored now, exactly once.
    Applied,
    /// Already had it (same op id, same body): nothing changed. `first` is what the first
    /// delivery got, with its code and reason if it was not applied.
    Duplicate {
        first: FirstOutcome,
        code: Option<String>,
        reason: Option<String>,
    },
    /// Not accepted (the op is invalid or not this technician's to make). Final: the ops
    /// behind it are still processed. `code` is machine-readable, `reason` for people.
    Rejected { code: String, reason: String },
    /// Kept as a fact, but it contradicts the desk's side (the job was cancelled or
    /// reassigned meanwhile): the dispatcher sees it flagged. Final.
    Conflict { code: String, reason: String },
    /// Not processed: the server expected `seq == expected` first. Resend from there.
    Gap { expected: i64 },
}

impl OpOutcome {
    /// The server has a final answer: the device may drop the op (see `acked_through`).
    pub fn is_final(&self) -> bool {
        !matches!(self, OpOutcome::Gap { .. })
    }
}

/// The outcome of an op's first delivery, as repeated for a duplicate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FirstOutcome {
    Applied,
    Rejected,
    Conflict,
}

impl FirstOutcome {
    /// The stable snake_case name used in storage and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::Rejected => "rejected",
            Self::Conflict => "conflict",
        }
    }

    /// Parses the name written by [`FirstOutcome::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Applied, Self::Rejected, Self::Conflict]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

// ---------------------------------------------------------------- pull

/// `GET /v1/pull?cursor=N&limit=M`: changes after `cursor` (0 = from the start).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PullQuery {
    #[serde(default)]
    pub cursor: i64,
    /// Page size, 1 to [`MAX_PULL_LIMIT`]; [`DEFAULT_PULL_LIMIT`] when absent.
    pub limit: Option<i64>,
    /// Comma-separated change types beyond the first ones this app reads
    /// ([`OPTIONAL_CHANGES`]); absent from older apps, who are then not sent them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accept: Option<String>,
}

/// One page of changes. Apply the page atomically together with the new cursor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PullResponse {
    pub changes: Vec<ChangeEntry>,
    /// The cursor to send next time (the last change's `seq`, or the one sent).
    pub cursor: i64,
    /// More changes wait behind this page.
    pub more: bool,
    /// The technician's card, to apps that ask for it (`accept=card`): kept with the page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<TechnicianCard>,
    /// As [`EnrollResponse::accepts`]: kept with the page, so a server upgraded (or rolled
    /// back) since enrolment is followed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accepts: Vec<String>,
}

/// A change with its server sequence number.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChangeEntry {
    pub seq: i64,
    pub change: Change,
}

/// Something the desk changed that this technician's device must know.
///
/// JSON: `{"type": "work_order", "work_order": {...}}`, `{"type": "removal", ...}`…
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
// A wire type: a page holds at most MAX_PULL_LIMIT of them, mostly work orders.
#[allow(clippy::large_enum_variant)]
pub enum Change {
    /// A job assigned to this technician, new or changed: the dispatcher-owned fields
    /// (customer, site, product, promised window, instructions, billing, kind) and the status
    /// as the desk sees it. Replace those fields; keep the technician's progress.
    WorkOrder { work_order: WorkOrder },
    /// The desk cancelled the job. What the technician recorded stays.
    Cancellation {
        work_order_id: WorkOrderId,
        reason: String,
    },
    /// The job left this technician's scope (reassigned). Keep it locally while it still has
    /// unsent ops.
    Removal { work_order_id: WorkOrderId },
    /// A checklist template (its JSON text, as `checklist::Template::from_json` reads it).
    ChecklistTemplate { json: String },
    /// A fee schedule version.
    FeeSchedule { fee_schedule: FeeSchedule },
    /// A catalog part, new or renamed.
    CatalogPart { part: Part },
    /// Parts the desk issued to this technician's van for a replenishment request: the
    /// technician records their receipt (`receive_stock`). Sent only to apps that ask for it
    /// (`PullQuery::accept`), so older apps never see a type they cannot read.
    Replenishment { replenishment: IssuedReplenishment },
}

/// A replenishment request the desk approved and issued to a van (第34条; 二、第3条).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedReplenishment {
    pub id: String,
    pub sku: String,
    pub quantity: i64,
    /// ms since the epoch.
    pub issued_at: i64,
}

/// The change types an app names in `PullQuery::accept` to receive them.
pub const OPTIONAL_CHANGES: [&str; 1] = ["replenishment"];

// ---------------------------------------------------------------- blobs

/// `POST /v1/blobs/missing`: which of these blobs must the device send?
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MissingBlobsRequest {
    /// Lower-case hex SHA-256 digests, at most [`MAX_MISSING_HASHES`].
    pub hashes: Vec<String>,
}

/// The hashes the server does not hold complete (in the order asked).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingBlobsResponse {
    pub missing: Vec<String>,
}

/// Where the upload of one blob stands on the server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobStatus {
    pub sha256: String,
    /// Bytes the server holds from the start: resume the upload here.
    pub offset: u64,
    /// The blob is complete and its hash verified.
    pub complete: bool,
}

/// Whether `s` is a lower-case hex SHA-256 digest.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

// ---------------------------------------------------------------- errors

/// The body of every 4xx and 5xx answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Machine-readable: `bad_request`, `unauthorized`, `forbidden`, `not_found`, `conflict`,
    /// `payload_too_large`, `unsupported_media_type`, `too_many_requests`, `hash_mismatch`,
    /// `internal`… New codes may appear: treat unknown ones by the HTTP status.
    pub code: String,
    /// For people, a whole sentence in the language the request asked for (`Accept-Language`
    /// or `?lang=`; Chinese by default; the response's `Content-Language` says which); never
    /// carries personal data.
    pub message: String,
    /// Technical words no one translates (a parser's, e.g. "missing field `x` at line 1
    /// column 5"), when there are any. Absent from most bodies; older servers never send it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[cfg(test)]
mod tests;
