//! The SQLite backend's schema migrations (the rules and how to add one:
//! [`crate::storage::migrations`]). To add migration N: write `migrations/000N_name.sql`
//! beside this file and add its line to [`MIGRATIONS`]. Never edit a released migration.

use rusqlite::{Connection, Transaction, TransactionBehavior, params};

use crate::storage::StorageError;
use crate::storage::migrations::{
    self, AppliedMigration, Found, LEGACY_TABLES, Migration, MigrationError, MigrationReport,
    VERSION_TABLE_SQL,
};

/// Every migration of the SQLite schema, in order. The last argument is the released file's
/// SHA-256, checked by `released_migrations_are_unchanged`.
pub const MIGRATIONS: &[Migration] = &[
    Migration::new(
        1,
        "initial",
        include_str!("migrations/0001_initial.sql"),
        "30660cdc9f5654289091899a35c747e8a1993177a5fa36d14828993f387205c6",
    ),
    Migration::new(
        2,
        "judged_completions",
        include_str!("migrations/0002_judged_completions.sql"),
        "f918165059e641c20d46f393fa68dba2a34122d8804b9d283782c5ba66e1c877",
    ),
    Migration::new(
        3,
        "desk_accounts",
        include_str!("migrations/0003_desk_accounts.sql"),
        "66c3be3f8aaaf5c6082c5bf06c7fc20ac6e9abd5cc18d8f1b406a55d76cb345d",
    ),
    Migration::new(
        4,
        "device_keys",
        include_str!("migrations/0004_device_keys.sql"),
        "6466e5af74ae71d1adc84aa28ed01d5ab7a21b42fec8269781caf533aa9c984d",
    ),
    Migration::new(
        5,
        "cash_handins",
        include_str!("migrations/0005_cash_handins.sql"),
        "af5879b9e5c3eeb6950916d9c9566d5d04fc4361c6692958a54b18c687bb6fab",
    ),
    Migration::new(
        6,
        "job_links",
        include_str!("migrations/0006_job_links.sql"),
        "06ca5309c7a82520f1fdc69bd0cc3c059b7586bd338a732efffd49737126711b",
    ),
    Migration::new(
        7,
        "invoices",
        include_str!("migrations/0007_invoices.sql"),
        "7f1b526e3821fea9bd2b789da15d2a1ac22244c1771265e1de3a05d9ac628b02",
    ),
    Migration::new(
        8,
        "complaints_callbacks",
        include_str!("migrations/0008_complaints_callbacks.sql"),
        "e69e25ea176b6bee8c8526e60acccc0638e7a179a1e9acf0bb544c332badfbdd",
    ),
    Migration::new(
        9,
        "sla",
        include_str!("migrations/0009_sla.sql"),
        "2b1883c448c62ba755224edc0b2366783008f824f0519c6c3b5c1a530c067a13",
    ),
    Migration::new(
        10,
        "technician_profiles",
        include_str!("migrations/0010_technician_profiles.sql"),
        "f62b5d38aed02e0f1a8a3989f6c86978d2090366022396aed5920532bcb90c78",
    ),
    Migration::new(
        11,
        "spares",
        include_str!("migrations/0011_spares.sql"),
        "b359352007f542c1cac59b7357caddea239c0efcb0315c5b9b119c675b52e656",
    ),
    Migration::new(
        12,
        "desk_language",
        include_str!("migrations/0012_desk_language.sql"),
        "030115fc1fae95c9faff329d38d59843b177ce59ac26b0ffcc38595c19d50fe1",
    ),
    Migration::new(
        13,
        "tools",
        include_str!("migrations/0013_tools.sql"),
        "0c7a491a627de1aa2b57d1262ff172a7baa233844ae5fe6e02b351cf363f4d26",
    ),
    Migration::new(
        14,
        "leases",
        include_str!("migrations/0014_leases.sql"),
        "c90cd19c4c845d8eba337837f84291062924a3c81c1bb7d8148abf9b4e426025",
    ),
    Migration::new(
        15,
        "stored_codes",
        include_str!("migrations/0015_stored_codes.sql"),
        "583f846ce1b20f3eb26510694c4d68db7cd0ea554216c0cbb3811903eccd61d6",
    ),
    Migration::new(
        16,
        "lz4_toast",
        include_str!("migrations/0016_lz4_toast.sql"),
        "2b1cd7cfcc7eec8e14d36df980b8880cb29f84f3f7599f6a25050fa515a43a48",
    ),
];

