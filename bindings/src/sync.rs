//! Sync with the FieldKit server: enrolment with a one-time code from the dispatcher, then
//! `sync` (push the outbox, pull the desk's changes, upload the files the server lacks) as
//! async calls on the tokio runtime, with an optional progress observer; plus the local
//! reads around it (the account, the ops the server refused, the outbox size).
//!
//! The core's client is safe to interrupt at any instant, so cancelling the Kotlin coroutine
//! or the Swift task (which drops the future) loses nothing: the next sync carries on.

use std::sync::Arc;
use std::time::Duration;

use fieldkit_core::sync::client as core_sync;

use crate::convert::ms;
use crate::error::{FieldKitError, Result};
use crate::kit::FieldKit;

/// How sync talks to the server. Every field has a default suited to a phone on a mobile
/// network; tests against a local server shorten the waits.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct SyncOptions {
    /// Attempts per request before giving up with a `Network` error (at least 1).
    #[uniffi(default = 6)]
    pub max_attempts: i32,
    /// Wait before the first retry, ms; doubled each time (with jitter) up to `max_backoff_ms`.
    #[uniffi(default = 300)]
    pub first_backoff_ms: i64,
    #[uniffi(default = 10000)]
    pub max_backoff_ms: i64,
    /// Time limit of one request, ms.
    #[uniffi(default = 30000)]
    pub request_timeout_ms: i64,
    /// Bytes per upload chunk of a photo.
    #[uniffi(default = 262144)]
    pub chunk_bytes: i32,
    /// Certificates (PEM text; each may hold several) trusted besides the platform's roots:
    /// the company's private CA when the server's certificate is issued by one. A text
    /// without a certificate is a `Validation` error.
    #[uniffi(default = [])]
    pub extra_trust_anchors_pem: Vec<String>,
    /// Certificate pins: SHA-256 of the server's (or its CA's) SubjectPublicKeyInfo, in
    /// base64 (as `openssl x509 -pubkey | openssl pkey -pubin -outform der | openssl dgst
    /// -sha256 -binary | base64` prints) or hex. Empty: no pinning. Otherwise a chain with
    /// no pinned key is a `Tls` error. A pin in neither form is a `Validation` error.
    #[uniffi(default = [])]
    pub pinned_spki_sha256: Vec<String>,
    /// Allows `http://` to a server other than this device itself (debug builds against a
    /// test server only). Off: `https://`, or `http://` to localhost, is required; anything
    /// else is a `Validation` error.
    #[uniffi(default = false)]
    pub allow_insecure_http: bool,
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self::from_core(&core_sync::SyncOptions::default())
    }
}

impl SyncOptions {
    fn from_core(o: &core_sync::SyncOptions) -> Self {
        let ms_of = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        Self {
            max_attempts: i32::try_from(o.max_attempts).unwrap_or(i32::MAX),
            first_backoff_ms: ms_of(o.first_backoff),
            max_backoff_ms: ms_of(o.max_backoff),
            request_timeout_ms: ms_of(o.request_timeout),
            chunk_bytes: i32::try_from(o.chunk_bytes).unwrap_or(i32::MAX),
            extra_trust_anchors_pem: o.extra_trust_anchors.clone(),
            pinned_spki_sha256: o.pinned_spki_sha256.clone(),
            allow_insecure_http: o.allow_insecure_http,
        }
    }

