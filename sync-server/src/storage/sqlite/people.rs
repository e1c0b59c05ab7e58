//! The SQLite side of the technicians' profiles (see [`crate::storage::people`]).

use crate::msg::Thing;
use rusqlite::{OptionalExtension, params};

use super::SqliteStorage;
use crate::storage::people::{PeopleStorage, TechnicianProfile, number_taken};
use crate::storage::{Fut, StorageError};

impl PeopleStorage for SqliteStorage {
    fn save_technician_profile(&self, p: TechnicianProfile) -> Fut<'_, ()> {
        self.run(move |c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let exists: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM technicians WHERE id = ?1)",
                [&p.technician_id],
                |r| r.get(0),
            )?;
            if !exists {
                return Err(StorageError::NotFound(Thing::Technician));
            }
            let taken: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM technician_profiles
                                WHERE employee_number = ?1 AND technician_id <> ?2)",
                params![p.employee_number, p.technician_id],
                |r| r.get(0),
            )?;
            if taken {
                return Err(number_taken());
            }
            tx.execute(
                "INSERT INTO technician_profiles (technician_id, employee_number, body, updated_at)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (technician_id) DO UPDATE SET employee_number = excluded.employee_number,
                     body = excluded.body, updated_at = excluded.updated_at",
                params![
                    p.technician_id,
                    p.employee_number,
                    serde_json::to_string(&p)?,
                    p.updated_at
                ],
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    fn technician_profile(&self, technician_id: String) -> Fut<'_, Option<TechnicianProfile>> {
        self.read(move |c| {
            let body: Option<String> = c
                .query_row(
                    "SELECT body FROM technician_profiles WHERE technician_id = ?1",
                    [&technician_id],
                    |r| r.get(0),
                )
                .optional()?;
            Ok(body.map(|b| serde_json::from_str(&b)).transpose()?)
        })
    }

    fn technician_profiles(&self) -> Fut<'_, Vec<TechnicianProfile>> {
        self.read(|c| {
            let mut stmt =
                c.prepare("SELECT body FROM technician_profiles ORDER BY employee_number")?;
            let bodies = stmt
                .query_map([], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(bodies
                .iter()
                .map(|b| serde_json::from_str(b))
                .collect::<Result<_, _>>()?)
        })
    }
}
