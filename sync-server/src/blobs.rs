//! Photo and signature files: content-addressed by SHA-256, uploaded in resumable chunks,
//! checked against their hash before they count. Kept in an `object_store` (a local
//! directory by default, S3-compatible storage with the `s3` feature).
//!
//! Layout: a finished blob is `blobs/<sha256>`; an upload in progress is its chunks
//! `uploads/<sha256>/<offset, 20 digits>`. The server's offset is how far the chunks cover
//! the blob from byte 0, so upload state lives with the bytes (any replica can resume it).
//! Bytes received before a request was cut are kept as a chunk too.

use crate::msg;
use crate::msg::Thing;
use std::sync::Arc;

use axum::body::Body;
use bytes::{Bytes, BytesMut};
use fieldkit_core::sync::protocol::{BlobStatus, is_sha256_hex};
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// The blob store.
#[derive(Clone)]
pub struct Blobs {
    store: Arc<dyn ObjectStore>,
    max_blob: u64,
}

fn internal(e: object_store::Error) -> ApiError {
    ApiError::Internal(format!("blob store: {e}"))
}

fn final_path(sha: &str) -> Path {
    Path::from(format!("blobs/{sha}"))
}

fn upload_dir(sha: &str) -> Path {
    Path::from(format!("uploads/{sha}"))
}

/// What a chunked `PUT` brought.
pub struct PutOutcome {
    pub status: BlobStatus,
    /// New bytes stored by this request.
    pub received: u64,
}

impl Blobs {
    /// A blob store over `store`; blobs larger than `max_blob` bytes are refused.
    pub fn new(store: Arc<dyn ObjectStore>, max_blob: u64) -> Self {
        Self { store, max_blob }
    }

    fn check(sha: &str) -> Result<(), ApiError> {
        if is_sha256_hex(sha) {
            Ok(())
        } else {
            Err(ApiError::BadRequest(msg!("err-blob-name")))
        }
    }

    /// The blob is complete and verified.
    pub async fn has(&self, sha: &str) -> Result<bool, ApiError> {
        Self::check(sha)?;
        match self.store.head(&final_path(sha)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(internal(e)),
        }
    }

    /// The chunks of an upload in progress, by offset: (offset, size, path).
    async fn chunks(&self, sha: &str) -> Result<Vec<(u64, u64, Path)>, ApiError> {
        let metas: Vec<_> = self
            .store
            .list(Some(&upload_dir(sha)))
            .try_collect()
            .await
            .map_err(internal)?;
        let mut out: Vec<(u64, u64, Path)> = metas
            .into_iter()
            .filter_map(|m| {
                let off = m.location.filename()?.parse::<u64>().ok()?;
                Some((off, m.size, m.location))
            })
            .collect();
        out.sort_by_key(|c| (c.0, std::cmp::Reverse(c.1)));
        Ok(out)
    }

    /// How far the chunks cover the blob from byte 0.
    fn covered(chunks: &[(u64, u64, Path)]) -> u64 {
        let mut pos = 0;
        for (off, size, _) in chunks {
            if *off > pos {
                break;
            }
            pos = pos.max(off + size);
        }
        pos
    }

    /// Where the upload of `sha` stands.
    pub async fn status(&self, sha: &str) -> Result<BlobStatus, ApiError> {
        Self::check(sha)?;
        if let Ok(meta) = self.store.head(&final_path(sha)).await {
            return Ok(BlobStatus {
                sha256: sha.to_owned(),
                offset: meta.size,
                complete: true,
            });
        }
        let chunks = self.chunks(sha).await?;
        Ok(BlobStatus {
            sha256: sha.to_owned(),
            offset: Self::covered(&chunks),
            complete: false,
        })
    }

