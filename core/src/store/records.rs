//! Reading and writing the facts recorded during a visit: evidence, findings, fees, parts,
//! loaners, receipts, feedback; and the templates and fee schedules the desk publishes.

use rusqlite::{Connection, OptionalExtension};

use super::queries::{bad, id};

use crate::clock::{from_millis, to_millis};
use crate::error::{Error, Result};
use crate::model::*;

// ---------------------------------------------------------------- attachments, signatures

/// Records an attachment (once per hash) and links it to a visit and step.
pub fn attach(c: &Connection, a: &Attachment, at: Timestamp) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO attachments (sha256, kind, mime, size, created_at, width, height,
            thumbnail_sha256) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (sha256) DO NOTHING",
    )?
    .execute(rusqlite::params![
        &a.sha256,
        a.kind.as_str(),
        &a.mime,
        a.size,
        to_millis(at),
        a.width,
        a.height,
        &a.thumbnail_sha256
    ])?;
    c.prepare_cached(
        "INSERT INTO visit_attachments (visit_id, sha256, step_id, added_at)
         VALUES (?1, ?2, ?3, ?4) ON CONFLICT (visit_id, sha256) DO NOTHING",
    )?
    .execute((a.visit_id.to_string(), &a.sha256, &a.step_id, to_millis(at)))?;
    Ok(())
}

/// Whether this visit already holds this blob.
pub fn has_attachment(c: &Connection, visit: VisitId, sha256: &str) -> Result<bool> {
    Ok(c.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM visit_attachments WHERE visit_id = ?1 AND sha256 = ?2)",
    )?
    .query_row((visit.to_string(), sha256), |r| r.get(0))?)
}

/// Every blob hash a row refers to.
pub fn referenced_blobs(c: &Connection) -> Result<std::collections::HashSet<String>> {
    let mut stmt = c.prepare(
        "SELECT sha256 FROM attachments
         UNION SELECT thumbnail_sha256 FROM attachments WHERE thumbnail_sha256 IS NOT NULL",
    )?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Inserts a signature, with the strokes and the summary it binds (JSON).
pub fn insert_signature(
    c: &Connection,
    s: &Signature,
    strokes: Option<&str>,
    summary: Option<&str>,
) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO signatures (id, visit_id, signer_name, role, signed_at, image_sha256,
            device_id, step_id, strokes, summary, summary_sha256, chain_head, seal)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(rusqlite::params![
        s.id.to_string(),
        s.visit_id.to_string(),
        s.signer_name,
        s.role.as_str(),
        to_millis(s.signed_at),
        s.image_sha256,
        s.device_id.to_string(),
        s.step_id,
        strokes,
        summary,
        s.summary_sha256,
        s.chain_head,
        s.seal,
    ])?;
    Ok(())
}

/// A signature with the strokes and summary it stored.
pub struct StoredSignature {
    pub signature: Signature,
    pub strokes: Option<String>,
    pub summary: Option<String>,
}

/// The signatures given on a visit, oldest first.
pub fn signatures(c: &Connection, visit: VisitId) -> Result<Vec<Signature>> {
    Ok(stored_signatures(c, visit)?
        .into_iter()
        .map(|s| s.signature)
        .collect())
}

