//! The op payloads, version 1: one struct per op kind's payload shape, shared by the device
//! and the server. A payload shape never changes within a version: a new shape is a new struct
//! (`…V2`), written here next to the one it supersedes, and the catalogue ([`super::JobOp`],
//! [`super::StockOp`]) gains a variant for it. Parsing is strict (`deny_unknown_fields`).

use serde::{Deserialize, Serialize};

use crate::checklist::AnswerValue;
use crate::media::signature::{SignedSummary, Strokes};
use crate::model::*;

/// A payload with no facts (`accept`, `start_travel`, `start_work`, `resume`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoFieldsV1 {}

/// `call_customer`: the pre-visit call (PROCEDURE 1). A reached call plans (or re-confirms)
/// the visit; `template` is the checklist the device planned it with (informative: the
/// server judges with the job's pinned template, never the device's choice).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallCustomerV1 {
    pub id: CallId,
    pub work_order_id: WorkOrderId,
    pub called_at: Timestamp,
    pub reached: bool,
    pub confirmed: CallConfirmations,
    pub agreed: Option<TimeWindow>,
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<TemplateRef>,
}

/// `reschedule`: a new window before arrival, with the reason.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RescheduleV1 {
    pub window: TimeWindow,
    pub reason: String,
}

/// `notify_delay`: the customer told the technician will be late (PROCEDURE 3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyDelayV1 {
    pub id: DelayNoticeId,
    pub visit_id: VisitId,
    pub notified_at: Timestamp,
    pub reason: String,
    pub new_eta: Timestamp,
    pub in_time: bool,
}

/// `arrive`: on site; whether late and whether the customer was told in time.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArriveV1 {
    pub late: bool,
    pub notified_in_time: bool,
}

/// `no_access`: nobody home; the note says what happened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoAccessV1 {
    pub note: String,
}

/// `cancel`, `pause`, `decline_quote` and `need_second_visit`: a reason.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReasonV1 {
    pub reason: String,
}

/// `answer_step`: an answer to a checklist step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerStepV1 {
    pub step: String,
    pub answer: AnswerValue,
}

/// `except_step`: a step skipped with the reason (where the template allows it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExceptStepV1 {
    pub step: String,
    pub reason: String,
}

/// `record_finding`: an anomaly on the service record (PROCEDURE 7).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordFindingV1 {
    pub id: FindingId,
    pub visit_id: VisitId,
    pub kind: FindingKind,
    pub description: String,
    pub recorded_at: Timestamp,
    pub acknowledged_by: Option<SignatureId>,
}

/// `consent_to_fees`: the customer's answer to the fee schedule shown (PROCEDURE 9).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentToFeesV1 {
    pub id: FeeConsentId,
    pub visit_id: VisitId,
    pub schedule_id: String,
    pub schedule_version: u32,
    pub items: Vec<String>,
    pub total: Cents,
    pub agreed: bool,
    pub at: Timestamp,
}

/// `take_back`: the unit goes to the workshop (PROCEDURE 14).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TakeBackV1 {
    pub receipt: ReceiptV1,
    pub loaner: Option<LoanerV1>,
    /// SHA-256 of the photos of the unit's condition, taken on the visit (absent from older
    /// apps' ops; required where the visit's checklist asks for the evidence).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub condition_photos: Vec<String>,
}

impl TakeBackV1 {
    /// The receipt as a customer signs for it.
    pub fn signed_form(&self) -> crate::media::signature::SummaryTakeBack {
        crate::media::signature::SummaryTakeBack {
            receipt_no: self.receipt.receipt_no.clone(),
            reason: self.receipt.reason.clone(),
            goods_book_ref: self.receipt.goods_book_ref.clone(),
            loaner: self
                .loaner
                .as_ref()
                .map(|l| (l.model.clone(), l.serial.clone())),
        }
    }
}

/// The receipt of a take-back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptV1 {
    pub id: ReceiptId,
    pub work_order_id: WorkOrderId,
    pub visit_id: VisitId,
    pub receipt_no: String,
    pub reason: String,
    pub issued_at: Timestamp,
    pub goods_book_ref: String,
    pub loaner_id: Option<LoanerId>,
    pub returned_at: Option<Timestamp>,
}

/// A loaner left with the customer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoanerV1 {
    pub id: LoanerId,
    pub work_order_id: WorkOrderId,
    pub model: String,
    pub serial: String,
    pub lent_at: Timestamp,
    pub returned_at: Option<Timestamp>,
}

/// `feedback`: the customer's rating and comment (PROCEDURE 17).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedbackV1 {
    pub id: FeedbackId,
    pub visit_id: VisitId,
    pub rating: u8,
    pub comment: Option<String>,
    pub complaint: bool,
    pub at: Timestamp,
}

/// `complete`: the visit and the job are done.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompleteV1 {
    pub completed_at: Timestamp,
    pub signatures: Vec<SignatureId>,
}

/// `add_photo`: a photo for the visit, for a step when named. Older apps sent no size or
/// thumbnail.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddPhotoV1 {
    pub sha256: String,
    pub kind: AttachmentKind,
    pub mime: String,
    pub size: i64,
    pub visit_id: VisitId,
    pub step_id: Option<String>,
    #[serde(default)]
    pub width: Option<u32>,
    #[serde(default)]
    pub height: Option<u32>,
    #[serde(default)]
    pub thumbnail_sha256: Option<String>,
}

/// `record_part`: a part installed (PROCEDURE 12).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordPartV1 {
    pub id: PartUsageId,
    pub visit_id: VisitId,
    pub sku: String,
    pub quantity: i64,
    pub new_serial: Option<String>,
    pub old_part: OldPartFate,
    pub old_serial: Option<String>,
    pub stock_short: bool,
    pub at: Timestamp,
}

