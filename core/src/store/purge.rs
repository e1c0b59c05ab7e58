//! Purging old jobs from the phone: a closed job (completed, cancelled, quote declined,
//! redelivery requested) that the server holds entirely — no op of it in the outbox, every
//! file of it uploaded — and that has not changed for a configured time is deleted with
//! everything recorded about it. The server keeps it; the phone keeps only what is still of
//! use.

use rusqlite::{Connection, TransactionBehavior};

use super::{Store, lock};
use crate::error::Result;

/// What a purge took off the phone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Purged {
    /// The jobs (work orders) deleted.
    pub jobs: usize,
    /// The attachment records deleted (their files go with the next orphan collection,
    /// which [`crate::FieldKit::purge_synced_jobs`] runs at once).
    pub attachments: usize,
}

/// Closed jobs, unchanged since before `before_ms`, with nothing left to send.
const PURGEABLE: &str = "
    SELECT w.id FROM work_orders w
     WHERE w.status IN ('completed', 'cancelled', 'quote_declined', 'redelivery_requested') AND w.updated_at < ?1
       AND NOT EXISTS (SELECT 1 FROM journal j
                        WHERE j.seq > (SELECT acked_seq FROM device) AND j.entity_id = w.id)
       AND NOT EXISTS (SELECT 1 FROM visits v
                         JOIN visit_attachments va ON va.visit_id = v.id
                         JOIN attachments a ON a.sha256 = va.sha256
                        WHERE v.work_order_id = w.id
                          AND (a.sha256 NOT IN (SELECT sha256 FROM uploaded_blobs)
                               OR (a.thumbnail_sha256 IS NOT NULL AND a.thumbnail_sha256
                                   NOT IN (SELECT sha256 FROM uploaded_blobs))))
       AND NOT EXISTS (SELECT 1 FROM visits v JOIN signatures s ON s.visit_id = v.id
                        WHERE v.work_order_id = w.id
                          AND s.image_sha256 NOT IN (SELECT sha256 FROM uploaded_blobs))";

/// Deletes, per visit of the job, every row that refers to it (children before parents).
const DELETE_VISIT_ROWS: &[&str] = &[
    "DELETE FROM findings WHERE visit_id IN (SELECT id FROM visits WHERE work_order_id = ?1)",
    "DELETE FROM signatures WHERE visit_id IN (SELECT id FROM visits WHERE work_order_id = ?1)",
    "DELETE FROM fee_consents WHERE visit_id IN (SELECT id FROM visits WHERE work_order_id = ?1)",
    "DELETE FROM settlements WHERE visit_id IN (SELECT id FROM visits WHERE work_order_id = ?1)",
    "DELETE FROM part_usages WHERE visit_id IN (SELECT id FROM visits WHERE work_order_id = ?1)",
    "DELETE FROM feedback WHERE visit_id IN (SELECT id FROM visits WHERE work_order_id = ?1)",
    "DELETE FROM time_entries WHERE visit_id IN (SELECT id FROM visits WHERE work_order_id = ?1)",
    "DELETE FROM delay_notices WHERE visit_id IN (SELECT id FROM visits WHERE work_order_id = ?1)",
    // The van's stock keeps its movements; they no longer point at the visit.
    "UPDATE stock_movements SET visit_id = NULL
      WHERE visit_id IN (SELECT id FROM visits WHERE work_order_id = ?1)",
    "DELETE FROM receipts WHERE work_order_id = ?1",
    "DELETE FROM loaners WHERE work_order_id = ?1",
    "DELETE FROM calls WHERE work_order_id = ?1",
    "DELETE FROM op_outcomes WHERE seq IN (SELECT seq FROM journal WHERE entity_id = ?1)",
    "DELETE FROM journal WHERE entity_id = ?1",
    "DELETE FROM journal_runs WHERE entity_id = ?1",
];

impl Store {
    /// Deletes every closed job unchanged since before `before_ms` that the server holds
    /// entirely, in one transaction. Attachment records no other job refers to go too.
    pub fn purge_closed_jobs(&self, before_ms: i64) -> Result<Purged> {
        let mut guard = lock(&self.writer);
        let writer = &mut *guard;
        let tx = writer
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let ids: Vec<String> = tx
            .prepare(PURGEABLE)?
            .query_map([before_ms], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut purged = Purged::default();
        for id in &ids {
            purged.attachments += purge_job(&tx, id)?;
            purged.jobs += 1;
        }
        tx.commit()?;
        for id in &ids {
            writer.heads.remove(id);
        }
        // The last journal entry may have been one of them: the next entry starts a run.
        writer.last_entity = None;
        Ok(purged)
    }
}

/// Deletes one job and its rows; returns how many attachment records went with it.
fn purge_job(c: &Connection, id: &str) -> Result<usize> {
    let shas: Vec<String> = c
        .prepare(
            "SELECT va.sha256 FROM visit_attachments va JOIN visits v ON v.id = va.visit_id
              WHERE v.work_order_id = ?1
             UNION SELECT s.image_sha256 FROM signatures s JOIN visits v ON v.id = s.visit_id
              WHERE v.work_order_id = ?1",
        )?
        .query_map([id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    c.execute(
        "DELETE FROM visit_attachments
          WHERE visit_id IN (SELECT id FROM visits WHERE work_order_id = ?1)",
        [id],
    )?;
    for sql in DELETE_VISIT_ROWS {
        c.execute(sql, [id])?;
    }
    c.execute("DELETE FROM visits WHERE work_order_id = ?1", [id])?;
    c.execute("DELETE FROM work_orders WHERE id = ?1", [id])?;
    let mut attachments = 0;
    for sha in shas {
        let used: bool = c.query_row(
            "SELECT EXISTS (SELECT 1 FROM visit_attachments WHERE sha256 = ?1)
                 OR EXISTS (SELECT 1 FROM signatures WHERE image_sha256 = ?1)",
            [&sha],
            |r| r.get(0),
        )?;
        if !used {
            let thumb: Option<String> = c
                .query_row(
                    "SELECT thumbnail_sha256 FROM attachments WHERE sha256 = ?1",
                    [&sha],
                    |r| r.get(0),
                )
                .unwrap_or(None);
            attachments += c.execute("DELETE FROM attachments WHERE sha256 = ?1", [&sha])?;
            c.execute("DELETE FROM uploaded_blobs WHERE sha256 = ?1", [&sha])?;
            if let Some(t) = thumb {
                c.execute(
                    "DELETE FROM uploaded_blobs WHERE sha256 = ?1
                       AND NOT EXISTS (SELECT 1 FROM attachments WHERE thumbnail_sha256 = ?1)",
                    [&t],
                )?;
            }
        }
    }
    Ok(attachments)
}

#[cfg(test)]
mod tests {
    use crate::model::WorkOrderStatus;

    /// The SQL names exactly the statuses no transition leaves.
    #[test]
    fn purgeable_statuses_are_the_terminal_ones() {
        let list = super::PURGEABLE
            .split_once("IN (")
            .and_then(|(_, rest)| rest.split_once(')'))
            .map(|(list, _)| list)
            .unwrap_or_default();
        for s in WorkOrderStatus::ALL {
            let named = list.contains(&format!("'{}'", s.as_str()));
            assert_eq!(named, s.is_terminal(), "{}", s.as_str());
        }
    }
}
