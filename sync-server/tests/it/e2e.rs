//! End to end over HTTP on 127.0.0.1: a real device (the core, its own database) enrols,
//! pulls a job, does the visit offline, pushes its real outbox; retries, tampering, gaps,
//! a completion after cancellation, and resumable blob uploads. Run on both backends.

use crate::common::{self, Backend, TestServer, hostile, to_wire};
use fieldkit_core::model::*;
use fieldkit_core::sync::protocol::*;
use fieldkit_core::{DeviceConfig, FieldKit, demo};
use reqwest::Method;
use serde_json::{Value, json};

async fn push(ts: &TestServer, token: &str, ops: &[Op]) -> PushResponse {
    ts.push_ops(token, ops).await
}

async fn pull_all(ts: &TestServer, token: &str) -> Vec<ChangeEntry> {
    let mut cursor = 0;
    let mut out = Vec::new();
    loop {
        let res = ts
            .client
            .get(ts.url(&format!("/v1/pull?cursor={cursor}&limit=2")))
            .bearer_auth(token)
            .send()
            .await
            .expect("pull");
        assert_eq!(res.status().as_u16(), 200);
        let page: PullResponse = res.json().await.expect("pull body");
        assert!(page.changes.len() <= 2);
        out.extend(page.changes);
        cursor = page.cursor;
        if !page.more {
            return out;
        }
    }
}

/// Another phone of `technician`: enrolled, its jobs and the desk's catalog pulled, its van
/// stocked; with the directory it lives in and its token.
async fn phone_with_jobs(
    ts: &TestServer,
    technician: &str,
) -> (FieldKit, tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let kit = FieldKit::open(dir.path(), DeviceConfig::default()).unwrap();
    let token = ts.enrol(technician, kit.device_id()).await.token;
    for c in pull_all(ts, &token).await {
        match &c.change {
            Change::WorkOrder { work_order } => kit.receive_work_order(work_order).unwrap(),
            Change::FeeSchedule { fee_schedule } => kit.set_fee_schedule(fee_schedule).unwrap(),
            Change::CatalogPart { part } => kit.add_catalog_part(part).unwrap(),
            _ => {}
        }
    }
    kit.issue_stock("PUMP-220", 2).unwrap();
    (kit, dir, token)
}

fn outbox(kit: &FieldKit) -> Vec<Op> {
    kit.pending_ops(10_000)
        .expect("outbox")
        .iter()
        .map(to_wire)
        .collect()
}

