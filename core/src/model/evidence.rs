//! Evidence: content-addressed attachments and signatures.

use serde::{Deserialize, Serialize};

use super::{DeviceId, SignatureId, Timestamp, VisitId};

/// What an attachment is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentKind {
    Photo,
    SignatureImage,
    Document,
}

impl AttachmentKind {
    /// The stable snake_case name used in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Photo => "photo",
            Self::SignatureImage => "signature_image",
            Self::Document => "document",
        }
    }

    /// Parses the name written by [`AttachmentKind::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Photo, Self::SignatureImage, Self::Document]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A file attached to a visit, named by the SHA-256 of its bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// Lower-case hex SHA-256 of the stored bytes.
    pub sha256: String,
    pub kind: AttachmentKind,
    pub mime: String,
    pub size: i64,
    pub visit_id: VisitId,
    /// The checklist step this is evidence for, if any.
    pub step_id: Option<String>,
    /// Pixel size (photos).
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// SHA-256 of the thumbnail (photos).
    pub thumbnail_sha256: Option<String>,
}

/// Who signs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignerRole {
    Customer,
    Technician,
}

impl SignerRole {
    /// The stable snake_case name used in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Technician => "technician",
        }
    }

    /// Parses the name written by [`SignerRole::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Customer, Self::Technician]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A signature given on the phone.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Signature {
    pub id: SignatureId,
    pub visit_id: VisitId,
    /// Personal data: never logged.
    pub signer_name: String,
    pub role: SignerRole,
    pub signed_at: Timestamp,
    /// SHA-256 of the signature image attachment.
    pub image_sha256: String,
    pub device_id: DeviceId,
    /// The checklist step this signature satisfies, if any.
    pub step_id: Option<String>,
    /// SHA-256 of the summary the signer was shown (absent on signatures from schema v1).
    pub summary_sha256: Option<String>,
    /// The hash of the job's last timeline event before the signature.
    pub chain_head: Option<String>,
    /// The seal over summary, chain head, signer, time, image and device.
    pub seal: Option<String>,
}

impl std::fmt::Debug for Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signature")
            .field("id", &self.id)
            .field("visit_id", &self.visit_id)
            .field("role", &self.role)
            .field("signed_at", &self.signed_at)
            .field("image_sha256", &self.image_sha256)
            .field("step_id", &self.step_id)
            .field("summary_sha256", &self.summary_sha256)
            .finish_non_exhaustive()
    }
}

/// What is wrong with a refused signature's record, judged the same way on the phone and on the
/// server: a reason (1–500 characters), and a witness's name (1–64) or a photo named by its
/// SHA-256 (64 lower-case hex digits), or both. (That the photo is one of the visit's each side
/// checks against its own record of the visit.)
pub fn refused_signature_problem(
    reason: &str,
    witness: Option<&str>,
    photo_sha256: Option<&str>,
) -> Option<&'static str> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Some("the reason is empty");
    }
    if reason.chars().count() > 500 {
        return Some("the reason is longer than 500 characters");
    }
    if let Some(w) = witness {
        let w = w.trim();
        if w.is_empty() || w.chars().count() > 64 {
            return Some("the witness's name must be 1 to 64 characters");
        }
    }
    if let Some(p) = photo_sha256
        && !(p.len() == 64
            && p.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
    {
        return Some("the photo is not named by its SHA-256");
    }
    if witness.is_none() && photo_sha256.is_none() {
        return Some("a witness's name or a photo is needed");
    }
    None
}
