//! The audit log of the desk, on SQLite and PostgreSQL: every desk action from either face
//! (the JSON API with the admin token, the dashboard's pages with a login) is one line with
//! who, what, when and from where — accounts created and disabled, logins, failed logins and
//! logouts, technicians added, enrolment codes issued and revoked, jobs created, assigned and
//! cancelled, a held completion released (made by a real phone), reference data published,
//! a device revoked — shown to administrators on the dashboard's audit page, and never with a
//! customer's name, phone or address.

use std::net::IpAddr;
use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use fieldkit_core::demo;
use fieldkit_core::model::{Billing, DeviceId};
use fieldkit_core::sync::client::SyncOptions;
use reqwest::Method;
use serde_json::Value;

use crate::common::{Backend, server};

const ADMIN_PW: &str = "administrator password";
const DESK_PW: &str = "dispatcher password";

fn sync_options() -> SyncOptions {
    SyncOptions {
        first_backoff: StdDuration::from_millis(5),
        max_backoff: StdDuration::from_millis(50),
        ..SyncOptions::default()
    }
}

/// Whether the log has a line of `action` by `actor` on `target` (any target: `None`).
fn has(log: &[Value], actor: &str, action: &str, target: Option<&str>) -> bool {
    log.iter().any(|l| {
        l["actor"] == actor && l["action"] == action && target.is_none_or(|t| l["target"] == t)
    })
}

