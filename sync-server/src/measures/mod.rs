//! The quality measures of the procedure (PROCEDURE.md, "Quality measures the dispatcher
//! watches"), computed from recorded facts: a pure module, no I/O. [`compute`] gives
//! fleet-wide, per-technician and per-zone [`Summary`]s for a period; [`daily_report`] the
//! technician's daily work report; [`csv`] renders both as CSV.
//!
//! # Which jobs, which clock
//! - A job belongs to a period when its promised window starts in `[from, to)`.
//! - Only applied ops count (conflicts on cancelled or reassigned jobs are the dispatcher's
//!   flags, not the technician's performance).
//! - Every event time is [`EventFact::at`]: the device's clock, corrected by the measured
//!   offset where the server flagged the batch `clock_skew`, and clamped to the server's
//!   receipt time. Event order inside a job is by that time, then device and sequence, so the
//!   result does not depend on the order facts are given in.
//! - A deadline counts as missed for a job without the event once `as_of` (the time of the
//!   computation) has passed it; before that the job is not yet due and counts in neither the
//!   numerator nor the denominator.
//!
//! # What the work order does not carry
//! Work orders carry a zone (urban / suburban) and a promised window but no SLA figures: the
//! response promise per zone, the repair time limit and the report limit come from
//! [`MeasureConfig`], whose defaults are the table documented there.

pub mod cash;
mod config;
pub mod csv;
mod endings;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use fieldkit_core::model::{JobKind, Zone};
use serde::{Deserialize, Serialize};

pub use crate::records::{EventFact, EventNotice, JobFacts};
pub use config::MeasureConfig;
pub use endings::{ENDING_KINDS, Endings, closes_unfixed};

const HOUR_MS: i64 = 3_600_000;
const MINUTE_MS: i64 = 60_000;

/// A share: `num` of `den`, and `rate` = num / den (absent when nothing was due).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Ratio {
    pub num: u32,
    pub den: u32,
    pub rate: Option<f64>,
}

impl Ratio {
    fn add(&mut self, hit: bool) {
        self.den += 1;
        if hit {
            self.num += 1;
        }
        self.rate = Some(f64::from(self.num) / f64::from(self.den));
    }
}

/// A quality band of the 0–100 score.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    /// ≥ 90.
    Excellent,
    /// 80 to 89.99.
    Good,
    /// 65 to 79.99.
    Average,
    /// < 65.
    Failing,
}

impl Band {
    /// The band of a score in hundredths (0–10000): 9000 and up excellent, 8000 good, 6500
    /// average, below failing.
    pub fn of_centi(centi: u32) -> Band {
        match centi {
            9000.. => Band::Excellent,
            8000.. => Band::Good,
            6500.. => Band::Average,
            _ => Band::Failing,
        }
    }

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Band::Excellent => "excellent",
            Band::Good => "good",
            Band::Average => "average",
            Band::Failing => "failing",
        }
    }
}

/// The weights of the quality score (they sum to 100).
pub const WEIGHTS: Weights = Weights {
    sla: 20,
    on_time_arrival: 15,
    repair_timeliness: 10,
    visit_completion: 15,
    first_visit_fix: 15,
    rating: 15,
    complaint_handling: 5,
    report_timeliness: 5,
};

/// One weight per measure of the score.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Weights {
    pub sla: u32,
    pub on_time_arrival: u32,
    pub repair_timeliness: u32,
    pub visit_completion: u32,
    pub first_visit_fix: u32,
    pub rating: u32,
    pub complaint_handling: u32,
    pub report_timeliness: u32,
}

