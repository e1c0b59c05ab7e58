//! Service-level limits (SLA) as versioned data (第5章 第19条 (2), (9), (11)): per zone ×
//! job kind, the minutes within which the customer must be reached by phone, the hours from
//! the call to arrival and to completion, the share of a limit at which a job is "near" it,
//! and the supervisor a job at risk is escalated to. An administrator sets a whole new table
//! at once ([`PutSla`], checked by [`validate`]); every version is kept. Version 0 is the
//! built-in table ([`defaults`]), in force until the first is set. Pure: no I/O.
//! [`at_risk`] judges an open job against its limits.

pub mod at_risk;

use fieldkit_core::model::{JobKind, Zone};
use serde::{Deserialize, Serialize};

use crate::measures::MeasureConfig;
use crate::msg;
use crate::msg::Msg;

/// The limits of one zone and job kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaLimit {
    pub zone: Zone,
    pub kind: JobKind,
    /// From the customer's call to the first call that reaches them (1–1440).
    pub first_contact_minutes: u32,
    /// From the customer's call to arrival (1–720).
    pub response_hours: u32,
    /// From the customer's call to completion (1–2160).
    pub repair_hours: u32,
    /// A job is near a limit once this share of it has passed, in percent (1–100).
    pub warning_percent: u32,
    /// Who a job at risk is escalated to (1–64 characters; a name or role, never a customer).
    pub supervisor: String,
}

/// One version of the table, as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaVersion {
    /// 1, 2, 3… in the order set; 0 for the built-in table.
    pub version: i64,
    /// Who set it (the audit log's actor; empty for the built-in table).
    pub set_by: String,
    /// When (ms; 0 for the built-in table).
    pub set_at: i64,
    /// Why (may be empty).
    pub note: String,
    /// One row per zone and job kind, zones then kinds in their listed order.
    pub limits: Vec<SlaLimit>,
}

impl SlaVersion {
    /// The limits of a zone and kind (every version has one row for each).
    pub fn limit(&self, zone: Zone, kind: JobKind) -> Option<&SlaLimit> {
        self.limits
            .iter()
            .find(|l| l.zone == zone && l.kind == kind)
    }
}

/// `PUT /v1/admin/sla` body: the whole new table.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PutSla {
    /// Exactly one row for every zone (urban, suburban, rural) and job kind.
    pub limits: Vec<SlaLimit>,
    /// Why it changed (at most 200 characters).
    #[serde(default)]
    pub note: Option<String>,
}

/// `GET /v1/admin/sla` answer: the version in force and every version set, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaOverview {
    pub current: SlaVersion,
    pub history: Vec<SlaVersion>,
}

/// The supervisor of the built-in table (售后服务主管, 第5章 第19条 (5)).
pub const DEFAULT_SUPERVISOR: &str = "售后服务主管";
/// The built-in warning share (a choice: the manual gives none).
pub const DEFAULT_WARNING_PERCENT: u32 = 80;

/// The built-in table: the measures' defaults ([`MeasureConfig`]) for every job kind.
pub fn defaults() -> SlaVersion {
    let cfg = MeasureConfig::default();
    let hours = |h: i64| u32::try_from(h).unwrap_or(u32::MAX);
    let mut limits = Vec::new();
    for zone in Zone::ALL {
        for kind in JobKind::ALL {
            limits.push(SlaLimit {
                zone,
                kind,
                first_contact_minutes: hours(cfg.first_contact_minutes),
                response_hours: hours(cfg.response_limit_ms(zone) / 3_600_000),
                repair_hours: hours(cfg.repair_limit_hours),
                warning_percent: DEFAULT_WARNING_PERCENT,
                supervisor: DEFAULT_SUPERVISOR.into(),
            });
        }
    }
    SlaVersion {
        version: 0,
        set_by: String::new(),
        set_at: 0,
        note: String::new(),
        limits,
    }
}

