//! The fleet test's desk (dispatcher calls through the proxy) and webhook receiver, and the
//! waits for the server to settle (drawing checks done, deliveries booked).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use fieldkit_core::model::WorkOrder;
use fieldkit_server::webhooks::WebhookEvent;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::sync::Notify;

use super::SETTLE_DEADLINE;

/// Dispatcher calls through the proxy.
pub struct Desk {
    pub http: reqwest::Client,
    pub base: String,
    pub admin: String,
}

impl Desk {
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut r = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.admin);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let res = r.send().await.expect("a desk request");
        let status = res.status().as_u16();
        let text = res.text().await.expect("a desk answer");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn created(&self, path: &str, body: Value) -> Value {
        let (s, v) = self.call(Method::POST, path, Some(body)).await;
        assert_eq!(s, 201, "POST {path}: {v}");
        v
    }

    pub async fn create_job(&self, order: &WorkOrder, technician_id: &str) {
        self.created(
            "/v1/admin/work-orders",
            json!({
                "id": order.id,
                "number": order.number,
                "kind": order.kind,
                "customer": order.customer,
                "site": order.site,
                "product": order.product,
                "reported_fault": order.reported_fault,
                "promised": order.promised,
                "billing": order.billing,
                "instructions": order.instructions,
                "reported_at": order.reported_at,
                "technician_id": technician_id,
                "sale": order.sale,
            }),
        )
        .await;
    }
}

// ------------------------------------------------------------------ the webhook receiver

/// One delivery the receiver got.
#[derive(Clone)]
pub struct Delivery {
    pub id: String,
    pub signature: String,
    pub body: Bytes,
    pub status: u16,
}

/// A webhook receiver on 127.0.0.1: answers 500 to a seeded tenth of the requests, 200 to
/// the rest, and logs them all.
pub struct Receiver {
    log: Mutex<Vec<Delivery>>,
    rng: Mutex<StdRng>,
    changed: Notify,
}

impl Receiver {
    pub async fn start(seed: u64) -> (Arc<Receiver>, String) {
        let r = Arc::new(Receiver {
            log: Mutex::default(),
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
            changed: Notify::new(),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let rr = r.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let rr = rr.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                        let rr = rr.clone();
                        async move {
                            let header = |k: &str| {
                                req.headers()
                                    .get(k)
                                    .and_then(|v| v.to_str().ok())
                                    .unwrap_or("")
                                    .to_owned()
                            };
                            let (id, signature) =
                                (header("fieldkit-delivery"), header("fieldkit-signature"));
                            let body = req.into_body().collect().await?.to_bytes();
                            let status = if rr.rng.lock().unwrap().random_bool(0.1) {
                                500
                            } else {
                                200
                            };
                            rr.log.lock().unwrap().push(Delivery {
                                id,
                                signature,
                                body,
                                status,
                            });
                            rr.changed.notify_waiters();
                            let mut res = hyper::Response::new(Full::new(Bytes::new()));
                            *res.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
                            Ok::<_, hyper::Error>(res)
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        (r, format!("http://{addr}/hooks/fieldkit"))
    }

    /// Waits until every op of `ops` was acknowledged (200) at least once.
    pub async fn wait_acknowledged(&self, ops: &BTreeSet<String>) -> Vec<Delivery> {
        let until = tokio::time::Instant::now() + SETTLE_DEADLINE;
        loop {
            let changed = self.changed.notified();
            let log = self.log.lock().unwrap().clone();
            let acked: BTreeSet<String> = log
                .iter()
                .filter(|d| d.status == 200)
                .filter_map(|d| serde_json::from_slice::<WebhookEvent>(&d.body).ok())
                .map(|e| e.data.op_id)
                .collect();
            if ops.is_subset(&acked) {
                return log;
            }
            if tokio::time::timeout_at(until, changed).await.is_err() {
                let missing: Vec<_> = ops.difference(&acked).take(5).collect();
                panic!(
                    "webhooks: {} of {} completions never acknowledged within {SETTLE_DEADLINE:?} \
                     (e.g. {missing:?}); {} requests received",
                    ops.len() - ops.intersection(&acked).count(),
                    ops.len(),
                    log.len()
                );
            }
        }
    }
}

/// The completions once no drawing check is pending and all `expected` are listed.
pub async fn settled(desk: &Desk, expected: usize) -> Vec<Value> {
    let until = tokio::time::Instant::now() + SETTLE_DEADLINE;
    loop {
        let (s, list) = desk
            .call(Method::GET, "/v1/admin/completions?limit=1000", None)
            .await;
        assert_eq!(s, 200, "{list}");
        let list = list.as_array().expect("a list").clone();
        if list.len() >= expected && list.iter().all(|c| c["checks_pending"] == false) {
            return list;
        }
        assert!(
            tokio::time::Instant::now() < until,
            "drawing checks still pending after {SETTLE_DEADLINE:?}: {} of {} listed, {} pending",
            list.len(),
            expected,
            list.iter().filter(|c| c["checks_pending"] != false).count()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the server lists the subscription with `n` deliveries delivered and none
/// pending or failed (the receiver's 200 reaches the server's books a moment after).
pub async fn all_marked_delivered(desk: &Desk, id: &str, n: usize) {
    let until = tokio::time::Instant::now() + SETTLE_DEADLINE;
    loop {
        let (s, v) = desk.call(Method::GET, "/v1/admin/webhooks", None).await;
        assert_eq!(s, 200, "{v}");
        let w = v
            .as_array()
            .and_then(|l| l.iter().find(|w| w["id"] == id).cloned())
            .unwrap_or(Value::Null);
        if w["delivered"] == n && w["pending"] == 0 && w["failed"] == 0 {
            return;
        }
        assert!(
            tokio::time::Instant::now() < until,
            "webhook deliveries not all marked delivered after {SETTLE_DEADLINE:?}: {w}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
