//! The PostgreSQL side of technicians, enrolled devices and the one-time enrolment codes
//! that enrol them.

use deadpool_postgres::{GenericClient, Pool};
use fieldkit_core::model::DeviceId;
use tokio_postgres::Row;

use super::pool_err;
use crate::records::{DeviceRecord, Technician};
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
    code_hash: String,
    technician_id: String,
    expires_at: i64,
    now: i64,
) -> Result<(), StorageError> {
    let c = pool.get().await.map_err(pool_err)?;
    if !technician_exists(&c, &technician_id).await? {
        return Err(StorageError::NotFound("technician"));
    }
    c.execute(
        "INSERT INTO enrolment_codes (code_hash, technician_id, expires_at, created_at)
         VALUES ($1, $2, $3, $4)",
        &[&code_hash, &technician_id, &expires_at, &now],
    )
    .await?;
    Ok(())
}

pub(super) async fn enroll(
    pool: &Pool,
    code_hash: String,
    device_id: DeviceId,
    token_hash: String,
    now: i64,
) -> Result<String, StorageError> {
    let mut c = pool.get().await.map_err(pool_err)?;
    let tx = c.transaction().await?;
    let dev = device_id.to_string();
    let Some(row) = tx
        .query_opt(
            "SELECT technician_id, expires_at, used_by FROM enrolment_codes
              WHERE code_hash = $1 FOR UPDATE",
            &[&code_hash],
        )
        .await?
    else {
        return Err(StorageError::InvalidCode);
    };
    let tech: String = row.try_get(0)?;
    let expires_at: i64 = row.try_get(1)?;
    let used_by: Option<String> = row.try_get(2)?;
    if expires_at < now {
        return Err(StorageError::InvalidCode);
    }
    match used_by {
        Some(d) if d == dev => {
            tx.execute(
                "UPDATE devices SET token_hash = $2 WHERE id = $1 AND revoked_at IS NULL",
                &[&dev, &token_hash],
            )
            .await?;
        }
        Some(_) => return Err(StorageError::InvalidCode),
        None => {
            let exists: bool = tx
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM devices WHERE id = $1)",
                    &[&dev],
                )
                .await?
                .try_get(0)?;
            if exists {
                return Err(StorageError::Conflict(
                    "this device id is already enrolled".into(),
                ));
            }
            tx.execute(
                "INSERT INTO devices (id, technician_id, token_hash, enrolled_at)
                 VALUES ($1, $2, $3, $4)",
                &[&dev, &tech, &token_hash, &now],
            )
            .await?;
            tx.execute(
                "UPDATE enrolment_codes SET used_by = $2 WHERE code_hash = $1",
                &[&code_hash, &dev],
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(tech)
}

pub(super) async fn device_by_token(
    pool: &Pool,
    token_hash: String,
) -> Result<Option<DeviceRecord>, StorageError> {
    let c = pool.get().await.map_err(pool_err)?;
    let row = c
        .query_opt(
            "SELECT id, technician_id, enrolled_at, revoked_at, last_seq FROM devices
              WHERE token_hash = $1",
            &[&token_hash],
        )
        .await?;
    row.as_ref().map(device_record).transpose()
}

pub(super) async fn devices(pool: &Pool) -> Result<Vec<DeviceRecord>, StorageError> {
    let c = pool.get().await.map_err(pool_err)?;
    let rows = c
        .query(
            "SELECT id, technician_id, enrolled_at, revoked_at, last_seq FROM devices
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
        return Err(StorageError::NotFound("device"));
    }
    Ok(())
}
