//! What the desk does, whichever face it is done from (the JSON API under `/v1/admin` or the
//! dashboard's pages): the checks on what a dispatcher typed ([`text`], [`window_ok`],
//! [`validated_order`]), and the operations that change the record and tell whoever watches
//! (open boards, the webhook feed): create a job, change it (assign, reschedule, cancel), rule
//! on a held completion, record a handled complaint, add a technician, issue or revoke
//! enrolment codes, revoke a device, publish reference data; the desk's accounts and logins
//! ([`accounts`]); the audit log every one of those operations writes ([`audit`]); linked jobs
//! (a child made from a parent, and the chain: [`links`]); and the quality measures a period or a day asks for ([`measures`]). The faces parse requests and
//! render answers; the rules live here once.

pub mod accounts;
pub mod audit;
pub mod callbacks;
pub mod card;
pub mod cash;
pub mod complaints;
pub mod invoices;
pub mod links;
pub mod measures;
pub mod people;
pub mod sla;
pub mod spares;
pub mod tools;

use crate::msg;
use crate::msg::Thing;
use crate::stored::Code;
use chrono::Duration;
use fieldkit_core::model::{
    Billing, Cents, Customer, CustomerType, DeviceId, JobKind, Product, Sale, Site, TimeWindow,
    Timestamp, WorkOrder, WorkOrderId, WorkOrderStatus, returns,
};
use serde::{Deserialize, Serialize};

use fieldkit_core::model::returns::{FactsError, PriceField};
use fieldkit_core::sync::protocol::Change;

use self::audit::{Action, Actor, record};
use crate::auth::{hash_secret, new_enrolment_code, normalize_code};
use crate::error::ApiError;
use crate::state::AppState;
use crate::storage::{Completion, JobChange, JobRecord, Ruling, Technician};

/// A required text field, trimmed, 1 to `max` characters.
pub fn text(field: &str, s: &str, max: usize) -> Result<String, ApiError> {
    let t = s.trim();
    if t.is_empty() || t.chars().count() > max {
        return Err(ApiError::BadRequest(msg!(
            "err-field-length",
            field = field.to_owned(),
            max = max
        )));
    }
    Ok(t.to_owned())
}

/// `POST /v1/admin/work-orders` body (and the dashboard's new-job form and CSV rows, once
/// read): the dispatcher-owned fields of a new job.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NewWorkOrder {
    /// Made by the server when absent.
    #[serde(default)]
    pub id: Option<WorkOrderId>,
    pub number: String,
    pub kind: JobKind,
    pub customer: Customer,
    pub site: Site,
    pub product: Product,
    pub reported_fault: String,
    pub promised: TimeWindow,
    pub billing: Billing,
    #[serde(default)]
    pub instructions: Option<String>,
    pub reported_at: Timestamp,
    /// Assign at once to this technician.
    #[serde(default)]
    pub technician_id: Option<String>,
    /// The sale of the goods, which a return or exchange is judged on.
    #[serde(default)]
    pub sale: Option<NewSale>,
}

/// The sale of a new work order's goods ([`fieldkit_core::model::Sale`], unknown fields
/// refused). Prices in fen; checked by [`Sale::check`] against the order's `reported_at`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NewSale {
    pub sold_at: Timestamp,
    pub price_paid: Cents,
    pub list_price: Cents,
    /// Today's price; absent: the list price.
    #[serde(default)]
    pub current_price: Option<Cents>,
    #[serde(default)]
    pub seasonal: bool,
    pub category: returns::Category,
    /// Recorded only: the returns rules make no distinction (absent: `individual`).
    #[serde(default)]
    pub customer_type: CustomerType,
}

impl NewSale {
    /// The sale, checked for a request made at `reported_at`.
    pub fn checked(self, reported_at: Timestamp) -> Result<Sale, ApiError> {
        let sale = Sale {
            sold_at: self.sold_at,
            price_paid: self.price_paid,
            list_price: self.list_price,
            current_price: self.current_price,
            seasonal: self.seasonal,
            category: self.category,
            customer_type: self.customer_type,
            requested_at: None,
        };
        sale.check(reported_at)
            .map_err(|e| ApiError::BadRequest(sale_msg(&e)))?;
        Ok(sale)
    }
}

/// Why a sale's facts are refused, for the reader.
fn sale_msg(e: &FactsError) -> crate::msg::Msg {
    match e {
        FactsError::NegativePrice { field, .. } => {
            let field = match field {
                PriceField::PricePaid => "price_paid",
                PriceField::ListPrice => "list_price",
                PriceField::CurrentPrice => "current_price",
            };
            msg!("err-sale-negative-price", field = field)
        }
        FactsError::PaidAboveList { .. } => msg!("err-sale-paid-above-list"),
        FactsError::RequestBeforeSale { .. } => msg!("err-sale-after-request"),
        FactsError::OutOfRange => msg!("err-date-out-of-range"),
        FactsError::MisuseContradictsFault { .. } => msg!("err-sale-misuse"),
    }
}

