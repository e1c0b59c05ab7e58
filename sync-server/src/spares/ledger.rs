//! The server's ledger of van stock, folded from the ops the phones pushed (applied or kept as
//! conflicts; rejected ops never count): issued to the van (+), received from a
//! replenishment (+), used on a job (`record_part`, `use_stock`) (−), returned to the
//! warehouse or written off (−); old parts returned, stock-check counts against the ledger at
//! that point, and the loaners lent at take-backs. Push judging reads the same fold
//! ([`on_hand`]), so the view and the judge never disagree.

use std::collections::BTreeMap;

use fieldkit_core::model::OldPartFate;
use fieldkit_core::sync::ops::{JobOp, OpBody, StockOp};
use fieldkit_core::sync::protocol::Op;
use serde::{Deserialize, Serialize};

use super::LOANER_DAYS;

/// One stored op the ledger reads: its technician, when the server received it, and the op.
#[derive(Clone, Debug)]
pub struct LedgerRow {
    pub technician_id: String,
    pub received_at: i64,
    /// The op's canonical JSON as stored.
    pub body: String,
}

/// One part in one van.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartLine {
    pub sku: String,
    pub issued: i64,
    /// Received from the desk's replenishments.
    pub received: i64,
    pub used: i64,
    /// Given back to the warehouse.
    pub returned: i64,
    pub written_off: i64,
    /// Old parts replaced on a job and returned to the warehouse.
    pub old_parts_returned: i64,
    pub on_hand: i64,
    /// The last stock-check count (盘点) of this part, if any.
    pub last_count: Option<Count>,
}

/// A stock-check count against the server's ledger at the time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    pub counted: i64,
    /// What the server's ledger held then.
    pub ledger: i64,
    pub differs: bool,
    /// When the server received it (ms).
    pub at: i64,
}

/// A loaner lent at a take-back (第12条).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Loaner {
    pub id: String,
    pub work_order_id: String,
    pub technician_id: String,
    pub model: String,
    pub serial: String,
    pub lent_at: i64,
    /// [`LOANER_DAYS`] after it was lent.
    pub due_at: i64,
    pub returned_at: Option<i64>,
    /// Not returned and past its due time.
    pub overdue: bool,
}

/// The fold of a set of ledger rows.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    /// technician → SKU → line.
    pub vans: BTreeMap<String, BTreeMap<String, PartLine>>,
    pub loaners: Vec<Loaner>,
}

impl Ledger {
    /// Folds rows in the order received; `now` judges the loaners' due times.
    pub fn fold(rows: &[LedgerRow], now: i64) -> Ledger {
        let mut l = Ledger::default();
        for row in rows {
            let Ok(op) = serde_json::from_str::<Op>(&row.body) else {
                continue;
            };
            let Ok(body) = op.body() else { continue };
            let tech = &row.technician_id;
            match body {
                OpBody::Stock(s) => l.stock(tech, &s, row.received_at),
                OpBody::Job(JobOp::RecordPart(p)) => {
                    let line = l.line(tech, &p.sku);
                    line.used += p.quantity;
                    line.on_hand -= p.quantity;
                    if p.old_part == OldPartFate::Returned {
                        line.old_parts_returned += p.quantity;
                    }
                }
                OpBody::Job(JobOp::TakeBack(t)) => {
                    if let Some(n) = t.loaner {
                        let lent_at = n.lent_at.timestamp_millis();
                        let due_at = lent_at.saturating_add(LOANER_DAYS * 86_400_000);
                        l.loaners.push(Loaner {
                            id: n.id.to_string(),
                            work_order_id: op.entity_id.clone(),
                            technician_id: tech.clone(),
                            model: n.model,
                            serial: n.serial,
                            lent_at,
                            due_at,
                            returned_at: None,
                            overdue: false,
                        });
                    }
                }
                OpBody::Job(JobOp::ReturnLoaner(r)) => {
                    let id = r.loaner.to_string();
                    if let Some(n) = l.loaners.iter_mut().find(|n| n.id == id) {
                        n.returned_at.get_or_insert(row.received_at);
                    }
                }
                OpBody::Job(_) => {}
            }
        }
        for n in &mut l.loaners {
            n.overdue = n.returned_at.is_none() && now > n.due_at;
        }
        l
    }

    fn line(&mut self, tech: &str, sku: &str) -> &mut PartLine {
        self.vans
            .entry(tech.to_owned())
            .or_default()
            .entry(sku.to_owned())
            .or_insert_with(|| PartLine {
                sku: sku.to_owned(),
                ..PartLine::default()
            })
    }

