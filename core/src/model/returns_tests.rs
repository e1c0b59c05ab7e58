//! Tests of [`super::decide`]: one table row per rule and edge of 004 一 第6章 第21–24条, the
//! typed errors, the texts, the wire form, and a property test over arbitrary facts.

use chrono::DateTime;
use proptest::prelude::*;

use super::*;
use crate::model::returns_table::{at, base, table};

#[test]
fn each_rule_and_edge_decides_as_the_article_says() {
    let rows = table();
    assert_eq!(rows.len(), 37);
    for r in rows {
        let a = decide(&r.facts).unwrap_or_else(|e| panic!("{} ({}): {e}", r.name, r.article));
        let ctx = format!("{} ({}, {:?})", r.name, r.article, r.facts.category);
        assert_eq!(a.outcome, r.outcome, "{ctx}");
        assert_eq!(a.reason, r.reason, "{ctx}");
        assert_eq!(a.price_basis, r.basis, "{ctx}");
        assert_eq!(a.amount, r.amount, "{ctx}");
        // The answer cites the row's article (its first "第N条").
        let start = r.article.find('第').expect("an article");
        let end = start + r.article[start..].find('条').expect("第N条") + '条'.len_utf8();
        let cited = format!(
            "{} {}",
            a.reason.article(),
            a.price_basis.map_or("", |b| b.article())
        );
        assert!(
            cited.contains(&r.article[start..end]),
            "{ctx}: cites {cited}"
        );
    }
}

#[test]
fn days_are_counted_in_beijing_calendar_days() {
    let mut f = base();
    f.sold_at = at("2026-06-01T15:59:59Z");
    f.requested_at = at("2026-06-01T16:00:00Z");
    assert_eq!(decide(&f).map(|a| a.days_since_sale), Ok(1));
    f.requested_at = f.sold_at;
    assert_eq!(decide(&f).map(|a| a.days_since_sale), Ok(0));
}

#[test]
fn bad_facts_are_typed_errors() {
    let mut f = base();
    f.list_price = -1;
    assert_eq!(
        decide(&f),
        Err(FactsError::NegativePrice {
            field: PriceField::ListPrice,
            value: -1
        })
    );
    let mut f = base();
    f.price_paid = i64::MIN;
    assert!(matches!(
        decide(&f),
        Err(FactsError::NegativePrice {
            field: PriceField::PricePaid,
            ..
        })
    ));
    let mut f = base();
    f.current_price = -5;
    assert!(matches!(
        decide(&f),
        Err(FactsError::NegativePrice {
            field: PriceField::CurrentPrice,
            ..
        })
    ));
    let mut f = base();
    f.price_paid = 100_001;
    assert_eq!(
        decide(&f),
        Err(FactsError::PaidAboveList {
            paid: 100_001,
            list: 100_000
        })
    );
    let mut f = base();
    f.requested_at = at("2026-06-01T09:59:59+08:00");
    assert!(matches!(
        decide(&f),
        Err(FactsError::RequestBeforeSale { .. })
    ));
    let mut f = base();
    f.misuse = Some(Misuse::Use);
    f.fault = Fault::Company;
    assert_eq!(
        decide(&f),
        Err(FactsError::MisuseContradictsFault {
            fault: Fault::Company
        })
    );
    let mut f = base();
    f.requested_at = DateTime::<chrono::Utc>::MAX_UTC;
    assert_eq!(decide(&f), Err(FactsError::OutOfRange));
    assert!(!FactsError::OutOfRange.to_string().is_empty());
}

#[test]
fn the_answer_says_why_in_both_languages_citing_the_articles() {
    let mut f = base();
    f.price_paid = 80_050;
    let a = decide(&f).expect("allowed");
    assert_eq!(
        a.why_zh_cn(),
        "可以退货：售出后7日内，商品不污、不损，凭购物凭证按正常商品退换（第6章 第21条、第22条）；\
         购买时有降价折扣，按折扣价 ¥800.50（第6章 第23条(1)）"
    );
    assert!(a.why_en().starts_with("Return allowed: within 7 days"));
    assert!(a.why_en().ends_with("¥800.50 (第6章 第23条(1))"));
    f.misuse = Some(Misuse::Use);
    let a = decide(&f).expect("repair only");
    assert!(a.why_zh_cn().contains("第6章 第24条") && a.why_en().contains("第6章 第24条"));
    assert!(!a.why_zh_cn().contains('¥'));
}

#[test]
fn facts_and_answers_cross_the_wire_in_snake_case() {
    let mut f = base();
    f.misuse = Some(Misuse::Washing);
    f.fault = Fault::Customer;
    let json = serde_json::to_value(&f).expect("json");
    assert_eq!(json["category"], "appliance");
    assert_eq!(json["misuse"], "washing");
    assert_eq!(
        serde_json::from_value::<ReturnFacts>(json).expect("back"),
        f
    );
    let a = decide(&f).expect("answer");
    let json = serde_json::to_value(a).expect("json");
    assert_eq!(json["outcome"], "repair_only");
    assert_eq!(
        serde_json::from_value::<ReturnAnswer>(json).expect("back"),
        a
    );
    let e = FactsError::NegativePrice {
        field: PriceField::PricePaid,
        value: -1,
    };
    let json = serde_json::to_value(&e).expect("json");
    assert_eq!(json["kind"], "negative_price");
    assert_eq!(serde_json::from_value::<FactsError>(json).expect("back"), e);
}

