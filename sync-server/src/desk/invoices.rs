//! Invoices to follow (发票待开), shared by the JSON API and the dashboard. A paid visit
//! settled without a receipt or invoice on site owes the customer an invoice within
//! [`INVOICE_DUE_DAYS`] days (004 一 第5章 第19条(4)): the settlement (`settle` op) carries
//! that due date. The desk records the invoice once issued (its number and day, audited);
//! the report lists each such settlement as `due` (not issued, due date still ahead),
//! `overdue` (not issued, due date passed) or `issued`.
//!
//! A settlement counts when the server accepted it; when a visit was settled more than once,
//! its latest settlement stands (as in the cash reconciliation).

use crate::msg;
use crate::msg::Thing;
use crate::stored::Code;
use std::collections::{BTreeMap, HashMap};

use fieldkit_core::model::{Cents, INVOICE_DUE_DAYS, PaymentMethod, Timestamp, WorkOrderId};
use fieldkit_core::sync::ops::{JobOp, SettleV1};
use fieldkit_core::sync::protocol::Op;
use serde::{Deserialize, Serialize};

use super::audit::{Action, Actor, record};
use super::cash::day;
use crate::error::ApiError;
use crate::measures::MeasureConfig;
use crate::records::InvoiceRecord;
use crate::state::AppState;

/// Where a settlement's invoice stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    /// Not issued; the due date is still ahead.
    Due,
    /// Not issued; the due date has passed.
    Overdue,
    /// Issued (recorded by the desk).
    Issued,
}

impl InvoiceStatus {
    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Due => "due",
            Self::Overdue => "overdue",
            Self::Issued => "issued",
        }
    }
}

/// `GET /v1/admin/reports/invoices` query: only invoices in `status` (default: all).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvoiceQuery {
    #[serde(default)]
    pub status: Option<InvoiceStatus>,
}

/// `POST /v1/admin/work-orders/{id}/invoice` body: the invoice the desk issued.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IssueInvoice {
    /// Which settlement of the job (its `id`); may be left out when the job has exactly one
    /// settlement awaiting an invoice.
    #[serde(default)]
    pub settlement_id: Option<String>,
    /// The invoice's number, 1 to 64 characters.
    pub number: String,
    /// The local day it was issued (YYYY-MM-DD): not before the settlement's day, not after
    /// today.
    pub issued_on: String,
}

/// An invoice as the desk recorded it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedInvoice {
    pub number: String,
    pub issued_on: String,
    pub recorded_by: String,
    /// ms since the epoch.
    pub recorded_at: i64,
}

/// One settlement made without an invoice on site, and where its invoice stands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InvoiceRow {
    pub work_order_id: WorkOrderId,
    /// The job's number (empty for a job the server no longer holds).
    pub job_number: String,
    /// The job's technician.
    pub technician_id: Option<String>,
    pub settlement_id: String,
    /// In fen.
    pub amount: Cents,
    pub method: PaymentMethod,
    pub settled_at: Timestamp,
    /// [`INVOICE_DUE_DAYS`] after `settled_at`.
    pub due: Timestamp,
    pub status: InvoiceStatus,
    /// Present once issued.
    pub invoice: Option<IssuedInvoice>,
}

/// `GET /v1/admin/reports/invoices` answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InvoiceReport {
    /// The server's time the statuses are taken at (ms).
    pub as_of: i64,
    /// Oldest due date first.
    pub invoices: Vec<InvoiceRow>,
}

