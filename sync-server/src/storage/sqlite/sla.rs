//! The SQLite side of the SLA table (migration 0009): a new version with its limits in one
//! transaction, and every version.

use rusqlite::{Connection, TransactionBehavior, params};

use crate::sla::SlaVersion;
use crate::storage::StorageError;
use crate::storage::sla_rows::{LimitRow, NewSla, VersionRow, assemble, limit_row};

pub(super) fn record_sla(c: &mut Connection, n: &NewSla) -> Result<i64, StorageError> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version: i64 = tx.query_row(
        "SELECT COALESCE(MAX(version), 0) + 1 FROM sla_versions",
        [],
        |r| r.get(0),
    )?;
    tx.execute(
        "INSERT INTO sla_versions (version, set_by, set_at, note) VALUES (?1, ?2, ?3, ?4)",
        params![version, n.set_by, n.set_at, n.note],
    )?;
    {
        let mut ins = tx.prepare_cached(
            "INSERT INTO sla_limits (version, zone, kind, first_contact_minutes, response_hours,
                                     repair_hours, warning_percent, supervisor)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        for l in &n.limits {
            let r = limit_row(version, l);
            ins.execute(params![r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7])?;
        }
    }
    tx.commit()?;
    Ok(version)
}

pub(super) fn sla_versions(c: &Connection) -> Result<Vec<SlaVersion>, StorageError> {
    let versions = c
        .prepare("SELECT version, set_by, set_at, note FROM sla_versions")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<Vec<VersionRow>, _>>()?;
    let limits = c
        .prepare(
            "SELECT version, zone, kind, first_contact_minutes, response_hours, repair_hours,
                    warning_percent, supervisor FROM sla_limits",
        )?
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            ))
        })?
        .collect::<Result<Vec<LimitRow>, _>>()?;
    assemble(versions, limits)
}
