//! The completions feed: webhook storage on both backends; deliveries to a receiver on
//! 127.0.0.1 that fails the first attempts (500s, a dropped connection, a timeout, a 503)
//! — nothing lost, duplicates carry the same event id, every genuine signature verifies and
//! tampered ones do not —; failed deliveries visible and redelivered; a restart that
//! delivers what the stopped server had not; the SSE stream with `Last-Event-ID`; and
//! receivers on internal addresses refused (at subscription, and as resolved at delivery,
//! without connecting) unless the server allows them.
//!
//! The completions are real: phones made of the core ([`common::journal::Phone`]) walk the
//! visits and push their journals, and a completion enters the feed when it counts (once the
//! server's drawing check passed it, or the desk released it), never while held.

use fieldkit_server::i18n::Locale;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::journal::Phone;
use crate::common::{self, Backend, TestServer};
use fieldkit_core::demo;
use fieldkit_core::model::*;
use fieldkit_core::sync::protocol::*;
use fieldkit_server::push::{Batch, PushPolicy};
use fieldkit_server::storage::postgres::PostgresStorage;
use fieldkit_server::storage::sqlite::SqliteStorage;
use fieldkit_server::storage::webhooks::{AttemptResult, NewWebhook, event_id};
use fieldkit_server::storage::{Flag, Ruling, Storage, StorageError, Technician};
use fieldkit_server::webhooks::{VerifyError, WebhookEvent, verify};
use fieldkit_server::{Config, Server};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Notify;

/// How long any wait may take before the test fails.
const DEADLINE: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------
// Storage, on both backends.

