//! Customer and technician signatures: strokes captured on the pad, rendered to an
//! anti-aliased PNG; the canonical summary of what is being signed and its SHA-256; and the
//! seal that binds a signature to that summary and to the job's timeline.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::checklist::AnswerValue;

/// One sample of the pen.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct StrokePoint {
    /// Pad coordinates in pixels, origin top-left.
    pub x: f32,
    pub y: f32,
    /// Milliseconds since the signature began.
    pub t_ms: u32,
    /// 0.0 (lightest) to 1.0 (hardest); pads without pressure report 0.5.
    pub pressure: f32,
}

/// A signature as drawn: the pad's size and the strokes on it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Strokes {
    pub width: u32,
    pub height: u32,
    /// Each stroke is the pen's path from touching the pad to lifting.
    pub strokes: Vec<Vec<StrokePoint>>,
}

/// Why strokes cannot become a signature.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SignatureError {
    #[error("the signature is empty: ask the signer to sign on the pad")]
    Empty,
    #[error("the pad size {width}×{height} is outside 16–4096 pixels")]
    BadPadSize { width: u32, height: u32 },
    #[error("the signature has {points} points, more than the {max} allowed")]
    TooManyPoints { points: usize, max: usize },
    #[error("point {point} of stroke {stroke} is not a finite position on the pad")]
    BadPoint { stroke: usize, point: usize },
    #[error("the signature image could not be made: {0}")]
    Render(String),
}

/// The most points a signature may have.
pub const MAX_POINTS: usize = 20_000;

const INK_WIDTH: f32 = 3.0;

impl Strokes {
    /// Checks the strokes are drawable: a sane pad, at least one point, finite positions on
    /// (or just off) the pad, pressures in 0–1.
    pub fn validate(&self) -> Result<(), SignatureError> {
        if !(16..=4096).contains(&self.width) || !(16..=4096).contains(&self.height) {
            return Err(SignatureError::BadPadSize {
                width: self.width,
                height: self.height,
            });
        }
        let points: usize = self.strokes.iter().map(Vec::len).sum();
        if points == 0 {
            return Err(SignatureError::Empty);
        }
        if points > MAX_POINTS {
            return Err(SignatureError::TooManyPoints {
                points,
                max: MAX_POINTS,
            });
        }
        let (w, h) = (self.width as f32, self.height as f32);
        for (si, stroke) in self.strokes.iter().enumerate() {
            for (pi, p) in stroke.iter().enumerate() {
                let on_pad = p.x.is_finite()
                    && p.y.is_finite()
                    && (-0.1 * w..=1.1 * w).contains(&p.x)
                    && (-0.1 * h..=1.1 * h).contains(&p.y)
                    && (0.0..=1.0).contains(&p.pressure);
                if !on_pad {
                    return Err(SignatureError::BadPoint {
                        stroke: si,
                        point: pi,
                    });
                }
            }
        }
        Ok(())
    }

    /// Renders the strokes as dark ink on white, anti-aliased, line width following the
    /// pressure. Deterministic: the same strokes always give the same bytes.
    pub fn render_png(&self) -> Result<Vec<u8>, SignatureError> {
        use tiny_skia::{Color, LineCap, LineJoin, Paint, PathBuilder, Pixmap, Stroke, Transform};
        self.validate()?;
        let mut pixmap = Pixmap::new(self.width, self.height)
            .ok_or_else(|| SignatureError::Render("pad too large".into()))?;
        pixmap.fill(Color::WHITE);
        let mut paint = Paint::default();
        paint.set_color_rgba8(20, 24, 60, 255);
        paint.anti_alias = true;
        for stroke in &self.strokes {
            match stroke.as_slice() {
                [] => {}
                [p] => {
                    let r = INK_WIDTH * (0.5 + p.pressure) / 2.0;
                    if let Some(dot) = PathBuilder::from_circle(p.x, p.y, r.max(0.5)) {
                        pixmap.fill_path(
                            &dot,
                            &paint,
                            tiny_skia::FillRule::Winding,
                            Transform::identity(),
                            None,
                        );
                    }
                }
                points => {
                    // One segment at a time, so the width can follow the pressure.
                    for pair in points.windows(2) {
                        let [a, b] = pair else { continue };
                        let mut pb = PathBuilder::new();
                        pb.move_to(a.x, a.y);
                        pb.line_to(b.x, b.y);
                        let Some(path) = pb.finish() else { continue };
                        let stroke = Stroke {
                            width: INK_WIDTH * (0.5 + (a.pressure + b.pressure) / 2.0),
                            line_cap: LineCap::Round,
                            line_join: LineJoin::Round,
                            ..Stroke::default()
                        };
                        pixmap.stroke_path(&path, &paint, &stroke, Transform::identity(), None);
                    }
                }
            }
        }
        pixmap
            .encode_png()
            .map_err(|e| SignatureError::Render(e.to_string()))
    }
}

