//! The SQLite side of technicians, enrolled devices and the one-time enrolment codes that
//! enrol them.

use crate::msg::Thing;
use fieldkit_core::model::DeviceId;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::records::{DeviceRecord, Technician};
use crate::storage::enrolment::{self, CodeRow, DeviceRow, Enrolment, Step};
use crate::storage::{StorageError, device_id_from};

pub(super) fn technician_exists(c: &Connection, id: &str) -> Result<bool, StorageError> {
    Ok(
        c.prepare_cached("SELECT EXISTS (SELECT 1 FROM technicians WHERE id = ?1)")?
            .query_row([id], |r| r.get(0))?,
    )
}

type DeviceRowTuple = (String, String, i64, Option<i64>, i64, Option<String>);

/// The columns [`device_from`] reads, in order.
const DEVICE_COLUMNS: &str = "id, technician_id, enrolled_at, revoked_at, last_seq, public_key";

fn device_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<DeviceRowTuple> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

fn device_record(d: DeviceRowTuple) -> Result<DeviceRecord, StorageError> {
    Ok(DeviceRecord {
        id: device_id_from(&d.0)?,
        technician_id: d.1,
        enrolled_at: d.2,
        revoked_at: d.3,
        last_seq: d.4,
        public_key: d.5,
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
    id: String,
    code_hash: String,
    technician_id: String,
    expires_at: i64,
    now: i64,
) -> Result<(), StorageError> {
    if !technician_exists(c, &technician_id)? {
        return Err(StorageError::NotFound(Thing::Technician));
    }
    c.execute(
        "INSERT INTO enrolment_codes (id, code_hash, technician_id, expires_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, code_hash, technician_id, expires_at, now],
    )?;
    Ok(())
}

pub(super) fn enroll(c: &mut Connection, e: Enrolment) -> Result<String, StorageError> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let dev = e.device_id.to_string();
    let code = tx
        .query_row(
            "SELECT technician_id, expires_at, used_by, revoked_at FROM enrolment_codes
             WHERE code_hash = ?1",
            [&e.code_hash],
            |r| {
                Ok(CodeRow {
                    technician_id: r.get(0)?,
                    expires_at: r.get(1)?,
                    used_by: r.get(2)?,
                    revoked_at: r.get(3)?,
                })
            },
        )
        .optional()?;
    let device = tx
        .query_row(
            "SELECT technician_id, public_key, enrol_code_hash, revoked_at FROM devices
             WHERE id = ?1",
            [&dev],
            |r| {
                Ok(DeviceRow {
                    technician_id: r.get(0)?,
                    public_key: r.get(1)?,
                    enrol_code_hash: r.get(2)?,
                    revoked_at: r.get(3)?,
                })
            },
        )
        .optional()?;
    let step = enrolment::decide(&e, code.as_ref(), device.as_ref())?;
    let Some(code) = code else {
        return Err(StorageError::InvalidCode);
    };
    match step {
        Step::Repeat => return Ok(code.technician_id),
        Step::Insert => {
            tx.execute(
                "INSERT INTO devices (id, technician_id, token_hash, enrolled_at, public_key,
                                      enrol_code_hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    dev,
                    code.technician_id,
                    e.token_hash,
                    e.now,
                    e.public_key,
                    e.code_hash
                ],
            )?;
        }
        Step::Rebind => {
            tx.execute(
                "UPDATE devices SET token_hash = ?2, public_key = ?3, enrol_code_hash = ?4,
                        enrolled_at = ?5, revoked_at = NULL
                 WHERE id = ?1",
                params![dev, e.token_hash, e.public_key, e.code_hash, e.now],
            )?;
        }
    }
    tx.execute(
        "UPDATE enrolment_codes SET used_by = ?2 WHERE code_hash = ?1",
        params![e.code_hash, dev],
    )?;
    tx.commit()?;
    Ok(code.technician_id)
}

pub(super) fn revoke_enrolment_code(
    c: &Connection,
    id: &str,
    now: i64,
) -> Result<(), StorageError> {
    let n = c.execute(
        "UPDATE enrolment_codes SET revoked_at = COALESCE(revoked_at, ?2) WHERE id = ?1",
        params![id, now],
    )?;
    if n == 0 {
        return Err(StorageError::NotFound(Thing::EnrolmentCode));
    }
    Ok(())
}

pub(super) fn server_key(
    c: &Connection,
    name: &str,
    fresh: &[u8],
) -> Result<Vec<u8>, StorageError> {
    c.execute(
        "INSERT INTO server_keys (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
        params![name, fresh],
    )?;
    Ok(c.query_row(
        "SELECT value FROM server_keys WHERE name = ?1",
        [name],
        |r| r.get(0),
    )?)
}

pub(super) fn device_by_token(
    c: &Connection,
    token_hash: String,
) -> Result<Option<DeviceRecord>, StorageError> {
    c.prepare_cached(&format!(
        "SELECT {DEVICE_COLUMNS} FROM devices WHERE token_hash = ?1"
    ))?
    .query_row([token_hash], device_from)
    .optional()?
    .map(device_record)
    .transpose()
}

pub(super) fn devices(c: &Connection) -> Result<Vec<DeviceRecord>, StorageError> {
    let mut stmt = c.prepare(&format!(
        "SELECT {DEVICE_COLUMNS} FROM devices ORDER BY enrolled_at, id"
    ))?;
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
        return Err(StorageError::NotFound(Thing::Device));
    }
    Ok(())
}
