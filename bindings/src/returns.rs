//! Returns and exchanges at the FFI edge: the order's sale record (and its mapping, once)
//! and the decision of the returns rules for a job's sale with what was found on site. The
//! findings and the decision are in `return_facts`.

use fieldkit_core::model::{self as m, returns as r};

use crate::convert::{ms, time};
use crate::error::Result;
use crate::kit::FieldKit;
use crate::return_facts::{ReturnDecision, ReturnFindings, decision_of};

/// What the goods are; the last ten are never returned or exchanged (第21条).
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum GoodsCategory {
    Appliance,
    Other,
    Food,
    Medicine,
    Cosmetics,
    Intimate,
    GoldJewellery,
    Photosensitive,
    Tobacco,
    Alcohol,
    WindInstrument,
    Battery,
}

/// Who bought the goods. The returns rules make no distinction: recorded only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum CustomerType {
    Individual,
    Business,
}

/// The sale of the goods a work order concerns. Prices in fen.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Sale {
    pub sold_at_ms: i64,
    pub price_paid: i64,
    /// The original price (原价); above `price_paid` when bought at a discount.
    pub list_price: i64,
    /// Today's price (现价); `null`/`nil`: the list price.
    pub current_price: Option<i64>,
    pub seasonal: bool,
    pub category: GoodsCategory,
    pub customer_type: CustomerType,
    /// When the customer asked, if not on this job (a second visit keeps its parent's day);
    /// `null`/`nil`: the job's `reportedAtMs`.
    #[uniffi(default = None)]
    pub requested_at_ms: Option<i64>,
}

#[uniffi::export]
impl FieldKit {
    /// What the returns rules decide for this job's sale with `found` on site: show it to the
    /// technician, then answer the return-decision step with
    /// `Answer.ReturnDecided(found, decision)`. `Validation` when the job has no sale record
    /// or its facts do not hold together.
    pub fn return_decision(&self, job_id: String, found: ReturnFindings) -> Result<ReturnDecision> {
        let found = found.to_core();
        let a = self.job_read(&job_id, |k, id| k.return_decision(id, &found))?;
        Ok(decision_of(a))
    }
}

impl Sale {
    pub(crate) fn from_core(s: m::Sale) -> Self {
        Self {
            sold_at_ms: ms(s.sold_at),
            price_paid: s.price_paid,
            list_price: s.list_price,
            current_price: s.current_price,
            seasonal: s.seasonal,
            category: match s.category {
                r::Category::Appliance => GoodsCategory::Appliance,
                r::Category::Other => GoodsCategory::Other,
                r::Category::Food => GoodsCategory::Food,
                r::Category::Medicine => GoodsCategory::Medicine,
                r::Category::Cosmetics => GoodsCategory::Cosmetics,
                r::Category::Intimate => GoodsCategory::Intimate,
                r::Category::GoldJewellery => GoodsCategory::GoldJewellery,
                r::Category::Photosensitive => GoodsCategory::Photosensitive,
                r::Category::Tobacco => GoodsCategory::Tobacco,
                r::Category::Alcohol => GoodsCategory::Alcohol,
                r::Category::WindInstrument => GoodsCategory::WindInstrument,
                r::Category::Battery => GoodsCategory::Battery,
            },
            customer_type: match s.customer_type {
                m::CustomerType::Individual => CustomerType::Individual,
                m::CustomerType::Business => CustomerType::Business,
            },
            requested_at_ms: s.requested_at.map(ms),
        }
    }

    pub(crate) fn to_core(&self) -> Result<m::Sale> {
        Ok(m::Sale {
            sold_at: time("sold at", self.sold_at_ms)?,
            price_paid: self.price_paid,
            list_price: self.list_price,
            current_price: self.current_price,
            seasonal: self.seasonal,
            category: match self.category {
                GoodsCategory::Appliance => r::Category::Appliance,
                GoodsCategory::Other => r::Category::Other,
                GoodsCategory::Food => r::Category::Food,
                GoodsCategory::Medicine => r::Category::Medicine,
                GoodsCategory::Cosmetics => r::Category::Cosmetics,
                GoodsCategory::Intimate => r::Category::Intimate,
                GoodsCategory::GoldJewellery => r::Category::GoldJewellery,
                GoodsCategory::Photosensitive => r::Category::Photosensitive,
                GoodsCategory::Tobacco => r::Category::Tobacco,
                GoodsCategory::Alcohol => r::Category::Alcohol,
                GoodsCategory::WindInstrument => r::Category::WindInstrument,
                GoodsCategory::Battery => r::Category::Battery,
            },
            customer_type: match self.customer_type {
                CustomerType::Individual => m::CustomerType::Individual,
                CustomerType::Business => m::CustomerType::Business,
            },
            requested_at: self
                .requested_at_ms
                .map(|t| time("requested at", t))
                .transpose()?,
        })
    }
}
