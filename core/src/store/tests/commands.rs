//! What commands leave in the store: blob collection, a failed command's rollback, the
//! statement cache, the outbox and its sequence, each job's hash-chained timeline, and
//! parent links.

use super::*;

#[test]
fn orphaned_blobs_are_collected_and_referenced_ones_kept() {
    let dir = tempfile::tempdir().unwrap();
    let k = populated(dir.path());
    let kept: Vec<String> = k
        .store()
        .read(records::referenced_blobs)
        .unwrap()
        .into_iter()
        .collect();
    assert!(!kept.is_empty());
    // A photo for a job that does not exist: the file is written, the transaction fails.
    let bytes = demo::fake_photo("orphan");
    let err = k
        .add_photo(crate::model::WorkOrderId::new(), None, &bytes)
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }));
    let ingested = crate::media::photo::ingest(&bytes, &Default::default()).unwrap();
    let orphans = [
        k.store().blobs().path(&ingested.sha256),
        k.store().blobs().path(&ingested.thumb_sha256),
    ];
    assert!(
        orphans.iter().all(|o| o.exists()),
        "photo and thumbnail written before the row, as the rule says"
    );
    std::fs::write(dir.path().join("blobs/tmp/half-written.part"), b"x").unwrap();
    assert_eq!(k.collect_orphans().unwrap(), 3);
    assert!(orphans.iter().all(|o| !o.exists()));
    for sha in kept {
        let bytes = k.attachment_bytes(&sha).unwrap();
        assert_eq!(blobs::sha256_hex(&bytes), sha, "referenced blob intact");
    }
}

fn noop_stock() -> crate::sync::ops::StockOp {
    crate::sync::ops::StockOp::Issue(crate::sync::ops::StockMovementV1 {
        id: crate::model::StockMovementId::new(),
        sku: "X".into(),
        kind: crate::model::MovementKind::Issued,
        quantity: 1,
        at: t0(),
        visit_id: None,
    })
}

#[test]
fn a_failed_command_rolls_back_everything_including_the_sequence() {
    let dir = tempfile::tempdir().unwrap();
    let k = populated(dir.path());
    let before = k.pending_ops(i64::MAX).unwrap();
    let r: Result<()> = k.store().write(Durability::Normal, t0(), |tx| {
        tx.append_stock_op("X", &noop_stock())?;
        Err(Error::invalid("test", "fail after appending"))
    });
    assert!(r.is_err());
    assert_eq!(k.pending_ops(i64::MAX).unwrap(), before);
    let seq = k
        .store()
        .write(Durability::Normal, t0(), |tx| {
            tx.append_stock_op("X", &noop_stock())
        })
        .unwrap();
    assert_eq!(seq, before.len() as i64 + 1, "no gap after a rollback");
}