/// The signatures of a visit with their strokes and summaries, oldest first.
pub fn stored_signatures(c: &Connection, visit: VisitId) -> Result<Vec<StoredSignature>> {
    let mut stmt = c.prepare_cached(
        "SELECT id, visit_id, signer_name, role, signed_at, image_sha256, device_id, step_id,
                summary_sha256, chain_head, seal, strokes, summary
         FROM signatures WHERE visit_id = ?1 ORDER BY rowid",
    )?;
    let rows = stmt.query_map([visit.to_string()], |r| {
        Ok(StoredSignature {
            signature: Signature {
                id: id(r, 0, "id")?,
                visit_id: id(r, 1, "visit_id")?,
                signer_name: r.get(2)?,
                role: SignerRole::parse(&r.get::<_, String>(3)?).ok_or_else(|| bad("role"))?,
                signed_at: from_millis(r.get(4)?),
                image_sha256: r.get(5)?,
                device_id: id(r, 6, "device_id")?,
                step_id: r.get(7)?,
                summary_sha256: r.get(8)?,
                chain_head: r.get(9)?,
                seal: r.get(10)?,
            },
            strokes: r.get(11)?,
            summary: r.get(12)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The photos attached to a visit: (sha256, when attached).
pub fn visit_photos(c: &Connection, visit: VisitId) -> Result<Vec<(String, Timestamp)>> {
    let mut stmt = c.prepare_cached(
        "SELECT va.sha256, va.added_at FROM visit_attachments va
           JOIN attachments a ON a.sha256 = va.sha256
          WHERE va.visit_id = ?1 AND a.kind = 'photo' ORDER BY va.added_at, va.sha256",
    )?;
    let rows = stmt.query_map([visit.to_string()], |r| {
        Ok((r.get(0)?, from_millis(r.get(1)?)))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The thumbnail stored with a photo, if it has one.
pub fn thumbnail_of(c: &Connection, photo_sha256: &str) -> Result<Option<String>> {
    use rusqlite::OptionalExtension;
    Ok(
        c.prepare_cached("SELECT thumbnail_sha256 FROM attachments WHERE sha256 = ?1")?
            .query_row([photo_sha256], |r| r.get::<_, Option<String>>(0))
            .optional()?
            .flatten(),
    )
}

// ---------------------------------------------------------------- findings

/// Inserts a finding.
pub fn insert_finding(c: &Connection, f: &Finding) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO findings (id, visit_id, kind, description, recorded_at, acknowledged_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute((
        f.id.to_string(),
        f.visit_id.to_string(),
        f.kind.as_str(),
        &f.description,
        to_millis(f.recorded_at),
        f.acknowledged_by.map(|s| s.to_string()),
    ))?;
    Ok(())
}

/// Marks a finding as confirmed by a customer signature. `NotFound` if it is not on the visit.
pub fn acknowledge_finding(
    c: &Connection,
    visit: VisitId,
    finding: FindingId,
    signature: SignatureId,
) -> Result<()> {
    let n = c
        .prepare_cached("UPDATE findings SET acknowledged_by = ?3 WHERE id = ?1 AND visit_id = ?2")?
        .execute((
            finding.to_string(),
            visit.to_string(),
            signature.to_string(),
        ))?;
    if n == 0 {
        return Err(Error::not_found("finding", finding));
    }
    Ok(())
}

/// The findings of a visit, oldest first.
pub fn findings(c: &Connection, visit: VisitId) -> Result<Vec<Finding>> {
    let mut stmt = c.prepare_cached(
        "SELECT id, visit_id, kind, description, recorded_at, acknowledged_by FROM findings
         WHERE visit_id = ?1 ORDER BY recorded_at, rowid",
    )?;
    let rows = stmt.query_map([visit.to_string()], |r| {
        Ok(Finding {
            id: id(r, 0, "id")?,
            visit_id: id(r, 1, "visit_id")?,
            kind: FindingKind::parse(&r.get::<_, String>(2)?).ok_or_else(|| bad("kind"))?,
            description: r.get(3)?,
            recorded_at: from_millis(r.get(4)?),
            acknowledged_by: r
                .get::<_, Option<String>>(5)?
                .map(|s| s.parse().map_err(|_| bad("acknowledged_by")))
                .transpose()?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

// ---------------------------------------------------------------- fees

/// Stores a fee schedule version (an existing version is replaced).
pub fn put_fee_schedule(c: &Connection, s: &FeeSchedule) -> Result<()> {
    let items =
        serde_json::to_string(&s.items).map_err(|e| Error::invalid("fee items", e.to_string()))?;
    c.prepare_cached(
        "INSERT INTO fee_schedules (id, version, currency, items) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (id, version) DO UPDATE SET currency = excluded.currency, items = excluded.items",
    )?
    .execute((&s.id, s.version, &s.currency, items))?;
    Ok(())
}

/// A fee schedule version, or `NotFound`.
pub fn fee_schedule(c: &Connection, schedule: &str, version: u32) -> Result<FeeSchedule> {
    c.prepare_cached(
        "SELECT id, version, currency, items FROM fee_schedules WHERE id = ?1 AND version = ?2",
    )?
    .query_row((schedule, version), |r| {
        Ok(FeeSchedule {
            id: r.get(0)?,
            version: r.get(1)?,
            currency: r.get(2)?,
            items: serde_json::from_str(&r.get::<_, String>(3)?).map_err(|_| bad("items"))?,
        })
    })
    .optional()?
    .ok_or_else(|| Error::not_found("fee schedule", format!("{schedule} v{version}")))
}

/// Inserts a fee consent.
pub fn insert_fee_consent(c: &Connection, f: &FeeConsent) -> Result<()> {
    let items =
        serde_json::to_string(&f.items).map_err(|e| Error::invalid("fee items", e.to_string()))?;
    c.prepare_cached(
        "INSERT INTO fee_consents (id, visit_id, schedule_id, schedule_version, items, total,
            agreed, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(rusqlite::params![
        f.id.to_string(),
        f.visit_id.to_string(),
        f.schedule_id,
        f.schedule_version,
        items,
        f.total,
        f.agreed,
        to_millis(f.at),
    ])?;
    Ok(())
}

/// The latest fee consent of a visit.
pub fn latest_fee_consent(c: &Connection, visit: VisitId) -> Result<Option<FeeConsent>> {
    Ok(c.prepare_cached(
        "SELECT id, visit_id, schedule_id, schedule_version, items, total, agreed, at
             FROM fee_consents WHERE visit_id = ?1 ORDER BY rowid DESC LIMIT 1",
    )?
    .query_row([visit.to_string()], |r| {
        Ok(FeeConsent {
            id: id(r, 0, "id")?,
            visit_id: id(r, 1, "visit_id")?,
            schedule_id: r.get(2)?,
            schedule_version: r.get(3)?,
            items: serde_json::from_str(&r.get::<_, String>(4)?).map_err(|_| bad("items"))?,
            total: r.get(5)?,
            agreed: r.get(6)?,
            at: from_millis(r.get(7)?),
        })
    })
    .optional()?)
}

/// Records a visit's settlement.
pub fn insert_settlement(c: &Connection, s: &SettlementRecord) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO settlements (id, visit_id, amount, method, receipt_no, reason, consented,
            invoice_due, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(rusqlite::params![
        s.id.to_string(),
        s.visit_id.to_string(),
        s.amount,
        s.method.as_str(),
        s.receipt_no,
        s.reason,
        s.consented,
        s.invoice_due.map(to_millis),
        to_millis(s.at),
    ])?;
    Ok(())
}

/// The latest settlement of a visit.
pub fn latest_settlement(c: &Connection, visit: VisitId) -> Result<Option<SettlementRecord>> {
    Ok(c.prepare_cached(
        "SELECT id, visit_id, amount, method, receipt_no, reason, consented, invoice_due, at
             FROM settlements WHERE visit_id = ?1 ORDER BY rowid DESC LIMIT 1",
    )?
    .query_row([visit.to_string()], |r| {
        Ok(SettlementRecord {
            id: id(r, 0, "id")?,
            visit_id: id(r, 1, "visit_id")?,
            amount: r.get(2)?,
            method: PaymentMethod::parse(&r.get::<_, String>(3)?).ok_or_else(|| bad("method"))?,
            receipt_no: r.get(4)?,
            reason: r.get(5)?,
            consented: r.get(6)?,
            invoice_due: r.get::<_, Option<i64>>(7)?.map(from_millis),
            at: from_millis(r.get(8)?),
        })
    })
    .optional()?)
}

// ---------------------------------------------------------------- parts

/// Adds or renames a catalog part.
pub fn put_part(c: &Connection, p: &Part) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO parts (sku, name, unit) VALUES (?1, ?2, ?3)
         ON CONFLICT (sku) DO UPDATE SET name = excluded.name, unit = excluded.unit",
    )?
    .execute((&p.sku, &p.name, &p.unit))?;
    Ok(())
}

/// A catalog part, or `NotFound`.
pub fn part(c: &Connection, sku: &str) -> Result<Part> {
    c.prepare_cached("SELECT sku, name, unit FROM parts WHERE sku = ?1")?
        .query_row([sku], |r| {
            Ok(Part {
                sku: r.get(0)?,
                name: r.get(1)?,
                unit: r.get(2)?,
            })
        })
        .optional()?
        .ok_or_else(|| Error::not_found("part", sku))
}

/// Appends a movement to the van-stock ledger.
pub fn insert_movement(c: &Connection, m: &StockMovement) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO stock_movements (id, sku, kind, quantity, at, visit_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute((
        m.id.to_string(),
        &m.sku,
        m.kind.as_str(),
        m.quantity,
        to_millis(m.at),
        m.visit_id.map(|v| v.to_string()),
    ))?;
    Ok(())
}

/// Van stock of one part: the sum of its ledger.
pub fn stock_of(c: &Connection, sku: &str) -> Result<i64> {
    Ok(c.prepare_cached(
        "SELECT coalesce(sum(CASE kind WHEN 'issued' THEN quantity ELSE -quantity END), 0)
             FROM stock_movements WHERE sku = ?1",
    )?
    .query_row([sku], |r| r.get(0))?)
}

/// Van stock of every catalog part (parts never moved count 0), by SKU.
pub fn van_stock(c: &Connection) -> Result<Vec<(Part, i64)>> {
    let mut stmt = c.prepare_cached(
        "SELECT p.sku, p.name, p.unit,
                coalesce(sum(CASE m.kind WHEN 'issued' THEN m.quantity ELSE -m.quantity END), 0)
           FROM parts p LEFT JOIN stock_movements m ON m.sku = p.sku
          GROUP BY p.sku ORDER BY p.sku",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            Part {
                sku: r.get(0)?,
                name: r.get(1)?,
                unit: r.get(2)?,
            },
            r.get(3)?,
        ))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Inserts a part usage.
pub fn insert_part_usage(c: &Connection, u: &PartUsage) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO part_usages (id, visit_id, sku, quantity, new_serial, old_part, old_serial,
            stock_short, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(rusqlite::params![
        u.id.to_string(),
        u.visit_id.to_string(),
        u.sku,
        u.quantity,
        u.new_serial,
        u.old_part.as_str(),
        u.old_serial,
        u.stock_short,
        to_millis(u.at),
    ])?;
    Ok(())
}

/// The parts used on a visit, in order.
pub fn part_usages(c: &Connection, visit: VisitId) -> Result<Vec<PartUsage>> {
    let mut stmt = c.prepare_cached(
        "SELECT id, visit_id, sku, quantity, new_serial, old_part, old_serial, stock_short, at
         FROM part_usages WHERE visit_id = ?1 ORDER BY at, rowid",
    )?;
    let rows = stmt.query_map([visit.to_string()], |r| {
        Ok(PartUsage {
            id: id(r, 0, "id")?,
            visit_id: id(r, 1, "visit_id")?,
            sku: r.get(2)?,
            quantity: r.get(3)?,
            new_serial: r.get(4)?,
            old_part: OldPartFate::parse(&r.get::<_, String>(5)?).ok_or_else(|| bad("old_part"))?,
            old_serial: r.get(6)?,
            stock_short: r.get(7)?,
            at: from_millis(r.get(8)?),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

// ---------------------------------------------------------------- take-back, loaners

/// Inserts a loaner.
pub fn insert_loaner(c: &Connection, l: &Loaner) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO loaners (id, work_order_id, model, serial, lent_at, returned_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute((
        l.id.to_string(),
        l.work_order_id.to_string(),
        &l.model,
        &l.serial,
        to_millis(l.lent_at),
        l.returned_at.map(to_millis),
    ))?;
    Ok(())
}

/// Inserts a take-back receipt.
pub fn insert_receipt(c: &Connection, r: &TakeBackReceipt) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO receipts (id, work_order_id, visit_id, receipt_no, reason, issued_at,
            goods_book_ref, loaner_id, returned_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(rusqlite::params![
        r.id.to_string(),
        r.work_order_id.to_string(),
        r.visit_id.to_string(),
        r.receipt_no,
        r.reason,
        to_millis(r.issued_at),
        r.goods_book_ref,
        r.loaner_id.map(|l| l.to_string()),
        r.returned_at.map(to_millis),
    ])?;
    Ok(())
}

/// The take-back receipt issued on `visit`, as a customer signs for it (receipt, reason,
/// goods-book entry, the loaner's model and serial).
pub fn visit_take_back(
    c: &Connection,
    visit: VisitId,
) -> Result<Option<crate::media::signature::SummaryTakeBack>> {
    Ok(c.prepare_cached(
        "SELECT r.receipt_no, r.reason, r.goods_book_ref, l.model, l.serial
         FROM receipts r LEFT JOIN loaners l ON l.id = r.loaner_id
         WHERE r.visit_id = ?1 ORDER BY r.rowid DESC LIMIT 1",
    )?
    .query_row([visit.to_string()], |r| {
        let loaner = match (
            r.get::<_, Option<String>>(3)?,
            r.get::<_, Option<String>>(4)?,
        ) {
            (Some(m), Some(s)) => Some((m, s)),
            _ => None,
        };
        Ok(crate::media::signature::SummaryTakeBack {
            receipt_no: r.get(0)?,
            reason: r.get(1)?,
            goods_book_ref: r.get(2)?,
            loaner,
        })
    })
    .optional()?)
}

/// Whether the order has a receipt whose unit has not come back yet.
pub fn has_open_receipt(c: &Connection, order: WorkOrderId) -> Result<bool> {
    Ok(c.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM receipts WHERE work_order_id = ?1 AND returned_at IS NULL)",
    )?
    .query_row([order.to_string()], |r| r.get(0))?)
}

/// Closes the order's open receipts (the unit is back). Its loaners stay out until each is
/// returned ([`return_loaner`]).
pub fn close_receipts(c: &Connection, order: WorkOrderId, at: Timestamp) -> Result<()> {
    let (o, t) = (order.to_string(), to_millis(at));
    c.prepare_cached(
        "UPDATE receipts SET returned_at = ?2 WHERE work_order_id = ?1 AND returned_at IS NULL",
    )?
    .execute((&o, t))?;
    Ok(())
}

/// The job's loaners, in the order lent.
pub fn loaners(c: &Connection, order: WorkOrderId) -> Result<Vec<Loaner>> {
    let mut stmt = c.prepare_cached(
        "SELECT id, work_order_id, model, serial, lent_at, returned_at FROM loaners
          WHERE work_order_id = ?1 ORDER BY lent_at, rowid",
    )?;
    let rows = stmt.query_map([order.to_string()], |r| {
        Ok(Loaner {
            id: id(r, 0, "id")?,
            work_order_id: id(r, 1, "work_order_id")?,
            model: r.get(2)?,
            serial: r.get(3)?,
            lent_at: from_millis(r.get(4)?),
            returned_at: r.get::<_, Option<i64>>(5)?.map(from_millis),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Marks the job's loaner `loaner` returned at `at`; false when it is not the job's or was
/// already returned.
pub fn return_loaner(
    c: &Connection,
    order: WorkOrderId,
    loaner: LoanerId,
    at: Timestamp,
) -> Result<bool> {
    let n = c
        .prepare_cached(
            "UPDATE loaners SET returned_at = ?3
              WHERE id = ?1 AND work_order_id = ?2 AND returned_at IS NULL",
        )?
        .execute((loaner.to_string(), order.to_string(), to_millis(at)))?;
    Ok(n == 1)
}

// ---------------------------------------------------------------- feedback

/// Inserts the customer's feedback.
pub fn insert_feedback(c: &Connection, f: &Feedback) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO feedback (id, visit_id, rating, comment, complaint, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute((
        f.id.to_string(),
        f.visit_id.to_string(),
        f.rating,
        &f.comment,
        f.complaint,
        to_millis(f.at),
    ))?;
    Ok(())
}

/// The latest feedback of a visit.
pub fn feedback(c: &Connection, visit: VisitId) -> Result<Option<Feedback>> {
    Ok(c.prepare_cached(
        "SELECT id, visit_id, rating, comment, complaint, at FROM feedback
             WHERE visit_id = ?1 ORDER BY rowid DESC LIMIT 1",
    )?
    .query_row([visit.to_string()], |r| {
        Ok(Feedback {
            id: id(r, 0, "id")?,
            visit_id: id(r, 1, "visit_id")?,
            rating: r.get(2)?,
            comment: r.get(3)?,
            complaint: r.get(4)?,
            at: from_millis(r.get(5)?),
        })
    })
    .optional()?)
}

// ---------------------------------------------------------------- templates

/// Stores a template version's JSON.
pub fn put_template(c: &Connection, template_id: &str, version: u32, json: &str) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO templates (id, version, json) VALUES (?1, ?2, ?3)
         ON CONFLICT (id, version) DO UPDATE SET json = excluded.json",
    )?
    .execute((template_id, version, json))?;
    Ok(())
}

/// A stored template version's JSON.
pub fn template_json(c: &Connection, template_id: &str, version: u32) -> Result<Option<String>> {
    Ok(
        c.prepare_cached("SELECT json FROM templates WHERE id = ?1 AND version = ?2")?
            .query_row((template_id, version), |r| r.get(0))
            .optional()?,
    )
}

/// The newest stored version of a template, if any was installed.
pub fn latest_template(c: &Connection, template_id: &str) -> Result<Option<(u32, String)>> {
    Ok(c.prepare_cached(
        "SELECT version, json FROM templates WHERE id = ?1 ORDER BY version DESC LIMIT 1",
    )?
    .query_row([template_id], |r| Ok((r.get(0)?, r.get(1)?)))
    .optional()?)
}
