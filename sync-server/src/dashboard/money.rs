//! The desk's money page (`/money`): the form that records the cash a technician handed in
//! (`POST /money/cash-handins`, through [`crate::desk::cash`]: the same checks and audit as
//! `POST /v1/admin/cash-handins`), and the invoices to follow — settlements made without an
//! invoice on site, overdue first, then due, each with the form that records its invoice as
//! issued (`POST /money/invoices/{id}`, through [`crate::desk::invoices`]), and the invoices
//! issued. Words in zh-CN, then en ([`super::words::money`]).

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use fieldkit_core::i18n::money;
use maud::{Markup, html};
use serde::Deserialize;

use super::page::{PageError, csrf_field, page, private};
use super::record::job_id;
use super::session::{CsrfForm, Session};
use super::words::money as w;
use crate::desk::cash::{MAX_HANDIN, NewCashHandIn};
use crate::desk::invoices::{InvoiceQuery, InvoiceRow, InvoiceStatus, IssueInvoice};
use crate::desk::{self};
use crate::i18n::current as lang;
use crate::state::AppState;
use crate::t;

/// The money page's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/money", get(money_page))
        .route("/money/cash-handins", post(cash_handin))
        .route("/money/invoices/{id}", post(issue_invoice))
}

/// The hand-in form: the amount in yuan as typed (`130`, `130.5`, `130.50`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandInForm {
    pub technician_id: String,
    pub day: String,
    pub amount: String,
    #[serde(default)]
    pub note: String,
}

/// The issue-an-invoice form of one settlement.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvoiceForm {
    pub settlement_id: String,
    pub number: String,
    pub issued_on: String,
}

/// Yuan as typed (at most two decimals, no sign) in fen; `None` when it is not an amount.
pub fn parse_yuan(s: &str) -> Option<i64> {
    let s = s.trim().trim_start_matches('¥');
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 9 || frac.len() > 2 || !digits(whole) || !digits(frac) {
        return None;
    }
    let frac = format!("{frac:0<2}");
    Some(whole.parse::<i64>().ok()? * 100 + frac.parse::<i64>().ok()?)
}

async fn cash_handin(
    State(s): State<AppState>,
    CsrfForm(session, f): CsrfForm<HandInForm>,
) -> Result<Response, PageError> {
    let amount =
        parse_yuan(&f.amount).ok_or_else(|| PageError::bad_request(t!(lang(), w::AMOUNT_BAD)))?;
    let h = NewCashHandIn {
        technician_id: f.technician_id,
        day: f.day,
        amount,
        note: f.note,
    };
    let rec = desk::cash::record_handin(&s, &session.actor(), h).await?;
    tracing::info!(technician = %rec.technician_id, dispatcher = %session.dispatcher_id, "cash hand-in recorded from the dashboard");
    Ok(Redirect::to(&format!("/money?day={}#cash", rec.day)).into_response())
}

async fn issue_invoice(
    State(s): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(session, f): CsrfForm<InvoiceForm>,
) -> Result<Response, PageError> {
    let id = job_id(&id)?;
    let req = IssueInvoice {
        settlement_id: Some(f.settlement_id),
        number: f.number,
        issued_on: f.issued_on,
    };
    desk::invoices::issue(&s, &session.actor(), id, req).await?;
    Ok(Redirect::to("/money#invoices").into_response())
}

/// `?day=`: the day the hand-in form starts on (after a hand-in, the one just recorded).
#[derive(Deserialize)]
pub struct MoneyQuery {
    #[serde(default)]
    pub day: Option<String>,
}

fn invoice_row(session: &Session, r: &InvoiceRow, tech: &str, today: &str) -> Markup {
    html! {
        tr data-status=(r.status.as_str()) data-settlement=(r.settlement_id) {
            td { a href={ "/jobs/" (r.work_order_id) } { (r.job_number) } }
            td { (tech) }
            td { (money(lang(), r.amount)) }
            td { (session.when(r.settled_at.timestamp_millis())) }
            td class=(if r.status == InvoiceStatus::Overdue { "flag" } else { "" }) {
                (session.when(r.due.timestamp_millis()))
            }
            td class="status" { (t!(lang(), w::status(r.status))) }
            td {
                @if let Some(i) = &r.invoice {
                    (i.number) " · " (i.issued_on) " · " (i.recorded_by)
                } @else {
                    form class="issue-invoice" method="post" action={ "/money/invoices/" (r.work_order_id) } {
                        (csrf_field(session))
                        input type="hidden" name="settlement_id" value=(r.settlement_id);
                        input type="text" name="number" required maxlength="64" placeholder=(t!(lang(), w::NUMBER)) aria-label=(t!(lang(), w::NUMBER));
                        " "
                        input type="date" name="issued_on" required value=(today) aria-label=(t!(lang(), w::ISSUED_ON));
                        " "
                        button type="submit" { (t!(lang(), w::ISSUE)) }
                    }
                }
            }
        }
    }
}

