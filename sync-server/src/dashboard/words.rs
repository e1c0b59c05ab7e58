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
