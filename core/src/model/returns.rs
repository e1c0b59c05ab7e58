//! Returns and exchanges (退换货): from an order's facts, whether the goods may be returned or
//! exchanged, why (zh-CN and en, citing the article), on what price and for how much. Pure: no
//! I/O, no clock; the phone and the server's judge call the same [`decide`](crate::model::returns::decide).
//!
//! Source: 004 一 第6章 退换货服务管理 第20–27条 (`/work/shared/seeds/004_0330d3d17349be65.txt`).
//! 第20条 (the rules follow the consumer-protection and product-quality laws) and 第25–27条
//! (departments support the desk, staff who stonewall are punished, the cause is traced to a
//! department) bind people, not orders: nothing here computes them.
//!
//! Readings where the text leaves room (each the one a service desk would take):
//! - "售出后7日內" (第22条): the sale day is day 0 and the 7th calendar day after it (UTC+08:00,
//!   the customer's local days) is the last day of the window; day 8 needs the report.
//! - "7日后如需退换，需出示…商品质量检验报告" (第22条): after day 7 only a report that confirms the
//!   problem opens a return or exchange, whoever is at fault (the article makes no exception).
//! - "不污、不损且不影响正常销售" (第21条) is the condition of a return *without reason*
//!   (无理由); a unit that is faulty or that the company damaged is not held to it.
//! - "…等商品不在退换之列" (第21条): the named categories are refused in every case; other
//!   goods the company sells (appliances, under 三包) follow 第22条.
//! - "若客户没有及时退换，应按现价退换" (第23条(2)): "in time" is the 7-day window; the current
//!   price is capped at the price paid (the rule guards the shop against a season's markdown;
//!   a late customer never gains from it).
//! - "因本公司责任…按原价退换" (第23条(3)) comes before (1) and (2): the original (list) price,
//!   even if the customer bought at a discount or late in the season.
//! - "凡在本公司正常出售的商品" (第21条) is read with the proof: goods the company sold in its
//!   ordinary trade, which the invoice or other proof shows; there is no separate fact.
//! - Customer type: the articles speak only of 消费者 and make no distinction, so there is none.

use chrono::{NaiveDate, TimeDelta};
use serde::{Deserialize, Serialize};

use super::{Cents, Timestamp};
use crate::i18n::{Digits, Locale, money_as, word};
use crate::ptr;

/// The last day (counted from the sale day, day 0) of a normal return or exchange
/// (第22条 "售出后7日內按正常商品退换").
pub const RETURN_WINDOW_DAYS: i64 = 7;

/// The customer's local offset: China Standard Time, UTC+08:00.
pub const LOCAL_OFFSET_SECS: i32 = 8 * 3600;

/// What the goods are. The last ten are never returned or exchanged (第21条).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// A household appliance, a 三包 product (第22条).
    Appliance,
    /// Any other goods the company sells that 第21条 does not name.
    Other,
    /// 食品.
    Food,
    /// 药品.
    Medicine,
    /// 化妆品.
    Cosmetics,
    /// 贴身用品 (underwear and other intimate goods).
    Intimate,
    /// 黄金珠宝.
    GoldJewellery,
    /// 感光器材 (film and other photosensitive materials).
    Photosensitive,
    /// 烟.
    Tobacco,
    /// 酒.
    Alcohol,
    /// 口吹乐器.
    WindInstrument,
    /// 电池.
    Battery,
}

impl Category {
    /// Every category (appended, never reordered).
    pub const ALL: [Category; 12] = [
        Self::Appliance,
        Self::Other,
        Self::Food,
        Self::Medicine,
        Self::Cosmetics,
        Self::Intimate,
        Self::GoldJewellery,
        Self::Photosensitive,
        Self::Tobacco,
        Self::Alcohol,
        Self::WindInstrument,
        Self::Battery,
    ];