fn invoice_table(
    id: &str,
    session: &Session,
    rows: &[&InvoiceRow],
    names: &HashMap<String, String>,
    today: &str,
) -> Markup {
    html! {
        table id=(id) {
            thead { tr { @for c in w::INVOICE_COLUMNS { th { (t!(lang(), c)) } } } }
            tbody {
                @for r in rows {
                    @let tech = r.technician_id.as_deref().map_or("—", |t| names.get(t).map_or(t, String::as_str));
                    (invoice_row(session, r, tech, today))
                }
                @if rows.is_empty() { tr { td colspan="7" class="muted" { (t!(lang(), w::NONE)) } } }
            }
        }
    }
}

async fn money_page(
    State(s): State<AppState>,
    session: Session,
    axum::extract::Query(q): axum::extract::Query<MoneyQuery>,
) -> Result<Response, PageError> {
    let techs = s.storage.technicians().await?;
    let names: HashMap<String, String> = techs
        .iter()
        .map(|t| (t.id.clone(), t.name.clone()))
        .collect();
    let today = s
        .clock
        .now()
        .with_timezone(&session.offset())
        .date_naive()
        .format("%Y-%m-%d")
        .to_string();
    let day = q
        .day
        .as_deref()
        .map(str::trim)
        .filter(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok())
        .unwrap_or(&today)
        .to_owned();
    let report = desk::invoices::report(&s, &InvoiceQuery::default()).await?;
    let of = |st: InvoiceStatus| -> Vec<&InvoiceRow> {
        report.invoices.iter().filter(|r| r.status == st).collect()
    };
    let (overdue, due) = (of(InvoiceStatus::Overdue), of(InvoiceStatus::Due));
    let mut issued = of(InvoiceStatus::Issued);
    issued.reverse();
    issued.truncate(50);
    let body = html! {
        h1 { (t!(lang(), w::TITLE)) }
        h2 id="cash" { (t!(lang(), w::HANDIN)) }
        form id="cash-handin" class="card" method="post" action="/money/cash-handins" {
            (csrf_field(&session))
            label { (t!(lang(), w::TECHNICIAN)) " " select name="technician_id" required {
                @for t in &techs { option value=(t.id) { (t.name) } }
            } }
            label { (t!(lang(), w::DAY)) " " input type="date" name="day" required value=(day); }
            label { (t!(lang(), w::AMOUNT)) " " input type="text" name="amount" required inputmode="decimal" pattern="[0-9]{1,9}([.][0-9]{1,2})?" placeholder="130.00"; }
            span class="muted" { (t!(lang(), w::AMOUNT_HINT)) " " (money(lang(), MAX_HANDIN)) }
            label { (t!(lang(), w::NOTE)) " " input type="text" name="note" maxlength="500"; }
            button type="submit" id="record-handin" { (t!(lang(), w::RECORD)) }
        }
        p { a href={ "/measures?date=" (day) } { (t!(lang(), w::RECONCILIATION)) } }
        h2 id="invoices" { (t!(lang(), w::INVOICES)) }
        p class="muted" { (t!(lang(), w::INVOICES_RULE)) }
        h2 { (t!(lang(), w::OVERDUE)) " (" (overdue.len()) ")" }
        (invoice_table("invoices-overdue", &session, &overdue, &names, &today))
        h2 { (t!(lang(), w::DUE)) " (" (due.len()) ")" }
        (invoice_table("invoices-due", &session, &due, &names, &today))
        h2 { (t!(lang(), w::ISSUED)) }
        (invoice_table("invoices-issued", &session, &issued, &names, &today))
    };
    Ok(private(page(
        &t!(lang(), w::TITLE),
        &session,
        "/money",
        body,
    )))
}

#[cfg(test)]
mod tests {
    use super::parse_yuan;

    #[test]
    fn yuan_as_typed() {
        assert_eq!(parse_yuan("130"), Some(13_000));
        assert_eq!(parse_yuan(" 130.5 "), Some(13_050));
        assert_eq!(parse_yuan("¥0.05"), Some(5));
        for bad in ["", "-1", "1.234", "1,5", "abc", ".5", "1e3", "9999999999"] {
            assert_eq!(parse_yuan(bad), None, "{bad}");
        }
    }
}
