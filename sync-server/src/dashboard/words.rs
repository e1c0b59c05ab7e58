//! The words the dashboard uses for a job's kind, zone and billing, in pages and CSV files
//! alike, and back from a form or a file; and for linked jobs (关联工单) and a work order's
//! status. The `*_word` functions give the stable wire words (CSV columns, form values); the
//! `*_label` functions the words a reader reads, from the catalogue in their language.

use fieldkit_core::model::returns::Category;
use fieldkit_core::model::{Billing, CustomerType, JobKind, LinkKind, WorkOrderStatus, Zone};

use crate::i18n::Locale;
use crate::t;

/// A job kind's wire word (`repair`, `installation`, …): CSV cells, form values.
pub fn kind_word(k: JobKind) -> &'static str {
    k.as_str()
}

/// A zone's wire word.
pub fn zone_word(z: Zone) -> &'static str {
    match z {
        Zone::Urban => "urban",
        Zone::Suburban => "suburban",
        Zone::Rural => "rural",
    }
}

/// A billing's wire word.
pub fn billing_word(b: Billing) -> &'static str {
    match b {
        Billing::Warranty => "warranty",
        Billing::Paid => "paid",
    }
}

/// A job kind as the reader reads it.
pub fn kind_label(l: Locale, k: JobKind) -> String {
    match k {
        JobKind::Delivery => t!(l, "kind-delivery"),
        JobKind::Installation => t!(l, "kind-installation"),
        JobKind::Repair => t!(l, "kind-repair"),
        JobKind::ReturnExchange => t!(l, "kind-return-exchange"),
        JobKind::FollowUp => t!(l, "kind-follow-up"),
    }
}

/// A zone as the reader reads it.
pub fn zone_label(l: Locale, z: Zone) -> String {
    match z {
        Zone::Urban => t!(l, "zone-urban"),
        Zone::Suburban => t!(l, "zone-suburban"),
        Zone::Rural => t!(l, "zone-rural"),
    }
}

/// A billing as the reader reads it.
pub fn billing_label(l: Locale, b: Billing) -> String {
    match b {
        Billing::Warranty => t!(l, "billing-warranty"),
        Billing::Paid => t!(l, "billing-paid"),
    }
}

/// The zone a word names: the wire word, or its label in any language (an import file
/// written in Chinese).
pub fn parse_zone(s: &str) -> Option<Zone> {
    let s = s.trim();
    Zone::ALL
        .into_iter()
        .find(|z| zone_word(*z) == s || Locale::ALL.iter().any(|l| zone_label(*l, *z) == s))
}

/// The billing a word names: the wire word, or its label in any language.
pub fn parse_billing(s: &str) -> Option<Billing> {
    let s = s.trim();
    [Billing::Warranty, Billing::Paid]
        .into_iter()
        .find(|b| billing_word(*b) == s || Locale::ALL.iter().any(|l| billing_label(*l, *b) == s))
}

/// The job kind a word names: the wire word, or its label in any language.
pub fn parse_kind(s: &str) -> Option<JobKind> {
    let s = s.trim();
    JobKind::parse(s).or_else(|| {
        JobKind::ALL
            .into_iter()
            .find(|k| Locale::ALL.iter().any(|l| kind_label(*l, *k) == s))
    })
}

/// Why a job was made from another.
pub fn link_label(l: Locale, k: LinkKind) -> String {
    match k {
        LinkKind::FollowUp => t!(l, "link-follow-up"),
        LinkKind::Redelivery => t!(l, "link-redelivery"),
        LinkKind::Rework => t!(l, "link-rework"),
        LinkKind::SecondVisit => t!(l, "link-second-visit"),
        LinkKind::CallbackRepair => t!(l, "link-callback-repair"),
    }
}

/// A work order's status as the desk holds it.
pub fn order_status_label(l: Locale, s: WorkOrderStatus) -> String {
    match s {
        WorkOrderStatus::Assigned => t!(l, "order-status-assigned"),
        WorkOrderStatus::Accepted => t!(l, "order-status-accepted"),
        WorkOrderStatus::Confirmed => t!(l, "order-status-confirmed"),
        WorkOrderStatus::Visiting => t!(l, "order-status-visiting"),
        WorkOrderStatus::Completed => t!(l, "order-status-completed"),
        WorkOrderStatus::AwaitingReturn => t!(l, "order-status-awaiting-return"),
        WorkOrderStatus::NoAccess => t!(l, "order-status-no-access"),
        WorkOrderStatus::Cancelled => t!(l, "order-status-cancelled"),
        WorkOrderStatus::AwaitingParts => t!(l, "order-status-awaiting-parts"),
        WorkOrderStatus::SignatureRefused => t!(l, "order-status-signature-refused"),
        WorkOrderStatus::QuoteDeclined => t!(l, "order-status-quote-declined"),
        WorkOrderStatus::SecondVisitNeeded => t!(l, "order-status-second-visit-needed"),
        WorkOrderStatus::RedeliveryRequested => t!(l, "order-status-redelivery-requested"),
    }
}

