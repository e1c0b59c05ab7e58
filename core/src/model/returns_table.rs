//! The returns rules' table: one row per rule and edge of 004 一 第6章 第21–24条, each with
//! the article it checks and what [`decide`] must answer. Shared by the core's table test and
//! the server's test that the phone and the server's judge answer alike on every row.

use chrono::DateTime;

use super::returns::*;
use super::{Cents, Timestamp};

/// A time written in RFC 3339 (the table's own dates; panics on a typo, like a test).
pub fn at(s: &str) -> Timestamp {
    DateTime::parse_from_rfc3339(s)
        .expect("a test date")
        .to_utc()
}

/// Sold 2026-06-01 10:00 Beijing time at ¥1000.00, no discount: an appliance asked back the
/// same day, unspoiled, with its invoice.
pub fn base() -> ReturnFacts {
    ReturnFacts {
        sold_at: at("2026-06-01T10:00:00+08:00"),
        requested_at: at("2026-06-01T18:00:00+08:00"),
        price_paid: 100_000,
        list_price: 100_000,
        current_price: 100_000,
        seasonal: false,
        category: Category::Appliance,
        proof_of_purchase: true,
        resalable: true,
        inspection: Inspection::None,
        misuse: None,
        fault: Fault::None,
        request: Request::Return,
    }
}

/// Day 8 in Beijing time.
pub const DAY8: &str = "2026-06-09T00:00:00+08:00";

/// One rule or edge: the facts and what [`decide`] must answer.
pub struct Row {
    pub name: &'static str,
    /// The article the row checks.
    pub article: &'static str,
    pub facts: ReturnFacts,
    pub outcome: Outcome,
    pub reason: Reason,
    pub basis: Option<PriceBasis>,
    pub amount: Cents,
}

fn row(
    name: &'static str,
    article: &'static str,
    edit: impl FnOnce(&mut ReturnFacts),
    outcome: Outcome,
    reason: Reason,
    basis: Option<(PriceBasis, Cents)>,
) -> Row {
    let mut facts = base();
    edit(&mut facts);
    Row {
        name,
        article,
        facts,
        outcome,
        reason,
        basis: basis.map(|b| b.0),
        amount: basis.map_or(0, |b| b.1),
    }
}

