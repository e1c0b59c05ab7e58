//! The load shared by the push benchmarks (`sync_load`, `fleet_load`): device journals made
//! by real cores walking one visit each, their outboxes as signed (and gzipped) push bodies,
//! the replay of those bodies by a light HTTP client per device, and one push as the sync
//! client sends it.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use fieldkit_core::clock::ManualClock;
use fieldkit_core::model::*;
use fieldkit_core::sync::protocol::{
    DEVICE_TIME, Op, OpOutcome, PUSH_SIGNATURE, PushRequest, PushResponse,
};
use fieldkit_core::{DeviceConfig, FieldKit, demo};

use super::{Samples, load_average};

#[path = "../../examples/demo/walk.rs"]
pub mod walk;

pub type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// One simulated device: its id, its job and its journal.
pub struct Journal {
    pub device: DeviceId,
    pub order: WorkOrder,
    pub ops: Vec<Op>,
}

/// A device ready to push: where (its server's push URL), its token and pre-encoded bodies
/// (bytes, gzipped, ops, signature).
pub struct Ready {
    pub url: String,
    pub token: String,
    pub bodies: Vec<Body>,
}

/// One push body as sent: the bytes, whether gzipped, how many ops, the device's signature
/// (over the JSON before gzip), and the JSON itself (for the signature-cost table).
pub struct Body {
    pub bytes: Vec<u8>,
    pub gzip: bool,
    pub ops: usize,
    pub signature: String,
    pub json: Vec<u8>,
}

/// What one load run measured.
pub struct Outcome {
    pub label: String,
    pub latency: Samples,
    pub applied: usize,
    pub other: usize,
    pub pushes: usize,
    pub wall: Duration,
    pub load: String,
}

/// Real cores walk one visit each (two threads), and hand over their outboxes.
pub async fn make_journals(devices: usize, root: &std::path::Path) -> Res<Vec<Journal>> {
    let kinds = [
        (JobKind::Repair, Billing::Paid),
        (JobKind::Installation, Billing::Warranty),
        (JobKind::Delivery, Billing::Warranty),
        (JobKind::Repair, Billing::Warranty),
        (JobKind::FollowUp, Billing::Warranty),
    ];
    let mut tasks = Vec::new();
    for part in 0..2usize {
        let root = root.join("phones");
        tasks.push(tokio::task::spawn_blocking(move || -> Res<Vec<Journal>> {
            let mut out = Vec::new();
            for d in (part..devices).step_by(2) {
                let morning = Utc::now() - chrono::Duration::hours(10);
                let clock = Arc::new(ManualClock::new(morning));
                let dir = root.join(format!("phone-{d}"));
                let kit = FieldKit::open_with_clock(&dir, DeviceConfig::default(), clock.clone())?;
                demo::stock_the_van(&kit)?;
                let (kind, billing) = kinds[d % kinds.len()];
                let order = walk::order(
                    d as u32,
                    kind,
                    billing,
                    morning + chrono::Duration::hours(1),
                );
                kit.receive_work_order(&order)?;
                walk::walk_visit(&kit, order.id, &mut || {
                    clock.advance(chrono::Duration::minutes(2))
                })?;
                out.push(Journal {
                    device: kit.device_id(),
                    order,
                    ops: kit.pending_ops(i64::MAX)?,
                });
                drop(kit);
                let _ = std::fs::remove_dir_all(&dir);
            }
            Ok(out)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    Ok(all)
}

/// A device's journal as push bodies of `batch` ops, signed with the device's key and
/// gzipped above 1 KiB, as the sync client sends them.
/// `sign` gives the device's signature of a JSON body.
pub fn bodies(ops: &[Op], batch: usize, sign: &dyn Fn(&[u8]) -> Option<String>) -> Res<Vec<Body>> {
    ops.chunks(batch)
        .map(|ops| {
            let json = serde_json::to_vec(&PushRequest { ops: ops.to_vec() })?;
            let signature = sign(&json).ok_or("the device was not enrolled by the bench")?;
            let (bytes, gzip) = if json.len() <= 1024 {
                (json.clone(), false)
            } else {
                let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                gz.write_all(&json)?;
                (gz.finish()?, true)
            };
            Ok(Body {
                bytes,
                gzip,
                ops: ops.len(),
                signature,
                json,
            })
        })
        .collect()
}

/// Every device pushes its bodies to its own URL (its own connection), all at once (`pace`
/// `None`) or one body every `pace` from a random phase; latencies, outcomes and the wall
/// time.
pub async fn run_load(ready: Vec<Ready>, pace: Option<Duration>, label: String) -> Res<Outcome> {
    let go = Arc::new(tokio::sync::Barrier::new(ready.len() + 1));
    let mut tasks = Vec::new();
    for (i, dev) in ready.into_iter().enumerate() {
        let (url, go) = (dev.url.clone(), go.clone());
        // Each device its own client, so its own connection.
        let client = super::testing::client();
        let phase = pace.map(|p| p.mul_f64((i as f64 * 0.618_034) % 1.0));
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let (mut applied, mut other) = (0usize, 0usize);
            go.wait().await;
            let start = tokio::time::Instant::now();
            if let Some(p) = phase {
                tokio::time::sleep(p).await;
            }
            for (k, body) in dev.bodies.into_iter().enumerate() {
                if let (Some(p), Some(ph)) = (pace, phase) {
                    tokio::time::sleep_until(start + ph + p * k as u32).await;
                }
                let n = body.ops;
                let (took, r) = push_body(&client, &url, &dev.token, body).await?;
                lat.push(took);
                assert_eq!(r.results.len(), n);
                for x in &r.results {
                    match x.outcome {
                        OpOutcome::Applied => applied += 1,
                        _ => other += 1,
                    }
                }
            }
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>((lat, applied, other))
        }));
    }
    eprintln!("load starts: {label}");
    go.wait().await;
    let t = Instant::now();
    let mut latency = Samples::new(label.clone());
    let (mut applied, mut other, mut pushes) = (0, 0, 0);
    for task in tasks {
        let (lat, a, o) = task.await??;
        pushes += lat.len();
        for d in lat {
            latency.push(d);
        }
        applied += a;
        other += o;
    }
    let wall = t.elapsed();
    Ok(Outcome {
        label,
        latency,
        applied,
        other,
        pushes,
        wall,
        load: load_average(),
    })
}

/// One push request as the sync client sends it (device-time header, gzip when `gzip`): how
/// long it took and the answer.
pub async fn push_body(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    body: Body,
) -> Res<(Duration, PushResponse)> {
    let t = Instant::now();
    let mut req = client
        .post(url)
        .bearer_auth(token)
        .header("content-type", "application/json")
        .header(DEVICE_TIME, Utc::now().timestamp_millis().to_string())
        .header(PUSH_SIGNATURE, body.signature)
        .body(body.bytes);
    if body.gzip {
        req = req.header("content-encoding", "gzip");
    }
    let res = req.send().await?;
    let status = res.status();
    let bytes = res.bytes().await?;
    let took = t.elapsed();
    if !status.is_success() {
        return Err(format!("push: {status} {}", String::from_utf8_lossy(&bytes)).into());
    }
    Ok((took, serde_json::from_slice(&bytes)?))
}