    /// Never returned or exchanged: 第21条 "(食品、药品、化妆品、贴身用品、黄金珠宝、感光器材、烟、
    /// 酒、口吹乐器、电池等商品不在退换之列)".
    pub fn never_returnable(self) -> bool {
        !matches!(self, Self::Appliance | Self::Other)
    }
}

/// What the quality inspection report (商品质量检验报告, 第22条) says, if there is one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Inspection {
    /// No report was shown.
    None,
    /// The report confirms the quality problem the customer returns the goods for.
    ConfirmsProblem,
    /// The report finds no quality problem.
    NoProblem,
}

/// Who caused the problem, as the technician or the desk found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// No problem claimed: a return without reason (无理由, 第21条).
    None,
    /// A defect of the product itself.
    Product,
    /// The company's doing (本公司责任, 第23条(3)), e.g. damaged in delivery or installation.
    Company,
    /// The customer's doing (第24条).
    Customer,
}

/// Improper use found on the goods (第24条 "使用、洗涤、保养不当").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Misuse {
    /// 使用不当.
    Use,
    /// 洗涤不当.
    Washing,
    /// 保养不当.
    Care,
}

/// What the customer asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Request {
    /// 退货: the goods back, the money back.
    Return,
    /// 换货: the goods back, the same goods again.
    Exchange,
}

/// The facts of a return or exchange request. Prices in fen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnFacts {
    /// When the goods were sold.
    pub sold_at: Timestamp,
    /// When the customer asked for the return or exchange.
    pub requested_at: Timestamp,
    /// What the customer paid for the goods; below `list_price` when bought at a discount.
    pub price_paid: Cents,
    /// The original price (原价) at the time of sale.
    pub list_price: Cents,
    /// Today's price (现价).
    pub current_price: Cents,
    /// Seasonal goods (季节性商品, 第23条(2)).
    pub seasonal: bool,
    pub category: Category,
    /// The invoice or another proof that the company sold the goods (第21条 "凭购物发票或其他
    /// 相关凭证"; 第22条 "凡能证明是本公司出售的").
    pub proof_of_purchase: bool,
    /// Not soiled, not damaged, still fit for sale (第21条 "不污、不损且不影响正常销售").
    pub resalable: bool,
    pub inspection: Inspection,
    pub misuse: Option<Misuse>,
    pub fault: Fault,
    pub request: Request,
}

/// The facts cannot be judged: the caller must correct them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FactsError {
    /// A price is below zero.
    NegativePrice { field: PriceField, value: Cents },
    /// The customer paid more than the original price: the prices are mixed up.
    PaidAboveList { paid: Cents, list: Cents },
    /// The request is dated before the sale.
    RequestBeforeSale {
        sold_at: Timestamp,
        requested_at: Timestamp,
    },
    /// A date too far in the future to have a calendar day.
    OutOfRange,
    /// Misuse was found, yet the product or the company is named at fault.
    MisuseContradictsFault { fault: Fault },
}

impl FactsError {
    /// Why the facts cannot be judged, in `locale`.
    pub fn reason(&self, locale: Locale) -> String {
        let l = locale;
        match self {
            FactsError::NegativePrice { field, value } => ptr!(
                l,
                "facts-negative-price",
                field = word(l, "price-field-", &format!("{field:?}")),
                value = value.to_string()
            ),
            FactsError::PaidAboveList { paid, list } => ptr!(
                l,
                "facts-paid-above-list",
                paid = paid.to_string(),
                list = list.to_string()
            ),
            FactsError::RequestBeforeSale {
                sold_at,
                requested_at,
            } => ptr!(
                l,
                "facts-request-before-sale",
                sold_at = sold_at.to_string(),
                requested_at = requested_at.to_string()
            ),
            FactsError::OutOfRange => ptr!(l, "facts-out-of-range"),
            FactsError::MisuseContradictsFault { fault } => ptr!(
                l,
                "facts-misuse-contradicts-fault",
                fault = word(l, "fault-", &format!("{fault:?}"))
            ),
        }
    }
}

impl std::fmt::Display for FactsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason(Locale::En))
    }
}

