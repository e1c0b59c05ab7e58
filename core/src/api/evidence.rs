//! Evidence: photos and signatures, stored as content-addressed files before the rows that
//! refer to them commit.

use serde::{Deserialize, Serialize};

use super::{FieldKit, json, text};
use crate::checklist::{Evidence, Run};
use crate::error::{Error, Result};
use crate::model::*;
use crate::store::Durability;
use crate::store::records;

/// A signature captured on the phone.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct SignatureInput {
    /// Personal data: never logged.
    pub signer_name: String,
    pub role: SignerRole,
    /// The rendered signature (PNG).
    pub image_png: Vec<u8>,
    /// The checklist step it satisfies, if any.
    pub step_id: Option<String>,
    /// The finding it confirms, if any (step 7).
    pub finding: Option<FindingId>,
}

impl std::fmt::Debug for SignatureInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignatureInput")
            .field("role", &self.role)
            .field("image_bytes", &self.image_png.len())
            .field("step_id", &self.step_id)
            .field("finding", &self.finding)
            .finish_non_exhaustive()
    }
}

const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";

impl FieldKit {
    /// Attaches a photo (as given) to the open visit and, when named, to a photo step.
    /// Adding the same photo twice to a visit is a no-op that returns the same attachment.
    pub fn add_photo(
        &self,
        id: WorkOrderId,
        step_id: Option<&str>,
        bytes: &[u8],
        mime: &str,
    ) -> Result<Attachment> {
        self.check_size(bytes)?;
        if !matches!(
            mime,
            "image/jpeg" | "image/png" | "image/heic" | "image/webp"
        ) {
            return Err(Error::invalid("photo", format!("unsupported type {mime}")));
        }
        let _gate = self.store.blobs().ingest_guard();
        let sha256 = self.store.blobs().put(bytes)?;
        self.command(id, Durability::Normal, |tx, cur, now| {
            let visit = cur.visit("add a photo")?;
            if let Some(step) = step_id {
                let template = self.template(tx, &visit.template)?;
                let facts = self.facts(tx, cur, visit)?;
                Run::new(&template, &facts).check_evidence(step, Evidence::Photo)?;
            }
            let att = Attachment {
                sha256: sha256.clone(),
                kind: AttachmentKind::Photo,
                mime: mime.to_owned(),
                size: bytes.len() as i64,
                visit_id: visit.id,
                step_id: step_id.map(str::to_owned),
            };
            if records::has_attachment(tx, visit.id, &sha256)? {
                return Ok(att);
            }
            records::attach(tx, &att, now)?;
            tx.record(id, Some(visit.id), "add_photo", json(&att))?;
            Ok(att)
        })
    }

    /// Records a signature on the open visit: the image is stored, the signature satisfies
    /// its step and, when `finding` is set, confirms that finding. Durable against power loss.
    pub fn sign(&self, id: WorkOrderId, input: &SignatureInput) -> Result<Signature> {
        let signer_name = text("signer name", &input.signer_name, 128)?;
        self.check_size(&input.image_png)?;
        if !input.image_png.starts_with(PNG_MAGIC) {
            return Err(Error::invalid("signature image", "not a PNG"));
        }
        if input.finding.is_some() && input.role != SignerRole::Customer {
            return Err(Error::invalid(
                "signature",
                "only the customer confirms a finding",
            ));
        }
        let _gate = self.store.blobs().ingest_guard();
        let sha256 = self.store.blobs().put(&input.image_png)?;
        self.command(id, Durability::Full, |tx, cur, now| {
            let visit = cur.visit("sign")?;
            if matches!(visit.status, VisitStatus::Planned | VisitStatus::EnRoute) {
                return Err(Error::invalid("signature", "arrive first"));
            }
            if let Some(step) = &input.step_id {
                let template = self.template(tx, &visit.template)?;
                let facts = self.facts(tx, cur, visit)?;
                Run::new(&template, &facts)
                    .check_evidence(step, Evidence::Signature(input.role))?;
            }
            let att = Attachment {
                sha256: sha256.clone(),
                kind: AttachmentKind::SignatureImage,
                mime: "image/png".into(),
                size: input.image_png.len() as i64,
                visit_id: visit.id,
                step_id: input.step_id.clone(),
            };
            records::attach(tx, &att, now)?;
            let sig = Signature {
                id: SignatureId::new(),
                visit_id: visit.id,
                signer_name,
                role: input.role,
                signed_at: now,
                image_sha256: sha256.clone(),
                device_id: tx.device_id(),
                step_id: input.step_id.clone(),
            };
            records::insert_signature(tx, &sig)?;
            if let Some(f) = input.finding {
                records::acknowledge_finding(tx, visit.id, f, sig.id)?;
            }
            let mut payload = json(&sig);
            payload["finding"] = json(&input.finding);
            tx.record(id, Some(visit.id), "sign", payload)?;
            Ok(sig)
        })
    }

    /// The bytes of a stored attachment.
    pub fn attachment_bytes(&self, sha256: &str) -> Result<Vec<u8>> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::invalid("sha256", "not a SHA-256 hex digest"));
        }
        self.store.blobs().get(sha256).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::not_found("attachment", sha256),
            _ => Error::Io(e),
        })
    }

    fn check_size(&self, bytes: &[u8]) -> Result<()> {
        if bytes.is_empty() {
            return Err(Error::invalid("attachment", "is empty"));
        }
        if bytes.len() > self.config.max_attachment_bytes {
            return Err(Error::invalid(
                "attachment",
                format!(
                    "{} bytes, more than the {} allowed",
                    bytes.len(),
                    self.config.max_attachment_bytes
                ),
            ));
        }
        Ok(())
    }
}