/// A promised window: it ends after it starts, within 31 days.
pub fn window_ok(w: &TimeWindow) -> Result<(), ApiError> {
    if w.start >= w.end || w.end - w.start > Duration::days(31) {
        return Err(ApiError::BadRequest(msg!("err-window")));
    }
    Ok(())
}

/// The work order a dispatcher asked for, each field checked (status: assigned).
pub fn validated_order(req: NewWorkOrder) -> Result<WorkOrder, ApiError> {
    window_ok(&req.promised)?;
    Ok(WorkOrder {
        id: req.id.unwrap_or_default(),
        number: text("number", &req.number, 64)?,
        kind: req.kind,
        customer: Customer {
            name: text("customer name", &req.customer.name, 200)?,
            phone: text("customer phone", &req.customer.phone, 64)?,
        },
        site: Site {
            address: text("address", &req.site.address, 500)?,
            zone: req.site.zone,
        },
        product: Product {
            model: text("product model", &req.product.model, 128)?,
            serial: req
                .product
                .serial
                .as_deref()
                .map(|v| text("serial", v, 64))
                .transpose()?,
        },
        reported_fault: text("reported fault", &req.reported_fault, 2000)?,
        promised: req.promised,
        billing: req.billing,
        instructions: req
            .instructions
            .as_deref()
            .map(|v| text("instructions", v, 4000))
            .transpose()?,
        reported_at: req.reported_at,
        status: WorkOrderStatus::Assigned,
        // Pinned by the storage when the job is created.
        checklist: None,
        parent: None,
        sale: req.sale.map(|x| x.checked(req.reported_at)).transpose()?,
    })
}

/// Creates a checked work order (assigned to `technician_id` when given); open boards hear
/// of it.
pub async fn create_job(
    s: &AppState,
    by: &Actor,
    order: WorkOrder,
    technician_id: Option<String>,
) -> Result<JobRecord, ApiError> {
    let job = s
        .storage
        .create_work_order(order, technician_id, s.clock.now_ms())
        .await?;
    let id = job.order.id.to_string();
    s.board.job_changed(&id);
    let detail = job
        .technician_id
        .as_ref()
        .map(|t| Code::AuditTechnician.said().arg("technician", t.as_str()));
    record(s, by, Action::JobCreated, Some(&id), detail).await?;
    Ok(job)
}

/// Assigns, reschedules or cancels a job (the technician's phone hears at its next pull);
/// open boards hear of it.
pub async fn change_job(
    s: &AppState,
    by: &Actor,
    id: WorkOrderId,
    change: JobChange,
) -> Result<JobRecord, ApiError> {
    // The cancel reason is the dispatcher's free text: it stays on the job, not in the log.
    let (action, detail) = match &change {
        JobChange::Assign { technician_id } => {
            // A technician who does not fit the job may still be assigned; the log says so.
            let misfits = people::misfits_for(s, id, technician_id).await?;
            let detail = if misfits.is_empty() {
                Code::AuditTechnician
                    .said()
                    .arg("technician", technician_id.as_str())
            } else {
                let codes: Vec<&str> = misfits.iter().map(|m| m.code()).collect();
                Code::AuditTechnicianMisfit
                    .said()
                    .arg("technician", technician_id.as_str())
                    .arg("codes", codes.join(", "))
            };
            (Action::JobAssigned, Some(detail))
        }
        JobChange::Reschedule { .. } => (Action::JobRescheduled, None),
        JobChange::Cancel { .. } => (Action::JobCancelled, None),
    };
    let job = s
        .storage
        .change_work_order(id, change, s.clock.now_ms())
        .await?;
    s.board.job_changed(&job.order.id.to_string());
    record(s, by, action, Some(&id.to_string()), detail).await?;
    Ok(job)
}

/// Records the desk's ruling on a job's held completion and tells the feed and the boards.
pub async fn decide(
    s: &AppState,
    by: &Actor,
    id: WorkOrderId,
    ruling: Ruling,
    note: &str,
) -> Result<Completion, ApiError> {
    if s.storage.work_order(id).await?.is_none() {
        return Err(ApiError::NotFound(Thing::WorkOrder));
    }
    let c = s
        .storage
        .decide_completion(
            id,
            ruling,
            by.login.clone(),
            Some(note.to_owned()),
            s.clock.now_ms(),
        )
        .await?;
    s.feed.completions_pushed();
    s.board.job_changed(&id.to_string());
    tracing::info!(work_order = %id, ruling = ?ruling, "completion ruled on");
    let action = match ruling {
        Ruling::Release => Action::CompletionReleased,
        Ruling::Reject => Action::CompletionRejected,
    };
    record(s, by, action, Some(&id.to_string()), None).await?;
    Ok(c)
}

