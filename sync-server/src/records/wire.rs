//! How the records holding stored sentences go out as JSON (the API, the feed, webhooks): each
//! sentence's words in the reader's language ([`crate::i18n::current`]; Chinese outside a
//! request, e.g. a webhook) beside its code and arguments, so old clients keep their string
//! fields and new ones word the codes themselves.

use serde::{Serialize, Serializer};

use super::{AuditEntry, Completion, Decision, Flag, RejectedOp};
use crate::stored::Stored;

/// The language a record's stored sentences are written in when it is serialized.
fn reader() -> crate::i18n::Locale {
    crate::i18n::current()
}

impl Serialize for Flag {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Out<'a> {
            work_order_id: &'a Option<String>,
            op_id: &'a Option<String>,
            device_id: &'a str,
            kind: &'a str,
            detail: String,
            #[serde(flatten)]
            said: &'a Option<Stored>,
            created_at: i64,
        }
        Out {
            work_order_id: &self.work_order_id,
            op_id: &self.op_id,
            device_id: &self.device_id,
            kind: &self.kind,
            detail: self.detail_in(reader()),
            said: &self.said,
            created_at: self.created_at,
        }
        .serialize(s)
    }
}

impl Serialize for Completion {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Out<'a> {
            op_id: &'a str,
            work_order_id: &'a str,
            technician_id: &'a str,
            device_id: &'a str,
            completed_at_device: i64,
            received_at: i64,
            outcome: &'a str,
            state: &'a str,
            reasons: Vec<String>,
            reason_codes: &'a [Stored],
            #[serde(skip_serializing_if = "Option::is_none")]
            decision: &'a Option<Decision>,
            flags: &'a [Flag],
            checks_pending: bool,
        }
        Out {
            op_id: &self.op_id,
            work_order_id: &self.work_order_id,
            technician_id: &self.technician_id,
            device_id: &self.device_id,
            completed_at_device: self.completed_at_device,
            received_at: self.received_at,
            outcome: &self.outcome,
            state: &self.state,
            reasons: self.reasons_in(reader()),
            reason_codes: &self.reason_codes,
            decision: &self.decision,
            flags: &self.flags,
            checks_pending: self.checks_pending,
        }
        .serialize(s)
    }
}

impl Serialize for AuditEntry {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Out<'a> {
            id: i64,
            at: i64,
            actor_id: &'a Option<String>,
            actor: &'a str,
            action: &'a str,
            target: &'a Option<String>,
            detail: Option<String>,
            #[serde(skip_serializing_if = "Option::is_none")]
            detail_code: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            detail_args:
                Option<&'a std::collections::BTreeMap<String, fieldkit_core::i18n::SaidArg>>,
            from_addr: &'a str,
        }
        Out {
            id: self.id,
            at: self.at,
            actor_id: &self.actor_id,
            actor: &self.actor,
            action: &self.action,
            target: &self.target,
            detail: self.detail_in(reader()),
            detail_code: self.detail_said.as_ref().map(|d| d.code.as_str()),
            detail_args: self.detail_said.as_ref().map(|d| &d.args),
            from_addr: &self.from_addr,
        }
        .serialize(s)
    }
}

impl Serialize for RejectedOp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Out<'a> {
            op_id: &'a str,
            device_id: &'a str,
            entity: &'a str,
            entity_id: &'a str,
            kind: &'a str,
            code: &'a Option<String>,
            reason: Option<String>,
            #[serde(skip_serializing_if = "Option::is_none")]
            reason_code: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            reason_args:
                Option<&'a std::collections::BTreeMap<String, fieldkit_core::i18n::SaidArg>>,
            received_at: i64,
        }
        Out {
            op_id: &self.op_id,
            device_id: &self.device_id,
            entity: &self.entity,
            entity_id: &self.entity_id,
            kind: &self.kind,
            code: &self.code,
            reason: self.reason_in(reader()),
            reason_code: self.reason_said.as_ref().map(|d| d.code.as_str()),
            reason_args: self.reason_said.as_ref().map(|d| &d.args),
            received_at: self.received_at,
        }
        .serialize(s)
    }
}
