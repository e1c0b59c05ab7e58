//! The PostgreSQL side of the second judge: a push read, planned by [`crate::push::plan`]
//! and written in one transaction; each device's replay of each job; the job's completions,
//! their drawing checks and the desk's rulings on held ones. The batch's jobs are locked
//! (`FOR UPDATE`) for the push, so two devices completing one job at once are judged one
//! after the other: one completion per job, whichever instance takes the pushes.

use crate::msg;
use crate::msg::Thing;
use deadpool_postgres::{GenericClient, Transaction};
use fieldkit_core::model::{WorkOrderId, WorkOrderStatus};
use fieldkit_core::sync::protocol::{FirstOutcome, Op, PushResponse};
use fieldkit_core::sync::replay::REPLAY_VERSION;
use futures::future::BoxFuture;
use tokio_postgres::Row;

use super::flags::{flags_of_ops, insert_flag, said_of};
use super::jobs::{PUBLISHED_HEAD, load_job, published_at, save_job};
use super::{PostgresStorage, pool_err};
use crate::push::{self, Batch, ENVELOPE_CODES, JobState, PushPlan, PushState, StoredOp};
use crate::records::{
    Completion, CompletionState, Decision, DeviceRecord, Flag, JobRecord, PushPolicy, Ruling,
};
use crate::storage::{StorageError, order_from};
use crate::stored::{self, Stored};

/// A device's stored ops on a job that entered its journal, in `seq` order.
async fn history(c: &impl GenericClient, job: &str, device: &str) -> Result<Vec<Op>, StorageError> {
    let mut ops = Vec::new();
    for r in c
        .query(
            &c.prepare_cached(
                "SELECT body, outcome, code FROM ops WHERE entity_id = $1 AND device_id = $2
                   AND entity = 'work_order' ORDER BY seq",
            )
            .await?,
            &[&job, &device],
        )
        .await?
    {
        let outcome: String = r.try_get(1)?;
        let code: Option<String> = r.try_get(2)?;
        if outcome != "rejected" || !ENVELOPE_CODES.contains(&code.as_deref().unwrap_or("")) {
            ops.push(serde_json::from_str(&r.try_get::<_, String>(0)?)?);
        }
    }
    Ok(ops)
}

