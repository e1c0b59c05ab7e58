//! Technicians as people (issue 19): the profile the desk keeps beside a technician's id and
//! name — employee number (工号, shown with the ID badge and printed on the customer's copy),
//! phone, skills (job kinds and the products they cover, and the qualification the work
//! needs), qualifications with their expiry (电工证, 制冷证, 高空作业证…: 004 第5章 第18条,
//! only qualified technicians repair), the zones served and the working hours (local
//! UTC+08:00). [`validate`] checks a [`PutProfile`]; [`suggest`] ranks technicians for a job.
//! Pure: no I/O. Messages never carry the phone or a name.

pub mod card;
#[doc(hidden)]
pub mod fixture;
pub mod suggest;

use crate::msg;
use crate::msg::Msg;
use chrono::NaiveDate;
use fieldkit_core::model::{JobKind, Zone};
use serde::{Deserialize, Serialize};

/// Most skills, qualifications, product prefixes per skill and working-hour rows.
pub const MAX_SKILLS: usize = 20;
pub const MAX_QUALIFICATIONS: usize = 20;
pub const MAX_PRODUCTS: usize = 50;
pub const MAX_HOURS: usize = 14;

/// A kind of work a technician may do, for which products, and what it needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Skill {
    pub kind: JobKind,
    /// Product model prefixes (`KFR` covers `KFR-35GW`, any case); empty: every product.
    #[serde(default)]
    pub products: Vec<String>,
    /// The qualification this work needs (its name, e.g. `制冷证`), unexpired on the job's day.
    #[serde(default)]
    pub requires: Option<String>,
}

/// A certificate held (电工证, 制冷证, 高空作业证…).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Qualification {
    pub name: String,
    pub number: String,
    /// The last day it is valid (local).
    pub expires_on: NaiveDate,
}

/// A working period on one weekday, local time (UTC+08:00).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkingHours {
    /// 1 Monday … 7 Sunday.
    pub weekday: u8,
    /// `HH:MM`, before `end`.
    pub start: String,
    /// `HH:MM`.
    pub end: String,
}

impl WorkingHours {
    /// Start and end as minutes of the day.
    pub fn minutes(&self) -> Option<(u32, u32)> {
        Some((hhmm(&self.start)?, hhmm(&self.end)?))
    }
}

/// `PUT /v1/admin/technicians/{id}/profile` body (and the dashboard's form, once read).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PutProfile {
    pub employee_number: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub skills: Vec<Skill>,
    #[serde(default)]
    pub qualifications: Vec<Qualification>,
    #[serde(default)]
    pub zones: Vec<Zone>,
    #[serde(default)]
    pub hours: Vec<WorkingHours>,
}

/// A technician's profile as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TechnicianProfile {
    pub technician_id: String,
    /// 工号: unique among technicians.
    pub employee_number: String,
    /// Never logged, never in an error.
    pub phone: Option<String>,
    pub skills: Vec<Skill>,
    pub qualifications: Vec<Qualification>,
    pub zones: Vec<Zone>,
    pub hours: Vec<WorkingHours>,
    /// ms since the epoch.
    pub updated_at: i64,
    /// The desk account (login) that saved it.
    pub updated_by: String,
}

/// `HH:MM` as minutes of the day.
pub fn hhmm(s: &str) -> Option<u32> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

/// Whether `s` is an employee number: 1 to 32 ASCII letters, digits or dashes.
pub fn is_employee_number(s: &str) -> bool {
    (1..=32).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Whether `s` is a phone number: an optional `+`, then 5 to 20 digits, spaces or dashes,
/// starting with a digit.
pub fn is_phone(s: &str) -> bool {
    let rest = s.strip_prefix('+').unwrap_or(s);
    (5..=20).contains(&rest.len())
        && rest.starts_with(|c: char| c.is_ascii_digit())
        && rest
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b' ' || b == b'-')
}

fn short(field: &str, s: &str, max: usize) -> Result<String, Msg> {
    let t = s.trim();
    if t.is_empty() || t.chars().count() > max {
        return Err(msg!(
            "err-field-length",
            field = field.to_owned(),
            max = max
        ));
    }
    Ok(t.to_owned())
}