async fn device_sync_scenario(backend: Backend) {
    let Some(ts) = common::server(backend, |_| {}).await else {
        return;
    };
    let wang = ts.create_technician("Wang Wei").await;
    let li = ts.create_technician("Li Na").await;
    let dir = tempfile::tempdir().unwrap();
    let kit = FieldKit::open(dir.path(), DeviceConfig::default()).unwrap();
    let enrolled = ts.enrol(&wang, kit.device_id()).await;
    assert_eq!(enrolled.technician_id, wang);
    let token = enrolled.token.clone();

    // The desk creates and assigns two jobs; the device pulls them.
    let now = chrono::Utc::now();
    let job1 = demo::repair_order(1, now, Billing::Paid);
    let job2 = demo::repair_order(2, now, Billing::Paid);
    ts.create_job(&job1, Some(&wang)).await;
    ts.create_job(&job2, Some(&wang)).await;
    let foreign = demo::repair_order(3, now, Billing::Warranty);
    ts.create_job(&foreign, Some(&li)).await;
    // Two more of Wang's, walked later by his second and third phones.
    let job4 = demo::repair_order(4, now, Billing::Paid);
    let job5 = demo::repair_order(5, now, Billing::Paid);
    ts.create_job(&job4, Some(&wang)).await;
    ts.create_job(&job5, Some(&wang)).await;
    ts.publish_demo_catalog().await;
    let changes = pull_all(&ts, &token).await;
    let mut got = Vec::new();
    for c in &changes {
        match &c.change {
            Change::WorkOrder { work_order } => {
                assert_ne!(
                    work_order.id, foreign.id,
                    "another technician's job was pulled"
                );
                kit.receive_work_order(work_order).unwrap();
                got.push(work_order.id);
            }
            Change::FeeSchedule { fee_schedule } => kit.set_fee_schedule(fee_schedule).unwrap(),
            Change::CatalogPart { part } => kit.add_catalog_part(part).unwrap(),
            other => panic!("unexpected change {other:?}"),
        }
    }
    assert_eq!(got, vec![job1.id, job2.id, job4.id, job5.id]);

    // Offline: both visits done on the device.
    demo::stock_the_van(&kit).unwrap();
    demo::walk_repair_visit(&kit, job1.id, &mut |_| Ok(())).unwrap();
    demo::walk_repair_visit(&kit, job2.id, &mut |_| Ok(())).unwrap();
    let ops = outbox(&kit);
    assert!(ops.len() > 60, "a real day's journal: {}", ops.len());
    let max_seq = ops.last().unwrap().seq;

    // Meanwhile the desk cancels job 2.
    let (s, _) = ts
        .admin(
            Method::POST,
            &format!("/v1/admin/work-orders/{}/cancel", job2.id),
            Some(json!({ "reason": "customer called it off" })),
        )
        .await;
    assert_eq!(s, 200);

    // Back online: push in two batches; job 1 applied, job 2 kept as conflicts.
    let half = ops.len() / 2;
    let r1 = push(&ts, &token, &ops[..half]).await;
    let r2 = push(&ts, &token, &ops[half..]).await;
    assert_eq!(r1.acked_through, ops[half - 1].seq);
    assert_eq!(r2.acked_through, max_seq);
    for (op, res) in ops.iter().zip(r1.results.iter().chain(r2.results.iter())) {
        assert_eq!(op.op_id, res.op_id);
        let job2_op = op.entity_id == job2.id.to_string();
        match &res.outcome {
            OpOutcome::Applied => assert!(!job2_op, "{op:?}"),
            OpOutcome::Conflict { code, .. } => {
                assert!(job2_op);
                assert_eq!(code, "job_cancelled");
            }
            other => panic!("{} {}: {other:?}", op.kind, op.seq),
        }
    }

    // The same batch again: every op a duplicate, nothing applied twice.
    let again = push(&ts, &token, &ops).await;
    assert_eq!(again.acked_through, max_seq);
    assert!(
        again
            .results
            .iter()
            .all(|r| matches!(r.outcome, OpOutcome::Duplicate { .. }))
    );

    // The same op id with a different body is refused.
    let mut forged = ops[5].clone();
    forged.payload = json!({ "forged": true });
    let r = push(&ts, &token, &[forged]).await;
    assert!(
        matches!(&r.results[0].outcome, OpOutcome::Rejected { code, .. } if code == "op_id_reused")
    );

    // A gap: the server asks for the next seq it expects.
    let mut ahead = ops[0].clone();
    ahead.op_id = OpId::new();
    ahead.seq = max_seq + 5;
    let mut behind = ahead.clone();
    behind.op_id = OpId::new();
    behind.seq = max_seq + 6;
    let r = push(&ts, &token, &[ahead.clone(), behind]).await;
    assert_eq!(r.acked_through, max_seq);
    for res in &r.results {
        assert_eq!(
            res.outcome,
            OpOutcome::Gap {
                expected: max_seq + 1
            }
        );
    }
    // Filling the gap: a rejected op does not block the ones behind it.
    let mut bad = ops[0].clone();
    bad.op_id = OpId::new();
    bad.seq = max_seq + 1;
    bad.entity = "work_order".into();
    bad.entity_id = foreign.id.to_string();
    let mut next = ops
        .iter()
        .find(|o| o.entity == "stock")
        .expect("the van's stock op")
        .clone();
    next.op_id = OpId::new();
    next.seq = max_seq + 2;
    let r = push(&ts, &token, &[bad, next]).await;
    assert!(
        matches!(&r.results[0].outcome, OpOutcome::Rejected { code, .. } if code == "unknown_job"),
        "{r:?}"
    );
    assert_eq!(r.results[1].outcome, OpOutcome::Applied);
    assert_eq!(r.acked_through, max_seq + 2);

    // Completions: job 1 re-checked on the server, job 2 flagged as done after cancellation.
    let list = ts.settled_completions().await;
    assert_eq!(list.len(), 2, "{list:?}");
    let find = |id: WorkOrderId| {
        list.iter()
            .find(|c| c["work_order_id"] == id.to_string())
            .unwrap_or_else(|| panic!("completion of {id} listed"))
    };
    let kinds = |c: &Value| -> Vec<String> {
        c["flags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["kind"].as_str().unwrap().to_owned())
            .collect()
    };
    let c1 = find(job1.id);
    assert_eq!(c1["state"], "counted", "{c1}");
    assert_eq!(kinds(c1), Vec::<String>::new(), "{c1}");
    let c2 = find(job2.id);
    assert_eq!(c2["outcome"], "conflict");
    assert!(
        kinds(c2).contains(&"completed_after_cancellation".to_owned()),
        "{c2}"
    );
    let (_, j1) = ts
        .admin(
            Method::GET,
            &format!("/v1/admin/work-orders/{}", job1.id),
            None,
        )
        .await;
    assert_eq!(j1["order"]["status"], "completed");
    let (_, j2) = ts
        .admin(
            Method::GET,
            &format!("/v1/admin/work-orders/{}", job2.id),
            None,
        )
        .await;
    assert_eq!(j2["order"]["status"], "cancelled");

    // A modified app: a second phone of the same technician walks job 4 honestly, then
    // rewrites the work done after the customer signed and completes anyway (re-chaining the
    // timeline so the hashes hold). The server keeps every op, and holds the completion.
    let (kit2, _d2, t2) = phone_with_jobs(&ts, &wang).await;
    demo::walk_repair_visit(&kit2, job4.id, &mut |_| Ok(())).unwrap();
    let mut forged = outbox(&kit2);
    let signed = hostile::find(
        &forged,
        "sign",
        Some(("step_id", "service_record_signature")),
    );
    let rewrite = hostile::forge(
        &forged[signed],
        "answer_step",
        json!({ "step": "work_done", "answer": { "type": "text", "value": "Nothing was done" } }),
    );
    forged.insert(signed + 1, rewrite);
    hostile::rechain(&mut forged);
    let r = push(&ts, &t2, &forged).await;
    let complete = r.results.last().unwrap();
    assert!(
        matches!(&complete.outcome, OpOutcome::Conflict { code, reason }
            if code == "completion_held" && reason.contains("work_done")),
        "{complete:?}"
    );
    assert!(
        r.results[..r.results.len() - 1]
            .iter()
            .all(|x| x.outcome == OpOutcome::Applied),
        "{r:?}"
    );
    let list = ts.settled_completions().await;
    let held = list
        .iter()
        .find(|c| c["work_order_id"] == job4.id.to_string())
        .expect("the held completion is listed");
    assert_eq!(held["state"], "held", "{held}");
    assert!(kinds(held).contains(&"signature".to_owned()), "{held}");
    let (_, j4) = ts
        .admin(
            Method::GET,
            &format!("/v1/admin/work-orders/{}", job4.id),
            None,
        )
        .await;
    assert_ne!(
        j4["order"]["status"], "completed",
        "a held completion completes nothing"
    );

    // Strokes that no longer draw the signed image are found by the drawing check, after the
    // push was answered: a third phone walks job 5, moves the first point of the customer's
    // last signature and re-chains; the rules pass, the drawing check holds it.
    let (kit3, _d3, t3) = phone_with_jobs(&ts, &wang).await;
    demo::walk_repair_visit(&kit3, job5.id, &mut |_| Ok(())).unwrap();
    let mut redrawn = outbox(&kit3);
    let last_sign = redrawn
        .iter()
        .rposition(|o| o.kind == "sign" && o.payload["role"] == "customer")
        .unwrap();
    let x = &mut redrawn[last_sign].payload["strokes"]["strokes"][0][0]["x"];
    *x = (x.as_f64().unwrap() + 40.0).into();
    hostile::rechain(&mut redrawn);
    let r = push(&ts, &t3, &redrawn).await;
    assert!(
        r.results.iter().all(|x| x.outcome == OpOutcome::Applied),
        "{r:?}"
    );
    // Read as an English reader (the details follow the request's language).
    let list = ts.settled_completions_of("?lang=en").await;
    let c5 = list
        .iter()
        .find(|c| c["work_order_id"] == job5.id.to_string())
        .expect("the redrawn completion is listed");
    assert_eq!(c5["state"], "held", "{c5}");
    let drawing: Vec<&Value> = c5["flags"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "signature")
        .collect();
    assert_eq!(drawing.len(), 1, "{c5}");
    assert!(
        drawing[0]["detail"]
            .as_str()
            .unwrap()
            .contains("strokes do not draw"),
        "{c5}"
    );
    // One completion per job in the list, whatever was pushed.
    let mut jobs: Vec<&str> = list
        .iter()
        .filter(|c| c["state"] != "conflict")
        .map(|c| c["work_order_id"].as_str().unwrap())
        .collect();
    let n = jobs.len();
    jobs.sort_unstable();
    jobs.dedup();
    assert_eq!(jobs.len(), n, "{list:?}");

    blob_uploads(&ts, &token, &kit).await;
    ts.server.shutdown().await.unwrap();
}

async fn blob_uploads(ts: &TestServer, token: &str, kit: &FieldKit) {
    // A real photo from the device's store.
    let sha = outbox(kit)
        .iter()
        .find(|o| o.kind == "add_photo")
        .and_then(|o| o.payload["sha256"].as_str().map(str::to_owned))
        .expect("a photo op");
    let bytes = kit.attachment_bytes(&sha).unwrap();
    let n = bytes.len();
    let missing = |hashes: Vec<String>| {
        let req = ts
            .client
            .post(ts.url("/v1/blobs/missing"))
            .bearer_auth(token)
            .json(&json!({ "hashes": hashes }));
        async move {
            let r: MissingBlobsResponse = req.send().await.unwrap().json().await.unwrap();
            r.missing
        }
    };
    assert_eq!(missing(vec![sha.clone()]).await, vec![sha.clone()]);
    let put = |offset: usize, body: Vec<u8>, sha: String| {
        ts.client
            .put(ts.url(&format!("/v1/blobs/{sha}")))
            .bearer_auth(token)
            .header(UPLOAD_OFFSET, offset.to_string())
            .header(UPLOAD_LENGTH, n.to_string())
            .body(body)
            .send()
    };
    let mut sent = 0usize;
    // The first 40% arrive, then the connection drops.
    let cut = n * 2 / 5;
    let r = put(0, bytes[..cut].to_vec(), sha.clone()).await.unwrap();
    sent += cut;
    assert_eq!(r.status().as_u16(), 200);
    // Resume: ask the server where it stands, send only what it lacks.
    let head = ts
        .client
        .head(ts.url(&format!("/v1/blobs/{sha}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let offset: usize = head.headers()[UPLOAD_OFFSET]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(offset, cut);
    // Sending past the server's offset is refused with a typed 409.
    let r = put(offset + 10, bytes[offset + 10..].to_vec(), sha.clone())
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 409);
    let r = put(offset, bytes[offset..].to_vec(), sha.clone())
        .await
        .unwrap();
    sent += n - offset;
    assert_eq!(r.status().as_u16(), 201);
    let st: BlobStatus = r.json().await.unwrap();
    assert!(st.complete);
    assert_eq!(sent, n, "only the missing bytes were sent again");
    assert!(missing(vec![sha.clone()]).await.is_empty());

    // Bytes that do not hash to the name are refused and not kept.
    let wrong = "0".repeat(64);
    let r = put(0, bytes.clone(), wrong.clone()).await.unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let e: ErrorBody = r.json().await.unwrap();
    assert_eq!(e.code, "hash_mismatch");
    assert_eq!(missing(vec![wrong.clone()]).await, vec![wrong]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_sync_end_to_end_sqlite() {
    device_sync_scenario(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_sync_end_to_end_postgres() {
    device_sync_scenario(Backend::Postgres).await;
}