impl PostgresStorage {
    /// One push in one transaction, committed before it returns.
    ///
    /// Round trips: `BEGIN`; every read the plan needs, pipelined (sent together, executed
    /// in order: the device's row lock, the stored ops, the van's lock and stock, the
    /// publications' head, the jobs' row locks with their replays); a device's first push on a
    /// job that holds ops from before the judge also reads their history; every write,
    /// pipelined; `COMMIT`. All statements are prepared once per connection.
    pub(super) async fn push_tx(
        &self,
        device: DeviceRecord,
        batch: Batch,
        sent_at: Option<i64>,
        policy: PushPolicy,
        now: i64,
    ) -> Result<PushResponse, StorageError> {
        let mut c = self.pool.get().await.map_err(pool_err)?;
        let txn = c.transaction().await?;
        let tx = &txn;
        let dev = device.id.to_string();
        let tech = device.technician_id.as_str();
        let needs = push::needs(&batch);
        let ids: Vec<String> = needs.op_ids.iter().map(ToString::to_string).collect();
        // Every read's statement first (one round trip on a new connection, none after, as
        // they are cached), so that the reads below are all sent in the join's first poll, in
        // the order written (`biased`): the lock order of one at a time — the device, then
        // the van, then the jobs — and each read after the locks before it.
        let ledger = super::spares::ledger_sql();
        let (s_device, s_existing, s_van, s_ledger, s_issued, s_head, s_jobs) = tokio::try_join!(
            tx.prepare_cached("SELECT last_seq FROM devices WHERE id = $1 FOR UPDATE"),
            tx.prepare_cached(
                "SELECT op_id, device_id, body_hash, outcome, code, reason, reason_said
                   FROM ops WHERE op_id = ANY($1)",
            ),
            tx.prepare_cached("SELECT pg_advisory_xact_lock(hashtext('van:' || $1))"),
            tx.prepare_cached(&ledger),
            tx.prepare_cached(super::spares::REPLENISHMENTS_IN),
            tx.prepare_cached(PUBLISHED_HEAD),
            tx.prepare_cached(
                "SELECT w.id, w.body, w.technician_id, w.cancel_reason, w.completed_at,
                        w.updated_at,
                        EXISTS (SELECT 1 FROM job_scope s WHERE s.work_order_id = w.id
                                  AND s.technician_id = $2),
                        EXISTS (SELECT 1 FROM completions c WHERE c.work_order_id = w.id
                                  AND c.state IN ('checking', 'counted', 'held', 'released')),
                        r.version, r.state,
                        r.state IS NULL AND EXISTS (SELECT 1 FROM ops o
                            WHERE o.entity_id = w.id AND o.device_id = $3
                              AND o.entity = 'work_order')
                   FROM work_orders w
                   LEFT JOIN job_replays r ON r.work_order_id = w.id AND r.device_id = $3
                  WHERE w.id = ANY($1) ORDER BY w.id FOR UPDATE OF w",
            ),
        )?;
        let (stock, jobs) = (needs.stock, !needs.job_ids.is_empty());
        let issued = crate::spares::ReplenishmentState::Issued.as_str();
        let (device_row, existing, _, ledger_rows, issued_rows, head, job_rows) = tokio::try_join!(
            biased;
            async { tx.query_opt(&s_device, &[&dev]).await },
            async { tx.query(&s_existing, &[&ids]).await },
            // One van's pushes judge its stock one after the other (its devices may push at
            // once).
            async {
                match stock {
                    true => tx.execute(&s_van, &[&tech]).await.map(Some),
                    false => Ok(None),
                }
            },
            async {
                match stock {
                    true => tx.query(&s_ledger, &[&Some(tech)]).await,
                    false => Ok(Vec::new()),
                }
            },
            async {
                match stock {
                    true => tx.query(&s_issued, &[&Some(tech), &Some(issued)]).await,
                    false => Ok(Vec::new()),
                }
            },
            async {
                match jobs {
                    true => tx.query_one(&s_head, &[]).await.map(Some),
                    false => Ok(None),
                }
            },
            async {
                match jobs {
                    true => tx.query(&s_jobs, &[&needs.job_ids, &tech, &dev]).await,
                    false => Ok(Vec::new()),
                }
            },
        )?;
        let last_seq: i64 = device_row
            .ok_or(StorageError::NotFound(Thing::Device))?
            .try_get(0)?;
        let mut state = PushState {
            last_seq,
            ..PushState::default()
        };
        for r in existing {
            let id: String = r.try_get(0)?;
            let Ok(id) = id.parse() else { continue };
            let outcome: String = r.try_get(3)?;
            state.existing.insert(
                id,
                StoredOp {
                    device_id: r.try_get(1)?,
                    body_hash: r.try_get(2)?,
                    outcome: FirstOutcome::parse(&outcome).unwrap_or(FirstOutcome::Rejected),
                    code: r.try_get(4)?,
                    reason: r.try_get(5)?,
                    said: said_of(&r, 6)?,
                },
            );
        }
        if stock {
            let rows = ledger_rows
                .iter()
                .map(super::spares::ledger_row)
                .collect::<Result<Vec<_>, _>>()?;
            state.stock = crate::spares::ledger::on_hand(&rows, tech);
            for r in &issued_rows {
                let r = super::spares::replenishment_of(r)?;
                state.issued.insert(r.id, (r.sku, r.quantity));
            }
        }
        if let Some(head) = head {
            let head: i64 = head.try_get(0)?;
            state.published = published_at(tx, &self.published, head).await?;
        }
        for r in job_rows {
            let id: String = r.try_get(0)?;
            let job = JobRecord {
                order: order_from(&r.try_get::<_, String>(1)?)?,
                technician_id: r.try_get(2)?,
                cancel_reason: r.try_get(3)?,
                completed_at: r.try_get(4)?,
                updated_at: r.try_get(5)?,
            };
            let ever_mine: bool = r.try_get(6)?;
            let stored: Option<(i64, String)> = match (r.try_get(8)?, r.try_get(9)?) {
                (Some(v), Some(s)) => Some((v, s)),
                _ => None,
            };
            // No stored replay and no ops of this device on the job: its history is empty.
            let has_history: bool = r.try_get::<_, Option<bool>>(10)?.unwrap_or(false);
            let replay = if !ever_mine {
                Default::default()
            } else if stored.is_some() || !has_history {
                push::replay_of::<StorageError>(
                    stored,
                    || Ok(Vec::new()),
                    &job,
                    device.id,
                    &state.published,
                )?
            } else {
                let ops = history(tx, &id, &dev).await?;
                push::replay_of::<StorageError>(
                    None,
                    || Ok(ops),
                    &job,
                    device.id,
                    &state.published,
                )?
            };
            state.jobs.insert(
                id,
                JobState {
                    job,
                    ever_mine,
                    completed: r.try_get(7)?,
                    replay,
                },
            );
        }
        // The rules are CPU work: off the async workers.
        let planner = device.clone();
        let plan = tokio::task::spawn_blocking(move || {
            push::plan(&planner, batch, sent_at, &state, policy, now)
        })
        .await
        .map_err(|e| StorageError::Backend(e.to_string()))?;
        write_plan(tx, &plan, &dev, tech, now).await?;
        txn.commit().await?;
        Ok(plan.response)
    }

