//! What a technician finds on site about a return or exchange, and the decision of the returns
//! rules (004 一 第6章 第21–24条) with its words in zh-CN and en: the records and their
//! mappings to and from the core, once. Plain data with no import from this crate, so the
//! shared `Answer` can carry them.

use fieldkit_core::model::{self as m, returns as r};

/// What the customer asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum ReturnRequest {
    Return,
    Exchange,
}

/// What the quality inspection report says, if one was shown (第22条).
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum Inspection {
    None,
    ConfirmsProblem,
    NoProblem,
}

/// Improper use found on the goods (第24条).
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum Misuse {
    Use,
    Washing,
    Care,
}

/// Who caused the problem.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum FaultBy {
    /// No problem claimed: a return without reason.
    None,
    Product,
    Company,
    Customer,
}

/// What the technician found on site about a return or exchange request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ReturnFindings {
    pub request: ReturnRequest,
    pub proof_of_purchase: bool,
    /// Not soiled, not damaged, fit for sale.
    pub resalable: bool,
    pub inspection: Inspection,
    pub misuse: Option<Misuse>,
    pub fault: FaultBy,
}

/// What may be done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum ReturnOutcome {
    Return,
    Exchange,
    RepairOnly,
    Refused,
}

/// The rule that decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum ReturnReason {
    WithinWindow,
    WithinWindowFault,
    ReportConfirms,
    ExcludedCategory,
    NoProof,
    NotResalable,
    Misuse,
    ReportRequired,
    ReportFindsNoProblem,
}

/// The price a return or exchange is made at (第23条).
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum PriceBasis {
    Paid,
    Discounted,
    Current,
    Original,
}

/// The decision of the returns rules, with its words (citing the articles).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ReturnDecision {
    pub outcome: ReturnOutcome,
    pub reason: ReturnReason,
    pub price_basis: Option<PriceBasis>,
    /// Fen refunded or credited; 0 when refused or repair only.
    pub amount: i64,
    pub days_since_sale: i64,
    /// Why, in Chinese, with the article(s).
    pub why_zh_cn: String,
    /// Why, in English, with the article(s).
    pub why_en: String,
}

/// The FFI's decision for the core's.
pub(crate) fn decision_of(a: r::ReturnAnswer) -> ReturnDecision {
    ReturnDecision {
        outcome: match a.outcome {
            r::Outcome::Return => ReturnOutcome::Return,
            r::Outcome::Exchange => ReturnOutcome::Exchange,
            r::Outcome::RepairOnly => ReturnOutcome::RepairOnly,
            r::Outcome::Refused => ReturnOutcome::Refused,
        },
        reason: match a.reason {
            r::Reason::WithinWindow => ReturnReason::WithinWindow,
            r::Reason::WithinWindowFault => ReturnReason::WithinWindowFault,
            r::Reason::ReportConfirms => ReturnReason::ReportConfirms,
            r::Reason::ExcludedCategory => ReturnReason::ExcludedCategory,
            r::Reason::NoProof => ReturnReason::NoProof,
            r::Reason::NotResalable => ReturnReason::NotResalable,
            r::Reason::Misuse => ReturnReason::Misuse,
            r::Reason::ReportRequired => ReturnReason::ReportRequired,
            r::Reason::ReportFindsNoProblem => ReturnReason::ReportFindsNoProblem,
        },
        price_basis: a.price_basis.map(|b| match b {
            r::PriceBasis::Paid => PriceBasis::Paid,
            r::PriceBasis::Discounted => PriceBasis::Discounted,
            r::PriceBasis::Current => PriceBasis::Current,
            r::PriceBasis::Original => PriceBasis::Original,
        }),
        amount: a.amount,
        days_since_sale: a.days_since_sale,
        why_zh_cn: a.why_zh_cn(),
        why_en: a.why_en(),
    }
}

impl ReturnDecision {
    /// The core's decision (the words are derived there, not read back).
    pub(crate) fn to_core(&self) -> r::ReturnAnswer {
        r::ReturnAnswer {
            outcome: match self.outcome {
                ReturnOutcome::Return => r::Outcome::Return,
                ReturnOutcome::Exchange => r::Outcome::Exchange,
                ReturnOutcome::RepairOnly => r::Outcome::RepairOnly,
                ReturnOutcome::Refused => r::Outcome::Refused,
            },
            reason: match self.reason {
                ReturnReason::WithinWindow => r::Reason::WithinWindow,
                ReturnReason::WithinWindowFault => r::Reason::WithinWindowFault,
                ReturnReason::ReportConfirms => r::Reason::ReportConfirms,
                ReturnReason::ExcludedCategory => r::Reason::ExcludedCategory,
                ReturnReason::NoProof => r::Reason::NoProof,
                ReturnReason::NotResalable => r::Reason::NotResalable,
                ReturnReason::Misuse => r::Reason::Misuse,
                ReturnReason::ReportRequired => r::Reason::ReportRequired,
                ReturnReason::ReportFindsNoProblem => r::Reason::ReportFindsNoProblem,
            },
            price_basis: self.price_basis.map(|b| match b {
                PriceBasis::Paid => r::PriceBasis::Paid,
                PriceBasis::Discounted => r::PriceBasis::Discounted,
                PriceBasis::Current => r::PriceBasis::Current,
                PriceBasis::Original => r::PriceBasis::Original,
            }),
            amount: self.amount,
            days_since_sale: self.days_since_sale,
        }
    }
}

impl ReturnFindings {
    pub(crate) fn to_core(self) -> m::ReturnFindings {
        m::ReturnFindings {
            request: match self.request {
                ReturnRequest::Return => r::Request::Return,
                ReturnRequest::Exchange => r::Request::Exchange,
            },
            proof_of_purchase: self.proof_of_purchase,
            resalable: self.resalable,
            inspection: match self.inspection {
                Inspection::None => r::Inspection::None,
                Inspection::ConfirmsProblem => r::Inspection::ConfirmsProblem,
                Inspection::NoProblem => r::Inspection::NoProblem,
            },
            misuse: self.misuse.map(|x| match x {
                Misuse::Use => r::Misuse::Use,
                Misuse::Washing => r::Misuse::Washing,
                Misuse::Care => r::Misuse::Care,
            }),
            fault: match self.fault {
                FaultBy::None => r::Fault::None,
                FaultBy::Product => r::Fault::Product,
                FaultBy::Company => r::Fault::Company,
                FaultBy::Customer => r::Fault::Customer,
            },
        }
    }

    pub(crate) fn from_core(f: m::ReturnFindings) -> Self {
        Self {
            request: match f.request {
                r::Request::Return => ReturnRequest::Return,
                r::Request::Exchange => ReturnRequest::Exchange,
            },
            proof_of_purchase: f.proof_of_purchase,
            resalable: f.resalable,
            inspection: match f.inspection {
                r::Inspection::None => Inspection::None,
                r::Inspection::ConfirmsProblem => Inspection::ConfirmsProblem,
                r::Inspection::NoProblem => Inspection::NoProblem,
            },
            misuse: f.misuse.map(|x| match x {
                r::Misuse::Use => Misuse::Use,
                r::Misuse::Washing => Misuse::Washing,
                r::Misuse::Care => Misuse::Care,
            }),
            fault: match f.fault {
                r::Fault::None => FaultBy::None,
                r::Fault::Product => FaultBy::Product,
                r::Fault::Company => FaultBy::Company,
                r::Fault::Customer => FaultBy::Customer,
            },
        }
    }
}
