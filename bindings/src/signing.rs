//! Signing: the summary shown to the signer, the signature from the pad's strokes, and
//! verification that nothing signed has changed since.

use fieldkit_core::api as core_api;
use fieldkit_core::checklist::AnswerValue;
use fieldkit_core::media::signature as sig;
use fieldkit_core::model as m;

use crate::convert::{count, id, ms};
use crate::error::Result;
use crate::kit::FieldKit;
use crate::shared::{Answer, SignerRole};

/// One sample of the pen.
#[derive(Clone, Copy, Debug, PartialEq, uniffi::Record)]
pub struct StrokePoint {
    /// Pad coordinates in pixels, origin top-left.
    pub x: f32,
    pub y: f32,
    /// Milliseconds since the signature began.
    pub t_ms: i32,
    /// 0.0 (lightest) to 1.0 (hardest); pads without pressure report 0.5.
    pub pressure: f32,
}

/// A signature as drawn: the pad's size and the strokes (pen down to pen up) on it.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct Strokes {
    pub width: i32,
    pub height: i32,
    pub strokes: Vec<Vec<StrokePoint>>,
}

impl Strokes {
    pub(crate) fn to_core(&self) -> Result<sig::Strokes> {
        let strokes = self
            .strokes
            .iter()
            .map(|s| {
                s.iter()
                    .map(|p| {
                        Ok(sig::StrokePoint {
                            x: p.x,
                            y: p.y,
                            t_ms: count("stroke time", p.t_ms)?,
                            pressure: p.pressure,
                        })
                    })
                    .collect::<Result<Vec<_>>>()
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(sig::Strokes {
            width: count("pad width", self.width)?,
            height: count("pad height", self.height)?,
            strokes,
        })
    }

    /// Only the demo hands core strokes out (feature `demo`).
    #[cfg(feature = "demo")]
    pub(crate) fn from_core(s: sig::Strokes) -> Self {
        use crate::convert::i32_of;
        Self {
            width: i32_of(s.width),
            height: i32_of(s.height),
            strokes: s
                .strokes
                .into_iter()
                .map(|st| {
                    st.into_iter()
                        .map(|p| StrokePoint {
                            x: p.x,
                            y: p.y,
                            t_ms: i32_of(p.t_ms),
                            pressure: p.pressure,
                        })
                        .collect()
                })
                .collect(),
        }
    }
}

/// A signature to record.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct SignatureInput {
    /// Personal data: never logged.
    pub signer_name: String,
    pub role: SignerRole,
    pub strokes: Strokes,
    /// The checklist step it satisfies, if any.
    #[uniffi(default = None)]
    pub step_id: Option<String>,
    /// The finding it confirms, if any.
    #[uniffi(default = None)]
    pub finding_id: Option<String>,
}

/// A recorded signature.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct Signature {
    pub id: String,
    /// Personal data: never logged.
    pub signer_name: String,
    pub role: SignerRole,
    pub signed_at_ms: i64,
    /// The rendered PNG (read it with `attachmentBytes`).
    pub image_sha256: String,
    pub step_id: Option<String>,
    /// SHA-256 of the summary the signer was shown.
    pub summary_sha256: Option<String>,
}

/// An anomaly as the signer sees it.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct SummaryFinding {
    pub kind: String,
    pub description: String,
}

/// A step's answer (or exception) as the signer sees it.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct SummaryAnswer {
    pub step_id: String,
    pub answer: Option<Answer>,
    pub exception: Option<String>,
}

/// A part as the signer sees it.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct SummaryPart {
    pub sku: String,
    pub quantity: i64,
    pub new_serial: Option<String>,
    pub old_part: String,
}

/// The fees as the signer sees them.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct SummaryFees {
    pub items: Vec<String>,
    /// In fen.
    pub total: i64,
    pub agreed: bool,
}

/// What the signer is shown before signing; the signature carries `sha256`.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct SigningSummary {
    pub sha256: String,
    pub work_order_number: String,
    pub product_model: String,
    pub product_serial: Option<String>,
    pub reported_fault: String,
    /// "warranty" or "paid".
    pub billing: String,
    pub findings: Vec<SummaryFinding>,
    pub answers: Vec<SummaryAnswer>,
    pub parts: Vec<SummaryPart>,
    pub fees: Option<SummaryFees>,
    pub photo_count: i32,
    /// The take-back receipt signed for (`takeBackSummary`); null otherwise.
    #[uniffi(default = None)]
    pub take_back: Option<SummaryTakeBack>,
}

/// A take-back receipt as the customer signs for it.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct SummaryTakeBack {
    pub receipt_no: String,
    pub reason: String,
    pub goods_book_ref: String,
    pub loaner_model: Option<String>,
    pub loaner_serial: Option<String>,
}

