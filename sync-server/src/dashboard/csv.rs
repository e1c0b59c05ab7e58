//! The jobs as CSV: the export (one day or all, every column a dispatcher reads, cells that
//! could start a spreadsheet formula defused) and the import of the same columns (the whole
//! file checked before anything is created; errors name the line and the field, never the
//! value; lines whose id is already there are skipped).

use axum::extract::{Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, HeaderValue};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use fieldkit_core::model::WorkOrderId;
use maud::html;
use serde::Deserialize;

use super::board::{DayQuery, day_rows, rows_for, the_day};
use super::new_job::{IMPORT_COLUMNS, JobForm};
use super::page::Viewer;
use super::page::{PageError, page, private};
use super::session::{CsrfForm, Session};
use super::words::{billing_word, kind_word, zone_word};
use crate::desk::{self, NewWorkOrder, validated_order};
use crate::error::ApiError;
use crate::i18n::{Locale, num};
use crate::state::AppState;
use crate::storage::Technician;
use crate::t;

/// The columns of an export, in order.
pub const EXPORT_COLUMNS: [&str; 17] = [
    "id",
    "number",
    "status",
    "kind",
    "technician",
    "window_start",
    "window_end",
    "customer_name",
    "customer_phone",
    "address",
    "zone",
    "product_model",
    "product_serial",
    "billing",
    "reported_fault",
    "instructions",
    "completed_at",
];

/// A cell a spreadsheet will not run as a formula.
fn cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

/// `GET /jobs.csv?day=YYYY-MM-DD` (no day: every job).
pub(super) async fn export_csv(
    State(s): State<AppState>,
    session: Session,
    Query(q): Query<DayQuery>,
) -> Result<Response, PageError> {
    let (rows, name) = if q.day.as_deref().is_some_and(|d| !d.trim().is_empty()) {
        let day = the_day(s.clock.now(), &session, &q)?;
        (
            day_rows(&s, &session, day).await?,
            format!("jobs-{day}.csv"),
        )
    } else {
        let jobs = s.storage.work_orders(None).await?;
        (rows_for(&s, jobs).await?, "jobs.csv".to_owned())
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| PageError::internal(format!("csv: {e}"));
    w.write_record(EXPORT_COLUMNS).map_err(fail)?;
    for r in &rows {
        let o = &r.job.order;
        let when = |t: DateTime<Utc>| session.when_iso(t.timestamp_millis());
        w.write_record([
            o.id.to_string(),
            cell(&o.number),
            r.status.to_owned(),
            kind_word(o.kind).to_owned(),
            cell(r.technician.as_deref().unwrap_or("")),
            when(o.promised.start),
            when(o.promised.end),
            cell(&o.customer.name),
            cell(&o.customer.phone),
            cell(&o.site.address),
            zone_word(o.site.zone).to_owned(),
            cell(&o.product.model),
            cell(o.product.serial.as_deref().unwrap_or("")),
            billing_word(o.billing).to_owned(),
            cell(&o.reported_fault),
            cell(o.instructions.as_deref().unwrap_or("")),
            r.job
                .completed_at
                .map(|t| session.when_iso(t))
                .unwrap_or_default(),
        ])
        .map_err(fail)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| PageError::internal(format!("csv: {e}")))?;
    let mut resp = bytes.into_response();
    let h = resp.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}

/// The import form.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportForm {
    pub csv: String,
}

