//! Technicians as people through the JSON API, on both backends: profiles saved and read
//! (typed 400s, 404s and a 409 for an employee number in use; audited without the phone),
//! and the fixture fleet ([`fieldkit_server::people::fixture`]) ranked for its job by
//! `GET /v1/admin/work-orders/{id}/suggestions` exactly as the pure function ranks it.
//! Assigning a technician who does not fit still works; the audit log says why not.

use std::collections::BTreeMap;

use fieldkit_core::demo;
use fieldkit_core::model::*;
use fieldkit_server::people::fixture::{fleet, fleet_profiles, job};
use fieldkit_server::people::suggest::suggest;
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{Backend, TestServer, server};

async fn audit(ts: &TestServer) -> Vec<Value> {
    let (s, log) = ts
        .admin(Method::GET, "/v1/admin/audit-log?limit=1000", None)
        .await;
    assert_eq!(s, 200, "{log}");
    log.as_array().unwrap().clone()
}

/// The options of the job page's assign form, in order.
fn assign_options(page: &str) -> Vec<String> {
    let form = page.split("id=\"assign\"").nth(1).expect("the assign form");
    let form = form.split("</form>").next().unwrap();
    form.split("<option ").skip(1).map(str::to_owned).collect()
}

async fn people(backend: Backend) {
    let Some(ts) = server(backend, |_| {}).await else {
        return;
    };
    // The fleet, each under its real id.
    let mut ids = BTreeMap::new();
    for (key, name, profile) in fleet_profiles() {
        let id = ts.create_technician(name).await;
        if let Some(p) = profile {
            let path = format!("/v1/admin/technicians/{id}/profile");
            let (s, v) = ts
                .admin(Method::PUT, &path, Some(serde_json::to_value(&p).unwrap()))
                .await;
            assert_eq!(s, 200, "{key}: {v}");
            assert_eq!(v["employee_number"], p.employee_number.as_str());
            let (s, got) = ts.admin(Method::GET, &path, None).await;
            assert_eq!((s, &got), (200, &v), "{key}: read back as saved");
        }
        ids.insert(key, id);
    }

    // Bad profiles: typed 400s, never quoting the phone; unknown technicians 404.
    let fits = &ids["t-fits"];
    let path = format!("/v1/admin/technicians/{fits}/profile");
    let good = serde_json::to_value(fleet_profiles()[0].2.clone().unwrap()).unwrap();
    let mut unknown = good.clone();
    unknown["badge_colour"] = json!("red");
    let mut phone = good.clone();
    phone["phone"] = json!("139-ABCD-9999");
    let mut number = good.clone();
    number["employee_number"] = json!("工号 1");
    let mut hours = good.clone();
    hours["hours"][0]["end"] = json!("08:00");
    for (what, body, says) in [
        ("an unknown field", unknown, "badge_colour"),
        ("a bad phone", phone, "phone"),
        ("a bad employee number", number, "employee_number"),
        ("hours ending first", hours, "hours[0]"),
    ] {
        let (s, v) = ts.admin(Method::PUT, &path, Some(body)).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (400, Some("bad_request")),
            "{what}: {v}"
        );
        // The field is named in the message, or in the parser's detail.
        let named = format!("{} {}", v["message"], v["detail"]);
        assert!(named.contains(says), "{what}: {v}");
        assert!(
            !v.to_string().contains("ABCD"),
            "{what}: the phone is never echoed"
        );
    }
    let (s, v) = ts
        .admin(
            Method::PUT,
            "/v1/admin/technicians/nobody/profile",
            Some(good.clone()),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (404, Some("not_found")), "{v}");
    let (s, _) = ts
        .admin(Method::GET, "/v1/admin/technicians/nobody/profile", None)
        .await;
    assert_eq!(s, 404);
    let none = &ids["t-none"];
    let (s, _) = ts
        .admin(
            Method::GET,
            &format!("/v1/admin/technicians/{none}/profile"),
            None,
        )
        .await;
    assert_eq!(s, 404, "no profile saved");
    // Another technician's employee number: 409, nothing written.
    let (s, v) = ts
        .admin(
            Method::PUT,
            &format!("/v1/admin/technicians/{none}/profile"),
            Some(good.clone()),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("conflict")), "{v}");
    let (s, _) = ts
        .admin(
            Method::GET,
            &format!("/v1/admin/technicians/{none}/profile"),
            None,
        )
        .await;
    assert_eq!(s, 404, "nothing written");

    // Audited with the employee number, never the phone.
    let log = audit(&ts).await;
    let saved: Vec<&Value> = log
        .iter()
        .filter(|e| e["action"] == "technician_profile_changed")
        .collect();
    assert_eq!(saved.len(), 6, "one line per profile saved");
    assert!(saved.iter().any(|e| e["target"] == fits.as_str()
        && e["detail_code"] == "audit_employee_number"
        && e["detail_args"]["number"] == "FK-001"));
    assert!(!serde_json::to_string(&log).unwrap().contains("13800000000"));

    // The job of the fixture, and its suggestions as the pure function ranks them.
    let j = job();
    let mut order = demo::repair_order(1, j.window.start, Billing::Warranty);
    order.kind = j.kind;
    order.product.model = j.model.clone();
    order.site.zone = j.zone;
    order.promised = j.window;
    order.reported_at = j.window.start - chrono::Duration::hours(2);
    ts.create_job(&order, None).await;
    let (s, got) = ts
        .admin(
            Method::GET,
            &format!("/v1/admin/work-orders/{}/suggestions", order.id),
            None,
        )
        .await;
    assert_eq!(s, 200, "{got}");
    let mut want = serde_json::to_value(suggest(&j, &fleet())).unwrap();
    for s in want.as_array_mut().unwrap() {
        let key = s["technician_id"].as_str().unwrap().to_owned();
        s["technician_id"] = json!(ids[key.as_str()]);
    }
    // Same order and reasons; the fleet's employee numbers sort it the same on the server.
    assert_eq!(got, want);
    assert_eq!(got[0]["technician_id"], fits.as_str());
    assert_eq!(got[0]["fits"], true);
    let expired = got
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["technician_id"] == ids["t-expired"].as_str())
        .unwrap();
    assert_eq!(
        expired["reasons"],
        json!([{"reason": "qualification_expired", "name": "制冷证", "expired_on": "2025-03-09"}])
    );

    // Assigning one who does not fit works; the log says why not.
    let zone = &ids["t-zone"];
    let (s, v) = ts
        .admin(
            Method::POST,
            &format!("/v1/admin/work-orders/{}/assign", order.id),
            Some(json!({"technician_id": zone})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let log = audit(&ts).await;
    let assigned = log
        .iter()
        .find(|e| e["action"] == "job_assigned")
        .expect("the assignment is audited");
    assert_eq!(assigned["detail_code"], "audit_technician_misfit");
    assert_eq!(
        assigned["detail_args"],
        json!({"technician": zone, "codes": "not_in_zone"})
    );
    // The dashboard: the technicians page shows the numbers and links the profile page;
    // the job page lists the one who fits first and warns of the assigned one.
    ts.create_dispatcher("people-desk", "a long enough password")
        .await;
    let me = ts
        .dashboard_login("people-desk", "a long enough password")
        .await
        // The assertions below read the pages' English sentences.
        .in_english();
    let (s, list) = ts.page(&me, "/technicians").await;
    assert_eq!(s, 200);
    assert!(list.contains("FK-001") && list.contains(&format!("/technicians/{fits}/profile")));
    let page = ts.job_page(&me, order.id).await;
    let options = assign_options(&page);
    assert_eq!(options.len(), 7, "every technician");
    assert!(
        options[0].contains(fits.as_str()) && options[0].contains("✓"),
        "{}",
        options[0]
    );
    assert!(options[1..].iter().all(|o| o.contains("⚠")));
    assert!(page.contains("制冷证 expired on 9 Mar 2025"), "{page}");
    let warning = page
        .split("id=\"assign-warning\"")
        .nth(1)
        .expect("the assigned one warned of");
    assert!(warning.contains("not in zone"), "{warning}");
    // The profile page shows and saves through its form (CSRF-checked).
    let path = format!("/technicians/{none}/profile");
    let (s, form) = ts.page(&me, &path).await;
    assert_eq!(s, 200);
    assert!(form.contains("id=\"no-profile\""));
    let res = ts
        .post_form(
            &me,
            &path,
            &[
                ("employee_number", "FK-007"),
                ("phone", "13900000007"),
                ("zone_urban", "on"),
                ("skills", "repair | KFR | 制冷证"),
                ("qualifications", "制冷证 | ZL-7 | 2030-01-01"),
                ("hours", "1-5 | 09:00 | 18:00"),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let (_, form) = ts.page(&me, &path).await;
    assert!(form.contains("FK-007") && form.contains("ZL-7 | 2030-01-01"));
    let res = ts
        .post_form(
            &me,
            &path,
            &[
                ("employee_number", "FK-007"),
                ("hours", "9 | 09:00 | 18:00"),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 400, "a bad line is a typed 400");
    let page = ts.job_page(&me, order.id).await;
    let options = assign_options(&page);
    assert!(
        options[1].contains(none.as_str()) && options[1].contains("✓"),
        "the new fit is second"
    );

    // An unknown job: 404.
    let (s, _) = ts
        .admin(
            Method::GET,
            &format!("/v1/admin/work-orders/{}/suggestions", WorkOrderId::new()),
            None,
        )
        .await;
    assert_eq!(s, 404);
    ts.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_sqlite() {
    people(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_postgres() {
    people(Backend::Postgres).await;
}
