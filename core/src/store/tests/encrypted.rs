//! Plain → encrypted: every released schema's fixture, opened with a key, is encrypted once
//! and upgraded, holding exactly what the same fixture upgraded without a key holds; a
//! crash's leftovers (a half-written copy, an unfolded log) lose nothing.

use super::*;
use crate::store::page_cipher::{self, Format};
use crate::store::{DatabaseKey, cipher};

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

/// What the fixture `sql` holds once opened and upgraded without a key.
fn upgraded_plain(sql: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    load_fixture(dir.path(), sql);
    dump_without_secrets(&kit(dir.path()))
}

fn starts_plain(path: &Path) -> bool {
    std::fs::read(path)
        .unwrap()
        .starts_with(b"SQLite format 3\0")
}

#[test]
fn every_fixture_is_encrypted_and_upgraded_with_nothing_lost() {
    for (version, sql) in FIXTURES {
        let expected = upgraded_plain(sql);

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

/// Commits a row (`only-in-the-log`) on `live`, an open connection to the database in `dir`,
/// that stays only in its write-ahead log, and copies the database's files and `extra` as a
/// kill at that instant leaves them.
fn killed_with_a_commit_in_the_log(
    dir: &Path,
    live: Connection,
    extra: &[&str],
) -> tempfile::TempDir {
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
    for f in ["fieldkit.db", "fieldkit.db-wal", "fieldkit.db-shm"]
        .iter()
        .chain(extra)
    {
        std::fs::copy(dir.join(f), killed.path().join(f)).unwrap();
    }
    drop(live);
    killed
}

#[test]
fn a_killed_encryption_leaves_the_plain_database_and_is_redone() {
    let (_, sql) = FIXTURES.last().unwrap();
    let expected = upgraded_plain(sql);

    let dir = tempfile::tempdir().unwrap();
    load_fixture(dir.path(), sql);
    let path = dir.path().join(DB_FILE);
    // As a kill leaves it: part of the encrypted copy written, and a last commit of the
    // plain database still only in its write-ahead log.
    std::fs::write(dir.path().join("fieldkit.db.encrypting"), [0x17u8; 5000]).unwrap();
    let killed = killed_with_a_commit_in_the_log(
        dir.path(),
        Connection::open(&path).unwrap(),
        &["fieldkit.db.encrypting"],
    );
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

/// `path` keyed as page `format`: the number of `device` rows, or why it cannot be read.
fn devices_as(path: &Path, format: Format) -> Result<i64> {
    let c = Connection::open(path)?;
    cipher::apply_key_as(&c, Some(&key()), format)?;
    Ok(c.query_row("SELECT count(*) FROM device", [], |r| r.get(0))?)
}

/// Both ways to an encrypted file (created so, or exported from a plain one) write page
/// format 2: a connection reading SQLCipher's own pages (format 1), or plain SQLite, cannot
/// read either; one reading format 2 can.
#[test]
fn created_and_exported_databases_are_in_page_format_2() {
    let created = tempfile::tempdir().unwrap();
    drop(kit_with_key(created.path()));
    let exported = tempfile::tempdir().unwrap();
    load_fixture(exported.path(), FIXTURES.last().unwrap().1);
    drop(kit_with_key(exported.path()));
    for dir in [created.path(), exported.path()] {
        let path = dir.join(DB_FILE);
        assert!(
            matches!(devices_as(&path, Format::Legacy), Err(Error::WrongKey)),
            "{dir:?} reads as format 1"
        );
        assert_eq!(devices_as(&path, Format::Fast).unwrap(), 1);
        let plain = Connection::open(&path).unwrap();
        assert!(
            plain
                .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r
                    .get::<_, i64>(0))
                .is_err()
        );
    }
}

/// Writes the fixture `sql` as FieldKit wrote an encrypted database before page format 2:
/// a plain database exported under the key with SQLCipher's own pages (AES-256-CBC,
/// HMAC-SHA256) and its schema version.
fn load_fixture_in_format_1(dir: &Path, sql: &str) {
    let plain = dir.join("plain.db");
    Connection::open(&plain)
        .unwrap()
        .execute_batch(sql)
        .unwrap();
    let c = Connection::open(&plain).unwrap();
    let version: i64 = c
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    let target = dir.join(DB_FILE);
    page_cipher::keyed_as(Format::Legacy, &key(), || {
        c.execute(
            "ATTACH DATABASE ?1 AS old KEY ?2",
            (target.to_str().unwrap(), format!("x'{}'", "42".repeat(32))),
        )
    })
    .unwrap()
    .unwrap();
    c.pragma_update(Some("old"), "cipher_hmac_algorithm", "HMAC_SHA256")
        .unwrap();
    c.query_row("SELECT sqlcipher_export('old')", [], |_| Ok(()))
        .unwrap();
    c.pragma_update(Some("old"), "user_version", version)
        .unwrap();
    c.execute("DETACH DATABASE old", []).unwrap();
    drop(c);
    std::fs::remove_file(plain).unwrap();
}

/// A device encrypted before page format 2 (every released schema's fixture, in format 1,
/// with a last commit still only in its write-ahead log, as a kill leaves it) is re-encrypted
/// once into format 2 when it opens: every row kept, upgraded like the plain fixture.
#[test]
fn a_format_1_database_is_reencrypted_once_with_nothing_lost() {
    for (version, sql) in FIXTURES {
        let expected = upgraded_plain(sql);

        let dir = tempfile::tempdir().unwrap();
        load_fixture_in_format_1(dir.path(), sql);
        let path = dir.path().join(DB_FILE);
        assert_eq!(devices_as(&path, Format::Legacy).unwrap(), 1, "v{version}");
        let live = Connection::open(&path).unwrap();
        cipher::apply_key_as(&live, Some(&key()), Format::Legacy).unwrap();
        let killed = killed_with_a_commit_in_the_log(dir.path(), live, &[]);

        let k = kit_with_key(killed.path());
        let got = dump_without_secrets(&k);
        assert!(
            got.contains("only-in-the-log"),
            "v{version}: the commit only in the log survived"
        );
        let got: Vec<&str> = got
            .lines()
            .filter(|l| !l.contains("only-in-the-log"))
            .collect();
        assert!(
            got.join("\n") == expected,
            "v{version}: re-encrypted and upgraded differs from upgraded plain"
        );
        assert!(k.store().integrity_check().unwrap().is_empty());
        drop(k);
        let path = killed.path().join(DB_FILE);
        assert!(matches!(
            devices_as(&path, Format::Legacy),
            Err(Error::WrongKey)
        ));
        assert_eq!(devices_as(&path, Format::Fast).unwrap(), 1);
        assert!(!killed.path().join("fieldkit.db.encrypting").exists());
        // Reopened: the same again (re-encrypted once, not twice).
        let again = dump_without_secrets(&kit_with_key(killed.path()));
        assert!(again.contains("only-in-the-log"));
    }
}

/// A wrong key on a format-1 database is the same typed error as on any other, and no byte
/// of any file changes.
#[test]
fn a_wrong_key_on_a_format_1_database_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    load_fixture_in_format_1(dir.path(), FIXTURES.last().unwrap().1);
    let files = || {
        let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read(e.path()).unwrap(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let before = files();
    let err = FieldKit::open_with_clock(
        dir.path(),
        DeviceConfig {
            database_key: Some(DatabaseKey::from_bytes(&[0x43; 32]).unwrap()),
            ..DeviceConfig::default()
        },
        Arc::new(ManualClock::new(t0())),
    )
    .err()
    .unwrap();
    assert!(matches!(err, Error::WrongKey), "{err:?}");
    assert!(files() == before, "a file changed");
    // The right key still opens it, in format 2 from then on.
    drop(kit_with_key(dir.path()));
    assert_eq!(
        devices_as(&dir.path().join(DB_FILE), Format::Fast).unwrap(),
        1
    );
}
