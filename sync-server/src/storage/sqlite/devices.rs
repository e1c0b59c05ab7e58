//! The SQLite side of technicians, enrolled devices and the one-time enrolment codes that
//! enrol them.

use fieldkit_core::model::DeviceId;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::records::{DeviceRecord, Technician};
use crate::storage::{StorageError, device_id_from};

pub(super) fn technician_exists(c: &Connection, id: &str) -> Result<bool, StorageError> {
    Ok(
        c.prepare_cached("SELECT EXISTS (SELECT 1 FROM technicians WHERE id = ?1)")?
            .query_row([id], |r| r.get(0))?,
    )
}

fn device_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<(String, String, i64, Option<i64>, i64)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

fn device_record(d: (String, String, i64, Option<i64>, i64)) -> Result<DeviceRecord, StorageError> {
    Ok(DeviceRecord {
        id: device_id_from(&d.0)?,
        technician_id: d.1,
        enrolled_at: d.2,
        revoked_at: d.3,
        last_seq: d.4,
    })
}

pub(super) fn create_technician(c: &Connection, t: Technician) -> Result<(), StorageError> {
    c.execute(
        "INSERT INTO technicians (id, name, created_at) VALUES (?1, ?2, ?3)",
        params![t.id, t.name, t.created_at],
    )?;
    Ok(())
}

pub(super) fn technicians(c: &Connection) -> Result<Vec<Technician>, StorageError> {
    let mut stmt =
        c.prepare("SELECT id, name, created_at FROM technicians ORDER BY created_at, id")?;
    let rows = stmt.query_map([], |r| {
        Ok(Technician {
            id: r.get(0)?,
            name: r.get(1)?,
            created_at: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(super) fn create_enrolment_code(
    c: &Connection,
    code_hash: String,
    technician_id: String,
    expires_at: i64,
    now: i64,
) -> Result<(), StorageError> {
    if !technician_exists(c, &technician_id)? {
        return Err(StorageError::NotFound("technician"));
    }
    c.execute(
        "INSERT INTO enrolment_codes (code_hash, technician_id, expires_at, created_at)
         VALUES (?1, ?2, ?3, ?4)",
        params![code_hash, technician_id, expires_at, now],
    )?;
    Ok(())
}

pub(super) fn enroll(
    c: &mut Connection,
    code_hash: String,
    device_id: DeviceId,
    token_hash: String,
    now: i64,
) -> Result<String, StorageError> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let dev = device_id.to_string();
    let code: Option<(String, i64, Option<String>)> = tx
        .query_row(
            "SELECT technician_id, expires_at, used_by FROM enrolment_codes
             WHERE code_hash = ?1",
            [&code_hash],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((tech, expires_at, used_by)) = code else {
        return Err(StorageError::InvalidCode);
    };
    if expires_at < now {
        return Err(StorageError::InvalidCode);
    }
    match used_by {
        Some(d) if d == dev => {
            tx.execute(
                "UPDATE devices SET token_hash = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                params![dev, token_hash],
            )?;
        }
        Some(_) => return Err(StorageError::InvalidCode),
        None => {
            let exists: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM devices WHERE id = ?1)",
                [&dev],
                |r| r.get(0),
            )?;
            if exists {
                return Err(StorageError::Conflict(
                    "this device id is already enrolled".into(),
                ));
            }
            tx.execute(
                "INSERT INTO devices (id, technician_id, token_hash, enrolled_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![dev, tech, token_hash, now],
            )?;
            tx.execute(
                "UPDATE enrolment_codes SET used_by = ?2 WHERE code_hash = ?1",
                params![code_hash, dev],
            )?;
        }
    }
    tx.commit()?;
    Ok(tech)
}

pub(super) fn device_by_token(
    c: &Connection,
    token_hash: String,
) -> Result<Option<DeviceRecord>, StorageError> {
    c.prepare_cached(
        "SELECT id, technician_id, enrolled_at, revoked_at, last_seq FROM devices
         WHERE token_hash = ?1",
    )?
    .query_row([token_hash], device_from)
    .optional()?
    .map(device_record)
    .transpose()
}

pub(super) fn devices(c: &Connection) -> Result<Vec<DeviceRecord>, StorageError> {
    let mut stmt = c.prepare(
        "SELECT id, technician_id, enrolled_at, revoked_at, last_seq FROM devices
         ORDER BY enrolled_at, id",
    )?;
    let rows = stmt
        .query_map([], device_from)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(device_record).collect()
}

pub(super) fn revoke_device(c: &Connection, id: DeviceId, now: i64) -> Result<(), StorageError> {
    let n = c.execute(
        "UPDATE devices SET revoked_at = COALESCE(revoked_at, ?2) WHERE id = ?1",
        params![id.to_string(), now],
    )?;
    if n == 0 {
        return Err(StorageError::NotFound("device"));
    }
    Ok(())
}
