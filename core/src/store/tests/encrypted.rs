//! Plain → encrypted: every released schema's fixture, opened with a key, is encrypted once
//! and upgraded, holding exactly what the same fixture upgraded without a key holds; a
//! crash's leftovers (a half-written copy, an unfolded log) lose nothing.

use super::*;
use crate::store::DatabaseKey;

fn key() -> DatabaseKey {
    DatabaseKey::from_bytes(&[0x42; 32]).unwrap()
}

fn kit_with_key(dir: &Path) -> FieldKit {
    FieldKit::open_with_clock(
        dir,
        DeviceConfig {
            database_key: Some(key()),
            ..DeviceConfig::default()
        },
        Arc::new(ManualClock::new(t0())),
    )
    .unwrap()
}

/// The whole database as SQL lines (schema and every row), sorted (the encrypted copy lists
/// its tables and indexes in another order), without the device's own keys (only an
/// encrypted device has a blob key).
fn dump_without_secrets(k: &FieldKit) -> String {
    let dump = k.store().read(schema::dump).unwrap();
    let mut lines: Vec<&str> = dump
        .lines()
        .filter(|l| !l.contains("INSERT INTO \"local_secrets\""))
        .collect();
    lines.sort_unstable();
    lines.join("\n")
}

fn load_fixture(dir: &Path, sql: &str) {
    Connection::open(dir.join(DB_FILE))
        .unwrap()
        .execute_batch(sql)
        .unwrap();
}

fn starts_plain(path: &Path) -> bool {
    std::fs::read(path)
        .unwrap()
        .starts_with(b"SQLite format 3\0")
}

#[test]
fn every_fixture_is_encrypted_and_upgraded_with_nothing_lost() {
    for (version, sql) in FIXTURES {
        let plain_dir = tempfile::tempdir().unwrap();
        load_fixture(plain_dir.path(), sql);
        let expected = dump_without_secrets(&kit(plain_dir.path()));

        let dir = tempfile::tempdir().unwrap();
        load_fixture(dir.path(), sql);
        let before = Connection::open(dir.path().join(DB_FILE))
            .map(|c| row_counts(&c))
            .unwrap();
        assert!(
            before.iter().any(|(_, n)| *n > 0),
            "fixture v{version} has rows"
        );
        let k = kit_with_key(dir.path());
        let got = dump_without_secrets(&k);
        let diff: Vec<_> = got
            .lines()
            .zip(expected.lines())
            .filter(|(a, b)| a != b)
            .take(3)
            .collect();
        assert!(
            got == expected,
            "v{version}: encrypted and upgraded differs from upgraded plain: {diff:?}"
        );
        assert_eq!(k.store().read(schema::describe).unwrap(), fresh_schema());
        assert!(k.store().integrity_check().unwrap().is_empty());
        drop(k);
        let path = dir.path().join(DB_FILE);
        assert!(!starts_plain(&path), "v{version}: still plain");
        assert!(!dir.path().join("fieldkit.db.encrypting").exists());
        // Without the key, plain SQLite cannot read it.
        let plain = Connection::open(&path).unwrap();
        assert!(
            plain
                .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r
                    .get::<_, i64>(0))
                .is_err()
        );
        drop(plain);
        // Reopened with the key: the same again (encrypted once, not twice).
        assert_eq!(dump_without_secrets(&kit_with_key(dir.path())), expected);
    }
}