    /// The core's options: validated, the rest at the core's defaults.
    fn to_core(&self) -> Result<core_sync::SyncOptions> {
        let millis = |field: &str, v: i64, min: i64| {
            if v < min || v > 24 * 3_600_000 {
                return Err(FieldKitError::validation(field, "out of range"));
            }
            Ok(Duration::from_millis(v.unsigned_abs()))
        };
        let max_attempts = u32::try_from(self.max_attempts)
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or_else(|| FieldKitError::validation("max attempts", "not in 1–100"))?;
        let chunk_bytes = usize::try_from(self.chunk_bytes)
            .ok()
            .filter(|n| (1024..=64 * 1024 * 1024).contains(n))
            .ok_or_else(|| FieldKitError::validation("chunk bytes", "not in 1 KiB–64 MiB"))?;
        Ok(core_sync::SyncOptions {
            max_attempts,
            first_backoff: millis("first backoff", self.first_backoff_ms, 0)?,
            max_backoff: millis("max backoff", self.max_backoff_ms, 0)?,
            request_timeout: millis("request timeout", self.request_timeout_ms, 100)?,
            chunk_bytes,
            extra_trust_anchors: self.extra_trust_anchors_pem.clone(),
            pinned_spki_sha256: self.pinned_spki_sha256.clone(),
            allow_insecure_http: self.allow_insecure_http,
            ..core_sync::SyncOptions::default()
        })
    }
}

fn core_options(options: Option<SyncOptions>) -> Result<core_sync::SyncOptions> {
    match options {
        Some(o) => o.to_core(),
        None => Ok(core_sync::SyncOptions::default()),
    }
}

/// The server this device is enrolled with (the device's token stays inside the core).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ServerAccount {
    pub server_url: String,
    pub technician_id: String,
    pub enrolled_at_ms: i64,
}

impl From<fieldkit_core::api::ServerAccount> for ServerAccount {
    fn from(a: fieldkit_core::api::ServerAccount) -> Self {
        Self {
            server_url: a.server_url,
            technician_id: a.technician_id,
            enrolled_at_ms: ms(a.enrolled_at),
        }
    }
}

/// Which part of a sync is running: ops sent, the desk's changes received, files uploaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum SyncPhase {
    Push,
    Pull,
    Blobs,
}

impl From<core_sync::SyncPhase> for SyncPhase {
    fn from(p: core_sync::SyncPhase) -> Self {
        match p {
            core_sync::SyncPhase::Push => Self::Push,
            core_sync::SyncPhase::Pull => Self::Pull,
            core_sync::SyncPhase::Blobs => Self::Blobs,
        }
    }
}

/// What one sync did.
#[derive(Clone, Debug, Default, PartialEq, Eq, uniffi::Record)]
pub struct SyncReport {
    /// Ops sent (a retried batch counts once per op), and what the server made of them.
    pub pushed: i64,
    pub applied: i64,
    pub duplicates: i64,
    /// Refused or flagged ops: see `sync_issues()`.
    pub rejected: i64,
    pub conflicts: i64,
    /// Changes from the desk applied on this device, and those it could not use.
    pub pulled: i64,
    pub pull_skipped: i64,
    /// Files (photos, thumbnails, signature images) the server now holds, and bytes sent.
    pub blobs_uploaded: i64,
    pub blob_bytes_sent: i64,
}

fn i64_of(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn i64_of_u64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl From<core_sync::SyncReport> for SyncReport {
    fn from(r: core_sync::SyncReport) -> Self {
        Self {
            pushed: i64_of(r.pushed),
            applied: i64_of(r.applied),
            duplicates: i64_of(r.duplicates),
            rejected: i64_of(r.rejected),
            conflicts: i64_of(r.conflicts),
            pulled: i64_of(r.pulled),
            pull_skipped: i64_of(r.pull_skipped),
            blobs_uploaded: i64_of(r.blobs_uploaded),
            blob_bytes_sent: i64_of_u64(r.blob_bytes_sent),
        }
    }
}

/// What the server made of a refused op.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum SyncIssueKind {
    /// Refused: the change does not count on the server.
    Rejected,
    /// Kept, but flagged for the desk (e.g. a completion after the desk cancelled the job).
    Conflict,
}

/// An op the server refused or flagged: show it to the technician; it is never retried.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct SyncIssue {
    pub seq: i64,
    /// The op's kind (`answer_step`, `complete`…).
    pub op: String,
    /// What it was about (a job id).
    pub job_id: String,
    pub kind: SyncIssueKind,
    /// The server's machine-readable code and its sentence.
    pub code: String,
    pub reason: String,
    pub at_ms: i64,
}