/// A goods category as the reader reads it.
pub fn category_label(l: Locale, c: Category) -> String {
    match c {
        Category::Appliance => t!(l, "category-appliance"),
        Category::Other => t!(l, "category-other"),
        Category::Food => t!(l, "category-food"),
        Category::Medicine => t!(l, "category-medicine"),
        Category::Cosmetics => t!(l, "category-cosmetics"),
        Category::Intimate => t!(l, "category-intimate"),
        Category::GoldJewellery => t!(l, "category-gold-jewellery"),
        Category::Photosensitive => t!(l, "category-photosensitive"),
        Category::Tobacco => t!(l, "category-tobacco"),
        Category::Alcohol => t!(l, "category-alcohol"),
        Category::WindInstrument => t!(l, "category-wind-instrument"),
        Category::Battery => t!(l, "category-battery"),
    }
}

/// A customer type as the reader reads it.
pub fn customer_type_label(l: Locale, c: CustomerType) -> String {
    match c {
        CustomerType::Individual => t!(l, "customer-type-individual"),
        CustomerType::Business => t!(l, "customer-type-business"),
    }
}

/// Why a job was made from another, zh-CN then en (kept for callers not yet converted; pages
/// use [`link_label`]).
pub fn link_word(k: LinkKind) -> &'static str {
    match k {
        LinkKind::FollowUp => "回访 · follow-up",
        LinkKind::Redelivery => "二次配送 · redelivery",
        LinkKind::Rework => "返工 · rework",
        LinkKind::SecondVisit => "二次上门 · second visit",
        LinkKind::CallbackRepair => "回访维修 · callback repair",
    }
}

/// A work order's status, zh-CN then en (kept for callers not yet converted; pages use
/// [`order_status_label`]).
pub fn order_status_word(s: WorkOrderStatus) -> String {
    format!(
        "{} · {}",
        order_status_label(Locale::ZhCn, s),
        order_status_label(Locale::En, s)
    )
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
pub mod money {
    use crate::desk::invoices::InvoiceStatus;

    pub const TITLE: &str = "收款与发票 · Cash and invoices";
    pub const HANDIN: &str = "登记现金上交 · Record a cash hand-in";
    pub const TECHNICIAN: &str = "技师 · Technician";
    pub const DAY: &str = "收款日期 · Day collected";
    pub const AMOUNT: &str = "金额(元) · Amount (yuan)";
    pub const AMOUNT_HINT: &str = "最多两位小数,上限 · At most two decimals, up to";
    pub const AMOUNT_BAD: &str =
        "金额应为元,最多两位小数,如 130.50 (amount: yuan with at most two decimals, like 130.50)";
    pub const NOTE: &str = "备注 · Note";
    pub const RECORD: &str = "登记上交 · Record hand-in";
    pub const RECONCILIATION: &str = "查看当日现金日结 · See the day's cash reconciliation";
    pub const INVOICES: &str = "待开发票 · Invoices to follow";
    pub const INVOICES_RULE: &str = "现场未开收费凭证的结算,应于 3 天内开具发票 · A settlement without a receipt on site is owed an invoice within 3 days.";
    pub const OVERDUE: &str = "已逾期 · Overdue";
    pub const DUE: &str = "待开具 · Due";
    pub const ISSUED: &str = "已开具(最近 50 张) · Issued (latest 50)";
    pub const NONE: &str = "无 · None.";
    pub const NUMBER: &str = "发票号 · Invoice number";
    pub const ISSUED_ON: &str = "开票日期 · Issued on";
    pub const ISSUE: &str = "登记已开票 · Record as issued";
    pub const INVOICE_COLUMNS: [&str; 7] = [
        "工单 · Job",
        "技师 · Technician",
        "金额 · Amount",
        "结算时间 · Settled",
        "应开票时间 · Due",
        "状态 · Status",
        "发票 · Invoice",
    ];

    /// An invoice's status.
    pub fn status(s: InvoiceStatus) -> &'static str {
        match s {
            InvoiceStatus::Due => "待开具 · due",
            InvoiceStatus::Overdue => "已逾期 · overdue",
            InvoiceStatus::Issued => "已开具 · issued",
        }
    }
}

