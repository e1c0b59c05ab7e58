//! The desk's side of spare parts, shared by the JSON API: the warehouse view per van and per
//! part (folded from the server's ledger), minimum levels (audited), the replenishment
//! requests raised from usage ([`settle`], after each push that moves stock), approved and
//! issued by the desk (audited; the issue is queued for the van's next pull) and closed when
//! the van records the receipt, and the loaners out with customers.

use crate::msg;
use crate::msg::Thing;
use crate::stored::Code;
use std::collections::BTreeMap;

use fieldkit_core::sync::protocol::{Change, IssuedReplenishment};
use serde::{Deserialize, Serialize};

use super::audit::{Action, Actor, record};
use crate::error::ApiError;
use crate::spares::ledger::{Ledger, Loaner, PartLine};
use crate::spares::{Replenishment, ReplenishmentState, StockMinimum, minimum_problem, to_raise};
use crate::state::AppState;

/// One part in one van, with its minimum level.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VanPart {
    #[serde(flatten)]
    pub line: PartLine,
    pub minimum: Option<i64>,
    pub below_minimum: bool,
}

/// One van's stock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VanStock {
    pub technician_id: String,
    pub parts: Vec<VanPart>,
}

/// One part over the vans shown.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartTotal {
    pub sku: String,
    pub on_hand: i64,
    pub used: i64,
    pub old_parts_returned: i64,
}

/// `GET /v1/admin/stock` answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockReport {
    pub as_of: i64,
    pub vans: Vec<VanStock>,
    pub parts: Vec<PartTotal>,
}

/// The warehouse view: one technician's van, or every van.
pub async fn stock(s: &AppState, technician_id: Option<String>) -> Result<StockReport, ApiError> {
    let now = s.clock.now_ms();
    let rows = s.storage.ledger_rows(technician_id.clone()).await?;
    let mins = s.storage.minimums(technician_id).await?;
    let ledger = Ledger::fold(&rows, now);
    let mut totals: BTreeMap<String, PartTotal> = BTreeMap::new();
    let vans = ledger
        .vans
        .into_iter()
        .map(|(tech, parts)| VanStock {
            parts: parts
                .into_values()
                .map(|line| {
                    let t = totals.entry(line.sku.clone()).or_insert_with(|| PartTotal {
                        sku: line.sku.clone(),
                        ..PartTotal::default()
                    });
                    t.on_hand += line.on_hand;
                    t.used += line.used;
                    t.old_parts_returned += line.old_parts_returned;
                    let minimum = mins
                        .iter()
                        .find(|m| m.technician_id == tech && m.sku == line.sku)
                        .map(|m| m.minimum);
                    VanPart {
                        below_minimum: minimum.is_some_and(|m| line.on_hand < m),
                        minimum,
                        line,
                    }
                })
                .collect(),
            technician_id: tech,
        })
        .collect();
    Ok(StockReport {
        as_of: now,
        vans,
        parts: totals.into_values().collect(),
    })
}

/// Sets a minimum level (400 for a bad one, 404 for an unknown technician); audited. Raises a
/// request at once when the van is already below it.
pub async fn set_minimum(
    s: &AppState,
    by: &Actor,
    m: StockMinimum,
) -> Result<StockMinimum, ApiError> {
    if let Some(p) = minimum_problem(&m) {
        return Err(ApiError::BadRequest(p));
    }
    if !s
        .storage
        .technicians()
        .await?
        .iter()
        .any(|t| t.id == m.technician_id)
    {
        return Err(ApiError::NotFound(Thing::Technician));
    }
    s.storage
        .set_minimum(m.clone(), by.login.clone(), s.clock.now_ms())
        .await?;
    record(
        s,
        by,
        Action::StockMinimumSet,
        Some(&m.technician_id),
        Some(
            Code::AuditSparesMinimum
                .said()
                .arg("sku", m.sku.as_str())
                .arg("minimum", m.minimum),
        ),
    )
    .await?;
    settle(s, &m.technician_id).await?;
    Ok(m)
}

