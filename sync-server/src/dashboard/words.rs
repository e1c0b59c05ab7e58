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

/// The texts of the money page (cash hand-ins, invoices to follow), zh-CN then en.
pub mod money;

/// The texts of the board's panel of jobs at risk (服务时限预警), zh-CN then en.
pub mod at_risk;

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

/// The complaints pages.
pub mod complaints;

/// The callback page.
pub mod callbacks;

/// The warehouse's stock page.
pub mod stock;
