//! Enrolment that cannot lock a technician out, and pushes that a token alone cannot make:
//! the same enrolment repeated answers the same token and revokes nothing; the same code with
//! another key is refused; a push needs the device key's signature over its exact body; a
//! revoked code enrols no one; a device enrolled again with a new code keeps its unsent ops;
//! the client waits as long as the server's `Retry-After` asks. On SQLite and PostgreSQL.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fieldkit_core::model::{Billing, DeviceId};
use fieldkit_core::sync::client::SyncOptions;
use fieldkit_core::sync::device_key::DeviceKey;
use fieldkit_core::sync::protocol::{EnrollResponse, PUSH_SIGNATURE};
use fieldkit_core::{DeviceConfig, Error, FieldKit, demo};
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{self, Backend, TestServer};

async fn backends() -> Vec<TestServer> {
    let mut out = vec![common::server(Backend::Sqlite, |_| {}).await.unwrap()];
    if let Some(pg) = common::server(Backend::Postgres, |_| {}).await {
        out.push(pg);
    }
    out
}

fn quick() -> SyncOptions {
    SyncOptions {
        first_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(50),
        ..SyncOptions::default()
    }
}

async fn post_enrol(ts: &TestServer, body: &impl serde::Serialize) -> (u16, Value) {
    let res = ts
        .client
        .post(ts.url("/v1/enroll"))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// The device's `last_seq` as the desk's device list shows it.
async fn last_seq(ts: &TestServer, device: DeviceId) -> i64 {
    let (s, v) = ts.admin(Method::GET, "/v1/admin/devices", None).await;
    assert_eq!(s, 200, "{v}");
    v.as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == json!(device))
        .expect("the device is listed")["last_seq"]
        .as_i64()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_enrolment_answers_the_same_token_and_revokes_nothing() {
    for ts in backends().await {
        let b = ts.server.storage().backend();
        let tech = ts.create_technician("Wang Fang").await;
        let code = ts.enrolment_code(&tech).await;
        let device = DeviceId::new();
        let key = DeviceKey::generate().unwrap();
        let request = key.enrolment(&code, device);

        let (s1, first) = post_enrol(&ts, &request).await;
        assert_eq!(s1, 200, "{b}: {first}");
        // The answer was lost; the device sends the very same request again.
        let (s2, again) = post_enrol(&ts, &request).await;
        assert_eq!(s2, 200, "{b}: {again}");
        assert_eq!(first["token"], again["token"], "{b}: the same token");
        let token = first["token"].as_str().unwrap().to_owned();
        ts.keys
            .lock()
            .unwrap()
            .insert(token.clone(), (device, Arc::new(key)));

        // The same code and device with another key: refused; another device: refused.
        let thief = DeviceKey::generate().unwrap();
        let (s, v) = post_enrol(&ts, &thief.enrolment(&code, device)).await;
        assert_eq!(s, 409, "{b}: {v}");
        let (s, v) = post_enrol(&ts, &thief.enrolment(&code, DeviceId::new())).await;
        assert_eq!(s, 401, "{b}: {v}");
        // A proof made by another key than the one sent: refused.
        let mut forged = thief.enrolment(&code, device);
        forged.public_key = first_key_hex(&ts, device).await;
        let (s, v) = post_enrol(&ts, &forged).await;
        assert_eq!(s, 401, "{b}: {v}");

        // After all that, the first token still pulls and (signed) pushes.
        let res = ts
            .client
            .get(ts.url("/v1/pull"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200, "{b}");
        let pushed = ts.push_ops(&token, &[]).await;
        assert_eq!(pushed.results.len(), 0, "{b}");
    }
}

async fn first_key_hex(ts: &TestServer, device: DeviceId) -> String {
    let (_, v) = ts.admin(Method::GET, "/v1/admin/devices", None).await;
    v.as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == json!(device))
        .expect("listed")["public_key"]
        .as_str()
        .expect("bound to a key")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bearer_token_without_the_device_signature_cannot_push() {
    for ts in backends().await {
        let b = ts.server.storage().backend();
        let tech = ts.create_technician("Li Qiang").await;
        let device = DeviceId::new();
        let token = ts.enrol(&tech, device).await.token;
        let op = json!({
            "op_id": fieldkit_core::model::OpId::new(), "seq": 1, "entity": "stock",
            "entity_id": "PUMP-220", "visit_id": null, "kind": "issue_stock", "version": 1,
            "payload": {}, "hlc": "0", "device_time": 0, "hash": null
        });
        let body = serde_json::to_vec(&json!({ "ops": [op] })).unwrap();
        let good = ts.push_signature(&token, &body).unwrap();
        let other_key = DeviceKey::generate().unwrap().sign_push(device, &body);
        let other_body = ts.push_signature(&token, br#"{"ops":[]}"#).unwrap();

        for (what, signature) in [
            ("no signature", None),
            ("another key's", Some(other_key)),
            ("another body's", Some(other_body)),
            ("not hex", Some("zz".repeat(64))),
            ("upper-case hex", Some(good.to_uppercase())),
        ] {
            let mut req = ts
                .client
                .post(ts.url("/v1/push"))
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body(body.clone());
            if let Some(sig) = signature {
                req = req.header(PUSH_SIGNATURE, sig);
            }
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            let v: Value = res.json().await.unwrap();
            assert_eq!(status, 401, "{b}: {what}: {v}");
            assert_eq!(v["code"], "unauthorized", "{b}: {what}");
        }
        assert_eq!(last_seq(&ts, device).await, 0, "{b}: nothing was taken");

        let res = ts
            .client
            .post(ts.url("/v1/push"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .header(PUSH_SIGNATURE, good)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200, "{b}");
        assert_eq!(
            last_seq(&ts, device).await,
            1,
            "{b}: the signed push counts"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_code_enrols_no_one() {
    for ts in backends().await {
        let b = ts.server.storage().backend();
        let tech = ts.create_technician("Zhao Lei").await;
        let (s, code) = ts
            .admin(
                Method::POST,
                "/v1/admin/enrolment-codes",
                Some(json!({ "technician_id": tech })),
            )
            .await;
        assert_eq!(s, 201, "{b}: {code}");
        let id = code["id"].as_str().expect("an id").to_owned();
        let path = format!("/v1/admin/enrolment-codes/{id}/revoke");
        assert_eq!(ts.admin(Method::POST, &path, None).await.0, 204, "{b}");
        assert_eq!(
            ts.admin(Method::POST, &path, None).await.0,
            204,
            "{b}: again"
        );
        let key = DeviceKey::generate().unwrap();
        let (s, v) = post_enrol(
            &ts,
            &key.enrolment(code["code"].as_str().unwrap(), DeviceId::new()),
        )
        .await;
        assert_eq!(s, 401, "{b}: {v}");
        let unknown = format!("/v1/admin/enrolment-codes/{}/revoke", uuid::Uuid::now_v7());
        assert_eq!(ts.admin(Method::POST, &unknown, None).await.0, 404, "{b}");
        let bad = "/v1/admin/enrolment-codes/not-an-id/revoke";
        assert_eq!(ts.admin(Method::POST, bad, None).await.0, 400, "{b}");
        // Without the dispatcher's token: refused.
        let res = ts.client.post(ts.url(&path)).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 401, "{b}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrolling_again_after_a_revocation_keeps_the_unsent_ops() {
    for ts in backends().await {
        let b = ts.server.storage().backend();
        let tech = ts.create_technician("Chen Jing").await;
        let dir = tempfile::tempdir().unwrap();
        let kit = FieldKit::open(dir.path(), DeviceConfig::default()).unwrap();
        demo::stock_the_van(&kit).unwrap();
        let code = ts.enrolment_code(&tech).await;
        kit.enroll(&ts.base, &code, &quick()).await.unwrap();
        let order = demo::repair_order(1, common::morning(), Billing::Paid);
        ts.create_job(&order, Some(&tech)).await;
        kit.sync(&quick(), &|_| {}).await.unwrap();
        let before = last_seq(&ts, kit.device_id()).await;

        // Offline work, then the desk revokes the device (a lost-phone scare).
        kit.accept(order.id).unwrap();
        let waiting = kit.pending_op_count().unwrap();
        assert!(waiting > 0, "{b}");
        let path = format!("/v1/admin/devices/{}/revoke", kit.device_id());
        assert_eq!(ts.admin(Method::POST, &path, None).await.0, 204, "{b}");
        let err = kit.sync(&quick(), &|_| {}).await.unwrap_err();
        assert!(
            matches!(err, Error::Server { status: 401, .. }),
            "{b}: {err}"
        );
        assert_eq!(
            kit.pending_op_count().unwrap(),
            waiting,
            "{b}: nothing lost"
        );

        // The phone is found: a new code from the desk, and the same phone enrols again.
        let code = ts.enrolment_code(&tech).await;
        kit.enroll(&ts.base, &code, &quick()).await.unwrap();
        kit.sync(&quick(), &|_| {}).await.unwrap();
        assert_eq!(kit.pending_op_count().unwrap(), 0, "{b}: the ops went up");
        assert_eq!(
            last_seq(&ts, kit.device_id()).await,
            before + waiting as i64,
            "{b}: the server holds every op, in the same device sequence"
        );

        // The same phone id enrolling with a code for another technician: refused.
        let other = ts.create_technician("Sun Li").await;
        let code = ts.enrolment_code(&other).await;
        let err = kit.enroll(&ts.base, &code, &quick()).await.unwrap_err();
        assert!(
            matches!(err, Error::Server { status: 409, .. }),
            "{b}: {err}"
        );
    }
}

/// A server that answers each enrolment with what `answers` says next, recording when each
/// request came.
async fn stub(answers: Vec<(u16, Option<&'static str>)>) -> (String, Arc<Mutex<Vec<Instant>>>) {
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let answers = Arc::new(Mutex::new(answers.into_iter()));
    let app = axum::Router::new().route(
        "/v1/enroll",
        axum::routing::post({
            let seen = seen.clone();
            move |axum::Json(req): axum::Json<Value>| {
                let seen = seen.clone();
                let answers = answers.clone();
                async move {
                    seen.lock().unwrap().push(Instant::now());
                    let (status, after) = answers.lock().unwrap().next().unwrap_or((500, None));
                    if status == 200 {
                        let device_id: DeviceId =
                            serde_json::from_value(req["device_id"].clone()).unwrap();
                        return axum::Json(EnrollResponse {
                            device_id,
                            technician_id: "t".into(),
                            token: "fkd_stub".into(),
                            card: None,
                            accepts: vec![],
                        })
                        .into_response();
                    }
                    let mut res = (
                        StatusCode::from_u16(status).unwrap(),
                        axum::Json(json!({ "code": "busy", "message": "busy" })),
                    )
                        .into_response();
                    if let Some(a) = after {
                        res.headers_mut().insert("retry-after", a.parse().unwrap());
                    }
                    res
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_waits_as_long_as_the_server_asks() {
    // 429 then 503, each asking for a second: the client waits at least that long each time
    // (its own backoff here is 5 ms), then enrols.
    let (base, seen) = stub(vec![(429, Some("1")), (503, Some("1")), (200, None)]).await;
    let dir = tempfile::tempdir().unwrap();
    let kit = FieldKit::open(dir.path(), DeviceConfig::default()).unwrap();
    kit.enroll(&base, "AAAA-BBBB-CCCC", &quick()).await.unwrap();
    let at = seen.lock().unwrap().clone();
    assert_eq!(at.len(), 3);
    for pair in at.windows(2) {
        assert!(
            pair[1] - pair[0] >= Duration::from_secs(1),
            "retried after {:?}",
            pair[1] - pair[0]
        );
    }

    // A server asking for longer than the client will wait: one request, a clear error.
    let (base, seen) = stub(vec![(503, Some("3600"))]).await;
    let dir = tempfile::tempdir().unwrap();
    let kit = FieldKit::open(dir.path(), DeviceConfig::default()).unwrap();
    let err = kit
        .enroll(&base, "AAAA-BBBB-CCCC", &quick())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Network(_)), "{err}");
    assert!(err.to_string().contains("3600 s"), "{err}");
    assert_eq!(seen.lock().unwrap().len(), 1, "not retried");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_to_another_host_is_refused_before_any_request() {
    let dir = tempfile::tempdir().unwrap();
    let kit = FieldKit::open(dir.path(), DeviceConfig::default()).unwrap();
    // 192.0.2.0/24 is TEST-NET-1: nothing answers there, and nothing is sent.
    let err = kit
        .enroll("http://192.0.2.1:8080", "AAAA-BBBB-CCCC", &quick())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid { .. }), "{err}");
    assert!(kit.server_account().unwrap().is_none());
}