/// Checks a profile and returns it tidied (texts trimmed, zones without repeats, hours
/// sorted), or says what is wrong (never quoting the phone).
pub fn validate(
    technician_id: &str,
    req: PutProfile,
    by: &str,
    now: i64,
) -> Result<TechnicianProfile, Msg> {
    if !is_employee_number(&req.employee_number) {
        return Err(msg!("err-employee-number"));
    }
    let phone = match req.phone.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(p) if is_phone(p) => Some(p.to_owned()),
        Some(_) => {
            return Err(msg!("err-phone"));
        }
    };
    if req.skills.len() > MAX_SKILLS {
        return Err(msg!("err-too-many-skills", max = MAX_SKILLS));
    }
    let mut skills = Vec::with_capacity(req.skills.len());
    for (i, s) in req.skills.into_iter().enumerate() {
        if s.products.len() > MAX_PRODUCTS {
            return Err(msg!(
                "err-too-many-products",
                at = format!("skills[{i}]"),
                max = MAX_PRODUCTS
            ));
        }
        let products = s
            .products
            .iter()
            .map(|p| short(&format!("skills[{i}].products"), p, 64))
            .collect::<Result<Vec<_>, _>>()?;
        let requires = s
            .requires
            .as_deref()
            .map(|r| short(&format!("skills[{i}].requires"), r, 64))
            .transpose()?;
        skills.push(Skill {
            kind: s.kind,
            products,
            requires,
        });
    }
    if req.qualifications.len() > MAX_QUALIFICATIONS {
        return Err(msg!(
            "err-too-many-qualifications",
            max = MAX_QUALIFICATIONS
        ));
    }
    let qualifications = req
        .qualifications
        .iter()
        .enumerate()
        .map(|(i, q)| {
            Ok(Qualification {
                name: short(&format!("qualifications[{i}].name"), &q.name, 64)?,
                number: short(&format!("qualifications[{i}].number"), &q.number, 64)?,
                expires_on: q.expires_on,
            })
        })
        .collect::<Result<Vec<_>, Msg>>()?;
    let zones: Vec<Zone> = Zone::ALL
        .into_iter()
        .filter(|z| req.zones.contains(z))
        .collect();
    if req.hours.len() > MAX_HOURS {
        return Err(msg!("err-too-many-hours", max = MAX_HOURS));
    }
    let mut hours = req.hours;
    for (i, h) in hours.iter().enumerate() {
        if !(1..=7).contains(&h.weekday) {
            return Err(msg!("err-hours-weekday", at = format!("hours[{i}]")));
        }
        match h.minutes() {
            Some((s, e)) if s < e => {}
            Some(_) => return Err(msg!("err-hours-backwards", at = format!("hours[{i}]"))),
            None => return Err(msg!("err-hours-format", at = format!("hours[{i}]"))),
        }
    }
    hours.sort_by(|a, b| (a.weekday, &a.start).cmp(&(b.weekday, &b.start)));
    Ok(TechnicianProfile {
        technician_id: technician_id.to_owned(),
        employee_number: req.employee_number,
        phone,
        skills,
        qualifications,
        zones,
        hours,
        updated_at: now,
        updated_by: by.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put() -> PutProfile {
        PutProfile {
            employee_number: "FK-0001".into(),
            phone: Some("+86 138-0000-0000".into()),
            skills: vec![Skill {
                kind: JobKind::Repair,
                products: vec![" KFR ".into()],
                requires: Some("制冷证".into()),
            }],
            qualifications: vec![Qualification {
                name: "制冷证".into(),
                number: "Z-1".into(),
                expires_on: NaiveDate::from_ymd_opt(2030, 1, 1).unwrap(),
            }],
            zones: vec![Zone::Rural, Zone::Urban, Zone::Urban],
            hours: vec![
                WorkingHours {
                    weekday: 2,
                    start: "09:00".into(),
                    end: "18:00".into(),
                },
                WorkingHours {
                    weekday: 1,
                    start: "09:00".into(),
                    end: "18:00".into(),
                },
            ],
        }
    }

    #[test]
    fn a_good_profile_is_tidied() {
        let p = validate("t1", put(), "desk", 5).unwrap();
        assert_eq!(p.skills[0].products, vec!["KFR".to_owned()]);
        assert_eq!(p.zones, vec![Zone::Urban, Zone::Rural]);
        assert_eq!(p.hours[0].weekday, 1);
        assert_eq!(p.phone.as_deref(), Some("+86 138-0000-0000"));
    }

    #[test]
    fn bad_profiles_are_refused_without_the_phone_in_the_message() {
        type Edit = fn(&mut PutProfile);
        let cases: &[(Edit, &str)] = &[
            (|p| p.employee_number = "".into(), "employee_number"),
            (|p| p.employee_number = "工号1".into(), "employee_number"),
            (|p| p.employee_number = "A".repeat(33), "employee_number"),
            (|p| p.phone = Some("138x0000".into()), "phone"),
            (|p| p.phone = Some("12".into()), "phone"),
            (
                |p| p.skills[0].products = vec![" ".into()],
                "skills[0].products",
            ),
            (
                |p| p.qualifications[0].name = "".into(),
                "qualifications[0].name",
            ),
            (|p| p.hours[0].weekday = 0, "hours[0].weekday"),
            (|p| p.hours[0].weekday = 8, "hours[0].weekday"),
            (|p| p.hours[1].end = "08:00".into(), "hours[1] must end"),
            (|p| p.hours[1].start = "9:00".into(), "hours[1]: start"),
            (|p| p.hours[1].end = "24:00".into(), "hours[1]: start"),
        ];
        for (edit, says) in cases {
            let mut p = put();
            edit(&mut p);
            let phone = p.phone.clone().unwrap_or_default();
            let m = validate("t1", p, "desk", 5).unwrap_err();
            let e = m.render(crate::i18n::Locale::En);
            assert!(e.contains(says), "{e} should say {says}");
            let zh = m.render(crate::i18n::Locale::ZhCn);

            assert!(
                phone.is_empty() || !e.contains(&phone) && !zh.contains(&phone),
                "{e}"
            );
        }
    }

    #[test]
    fn a_blank_phone_is_none() {
        let mut p = put();
        p.phone = Some("  ".into());
        assert_eq!(validate("t1", p, "desk", 5).unwrap().phone, None);
    }
}
