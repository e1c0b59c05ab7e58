//! Parts: the catalog, the technician's van stock (an append-only ledger) and the parts
//! used on a visit.

use serde::{Deserialize, Serialize};

use super::{FieldKit, text};
use crate::clock::{from_millis, to_millis};
use crate::error::{Error, Result};
use crate::model::*;
use crate::store::{Durability, records};
use crate::sync::ops::{
    AwaitPartsV1, CountStockV1, JobOp, PartRequestV1, ReceiveStockV1, RecordPartV1,
    StockMovementV1, StockOp,
};
use crate::sync::protocol::IssuedReplenishment;
use crate::workflow::{JobAction, JobStatus};

/// A part installed on site (step 12).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PartUse {
    pub sku: String,
    pub quantity: i64,
    pub new_serial: Option<String>,
    pub old_part: OldPartFate,
    pub old_serial: Option<String>,
}

/// How many of a part the van holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StockLevel {
    pub part: Part,
    /// Negative when more was used than was issued: the desk reconciles.
    pub quantity: i64,
}

/// Parts the desk issued to the van (pulled), and whether they were received.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Replenishment {
    pub id: String,
    pub sku: String,
    pub quantity: i64,
    pub issued_at: Timestamp,
    pub received_at: Option<Timestamp>,
}

/// One part counted in a stock check (盘点).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockCount {
    pub sku: String,
    pub counted: i64,
}

/// A counted part against the van's own ledger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountResult {
    pub sku: String,
    pub counted: i64,
    /// What the van's ledger held.
    pub expected: i64,
}

/// The most parts one stock check may count.
pub const MAX_COUNT_LINES: usize = 500;