/// Checks a new table and returns its rows in the canonical order (zones, then kinds), the
/// supervisor's name trimmed, and the note; or why it is refused (the row and field named,
/// never the supervisor's text).
pub fn validate(req: PutSla) -> Result<(Vec<SlaLimit>, String), Msg> {
    let note = req.note.unwrap_or_default().trim().to_owned();
    if note.chars().count() > 200 || note.chars().any(char::is_control) {
        return Err(msg!("err-sla-note"));
    }
    let mut out = Vec::with_capacity(Zone::ALL.len() * JobKind::ALL.len());
    for zone in Zone::ALL {
        for kind in JobKind::ALL {
            let mut rows = req
                .limits
                .iter()
                .filter(|l| l.zone == zone && l.kind == kind);
            let at = format!("limits[{} {}]", zone.as_str(), kind.as_str());
            let Some(row) = rows.next() else {
                return Err(msg!("err-sla-row-missing", at = at));
            };
            if rows.next().is_some() {
                return Err(msg!("err-sla-row-twice", at = at));
            }
            let range = |field: &'static str, v: u32, max: u32| {
                if (1..=max).contains(&v) {
                    Ok(())
                } else {
                    Err(msg!(
                        "err-sla-range",
                        at = at.clone(),
                        field = field,
                        max = max
                    ))
                }
            };
            range("first_contact_minutes", row.first_contact_minutes, 1440)?;
            range("response_hours", row.response_hours, 720)?;
            range("repair_hours", row.repair_hours, 2160)?;
            range("warning_percent", row.warning_percent, 100)?;
            let supervisor = row.supervisor.trim();
            let n = supervisor.chars().count();
            if n == 0 || n > 64 || supervisor.chars().any(char::is_control) {
                return Err(msg!("err-sla-supervisor", at = at));
            }
            out.push(SlaLimit {
                supervisor: supervisor.to_owned(),
                ..row.clone()
            });
        }
    }
    Ok((out, note))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put() -> PutSla {
        PutSla {
            limits: defaults().limits,
            note: Some(" 春节 ".into()),
        }
    }

    #[test]
    fn the_built_in_table_has_every_zone_and_kind_and_validates() {
        let d = defaults();
        assert_eq!(d.limits.len(), 15);
        let rural = d.limit(Zone::Rural, JobKind::Repair).unwrap();
        assert_eq!((rural.response_hours, rural.repair_hours), (72, 72));
        assert_eq!(
            d.limit(Zone::Urban, JobKind::Delivery)
                .unwrap()
                .response_hours,
            24
        );
        assert_eq!(
            d.limit(Zone::Suburban, JobKind::Repair)
                .unwrap()
                .response_hours,
            48
        );
        assert_eq!(
            d.limit(Zone::Urban, JobKind::Repair)
                .unwrap()
                .first_contact_minutes,
            30
        );
        let (rows, note) = validate(put()).unwrap();
        assert_eq!((rows, note.as_str()), (d.limits, "春节"));
    }

    #[test]
    fn a_table_out_of_order_comes_back_in_order() {
        let mut p = put();
        p.limits.reverse();
        assert_eq!(validate(p).unwrap().0, defaults().limits);
    }

    /// An edit of a good table, and what its refusal must say.
    type Edit = (Box<dyn Fn(&mut PutSla)>, &'static str);

    #[test]
    fn refusals_name_the_row_and_field() {
        let cases: Vec<Edit> = vec![
            (
                Box::new(|p| {
                    p.limits.pop();
                }),
                "limits[rural follow_up]`：缺少",
            ),
            (
                Box::new(|p| {
                    let r = p.limits[0].clone();
                    p.limits.push(r);
                }),
                "limits[urban delivery]`：重复",
            ),
            (
                Box::new(|p| p.limits[0].first_contact_minutes = 0),
                "limits[urban delivery].first_contact_minutes",
            ),
            (
                Box::new(|p| p.limits[1].first_contact_minutes = 1441),
                ".first_contact_minutes`：应在 1 到 1440",
            ),
            (
                Box::new(|p| p.limits[2].response_hours = 721),
                "limits[urban repair].response_hours",
            ),
            (Box::new(|p| p.limits[3].repair_hours = 0), ".repair_hours"),
            (
                Box::new(|p| p.limits[4].warning_percent = 101),
                ".warning_percent`：应在 1 到 100",
            ),
            (
                Box::new(|p| p.limits[5].supervisor = "  ".into()),
                "limits[suburban delivery].supervisor",
            ),
            (
                Box::new(|p| p.limits[5].supervisor = "x".repeat(65)),
                ".supervisor",
            ),
            (
                Box::new(|p| p.limits[5].supervisor = "a\nb".into()),
                ".supervisor",
            ),
            (Box::new(|p| p.note = Some("n".repeat(201))), "`note`"),
        ];
        for (edit, want) in cases {
            let mut p = put();
            edit(&mut p);
            let e = validate(p).unwrap_err().render(crate::i18n::Locale::ZhCn);
            assert!(e.contains(want), "{e} does not contain {want}");
        }
        // The edges are accepted.
        let mut p = put();
        p.limits[0].first_contact_minutes = 1440;
        p.limits[0].warning_percent = 100;
        p.limits[0].supervisor = "王".repeat(64);
        assert!(validate(p).is_ok());
    }

    #[test]
    fn unknown_fields_are_refused() {
        let mut v = serde_json::to_value(put()).unwrap();
        v["limits"][0]["grace"] = 5.into();
        assert!(serde_json::from_value::<PutSla>(v).is_err());
        let mut v = serde_json::to_value(put()).unwrap();
        v["extra"] = 1.into();
        assert!(serde_json::from_value::<PutSla>(v).is_err());
    }
}
