//! The PostgreSQL side of the technicians' profiles (see [`crate::storage::people`]). Two
//! desks giving one employee number to two technicians at once: the unique index refuses the
//! second (`Conflict`).

use super::{PostgresStorage, pool_err};
use crate::msg::Thing;
use crate::storage::people::{PeopleStorage, TechnicianProfile, number_taken};
use crate::storage::{Fut, StorageError};

fn unique_violation(e: &tokio_postgres::Error) -> bool {
    e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION)
}

impl PeopleStorage for PostgresStorage {
    fn save_technician_profile(&self, p: TechnicianProfile) -> Fut<'_, ()> {
        Box::pin(async move {
            let body = serde_json::to_string(&p)?;
            let c = self.pool.get().await.map_err(pool_err)?;
            let exists: bool = c
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM technicians WHERE id = $1)",
                    &[&p.technician_id],
                )
                .await?
                .try_get(0)?;
            if !exists {
                return Err(StorageError::NotFound(Thing::Technician));
            }
            let r = c
                .execute(
                    "INSERT INTO technician_profiles (technician_id, employee_number, body, updated_at)
                     VALUES ($1, $2, $3, $4)
                     ON CONFLICT (technician_id) DO UPDATE SET
                         employee_number = excluded.employee_number, body = excluded.body,
                         updated_at = excluded.updated_at",
                    &[&p.technician_id, &p.employee_number, &body, &p.updated_at],
                )
                .await;
            match r {
                Ok(_) => Ok(()),
                Err(e) if unique_violation(&e) => Err(number_taken()),
                Err(e) => Err(e.into()),
            }
        })
    }

    fn technician_profile(&self, technician_id: String) -> Fut<'_, Option<TechnicianProfile>> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            let row = c
                .query_opt(
                    "SELECT body FROM technician_profiles WHERE technician_id = $1",
                    &[&technician_id],
                )
                .await?;
            match row {
                Some(r) => Ok(Some(serde_json::from_str(&r.try_get::<_, String>(0)?)?)),
                None => Ok(None),
            }
        })
    }

    fn technician_profiles(&self) -> Fut<'_, Vec<TechnicianProfile>> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            c.query(
                "SELECT body FROM technician_profiles ORDER BY employee_number",
                &[],
            )
            .await?
            .iter()
            .map(|r| Ok(serde_json::from_str(&r.try_get::<_, String>(0)?)?))
            .collect()
        })
    }
}