/// The standing settlements with an invoice to follow among `ops` (`settle` ops in the order
/// received): the latest per job and visit, those without a receipt on site.
fn standing(ops: &[Op]) -> Vec<(WorkOrderId, SettleV1)> {
    let mut latest: BTreeMap<(String, Option<String>), (usize, WorkOrderId, SettleV1)> =
        BTreeMap::new();
    for (n, op) in ops.iter().enumerate() {
        let Ok(job) = op.entity_id.parse::<WorkOrderId>() else {
            continue;
        };
        let Ok(JobOp::Settle(p)) =
            JobOp::parse(&op.kind, op.version, op.visit_id.as_deref(), &op.payload)
        else {
            continue;
        };
        latest.insert((op.entity_id.clone(), op.visit_id.clone()), (n, job, p));
    }
    let mut out: Vec<(usize, WorkOrderId, SettleV1)> = latest
        .into_values()
        .filter(|(_, _, p)| p.receipt_no.is_none() && p.invoice_due.is_some())
        .collect();
    out.sort_by_key(|(n, _, _)| *n);
    out.into_iter().map(|(_, j, p)| (j, p)).collect()
}

/// The rows of `settlements`, with their invoices and statuses at `now` (ms).
async fn rows(
    s: &AppState,
    settlements: Vec<(WorkOrderId, SettleV1)>,
    now: i64,
) -> Result<Vec<InvoiceRow>, ApiError> {
    let issued: HashMap<String, InvoiceRecord> = s
        .storage
        .invoices()
        .await?
        .into_iter()
        .map(|i| (i.settlement_id.clone(), i))
        .collect();
    let mut jobs: HashMap<WorkOrderId, (String, Option<String>)> = HashMap::new();
    let mut out = Vec::with_capacity(settlements.len());
    for (job, p) in settlements {
        let (job_number, technician_id) = match jobs.get(&job) {
            Some(v) => v.clone(),
            None => {
                let j = s.storage.work_order(job).await?;
                let v = j.map_or((String::new(), None), |j| (j.order.number, j.technician_id));
                jobs.insert(job, v.clone());
                v
            }
        };
        let due = p
            .invoice_due
            .unwrap_or(p.at + chrono::Duration::days(INVOICE_DUE_DAYS));
        let settlement_id = p.id.to_string();
        let invoice = issued.get(&settlement_id).map(|i| IssuedInvoice {
            number: i.number.clone(),
            issued_on: i.issued_on.clone(),
            recorded_by: i.recorded_by.clone(),
            recorded_at: i.recorded_at,
        });
        let status = match (&invoice, due.timestamp_millis() < now) {
            (Some(_), _) => InvoiceStatus::Issued,
            (None, true) => InvoiceStatus::Overdue,
            (None, false) => InvoiceStatus::Due,
        };
        out.push(InvoiceRow {
            work_order_id: job,
            job_number,
            technician_id,
            settlement_id,
            amount: p.amount,
            method: p.method,
            settled_at: p.at,
            due,
            status,
            invoice,
        });
    }
    out.sort_by(|a, b| (a.due, &a.settlement_id).cmp(&(b.due, &b.settlement_id)));
    Ok(out)
}

/// Every settlement with an invoice to follow, in `q.status` when given.
pub async fn report(s: &AppState, q: &InvoiceQuery) -> Result<InvoiceReport, ApiError> {
    let now = s.clock.now_ms();
    let ops = s.storage.ops_of_kind("settle".into()).await?;
    let mut invoices = rows(s, standing(&ops), now).await?;
    if let Some(st) = q.status {
        invoices.retain(|r| r.status == st);
    }
    Ok(InvoiceReport {
        as_of: now,
        invoices,
    })
}

