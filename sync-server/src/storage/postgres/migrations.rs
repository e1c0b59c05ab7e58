//! The PostgreSQL backend's schema migrations (the rules and how to add one:
//! [`crate::storage::migrations`]). To add migration N: write `migrations/000N_name.sql`
//! beside this file and add its line to [`MIGRATIONS`]. Never edit a released migration.

use tokio_postgres::{Client, GenericClient};

use super::SCHEMA_LOCK;
use crate::storage::StorageError;
use crate::storage::migrations::{
    self, AppliedMigration, Found, LEGACY_TABLES, Migration, MigrationError, MigrationReport,
    VERSION_TABLE_SQL,
};

/// Every migration of the PostgreSQL schema, in order. The last argument is the released
/// file's SHA-256, checked by `released_migrations_are_unchanged`.
pub const MIGRATIONS: &[Migration] = &[
    Migration::new(
        1,
        "initial",
        include_str!("migrations/0001_initial.sql"),
        "b2bf4c08e9254f153a4da0fad29f2a0440a4f42b4449d90f190067db2530e38c",
    ),
    Migration::new(
        2,
        "judged_completions",
        include_str!("migrations/0002_judged_completions.sql"),
        "e3dd7ad15af6881bf38991c905d92593a230ea146c4574c896dd8c30546dab1c",
    ),
    Migration::new(
        3,
        "desk_accounts",
        include_str!("migrations/0003_desk_accounts.sql"),
        "aba70ecb2a1210c143cd1a2085a038578ac3e3a359f7729c152645b4923a7808",
    ),
    Migration::new(
        4,
        "device_keys",
        include_str!("migrations/0004_device_keys.sql"),
        "b88311b65adbab8c78e423c44849eb923d3ed532925f8931ae59d101ef8028f3",
    ),
    Migration::new(
        5,
        "cash_handins",
        include_str!("migrations/0005_cash_handins.sql"),
        "53f76bbbf10c4f1d3f638845a2d779b8ac33e7e74a72cc52795947fed32b6e77",
    ),
    Migration::new(
        6,
        "job_links",
        include_str!("migrations/0006_job_links.sql"),
        "0ffe29c824ed2431e50e62b33d2989ce2a3fd06ee0d4208c050a06a269da2efb",
    ),
    Migration::new(
        7,
        "invoices",
        include_str!("migrations/0007_invoices.sql"),
        "989857bb2cd85091be790e7f301aa41abc2ba6b708fd3bce923ef96621fbc542",
    ),
    Migration::new(
        8,
        "complaints_callbacks",
        include_str!("migrations/0008_complaints_callbacks.sql"),
        "1a8d3988c33f030f6257a56eadd8bc4e4727ec934744e15c585f3453c2583f16",
    ),
    Migration::new(
        9,
        "sla",
        include_str!("migrations/0009_sla.sql"),
        "7f091d8194f6a2f97f4fc654ffca1b6baf0d04bab2aa30ce13aab67fef64e71f",
    ),
    Migration::new(
        10,
        "technician_profiles",
        include_str!("migrations/0010_technician_profiles.sql"),
        "ae7a8c92b75cf6f6bb83da27fbc7c4c9a18c33646e6aaea70dc78a7fc54cb00c",
    ),
    Migration::new(
        11,
        "spares",
        include_str!("migrations/0011_spares.sql"),
        "eaebbfd7bd3466d0c227f34d68a571ae1cc4f7155dacdd6cecf24c3d0f26400d",
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
        "457b3e550b5cb6561ee6748c27a87ea25b7012972aa0085efbfa98ab521fbe55",
    ),
    Migration::new(
        14,
        "leases",
        include_str!("migrations/0014_leases.sql"),
        "dc12e6bf9a9f9615a4191cd644316e47222a2cfeac42f883162fa91a9c7e2b28",
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
        "7e2e269f4ff8773862f54b1c573366d963457f16d687f1b1861406f3cf8fb76e",
    ),
];

/// Brings the database to the newest of `migrations` (the server passes [`MIGRATIONS`]):
/// each pending migration in its own transaction with its version row, under the schema
/// advisory lock (servers starting at once wait for each other and apply each migration
/// once). A refused database ([`MigrationError::NewerSchema`],
/// [`MigrationError::ChecksumMismatch`]…) is left untouched.
pub async fn migrate(
    client: &mut Client,
    migrations: &[Migration],
) -> Result<MigrationReport, StorageError> {
    migrations::check_list(migrations)?;
    let mut report: Option<MigrationReport> = None;
    loop {
        // Dropped without commit (a refusal, a failure, or nothing to do): rolled back.
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])
            .await?;
        let found = found(&tx).await?;
        let report = report.get_or_insert_with(|| MigrationReport::new(&found));
        let Some(m) = migrations::next(migrations, &found)? else {
            break;
        };
        tx.batch_execute(VERSION_TABLE_SQL).await?;
        tx.batch_execute(m.sql)
            .await
            .map_err(|e| MigrationError::Failed {
                version: m.version,
                name: m.name.to_owned(),
                reason: reason(&e),
            })?;
        tx.execute(
            "INSERT INTO fieldkit_schema (version, name, checksum, applied_at)
             VALUES ($1, $2, $3, $4)",
            &[
                &(m.version as i32),
                &m.name,
                &m.checksum(),
                &migrations::now_ms(),
            ],
        )
        .await?;
        tx.commit().await?;
        report.record(m);
    }
    Ok(report.expect("the loop reads the database at least once"))
}

/// Why a statement failed, without the server's DETAIL (it can quote row values).
fn reason(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} (SQLSTATE {})", db.message(), db.code().code()),
        None => "the database connection failed".into(),
    }
}

/// The version table's rows, oldest first (empty when there is none).
pub async fn applied(c: &impl GenericClient) -> Result<Vec<AppliedMigration>, StorageError> {
    if !table_exists(c, "fieldkit_schema").await? {
        return Ok(Vec::new());
    }
    c.query(
        "SELECT version, name, checksum, applied_at FROM fieldkit_schema ORDER BY version",
        &[],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(AppliedMigration {
            version: i64::from(r.try_get::<_, i32>(0)?),
            name: r.try_get(1)?,
            checksum: r.try_get(2)?,
            applied_at: r.try_get(3)?,
        })
    })
    .collect()
}

/// A table in the schema unqualified names resolve to (where the migrations create theirs).
async fn table_exists(c: &impl GenericClient, name: &str) -> Result<bool, StorageError> {
    Ok(c.query_one(
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_tables
                         WHERE schemaname = current_schema() AND tablename = $1)",
        &[&name],
    )
    .await?
    .try_get(0)?)
}

async fn found(c: &impl GenericClient) -> Result<Found, StorageError> {
    if table_exists(c, "fieldkit_schema").await? {
        return Ok(Found::Versioned(applied(c).await?));
    }
    for t in LEGACY_TABLES {
        if table_exists(c, t).await? {
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
                "postgres migration {} ({}) differs from the released file: a released \
                 migration is never edited (add a new one); a new migration records this \
                 SHA-256",
                m.version,
                m.name
            );
        }
    }
}
