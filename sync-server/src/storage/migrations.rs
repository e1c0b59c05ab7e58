//! Versioned schema migrations, both backends: what a migration is, the version table, and
//! the pure decision of what to do next (the backends' runners,
//! [`super::sqlite::migrations`] and [`super::postgres::migrations`], only read and write).
//!
//! Each backend has numbered SQL files in `storage/<backend>/migrations/NNNN_name.sql`,
//! embedded with `include_str!` and listed in order in that backend's `MIGRATIONS`. At start
//! (`SqliteStorage::open`, `PostgresStorage::connect`) the runner brings the database to the
//! newest version:
//!
//! - an empty database gets every migration;
//! - a database made by a release before versioned migrations (it has the version-1 tables,
//!   `ops`…, but no version table) is recorded as version 1 (its tables are exactly
//!   `0001_initial.sql`, which uses `IF NOT EXISTS` for this), then gets the rest;
//! - each pending migration runs in one transaction together with its row in the version
//!   table (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: under an advisory lock, so replicas
//!   starting at once apply it once): it is applied whole or not at all;
//! - a database whose version is newer than the newest migration this server knows is
//!   refused ([`MigrationError::NewerSchema`]) and left exactly as it was;
//! - a recorded migration whose SHA-256 differs from the embedded file of the same number is
//!   refused ([`MigrationError::ChecksumMismatch`]): a released migration was edited.
//!
//! # Adding a migration
//!
//! 1. Write `src/storage/sqlite/migrations/000N_what.sql` and
//!    `src/storage/postgres/migrations/000N_what.sql`: the same change on both backends, under
//!    the same number and name (a test checks the two lists agree).
//! 2. Add one line to each backend's `MIGRATIONS`:
//!    `Migration::new(N, "what", include_str!("migrations/000N_what.sql"), "<sha256>")`; the
//!    `released_migrations_are_unchanged` unit test prints the SHA-256 to record.
//! 3. At release, record the release's fixtures (`tests/it/migrations.rs`:
//!    `cargo test -p fieldkit-server --test it -- --ignored migrations::generate_fixtures`).
//!
//! Rules: **a released migration is never edited** (the recorded SHA-256 makes CI fail, and a
//! server refuses a database that recorded a different one): add a new migration instead. A
//! file holds no `BEGIN`/`COMMIT` (the runner owns the transaction) and, from 0002 on, no
//! `IF NOT EXISTS` (it runs exactly once). SQLite runs migrations with foreign keys off
//! (`PRAGMA foreign_keys` cannot change inside a transaction), so SQLite's table-rebuild
//! recipe works; nothing checks the keys for you.

use sha2::{Digest, Sha256};

/// The version table, the same on both backends: one row per applied migration.
pub const VERSION_TABLE_SQL: &str = "CREATE TABLE IF NOT EXISTS fieldkit_schema (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL,
    applied_at BIGINT NOT NULL)";

/// Tables of the first release: one of them present without a version table marks a
/// database made before versioned migrations (version 1).
pub(crate) const LEGACY_TABLES: [&str; 4] = ["technicians", "devices", "work_orders", "ops"];

/// One numbered migration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Migration {
    /// 1, 2, 3… in order (a gap only while a branch's migration awaits its merge).
    pub version: u32,
    /// Short snake_case name (the file's name without the number).
    pub name: &'static str,
    /// The SQL, run as one batch inside the migration's transaction.
    pub sql: &'static str,
    /// The SHA-256 (hex) the released file must keep; checked by the backends' unit tests so
    /// that editing a released migration fails CI. The runner itself compares the database's
    /// record with [`Migration::checksum`] of the embedded text.
    pub released_sha256: &'static str,
}

impl Migration {
    /// A migration (see the module's doc for how to add one).
    pub const fn new(
        version: u32,
        name: &'static str,
        sql: &'static str,
        released_sha256: &'static str,
    ) -> Self {
        Self {
            version,
            name,
            sql,
            released_sha256,
        }
    }

    /// The SHA-256 of the embedded SQL, lower-case hex: what the version table records.
    pub fn checksum(&self) -> String {
        hex::encode(Sha256::digest(self.sql.as_bytes()))
    }
}