    /// Records a drawing check (see [`crate::storage::Storage::finish_drawing`]).
    pub(super) async fn finish_drawing_tx(
        &self,
        op_id: String,
        flags: Vec<Flag>,
        now: i64,
    ) -> Result<bool, StorageError> {
        let mut c = self.pool.get().await.map_err(pool_err)?;
        let tx = c.transaction().await?;
        // The row lock decides between two finishes at once: the second waits, then deletes
        // nothing and writes nothing.
        let done = tx
            .execute("DELETE FROM drawing_checks WHERE op_id = $1", &[&op_id])
            .await?
            == 1;
        if done {
            for f in &flags {
                insert_flag(&tx, f).await?;
            }
            let checking = tx
                .query_opt(
                    "SELECT work_order_id, reasons, reason_codes FROM completions
                      WHERE op_id = $1 AND state = 'checking' FOR UPDATE",
                    &[&op_id],
                )
                .await?;
            if let Some(r) = checking {
                let job: String = r.try_get(0)?;
                if flags.is_empty() {
                    tx.execute(
                        "UPDATE completions SET state = 'counted' WHERE op_id = $1",
                        &[&op_id],
                    )
                    .await?;
                    count(&tx, &op_id, &job, now).await?;
                } else {
                    let mut reasons: Vec<String> =
                        serde_json::from_str(&r.try_get::<_, String>(1)?)?;
                    let codes: Option<String> = r.try_get(2)?;
                    let mut codes = stored::list_from_json(codes.as_deref());
                    crate::records::held_by_flags(&mut reasons, &mut codes, &flags);
                    tx.execute(
                        "UPDATE completions SET state = 'held', reasons = $2, reason_codes = $3
                          WHERE op_id = $1",
                        &[
                            &op_id,
                            &serde_json::to_string(&reasons)?,
                            &stored::list_to_json(&codes),
                        ],
                    )
                    .await?;
                    uncount(&tx, &job, now).await?;
                }
            }
        }
        tx.commit().await?;
        Ok(done)
    }

