//! The customer's copy: gathers what the customer signed (the signed summary itself, so the
//! copy shows exactly the content its hash covers) with the labels, visit times, thumbnails
//! and signature image, and hands it to [`crate::report`] to render.

use std::collections::HashMap;

use super::FieldKit;
use crate::error::{Error, Result};
use crate::media::signature::SignedSummary;
use crate::model::*;
use crate::report::{self, CopyOptions, CopySources, ReportError};
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
        let technician = self.technician_card()?.map(|card| report::CopyTechnician {
            name: card.name,
            employee_number: card.employee_number,
            service_hotline: card.service_hotline,
        });
        let mut content = self.store.read(|c| {
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
            let part_names = summary
                .parts
                .iter()
                .filter_map(|p| Some((p.sku.clone(), records::part(c, &p.sku).ok()?.name)))
                .collect::<HashMap<_, _>>();
            let fee_schedule = match &summary.fee_consent {
                Some(f) => records::fee_schedule(c, &f.schedule_id, f.schedule_version).ok(),
                None => None,
            };
            let mut thumbnails = Vec::new();
            for photo in &summary.photos {
                if let Some(t) = records::thumbnail_of(c, photo)? {
                    thumbnails.push(self.store.blobs().get(&t)?);
                }
            }
            let signature_png = self.store.blobs().get(&sig.image_sha256)?;
            let settlement =
                records::latest_settlement(c, visit.id)?.map(|s| report::SettlementLine {
                    amount: s.amount,
                    method: s.method,
                    receipt_no: s.receipt_no,
                    invoice_due: s.invoice_due,
                });
            Ok(report::content(
                CopySources {
                    signature: &sig,
                    summary: &summary,
                    template: Some(&template),
                    part_names: &part_names,
                    fee_schedule: fee_schedule.as_ref(),
                    scheduled: (order.promised.start, order.promised.end),
                    arrived_at: visit.arrived_at,
                    work_started_at: visit.work_started_at,
                    ended_at: visit.ended_at,
                    settlement: settlement.as_ref(),
                },
                thumbnails,
                signature_png,
                &company,
                base,
                options.utc_offset_minutes,
            ))
        })?;
        content.technician = technician;
        Ok(report::render(&content, font, options.font_index)?)
    }
}