/// The quality score on 0–100 in hundredths: Σ wᵢ·rᵢ / Σ wᵢ over the measures that have
/// data (a rate in [0,1] each; the rating enters as (mean − 1) / 4), times 10000, rounded to
/// the nearest hundredth. Measures without data drop out and the others' weights are scaled
/// up. `None` when no measure has data.
pub fn score_centi(s: &Summary) -> Option<u32> {
    let w = WEIGHTS;
    let parts = [
        (w.sla, s.sla.rate),
        (w.on_time_arrival, s.on_time_arrival.rate),
        (w.repair_timeliness, s.repair_timeliness.rate),
        (w.visit_completion, s.visit_completion.rate),
        (w.first_visit_fix, s.first_visit_fix.rate),
        (
            w.rating,
            s.rating.mean.map(|m| ((m - 1.0) / 4.0).clamp(0.0, 1.0)),
        ),
        (w.complaint_handling, s.complaints.handled_in_time.rate),
        (w.report_timeliness, s.report_timeliness.rate),
    ];
    let (mut num, mut den) = (0.0, 0u32);
    for (weight, rate) in parts {
        if let Some(r) = rate {
            num += f64::from(weight) * r.clamp(0.0, 1.0);
            den += weight;
        }
    }
    (den > 0).then(|| {
        ((num / f64::from(den)) * 10_000.0)
            .round()
            .clamp(0.0, 10_000.0) as u32
    })
}

/// Response time from the customer's call to the first arrival, in minutes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ResponseTime {
    /// Jobs with an arrival.
    pub arrived: u32,
    pub mean_minutes: Option<f64>,
    pub max_minutes: Option<f64>,
}

/// Time to first contact: from the customer's call (`reported_at`) to the first call that
/// reached the customer (`call_customer` with `reached`), in minutes (第5章 第19条 (2)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FirstContact {
    /// Jobs whose customer was reached.
    pub contacted: u32,
    pub mean_minutes: Option<f64>,
    pub max_minutes: Option<f64>,
    /// Reached within `first_contact_minutes`, of the non-cancelled jobs reached or past it.
    pub within_limit: Ratio,
}

/// Customer ratings (the last rating of each job).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Rating {
    pub count: u32,
    /// Mean of 1–5.
    pub mean: Option<f64>,
}

/// Complaints raised in feedback and their handling.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Complaints {
    /// Jobs with a complaint.
    pub raised: u32,
    /// Handled by the deadline of [`MeasureConfig::complaint_deadline`], of those handled or
    /// past their deadline.
    pub handled_in_time: Ratio,
}

/// Report timeliness: completion (skew-corrected device time) to the server's receipt.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReportTimeliness {
    /// Completions received within `report_limit_hours` of completing, of all completions.
    pub rate: Option<f64>,
    pub num: u32,
    pub den: u32,
    pub mean_delay_minutes: Option<f64>,
    pub max_delay_minutes: Option<f64>,
}

/// The measures of one scope (fleet, a technician, a zone).
///
/// - `jobs`: jobs in the period (cancelled included); `cancelled`, `completed` likewise.
/// - `sla`: first arrival at or before `reported_at` + the zone's response promise, of the
///   non-cancelled jobs that arrived or are past that deadline.
/// - `on_time_arrival`: first arrival at or before the promised window's end (early counts as
///   on time), of the non-cancelled jobs that arrived or are past the window's end.
/// - `repair_timeliness`: repairs completed at or before `reported_at` + `repair_limit_hours`,
///   of the non-cancelled repairs completed or past that limit.
/// - `visit_completion`: jobs completed, of the non-cancelled jobs completed or whose promised
///   window has ended (planned visits actually done). A job closed by the customer's declined
///   quote or by a redelivery (goods damaged on unboxing) is left out, as a cancelled one is:
///   nothing was left for the technician to complete.
/// - `first_visit_fix`: completed jobs whose every fact belongs to one visit and that had no
///   visit ending short of completion (`take_back`, `no_access`, `await_parts` 待件,
///   `refuse_signature`, `need_second_visit`), of the completed jobs.
/// - `endings`: the jobs with a visit that ended each other way (see [`Endings`]).
/// - `first_contact`, `rating`, `complaints`, `report_timeliness`: see their types.
/// - `skew_corrected_events`: facts whose time was corrected for the device's clock.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub jobs: u32,
    pub cancelled: u32,
    pub completed: u32,
    pub response: ResponseTime,
    #[serde(default)]
    pub first_contact: FirstContact,
    pub sla: Ratio,
    pub on_time_arrival: Ratio,
    pub repair_timeliness: Ratio,
    pub visit_completion: Ratio,
    pub first_visit_fix: Ratio,
    pub rating: Rating,
    pub complaints: Complaints,
    pub report_timeliness: ReportTimeliness,
    pub skew_corrected_events: u32,
    pub endings: Endings,
    /// [`score_centi`] / 100: 0–100 with two decimals.
    pub score: Option<f64>,
    pub band: Option<Band>,
}

