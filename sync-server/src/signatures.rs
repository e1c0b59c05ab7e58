//! What the server's records say about a customer's signature: a hash from the QR code of
//! the customer's copy judged against the job's stored `sign` ops (their seals recomputed),
//! for the public verify page and the dashboard's job page.

use fieldkit_core::media::signature::{self as sig, SealInput};
use fieldkit_core::model::SignerRole;
use fieldkit_core::sync::ops::{JobOp, SignV1};
use fieldkit_core::sync::protocol::Op;

/// What the server's records say about a hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A customer signature on the job, intact, signed content with exactly this hash.
    Matches,
    /// The job has customer signatures, but none intact with this hash.
    Mismatch,
    /// No such job, or no customer signature received for it yet.
    Unknown,
}

impl Verdict {
    /// The word the verify page shows.
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Matches => "matches",
            Verdict::Mismatch => "mismatch",
            Verdict::Unknown => "unknown",
        }
    }
}

/// A stored `sign` op read through the op catalogue: `None` when it is not a readable `sign`
/// op (its payload does not parse: an op from before the catalogue, or an altered record).
pub fn sign_of(op: &Op) -> Option<Box<SignV1>> {
    match op.job_op() {
        Ok(Some(JobOp::Sign(s))) => Some(s),
        _ => None,
    }
}

/// Judges `h` against a job's stored `sign` ops, each read through the op catalogue
/// ([`sign_of`]): it matches when a customer signature's stored summary hashes to `h`, the
/// signature claims `h`, and its seal (binding summary hash, timeline head, signer, time,
/// image and device) is intact. A `sign` op that does not read (`None`) vouches for nothing.
pub fn verdict<'a>(signs: impl IntoIterator<Item = Option<&'a SignV1>>, h: &str) -> Verdict {
    let mut any = false;
    for s in signs {
        let Some(s) = s else {
            // An unreadable signature record of the job: it cannot vouch for anything.
            any = true;
            continue;
        };
        if s.role != SignerRole::Customer {
            continue;
        }
        any = true;
        let (Some(claimed), Some(chain_head), Some(seal)) =
            (&s.summary_sha256, &s.chain_head, &s.seal)
        else {
            continue;
        };
        let recomputed = s.summary.as_ref().map(|summary| summary.sha256());
        let sealed = sig::seal(&SealInput {
            summary_sha256: claimed,
            chain_head,
            signer_name: &s.signer_name,
            role: s.role.as_str(),
            signed_at_ms: s.signed_at.timestamp_millis(),
            image_sha256: &s.image_sha256,
            device_id: &s.device_id.to_string(),
        });
        if claimed == h && recomputed.as_deref() == Some(h) && &sealed == seal {
            return Verdict::Matches;
        }
    }
    if any {
        Verdict::Mismatch
    } else {
        Verdict::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_ops::{customer_sign, op, renamed};

    fn judge(ops: &[Op], h: &str) -> Verdict {
        let signs: Vec<Option<Box<SignV1>>> = ops.iter().map(sign_of).collect();
        verdict(signs.iter().map(Option::as_deref), h)
    }

    #[test]
    fn a_sealed_customer_signature_matches_its_hash() {
        let sign = customer_sign();
        let h = sign.summary_sha256.clone().unwrap();
        let ops = [op(&JobOp::Sign(Box::new(sign)))];
        assert_eq!(judge(&ops, &h), Verdict::Matches);
        assert_eq!(judge(&ops, &"0".repeat(64)), Verdict::Mismatch);
        assert_eq!(judge(&[], &h), Verdict::Unknown);
    }

    #[test]
    fn a_renamed_field_is_unreadable_not_empty() {
        // `step_id` is outside the seal: read leniently, the record would still vouch for
        // the hash with the renamed field taken as absent.
        let sign = customer_sign();
        let h = sign.summary_sha256.clone().unwrap();
        let altered = renamed(&op(&JobOp::Sign(Box::new(sign))), "step_id", "stepp_id");
        assert!(sign_of(&altered).is_none());
        assert_eq!(judge(&[altered], &h), Verdict::Mismatch);
    }
}