fn any_time() -> impl Strategy<Value = Timestamp> {
    prop_oneof![
        // Around now, to the second, so the window's edges come up.
        (1_780_000_000i64..1_782_000_000).prop_map(|s| crate::clock::from_millis(s * 1000)),
        any::<i64>().prop_map(crate::clock::from_millis),
        Just(DateTime::<chrono::Utc>::MAX_UTC),
        Just(DateTime::<chrono::Utc>::MIN_UTC),
    ]
}

fn any_price() -> impl Strategy<Value = Cents> {
    prop_oneof![0i64..200_000, any::<i64>(), Just(0), Just(i64::MAX)]
}

fn any_facts() -> impl Strategy<Value = ReturnFacts> {
    (
        (
            any_time(),
            any_time(),
            any_price(),
            any_price(),
            any_price(),
        ),
        (
            any::<bool>(),
            prop_oneof![3 => Just(Category::Appliance), 1 => prop::sample::select(Category::ALL.to_vec())],
            prop::bool::weighted(0.9),
            any::<bool>(),
        ),
        (
            prop::sample::select(vec![
                Inspection::None,
                Inspection::ConfirmsProblem,
                Inspection::NoProblem,
            ]),
            prop::option::weighted(0.2, prop::sample::select(vec![
                Misuse::Use,
                Misuse::Washing,
                Misuse::Care,
            ])),
            prop::sample::select(vec![
                Fault::None,
                Fault::Product,
                Fault::Company,
                Fault::Customer,
            ]),
            prop::sample::select(vec![Request::Return, Request::Exchange]),
        ),
    )
        .prop_map(
            |(
                (s, r, paid, list, cur),
                (seasonal, category, proof, resalable),
                (inspection, misuse, fault, request),
            )| ReturnFacts {
                sold_at: s.min(r),
                requested_at: r.max(s),
                price_paid: paid.min(list),
                list_price: list,
                current_price: cur,
                seasonal,
                category,
                proof_of_purchase: proof,
                resalable,
                inspection,
                misuse,
                fault,
                request,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn never_panics_and_answers_consistently(f in any_facts(), swap in any::<bool>()) {
        let mut f = f;
        if swap {
            // Also the raw, possibly bad, order of the dates.
            std::mem::swap(&mut f.sold_at, &mut f.requested_at);
        }
        let a = match decide(&f) {
            Ok(a) => a,
            // Each error only for the facts it names.
            Err(e) => {
                let end = DateTime::<chrono::Utc>::MAX_UTC - chrono::TimeDelta::hours(8);
                let ok = match e {
                    FactsError::NegativePrice { .. } => f.price_paid.min(f.list_price).min(f.current_price) < 0,
                    FactsError::PaidAboveList { .. } => false,
                    FactsError::RequestBeforeSale { .. } => f.requested_at < f.sold_at,
                    FactsError::MisuseContradictsFault { .. } => {
                        f.misuse.is_some() && matches!(f.fault, Fault::Product | Fault::Company)
                    }
                    FactsError::OutOfRange => f.sold_at.max(f.requested_at) > end,
                };
                prop_assert!(ok, "{e}");
                return Ok(());
            }
        };
        prop_assert!(a.days_since_sale >= 0);
        prop_assert!(a.amount >= 0);
        match a.outcome {
            Outcome::Refused | Outcome::RepairOnly => {
                prop_assert_eq!(a.amount, 0);
                prop_assert_eq!(a.price_basis, None);
            }
            Outcome::Return | Outcome::Exchange => {
                prop_assert_eq!(a.outcome == Outcome::Return, f.request == Request::Return);
                let basis = a.price_basis.expect("an allowed answer has a price basis");
                let price = match basis {
                    PriceBasis::Original => f.list_price,
                    PriceBasis::Current => f.current_price.min(f.price_paid),
                    PriceBasis::Discounted | PriceBasis::Paid => f.price_paid,
                };
                prop_assert!(a.amount <= price);
                prop_assert!(a.amount <= f.list_price);
                prop_assert!(!f.category.never_returnable() && f.proof_of_purchase);
                prop_assert!(f.misuse.is_none() && f.fault != Fault::Customer);
                prop_assert!(a.days_since_sale <= RETURN_WINDOW_DAYS || f.inspection == Inspection::ConfirmsProblem);
                prop_assert!(a.why_zh_cn().contains(basis.article()));
                let late = a.days_since_sale > RETURN_WINDOW_DAYS;
                prop_assert_eq!(basis == PriceBasis::Original, f.fault == Fault::Company);
                prop_assert_eq!(basis == PriceBasis::Current, f.fault != Fault::Company && f.seasonal && late);
            }
        }
        prop_assert!(a.why_en().contains(a.reason.article()));
        // The server re-checks the same facts through the wire and must agree.
        let wire: ReturnFacts = serde_json::from_str(&serde_json::to_string(&f).unwrap()).unwrap();
        prop_assert_eq!(decide(&wire), Ok(a));
    }
}
