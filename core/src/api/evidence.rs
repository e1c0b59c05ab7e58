//! Photos as evidence, stored as content-addressed files before the rows that refer to
//! them commit.

use super::FieldKit;
use crate::checklist::{Evidence, Run};
use crate::error::{Error, Result};
use crate::model::*;
use crate::store::Durability;
use crate::store::records;
use crate::sync::ops::{AddPhotoV1, JobOp};

impl FieldKit {
    /// Takes in a camera photo for the open visit and, when named, for a photo step:
    /// upright (EXIF orientation applied), stripped of all metadata (no GPS of the customer's
    /// home), resized and re-encoded, with a thumbnail; stored by its SHA-256. The same photo
    /// added twice to a visit is recognised and returns the same attachment.
    pub fn add_photo(
        &self,
        id: WorkOrderId,
        step_id: Option<&str>,
        bytes: &[u8],
    ) -> Result<Attachment> {
        // The heavy part runs before the write lock is taken.
        let photo = crate::media::photo::ingest(bytes, &self.config.photo)?;
        self.store_photo(id, step_id, photo)
    }

    /// [`FieldKit::add_photo`] from a file (its size is checked before it is read).
    pub fn add_photo_file(
        &self,
        id: WorkOrderId,
        step_id: Option<&str>,
        path: &std::path::Path,
    ) -> Result<Attachment> {
        let photo = crate::media::photo::ingest_file(path, &self.config.photo)?;
        self.store_photo(id, step_id, photo)
    }

    fn store_photo(
        &self,
        id: WorkOrderId,
        step_id: Option<&str>,
        photo: crate::media::photo::Ingested,
    ) -> Result<Attachment> {
        let _gate = self.store.blobs().ingest_guard();
        let sha256 = self.store.blobs().put(&photo.jpeg)?;
        let thumbnail = self.store.blobs().put(&photo.thumbnail)?;
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
                mime: "image/jpeg".into(),
                size: photo.jpeg.len() as i64,
                visit_id: visit.id,
                step_id: step_id.map(str::to_owned),
                width: Some(photo.width),
                height: Some(photo.height),
                thumbnail_sha256: Some(thumbnail.clone()),
            };
            if records::has_attachment(tx, visit.id, &sha256)? {
                return Ok(att);
            }
            records::attach(tx, &att, now)?;
            tx.record(
                id,
                Some(visit.id),
                &JobOp::AddPhoto(AddPhotoV1 {
                    sha256: att.sha256.clone(),
                    kind: att.kind,
                    mime: att.mime.clone(),
                    size: att.size,
                    visit_id: att.visit_id,
                    step_id: att.step_id.clone(),
                    width: att.width,
                    height: att.height,
                    thumbnail_sha256: att.thumbnail_sha256.clone(),
                }),
            )?;
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
}
