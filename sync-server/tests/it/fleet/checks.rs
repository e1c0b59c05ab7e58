//! The fleet test's checks after the kills: ops, blobs, drawing checks, webhooks.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use chrono::Utc;
use fieldkit_server::storage::webhooks::event_id;
use fieldkit_server::webhooks::{WebhookEvent, verify};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::desk::Delivery;
use super::devices::DeviceRun;

/// What the checks counted.
pub struct Totals {
    pub ops: usize,
    pub files: usize,
    pub duplicate_acks: usize,
}

/// The checks of the module's doc, against the server's database, blob directory and the
/// receiver's log.
#[allow(clippy::too_many_arguments)]
pub async fn check_all(
    db: &tokio_postgres::Client,
    runs: &[DeviceRun],
    completions: &[Value],
    done: &BTreeSet<String>,
    blob_dir: &Path,
    log: &[Delivery],
    subscription: &str,
    secret: &str,
) -> Result<Totals, String> {
    let q = |e: tokio_postgres::Error| format!("query: {e}");
    // Ops: each device's are exactly its journal, applied, once.
    let mut ops = 0;
    for run in runs {
        let rows = db
            .query(
                "SELECT seq, op_id, outcome FROM ops WHERE device_id = $1 ORDER BY seq",
                &[&run.device_id],
            )
            .await
            .map_err(q)?;
        let stored: Vec<(i64, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        if stored != run.journal {
            let lost = run.journal.iter().filter(|o| !stored.contains(o)).count();
            let extra = stored.iter().filter(|o| !run.journal.contains(o)).count();
            return Err(format!(
                "device {}: the server holds {} ops, the journal {} ({lost} lost, {extra} \
                 not the device's)",
                run.device_id,
                stored.len(),
                run.journal.len()
            ));
        }
        if let Some(r) = rows.iter().find(|r| r.get::<_, String>(2) != "applied") {
            return Err(format!(
                "device {}: op {} is {}",
                run.device_id,
                r.get::<_, String>(1),
                r.get::<_, String>(2)
            ));
        }
        let last: i64 = db
            .query_one(
                "SELECT last_seq FROM devices WHERE id = $1",
                &[&run.device_id],
            )
            .await
            .map_err(q)?
            .get(0);
        if last != stored.len() as i64 {
            return Err(format!(
                "device {}: last_seq {last} with {} ops",
                run.device_id,
                stored.len()
            ));
        }
        ops += stored.len();
    }
    let all: i64 = db
        .query_one("SELECT count(*) FROM ops", &[])
        .await
        .map_err(q)?
        .get(0);
    if all as usize != ops {
        return Err(format!("the server holds {all} ops, the journals {ops}"));
    }

    // Blobs: every file whole under its hash.
    let mut files = 0;
    for run in runs {
        for (sha, local) in &run.files {
            let remote = std::fs::read(blob_dir.join("blobs").join(sha))
                .map_err(|e| format!("file {sha} is not in the blob store: {e}"))?;
            if hex::encode(Sha256::digest(&remote)) != *sha || remote != *local {
                return Err(format!("file {sha} is corrupt in the blob store"));
            }
            files += 1;
        }
    }

    // Drawing checks: none waiting, one standing counted completion per done job, no flag
    // twice (none at all), one feed entry per completion.
    let waiting: i64 = db
        .query_one("SELECT count(*) FROM drawing_checks", &[])
        .await
        .map_err(q)?
        .get(0);
    if waiting != 0 {
        return Err(format!("{waiting} drawing checks still waiting"));
    }
    let listed: BTreeSet<String> = completions
        .iter()
        .filter_map(|c| c["work_order_id"].as_str().map(str::to_owned))
        .collect();
    if listed != *done || completions.len() != done.len() {
        return Err(format!(
            "{} completions listed for {} jobs completed on the devices",
            completions.len(),
            done.len()
        ));
    }
    if let Some(c) = completions
        .iter()
        .find(|c| c["state"] != "counted" || c["flags"] != json!([]))
    {
        return Err(format!("a completion not counted cleanly: {c}"));
    }
    let rows = db
        .query(
            "SELECT work_order_id, state, counted_at IS NOT NULL FROM completions",
            &[],
        )
        .await
        .map_err(q)?;
    let mut per_job: HashMap<String, usize> = HashMap::new();
    for r in &rows {
        *per_job.entry(r.get(0)).or_default() += 1;
        if r.get::<_, String>(1) != "counted" || !r.get::<_, bool>(2) {
            return Err(format!(
                "completion of job {} is not counted",
                r.get::<_, String>(0)
            ));
        }
    }
    if let Some((job, n)) = per_job.iter().find(|(_, n)| **n != 1) {
        return Err(format!("job {job} has {n} completions"));
    }
    let twice = db
        .query(
            "SELECT op_id, kind, detail, count(*) FROM flags WHERE op_id IS NOT NULL
              GROUP BY op_id, kind, detail HAVING count(*) > 1",
            &[],
        )
        .await
        .map_err(q)?;
    if let Some(r) = twice.first() {
        return Err(format!(
            "flag {} raised {} times for op {} (a drawing check done twice)",
            r.get::<_, String>(1),
            r.get::<_, i64>(3),
            r.get::<_, String>(0)
        ));
    }
    let flags: i64 = db
        .query_one("SELECT count(*) FROM flags WHERE kind = 'signature'", &[])
        .await
        .map_err(q)?
        .get(0);
    if flags != 0 {
        return Err(format!("{flags} signature flags on honest drawings"));
    }
    // Each check finished once: one finishing statement per check (two instances that took
    // the same check both finish it, the second deleting nothing).
    let r = db
        .query_one(
            "SELECT (SELECT count(*) FROM fleet_drawing_checks),
                    (SELECT count(*) FROM fleet_drawing_finishes)",
            &[],
        )
        .await
        .map_err(q)?;
    let (checks, finishes): (i64, i64) = (r.get(0), r.get(1));
    if checks as usize != completions.len() {
        return Err(format!(
            "{checks} drawing checks stored for {} completions",
            completions.len()
        ));
    }
    // Reported last, so that a failure here says every other check passed.
    let twice_done = (finishes > checks).then(|| {
        format!(
            "drawing checks finished {finishes} times for {checks} checks: a check was taken \
             and done by more than one instance (every other check passed)"
        )
    });
    let feed: i64 = db
        .query_one("SELECT count(*) FROM completion_feed", &[])
        .await
        .map_err(q)?
        .get(0);
    if feed as usize != completions.len() {
        return Err(format!(
            "{feed} completions-feed entries for {} completions",
            completions.len()
        ));
    }

    // Webhooks: signed, header id = body id = the stable id, one id per completion, every
    // completion acknowledged, the server's deliveries all delivered.
    let now = Utc::now().timestamp();
    let mut ids: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut acks: BTreeMap<String, usize> = BTreeMap::new();
    for d in log {
        verify_signature(secret, d, now)?;
        let e: WebhookEvent =
            serde_json::from_slice(&d.body).map_err(|e| format!("a webhook body: {e}"))?;
        if e.id != d.id || e.id != event_id(subscription, &e.data.op_id) {
            return Err(format!(
                "delivery id {} / body id {} for op {}",
                d.id, e.id, e.data.op_id
            ));
        }
        ids.entry(e.data.op_id.clone()).or_default().insert(e.id);
        if d.status == 200 {
            *acks.entry(e.data.op_id).or_default() += 1;
        }
    }
    let ops_delivered: BTreeSet<String> = ids.keys().cloned().collect();
    let completion_ops: BTreeSet<String> = completions
        .iter()
        .filter_map(|c| c["op_id"].as_str().map(str::to_owned))
        .collect();
    if ops_delivered != completion_ops {
        return Err(format!(
            "webhooks for {} ops, {} completions",
            ops_delivered.len(),
            completion_ops.len()
        ));
    }
    if let Some((op, set)) = ids.iter().find(|(_, s)| s.len() != 1) {
        return Err(format!(
            "op {op} was delivered under {} event ids",
            set.len()
        ));
    }
    let delivered: i64 = db
        .query_one(
            "SELECT count(*) FROM webhook_deliveries WHERE status = 'delivered'",
            &[],
        )
        .await
        .map_err(q)?
        .get(0);
    if delivered as usize != completion_ops.len() {
        return Err(format!(
            "{delivered} webhook deliveries marked delivered for {} completions",
            completion_ops.len()
        ));
    }
    if let Some(problem) = twice_done {
        return Err(problem);
    }
    Ok(Totals {
        ops,
        files,
        duplicate_acks: acks.values().map(|n| n - 1).sum(),
    })
}

pub fn verify_signature(secret: &str, d: &Delivery, now: i64) -> Result<(), String> {
    verify(secret, &d.signature, &d.body, now, 600)
        .map_err(|e| format!("delivery {}: signature {e:?}", d.id))
}