async fn storage_suite(s: Arc<dyn Storage>) {
    let now = 1_800_000_000_000;
    let at = |ms: i64| chrono::DateTime::from_timestamp_millis(ms).unwrap();
    s.create_technician(Technician {
        id: "t-a".into(),
        name: "Wang Wei".into(),
        created_at: now,
    })
    .await
    .unwrap();
    for change in [
        Change::FeeSchedule {
            fee_schedule: demo::fee_schedule(),
        },
        Change::CatalogPart {
            part: demo::van_part(),
        },
    ] {
        s.publish(change, now).await.unwrap();
    }
    let phone = Phone::new(at(now - 60 * 60_000));
    s.create_enrolment_code(
        uuid::Uuid::now_v7().to_string(),
        "code".into(),
        "t-a".into(),
        now + 60_000,
        now,
    )
    .await
    .unwrap();
    s.enroll(crate::common::enrolment(
        "code".into(),
        phone.device_id(),
        "tok".into(),
        now,
    ))
    .await
    .unwrap();
    let device = s.device_by_token("tok".into()).await.unwrap().unwrap();
    // Five jobs walked to completion on the phone and pushed at once: each completion is
    // `checking` until its drawings are checked, and enters the feed only when it counts.
    let mut jobs: Vec<WorkOrder> = Vec::new();
    for i in 0..5 {
        let o = demo::repair_order(i, at(now), Billing::Paid);
        let o = s
            .create_work_order(o, Some("t-a".into()), now)
            .await
            .unwrap()
            .order;
        phone.receive(&o);
        jobs.push(o);
    }
    let done: Vec<String> = jobs
        .iter()
        .map(|j| {
            let record = phone.walk_repair(j.id, &mut |_| None);
            phone
                .job_ops(j.id)
                .into_iter()
                .find(|o| o.seq == record.seq)
                .unwrap()
                .op_id
                .to_string()
        })
        .collect();
    let r = s
        .push(
            device,
            Batch::prepare(phone.outbox(), Locale::En),
            None,
            PushPolicy::default(),
            now,
        )
        .await
        .unwrap();
    assert!(
        r.results.iter().all(|x| x.outcome == OpOutcome::Applied),
        "{r:?}"
    );
    phone.acknowledge(&r);
    assert_eq!(s.pending_drawings(10).await.unwrap().len(), 5);
    assert_eq!(s.sync_feed(now).await.unwrap(), 0, "nothing counted yet");
    let count = |op: &String, at: i64| s.finish_drawing(op.clone(), vec![], at);
    let [c0, c1, c2, c3, c4] = <[String; 5]>::try_from(done).unwrap();

    // A completion counted before any subscription: in the feed, delivered to nobody.
    count(&c0, now).await.unwrap();
    assert_eq!(s.sync_feed(now).await.unwrap(), 1);
    s.create_webhook(NewWebhook {
        id: "wh-1".into(),
        url: "http://127.0.0.1:9/hook".into(),
        events: vec!["work_order.completed".into()],
        secret: "0123456789abcdef".into(),
        created_at: now,
    })
    .await
    .unwrap();
    assert!(matches!(
        s.create_webhook(NewWebhook {
            id: "wh-1".into(),
            url: "http://127.0.0.1:9/x".into(),
            events: vec![],
            secret: "x".repeat(16),
            created_at: now,
        })
        .await,
        Err(StorageError::Conflict(_))
    ));
    // c2 was counted earlier than c1 but committed after the feed saw c1 (a slow
    // transaction): the anti-join still picks it up.
    count(&c1, now + 60_000).await.unwrap();
    assert_eq!(s.sync_feed(now + 60_000).await.unwrap(), 2);
    count(&c2, now + 30_000).await.unwrap();
    assert_eq!(s.sync_feed(now + 61_000).await.unwrap(), 3);
    assert_eq!(s.sync_feed(now + 62_000).await.unwrap(), 3, "idempotent");
    // Held ones (a drawing does not match) never enter it while held.
    for (c, job) in [(&c3, &jobs[3]), (&c4, &jobs[4])] {
        let flag = Flag {
            work_order_id: Some(job.id.to_string()),
            op_id: Some(c.clone()),
            device_id: phone.device_id().to_string(),
            kind: "signature".into(),
            detail: "signature service_record_signature: the strokes do not draw the image".into(),
            said: None,
            created_at: now + 63_000,
        };
        s.finish_drawing(c.clone(), vec![flag], now + 63_000)
            .await
            .unwrap();
    }
    assert!(s.pending_drawings(10).await.unwrap().is_empty());
    assert_eq!(
        s.sync_feed(now + 64_000).await.unwrap(),
        3,
        "held: not in the feed"
    );
    let feed = s.feed_after(0, 100).await.unwrap();
    let ids: Vec<(i64, &str)> = feed
        .iter()
        .map(|e| (e.seq, e.completion.op_id.as_str()))
        .collect();
    assert_eq!(
        ids,
        vec![(1, c0.as_str()), (2, c1.as_str()), (3, c2.as_str())]
    );
    assert!(feed.iter().all(|e| e.completion.state == "counted"));
    assert_eq!(s.feed_after(2, 100).await.unwrap().len(), 1);
    assert_eq!(s.feed_after(0, 1).await.unwrap().len(), 1);
    assert_eq!(feed[1].completion.work_order_id, jobs[1].id.to_string());

    // Claims: due ones only, hidden while leased, back when the lease ends.
    let t = now + 70_000;
    let due = s.claim_deliveries(t, t + 1_000, 10).await.unwrap();
    let ops: Vec<&str> = due.iter().map(|d| d.completion.op_id.as_str()).collect();
    assert_eq!(
        ops,
        vec![c1.as_str(), c2.as_str()],
        "not c0 (before the subscription)"
    );
    assert!(
        due.iter()
            .all(|d| d.attempts == 0 && d.secret == "0123456789abcdef")
    );
    assert!(
        s.claim_deliveries(t, t + 1_000, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        s.finish_delivery(
            "wh-1".into(),
            c1.clone(),
            due[0].claim.clone(),
            AttemptResult::Delivered { at: t },
            t,
        )
        .await
        .unwrap()
    );
    let again = s.claim_deliveries(t + 1_000, t + 2_000, 10).await.unwrap();
    assert_eq!(
        again.len(),
        1,
        "the unfinished one returns when its lease ends"
    );
    assert_eq!(again[0].completion.op_id, c2);
    assert_ne!(again[0].claim, due[1].claim, "a new claim");
    // The first worker's attempt outlived its lease: its failure is not counted (the new
    // claim's attempt is), and changes nothing.
    assert!(
        !s.finish_delivery(
            "wh-1".into(),
            c2.clone(),
            due[1].claim.clone(),
            AttemptResult::Failed {
                error: "timed out".into()
            },
            t + 1_500,
        )
        .await
        .unwrap()
    );
    s.finish_delivery(
        "wh-1".into(),
        c2.clone(),
        again[0].claim.clone(),
        AttemptResult::Retry {
            next_at: t + 5_000,
            error: "HTTP 500".into(),
        },
        t + 1_000,
    )
    .await
    .unwrap();
    assert!(
        s.claim_deliveries(t + 4_999, t + 9_000, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let retry = s.claim_deliveries(t + 5_000, t + 9_000, 10).await.unwrap();
    assert_eq!(retry.len(), 1);
    assert_eq!(
        retry[0].attempts, 1,
        "one attempt counted: the stale one was not"
    );
    assert!(
        s.finish_delivery(
            "wh-1".into(),
            c2.clone(),
            retry[0].claim.clone(),
            AttemptResult::Failed {
                error: "connection failed".into(),
            },
            t + 5_000,
        )
        .await
        .unwrap()
    );
    // Finished: a second finish of the same claim writes nothing.
    assert!(
        !s.finish_delivery(
            "wh-1".into(),
            c2.clone(),
            retry[0].claim.clone(),
            AttemptResult::Delivered { at: t + 5_001 },
            t + 5_001,
        )
        .await
        .unwrap()
    );
    assert!(
        s.claim_deliveries(t + 99_000, t + 100_000, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let list = s.webhooks().await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(
        (list[0].pending, list[0].delivered, list[0].failed),
        (0, 1, 1)
    );
    assert_eq!(list[0].last_error.as_deref(), Some("connection failed"));
    assert_eq!(s.redeliver_failed("wh-1".into(), t).await.unwrap(), 1);
    let back = s.claim_deliveries(t, t + 1, 10).await.unwrap();
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].attempts, 0, "attempts reset");
    assert!(matches!(
        s.redeliver_failed("nope".into(), t).await,
        Err(StorageError::NotFound(_))
    ));
    s.delete_webhook("wh-1".into()).await.unwrap();
    assert!(matches!(
        s.delete_webhook("wh-1".into()).await,
        Err(StorageError::NotFound(_))
    ));
    assert!(s.webhooks().await.unwrap().is_empty());
    assert!(
        s.claim_deliveries(t + 999_999, t + 1_000_000, 10)
            .await
            .unwrap()
            .is_empty()
    );

    // Event ids: stable per (subscription, completion), distinct otherwise.
    assert_eq!(event_id("wh-1", &c1), event_id("wh-1", &c1));
    assert_ne!(event_id("wh-1", &c1), event_id("wh-2", &c1));
    assert_ne!(event_id("wh-1", &c1), event_id("wh-1", &c2));

    // The desk's rulings on the held ones: a released completion counts and enters the feed
    // (when released); a rejected one never does.
    s.decide_completion(
        jobs[3].id,
        Ruling::Release,
        "li.na".into(),
        None,
        t + 200_000,
    )
    .await
    .unwrap();
    s.decide_completion(
        jobs[4].id,
        Ruling::Reject,
        "li.na".into(),
        None,
        t + 201_000,
    )
    .await
    .unwrap();
    assert_eq!(s.sync_feed(t + 202_000).await.unwrap(), 4);
    let tail = s.feed_after(3, 100).await.unwrap();
    assert_eq!(tail.len(), 1);
    assert_eq!(
        (
            tail[0].completion.op_id.as_str(),
            tail[0].completion.state.as_str()
        ),
        (c3.as_str(), "released")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_storage_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    storage_suite(Arc::new(SqliteStorage::open(dir.path()).unwrap())).await;
    // Reopened: the feed and its numbers persist.
    let s = SqliteStorage::open(dir.path()).unwrap();
    use fieldkit_server::storage::webhooks::WebhookStorage;
    assert_eq!(s.feed_after(0, 100).await.unwrap().len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_storage_postgres() {
    let Some(pg) = common::Pg::start() else {
        return;
    };
    storage_suite(Arc::new(
        PostgresStorage::connect(&pg.url, 4).await.unwrap(),
    ))
    .await;
}

// ---------------------------------------------------------------------------------------
// A receiver: plain HTTP/1.1 over TCP, so it can drop a connection or never answer.

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Reply {
    #[default]
    Ok,
    Status(u16),
    /// Closes the connection after reading the request, without an answer.
    Drop,
    /// Never answers (the sender times out).
    Hang,
    /// Answers 200 once the test releases the receiver.
    Hold,
}

/// One request as received.
#[derive(Clone, Debug)]
struct Received {
    delivery: String,
    signature: String,
    body: Vec<u8>,
    reply: Reply,
}

struct Receiver {
    /// The replies to the first requests, in order; later ones get `then`.
    script: Mutex<(Vec<Reply>, Reply)>,
    log: Mutex<Vec<Received>>,
    changed: Notify,
    released: tokio::sync::Semaphore,
}

impl Default for Receiver {
    fn default() -> Self {
        Receiver {
            script: Mutex::default(),
            log: Mutex::default(),
            changed: Notify::new(),
            released: tokio::sync::Semaphore::new(0),
        }
    }
}

impl Receiver {
    fn set(&self, first: Vec<Reply>, then: Reply) {
        *self.script.lock().unwrap() = (first.into_iter().rev().collect(), then);
    }

    fn next_reply(&self) -> Reply {
        let mut s = self.script.lock().unwrap();
        let then = s.1;
        s.0.pop().unwrap_or(then)
    }

    fn log(&self) -> Vec<Received> {
        self.log.lock().unwrap().clone()
    }

    /// Waits until `done(log)` holds, failing after the deadline.
    async fn wait(&self, what: &str, done: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        let until = tokio::time::Instant::now() + DEADLINE;
        loop {
            let changed = self.changed.notified();
            let log = self.log();
            if done(&log) {
                return log;
            }
            if tokio::time::timeout_at(until, changed).await.is_err() {
                panic!(
                    "timed out waiting for {what}; {} requests received",
                    log.len()
                );
            }
        }
    }
}

async fn read_request(
    sock: &mut tokio::net::TcpStream,
) -> Option<(Vec<(String, String)>, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let headers: Vec<(String, String)> = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < len {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some((headers, body))
}

/// Starts a receiver on 127.0.0.1; returns its URL.
async fn receiver(r: Arc<Receiver>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let r = r.clone();
            tokio::spawn(async move {
                // Keep-alive: one connection may carry several requests.
                while let Some((headers, body)) = read_request(&mut sock).await {
                    let get = |k: &str| {
                        headers
                            .iter()
                            .find(|(h, _)| h == k)
                            .map(|(_, v)| v.clone())
                            .unwrap_or_default()
                    };
                    let reply = r.next_reply();
                    r.log.lock().unwrap().push(Received {
                        delivery: get("fieldkit-delivery"),
                        signature: get("fieldkit-signature"),
                        body,
                        reply,
                    });
                    r.changed.notify_waiters();
                    match reply {
                        Reply::Ok | Reply::Status(_) => {
                            let code = match reply {
                                Reply::Status(c) => c,
                                _ => 200,
                            };
                            let res = format!("HTTP/1.1 {code} X\r\ncontent-length: 0\r\n\r\n");
                            if sock.write_all(res.as_bytes()).await.is_err() {
                                return;
                            }
                        }
                        Reply::Hold => {
                            let _permit = r.released.acquire().await;
                            let res = "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
                            if sock.write_all(res.as_bytes()).await.is_err() {
                                return;
                            }
                        }
                        Reply::Drop => return,
                        Reply::Hang => {
                            // Until the sender gives up and closes.
                            let mut b = [0u8; 1];
                            let _ = sock.read(&mut b).await;
                            return;
                        }
                    }
                }
            });
        }
    });
    format!("http://{addr}/hooks/fieldkit")
}

/// Quick retries for the tests, to receivers on loopback (allowed: plain http to
/// 127.0.0.1).
fn fast(c: &mut Config) {
    c.webhook_timeout_ms = 500;
    c.webhook_backoff_ms = 20;
    c.webhook_backoff_cap_ms = 200;
    c.webhook_poll_ms = 50;
    c.webhook_max_attempts = 10;
    c.webhook_allow = vec!["127.0.0.1".parse().unwrap()];
}

/// A technician with a phone (the real core, enrolled over HTTP) that pulled its `n` new
/// jobs (paid repairs, as the server holds them). The desk's catalog must be published
/// (`publish_demo_catalog`).
async fn crew(ts: &TestServer, n: u32) -> (Phone, Vec<WorkOrder>) {
    let t = ts.create_technician("Wang Wei").await;
    let phone = Phone::new(chrono::Utc::now());
    phone.enrol(ts, &t).await;
    let mut jobs = Vec::new();
    for i in 0..n {
        let j = demo::repair_order(100 + i, chrono::Utc::now(), Billing::Paid);
        ts.create_job(&j, Some(&t)).await;
        jobs.push(j);
    }
    phone.sync().await;
    for j in &jobs {
        let held = phone.kit.job(j.id).expect("the job pulled").order;
        assert!(held.checklist.is_some(), "as the server holds it: pinned");
    }
    (phone, jobs)
}

/// The phone walks `jobs` to completion and syncs; returns the completions' op ids. They
/// enter the feed once the server's drawing check has counted them.
async fn complete(phone: &Phone, jobs: &[WorkOrder]) -> Vec<String> {
    let mut ids = Vec::new();
    for j in jobs {
        let record = phone.walk_repair(j.id, &mut |_| None);
        let op = phone
            .job_ops(j.id)
            .into_iter()
            .find(|o| o.seq == record.seq)
            .expect("the completion in the outbox");
        assert_eq!(op.kind, "complete");
        ids.push(op.op_id.to_string());
    }
    let r = phone.sync().await;
    assert_eq!((r.rejected, r.conflicts), (0, 0), "every op applied: {r:?}");
    assert!(phone.outbox().is_empty());
    ids
}

async fn subscribe(ts: &TestServer, url: &str) -> (String, String) {
    let (s, v) = ts
        .admin(
            Method::POST,
            "/v1/admin/webhooks",
            Some(json!({ "url": url })),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let secret = v["secret"].as_str().unwrap().to_owned();
    assert!(secret.len() >= 32);
    (v["id"].as_str().unwrap().to_owned(), secret)
}

/// Polls the list endpoint until `done(subscription)` holds.
async fn wait_listed(ts: &TestServer, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let until = tokio::time::Instant::now() + DEADLINE;
    loop {
        let (s, v) = ts.admin(Method::GET, "/v1/admin/webhooks", None).await;
        assert_eq!(s, 200);
        let w = v
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["id"] == id)
            .cloned()
            .unwrap();
        if done(&w) {
            return w;
        }
        assert!(tokio::time::Instant::now() < until, "timed out: {w}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The completions once the server's drawing check has judged each one (it runs after the
/// push is answered); every one counted.
async fn settled(ts: &TestServer) -> Vec<Value> {
    let until = tokio::time::Instant::now() + DEADLINE;
    loop {
        let (s, v) = ts.admin(Method::GET, "/v1/admin/completions", None).await;
        assert_eq!(s, 200);
        let list = v.as_array().unwrap().clone();
        if list.iter().all(|c| c["checks_pending"] == false) {
            assert!(list.iter().all(|c| c["state"] == "counted"), "{list:?}");
            return list;
        }
        assert!(
            tokio::time::Instant::now() < until,
            "drawing checks still pending: {list:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn body_op(r: &Received) -> String {
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    v["data"]["op_id"].as_str().unwrap().to_owned()
}

async fn deliveries_survive_a_failing_receiver(backend: Backend) {
    let Some(ts) = common::server(backend, fast).await else {
        return;
    };
    ts.publish_demo_catalog().await;
    let rx = Arc::new(Receiver::default());
    rx.set(
        vec![
            Reply::Status(500),
            Reply::Status(500),
            Reply::Drop,
            Reply::Hang,
            Reply::Status(503),
        ],
        Reply::Status(200),
    );
    let url = receiver(rx.clone()).await;
    let (id, secret) = subscribe(&ts, &url).await;
    // Given secrets are accepted too; short ones are not.
    let (s, _) = ts
        .admin(
            Method::POST,
            "/v1/admin/webhooks",
            Some(json!({ "url": url, "secret": "short" })),
        )
        .await;
    assert_eq!(s, 400);
    for bad in [
        json!({ "url": "ftp://x/y" }),
        json!({ "url": url, "events": ["job.eaten"] }),
    ] {
        let (s, _) = ts
            .admin(Method::POST, "/v1/admin/webhooks", Some(bad))
            .await;
        assert_eq!(s, 400);
    }

    let (phone, jobs) = crew(&ts, 6).await;
    // The first completion alone meets every scripted failure, then gets through.
    let mut ops = complete(&phone, &jobs[..1]).await;
    let first = rx
        .wait("the first completion acknowledged", |log| {
            log.iter().any(|r| r.reply == Reply::Status(200))
        })
        .await;
    assert_eq!(first.len(), 6, "five failed attempts, then the 200");
    assert!(first.iter().all(|r| body_op(r) == ops[0]));
    assert!(
        first.iter().all(|r| r.delivery == first[0].delivery),
        "same id on every retry"
    );
    ops.extend(complete(&phone, &jobs[1..4]).await);
    ops.extend(complete(&phone, &jobs[4..]).await);
    let expected: BTreeSet<String> = ops.iter().cloned().collect();

    let log = rx
        .wait("every completion acknowledged", |log| {
            let ok: BTreeSet<String> = log
                .iter()
                .filter(|r| r.reply == Reply::Status(200))
                .map(body_op)
                .collect();
            ok == expected
        })
        .await;
    let listed = wait_listed(&ts, &id, |w| w["delivered"] == 6 && w["pending"] == 0).await;
    assert_eq!(listed["failed"], 0);
    assert!(listed.get("secret").is_none(), "the list shows no secret");

    // Every request: signed, its header id is its body id, and one id per completion.
    let now = chrono::Utc::now().timestamp();
    let mut ids: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in &log {
        assert_eq!(verify(&secret, &r.signature, &r.body, now, 300), Ok(()));
        let e: WebhookEvent = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(e.id, r.delivery);
        assert_eq!(e.kind, "work_order.completed");
        assert_eq!(e.id, event_id(&id, &e.data.op_id));
        ids.entry(e.data.op_id.clone()).or_default().insert(e.id);
        // No customer data in what leaves the server.
        let text = String::from_utf8_lossy(&r.body);
        for j in &jobs {
            for pii in [&j.customer.name, &j.customer.phone, &j.site.address] {
                assert!(!text.contains(pii.as_str()), "personal data in a webhook");
            }
        }
    }
    assert_eq!(
        ids.keys().cloned().collect::<BTreeSet<_>>(),
        expected,
        "none lost"
    );
    assert!(
        ids.values().all(|s| s.len() == 1),
        "one event id per completion"
    );
    let failures = log.iter().filter(|r| r.reply != Reply::Status(200)).count();
    assert_eq!(failures, 5, "the scripted failures were all met");
    // The receiver saw some completions more than once (each failed attempt is retried).
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &log {
        *seen.entry(r.delivery.as_str()).or_default() += 1;
    }
    let duplicates: usize = seen.values().map(|n| n - 1).sum();
    assert_eq!(log.len(), 6 + duplicates);
    assert_eq!(
        duplicates, 5,
        "each failed attempt was retried, with the same id"
    );
    let max_attempts = seen.values().max().copied().unwrap_or(0);
    eprintln!(
        "{backend:?}: {} requests for 6 completions, {duplicates} duplicates (same ids), \
         at most {max_attempts} attempts for one",
        log.len()
    );

    // The receiver's check refuses tampering, the wrong secret and an old timestamp.
    let genuine = &log[log.len() - 1];
    let mut tampered = genuine.body.clone();
    let at = tampered.iter().position(|b| *b == b'"').unwrap();
    tampered.insert(at, b' ');
    assert_eq!(
        verify(&secret, &genuine.signature, &tampered, now, 300),
        Err(VerifyError::Mismatch)
    );
    let flipped = String::from_utf8(genuine.body.clone())
        .unwrap()
        .replace("\"applied\"", "\"conflict\"")
        .replace("\"work_order.completed\"", "\"work_order.complete_\"");
    assert_eq!(
        verify(&secret, &genuine.signature, flipped.as_bytes(), now, 300),
        Err(VerifyError::Mismatch)
    );
    assert_eq!(
        verify("whsec_wrong", &genuine.signature, &genuine.body, now, 300),
        Err(VerifyError::Mismatch)
    );
    assert_eq!(
        verify(&secret, &genuine.signature, &genuine.body, now + 3600, 300),
        Err(VerifyError::Stale)
    );

    // A subscription whose receiver is gone: failed after the last attempt, visible, and
    // redelivered on request.
    let gone = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let gone_url = format!("http://{}/hook", gone.local_addr().unwrap());
    drop(gone);
    let (dead, _) = subscribe(&ts, &gone_url).await;
    let more = crew(&ts, 2).await;
    complete(&more.0, &more.1).await;
    let w = wait_listed(&ts, &dead, |w| w["failed"] == 2).await;
    assert_eq!(w["delivered"], 0);
    assert_eq!(w["last_error"], "connection failed");
    let (s, v) = ts
        .admin(
            Method::POST,
            &format!("/v1/admin/webhooks/{dead}/redeliver"),
            None,
        )
        .await;
    assert_eq!((s, &v["requeued"]), (200, &json!(2)));
    let (s, _) = ts
        .admin(Method::DELETE, &format!("/v1/admin/webhooks/{dead}"), None)
        .await;
    assert_eq!(s, 204);
    let (s, _) = ts
        .admin(Method::DELETE, &format!("/v1/admin/webhooks/{dead}"), None)
        .await;
    assert_eq!(s, 404);
    // The first subscription got the two new completions as well.
    wait_listed(&ts, &id, |w| w["delivered"] == 8).await;
    ts.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_sqlite_nothing_lost_same_ids_signed() {
    deliveries_survive_a_failing_receiver(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_postgres_nothing_lost_same_ids_signed() {
    deliveries_survive_a_failing_receiver(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_server_delivers_what_the_stopped_one_did_not() {
    let ts = common::server(Backend::Sqlite, fast).await.unwrap();
    ts.publish_demo_catalog().await;
    let rx = Arc::new(Receiver::default());
    rx.set(vec![], Reply::Status(503));
    let url = receiver(rx.clone()).await;
    let (id, secret) = subscribe(&ts, &url).await;
    let (phone, jobs) = crew(&ts, 3).await;
    let ops: BTreeSet<String> = complete(&phone, &jobs).await.into_iter().collect();
    // Each completion attempted (and refused) at least once, then the server stops.
    let before = rx
        .wait("a first attempt of each", |log| {
            log.iter().map(body_op).collect::<BTreeSet<_>>() == ops
        })
        .await;
    let TestServer {
        server, dir, admin, ..
    } = ts;
    server.shutdown().await.unwrap();
    let ids_before: BTreeSet<String> = before.iter().map(|r| r.delivery.clone()).collect();

    rx.set(vec![], Reply::Status(200));
    let mut config = Config::for_tests(dir.path().join("server"));
    fast(&mut config);
    let server = Server::start(config).await.unwrap();
    assert_eq!(server.admin_token(), admin);
    let ok = rx
        .wait("every completion delivered after the restart", |log| {
            log.iter()
                .filter(|r| r.reply == Reply::Status(200))
                .map(body_op)
                .collect::<BTreeSet<_>>()
                == ops
        })
        .await;
    let now = chrono::Utc::now().timestamp();
    let ids_after: BTreeSet<String> = ok
        .iter()
        .filter(|r| r.reply == Reply::Status(200))
        .map(|r| {
            assert_eq!(verify(&secret, &r.signature, &r.body, now, 300), Ok(()));
            r.delivery.clone()
        })
        .collect();
    assert_eq!(
        ids_before, ids_after,
        "the same event ids across the restart"
    );
    let client = common::client();
    let list: Value = client
        .get(format!("http://{}/v1/admin/webhooks", server.addr()))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let w = list
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["id"] == id)
        .unwrap()
        .clone();
    // Recorded right after the 200 was read: poll briefly for the last one.
    let until = tokio::time::Instant::now() + DEADLINE;
    let mut w = w;
    while w["delivered"] != 3 {
        assert!(tokio::time::Instant::now() < until, "{w}");
        tokio::time::sleep(Duration::from_millis(20)).await;
        let list: Value = client
            .get(format!("http://{}/v1/admin/webhooks", server.addr()))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        w = list
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["id"] == id)
            .unwrap()
            .clone();
    }
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_receiver_does_not_hold_up_pushes() {
    let ts = common::server(Backend::Sqlite, |c| {
        fast(c);
        c.webhook_timeout_ms = 120_000;
        c.webhook_concurrency = 2;
    })
    .await
    .unwrap();
    ts.publish_demo_catalog().await;
    let rx = Arc::new(Receiver::default());
    rx.set(vec![], Reply::Hold);
    let url = receiver(rx.clone()).await;
    let (id, _) = subscribe(&ts, &url).await;
    let (phone, jobs) = crew(&ts, 5).await;
    let mut ops = complete(&phone, &jobs[..1]).await;
    rx.wait("an attempt held by the receiver", |log| !log.is_empty())
        .await;
    // Every attempt in flight is held: the pushes still return, one by one.
    for j in &jobs[1..] {
        let push = complete(&phone, std::slice::from_ref(j));
        ops.extend(
            tokio::time::timeout(DEADLINE, push)
                .await
                .expect("a push returns while the receiver holds the deliveries"),
        );
    }
    assert!(rx.log().iter().all(|r| r.reply == Reply::Hold));
    rx.released.add_permits(1_000);
    let log = rx
        .wait("all delivered once released", |log| {
            log.iter().map(body_op).collect::<BTreeSet<_>>() == ops.iter().cloned().collect()
        })
        .await;
    assert_eq!(log.len(), 5, "no attempt was given up while held");
    wait_listed(&ts, &id, |w| w["delivered"] == 5).await;
    ts.server.shutdown().await.unwrap();
}

// ---------------------------------------------------------------------------------------
// Server-sent events.

struct Sse {
    res: reqwest::Response,
    buf: String,
}

/// One event: (id, event, data).
type SseEvent = (i64, String, Value);

impl Sse {
    async fn open(ts: &TestServer, last_event_id: Option<i64>) -> Sse {
        let mut r = ts.dispatcher(Method::GET, "/v1/admin/completions/stream");
        if let Some(id) = last_event_id {
            r = r.header("last-event-id", id.to_string());
        }
        let res = r.send().await.unwrap();
        assert_eq!(res.status().as_u16(), 200);
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/event-stream")
        );
        Sse {
            res,
            buf: String::new(),
        }
    }

    async fn next(&mut self) -> SseEvent {
        let until = tokio::time::Instant::now() + DEADLINE;
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let (mut id, mut event, mut data) = (None, String::new(), String::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = Some(v.trim().parse::<i64>().unwrap());
                    } else if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim());
                    }
                }
                // Keep-alive comments have no id.
                if let Some(id) = id {
                    return (id, event, serde_json::from_str(&data).unwrap());
                }
                continue;
            }
            let chunk = tokio::time::timeout_at(until, self.res.chunk())
                .await
                .expect("an event before the deadline")
                .unwrap()
                .expect("the stream stays open");
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sse_streams_completions_and_resumes_from_last_event_id() {
    let ts = common::server(Backend::Sqlite, fast).await.unwrap();
    ts.publish_demo_catalog().await;
    let (phone, jobs) = crew(&ts, 4).await;

    let mut live = Sse::open(&ts, None).await;
    let a = complete(&phone, &jobs[..1]).await;
    let (id_a, kind, data) = live.next().await;
    assert_eq!(kind, "work_order.completed");
    assert_eq!(data["op_id"], a[0].as_str());
    assert_eq!(data["work_order_id"], jobs[0].id.to_string());
    let text = data.to_string();
    assert!(!text.contains(&jobs[0].customer.name) && !text.contains(&jobs[0].customer.phone));
    drop(live);

    // Missed while disconnected: exactly those, in order, then live again.
    let missed = complete(&phone, &jobs[1..3]).await;
    // Counted (in the feed) before the stream reconnects: replayed from the cursor.
    assert_eq!(settled(&ts).await.len(), 3);
    let mut resumed = Sse::open(&ts, Some(id_a)).await;
    let (id_b, _, b) = resumed.next().await;
    let (id_c, _, c) = resumed.next().await;
    assert_eq!(
        (b["op_id"].as_str(), c["op_id"].as_str()),
        (Some(missed[0].as_str()), Some(missed[1].as_str()))
    );
    assert!(id_a < id_b && id_b < id_c);
    let d = complete(&phone, &jobs[3..]).await;
    let pushed = std::time::Instant::now();
    let (id_d, _, dd) = resumed.next().await;
    eprintln!("SSE: event {:?} after the push returned", pushed.elapsed());
    assert_eq!(dd["op_id"], d[0].as_str());
    drop(resumed);
    let mut again = Sse::open(&ts, Some(id_c)).await;
    assert_eq!(
        again.next().await.0,
        id_d,
        "only what came after the cursor"
    );
    drop(again);

    // A cursor that is not one of ours is refused.
    let r = ts
        .dispatcher(Method::GET, "/v1/admin/completions/stream")
        .header("last-event-id", "yesterday")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    // An open stream does not hold up shutdown.
    let open = Sse::open(&ts, None).await;
    ts.server.shutdown().await.unwrap();
    drop(open);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loopback_receiver_is_refused_unless_allowed() {
    // No allow-list: https only, and never to an internal address.
    let ts = common::server(Backend::Sqlite, |c| {
        fast(c);
        c.webhook_allow.clear();
        c.webhook_max_attempts = 1;
    })
    .await
    .unwrap();
    ts.publish_demo_catalog().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    for url in [
        format!("http://127.0.0.1:{port}/hook"),
        format!("https://127.0.0.1:{port}/hook"),
        format!("https://[::1]:{port}/hook"),
        format!("https://[::ffff:127.0.0.1]:{port}/hook"),
        format!("https://2130706433:{port}/hook"),
        format!("https://169.254.169.254:{port}/latest/meta-data"),
        format!("http://receiver.example.com:{port}/hook"),
    ] {
        let (s, v) = ts
            .admin(
                Method::POST,
                "/v1/admin/webhooks",
                Some(json!({ "url": url })),
            )
            .await;
        assert_eq!(s, 400, "{url}: {v}");
        assert_eq!(v["code"], "bad_request");
    }
    // A name is checked as resolved, at each delivery: `localhost` is loopback.
    let (id, _) = subscribe(&ts, &format!("https://localhost:{port}/hook")).await;
    let (phone, jobs) = crew(&ts, 1).await;
    complete(&phone, &jobs).await;
    let w = wait_listed(&ts, &id, |w| w["failed"] == 1).await;
    assert_eq!(w["last_error"], "address not allowed");
    assert_eq!(w["delivered"], 0);
    // Refused before connecting: the listener was never connected to (whether a port
    // answers cannot be learned from last_error).
    assert!(
        futures::FutureExt::now_or_never(listener.accept()).is_none(),
        "a connection reached the internal address"
    );
    ts.server.shutdown().await.unwrap();

    // Allowed: the same loopback receiver gets its delivery over plain http.
    let ts = common::server(Backend::Sqlite, fast).await.unwrap();
    ts.publish_demo_catalog().await;
    let rx = Arc::new(Receiver::default());
    rx.set(vec![], Reply::Status(200));
    let url = receiver(rx.clone()).await;
    let (id, _) = subscribe(&ts, &url).await;
    let (phone, jobs) = crew(&ts, 1).await;
    complete(&phone, &jobs).await;
    let w = wait_listed(&ts, &id, |w| w["delivered"] == 1).await;
    assert_eq!(w["last_error"], Value::Null);
    assert_eq!(rx.log().len(), 1);
    ts.server.shutdown().await.unwrap();
}
