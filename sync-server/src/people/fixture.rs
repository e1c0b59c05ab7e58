//! The fixture fleet the suggestion tests use (the pure ones here and the API's on both
//! backends in `tests/it`): one job — a repair of a `KFR-35GW` air conditioner in the urban
//! zone on Monday 2025-03-10, 09:30–11:30 local — and seven technicians: one fits, one lacks
//! the skill, one's 制冷证 expired the day before, one serves another zone, one is off duty
//! then, one never held the 制冷证, one has no profile.

use chrono::{NaiveDate, TimeZone, Utc};
use fieldkit_core::model::{JobKind, TimeWindow, Zone};

use super::suggest::JobNeed;
use super::{PutProfile, Qualification, Skill, TechnicianProfile, WorkingHours, validate};
use crate::records::Technician;

/// The job.
pub fn job() -> JobNeed {
    let at = |h, m| Utc.with_ymd_and_hms(2025, 3, 10, h, m, 0).unwrap();
    JobNeed {
        kind: JobKind::Repair,
        model: "KFR-35GW".into(),
        zone: Zone::Urban,
        // 09:30–11:30 at UTC+08:00.
        window: TimeWindow {
            start: at(1, 30),
            end: at(3, 30),
        },
    }
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn hours(weekday: u8, start: &str, end: &str) -> WorkingHours {
    WorkingHours {
        weekday,
        start: start.into(),
        end: end.into(),
    }
}

/// A profile that fits the job, changed by `edit`.
fn profile(number: &str, edit: impl FnOnce(&mut PutProfile)) -> PutProfile {
    let mut p = PutProfile {
        employee_number: number.into(),
        phone: Some("13800000000".into()),
        skills: vec![
            Skill {
                kind: JobKind::Repair,
                products: vec!["KFR".into()],
                requires: Some("制冷证".into()),
            },
            Skill {
                kind: JobKind::Installation,
                products: vec![],
                requires: None,
            },
        ],
        qualifications: vec![Qualification {
            name: "制冷证".into(),
            number: format!("ZL-{number}"),
            expires_on: day(2026, 12, 31),
        }],
        zones: vec![Zone::Urban, Zone::Suburban],
        hours: (1..=5).map(|d| hours(d, "09:00", "18:00")).collect(),
    };
    edit(&mut p);
    p
}

/// The fleet: (fixture id, name, profile).
pub fn fleet_profiles() -> Vec<(&'static str, &'static str, Option<PutProfile>)> {
    vec![
        ("t-fits", "技师甲", Some(profile("FK-001", |_| {}))),
        (
            "t-noskill",
            "技师乙",
            Some(profile("FK-002", |p| {
                p.skills.remove(0);
            })),
        ),
        (
            "t-expired",
            "技师丙",
            Some(profile("FK-003", |p| {
                p.qualifications[0].expires_on = day(2025, 3, 9)
            })),
        ),
        (
            "t-zone",
            "技师丁",
            Some(profile("FK-004", |p| p.zones = vec![Zone::Rural])),
        ),
        (
            "t-offduty",
            "技师戊",
            Some(profile("FK-005", |p| {
                p.hours = vec![hours(1, "13:00", "21:00"), hours(2, "09:00", "18:00")]
            })),
        ),
        (
            "t-unqualified",
            "技师己",
            Some(profile("FK-006", |p| {
                p.qualifications[0].name = "电工证".into()
            })),
        ),
        ("t-none", "技师庚", None),
    ]
}

/// The fleet as the pure function takes it.
pub fn fleet() -> Vec<(Technician, Option<TechnicianProfile>)> {
    fleet_profiles()
        .into_iter()
        .enumerate()
        .map(|(i, (id, name, p))| {
            let t = Technician {
                id: id.into(),
                name: name.into(),
                created_at: i64::try_from(i).unwrap_or(0),
            };
            let p = p.map(|p| validate(id, p, "fixture", 0).expect("the fixture is valid"));
            (t, p)
        })
        .collect()
}
