//! Signature strokes on the wire, on both backends: a phone told by the server that it reads
//! packed strokes (`accepts`, on enrolment and every pull) sends its `sign` ops packed, and an
//! older app's ops with the strokes as JSON points are still judged the same: both days are
//! counted, their drawings checked and unflagged. A packed `sign` op forged — both forms at
//! once, text that does not unpack, strokes that draw another image — is refused or held.

use std::time::Duration as StdDuration;

use chrono::Utc;
use fieldkit_core::demo;
use fieldkit_core::model::*;
use fieldkit_core::sync::client::SyncOptions;
use fieldkit_core::sync::protocol::*;
use serde_json::Value;

use crate::common::phone::{answer, phone};
use crate::common::{Backend, TestServer, hostile, server, to_wire};

fn sync_options() -> SyncOptions {
    SyncOptions {
        first_backoff: StdDuration::from_millis(5),
        max_backoff: StdDuration::from_millis(50),
        ..SyncOptions::default()
    }
}

/// The `sign` ops among `ops`, as sent.
fn signs(ops: &[Op]) -> Vec<&Op> {
    ops.iter().filter(|o| o.kind == "sign").collect()
}

async fn completion(ts: &TestServer, job: WorkOrderId) -> Value {
    let list = ts.settled_completions().await;
    list.into_iter()
        .find(|c| c["work_order_id"] == job.to_string())
        .unwrap_or_else(|| panic!("no completion of {job}"))
}

