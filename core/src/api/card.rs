//! The technician's card on the device: who this phone's technician is (name, employee
//! number 工号) and the company's service hotline, as the server sends them with the
//! enrolment and on pulls; kept in the `technician_card` table (schema v10). Shown at the
//! `id_badge` step (004 一 第5章 第19条 (3): show the 工号卡 before entering; 八 第4条 (2))
//! and printed on the customer's copy with the hotline (004 一 第8章 第29条: the service
//! telephone made public to customers).

use serde::{Deserialize, Serialize};

use super::FieldKit;
use crate::clock::to_millis;
use crate::error::{Error, Result};
use crate::model::WorkOrderId;
use crate::sync::protocol::TechnicianCard;

/// The step whose context is the technician's card.
pub const BADGE_STEP: &str = "id_badge";

/// What a step shows beside its label, from what the device knows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepContext {
    pub step_id: String,
    /// The technician's card, for the `id_badge` step (None elsewhere, or before the server
    /// sent one).
    pub card: Option<TechnicianCard>,
    /// A line to show with the step: zh-CN, en (None when there is nothing to add).
    pub prompt: Option<(String, String)>,
}

impl FieldKit {
    /// The card the server last sent for this device's technician, if any.
    pub fn technician_card(&self) -> Result<Option<TechnicianCard>> {
        self.store.read(read_card)
    }

    /// What the job's step `step_id` shows beside its label: at `id_badge`, the employee
    /// number to show the customer. `NotFound` when the job has no open visit or its
    /// checklist has no such step.
    pub fn step_context(&self, id: WorkOrderId, step_id: &str) -> Result<StepContext> {
        let view = self.checklist(id)?;
        if !view.steps.iter().any(|s| s.id == step_id) {
            return Err(Error::NotFound {
                entity: "step",
                id: step_id.to_owned(),
            });
        }
        let card = if step_id == BADGE_STEP {
            self.technician_card()?
        } else {
            None
        };
        let prompt = card.as_ref().map(badge_prompt);
        Ok(StepContext {
            step_id: step_id.to_owned(),
            card,
            prompt,
        })
    }
}

/// "出示工号卡：工号 A1234（张三）" and its English.
fn badge_prompt(c: &TechnicianCard) -> (String, String) {
    match &c.employee_number {
        Some(n) => (
            format!("出示工号卡：工号 {n}（{}）", c.name),
            format!("Show your ID badge: employee no. {n} ({})", c.name),
        ),
        None => (
            format!("出示工号卡（{}）", c.name),
            format!("Show your ID badge ({})", c.name),
        ),
    }
}

/// The checks a card from the server must pass (lengths as the server's own limits).
pub(super) fn validate_card(c: &TechnicianCard) -> Result<()> {
    let bad = |s: &str, max: usize| {
        let t = s.trim();
        t.is_empty() || t.chars().count() > max || t.chars().any(char::is_control)
    };
    if bad(&c.technician_id, 64) || bad(&c.name, 200) {
        return Err(Error::invalid("card name", "empty, too long or not text"));
    }
    if c.employee_number.as_deref().is_some_and(|n| bad(n, 64)) {
        return Err(Error::invalid(
            "employee number",
            "empty, too long or not text",
        ));
    }
    if c.service_hotline.as_deref().is_some_and(|h| bad(h, 32)) {
        return Err(Error::invalid(
            "service hotline",
            "empty, too long or not text",
        ));
    }
    Ok(())
}

/// Keeps the card (replacing the one held); a card that fails [`validate_card`] is refused.
pub(super) fn store_card(
    tx: &rusqlite::Connection,
    card: &TechnicianCard,
    now: crate::model::Timestamp,
) -> Result<()> {
    validate_card(card)?;
    tx.execute(
        "INSERT INTO technician_card
             (singleton, technician_id, name, employee_number, service_hotline, updated_at)
         VALUES (1, ?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (singleton) DO UPDATE SET technician_id = ?1, name = ?2,
             employee_number = ?3, service_hotline = ?4, updated_at = ?5",
        (
            &card.technician_id,
            card.name.trim(),
            card.employee_number.as_deref().map(str::trim),
            card.service_hotline.as_deref().map(str::trim),
            to_millis(now),
        ),
    )?;
    Ok(())
}

fn read_card(c: &rusqlite::Connection) -> Result<Option<TechnicianCard>> {
    let mut stmt = c.prepare(
        "SELECT technician_id, name, employee_number, service_hotline FROM technician_card",
    )?;
    let mut rows = stmt.query_map([], |r| {
        Ok(TechnicianCard {
            technician_id: r.get(0)?,
            name: r.get(1)?,
            employee_number: r.get(2)?,
            service_hotline: r.get(3)?,
        })
    })?;
    Ok(rows.next().transpose()?)
}

#[cfg(test)]
mod tests {
    use crate::sync::protocol::{EnrollResponse, PullResponse};
    use uuid::Uuid;

    #[test]
    fn answers_without_a_card_still_parse() {
        // What an older server sends: no card.
        let e: EnrollResponse = serde_json::from_value(serde_json::json!({
            "device_id": Uuid::nil(), "technician_id": "t1", "token": "fkd_x"
        }))
        .unwrap();
        assert_eq!(e.card, None);
        let p: PullResponse =
            serde_json::from_value(serde_json::json!({"changes": [], "cursor": 3, "more": false}))
                .unwrap();
        assert_eq!(p.card, None);
        // And no card is sent as no field at all (an older app never sees one it must skip).
        assert!(!serde_json::to_string(&p).unwrap().contains("card"));
    }
}
