//! The PostgreSQL side of the SLA table (migration 0009): a new version with its limits in
//! one transaction, and every version. Two replicas setting a version at the same instant:
//! one commits, the other's primary key collides and it answers `Conflict` (nothing written).

use crate::msg;
use deadpool_postgres::Pool;

use super::pool_err;
use crate::sla::SlaVersion;
use crate::storage::StorageError;
use crate::storage::sla_rows::{LimitRow, NewSla, VersionRow, assemble, limit_row};

pub(super) async fn record_sla(pool: &Pool, n: &NewSla) -> Result<i64, StorageError> {
    let mut c = pool.get().await.map_err(pool_err)?;
    let tx = c.transaction().await?;
    let version: i64 = tx
        .query_one(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM sla_versions",
            &[],
        )
        .await?
        .try_get(0)?;
    let inserted = tx
        .execute(
            "INSERT INTO sla_versions (version, set_by, set_at, note) VALUES ($1, $2, $3, $4)
             ON CONFLICT (version) DO NOTHING",
            &[&version, &n.set_by, &n.set_at, &n.note],
        )
        .await?;
    if inserted == 0 {
        return Err(StorageError::Conflict(msg!("err-sla-version-race")));
    }
    let ins = tx
        .prepare(
            "INSERT INTO sla_limits (version, zone, kind, first_contact_minutes, response_hours,
                                     repair_hours, warning_percent, supervisor)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .await?;
    for l in &n.limits {
        let r = limit_row(version, l);
        tx.execute(&ins, &[&r.0, &r.1, &r.2, &r.3, &r.4, &r.5, &r.6, &r.7])
            .await?;
    }
    tx.commit().await?;
    Ok(version)
}

pub(super) async fn sla_versions(pool: &Pool) -> Result<Vec<SlaVersion>, StorageError> {
    let c = pool.get().await.map_err(pool_err)?;
    let versions = c
        .query(
            "SELECT version, set_by, set_at, note FROM sla_versions",
            &[],
        )
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)))
        .collect::<Result<Vec<VersionRow>, StorageError>>()?;
    let limits = c
        .query(
            "SELECT version, zone, kind, first_contact_minutes, response_hours, repair_hours,
                    warning_percent, supervisor FROM sla_limits",
            &[],
        )
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.try_get(0)?,
                r.try_get(1)?,
                r.try_get(2)?,
                r.try_get(3)?,
                r.try_get(4)?,
                r.try_get(5)?,
                r.try_get(6)?,
                r.try_get(7)?,
            ))
        })
        .collect::<Result<Vec<LimitRow>, StorageError>>()?;
    assemble(versions, limits)
}