/// The jobs of an import file, each line checked; errors name the line and the field, never
/// the value.
fn parse_import(
    l: Locale,
    text: &str,
    offset: chrono::FixedOffset,
    now: DateTime<Utc>,
    techs: &[Technician],
) -> Result<Vec<NewWorkOrder>, Vec<String>> {
    let mut r = csv::ReaderBuilder::new()
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers = match r.headers() {
        Ok(h) => h.clone(),
        Err(_) => return Err(vec![t!(l, "import-no-header")]),
    };
    let col = |name: &str| headers.iter().position(|h| h == name);
    let missing: Vec<&str> = IMPORT_COLUMNS
        .iter()
        .copied()
        .filter(|c| col(c).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(vec![t!(
            l,
            "import-missing-columns",
            columns = missing.join(", ")
        )]);
    }
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let line = i + 2;
        let rec = match rec {
            Ok(rec) => rec,
            Err(_) => {
                errors.push(t!(
                    l,
                    "import-line",
                    line = line.to_string(),
                    error = t!(l, "import-not-a-row", n = headers.len().to_string())
                ));
                continue;
            }
        };
        let get = |name: &str| col(name).and_then(|i| rec.get(i)).unwrap_or("").to_owned();
        let tech = get("technician");
        let technician_id = if tech.is_empty() {
            String::new()
        } else if let Some(t) = techs.iter().find(|t| t.id == tech || t.name == tech) {
            t.id.clone()
        } else {
            errors.push(t!(
                l,
                "import-line",
                line = line.to_string(),
                error = t!(l, "import-no-technician")
            ));
            continue;
        };
        let form = JobForm {
            number: get("number"),
            kind: get("kind"),
            customer_name: get("customer_name"),
            customer_phone: get("customer_phone"),
            address: get("address"),
            zone: get("zone"),
            product_model: get("product_model"),
            product_serial: get("product_serial"),
            reported_fault: get("reported_fault"),
            window_start: get("window_start"),
            window_end: get("window_end"),
            billing: get("billing"),
            instructions: get("instructions"),
            technician_id,
            // Optional columns: a row without them records no sale.
            sale_date: get("sale_date"),
            price_paid: get("price_paid"),
            list_price: get("list_price"),
            current_price: get("current_price"),
            seasonal: get("seasonal"),
            category: get("category"),
            customer_type: get("customer_type"),
        };
        let id = match get("id").as_str() {
            "" => None,
            s => match s.parse::<WorkOrderId>() {
                Ok(id) => Some(id),
                Err(_) => {
                    errors.push(t!(
                        l,
                        "import-line",
                        line = line.to_string(),
                        error = t!(l, "import-bad-id")
                    ));
                    continue;
                }
            },
        };
        match form.request(l, offset, id, now).and_then(|req| {
            validated_order(req.clone())
                .map(|_| req)
                .map_err(|e| e.to_string())
        }) {
            Ok(req) => out.push(req),
            Err(e) => errors.push(t!(l, "import-line", line = line.to_string(), error = e)),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

pub(super) async fn import_csv(
    State(s): State<AppState>,
    CsrfForm(session, form): CsrfForm<ImportForm>,
) -> Result<Response, PageError> {
    let techs = s.storage.technicians().await?;
    let l = session.locale();
    let result = parse_import(l, &form.csv, session.offset(), s.clock.now(), &techs);
    let report = |title: &str, lines: Vec<String>, status| {
        let body = html! {
            h1 { (title) }
            ul id="import-result" { @for line in &lines { li { (line) } } }
            p { a href="/board" { (t!(l, "back-to-board")) } }
        };
        let mut r = private(page(title, &session, "/board", body));
        *r.status_mut() = status;
        r
    };
    let jobs = match result {
        Ok(jobs) => jobs,
        Err(errors) => {
            return Ok(report(
                &t!(l, "import-nothing"),
                errors,
                axum::http::StatusCode::BAD_REQUEST,
            ));
        }
    };
    let (mut created, mut skipped) = (0usize, 0usize);
    for req in jobs {
        let tech = req.technician_id.clone();
        let order = validated_order(req)?;
        match desk::create_job(&s, &session.actor(), order, tech).await {
            Ok(_) => created += 1,
            Err(ApiError::Conflict(_)) => skipped += 1,
            Err(e) => return Err(e.into()),
        }
    }
    tracing::info!(created, skipped, dispatcher = %session.dispatcher_id, "jobs imported");
    Ok(report(
        &t!(l, "import-done"),
        vec![
            t!(l, "import-created", n = num(created as f64)),
            t!(l, "import-skipped", n = num(skipped as f64)),
        ],
        axum::http::StatusCode::OK,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use fieldkit_core::model::Billing;

    fn offset() -> chrono::FixedOffset {
        chrono::FixedOffset::east_opt(8 * 3600).unwrap()
    }

    const GOOD: &str = "number,kind,window_start,window_end,customer_name,customer_phone,address,zone,product_model,billing,reported_fault,technician\n\
        WO-1,repair,2026-11-24 09:00,2026-11-24 11:00,张三,13800000000,\"1 Road, Town\",urban,XQB-1,paid,no drain,\n";

    #[test]
    fn an_import_reads_every_column_in_the_offset() {
        let jobs = parse_import(Locale::En, GOOD, offset(), Utc::now(), &[]).unwrap();
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].site.address, "1 Road, Town");
        assert_eq!(
            jobs[0].promised.start.to_rfc3339(),
            "2026-11-24T01:00:00+00:00"
        );
        assert_eq!(jobs[0].billing, Billing::Paid);
        assert_eq!(jobs[0].technician_id, None);
    }

    #[test]
    fn a_bad_line_names_the_line_and_field_but_not_the_value() {
        let bad = GOOD
            .replace("urban", "downtown")
            .replace("张三", "Secret Name");
        let errs = parse_import(Locale::En, &bad, offset(), Utc::now(), &[]).unwrap_err();
        assert_eq!(errs.len(), 1);
        assert!(errs[0].starts_with("line 2: zone"), "{errs:?}");
        assert!(
            !errs
                .iter()
                .any(|e| e.contains("Secret") || e.contains("downtown"))
        );
        let no_cols = parse_import(
            Locale::En,
            "number,kind\nA,repair\n",
            offset(),
            Utc::now(),
            &[],
        )
        .unwrap_err();
        assert!(
            no_cols[0].starts_with("missing columns: window_start"),
            "{no_cols:?}"
        );
        let unknown_tech = GOOD.replace("no drain,", "no drain,Nobody");
        let errs = parse_import(Locale::En, &unknown_tech, offset(), Utc::now(), &[]).unwrap_err();
        assert_eq!(
            errs,
            vec!["line 2: technician: no such technician".to_owned()]
        );
    }

    #[test]
    fn an_import_takes_the_chinese_words_too() {
        let zh = GOOD
            .replace(",repair,", ",维修,")
            .replace(",urban,", ",市区,")
            .replace(",paid,", ",付费,");
        let jobs = parse_import(Locale::ZhCn, &zh, offset(), Utc::now(), &[]).unwrap();
        assert_eq!(jobs[0].kind, fieldkit_core::model::JobKind::Repair);
        assert_eq!(jobs[0].site.zone, fieldkit_core::model::Zone::Urban);
        assert_eq!(jobs[0].billing, Billing::Paid);
        // A word of neither language is refused, in the reader's language.
        let bad = GOOD.replace(",urban,", ",城里,");
        let errs = parse_import(Locale::ZhCn, &bad, offset(), Utc::now(), &[]).unwrap_err();
        assert!(errs[0].starts_with("第 2 行：区域"), "{errs:?}");
    }

    #[test]
    fn exported_cells_never_start_a_formula() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("-1"), "'-1");
        assert_eq!(cell("WO-1"), "WO-1");
    }
}
