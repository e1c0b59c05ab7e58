//! The customer's copy: gathers what the customer signed (the signed summary itself, so the
//! copy shows exactly the content its hash covers) with the labels, visit times, thumbnails
//! and signature image, and hands it to [`crate::report`] to render.

use std::collections::HashMap;

use super::FieldKit;
use crate::checklist::{AnswerValue, StepKind};
use crate::error::{Error, Result};
use crate::media::signature::SignedSummary;
use crate::model::*;
use crate::report::{self, CopyContent, CopyOptions, FeeLines, PartLine, ReportError, StepLine};
use crate::store::{queries, records};

impl FieldKit {
    /// Renders the customer's copy of a job as PDF bytes, offline: the work order, visit
    /// times, checklist answers and exceptions, findings, parts, fees and consent, photo
    /// thumbnails and the customer's signature, as signed (the latest customer signature of
    /// the job's last visit), with the hash of the signed content and a QR code of
    /// `{verify_base_url}/verify/{job id}?h={hash}`. Refused until a customer has signed.
    pub fn customer_copy(&self, id: WorkOrderId, options: &CopyOptions) -> Result<Vec<u8>> {
        let base = options.verify_base_url.trim();
        if !(base.starts_with("https://") || base.starts_with("http://"))
            || base.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(Error::invalid(
                "verify_base_url",
                "must be an http(s) URL without spaces",
            ));
        }
        let company = super::text("company", &options.company, 120)?;
        let font = report::font_bytes(&options.font)?;
        let content = self.store.read(|c| {
            let order = queries::work_order(c, id)?;
            let visit = match queries::open_visit(c, id)? {
                Some(v) => v,
                None => queries::last_visit(c, id)?
                    .ok_or_else(|| ReportError::NotSigned(id.to_string()))?,
            };
            let stored = records::stored_signatures(c, visit.id)?
                .into_iter()
                .rfind(|s| {
                    s.signature.role == SignerRole::Customer
                        && s.signature.summary_sha256.is_some()
                        && s.summary.is_some()
                })
                .ok_or_else(|| ReportError::NotSigned(id.to_string()))?;
            let sig = stored.signature;
            let signed_sha256 = sig.summary_sha256.clone().unwrap_or_default();
            let summary: SignedSummary = stored
                .summary
                .as_deref()
                .and_then(|j| serde_json::from_str(j).ok())
                .filter(|s: &SignedSummary| s.sha256() == signed_sha256)
                .ok_or_else(|| ReportError::SignedContentAltered(id.to_string()))?;

            let template = self.template(c, &visit.template)?;
            let answers: HashMap<&str, _> = summary
                .answers
                .iter()
                .map(|a| (a.step.as_str(), a))
                .collect();
            let mut steps = Vec::new();
            let mut shown = std::collections::HashSet::new();
            for step in &template.steps {
                let Some(a) = answers.get(step.id.as_str()) else {
                    continue;
                };
                shown.insert(step.id.as_str());
                steps.push(StepLine {
                    label_zh: step.label.zh_cn.clone(),
                    label_en: step.label.en.clone(),
                    answer: a
                        .answer
                        .as_ref()
                        .map(|v| answer_text(v, &step.kind))
                        .unwrap_or_default(),
                    exception: a.exception.clone(),
                });
            }
            for a in &summary.answers {
                if !shown.contains(a.step.as_str()) {
                    steps.push(StepLine {
                        label_zh: a.step.clone(),
                        label_en: a.step.clone(),
                        answer: a
                            .answer
                            .as_ref()
                            .map(|v| answer_text(v, &StepKind::Serial))
                            .unwrap_or_default(),
                        exception: a.exception.clone(),
                    });
                }
            }

            let parts = summary
                .parts
                .iter()
                .map(|p| PartLine {
                    sku: p.sku.clone(),
                    name: records::part(c, &p.sku)
                        .map(|part| part.name)
                        .unwrap_or_else(|_| p.sku.clone()),
                    quantity: p.quantity,
                    new_serial: p.new_serial.clone(),
                    old_part: p.old_part.clone(),
                })
                .collect();

            let fees = match &summary.fee_consent {
                Some(f) => {
                    let schedule =
                        records::fee_schedule(c, &f.schedule_id, f.schedule_version).ok();
                    let items = f
                        .items
                        .iter()
                        .map(|code| {
                            let item = schedule
                                .as_ref()
                                .and_then(|s| s.items.iter().find(|i| &i.code == code));
                            match item {
                                Some(i) => (i.label_zh.clone(), i.label_en.clone(), i.amount),
                                None => (code.clone(), code.clone(), 0),
                            }
                        })
                        .collect();
                    Some(FeeLines {
                        items,
                        total: f.total,
                        currency: schedule.map(|s| s.currency).unwrap_or_else(|| "CNY".into()),
                        agreed: f.agreed,
                    })
                }
                None => None,
            };

            let mut thumbnails = Vec::new();
            for photo in &summary.photos {
                if let Some(t) = records::thumbnail_of(c, photo)? {
                    thumbnails.push(self.store.blobs().get(&t)?);
                }
            }
            let signature_png = self.store.blobs().get(&sig.image_sha256)?;

            let o = &summary.work_order;
            Ok(CopyContent {
                company: company.clone(),
                work_order_id: o.id.clone(),
                number: o.number.clone(),
                kind: o.kind.clone(),
                billing: o.billing.clone(),
                product_model: o.product_model.clone(),
                product_serial: o.product_serial.clone(),
                reported_fault: o.reported_fault.clone(),
                scheduled: (order.promised.start, order.promised.end),
                arrived_at: visit.arrived_at,
                work_started_at: visit.work_started_at,
                ended_at: visit.ended_at,
                steps,
                findings: summary
                    .findings
                    .iter()
                    .map(|f| (f.kind.clone(), f.description.clone()))
                    .collect(),
                parts,
                fees,
                thumbnails,
                signature_png,
                signer_name: sig.signer_name.clone(),
                signed_at: sig.signed_at,
                verify_url: report::verify_url(base, &o.id, &signed_sha256),
                signed_sha256,
                utc_offset_minutes: options.utc_offset_minutes,
            })
        })?;
        Ok(report::render(&content, font, options.font_index)?)
    }
}

/// An answer in words, bilingual where the app has both.
fn answer_text(v: &AnswerValue, kind: &StepKind) -> String {
    match v {
        AnswerValue::Confirmed => "已确认 / confirmed".into(),
        AnswerValue::YesNo(true) => "是 / yes".into(),
        AnswerValue::YesNo(false) => "否 / no".into(),
        AnswerValue::Choice(value) => match kind {
            StepKind::Choice { options } => options
                .iter()
                .find(|o| &o.value == value)
                .map(|o| format!("{} / {}", o.label.zh_cn, o.label.en))
                .unwrap_or_else(|| value.clone()),
            _ => value.clone(),
        },
        AnswerValue::Text(t) | AnswerValue::Serial(t) => t.clone(),
        AnswerValue::Number(n) => match kind {
            StepKind::Number { unit, .. } => format!("{n} {unit}"),
            _ => n.to_string(),
        },
        AnswerValue::FeeConsent { agreed: true } => "已同意 / agreed".into(),
        AnswerValue::FeeConsent { agreed: false } => "未同意 / refused".into(),
    }
}
