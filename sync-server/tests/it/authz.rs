//! Authorization over every route, malformed and oversized payloads (1,000 generated), the
//! enrolment rate limit, the OpenAPI document, health and metrics.

use crate::common::{self, Backend, TestServer};
use fieldkit_core::demo;
use fieldkit_core::model::*;
use fieldkit_core::sync::protocol::*;
use fieldkit_server::openapi;
use reqwest::Method;
use serde_json::{Value, json};

fn method(m: &str) -> Method {
    Method::from_bytes(m.to_uppercase().as_bytes()).unwrap()
}

const PUBLIC: &[&str] = &["/healthz", "/readyz", "/v1/openapi.json", "/v1/enroll"];

struct World {
    ts: TestServer,
    job: WorkOrder,
    device_a: DeviceId,
    token_b: String,
    revoked: String,
}

async fn world() -> World {
    let ts = common::server(Backend::Sqlite, |c| c.max_body_bytes = 256 * 1024)
        .await
        .unwrap();
    let a = ts.create_technician("Wang Wei").await;
    let b = ts.create_technician("Li Na").await;
    let job = demo::repair_order(7, chrono::Utc::now(), Billing::Paid);
    ts.create_job(&job, Some(&a)).await;
    let device_a = DeviceId::new();
    ts.enrol(&a, device_a).await;
    let token_b = ts.enrol(&b, DeviceId::new()).await.token;
    let old = DeviceId::new();
    let revoked = ts.enrol(&a, old).await.token;
    let (s, _) = ts
        .admin(
            Method::POST,
            &format!("/v1/admin/devices/{old}/revoke"),
            None,
        )
        .await;
    assert_eq!(s, 204);
    World {
        ts,
        job,
        device_a,
        token_b,
        revoked,
    }
}