/// The texts of the board's panel of jobs at risk (服务时限预警), zh-CN then en.
pub mod at_risk {
    pub const TITLE: &str = "超时风险工单 · Jobs at risk";
    pub const VERSION: &str = "时限版本 · SLA version";
    pub const COLUMNS: [&str; 6] = [
        "工单 · Job",
        "技师 · Technician",
        "类型 · Kind",
        "程度 · Level",
        "原因 · Why",
        "上报主管 · Escalate to",
    ];
    pub const NONE: &str = "暂无超时风险工单 · No job at risk.";
    pub const UNASSIGNED: &str = "未派工 · unassigned";
    pub const WARNING: &str = "预警 · warning";
    pub const BREACH: &str = "已超时 · breach";
    pub const NOT_CONTACTED: &str = "未按时电话联系客户,时限 · Customer not reached by phone, due";
    pub const DELAY_NOTICE: &str = "技师报告延误,新的预计到达 · Delay notice, new ETA";
    pub const ETA_PAST_WINDOW: &str =
        "预计到达晚于约定时段,时段结束 · ETA past the promised window, which ends";
    pub const ARRIVAL: &str = "尚未上门,响应时限 · Not arrived, response limit";
    pub const REPAIR: &str = "尚未完工,维修时限 · Not completed, repair limit";
}

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
pub mod complaints {
    use crate::complaints::{Category, Channel, Opinion, Responsible};
    use crate::desk::complaints::QueueStatus;

    pub const TITLE: &str = "投诉 · Complaints";
    pub const ONE: &str = "投诉详情 · Complaint";
    pub const RULE: &str = "投诉应在受理后 3 个工作日内处理完毕；需延期的，应及时告知客户 · A complaint is handled within 3 working days of its receipt; an extension is told to the customer in time.";
    pub const INTAKE: &str = "受理投诉 · Take in a complaint";
    pub const CHANNEL: &str = "渠道 · Channel";
    pub const CATEGORY: &str = "类别 · Category";
    pub const JOB_NUMBER: &str = "工单号(可选) · Job number (optional)";
    pub const SUMMARY: &str = "投诉内容 · What the customer said";
    pub const TAKE_IN: &str = "受理 · Take in";
    pub const NO_SUCH_JOB: &str = "没有这个工单号 (no job has this number)";
    pub const QUEUE: &str = "投诉队列 · Queue";
    pub const RECEIVED: &str = "受理 · Received";
    pub const OVERDUE_COUNT: &str = "逾期 · Overdue";
    pub const IN_TIME: &str = "按时处理率 · Handled in time";
    pub const SATISFIED: &str = "处理满意率 · Satisfied with the handling";
    pub const ESTIMATED: &str =
        "按周一至周五估算：日历未覆盖该年 · Estimated Monday–Friday: the calendar lacks that year";
    pub const NONE: &str = "无 · None.";
    pub const COLUMNS: [&str; 6] = [
        "状态 · Status",
        "处理期限 · Due",
        "渠道 · Channel",
        "类别 · Category",
        "工单 · Job",
        "内容 · Summary",
    ];
    pub const CALENDAR: &str = "节假日日历 · Holiday calendar";
    pub const BUILT_IN: &str = "内置 · built in";
    pub const FROM_DESK: &str = "客服上传 · uploaded by the desk";
    pub const MISSING_YEAR: &str = "日历未覆盖明年，请按国务院办公厅通知上传 · The calendar does not cover next year; upload it from the State Council notice:";
    pub const CALENDAR_JSON: &str = "日历 JSON(与内置 holidays_cn.json 格式相同) · Calendar JSON (the shape of the shipped holidays_cn.json)";
    pub const CALENDAR_NOT_JSON: &str = "日历不是 JSON (the calendar is not JSON)";
    pub const UPLOAD: &str = "上传 · Upload";
    pub const RECEIVED_AT: &str = "受理时间 · Received";
    pub const ASSESS: &str = "认定 · Assessment";
    pub const VALID: &str = "有效投诉 · Valid";
    pub const INVALID: &str = "无效投诉(向客户解释) · Not valid (explained to the customer)";
    pub const VALID_BAD: &str = "请选择有效或无效 (choose valid or not valid)";
    pub const CAUSE: &str = "原因 · Cause";
    pub const RESPONSIBLE: &str = "责任方 · Responsible";
    pub const TECHNICIAN: &str = "责任技师 · Technician responsible";
    pub const EXTEND: &str = "延期(已告知客户) · Extension (told to the customer)";
    pub const UNTIL: &str = "延至 · Until";
    pub const REASON: &str = "原因 · Reason";
    pub const RESOLVE: &str = "处理结果 · Resolution";
    pub const RESOLUTION: &str = "处理措施 · What was done";
    pub const REPORT: &str = "回复客户 · Result reported";
    pub const OPINION: &str = "客户意见 · The customer's opinion";
    pub const NOTE: &str = "备注 · Note";
    pub const EARLIER: &str = "客户不满意的处理 · A resolution the customer rejected";
    pub const RECORD: &str = "记录 · Record";
    pub const BACK: &str = "返回投诉队列 · Back to the queue";
    pub const NOT_FOUND: &str = "没有这个投诉 (no such complaint)";

