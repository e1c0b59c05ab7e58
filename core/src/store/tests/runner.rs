//! The upgrade runner on a scratch database: steps run in order, a failing step changes
//! nothing and resumes later, a version no step starts from is refused.

use rusqlite::Connection;

use super::super::schema::upgrade_with;
use crate::error::Error;

fn v1_to_v2(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch("ALTER TABLE t ADD COLUMN b INTEGER NOT NULL DEFAULT 7;")
}

fn v2_to_v3_fails_halfway(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch("CREATE TABLE u (x); INSERT INTO t (a) VALUES (99); SELECT * FROM missing;")
}

fn v2_to_v3(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch("CREATE TABLE u (x);")
}

fn db() -> Connection {
    let c = Connection::open_in_memory().unwrap();
    c.execute_batch(
        "CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1); PRAGMA user_version = 1;",
    )
    .unwrap();
    c
}

fn version(c: &Connection) -> i64 {
    c.pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap()
}

#[test]
fn steps_run_in_order_and_each_bumps_the_version() {
    let mut c = db();
    upgrade_with(&mut c, 1, &[v1_to_v2, v2_to_v3]).unwrap();
    assert_eq!(version(&c), 3);
    let b: i64 = c.query_row("SELECT b FROM t", [], |r| r.get(0)).unwrap();
    assert_eq!(b, 7, "row kept, column added");
    assert!(c.prepare("SELECT x FROM u").is_ok());
}

#[test]
fn a_failing_step_leaves_its_version_and_data_untouched_and_resumes_later() {
    let mut c = db();
    assert!(upgrade_with(&mut c, 1, &[v1_to_v2, v2_to_v3_fails_halfway]).is_err());
    assert_eq!(
        version(&c),
        2,
        "the good step committed, the bad one did not"
    );
    let n: i64 = c
        .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1, "the failed step's insert rolled back");
    assert!(c.prepare("SELECT x FROM u").is_err(), "nor its table");
    upgrade_with(&mut c, 2, &[v1_to_v2, v2_to_v3]).unwrap();
    assert_eq!(version(&c), 3);
}

#[test]
fn a_version_no_step_starts_from_is_refused() {
    let mut c = db();
    c.pragma_update(None, "user_version", 0).unwrap();
    assert!(matches!(
        upgrade_with(&mut c, 0, &[v1_to_v2]),
        Err(Error::DatabaseTooNew { .. })
    ));
}
