//! Reading and writing domain records. Every function takes a connection (the reader, or a
//! write transaction through [`super::Tx`]'s deref) and speaks in `model` types.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, Row};

use super::{ENTITY_RUNS, PendingOp};
use crate::checklist::{AnswerValue, Recorded};
use crate::clock::{from_millis, to_millis};
use crate::error::{Error, Result};
use crate::model::*;

pub(crate) fn bad(field: &'static str) -> rusqlite::Error {
    rusqlite::Error::InvalidColumnType(0, field.into(), rusqlite::types::Type::Text)
}

pub(crate) fn id<T: std::str::FromStr>(
    r: &Row<'_>,
    i: usize,
    field: &'static str,
) -> rusqlite::Result<T> {
    r.get::<_, String>(i)?.parse().map_err(|_| bad(field))
}

fn ts(r: &Row<'_>, i: usize) -> rusqlite::Result<Timestamp> {
    Ok(from_millis(r.get(i)?))
}

fn ts_opt(r: &Row<'_>, i: usize) -> rusqlite::Result<Option<Timestamp>> {
    Ok(r.get::<_, Option<i64>>(i)?.map(from_millis))
}

fn json_col<T: serde::de::DeserializeOwned>(
    r: &Row<'_>,
    i: usize,
    field: &'static str,
) -> rusqlite::Result<T> {
    serde_json::from_str(&r.get::<_, String>(i)?).map_err(|_| bad(field))
}

fn to_json<T: serde::Serialize>(v: &T) -> String {
    // Serialising our own plain data types cannot fail (no maps with non-string keys).
    serde_json::to_string(v).unwrap_or_default()
}

// ---------------------------------------------------------------- work orders

const ORDER_COLS: &str = "id, number, kind, status, customer_name, customer_phone, address, \
    zone, product_model, product_serial, reported_fault, promised_start, promised_end, billing, \
    instructions, reported_at, checklist, parent_id, parent_number, parent_kind, sale";

fn order_row(r: &Row<'_>) -> rusqlite::Result<WorkOrder> {
    let enum_col = |i: usize, field: &'static str| -> rusqlite::Result<String> {
        let s: String = r.get(i)?;
        if s.is_empty() {
            return Err(bad(field));
        }
        Ok(s)
    };
    Ok(WorkOrder {
        id: id(r, 0, "id")?,
        number: r.get(1)?,
        kind: JobKind::parse(&enum_col(2, "kind")?).ok_or_else(|| bad("kind"))?,
        status: WorkOrderStatus::parse(&enum_col(3, "status")?).ok_or_else(|| bad("status"))?,
        customer: Customer {
            name: r.get(4)?,
            phone: r.get(5)?,
        },
        site: Site {
            address: r.get(6)?,
            zone: serde_json::from_value(serde_json::Value::String(r.get(7)?))
                .map_err(|_| bad("zone"))?,
        },
        product: Product {
            model: r.get(8)?,
            serial: r.get(9)?,
        },
        reported_fault: r.get(10)?,
        promised: TimeWindow {
            start: ts(r, 11)?,
            end: ts(r, 12)?,
        },
        billing: serde_json::from_value(serde_json::Value::String(r.get(13)?))
            .map_err(|_| bad("billing"))?,
        instructions: r.get(14)?,
        reported_at: ts(r, 15)?,
        checklist: r
            .get::<_, Option<String>>(16)?
            .map(|j| serde_json::from_str(&j).map_err(|_| bad("checklist")))
            .transpose()?,
        parent: parent_row(r, 17)?,
        sale: r
            .get::<_, Option<String>>(20)?
            .map(|j| serde_json::from_str(&j).map_err(|_| bad("sale")))
            .transpose()?,
    })
}

