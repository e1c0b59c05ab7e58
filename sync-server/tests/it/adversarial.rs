//! The server never trusts the phone: an adversarial device suite, on both backends.
//!
//! Each case starts from a visit walked by the real core, then edits the journal the way a
//! modified app, a buggy old app or a leaked token could (ops forged, dropped, moved; the
//! timeline re-chained so its hashes still hold, so only the rules can catch it), pushes it,
//! and asserts its documented outcome: the answer to each op, the job's state, the
//! completions list, the webhook feed, the measures and the dashboard's job page. Whatever
//! the rules refuse is kept (every op is stored with its outcome) and never counted.
//!
//! | case | documented outcome |
//! |---|---|
//! | bare `complete` (no accept, no visit) | `conflict` `completion_held` (the workflow refuses it), held |
//! | `complete` without the customer's signature | the steps after it refused, the completion held (gate: signature) |
//! | a new fee consent after the customer signed | consent applied, completion held (fees changed since signing) |
//! | other items agreed after signing | the same |
//! | an amount not on the published schedule | consent `rejected` `fee_mismatch`; the signed record stands: counted |
//! | a signature over a summary that lies about the fees | sign `rejected` `summary_mismatch`, completion held |
//! | the checklist of another job kind (follow-up on a paid repair) | judged by the job's pinned template: steps refused, held |
//! | work before fee consent | `start_work` `rejected` `blocked`, held |
//! | arrival before travel | `arrive` `rejected` `not_allowed_now`, held |
//! | answers after completion | `rejected` `not_allowed_now`; the completion before them counted |
//! | a newer app's ops (unknown kind, newer version) | `rejected` `unsupported_op` / `unsupported_version`, kept; the visit completes |
//! | a photo step answered without its photo | `rejected` `checklist`, held |
//! | a second completion | `conflict` `already_completed`: one completion per job |
//! | a job cancelled meanwhile | every op `conflict` `job_cancelled`; completion a conflict, not counted |
//! | a job reassigned meanwhile | every op `conflict` `job_reassigned`; completion a conflict, not counted |

use std::collections::BTreeSet;

use crate::common::phone::phone;
use crate::common::{Backend, TestServer, hostile, server};
use chrono::Utc;
use fieldkit_core::demo;
use fieldkit_core::model::*;
use fieldkit_core::sync::protocol::*;
use reqwest::Method;
use serde_json::{Value, json};

async fn push(ts: &TestServer, token: &str, ops: &[Op]) -> PushResponse {
    ts.push_ops(token, ops).await
}

/// What each case expects of its job in the end.
#[derive(Debug, PartialEq)]
enum Ends {
    /// A completion that counts.
    Counted,
    /// Held for the desk, with a reason containing this.
    Held(&'static str),
    /// A conflict kept as a fact (cancelled or reassigned).
    Conflict,
}

fn outcome_of<'a>(r: &'a PushResponse, ops: &[Op], i: usize) -> &'a OpOutcome {
    let op = &ops[i];
    &r.results
        .iter()
        .find(|x| x.op_id == op.op_id)
        .unwrap_or_else(|| panic!("no answer for {}", op.kind))
        .outcome
}

fn rejected(o: &OpOutcome, code: &str) -> bool {
    matches!(o, OpOutcome::Rejected { code: c, .. } if c == code)
}

fn conflict(o: &OpOutcome, code: &str) -> bool {
    matches!(o, OpOutcome::Conflict { code: c, .. } if c == code)
}

/// The answer to the `complete` of `ops`.
fn completion_answer<'a>(r: &'a PushResponse, ops: &[Op]) -> &'a OpOutcome {
    let i = ops.iter().rposition(|o| o.kind == "complete").unwrap();
    outcome_of(r, ops, i)
}

/// A fee consent forged like the one of `ops`, with `items` and `total`.
fn consent_like(ops: &[Op], items: &[&str], total: i64) -> Op {
    let i = hostile::find(ops, "consent_to_fees", None);
    let mut p = ops[i].payload.clone();
    p["id"] = json!(FeeConsentId::new());
    p["items"] = json!(items);
    p["total"] = json!(total);
    hostile::forge(&ops[i], "consent_to_fees", p)
}

fn service_record_sign(ops: &[Op]) -> usize {
    hostile::find(ops, "sign", Some(("step_id", "service_record_signature")))
}

