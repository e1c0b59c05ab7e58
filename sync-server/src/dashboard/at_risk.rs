//! The board's panel of jobs at risk (第5章 第19条 (2), (9), (11)): every open job the SLA
//! version in force finds at risk ([`crate::desk::sla::at_risk`]), with its reasons and the
//! supervisor to escalate to. The board's script re-reads `/board/at-risk` on every job
//! change it hears live, so a delay notice a phone syncs shows without a reload. Words in
//! zh-CN, then en ([`super::words::at_risk`]).

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use maud::{Markup, html};

use super::page::{PageError, private};
use super::session::Session;
use super::words::at_risk as w;
use super::words::{kind_word, zone_word};
use crate::desk::sla::AtRiskReport;
use crate::i18n::current as lang;
use crate::sla::at_risk::{Level, Reason};
use crate::state::AppState;
use crate::t;

/// The panel's route: its rows alone, for the live board.
pub fn routes() -> Router<AppState> {
    Router::new().route("/board/at-risk", get(rows))
}

/// The panel as the board shows it.
pub fn panel(session: &Session, report: &AtRiskReport) -> Markup {
    html! {
        section id="at-risk" class="card" {
            h2 { (t!(lang(), w::TITLE)) " " small class="muted" { (t!(lang(), w::VERSION)) " " span id="sla-version" { (report.sla_version) } } }
            table id="at-risk-jobs" {
                thead { tr { @for c in w::COLUMNS { th { (t!(lang(), c)) } } } }
                tbody { (tbody(session, report)) }
            }
        }
    }
}

/// One reason in words, its times in the desk's time zone.
fn reason(session: &Session, r: &Reason) -> String {
    match *r {
        Reason::NotContacted { due } => {
            format!("{} {}", t!(lang(), w::NOT_CONTACTED), session.when(due))
        }
        Reason::DelayNotice { new_eta, .. } => {
            format!("{} {}", t!(lang(), w::DELAY_NOTICE), session.when(new_eta))
        }
        Reason::EtaPastWindow { window_end, .. } => {
            format!(
                "{} {}",
                t!(lang(), w::ETA_PAST_WINDOW),
                session.when(window_end)
            )
        }
        Reason::Arrival { due } => format!("{} {}", t!(lang(), w::ARRIVAL), session.when(due)),
        Reason::Repair { due } => format!("{} {}", t!(lang(), w::REPAIR), session.when(due)),
    }
}

fn level(l: Level) -> (&'static str, &'static str) {
    match l {
        Level::Warning => ("warning", w::WARNING),
        Level::Breach => ("breach", w::BREACH),
    }
}

fn tbody(session: &Session, report: &AtRiskReport) -> Markup {
    html! {
        @if report.jobs.is_empty() {
            tr class="none" { td colspan=(w::COLUMNS.len()) { (t!(lang(), w::NONE)) } }
        }
        @for j in &report.jobs {
            @let (lv, lw) = level(j.level);
            tr id={ "risk-" (j.work_order_id) } data-level=(lv) {
                td { a class="job-link" href={ "/jobs/" (j.work_order_id) } { (j.number) } }
                td { (j.technician_id.clone().unwrap_or_else(|| t!(lang(), w::UNASSIGNED))) }
                td { (kind_word(j.kind)) " · " (zone_word(j.zone)) }
                td class="level" { (t!(lang(), lw)) }
                td class="reasons" {
                    @for r in &j.risks {
                        div data-reason=(reason_key(&r.reason)) data-level=(level(r.level).0) { (reason(session, &r.reason)) }
                    }
                }
                td class="escalate" { (j.escalate_to) }
            }
        }
    }
}

/// The stable name of a reason (as the JSON names it).
fn reason_key(r: &Reason) -> &'static str {
    match r {
        Reason::NotContacted { .. } => "not_contacted",
        Reason::DelayNotice { .. } => "delay_notice",
        Reason::EtaPastWindow { .. } => "eta_past_window",
        Reason::Arrival { .. } => "arrival",
        Reason::Repair { .. } => "repair",
    }
}

async fn rows(State(s): State<AppState>, session: Session) -> Result<Response, PageError> {
    let report = crate::desk::sla::at_risk(&s).await?;
    Ok(private(tbody(&session, &report)))
}
