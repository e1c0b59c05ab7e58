//! The evidence gates of the visit endings that need more than a reason, asked of one replayed
//! visit: a declined quote (the quote shown and declined; at most a part of it — the call-out
//! fee — agreed after), a redelivery (a damaged-on-delivery finding the customer signed, a
//! photo) and a take-back (condition photos, the customer's signature on the receipt). The device's commands and the server's judge ask the same questions of the same
//! replay, so the two cannot drift.

use super::VisitReplay;
use crate::checklist::Template;
use crate::media::signature::SummaryTakeBack;
use crate::model::{FindingKind, JobKind};

/// Why an ending's evidence falls short: a machine-readable code and words for people.
pub type Shortfall = (&'static str, &'static str);

impl VisitReplay {
    /// Why this visit cannot end with the quote declined, if it cannot. The customer's answer
    /// to the quote (`consent_to_fees`, not agreed, naming the quoted items) must be recorded.
    /// After it, nothing more may be agreed, or only a part of the quote: the call-out fee the
    /// customer accepts to pay (PROCEDURE step 9, seed 八 第4条 (10)).
    pub fn quote_decline_shortfall(&self) -> Option<Shortfall> {
        let Some(at) = self.consents.iter().rposition(|(f, _)| !f.agreed) else {
            return Some((
                "blocked",
                "record the customer's answer to the quote (declined) first",
            ));
        };
        let quote = &self.consents[at].0;
        if quote.items.is_empty() {
            return Some(("invalid", "the declined quote names no fee item"));
        }
        match self.consents[at + 1..].last() {
            None => None,
            Some((after, _))
                if after.items.len() < quote.items.len()
                    && after.items.iter().all(|i| quote.items.contains(i)) =>
            {
                None
            }
            Some(_) => Some((
                "invalid",
                "after a declined quote only a part of it (the call-out fee) can be agreed",
            )),
        }
    }

    /// Why this visit cannot end with a redelivery requested for `finding`, if it cannot: the
    /// job delivers (or installs) goods, the finding is this visit's, of kind
    /// `damaged_on_delivery`, confirmed by the customer's signature, and the visit has a photo
    /// (seed 004 第3章 第9条: damage found on unboxing is recorded, signed and redelivered).
    pub fn redelivery_shortfall(&self, kind: JobKind, finding: &str) -> Option<Shortfall> {
        if !matches!(kind, JobKind::Delivery | JobKind::Installation) {
            return Some(("invalid", "only delivered goods are redelivered"));
        }
        let Some(f) = self.findings.iter().find(|f| f.finding.id == finding) else {
            return Some(("unknown_finding", "the finding is not one of this visit's"));
        };
        if f.finding.kind != FindingKind::DamagedOnDelivery.as_str() {
            return Some(("invalid", "the finding is not damage on delivery"));
        }
        if !f.acknowledged {
            return Some(("blocked", "the customer has not signed the finding"));
        }
        if self.photos.is_empty() {
            return Some(("blocked", "take a photo of the damage first"));
        }
        None
    }

    /// Why this visit cannot end with the unit taken back under `receipt`, if it cannot: the
    /// photos named as the unit's condition are this visit's and, where the checklist asks for
    /// the evidence (`strict_evidence`, templates v3 on), there is at least one and the
    /// customer signed this very receipt (PROCEDURE 14; 004 一 第19条(6)).
    pub fn take_back_shortfall(
        &self,
        t: &Template,
        receipt: &SummaryTakeBack,
        condition_photos: &[String],
    ) -> Option<Shortfall> {
        // Photos named are this visit's, whatever the checklist.
        if condition_photos
            .iter()
            .any(|c| !self.photos.iter().any(|p| &p.sha256 == c))
        {
            return Some(("invalid", "a condition photo is not one of this visit's"));
        }
        if !t.strict_evidence {
            return None;
        }
        if condition_photos.is_empty() {
            return Some(("blocked", "photograph the unit's condition first"));
        }
        match &self.take_back_signed {
            Some(signed) if signed == receipt => None,
            Some(_) => Some((
                "blocked",
                "the receipt is not the one the customer signed: show it and sign again",
            )),
            None => Some((
                "blocked",
                "the customer has not signed the take-back receipt",
            )),
        }
    }
}