async fn suite(backend: Backend) {
    let Some(ts) = server(backend, |_| {}).await else {
        return;
    };
    let tech = ts.create_technician("Technician Hostile").await;
    let other = ts.create_technician("Technician Other").await;
    ts.publish_demo_catalog().await;
    ts.create_dispatcher("desk.audit", "a long enough password")
        .await;
    let desk = ts
        .dashboard_login("desk.audit", "a long enough password")
        .await;
    let now = Utc::now();
    let mut n = 0u32;
    let mut ends: Vec<(WorkOrderId, &str, Ends)> = Vec::new();
    let mut new_job = async |ts: &TestServer| -> WorkOrderId {
        n += 1;
        let job = demo::repair_order(n, now, Billing::Paid);
        ts.create_job(&job, Some(&tech)).await;
        job.id
    };

    // A bare `complete`: no accept, no call, no visit — one forged, hash-chained op.
    {
        let job = new_job(&ts).await;
        let p = phone(&ts, &tech, |_| {}).await;
        let mut ops = p.outbox();
        let like = Op {
            op_id: OpId::new(),
            seq: 0,
            entity: "work_order".into(),
            entity_id: job.to_string(),
            visit_id: Some(VisitId::new().to_string()),
            kind: "complete".into(),
            version: 1,
            payload: json!({ "completed_at": now, "signatures": [] }),
            hlc: ops[0].hlc.clone(),
            device_time: now.timestamp_millis(),
            hash: None,
        };
        ops.push(like);
        hostile::rechain(&mut ops);
        let r = push(&ts, &p.token, &ops).await;
        let o = completion_answer(&r, &ops);
        assert!(conflict(o, "completion_held"), "bare complete: {o:?}");
        ends.push((job, "bare complete", Ends::Held("cannot complete")));
    }

    // `complete` without the customer's signature on the service record.
    {
        let job = new_job(&ts).await;
        let p = phone(&ts, &tech, |_| {}).await;
        let mut ops = p.walked(job);
        let s = service_record_sign(&ops);
        ops.remove(s);
        hostile::rechain(&mut ops);
        let r = push(&ts, &p.token, &ops).await;
        let copy = hostile::find(&ops, "answer_step", Some(("step", "customer_copy")));
        assert!(rejected(outcome_of(&r, &ops, copy), "checklist"), "{r:?}");
        assert!(conflict(completion_answer(&r, &ops), "completion_held"));
        ends.push((job, "no signature", Ends::Held("customer's signature")));
    }

    // Fees changed after the customer signed: a new consent (same items), other items.
    for (what, items, total) in [
        ("new consent after signing", vec!["visit", "labour"], 13_000),
        ("other items after signing", vec!["visit"], 5_000),
    ] {
        let job = new_job(&ts).await;
        let p = phone(&ts, &tech, |_| {}).await;
        let mut ops = p.walked(job);
        let s = service_record_sign(&ops);
        let forged = consent_like(&ops, &items, total);
        ops.insert(s + 1, forged);
        hostile::rechain(&mut ops);
        let r = push(&ts, &p.token, &ops).await;
        assert_eq!(*outcome_of(&r, &ops, s + 1), OpOutcome::Applied, "{what}");
        assert!(
            conflict(completion_answer(&r, &ops), "completion_held"),
            "{what}"
        );
        ends.push((job, what, Ends::Held("fees agreed changed")));
    }

    // An amount that is not the published schedule's: the consent is refused, the record the
    // customer signed stands and the completion counts.
    {
        let job = new_job(&ts).await;
        let p = phone(&ts, &tech, |_| {}).await;
        let mut ops = p.walked(job);
        let s = service_record_sign(&ops);
        let forged = consent_like(&ops, &["visit", "labour"], 99);
        ops.insert(s + 1, forged);
        hostile::rechain(&mut ops);
        let r = push(&ts, &p.token, &ops).await;
        assert!(
            rejected(outcome_of(&r, &ops, s + 1), "fee_mismatch"),
            "{r:?}"
        );
        assert_eq!(*completion_answer(&r, &ops), OpOutcome::Applied);
        ends.push((job, "amount off the schedule", Ends::Counted));
    }

    // A signature over a summary that lies about the fees (re-hashed and re-sealed): it is
    // not over the visit's records, so it is refused and the completion has no signature.
    {
        let job = new_job(&ts).await;
        let p = phone(&ts, &tech, |_| {}).await;
        let mut ops = p.walked(job);
        let s = service_record_sign(&ops);
        let mut summary: fieldkit_core::media::signature::SignedSummary =
            serde_json::from_value(ops[s].payload["summary"].clone()).unwrap();
        summary.fee_consent.as_mut().unwrap().total = 1;
        ops[s].payload["summary_sha256"] = summary.sha256().into();
        ops[s].payload["summary"] = serde_json::to_value(&summary).unwrap();
        hostile::rechain(&mut ops);
        hostile::reseal(&mut ops, s);
        hostile::rechain(&mut ops);
        let r = push(&ts, &p.token, &ops).await;
        assert!(
            rejected(outcome_of(&r, &ops, s), "summary_mismatch"),
            "{r:?}"
        );
        assert!(conflict(completion_answer(&r, &ops), "completion_held"));
        ends.push((job, "summary lies about the fees", Ends::Held("signature")));
    }

    // The checklist of another job kind: the phone is made to follow the follow-up checklist
    // on a paid repair (no fee consent, no work recorded). The server judges the visit by the
    // job's pinned repair checklist, never by the device's choice.
    {
        let job = new_job(&ts).await;
        let p = phone(&ts, &tech, |o| {
            o.checklist = Some(JobChecklist {
                visit: TemplateRef {
                    id: "follow_up".into(),
                    version: 1,
                },
                return_visit: None,
            });
        })
        .await;
        let k = &p.kit;
        let step = |s: &str, a: fieldkit_core::checklist::AnswerValue| {
            k.answer_step(job, s, &a).unwrap();
        };
        use fieldkit_core::checklist::AnswerValue::{Confirmed, YesNo};
        k.accept(job).unwrap();
        k.call_customer(
            job,
            &fieldkit_core::api::CallOutcome {
                reached: true,
                confirmed: CallConfirmations::all(),
                agreed: None,
                note: None,
            },
        )
        .unwrap();
        assert_eq!(k.checklist(job).unwrap().template.id, "follow_up");
        k.start_travel(job).unwrap();
        k.arrive(job).unwrap();
        step("id_badge", Confirmed);
        step("shoe_covers", Confirmed);
        step("unit_working", YesNo(true));
        k.start_work(job).unwrap();
        step("feedback", Confirmed);
        k.summary_for_signing(job).unwrap();
        k.sign(
            job,
            &fieldkit_core::api::SignatureInput {
                signer_name: "王女士".into(),
                role: SignerRole::Customer,
                strokes: demo::signature_strokes(3),
                step_id: Some("service_record_signature".into()),
                finding: None,
            },
        )
        .unwrap();
        step("customer_copy", Confirmed);
        step("goodbye", Confirmed);
        k.complete(job).unwrap();
        let ops = p.outbox();
        let r = push(&ts, &p.token, &ops).await;
        let travel = hostile::find(&ops, "start_travel", None);
        assert!(rejected(outcome_of(&r, &ops, travel), "blocked"), "{r:?}");
        let unit = hostile::find(&ops, "answer_step", Some(("step", "unit_working")));
        assert!(matches!(
            outcome_of(&r, &ops, unit),
            OpOutcome::Rejected { .. }
        ));
        assert!(conflict(completion_answer(&r, &ops), "completion_held"));
        ends.push((job, "foreign template", Ends::Held("cannot complete")));
    }

    // Work before the fee consent on a paid job.
    {
        let job = new_job(&ts).await;
        let p = phone(&ts, &tech, |_| {}).await;
        let mut ops = p.walked(job);
        let c = hostile::find(&ops, "consent_to_fees", None);
        let w = hostile::find(&ops, "start_work", None);
        let consent = ops.remove(c);
        ops.insert(w, consent);
        hostile::rechain(&mut ops);
        let r = push(&ts, &p.token, &ops).await;
        let w = hostile::find(&ops, "start_work", None);
        assert!(rejected(outcome_of(&r, &ops, w), "blocked"), "{r:?}");
        assert!(conflict(completion_answer(&r, &ops), "completion_held"));
        ends.push((job, "work before consent", Ends::Held("cannot complete")));
    }

    // Arrival before travel.
    {
        let job = new_job(&ts).await;
        let p = phone(&ts, &tech, |_| {}).await;
        let mut ops = p.walked(job);
        let t = hostile::find(&ops, "start_travel", None);
        let a = hostile::find(&ops, "arrive", None);
        let arrive = ops.remove(a);
        ops.insert(t, arrive);
        hostile::rechain(&mut ops);
        let r = push(&ts, &p.token, &ops).await;
        let a = hostile::find(&ops, "arrive", None);
        assert!(
            rejected(outcome_of(&r, &ops, a), "not_allowed_now"),
            "{r:?}"
        );
        assert!(conflict(completion_answer(&r, &ops), "completion_held"));
        ends.push((job, "arrival before travel", Ends::Held("cannot complete")));
    }

    // Answers after completion: refused; the completion before them stands.
    {
        let job = new_job(&ts).await;
        let p = phone(&ts, &tech, |_| {}).await;
        let mut ops = p.walked(job);
        let last = ops.len() - 1;
        let late = hostile::forge(
            &ops[last],
            "answer_step",
            json!({ "step": "goodbye", "answer": { "type": "confirmed" } }),
        );
        ops.push(late);
        hostile::rechain(&mut ops);
        let r = push(&ts, &p.token, &ops).await;
        assert!(
            rejected(outcome_of(&r, &ops, last + 1), "not_allowed_now"),
            "{r:?}"
        );
        assert_eq!(*outcome_of(&r, &ops, last), OpOutcome::Applied);
        ends.push((job, "answers after completion", Ends::Counted));
    }

    // A photo step answered without its photo.
    {
        let job = new_job(&ts).await;
        let p = phone(&ts, &tech, |_| {}).await;
        let mut ops = p.walked(job);
        let i = hostile::find(&ops, "add_photo", Some(("step_id", "debris_removed")));
        ops[i] = hostile::forge(
            &ops[i],
            "answer_step",
            json!({ "step": "debris_removed", "answer": { "type": "confirmed" } }),
        );
        hostile::rechain(&mut ops);
        let r = push(&ts, &p.token, &ops).await;
        assert!(rejected(outcome_of(&r, &ops, i), "checklist"), "{r:?}");
        assert!(conflict(completion_answer(&r, &ops), "completion_held"));
        ends.push((job, "photo step without a photo", Ends::Held("photo")));
    }

    // A newer app's ops (a kind this server does not know, a payload version from the
    // future) in an honest visit: refused and kept, the ops behind them judged as usual —
    // the visit completes.
    {
        let job = new_job(&ts).await;
        let p = phone(&ts, &tech, |_| {}).await;
        let mut ops = p.walked(job);
        // After the sign-off (what comes before it is bound by the customer's signature).
        let w = service_record_sign(&ops);
        let unknown = hostile::forge(&ops[w], "quote_declined", json!({ "amount": 1 }));
        let mut newer = hostile::forge(
            &ops[w],
            "answer_step",
            json!({ "step": "goodbye", "answer": { "type": "confirmed" }, "v2": true }),
        );
        newer.version = 2;
        ops.insert(w + 1, unknown);
        ops.insert(w + 2, newer);
        hostile::rechain(&mut ops);
        let r = push(&ts, &p.token, &ops).await;
        assert!(
            rejected(outcome_of(&r, &ops, w + 1), "unsupported_op"),
            "{r:?}"
        );
        assert!(
            rejected(outcome_of(&r, &ops, w + 2), "unsupported_version"),
            "{r:?}"
        );
        let stored = ts
            .server
            .storage()
            .job_ops(job, "quote_declined".into())
            .await;
        assert!(stored.unwrap().is_empty(), "kept, but as a rejected op");
        assert_eq!(*completion_answer(&r, &ops), OpOutcome::Applied);
        ends.push((job, "a newer app's ops", Ends::Counted));
    }

    // Ticks tied to facts, forged: a parts review naming a part never recorded, a copy of a
    // summary the customer never signed. Each is refused by the same engine as on the phone,
    // and the completion that needed it is held.
    for (what, step, held, answer) in [
        (
            "parts review of a part never recorded",
            "parts_reviewed",
            "parts used",
            json!({ "type": "parts_reviewed", "value": [OpId::new().to_string()] }),
        ),
        (
            "copy of a summary never signed",
            "customer_copy",
            "their copy",
            json!({ "type": "copy_handed", "value": "ab".repeat(32) }),
        ),
        (
            "a plain tick on the customer's copy",
            "customer_copy",
            "their copy",
            json!({ "type": "confirmed" }),
        ),
    ] {
        let job = new_job(&ts).await;
        let p = phone(&ts, &tech, |_| {}).await;
        let mut ops = p.walked(job);
        let i = hostile::find(&ops, "answer_step", Some(("step", step)));
        ops[i].payload["answer"] = answer;
        hostile::rechain(&mut ops);
        let r = push(&ts, &p.token, &ops).await;
        assert!(
            rejected(outcome_of(&r, &ops, i), "checklist"),
            "{what}: {:?}",
            outcome_of(&r, &ops, i)
        );
        assert!(
            conflict(completion_answer(&r, &ops), "completion_held"),
            "{what}"
        );
        ends.push((job, what, Ends::Held(held)));
    }

    // A signature on the anomaly's finding step that names no finding (a modified app
    // dropping it): refused `checklist`; the anomaly stays unsigned, so work never starts and
    // the completion is held.
    {
        let job = new_job(&ts).await;
        let p = phone(&ts, &tech, |_| {}).await;
        let mut ops = p.walked(job);
        let i = hostile::find(&ops, "sign", Some(("step_id", "anomaly_signature")));
        ops[i].payload["finding"] = json!(null);
        hostile::rechain(&mut ops);
        let r = push(&ts, &p.token, &ops).await;
        assert!(
            rejected(outcome_of(&r, &ops, i), "checklist"),
            "{:?}",
            outcome_of(&r, &ops, i)
        );
        assert!(conflict(completion_answer(&r, &ops), "completion_held"));
        ends.push((
            job,
            "finding step signed naming no finding",
            Ends::Held("work has not started"),
        ));
    }

    // The fee ticked as settled, as an older app did, instead of the settlement record: on a
    // job pinned to templates v3 (strict evidence) it is refused and the completion held.
    {
        let job = new_job(&ts).await;
        let p = phone(&ts, &tech, |_| {}).await;
        let mut ops = p.walked(job);
        let i = hostile::find(&ops, "settle", None);
        ops[i] = hostile::forge(
            &ops[i],
            "answer_step",
            json!({ "step": "fee_settled", "answer": { "type": "choice", "value": "paid_on_site" } }),
        );
        hostile::rechain(&mut ops);
        let r = push(&ts, &p.token, &ops).await;
        assert!(
            rejected(outcome_of(&r, &ops, i), "checklist"),
            "{:?}",
            outcome_of(&r, &ops, i)
        );
        assert!(conflict(completion_answer(&r, &ops), "completion_held"));
        ends.push((job, "fee ticked, not settled", Ends::Held("Settle the fee")));
    }

    // A take-back stripped of its evidence by a modified app: no condition photo, or a
    // receipt other than the one the customer signed. Refused (`blocked`); the honest
    // take-back is applied.
    for (what, forge) in [
        ("take-back without a condition photo", 0),
        ("take-back of a receipt not signed", 1),
        ("take-back as the app sent it", 2),
    ] {
        let job = new_job(&ts).await;
        let p = phone(&ts, &tech, |_| {}).await;
        p.walk_until(job, "pause/resume");
        demo::take_back_with_evidence(&p.kit, job).unwrap();
        let mut ops = p.outbox();
        let i = hostile::find(&ops, "take_back", None);
        match forge {
            0 => ops[i].payload["condition_photos"] = json!([]),
            1 => ops[i].payload["receipt"]["receipt_no"] = json!("R-FORGED"),
            _ => {}
        }
        hostile::rechain(&mut ops);
        let r = push(&ts, &p.token, &ops).await;
        if forge == 2 {
            assert_eq!(*outcome_of(&r, &ops, i), OpOutcome::Applied, "{what}");
        } else {
            assert!(
                rejected(outcome_of(&r, &ops, i), "blocked"),
                "{what}: {:?}",
                outcome_of(&r, &ops, i)
            );
        }
    }

    // A second completion of a completed job.
    {
        let job = new_job(&ts).await;
        let p = phone(&ts, &tech, |_| {}).await;
        let mut ops = p.walked(job);
        let last = ops.len() - 1;
        let mut again = ops[last].clone();
        again.op_id = OpId::new();
        ops.push(again);
        hostile::rechain(&mut ops);
        let r = push(&ts, &p.token, &ops).await;
        assert_eq!(*outcome_of(&r, &ops, last), OpOutcome::Applied);
        assert!(
            conflict(outcome_of(&r, &ops, last + 1), "already_completed"),
            "{r:?}"
        );
        ends.push((job, "second completion", Ends::Counted));
    }

    // The desk cancels, or reassigns, while the phone is offline.
    for (what, change, body, code) in [
        (
            "cancelled meanwhile",
            "cancel",
            json!({ "reason": "customer called it off" }),
            "job_cancelled",
        ),
        (
            "reassigned meanwhile",
            "assign",
            json!({ "technician_id": other }),
            "job_reassigned",
        ),
    ] {
        let job = new_job(&ts).await;
        let p = phone(&ts, &tech, |_| {}).await;
        let ops = p.walked(job);
        let (s, v) = ts
            .admin(
                Method::POST,
                &format!("/v1/admin/work-orders/{job}/{change}"),
                Some(body),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        let r = push(&ts, &p.token, &ops).await;
        for (op, res) in ops.iter().zip(&r.results) {
            if op.entity == "work_order" {
                assert!(
                    conflict(&res.outcome, code),
                    "{what}: {} {:?}",
                    op.kind,
                    res.outcome
                );
            }
        }
        ends.push((job, what, Ends::Conflict));
    }

    // Every job as documented: the completions list (read in English: the reasons follow the
    // request's language), the job's state, the dashboard.
    let list = ts.settled_completions_of("?lang=en").await;
    let mut counted = BTreeSet::new();
    for (job, what, end) in &ends {
        let mine: Vec<&Value> = list
            .iter()
            .filter(|c| c["work_order_id"] == job.to_string())
            .collect();
        assert_eq!(mine.len(), 1, "{what}: one completion per job: {mine:?}");
        let c = mine[0];
        let (_, j) = ts
            .admin(Method::GET, &format!("/v1/admin/work-orders/{job}"), None)
            .await;
        let status = j["order"]["status"].as_str().unwrap().to_owned();
        let (page_status, page) = ts.page(&desk, &format!("/jobs/{job}")).await;
        assert_eq!(page_status, 200, "{what}");
        match end {
            Ends::Counted => {
                assert_eq!(c["state"], "counted", "{what}: {c}");
                assert!(
                    page.contains("data-completion-state=\"counted\""),
                    "{what}: the job page shows the completion counted"
                );
                assert_eq!(status, "completed", "{what}");
                counted.insert(job.to_string());
            }
            Ends::Held(why) => {
                assert_eq!(c["state"], "held", "{what}: {c}");
                let reasons = c["reasons"].to_string();
                assert!(reasons.contains(why), "{what}: {why:?} not in {reasons}");
                assert_ne!(status, "completed", "{what}");
                assert!(
                    page.contains("data-completion-state=\"held\""),
                    "{what}: the job page shows the completion held"
                );
                assert!(
                    !page.contains("data-completion-state=\"counted\""),
                    "{what}"
                );
            }
            Ends::Conflict => {
                assert_eq!(c["state"], "conflict", "{what}: {c}");
                assert!(
                    page.contains("data-completion-state=\"conflict\""),
                    "{what}: the job page shows the conflict"
                );
                assert_ne!(status, "completed", "{what}");
            }
        }
        for r in c["reasons"].as_array().unwrap() {
            let r = r.as_str().unwrap();
            assert!(
                !r.contains("王女士") && !r.contains("13800000000"),
                "{what}: {r}"
            );
        }
    }

    // The webhook feed and the measures count exactly the completions that count.
    let storage = ts.server.storage();
    storage
        .sync_feed(Utc::now().timestamp_millis())
        .await
        .unwrap();
    let fed: BTreeSet<String> = storage
        .feed_after(0, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.completion.work_order_id)
        .collect();
    assert_eq!(fed, counted, "the feed holds the counted completions only");
    // Dates (the day before to the day after, `to` inclusive): no characters to escape.
    let day = |d: i64| {
        (now + chrono::Duration::days(d))
            .format("%Y-%m-%d")
            .to_string()
    };
    let res = ts
        .dispatcher(
            Method::GET,
            &format!("/v1/admin/measures?from={}&to={}", day(-1), day(1)),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let m: Value = res.json().await.unwrap();
    assert_eq!(
        m["fleet"]["completed"].as_u64(),
        Some(counted.len() as u64),
        "{}",
        m["fleet"]
    );
    ts.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adversarial_devices_sqlite() {
    suite(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adversarial_devices_postgres() {
    suite(Backend::Postgres).await;
}
