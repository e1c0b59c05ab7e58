//! Taking the unit to the workshop: the receipt shown to the customer and signed by them, the
//! photos of the unit's condition, then the take-back itself.

use crate::convert::{ms, ms_opt};
use crate::error::Result;
use crate::kit::FieldKit;
use crate::onsite::{TakeBack, TakeBackReceipt};
use crate::signing::{Signature, SigningSummary, Strokes, signature_of, summary_of};

#[uniffi::export]
impl FieldKit {
    /// The SHA-256 of each photo of the job's current (or last) visit, oldest first (e.g. to
    /// name the photos of the unit's condition in a take-back).
    pub fn photos(&self, job_id: String) -> Result<Vec<String>> {
        self.job_read(&job_id, |k, id| k.photos(id))
    }

    /// The summary of the open visit with this take-back receipt, to show the customer before
    /// they sign it (recorded as shown).
    pub fn take_back_summary(&self, job_id: String, take_back: TakeBack) -> Result<SigningSummary> {
        let tb = take_back.to_core();
        let s = self.job_command(&job_id, "take_back_summary", |k, id| {
            k.take_back_summary(id, &tb)
        })?;
        Ok(summary_of(s))
    }

    /// The customer signs the take-back receipt they were shown (`takeBackSummary`).
    pub fn sign_take_back_receipt(
        &self,
        job_id: String,
        take_back: TakeBack,
        signer_name: String,
        strokes: Strokes,
    ) -> Result<Signature> {
        let (tb, strokes) = (take_back.to_core(), strokes.to_core()?);
        let s = self.job_command(&job_id, "sign_take_back_receipt", |k, id| {
            k.sign_take_back_receipt(id, &tb, &signer_name, &strokes)
        })?;
        Ok(signature_of(s))
    }

    /// Takes the unit back to the workshop: receipt, goods-book entry, maybe a loaner. Where
    /// the visit's checklist asks for the evidence: `conditionPhotos` and the customer's
    /// signature on this very receipt (`signTakeBackReceipt`).
    pub fn take_back(&self, job_id: String, take_back: TakeBack) -> Result<TakeBackReceipt> {
        let tb = take_back.to_core();
        let r = self.job_command(&job_id, "take_back", |k, id| k.take_back(id, &tb))?;
        Ok(TakeBackReceipt {
            id: r.id.to_string(),
            receipt_no: r.receipt_no,
            reason: r.reason,
            issued_at_ms: ms(r.issued_at),
            goods_book_ref: r.goods_book_ref,
            loaner_id: r.loaner_id.map(|l| l.to_string()),
            returned_at_ms: ms_opt(r.returned_at),
        })
    }
}