/// Records that the job's complaint was handled; the time first recorded (ms), which the
/// measures use.
pub async fn complaint_handled(s: &AppState, by: &Actor, id: WorkOrderId) -> Result<i64, ApiError> {
    let at = s.storage.complaint_handled(id, s.clock.now_ms()).await?;
    record(s, by, Action::ComplaintHandled, Some(&id.to_string()), None).await?;
    Ok(at)
}

/// Adds a technician by name (1 to 200 characters); administrators only.
pub async fn add_technician(s: &AppState, by: &Actor, name: &str) -> Result<Technician, ApiError> {
    by.must_administer()?;
    let t = Technician {
        id: uuid::Uuid::now_v7().to_string(),
        name: text("name", name, 200)?,
        created_at: s.clock.now_ms(),
    };
    s.storage.create_technician(t.clone()).await?;
    record(s, by, Action::TechnicianAdded, Some(&t.id), None).await?;
    Ok(t)
}

/// The longest an enrolment code may stay valid: a week.
pub const MAX_CODE_MINUTES: i64 = 7 * 24 * 60;

/// Issues a one-time enrolment code for a technician, valid `minutes` (checked by the face,
/// 1 to [`MAX_CODE_MINUTES`]): the code as shown once, and when it expires (ms). Only its
/// hash is kept. Administrators only.
pub async fn issue_enrolment_code(
    s: &AppState,
    by: &Actor,
    technician_id: &str,
    minutes: i64,
) -> Result<IssuedCode, ApiError> {
    by.must_administer()?;
    let code = new_enrolment_code();
    let normal = normalize_code(&code).ok_or_else(|| ApiError::Internal("code".into()))?;
    let now = s.clock.now_ms();
    let expires_at = now + minutes * 60_000;
    let id = uuid::Uuid::now_v7().to_string();
    s.storage
        .create_enrolment_code(
            id.clone(),
            hash_secret(&normal),
            technician_id.to_owned(),
            expires_at,
            now,
        )
        .await?;
    let detail = Some(Code::AuditCodeValid.said().arg("minutes", minutes));
    record(
        s,
        by,
        Action::EnrolmentCodeIssued,
        Some(technician_id),
        detail,
    )
    .await?;
    Ok(IssuedCode {
        id,
        code,
        expires_at,
    })
}

/// An enrolment code just issued: shown once.
#[derive(Clone, Debug)]
pub struct IssuedCode {
    /// What the desk revokes it by.
    pub id: String,
    /// The code the technician types.
    pub code: String,
    /// When it stops working (ms).
    pub expires_at: i64,
}

/// Revokes an enrolment code: it no longer enrols anyone (a device already enrolled with it
/// stays enrolled; revoke the device for that).
/// Administrators only.
pub async fn revoke_enrolment_code(s: &AppState, by: &Actor, id: &str) -> Result<(), ApiError> {
    by.must_administer()?;
    s.storage
        .revoke_enrolment_code(id.to_owned(), s.clock.now_ms())
        .await?;
    record(s, by, Action::EnrolmentCodeRevoked, Some(id), None).await?;
    Ok(())
}

/// Ends every enrolment code of the technician not yet used (a code sent to the wrong
/// person, a phone that will not come); how many. Administrators only.
pub async fn revoke_enrolment_codes(
    s: &AppState,
    by: &Actor,
    technician_id: &str,
) -> Result<u64, ApiError> {
    by.must_administer()?;
    let n = s
        .storage
        .revoke_enrolment_codes(technician_id.to_owned(), s.clock.now_ms())
        .await?;
    let detail = Some(
        Code::AuditCodesUnused
            .said()
            .arg("count", i64::try_from(n).unwrap_or(i64::MAX)),
    );
    record(
        s,
        by,
        Action::EnrolmentCodesRevoked,
        Some(technician_id),
        detail,
    )
    .await?;
    Ok(n)
}

/// Revokes a device: its token stops working at once. Administrators only.
pub async fn revoke_device(s: &AppState, by: &Actor, id: DeviceId) -> Result<(), ApiError> {
    by.must_administer()?;
    s.storage.revoke_device(id, s.clock.now_ms()).await?;
    record(s, by, Action::DeviceRevoked, Some(&id.to_string()), None).await?;
    Ok(())
}

/// Publishes reference data to every technician (a checked template, fee schedule or
/// catalog part); its server sequence number. Administrators only.
pub async fn publish(s: &AppState, by: &Actor, change: Change) -> Result<i64, ApiError> {
    by.must_administer()?;
    let what = match &change {
        Change::ChecklistTemplate { .. } => "checklist_template",
        Change::FeeSchedule { .. } => "fee_schedule",
        Change::CatalogPart { .. } => "catalog_part",
        _ => "reference_data",
    };
    let seq = s.storage.publish(change, s.clock.now_ms()).await?;
    let detail = Code::AuditPublished.said().arg("what", what);
    record(s, by, Action::Published, None, Some(detail)).await?;
    Ok(seq)
}
