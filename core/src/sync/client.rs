//! The device's sync client: enrolment, then push the outbox, pull the desk's changes, and
//! upload the files the server lacks, over HTTP with retries and backoff. It reads and
//! writes the device database only through short local calls between requests: no write
//! transaction is ever open while a request is in flight, so the technician keeps working.
//!
//! Every step is safe to interrupt at any instant (the app killed, the network gone): ops
//! leave the outbox only after the server said it has them durably, a pulled page and its
//! cursor commit together, and an upload resumes from the offset the server reports.

use std::io::Write;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::api::{FieldKit, ServerAccount};
use crate::error::{Error, Result};
use crate::sync::protocol::*;

/// How sync talks to the server.
#[derive(Clone, Debug)]
pub struct SyncOptions {
    /// Attempts per request before giving up with [`Error::Network`] (at least 1).
    pub max_attempts: u32,
    /// Wait before the first retry; doubled each time (with jitter) up to `max_backoff`.
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    /// Time limit of one request.
    pub request_timeout: Duration,
    /// Ops per push (the server accepts up to [`MAX_PUSH_OPS`]).
    pub push_batch: usize,
    /// Changes per pulled page.
    pub pull_limit: i64,
    /// Bytes per upload chunk.
    pub chunk_bytes: usize,
    /// Certificates (PEM) trusted besides the platform's roots: a company's private CA.
    pub extra_trust_anchors: Vec<String>,
    /// Where the trusted roots come from: the platform's choice unless a test says otherwise
    /// (see [`tls`](super::tls)).
    pub roots: super::tls::Roots,
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            first_backoff: Duration::from_millis(300),
            max_backoff: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            push_batch: 200,
            pull_limit: DEFAULT_PULL_LIMIT,
            chunk_bytes: 256 * 1024,
            extra_trust_anchors: Vec::new(),
            roots: super::tls::Roots::native(),
        }
    }
}

/// Which part of a sync is running.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncPhase {
    Push,
    Pull,
    Blobs,
}

/// Progress of a sync, for the app's progress bar: `done` of `total` in this phase (ops,
/// changes, or bytes; `total` is 0 when not known in advance, as for a pull).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SyncProgress {
    pub phase: SyncPhase,
    pub done: u64,
    pub total: u64,
}

/// What one sync did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    /// Ops sent (a retried batch counts once per op).
    pub pushed: usize,
    pub applied: usize,
    pub duplicates: usize,
    /// Ops the server refused or flagged (see [`FieldKit::sync_issues`]).
    pub rejected: usize,
    pub conflicts: usize,
    /// Changes from the desk applied on this device, and those it could not use.
    pub pulled: usize,
    pub pull_skipped: usize,
    /// Files the server now holds that it lacked, and the bytes sent for them.
    pub blobs_uploaded: usize,
    pub blob_bytes_sent: u64,
}

