//! The SQLite side of the second judge: a push read, planned by [`crate::push::plan`] and
//! written in the writer's group transaction; each device's replay of each job; the job's
//! completions, their drawing checks and the desk's rulings on held ones.

use crate::msg;
use crate::msg::Thing;
use fieldkit_core::model::{WorkOrderId, WorkOrderStatus};
use fieldkit_core::sync::protocol::{FirstOutcome, Op, PushResponse};
use fieldkit_core::sync::replay::REPLAY_VERSION;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::flags::{flags_of, insert_flag};
use super::jobs::{load_job, published, save_job};
use crate::push::{self, Batch, ENVELOPE_CODES, JobState, PublishedCache, PushState, StoredOp};
use crate::records::{
    Completion, CompletionState, Decision, DeviceRecord, Flag, PushPolicy, Ruling,
};
use crate::storage::StorageError;
use crate::stored::{self, Stored};

/// A device's stored ops on a job that entered its journal, in `seq` order.
fn history(c: &Connection, job: &str, device: &str) -> Result<Vec<Op>, StorageError> {
    let mut stmt = c.prepare_cached(
        "SELECT body, outcome, code FROM ops WHERE entity_id = ?1 AND device_id = ?2
           AND entity = 'work_order' ORDER BY seq",
    )?;
    let rows = stmt
        .query_map([job, device], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .filter(|(_, outcome, code)| {
            outcome != "rejected" || !ENVELOPE_CODES.contains(&code.as_deref().unwrap_or(""))
        })
        .map(|(b, _, _)| Ok(serde_json::from_str(&b)?))
        .collect()
}

/// One push, inside the writer's group transaction (see
/// [`crate::storage::group_commit::Connections::write_grouped`]).
pub(super) fn push_tx(
    tx: &Connection,
    device: DeviceRecord,
    batch: Batch,
    sent_at: Option<i64>,
    policy: PushPolicy,
    now: i64,
    cache: &PublishedCache,
) -> Result<PushResponse, StorageError> {
    let dev = device.id.to_string();
    let last_seq: i64 = tx
        .query_row("SELECT last_seq FROM devices WHERE id = ?1", [&dev], |r| {
            r.get(0)
        })
        .optional()?
        .ok_or(StorageError::NotFound(Thing::Device))?;
    let needs = push::needs(&batch);
    let mut state = PushState {
        last_seq,
        ..PushState::default()
    };
    for id in &needs.op_ids {
        let row = tx
            .prepare_cached(
                "SELECT device_id, body_hash, outcome, code, reason, reason_said FROM ops
                  WHERE op_id = ?1",
            )?
            .query_row([id.to_string()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get(1)?,
                    r.get::<_, String>(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get::<_, Option<String>>(5)?,
                ))
            })
            .optional()?;
        if let Some((device_id, body_hash, outcome, code, reason, said)) = row {
            let outcome = FirstOutcome::parse(&outcome).unwrap_or(FirstOutcome::Rejected);
            state.existing.insert(
                *id,
                StoredOp {
                    device_id,
                    body_hash,
                    outcome,
                    code,
                    reason,
                    said: said.as_deref().and_then(Stored::from_json),
                },
            );
        }
    }
    if !needs.job_ids.is_empty() {
        state.published = published(tx, cache)?;
    }
    if needs.stock {
        let tech = device.technician_id.as_str();
        let rows = super::spares::ledger_rows(tx, Some(tech))?;
        state.stock = crate::spares::ledger::on_hand(&rows, tech);
        state.issued = super::spares::replenishments_in(
            tx,
            Some(tech),
            Some(crate::spares::ReplenishmentState::Issued),
        )?
        .into_iter()
        .map(|r| (r.id, (r.sku, r.quantity)))
        .collect();
    }
    for id in &needs.job_ids {
        let Some(job) = load_job(tx, id)? else {
            continue;
        };
        let (ever_mine, completed): (bool, bool) = tx
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM job_scope WHERE work_order_id = ?1
                                   AND technician_id = ?2),
                        EXISTS (SELECT 1 FROM completions WHERE work_order_id = ?1
                                   AND state IN ('checking', 'counted', 'held', 'released'))",
            )?
            .query_row([id, &device.technician_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let stored: Option<(i64, String)> = tx
            .prepare_cached(
                "SELECT version, state FROM job_replays WHERE work_order_id = ?1
                   AND device_id = ?2",
            )?
            .query_row([id, &dev], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let replay = if ever_mine {
            push::replay_of(
                stored,
                || history(tx, id, &dev),
                &job,
                device.id,
                &state.published,
            )?
        } else {
            Default::default()
        };
        state.jobs.insert(
            id.clone(),
            JobState {
                job,
                ever_mine,
                completed,
                replay,
            },
        );
    }
    let plan = push::plan(&device, batch, sent_at, &state, policy, now);
    for n in &plan.inserts {
        tx.prepare_cached(
            "INSERT INTO ops (op_id, device_id, technician_id, seq, entity, entity_id, kind, body,
                 body_hash, outcome, code, reason, device_time, received_at, reason_said)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        )?
        .execute(params![
            n.op.op_id.to_string(),
            dev,
            device.technician_id,
            n.op.seq,
            n.op.entity,
            n.op.entity_id,
            n.op.kind,
            n.body,
            n.body_hash,
            n.outcome.as_str(),
            n.code,
            n.reason,
            n.op.device_time,
            now,
            n.said.as_ref().map(Stored::to_json)
        ])?;
    }
    for f in &plan.flags {
        insert_flag(tx, f)?;
    }
    for c in &plan.completions {
        tx.prepare_cached(
            "INSERT INTO completions (op_id, work_order_id, device_id, technician_id, state,
                 reasons, completed_at_device, received_at, reason_codes)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![
            c.op_id,
            c.work_order_id,
            dev,
            device.technician_id,
            c.state.as_str(),
            serde_json::to_string(&stored::zh_cn(&c.reasons))?,
            c.completed_at_device,
            now,
            stored::list_to_json(&c.reasons)
        ])?;
    }
    for (id, replay) in &plan.replays {
        tx.prepare_cached(
            "INSERT INTO job_replays (work_order_id, device_id, version, state, last_seq,
                 updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (work_order_id, device_id) DO UPDATE SET version = excluded.version,
                 state = excluded.state, last_seq = excluded.last_seq,
                 updated_at = excluded.updated_at",
        )?
        .execute(params![
            id,
            dev,
            REPLAY_VERSION,
            serde_json::to_string(replay)?,
            replay.last_seq,
            now
        ])?;
    }
    for (op_id, job) in &plan.drawings {
        tx.prepare_cached(
            "INSERT OR IGNORE INTO drawing_checks (op_id, device_id, work_order_id, created_at)
             VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![op_id, dev, job, now])?;
    }
    tx.execute(
        "UPDATE devices SET last_seq = ?2 WHERE id = ?1",
        params![dev, plan.last_seq],
    )?;
    Ok(plan.response)
}