/// The work order as it stands in a signed summary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SummaryOrder {
    pub id: String,
    pub number: String,
    pub kind: String,
    pub product_model: String,
    pub product_serial: Option<String>,
    pub reported_fault: String,
    pub billing: String,
}

/// An anomaly noted on the record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SummaryFinding {
    pub id: String,
    pub kind: String,
    pub description: String,
}

/// A checklist step's answer or exception.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SummaryAnswer {
    pub step: String,
    pub answer: Option<AnswerValue>,
    pub exception: Option<String>,
}

impl SummaryAnswer {
    /// The summary line of what was recorded for `step`.
    pub fn of(step: String, recorded: crate::checklist::Recorded) -> Self {
        let (answer, exception) = match recorded {
            crate::checklist::Recorded::Answer(a) => (Some(a), None),
            crate::checklist::Recorded::Exception { reason } => (None, Some(reason)),
        };
        SummaryAnswer {
            step,
            answer,
            exception,
        }
    }
}

/// A part installed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SummaryPart {
    pub id: String,
    pub sku: String,
    pub quantity: i64,
    pub new_serial: Option<String>,
    pub old_part: String,
    pub old_serial: Option<String>,
}

/// The fees the customer agreed (or refused).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SummaryFees {
    pub id: String,
    pub schedule_id: String,
    pub schedule_version: u32,
    pub items: Vec<String>,
    pub total: i64,
    pub agreed: bool,
}

/// A take-back receipt as the customer signs it (PROCEDURE 14): the unit goes to the workshop
/// under this receipt, maybe with a loaner left behind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryTakeBack {
    pub receipt_no: String,
    pub reason: String,
    pub goods_book_ref: String,
    /// The loaner left with the customer: model and serial.
    pub loaner: Option<(String, String)>,
}

/// What a signer is shown and signs: the job, the findings, the work done (checklist
/// answers), the parts, the fees and the photos, as they stand. Canonical: every list is
/// sorted, so the same facts always give the same bytes and the same hash.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignedSummary {
    pub version: u32,
    pub work_order: SummaryOrder,
    pub visit_id: String,
    pub findings: Vec<SummaryFinding>,
    pub answers: Vec<SummaryAnswer>,
    pub parts: Vec<SummaryPart>,
    pub fee_consent: Option<SummaryFees>,
    /// SHA-256 of every photo of the visit.
    pub photos: Vec<String>,
    /// The take-back receipt the customer signs for, on a visit that ends with the unit taken
    /// to the workshop; absent otherwise (and then absent from the canonical bytes, so every
    /// summary signed before it existed keeps its hash).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub take_back: Option<SummaryTakeBack>,
}

impl SignedSummary {
    /// Sorts every list, making the summary canonical.
    pub fn canonicalize(mut self) -> Self {
        self.findings.sort_by(|a, b| a.id.cmp(&b.id));
        self.answers.sort_by(|a, b| a.step.cmp(&b.step));
        self.parts.sort_by(|a, b| a.id.cmp(&b.id));
        self.photos.sort();
        self.photos.dedup();
        self
    }

    /// The canonical bytes (compact JSON of the canonical form).
    pub fn canonical_json(&self) -> String {
        // Plain structs and vectors of strings and numbers: serialising cannot fail.
        serde_json::to_string(&self.clone().canonicalize()).unwrap_or_default()
    }

    /// SHA-256 of the canonical bytes, lower-case hex.
    pub fn sha256(&self) -> String {
        let mut h = Sha256::new();
        h.update(b"fieldkit-summary-v1\n");
        h.update(self.canonical_json().as_bytes());
        hex::encode(h.finalize())
    }
}

/// Everything a signature record binds together.
#[derive(Clone, Debug, PartialEq)]
pub struct SealInput<'a> {
    pub summary_sha256: &'a str,
    /// The hash of the job's last timeline event before the signature.
    pub chain_head: &'a str,
    pub signer_name: &'a str,
    pub role: &'a str,
    pub signed_at_ms: i64,
    pub image_sha256: &'a str,
    pub device_id: &'a str,
}