/// The parent link stored in columns `i..i + 3` (id, number, kind): all three or none.
fn parent_row(r: &Row<'_>, i: usize) -> rusqlite::Result<Option<ParentLink>> {
    let Some(parent) = r.get::<_, Option<String>>(i)? else {
        return Ok(None);
    };
    Ok(Some(ParentLink {
        id: parent.parse().map_err(|_| bad("parent id"))?,
        number: r
            .get::<_, Option<String>>(i + 1)?
            .ok_or_else(|| bad("parent number"))?,
        kind: r
            .get::<_, Option<String>>(i + 2)?
            .and_then(|k| LinkKind::parse(&k))
            .ok_or_else(|| bad("parent kind"))?,
    }))
}

fn enum_str<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// Inserts or replaces the dispatcher-owned fields of a work order (status is kept for an
/// existing order: the device owns its progress).
pub fn upsert_work_order(c: &Connection, o: &WorkOrder, now: Timestamp) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO work_orders (id, number, kind, status, customer_name, customer_phone,
            address, zone, product_model, product_serial, reported_fault, promised_start,
            promised_end, billing, instructions, reported_at, updated_at, checklist, parent_id,
            parent_number, parent_kind, sale)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
                 ?19, ?20, ?21, ?22)
         ON CONFLICT (id) DO UPDATE SET number = excluded.number, kind = excluded.kind,
            customer_name = excluded.customer_name, customer_phone = excluded.customer_phone,
            address = excluded.address, zone = excluded.zone,
            product_model = excluded.product_model, product_serial = excluded.product_serial,
            reported_fault = excluded.reported_fault, promised_start = excluded.promised_start,
            promised_end = excluded.promised_end, billing = excluded.billing,
            instructions = excluded.instructions, updated_at = excluded.updated_at,
            checklist = excluded.checklist, parent_id = excluded.parent_id,
            parent_number = excluded.parent_number, parent_kind = excluded.parent_kind,
            sale = excluded.sale",
    )?
    .execute(rusqlite::params![
        o.id.to_string(),
        o.number,
        o.kind.as_str(),
        o.status.as_str(),
        o.customer.name,
        o.customer.phone,
        o.site.address,
        enum_str(&o.site.zone),
        o.product.model,
        o.product.serial,
        o.reported_fault,
        to_millis(o.promised.start),
        to_millis(o.promised.end),
        enum_str(&o.billing),
        o.instructions,
        to_millis(o.reported_at),
        to_millis(now),
        o.checklist.as_ref().map(to_json),
        o.parent.as_ref().map(|p| p.id.to_string()),
        o.parent.as_ref().map(|p| p.number.as_str()),
        o.parent.as_ref().map(|p| p.kind.as_str()),
        o.sale.as_ref().map(to_json),
    ])?;
    Ok(())
}

/// The work order, or `NotFound`.
pub fn work_order(c: &Connection, id: WorkOrderId) -> Result<WorkOrder> {
    c.prepare_cached(&format!(
        "SELECT {ORDER_COLS} FROM work_orders WHERE id = ?1"
    ))?
    .query_row([id.to_string()], order_row)
    .optional()?
    .ok_or_else(|| Error::not_found("work order", id))
}

/// Sets an order's status.
pub fn set_order_status(
    c: &Connection,
    id: WorkOrderId,
    status: WorkOrderStatus,
    now: Timestamp,
) -> Result<()> {
    c.prepare_cached("UPDATE work_orders SET status = ?2, updated_at = ?3 WHERE id = ?1")?
        .execute((id.to_string(), status.as_str(), to_millis(now)))?;
    Ok(())
}

/// Moves the promised window (reschedule).
pub fn set_promised(c: &Connection, id: WorkOrderId, w: TimeWindow, now: Timestamp) -> Result<()> {
    c.prepare_cached(
        "UPDATE work_orders SET promised_start = ?2, promised_end = ?3, updated_at = ?4
         WHERE id = ?1",
    )?
    .execute((
        id.to_string(),
        to_millis(w.start),
        to_millis(w.end),
        to_millis(now),
    ))?;
    Ok(())
}

