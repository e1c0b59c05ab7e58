//! The technician's profile page (administrators): employee number (工号), phone, zones,
//! and — one per line — skills, qualifications with their expiry and working hours; shown
//! and edited with a CSRF-checked form, saved through [`crate::desk::people`].

use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::NaiveDate;
use fieldkit_core::model::{JobKind, Zone};
use maud::{Markup, html};
use serde::Deserialize;

use super::page::{PageError, csrf_field, page, private};
use super::session::{CsrfForm, Session};
use super::words::zone_word;
use crate::desk::people;
use crate::i18n::{Locale, current as lang};
use crate::people::{PutProfile, Qualification, Skill, TechnicianProfile, WorkingHours};
use crate::state::AppState;
use crate::t;

/// The page's routes.
pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/technicians/{id}/profile",
        get(profile_page).post(save_profile),
    )
}

/// `POST /technicians/{id}/profile`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileForm {
    pub employee_number: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub zone_urban: Option<String>,
    #[serde(default)]
    pub zone_suburban: Option<String>,
    #[serde(default)]
    pub zone_rural: Option<String>,
    /// `kind | product prefixes, comma-separated | qualification needed`, one per line.
    #[serde(default)]
    pub skills: String,
    /// `name | number | YYYY-MM-DD`, one per line.
    #[serde(default)]
    pub qualifications: String,
    /// `weekday or first-last | HH:MM | HH:MM`, one per line (1 Monday … 7 Sunday).
    #[serde(default)]
    pub hours: String,
}

/// The message id of a zone's name.
fn zone_label(z: Zone) -> &'static str {
    match z {
        Zone::Urban => "profile-zone-urban",
        Zone::Suburban => "profile-zone-suburban",
        Zone::Rural => "profile-zone-rural",
    }
}

fn lines(s: &str) -> impl Iterator<Item = (usize, Vec<&str>)> {
    s.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| (i + 1, l.split('|').map(str::trim).collect()))
}

