//! Photos as evidence (from camera bytes or a file) and reading stored attachments back.
//! Photo ingest is the one heavy local call: `add_photo_async` runs it off the caller's
//! thread on the tokio runtime, the same runtime sync will use.

use std::sync::Arc;

use fieldkit_core::model as m;

use crate::convert::i32_of;
use crate::error::{FieldKitError, Result};
use crate::kit::FieldKit;

/// What an attachment is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum AttachmentKind {
    Photo,
    SignatureImage,
    Document,
}

/// A stored file attached to a visit, named by the SHA-256 of its bytes.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Attachment {
    pub sha256: String,
    pub kind: AttachmentKind,
    pub mime: String,
    pub size: i64,
    pub visit_id: String,
    pub step_id: Option<String>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub thumbnail_sha256: Option<String>,
}

impl From<m::Attachment> for Attachment {
    fn from(a: m::Attachment) -> Self {
        Self {
            sha256: a.sha256,
            kind: match a.kind {
                m::AttachmentKind::Photo => AttachmentKind::Photo,
                m::AttachmentKind::SignatureImage => AttachmentKind::SignatureImage,
                m::AttachmentKind::Document => AttachmentKind::Document,
            },
            mime: a.mime,
            size: a.size,
            visit_id: a.visit_id.to_string(),
            step_id: a.step_id,
            width: a.width.map(i32_of),
            height: a.height.map(i32_of),
            thumbnail_sha256: a.thumbnail_sha256,
        }
    }
}

#[uniffi::export]
impl FieldKit {
    /// Takes in a camera photo (JPEG or PNG bytes) for the open visit and, when named, for a
    /// photo step: upright, stripped of all metadata, resized, with a thumbnail. Blocks for
    /// the decode (tens to hundreds of ms): call it off the main thread.
    pub fn add_photo(
        &self,
        job_id: String,
        step_id: Option<String>,
        bytes: Vec<u8>,
    ) -> Result<Attachment> {
        self.job_command(&job_id, "add_photo", |k, id| {
            k.add_photo(id, step_id.as_deref(), &bytes)
        })
        .map(Into::into)
    }

    /// [`FieldKit::add_photo`] from a file path (its size is checked before it is read).
    pub fn add_photo_file(
        &self,
        job_id: String,
        step_id: Option<String>,
        path: String,
    ) -> Result<Attachment> {
        self.job_command(&job_id, "add_photo", |k, id| {
            k.add_photo_file(id, step_id.as_deref(), std::path::Path::new(&path))
        })
        .map(Into::into)
    }

    /// The bytes of a stored attachment (photo, thumbnail, signature image).
    pub fn attachment_bytes(&self, sha256: String) -> Result<Vec<u8>> {
        Ok(self.core.attachment_bytes(&sha256)?)
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl FieldKit {
    /// [`FieldKit::add_photo`] as a suspend/async call: the decode runs on a blocking-pool
    /// thread, never on the caller's (Swift's cooperative pool, a UI thread).
    pub async fn add_photo_async(
        self: Arc<Self>,
        job_id: String,
        step_id: Option<String>,
        bytes: Vec<u8>,
    ) -> Result<Attachment> {
        tokio::task::spawn_blocking(move || self.add_photo(job_id, step_id, bytes))
            .await
            // The join error's text may carry a panic message: keep it out of the reason.
            .map_err(|_| {
                FieldKitError::internal("err-internal", "the photo task failed unexpectedly")
            })?
    }
}