/// A technician's measures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TechnicianMeasures {
    pub technician_id: String,
    #[serde(flatten)]
    pub summary: Summary,
}

/// A zone's measures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ZoneMeasures {
    pub zone: Zone,
    pub response_limit_hours: i64,
    #[serde(flatten)]
    pub summary: Summary,
}

/// Every measure of a period.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Measures {
    pub from: i64,
    pub to: i64,
    pub as_of: i64,
    pub config: MeasureConfig,
    pub fleet: Summary,
    /// By technician id (jobs without a technician count in the fleet and zones only).
    pub technicians: Vec<TechnicianMeasures>,
    /// Urban, then suburban (zones without jobs are left out).
    pub zones: Vec<ZoneMeasures>,
    /// The desk's own measures of the period, when the desk's records were read (the
    /// measures routes read them; [`compute`] alone leaves them out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desk: Option<DeskMeasures>,
}

/// The desk's measures: complaints received in the period (handled in time, satisfaction
/// with the handling) and the callbacks of jobs completed in it (the rating on the callback
/// beside the rating given on the technician's phone).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DeskMeasures {
    pub complaints: crate::complaints::ComplaintMeasures,
    pub callbacks: crate::callbacks::CallbackMeasures,
}

/// What one job contributes, derived once.
#[derive(Debug)]
struct JobOutcome<'a> {
    job: &'a JobFacts,
    first_arrival: Option<i64>,
    first_contact: Option<i64>,
    completed_at: Option<i64>,
    first_visit: bool,
    /// The ways its visits ended short of completion ([`ENDING_KINDS`]), each once.
    endings: BTreeSet<&'a str>,
    rating: Option<u8>,
    complaint_at: Option<i64>,
    report_delay_ms: Option<i64>,
    skew_corrected: u32,
}

/// The job's events in a canonical order (time, device, sequence, kind).
fn ordered(job: &JobFacts) -> Vec<&EventFact> {
    let mut ev: Vec<&EventFact> = job.events.iter().collect();
    ev.sort_by(|a, b| {
        (a.at(), &a.device_id, a.seq, &a.kind).cmp(&(b.at(), &b.device_id, b.seq, &b.kind))
    });
    ev
}

fn outcome(job: &JobFacts) -> JobOutcome<'_> {
    let ev = ordered(job);
    let first = |kind: &str| ev.iter().find(|e| e.kind == kind).map(|e| e.at());
    let complete = ev.iter().rev().find(|e| e.kind == "complete");
    let visits: BTreeSet<&str> = ev.iter().filter_map(|e| e.visit_id.as_deref()).collect();
    let endings: BTreeSet<&str> = ev
        .iter()
        .map(|e| e.kind.as_str())
        .filter(|k| ENDING_KINDS.contains(k))
        .collect();
    let revisit = endings.iter().any(|k| !closes_unfixed(k));
    let feedback: Vec<&&EventFact> = ev.iter().filter(|e| e.kind == "feedback").collect();
    JobOutcome {
        job,
        first_arrival: first("arrive"),
        first_contact: ev
            .iter()
            .find(|e| matches!(e.notice, Some(EventNotice::Call { reached: true })))
            .map(|e| e.at()),
        completed_at: complete.map(|e| e.at()),
        first_visit: complete.is_some() && visits.len() <= 1 && !revisit,
        endings,
        rating: feedback.iter().rev().find_map(|e| e.rating),
        complaint_at: feedback.iter().find(|e| e.complaint).map(|e| e.at()),
        report_delay_ms: complete.map(|e| e.received_at.saturating_sub(e.at())),
        skew_corrected: ev.iter().filter(|e| e.corrected()).count() as u32,
    }
}