impl FieldKit {
    /// Enrols this device with a server using a one-time code from the dispatcher, and keeps
    /// the account (server, technician, token) for [`FieldKit::sync`].
    pub async fn enroll(
        &self,
        server_url: &str,
        code: &str,
        options: &SyncOptions,
    ) -> Result<ServerAccount> {
        let server_url = server_url.trim().trim_end_matches('/').to_owned();
        if !(server_url.starts_with("http://") || server_url.starts_with("https://")) {
            return Err(Error::invalid(
                "server url",
                "must start with http:// or https://",
            ));
        }
        let http = Http::new(&server_url, None, options, self.clock())?;
        let body = EnrollRequest {
            code: code.trim().to_owned(),
            device_id: self.device_id(),
        };
        // The server lets a device repeat its enrolment and keeps the token it stored last.
        // When the request reached it twice (a retry overtaking a slow first attempt, a
        // duplicating network), the answer that arrived may carry a token already replaced,
        // and the device would be locked out for good. So the token is tried before it is
        // kept, and the enrolment repeated with the same code until one works.
        let mut attempt = 0;
        let got = loop {
            attempt += 1;
            let got: EnrollResponse = http.call(Method::POST, "/v1/enroll", Some(&body)).await?;
            if got.device_id != self.device_id() {
                return Err(Error::invalid(
                    "enrolment",
                    "the server answered for another device",
                ));
            }
            let probe = Http::new(&server_url, Some(&got.token), options, self.clock())?;
            let nothing = MissingBlobsRequest { hashes: Vec::new() };
            let tried: Result<MissingBlobsResponse> = probe
                .call(Method::POST, "/v1/blobs/missing", Some(&nothing))
                .await;
            match tried {
                Ok(_) => break got,
                Err(Error::Server { status: 401, .. }) if attempt < options.max_attempts.max(1) => {
                }
                Err(e) => return Err(e),
            }
        };
        let account = ServerAccount {
            server_url,
            technician_id: got.technician_id,
            token: got.token,
            enrolled_at: self.now(),
        };
        self.save_server_account(&account)?;
        Ok(account)
    }

    /// Pushes the outbox, pulls the desk's changes, then uploads the files the server
    /// lacks (job data never waits for photos). Safe to call at any time and to interrupt;
    /// call again after an error and it carries on where it stopped.
    pub async fn sync(
        &self,
        options: &SyncOptions,
        progress: &(dyn Fn(SyncProgress) + Send + Sync),
    ) -> Result<SyncReport> {
        self.sync_telling(options, progress, &|_, _| {}).await
    }