    /// Takes a chunk: `body` holds the blob's bytes from `offset`; `length` is the blob's
    /// full size. Bytes the server already holds are skipped; bytes past its offset are a
    /// 409 (resume from the server's offset). When the blob is whole its SHA-256 is checked:
    /// a mismatch discards the upload (422).
    pub async fn put(
        &self,
        sha: &str,
        offset: u64,
        length: u64,
        body: Body,
        max_chunk: usize,
    ) -> Result<PutOutcome, ApiError> {
        Self::check(sha)?;
        if length == 0 || length > self.max_blob {
            return Err(ApiError::PayloadTooLarge(msg!(
                "err-blob-size",
                max = self.max_blob
            )));
        }
        if offset > length {
            return Err(ApiError::BadRequest(msg!("err-blob-offset-past-end")));
        }
        let status = self.status(sha).await?;
        if status.complete {
            return Ok(PutOutcome {
                status,
                received: 0,
            });
        }
        if offset > status.offset {
            return Err(ApiError::Conflict(msg!(
                "err-blob-resume",
                offset = status.offset
            )));
        }
        let limit = usize::try_from(length - offset)
            .unwrap_or(usize::MAX)
            .min(max_chunk);
        let mut buf = BytesMut::new();
        let mut stream = body.into_data_stream();
        let mut cut = false;
        let mut too_long = false;
        while let Some(frame) = stream.next().await {
            match frame {
                Ok(b) => {
                    if buf.len() + b.len() > limit {
                        too_long = true;
                        break;
                    }
                    buf.extend_from_slice(&b);
                }
                Err(_) => {
                    cut = true;
                    break;
                }
            }
        }
        if too_long {
            return Err(ApiError::PayloadTooLarge(msg!(
                "err-blob-chunk",
                limit = limit
            )));
        }
        let skip = usize::try_from(status.offset - offset).unwrap_or(usize::MAX);
        let mut received = 0;
        if buf.len() > skip {
            let new: Bytes = buf.freeze().slice(skip..);
            received = new.len() as u64;
            let path = Path::from(format!("uploads/{sha}/{:020}", status.offset));
            self.store
                .put(&path, PutPayload::from_bytes(new))
                .await
                .map_err(internal)?;
        }
        if cut {
            return Err(ApiError::BadRequest(msg!("err-blob-upload-cut")));
        }
        let now_at = status.offset + received;
        if now_at < length {
            return Ok(PutOutcome {
                status: BlobStatus {
                    sha256: sha.to_owned(),
                    offset: now_at,
                    complete: false,
                },
                received,
            });
        }
        self.finish(sha, length).await?;
        Ok(PutOutcome {
            status: BlobStatus {
                sha256: sha.to_owned(),
                offset: length,
                complete: true,
            },
            received,
        })
    }

    /// Assembles the chunks, checks the hash, stores the blob and drops the chunks.
    async fn finish(&self, sha: &str, length: u64) -> Result<(), ApiError> {
        let chunks = self.chunks(sha).await?;
        let mut hasher = Sha256::new();
        let mut whole = BytesMut::with_capacity(usize::try_from(length).unwrap_or(0));
        let mut pos = 0u64;
        for (off, size, path) in &chunks {
            if *off > pos || off + size <= pos {
                continue;
            }
            let bytes = self
                .store
                .get(path)
                .await
                .map_err(internal)?
                .bytes()
                .await
                .map_err(internal)?;
            let from = usize::try_from(pos - off).unwrap_or(usize::MAX);
            if from >= bytes.len() {
                continue;
            }
            let take = bytes.slice(from..);
            hasher.update(&take);
            whole.extend_from_slice(&take);
            pos += take.len() as u64;
        }
        let ok = pos == length && hex::encode(hasher.finalize()) == sha;
        if ok {
            self.store
                .put(&final_path(sha), PutPayload::from_bytes(whole.freeze()))
                .await
                .map_err(internal)?;
        }
        for (_, _, path) in &chunks {
            let _ = self.store.delete(path).await;
        }
        if ok {
            Ok(())
        } else {
            Err(ApiError::HashMismatch(msg!("err-blob-hash-mismatch")))
        }
    }

    /// The bytes of a complete blob.
    pub async fn get(&self, sha: &str) -> Result<Bytes, ApiError> {
        Self::check(sha)?;
        match self.store.get(&final_path(sha)).await {
            Ok(r) => r.bytes().await.map_err(internal),
            Err(object_store::Error::NotFound { .. }) => Err(ApiError::NotFound(Thing::Blob)),
            Err(e) => Err(internal(e)),
        }
    }
}
