//! Who should do a job: every technician ranked for a job's kind, product, zone and promised
//! window, each with the reasons it does not fit (no skill, a qualification missing or
//! expired, not serving the zone, off duty). Those that fit come first. Pure.

use chrono::{Datelike, FixedOffset, NaiveDate, Timelike};
use fieldkit_core::model::{JobKind, TimeWindow, Zone};
use serde::{Deserialize, Serialize};

use super::TechnicianProfile;
use crate::i18n::Locale;
use crate::records::Technician;
use crate::t;

/// Local time of the working hours and the job's day: UTC+08:00.
pub const LOCAL_OFFSET_SECONDS: i32 = 8 * 3600;

/// What a job needs of its technician.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobNeed {
    pub kind: JobKind,
    /// The product's model.
    pub model: String,
    pub zone: Zone,
    pub window: TimeWindow,
}

/// Why a technician does not fit a job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Misfit {
    /// No profile kept: nothing known of skills, zones or hours.
    NoProfile,
    /// No skill for the job's kind and product.
    NoSkill,
    /// The work needs a qualification the technician does not hold.
    QualificationMissing { name: String },
    /// The qualification the work needs expired before the job's day.
    QualificationExpired { name: String, expired_on: NaiveDate },
    /// Does not serve the job's zone.
    NotInZone,
    /// Not working at the promised time.
    OffDuty,
}

impl Misfit {
    /// Its stable name (the `reason` on the wire), for the audit log.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoProfile => "no_profile",
            Self::NoSkill => "no_skill",
            Self::QualificationMissing { .. } => "qualification_missing",
            Self::QualificationExpired { .. } => "qualification_expired",
            Self::NotInZone => "not_in_zone",
            Self::OffDuty => "off_duty",
        }
    }

    /// In words, in `l`.
    pub fn words(&self, l: Locale) -> String {
        match self {
            Self::QualificationMissing { name } => {
                t!(l, "misfit-qualification-missing", name = name.as_str())
            }
            Self::QualificationExpired { name, expired_on } => t!(
                l,
                "misfit-qualification-expired",
                name = name.as_str(),
                date = fieldkit_core::i18n::date(l, *expired_on)
            ),
            _ => t!(l, &format!("misfit-{}", self.code().replace('_', "-"))),
        }
    }
}

/// One technician as suggested for a job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suggestion {
    pub technician_id: String,
    pub name: String,
    pub employee_number: Option<String>,
    /// No reason against.
    pub fits: bool,
    pub reasons: Vec<Misfit>,
}

fn local() -> FixedOffset {
    FixedOffset::east_opt(LOCAL_OFFSET_SECONDS).unwrap_or_else(|| {
        // Unreachable: the offset is within a day.
        FixedOffset::east_opt(0).unwrap_or_else(|| unreachable!())
    })
}

/// The job's local day (the day its window starts).
pub fn job_day(window: &TimeWindow) -> NaiveDate {
    window.start.with_timezone(&local()).date_naive()
}

fn covers(prefixes: &[String], model: &str) -> bool {
    let model = model.to_lowercase();
    prefixes.is_empty()
        || prefixes
            .iter()
            .any(|p| model.starts_with(&p.to_lowercase()))
}

/// The reason the profile's skills and qualifications do not allow the job, if any.
fn skill_misfit(p: &TechnicianProfile, job: &JobNeed, day: NaiveDate) -> Option<Misfit> {
    let skills: Vec<_> = p
        .skills
        .iter()
        .filter(|s| s.kind == job.kind && covers(&s.products, &job.model))
        .collect();
    if skills.is_empty() {
        return Some(Misfit::NoSkill);
    }
    let valid = |name: &str| {
        p.qualifications
            .iter()
            .any(|q| q.name == name && q.expires_on >= day)
    };
    if skills
        .iter()
        .any(|s| s.requires.as_deref().is_none_or(valid))
    {
        return None;
    }
    let name = skills.iter().find_map(|s| s.requires.clone())?;
    Some(
        match p
            .qualifications
            .iter()
            .filter(|q| q.name == name)
            .map(|q| q.expires_on)
            .max()
        {
            Some(expired_on) => Misfit::QualificationExpired { name, expired_on },
            None => Misfit::QualificationMissing { name },
        },
    )
}

/// Whether the promised window (local) overlaps a working period of its start's weekday.
fn on_duty(p: &TechnicianProfile, window: &TimeWindow) -> bool {
    let start = window.start.with_timezone(&local());
    let end = window.end.with_timezone(&local());
    let weekday = u8::try_from(start.weekday().number_from_monday()).unwrap_or(0);
    let from = start.hour() * 60 + start.minute();
    let to = if end.date_naive() > start.date_naive() {
        24 * 60
    } else {
        (end.hour() * 60 + end.minute()).max(from + 1)
    };
    p.hours
        .iter()
        .any(|h| h.weekday == weekday && h.minutes().is_some_and(|(s, e)| s < to && from < e))
}

