//! That the strokes of a customer's signature draw the image it names: the one costly check
//! (rasterise, encode the PNG, hash it), so a server runs it after a push has been answered
//! rather than inside it.

use sha2::{Digest, Sha256};

use crate::i18n::{Locale, Said};
use crate::model::SignerRole;
use crate::sync::ops::{JobOp, SignV1};
use crate::sync::protocol::Op;

fn sign_of(op: &Op) -> Option<Box<SignV1>> {
    match op.job_op() {
        Ok(Some(JobOp::Sign(s))) => Some(s),
        _ => None,
    }
}

/// Whether a `sign` op's strokes draw the image it names (the SHA-256 of the PNG they render
/// to). `None`: not a signature op, or no strokes to draw.
pub fn strokes_draw_image(op: &Op) -> Option<bool> {
    let s = sign_of(op)?;
    let png = s.drawn_strokes().ok()??.render_png().ok()?;
    Some(hex::encode(Sha256::digest(&png)) == s.image_sha256)
}

/// The completion's standing customer signatures whose strokes do not draw their image, in
/// English words (see [`drawing_problems_said`]).
pub fn drawing_problems(job_ops: &[Op], complete_index: usize) -> Vec<String> {
    drawing_problems_said(job_ops, complete_index)
        .iter()
        .map(|p| p.render(Locale::En))
        .collect()
}

/// The completion's standing customer signatures whose strokes do not draw their image, as
/// messages of the phone's catalogue. `job_ops`: one device's ops for the job in `seq` order
/// (its `sign` ops are enough) up to and including the `complete` op at `complete_index`.
pub fn drawing_problems_said(job_ops: &[Op], complete_index: usize) -> Vec<Said> {
    let Some(visit) = job_ops
        .get(complete_index)
        .and_then(|op| op.visit_id.clone())
    else {
        return Vec::new();
    };
    let signed: Vec<(&Op, Box<SignV1>)> = job_ops[..complete_index]
        .iter()
        .filter(|op| op.visit_id.as_deref() == Some(visit.as_str()))
        .filter_map(|op| Some((op, sign_of(op)?)))
        .collect();
    (0..signed.len())
        .filter(|&i| {
            let s = &signed[i].1;
            s.role == SignerRole::Customer
                && !signed[i + 1..]
                    .iter()
                    .any(|(_, later)| later.role == s.role && later.step_id == s.step_id)
        })
        .filter(|&i| strokes_draw_image(signed[i].0) == Some(false))
        .map(|i| {
            Said::new("sig-of")
                .arg("signature", signed[i].1.id.to_string())
                .arg("problem", Said::new("sig-strokes-differ"))
        })
        .collect()
}