/// `await_parts`: diagnosed, but a part is not in the van (待件): the visit ends, the parts
/// are requested, and the job waits for a follow-up visit. The note says what was found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwaitPartsV1 {
    pub parts: Vec<PartRequestV1>,
    pub note: String,
}

/// `refuse_signature`: the work is done, the customer will not sign the service record. The
/// reason, and at least one of a witness's name and a photo of this visit (by its SHA-256).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefuseSignatureV1 {
    pub reason: String,
    pub witness: Option<String>,
    pub photo_sha256: Option<String>,
}

/// `request_redelivery`: the delivered unit was found damaged on unboxing. The finding (kind
/// `damaged_on_delivery`, confirmed by the customer's signature) and a note for the desk.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestRedeliveryV1 {
    pub finding: FindingId,
    pub note: String,
}

/// `return_loaner`: the loaner lent at a take-back came back to the technician, recorded on
/// the visit that brings the repaired unit back (on site).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnLoanerV1 {
    pub loaner: LoanerId,
}

/// `settle`: a paid visit's fee settled (结算), in close-out. The amount, how it was paid, the
/// receipt or invoice number issued on site or (none) the invoice's due date, 3 days on, and
/// why the amount differs from the consented total when it does. The consented total is not
/// sent: each side takes it from its own record of the visit's fee consent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettleV1 {
    pub id: SettlementId,
    pub amount: Cents,
    pub method: PaymentMethod,
    pub receipt_no: Option<String>,
    pub invoice_due: Option<Timestamp>,
    pub reason: Option<String>,
    pub at: Timestamp,
}

/// One part a waiting job needs: a catalogue SKU and how many.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartRequestV1 {
    pub sku: String,
    pub quantity: i64,
}

/// `summary_viewed`: the signer was shown the summary with this hash.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SummaryViewedV1 {
    pub summary_sha256: String,
    /// The take-back receipt shown with the visit's records, before the unit is taken back
    /// (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub take_back: Option<crate::media::signature::SummaryTakeBack>,
}

/// `sign`: a signature, bound to the summary it was given over and to the job's timeline.
/// Older apps sent no binding (`summary_sha256`, `chain_head`, `seal`), strokes or summary.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignV1 {
    pub id: SignatureId,
    pub visit_id: VisitId,
    /// Personal data: never logged.
    pub signer_name: String,
    pub role: SignerRole,
    pub signed_at: Timestamp,
    pub image_sha256: String,
    pub device_id: DeviceId,
    pub step_id: Option<String>,
    #[serde(default)]
    pub summary_sha256: Option<String>,
    #[serde(default)]
    pub chain_head: Option<String>,
    #[serde(default)]
    pub seal: Option<String>,
    /// The finding this signature confirms (PROCEDURE 7).
    pub finding: Option<FindingId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strokes: Option<Strokes>,
    /// The strokes packed ([`crate::media::packed`]), instead of `strokes`, to a server that
    /// accepts it ([`crate::sync::protocol::ACCEPTS_PACKED_STROKES`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strokes_packed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<SignedSummary>,
}

impl std::fmt::Debug for SignV1 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignV1")
            .field("id", &self.id)
            .field("role", &self.role)
            .field("step_id", &self.step_id)
            .field("finding", &self.finding)
            .finish_non_exhaustive()
    }
}

impl SignV1 {
    /// The strokes it carries, packed or not. `Ok(None)`: none (an older app's signature);
    /// an error: packed strokes that do not unpack, or both forms at once.
    pub fn drawn_strokes(&self) -> Result<Option<Strokes>, crate::media::packed::UnpackError> {
        match (&self.strokes, &self.strokes_packed) {
            (Some(s), None) => Ok(Some(s.clone())),
            (None, Some(p)) => crate::media::packed::unpack(p).map(Some),
            (None, None) => Ok(None),
            (Some(_), Some(_)) => Err(crate::media::packed::UnpackError::Twice),
        }
    }

    /// The signature record it carries.
    pub fn signature(&self) -> Signature {
        Signature {
            id: self.id,
            visit_id: self.visit_id,
            signer_name: self.signer_name.clone(),
            role: self.role,
            signed_at: self.signed_at,
            image_sha256: self.image_sha256.clone(),
            device_id: self.device_id,
            step_id: self.step_id.clone(),
            summary_sha256: self.summary_sha256.clone(),
            chain_head: self.chain_head.clone(),
            seal: self.seal.clone(),
        }
    }
}

/// A van-stock movement (`issue_stock`, `use_stock`, `return_stock`, `write_off_stock`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StockMovementV1 {
    pub id: StockMovementId,
    pub sku: String,
    pub kind: MovementKind,
    pub quantity: i64,
    pub at: Timestamp,
    pub visit_id: Option<VisitId>,
}

/// `receive_stock`: the parts of a replenishment request the desk issued (pulled as
/// `Change::Replenishment`) are in the van.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiveStockV1 {
    pub id: StockMovementId,
    /// The desk's replenishment request.
    pub request_id: String,
    pub sku: String,
    pub quantity: i64,
    pub at: Timestamp,
}

/// `count_stock`: one part's count in a stock check (盘点, 第34条); the server compares it
/// with its own ledger and flags a difference.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountStockV1 {
    pub sku: String,
    /// 0 to 10000.
    pub counted: i64,
    /// What the van's own ledger held (informative: the server judges by its ledger).
    pub expected: i64,
    pub at: Timestamp,
}
