//! Wire types of the sync protocol under `/v1`, shared by the device and the server.

use serde::{Deserialize, Serialize};

use crate::model::OpId;

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
