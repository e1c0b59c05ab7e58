//! The words the dashboard uses for a job's kind, zone and billing, in pages and CSV files
//! alike, and back from a form or a file; and for linked jobs (关联工单), zh-CN first, then en.

use fieldkit_core::model::returns::Category;
use fieldkit_core::model::{Billing, CustomerType, JobKind, LinkKind, WorkOrderStatus, Zone};

/// A job kind's word (`repair`, `install`, …).
pub fn kind_word(k: JobKind) -> &'static str {
    k.as_str()
}

/// A zone's word.
pub fn zone_word(z: Zone) -> &'static str {
    match z {
        Zone::Urban => "urban",
        Zone::Suburban => "suburban",
        Zone::Rural => "rural",
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
    Zone::ALL.into_iter().find(|z| zone_word(*z) == s.trim())
}

/// The billing a word names.
pub fn parse_billing(s: &str) -> Option<Billing> {
    [Billing::Warranty, Billing::Paid]
        .into_iter()
        .find(|b| billing_word(*b) == s.trim())
}

/// Why a job was made from another, zh-CN then en.
pub fn link_word(k: LinkKind) -> &'static str {
    match k {
        LinkKind::FollowUp => "回访 · follow-up",
        LinkKind::Redelivery => "二次配送 · redelivery",
        LinkKind::Rework => "返工 · rework",
        LinkKind::SecondVisit => "二次上门 · second visit",
        LinkKind::CallbackRepair => "回访维修 · callback repair",
    }
}

/// A work order's status as the desk holds it, zh-CN then en (a status this table does not
/// know yet: its stored name).
pub fn order_status_word(s: WorkOrderStatus) -> &'static str {
    const WORDS: &[(WorkOrderStatus, &str)] = &[
        (WorkOrderStatus::Assigned, "已派工 · assigned"),
        (WorkOrderStatus::Accepted, "已接单 · accepted"),
        (WorkOrderStatus::Confirmed, "已预约 · confirmed"),
        (WorkOrderStatus::Visiting, "上门中 · visiting"),
        (WorkOrderStatus::Completed, "已完工 · completed"),
        (WorkOrderStatus::AwaitingReturn, "待送回 · awaiting return"),
        (WorkOrderStatus::NoAccess, "无人在家 · no access"),
        (WorkOrderStatus::Cancelled, "已取消 · cancelled"),
        (WorkOrderStatus::AwaitingParts, "待件 · awaiting parts"),
        (
            WorkOrderStatus::SignatureRefused,
            "拒签 · signature refused",
        ),
        (
            WorkOrderStatus::QuoteDeclined,
            "报价未接受 · quote declined",
        ),
        (
            WorkOrderStatus::SecondVisitNeeded,
            "需二次上门 · second visit needed",
        ),
        (
            WorkOrderStatus::RedeliveryRequested,
            "待重新送货 · redelivery requested",
        ),
    ];
    WORDS
        .iter()
        .find(|(k, _)| *k == s)
        .map_or(s.as_str(), |(_, w)| w)
}

/// The texts of the job page's chain of linked jobs and its form, zh-CN then en.
pub mod chain {
    pub const HEADING: &str = "关联工单 · Linked jobs";
    pub const PARENT: &str = "上级工单 · Made from";
    pub const CHILDREN: &str = "后续工单 · Jobs made from this one";
    pub const NONE: &str = "暂无关联工单 · No linked jobs.";
    pub const GONE: &str = "(服务器上已无此单 · no longer on the server)";
    pub const UNASSIGNED: &str = "未派工 · unassigned";
    pub const NEW: &str = "由本单新建关联工单 · Make a linked job from this one";
    pub const COPIES: &str = "新工单沿用本单的客户、地址和产品 · The new job keeps this job's customer, site and product.";
    pub const KIND: &str = "类型 · Kind";
    pub const TECHNICIAN: &str = "技师 · Technician";
    pub const FROM: &str = "开始 · From";
    pub const TO: &str = "结束 · To";
    pub const WHEN_EMPTY: &str =
        "不填则为明天同一时段 · Empty: the same hours on the first day after today";
    pub const FAULT: &str = "故障 · Fault";
    pub const FAULT_EMPTY: &str = "不填则沿用本单 · Empty: this job's";
    pub const INSTRUCTIONS: &str = "说明 · Instructions";
    pub const CREATE: &str = "新建关联工单 · Create linked job";
    pub const CANCELLED: &str =
        "本单已取消,不能再新建关联工单 · This job is cancelled: no linked job can be made from it.";
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

/// The texts of the money page (cash hand-ins, invoices to follow), zh-CN then en.
pub mod money;

/// The texts of the board's panel of jobs at risk (服务时限预警), zh-CN then en.
pub mod at_risk;

/// A goods category, zh-CN then en (the ten 第21条 names are never returned or exchanged).
pub fn category_word(c: Category) -> &'static str {
    match c {
        Category::Appliance => "家用电器 · appliance",
        Category::Other => "其他商品 · other goods",
        Category::Food => "食品 · food",
        Category::Medicine => "药品 · medicine",
        Category::Cosmetics => "化妆品 · cosmetics",
        Category::Intimate => "贴身用品 · intimate goods",
        Category::GoldJewellery => "黄金珠宝 · gold and jewellery",
        Category::Photosensitive => "感光器材 · photosensitive materials",
        Category::Tobacco => "烟 · tobacco",
        Category::Alcohol => "酒 · alcohol",
        Category::WindInstrument => "口吹乐器 · wind instruments",
        Category::Battery => "电池 · batteries",
    }
}

/// A customer type, zh-CN then en.
pub fn customer_type_word(t: CustomerType) -> &'static str {
    match t {
        CustomerType::Individual => "个人 · individual",
        CustomerType::Business => "单位 · business",
    }
}

/// The wire name of a category or customer type (`appliance`, `business`…): a form's value.
pub fn wire_name<T: serde::Serialize>(v: T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// The category or customer type a wire name names.
pub fn parse_wire<T: serde::de::DeserializeOwned>(s: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(s.trim().to_owned())).ok()
}

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

/// The complaints pages.
pub mod complaints;

/// The callback page.
pub mod callbacks;

/// The warehouse's stock page.
pub mod stock;