fn summarize(outcomes: &[&JobOutcome<'_>], cfg: &MeasureConfig, as_of: i64) -> Summary {
    let mut s = Summary::default();
    let (mut resp_sum, mut resp_max) = (0i64, None::<i64>);
    let (mut contact_sum, mut contact_max) = (0i64, None::<i64>);
    let (mut rating_sum, mut delay_sum, mut delay_max) = (0u32, 0i64, None::<i64>);
    for o in outcomes {
        let j = o.job;
        s.jobs += 1;
        s.skew_corrected_events += o.skew_corrected;
        if j.cancelled {
            s.cancelled += 1;
            continue;
        }
        for k in &o.endings {
            s.endings.add(k);
        }
        let closed_unfixed =
            o.completed_at.is_none() && o.endings.iter().any(|k| closes_unfixed(k));
        // A deadline met by `at`, missed once `as_of` passed it, otherwise not yet due.
        let judge = |r: &mut Ratio, at: Option<i64>, deadline: i64| match at {
            Some(t) => r.add(t <= deadline),
            None if as_of > deadline => r.add(false),
            None => {}
        };
        if let Some(a) = o.first_arrival {
            let ms = a.saturating_sub(j.reported_at);
            s.response.arrived += 1;
            resp_sum = resp_sum.saturating_add(ms);
            resp_max = Some(resp_max.map_or(ms, |m| m.max(ms)));
        }
        if let Some(c) = o.first_contact {
            let ms = c.saturating_sub(j.reported_at).max(0);
            s.first_contact.contacted += 1;
            contact_sum = contact_sum.saturating_add(ms);
            contact_max = Some(contact_max.map_or(ms, |m| m.max(ms)));
        }
        judge(
            &mut s.first_contact.within_limit,
            o.first_contact,
            j.reported_at
                .saturating_add(cfg.first_contact_minutes.saturating_mul(MINUTE_MS)),
        );
        judge(
            &mut s.sla,
            o.first_arrival,
            j.reported_at.saturating_add(cfg.response_limit_ms(j.zone)),
        );
        judge(&mut s.on_time_arrival, o.first_arrival, j.promised_end);
        if j.kind == JobKind::Repair {
            judge(
                &mut s.repair_timeliness,
                o.completed_at,
                j.reported_at
                    .saturating_add(cfg.repair_limit_hours.saturating_mul(HOUR_MS)),
            );
        }
        if o.completed_at.is_some() {
            s.completed += 1;
            s.visit_completion.add(true);
            s.first_visit_fix.add(o.first_visit);
        } else if as_of > j.promised_end && !closed_unfixed {
            s.visit_completion.add(false);
        }
        if let Some(r) = o.rating {
            s.rating.count += 1;
            rating_sum += u32::from(r);
        }
        if let Some(raised) = o.complaint_at {
            s.complaints.raised += 1;
            judge(
                &mut s.complaints.handled_in_time,
                j.complaint_handled_at,
                cfg.complaint_deadline(raised),
            );
        }
        if let Some(d) = o.report_delay_ms {
            let rt = &mut s.report_timeliness;
            rt.den += 1;
            if d <= cfg.report_limit_hours.saturating_mul(HOUR_MS) {
                rt.num += 1;
            }
            delay_sum = delay_sum.saturating_add(d);
            delay_max = Some(delay_max.map_or(d, |m| m.max(d)));
        }
    }
    let minutes = |ms: i64| ms as f64 / MINUTE_MS as f64;
    if s.response.arrived > 0 {
        s.response.mean_minutes = Some(minutes(resp_sum) / f64::from(s.response.arrived));
        s.response.max_minutes = resp_max.map(minutes);
    }
    let fc = &mut s.first_contact;
    if fc.contacted > 0 {
        fc.mean_minutes = Some(minutes(contact_sum) / f64::from(fc.contacted));
        fc.max_minutes = contact_max.map(minutes);
    }
    if s.rating.count > 0 {
        s.rating.mean = Some(f64::from(rating_sum) / f64::from(s.rating.count));
    }
    let rt = &mut s.report_timeliness;
    if rt.den > 0 {
        rt.rate = Some(f64::from(rt.num) / f64::from(rt.den));
        rt.mean_delay_minutes = Some(minutes(delay_sum) / f64::from(rt.den));
        rt.max_delay_minutes = delay_max.map(minutes);
    }
    let centi = score_centi(&s);
    s.score = centi.map(|c| f64::from(c) / 100.0);
    s.band = centi.map(Band::of_centi);
    s
}

/// The measures of the jobs whose promised window starts in `[from, to)`, judged as of
/// `as_of` (ms). Facts may come in any order and may include jobs outside the period.
pub fn compute(
    facts: &[JobFacts],
    from: i64,
    to: i64,
    as_of: i64,
    cfg: &MeasureConfig,
) -> Measures {
    let mut jobs: Vec<&JobFacts> = facts
        .iter()
        .filter(|j| from <= j.promised_start && j.promised_start < to)
        .collect();
    jobs.sort_by(|a, b| a.work_order_id.cmp(&b.work_order_id));
    let outcomes: Vec<JobOutcome<'_>> = jobs.iter().map(|j| outcome(j)).collect();
    let all: Vec<&JobOutcome<'_>> = outcomes.iter().collect();
    let mut by_tech: BTreeMap<&str, Vec<&JobOutcome<'_>>> = BTreeMap::new();
    for o in &outcomes {
        if let Some(t) = o.job.technician_id.as_deref() {
            by_tech.entry(t).or_default().push(o);
        }
    }
    let zones = Zone::ALL
        .into_iter()
        .filter_map(|zone| {
            let mine: Vec<&JobOutcome<'_>> =
                outcomes.iter().filter(|o| o.job.zone == zone).collect();
            (!mine.is_empty()).then(|| ZoneMeasures {
                zone,
                response_limit_hours: cfg.response_limit_ms(zone) / HOUR_MS,
                summary: summarize(&mine, cfg, as_of),
            })
        })
        .collect();
    Measures {
        from,
        to,
        as_of,
        config: *cfg,
        fleet: summarize(&all, cfg, as_of),
        technicians: by_tech
            .into_iter()
            .map(|(t, os)| TechnicianMeasures {
                technician_id: t.to_owned(),
                summary: summarize(&os, cfg, as_of),
            })
            .collect(),
        zones,
        desk: None,
    }
}

/// One visit in the daily report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VisitLine {
    pub work_order_id: String,
    pub number: String,
    pub kind: JobKind,
    pub travel_minutes: i64,
    pub on_site_minutes: i64,
    pub paused_minutes: i64,
    /// How the visit ended: `complete`, `take_back`, `no_access`, `await_parts`,
    /// `refuse_signature`, `decline_quote`, `need_second_visit`, `request_redelivery`, or
    /// `open`.
    pub ended: String,
}

