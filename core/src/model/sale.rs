//! The sale behind a work order ([`Sale`]: when, at what prices, what goods, to whom) and what
//! a technician finds on site about a return or exchange ([`ReturnFindings`]); together they
//! are the facts [`returns::decide`](super::returns::decide) judges. A return-decision step
//! records the findings with the decision ([`ReturnDecision`]); the phone's checklist and the
//! server's judge recompute the decision from the order's sale and refuse one that differs.

use serde::{Deserialize, Serialize};

use super::returns::{
    self, Category, FactsError, Fault, Inspection, Misuse, Request, ReturnAnswer, ReturnFacts,
};
use super::{Cents, Timestamp};

/// Who bought the goods. Recorded for the desk; 004 一 第6章 第20–27条 speak only of 消费者
/// and make no distinction, so the decision never depends on it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerType {
    /// 个人消费者.
    #[default]
    Individual,
    /// 单位 (a company or an institution).
    Business,
}

/// The sale of the goods an order concerns, as the desk recorded it. Prices in fen; a discount
/// is a price paid below the list price.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sale {
    /// When the goods were sold.
    pub sold_at: Timestamp,
    /// What the customer paid.
    pub price_paid: Cents,
    /// The original price (原价) at the time of sale.
    pub list_price: Cents,
    /// Today's price (现价) as the desk knows it; absent: the list price (no markdown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_price: Option<Cents>,
    /// Seasonal goods (季节性商品, 第23条(2)).
    #[serde(default)]
    pub seasonal: bool,
    pub category: Category,
    #[serde(default)]
    pub customer_type: CustomerType,
    /// When the customer asked for the return, if not on this order: a job made from another
    /// one (a second visit) keeps its parent's day. Absent: the order's `reported_at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_at: Option<Timestamp>,
}

impl Sale {
    /// Today's price: the one recorded, else the list price.
    pub fn current_price(&self) -> Cents {
        self.current_price.unwrap_or(self.list_price)
    }

    /// The discount in fen (list price less price paid; 0 when bought at full price).
    pub fn discount(&self) -> Cents {
        self.list_price.saturating_sub(self.price_paid).max(0)
    }

    /// The sale's facts hold together for a request made at `requested_at` (the order's
    /// `reported_at`): the one check, shared with [`returns::decide`].
    pub fn check(&self, requested_at: Timestamp) -> Result<(), FactsError> {
        returns::check_sale(
            self.price_paid,
            self.list_price,
            self.current_price(),
            self.sold_at,
            requested_at,
        )
    }

    /// The facts of a request made at `requested_at` with what was found on site.
    pub fn facts(&self, requested_at: Timestamp, found: &ReturnFindings) -> ReturnFacts {
        ReturnFacts {
            sold_at: self.sold_at,
            requested_at,
            price_paid: self.price_paid,
            list_price: self.list_price,
            current_price: self.current_price(),
            seasonal: self.seasonal,
            category: self.category,
            proof_of_purchase: found.proof_of_purchase,
            resalable: found.resalable,
            inspection: found.inspection,
            misuse: found.misuse,
            fault: found.fault,
            request: found.request,
        }
    }

    /// What the rules decide for a request made at `requested_at` with `found` on site.
    pub fn decide(
        &self,
        requested_at: Timestamp,
        found: &ReturnFindings,
    ) -> Result<ReturnAnswer, FactsError> {
        returns::decide(&self.facts(requested_at, found))
    }
}

/// What the technician finds on site about a return or exchange request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ReturnFindings {
    /// What the customer asks for.
    pub request: Request,
    /// The invoice or another proof of the sale was shown (第21条, 第22条).
    pub proof_of_purchase: bool,
    /// Not soiled, not damaged, fit for sale (第21条).
    pub resalable: bool,
    /// The quality inspection report shown, if any, and what it says (第22条).
    pub inspection: Inspection,
    /// Improper use, washing or care found (第24条).
    pub misuse: Option<Misuse>,
    /// Who caused the problem.
    pub fault: Fault,
}

/// The answer of a return-decision step: the findings, and the decision the rules gave for
/// them on the order's sale. Holds only while the rules, recomputed, give the same decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnDecision {
    pub found: ReturnFindings,
    pub decision: ReturnAnswer,
}

/// A sale with the time the customer asked: what a return decision is judged on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleFacts {
    pub sale: Sale,
    /// The order's `reported_at`: when the customer asked the desk.
    pub requested_at: Timestamp,
}

impl SaleFacts {
    /// What the rules decide with `found` on site.
    pub fn decide(&self, found: &ReturnFindings) -> Result<ReturnAnswer, FactsError> {
        self.sale.decide(self.requested_at, found)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, Utc};

    use super::*;

    fn sale() -> Sale {
        Sale {
            sold_at: Utc::now(),
            price_paid: 80_000,
            list_price: 100_000,
            current_price: None,
            seasonal: false,
            category: Category::Appliance,
            customer_type: CustomerType::Individual,
            requested_at: None,
        }
    }

    #[test]
    fn checks_are_typed_and_shared_with_decide() {
        let s = sale();
        assert_eq!(s.check(s.sold_at), Ok(()));
        assert_eq!(s.discount(), 20_000);
        assert_eq!(s.current_price(), 100_000);
        let mut above = sale();
        above.price_paid = 100_001;
        assert!(matches!(
            above.check(above.sold_at),
            Err(FactsError::PaidAboveList { .. })
        ));
        let mut negative = sale();
        negative.current_price = Some(-1);
        assert!(matches!(
            negative.check(negative.sold_at),
            Err(FactsError::NegativePrice { .. })
        ));
        assert!(matches!(
            s.check(s.sold_at - Duration::days(1)),
            Err(FactsError::RequestBeforeSale { .. })
        ));
    }

    #[test]
    fn the_wire_form_reads_without_the_optional_fields() {
        let v = serde_json::json!({
            "sold_at": "2026-06-01T02:00:00Z",
            "price_paid": 100,
            "list_price": 100,
            "category": "appliance",
        });
        let s: Sale = serde_json::from_value(v).unwrap();
        assert_eq!(s.customer_type, CustomerType::Individual);
        assert!(!s.seasonal);
        assert_eq!(s.current_price, None);
    }
}