/// The result of checking one signature.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct SignatureCheck {
    pub signature_id: String,
    pub role: SignerRole,
    pub step_id: Option<String>,
    /// What does not match; empty when it verifies.
    pub problems: Vec<String>,
    /// A later signature by the same role for the same step replaced it.
    pub superseded: bool,
}

/// The result of checking a job's timeline and signatures against its records.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Verification {
    /// Everything matches (superseded signatures aside).
    pub ok: bool,
    pub chain_problems: Vec<String>,
    pub signatures: Vec<SignatureCheck>,
}

#[uniffi::export]
impl FieldKit {
    /// The work is done but the customer will not sign the service record: ends the visit and
    /// the job waits for the desk, flagged. Needs the reason and a witness's name or the
    /// SHA-256 of a photo already taken on this visit, or both; work must be under way.
    pub fn refuse_signature(
        &self,
        job_id: String,
        reason: String,
        witness: Option<String>,
        photo_sha256: Option<String>,
    ) -> Result<crate::jobs::JobStatus> {
        self.job_command(&job_id, "refuse_signature", |k, id| {
            k.refuse_signature(id, &reason, witness.as_deref(), photo_sha256.as_deref())
        })
        .map(Into::into)
    }

    /// The summary of the open visit as it stands, to show the signer (recorded as shown:
    /// a customer can only sign a summary they were shown, while it is unchanged).
    pub fn summary_for_signing(&self, job_id: String) -> Result<SigningSummary> {
        let s = self.job_command(&job_id, "summary_for_signing", |k, id| {
            k.summary_for_signing(id)
        })?;
        Ok(summary_of(s))
    }

    /// Records a signature from the pad's strokes, bound to the summary shown and to the
    /// job's timeline. Survives power loss once it returns.
    pub fn sign(&self, job_id: String, input: SignatureInput) -> Result<Signature> {
        let core_input = core_api::SignatureInput {
            signer_name: input.signer_name,
            role: input.role.into(),
            strokes: input.strokes.to_core()?,
            step_id: input.step_id,
            finding: input
                .finding_id
                .as_deref()
                .map(|f| id::<m::FindingId>("finding id", f))
                .transpose()?,
        };
        let s = self.job_command(&job_id, "sign", |k, id| k.sign(id, &core_input))?;
        Ok(signature_of(s))
    }

    /// Recomputes the job's timeline and every signature's binding from the records.
    pub fn verify(&self, job_id: String) -> Result<Verification> {
        let v = self.job_read(&job_id, |k, id| k.verify(id))?;
        Ok(Verification {
            ok: v.ok(),
            chain_problems: v.chain_problems,
            signatures: v
                .signatures
                .into_iter()
                .map(|c| SignatureCheck {
                    signature_id: c.signature_id.to_string(),
                    role: c.role.into(),
                    step_id: c.step_id,
                    problems: c.problems,
                    superseded: c.superseded,
                })
                .collect(),
        })
    }
}

/// The summary shown to a signer, for the app.
pub(crate) fn summary_of(s: core_api::SigningSummary) -> SigningSummary {
    let core_api::SigningSummary { summary, sha256 } = s;
    SigningSummary {
        sha256,
        work_order_number: summary.work_order.number,
        product_model: summary.work_order.product_model,
        product_serial: summary.work_order.product_serial,
        reported_fault: summary.work_order.reported_fault,
        billing: summary.work_order.billing,
        findings: summary
            .findings
            .into_iter()
            .map(|f| SummaryFinding {
                kind: f.kind,
                description: f.description,
            })
            .collect(),
        answers: summary
            .answers
            .into_iter()
            .map(|a| SummaryAnswer {
                step_id: a.step,
                answer: a.answer.map(|v: AnswerValue| v.into()),
                exception: a.exception,
            })
            .collect(),
        parts: summary
            .parts
            .into_iter()
            .map(|p| SummaryPart {
                sku: p.sku,
                quantity: p.quantity,
                new_serial: p.new_serial,
                old_part: p.old_part,
            })
            .collect(),
        fees: summary.fee_consent.map(|f| SummaryFees {
            items: f.items,
            total: f.total,
            agreed: f.agreed,
        }),
        photo_count: i32::try_from(summary.photos.len()).unwrap_or(i32::MAX),
        take_back: summary.take_back.map(|t| {
            let (loaner_model, loaner_serial) = t.loaner.unzip();
            SummaryTakeBack {
                receipt_no: t.receipt_no,
                reason: t.reason,
                goods_book_ref: t.goods_book_ref,
                loaner_model,
                loaner_serial,
            }
        }),
    }
}

/// A recorded signature, for the app.
pub(crate) fn signature_of(s: m::Signature) -> Signature {
    Signature {
        id: s.id.to_string(),
        signer_name: s.signer_name,
        role: s.role.into(),
        signed_at_ms: ms(s.signed_at),
        image_sha256: s.image_sha256,
        step_id: s.step_id,
        summary_sha256: s.summary_sha256,
    }
}
