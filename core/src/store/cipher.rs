//! Encryption at rest of the device database: the key the app provides, keying every SQLCipher
//! connection with it, telling a wrong key from a plain file, and the one-time, crash-safe
//! migration of a plain database into an encrypted one. (Blob files: `blobs.rs`.)

use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};

use rusqlite::config::DbConfig;
use rusqlite::{Connection, ErrorCode, OpenFlags};

use super::page_cipher::{self, Format};
use crate::error::{Error, Result};

/// The 32 raw bytes that encrypt the device database (SQLCipher, AES-256). The app keeps it
/// in the platform's key store (Android Keystore, iOS Keychain) and passes it at every open.
/// Never printed: `Debug` shows no byte of it; the bytes are overwritten when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseKey([u8; 32]);

impl DatabaseKey {
    /// The key's length in bytes.
    pub const LEN: usize = 32;

    /// A key from exactly 32 bytes; any other length is refused.
    pub fn from_bytes(bytes: &[u8]) -> Result<DatabaseKey> {
        let raw: [u8; 32] = bytes
            .try_into()
            .map_err(|_| Error::invalid("database key", "must be exactly 32 bytes"))?;
        Ok(DatabaseKey(raw))
    }

    /// The 32 bytes (page format 2 derives its keys from them).
    pub(crate) fn raw(&self) -> &[u8; 32] {
        &self.0
    }

    /// The `PRAGMA key` value: a raw key, so SQLCipher derives nothing (no PBKDF2 at open).
    fn pragma_value(&self) -> String {
        format!("x'{}'", hex::encode(self.0))
    }
}

impl std::fmt::Debug for DatabaseKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DatabaseKey(..)")
    }
}

impl Drop for DatabaseKey {
    fn drop(&mut self) {
        page_cipher::wipe(&mut self.0);
    }
}

/// The page MAC of format 1 (SQLCipher's own pages, written before format 2): HMAC-SHA256
/// instead of SQLCipher 4's default HMAC-SHA512. Needed to read such a file once, to
/// re-encrypt it.
const LEGACY_HMAC: &str = "HMAC_SHA256";

/// The first 16 bytes of every plain SQLite database file.
const PLAIN_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// What the database file is, judged from its first bytes without opening it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum FileKind {
    /// No file, or an empty one: a new database.
    Missing,
    /// A plain SQLite database.
    Plain,
    /// Anything else: an encrypted database (or garbage).
    Other,
}

/// Looks at the first bytes of `path`.
pub(crate) fn file_kind(path: &Path) -> Result<FileKind> {
    let mut f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileKind::Missing),
        Err(e) => return Err(e.into()),
    };
    let mut head = [0u8; 16];
    let mut got = 0;
    while got < head.len() {
        match f.read(&mut head[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(match got {
        0 => FileKind::Missing,
        16 if &head == PLAIN_HEADER => FileKind::Plain,
        _ => FileKind::Other,
    })
}

/// Keys a freshly opened connection (before anything reads the file) and checks the key
/// opens it: a wrong key is [`Error::WrongKey`], and nothing on disk has changed.
pub(crate) fn apply_key(conn: &Connection, key: Option<&DatabaseKey>) -> Result<()> {
    apply_key_as(conn, key, Format::Fast)
}

/// [`apply_key`], reading pages of the given format.
pub(crate) fn apply_key_as(
    conn: &Connection,
    key: Option<&DatabaseKey>,
    format: Format,
) -> Result<()> {
    let Some(key) = key else {
        return Ok(());
    };
    // A connection that fails to read must not fold the write-ahead log into the database
    // when it closes (SQLite does that on the last close): with a wrong key, that would
    // rewrite the file. Switched back on once the key is known to be right.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)?;
    page_cipher::keyed_as(format, key, || {
        conn.pragma_update(None, "key", key.pragma_value())
    })??;
    if format == Format::Legacy {
        conn.pragma_update(None, "cipher_hmac_algorithm", LEGACY_HMAC)?;
    }
    match conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| {
        r.get::<_, i64>(0)
    }) {
        Ok(_) => {
            conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, false)?;
            Ok(())
        }
        Err(rusqlite::Error::SqliteFailure(f, _)) if f.code == ErrorCode::NotADatabase => {
            Err(Error::WrongKey)
        }
        Err(e) => Err(e.into()),
    }
}