/// Records the invoice of one of the job's settlements as issued (audited) and answers its
/// row. Refused: no such job or settlement (404); the job has no settlement with an invoice
/// to follow, or its invoice is already recorded (409); a bad number or day, or no
/// `settlement_id` where the job has more than one awaiting (400). Nothing is recorded then.
pub async fn issue(
    s: &AppState,
    by: &Actor,
    job: WorkOrderId,
    req: IssueInvoice,
) -> Result<InvoiceRow, ApiError> {
    let number = super::text("number", &req.number, 64)?;
    if number.contains('\0') {
        return Err(ApiError::BadRequest(msg!("err-invoice-number")));
    }
    let issued_on = day("issued_on", &req.issued_on)?;
    s.storage
        .work_order(job)
        .await?
        .ok_or(ApiError::NotFound(Thing::WorkOrder))?;
    let now = s.clock.now_ms();
    let ops = s.storage.job_ops(job, "settle".into()).await?;
    let all = rows(s, standing(&ops), now).await?;
    if all.is_empty() {
        return Err(ApiError::Conflict(msg!("err-invoice-no-settlement")));
    }
    let row = match &req.settlement_id {
        Some(id) => all
            .iter()
            .find(|r| r.settlement_id == id.trim())
            .ok_or(ApiError::NotFound(Thing::Settlement))?,
        None => {
            let open: Vec<&InvoiceRow> = all.iter().filter(|r| r.invoice.is_none()).collect();
            match open.as_slice() {
                [] => &all[0],
                [one] => one,
                _ => {
                    return Err(ApiError::BadRequest(msg!("err-invoice-which-settlement")));
                }
            }
        }
    };
    if row.invoice.is_some() {
        return Err(ApiError::Conflict(msg!("err-invoice-recorded")));
    }
    let cfg = MeasureConfig::default();
    let settled_day = cfg.local_date(row.settled_at.timestamp_millis());
    let today = cfg.local_date(now);
    if issued_on < settled_day || issued_on > today {
        return Err(ApiError::BadRequest(msg!("err-invoice-issued-on")));
    }
    let rec = InvoiceRecord {
        settlement_id: row.settlement_id.clone(),
        work_order_id: job.to_string(),
        number,
        issued_on: issued_on.format("%Y-%m-%d").to_string(),
        recorded_by: by.login.clone(),
        recorded_at: now,
    };
    s.storage.record_invoice(rec.clone()).await?;
    record(
        s,
        by,
        Action::InvoiceIssued,
        Some(&rec.work_order_id),
        Some(
            Code::AuditInvoice
                .said()
                .arg("settlement", rec.settlement_id.as_str())
                .arg("number", rec.number.as_str())
                .arg("issued_on", rec.issued_on.as_str()),
        ),
    )
    .await?;
    tracing::info!(work_order = %job, settlement = %rec.settlement_id, "invoice recorded as issued");
    let mut done = row.clone();
    done.status = InvoiceStatus::Issued;
    done.invoice = Some(IssuedInvoice {
        number: rec.number,
        issued_on: rec.issued_on,
        recorded_by: rec.recorded_by,
        recorded_at: rec.recorded_at,
    });
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use fieldkit_core::model::{SettlementId, invoice_due};
    use serde_json::json;

    fn settle(job: WorkOrderId, visit: &str, receipt: Option<&str>, at: Timestamp) -> Op {
        let p = SettleV1 {
            id: SettlementId::new(),
            amount: 13_000,
            method: PaymentMethod::Cash,
            receipt_no: receipt.map(str::to_owned),
            invoice_due: invoice_due(at, receipt),
            reason: None,
            at,
        };
        serde_json::from_value(json!({
            "op_id": uuid::Uuid::now_v7(), "seq": 1, "entity": "work_order",
            "entity_id": job.to_string(), "visit_id": visit, "kind": "settle", "version": 1,
            "payload": p, "hlc": "0", "device_time": 0, "hash": null,
        }))
        .unwrap()
    }

    #[test]
    fn the_latest_settlement_of_a_visit_stands_and_only_those_without_a_receipt_count() {
        let at = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let (a, b) = (WorkOrderId::new(), WorkOrderId::new());
        let ops = vec![
            // Job a, visit 1: invoice to follow, then settled again with a receipt.
            settle(a, "v1", None, at),
            settle(a, "v1", Some("R-1"), at),
            // Job a, visit 2: invoice to follow (stands).
            settle(a, "v2", None, at),
            // Job b: a receipt on site, then an invoice to follow (stands).
            settle(b, "v3", Some("R-2"), at),
            settle(b, "v3", None, at),
        ];
        let got: Vec<(WorkOrderId, Option<String>)> = standing(&ops)
            .into_iter()
            .map(|(j, p)| (j, p.receipt_no))
            .collect();
        assert_eq!(got, vec![(a, None), (b, None)]);
    }
}