/// Which price of [`ReturnFacts`] is wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriceField {
    PricePaid,
    ListPrice,
    CurrentPrice,
}

/// What may be done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The goods are taken back and the amount refunded.
    Return,
    /// The goods are exchanged; the amount is what they count for.
    Exchange,
    /// Not returned or exchanged, but the staff may repair them (第24条).
    RepairOnly,
    /// Not returned or exchanged.
    Refused,
}

/// The rule that decided (each cites its article).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Within the 7 days, no reason given, unspoiled, with proof (第21条, 第22条).
    WithinWindow,
    /// Within the 7 days, faulty or damaged by the company, with proof (第22条).
    WithinWindowFault,
    /// After the 7 days, with a report that confirms the problem (第22条).
    ReportConfirms,
    /// One of the categories never returned (第21条).
    ExcludedCategory,
    /// No invoice or other proof of the sale (第21条, 第22条).
    NoProof,
    /// Soiled, damaged or unfit for sale, with no fault claimed (第21条).
    NotResalable,
    /// Improper use, washing or care, or otherwise the customer's doing (第24条).
    Misuse,
    /// After the 7 days, no report shown (第22条).
    ReportRequired,
    /// After the 7 days, the report finds no problem (第22条).
    ReportFindsNoProblem,
}

impl Reason {
    /// The article cited, as the manual numbers it.
    pub fn article(self) -> &'static str {
        match self {
            Self::WithinWindow | Self::NoProof => "第6章 第21条、第22条",
            Self::ExcludedCategory | Self::NotResalable => "第6章 第21条",
            Self::WithinWindowFault
            | Self::ReportConfirms
            | Self::ReportRequired
            | Self::ReportFindsNoProblem => "第6章 第22条",
            Self::Misuse => "第6章 第24条",
        }
    }

    /// The reason in Chinese.
    pub fn zh_cn(self) -> &'static str {
        match self {
            Self::WithinWindow => "售出后7日内，商品不污、不损，凭购物凭证按正常商品退换",
            Self::WithinWindowFault => {
                "售出后7日内，商品有质量问题或因本公司责任损坏，凭购物凭证退换"
            }
            Self::ReportConfirms => "售出已超过7日，商品质量检验报告确认存在质量问题，可以退换",
            Self::ExcludedCategory => "该类商品不在退换之列",
            Self::NoProof => "无购物发票或其他相关凭证，无法证明是本公司出售的商品，不予退换",
            Self::NotResalable => "商品已污损或影响正常销售，不能无理由退换",
            Self::Misuse => "因使用、洗涤、保养不当导致的问题不予退换，可以帮助顾客修理",
            Self::ReportRequired => "售出已超过7日，需出示相关部门的商品质量检验报告方可退换",
            Self::ReportFindsNoProblem => "售出已超过7日，商品质量检验报告未发现质量问题，不予退换",
        }
    }

    /// The reason in English.
    pub fn en(self) -> &'static str {
        match self {
            Self::WithinWindow => {
                "within 7 days of sale, unsoiled and undamaged, with proof of purchase: \
                 returned or exchanged as normal goods"
            }
            Self::WithinWindowFault => {
                "within 7 days of sale, faulty or damaged by the company, with proof of \
                 purchase: returned or exchanged"
            }
            Self::ReportConfirms => {
                "more than 7 days after sale, a quality inspection report confirms the \
                 problem: may be returned or exchanged"
            }
            Self::ExcludedCategory => "goods of this kind are never returned or exchanged",
            Self::NoProof => {
                "no invoice or other proof that the company sold the goods: not returned"
            }
            Self::NotResalable => {
                "soiled, damaged or unfit for sale: no return or exchange without reason"
            }
            Self::Misuse => {
                "a problem caused by improper use, washing or care is not returned or \
                 exchanged; the staff may repair it"
            }
            Self::ReportRequired => {
                "more than 7 days after sale, a quality inspection report from the relevant \
                 authority is required"
            }
            Self::ReportFindsNoProblem => {
                "more than 7 days after sale, the quality inspection report finds no \
                 problem: not returned"
            }
        }
    }
}