/// Checks that `key` opens the database file at `path` without touching anything beside it:
/// an immutable, read-only look at the main file only (SQLite then opens no write-ahead log
/// and no shared-memory index, and takes no lock), decrypting its first page. Call it before
/// any connection opens the database normally: a wrong key is then [`Error::WrongKey`] with
/// no byte on disk changed, not even the log's index. Answers the page format the file is
/// in: [`Format::Legacy`] is a file to re-encrypt ([`reencrypt_legacy`]). A file whose first
/// page is still only in the log (a database killed before its first checkpoint) is left to
/// the normal open.
pub(crate) fn check_key(path: &Path, key: &DatabaseKey) -> Result<Format> {
    if fs::metadata(path)?.len() == 0 {
        return Ok(Format::Fast);
    }
    let mut uri = String::from("file:");
    for b in path.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            uri.push(char::from(b));
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri.push_str("?immutable=1");
    let look = |format| {
        let conn = Connection::open_with_flags(
            &uri,
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_URI
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        apply_key_as(&conn, Some(key), format)
    };
    match look(Format::Fast) {
        Err(Error::WrongKey) => look(Format::Legacy).map(|()| Format::Legacy),
        other => other.map(|()| Format::Fast),
    }
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Turns the plain database at `path` into an encrypted one under `key`, keeping every row
/// and the schema version. Crash-safe: the encrypted copy is written beside it, fsynced, and
/// renamed over the plain file only once the plain file holds everything (its write-ahead
/// log folded in and gone). A kill at any instant leaves either the plain database or the
/// complete encrypted one; a half-written copy is discarded by the next attempt.
pub(crate) fn encrypt_plain(path: &Path, key: &DatabaseKey) -> Result<()> {
    export(path, key, None)
}

/// Turns a database encrypted in page format 1 (SQLCipher's own pages, written before format
/// 2) into format 2 under the same key, as [`encrypt_plain`] does a plain one: every row and
/// the schema version kept, crash-safe.
pub(crate) fn reencrypt_legacy(path: &Path, key: &DatabaseKey) -> Result<()> {
    export(path, key, Some(Format::Legacy))
}

/// Exports the database at `path` (plain, or encrypted in `from`) into a format-2 copy and
/// renames the copy over it.
fn export(path: &Path, key: &DatabaseKey, from: Option<Format>) -> Result<()> {
    let tmp = sibling(path, ".encrypting");
    for stale in [tmp.clone(), sibling(&tmp, "-journal")] {
        match fs::remove_file(&stale) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
    }
    {
        let conn = Connection::open(path)?;
        if let Some(format) = from {
            apply_key_as(&conn, Some(key), format)?;
        }
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // Everything committed into the main file, and the log emptied: the encrypted file
        // must not meet a plain log once it has taken the plain file's name.
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let tmp_str = tmp
            .to_str()
            .ok_or_else(|| Error::invalid("data dir", "not valid UTF-8"))?;
        page_cipher::keyed_as(Format::Fast, key, || {
            conn.execute(
                "ATTACH DATABASE ?1 AS encrypted KEY ?2",
                (tmp_str, key.pragma_value()),
            )
        })??;
        conn.query_row("SELECT sqlcipher_export('encrypted')", [], |_| Ok(()))?;
        conn.pragma_update(Some("encrypted"), "user_version", version)?;
        conn.execute("DETACH DATABASE encrypted", [])?;
        // Leave the old file in rollback mode: closing removes its log and index, and a
        // reader of the renamed file never looks for them.
        conn.pragma_update(None, "journal_mode", "DELETE")?;
    }
    File::open(&tmp)?.sync_all()?;
    for ext in ["-wal", "-shm"] {
        let f = sibling(path, ext);
        match fs::metadata(&f) {
            Ok(m) if ext == "-wal" && m.len() > 0 => {
                return Err(Error::invalid(
                    "database",
                    "its write-ahead log could not be folded in; not encrypted yet",
                ));
            }
            Ok(_) => fs::remove_file(&f)?,
            Err(_) => {}
        }
    }
    fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        super::blobs::sync_dir(dir)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_must_be_32_bytes_and_never_prints() {
        assert!(DatabaseKey::from_bytes(&[1; 31]).is_err());
        assert!(DatabaseKey::from_bytes(&[1; 33]).is_err());
        let k = DatabaseKey::from_bytes(&[0x9c; 32]).unwrap();
        assert_eq!(format!("{k:?}"), "DatabaseKey(..)");
        assert!(!format!("{k:?}").contains("9c"));
    }

    #[test]
    fn file_kind_tells_plain_from_other() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.db");
        assert_eq!(file_kind(&p).unwrap(), FileKind::Missing);
        Connection::open(&p)
            .unwrap()
            .execute_batch("CREATE TABLE t (a)")
            .unwrap();
        assert_eq!(file_kind(&p).unwrap(), FileKind::Plain);
        fs::write(&p, [7u8; 100]).unwrap();
        assert_eq!(file_kind(&p).unwrap(), FileKind::Other);
    }
}