/// Why the schema could not be brought up to date. No message carries stored data.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MigrationError {
    /// The database was migrated by a newer server; nothing was changed.
    #[error(
        "the database schema is version {database}, newer than this server's {server}: \
         upgrade the server"
    )]
    NewerSchema { database: i64, server: u32 },
    /// The database recorded a different SHA-256 for a migration than the embedded file has.
    #[error(
        "schema migration {version} ({name}) is not the one this database recorded \
         (SHA-256 differs): a released migration was edited; restore it and add a new \
         migration instead"
    )]
    ChecksumMismatch { version: u32, name: String },
    /// The version table lacks a migration below its newest.
    #[error("the database's version table lacks migration {missing} (its newest is {newest})")]
    Gap { missing: u32, newest: i64 },
    /// The version table records a version no migration has (below 1).
    #[error("the database's version table records version {version}, which no migration has")]
    Unknown { version: i64 },
    /// A migration failed; its transaction was rolled back (the database stays at the
    /// version before it).
    #[error("schema migration {version} ({name}) failed and was rolled back: {reason}")]
    Failed {
        version: u32,
        name: String,
        reason: String,
    },
    /// The embedded list is not numbered 1, 2, 3… (a programming error).
    #[error("the schema migrations are not numbered 1, 2, 3… in order: {0}")]
    BadList(String),
}

/// A row of the version table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppliedMigration {
    pub version: i64,
    pub name: String,
    pub checksum: String,
    /// ms since the epoch.
    pub applied_at: i64,
}

/// What a database holds, read before anything is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Found {
    /// No version table and none of the first release's tables.
    Empty,
    /// No version table, but tables of a release before versioned migrations.
    Legacy,
    /// The version table's rows.
    Versioned(Vec<AppliedMigration>),
}

/// Where a database started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    /// Empty: every migration applied.
    Empty,
    /// Made before versioned migrations: recorded as version 1.
    Legacy,
    /// At this version.
    Version(i64),
}

/// What a run of the migrations did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MigrationReport {
    pub start: Start,
    /// The versions applied, in order (for a legacy database, 1 is its baseline).
    pub applied: Vec<u32>,
    /// The version the database is at now.
    pub version: i64,
}

impl MigrationReport {
    pub(crate) fn new(found: &Found) -> Self {
        let (start, version) = match found {
            Found::Empty => (Start::Empty, 0),
            Found::Legacy => (Start::Legacy, 0),
            Found::Versioned(rows) => {
                let v = newest(rows);
                (Start::Version(v), v)
            }
        };
        Self {
            start,
            applied: Vec::new(),
            version,
        }
    }

    pub(crate) fn record(&mut self, m: &Migration) {
        self.applied.push(m.version);
        self.version = i64::from(m.version);
        let baseline = self.start == Start::Legacy && m.version == 1;
        tracing::info!(
            version = m.version,
            name = m.name,
            baseline,
            "schema migration applied"
        );
    }
}

fn newest(rows: &[AppliedMigration]) -> i64 {
    rows.iter().map(|r| r.version).max().unwrap_or(0)
}

/// Checks a list is numbered 1, 2, 3… in order with unique names.
pub fn check_list(migrations: &[Migration]) -> Result<(), MigrationError> {
    for (i, m) in migrations.iter().enumerate() {
        // The first is 1; each after it is greater than the one before. A gap is allowed
        // while branches that each add a migration are merged (0009 before 0008 arrives);
        // a database that recorded a later version without an earlier one is refused by
        // [`next`] ([`MigrationError::Gap`]).
        let after = if i == 0 { 0 } else { migrations[i - 1].version };
        if (i == 0 && m.version != 1) || m.version <= after {
            return Err(MigrationError::BadList(format!(
                "position {} holds version {} (after {after})",
                i + 1,
                m.version
            )));
        }
        if migrations[..i].iter().any(|o| o.name == m.name) {
            return Err(MigrationError::BadList(format!(
                "the name {} is used twice",
                m.name
            )));
        }
    }
    Ok(())
}

