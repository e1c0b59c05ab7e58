//! The SLA table and the jobs at risk, shared by the JSON API and the dashboard: the version
//! in force and its history, a new version set by an administrator (validated, audited), and
//! every open job judged against the version in force ([`crate::sla::at_risk`]).

use super::audit::{Action, Actor, record};
use crate::error::ApiError;
use crate::sla::at_risk::{AtRisk, assess};
use crate::sla::{PutSla, SlaOverview, SlaVersion, defaults, validate};
use crate::state::AppState;
use crate::storage::sla_rows::NewSla;
use crate::stored::Code;
use serde::{Deserialize, Serialize};

/// The version in force: the newest set, else the built-in table (version 0).
pub async fn current(s: &AppState) -> Result<SlaVersion, ApiError> {
    Ok(s.storage
        .sla_versions()
        .await?
        .into_iter()
        .max_by_key(|v| v.version)
        .unwrap_or_else(defaults))
}

/// The version in force and every version set, newest first.
pub async fn overview(s: &AppState) -> Result<SlaOverview, ApiError> {
    let mut history = s.storage.sla_versions().await?;
    history.sort_by_key(|v| std::cmp::Reverse(v.version));
    let current = history.first().cloned().unwrap_or_else(defaults);
    Ok(SlaOverview { current, history })
}

/// Sets a new version (administrators only: 403 otherwise; 400 with the row and field for
/// a bad table) and answers it. Audited with its number.
pub async fn put(s: &AppState, by: &Actor, req: PutSla) -> Result<SlaVersion, ApiError> {
    by.must_administer()?;
    let (limits, note) = validate(req).map_err(ApiError::BadRequest)?;
    let n = NewSla {
        set_by: by.login.clone(),
        set_at: s.clock.now_ms(),
        note,
        limits,
    };
    let version = s.storage.record_sla(n.clone()).await?;
    record(
        s,
        by,
        Action::SlaChanged,
        None,
        Some(Code::AuditSlaVersion.said().arg("version", version)),
    )
    .await?;
    tracing::info!(version, "sla version set");
    // Every job's standing may have changed: the board re-reads its at-risk panel.
    s.board.job_changed("*");
    Ok(SlaVersion {
        version,
        set_by: n.set_by,
        set_at: n.set_at,
        note: n.note,
        limits: n.limits,
    })
}

/// `GET /v1/admin/at-risk` answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AtRiskReport {
    /// The server's time the jobs were judged at (ms).
    pub as_of: i64,
    /// The SLA version they were judged against.
    pub sla_version: i64,
    /// Breaches first, then warnings; the desk's number within each.
    pub jobs: Vec<AtRisk>,
}

/// Every open job at risk now under the version in force.
pub async fn at_risk(s: &AppState) -> Result<AtRiskReport, ApiError> {
    let now = s.clock.now_ms();
    let sla = current(s).await?;
    // Every job not closed more than the look-back before now: all open jobs among them.
    let facts = s.storage.measure_facts(now, now).await?;
    let mut jobs: Vec<AtRisk> = facts
        .iter()
        .filter_map(|j| assess(j, sla.limit(j.zone, j.kind)?, now))
        .collect();
    jobs.sort_by(|a, b| (b.level, &a.number).cmp(&(a.level, &b.number)));
    Ok(AtRiskReport {
        as_of: now,
        sla_version: sla.version,
        jobs,
    })
}
