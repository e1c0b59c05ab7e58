//! Whether an open job is at risk of missing its limits, and why (pure): [`assess`] takes the
//! job's facts, its row of the SLA version in force and the time now. A job is at risk when
//! - the customer was not reached by phone within `first_contact_minutes` of the call;
//! - a delay notice arrived and the technician has not arrived since;
//! - that notice's new ETA is past the promised window's end;
//! - the technician has not arrived and `warning_percent` of the response limit has passed
//!   (near) or all of it (past);
//! - the job is not completed and `warning_percent` of the repair limit has passed (near) or
//!   all of it (past).
//!
//! A cancelled job, a completed one, and one closed without a fix (quote declined,
//! redelivery) is never at risk. Event times are [`EventFact::at`] (skew-corrected).

use fieldkit_core::model::{JobKind, Zone};
use serde::{Deserialize, Serialize};

use super::SlaLimit;
use crate::measures::{EventFact, EventNotice, JobFacts, closes_unfixed};

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 3_600_000;

/// How serious a reason is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Near a limit, or a delay told to the customer: act before it is missed.
    Warning,
    /// A limit is missed (or will be: an ETA past the window).
    Breach,
}

/// Why a job is at risk. Times in ms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum Reason {
    /// Not reached by phone by `due` (reported + first-contact limit).
    NotContacted { due: i64 },
    /// A delay notice came in at `notified_at` with a new ETA; no arrival since.
    DelayNotice { notified_at: i64, new_eta: i64 },
    /// The delay notice's ETA is past the promised window's end.
    EtaPastWindow { new_eta: i64, window_end: i64 },
    /// Not arrived; the response limit falls at `due`.
    Arrival { due: i64 },
    /// Not completed; the repair limit falls at `due`.
    Repair { due: i64 },
}

/// One reason and how serious it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Risk {
    #[serde(flatten)]
    pub reason: Reason,
    pub level: Level,
}

/// A job at risk (no personal data: ids, the desk's number, kind and zone).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AtRisk {
    pub work_order_id: String,
    pub number: String,
    pub kind: JobKind,
    pub zone: Zone,
    pub technician_id: Option<String>,
    /// The most serious of `risks`.
    pub level: Level,
    /// In the order of the list in the module's doc.
    pub risks: Vec<Risk>,
    /// The supervisor of the job's SLA row.
    pub escalate_to: String,
}

/// `reported + limit_ms × percent / 100`, saturating.
fn share(reported: i64, limit_ms: i64, percent: u32) -> i64 {
    reported.saturating_add(limit_ms.saturating_mul(i64::from(percent)) / 100)
}

/// Near (`Warning`) once `percent` of the limit has passed, past (`Breach`) at the limit.
fn against(reported: i64, limit_ms: i64, percent: u32, now: i64) -> Option<Level> {
    let due = reported.saturating_add(limit_ms);
    if now >= due {
        Some(Level::Breach)
    } else if now >= share(reported, limit_ms, percent) {
        Some(Level::Warning)
    } else {
        None
    }
}