    /// [`FieldKit::sync`], telling `pulled` of each job a pulled page changed on this device
    /// (with [`PULLED_ORDER`](crate::api::PULLED_ORDER) and its siblings) once the page is
    /// committed, so the app's job observers hear the desk's changes.
    pub async fn sync_telling(
        &self,
        options: &SyncOptions,
        progress: &(dyn Fn(SyncProgress) + Send + Sync),
        pulled: &(dyn Fn(crate::model::WorkOrderId, &'static str) + Send + Sync),
    ) -> Result<SyncReport> {
        let account = self.server_account()?.ok_or(Error::NotEnrolled)?;
        let http = Http::new(
            &account.server_url,
            Some(&account.token),
            options,
            self.clock(),
        )?;
        let mut report = SyncReport::default();
        self.push(&http, options, progress, &mut report).await?;
        self.pull(&http, options, progress, pulled, &mut report)
            .await?;
        self.upload_blobs(&http, options, progress, &mut report)
            .await?;
        Ok(report)
    }

    async fn push(
        &self,
        http: &Http,
        options: &SyncOptions,
        progress: &(dyn Fn(SyncProgress) + Send + Sync),
        report: &mut SyncReport,
    ) -> Result<()> {
        let batch = options.push_batch.clamp(1, MAX_PUSH_OPS) as i64;
        let total = self.store().pending_count()? as u64;
        let mut done = 0u64;
        progress(SyncProgress {
            phase: SyncPhase::Push,
            done,
            total,
        });
        loop {
            let ops = self.pending_ops(batch)?;
            let Some(first) = ops.first().map(|o| o.seq) else {
                return Ok(());
            };
            let sent = ops.len();
            let resp: PushResponse = http
                .call(Method::POST, "/v1/push", Some(&PushRequest { ops }))
                .await?;
            report.pushed += sent;
            for r in &resp.results {
                match &r.outcome {
                    OpOutcome::Applied => report.applied += 1,
                    OpOutcome::Duplicate { .. } => report.duplicates += 1,
                    OpOutcome::Rejected { .. } => report.rejected += 1,
                    OpOutcome::Conflict { .. } => report.conflicts += 1,
                    OpOutcome::Gap { .. } => {}
                }
            }
            // The server has everything before the seq it expects.
            let gap = resp.results.iter().find_map(|r| match r.outcome {
                OpOutcome::Gap { expected } => Some(expected),
                _ => None,
            });
            let through = match gap {
                Some(expected) if expected <= first => {
                    return Err(Error::Server {
                        status: 409,
                        code: "gap".into(),
                        message: format!(
                            "the server expects op {expected}, but this device's outbox starts at {first}"
                        ),
                    });
                }
                Some(expected) => resp.acked_through.max(expected - 1),
                None => resp.acked_through,
            };
            let left = self.acknowledge_ops(&resp.results, through)?;
            if left == 0 {
                // No progress (a server that acknowledges nothing): stop rather than spin.
                return Err(Error::Server {
                    status: 409,
                    code: "no_progress".into(),
                    message: format!("the server acknowledged no op from {first}"),
                });
            }
            done += left as u64;
            progress(SyncProgress {
                phase: SyncPhase::Push,
                done,
                total: total.max(done),
            });
        }
    }

    async fn pull(
        &self,
        http: &Http,
        options: &SyncOptions,
        progress: &(dyn Fn(SyncProgress) + Send + Sync),
        pulled: &(dyn Fn(crate::model::WorkOrderId, &'static str) + Send + Sync),
        report: &mut SyncReport,
    ) -> Result<()> {
        let limit = options.pull_limit.clamp(1, MAX_PULL_LIMIT);
        loop {
            let cursor = self.pull_cursor()?;
            let page: PullResponse = http
                .call::<(), _>(
                    Method::GET,
                    &format!("/v1/pull?cursor={cursor}&limit={limit}"),
                    None,
                )
                .await?;
            let applied = self.apply_changes(&page)?;
            report.pulled += applied.changes;
            report.pull_skipped += applied.skipped;
            for (job, action) in applied.jobs {
                pulled(job, action);
            }
            progress(SyncProgress {
                phase: SyncPhase::Pull,
                done: (report.pulled + report.pull_skipped) as u64,
                total: 0,
            });
            if !page.more || page.cursor <= cursor {
                return Ok(());
            }
        }
    }

    async fn upload_blobs(
        &self,
        http: &Http,
        options: &SyncOptions,
        progress: &(dyn Fn(SyncProgress) + Send + Sync),
        report: &mut SyncReport,
    ) -> Result<()> {
        let local = self.blobs_to_upload()?;
        let mut missing = Vec::new();
        for hashes in local.chunks(MAX_MISSING_HASHES) {
            let ask = MissingBlobsRequest {
                hashes: hashes.to_vec(),
            };
            let got: MissingBlobsResponse = http
                .call(Method::POST, "/v1/blobs/missing", Some(&ask))
                .await?;
            for h in hashes {
                if got.missing.contains(h) {
                    missing.push(h.clone());
                } else {
                    self.mark_blob_uploaded(h)?;
                }
            }
        }
        let sizes: Vec<u64> = missing
            .iter()
            .map(|h| std::fs::metadata(self.store().blobs().path(h)).map_or(0, |m| m.len()))
            .collect();
        let total: u64 = sizes.iter().sum();
        let mut done = 0u64;
        progress(SyncProgress {
            phase: SyncPhase::Blobs,
            done,
            total,
        });
        for sha in &missing {
            let bytes = match self.store().blobs().get(sha) {
                Ok(b) => b,
                // Not on this device (nothing refers to it any more): nothing to send. Any
                // other failure stops here; the next sync tries again.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e.into()),
            };
            // A file damaged on this device can never match its name: sending it would only
            // be refused. `verify` reports what it was evidence of.
            if crate::store::sha256_hex(&bytes) != *sha {
                continue;
            }
            report.blob_bytes_sent += http
                .upload(sha, &bytes, options.chunk_bytes.max(1), &mut |sent| {
                    progress(SyncProgress {
                        phase: SyncPhase::Blobs,
                        done: done + sent,
                        total,
                    })
                })
                .await?;
            self.mark_blob_uploaded(sha)?;
            report.blobs_uploaded += 1;
            done += bytes.len() as u64;
            progress(SyncProgress {
                phase: SyncPhase::Blobs,
                done,
                total,
            });
        }
        Ok(())
    }
}

/// HTTP to one server, with retries.
struct Http {
    client: reqwest::Client,
    base: String,
    token: Option<String>,
    options: SyncOptions,
    clock: std::sync::Arc<dyn crate::clock::Clock>,
}

/// What one attempt of a request came to.
enum Attempt<T> {
    Done(T),
    /// Worth trying again (the network, a timeout, 5xx, 429): why.
    Retry(String),
}

impl Http {
    fn new(
        base: &str,
        token: Option<&str>,
        options: &SyncOptions,
        clock: std::sync::Arc<dyn crate::clock::Clock>,
    ) -> Result<Http> {
        // TLS through rustls with the `ring` provider; the roots per platform (see `tls`).
        let anchors = super::tls::anchors_from_pem(&options.extra_trust_anchors)?;
        let tls = super::tls::client_config(options.roots, anchors)?;
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .timeout(options.request_timeout)
            .connect_timeout(options.request_timeout)
            .build()
            .map_err(|e| Error::Network(format!("cannot set up HTTP: {e}")))?;
        Ok(Http {
            client,
            base: base.trim_end_matches('/').to_owned(),
            token: token.map(str::to_owned),
            options: options.clone(),
            clock,
        })
    }

    /// Sends a JSON request (gzip-compressed when large) and reads a JSON answer, retrying
    /// what is worth retrying with exponential backoff and jitter.
    async fn call<B: Serialize, R: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<R> {
        let body = match body {
            Some(b) => Some(encode_body(b)?),
            None => None,
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut req = self.request(method.clone(), path);
            if path == "/v1/push" {
                // This device's clock now (each attempt), for the server's skew check.
                let now = crate::clock::to_millis(self.clock.now());
                req = req.header(DEVICE_TIME, now.to_string());
            }
            if let Some((bytes, gzipped)) = &body {
                req = req
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(bytes.clone());
                if *gzipped {
                    req = req.header(reqwest::header::CONTENT_ENCODING, "gzip");
                }
            }
            let outcome = match req.send().await {
                Ok(resp) => match answer(resp).await? {
                    Attempt::Done(bytes) => match serde_json::from_slice::<R>(&bytes) {
                        Ok(v) => return Ok(v),
                        // A cut or garbled answer: the request may have been applied; every
                        // request here is safe to repeat.
                        Err(e) => format!("unreadable answer: {e}"),
                    },
                    Attempt::Retry(why) => why,
                },
                Err(e) => describe(&e)?,
            };
            self.backoff(attempt, outcome).await?;
        }
    }

    /// Uploads one blob from the server's offset, chunk by chunk; after a failure asks the
    /// server where it stands and resumes there. Returns the bytes sent.
    async fn upload(
        &self,
        sha: &str,
        bytes: &[u8],
        chunk: usize,
        sent_so_far: &mut (dyn FnMut(u64) + Send),
    ) -> Result<u64> {
        let len = bytes.len() as u64;
        let path = format!("/v1/blobs/{sha}");
        let mut sent = 0u64;
        let mut attempt = 0;
        let mut offset: Option<u64> = None;
        loop {
            let from = match offset {
                Some(o) => o,
                None => {
                    let st: BlobStatus = self.call::<(), _>(Method::GET, &path, None).await?;
                    if st.complete {
                        return Ok(sent);
                    }
                    st.offset
                }
            };
            if from > len {
                return Err(Error::Server {
                    status: 409,
                    code: "offset".into(),
                    message: format!("the server holds {from} bytes of a {len}-byte file"),
                });
            }
            let start = usize::try_from(from)
                .unwrap_or(bytes.len())
                .min(bytes.len());
            let end = start.saturating_add(chunk).min(bytes.len());
            let req = self
                .request(Method::PUT, &path)
                .header(UPLOAD_OFFSET, from.to_string())
                .header(UPLOAD_LENGTH, len.to_string())
                .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                .body(bytes[start..end].to_vec());
            let why = match req.send().await {
                Ok(resp) => match answer(resp).await {
                    // The server holds another offset than we sent from (a duplicated or
                    // stale chunk moved it), or the blob it assembled did not match (two
                    // copies of the last chunk raced): ask where it stands and go on.
                    Err(Error::Server {
                        status: 409 | 422,
                        message,
                        ..
                    }) => message,
                    Err(e) => return Err(e),
                    Ok(Attempt::Done(body)) => match serde_json::from_slice::<BlobStatus>(&body) {
                        Ok(st) => {
                            sent += (end - start) as u64;
                            sent_so_far(st.offset);
                            if st.complete {
                                return Ok(sent);
                            }
                            attempt = 0;
                            offset = Some(st.offset);
                            continue;
                        }
                        Err(e) => format!("unreadable answer: {e}"),
                    },
                    Ok(Attempt::Retry(why)) => why,
                },
                Err(e) => describe(&e)?,
            };
            attempt += 1;
            // Where did the server get to? Ask before sending more.
            offset = None;
            self.backoff(attempt, why).await?;
        }
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        req
    }

    /// Waits before attempt `attempt + 1`, or gives up after the last one.
    async fn backoff(&self, attempt: u32, why: String) -> Result<()> {
        if attempt >= self.options.max_attempts.max(1) {
            return Err(Error::Network(format!("{why} (after {attempt} attempts)")));
        }
        let base = self.options.first_backoff.as_millis() as u64;
        let cap = self.options.max_backoff.as_millis() as u64;
        let exp = base
            .saturating_mul(1u64 << (attempt - 1).min(16))
            .min(cap.max(base));
        // Full jitter over the upper half, so devices that lost the network together do not
        // come back together.
        let wait = exp / 2 + rand::random_range(0..=exp / 2 + 1);
        tokio::time::sleep(Duration::from_millis(wait)).await;
        Ok(())
    }
}

/// Reads a response: its body when successful, a retry for what may pass later, an error
/// for what will not.
async fn answer(resp: reqwest::Response) -> Result<Attempt<Vec<u8>>> {
    let status = resp.status();
    let body = match resp.bytes().await {
        Ok(b) => b,
        Err(e) => return Ok(Attempt::Retry(describe(&e)?)),
    };
    if status.is_success() {
        return Ok(Attempt::Done(body.to_vec()));
    }
    if status.is_server_error()
        || status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
    {
        return Ok(Attempt::Retry(format!("server answered {status}")));
    }
    let (code, message) = match serde_json::from_slice::<ErrorBody>(&body) {
        Ok(b) => (b.code, b.message),
        Err(_) => ("http".to_owned(), status.to_string()),
    };
    Err(Error::Server {
        status: status.as_u16(),
        code,
        message,
    })
}

/// A transport error in words (the URL carries no personal data, only the route).
/// Why a request failed, worth a retry; or [`Error::Tls`] when the server's certificate (or
/// the handshake) failed, which a retry would meet again.
fn describe(e: &reqwest::Error) -> Result<String> {
    if let Some(why) = super::tls::tls_failure(e) {
        return Err(Error::Tls(why));
    }
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "the answer was cut off"
    } else {
        "the request failed"
    };
    Ok(format!("{what}: {e}"))
}

/// JSON, gzip-compressed when larger than 1 KiB.
fn encode_body<B: Serialize>(b: &B) -> Result<(Vec<u8>, bool)> {
    let json = serde_json::to_vec(b).map_err(|e| Error::invalid("request", e.to_string()))?;
    if json.len() <= 1024 {
        return Ok((json, false));
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&json)?;
    Ok((gz.finish()?, true))
}
