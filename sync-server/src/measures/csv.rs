//! CSV renderings of [`Measures`] (one row per scope) and [`DailyReport`] (one row per
//! technician), RFC 4180: a header line, comma-separated, quoted where needed, CRLF line ends.
//! Rates are fractions in [0, 1] with four decimals; absent values are empty cells.

use std::fmt::Write;

use fieldkit_core::model::JobKind;

use super::{DailyReport, Measures, Summary};

/// Quotes a cell when it holds a comma, a quote or a line break.
fn cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn opt(v: Option<f64>, decimals: usize) -> String {
    v.map_or(String::new(), |x| format!("{x:.decimals$}"))
}

const MEASURE_HEADER: &str = "scope,id,jobs,cancelled,completed,arrived,response_mean_minutes,\
response_max_minutes,first_contacts,first_contact_mean_minutes,first_contact_max_minutes,\
first_contacts_in_time,first_contacts_due,first_contact_rate,sla_met,sla_due,sla_rate,on_time_arrivals,arrivals_due,on_time_arrival_rate,\
repairs_in_time,repairs_due,repair_timeliness_rate,visits_completed,visits_due,\
visit_completion_rate,first_visit_fixes,completed_jobs,first_visit_fix_rate,ratings,rating_mean,\
complaints,complaints_handled_in_time,complaints_due,complaint_handling_rate,reports_in_time,\
reports,report_timeliness_rate,report_delay_mean_minutes,report_delay_max_minutes,\
skew_corrected_events,score,band,ended_no_access,ended_taken_back,ended_awaiting_parts,\
ended_signature_refused,ended_quote_declined,ended_second_visit_needed,ended_redelivery_requested";

fn measure_row(out: &mut String, scope: &str, id: &str, s: &Summary) {
    let r = |x: &super::Ratio| format!("{},{},{}", x.num, x.den, opt(x.rate, 4));
    let cells = [
        scope.to_owned(),
        cell(id),
        s.jobs.to_string(),
        s.cancelled.to_string(),
        s.completed.to_string(),
        s.response.arrived.to_string(),
        opt(s.response.mean_minutes, 1),
        opt(s.response.max_minutes, 1),
        s.first_contact.contacted.to_string(),
        opt(s.first_contact.mean_minutes, 1),
        opt(s.first_contact.max_minutes, 1),
        r(&s.first_contact.within_limit),
        r(&s.sla),
        r(&s.on_time_arrival),
        r(&s.repair_timeliness),
        r(&s.visit_completion),
        r(&s.first_visit_fix),
        s.rating.count.to_string(),
        opt(s.rating.mean, 2),
        s.complaints.raised.to_string(),
        r(&s.complaints.handled_in_time),
        s.report_timeliness.num.to_string(),
        s.report_timeliness.den.to_string(),
        opt(s.report_timeliness.rate, 4),
        opt(s.report_timeliness.mean_delay_minutes, 1),
        opt(s.report_timeliness.max_delay_minutes, 1),
        s.skew_corrected_events.to_string(),
        opt(s.score, 2),
        s.band.map_or("", |b| b.as_str()).to_owned(),
    ];
    out.push_str(&cells.join(","));
    for n in s.endings.counts() {
        let _ = write!(out, ",{n}");
    }
    out.push_str("\r\n");
}

/// The measures as CSV: a `fleet` row, one `technician` row per technician, one `zone` row
/// per zone.
pub fn measures(m: &Measures) -> String {
    let mut out = format!("{MEASURE_HEADER}\r\n");
    measure_row(&mut out, "fleet", "", &m.fleet);
    for t in &m.technicians {
        measure_row(&mut out, "technician", &t.technician_id, &t.summary);
    }
    for z in &m.zones {
        measure_row(&mut out, "zone", z.zone.as_str(), &z.summary);
    }
    out
}

/// The daily report as CSV: one row per technician, a column per job category.
pub fn daily(r: &DailyReport) -> String {
    let mut out = String::from("date,technician_id,jobs");
    for k in JobKind::ALL {
        let _ = write!(out, ",{}", k.as_str());
    }
    out.push_str(",visits,travel_minutes,on_site_minutes,paused_minutes\r\n");
    for row in &r.technicians {
        let _ = write!(out, "{},{},{}", r.date, cell(&row.technician_id), row.jobs);
        for k in JobKind::ALL {
            let _ = write!(
                out,
                ",{}",
                row.by_category.get(k.as_str()).copied().unwrap_or(0)
            );
        }
        let _ = write!(
            out,
            ",{},{},{},{}\r\n",
            row.visits.len(),
            row.travel_minutes,
            row.on_site_minutes,
            row.paused_minutes
        );
    }
    out
}