/// Orders promised within `[from, to)`, plus every still-open order promised before `from`
/// (overdue work carries over), earliest first. Jobs that left this technician's scope
/// (reassigned by the desk) are not listed.
pub fn orders_for_day(c: &Connection, from: Timestamp, to: Timestamp) -> Result<Vec<WorkOrder>> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {ORDER_COLS} FROM work_orders
          WHERE promised_start >= ?1 AND promised_start < ?2 AND left_scope_at IS NULL
         UNION ALL
         SELECT {ORDER_COLS} FROM work_orders INDEXED BY work_orders_open
          WHERE status NOT IN ('completed', 'cancelled') AND promised_start < ?1
            AND status NOT IN ('quote_declined', 'redelivery_requested')
            AND left_scope_at IS NULL
         ORDER BY promised_start"
    ))?;
    let rows = stmt.query_map((to_millis(from), to_millis(to)), order_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

// ---------------------------------------------------------------- visits

const VISIT_COLS: &str = "id, work_order_id, number, status, template_id, template_version, \
    agreed_start, agreed_end, planned_at, travel_started_at, arrived_at, work_started_at, ended_at";

fn visit_row(r: &Row<'_>) -> rusqlite::Result<Visit> {
    Ok(Visit {
        id: id(r, 0, "id")?,
        work_order_id: id(r, 1, "work_order_id")?,
        number: r.get(2)?,
        status: VisitStatus::parse(&r.get::<_, String>(3)?).ok_or_else(|| bad("status"))?,
        template: TemplateRef {
            id: r.get(4)?,
            version: r.get(5)?,
        },
        agreed: TimeWindow {
            start: ts(r, 6)?,
            end: ts(r, 7)?,
        },
        planned_at: ts(r, 8)?,
        travel_started_at: ts_opt(r, 9)?,
        arrived_at: ts_opt(r, 10)?,
        work_started_at: ts_opt(r, 11)?,
        ended_at: ts_opt(r, 12)?,
    })
}

/// The order's open visit, if any.
pub fn open_visit(c: &Connection, order: WorkOrderId) -> Result<Option<Visit>> {
    Ok(c.prepare_cached(&format!(
        "SELECT {VISIT_COLS} FROM visits WHERE work_order_id = ?1 AND ended_at IS NULL"
    ))?
    .query_row([order.to_string()], visit_row)
    .optional()?)
}

/// The order's most recent visit (open or ended), if any.
pub fn last_visit(c: &Connection, order: WorkOrderId) -> Result<Option<Visit>> {
    Ok(c.prepare_cached(&format!(
        "SELECT {VISIT_COLS} FROM visits WHERE work_order_id = ?1
             ORDER BY number DESC LIMIT 1"
    ))?
    .query_row([order.to_string()], visit_row)
    .optional()?)
}

/// Inserts a new visit.
pub fn insert_visit(c: &Connection, v: &Visit) -> Result<()> {
    c.prepare_cached(&format!(
        "INSERT INTO visits ({VISIT_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
    ))?
    .execute(rusqlite::params![
        v.id.to_string(),
        v.work_order_id.to_string(),
        v.number,
        v.status.as_str(),
        v.template.id,
        v.template.version,
        to_millis(v.agreed.start),
        to_millis(v.agreed.end),
        to_millis(v.planned_at),
        v.travel_started_at.map(to_millis),
        v.arrived_at.map(to_millis),
        v.work_started_at.map(to_millis),
        v.ended_at.map(to_millis),
    ])?;
    Ok(())
}

/// Writes a visit's status, agreed window and milestone times.
pub fn update_visit(c: &Connection, v: &Visit) -> Result<()> {
    c.prepare_cached(
        "UPDATE visits SET status = ?2, agreed_start = ?3, agreed_end = ?4,
            travel_started_at = ?5, arrived_at = ?6, work_started_at = ?7, ended_at = ?8
         WHERE id = ?1",
    )?
    .execute(rusqlite::params![
        v.id.to_string(),
        v.status.as_str(),
        to_millis(v.agreed.start),
        to_millis(v.agreed.end),
        v.travel_started_at.map(to_millis),
        v.arrived_at.map(to_millis),
        v.work_started_at.map(to_millis),
        v.ended_at.map(to_millis),
    ])?;
    Ok(())
}

// ---------------------------------------------------------------- calls, delays, time

/// Inserts a pre-visit call.
pub fn insert_call(c: &Connection, call: &PreVisitCall) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO calls (id, work_order_id, called_at, reached, confirmed, agreed_start,
            agreed_end, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(rusqlite::params![
        call.id.to_string(),
        call.work_order_id.to_string(),
        to_millis(call.called_at),
        call.reached,
        to_json(&call.confirmed),
        call.agreed.map(|w| to_millis(w.start)),
        call.agreed.map(|w| to_millis(w.end)),
        call.note,
    ])?;
    Ok(())
}

/// Whether a call reached the customer since `since`.
pub fn reached_since(c: &Connection, order: WorkOrderId, since: Timestamp) -> Result<bool> {
    Ok(c.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM calls WHERE work_order_id = ?1 AND reached = 1
             AND called_at >= ?2)",
    )?
    .query_row((order.to_string(), to_millis(since)), |r| r.get(0))?)
}

