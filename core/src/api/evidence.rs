//! Photos as evidence, stored as content-addressed files before the rows that refer to
//! them commit.

use super::{FieldKit, json};
use crate::checklist::{Evidence, Run};
use crate::error::{Error, Result};
use crate::model::*;
use crate::store::Durability;
use crate::store::records;

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
