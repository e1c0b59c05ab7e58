//! Taking the unit to the workshop (PROCEDURE 14): the receipt shown to the customer and
//! signed by them, the photos of the unit's condition, then the take-back itself — the receipt,
//! the goods-book entry, maybe a loaner — in one transaction with its op. The evidence is asked
//! of the job's replay, the very question the server's judge asks.

use serde::{Deserialize, Serialize};

use super::{FieldKit, SignatureInput, SigningSummary, text};
use crate::error::{Error, Result};
use crate::media::signature::{Strokes, SummaryTakeBack};
use crate::model::*;
use crate::store::{Durability, records};
use crate::sync::ops::*;
use crate::workflow::JobAction;

/// The unit goes to the workshop (step 14).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TakeBack {
    /// The number on the paper receipt handed to the customer.
    pub receipt_no: String,
    pub reason: String,
    /// The entry in the company's goods in/out book.
    pub goods_book_ref: String,
    /// A loaner left with the customer: (model, serial).
    pub loaner: Option<(String, String)>,
    /// SHA-256 of the photos of the unit's condition, taken on this visit (`add_photo`).
    #[serde(default)]
    pub condition_photos: Vec<String>,
}

/// The receipt as the customer signs for it, each text checked as the take-back records it.
fn receipt_of(tb: &TakeBack) -> Result<SummaryTakeBack> {
    Ok(SummaryTakeBack {
        receipt_no: text("receipt number", &tb.receipt_no, 64)?,
        reason: text("reason", &tb.reason, 500)?,
        goods_book_ref: text("goods book entry", &tb.goods_book_ref, 64)?,
        loaner: match &tb.loaner {
            Some((m, s)) => Some((text("loaner model", m, 128)?, text("loaner serial", s, 64)?)),
            None => None,
        },
    })
}

impl FieldKit {
    /// The SHA-256 of each photo of the job's current (or last) visit, oldest first (e.g. to
    /// name the photos of the unit's condition for a take-back).
    pub fn photos(&self, id: WorkOrderId) -> Result<Vec<String>> {
        match self.job(id)?.visit {
            Some(v) => self.store.read(|c| {
                Ok(records::visit_photos(c, v.id)?
                    .into_iter()
                    .map(|(sha, _)| sha)
                    .collect())
            }),
            None => Ok(Vec::new()),
        }
    }

    /// The summary of the open visit with the take-back receipt `tb` (what the customer signs
    /// before the unit goes: the visit's records, the receipt, the loaner). Records that it was
    /// shown, like [`FieldKit::summary_for_signing`].
    pub fn take_back_summary(&self, id: WorkOrderId, tb: &TakeBack) -> Result<SigningSummary> {
        self.show_summary(id, Some(receipt_of(tb)?))
    }

    /// The customer signs the take-back receipt `tb` they were shown
    /// ([`FieldKit::take_back_summary`]): a customer signature over the visit with the receipt,
    /// on no step. `signer_name` 1–128 characters (personal data: never logged).
    pub fn sign_take_back_receipt(
        &self,
        id: WorkOrderId,
        tb: &TakeBack,
        signer_name: &str,
        strokes: &Strokes,
    ) -> Result<Signature> {
        let receipt = receipt_of(tb)?;
        let input = SignatureInput {
            signer_name: signer_name.to_owned(),
            role: SignerRole::Customer,
            strokes: strokes.clone(),
            step_id: None,
            finding: None,
        };
        self.sign_over(id, &input, Some(receipt))
    }

    /// Takes the unit back to the workshop (step 14): a receipt for the customer, an entry
    /// in the goods book, maybe a loaner. Where the visit's checklist asks for the evidence
    /// (templates v3 on): `condition_photos` of this visit (at least one) and the customer's
    /// signature on this very receipt ([`FieldKit::take_back_summary`], then
    /// [`FieldKit::sign_take_back_receipt`]). The return visit follows the take-back template.
    pub fn take_back(&self, id: WorkOrderId, tb: &TakeBack) -> Result<TakeBackReceipt> {
        let signed_form = receipt_of(tb)?;
        let SummaryTakeBack {
            receipt_no,
            reason,
            goods_book_ref,
            loaner,
        } = signed_form.clone();
        self.command(id, Durability::Full, |tx, cur, now| {
            let visit_id = cur.visit("take the unit back")?.id;
            // The state first, then the evidence: the server's judge asks in the same order.
            cur.job().apply(JobAction::TakeBack)?;
            let shortfall = self.with_replay(tx, &cur.order, |r, cx| {
                let v = r.open_visit()?;
                let t = v.template(cx).ok()?;
                v.take_back_shortfall(&t, &signed_form, &tb.condition_photos)
            })?;
            if let Some((_, why)) = shortfall {
                return Err(Error::invalid("take back", why));
            }
            self.transition(tx, cur, JobAction::TakeBack, now)?;
            let loaner = loaner
                .map(|(model, serial)| -> Result<Loaner> {
                    let l = Loaner {
                        id: LoanerId::new(),
                        work_order_id: id,
                        model,
                        serial,
                        lent_at: now,
                        returned_at: None,
                    };
                    records::insert_loaner(tx, &l)?;
                    Ok(l)
                })
                .transpose()?;
            let receipt = TakeBackReceipt {
                id: ReceiptId::new(),
                work_order_id: id,
                visit_id,
                receipt_no,
                reason,
                issued_at: now,
                goods_book_ref,
                loaner_id: loaner.as_ref().map(|l| l.id),
                returned_at: None,
            };
            records::insert_receipt(tx, &receipt)?;
            let op = JobOp::TakeBack(Box::new(TakeBackV1 {
                receipt: ReceiptV1 {
                    id: receipt.id,
                    work_order_id: receipt.work_order_id,
                    visit_id: receipt.visit_id,
                    receipt_no: receipt.receipt_no.clone(),
                    reason: receipt.reason.clone(),
                    issued_at: receipt.issued_at,
                    goods_book_ref: receipt.goods_book_ref.clone(),
                    loaner_id: receipt.loaner_id,
                    returned_at: receipt.returned_at,
                },
                loaner: loaner.map(|l| LoanerV1 {
                    id: l.id,
                    work_order_id: l.work_order_id,
                    model: l.model,
                    serial: l.serial,
                    lent_at: l.lent_at,
                    returned_at: l.returned_at,
                }),
                condition_photos: tb.condition_photos.clone(),
            }));
            tx.record(id, Some(visit_id), &op)?;
            Ok(receipt)
        })
    }
}