    /// Completions matching `filter` (SQL over `c`, parameters `params`), with their flags.
    async fn completions_where(
        &self,
        filter: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<Completion>, StorageError> {
        let c = self.pool.get().await.map_err(pool_err)?;
        completions_where(&c, filter, params).await
    }

    pub(super) async fn completions_in(
        &self,
        state: Option<CompletionState>,
        limit: i64,
    ) -> Result<Vec<Completion>, StorageError> {
        let state = state.map(CompletionState::as_str);
        self.completions_where(
            "WHERE $1::TEXT IS NULL OR c.state = $1 ORDER BY c.received_at DESC, c.op_id DESC
             LIMIT $2",
            &[&state, &limit],
        )
        .await
    }

    pub(super) async fn job_completions_of(
        &self,
        id: WorkOrderId,
    ) -> Result<Vec<Completion>, StorageError> {
        self.completions_where(
            "WHERE c.work_order_id = $1 ORDER BY c.received_at, c.op_id",
            &[&id.to_string()],
        )
        .await
    }

    /// The desk's ruling on a job's held completion, audited.
    pub(super) async fn decide(
        &self,
        id: WorkOrderId,
        ruling: Ruling,
        by: String,
        note: Option<String>,
        now: i64,
    ) -> Result<Completion, StorageError> {
        let mut c = self.pool.get().await.map_err(pool_err)?;
        let tx = c.transaction().await?;
        let job = id.to_string();
        let op_id: String = tx
            .query_opt(
                "SELECT op_id FROM completions WHERE work_order_id = $1 AND state = 'held'
                  FOR UPDATE",
                &[&job],
            )
            .await?
            .ok_or_else(|| StorageError::Conflict(msg!("err-no-held-completion")))?
            .try_get(0)?;
        let (state, action) = match ruling {
            Ruling::Release => (CompletionState::Released, "release_completion"),
            Ruling::Reject => (CompletionState::Rejected, "reject_completion"),
        };
        tx.execute(
            "UPDATE completions SET state = $2, decided_by = $3, decided_at = $4,
                    decision_note = $5 WHERE op_id = $1",
            &[&op_id, &state.as_str(), &by, &now, &note],
        )
        .await?;
        if ruling == Ruling::Release {
            count(&tx, &op_id, &job, now).await?;
        }
        tx.execute(
            "INSERT INTO desk_audit (at, actor, action, work_order_id, op_id, note)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[&now, &by, &action, &job, &op_id, &note],
        )
        .await?;
        let out = completions_where(&tx, "WHERE c.op_id = $1", &[&op_id])
            .await?
            .pop()
            .ok_or(StorageError::NotFound(Thing::Completion))?;
        tx.commit().await?;
        Ok(out)
    }
}

/// Writes a planned push in its transaction: every statement sent at once (pipelined), one
/// round trip; the first error is returned (the transaction is then rolled back).
async fn write_plan(
    tx: &Transaction<'_>,
    plan: &PushPlan,
    dev: &str,
    tech: &str,
    now: i64,
) -> Result<(), StorageError> {
    // Owned, so that each statement's parameters borrow them as `&String: ToSql`.
    let (dev, tech) = (&dev.to_owned(), &tech.to_owned());
    let mut writes: Vec<BoxFuture<'_, Result<u64, StorageError>>> = Vec::new();
    // Every op of the batch in one statement.
    if !plan.inserts.is_empty() {
        let n = &plan.inserts;
        let col = |f: &dyn Fn(&push::NewOp) -> String| n.iter().map(f).collect::<Vec<_>>();
        let opt = |f: &dyn Fn(&push::NewOp) -> Option<String>| n.iter().map(f).collect::<Vec<_>>();
        let int = |f: &dyn Fn(&push::NewOp) -> i64| n.iter().map(f).collect::<Vec<_>>();
        let cols = (
            col(&|n| n.op.op_id.to_string()),
            int(&|n| n.op.seq),
            col(&|n| n.op.entity.clone()),
            col(&|n| n.op.entity_id.clone()),
            col(&|n| n.op.kind.clone()),
            col(&|n| n.body.clone()),
            col(&|n| n.body_hash.clone()),
            col(&|n| n.outcome.as_str().to_owned()),
            opt(&|n| n.code.clone()),
            opt(&|n| n.reason.clone()),
            int(&|n| n.op.device_time),
            opt(&|n| n.said.as_ref().map(Stored::to_json)),
        );
        writes.push(Box::pin(async move {
            let s = tx
                .prepare_cached(
                    "INSERT INTO ops (op_id, device_id, technician_id, seq, entity, entity_id,
                         kind, body, body_hash, outcome, code, reason, device_time, received_at,
                         reason_said)
                     SELECT op_id, $2, $3, seq, entity, entity_id, kind, body, body_hash,
                            outcome, code, reason, device_time, $14, reason_said
                       FROM UNNEST($1::text[], $4::bigint[], $5::text[], $6::text[],
                                   $7::text[], $8::text[], $9::text[], $10::text[],
                                   $11::text[], $12::text[], $13::bigint[], $15::text[])
                         AS t (op_id, seq, entity, entity_id, kind, body, body_hash, outcome,
                               code, reason, device_time, reason_said)",
                )
                .await?;
            let (op_id, seq, entity, entity_id, kind, body, hash, outcome, code, reason, at, said) =
                &cols;
            Ok(tx
                .execute(
                    &s,
                    &[
                        op_id, dev, tech, seq, entity, entity_id, kind, body, hash, outcome, code,
                        reason, at, &now, said,
                    ],
                )
                .await?)
        }));
    }
    for f in &plan.flags {
        writes.push(Box::pin(async move {
            insert_flag(tx, f).await?;
            Ok(1)
        }));
    }
    for c in &plan.completions {
        let reasons = serde_json::to_string(&stored::zh_cn(&c.reasons))?;
        let codes = stored::list_to_json(&c.reasons);
        writes.push(Box::pin(async move {
            let s = tx
                .prepare_cached(
                    "INSERT INTO completions (op_id, work_order_id, device_id, technician_id,
                         state, reasons, completed_at_device, received_at, reason_codes)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .await?;
            Ok(tx
                .execute(
                    &s,
                    &[
                        &c.op_id,
                        &c.work_order_id,
                        dev,
                        tech,
                        &c.state.as_str(),
                        &reasons,
                        &c.completed_at_device,
                        &now,
                        &codes,
                    ],
                )
                .await?)
        }));
    }
    for (id, replay) in &plan.replays {
        let json = serde_json::to_string(replay)?;
        writes.push(Box::pin(async move {
            let s = tx
                .prepare_cached(
                    "INSERT INTO job_replays (work_order_id, device_id, version, state,
                         last_seq, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (work_order_id, device_id) DO UPDATE SET
                         version = excluded.version, state = excluded.state,
                         last_seq = excluded.last_seq, updated_at = excluded.updated_at",
                )
                .await?;
            Ok(tx
                .execute(
                    &s,
                    &[
                        id,
                        dev,
                        &i64::from(REPLAY_VERSION),
                        &json,
                        &replay.last_seq,
                        &now,
                    ],
                )
                .await?)
        }));
    }
    for (op_id, job) in &plan.drawings {
        writes.push(Box::pin(async move {
            let s = tx
                .prepare_cached(
                    "INSERT INTO drawing_checks (op_id, device_id, work_order_id, created_at)
                     VALUES ($1, $2, $3, $4) ON CONFLICT (op_id) DO NOTHING",
                )
                .await?;
            Ok(tx.execute(&s, &[op_id, dev, job, &now]).await?)
        }));
    }
    writes.push(Box::pin(async move {
        let s = tx
            .prepare_cached("UPDATE devices SET last_seq = $2 WHERE id = $1")
            .await?;
        Ok(tx.execute(&s, &[dev, &plan.last_seq]).await?)
    }));
    // `try_join_all` polls them in order the first time: sent in this order.
    futures::future::try_join_all(writes).await?;
    Ok(())
}