    pub fn status(s: QueueStatus) -> &'static str {
        match s {
            QueueStatus::Due => "处理中 · due",
            QueueStatus::Overdue => "已逾期 · overdue",
            QueueStatus::Handled => "待回复客户 · to report",
            QueueStatus::Closed => "已结案 · closed",
        }
    }

    pub fn channel(c: Channel) -> &'static str {
        match c {
            Channel::Phone => "电话 · phone",
            Channel::Letter => "信函 · letter",
            Channel::Visit => "来访 · visit",
            Channel::Online => "在线 · online",
            Channel::Device => "现场反馈 · on the phone at the visit",
            Channel::Callback => "回访 · callback",
        }
    }

    pub fn category(c: Category) -> &'static str {
        match c {
            Category::ProductQuality => "产品质量 · product quality",
            Category::ServiceQuality => "服务质量 · service quality",
            Category::Attitude => "服务态度 · attitude",
            Category::Timeliness => "时效 · timeliness",
            Category::Charges => "收费 · charges",
            Category::Damage => "财物损坏 · damage",
            Category::Other => "其他 · other",
        }
    }

    /// The form value of a responsible party (its serde name).
    pub fn responsible_value(r: Responsible) -> &'static str {
        match r {
            Responsible::Technician => "technician",
            Responsible::Desk => "desk",
            Responsible::Product => "product",
            Responsible::Logistics => "logistics",
            Responsible::None => "none",
        }
    }

    pub fn responsible(r: Responsible) -> &'static str {
        match r {
            Responsible::Technician => "技师 · technician",
            Responsible::Desk => "客服 · the desk",
            Responsible::Product => "产品 · the product",
            Responsible::Logistics => "物流 · delivery",
            Responsible::None => "无责任方 · nobody",
        }
    }

    /// The form value of an opinion (its serde name).
    pub fn opinion_value(o: Opinion) -> &'static str {
        match o {
            Opinion::Satisfied => "satisfied",
            Opinion::Acceptable => "acceptable",
            Opinion::Dissatisfied => "dissatisfied",
            Opinion::Unreachable => "unreachable",
        }
    }

    pub fn opinion(o: Opinion) -> &'static str {
        match o {
            Opinion::Satisfied => "满意 · satisfied",
            Opinion::Acceptable => "基本满意 · acceptable",
            Opinion::Dissatisfied => "不满意(重新处理) · dissatisfied (reopened)",
            Opinion::Unreachable => "联系不上 · could not be reached",
        }
    }
}

/// The callback page.
pub mod callbacks {
    use crate::callbacks::Reason;
    use crate::desk::callbacks::CallbackStatus;