/// The next migration to apply to a database, `None` when it is up to date; or why the
/// database is refused. Pure: the runners call it inside each migration's transaction.
pub fn next<'a>(
    migrations: &'a [Migration],
    found: &Found,
) -> Result<Option<&'a Migration>, MigrationError> {
    check_list(migrations)?;
    let rows = match found {
        Found::Empty | Found::Legacy => return Ok(migrations.first()),
        Found::Versioned(rows) => rows,
    };
    let known = migrations.last().map_or(0, |m| m.version);
    let at = newest(rows);
    if at > i64::from(known) {
        return Err(MigrationError::NewerSchema {
            database: at,
            server: known,
        });
    }
    if let Some(r) = rows.iter().find(|r| r.version < 1) {
        return Err(MigrationError::Unknown { version: r.version });
    }
    for m in migrations {
        match rows.iter().find(|r| r.version == i64::from(m.version)) {
            Some(r) if r.checksum != m.checksum() => {
                return Err(MigrationError::ChecksumMismatch {
                    version: m.version,
                    name: m.name.to_owned(),
                });
            }
            Some(_) => {}
            None if i64::from(m.version) < at => {
                return Err(MigrationError::Gap {
                    missing: m.version,
                    newest: at,
                });
            }
            None => return Ok(Some(m)),
        }
    }
    Ok(None)
}

/// The current time for `applied_at` (ms since the epoch).
pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Migration = Migration::new(1, "initial", "CREATE TABLE a (x INTEGER);", "");
    const B: Migration = Migration::new(2, "more", "ALTER TABLE a ADD COLUMN y TEXT;", "");

    fn row(m: &Migration) -> AppliedMigration {
        AppliedMigration {
            version: i64::from(m.version),
            name: m.name.into(),
            checksum: m.checksum(),
            applied_at: 0,
        }
    }

    #[test]
    fn checksum_is_sha256_hex() {
        let m = Migration::new(1, "x", "abc", "");
        assert_eq!(
            m.checksum(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn empty_and_legacy_start_at_the_first() {
        assert_eq!(next(&[A, B], &Found::Empty), Ok(Some(&A)));
        assert_eq!(next(&[A, B], &Found::Legacy), Ok(Some(&A)));
        assert_eq!(next(&[A, B], &Found::Versioned(vec![])), Ok(Some(&A)));
    }

    #[test]
    fn pending_then_done() {
        assert_eq!(
            next(&[A, B], &Found::Versioned(vec![row(&A)])),
            Ok(Some(&B))
        );
        assert_eq!(
            next(&[A, B], &Found::Versioned(vec![row(&A), row(&B)])),
            Ok(None)
        );
    }

    #[test]
    fn newer_is_refused_before_anything_else() {
        let mut bad = row(&A);
        bad.checksum = "edited".into();
        assert_eq!(
            next(&[A], &Found::Versioned(vec![bad, row(&B)])),
            Err(MigrationError::NewerSchema {
                database: 2,
                server: 1
            })
        );
        let e = MigrationError::NewerSchema {
            database: 7,
            server: 3,
        };
        assert_eq!(
            e.to_string(),
            "the database schema is version 7, newer than this server's 3: upgrade the server"
        );
    }

    #[test]
    fn edited_gap_and_unknown_are_refused() {
        let mut edited = row(&A);
        edited.checksum = "0".repeat(64);
        assert_eq!(
            next(&[A, B], &Found::Versioned(vec![edited])),
            Err(MigrationError::ChecksumMismatch {
                version: 1,
                name: "initial".into()
            })
        );
        assert_eq!(
            next(&[A, B], &Found::Versioned(vec![row(&B)])),
            Err(MigrationError::Gap {
                missing: 1,
                newest: 2
            })
        );
        let mut zero = row(&A);
        zero.version = 0;
        assert_eq!(
            next(&[A, B], &Found::Versioned(vec![zero, row(&A)])),
            Err(MigrationError::Unknown { version: 0 })
        );
    }

    #[test]
    fn lists_must_count_from_one() {
        assert!(matches!(
            next(&[B], &Found::Empty),
            Err(MigrationError::BadList(_))
        ));
        assert!(matches!(
            next(&[A, A], &Found::Empty),
            Err(MigrationError::BadList(_))
        ));
        let twice = Migration::new(2, "initial", "", "");
        assert!(matches!(
            check_list(&[A, twice]),
            Err(MigrationError::BadList(_))
        ));
        assert_eq!(check_list(&[]), Ok(()));
        assert_eq!(next(&[], &Found::Empty), Ok(None));
        // A gap (0009 merged before 0008) is accepted and applied after 1; backwards is not.
        let third = Migration::new(3, "third", "", "");
        assert_eq!(check_list(&[A, third]), Ok(()));
        assert_eq!(
            next(&[A, third], &Found::Versioned(vec![row(&A)])),
            Ok(Some(&third))
        );
        assert!(matches!(
            check_list(&[A, third, B]),
            Err(MigrationError::BadList(_))
        ));
    }
}