/// Every row (37: the rules and edges, then each excluded category).
pub fn table() -> Vec<Row> {
    use Outcome::{Exchange, Refused, RepairOnly, Return as Ret};
    use PriceBasis::{Current, Discounted, Original, Paid};
    use Reason::{
        ExcludedCategory, NoProof, NotResalable, ReportConfirms, ReportFindsNoProblem,
        ReportRequired, WithinWindow, WithinWindowFault,
    };
    let late = |f: &mut ReturnFacts| f.requested_at = at(DAY8);
    let report = |f: &mut ReturnFacts| {
        f.requested_at = at(DAY8);
        f.inspection = Inspection::ConfirmsProblem;
    };
    let mut rows = vec![
        row(
            "same day",
            "第22条",
            |_| {},
            Ret,
            WithinWindow,
            Some((Paid, 100_000)),
        ),
        row(
            "exchange asked",
            "第22条",
            |f| f.request = Request::Exchange,
            Exchange,
            WithinWindow,
            Some((Paid, 100_000)),
        ),
        row(
            "day 7, last minute",
            "第22条 售出后7日內",
            |f| f.requested_at = at("2026-06-08T23:59:59+08:00"),
            Ret,
            WithinWindow,
            Some((Paid, 100_000)),
        ),
        row(
            "day 8, no report",
            "第22条 7日后…需出示…质量检验报告",
            late,
            Refused,
            ReportRequired,
            None,
        ),
        // Sold 23:59:59 on 06-01 Beijing (15:59:59Z); asked at 00:00 on 06-09 Beijing
        // (16:00Z 06-08): 7 UTC days, 8 local days.
        row(
            "day 8 in UTC+8, day 7 in UTC",
            "第22条",
            |f| {
                f.sold_at = at("2026-06-01T15:59:59Z");
                f.requested_at = at("2026-06-08T16:00:00Z");
            },
            Refused,
            ReportRequired,
            None,
        ),
        // Sold 00:00 on 06-01 Beijing (16:00Z 05-31); asked 23:59:59 on 06-08 Beijing: 8 UTC
        // days, 7 local days.
        row(
            "day 7 in UTC+8, day 8 in UTC",
            "第22条",
            |f| {
                f.sold_at = at("2026-05-31T16:00:00Z");
                f.requested_at = at("2026-06-08T15:59:59Z");
            },
            Ret,
            WithinWindow,
            Some((Paid, 100_000)),
        ),
        row(
            "day 8, report confirms",
            "第22条",
            report,
            Ret,
            ReportConfirms,
            Some((Paid, 100_000)),
        ),
        row(
            "day 8, report finds nothing",
            "第22条",
            |f| {
                late(f);
                f.inspection = Inspection::NoProblem;
            },
            Refused,
            ReportFindsNoProblem,
            None,
        ),
        row(
            "day 90, report confirms, exchange",
            "第22条",
            |f| {
                f.requested_at = at("2026-08-30T12:00:00+08:00");
                f.inspection = Inspection::ConfirmsProblem;
                f.request = Request::Exchange;
            },
            Exchange,
            ReportConfirms,
            Some((Paid, 100_000)),
        ),
        row(
            "a report within the window changes nothing",
            "第22条",
            |f| f.inspection = Inspection::NoProblem,
            Ret,
            WithinWindow,
            Some((Paid, 100_000)),
        ),
        row(
            "discount",
            "第23条(1) 按价格折扣退换",
            |f| f.price_paid = 80_000,
            Ret,
            WithinWindow,
            Some((Discounted, 80_000)),
        ),
        row(
            "seasonal within the window: no markdown",
            "第23条(2) 没有及时退换",
            |f| {
                f.seasonal = true;
                f.current_price = 60_000;
            },
            Ret,
            WithinWindow,
            Some((Paid, 100_000)),
        ),
        row(
            "seasonal, late: current price",
            "第23条(2) 按现价退换",
            |f| {
                report(f);
                f.seasonal = true;
                f.current_price = 60_000;
            },
            Ret,
            ReportConfirms,
            Some((Current, 60_000)),
        ),
        row(
            "seasonal, late, current above paid: capped",
            "第23条(2)",
            |f| {
                report(f);
                f.seasonal = true;
                f.price_paid = 90_000;
                f.current_price = 120_000;
            },
            Ret,
            ReportConfirms,
            Some((Current, 90_000)),
        ),
        row(
            "not seasonal, late: no markdown",
            "第23条(2)",
            |f| {
                report(f);
                f.current_price = 60_000;
            },
            Ret,
            ReportConfirms,
            Some((Paid, 100_000)),
        ),
        row(
            "company at fault, bought at a discount: original price",
            "第23条(3) 按原价退换",
            |f| {
                f.fault = Fault::Company;
                f.price_paid = 80_000;
            },
            Ret,
            WithinWindowFault,
            Some((Original, 100_000)),
        ),
        row(
            "company at fault, damaged: not held to 不污不损",
            "第22条, 第23条(3); not 第21条",
            |f| {
                f.fault = Fault::Company;
                f.resalable = false;
            },
            Ret,
            WithinWindowFault,
            Some((Original, 100_000)),
        ),
        row(
            "company at fault before seasonal lateness",
            "第23条(3)",
            |f| {
                report(f);
                f.fault = Fault::Company;
                f.seasonal = true;
                f.price_paid = 80_000;
                f.current_price = 50_000;
            },
            Ret,
            ReportConfirms,
            Some((Original, 100_000)),
        ),
        row(
            "company at fault, day 8, no report",
            "第22条",
            |f| {
                late(f);
                f.fault = Fault::Company;
            },
            Refused,
            ReportRequired,
            None,
        ),
        row(
            "defective, damaged, within the window",
            "第22条",
            |f| {
                f.fault = Fault::Product;
                f.resalable = false;
            },
            Ret,
            WithinWindowFault,
            Some((Paid, 100_000)),
        ),
        row(
            "no reason, soiled",
            "第21条 不污、不损且不影响正常销售",
            |f| f.resalable = false,
            Refused,
            NotResalable,
            None,
        ),
        row(
            "no invoice",
            "第21条 凭购物发票或其他相关凭证",
            |f| f.proof_of_purchase = false,
            Refused,
            NoProof,
            None,
        ),
        row(
            "other goods",
            "第21条",
            |f| f.category = Category::Other,
            Ret,
            WithinWindow,
            Some((Paid, 100_000)),
        ),
        row(
            "misuse: washing",
            "第24条 洗涤…不当…不予退换",
            |f| f.misuse = Some(Misuse::Washing),
            RepairOnly,
            Reason::Misuse,
            None,
        ),
        row(
            "misuse: care, late with a report",
            "第24条",
            |f| {
                report(f);
                f.misuse = Some(Misuse::Care);
            },
            RepairOnly,
            Reason::Misuse,
            None,
        ),
        row(
            "customer at fault",
            "第24条 因消费者使用…不当",
            |f| f.fault = Fault::Customer,
            RepairOnly,
            Reason::Misuse,
            None,
        ),
        row(
            "battery, company at fault",
            "第21条 电池…不在退换之列",
            |f| {
                f.category = Category::Battery;
                f.fault = Fault::Company;
            },
            Refused,
            ExcludedCategory,
            None,
        ),
    ];
    for c in Category::ALL.into_iter().filter(|c| c.never_returnable()) {
        rows.push(row(
            "excluded category",
            "第21条 …不在退换之列",
            |f| f.category = c,
            Refused,
            ExcludedCategory,
            None,
        ));
    }
    rows
}