    pub const TITLE: &str = "回访 · Callbacks";
    pub const RULE: &str = "安装必回访（考核安装部门），投诉必回访，其余按比例抽样；回访评分与现场评分对照 · Every installation and every complaint is called back, a sample of the rest; the callback's rating is shown beside the one given on the technician's phone.";
    pub const PICKED: &str = "抽取 · Picked";
    pub const DONE: &str = "已回访 · Done";
    pub const UNREACHABLE: &str = "联系不上 · Unreachable";
    pub const OVERDUE: &str = "逾期 · Overdue";
    pub const CALLBACK_RATING: &str = "回访评分 · Callback rating";
    pub const DEVICE_RATING: &str = "现场评分 · Rating on the phone";
    pub const PROBLEMS: &str = "发现问题 · Problems found";
    pub const NONE: &str = "无 · None.";
    pub const COLUMNS: [&str; 7] = [
        "状态 · Status",
        "回访期限 · Due",
        "工单 · Job",
        "客户 · Customer",
        "话术 · Script",
        "现场评分 · Phone rating",
        "回访结果 · Outcome",
    ];
    pub const REACHED: &str = "已接通 · Reached";
    pub const NOT_REACHED: &str = "未接通 · Not reached";
    pub const REACHED_BAD: &str = "请选择是否接通 (choose reached or not)";
    pub const RATING: &str = "评分 · Rating";
    pub const RATING_BAD: &str = "评分应为 1–5 (the rating is 1 to 5)";
    pub const PROBLEM: &str = "问题 · Problem";
    pub const PROBLEM_BAD: &str = "问题应为维修或投诉 (the problem is a repair or a complaint)";
    pub const NO_PROBLEM: &str = "无 · None";
    pub const REPAIR: &str = "仍有故障：派维修单 · Still faulty: a repair job";
    pub const COMPLAINT: &str = "客户投诉 · A complaint";
    pub const COMPLAINT_CATEGORY: &str = "投诉类别 · Complaint category";
    pub const NOTE: &str = "客户原话 · What the customer said";
    pub const RECORD: &str = "记录 · Record";
    pub const REPAIR_JOB: &str = "维修单 · repair job";
    pub const COMPLAINT_LINK: &str = "投诉 · complaint";
    pub const RULES: &str = "回访规则 · Rules";
    pub const EVERY_INSTALLATION: &str = "每单安装 · Every installation";
    pub const EVERY_COMPLAINT: &str = "每单投诉 · Every complaint";
    pub const SAMPLE: &str = "其余抽样比例(%) · Sample of the rest (%)";
    pub const WITHIN: &str = "完工后几天内 · Within days of completion";
    pub const SEED: &str = "抽样种子 · Sampling seed";
    pub const SAVE: &str = "保存 · Save";
    pub const NUMBER_BAD: &str = "请填写数字 (enter a number)";

    pub fn status(s: CallbackStatus) -> &'static str {
        match s {
            CallbackStatus::Due => "待回访 · due",
            CallbackStatus::Overdue => "已逾期 · overdue",
            CallbackStatus::Done => "已回访 · done",
            CallbackStatus::Unreachable => "联系不上 · unreachable",
        }
    }

    pub fn reason(r: Reason) -> &'static str {
        match r {
            Reason::Installation => "安装回访 · installation",
            Reason::Complaint => "投诉回访 · complaint",
            Reason::Sample => "抽样 · sample",
        }
    }
}

/// The warehouse's stock page.
pub mod stock {
    use crate::spares::ReplenishmentState;

    pub const TITLE: &str = "备件 · Spare parts";
    pub const RULE: &str = "库存按服务器账目计算（领用、使用、退库、盘点）；低于最低库存时自动生成补货申请，经审批、发放后由技师领收 · Stock follows the server's own ledger (issued, used, returned, counted); below a minimum level a replenishment is raised, approved, issued and received on the van.";
    pub const VANS: &str = "车载库存 · Van stock";
    pub const VAN_COLUMNS: [&str; 7] = [
        "技师 · Technician",
        "配件 · Part",
        "在库 · On hand",
        "已用 · Used",
        "旧件退回 · Old parts returned",
        "最低库存 · Minimum",
        "最近盘点 · Last count",
    ];
    pub const DIFFERS: &str = "盘点差异 · count differs";
    pub const NONE: &str = "无 · None.";
    pub const TECHNICIAN: &str = "技师 · Technician";
    pub const SKU: &str = "配件编号 · Part (SKU)";
    pub const MINIMUM: &str = "最低库存 · Minimum";
    pub const MINIMUM_BAD: &str = "最低库存应为整数 (the minimum is a whole number)";
    pub const SET: &str = "设置 · Set";
    pub const REPLENISHMENTS: &str = "补货申请 · Replenishments";
    pub const REQUEST_COLUMNS: [&str; 7] = [
        "技师 · Technician",
        "配件 · Part",
        "数量 · Quantity",
        "申请时在库 / 最低 · On hand / minimum then",
        "申请时间 · Raised",
        "状态 · State",
        "操作 · Action",
    ];
    pub const APPROVE: &str = "审批 · Approve";
    pub const ISSUE: &str = "发放 · Issue";
    pub const LOANERS: &str = "备用机 · Loaners";
    pub const LOANER_COLUMNS: [&str; 6] = [
        "工单 · Job",
        "技师 · Technician",
        "型号 · 序列号 · Model · serial",
        "借出 · Lent",
        "应还 · Due back",
        "归还 · Returned",
    ];
    pub const JOB: &str = "工单 · job";
    pub const OVERDUE: &str = "逾期未还 · overdue";
    pub const OUT: &str = "借出中 · out";

    pub fn state(s: ReplenishmentState) -> &'static str {
        match s {
            ReplenishmentState::Raised => "待审批 · raised",
            ReplenishmentState::Approved => "已审批 · approved",
            ReplenishmentState::Issued => "已发放 · issued",
            ReplenishmentState::Received => "已领收 · received",
        }
    }
}
