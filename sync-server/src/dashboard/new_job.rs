//! The new-job page: the form a dispatcher fills in (and the columns an import file carries,
//! the same fields), read into the dispatcher API's request and created through the desk.

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::{DateTime, Duration as Days, Utc};
use fieldkit_core::model::returns::Category;
use fieldkit_core::model::{
    Customer, CustomerType, JobKind, Product, Site, TimeWindow, WorkOrderId, Zone,
};
use maud::{Markup, html};
use serde::Deserialize;

use super::money::parse_yuan;
use super::page::Viewer;
use super::page::{PageError, csrf_field, page, parse_local, private};
use super::session::{CsrfForm, Session};
use super::words::{
    billing_label, billing_word, category_label, customer_type_label, kind_label, parse_billing,
    parse_kind, parse_wire, parse_zone, wire_name, zone_label,
};
use crate::desk::{self, NewSale, NewWorkOrder, validated_order};
use crate::error::ApiError;
use crate::i18n::Locale;
use crate::state::AppState;
use crate::storage::Technician;
use crate::t;
use fieldkit_core::model::Billing;

/// The new-job page's routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/jobs/new", get(new_job_page).post(create_job))
}

/// The columns an import needs (an export has these and more).
pub const IMPORT_COLUMNS: [&str; 11] = [
    "number",
    "kind",
    "window_start",
    "window_end",
    "customer_name",
    "customer_phone",
    "address",
    "zone",
    "product_model",
    "billing",
    "reported_fault",
];

/// The new-job form's fields (all text, as typed).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobForm {
    #[serde(default)]
    pub number: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub customer_name: String,
    #[serde(default)]
    pub customer_phone: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub zone: String,
    #[serde(default)]
    pub product_model: String,
    #[serde(default)]
    pub product_serial: String,
    #[serde(default)]
    pub reported_fault: String,
    #[serde(default)]
    pub window_start: String,
    #[serde(default)]
    pub window_end: String,
    #[serde(default)]
    pub billing: String,
    #[serde(default)]
    pub instructions: String,
    #[serde(default)]
    pub technician_id: String,
    /// The sale (a return or exchange is judged on it): none when the date is left empty.
    #[serde(default)]
    pub sale_date: String,
    /// Yuan, as typed.
    #[serde(default)]
    pub price_paid: String,
    #[serde(default)]
    pub list_price: String,
    #[serde(default)]
    pub current_price: String,
    /// A checkbox: "on" when ticked (an import's cell: yes/no, true/false, 1/0, 是/否).
    #[serde(default)]
    pub seasonal: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub customer_type: String,
}