/// The seal over a signature record: changes to any bound field change it.
pub fn seal(s: &SealInput<'_>) -> String {
    let mut h = Sha256::new();
    h.update(b"fieldkit-signature-v1\n");
    let at = s.signed_at_ms.to_string();
    for f in [
        s.summary_sha256,
        s.chain_head,
        s.signer_name,
        s.role,
        at.as_str(),
        s.image_sha256,
        s.device_id,
    ] {
        h.update((f.len() as u64).to_be_bytes());
        h.update(f.as_bytes());
    }
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn text() -> impl Strategy<Value = String> {
        "[a-z0-9 ]{0,12}"
    }

    fn summary() -> impl Strategy<Value = SignedSummary> {
        let order = (text(), text(), text(), proptest::option::of(text()), text()).prop_map(
            |(number, kind, model, serial, fault)| SummaryOrder {
                id: "wo-1".into(),
                number,
                kind,
                product_model: model,
                product_serial: serial,
                reported_fault: fault,
                billing: "paid".into(),
            },
        );
        let finding = (text(), text()).prop_map(|(kind, description)| SummaryFinding {
            id: String::new(),
            kind,
            description,
        });
        let answer = (
            proptest::option::of(text().prop_map(AnswerValue::Text)),
            proptest::option::of(text()),
        )
            .prop_map(|(answer, exception)| SummaryAnswer {
                step: String::new(),
                answer,
                exception,
            });
        let part =
            (text(), 1i64..5, proptest::option::of(text())).prop_map(|(sku, quantity, serial)| {
                SummaryPart {
                    id: String::new(),
                    sku,
                    quantity,
                    new_serial: serial,
                    old_part: "none".into(),
                    old_serial: None,
                }
            });
        let fees =
            proptest::option::of((0i64..100_000, any::<bool>()).prop_map(|(total, agreed)| {
                SummaryFees {
                    id: "fee-1".into(),
                    schedule_id: "standard".into(),
                    schedule_version: 3,
                    items: vec!["visit".into()],
                    total,
                    agreed,
                }
            }));
        (
            order,
            prop::collection::vec(finding, 0..3),
            prop::collection::vec(answer, 0..5),
            prop::collection::vec(part, 0..3),
            fees,
            prop::collection::vec("[0-9a-f]{8}", 0..3),
            prop::option::of((
                "[A-Z0-9-]{1,10}",
                "[a-z ]{1,20}",
                prop::option::of(("[A-Z0-9-]{1,8}", "[A-Z0-9]{1,8}")),
            )),
        )
            .prop_map(
                |(work_order, mut findings, mut answers, mut parts, fee_consent, photos, tb)| {
                    // Distinct ids and steps, as the records have.
                    for (i, f) in findings.iter_mut().enumerate() {
                        f.id = format!("finding-{i}");
                    }
                    for (i, a) in answers.iter_mut().enumerate() {
                        a.step = format!("step-{i}");
                    }
                    for (i, p) in parts.iter_mut().enumerate() {
                        p.id = format!("part-{i}");
                    }
                    SignedSummary {
                        version: 1,
                        work_order,
                        visit_id: "visit-1".into(),
                        findings,
                        answers,
                        parts,
                        fee_consent,
                        photos,
                        take_back: tb.map(|(receipt_no, reason, loaner)| SummaryTakeBack {
                            receipt_no,
                            reason,
                            goods_book_ref: "GB-1".into(),
                            loaner,
                        }),
                    }
                    .canonicalize()
                },
            )
    }

    /// Changes one field of the signed content, or reports that the pick had nothing to
    /// change (so the case is skipped).
    fn mutate(s: &mut SignedSummary, pick: usize, v: &str) -> bool {
        let v = format!("{v}!");
        match pick % 13 {
            12 => match s.take_back.as_mut() {
                Some(tb) => tb.loaner = Some((v, "SN".into())),
                None => return false,
            },
            0 => s.work_order.number = v,
            1 => s.work_order.reported_fault = v,
            2 => s.work_order.product_serial = Some(v),
            3 => match s.findings.first_mut() {
                Some(f) => f.description = v,
                None => return false,
            },
            4 => match s.answers.first_mut() {
                Some(a) => a.answer = Some(AnswerValue::Text(v)),
                None => return false,
            },
            5 => match s.answers.first_mut() {
                Some(a) => a.exception = Some(v),
                None => return false,
            },
            6 => match s.parts.first_mut() {
                Some(p) => p.quantity += 1,
                None => return false,
            },
            7 => match s.parts.first_mut() {
                Some(p) => p.new_serial = Some(v),
                None => return false,
            },
            8 => match s.fee_consent.as_mut() {
                Some(f) => f.total += 1,
                None => return false,
            },
            9 => match s.fee_consent.as_mut() {
                Some(f) => f.agreed = !f.agreed,
                None => return false,
            },
            10 => {
                if s.findings.pop().is_none() && s.parts.pop().is_none() && s.photos.pop().is_none()
                {
                    return false;
                }
            }
            _ => match s.photos.first_mut() {
                Some(p) => p.push('0'),
                None => return false,
            },
        }
        true
    }

    fn strokes() -> impl Strategy<Value = Strokes> {
        prop::collection::vec(
            prop::collection::vec(
                (0f32..300.0, 0f32..100.0, 0u32..5000, 0f32..=1.0).prop_map(
                    |(x, y, t_ms, pressure)| StrokePoint {
                        x,
                        y,
                        t_ms,
                        pressure,
                    },
                ),
                1..20,
            ),
            1..4,
        )
        .prop_map(|strokes| Strokes {
            width: 300,
            height: 100,
            strokes,
        })
    }

    proptest! {
        /// An unchanged summary always verifies, and its hash is stable.
        #[test]
        fn an_unchanged_summary_verifies(s in summary()) {
            let round_trip: SignedSummary = serde_json::from_str(&s.canonical_json()).unwrap();
            prop_assert_eq!(round_trip.sha256(), s.sha256());
        }

        /// A summary without a take-back has the bytes (and hash) it had before take-backs
        /// were signed; adding one changes the hash.
        #[test]
        fn a_take_back_is_signed_only_when_present(s in summary()) {
            let json = s.canonical_json();
            prop_assert_eq!(s.take_back.is_some(), json.contains("\"take_back\""));
            let mut other = s.clone();
            other.take_back = match s.take_back {
                Some(_) => None,
                None => Some(SummaryTakeBack {
                    receipt_no: "R-1".into(),
                    reason: "bench repair".into(),
                    goods_book_ref: "GB-1".into(),
                    loaner: None,
                }),
            };
            prop_assert_ne!(other.sha256(), s.sha256());
        }

        /// Any change to any field of the signed content changes the hash and is reported.
        #[test]
        fn any_change_to_the_signed_content_is_detected(s in summary(), pick in 0usize..13, v in text()) {
            let mut changed = s.clone();
            prop_assume!(mutate(&mut changed, pick, &v));
            prop_assert_ne!(changed.sha256(), s.sha256());
            // Every item before the signature: nothing may have changed or gone.
            let positions = crate::sync::replay::tests_support::positions_of(&changed, 1);
            prop_assert!(!crate::sync::replay::signature_problems(&s, &changed, &positions, 10, false).is_empty());
            let positions = crate::sync::replay::tests_support::positions_of(&s, 1);
            prop_assert!(crate::sync::replay::signature_problems(&s, &s, &positions, 10, true).is_empty());
        }

        /// Any change to a bound field changes the seal.
        #[test]
        fn any_change_to_a_bound_field_breaks_the_seal(pick in 0usize..7, v in "[a-f0-9]{1,8}") {
            let base = SealInput {
                summary_sha256: "aa",
                chain_head: "bb",
                signer_name: "cc",
                role: "customer",
                signed_at_ms: 1,
                image_sha256: "dd",
                device_id: "ee",
            };
            let v = format!("{v}x");
            let mut changed = base.clone();
            match pick {
                0 => changed.summary_sha256 = &v,
                1 => changed.chain_head = &v,
                2 => changed.signer_name = &v,
                3 => changed.role = "technician",
                4 => changed.signed_at_ms = 2,
                5 => changed.image_sha256 = &v,
                _ => changed.device_id = &v,
            }
            prop_assert_ne!(seal(&base), seal(&changed));
        }

        /// Valid strokes always render (to the same bytes twice); no input panics.
        #[test]
        fn strokes_render_deterministically(s in strokes()) {
            let a = s.render_png().unwrap();
            prop_assert_eq!(&a, &s.render_png().unwrap());
            prop_assert!(a.starts_with(b"\x89PNG"));
        }

        #[test]
        fn any_strokes_give_an_image_or_a_typed_error(
            w in prop_oneof![0u32..700, 4097u32..100_000], h in prop_oneof![0u32..300, 4097u32..100_000],
            pts in prop::collection::vec((any::<f32>(), any::<f32>(), any::<f32>()), 0..50),
        ) {
            let s = Strokes {
                width: w,
                height: h,
                strokes: vec![pts.into_iter().map(|(x, y, pressure)| StrokePoint { x, y, t_ms: 0, pressure }).collect()],
            };
            let _ = s.render_png();
        }
    }
}
