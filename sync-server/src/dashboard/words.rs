//! The words the dashboard uses for a job's kind, zone and billing, in pages and CSV files
//! alike, and back from a form or a file.

use fieldkit_core::model::{Billing, JobKind, Zone};

/// A job kind's word (`repair`, `install`, …).
pub fn kind_word(k: JobKind) -> &'static str {
    k.as_str()
}

/// A zone's word.
pub fn zone_word(z: Zone) -> &'static str {
    match z {
        Zone::Urban => "urban",
        Zone::Suburban => "suburban",
    }
}

/// A billing's word.
pub fn billing_word(b: Billing) -> &'static str {
    match b {
        Billing::Warranty => "warranty",
        Billing::Paid => "paid",
    }
}

/// The zone a word names.
pub fn parse_zone(s: &str) -> Option<Zone> {
    [Zone::Urban, Zone::Suburban]
        .into_iter()
        .find(|z| zone_word(*z) == s.trim())
}

/// The billing a word names.
pub fn parse_billing(s: &str) -> Option<Billing> {
    [Billing::Warranty, Billing::Paid]
        .into_iter()
        .find(|b| billing_word(*b) == s.trim())
}

/// The daily cash reconciliation's heading (现金日结), zh-CN then en.
pub const CASH_TITLE: &str = "现金日结 · Daily cash reconciliation";

/// Its columns, zh-CN then en.
pub const CASH_COLUMNS: [&str; 8] = [
    "技师 · Technician",
    "现金笔数 · Cash settlements",
    "现金收款 · Cash collected",
    "客户同意金额 · Consented",
    "已上交 · Handed in",
    "未上交 · Outstanding",
    "刷卡/转账/扫码 · Card, transfer, QR",
    "金额不符 · Differing",
];

/// The row of the day's totals.
pub const CASH_TOTAL: &str = "合计 · Total";

/// A day with nothing to reconcile.
pub const CASH_NONE: &str = "当日无结算或上交 · No settlement or hand-in that day.";

/// An amount in fen as yuan: `¥1234.50`, `-¥10.00`.
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let a = fen.unsigned_abs();
    format!("{sign}¥{}.{:02}", a / 100, a % 100)
}

#[cfg(test)]
mod tests {
    #[test]
    fn yuan_formats_fen() {
        assert_eq!(super::yuan(25_000), "¥250.00");
        assert_eq!(super::yuan(5), "¥0.05");
        assert_eq!(super::yuan(-1_050), "-¥10.50");
    }
}
