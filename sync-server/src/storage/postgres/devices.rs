//! The PostgreSQL side of technicians, enrolled devices and the one-time enrolment codes
//! that enrol them.

use crate::msg;
use crate::msg::Thing;
use deadpool_postgres::{GenericClient, Pool};
use fieldkit_core::model::DeviceId;
use tokio_postgres::Row;

use super::pool_err;
use crate::records::{DeviceRecord, Technician};
use crate::storage::enrolment::{self, CodeRow, DeviceRow, Enrolment, Step};
use crate::storage::{StorageError, device_id_from};

pub(super) async fn technician_exists(
    c: &impl GenericClient,
    id: &str,
) -> Result<bool, StorageError> {
    Ok(c.query_one(
        "SELECT EXISTS (SELECT 1 FROM technicians WHERE id = $1)",
        &[&id],
    )
    .await?
    .try_get(0)?)
}

fn device_record(r: &Row) -> Result<DeviceRecord, StorageError> {
    Ok(DeviceRecord {
        id: device_id_from(&r.try_get::<_, String>(0)?)?,
        technician_id: r.try_get(1)?,
        enrolled_at: r.try_get(2)?,
        revoked_at: r.try_get(3)?,
        last_seq: r.try_get(4)?,
        public_key: r.try_get(5)?,
    })
}

pub(super) async fn create_technician(pool: &Pool, t: Technician) -> Result<(), StorageError> {
    let c = pool.get().await.map_err(pool_err)?;
    c.execute(
        "INSERT INTO technicians (id, name, created_at) VALUES ($1, $2, $3)",
        &[&t.id, &t.name, &t.created_at],
    )
    .await?;
    Ok(())
}

pub(super) async fn technicians(pool: &Pool) -> Result<Vec<Technician>, StorageError> {
    let c = pool.get().await.map_err(pool_err)?;
    let rows = c
        .query(
            "SELECT id, name, created_at FROM technicians ORDER BY created_at, id",
            &[],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Technician {
                id: r.try_get(0)?,
                name: r.try_get(1)?,
                created_at: r.try_get(2)?,
            })
        })
        .collect()
}

pub(super) async fn create_enrolment_code(
    pool: &Pool,
    id: String,
    code_hash: String,
    technician_id: String,
    expires_at: i64,
    now: i64,
) -> Result<(), StorageError> {
    let c = pool.get().await.map_err(pool_err)?;
    if !technician_exists(&c, &technician_id).await? {
        return Err(StorageError::NotFound(Thing::Technician));
    }
    c.execute(
        "INSERT INTO enrolment_codes (id, code_hash, technician_id, expires_at, created_at)
         VALUES ($1, $2, $3, $4, $5)",
        &[&id, &code_hash, &technician_id, &expires_at, &now],
    )
    .await?;
    Ok(())
}

