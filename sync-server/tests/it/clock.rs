//! The server goes by its one clock: with a manual clock a test sets the time, and what
//! depends on it (an enrolment code's expiry, a dashboard login's end, the times stamped on
//! records) follows that clock, not the system's.

use fieldkit_core::model::DeviceId;
use fieldkit_server::clock::Clock;
use serde_json::json;

use crate::common::{Backend, server};

/// 2027-01-15 08:00 UTC: far from the system's time, so a stamp from the wrong clock shows.
const START: i64 = 1_800_000_000_000;

#[tokio::test]
async fn codes_expire_and_logins_end_by_the_servers_clock() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let clock = Clock::manual(START);
        let Some(t) = server(backend, |c| {
            c.clock = clock.clone();
            c.dashboard_session_minutes = 5;
        })
        .await
        else {
            continue;
        };
        let tech = t.create_technician("王师傅").await;
        let (s, v) = t
            .admin(
                reqwest::Method::POST,
                "/v1/admin/enrolment-codes",
                Some(json!({ "technician_id": tech, "valid_minutes": 1 })),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        assert_eq!(
            v["expires_at"],
            START + 60_000,
            "{backend:?}: stamped by the clock"
        );
        let code = v["code"].as_str().unwrap().to_owned();

        // A minute and a second later by the server's clock (no time passed on the system's).
        clock.advance(61_000);
        let res = t
            .client
            .post(t.url("/v1/enroll"))
            .json(
                &fieldkit_core::sync::device_key::DeviceKey::generate()
                    .unwrap()
                    .enrolment(&code, DeviceId::new()),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 401, "{backend:?}: the code expired");

        // A fresh code works at the new time.
        let enrolled = t.enrol(&tech, DeviceId::new()).await;
        assert!(!enrolled.token.is_empty());

        // A dashboard login lasts 5 minutes of the server's clock.
        t.create_dispatcher("desk", "a long enough password").await;
        let who = t.dashboard_login("desk", "a long enough password").await;
        assert_eq!(t.page(&who, "/board").await.0, 200, "{backend:?}");
        clock.advance(4 * 60_000);
        assert_eq!(t.page(&who, "/board").await.0, 200, "{backend:?}: still on");
        clock.advance(2 * 60_000);
        let (status, _) = t.page(&who, "/board").await;
        assert_ne!(status, 200, "{backend:?}: the login ended with the clock");
    }
}