/// Why `profile` does not fit `job` (empty: it fits).
pub fn misfits(profile: Option<&TechnicianProfile>, job: &JobNeed) -> Vec<Misfit> {
    let Some(p) = profile else {
        return vec![Misfit::NoProfile];
    };
    let mut out: Vec<Misfit> = skill_misfit(p, job, job_day(&job.window))
        .into_iter()
        .collect();
    if !p.zones.contains(&job.zone) {
        out.push(Misfit::NotInZone);
    }
    if !on_duty(p, &job.window) {
        out.push(Misfit::OffDuty);
    }
    out
}

/// Every technician ranked for `job`: those that fit first, then by fewer reasons, then by
/// employee number (none last) and id.
pub fn suggest(
    job: &JobNeed,
    fleet: &[(Technician, Option<TechnicianProfile>)],
) -> Vec<Suggestion> {
    let mut out: Vec<Suggestion> = fleet
        .iter()
        .map(|(t, p)| {
            let reasons = misfits(p.as_ref(), job);
            Suggestion {
                technician_id: t.id.clone(),
                name: t.name.clone(),
                employee_number: p.as_ref().map(|p| p.employee_number.clone()),
                fits: reasons.is_empty(),
                reasons,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        (
            a.reasons.len(),
            a.employee_number.is_none(),
            &a.employee_number,
            &a.technician_id,
        )
            .cmp(&(
                b.reasons.len(),
                b.employee_number.is_none(),
                &b.employee_number,
                &b.technician_id,
            ))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::people::fixture::{fleet, job};

    #[test]
    fn the_fixture_fleet_is_ranked_with_its_reasons() {
        let got = suggest(&job(), &fleet());
        let by_id = |id: &str| got.iter().find(|s| s.technician_id == id).unwrap();
        let table: &[(&str, Vec<Misfit>)] = &[
            ("t-fits", vec![]),
            ("t-noskill", vec![Misfit::NoSkill]),
            (
                "t-expired",
                vec![Misfit::QualificationExpired {
                    name: "制冷证".into(),
                    expired_on: NaiveDate::from_ymd_opt(2025, 3, 9).unwrap(),
                }],
            ),
            ("t-zone", vec![Misfit::NotInZone]),
            ("t-offduty", vec![Misfit::OffDuty]),
            (
                "t-unqualified",
                vec![Misfit::QualificationMissing {
                    name: "制冷证".into(),
                }],
            ),
            ("t-none", vec![Misfit::NoProfile]),
        ];
        assert_eq!(got.len(), table.len());
        for (id, reasons) in table {
            let s = by_id(id);
            assert_eq!(&s.reasons, reasons, "{id}");
            assert_eq!(s.fits, reasons.is_empty(), "{id}");
        }
        assert_eq!(got[0].technician_id, "t-fits");
        assert!(got[1..].iter().all(|s| !s.fits));
        assert_eq!(got.last().unwrap().technician_id, "t-none");
    }

    #[test]
    fn a_qualification_is_valid_through_its_last_day() {
        let mut f = fleet();
        let (_, p) = f.iter_mut().find(|(t, _)| t.id == "t-expired").unwrap();
        p.as_mut().unwrap().qualifications[0].expires_on =
            NaiveDate::from_ymd_opt(2025, 3, 10).unwrap();
        let got = suggest(&job(), &f);
        assert!(got.iter().any(|s| s.technician_id == "t-expired" && s.fits));
    }

    #[test]
    fn the_product_and_the_kind_both_count() {
        let mut j = job();
        j.model = "XQG-80".into();
        let got = suggest(&j, &fleet());
        let fits = got.iter().find(|s| s.technician_id == "t-fits").unwrap();
        assert_eq!(fits.reasons, vec![Misfit::NoSkill]);
        let mut j = job();
        j.kind = JobKind::Delivery;
        let got = suggest(&j, &fleet());
        assert!(got.iter().all(|s| !s.fits));
    }

    #[test]
    fn the_job_day_and_hours_are_local_time() {
        // 01:30 UTC on a Monday is 09:30 in UTC+08:00: on duty from 09:00.
        let got = suggest(&job(), &fleet());
        assert!(got[0].fits);
        assert_eq!(job_day(&job().window).to_string(), "2025-03-10");
    }

    #[test]
    fn reasons_in_words_are_bilingual() {
        for m in [
            Misfit::NoProfile,
            Misfit::NoSkill,
            Misfit::NotInZone,
            Misfit::OffDuty,
            Misfit::QualificationMissing {
                name: "电工证".into(),
            },
        ] {
            for l in Locale::ALL {
                assert!(!m.words(l).starts_with("misfit-"), "{l}: {m:?}");
            }
            assert!(
                m.words(Locale::ZhCn).chars().any(crate::i18n::is_cjk),
                "{m:?}"
            );
        }
    }
}
