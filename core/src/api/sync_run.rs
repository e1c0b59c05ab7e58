//! The device's sync run, over the network: enrolment with a one-time code, then each sync:
//! push the outbox, pull the desk's changes, upload the files the server lacks. FieldKit
//! methods that drive `sync::client`'s HTTP transport and the network-free steps in
//! `api::sync`. They read and write the device database only through short local calls
//! between requests: no write transaction is ever open while a request is in flight, so the
//! technician keeps working.
//!
//! Every step is safe to interrupt at any instant (the app killed, the network gone): ops
//! leave the outbox only after the server said it has them durably, a pulled page and its
//! cursor commit together, and an upload resumes from the offset the server reports.

use reqwest::Method;

use super::{FieldKit, ServerAccount};
use crate::error::{Error, Result};
use crate::sync::client::{Http, SyncOptions, SyncPhase, SyncProgress, SyncReport};
use crate::sync::protocol::*;

impl FieldKit {
    /// Enrols this device with a server using a one-time code from the dispatcher, and keeps
    /// the account (server, technician, token) for [`FieldKit::sync`]. The server is bound to
    /// this device's own key (made at the first enrolment, kept in the database), which signs
    /// every push. Safe to repeat: the same code again answers the same token. Enrolling
    /// again with a new code (after the desk revoked the device) keeps every unsent change.
    /// The address must be `https://` (or `http://` to this device itself, unless
    /// [`SyncOptions::allow_insecure_http`]).
    pub async fn enroll(
        &self,
        server_url: &str,
        code: &str,
        options: &SyncOptions,
    ) -> Result<ServerAccount> {
        let server_url = server_url.trim().trim_end_matches('/').to_owned();
        let http = Http::new(&server_url, None, options, self.clock(), self.locale())?;
        // The key is made and kept before the request, so a retry sends the same one: the
        // server answers a repeat of the same enrolment with the same token and changes
        // nothing (an answer lost on the way never locks the device out).
        let key = self.device_key()?;
        let body = key.enrolment(code.trim(), self.device_id());
        let got: EnrollResponse = http.call(Method::POST, "/v1/enroll", Some(&body)).await?;
        if got.device_id != self.device_id() {
            return Err(Error::invalid(
                "enrolment",
                "the server answered for another device",
            ));
        }
        let account = ServerAccount {
            server_url,
            technician_id: got.technician_id,
            token: got.token,
            enrolled_at: self.now(),
        };
        self.save_server_account(&account)?;
        self.write(|tx| super::sync::store_accepts(tx, &got.accepts))?;
        if let Some(card) = &got.card {
            // A card the app cannot use does not undo the enrolment: the next pull sends it.
            let now = self.now();
            match self.write(|tx| super::card::store_card(tx, card, now)) {
                Ok(()) | Err(Error::Invalid { .. }) => {}
                Err(e) => return Err(e),
            }
        }
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
            self.locale(),
        )?
        .signing(self.device_id(), self.device_key()?);
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
        let total = self.store.pending_count()? as u64;
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
                    &format!("/v1/pull?cursor={cursor}&limit={limit}&accept=replenishment,card"),
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
            .map(|h| self.store.blobs().plain_len(h).unwrap_or(0))
            .collect();
        let total: u64 = sizes.iter().sum();
        let mut done = 0u64;
        progress(SyncProgress {
            phase: SyncPhase::Blobs,
            done,
            total,
        });
        for sha in &missing {
            let bytes = match self.store.blobs().get(sha) {
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