impl From<fieldkit_core::api::OpIssue> for SyncIssue {
    fn from(i: fieldkit_core::api::OpIssue) -> Self {
        Self {
            seq: i.seq,
            op: i.kind,
            job_id: i.entity_id,
            kind: if i.outcome == "conflict" {
                SyncIssueKind::Conflict
            } else {
                SyncIssueKind::Rejected
            },
            code: i.code,
            reason: i.reason,
            at_ms: ms(i.at),
        }
    }
}

/// Told how a sync is getting on. Implemented by the app (Kotlin/Swift).
#[uniffi::export(callback_interface)]
pub trait SyncObserver: Send + Sync {
    /// `done` of `total` in this phase (ops, changes or bytes; `total` is 0 when not known
    /// in advance, as for a pull). Runs on the thread driving the sync, with no lock held:
    /// hand off quickly. A failure here is ignored: it does not stop the sync.
    fn on_progress(&self, phase: SyncPhase, done: i64, total: i64) -> Result<(), FieldKitError>;
}

#[uniffi::export(async_runtime = "tokio")]
impl FieldKit {
    /// Enrols this device with the server at `server_url` using a one-time code from the
    /// dispatcher, and keeps the account for `sync`. A wrong, expired or used code fails
    /// with `Unauthorized`; an unreachable server with `Network`.
    #[uniffi::method(default(options = None))]
    pub async fn enroll(
        self: Arc<Self>,
        server_url: String,
        code: String,
        options: Option<SyncOptions>,
    ) -> Result<ServerAccount> {
        let options = core_options(options)?;
        Ok(self.core.enroll(&server_url, &code, &options).await?.into())
    }

    /// Pushes the outbox, pulls the desk's changes, then uploads the files the server
    /// lacks, telling `progress` along the way. Safe to interrupt (cancel the coroutine or
    /// task) and to call again: it carries on where it stopped. Fails with `NotEnrolled`
    /// before `enroll`, `Network` when the server cannot be reached after the retries,
    /// `Unauthorized` when the device was revoked (enrol again).
    #[uniffi::method(default(progress = None, options = None))]
    pub async fn sync(
        self: Arc<Self>,
        progress: Option<Box<dyn SyncObserver>>,
        options: Option<SyncOptions>,
    ) -> Result<SyncReport> {
        let options = core_options(options)?;
        let tell = |p: core_sync::SyncProgress| {
            if let Some(observer) = &progress {
                let _ignored =
                    observer.on_progress(p.phase.into(), i64_of_u64(p.done), i64_of_u64(p.total));
            }
        };
        // The desk's changes reach the job observers as each pulled page is committed.
        let observers = self.observers.clone();
        let pulled = move |job: fieldkit_core::model::WorkOrderId, action: &'static str| {
            observers.notify(&job.to_string(), action);
        };
        Ok(self
            .core
            .sync_telling(&options, &tell, &pulled)
            .await?
            .into())
    }
}

#[uniffi::export]
impl FieldKit {
    /// The server this device is enrolled with, if any.
    pub fn server_account(&self) -> Result<Option<ServerAccount>> {
        Ok(self.core.server_account()?.map(Into::into))
    }

    /// Ops the server refused or flagged, newest first.
    pub fn sync_issues(&self) -> Result<Vec<SyncIssue>> {
        Ok(self
            .core
            .sync_issues()?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// How many changes wait for the server (the outbox): the same count as
    /// `pending_changes`, which this calls; both names are kept for the Kotlin and Swift
    /// clients that expose them.
    pub fn pending_op_count(&self) -> Result<i64> {
        self.pending_changes()
    }
}

/// The default sync options (what `sync()` uses without options).
#[uniffi::export]
pub fn default_sync_options() -> SyncOptions {
    SyncOptions::default()
}