/// Brings the database on `c` to the newest of `migrations` (the server passes
/// [`MIGRATIONS`]): each pending migration in its own `BEGIN IMMEDIATE` transaction with
/// its version row. A refused database ([`MigrationError::NewerSchema`],
/// [`MigrationError::ChecksumMismatch`]…) is left untouched. Run it before
/// `PRAGMA foreign_keys = ON` and `journal_mode = WAL` (see the module doc of
/// [`crate::storage::migrations`]).
pub fn migrate(c: &Connection, migrations: &[Migration]) -> Result<MigrationReport, StorageError> {
    migrations::check_list(migrations)?;
    let mut report: Option<MigrationReport> = None;
    loop {
        // Dropped without commit (a refusal, a failure, or nothing to do): rolled back.
        let tx = Transaction::new_unchecked(c, TransactionBehavior::Immediate)?;
        let found = found(&tx)?;
        let report = report.get_or_insert_with(|| MigrationReport::new(&found));
        let Some(m) = migrations::next(migrations, &found)? else {
            break;
        };
        tx.execute_batch(VERSION_TABLE_SQL)?;
        tx.execute_batch(m.sql)
            .map_err(|e| MigrationError::Failed {
                version: m.version,
                name: m.name.to_owned(),
                reason: e.to_string(),
            })?;
        if tx.is_autocommit() {
            return Err(MigrationError::Failed {
                version: m.version,
                name: m.name.to_owned(),
                reason: "it ended the runner's transaction (a migration holds no BEGIN or \
                         COMMIT)"
                    .into(),
            }
            .into());
        }
        tx.execute(
            "INSERT INTO fieldkit_schema (version, name, checksum, applied_at)
             VALUES (?1, ?2, ?3, ?4)",
            params![m.version, m.name, m.checksum(), migrations::now_ms()],
        )?;
        tx.commit()?;
        report.record(m);
    }
    Ok(report.expect("the loop reads the database at least once"))
}

/// The version table's rows, oldest first (empty when there is none).
pub fn applied(c: &Connection) -> Result<Vec<AppliedMigration>, StorageError> {
    if !table_exists(c, "fieldkit_schema")? {
        return Ok(Vec::new());
    }
    Ok(c.prepare(
        "SELECT version, name, checksum, applied_at FROM fieldkit_schema ORDER BY version",
    )?
    .query_map([], |r| {
        Ok(AppliedMigration {
            version: r.get(0)?,
            name: r.get(1)?,
            checksum: r.get(2)?,
            applied_at: r.get(3)?,
        })
    })?
    .collect::<rusqlite::Result<_>>()?)
}

fn table_exists(c: &Connection, name: &str) -> Result<bool, StorageError> {
    Ok(c.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1)",
        [name],
        |r| r.get(0),
    )?)
}

fn found(c: &Connection) -> Result<Found, StorageError> {
    if table_exists(c, "fieldkit_schema")? {
        return Ok(Found::Versioned(applied(c)?));
    }
    for t in LEGACY_TABLES {
        if table_exists(c, t)? {
            return Ok(Found::Legacy);
        }
    }
    Ok(Found::Empty)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Editing a released migration must fail CI: each file keeps the SHA-256 recorded in
    /// [`MIGRATIONS`] (a new migration: record what this prints).
    #[test]
    fn released_migrations_are_unchanged() {
        migrations::check_list(MIGRATIONS).unwrap();
        for m in MIGRATIONS {
            assert_eq!(
                m.checksum(),
                m.released_sha256,
                "sqlite migration {} ({}) differs from the released file: a released \
                 migration is never edited (add a new one); a new migration records this \
                 SHA-256",
                m.version,
                m.name
            );
        }
    }

    #[test]
    fn same_versions_and_names_as_postgres() {
        let names = |l: &[Migration]| l.iter().map(|m| (m.version, m.name)).collect::<Vec<_>>();
        assert_eq!(
            names(MIGRATIONS),
            names(crate::storage::postgres::migrations::MIGRATIONS)
        );
    }

    #[test]
    fn fresh_then_no_op() {
        let c = Connection::open_in_memory().unwrap();
        let r = migrate(&c, MIGRATIONS).unwrap();
        let all: Vec<u32> = MIGRATIONS.iter().map(|m| m.version).collect();
        assert_eq!(r.applied, all);
        assert_eq!(r.version, i64::from(*all.last().unwrap()));
        let r = migrate(&c, MIGRATIONS).unwrap();
        assert!(r.applied.is_empty());
        assert_eq!(applied(&c).unwrap().len(), MIGRATIONS.len());
    }
}