fn optional(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

impl JobForm {
    /// The dispatcher API's request for this form (`None` id: the server makes one).
    pub(super) fn request(
        &self,
        l: Locale,
        offset: chrono::FixedOffset,
        id: Option<WorkOrderId>,
        reported_at: DateTime<Utc>,
    ) -> Result<NewWorkOrder, String> {
        let kind = parse_kind(&self.kind).ok_or_else(|| t!(l, "new-job-bad-kind"))?;
        let zone = parse_zone(&self.zone).ok_or_else(|| t!(l, "new-job-bad-zone"))?;
        let billing = parse_billing(&self.billing).ok_or_else(|| t!(l, "new-job-bad-billing"))?;
        let start =
            parse_local(offset, &self.window_start).ok_or_else(|| t!(l, "new-job-bad-start"))?;
        let end = parse_local(offset, &self.window_end).ok_or_else(|| t!(l, "new-job-bad-end"))?;
        Ok(NewWorkOrder {
            id,
            number: self.number.clone(),
            kind,
            customer: Customer {
                name: self.customer_name.clone(),
                phone: self.customer_phone.clone(),
            },
            site: Site {
                address: self.address.clone(),
                zone,
            },
            product: Product {
                model: self.product_model.clone(),
                serial: optional(&self.product_serial),
            },
            reported_fault: self.reported_fault.clone(),
            promised: TimeWindow { start, end },
            billing,
            instructions: optional(&self.instructions),
            reported_at,
            technician_id: optional(&self.technician_id),
            sale: self.sale(l, offset)?,
        })
    }

    /// The sale typed in, none when its date is empty (checked with the order, by
    /// [`validated_order`]).
    fn sale(&self, l: Locale, offset: chrono::FixedOffset) -> Result<Option<NewSale>, String> {
        if self.sale_date.trim().is_empty() {
            return Ok(None);
        }
        let sold_at =
            parse_local(offset, &self.sale_date).ok_or_else(|| t!(l, "new-job-bad-sale-date"))?;
        let price_paid =
            parse_yuan(&self.price_paid).ok_or_else(|| t!(l, "new-job-bad-price-paid"))?;
        let list_price = match self.list_price.trim() {
            "" => price_paid,
            s => parse_yuan(s).ok_or_else(|| t!(l, "new-job-bad-list-price"))?,
        };
        let current_price = match self.current_price.trim() {
            "" => None,
            s => Some(parse_yuan(s).ok_or_else(|| t!(l, "new-job-bad-current-price"))?),
        };
        Ok(Some(NewSale {
            sold_at,
            price_paid,
            list_price,
            current_price,
            seasonal: match self.seasonal.trim().to_lowercase().as_str() {
                "" | "no" | "false" | "0" | "否" => false,
                "on" | "yes" | "true" | "1" | "是" => true,
                _ => return Err(t!(l, "new-job-bad-seasonal")),
            },
            category: parse_wire(&self.category).ok_or_else(|| t!(l, "new-job-bad-category"))?,
            customer_type: match self.customer_type.trim() {
                "" => CustomerType::Individual,
                s => parse_wire(s).ok_or_else(|| t!(l, "new-job-bad-customer-type"))?,
            },
        }))
    }
}

fn job_form(session: &Session, techs: &[Technician], f: &JobForm, error: Option<&str>) -> Markup {
    let l = session.locale();
    let opt = |value: &str, current: &str, label: &str| {
        html! { option value=(value) selected[value == current] { (label) } }
    };
    html! {
        h1 { (t!(l, "new-job-title")) }
        @if let Some(e) = error { p class="error" id="form-error" { (e) } }
        form id="new-job" method="post" action="/jobs/new" class="card" {
            (csrf_field(session))
            div class="grid" {
                label { (t!(l, "new-job-number")) " " input name="number" required value=(f.number); }
                label { (t!(l, "new-job-kind")) " " select name="kind" {
                    @for k in JobKind::ALL { (opt(k.as_str(), &f.kind, &kind_label(l, k))) }
                } }
                label { (t!(l, "new-job-customer")) " " input name="customer_name" required value=(f.customer_name); }
                label { (t!(l, "new-job-phone")) " " input name="customer_phone" required value=(f.customer_phone); }
                label { (t!(l, "new-job-address")) " " input name="address" required value=(f.address); }
                label { (t!(l, "new-job-zone")) " " select name="zone" {
                    @for z in Zone::ALL { (opt(z.as_str(), &f.zone, &zone_label(l, z))) }
                } }
                label { (t!(l, "new-job-model")) " " input name="product_model" required value=(f.product_model); }
                label { (t!(l, "new-job-serial")) " " input name="product_serial" value=(f.product_serial); }
                label { (t!(l, "new-job-from")) " " input type="datetime-local" name="window_start" required value=(f.window_start); }
                label { (t!(l, "new-job-until")) " " input type="datetime-local" name="window_end" required value=(f.window_end); }
                label { (t!(l, "new-job-billing")) " " select name="billing" {
                    @for b in [Billing::Warranty, Billing::Paid] {
                        (opt(billing_word(b), &f.billing, &billing_label(l, b)))
                    }
                } }
                label { (t!(l, "new-job-technician")) " " select name="technician_id" {
                    (opt("", &f.technician_id, &t!(l, "new-job-not-yet")))
                    @for t in techs { (opt(&t.id, &f.technician_id, &t.name)) }
                } }
            }
            label { (t!(l, "new-job-fault")) " " textarea name="reported_fault" rows="2" style="width:100%" required { (f.reported_fault) } }
            label { (t!(l, "new-job-instructions")) " " textarea name="instructions" rows="2" style="width:100%" { (f.instructions) } }
            fieldset id="sale" {
                legend { (t!(l, "new-job-sale")) }
                div class="grid" {
                    label { (t!(l, "new-job-sold-on")) " " input type="datetime-local" name="sale_date" value=(f.sale_date); }
                    label { (t!(l, "new-job-price-paid")) " " input name="price_paid" inputmode="decimal" value=(f.price_paid); }
                    label { (t!(l, "new-job-list-price")) " " input name="list_price" inputmode="decimal" value=(f.list_price); }
                    label { (t!(l, "new-job-current-price")) " " input name="current_price" inputmode="decimal" value=(f.current_price); }
                    label { (t!(l, "new-job-category")) " " select name="category" {
                        @for c in Category::ALL { (opt(&wire_name(c), &f.category, &category_label(l, c))) }
                    } }
                    label { (t!(l, "new-job-customer-type")) " " select name="customer_type" {
                        @for t in [CustomerType::Individual, CustomerType::Business] {
                            (opt(&wire_name(t), &f.customer_type, &customer_type_label(l, t)))
                        }
                    } }
                    label { input type="checkbox" name="seasonal" value="on" checked[!f.seasonal.is_empty()]; " " (t!(l, "new-job-seasonal")) }
                }
            }
            button id="create-job" type="submit" { (t!(l, "new-job-create")) }
        }
    }
}

async fn new_job_page(State(s): State<AppState>, session: Session) -> Result<Response, PageError> {
    let techs = s.storage.technicians().await?;
    let now = s.clock.now() + Days::hours(2);
    let f = JobForm {
        window_start: session.local_input(now),
        window_end: session.local_input(now + Days::hours(2)),
        zone: "urban".into(),
        billing: "warranty".into(),
        kind: "repair".into(),
        ..JobForm::default()
    };
    let body = job_form(&session, &techs, &f, None);
    Ok(private(page(
        &t!(session.locale(), "new-job-title"),
        &session,
        "/jobs/new",
        body,
    )))
}

async fn create_job(
    State(s): State<AppState>,
    CsrfForm(session, f): CsrfForm<JobForm>,
) -> Result<Response, PageError> {
    let refused = |msg: String, techs: Vec<Technician>| {
        let body = job_form(&session, &techs, &f, Some(&msg));
        let title = t!(session.locale(), "new-job-title");
        let mut r = private(page(&title, &session, "/jobs/new", body));
        *r.status_mut() = axum::http::StatusCode::BAD_REQUEST;
        r
    };
    let techs = s.storage.technicians().await?;
    let order = f
        .request(session.locale(), session.offset(), None, s.clock.now())
        .and_then(|req| {
            let tech = req.technician_id.clone();
            validated_order(req)
                .map(|o| (o, tech))
                .map_err(|e| e.to_string())
        });
    let (order, tech) = match order {
        Ok(v) => v,
        Err(msg) => return Ok(refused(msg, techs)),
    };
    let job = match desk::create_job(&s, &session.actor(), order, tech).await {
        Ok(job) => job,
        Err(e @ ApiError::NotFound(_)) => return Ok(refused(e.to_string(), techs)),
        Err(e @ ApiError::Conflict(_)) => return Ok(refused(e.to_string(), techs)),
        Err(e) => return Err(e.into()),
    };
    let id = job.order.id.to_string();
    tracing::info!(work_order = %id, dispatcher = %session.dispatcher_id, "work order created on the dashboard");
    Ok(Redirect::to(&format!("/jobs/{id}")).into_response())
}