pub(super) async fn enroll(pool: &Pool, e: Enrolment) -> Result<String, StorageError> {
    let mut c = pool.get().await.map_err(pool_err)?;
    let tx = c.transaction().await?;
    let dev = e.device_id.to_string();
    let code = tx
        .query_opt(
            "SELECT technician_id, expires_at, used_by, revoked_at FROM enrolment_codes
              WHERE code_hash = $1 FOR UPDATE",
            &[&e.code_hash],
        )
        .await?
        .map(|r| -> Result<CodeRow, StorageError> {
            Ok(CodeRow {
                technician_id: r.try_get(0)?,
                expires_at: r.try_get(1)?,
                used_by: r.try_get(2)?,
                revoked_at: r.try_get(3)?,
            })
        })
        .transpose()?;
    let device = tx
        .query_opt(
            "SELECT technician_id, public_key, enrol_code_hash, revoked_at FROM devices
              WHERE id = $1 FOR UPDATE",
            &[&dev],
        )
        .await?
        .map(|r| -> Result<DeviceRow, StorageError> {
            Ok(DeviceRow {
                technician_id: r.try_get(0)?,
                public_key: r.try_get(1)?,
                enrol_code_hash: r.try_get(2)?,
                revoked_at: r.try_get(3)?,
            })
        })
        .transpose()?;
    let step = enrolment::decide(&e, code.as_ref(), device.as_ref())?;
    let Some(code) = code else {
        return Err(StorageError::InvalidCode);
    };
    match step {
        Step::Repeat => return Ok(code.technician_id),
        Step::Insert => {
            // Two first enrolments of one new device id with different codes race here: the
            // primary key lets one in, the other is a conflict.
            let n = tx
                .execute(
                    "INSERT INTO devices (id, technician_id, token_hash, enrolled_at, public_key,
                                          enrol_code_hash)
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING",
                    &[
                        &dev,
                        &code.technician_id,
                        &e.token_hash,
                        &e.now,
                        &e.public_key,
                        &e.code_hash,
                    ],
                )
                .await?;
            if n == 0 {
                return Err(StorageError::Conflict(msg!("err-enrol-race")));
            }
        }
        Step::Rebind => {
            tx.execute(
                "UPDATE devices SET token_hash = $2, public_key = $3, enrol_code_hash = $4,
                        enrolled_at = $5, revoked_at = NULL
                  WHERE id = $1",
                &[&dev, &e.token_hash, &e.public_key, &e.code_hash, &e.now],
            )
            .await?;
        }
    }
    tx.execute(
        "UPDATE enrolment_codes SET used_by = $2 WHERE code_hash = $1",
        &[&e.code_hash, &dev],
    )
    .await?;
    tx.commit().await?;
    Ok(code.technician_id)
}

pub(super) async fn revoke_enrolment_code(
    pool: &Pool,
    id: String,
    now: i64,
) -> Result<(), StorageError> {
    let c = pool.get().await.map_err(pool_err)?;
    let n = c
        .execute(
            "UPDATE enrolment_codes SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1",
            &[&id, &now],
        )
        .await?;
    if n == 0 {
        return Err(StorageError::NotFound(Thing::EnrolmentCode));
    }
    Ok(())
}

pub(super) async fn server_key(
    pool: &Pool,
    name: &'static str,
    fresh: Vec<u8>,
) -> Result<Vec<u8>, StorageError> {
    let c = pool.get().await.map_err(pool_err)?;
    c.execute(
        "INSERT INTO server_keys (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        &[&name, &fresh],
    )
    .await?;
    Ok(
        c.query_one("SELECT value FROM server_keys WHERE name = $1", &[&name])
            .await?
            .try_get(0)?,
    )
}

pub(super) async fn device_by_token(
    pool: &Pool,
    token_hash: String,
) -> Result<Option<DeviceRecord>, StorageError> {
    let c = pool.get().await.map_err(pool_err)?;
    // Every push and pull starts here: prepared once per connection.
    let row = c
        .query_opt(
            &c.prepare_cached(
                "SELECT id, technician_id, enrolled_at, revoked_at, last_seq, public_key
                   FROM devices WHERE token_hash = $1",
            )
            .await?,
            &[&token_hash],
        )
        .await?;
    row.as_ref().map(device_record).transpose()
}

pub(super) async fn devices(pool: &Pool) -> Result<Vec<DeviceRecord>, StorageError> {
    let c = pool.get().await.map_err(pool_err)?;
    let rows = c
        .query(
            "SELECT id, technician_id, enrolled_at, revoked_at, last_seq, public_key FROM devices
              ORDER BY enrolled_at, id",
            &[],
        )
        .await?;
    rows.iter().map(device_record).collect()
}

pub(super) async fn revoke_device(pool: &Pool, id: DeviceId, now: i64) -> Result<(), StorageError> {
    let c = pool.get().await.map_err(pool_err)?;
    let n = c
        .execute(
            "UPDATE devices SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1",
            &[&id.to_string(), &now],
        )
        .await?;
    if n == 0 {
        return Err(StorageError::NotFound(Thing::Device));
    }
    Ok(())
}