/// The form read into a profile request, or what is wrong (in `l`; never the phone).
pub fn read_form(f: &ProfileForm, l: Locale) -> Result<PutProfile, String> {
    let mut skills = Vec::new();
    for (n, cols) in lines(&f.skills) {
        let kind = JobKind::parse(cols[0]).ok_or_else(|| t!(l, "profile-bad-skill", line = n))?;
        let products = cols
            .get(1)
            .map(|p| {
                p.split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let requires = cols
            .get(2)
            .filter(|r| !r.is_empty())
            .map(|r| (*r).to_owned());
        skills.push(Skill {
            kind,
            products,
            requires,
        });
    }
    let mut qualifications = Vec::new();
    for (n, cols) in lines(&f.qualifications) {
        let bad = || t!(l, "profile-bad-qualification", line = n);
        let [name, number, day] = cols[..] else {
            return Err(bad());
        };
        qualifications.push(Qualification {
            name: name.to_owned(),
            number: number.to_owned(),
            expires_on: NaiveDate::parse_from_str(day, "%Y-%m-%d").map_err(|_| bad())?,
        });
    }
    let mut hours = Vec::new();
    for (n, cols) in lines(&f.hours) {
        let bad = || t!(l, "profile-bad-hours", line = n);
        let [days, start, end] = cols[..] else {
            return Err(bad());
        };
        let (first, last) = days.split_once('-').unwrap_or((days, days));
        let (first, last): (u8, u8) = (
            first.trim().parse().map_err(|_| bad())?,
            last.trim().parse().map_err(|_| bad())?,
        );
        if !(1..=7).contains(&first) || !(first..=7).contains(&last) {
            return Err(bad());
        }
        for weekday in first..=last {
            hours.push(WorkingHours {
                weekday,
                start: start.to_owned(),
                end: end.to_owned(),
            });
        }
    }
    let zones = [
        (Zone::Urban, &f.zone_urban),
        (Zone::Suburban, &f.zone_suburban),
        (Zone::Rural, &f.zone_rural),
    ]
    .into_iter()
    .filter(|(_, on)| on.is_some())
    .map(|(z, _)| z)
    .collect();
    Ok(PutProfile {
        employee_number: f.employee_number.trim().to_owned(),
        phone: Some(f.phone.clone()),
        skills,
        qualifications,
        zones,
        hours,
    })
}

fn skills_text(p: &TechnicianProfile) -> String {
    p.skills
        .iter()
        .map(|s| {
            format!(
                "{} | {} | {}",
                s.kind.as_str(),
                s.products.join(", "),
                s.requires.as_deref().unwrap_or("")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn qualifications_text(p: &TechnicianProfile) -> String {
    p.qualifications
        .iter()
        .map(|q| format!("{} | {} | {}", q.name, q.number, q.expires_on))
        .collect::<Vec<_>>()
        .join("\n")
}

fn hours_text(p: &TechnicianProfile) -> String {
    p.hours
        .iter()
        .map(|h| format!("{} | {} | {}", h.weekday, h.start, h.end))
        .collect::<Vec<_>>()
        .join("\n")
}

fn body(
    session: &Session,
    id: &str,
    name: &str,
    p: Option<&TechnicianProfile>,
    error: Option<&str>,
) -> Markup {
    let l = lang();
    let zone_on = |z: Zone| p.is_some_and(|p| p.zones.contains(&z));
    html! {
        h1 { (t!(l, "profile-title")) ": " (name) }
        @if let Some(e) = error { p class="error" id="profile-error" { (e) } }
        @if let Some(p) = p {
            p class="muted" id="profile-number" { (t!(l, "profile-employee-number")) " " strong { (p.employee_number) } }
        } @else {
            p class="muted" id="no-profile" { (t!(l, "profile-none")) }
        }
        form class="card" id="profile" method="post" action={ "/technicians/" (id) "/profile" } {
            (csrf_field(session))
            label { (t!(l, "profile-employee-number")) " " input name="employee_number" required maxlength="32"
                pattern="[A-Za-z0-9-]{1,32}" value=(p.map_or("", |p| p.employee_number.as_str())); }
            label { (t!(l, "profile-phone")) " " input name="phone" maxlength="21" value=(p.and_then(|p| p.phone.as_deref()).unwrap_or("")); }
            fieldset { legend { (t!(l, "profile-zones")) }
                @for z in Zone::ALL {
                    label { input type="checkbox" name={ "zone_" (zone_word(z)) } checked[zone_on(z)]; " " (t!(l, zone_label(z))) } " "
                }
            }
            label { (t!(l, "profile-skills"))
                textarea name="skills" rows="4" { (p.map(skills_text).unwrap_or_default()) } }
            label { (t!(l, "profile-qualifications"))
                textarea name="qualifications" rows="3" { (p.map(qualifications_text).unwrap_or_default()) } }
            label { (t!(l, "profile-hours"))
                textarea name="hours" rows="3" { (p.map(hours_text).unwrap_or_default()) } }
            button type="submit" { (t!(l, "profile-save")) }
        }
        p { a href="/technicians" { "← " (t!(l, "nav-technicians")) } }
    }
}

async fn profile_page(
    State(s): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    session.must_administer()?;
    let t = people::technician(&s, &id).await?;
    let p = s.storage.technician_profile(id.clone()).await?;
    let b = body(&session, &id, &t.name, p.as_ref(), None);
    Ok(private(page(
        &t!(lang(), "profile-title"),
        &session,
        "/technicians",
        b,
    )))
}

async fn save_profile(
    State(s): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(session, f): CsrfForm<ProfileForm>,
) -> Result<Response, PageError> {
    session.must_administer()?;
    people::technician(&s, &id).await?;
    let req = read_form(&f, lang()).map_err(PageError::bad_request)?;
    people::put_profile(&s, &session.actor(), &id, req).await?;
    Ok(Redirect::to(&format!("/technicians/{id}/profile")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> ProfileForm {
        ProfileForm {
            employee_number: " FK-9 ".into(),
            phone: "13800000000".into(),
            zone_urban: Some("on".into()),
            zone_suburban: None,
            zone_rural: Some("on".into()),
            skills: "repair | KFR, KF | 制冷证\n\ninstallation".into(),
            qualifications: "制冷证 | ZL-1 | 2026-12-31".into(),
            hours: "1-5 | 09:00 | 18:00\n6 | 10:00 | 16:00".into(),
        }
    }

    #[test]
    fn the_form_is_read_line_by_line() {
        let p = read_form(&form(), Locale::ZhCn).unwrap();
        assert_eq!(p.employee_number, "FK-9");
        assert_eq!(p.zones, vec![Zone::Urban, Zone::Rural]);
        assert_eq!(p.skills.len(), 2);
        assert_eq!(p.skills[0].products, vec!["KFR", "KF"]);
        assert_eq!(p.skills[0].requires.as_deref(), Some("制冷证"));
        assert_eq!(p.skills[1].products, Vec::<String>::new());
        assert_eq!(p.hours.len(), 6);
        assert_eq!(p.qualifications[0].expires_on.to_string(), "2026-12-31");
    }

    #[test]
    fn bad_lines_are_named_in_both_languages() {
        type Edit = fn(&mut ProfileForm);
        let cases: &[(Edit, &str)] = &[
            (|f| f.skills = "fixing | KFR".into(), "skills line 1"),
            (
                |f| f.qualifications = "制冷证 | ZL-1".into(),
                "qualifications line 1",
            ),
            (
                |f| f.qualifications = "制冷证 | ZL-1 | soon".into(),
                "qualifications line 1",
            ),
            (|f| f.hours = "\n0 | 09:00 | 18:00".into(), "hours line 2"),
            (|f| f.hours = "5-1 | 09:00 | 18:00".into(), "hours line 1"),
        ];
        for (edit, says) in cases {
            let mut f = form();
            edit(&mut f);
            let e = read_form(&f, Locale::En).unwrap_err();
            assert!(e.contains(says), "{e}");
            let zh = read_form(&f, Locale::ZhCn).unwrap_err();
            let line = says.rsplit(' ').next().unwrap();
            assert!(zh.contains(&format!("第{line}行")), "{zh}");
            assert!(
                zh.chars().any(crate::i18n::is_cjk) && !zh.contains("line"),
                "{zh}"
            );
        }
    }

    #[test]
    fn a_saved_profile_reads_back_through_the_form() {
        let p = crate::people::validate("t", read_form(&form(), Locale::ZhCn).unwrap(), "desk", 0)
            .unwrap();
        let again = ProfileForm {
            employee_number: p.employee_number.clone(),
            phone: p.phone.clone().unwrap_or_default(),
            zone_urban: Some("on".into()),
            zone_suburban: None,
            zone_rural: Some("on".into()),
            skills: skills_text(&p),
            qualifications: qualifications_text(&p),
            hours: hours_text(&p),
        };
        let q = crate::people::validate("t", read_form(&again, Locale::ZhCn).unwrap(), "desk", 0)
            .unwrap();
        assert_eq!(p, q);
    }
}
