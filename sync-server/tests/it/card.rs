//! The technician's card (issue 19), on both backends: the enrolment answer and the pulls of
//! apps that ask for it (`accept=card`) carry the technician's name, employee number (from
//! the profile) and the server's service hotline; an app that does not ask gets no card
//! (older apps); a phone keeps the card and a sync brings the desk's change of number.

use std::time::Duration as StdDuration;

use fieldkit_core::model::DeviceId;
use fieldkit_core::sync::client::SyncOptions;
use fieldkit_core::sync::protocol::TechnicianCard;
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{Backend, TestServer, server};

const HOTLINE: &str = "400-820-8820";

fn sync_options() -> SyncOptions {
    SyncOptions {
        first_backoff: StdDuration::from_millis(5),
        max_backoff: StdDuration::from_millis(50),
        ..SyncOptions::default()
    }
}

async fn set_number(ts: &TestServer, tech: &str, number: &str) {
    let (s, v) = ts
        .admin(
            Method::PUT,
            &format!("/v1/admin/technicians/{tech}/profile"),
            Some(json!({ "employee_number": number })),
        )
        .await;
    assert_eq!(s, 200, "{v}");
}

async fn pull(ts: &TestServer, token: &str, accept: Option<&str>) -> Value {
    let mut url = "/v1/pull?cursor=0&limit=100".to_owned();
    if let Some(a) = accept {
        url.push_str(&format!("&accept={a}"));
    }
    let res = ts
        .client
        .get(ts.url(&url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    res.json().await.unwrap()
}

async fn the_card_reaches_the_phone(backend: Backend) {
    let Some(ts) = server(backend, |c| c.service_hotline = Some(HOTLINE.into())).await else {
        return;
    };
    let tech = ts.create_technician("张师傅 Zhang").await;
    let bare = ts.create_technician("Technician Without Profile").await;
    set_number(&ts, &tech, "GH-0042").await;

    let got = ts.enrol(&tech, DeviceId::new()).await;
    let want = TechnicianCard {
        technician_id: tech.clone(),
        name: "张师傅 Zhang".into(),
        employee_number: Some("GH-0042".into()),
        service_hotline: Some(HOTLINE.into()),
    };
    assert_eq!(got.card.as_ref(), Some(&want));
    // No profile yet: the card has the name and the hotline, no number.
    let other = ts.enrol(&bare, DeviceId::new()).await;
    assert_eq!(
        other.card.map(|c| (c.employee_number, c.service_hotline)),
        Some((None, Some(HOTLINE.into())))
    );

    // Older apps (no accept=card) get no card field at all; newer ones get it on every page.
    let plain = pull(&ts, &got.token, None).await;
    assert!(plain.get("card").is_none(), "{plain}");
    let old = pull(&ts, &got.token, Some("replenishment")).await;
    assert!(old.get("card").is_none(), "{old}");
    let new = pull(&ts, &got.token, Some("replenishment,card")).await;
    assert_eq!(new["card"]["employee_number"], "GH-0042", "{new}");
    assert_eq!(new["card"]["service_hotline"], HOTLINE, "{new}");

    // A phone through the core: the card from the enrolment, a new number through a sync.
    let (_dir, kit) = ts.enrolled_kit(&tech, &sync_options()).await;
    assert_eq!(kit.technician_card().unwrap(), Some(want.clone()));
    set_number(&ts, &tech, "GH-0043").await;
    kit.sync(&sync_options(), &|_| {}).await.expect("sync");
    let card = kit.technician_card().unwrap().expect("a card");
    assert_eq!(card.employee_number.as_deref(), Some("GH-0043"));
    assert_eq!(card.service_hotline.as_deref(), Some(HOTLINE));
    ts.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_card_reaches_the_phone_sqlite() {
    the_card_reaches_the_phone(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_card_reaches_the_phone_postgres() {
    the_card_reaches_the_phone(Backend::Postgres).await;
}

/// Without `--service-hotline` the card carries none (and the copy prints none).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_hotline_is_sent_when_none_is_set() {
    let Some(ts) = server(Backend::Sqlite, |_| {}).await else {
        return;
    };
    let tech = ts.create_technician("Technician No Hotline").await;
    let got = ts.enrol(&tech, DeviceId::new()).await;
    assert_eq!(got.card.and_then(|c| c.service_hotline), None);
    ts.server.shutdown().await.unwrap();
}