/// A job whose completion is held is not completed (a database from before the judge may
/// have completed it when the completion arrived).
async fn uncount(
    c: &impl GenericClient,
    work_order_id: &str,
    now: i64,
) -> Result<(), StorageError> {
    if let Some(mut job) = load_job(c, work_order_id).await?
        && job.order.status == WorkOrderStatus::Completed
    {
        job.order.status = WorkOrderStatus::Assigned;
        job.completed_at = None;
        job.updated_at = now;
        save_job(c, &job).await?;
    }
    Ok(())
}

/// Counts a completion: its job completed, the feed and the measures get it.
async fn count(
    c: &impl GenericClient,
    op_id: &str,
    work_order_id: &str,
    now: i64,
) -> Result<(), StorageError> {
    c.execute(
        "UPDATE completions SET counted_at = $2 WHERE op_id = $1",
        &[&op_id, &now],
    )
    .await?;
    if let Some(mut job) = load_job(c, work_order_id).await?
        && job.order.status != WorkOrderStatus::Cancelled
    {
        job.order.status = WorkOrderStatus::Completed;
        job.completed_at = Some(now);
        job.updated_at = now;
        save_job(c, &job).await?;
    }
    Ok(())
}

/// The columns [`completion_from`] reads, from `completions c JOIN ops o`.
pub(super) const COMPLETION_COLS: &str = "c.op_id, c.work_order_id, c.technician_id, c.device_id,
    c.completed_at_device, c.received_at, o.outcome, c.state, c.reasons, c.decided_by,
    c.decided_at, c.decision_note,
    EXISTS (SELECT 1 FROM drawing_checks d WHERE d.op_id = c.op_id), c.reason_codes";