/// Counts a completion: its job completed, the feed and the measures get it.
fn count(c: &Connection, op_id: &str, work_order_id: &str, now: i64) -> Result<(), StorageError> {
    c.prepare_cached("UPDATE completions SET counted_at = ?2 WHERE op_id = ?1")?
        .execute(params![op_id, now])?;
    if let Some(mut job) = load_job(c, work_order_id)?
        && job.order.status != WorkOrderStatus::Cancelled
    {
        job.order.status = WorkOrderStatus::Completed;
        job.completed_at = Some(now);
        job.updated_at = now;
        save_job(c, &job)?;
    }
    Ok(())
}

/// A job whose completion is held is not completed (a database from before the judge may
/// have completed it when the completion arrived).
fn uncount(c: &Connection, work_order_id: &str, now: i64) -> Result<(), StorageError> {
    if let Some(mut job) = load_job(c, work_order_id)?
        && job.order.status == WorkOrderStatus::Completed
    {
        job.order.status = WorkOrderStatus::Assigned;
        job.completed_at = None;
        job.updated_at = now;
        save_job(c, &job)?;
    }
    Ok(())
}

/// Records a drawing check: flags stored, the check done; a `checking` completion counted or
/// held.
pub(super) fn finish_drawing(
    c: &mut Connection,
    op_id: &str,
    flags: &[Flag],
    now: i64,
) -> Result<bool, StorageError> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let done = tx.execute("DELETE FROM drawing_checks WHERE op_id = ?1", [op_id])? == 1;
    if done {
        for f in flags {
            insert_flag(&tx, f)?;
        }
        let checking: Option<(String, String, Option<String>)> = tx
            .query_row(
                "SELECT work_order_id, reasons, reason_codes FROM completions
                  WHERE op_id = ?1 AND state = 'checking'",
                [op_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        if let Some((job, reasons, codes)) = checking {
            if flags.is_empty() {
                tx.execute(
                    "UPDATE completions SET state = 'counted' WHERE op_id = ?1",
                    [op_id],
                )?;
                count(&tx, op_id, &job, now)?;
            } else {
                let mut reasons: Vec<String> = serde_json::from_str(&reasons)?;
                let mut codes = stored::list_from_json(codes.as_deref());
                crate::records::held_by_flags(&mut reasons, &mut codes, flags);
                tx.execute(
                    "UPDATE completions SET state = 'held', reasons = ?2, reason_codes = ?3
                      WHERE op_id = ?1",
                    params![
                        op_id,
                        serde_json::to_string(&reasons)?,
                        stored::list_to_json(&codes)
                    ],
                )?;
                uncount(&tx, &job, now)?;
            }
        }
    }
    tx.commit()?;
    Ok(done)
}

/// The columns [`completion_from`] reads, from `completions c JOIN ops o`.
pub(super) const COMPLETION_COLS: &str = "c.op_id, c.work_order_id, c.technician_id, c.device_id,
    c.completed_at_device, c.received_at, o.outcome, c.state, c.reasons, c.decided_by,
    c.decided_at, c.decision_note,
    EXISTS (SELECT 1 FROM drawing_checks d WHERE d.op_id = c.op_id), c.reason_codes";

/// A completion from a row of [`COMPLETION_COLS`], its flags not read yet.
pub(super) fn completion_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<Completion> {
    let reasons: String = r.get(8)?;
    let by: Option<String> = r.get(9)?;
    Ok(Completion {
        op_id: r.get(0)?,
        work_order_id: r.get(1)?,
        technician_id: r.get(2)?,
        device_id: r.get(3)?,
        completed_at_device: r.get(4)?,
        received_at: r.get(5)?,
        outcome: r.get(6)?,
        state: r.get(7)?,
        reasons: serde_json::from_str(&reasons).unwrap_or_default(),
        reason_codes: stored::list_from_json(r.get::<_, Option<String>>(13)?.as_deref()),
        decision: match by {
            Some(by) => Some(Decision {
                by,
                at: r.get::<_, Option<i64>>(10)?.unwrap_or_default(),
                note: r.get(11)?,
            }),
            None => None,
        },
        flags: Vec::new(),
        checks_pending: r.get(12)?,
    })
}

/// Completions matching `filter` (SQL over `c`), with their flags.
fn completions_where(
    c: &Connection,
    filter: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<Completion>, StorageError> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {COMPLETION_COLS} FROM completions c JOIN ops o ON o.op_id = c.op_id {filter}"
    ))?;
    let mut out = stmt
        .query_map(params, completion_from)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for comp in &mut out {
        comp.flags = flags_of(c, &comp.op_id)?;
    }
    Ok(out)
}

