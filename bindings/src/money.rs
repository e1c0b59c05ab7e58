//! Settling a paid visit's fee (结算): the amount, how it was paid, the receipt or invoice
//! number issued on site or the invoice's due date (3 days on, computed by the core).

use fieldkit_core::model as m;

use crate::convert::{ms, ms_opt};
use crate::error::Result;
use crate::kit::FieldKit;

/// How the customer paid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum PaymentMethod {
    /// 现金.
    Cash,
    /// 刷卡.
    Card,
    /// 转账.
    Transfer,
    /// 扫码.
    Qr,
}

impl From<PaymentMethod> for m::PaymentMethod {
    fn from(p: PaymentMethod) -> Self {
        match p {
            PaymentMethod::Cash => Self::Cash,
            PaymentMethod::Card => Self::Card,
            PaymentMethod::Transfer => Self::Transfer,
            PaymentMethod::Qr => Self::Qr,
        }
    }
}

impl From<m::PaymentMethod> for PaymentMethod {
    fn from(p: m::PaymentMethod) -> Self {
        match p {
            m::PaymentMethod::Cash => Self::Cash,
            m::PaymentMethod::Card => Self::Card,
            m::PaymentMethod::Transfer => Self::Transfer,
            m::PaymentMethod::Qr => Self::Qr,
        }
    }
}

/// What the technician enters to settle the fee.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Settlement {
    /// What the customer paid, in fen.
    pub amount: i64,
    pub method: PaymentMethod,
    /// The receipt or invoice number issued on site; none: the invoice follows (due 3 days on).
    pub receipt_no: Option<String>,
    /// Why the amount differs from the consented total; needed exactly when it differs.
    pub reason: Option<String>,
}

/// A settlement as recorded.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct SettlementRecord {
    pub id: String,
    /// In fen.
    pub amount: i64,
    pub method: PaymentMethod,
    pub receipt_no: Option<String>,
    pub reason: Option<String>,
    /// The consented total it was checked against, in fen.
    pub consented: i64,
    /// The amount is not the consented total (the desk sees it flagged).
    pub differs: bool,
    /// When the invoice is due (no receipt issued on site).
    pub invoice_due_ms: Option<i64>,
    pub at_ms: i64,
}

impl From<m::SettlementRecord> for SettlementRecord {
    fn from(s: m::SettlementRecord) -> Self {
        Self {
            id: s.id.to_string(),
            differs: s.differs(),
            amount: s.amount,
            method: s.method.into(),
            receipt_no: s.receipt_no,
            reason: s.reason,
            consented: s.consented,
            invoice_due_ms: ms_opt(s.invoice_due),
            at_ms: ms(s.at),
        }
    }
}

#[uniffi::export]
impl FieldKit {
    /// Settles the paid visit's fee in close-out, after the work: needs the customer's agreed
    /// fee consent; an amount other than the consented total needs the reason. Answers the
    /// `fee_settled` step.
    pub fn settle(&self, job_id: String, settlement: Settlement) -> Result<SettlementRecord> {
        let s = m::Settlement {
            amount: settlement.amount,
            method: settlement.method.into(),
            receipt_no: settlement.receipt_no,
            reason: settlement.reason,
        };
        self.job_command(&job_id, "settle", |k, id| k.settle(id, &s))
            .map(Into::into)
    }
}