/// A completion from a row of [`COMPLETION_COLS`], its flags not read yet.
pub(super) fn completion_from(r: &Row) -> Result<Completion, StorageError> {
    let reasons: String = r.try_get(8)?;
    let by: Option<String> = r.try_get(9)?;
    Ok(Completion {
        op_id: r.try_get(0)?,
        work_order_id: r.try_get(1)?,
        technician_id: r.try_get(2)?,
        device_id: r.try_get(3)?,
        completed_at_device: r.try_get(4)?,
        received_at: r.try_get(5)?,
        outcome: r.try_get(6)?,
        state: r.try_get(7)?,
        reasons: serde_json::from_str(&reasons).unwrap_or_default(),
        reason_codes: stored::list_from_json(r.try_get::<_, Option<String>>(13)?.as_deref()),
        decision: match by {
            Some(by) => Some(Decision {
                by,
                at: r.try_get::<_, Option<i64>>(10)?.unwrap_or_default(),
                note: r.try_get(11)?,
            }),
            None => None,
        },
        flags: Vec::new(),
        checks_pending: r.try_get(12)?,
    })
}

/// Completions matching `filter`, with their flags.
pub(super) async fn completions_where(
    c: &impl GenericClient,
    filter: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<Vec<Completion>, StorageError> {
    let rows = c
        .query(
            &format!(
                "SELECT {COMPLETION_COLS} FROM completions c JOIN ops o ON o.op_id = c.op_id \
                 {filter}"
            ),
            params,
        )
        .await?;
    let mut out = rows
        .iter()
        .map(completion_from)
        .collect::<Result<Vec<_>, _>>()?;
    let ids: Vec<String> = out.iter().map(|c| c.op_id.clone()).collect();
    let mut flags = flags_of_ops(c, &ids).await?;
    for comp in &mut out {
        comp.flags = flags.remove(&comp.op_id).unwrap_or_default();
    }
    Ok(out)
}