/// One completion by its op.
pub(super) fn load_completion(
    c: &Connection,
    op_id: &str,
) -> Result<Option<Completion>, StorageError> {
    Ok(completions_where(c, "WHERE c.op_id = ?1", [op_id])?.pop())
}

/// Completions, newest first.
pub(super) fn completions(
    c: &Connection,
    state: Option<CompletionState>,
    limit: i64,
) -> Result<Vec<Completion>, StorageError> {
    completions_where(
        c,
        "WHERE ?1 IS NULL OR c.state = ?1 ORDER BY c.received_at DESC, c.op_id DESC LIMIT ?2",
        params![state.map(CompletionState::as_str), limit],
    )
}

/// A job's completions, oldest first.
pub(super) fn job_completions(
    c: &Connection,
    id: WorkOrderId,
) -> Result<Vec<Completion>, StorageError> {
    completions_where(
        c,
        "WHERE c.work_order_id = ?1 ORDER BY c.received_at, c.op_id",
        [id.to_string()],
    )
}

/// The desk's ruling on a job's held completion, audited.
pub(super) fn decide(
    c: &mut Connection,
    id: WorkOrderId,
    ruling: Ruling,
    by: &str,
    note: Option<&str>,
    now: i64,
) -> Result<Completion, StorageError> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let job = id.to_string();
    let op_id: String = tx
        .query_row(
            "SELECT op_id FROM completions WHERE work_order_id = ?1 AND state = 'held'",
            [&job],
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(|| StorageError::Conflict(msg!("err-no-held-completion")))?;
    let (state, action) = match ruling {
        Ruling::Release => (CompletionState::Released, "release_completion"),
        Ruling::Reject => (CompletionState::Rejected, "reject_completion"),
    };
    tx.execute(
        "UPDATE completions SET state = ?2, decided_by = ?3, decided_at = ?4, decision_note = ?5
          WHERE op_id = ?1",
        params![op_id, state.as_str(), by, now, note],
    )?;
    if ruling == Ruling::Release {
        count(&tx, &op_id, &job, now)?;
    }
    tx.execute(
        "INSERT INTO desk_audit (at, actor, action, work_order_id, op_id, note)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![now, by, action, job, op_id, note],
    )?;
    let out = load_completion(&tx, &op_id)?.ok_or(StorageError::NotFound(Thing::Completion))?;
    tx.commit()?;
    Ok(out)
}
