//! The daily cash reconciliation (现金日结), shared by the JSON API and the dashboard: the desk
//! records the cash a technician handed in for a local day (audited), and reads a day's
//! reconciliation ([`crate::measures::cash`]) in the server's time zone
//! ([`MeasureConfig::utc_offset_minutes`]).

use crate::msg;
use crate::stored::Code;
use std::collections::HashMap;

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use super::audit::{Action, Actor, record};
use crate::error::ApiError;
use crate::measures::MeasureConfig;
use crate::measures::cash::{CashReconciliation, cash_reconciliation};
use crate::records::CashHandIn;
use crate::state::AppState;

/// The most one hand-in may be: ¥1,000,000.00 (in fen).
pub const MAX_HANDIN: i64 = 100_000_000;

/// `POST /v1/admin/cash-handins` body: cash a technician handed in for a local day.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NewCashHandIn {
    pub technician_id: String,
    /// The local day the cash was collected on (YYYY-MM-DD).
    pub day: String,
    /// In fen, 1 to [`MAX_HANDIN`].
    pub amount: i64,
    /// At most 500 characters.
    #[serde(default)]
    pub note: String,
}

/// `GET /v1/admin/reports/cash` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CashQuery {
    /// The local day (YYYY-MM-DD).
    pub date: String,
}

pub(crate) fn day(field: &str, s: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| ApiError::BadRequest(msg!("err-field-date", field = field.to_owned())))
}

/// Records a hand-in (any desk account or the admin token) and writes it in the audit log.
/// Bad input is a `BadRequest`; an unknown technician `NotFound`; nothing is recorded then.
pub async fn record_handin(
    s: &AppState,
    by: &Actor,
    h: NewCashHandIn,
) -> Result<CashHandIn, ApiError> {
    let d = day("day", &h.day)?;
    if !(1..=MAX_HANDIN).contains(&h.amount) {
        return Err(ApiError::BadRequest(msg!("err-cash-amount")));
    }
    let technician_id = super::text("technician_id", &h.technician_id, 64)?;
    let note = h.note.trim().to_owned();
    if note.chars().count() > 500 || note.contains('\0') {
        return Err(ApiError::BadRequest(msg!("err-cash-note")));
    }
    let rec = CashHandIn {
        id: uuid::Uuid::now_v7().to_string(),
        technician_id,
        day: d.format("%Y-%m-%d").to_string(),
        amount: h.amount,
        note,
        recorded_by: by.login.clone(),
        recorded_at: s.clock.now_ms(),
    };
    s.storage.record_cash_handin(rec.clone()).await?;
    record(
        s,
        by,
        Action::CashHandedIn,
        Some(&rec.technician_id),
        Some(
            Code::AuditCashHandIn
                .said()
                .arg("day", rec.day.as_str())
                .arg("amount", rec.amount),
        ),
    )
    .await?;
    Ok(rec)
}

/// The reconciliation of a local day.
pub async fn reconciliation(s: &AppState, q: &CashQuery) -> Result<CashReconciliation, ApiError> {
    let cfg = MeasureConfig::default();
    let d = day("date", &q.date)?;
    let next = d
        .checked_add_days(Days::new(1))
        .ok_or_else(|| ApiError::BadRequest(msg!("err-date-out-of-range")))?;
    let facts = s
        .storage
        .measure_facts(cfg.day_start(d), cfg.day_start(next))
        .await?;
    let technician_of: HashMap<String, String> = s
        .storage
        .devices()
        .await?
        .into_iter()
        .map(|dev| (dev.id.to_string(), dev.technician_id))
        .collect();
    let handins = s
        .storage
        .cash_handins(d.format("%Y-%m-%d").to_string())
        .await?;
    Ok(cash_reconciliation(
        &facts,
        &technician_of,
        &handins,
        d,
        &cfg,
    ))
}