/// The price a return or exchange is made at (第23条).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriceBasis {
    /// The price paid, bought at no discount.
    Paid,
    /// The discounted price paid (第23条(1) "若有降价折扣，按价格折扣退换").
    Discounted,
    /// Today's price, seasonal goods returned late, at most the price paid (第23条(2)).
    Current,
    /// The original price, the company at fault (第23条(3) "因本公司责任…按原价退换").
    Original,
}

impl PriceBasis {
    /// The article cited.
    pub fn article(self) -> &'static str {
        match self {
            Self::Paid | Self::Discounted => "第6章 第23条(1)",
            Self::Current => "第6章 第23条(2)",
            Self::Original => "第6章 第23条(3)",
        }
    }

    /// The basis in Chinese.
    pub fn zh_cn(self) -> &'static str {
        match self {
            Self::Paid => "按实付价格",
            Self::Discounted => "购买时有降价折扣，按折扣价",
            Self::Current => "季节性商品未及时退换，按现价（不高于实付价格）",
            Self::Original => "因本公司责任导致商品损坏，按原价",
        }
    }

    /// The basis in English.
    pub fn en(self) -> &'static str {
        match self {
            Self::Paid => "at the price paid",
            Self::Discounted => "bought at a discount: at the discounted price",
            Self::Current => {
                "seasonal goods not returned in time: at today's price (at most the price paid)"
            }
            Self::Original => "damage caused by the company: at the original price",
        }
    }
}

/// The answer to a return or exchange request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnAnswer {
    pub outcome: Outcome,
    pub reason: Reason,
    /// The price the goods are taken back at; none when refused or repair only.
    pub price_basis: Option<PriceBasis>,
    /// Fen refunded (return) or credited (exchange); 0 when refused or repair only.
    pub amount: Cents,
    /// Calendar days from the sale to the request, in the customer's local days (UTC+08:00).
    pub days_since_sale: i64,
}

impl ReturnAnswer {
    /// Why, in Chinese, with the article(s), e.g. "可以退货：… 按折扣价 ¥80.00（第6章 第23条(1)）".
    pub fn why_zh_cn(&self) -> String {
        let head = match self.outcome {
            Outcome::Return => "可以退货",
            Outcome::Exchange => "可以换货",
            Outcome::RepairOnly => "不予退换，可维修",
            Outcome::Refused => "不予退换",
        };
        let mut s = format!(
            "{head}：{}（{}）",
            self.reason.zh_cn(),
            self.reason.article()
        );
        if let Some(b) = self.price_basis {
            s += &format!(
                "；{} {}（{}）",
                b.zh_cn(),
                money_as(Locale::ZhCn, self.amount, Digits::Plain),
                b.article()
            );
        }
        s
    }

    /// Why, in English, with the article(s).
    pub fn why_en(&self) -> String {
        let head = match self.outcome {
            Outcome::Return => "Return allowed",
            Outcome::Exchange => "Exchange allowed",
            Outcome::RepairOnly => "No return or exchange; repair offered",
            Outcome::Refused => "No return or exchange",
        };
        let mut s = format!("{head}: {} ({})", self.reason.en(), self.reason.article());
        if let Some(b) = self.price_basis {
            s += &format!(
                "; {} {} ({})",
                b.en(),
                money_as(Locale::En, self.amount, Digits::Plain),
                b.article()
            );
        }
        s
    }
}

/// The customer's local calendar day of `t` (UTC+08:00); none at the very end of time.
pub fn local_day(t: Timestamp) -> Option<NaiveDate> {
    let local = t
        .naive_utc()
        .checked_add_signed(TimeDelta::seconds(LOCAL_OFFSET_SECS.into()))?;
    Some(local.date())
}

