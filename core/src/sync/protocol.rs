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
}

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
mod tests {
    use chrono::{TimeZone, Utc};
    use proptest::prelude::*;
    use serde::de::DeserializeOwned;
    use uuid::Uuid;

    use super::*;
    use crate::model::*;

    fn uuid() -> impl Strategy<Value = Uuid> {
        any::<u128>().prop_map(Uuid::from_u128)
    }

    fn ts() -> impl Strategy<Value = Timestamp> {
        (0i64..4_000_000_000_000).prop_map(|ms| {
            Utc.timestamp_millis_opt(ms)
                .single()
                .unwrap_or_else(Utc::now)
        })
    }

    fn text() -> impl Strategy<Value = String> {
        "\\PC{0,16}"
    }

    fn json_value() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            text().prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
                prop::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn op() -> impl Strategy<Value = Op> {
        (
            (uuid(), 1i64..1_000_000, "[a-z_]{1,12}", text()),
            (proptest::option::of(text()), "[a-z_]{1,16}", 1i64..3),
            (
                json_value(),
                text(),
                any::<i64>(),
                proptest::option::of("[0-9a-f]{64}"),
            ),
        )
            .prop_map(
                |(
                    (op_id, seq, entity, entity_id),
                    (visit_id, kind, version),
                    (payload, hlc, device_time, hash),
                )| Op {
                    op_id: OpId(op_id),
                    seq,
                    entity,
                    entity_id,
                    visit_id,
                    kind,
                    version,
                    payload,
                    hlc,
                    device_time,
                    hash,
                },
            )
    }

    fn work_order() -> impl Strategy<Value = WorkOrder> {
        (
            (uuid(), text(), 0usize..5, text(), text(), text()),
            (any::<bool>(), text(), proptest::option::of(text()), text()),
            (
                ts(),
                ts(),
                any::<bool>(),
                proptest::option::of(text()),
                ts(),
            ),
            0usize..8,
            proptest::option::of((uuid(), text(), 0usize..5)),
            proptest::option::of((ts(), 0i64..1_000_000, any::<bool>(), 0usize..12)),
        )
            .prop_map(
                |(
                    (id, number, kind, name, phone, address),
                    (urban, model, serial, fault),
                    (start, end, paid, instructions, reported_at),
                    status,
                    parent,
                    sale,
                )| WorkOrder {
                    id: WorkOrderId(id),
                    number,
                    kind: JobKind::ALL[kind],
                    customer: Customer { name, phone },
                    site: Site {
                        address,
                        zone: if urban { Zone::Urban } else { Zone::Suburban },
                    },
                    product: Product { model, serial },
                    reported_fault: fault,
                    promised: TimeWindow { start, end },
                    billing: if paid {
                        Billing::Paid
                    } else {
                        Billing::Warranty
                    },
                    instructions,
                    reported_at,
                    status: WorkOrderStatus::ALL[status],
                    checklist: None,
                    parent: parent.map(|(id, number, kind)| ParentLink {
                        id: WorkOrderId(id),
                        number,
                        kind: LinkKind::ALL[kind],
                    }),
                    sale: sale.map(|(sold_at, price, seasonal, category)| Sale {
                        sold_at,
                        price_paid: price,
                        list_price: price + 100,
                        current_price: seasonal.then_some(price / 2),
                        seasonal,
                        category: returns::Category::ALL[category],
                        customer_type: CustomerType::Business,
                        requested_at: seasonal.then_some(sold_at),
                    }),
                },
            )
    }

    fn fee_schedule() -> impl Strategy<Value = FeeSchedule> {
        (
            text(),
            any::<u32>(),
            "[A-Z]{3}",
            prop::collection::vec((text(), text(), text(), any::<i64>()), 0..4),
        )
            .prop_map(|(id, version, currency, items)| FeeSchedule {
                id,
                version,
                currency,
                items: items
                    .into_iter()
                    .map(|(code, label_zh, label_en, amount)| FeeItem {
                        code,
                        label_zh,
                        label_en,
                        amount,
                    })
                    .collect(),
            })
    }

    fn change() -> impl Strategy<Value = Change> {
        prop_oneof![
            work_order().prop_map(|work_order| Change::WorkOrder { work_order }),
            (uuid(), text()).prop_map(|(id, reason)| Change::Cancellation {
                work_order_id: WorkOrderId(id),
                reason
            }),
            uuid().prop_map(|id| Change::Removal {
                work_order_id: WorkOrderId(id)
            }),
            text().prop_map(|json| Change::ChecklistTemplate { json }),
            fee_schedule().prop_map(|fee_schedule| Change::FeeSchedule { fee_schedule }),
            (text(), text(), text()).prop_map(|(sku, name, unit)| Change::CatalogPart {
                part: Part { sku, name, unit }
            }),
        ]
    }

    fn outcome() -> impl Strategy<Value = OpOutcome> {
        prop_oneof![
            Just(OpOutcome::Applied),
            (
                0usize..3,
                proptest::option::of(text()),
                proptest::option::of(text())
            )
                .prop_map(|(f, code, reason)| OpOutcome::Duplicate {
                    first: [
                        FirstOutcome::Applied,
                        FirstOutcome::Rejected,
                        FirstOutcome::Conflict
                    ][f],
                    code,
                    reason
                }),
            (text(), text()).prop_map(|(code, reason)| OpOutcome::Rejected { code, reason }),
            (text(), text()).prop_map(|(code, reason)| OpOutcome::Conflict { code, reason }),
            any::<i64>().prop_map(|expected| OpOutcome::Gap { expected }),
        ]
    }

    fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(v: &T) {
        let s = serde_json::to_string(v).unwrap();
        let back: T = serde_json::from_str(&s).unwrap();
        assert_eq!(&back, v, "{s}");
    }

    proptest! {
        #[test]
        fn push_types_round_trip(
            ops in prop::collection::vec(op(), 0..4),
            results in prop::collection::vec((uuid(), any::<i64>(), outcome()), 0..6),
            acked_through in any::<i64>(),
        ) {
            round_trip(&PushRequest { ops });
            round_trip(&PushResponse {
                results: results
                    .into_iter()
                    .map(|(id, seq, outcome)| OpResult { op_id: OpId(id), seq, outcome })
                    .collect(),
                acked_through,
            });
        }

        #[test]
        fn pull_types_round_trip(
            changes in prop::collection::vec((any::<i64>(), change()), 0..5),
            cursor in any::<i64>(),
            more in any::<bool>(),
            limit in proptest::option::of(any::<i64>()),
        ) {
            round_trip(&PullQuery { cursor, limit, accept: None });
            round_trip(&PullResponse {
                changes: changes
                    .into_iter()
                    .map(|(seq, change)| ChangeEntry { seq, change })
                    .collect(),
                cursor,
                more,
                card: more.then(|| TechnicianCard {
                    technician_id: cursor.to_string(),
                    name: "张师傅".into(),
                    employee_number: Some("GH-1".into()),
                    service_hotline: None,
                }),
            });
        }

        #[test]
        fn enrolment_blob_and_error_types_round_trip(
            code in text(),
            device in uuid(),
            tech in text(),
            token in text(),
            hashes in prop::collection::vec("[0-9a-f]{64}", 0..5),
            offset in any::<u64>(),
            complete in any::<bool>(),
        ) {
            round_trip(&EnrollRequest {
                code: code.clone(),
                device_id: DeviceId(device),
                public_key: hashes.first().cloned().unwrap_or_default(),
                proof: tech.clone(),
            });
            round_trip(&EnrollResponse {
                device_id: DeviceId(device),
                technician_id: tech.clone(),
                token,
                card: complete.then(|| TechnicianCard {
                    technician_id: tech.clone(),
                    name: tech.clone(),
                    employee_number: None,
                    service_hotline: Some("400-820-8820".into()),
                }),
            });
            round_trip(&MissingBlobsRequest { hashes: hashes.clone() });
            round_trip(&MissingBlobsResponse { missing: hashes.clone() });
            round_trip(&BlobStatus {
                sha256: hashes.first().cloned().unwrap_or_default(),
                offset,
                complete,
            });
            round_trip(&ErrorBody { code: code.clone(), message: tech.clone(), detail: None });
            round_trip(&ErrorBody { code, message: tech, detail: Some(offset.to_string()) });
        }
    }

    /// The phone reads error bodies from servers with and without `detail` (and ignores
    /// fields it does not know), and sends no `detail` key when there is none.
    #[test]
    fn error_bodies_with_and_without_detail_parse() {
        let old: ErrorBody =
            serde_json::from_str(r#"{"code":"conflict","message":"工单已关闭。"}"#).unwrap();
        assert_eq!(old.detail, None);
        let new: ErrorBody = serde_json::from_str(
            r#"{"code":"bad_request","message":"请求正文不符合要求。","detail":"missing field `x` at line 1 column 5","later":1}"#,
        )
        .unwrap();
        assert_eq!(new.code, "bad_request");
        assert_eq!(
            new.detail.as_deref(),
            Some("missing field `x` at line 1 column 5")
        );
        let text = serde_json::to_string(&old).unwrap();
        assert!(!text.contains("detail"), "{text}");
    }

    #[test]
    fn requests_refuse_unknown_fields() {
        let op = serde_json::json!({
            "op_id": Uuid::nil(), "seq": 1, "entity": "work_order", "entity_id": "x",
            "visit_id": null, "kind": "arrive", "version": 1, "payload": {}, "hlc": "h",
            "device_time": 0, "hash": null
        });
        let ok = serde_json::json!({ "ops": [op.clone()] });
        assert!(serde_json::from_value::<PushRequest>(ok).is_ok());
        let mut extra_op = op.clone();
        extra_op["surprise"] = true.into();
        let cases = [
            serde_json::json!({ "ops": [extra_op] }),
            serde_json::json!({ "ops": [], "extra": 1 }),
        ];
        for c in cases {
            assert!(serde_json::from_value::<PushRequest>(c).is_err());
        }
        assert!(
            serde_json::from_value::<EnrollRequest>(serde_json::json!({
                "code": "c", "device_id": Uuid::nil(), "admin": true
            }))
            .is_err()
        );
        assert!(
            serde_json::from_value::<MissingBlobsRequest>(serde_json::json!({
                "hashes": [], "all": true
            }))
            .is_err()
        );
        assert!(
            serde_json::from_value::<PullQuery>(serde_json::json!({ "cursor": 1, "x": 2 }))
                .is_err()
        );
    }

    #[test]
    fn outcomes_are_tagged_flat() {
        let r = OpResult {
            op_id: OpId(Uuid::nil()),
            seq: 3,
            outcome: OpOutcome::Gap { expected: 2 },
        };
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["outcome"], "gap");
        assert_eq!(v["expected"], 2);
        assert!(!r.outcome.is_final());
        assert!(OpOutcome::Applied.is_final());
    }
}