fn concrete(path: &str, w: &World) -> String {
    let id = if path.contains("/devices/") {
        w.device_a.to_string()
    } else {
        w.job.id.to_string()
    };
    path.replace("{sha256}", &"ab".repeat(32))
        .replace("{id}", &id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_refuses_the_wrong_caller_and_leaks_nothing() {
    let w = world().await;
    let ts = &w.ts;
    let secrets = [
        w.job.id.to_string(),
        w.job.number.clone(),
        w.job.customer.name.clone(),
        w.job.customer.phone.clone(),
        w.job.site.address.clone(),
    ];
    let mut checked = 0;
    for (m, path) in openapi::ROUTES {
        if PUBLIC.contains(path) {
            continue;
        }
        // The metrics are the dispatcher's too (their own address aside).
        let admin_route = path.starts_with("/v1/admin") || *path == "/metrics";
        let url = ts.url(&concrete(path, &w));
        let mut creds: Vec<(&str, Option<String>, u16)> = vec![
            ("none", None, 401),
            ("malformed", Some("Bearer not-a-token".into()), 401),
            ("basic", Some("Basic dXNlcjpwYXNz".into()), 401),
            (
                "revoked",
                Some(format!("Bearer {}", w.revoked)),
                if admin_route { 403 } else { 401 },
            ),
            (
                "forged device",
                Some(format!("Bearer fkd_{}", "0".repeat(64))),
                if admin_route { 403 } else { 401 },
            ),
        ];
        if admin_route {
            creds.push((
                "other technician's device",
                Some(format!("Bearer {}", w.token_b)),
                403,
            ));
        } else {
            creds.push((
                "admin token on a device route",
                Some(format!("Bearer {}", ts.admin)),
                401,
            ));
        }
        for (what, auth, want) in creds {
            let mut r = ts.client.request(method(m), &url);
            if let Some(a) = auth {
                r = r.header("authorization", a);
            }
            if *m == "put" {
                r = r
                    .header(UPLOAD_OFFSET, "0")
                    .header(UPLOAD_LENGTH, "3")
                    .body("abc");
            } else if *m == "post" {
                r = r.json(&json!({}));
            }
            let res = r.send().await.unwrap();
            let status = res.status().as_u16();
            assert_eq!(status, want, "{m} {path} with {what}");
            let body = res.text().await.unwrap();
            if *m != "head" {
                let e: ErrorBody = serde_json::from_str(&body).unwrap_or_else(|_| {
                    panic!("{m} {path} with {what}: typed error body, got {body}")
                });
                assert!(!e.code.is_empty());
            }
            for s in &secrets {
                assert!(
                    !body.contains(s.as_str()),
                    "{m} {path} with {what} leaked data"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 120, "{checked}");

    // Another technician's device sees none of A's jobs and cannot write to them.
    let page: PullResponse = ts
        .client
        .get(ts.url("/v1/pull?cursor=0&limit=1000"))
        .bearer_auth(&w.token_b)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let text = serde_json::to_string(&page).unwrap();
    for s in &secrets {
        assert!(
            !text.contains(s.as_str()),
            "pull leaked another technician's job"
        );
    }
    let op = Op {
        op_id: OpId::new(),
        seq: 1,
        entity: "work_order".into(),
        entity_id: w.job.id.to_string(),
        visit_id: None,
        kind: "accept".into(),
        version: 1,
        payload: json!({}),
        hlc: "0".into(),
        device_time: chrono::Utc::now().timestamp_millis(),
        hash: None,
    };
    let r: PushResponse = ts
        .signed_push(&w.token_b, &[op])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        matches!(&r.results[0].outcome, OpOutcome::Rejected { code, .. } if code == "unknown_job")
    );
    let text = serde_json::to_string(&r).unwrap();
    for s in &secrets[1..] {
        assert!(!text.contains(s.as_str()));
    }
}

/// One generated request: method, path, token, body, content type, extra headers.
type Case<'a> = (
    Method,
    String,
    Option<&'a str>,
    Vec<u8>,
    &'a str,
    Vec<(&'a str, String)>,
);

/// A small deterministic generator (xorshift), so a failing case replays.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

fn valid_op(seq: i64) -> Value {
    json!({
        "op_id": OpId::new(), "seq": seq, "entity": "stock", "entity_id": "PUMP-220",
        "visit_id": null, "kind": "issue_stock", "version": 1, "payload": {}, "hlc": "0",
        "device_time": 0, "hash": null
    })
}

/// Breaks a valid JSON value: drops, retypes or adds a field, or truncates the text.
fn mangle(g: &mut Gen, v: &Value) -> Vec<u8> {
    let mut v = v.clone();
    match g.below(6) {
        0 => {
            if let Some(o) = v.as_object_mut() {
                o.insert("unexpected".into(), json!(1));
            }
        }
        1 => {
            if let Some(o) = v.as_object_mut()
                && let Some(k) = o.keys().next().cloned()
            {
                o.remove(&k);
            }
        }
        2 => {
            if let Some(o) = v.as_object_mut() {
                for (_, x) in o.iter_mut() {
                    *x = json!([{"deep": [1, 2, {"x": null}]}]);
                }
            }
        }
        3 => {
            let s = v.to_string();
            let cut = g.below(s.len().max(1) as u64) as usize;
            return s.as_bytes()[..cut].to_vec();
        }
        4 => {
            let n = 1 + g.below(300) as usize;
            return g.bytes(n);
        }
        _ => v = json!([v, "not an object"]),
    }
    v.to_string().into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_malformed_or_oversized_requests_all_get_typed_4xx() {
    let w = world().await;
    let ts = &w.ts;
    let token_a = ts
        .enrol(&ts.create_technician("Zhao Lei").await, DeviceId::new())
        .await
        .token;
    let mut g = Gen(0x5eed_f1e1_d417);
    let huge = vec![b' '; 300 * 1024];
    let mut statuses = std::collections::BTreeMap::new();
    for i in 0..1000 {
        let kind = g.below(10);
        let (m, path, auth, body, ctype, extra): Case<'_> = match kind {
            0 => {
                let ops: Vec<Value> = (1..=3).map(valid_op).collect();
                (
                    Method::POST,
                    "/v1/push".into(),
                    Some(&token_a),
                    mangle(&mut g, &json!({ "ops": ops })),
                    "application/json",
                    vec![],
                )
            }
            1 => (
                Method::POST,
                "/v1/enroll".into(),
                None,
                mangle(
                    &mut g,
                    &json!({ "code": "ABCD-EFGH-JKLM", "device_id": DeviceId::new() }),
                ),
                "application/json",
                vec![],
            ),
            2 => {
                let q = [
                    "cursor=abc",
                    "limit=0",
                    "limit=100000",
                    "cursor=-1",
                    "x=1",
                    "cursor=1&limit=5&extra=2",
                    "limit=%FF",
                    "cursor=99999999999999999999",
                ][g.below(8) as usize];
                (
                    Method::GET,
                    format!("/v1/pull?{q}"),
                    Some(&token_a),
                    vec![],
                    "application/json",
                    vec![],
                )
            }
            3 => (
                Method::POST,
                "/v1/blobs/missing".into(),
                Some(&token_a),
                mangle(&mut g, &json!({ "hashes": ["ab".repeat(32)] })),
                "application/json",
                vec![],
            ),
            4 => {
                let sha = [
                    "ab".repeat(32),
                    "XYZ".into(),
                    "AB".repeat(32),
                    "ab".repeat(31),
                ][g.below(4) as usize]
                    .clone();
                let hdrs = match g.below(5) {
                    0 => vec![],
                    1 => vec![
                        (UPLOAD_OFFSET, "x".to_string()),
                        (UPLOAD_LENGTH, "3".to_string()),
                    ],
                    2 => vec![
                        (UPLOAD_OFFSET, "5".to_string()),
                        (UPLOAD_LENGTH, "3".to_string()),
                    ],
                    3 => vec![
                        (UPLOAD_OFFSET, "0".to_string()),
                        (UPLOAD_LENGTH, "0".to_string()),
                    ],
                    _ => vec![
                        (UPLOAD_OFFSET, "0".to_string()),
                        (UPLOAD_LENGTH, "2".to_string()),
                    ],
                };
                let sha = if sha == "ab".repeat(32) && hdrs.len() == 2 && hdrs[1].1 == "2" {
                    "cd".repeat(32)
                } else {
                    sha
                };
                (
                    Method::PUT,
                    format!("/v1/blobs/{sha}"),
                    Some(&token_a),
                    {
                        let n = 3 + g.below(5) as usize;
                        g.bytes(n)
                    },
                    "application/octet-stream",
                    hdrs,
                )
            }
            5 => (
                Method::POST,
                "/v1/admin/work-orders".into(),
                Some(&ts.admin),
                mangle(&mut g, &json!({ "number": "WO-1", "kind": "repair" })),
                "application/json",
                vec![],
            ),
            6 => (
                Method::POST,
                format!("/v1/admin/work-orders/{}/assign", w.job.id),
                Some(&ts.admin),
                mangle(&mut g, &json!({ "technician_id": "nobody" })),
                "application/json",
                vec![],
            ),
            7 => {
                // Oversized: past the body limit, or too many ops.
                if g.below(2) == 0 {
                    (
                        Method::POST,
                        "/v1/push".into(),
                        Some(&token_a),
                        huge.clone(),
                        "application/json",
                        vec![],
                    )
                } else {
                    let ops: Vec<Value> = (1..=(MAX_PUSH_OPS as i64 + 1)).map(valid_op).collect();
                    let body = json!({ "ops": ops }).to_string().into_bytes();
                    (
                        Method::POST,
                        "/v1/push".into(),
                        Some(&token_a),
                        body,
                        "application/json",
                        vec![],
                    )
                }
            }
            8 => {
                // Wrong content type, or a body that claims gzip and is not.
                if g.below(2) == 0 {
                    (
                        Method::POST,
                        "/v1/push".into(),
                        Some(&token_a),
                        br#"{"ops":[]}"#.to_vec(),
                        "text/plain",
                        vec![],
                    )
                } else {
                    (
                        Method::POST,
                        "/v1/push".into(),
                        Some(&token_a),
                        g.bytes(64),
                        "application/json",
                        vec![("content-encoding", "gzip".to_string())],
                    )
                }
            }
            _ => (
                Method::POST,
                "/v1/admin/templates".into(),
                Some(&ts.admin),
                mangle(&mut g, &json!({ "template": { "id": "x", "version": 1 } })),
                "application/json",
                vec![],
            ),
        };
        let mut r = ts
            .client
            .request(m.clone(), ts.url(&path))
            .header("content-type", ctype);
        if let Some(t) = auth {
            r = r.bearer_auth(t);
        }
        for (k, v) in &extra {
            r = r.header(*k, v);
        }
        if !body.is_empty() {
            r = r.body(body.clone());
        }
        let res = r.send().await.unwrap_or_else(|e| panic!("case {i}: {e}"));
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        assert!(
            (400..500).contains(&status),
            "case {i} ({m} {path}): status {status}, body {text}, sent {:?}",
            String::from_utf8_lossy(&body[..body.len().min(200)])
        );
        let e: ErrorBody = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("case {i} ({m} {path}): untyped error body {text}"));
        *statuses.entry((status, e.code)).or_insert(0) += 1;
    }
    eprintln!("{statuses:?}");
    let health = ts.client.get(ts.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status().as_u16(), 200, "the server survived");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrolment_is_rate_limited() {
    let ts = common::server(Backend::Sqlite, |c| c.enroll_per_minute = 3)
        .await
        .unwrap();
    let mut last = 0;
    for _ in 0..4 {
        last = ts
            .client
            .post(ts.url("/v1/enroll"))
            .json(&json!({ "code": "AAAA-BBBB-CCCC", "device_id": DeviceId::new() }))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
    }
    assert_eq!(last, 429);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_health_and_metrics() {
    let ts = common::server(Backend::Sqlite, |_| {}).await.unwrap();
    let doc: Value = ts
        .client
        .get(ts.url("/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for (m, path) in openapi::ROUTES {
        assert!(doc["paths"][path][m].is_object(), "{m} {path} documented");
        // The router serves it (no 404/405 from routing).
        let res = ts
            .client
            .request(
                method(m),
                ts.url(
                    &path
                        .replace("{sha256}", &"ab".repeat(32))
                        .replace("{id}", &DeviceId::new().to_string()),
                ),
            )
            .send()
            .await
            .unwrap();
        assert!(
            ![404, 405].contains(&res.status().as_u16()) || path.contains('{'),
            "{m} {path}: {}",
            res.status()
        );
    }
    let documented = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(_, v)| {
            v.as_object()
                .unwrap()
                .keys()
                .filter(|k| *k != "parameters")
                .count()
        })
        .sum::<usize>();
    assert_eq!(documented, openapi::ROUTES.len());
    let h = ts.client.get(ts.url("/healthz")).send().await.unwrap();
    assert_eq!(h.status().as_u16(), 200);
    let m = ts
        .client
        .get(ts.url("/metrics"))
        .bearer_auth(&ts.admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(m.contains("fieldkit_ops_total{outcome=\"applied\"}"));
    assert!(m.contains("fieldkit_push_seconds_bucket"));
    // Unknown routes also answer with a typed error.
    let r = ts.client.get(ts.url("/v1/nothing")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 404);
    let e: ErrorBody = r.json().await.unwrap();
    assert_eq!(e.code, "not_found");
    ts.server.shutdown().await.unwrap();
}
