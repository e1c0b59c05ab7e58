//! The SQLite side of spare parts on the server (migration 0010 here, 0011 at the merge): the
//! ledger's rows, the minimum levels and the replenishment requests.

use crate::msg;
use crate::msg::Thing;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::SqliteStorage;
use crate::spares::ledger::LedgerRow;
use crate::spares::{Replenishment, ReplenishmentState, StockMinimum};
use crate::storage::spares::{LEDGER_WHERE, SpareStorage};
use crate::storage::{Fut, StorageError};
use fieldkit_core::sync::protocol::Change;

/// The ledger rows of one technician (or everyone's).
pub(super) fn ledger_rows(
    c: &Connection,
    technician_id: Option<&str>,
) -> Result<Vec<LedgerRow>, StorageError> {
    let sql = format!(
        "SELECT technician_id, received_at, body FROM ops
          WHERE {LEDGER_WHERE} AND (?1 IS NULL OR technician_id = ?1)
          ORDER BY received_at, device_id, seq"
    );
    let rows = c
        .prepare_cached(&sql)?
        .query_map([technician_id], |r| {
            Ok(LedgerRow {
                technician_id: r.get(0)?,
                received_at: r.get(1)?,
                body: r.get(2)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// One technician's replenishments in `state`.
pub(super) fn replenishments_in(
    c: &Connection,
    technician_id: Option<&str>,
    state: Option<ReplenishmentState>,
) -> Result<Vec<Replenishment>, StorageError> {
    let bodies = c
        .prepare_cached(
            "SELECT body FROM replenishments
              WHERE (?1 IS NULL OR technician_id = ?1) AND (?2 IS NULL OR state = ?2)
              ORDER BY raised_at DESC, id",
        )?
        .query_map(params![technician_id, state.map(|s| s.as_str())], |r| {
            r.get::<_, String>(0)
        })?
        .collect::<Result<Vec<_>, _>>()?;
    bodies
        .iter()
        .map(|b| serde_json::from_str(b).map_err(StorageError::from))
        .collect()
}

impl SpareStorage for SqliteStorage {
    fn ledger_rows(&self, technician_id: Option<String>) -> Fut<'_, Vec<LedgerRow>> {
        self.read(move |c| ledger_rows(c, technician_id.as_deref()))
    }

    fn set_minimum(&self, m: StockMinimum, by: String, at: i64) -> Fut<'_, ()> {
        self.run(move |c| {
            if m.minimum == 0 {
                c.execute(
                    "DELETE FROM stock_minimums WHERE technician_id = ?1 AND sku = ?2",
                    params![m.technician_id, m.sku],
                )?;
            } else {
                c.execute(
                    "INSERT INTO stock_minimums (technician_id, sku, minimum, set_by, set_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (technician_id, sku) DO UPDATE SET minimum = excluded.minimum,
                        set_by = excluded.set_by, set_at = excluded.set_at",
                    params![m.technician_id, m.sku, m.minimum, by, at],
                )?;
            }
            Ok(())
        })
    }

    fn minimums(&self, technician_id: Option<String>) -> Fut<'_, Vec<StockMinimum>> {
        self.read(move |c| {
            let rows = c
                .prepare_cached(
                    "SELECT technician_id, sku, minimum FROM stock_minimums
                      WHERE ?1 IS NULL OR technician_id = ?1 ORDER BY technician_id, sku",
                )?
                .query_map([technician_id], |r| {
                    Ok(StockMinimum {
                        technician_id: r.get(0)?,
                        sku: r.get(1)?,
                        minimum: r.get(2)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    fn raise_replenishment(&self, r: Replenishment) -> Fut<'_, bool> {
        self.run(move |c| {
            let n = c.execute(
                "INSERT INTO replenishments (id, technician_id, sku, state, raised_at, body,
                                             updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?5) ON CONFLICT DO NOTHING",
                params![
                    r.id,
                    r.technician_id,
                    r.sku,
                    r.state.as_str(),
                    r.raised_at,
                    serde_json::to_string(&r)?
                ],
            )?;
            Ok(n == 1)
        })
    }

    fn replenishments(&self, technician_id: Option<String>) -> Fut<'_, Vec<Replenishment>> {
        self.read(move |c| replenishments_in(c, technician_id.as_deref(), None))
    }

    fn replenishment(&self, id: String) -> Fut<'_, Option<Replenishment>> {
        self.read(move |c| {
            let body: Option<String> = c
                .query_row("SELECT body FROM replenishments WHERE id = ?1", [id], |r| {
                    r.get(0)
                })
                .optional()?;
            body.map(|b| serde_json::from_str(&b).map_err(StorageError::from))
                .transpose()
        })
    }

    fn advance_replenishment(
        &self,
        r: Replenishment,
        from: ReplenishmentState,
        change: Option<Change>,
        now: i64,
    ) -> Fut<'_, ()> {
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let state: Option<String> = tx
                .query_row(
                    "SELECT state FROM replenishments WHERE id = ?1",
                    [&r.id],
                    |row| row.get(0),
                )
                .optional()?;
            match state {
                None => return Err(StorageError::NotFound(Thing::Replenishment)),
                Some(s) if s != from.as_str() => {
                    return Err(StorageError::Conflict(msg!("err-replenishment-stale")));
                }
                Some(_) => {}
            }
            tx.execute(
                "UPDATE replenishments SET state = ?2, body = ?3, updated_at = ?4 WHERE id = ?1",
                params![r.id, r.state.as_str(), serde_json::to_string(&r)?, now],
            )?;
            if let Some(change) = &change {
                super::jobs::queue(&tx, Some(&r.technician_id), change, now)?;
            }
            tx.commit()?;
            Ok(())
        })
    }
}
