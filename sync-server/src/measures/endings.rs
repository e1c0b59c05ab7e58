//! The visit endings short of completion as the measures count them: the op kinds that end a
//! visit otherwise ([`ENDING_KINDS`]) and the per-scope counts ([`Endings`]).

use serde::{Deserialize, Serialize};

/// How many jobs had a visit end each way short of completion (a job counts once per way,
/// however many of its visits ended so; cancelled jobs are not counted).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endings {
    /// Nobody home or no access (`no_access`).
    pub no_access: u32,
    /// The unit taken to the workshop (`take_back`).
    pub taken_back: u32,
    /// Waiting for parts, 待件 (`await_parts`).
    pub awaiting_parts: u32,
    /// The customer refused to sign the service record (`refuse_signature`).
    pub signature_refused: u32,
    /// The customer declined the quote (`decline_quote`): the job closes unfixed.
    pub quote_declined: u32,
    /// Another visit needed (`need_second_visit`).
    pub second_visit_needed: u32,
    /// Goods damaged on unboxing, a redelivery requested (`request_redelivery`).
    pub redelivery_requested: u32,
}

/// The visit endings short of completion, by op kind, in [`Endings`]' order.
pub const ENDING_KINDS: [&str; 7] = [
    "no_access",
    "take_back",
    "await_parts",
    "refuse_signature",
    "decline_quote",
    "need_second_visit",
    "request_redelivery",
];

/// This ending closes the job with nothing left for a technician to do (a declined quote, a
/// redelivery on a new job); every other leaves the job for another visit.
pub fn closes_unfixed(kind: &str) -> bool {
    matches!(kind, "decline_quote" | "request_redelivery")
}

impl Endings {
    pub(super) fn add(&mut self, kind: &str) {
        let n = match kind {
            "no_access" => &mut self.no_access,
            "take_back" => &mut self.taken_back,
            "await_parts" => &mut self.awaiting_parts,
            "refuse_signature" => &mut self.signature_refused,
            "decline_quote" => &mut self.quote_declined,
            "need_second_visit" => &mut self.second_visit_needed,
            "request_redelivery" => &mut self.redelivery_requested,
            _ => return,
        };
        *n += 1;
    }

    /// The counts in [`ENDING_KINDS`]' order.
    pub fn counts(&self) -> [u32; 7] {
        [
            self.no_access,
            self.taken_back,
            self.awaiting_parts,
            self.signature_refused,
            self.quote_declined,
            self.second_visit_needed,
            self.redelivery_requested,
        ]
    }
}