impl FieldKit {
    /// Replenishments the desk issued to this van, the newest first.
    pub fn replenishments(&self) -> Result<Vec<Replenishment>> {
        self.store.read(|c| {
            let mut stmt = c.prepare(
                "SELECT id, sku, quantity, issued_at, received_at FROM replenishments
                  ORDER BY issued_at DESC, id",
            )?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, i64>(3)?,
                        r.get::<_, Option<i64>>(4)?,
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows
                .into_iter()
                .map(|(id, sku, quantity, issued, received)| Replenishment {
                    id,
                    sku,
                    quantity,
                    issued_at: from_millis(issued),
                    received_at: received.map(from_millis),
                })
                .collect())
        })
    }

    /// Records that an issued replenishment is in the van: its parts join the van's stock and
    /// the server closes the request. `NotFound` for a request never pulled; `Invalid` when
    /// it was already received. Returns the part's new stock.
    pub fn receive_replenishment(&self, id: &str) -> Result<i64> {
        let id = text("replenishment", id, 64)?;
        self.write(|tx| {
            let row = tx
                .query_row(
                    "SELECT sku, quantity, received_at FROM replenishments WHERE id = ?1",
                    [&id],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, i64>(1)?,
                            r.get::<_, Option<i64>>(2)?,
                        ))
                    },
                )
                .map_err(|e| match e {
                    rusqlite::Error::QueryReturnedNoRows => Error::NotFound {
                        entity: "replenishment",
                        id: id.clone(),
                    },
                    e => e.into(),
                })?;
            let (sku, quantity, received) = row;
            if received.is_some() {
                return Err(Error::invalid("replenishment", "it was already received"));
            }
            let part = records::part(tx, &sku)?;
            let now = self.now();
            let movement = StockMovement {
                id: StockMovementId::new(),
                sku: part.sku.clone(),
                kind: MovementKind::Issued,
                quantity,
                at: now,
                visit_id: None,
            };
            records::insert_movement(tx, &movement)?;
            tx.execute(
                "UPDATE replenishments SET received_at = ?2 WHERE id = ?1",
                (&id, to_millis(now)),
            )?;
            tx.append_stock_op(
                &part.sku,
                &StockOp::Receive(ReceiveStockV1 {
                    id: movement.id,
                    request_id: id.clone(),
                    sku: part.sku.clone(),
                    quantity,
                    at: now,
                }),
            )?;
            records::stock_of(tx, &part.sku)
        })
    }

    /// Records a stock check (盘点, 第34条): what was counted in the van, each catalogue part
    /// at most once, 0–10000 each. The van's stock is not changed (the desk reconciles); the
    /// server flags each count that differs from its ledger. Returns each count with what the
    /// van's own ledger held.
    pub fn count_stock(&self, counts: &[StockCount]) -> Result<Vec<CountResult>> {
        if counts.is_empty() || counts.len() > MAX_COUNT_LINES {
            return Err(Error::invalid("counts", "1 to 500 parts per stock check"));
        }
        let mut seen = std::collections::BTreeSet::new();
        for c in counts {
            if !(0..=10_000).contains(&c.counted) {
                return Err(Error::invalid(
                    "counted",
                    "a count is not between 0 and 10000",
                ));
            }
            if !seen.insert(c.sku.as_str()) {
                return Err(Error::invalid("counts", "a part is counted twice"));
            }
        }
        self.write(|tx| {
            let now = self.now();
            let mut out = Vec::with_capacity(counts.len());
            for c in counts {
                let part = records::part(tx, &c.sku)?;
                let expected = records::stock_of(tx, &part.sku)?;
                tx.append_stock_op(
                    &part.sku,
                    &StockOp::Count(CountStockV1 {
                        sku: part.sku.clone(),
                        counted: c.counted,
                        expected,
                        at: now,
                    }),
                )?;
                out.push(CountResult {
                    sku: part.sku,
                    counted: c.counted,
                    expected,
                });
            }
            Ok(out)
        })
    }

    /// Adds a part to the catalog (or renames it): reference data from the warehouse, not
    /// queued for the server. Stock movements are.
    pub fn add_catalog_part(&self, part: &Part) -> Result<()> {
        validate_part(part)?;
        self.write(|tx| records::put_part(tx, part))
    }

    /// Parts issued from the warehouse to the van.
    pub fn issue_stock(&self, sku: &str, quantity: i64) -> Result<i64> {
        self.move_stock(sku, quantity, MovementKind::Issued)
    }

    /// Parts given back to the warehouse.
    pub fn return_stock(&self, sku: &str, quantity: i64) -> Result<i64> {
        self.move_stock(sku, quantity, MovementKind::Returned)
    }

    /// Parts found defective and written off.
    pub fn write_off_defective(&self, sku: &str, quantity: i64) -> Result<i64> {
        self.move_stock(sku, quantity, MovementKind::Defective)
    }

    /// The van's stock of every catalog part, computed from the ledger.
    pub fn van_stock(&self) -> Result<Vec<StockLevel>> {
        let rows = self.store.read(records::van_stock)?;
        Ok(rows
            .into_iter()
            .map(|(part, quantity)| StockLevel { part, quantity })
            .collect())
    }

    /// Ends the open visit for want of a part (待件): the fault is diagnosed (work has
    /// started), the parts it needs are not in the van. Records the parts requested (catalogue
    /// SKUs, each once, 1–20 lines) and the note of what was found; the job then waits for a
    /// follow-up visit, agreed with [`FieldKit::call_customer`] when the parts are in.
    pub fn await_parts(
        &self,
        id: WorkOrderId,
        parts: &[PartRequest],
        note: &str,
    ) -> Result<JobStatus> {
        let note = text("note", note, 2000)?;
        if let Some(problem) =
            parts_request_problem(parts.iter().map(|p| (p.sku.as_str(), p.quantity)))
        {
            return Err(Error::invalid("parts", problem));
        }
        self.command(id, Durability::Normal, |tx, cur, now| {
            let visit_id = cur.visit("wait for parts")?.id;
            for p in parts {
                records::part(tx, &p.sku)?;
            }
            let status = self.transition(tx, cur, JobAction::AwaitParts, now)?;
            let parts = parts
                .iter()
                .map(|p| PartRequestV1 {
                    sku: p.sku.clone(),
                    quantity: p.quantity,
                })
                .collect();
            tx.record(
                id,
                Some(visit_id),
                &JobOp::AwaitParts(AwaitPartsV1 { parts, note }),
            )?;
            Ok(status)
        })
    }

    /// Records a part installed on the open visit. Work must have started (so paid work
    /// has the customer's consent). Using more than the van holds is recorded anyway and
    /// flagged (`stock_short`): the truth is what was installed.
    pub fn record_part(&self, id: WorkOrderId, usage: &PartUse) -> Result<PartUsage> {
        check_quantity(usage.quantity)?;
        let new_serial = usage
            .new_serial
            .as_deref()
            .map(|s| text("new serial", s, 64))
            .transpose()?;
        let old_serial = usage
            .old_serial
            .as_deref()
            .map(|s| text("old serial", s, 64))
            .transpose()?;
        self.command(id, Durability::Normal, |tx, cur, now| {
            let visit = cur.visit("record a part")?;
            if visit.status != VisitStatus::Working {
                return Err(Error::Refused(crate::workflow::Refusal {
                    action: "record a part",
                    subject: "visit",
                    state: visit.status.as_str(),
                    hint: "start work first",
                }));
            }
            let part = records::part(tx, &usage.sku)?;
            let held = records::stock_of(tx, &part.sku)?;
            let record = PartUsage {
                id: PartUsageId::new(),
                visit_id: visit.id,
                sku: part.sku.clone(),
                quantity: usage.quantity,
                new_serial,
                old_part: usage.old_part,
                old_serial,
                stock_short: held < usage.quantity,
                at: now,
            };
            records::insert_part_usage(tx, &record)?;
            records::insert_movement(
                tx,
                &StockMovement {
                    id: StockMovementId::new(),
                    sku: part.sku,
                    kind: MovementKind::Used,
                    quantity: usage.quantity,
                    at: now,
                    visit_id: Some(visit.id),
                },
            )?;
            tx.record(
                id,
                Some(visit.id),
                &JobOp::RecordPart(RecordPartV1 {
                    id: record.id,
                    visit_id: record.visit_id,
                    sku: record.sku.clone(),
                    quantity: record.quantity,
                    new_serial: record.new_serial.clone(),
                    old_part: record.old_part,
                    old_serial: record.old_serial.clone(),
                    stock_short: record.stock_short,
                    at: record.at,
                }),
            )?;
            Ok(record)
        })
    }

    /// The parts used on a job's current (or last) visit.
    pub fn parts_used(&self, id: WorkOrderId) -> Result<Vec<PartUsage>> {
        match self.job(id)?.visit {
            Some(v) => self.store.read(|c| records::part_usages(c, v.id)),
            None => Ok(Vec::new()),
        }
    }

    fn move_stock(&self, sku: &str, quantity: i64, kind: MovementKind) -> Result<i64> {
        check_quantity(quantity)?;
        self.write(|tx| {
            let part = records::part(tx, sku)?;
            let movement = StockMovement {
                id: StockMovementId::new(),
                sku: part.sku.clone(),
                kind,
                quantity,
                at: self.now(),
                visit_id: None,
            };
            records::insert_movement(tx, &movement)?;
            let m = StockMovementV1 {
                id: movement.id,
                sku: movement.sku.clone(),
                kind: movement.kind,
                quantity: movement.quantity,
                at: movement.at,
                visit_id: movement.visit_id,
            };
            let op = match kind {
                MovementKind::Issued => StockOp::Issue(m),
                MovementKind::Returned => StockOp::Return(m),
                MovementKind::Defective => StockOp::WriteOff(m),
                MovementKind::Used => StockOp::Use(m),
            };
            tx.append_stock_op(&part.sku, &op)?;
            records::stock_of(tx, &part.sku)
        })
    }
}

/// Keeps a replenishment the desk issued (pulled); a repeat changes nothing.
pub(super) fn store_replenishment(
    tx: &rusqlite::Connection,
    r: &IssuedReplenishment,
) -> Result<()> {
    text("replenishment", &r.id, 64)?;
    text("sku", &r.sku, 64)?;
    check_quantity(r.quantity)?;
    tx.execute(
        "INSERT INTO replenishments (id, sku, quantity, issued_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (id) DO NOTHING",
        (&r.id, &r.sku, r.quantity, r.issued_at),
    )?;
    Ok(())
}

fn check_quantity(q: i64) -> Result<()> {
    if !(1..=10_000).contains(&q) {
        return Err(Error::invalid(
            "quantity",
            format!("{q} is not between 1 and 10000"),
        ));
    }
    Ok(())
}

/// The checks a catalog part from the warehouse must pass.
pub(super) fn validate_part(part: &Part) -> Result<()> {
    text("sku", &part.sku, 64)?;
    text("part name", &part.name, 200)?;
    text("unit", &part.unit, 16)?;
    Ok(())
}
