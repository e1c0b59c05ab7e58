//! Work across two instances on one PostgreSQL, end to end: two technicians' phones push
//! their completions through different instances; every completion's drawing check is done
//! and counted, and every completion reaches a webhook receiver once, under one event id,
//! whichever instance's worker claimed it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use crate::common::Pg;
use crate::common::journal::{complete, crew};
use crate::instances::{instance, until};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What a receiver got: event id → op ids of the bodies carrying it.
type Log = Arc<Mutex<BTreeMap<String, Vec<String>>>>;

/// A webhook receiver on 127.0.0.1 answering 200 to every request (one per connection);
/// its URL.
async fn receiver(log: Log) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let log = log.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 8192];
                let (head_end, len) = loop {
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..i]).to_ascii_lowercase();
                        let len = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        break (i + 4, len);
                    }
                    match sock.read(&mut chunk).await {
                        Ok(n) if n > 0 => buf.extend_from_slice(&chunk[..n]),
                        _ => return,
                    }
                };
                while buf.len() < head_end + len {
                    match sock.read(&mut chunk).await {
                        Ok(n) if n > 0 => buf.extend_from_slice(&chunk[..n]),
                        _ => return,
                    }
                }
                let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
                let id = head
                    .lines()
                    .find_map(|l| l.strip_prefix("fieldkit-delivery:"))
                    .map(|v| v.trim().to_owned())
                    .unwrap_or_default();
                let body: Value = serde_json::from_slice(&buf[head_end..]).unwrap_or_default();
                let op = body["data"]["op_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                log.lock().unwrap().entry(id).or_default().push(op);
                let _ = sock
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
            });
        }
    });
    format!("http://{addr}/hooks")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completions_through_two_instances_are_checked_and_delivered_once() {
    let Some(pg) = Pg::start() else { return };
    let tweak = |c: &mut fieldkit_server::Config| {
        c.webhook_timeout_ms = 2_000;
        c.webhook_backoff_ms = 20;
        c.webhook_backoff_cap_ms = 200;
        c.webhook_poll_ms = 50;
        c.webhook_allow = vec!["127.0.0.1".parse().unwrap()];
        c.drawing_rescan_ms = 50;
    };
    let a = instance(&pg, tweak).await;
    let b = instance(&pg, tweak).await;
    a.publish_demo_catalog().await;
    let log: Log = Default::default();
    let url = receiver(log.clone()).await;
    let (s, v) = b
        .admin(
            Method::POST,
            "/v1/admin/webhooks",
            Some(json!({ "url": url })),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();

    let (wang, wang_jobs) = crew(&a, "Wang Wei", 100, 3).await;
    let (li, li_jobs) = crew(&b, "Li Na", 100, 3).await;
    let (mut ops, more) = tokio::join!(complete(&wang, &wang_jobs), complete(&li, &li_jobs));
    ops.extend(more);
    ops.sort();

    // Checked and counted, whichever instance took each check; seen alike from both.
    for ts in [&a, &b] {
        let list = ts.settled_completions().await;
        assert_eq!(list.len(), 6);
        assert!(list.iter().all(|c| c["state"] == "counted"), "{list:?}");
    }
    // Delivered: each completion once, one event id each.
    until("every completion delivered", || async {
        let (_, v) = a.admin(Method::GET, "/v1/admin/webhooks", None).await;
        v.as_array()
            .unwrap()
            .iter()
            .any(|w| w["id"] == id && w["delivered"] == 6 && w["pending"] == 0)
    })
    .await;
    let log = log.lock().unwrap().clone();
    assert_eq!(log.len(), 6, "six event ids: {log:?}");
    assert!(
        log.values().all(|ops| ops.len() == 1),
        "each delivered once: {log:?}"
    );
    let mut delivered: Vec<String> = log.values().flatten().cloned().collect();
    delivered.sort();
    assert_eq!(delivered, ops);
    b.server.shutdown().await.unwrap();
    a.server.shutdown().await.unwrap();
}