/// The kinds of the flags on the job's completion.
async fn flags_of(ts: &TestServer, job: WorkOrderId) -> Vec<String> {
    completion(ts, job).await["flags"]
        .as_array()
        .expect("flags")
        .iter()
        .map(|f| f["kind"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn both_forms_are_judged_alike(backend: Backend) {
    let Some(ts) = server(backend, |_| {}).await else {
        return;
    };
    ts.publish_demo_catalog().await;
    let tech = ts.create_technician("Technician Wire").await;
    let now = Utc::now();
    let packed_job = demo::repair_order(1, now, Billing::Paid);
    let json_job = demo::repair_order(2, now, Billing::Paid);
    ts.create_job(&packed_job, Some(&tech)).await;
    ts.create_job(&json_job, Some(&tech)).await;

    // This app through its own sync client: the server says it reads packed strokes.
    let (_dir, kit) = ts.enrolled_kit(&tech, &sync_options()).await;
    assert_eq!(kit.server_accepts().unwrap(), vec![ACCEPTS_PACKED_STROKES]);
    kit.sync(&sync_options(), &|_| {}).await.expect("morning");
    demo::walk_repair_visit(&kit, packed_job.id, &mut |_| Ok(())).expect("the visit");
    let sent: Vec<Op> = kit
        .pending_ops(10_000)
        .unwrap()
        .iter()
        .map(to_wire)
        .collect();
    let packed_signs = signs(&sent);
    assert!(!packed_signs.is_empty());
    for op in &packed_signs {
        assert!(op.payload.get("strokes").is_none(), "{}", op.payload);
        let text = op.payload["strokes_packed"]
            .as_str()
            .expect("packed strokes");
        assert!(text.len() < 1500, "{} chars", text.len());
    }
    let report = kit.sync(&sync_options(), &|_| {}).await.expect("evening");
    assert_eq!((report.rejected, report.conflicts), (0, 0), "{report:?}");

    // An older app (it never heard `accepts`): the strokes as JSON points.
    let old = phone(&ts, &tech, |_| {}).await;
    let ops = old.walked(json_job.id);
    let json_signs = signs(&ops);
    assert!(!json_signs.is_empty());
    for op in &json_signs {
        assert!(
            op.payload["strokes"]["strokes"].is_array(),
            "{}",
            op.payload
        );
        assert!(op.payload.get("strokes_packed").is_none());
    }
    let r = ts.push_ops(&old.token, &ops).await;
    for op in &ops {
        assert_eq!(answer(&r, op), OpOutcome::Applied, "{}", op.kind);
    }

    // Both days counted, their drawings checked, nothing flagged.
    for job in [packed_job.id, json_job.id] {
        let c = completion(&ts, job).await;
        assert_eq!(c["state"], "counted", "{c}");
        assert_eq!(flags_of(&ts, job).await, Vec::<String>::new());
    }
    // The packed day is the smaller: the same visit's signatures in a third of the bytes (what
    // is left is mostly the signed summary each carries).
    let size = |ops: &[&Op]| -> usize {
        ops.iter()
            .map(|o| serde_json::to_vec(&o.payload).unwrap().len())
            .sum()
    };
    assert!(
        size(&packed_signs) * 3 < size(&json_signs),
        "packed {} B vs JSON {} B",
        size(&packed_signs),
        size(&json_signs)
    );
    ts.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_forms_are_judged_alike_sqlite() {
    both_forms_are_judged_alike(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_forms_are_judged_alike_postgres() {
    both_forms_are_judged_alike(Backend::Postgres).await;
}

/// A phone's honest day with its customer signatures' ops rewritten by `forge` (the op's
/// payload), pushed; the answers to the rewritten `sign` ops and the job.
async fn forged_signs(
    ts: &TestServer,
    tech: &str,
    n: u32,
    forge: impl Fn(&mut serde_json::Map<String, Value>),
) -> (Vec<OpOutcome>, WorkOrderId) {
    forged_signs_in(ts, tech, n, None, forge).await
}

/// [`forged_signs`], pushed with `Accept-Language: lang` when given.
async fn forged_signs_in(
    ts: &TestServer,
    tech: &str,
    n: u32,
    lang: Option<&str>,
    forge: impl Fn(&mut serde_json::Map<String, Value>),
) -> (Vec<OpOutcome>, WorkOrderId) {
    let job = demo::repair_order(n, Utc::now(), Billing::Paid);
    ts.create_job(&job, Some(tech)).await;
    let p = phone(ts, tech, |_| {}).await;
    let mut ops = p.walked(job.id);
    for op in ops.iter_mut().filter(|o| o.kind == "sign") {
        let map = op.payload.as_object_mut().expect("an object");
        forge(map);
    }
    // Chained and sealed again, as a modified app would: only the rules can tell.
    hostile::rechain(&mut ops);
    let sign_at: Vec<usize> = (0..ops.len()).filter(|&i| ops[i].kind == "sign").collect();
    for i in sign_at {
        hostile::reseal(&mut ops, i);
        hostile::rechain(&mut ops);
    }
    let mut req = ts.signed_push(&p.token, &ops);
    if let Some(lang) = lang {
        req = req.header("accept-language", lang);
    }
    let res = req.send().await.expect("push");
    assert_eq!(res.status().as_u16(), 200);
    let r: PushResponse = res.json().await.expect("push body");
    let answers = ops
        .iter()
        .filter(|o| o.kind == "sign")
        .map(|o| answer(&r, o))
        .collect();
    (answers, job.id)
}

fn rejected(a: &OpOutcome) -> bool {
    matches!(a, OpOutcome::Rejected { .. })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_packed_strokes_are_refused_or_held() {
    let Some(ts) = server(Backend::Sqlite, |_| {}).await else {
        return;
    };
    ts.publish_demo_catalog().await;
    let tech = ts.create_technician("Technician Forger").await;
    let pack = |map: &serde_json::Map<String, Value>| -> String {
        let strokes: fieldkit_core::media::signature::Strokes =
            serde_json::from_value(map["strokes"].clone()).expect("strokes");
        fieldkit_core::media::packed::pack(&strokes)
    };

    // Both forms at once.
    let (answers, _) = forged_signs(&ts, &tech, 11, |m| {
        let p = pack(m);
        m.insert("strokes_packed".into(), Value::String(p));
    })
    .await;
    assert!(answers.iter().all(rejected), "{answers:?}");

    // The phone hears why in its language: Chinese first, English when it asks.
    let reason_of = |a: &OpOutcome| match a {
        OpOutcome::Rejected { reason, .. } => reason.clone(),
        other => panic!("{other:?}"),
    };
    let zh = reason_of(&answers[0]);
    assert!(
        zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "{zh}"
    );
    let (answers, _) = forged_signs_in(&ts, &tech, 14, Some("en"), |m| {
        let p = pack(m);
        m.insert("strokes_packed".into(), Value::String(p));
    })
    .await;
    let en = reason_of(&answers[0]);
    assert!(en.contains("both packed and as points"), "{en}");

    // Text that does not unpack (valid base64 of a wrong version byte; not base64 at all).
    for bad in ["Ag", "!!not base64!!"] {
        let (answers, _) = forged_signs(&ts, &tech, 12, |m| {
            m.remove("strokes");
            m.insert("strokes_packed".into(), Value::String(bad.into()));
        })
        .await;
        assert!(answers.iter().all(rejected), "{bad}: {answers:?}");
    }

    // Well-formed packed strokes of another drawing (moved 10 px): applied (the record holds together), but
    // they do not draw the image the signature names — the drawing check holds the job.
    let (answers, job) = forged_signs(&ts, &tech, 13, |m| {
        let mut other: fieldkit_core::media::signature::Strokes =
            serde_json::from_value(m.remove("strokes").expect("strokes")).expect("strokes");
        for p in other.strokes.iter_mut().flatten() {
            p.x += 10.0;
        }
        m.insert(
            "strokes_packed".into(),
            Value::String(fieldkit_core::media::packed::pack(&other)),
        );
    })
    .await;
    assert!(
        answers.iter().all(|a| *a == OpOutcome::Applied),
        "{answers:?}"
    );
    let c = completion(&ts, job).await;
    assert_eq!(c["state"], "held", "{c}");
    assert!(
        flags_of(&ts, job).await.iter().any(|f| f == "signature"),
        "a signature flag"
    );
    ts.server.shutdown().await.unwrap();
}