/// A technician's day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DailyRow {
    pub technician_id: String,
    /// Jobs with a visit that day.
    pub jobs: u32,
    /// Jobs by category, every category listed (`delivery`, `installation`, `repair`,
    /// `return_exchange`, `follow_up`).
    pub by_category: BTreeMap<String, u32>,
    pub travel_minutes: i64,
    /// On site, paused time excluded.
    pub on_site_minutes: i64,
    pub paused_minutes: i64,
    pub visits: Vec<VisitLine>,
}

/// The daily technician work report (PROCEDURE.md step 22).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DailyReport {
    pub date: NaiveDate,
    pub utc_offset_minutes: i32,
    pub technicians: Vec<DailyRow>,
}

/// A visit's time, from its facts in order: travel is `start_travel` → `arrive`; on site is
/// `arrive` → the visit's end (`complete` or an ending of [`ENDING_KINDS`]; still open: its
/// last fact) minus the paused spans (`pause` → `resume`,
/// or → the end when never resumed).
fn visit_time(ev: &[&EventFact]) -> (i64, i64, i64, String) {
    let first = |k: &str| ev.iter().find(|e| e.kind == k).map(|e| e.at());
    let arrive = first("arrive");
    let travel = match (first("start_travel"), arrive) {
        (Some(s), Some(a)) if a >= s => a.saturating_sub(s),
        _ => 0,
    };
    let end_event = ev
        .iter()
        .find(|e| e.kind == "complete" || ENDING_KINDS.contains(&e.kind.as_str()));
    let end = end_event.map(|e| e.at()).or(ev.last().map(|e| e.at()));
    let mut paused: i64 = 0;
    let mut since: Option<i64> = None;
    for e in ev {
        match e.kind.as_str() {
            "pause" if since.is_none() => since = Some(e.at()),
            "resume" => {
                if let Some(p) = since.take() {
                    paused = paused.saturating_add(e.at().saturating_sub(p));
                }
            }
            _ => {}
        }
    }
    if let (Some(p), Some(end)) = (since, end) {
        paused = paused.saturating_add(end.saturating_sub(p).max(0));
    }
    let on_site = match (arrive, end) {
        (Some(a), Some(e)) if e >= a => e.saturating_sub(a).saturating_sub(paused).max(0),
        _ => 0,
    };
    let ended = end_event.map_or("open".to_owned(), |e| e.kind.clone());
    (
        travel / MINUTE_MS,
        on_site / MINUTE_MS,
        paused / MINUTE_MS,
        ended,
    )
}