#[test]
fn cached_statements_are_not_re_prepared_on_reuse() {
    let dir = tempfile::tempdir().unwrap();
    let k = populated(dir.path());
    let (order, visit): (String, String) = k
        .store()
        .read(|c| {
            Ok(
                c.query_row("SELECT work_order_id, id FROM visits LIMIT 1", [], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?,
            )
        })
        .unwrap();
    let (order, visit) = (order.parse().unwrap(), visit.parse().unwrap());
    k.store()
        .read(|c| {
            for _ in 0..3 {
                queries::checklist_facts(c, order, visit)?;
            }
            let stmt = c.prepare_cached(queries::PHOTO_COUNTS)?;
            assert_eq!(stmt.get_status(rusqlite::StatementStatus::RePrepare), 0);
            Ok(())
        })
        .unwrap();
}

#[test]
fn acknowledged_ops_leave_the_outbox_and_their_sequence_is_never_reused() {
    let dir = tempfile::tempdir().unwrap();
    let k = populated(dir.path());
    let ops = k.pending_ops(i64::MAX).unwrap();
    let last = ops.last().unwrap().clone();
    assert_eq!(k.store().acknowledge(last.seq - 1).unwrap(), ops.len() - 1);
    assert_eq!(k.pending_ops(i64::MAX).unwrap(), vec![last.clone()]);
    // Acknowledging again, or less, changes nothing; beyond the journal's end is clamped.
    assert_eq!(k.store().acknowledge(last.seq - 2).unwrap(), 0);
    assert_eq!(k.store().acknowledge(last.seq + 100).unwrap(), 1);
    assert!(k.pending_ops(i64::MAX).unwrap().is_empty());
    drop(k);
    // Reopened with an empty outbox: the sequence and the clock carry on.
    let k = kit(dir.path());
    demo::stock_the_van(&k).unwrap();
    let next = k.pending_ops(i64::MAX).unwrap();
    assert_eq!(next.first().map(|o| o.seq), Some(last.seq + 1));
    assert!(next[0].hlc > last.hlc, "the clock never goes back");
}

#[test]
fn the_timeline_is_a_hash_chain_per_work_order() {
    let dir = tempfile::tempdir().unwrap();
    let k = populated(dir.path());
    k.store()
        .read(|c| {
            let mut stmt = c.prepare(
                "SELECT op_id, entity_id, visit_id, kind, at, payload, hash FROM journal
                 WHERE entity = 'work_order' ORDER BY entity_id, seq",
            )?;
            type Row = (String, String, Option<String>, String, i64, String, String);
            let rows: Vec<Row> = stmt
                .query_map([], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                    ))
                })?
                .collect::<rusqlite::Result<_>>()?;
            let orders: std::collections::BTreeSet<_> = rows.iter().map(|r| r.1.clone()).collect();
            assert_eq!(orders.len(), 2);
            for order in orders {
                let chain: Vec<_> = rows.iter().filter(|r| r.1 == order).collect();
                let recomputed = crate::media::chain::recompute(chain.iter().map(|r| {
                    (
                        crate::media::chain::ChainedEvent {
                            id: &r.0,
                            work_order_id: &r.1,
                            visit_id: r.2.as_deref(),
                            kind: &r.3,
                            at_ms: r.4,
                            payload: &r.5,
                        },
                        r.6.as_str(),
                    )
                }));
                assert!(recomputed.is_ok(), "{recomputed:?}");
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn interleaved_jobs_keep_their_own_timelines_across_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(t0()));
    let open =
        || FieldKit::open_with_clock(dir.path(), DeviceConfig::default(), clock.clone()).unwrap();
    let mut k = open();
    let jobs: Vec<_> = (1..=3)
        .map(|n| {
            let o = demo::repair_order(n, t0(), Billing::Warranty);
            k.receive_work_order(&o).unwrap();
            o.id
        })
        .collect();
    // A, B, C, A, B, C…, with a reopen in the middle: runs of one entry each, and a run
    // that continues across the reopen.
    let call = crate::api::CallOutcome {
        reached: false,
        confirmed: crate::model::CallConfirmations::default(),
        agreed: None,
        note: None,
    };
    for round in 0..6 {
        if round == 3 {
            drop(k);
            k = open();
        }
        for id in &jobs {
            match round {
                0 => k.accept(*id).map(drop).unwrap(),
                _ => k.call_customer(*id, &call).map(drop).unwrap(),
            }
        }
        k.call_customer(jobs[2], &call).unwrap();
    }
    let journal: Vec<(String, String)> = k
        .store()
        .read(|c| {
            let mut stmt = c.prepare(
                "SELECT entity_id, op_id FROM journal WHERE entity = 'work_order' ORDER BY seq",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .unwrap();
    for id in &jobs {
        let mine: Vec<&String> = journal
            .iter()
            .filter(|(e, _)| *e == id.to_string())
            .map(|(_, op)| op)
            .collect();
        let read: Vec<String> = k
            .store()
            .read(|c| queries::job_ops(c, *id))
            .unwrap()
            .into_iter()
            .map(|e| e.op_id.to_string())
            .collect();
        assert_eq!(read.iter().collect::<Vec<_>>(), mine, "job {id}");
        assert!(k.verify(*id).unwrap().chain_problems.is_empty());
    }
}

#[test]
fn a_child_job_keeps_its_parent_link_and_the_desk_may_change_it() {
    use crate::model::{LinkKind, ParentLink};
    let dir = tempfile::tempdir().unwrap();
    let k = kit(dir.path());
    let parent = demo::repair_order(1, t0(), Billing::Paid);
    let mut child = demo::repair_order(2, t0(), Billing::Warranty);
    child.parent = Some(ParentLink {
        id: parent.id,
        number: parent.number.clone(),
        kind: LinkKind::CallbackRepair,
    });
    k.receive_work_order(&child).unwrap();
    assert_eq!(k.job(child.id).unwrap().order.parent, child.parent);
    let listed = k.todays_jobs().unwrap();
    let line = listed
        .iter()
        .find(|j| j.id == child.id)
        .expect("today's job");
    assert_eq!(line.parent, child.parent, "the list shows the link");
    // The desk's word again, with another kind: replaced, like every desk-owned field.
    child.parent.as_mut().unwrap().kind = LinkKind::SecondVisit;
    k.receive_work_order(&child).unwrap();
    let got = k.job(child.id).unwrap().order.parent.unwrap();
    assert_eq!((got.id, got.kind), (parent.id, LinkKind::SecondVisit));
    // A job made on its own has none; an over-long parent number is refused.
    k.receive_work_order(&parent).unwrap();
    assert_eq!(k.job(parent.id).unwrap().order.parent, None);
    child.parent.as_mut().unwrap().number = "9".repeat(65);
    assert!(matches!(
        k.receive_work_order(&child),
        Err(Error::Invalid { .. })
    ));
}
