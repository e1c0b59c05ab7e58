//! Dates, times, money and numbers as each locale writes them, in the customer's zone
//! (China Standard Time, UTC+08:00, where every job is).

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Timelike, Utc};

use super::Locale;

/// China Standard Time (checked when compiling: a const evaluation, not a run-time panic).
const CHINA: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(o) => o,
    None => panic!("UTC+08:00 is a valid offset"),
};

fn local(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.with_timezone(&CHINA)
}

const MONTHS_EN: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A calendar day: `2026年12月5日`, `5 Dec 2026`.
pub fn date(locale: Locale, d: NaiveDate) -> String {
    match locale {
        Locale::ZhCn => format!("{}年{}月{}日", d.year(), d.month(), d.day()),
        Locale::En => format!(
            "{} {} {}",
            d.day(),
            MONTHS_EN[d.month0() as usize],
            d.year()
        ),
    }
}

/// A time of day in China: `10:30`.
pub fn time(_locale: Locale, t: DateTime<Utc>) -> String {
    let l = local(t);
    format!("{:02}:{:02}", l.hour(), l.minute())
}

/// A moment in China: `2026年12月5日 10:30`, `5 Dec 2026 10:30`.
pub fn date_time(locale: Locale, t: DateTime<Utc>) -> String {
    let l = local(t);
    format!(
        "{} {:02}:{:02}",
        date(locale, l.date_naive()),
        l.hour(),
        l.minute()
    )
}

/// An amount in fen (分) as yuan: `¥1,280.50` in both (negative: `-¥3.00`).
pub fn money(locale: Locale, fen: i64) -> String {
    money_as(locale, fen, Digits::Grouped)
}

/// How [`money_as`] writes the whole yuan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Digits {
    /// With thousands separators, `¥1,280.50`: screens and the dashboard ([`money`]).
    Grouped,
    /// Without, `¥1280.50`: texts printed on the customer's copy, whose other amounts the
    /// report writes without separators too (the return decision's reasons).
    Plain,
}

/// An amount in fen (分) as yuan, the whole yuan written as `digits` says (negative: `-¥3.00`).
pub fn money_as(_locale: Locale, fen: i64, digits: Digits) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    let whole = match digits {
        Digits::Grouped => group(abs / 100),
        Digits::Plain => (abs / 100).to_string(),
    };
    format!("{sign}¥{whole}.{:02}", abs % 100)
}

/// A whole number with thousands separators: `12,345`.
pub fn number(_locale: Locale, n: i64) -> String {
    let sign = if n < 0 { "-" } else { "" };
    format!("{sign}{}", group(n.unsigned_abs()))
}

fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
