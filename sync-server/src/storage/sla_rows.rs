//! Turns the rows both backends read for the SLA table (migration 0009) into
//! [`SlaVersion`]s: one place for the rules, so SQLite and PostgreSQL give the same answer.

use fieldkit_core::model::{JobKind, Zone};

use super::StorageError;
use crate::sla::{SlaLimit, SlaVersion};

/// A new version to store: the backend gives it the next number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSla {
    pub set_by: String,
    pub set_at: i64,
    pub note: String,
    /// Already validated ([`crate::sla::validate`]).
    pub limits: Vec<SlaLimit>,
}

/// A `sla_versions` row: version, set by, set at, note.
pub type VersionRow = (i64, String, i64, String);

/// A `sla_limits` row: version, zone, kind, first contact, response, repair, warning,
/// supervisor.
pub type LimitRow = (i64, String, String, i64, i64, i64, i64, String);

/// The row of one limit of `version`.
pub fn limit_row(version: i64, l: &SlaLimit) -> LimitRow {
    (
        version,
        l.zone.as_str().to_owned(),
        l.kind.as_str().to_owned(),
        i64::from(l.first_contact_minutes),
        i64::from(l.response_hours),
        i64::from(l.repair_hours),
        i64::from(l.warning_percent),
        l.supervisor.clone(),
    )
}

/// The versions, oldest first, each with its limits in the canonical order.
pub fn assemble(
    versions: Vec<VersionRow>,
    limits: Vec<LimitRow>,
) -> Result<Vec<SlaVersion>, StorageError> {
    let bad = |what: &str| StorageError::Backend(format!("sla_limits: {what}"));
    let num = |v: i64| u32::try_from(v).map_err(|_| bad("a number out of range"));
    let mut out: Vec<SlaVersion> = versions
        .into_iter()
        .map(|(version, set_by, set_at, note)| SlaVersion {
            version,
            set_by,
            set_at,
            note,
            limits: Vec::new(),
        })
        .collect();
    out.sort_by_key(|v| v.version);
    for (version, zone, kind, first, response, repair, warning, supervisor) in limits {
        let limit = SlaLimit {
            zone: Zone::parse(&zone).ok_or_else(|| bad("an unknown zone"))?,
            kind: JobKind::parse(&kind).ok_or_else(|| bad("an unknown job kind"))?,
            first_contact_minutes: num(first)?,
            response_hours: num(response)?,
            repair_hours: num(repair)?,
            warning_percent: num(warning)?,
            supervisor,
        };
        if let Some(v) = out.iter_mut().find(|v| v.version == version) {
            v.limits.push(limit);
        }
    }
    let order = |l: &SlaLimit| {
        (
            Zone::ALL.iter().position(|z| *z == l.zone),
            JobKind::ALL.iter().position(|k| *k == l.kind),
        )
    };
    for v in &mut out {
        v.limits.sort_by_key(order);
    }
    Ok(out)
}