async fn audit(backend: Backend) {
    let Some(ts) = server(backend, |_| {}).await else {
        return;
    };
    let before = Utc::now().timestamp_millis();
    let boss_id = ts.create_account("boss", ADMIN_PW, "administrator").await;
    let boss = ts.dashboard_login("boss", ADMIN_PW).await;

    // Accounts, from the page.
    let res = ts
        .post_form(
            &boss,
            "/accounts",
            &[
                ("login", "desk"),
                ("password", DESK_PW),
                ("role", "dispatcher"),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let (_, list) = ts.admin(Method::GET, "/v1/admin/dispatchers", None).await;
    let desk_id = list
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["login"] == "desk")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // A failed login from another address, then the dispatcher's login.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let other = reqwest::Client::builder()
        .local_address(IpAddr::from([127, 0, 0, 2]))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let token = "cd".repeat(32);
    let res = other
        .post(ts.url("/login"))
        .header(reqwest::header::COOKIE, format!("fk_login={token}"))
        .form(&[
            ("csrf", token.as_str()),
            ("login", "desk"),
            ("password", "wrong wrong wrong"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    let desk = ts.dashboard_login("desk", DESK_PW).await;

    // Technicians and enrolment codes, from the pages.
    let res = ts
        .post_form(&boss, "/technicians", &[("name", "王师傅")])
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let (_, techs) = ts.admin(Method::GET, "/v1/admin/technicians", None).await;
    let tech = techs[0]["id"].as_str().unwrap().to_owned();
    let other_tech = ts.create_technician("李师傅").await;
    let res = ts
        .post_form(
            &boss,
            &format!("/technicians/{tech}/enrolment-codes"),
            &[("valid_minutes", "60")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 200);
    let page = res.text().await.unwrap();
    let code = page
        .split("id=\"code\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .expect("the code on the page")
        .to_owned();
    let res = ts
        .post_form(&boss, &format!("/technicians/{tech}/revoke-codes"), &[])
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let res = ts
        .client
        .post(ts.url("/v1/enroll"))
        .json(
            &fieldkit_core::sync::device_key::DeviceKey::generate()
                .unwrap()
                .enrolment(&code, DeviceId::new()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401, "a revoked code enrols nothing");

    // Jobs: created through the API, assigned and cancelled on the pages.
    let now = Utc::now();
    let held = demo::repair_order(1, now, Billing::Paid);
    let moved = demo::repair_order(2, now + Duration::hours(2), Billing::Paid);
    let dropped = demo::repair_order(3, now + Duration::hours(4), Billing::Paid);
    for o in [&held, &moved, &dropped] {
        ts.create_job(o, Some(&tech)).await;
    }
    let res = ts
        .post_form(
            &desk,
            &format!("/jobs/{}/assign", moved.id),
            &[("technician_id", other_tech.as_str())],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let res = ts
        .post_form(
            &desk,
            &format!("/jobs/{}/cancel", dropped.id),
            &[("reason", "客户张三出差 customer away")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);

    // A held completion (the phone's fee schedule was not published yet), released by the
    // dispatcher on the job's page.
    let (_dir, kit) = ts.enrolled_kit(&tech, &sync_options()).await;
    kit.sync(&sync_options(), &|_| {}).await.expect("pull");
    demo::walk_repair_visit(&kit, held.id, &mut |_| Ok(())).expect("the visit");
    kit.sync(&sync_options(), &|_| {}).await.expect("push");
    ts.publish_demo_catalog().await;
    let list = ts.settled_completions_of("?state=held").await;
    assert_eq!(list.len(), 1, "{list:?}");
    let res = ts
        .post_form(
            &desk,
            &format!("/jobs/{}/completion", held.id),
            &[("ruling", "release"), ("note", "checked by phone")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);

    // The device revoked, the dispatcher disabled, the administrator logs out.
    let (_, devices) = ts.admin(Method::GET, "/v1/admin/devices", None).await;
    let device = devices[0]["id"].as_str().unwrap().to_owned();
    let res = ts
        .post_form(&boss, &format!("/devices/{device}/revoke"), &[])
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let res = ts
        .post_form(&boss, &format!("/accounts/{desk_id}/disable"), &[])
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let (_, audit_page) = ts.page(&boss, "/audit").await;
    let res = ts.post_form(&boss, "/logout", &[]).await;
    assert_eq!(res.status().as_u16(), 303);
    let after = Utc::now().timestamp_millis();

    let (s, log) = ts
        .admin(Method::GET, "/v1/admin/audit-log?limit=1000", None)
        .await;
    assert_eq!(s, 200, "{log}");
    let log = log.as_array().unwrap().clone();
    let (h, m, d) = (
        held.id.to_string(),
        moved.id.to_string(),
        dropped.id.to_string(),
    );
    let want: Vec<(&str, &str, Option<&str>)> = vec![
        ("admin-token", "account_created", Some(&boss_id)),
        ("boss", "login", Some(&boss_id)),
        ("boss", "account_created", Some(&desk_id)),
        ("desk", "login_failed", Some(&desk_id)),
        ("desk", "login", Some(&desk_id)),
        ("boss", "technician_added", Some(&tech)),
        ("admin-token", "technician_added", Some(&other_tech)),
        ("boss", "enrolment_code_issued", Some(&tech)),
        ("boss", "enrolment_codes_revoked", Some(&tech)),
        ("admin-token", "enrolment_code_issued", Some(&tech)),
        ("admin-token", "job_created", Some(&h)),
        ("desk", "job_assigned", Some(&m)),
        ("desk", "job_cancelled", Some(&d)),
        ("admin-token", "published", None),
        ("desk", "completion_released", Some(&h)),
        ("boss", "device_revoked", Some(&device)),
        ("boss", "account_disabled", Some(&desk_id)),
        ("boss", "logout", Some(&boss_id)),
    ];
    for (actor, action, target) in &want {
        assert!(
            has(&log, actor, action, *target),
            "{backend:?}: {actor} {action} {target:?} in {log:#?}"
        );
    }
    // When and from where: the server's time, the client's address.
    for l in &log {
        let at = l["at"].as_i64().unwrap();
        assert!((before..=after).contains(&at), "{l}");
        let from = if l["action"] == "login_failed" {
            "127.0.0.2"
        } else {
            "127.0.0.1"
        };
        assert_eq!(l["from_addr"], from, "{l}");
    }
    // Newest first, and nothing personal: no customer, no cancel reason, no password.
    assert_eq!(log[0]["action"], "logout");
    let text = serde_json::to_string(&log).unwrap();
    for secret in [
        held.customer.name.as_str(),
        held.customer.phone.as_str(),
        held.site.address.as_str(),
        "张三",
        "wrong wrong wrong",
        DESK_PW,
    ] {
        assert!(!text.contains(secret), "{secret:?} in the audit log");
    }

    // The dashboard shows it to the administrator.
    for (_, action, _) in &want[..want.len() - 1] {
        assert!(
            audit_page.contains(&format!("data-action=\"{action}\"")),
            "{action} on the page"
        );
    }
    assert!(
        audit_page.contains("<td>放行完工</td>"),
        "in the reader's language"
    );
}

#[tokio::test]
async fn the_audit_log_records_desk_actions_sqlite() {
    audit(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_audit_log_records_desk_actions_postgres() {
    audit(Backend::Postgres).await;
}
