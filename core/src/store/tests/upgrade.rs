//! Opening and upgrading: every released schema's fixture upgrades to the fresh schema with
//! nothing lost; a newer app's database is refused, a corrupt one moved aside; the schema
//! comparison; a v9 device gaining the card table.

use super::*;

#[test]
fn every_fixture_upgrades_to_the_fresh_schema_with_nothing_lost() {
    let fresh = fresh_schema();
    for (version, sql) in FIXTURES {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DB_FILE);
        let before = {
            let c = Connection::open(&path).unwrap();
            c.execute_batch(sql).unwrap();
            assert_eq!(
                c.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))
                    .unwrap(),
                *version
            );
            (row_counts(&c), before_journal(&c, *version))
        };
        let (before, folded) = before;
        assert!(
            before
                .iter()
                .any(|(t, n)| (t == "pending_ops" || t == "journal") && *n > 0),
            "fixture v{version} has data"
        );
        let k = kit(dir.path());
        let upgraded = k.store().read(schema::describe).unwrap();
        assert_eq!(
            upgraded, fresh,
            "v{version} upgraded differs from a fresh schema"
        );
        let after = k.store().read(|c| Ok(row_counts(c))).unwrap();
        assert_folded_into_journal(&k, *version, &folded);
        // Each job's timeline, read through its journal runs, still verifies.
        let orders: Vec<String> = k
            .store()
            .read(|c| {
                let mut stmt = c.prepare("SELECT id FROM work_orders")?;
                let rows = stmt.query_map([], |r| r.get(0))?;
                Ok(rows.collect::<rusqlite::Result<_>>()?)
            })
            .unwrap();
        assert!(!orders.is_empty());
        for id in orders {
            let v = k.verify(id.parse().unwrap()).unwrap();
            assert!(v.chain_problems.is_empty(), "v{version}: {id}: {v:?}");
        }
        for (table, n) in before.iter().filter(|(t, _)| !FOLDED.contains(&t.as_str())) {
            let m = after
                .iter()
                .find(|(t, _)| t == table)
                .map_or(0, |(_, m)| *m);
            assert!(m >= *n, "v{version}: {table} lost rows ({n} → {m})");
        }
        assert!(k.store().integrity_check().unwrap().is_empty());
        // The upgraded device keeps working, its sequence gapless.
        let jobs = k.store().pending_ops(i64::MAX).unwrap();
        assert_eq!(jobs.last().map(|o| o.seq), Some(jobs.len() as i64));
    }
}

#[test]
fn the_current_version_has_a_fixture() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("tests/fixtures/schema_v{CURRENT_VERSION}.sql"));
    if std::env::var_os("FIELDKIT_WRITE_FIXTURE").is_some() {
        let dir = tempfile::tempdir().unwrap();
        let k = populated(dir.path());
        let sql = k.store().read(schema::dump).unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, sql).unwrap();
    }
    assert!(
        FIXTURES.iter().any(|(v, _)| *v == CURRENT_VERSION) && path.exists(),
        "schema v{CURRENT_VERSION} has no fixture: run FIELDKIT_WRITE_FIXTURE=1 cargo test -p fieldkit-core \
         the_current_version_has_a_fixture, commit it, and add it to FIXTURES"
    );
}

#[test]
fn a_database_from_a_newer_app_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    drop(populated(dir.path()));
    let path = dir.path().join(DB_FILE);
    {
        let c = Connection::open(&path).unwrap();
        c.pragma_update(None, "user_version", CURRENT_VERSION + 1)
            .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = FieldKit::open(dir.path(), DeviceConfig::default()).unwrap_err();
    assert!(
        matches!(err, Error::DatabaseTooNew { found, supported } if found == CURRENT_VERSION + 1 && supported == CURRENT_VERSION)
    );
    assert!(err.to_string().contains("update the app"));
    assert_eq!(std::fs::read(&path).unwrap(), before, "file untouched");
}

#[test]
fn a_corrupt_database_is_moved_aside_never_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE);
    let garbage: Vec<u8> = (0..8192u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    std::fs::write(&path, &garbage).unwrap();
    let k = kit(dir.path());
    let aside = k.recovered_from().expect("recovery reported").to_owned();
    assert_eq!(
        std::fs::read(&aside).unwrap(),
        garbage,
        "the corrupt file is kept as it was"
    );
    assert!(k.store().integrity_check().unwrap().is_empty());
    assert!(k.todays_jobs().unwrap().is_empty(), "a fresh database");
}

#[test]
fn schema_comparison_sees_a_missing_column_and_a_missing_index() {
    let dir = tempfile::tempdir().unwrap();
    let k = kit(dir.path());
    let fresh = k.store().read(schema::describe).unwrap();
    let c = Connection::open(dir.path().join(DB_FILE)).unwrap();
    c.execute_batch("ALTER TABLE parts ADD COLUMN colour TEXT;")
        .unwrap();
    assert_ne!(schema::describe(&c).unwrap(), fresh);
    c.execute_batch("ALTER TABLE parts DROP COLUMN colour; DROP INDEX calls_by_order;")
        .unwrap();
    assert_ne!(schema::describe(&c).unwrap(), fresh);
    c.execute_batch("CREATE INDEX calls_by_order ON calls (work_order_id);")
        .unwrap();
    assert_eq!(schema::describe(&c).unwrap(), fresh);
}

#[test]
fn a_v9_device_gains_an_empty_card_table_then_keeps_the_card_it_is_sent() {
    use crate::sync::protocol::{PullResponse, TechnicianCard};
    let (_, sql) = FIXTURES.iter().find(|(v, _)| *v == 9).unwrap();
    let dir = tempfile::tempdir().unwrap();
    Connection::open(dir.path().join(DB_FILE))
        .unwrap()
        .execute_batch(sql)
        .unwrap();
    let k = kit(dir.path());
    assert_eq!(k.technician_card().unwrap(), None);
    let card = TechnicianCard {
        technician_id: "tech-9".into(),
        name: " 李师傅 ".into(),
        employee_number: Some("GH-0009".into()),
        service_hotline: None,
    };
    let page = |card: Option<TechnicianCard>| PullResponse {
        changes: Vec::new(),
        cursor: 0,
        more: false,
        card,
        accepts: vec![],
    };
    k.apply_changes(&page(Some(card.clone()))).unwrap();
    let kept = k.technician_card().unwrap().expect("the card");
    assert_eq!(kept.name, "李师傅", "trimmed");
    assert_eq!(kept.employee_number.as_deref(), Some("GH-0009"));
    // A page without a card keeps the one held; an unusable card is skipped, the page kept.
    k.apply_changes(&page(None)).unwrap();
    let bad = TechnicianCard {
        name: "\u{7}".into(),
        ..card.clone()
    };
    k.apply_changes(&page(Some(bad))).unwrap();
    assert_eq!(k.technician_card().unwrap(), Some(kept));
    // The v10 fixture's card survives the reopening.
    let (_, sql10) = FIXTURES.iter().find(|(v, _)| *v == 10).unwrap();
    let dir10 = tempfile::tempdir().unwrap();
    Connection::open(dir10.path().join(DB_FILE))
        .unwrap()
        .execute_batch(sql10)
        .unwrap();
    let k10 = kit(dir10.path());
    assert_eq!(
        k10.technician_card()
            .unwrap()
            .and_then(|c| c.employee_number),
        Some("GH-0042".into())
    );
}