    fn stock(&mut self, tech: &str, s: &StockOp, at: i64) {
        let line = self.line(tech, s.sku());
        match s {
            StockOp::Issue(m) => {
                line.issued += m.quantity;
                line.on_hand += m.quantity;
            }
            StockOp::Receive(r) => {
                line.received += r.quantity;
                line.on_hand += r.quantity;
            }
            StockOp::Use(m) => {
                line.used += m.quantity;
                line.on_hand -= m.quantity;
            }
            StockOp::Return(m) => {
                line.returned += m.quantity;
                line.on_hand -= m.quantity;
            }
            StockOp::WriteOff(m) => {
                line.written_off += m.quantity;
                line.on_hand -= m.quantity;
            }
            StockOp::Count(c) => {
                line.last_count = Some(Count {
                    counted: c.counted,
                    ledger: line.on_hand,
                    differs: c.counted != line.on_hand,
                    at,
                });
            }
        }
    }

    /// The request ids a van recorded as received.
    pub fn received_requests(rows: &[LedgerRow]) -> Vec<(String, String)> {
        rows.iter()
            .filter_map(|row| {
                let op = serde_json::from_str::<Op>(&row.body).ok()?;
                match op.body().ok()? {
                    OpBody::Stock(StockOp::Receive(r)) => {
                        Some((row.technician_id.clone(), r.request_id))
                    }
                    _ => None,
                }
            })
            .collect()
    }
}

/// One technician's on-hand stock by SKU, as the push judge starts from.
pub fn on_hand(rows: &[LedgerRow], technician_id: &str) -> std::collections::HashMap<String, i64> {
    Ledger::fold(rows, 0)
        .vans
        .remove(technician_id)
        .unwrap_or_default()
        .into_iter()
        .map(|(sku, line)| (sku, line.on_hand))
        .collect()
}

#[cfg(test)]
mod tests {
    //! The loaners' due times, from the take-back and return ops as stored.

    use chrono::DateTime;
    use fieldkit_core::model::{LoanerId, ReceiptId, VisitId, WorkOrderId};
    use fieldkit_core::sync::ops::{LoanerV1, ReceiptV1, ReturnLoanerV1, TakeBackV1};
    use fieldkit_core::sync::protocol::Op;

    use super::*;

    const DAY: i64 = 86_400_000;
    const LENT: i64 = 1_795_000_000_000;

    fn row(job: WorkOrderId, visit: VisitId, op: JobOp, received_at: i64) -> LedgerRow {
        let op = Op {
            op_id: fieldkit_core::model::OpId::new(),
            seq: 1,
            entity: "work_order".into(),
            entity_id: job.to_string(),
            visit_id: Some(visit.to_string()),
            kind: op.kind().into(),
            version: op.version(),
            payload: op.payload(),
            hlc: String::new(),
            device_time: received_at,
            hash: None,
        };
        LedgerRow {
            technician_id: "t1".into(),
            received_at,
            body: serde_json::to_string(&op).unwrap(),
        }
    }

    /// A take-back on `job` that leaves loaner `id` lent at `LENT`.
    fn lent(job: WorkOrderId, visit: VisitId, id: LoanerId) -> LedgerRow {
        let at = DateTime::from_timestamp_millis(LENT).unwrap();
        let take_back = TakeBackV1 {
            receipt: ReceiptV1 {
                id: ReceiptId::new(),
                work_order_id: job,
                visit_id: visit,
                receipt_no: "R-1".into(),
                reason: "workshop repair".into(),
                issued_at: at,
                goods_book_ref: "GB-1".into(),
                loaner_id: Some(id),
                returned_at: None,
            },
            loaner: Some(LoanerV1 {
                id,
                work_order_id: job,
                model: "WM-LOAN".into(),
                serial: "L-1".into(),
                lent_at: at,
                returned_at: None,
            }),
            condition_photos: Vec::new(),
        };
        row(job, visit, JobOp::TakeBack(Box::new(take_back)), LENT)
    }

    #[test]
    fn a_loaner_out_past_its_days_is_overdue_and_a_returned_one_never() {
        let (a, b) = (WorkOrderId::new(), WorkOrderId::new());
        let (va, vb) = (VisitId::new(), VisitId::new());
        let (la, lb) = (LoanerId::new(), LoanerId::new());
        let due = LENT + LOANER_DAYS * DAY;
        let returned = row(
            b,
            vb,
            JobOp::ReturnLoaner(ReturnLoanerV1 { loaner: lb }),
            LENT + DAY,
        );
        let rows = vec![lent(a, va, la), lent(b, vb, lb), returned];
        let at = |now| {
            let l = Ledger::fold(&rows, now);
            l.loaners
                .iter()
                .map(|n| (n.id.clone(), n.due_at, n.returned_at, n.overdue))
                .collect::<Vec<_>>()
        };
        // At its due time it is not yet overdue; a millisecond later it is.
        assert_eq!(
            at(due),
            vec![
                (la.to_string(), due, None, false),
                (lb.to_string(), due, Some(LENT + DAY), false),
            ]
        );
        assert_eq!(
            at(due + 1),
            vec![
                (la.to_string(), due, None, true),
                (lb.to_string(), due, Some(LENT + DAY), false),
            ]
        );
    }
}
