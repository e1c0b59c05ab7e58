//! The PostgreSQL side of spare parts on the server (migration 0010 here, 0011 at the
//! merge): the ledger's rows, the minimum levels and the replenishment requests. A request's
//! move takes its row `FOR UPDATE`, so two desks approving at once: one wins, the other
//! answers `Conflict`.

use crate::msg;
use crate::msg::Thing;
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::{PostgresStorage, pool_err};
use crate::spares::ledger::LedgerRow;
use crate::spares::{Replenishment, ReplenishmentState, StockMinimum};
use crate::storage::spares::{LEDGER_WHERE, SpareStorage};
use crate::storage::{Fut, StorageError};
use fieldkit_core::sync::protocol::Change;

/// The ledger rows of one technician (`$1`, or everyone's when NULL).
pub(super) fn ledger_sql() -> String {
    format!(
        "SELECT technician_id, received_at, body FROM ops
          WHERE {LEDGER_WHERE} AND ($1::TEXT IS NULL OR technician_id = $1)
          ORDER BY received_at, device_id, seq"
    )
}

/// A row of [`ledger_sql`].
pub(super) fn ledger_row(r: &Row) -> Result<LedgerRow, StorageError> {
    Ok(LedgerRow {
        technician_id: r.try_get(0)?,
        received_at: r.try_get(1)?,
        body: r.try_get(2)?,
    })
}

/// Replenishments of one technician (`$1`, or everyone's when NULL) in one state (`$2`, or
/// any when NULL).
pub(super) const REPLENISHMENTS_IN: &str = "SELECT body FROM replenishments
    WHERE ($1::TEXT IS NULL OR technician_id = $1) AND ($2::TEXT IS NULL OR state = $2)
    ORDER BY raised_at DESC, id";

/// A row of [`REPLENISHMENTS_IN`].
pub(super) fn replenishment_of(r: &Row) -> Result<Replenishment, StorageError> {
    let b: String = r.try_get(0)?;
    serde_json::from_str(&b).map_err(StorageError::from)
}

/// The ledger rows of one technician (or everyone's).
pub(super) async fn ledger_rows(
    c: &impl GenericClient,
    technician_id: Option<&str>,
) -> Result<Vec<LedgerRow>, StorageError> {
    let rows = c
        .query(&c.prepare_cached(&ledger_sql()).await?, &[&technician_id])
        .await?;
    rows.iter().map(ledger_row).collect()
}

/// Replenishments, one technician's (or everyone's), in `state` (or any).
pub(super) async fn replenishments_in(
    c: &impl GenericClient,
    technician_id: Option<&str>,
    state: Option<ReplenishmentState>,
) -> Result<Vec<Replenishment>, StorageError> {
    let state = state.map(|s| s.as_str());
    let rows = c
        .query(
            &c.prepare_cached(REPLENISHMENTS_IN).await?,
            &[&technician_id, &state],
        )
        .await?;
    rows.iter().map(replenishment_of).collect()
}

impl SpareStorage for PostgresStorage {
    fn ledger_rows(&self, technician_id: Option<String>) -> Fut<'_, Vec<LedgerRow>> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            ledger_rows(&c, technician_id.as_deref()).await
        })
    }

    fn set_minimum(&self, m: StockMinimum, by: String, at: i64) -> Fut<'_, ()> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            if m.minimum == 0 {
                c.execute(
                    "DELETE FROM stock_minimums WHERE technician_id = $1 AND sku = $2",
                    &[&m.technician_id, &m.sku],
                )
                .await?;
            } else {
                c.execute(
                    "INSERT INTO stock_minimums (technician_id, sku, minimum, set_by, set_at)
                     VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (technician_id, sku) DO UPDATE SET minimum = EXCLUDED.minimum,
                        set_by = EXCLUDED.set_by, set_at = EXCLUDED.set_at",
                    &[&m.technician_id, &m.sku, &m.minimum, &by, &at],
                )
                .await?;
            }
            Ok(())
        })
    }

    fn minimums(&self, technician_id: Option<String>) -> Fut<'_, Vec<StockMinimum>> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            let rows = c
                .query(
                    &c.prepare_cached(
                        "SELECT technician_id, sku, minimum FROM stock_minimums
                          WHERE $1::TEXT IS NULL OR technician_id = $1
                          ORDER BY technician_id, sku",
                    )
                    .await?,
                    &[&technician_id],
                )
                .await?;
            rows.iter()
                .map(|r| {
                    Ok(StockMinimum {
                        technician_id: r.try_get(0)?,
                        sku: r.try_get(1)?,
                        minimum: r.try_get(2)?,
                    })
                })
                .collect()
        })
    }

    fn raise_replenishment(&self, r: Replenishment) -> Fut<'_, bool> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            let n = c
                .execute(
                    "INSERT INTO replenishments (id, technician_id, sku, state, raised_at, body,
                                                 updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $5) ON CONFLICT DO NOTHING",
                    &[
                        &r.id,
                        &r.technician_id,
                        &r.sku,
                        &r.state.as_str(),
                        &r.raised_at,
                        &serde_json::to_string(&r)?,
                    ],
                )
                .await?;
            Ok(n == 1)
        })
    }

    fn replenishments(&self, technician_id: Option<String>) -> Fut<'_, Vec<Replenishment>> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            replenishments_in(&c, technician_id.as_deref(), None).await
        })
    }

    fn replenishment(&self, id: String) -> Fut<'_, Option<Replenishment>> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            let row = c
                .query_opt("SELECT body FROM replenishments WHERE id = $1", &[&id])
                .await?;
            row.map(|r| {
                let b: String = r.try_get(0)?;
                serde_json::from_str(&b).map_err(StorageError::from)
            })
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
        Box::pin(async move {
            let mut c = self.pool.get().await.map_err(pool_err)?;
            let tx = c.transaction().await?;
            let state: Option<String> = tx
                .query_opt(
                    "SELECT state FROM replenishments WHERE id = $1 FOR UPDATE",
                    &[&r.id],
                )
                .await?
                .map(|row| row.try_get(0))
                .transpose()?;
            match state {
                None => return Err(StorageError::NotFound(Thing::Replenishment)),
                Some(s) if s != from.as_str() => {
                    return Err(StorageError::Conflict(msg!("err-replenishment-stale")));
                }
                Some(_) => {}
            }
            tx.execute(
                "UPDATE replenishments SET state = $2, body = $3, updated_at = $4 WHERE id = $1",
                &[&r.id, &r.state.as_str(), &serde_json::to_string(&r)?, &now],
            )
            .await?;
            if let Some(change) = &change {
                super::jobs::queue(&tx, Some(&r.technician_id), change, now).await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }
}
