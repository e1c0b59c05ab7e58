//! Push judging of the van's stock: each stock op and each part used on a job against the
//! server's own ledger ([`crate::spares::ledger`]), as the batch moves it.

use std::collections::HashMap;

use fieldkit_core::sync::ops::StockOp;
use fieldkit_core::sync::protocol::Op;

use super::{APPLIED, Decision, Flags, conflict, refuse};
use crate::stored::Code;

/// The van's stock as the batch moves it (the server's ledger, [`crate::spares::ledger`]).
pub(super) struct Van {
    pub(super) on_hand: HashMap<String, i64>,
    pub(super) issued: HashMap<String, (String, i64)>,
}

impl Van {
    /// A part used on a job (judged by the job's rules): more than the ledger holds is
    /// flagged `stock_short`, never trusted silently; the use counts either way.
    pub(super) fn used_on_job(&mut self, op: &Op, sku: &str, quantity: i64, flags: &mut Flags<'_>) {
        let held = self.on_hand.entry(sku.to_owned()).or_insert(0);
        if quantity > *held {
            flags.raise(
                Some(op.entity_id.as_str()),
                op,
                "stock_short",
                Code::StockShortOnJob
                    .said()
                    .arg("quantity", quantity)
                    .arg("sku", sku)
                    .arg("held", *held),
            );
        }
        *held -= quantity;
    }

    /// A stock op: the part named by the envelope, a quantity 1–10000 (a count 0–10000). A
    /// use, return or write-off beyond the ledger is kept as a `conflict` (`stock_short`,
    /// flagged); a receipt must name a replenishment issued to this van with its part and
    /// quantity (else `rejected`, never counted); a count that differs from the ledger is
    /// kept as a `conflict` (`stock_count_differs`, flagged).
    pub(super) fn judge(&mut self, op: &Op, s: &StockOp, flags: &mut Flags<'_>) -> Decision {
        let sku = s.sku();
        if sku != op.entity_id {
            return refuse("bad_entity", Code::StockEntityMismatch);
        }
        let quantity = match s {
            StockOp::Count(c) => c.counted,
            StockOp::Receive(r) => r.quantity,
            _ => s.movement().map_or(0, |m| m.quantity),
        };
        let floor = if matches!(s, StockOp::Count(_)) { 0 } else { 1 };
        if !(floor..=10_000).contains(&quantity) {
            return refuse("bad_payload", Code::StockQuantityRange);
        }
        let held = self.on_hand.entry(sku.to_owned()).or_insert(0);
        match s {
            StockOp::Issue(_) => {
                *held += quantity;
                APPLIED
            }
            StockOp::Receive(r) => match self.issued.get(&r.request_id) {
                Some((isku, iq)) if isku == sku && *iq == quantity => {
                    self.issued.remove(&r.request_id);
                    *held += quantity;
                    APPLIED
                }
                _ => refuse("unknown_replenishment", Code::UnknownReplenishment),
            },
            StockOp::Count(_) => {
                if quantity == *held {
                    APPLIED
                } else {
                    let said = Code::StockCountDiffers
                        .said()
                        .arg("counted", quantity)
                        .arg("sku", sku)
                        .arg("held", *held);
                    flags.raise(None, op, "stock_count_differs", said.clone());
                    conflict("stock_count_differs", said)
                }
            }
            StockOp::Use(_) | StockOp::Return(_) | StockOp::WriteOff(_) => {
                let before = *held;
                *held -= quantity;
                if quantity > before {
                    let said = Code::StockShort
                        .said()
                        .arg("quantity", quantity)
                        .arg("sku", sku)
                        .arg("held", before);
                    flags.raise(None, op, "stock_short", said.clone());
                    conflict("stock_short", said)
                } else {
                    APPLIED
                }
            }
        }
    }
}