#[test]
fn a_killed_encryption_leaves_the_plain_database_and_is_redone() {
    let (_, sql) = FIXTURES.last().unwrap();
    let plain_dir = tempfile::tempdir().unwrap();
    load_fixture(plain_dir.path(), sql);
    let expected = dump_without_secrets(&kit(plain_dir.path()));

    let dir = tempfile::tempdir().unwrap();
    load_fixture(dir.path(), sql);
    let path = dir.path().join(DB_FILE);
    // As a kill leaves it: part of the encrypted copy written, and a last commit of the
    // plain database still only in its write-ahead log.
    std::fs::write(dir.path().join("fieldkit.db.encrypting"), [0x17u8; 5000]).unwrap();
    let live = Connection::open(&path).unwrap();
    let _: String = live
        .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
        .unwrap();
    live.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
    live.execute(
        "INSERT INTO templates (id, version, json) VALUES ('only-in-the-log', 1, '{}')",
        [],
    )
    .unwrap();
    let killed = tempfile::tempdir().unwrap();
    for f in [
        "fieldkit.db",
        "fieldkit.db-wal",
        "fieldkit.db-shm",
        "fieldkit.db.encrypting",
    ] {
        std::fs::copy(dir.path().join(f), killed.path().join(f)).unwrap();
    }
    drop(live);
    assert!(
        std::fs::metadata(killed.path().join("fieldkit.db-wal"))
            .unwrap()
            .len()
            > 0
    );

    let k = kit_with_key(killed.path());
    let in_log: i64 = k
        .store()
        .read(|c| {
            Ok(c.query_row(
                "SELECT count(*) FROM templates WHERE id = 'only-in-the-log'",
                [],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    assert_eq!(in_log, 1, "the commit only in the plain log survived");
    let got = dump_without_secrets(&k);
    let got: Vec<&str> = got
        .lines()
        .filter(|l| !l.contains("only-in-the-log"))
        .collect();
    assert_eq!(got.join("\n"), expected);
    assert!(!killed.path().join("fieldkit.db.encrypting").exists());
    assert!(!starts_plain(&killed.path().join(DB_FILE)));
}

#[test]
fn plain_blob_files_are_sealed_once_and_still_read() {
    let dir = tempfile::tempdir().unwrap();
    let photo = demo::fake_photo("before encryption");
    let sha = {
        let k = kit(dir.path());
        let blobs = k.store().blobs();
        assert!(!blobs.encrypted());
        blobs.put(&photo).unwrap()
    };
    let file = dir.path().join("blobs").join(&sha[..2]).join(&sha);
    assert_eq!(std::fs::read(&file).unwrap(), photo);
    let k = kit_with_key(dir.path());
    assert_ne!(
        std::fs::read(&file).unwrap(),
        photo,
        "sealed at the first keyed open"
    );
    assert_eq!(k.store().blobs().get(&sha).unwrap(), photo);
    assert_eq!(
        k.store().blobs().plain_len(&sha).unwrap(),
        photo.len() as u64
    );
    // A sealed file moved under another blob's name fails its check instead of passing.
    let other = k.store().blobs().put(b"another blob").unwrap();
    std::fs::copy(&file, k.store().blobs().path(&other)).unwrap();
    assert_eq!(
        k.store().blobs().get(&other).unwrap_err().kind(),
        std::io::ErrorKind::InvalidData
    );
}

/// Both ways to an encrypted file (created so, or exported from a plain one) use the same
/// page MAC (HMAC-SHA256, not SQLCipher's default): a connection with the default settings
/// cannot read either, one with the same settings can.
#[test]
fn created_and_exported_databases_share_one_format() {
    let created = tempfile::tempdir().unwrap();
    drop(kit_with_key(created.path()));
    let exported = tempfile::tempdir().unwrap();
    load_fixture(exported.path(), FIXTURES.last().unwrap().1);
    drop(kit_with_key(exported.path()));
    let pragma_key = format!("x'{}'", "42".repeat(32));
    for dir in [created.path(), exported.path()] {
        let read = |hmac: Option<&str>| {
            let c = Connection::open(dir.join(DB_FILE)).unwrap();
            c.pragma_update(None, "key", &pragma_key).unwrap();
            if let Some(h) = hmac {
                c.pragma_update(None, "cipher_hmac_algorithm", h).unwrap();
            }
            c.query_row("SELECT count(*) FROM device", [], |r| r.get::<_, i64>(0))
        };
        assert!(
            read(None).is_err(),
            "{dir:?} opens with SQLCipher's defaults"
        );
        assert_eq!(read(Some("HMAC_SHA256")).unwrap(), 1);
    }
}
