//! The API contract: the OpenAPI document lists what every operation can answer (checked
//! here structurally; `.ci/conformance.sh` runs schemathesis against a real server), and the
//! server's bugs that the conformance run found stay fixed, on SQLite and on PostgreSQL:
//! hostile clocks on a push (an overflow panic), NUL characters and over-long op envelopes
//! (500s on PostgreSQL), a zero Upload-Length (413), secrets counted in bytes, an
//! unsupported Content-Encoding without an Error body.

use crate::common::{self, Backend, TestServer};
use fieldkit_core::model::DeviceId;
use fieldkit_server::openapi;
use reqwest::Method;
use serde_json::{Value, json};

fn document() -> Value {
    serde_json::from_str(openapi::DOCUMENT).expect("the document is JSON")
}

/// Follows a local `$ref` (one level; the document's references are not chained).
fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .trim_start_matches("#/")
            .split('/')
            .fold(doc, |at, key| &at[key]),
        None => v,
    }
}

#[test]
fn every_operation_documents_the_refusals_it_can_meet() {
    let doc = document();
    for (m, path) in openapi::ROUTES {
        let item = &doc["paths"][path];
        let op = &item[m];
        assert!(op.is_object(), "{m} {path} documented");
        let responses = op["responses"].as_object().expect("responses");
        let has = |code: &str| responses.contains_key(code);
        let security: Vec<String> = op["security"]
            .as_array()
            .map(|a| {
                a.iter()
                    .flat_map(|s| s.as_object().unwrap().keys().cloned())
                    .collect()
            })
            .unwrap_or_default();
        if !security.is_empty() {
            assert!(has("401"), "{m} {path}: 401");
        }
        if security.iter().any(|s| s == "dispatcher") {
            assert!(has("403"), "{m} {path}: 403 (device tokens)");
        }
        let json_body = op["requestBody"]["content"]["application/json"].is_object();
        if json_body {
            for code in ["400", "413", "415"] {
                assert!(has(code), "{m} {path}: {code} (JSON body)");
            }
        }
        let params = item["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(op["parameters"].as_array().into_iter().flatten())
            .map(|p| resolve(&doc, p))
            .collect::<Vec<_>>();
        if params
            .iter()
            .any(|p| p["in"] == "path" || p["in"] == "query")
        {
            assert!(has("400"), "{m} {path}: 400 (parameters)");
        }
        for (code, r) in responses {
            let r = resolve(&doc, r);
            let error = code.starts_with('4') || code.starts_with('5');
            if error && *m != "head" {
                assert!(
                    r["content"]["application/json"]["schema"].is_object(),
                    "{m} {path} {code}: an Error body"
                );
            }
            if code.starts_with('2') && *m != "head" && !["204"].contains(&code.as_str()) {
                assert!(
                    r["content"].as_object().is_some_and(|c| !c.is_empty()),
                    "{m} {path} {code}: a content type"
                );
            }
        }
    }
}

#[test]
fn the_measures_parameters_are_the_ones_the_server_reads() {
    let doc = document();
    for path in ["/v1/admin/measures", "/v1/admin/measures.csv"] {
        let names: Vec<&str> = doc["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["from", "to", "format"], "{path}");
    }
    for path in ["/v1/admin/reports/daily", "/v1/admin/reports/daily.csv"] {
        let names: Vec<&str> = doc["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["date", "format"], "{path}");
    }
}

/// Each backend in turn (PostgreSQL unless skipped).
async fn backends() -> Vec<TestServer> {
    let mut out = vec![common::server(Backend::Sqlite, |_| {}).await.unwrap()];
    if let Some(pg) = common::server(Backend::Postgres, |_| {}).await {
        out.push(pg);
    }
    out
}

async fn device(ts: &TestServer) -> String {
    let t = ts.create_technician("Conformance").await;
    ts.enrol(&t, DeviceId::new()).await.token
}

fn op(seq: i64, entity_id: &str, device_time: i64) -> Value {
    json!({
        "op_id": uuid::Uuid::now_v7().to_string(),
        "seq": seq,
        "entity": "work_order",
        "entity_id": entity_id,
        "visit_id": null,
        "kind": "accept",
        "version": 1,
        "payload": {},
        "hlc": "0000000000001:0000:conformance",
        "device_time": device_time,
        "hash": null,
    })
}

async fn push(ts: &TestServer, token: &str, clock: Option<&str>, body: &Value) -> (u16, Value) {
    let bytes = serde_json::to_vec(body).unwrap();
    let mut r = ts
        .client
        .post(ts.url("/v1/push"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .header(
            "fieldkit-signature",
            ts.push_signature(token, &bytes)
                .expect("enrolled by the test"),
        )
        .body(bytes);
    if let Some(c) = clock {
        r = r.header("fieldkit-device-time", c);
    }
    let res = r.send().await.unwrap();
    let s = res.status().as_u16();
    (s, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extreme_device_clocks_are_flagged_not_a_panic() {
    for ts in backends().await {
        let token = device(&ts).await;
        let job = uuid::Uuid::now_v7().to_string();
        // The clock a push reports, and the clocks its ops carry: i64's ends overflowed the
        // skew's subtraction (a panic on the SQLite writer thread, a 500).
        let cases = [
            (Some(i64::MIN.to_string()), 0),
            (Some(i64::MAX.to_string()), 0),
            (None, i64::MIN),
            (None, i64::MAX),
        ];
        for (seq, (clock, t)) in (1..).zip(cases) {
            let (s, v) = push(
                &ts,
                &token,
                clock.as_deref(),
                &json!({ "ops": [op(seq, &job, t)] }),
            )
            .await;
            assert_eq!(s, 200, "{clock:?} {t}: {v}");
            assert_eq!(v["acked_through"], seq);
        }
        let (s, _) = push(&ts, &token, None, &json!({ "ops": [op(5, &job, 0)] })).await;
        assert_eq!(s, 200, "the server still takes pushes");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nul_characters_are_a_400_on_every_backend() {
    for ts in backends().await {
        let token = device(&ts).await;
        let bad_json = [
            ("/v1/admin/technicians", r#"{"name":"a\u0000b"}"#),
            (
                "/v1/admin/dispatchers",
                r#"{"login":"a\u0000","password":"a long enough password"}"#,
            ),
            ("/v1/admin/enrolment-codes", r#"{"technician_id":"\u0000"}"#),
        ];
        for (path, body) in bad_json {
            let res = ts
                .dispatcher(Method::POST, path)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status().as_u16(), 400, "{path}");
            let v: Value = res.json().await.unwrap();
            assert_eq!(v["code"], "bad_request");
        }
        // An escaped backslash before "u0000" is text, not a NUL.
        let res = ts
            .dispatcher(Method::POST, "/v1/admin/technicians")
            .header("content-type", "application/json")
            .body(r#"{"name":"a\\u0000b"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 201);
        for (m, path) in [
            (Method::GET, "/v1/admin/work-orders?technician_id=a%00b"),
            (Method::DELETE, "/v1/admin/webhooks/a%00b"),
            (Method::POST, "/v1/admin/webhooks/a%00b/redeliver"),
        ] {
            let (s, v) = ts.admin(m, path, None).await;
            assert_eq!(s, 400, "{path}: {v}");
        }
        let mut with_nul = op(1, "job", 0);
        with_nul["payload"] = json!({ "note": "a\u{0}b" });
        let (s, v) = push(&ts, &token, None, &json!({ "ops": [with_nul] })).await;
        assert_eq!(s, 400, "{v}");

        // The dashboard's forms too: the login, and a form behind the session.
        ts.create_dispatcher("desk", "a long enough password").await;
        let res = ts
            .no_redirects()
            .post(ts.url("/login"))
            .form(&[("login", "de\0sk"), ("password", "a long enough password")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 400);
        let who = ts.dashboard_login("desk", "a long enough password").await;
        let res = ts
            .post_form(&who, "/technicians", &[("name", "Wang\0Wei")])
            .await;
        assert_eq!(res.status().as_u16(), 400);
        let res = ts
            .post_form(&who, "/technicians", &[("name", "Wang Wei")])
            .await;
        assert!(res.status().is_redirection(), "{}", res.status());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_long_op_envelopes_are_a_400_on_every_backend() {
    for ts in backends().await {
        let token = device(&ts).await;
        // Random-looking text does not compress: past PostgreSQL's index entry limit.
        let long: String = (0..3000u32)
            .map(|i| char::from(b'a' + (i.wrapping_mul(2_654_435_761) >> 27) as u8 % 26))
            .collect();
        for field in ["entity_id", "kind", "hlc"] {
            let mut o = op(1, "job", 0);
            o[field] = json!(long);
            let (s, v) = push(&ts, &token, None, &json!({ "ops": [o] })).await;
            assert_eq!(s, 400, "{field}: {v}");
            assert!(v["message"].as_str().unwrap().contains(field), "{v}");
        }
        let (s, v) = push(&ts, &token, None, &json!({ "ops": [op(1, "job", 0)] })).await;
        assert_eq!(s, 200, "{v}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_are_typed_as_documented() {
    let ts = common::server(Backend::Sqlite, |_| {}).await.unwrap();
    let token = device(&ts).await;
    // A blob is never empty: a malformed request (it was a 413).
    let res = ts
        .client
        .put(ts.url(&format!("/v1/blobs/{}", "ab".repeat(32))))
        .bearer_auth(&token)
        .header("upload-offset", "0")
        .header("upload-length", "0")
        .body(Vec::new())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    // Secrets are counted in characters, as the document's maxLength (300 bytes, 100
    // characters: it was refused).
    let (s, v) = ts
        .admin(
            Method::POST,
            "/v1/admin/webhooks",
            Some(json!({ "url": "https://receiver.example.com/hook", "secret": "密".repeat(100) })),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    // The decompression layer's own refusal carries an Error body.
    let res = ts
        .dispatcher(Method::POST, "/v1/admin/technicians")
        .header("content-type", "application/json")
        .header("content-encoding", "br")
        .body(r#"{"name":"x"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 415);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["code"], "unsupported_media_type");
    // A JSON body without its content type, and a +json one.
    let res = ts
        .dispatcher(Method::POST, "/v1/admin/technicians")
        .body(r#"{"name":"x"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 415);
    let res = ts
        .dispatcher(Method::POST, "/v1/admin/technicians")
        .header(
            "content-type",
            "application/merge-patch+json; charset=utf-8",
        )
        .body(r#"{"name":"x"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    // The completions stream (left out of the schemathesis run: it does not end).
    for (query, header, want) in [
        ("?after=-1", None, 400),
        ("?after=x", None, 400),
        ("?before=1", None, 400),
        ("", Some("x"), 400),
        ("", Some("-1"), 400),
    ] {
        let mut r = ts.dispatcher(Method::GET, &format!("/v1/admin/completions/stream{query}"));
        if let Some(h) = header {
            r = r.header("last-event-id", h);
        }
        let res = r.send().await.unwrap();
        assert_eq!(res.status().as_u16(), want, "{query} {header:?}");
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["code"], "bad_request");
    }
    let res = ts
        .client
        .get(ts.url("/v1/admin/completions/stream"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
}