/// After stock moved for a technician: closes the requests the van recorded as received and
/// raises one for each part now below its minimum with none open. Idempotent.
pub async fn settle(s: &AppState, technician_id: &str) -> Result<(), ApiError> {
    let now = s.clock.now_ms();
    let tech = Some(technician_id.to_owned());
    let rows = s.storage.ledger_rows(tech.clone()).await?;
    let requests = s.storage.replenishments(tech.clone()).await?;
    for (_, id) in Ledger::received_requests(&rows) {
        if let Some(r) = requests
            .iter()
            .find(|r| r.id == id && r.state == ReplenishmentState::Issued)
        {
            let closed = Replenishment {
                state: ReplenishmentState::Received,
                received_at: Some(now),
                ..r.clone()
            };
            s.storage
                .advance_replenishment(closed, ReplenishmentState::Issued, None, now)
                .await?;
        }
    }
    let ledger = Ledger::fold(&rows, now);
    let van = ledger.vans.get(technician_id);
    for m in s.storage.minimums(tech).await? {
        let on_hand = van.and_then(|v| v.get(&m.sku)).map_or(0, |l| l.on_hand);
        let mine = requests.iter().filter(|r| r.sku == m.sku);
        let open = mine
            .clone()
            .any(|r| r.state != ReplenishmentState::Received);
        if let Some(r) = to_raise(
            technician_id,
            &m.sku,
            on_hand,
            m.minimum,
            open,
            mine.count(),
            now,
        ) {
            s.storage.raise_replenishment(r).await?;
        }
    }
    Ok(())
}

/// `GET /v1/admin/stock/replenishments` answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replenishments {
    pub replenishments: Vec<Replenishment>,
}

/// Approves a raised request (404 unknown, 409 not raised); audited.
pub async fn approve(s: &AppState, by: &Actor, id: String) -> Result<Replenishment, ApiError> {
    let r = s
        .storage
        .replenishment(id)
        .await?
        .ok_or(ApiError::NotFound(Thing::Replenishment))?;
    if r.state != ReplenishmentState::Raised {
        return Err(ApiError::Conflict(msg!("err-replenishment-not-raised")));
    }
    let now = s.clock.now_ms();
    let next = Replenishment {
        state: ReplenishmentState::Approved,
        approved_by: Some(by.login.clone()),
        approved_at: Some(now),
        ..r
    };
    s.storage
        .advance_replenishment(next.clone(), ReplenishmentState::Raised, None, now)
        .await?;
    record(
        s,
        by,
        Action::ReplenishmentApproved,
        Some(&next.id),
        Some(
            Code::AuditSparesQuantity
                .said()
                .arg("sku", next.sku.as_str())
                .arg("quantity", next.quantity),
        ),
    )
    .await?;
    Ok(next)
}

/// Issues an approved request (404 unknown, 409 not approved): the van pulls it; audited.
pub async fn issue(s: &AppState, by: &Actor, id: String) -> Result<Replenishment, ApiError> {
    let r = s
        .storage
        .replenishment(id)
        .await?
        .ok_or(ApiError::NotFound(Thing::Replenishment))?;
    if r.state != ReplenishmentState::Approved {
        return Err(ApiError::Conflict(msg!("err-replenishment-not-approved")));
    }
    let now = s.clock.now_ms();
    let next = Replenishment {
        state: ReplenishmentState::Issued,
        issued_by: Some(by.login.clone()),
        issued_at: Some(now),
        ..r
    };
    let change = Change::Replenishment {
        replenishment: IssuedReplenishment {
            id: next.id.clone(),
            sku: next.sku.clone(),
            quantity: next.quantity,
            issued_at: now,
        },
    };
    s.storage
        .advance_replenishment(
            next.clone(),
            ReplenishmentState::Approved,
            Some(change),
            now,
        )
        .await?;
    record(
        s,
        by,
        Action::ReplenishmentIssued,
        Some(&next.id),
        Some(
            Code::AuditSparesQuantity
                .said()
                .arg("sku", next.sku.as_str())
                .arg("quantity", next.quantity),
        ),
    )
    .await?;
    Ok(next)
}

/// `GET /v1/admin/stock/loaners` answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Loaners {
    pub as_of: i64,
    /// Overdue first, then by when they were lent.
    pub loaners: Vec<Loaner>,
}

/// The loaners lent at take-backs, one technician's or everyone's.
pub async fn loaners(s: &AppState, technician_id: Option<String>) -> Result<Loaners, ApiError> {
    let now = s.clock.now_ms();
    let rows = s.storage.ledger_rows(technician_id).await?;
    let mut loaners = Ledger::fold(&rows, now).loaners;
    loaners.sort_by_key(|l| (!l.overdue, l.lent_at));
    Ok(Loaners {
        as_of: now,
        loaners,
    })
}