/// Inserts a delay notice.
pub fn insert_delay(c: &Connection, d: &DelayNotice) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO delay_notices (id, visit_id, notified_at, reason, new_eta, in_time)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(rusqlite::params![
        d.id.to_string(),
        d.visit_id.to_string(),
        to_millis(d.notified_at),
        d.reason,
        to_millis(d.new_eta),
        d.in_time,
    ])?;
    Ok(())
}

/// The delay notices of a visit, oldest first.
pub fn delays(c: &Connection, visit: VisitId) -> Result<Vec<DelayNotice>> {
    let mut stmt = c.prepare_cached(
        "SELECT id, visit_id, notified_at, reason, new_eta, in_time FROM delay_notices
         WHERE visit_id = ?1 ORDER BY notified_at",
    )?;
    let rows = stmt.query_map([visit.to_string()], |r| {
        Ok(DelayNotice {
            id: id(r, 0, "id")?,
            visit_id: id(r, 1, "visit_id")?,
            notified_at: ts(r, 2)?,
            reason: r.get(3)?,
            new_eta: ts(r, 4)?,
            in_time: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Starts a time entry.
pub fn start_time(
    c: &Connection,
    visit: VisitId,
    kind: TimeKind,
    at: Timestamp,
    reason: Option<&str>,
) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO time_entries (id, visit_id, kind, started_at, reason)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute((
        TimeEntryId::new().to_string(),
        visit.to_string(),
        kind.as_str(),
        to_millis(at),
        reason,
    ))?;
    Ok(())
}

/// Ends every running time entry of the visit.
pub fn stop_time(c: &Connection, visit: VisitId, at: Timestamp) -> Result<()> {
    c.prepare_cached(
        "UPDATE time_entries SET ended_at = ?2 WHERE visit_id = ?1 AND ended_at IS NULL",
    )?
    .execute((visit.to_string(), to_millis(at)))?;
    Ok(())
}

/// A visit's time entries, oldest first.
pub fn time_entries(c: &Connection, visit: VisitId) -> Result<Vec<TimeEntry>> {
    let mut stmt = c.prepare_cached(
        "SELECT id, visit_id, kind, started_at, ended_at, reason FROM time_entries
         WHERE visit_id = ?1 ORDER BY started_at, rowid",
    )?;
    let rows = stmt.query_map([visit.to_string()], |r| {
        Ok(TimeEntry {
            id: id(r, 0, "id")?,
            visit_id: id(r, 1, "visit_id")?,
            kind: TimeKind::parse(&r.get::<_, String>(2)?).ok_or_else(|| bad("kind"))?,
            started_at: ts(r, 3)?,
            ended_at: ts_opt(r, 4)?,
            reason: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

// ---------------------------------------------------------------- checklist facts

/// The kinds of journal entries that answer or skip a checklist step.
const STEP_KINDS: &str = "kind IN ('answer_step', 'except_step')";

/// The latest answer or exception of each step of a visit, with its time, read from the
/// job's journal (fee consent excluded: see [`ChecklistFacts::fee_consent`]).
pub fn step_records(
    c: &Connection,
    order: WorkOrderId,
    visit: VisitId,
) -> Result<HashMap<String, (Recorded, Timestamp)>> {
    #[derive(serde::Deserialize)]
    struct Step {
        step: String,
        answer: Option<AnswerValue>,
        reason: Option<String>,
    }
    let mut stmt = c.prepare_cached(&format!(
        "{ENTITY_RUNS} SELECT j.payload, j.at FROM runs JOIN journal j ON j.seq >= lo AND j.seq < hi
          WHERE j.entity_id = ?1 AND j.visit_id = ?2 AND {STEP_KINDS} ORDER BY j.seq"
    ))?;
    let mut rows = stmt.query((order.to_string(), visit.to_string()))?;
    let mut out = HashMap::new();
    while let Some(r) = rows.next()? {
        let s: Step = serde_json::from_str(r.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?)
            .map_err(|_| Error::Storage(bad("step payload")))?;
        let rec = match (s.answer, s.reason) {
            (Some(a), _) => Recorded::Answer(a),
            (None, Some(reason)) => Recorded::Exception { reason },
            (None, None) => return Err(Error::Storage(bad("step payload"))),
        };
        out.insert(s.step, (rec, ts(r, 1)?));
    }
    Ok(out)
}

/// Everything the checklist needs to know that was recorded on a visit.
pub struct ChecklistFacts {
    pub recorded: HashMap<String, Recorded>,
    pub photos: HashMap<String, u32>,
    pub signatures: HashMap<String, Vec<SignerRole>>,
    pub unacknowledged_findings: u32,
    pub acknowledged_findings: u32,
    /// Ids of the parts recorded on the visit, sorted.
    pub parts: Vec<String>,
    /// The summary hash of the customer's latest signature on the visit.
    pub customer_summary: Option<String>,
    /// The job's loaners: (lent, not yet returned).
    pub loaners: (u32, u32),
    /// The customer's latest answer to the fees (agreed or not) and when, if asked: the
    /// answer of the template's fee-consent step.
    pub fee_consent: Option<(bool, Timestamp)>,
}

/// Photos attached per step of a visit.
pub(crate) const PHOTO_COUNTS: &str = "SELECT va.step_id, count(*) FROM visit_attachments va
       JOIN attachments a ON a.sha256 = va.sha256
      WHERE va.visit_id = ?1 AND a.kind = 'photo' AND va.step_id IS NOT NULL
      GROUP BY va.step_id";

/// Reads a visit's answers, evidence counts and open findings.
pub fn checklist_facts(
    c: &Connection,
    order: WorkOrderId,
    visit: VisitId,
) -> Result<ChecklistFacts> {
    let recorded = step_records(c, order, visit)?
        .into_iter()
        .map(|(step, (rec, _))| (step, rec))
        .collect();
    let v = visit.to_string();
    let mut photos = HashMap::new();
    let mut stmt = c.prepare_cached(PHOTO_COUNTS)?;
    let mut rows = stmt.query([&v])?;
    while let Some(r) = rows.next()? {
        photos.insert(r.get(0)?, r.get(1)?);
    }
    let mut signatures: HashMap<String, Vec<SignerRole>> = HashMap::new();
    let mut stmt = c.prepare_cached(
        "SELECT step_id, role FROM signatures WHERE visit_id = ?1 AND step_id IS NOT NULL",
    )?;
    let mut rows = stmt.query([&v])?;
    while let Some(r) = rows.next()? {
        let role = SignerRole::parse(&r.get::<_, String>(1)?).ok_or_else(|| bad("role"))?;
        signatures.entry(r.get(0)?).or_default().push(role);
    }
    let (unacknowledged_findings, acknowledged_findings) = c
        .prepare_cached(
            "SELECT count(*) FILTER (WHERE acknowledged_by IS NULL),
                    count(*) FILTER (WHERE acknowledged_by IS NOT NULL)
             FROM findings WHERE visit_id = ?1",
        )?
        .query_row([&v], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let parts = c
        .prepare_cached("SELECT id FROM part_usages WHERE visit_id = ?1 ORDER BY id")?
        .query_map([&v], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    let customer_summary = c
        .prepare_cached(
            "SELECT summary_sha256 FROM signatures WHERE visit_id = ?1 AND role = 'customer'
             ORDER BY rowid DESC LIMIT 1",
        )?
        .query_row([&v], |r| r.get::<_, Option<String>>(0))
        .optional()?
        .flatten();
    let loaners = c
        .prepare_cached(
            "SELECT count(*), count(*) FILTER (WHERE returned_at IS NULL)
             FROM loaners WHERE work_order_id = ?1",
        )?
        .query_row([order.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let fee_consent = c
        .prepare_cached(
            "SELECT agreed, at FROM fee_consents WHERE visit_id = ?1 ORDER BY rowid DESC
             LIMIT 1",
        )?
        .query_row([&v], |r| Ok((r.get(0)?, ts(r, 1)?)))
        .optional()?;
    Ok(ChecklistFacts {
        recorded,
        photos,
        signatures,
        unacknowledged_findings,
        acknowledged_findings,
        parts,
        customer_summary,
        loaners,
        fee_consent,
    })
}

// ---------------------------------------------------------------- outbox

/// The outbox, oldest first: the journal past the last acknowledged op.
pub fn pending_ops(c: &Connection, limit: i64) -> Result<Vec<PendingOp>> {
    let mut stmt = c.prepare_cached(
        "SELECT seq, op_id, entity, entity_id, visit_id, kind, version, payload, hlc, at, hash
         FROM journal WHERE seq > (SELECT acked_seq FROM device) ORDER BY seq LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit], op_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Every op of a work order's journal (its timeline), sent or not, oldest first.
pub fn job_ops(c: &Connection, order: WorkOrderId) -> Result<Vec<PendingOp>> {
    let mut stmt = c.prepare_cached(&format!(
        "{ENTITY_RUNS} SELECT j.seq, j.op_id, j.entity, j.entity_id, j.visit_id, j.kind, j.version,
                j.payload, j.hlc, j.at, j.hash
           FROM runs JOIN journal j ON j.seq >= lo AND j.seq < hi
          WHERE j.entity_id = ?1 AND j.entity = 'work_order' ORDER BY j.seq"
    ))?;
    let rows = stmt.query_map([order.to_string()], op_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn op_row(r: &Row<'_>) -> rusqlite::Result<PendingOp> {
    Ok(PendingOp {
        seq: r.get(0)?,
        op_id: id(r, 1, "op_id")?,
        entity: r.get(2)?,
        entity_id: r.get(3)?,
        visit_id: r.get(4)?,
        kind: r.get(5)?,
        version: r.get(6)?,
        payload: json_col(r, 7, "payload")?,
        hlc: r.get(8)?,
        device_time: r.get(9)?,
        hash: r.get(10)?,
    })
}

/// The template a visit follows, by the visit's id.
pub fn visit_template(c: &Connection, visit: &str) -> Result<Option<TemplateRef>> {
    Ok(
        c.prepare_cached("SELECT template_id, template_version FROM visits WHERE id = ?1")?
            .query_row([visit], |r| {
                Ok(TemplateRef {
                    id: r.get(0)?,
                    version: r.get(1)?,
                })
            })
            .optional()?,
    )
}