/// Whether `job` is at risk at `now` under `limit` (its zone and kind's row), and why.
pub fn assess(job: &JobFacts, limit: &SlaLimit, now: i64) -> Option<AtRisk> {
    let seen: Vec<&EventFact> = job.events.iter().filter(|e| e.received_at <= now).collect();
    let has = |kind: &str| seen.iter().any(|e| e.kind == kind);
    if job.cancelled || has("complete") || seen.iter().any(|e| closes_unfixed(&e.kind)) {
        return None;
    }
    let mut risks = Vec::new();
    let reached = seen
        .iter()
        .any(|e| matches!(e.notice, Some(EventNotice::Call { reached: true })));
    let contact_due = job
        .reported_at
        .saturating_add(i64::from(limit.first_contact_minutes).saturating_mul(MINUTE_MS));
    if !reached && now >= contact_due {
        risks.push(Risk {
            reason: Reason::NotContacted { due: contact_due },
            level: Level::Breach,
        });
    }
    let delay = seen
        .iter()
        .filter_map(|e| match e.notice {
            Some(EventNotice::Delay { new_eta, .. }) => Some((e.at(), e.seq, new_eta)),
            _ => None,
        })
        .max();
    if let Some((notified_at, _, new_eta)) = delay {
        let arrived_since = seen
            .iter()
            .any(|e| e.kind == "arrive" && e.at() >= notified_at);
        if !arrived_since {
            risks.push(Risk {
                reason: Reason::DelayNotice {
                    notified_at,
                    new_eta,
                },
                level: Level::Warning,
            });
            if new_eta > job.promised_end {
                risks.push(Risk {
                    reason: Reason::EtaPastWindow {
                        new_eta,
                        window_end: job.promised_end,
                    },
                    level: Level::Breach,
                });
            }
        }
    }
    let pct = limit.warning_percent;
    if !has("arrive") {
        let limit_ms = i64::from(limit.response_hours).saturating_mul(HOUR_MS);
        if let Some(level) = against(job.reported_at, limit_ms, pct, now) {
            let due = job.reported_at.saturating_add(limit_ms);
            risks.push(Risk {
                reason: Reason::Arrival { due },
                level,
            });
        }
    }
    let limit_ms = i64::from(limit.repair_hours).saturating_mul(HOUR_MS);
    if let Some(level) = against(job.reported_at, limit_ms, pct, now) {
        let due = job.reported_at.saturating_add(limit_ms);
        risks.push(Risk {
            reason: Reason::Repair { due },
            level,
        });
    }
    let level = risks.iter().map(|r| r.level).max()?;
    Some(AtRisk {
        work_order_id: job.work_order_id.clone(),
        number: job.number.clone(),
        kind: job.kind,
        zone: job.zone,
        technician_id: job.technician_id.clone(),
        level,
        risks,
        escalate_to: limit.supervisor.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = MINUTE_MS;
    const H: i64 = HOUR_MS;
    /// The call came in at T (ms); the promised window is T+4 h to T+6 h.
    const T: i64 = 1_800_000_000_000;

    fn limit() -> SlaLimit {
        // First contact 30 min, arrival 24 h, repair 72 h, near at 80 %.
        SlaLimit {
            zone: Zone::Urban,
            kind: JobKind::Repair,
            first_contact_minutes: 30,
            response_hours: 24,
            repair_hours: 72,
            warning_percent: 80,
            supervisor: "李主管".into(),
        }
    }

    fn ev(kind: &str, at: i64, notice: Option<EventNotice>) -> EventFact {
        EventFact {
            kind: kind.into(),
            visit_id: Some("v1".into()),
            device_id: "d".into(),
            seq: 0,
            device_time: at,
            received_at: at + MIN,
            skew_ms: None,
            rating: None,
            complaint: false,
            money: None,
            notice,
        }
    }
    fn called(at: i64, reached: bool) -> EventFact {
        ev("call_customer", at, Some(EventNotice::Call { reached }))
    }
    fn delayed(at: i64, new_eta: i64) -> EventFact {
        ev(
            "notify_delay",
            at,
            Some(EventNotice::Delay {
                new_eta,
                in_time: true,
            }),
        )
    }

    fn job(events: Vec<EventFact>) -> JobFacts {
        JobFacts {
            work_order_id: "j".into(),
            number: "WO-1".into(),
            kind: JobKind::Repair,
            zone: Zone::Urban,
            reported_at: T,
            promised_start: T + 4 * H,
            promised_end: T + 6 * H,
            technician_id: Some("t".into()),
            cancelled: false,
            complaint_handled_at: None,
            events,
        }
    }

    use Level::{Breach, Warning};

    /// A case: its name, the job's events, now, the reasons expected.
    type Case = (&'static str, Vec<EventFact>, i64, Vec<(Reason, Level)>);

    #[test]
    fn reasons_by_hand() {
        let reached = || called(T + 10 * MIN, true);
        let cases: Vec<Case> = vec![
            ("fresh job, limit not reached", vec![], T + 29 * MIN, vec![]),
            (
                "no call at 30 min",
                vec![],
                T + 30 * MIN,
                vec![(Reason::NotContacted { due: T + 30 * MIN }, Breach)],
            ),
            (
                "only an unreached attempt",
                vec![called(T + 5 * MIN, false)],
                T + 31 * MIN,
                vec![(Reason::NotContacted { due: T + 30 * MIN }, Breach)],
            ),
            ("reached in time", vec![reached()], T + 31 * MIN, vec![]),
            (
                "reached late still counts as reached",
                vec![called(T + 50 * MIN, true)],
                T + H,
                vec![],
            ),
            (
                "a call not yet received does not count",
                vec![called(T + 29 * MIN + 30_000, true)],
                T + 30 * MIN,
                vec![(Reason::NotContacted { due: T + 30 * MIN }, Breach)],
            ),
            (
                "delay notice within the window",
                vec![reached(), delayed(T + 3 * H, T + 5 * H)],
                T + 3 * H + MIN,
                vec![(
                    Reason::DelayNotice {
                        notified_at: T + 3 * H,
                        new_eta: T + 5 * H,
                    },
                    Warning,
                )],
            ),
            (
                "delay notice not yet received",
                vec![reached(), delayed(T + 3 * H, T + 5 * H)],
                T + 3 * H + 30_000,
                vec![],
            ),
            (
                "ETA past the window",
                vec![reached(), delayed(T + 3 * H, T + 7 * H)],
                T + 3 * H + MIN,
                vec![
                    (
                        Reason::DelayNotice {
                            notified_at: T + 3 * H,
                            new_eta: T + 7 * H,
                        },
                        Warning,
                    ),
                    (
                        Reason::EtaPastWindow {
                            new_eta: T + 7 * H,
                            window_end: T + 6 * H,
                        },
                        Breach,
                    ),
                ],
            ),
            (
                "the latest notice stands",
                vec![
                    reached(),
                    delayed(T + 3 * H, T + 7 * H),
                    delayed(T + 3 * H + 10 * MIN, T + 5 * H),
                ],
                T + 4 * H,
                vec![(
                    Reason::DelayNotice {
                        notified_at: T + 3 * H + 10 * MIN,
                        new_eta: T + 5 * H,
                    },
                    Warning,
                )],
            ),
            (
                "arrived after the notice",
                vec![
                    reached(),
                    delayed(T + 3 * H, T + 7 * H),
                    ev("arrive", T + 7 * H, None),
                ],
                T + 8 * H,
                vec![],
            ),
            // 80 % of 24 h = 19.2 h.
            (
                "arrival near its limit",
                vec![reached()],
                T + 19 * H + 12 * MIN,
                vec![(Reason::Arrival { due: T + 24 * H }, Warning)],
            ),
            (
                "arrival just before near",
                vec![reached()],
                T + 19 * H + 11 * MIN,
                vec![],
            ),
            (
                "arrival past its limit",
                vec![reached()],
                T + 24 * H,
                vec![(Reason::Arrival { due: T + 24 * H }, Breach)],
            ),
            // 80 % of 72 h = 57.6 h = 57 h 36 min.
            (
                "arrived, repair near its limit",
                vec![reached(), ev("arrive", T + 5 * H, None)],
                T + 57 * H + 36 * MIN,
                vec![(Reason::Repair { due: T + 72 * H }, Warning)],
            ),
            (
                "arrived, repair just before near",
                vec![reached(), ev("arrive", T + 5 * H, None)],
                T + 57 * H + 35 * MIN,
                vec![],
            ),
            (
                "repair past its limit",
                vec![reached(), ev("arrive", T + 5 * H, None)],
                T + 72 * H,
                vec![(Reason::Repair { due: T + 72 * H }, Breach)],
            ),
            (
                "completed",
                vec![ev("complete", T + 2 * H, None)],
                T + 100 * H,
                vec![],
            ),
            (
                "closed unfixed",
                vec![reached(), ev("decline_quote", T + 5 * H, None)],
                T + 100 * H,
                vec![],
            ),
        ];
        for (name, events, now, want) in cases {
            let got = assess(&job(events), &limit(), now);
            let got: Vec<(Reason, Level)> = got
                .map(|a| a.risks.iter().map(|r| (r.reason, r.level)).collect())
                .unwrap_or_default();
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn the_job_carries_its_worst_level_and_the_supervisor() {
        let a = assess(&job(vec![]), &limit(), T + 60 * H).unwrap();
        assert_eq!(a.level, Breach);
        assert_eq!(a.escalate_to, "李主管");
        assert_eq!(
            a.risks.len(),
            3,
            "no contact, arrival and repair near: {:?}",
            a.risks
        );
        assert_eq!(
            a.risks[2],
            Risk {
                reason: Reason::Repair { due: T + 72 * H },
                level: Warning
            }
        );
        let w = assess(
            &job(vec![called(T, true), delayed(T + H, T + 5 * H)]),
            &limit(),
            T + 2 * H,
        )
        .unwrap();
        assert_eq!(w.level, Warning);
        let mut cancelled = job(vec![]);
        cancelled.cancelled = true;
        assert_eq!(assess(&cancelled, &limit(), T + 100 * H), None);
    }

    #[test]
    fn a_hundred_percent_warns_only_at_the_limit() {
        let mut l = limit();
        l.warning_percent = 100;
        let reached = vec![called(T, true)];
        assert_eq!(assess(&job(reached.clone()), &l, T + 24 * H - 1), None);
        let a = assess(&job(reached), &l, T + 24 * H).unwrap();
        assert_eq!(
            a.risks,
            vec![Risk {
                reason: Reason::Arrival { due: T + 24 * H },
                level: Breach
            }]
        );
    }
}