/// The work report of `date` (local, [`MeasureConfig::utc_offset_minutes`]): per technician,
/// the visits whose arrival (or, without one, start of travel) falls on that day, the jobs by
/// category and the time spent. Cancelled jobs count when a visit happened. The technician is
/// the job's current one.
pub fn daily_report(facts: &[JobFacts], date: NaiveDate, cfg: &MeasureConfig) -> DailyReport {
    let mut rows: BTreeMap<&str, (BTreeSet<&str>, DailyRow)> = BTreeMap::new();
    let mut jobs: Vec<&JobFacts> = facts.iter().collect();
    jobs.sort_by(|a, b| a.work_order_id.cmp(&b.work_order_id));
    for job in jobs {
        let Some(tech) = job.technician_id.as_deref() else {
            continue;
        };
        let ev = ordered(job);
        let mut visits: BTreeMap<&str, Vec<&EventFact>> = BTreeMap::new();
        for e in &ev {
            if let Some(v) = e.visit_id.as_deref() {
                visits.entry(v).or_default().push(e);
            }
        }
        let mut lines: Vec<(i64, VisitLine)> = Vec::new();
        for v in visits.values() {
            let Some(day_of) = v
                .iter()
                .find(|e| e.kind == "arrive")
                .or_else(|| v.iter().find(|e| e.kind == "start_travel"))
                .map(|e| e.at())
            else {
                continue;
            };
            if cfg.local_date(day_of) != date {
                continue;
            }
            let (travel, on_site, paused, ended) = visit_time(v);
            lines.push((
                day_of,
                VisitLine {
                    work_order_id: job.work_order_id.clone(),
                    number: job.number.clone(),
                    kind: job.kind,
                    travel_minutes: travel,
                    on_site_minutes: on_site,
                    paused_minutes: paused,
                    ended,
                },
            ));
        }
        if lines.is_empty() {
            continue;
        }
        let (seen, row) = rows.entry(tech).or_insert_with(|| {
            (
                BTreeSet::new(),
                DailyRow {
                    technician_id: tech.to_owned(),
                    jobs: 0,
                    by_category: JobKind::ALL
                        .iter()
                        .map(|k| (k.as_str().to_owned(), 0))
                        .collect(),
                    travel_minutes: 0,
                    on_site_minutes: 0,
                    paused_minutes: 0,
                    visits: Vec::new(),
                },
            )
        });
        if seen.insert(job.work_order_id.as_str()) {
            row.jobs += 1;
            *row.by_category
                .entry(job.kind.as_str().to_owned())
                .or_default() += 1;
        }
        for (_, l) in lines {
            row.travel_minutes = row.travel_minutes.saturating_add(l.travel_minutes);
            row.on_site_minutes = row.on_site_minutes.saturating_add(l.on_site_minutes);
            row.paused_minutes = row.paused_minutes.saturating_add(l.paused_minutes);
            row.visits.push(l);
        }
    }
    DailyReport {
        date,
        utc_offset_minutes: cfg.utc_offset_minutes,
        technicians: rows.into_values().map(|(_, r)| r).collect(),
    }
}