/// Decides a return or exchange request from its facts (004 一 第6章 第21–24条; the readings
/// are in the module's doc). The checks, first match wins: an excluded category (第21条); no
/// proof of the sale (第21条, 第22条); misuse or the customer's doing: repair only (第24条);
/// within the 7 days, no fault claimed and not resalable (第21条); after the 7 days, no report
/// or a report that finds no problem (第22条). Otherwise what was asked for, at the price of
/// 第23条: original if the company is at fault, else current (capped) if seasonal and late,
/// else the price paid (discounted or not).
pub fn decide(f: &ReturnFacts) -> Result<ReturnAnswer, FactsError> {
    check_sale(
        f.price_paid,
        f.list_price,
        f.current_price,
        f.sold_at,
        f.requested_at,
    )?;
    if f.misuse.is_some() && matches!(f.fault, Fault::Product | Fault::Company) {
        return Err(FactsError::MisuseContradictsFault { fault: f.fault });
    }

    let (Some(sold), Some(requested)) = (local_day(f.sold_at), local_day(f.requested_at)) else {
        return Err(FactsError::OutOfRange);
    };
    let days = (requested - sold).num_days();
    let late = days > RETURN_WINDOW_DAYS;
    let no = |outcome, reason| ReturnAnswer {
        outcome,
        reason,
        price_basis: None,
        amount: 0,
        days_since_sale: days,
    };

    if f.category.never_returnable() {
        return Ok(no(Outcome::Refused, Reason::ExcludedCategory));
    }
    if !f.proof_of_purchase {
        return Ok(no(Outcome::Refused, Reason::NoProof));
    }
    if f.misuse.is_some() || f.fault == Fault::Customer {
        return Ok(no(Outcome::RepairOnly, Reason::Misuse));
    }
    let reason = match (late, f.inspection) {
        (false, _) if f.fault == Fault::None && !f.resalable => {
            return Ok(no(Outcome::Refused, Reason::NotResalable));
        }
        (false, _) if f.fault == Fault::None => Reason::WithinWindow,
        (false, _) => Reason::WithinWindowFault,
        (true, Inspection::None) => return Ok(no(Outcome::Refused, Reason::ReportRequired)),
        (true, Inspection::NoProblem) => {
            return Ok(no(Outcome::Refused, Reason::ReportFindsNoProblem));
        }
        (true, Inspection::ConfirmsProblem) => Reason::ReportConfirms,
    };

    let (basis, amount) = if f.fault == Fault::Company {
        (PriceBasis::Original, f.list_price)
    } else if f.seasonal && late {
        (PriceBasis::Current, f.current_price.min(f.price_paid))
    } else if f.price_paid < f.list_price {
        (PriceBasis::Discounted, f.price_paid)
    } else {
        (PriceBasis::Paid, f.price_paid)
    };
    Ok(ReturnAnswer {
        outcome: match f.request {
            Request::Return => Outcome::Return,
            Request::Exchange => Outcome::Exchange,
        },
        reason,
        price_basis: Some(basis),
        amount,
        days_since_sale: days,
    })
}

/// The checks of a sale's own facts, shared by [`decide`] and
/// [`Sale::check`](crate::model::Sale::check): no price below zero, the price paid at most the
/// original price, the request not before the sale.
pub(crate) fn check_sale(
    price_paid: Cents,
    list_price: Cents,
    current_price: Cents,
    sold_at: Timestamp,
    requested_at: Timestamp,
) -> Result<(), FactsError> {
    for (field, value) in [
        (PriceField::PricePaid, price_paid),
        (PriceField::ListPrice, list_price),
        (PriceField::CurrentPrice, current_price),
    ] {
        if value < 0 {
            return Err(FactsError::NegativePrice { field, value });
        }
    }
    if price_paid > list_price {
        return Err(FactsError::PaidAboveList {
            paid: price_paid,
            list: list_price,
        });
    }
    if requested_at < sold_at {
        return Err(FactsError::RequestBeforeSale {
            sold_at,
            requested_at,
        });
    }
    Ok(())
}

#[cfg(test)]
#[path = "returns_tests.rs"]
mod tests;
