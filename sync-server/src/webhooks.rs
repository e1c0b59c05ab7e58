//! The completions feed for other systems: the event a completion becomes (no customer data),
//! its Stripe-style HMAC signature and the receiver's [`verify`], the [`Feed`] hub that
//! wakes the delivery worker and the SSE streams, and the worker itself (at least once,
//! retried with capped exponential backoff and jitter, bounded concurrency), which sends
//! only where the [`WebhookPolicy`] allows: `https://` to a public address, or anything to an
//! allow-listed one. The address is checked as resolved, by the client's own resolver, so
//! the address checked is the address connected to; an internal one is refused without
//! connecting, and the delivery's `last_error` says only that.
//!
//! Nothing here runs inside the push transaction: the push route only calls
//! [`Feed::completions_pushed`] once the push committed; the worker moves committed
//! completions into the feed ([`crate::storage::webhooks::WebhookStorage::sync_feed`]) and delivers from storage, so
//! a restart loses nothing (a delivery claimed by a worker that died is retried when its
//! lease ends).

use crate::msg::Msg;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use tokio::sync::{Notify, broadcast, watch};
use tokio::task::JoinSet;

use crate::clock::Clock;
use crate::events::{Events, Live};
use crate::net::{Cidr, is_internal};
use crate::storage::webhooks::{AttemptResult, COMPLETED_EVENT, DueDelivery, event_id};
use crate::storage::{Completion, Storage};

/// Request header carrying the event id (the receiver's dedupe key).
pub const DELIVERY_HEADER: &str = "fieldkit-delivery";
/// Request header carrying `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`.
pub const SIGNATURE_HEADER: &str = "fieldkit-signature";
/// Request header carrying the event type.
pub const EVENT_HEADER: &str = "fieldkit-event";

/// A flag on a completion, as sent out (kind, code and arguments, words; no personal data).
/// A webhook has no reader: `detail` is in Chinese; `code` and `args` say the same for the
/// receiver to word (absent for a flag stored before migration 0015).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventFlag {
    pub kind: String,
    pub detail: String,
    #[serde(flatten)]
    pub said: Option<crate::stored::Stored>,
}

/// A completion as other systems see it: ids, times, outcome and flags only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompletionData {
    pub op_id: String,
    pub work_order_id: String,
    pub technician_id: String,
    pub device_id: String,
    /// The device's clock at completion (ms since the epoch).
    pub completed_at_device: i64,
    /// When the server received it (ms since the epoch).
    pub received_at: i64,
    /// `applied`, or `conflict` when the job was cancelled or reassigned meanwhile.
    pub outcome: String,
    pub flags: Vec<EventFlag>,
}

impl From<&Completion> for CompletionData {
    fn from(c: &Completion) -> Self {
        CompletionData {
            op_id: c.op_id.clone(),
            work_order_id: c.work_order_id.clone(),
            technician_id: c.technician_id.clone(),
            device_id: c.device_id.clone(),
            completed_at_device: c.completed_at_device,
            received_at: c.received_at,
            outcome: c.outcome.clone(),
            flags: c
                .flags
                .iter()
                .map(|f| EventFlag {
                    kind: f.kind.clone(),
                    detail: f.detail_in(crate::i18n::Locale::ZhCn),
                    said: f.said.clone(),
                })
                .collect(),
        }
    }
}

/// The body of a webhook delivery.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookEvent {
    /// Stable per (subscription, completion): every retry carries the same id.
    pub id: String,
    /// `work_order.completed`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The completion's number in the feed (the SSE stream's `id:`).
    pub sequence: i64,
    pub data: CompletionData,
}

impl WebhookEvent {
    /// The event a subscription receives for a completion.
    pub fn new(subscription_id: &str, sequence: i64, c: &Completion) -> Self {
        WebhookEvent {
            id: event_id(subscription_id, &c.op_id),
            kind: COMPLETED_EVENT.into(),
            sequence,
            data: c.into(),
        }
    }
}

/// The `FieldKit-Signature` header value for `body` signed at `t` (unix seconds).
pub fn sign(secret: &str, t: i64, body: &[u8]) -> String {
    format!("t={t},v1={}", hex::encode(mac(secret, t, body)))
}

fn mac(secret: &str, t: i64, body: &[u8]) -> Vec<u8> {
    let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes keys of any length");
    m.update(t.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    m.finalize().into_bytes().to_vec()
}

/// Why a delivery's signature was not accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the signature header is malformed")]
    Malformed,
    #[error("the signature's timestamp is outside the tolerance")]
    Stale,
    #[error("no signature matches the body and secret")]
    Mismatch,
}

/// Checks a delivery as a receiver should: the header parses, its timestamp is within
/// `tolerance_secs` of `now_secs` (replays of old deliveries are refused), and one of its
/// `v1` signatures is the HMAC-SHA256 of `"t.body"` under `secret` (compared in constant
/// time).
pub fn verify(
    secret: &str,
    header: &str,
    body: &[u8],
    now_secs: i64,
    tolerance_secs: i64,
) -> Result<(), VerifyError> {
    let mut t = None;
    let mut sigs = Vec::new();
    for part in header.split(',') {
        let (k, v) = part.trim().split_once('=').ok_or(VerifyError::Malformed)?;
        match k {
            "t" => t = Some(v.parse::<i64>().map_err(|_| VerifyError::Malformed)?),
            "v1" => sigs.push(hex::decode(v).map_err(|_| VerifyError::Malformed)?),
            _ => {}
        }
    }
    let t = t.ok_or(VerifyError::Malformed)?;
    if sigs.is_empty() {
        return Err(VerifyError::Malformed);
    }
    if now_secs.abs_diff(t) > tolerance_secs.unsigned_abs() {
        return Err(VerifyError::Stale);
    }
    for sig in sigs {
        let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
            .map_err(|_| VerifyError::Mismatch)?;
        m.update(t.to_string().as_bytes());
        m.update(b".");
        m.update(body);
        if m.verify_slice(&sig).is_ok() {
            return Ok(());
        }
    }
    Err(VerifyError::Mismatch)
}

/// A fresh signing secret: `whsec_` and 256 random bits in hex.
pub fn new_secret() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    format!("whsec_{}", hex::encode(b))
}

/// Where webhooks may go: `https://` to public addresses, and anything to the addresses of
/// the allow-list (`--webhook-allow`), internal ones included. Nothing else: loopback,
/// private, link-local and metadata addresses are refused, and plain `http://` needs an
/// allow-listed address.
#[derive(Clone, Debug, Default)]
pub struct WebhookPolicy {
    /// Addresses allowed although internal, over http too.
    pub allow: Arc<[Cidr]>,
}

/// The words a refused address is recorded with (the same whether or not anything listens
/// there: nothing was sent).
pub const REFUSED_ADDRESS: &str = "address not allowed";

impl WebhookPolicy {
    /// Whether a delivery may connect to `ip` (`https`: the URL's scheme is https).
    pub fn allows(&self, ip: IpAddr, https: bool) -> bool {
        if self.allow.iter().any(|c| c.contains(ip)) {
            return true;
        }
        https && !is_internal(ip)
    }

    /// Whether a subscription to `url` (an http or https URL with a host) may be created:
    /// https, or http with an allow-list; an address written in the URL must be allowed.
    /// (A name is checked as resolved at each delivery.)
    pub fn check_url(&self, url: &reqwest::Url) -> Result<(), Msg> {
        let https = url.scheme() == "https";
        if let Some(ip) = literal_ip(url) {
            return if self.allows(ip, https) {
                Ok(())
            } else if https {
                Err(Msg::new("err-webhook-url-internal"))
            } else {
                Err(Msg::new("err-webhook-url-https"))
            };
        }
        if !https && self.allow.is_empty() {
            return Err(Msg::new("err-webhook-url-https"));
        }
        Ok(())
    }
}

/// The address written as the URL's host, if it is one (`https://10.0.0.1/`, `http://[::1]/`).
fn literal_ip(url: &reqwest::Url) -> Option<IpAddr> {
    let host = url.host_str()?;
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    host.parse().ok()
}

/// The refusal of a name whose every address the policy refuses (found again in the
/// client's error chain).
#[derive(Debug)]
struct Refused;

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(REFUSED_ADDRESS)
    }
}

impl std::error::Error for Refused {}

/// The delivery client's resolver: the system's lookup, keeping only the addresses the
/// policy allows (none left: [`Refused`], and no connection is made).
struct CheckedResolver {
    policy: WebhookPolicy,
    https: bool,
}

impl reqwest::dns::Resolve for CheckedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let (policy, https) = (self.policy.clone(), self.https);
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let allowed: Vec<SocketAddr> = found.filter(|a| policy.allows(a.ip(), https)).collect();
            if allowed.is_empty() {
                return Err(Box::new(Refused) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Whether `e` (a client error) is the resolver's refusal.
fn refused(e: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err.downcast_ref::<Refused>().is_some() {
            return true;
        }
        source = err.source();
    }
    false
}

/// The delivery clients: one for https URLs, one for http (each with its own resolver
/// check); no redirects, no proxy from the environment (the checked address is the one
/// connected to).
#[derive(Clone)]
struct Clients {
    https: reqwest::Client,
    http: reqwest::Client,
    policy: WebhookPolicy,
}

impl Clients {
    fn new(settings: &DeliverySettings) -> reqwest::Result<Self> {
        let build = |https: bool| {
            reqwest::Client::builder()
                .timeout(settings.timeout)
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
                .dns_resolver(Arc::new(CheckedResolver {
                    policy: settings.policy.clone(),
                    https,
                }))
                .build()
        };
        Ok(Clients {
            https: build(true)?,
            http: build(false)?,
            policy: settings.policy.clone(),
        })
    }

    /// The client for `url`, or `None` when its written address is refused (nothing is
    /// sent).
    fn for_url(&self, url: &str) -> Option<&reqwest::Client> {
        let parsed = reqwest::Url::parse(url).ok()?;
        let https = match parsed.scheme() {
            "https" => true,
            "http" => false,
            _ => return None,
        };
        if let Some(ip) = literal_ip(&parsed)
            && !self.policy.allows(ip, https)
        {
            return None;
        }
        Some(if https { &self.https } else { &self.http })
    }
}

/// How the delivery worker behaves.
#[derive(Clone, Debug)]
pub struct DeliverySettings {
    /// Attempts before a delivery is marked failed.
    pub max_attempts: i64,
    /// Per attempt: connect, send and read the answer.
    pub timeout: Duration,
    /// The first retry waits about this long; each next one twice as long.
    pub backoff_base: Duration,
    /// Longest wait between attempts.
    pub backoff_cap: Duration,
    /// How often the feed and the queue are polled when nothing wakes the worker (other
    /// replicas' pushes, retries coming due).
    pub poll: Duration,
    /// Attempts in flight at most.
    pub concurrency: usize,
    /// The time the worker stamps and schedules by (the server's clock).
    pub clock: Clock,
    /// Where deliveries may go.
    pub policy: WebhookPolicy,
}

impl DeliverySettings {
    /// The wait before attempt `attempts + 1`: `base · 2^(attempts-1)`, capped, with jitter
    /// (between half and all of it).
    pub fn backoff(&self, attempts: i64) -> Duration {
        let exp = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
        let full = self
            .backoff_base
            .saturating_mul(1u32 << exp)
            .min(self.backoff_cap);
        let ms = u64::try_from(full.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(ms / 2 + rand::random_range(0..=ms - ms / 2))
    }
}

/// Wakes the delivery worker after pushes, and tells SSE streams the feed's new head (on
/// every instance: [`crate::events`]).
pub struct Feed {
    wake: Notify,
    events: Arc<Events>,
    closing: watch::Sender<bool>,
}

impl Feed {
    /// The feed's news on `events`.
    pub fn new(events: Arc<Events>) -> Self {
        Feed {
            wake: Notify::new(),
            events,
            closing: watch::channel(false).0,
        }
    }

    /// Called by the push route after `storage.push` returned (the ops are committed).
    pub fn completions_pushed(&self) {
        self.wake.notify_one();
    }

    /// The feed's head reached `head` (committed): every instance's streams read on.
    pub fn advanced(&self, head: i64) {
        self.events.feed_advanced(head);
    }

    /// The events as they are heard: a stream reads storage again on [`Live::Feed`],
    /// [`Live::Resync`] and when lagging.
    pub fn subscribe(&self) -> broadcast::Receiver<Live> {
        self.events.subscribe()
    }

    /// Ends every SSE stream (graceful shutdown waits for open responses to end).
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    /// Becomes `true` when the server shuts down.
    pub fn closing(&self) -> watch::Receiver<bool> {
        self.closing.subscribe()
    }
}

/// The running delivery worker.
pub struct Worker {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Worker {
    /// Starts the worker on the current runtime.
    pub fn start(storage: Arc<dyn Storage>, feed: Arc<Feed>, settings: DeliverySettings) -> Self {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(run(storage, feed, settings, stopped));
        Worker { stop, task }
    }

    /// Stops claiming, lets attempts in flight end (each is bounded by the timeout).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

async fn run(
    storage: Arc<dyn Storage>,
    feed: Arc<Feed>,
    settings: DeliverySettings,
    mut stopped: watch::Receiver<bool>,
) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = match Clients::new(&settings) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "webhook client could not be built; no deliveries");
            return;
        }
    };
    let lease = i64::try_from(settings.timeout.as_millis()).unwrap_or(i64::MAX / 4) + 30_000;
    let mut in_flight = JoinSet::new();
    let mut last_head = None;
    loop {
        // Stopped, or the worker's handle was dropped without a stop.
        if *stopped.borrow() || stopped.has_changed().is_err() {
            break;
        }
        let now = settings.clock.now_ms();
        match storage.sync_feed(now).await {
            Ok(head) if last_head != Some(head) => {
                last_head = Some(head);
                feed.advanced(head);
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "completions feed: sync failed"),
        }
        let free = settings.concurrency.saturating_sub(in_flight.len());
        if free > 0 {
            match storage
                .claim_deliveries(now, now.saturating_add(lease), free as i64)
                .await
            {
                Ok(due) => {
                    for d in due {
                        in_flight.spawn(attempt(
                            storage.clone(),
                            client.clone(),
                            settings.clone(),
                            d,
                        ));
                    }
                }
                Err(e) => tracing::warn!(error = %e, "webhooks: claiming deliveries failed"),
            }
        }
        tokio::select! {
            _ = stopped.changed() => {}
            _ = feed.wake.notified() => {}
            _ = tokio::time::sleep(settings.poll) => {}
            Some(_) = in_flight.join_next(), if !in_flight.is_empty() => {}
        }
    }
    while in_flight.join_next().await.is_some() {}
}

/// One POST of one delivery, and its outcome recorded.
async fn attempt(
    storage: Arc<dyn Storage>,
    clients: Clients,
    settings: DeliverySettings,
    d: DueDelivery,
) {
    let event = WebhookEvent::new(&d.subscription_id, d.feed_seq, &d.completion);
    let body = match serde_json::to_vec(&event) {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "webhook event does not serialize");
            return;
        }
    };
    let t = settings.clock.now_ms() / 1000;
    let sent = match clients.for_url(&d.url) {
        None => None,
        Some(client) => Some(
            client
                .post(&d.url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header(DELIVERY_HEADER, &event.id)
                .header(EVENT_HEADER, COMPLETED_EVENT)
                .header(SIGNATURE_HEADER, sign(&d.secret, t, &body))
                .body(body)
                .send()
                .await,
        ),
    };
    let error = match sent {
        None => Some(REFUSED_ADDRESS.to_owned()),
        Some(Ok(res)) if res.status().is_success() => None,
        Some(Ok(res)) => Some(format!("HTTP {}", res.status().as_u16())),
        Some(Err(e)) if refused(&e) => Some(REFUSED_ADDRESS.to_owned()),
        Some(Err(e)) if e.is_timeout() => Some("timed out".to_owned()),
        Some(Err(e)) if e.is_connect() => Some("connection failed".to_owned()),
        Some(Err(_)) => Some("request failed".to_owned()),
    };
    let attempts = d.attempts + 1;
    let result = match error {
        None => AttemptResult::Delivered {
            at: settings.clock.now_ms(),
        },
        Some(error) if attempts >= settings.max_attempts => AttemptResult::Failed { error },
        Some(error) => {
            let wait = i64::try_from(settings.backoff(attempts).as_millis()).unwrap_or(i64::MAX);
            AttemptResult::Retry {
                next_at: settings.clock.now_ms().saturating_add(wait),
                error,
            }
        }
    };
    // Ids and status only: the URL may carry a receiver's credentials.
    match &result {
        AttemptResult::Delivered { .. } => {
            tracing::info!(event = %event.id, attempts, "webhook delivered")
        }
        AttemptResult::Retry { error, .. } => {
            tracing::info!(event = %event.id, attempts, error, "webhook attempt failed; will retry")
        }
        AttemptResult::Failed { error } => {
            tracing::warn!(event = %event.id, attempts, error, "webhook delivery gave up")
        }
    }
    match storage
        .finish_delivery(
            d.subscription_id,
            d.completion.op_id,
            d.claim,
            result,
            settings.clock.now_ms(),
        )
        .await
    {
        Ok(true) => {}
        // Another instance took the claim over (this attempt outlived its lease): its own
        // attempt counts, not this one.
        Ok(false) => tracing::info!(event = %event.id, "webhook attempt's claim was taken over"),
        // The lease runs out and the delivery is attempted again: at least once holds.
        Err(e) => tracing::warn!(error = %e, "webhooks: recording an attempt failed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_accepts_genuine_and_refuses_the_rest() {
        let body = br#"{"id":"evt_1"}"#;
        let h = sign("s3cret", 1_800_000_000, body);
        assert_eq!(verify("s3cret", &h, body, 1_800_000_010, 300), Ok(()));
        assert_eq!(
            verify("s3cret", &h, br#"{"id":"evt_2"}"#, 1_800_000_010, 300),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify("other", &h, body, 1_800_000_010, 300),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify("s3cret", &h, body, 1_800_000_301, 300),
            Err(VerifyError::Stale)
        );
        for bad in ["", "t=1", "v1=00", "t=x,v1=00", "t=1,v1=zz", "garbage"] {
            assert_eq!(
                verify("s3cret", bad, body, 1, 300),
                Err(VerifyError::Malformed),
                "{bad}"
            );
        }
    }

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let s = DeliverySettings {
            max_attempts: 8,
            timeout: Duration::from_secs(1),
            backoff_base: Duration::from_millis(1000),
            backoff_cap: Duration::from_millis(10_000),
            poll: Duration::from_secs(1),
            concurrency: 1,
            clock: Clock::system(),
            policy: WebhookPolicy::default(),
        };
        for (attempts, full) in [(1, 1000u128), (2, 2000), (3, 4000), (4, 8000), (5, 10_000)] {
            for _ in 0..50 {
                let w = s.backoff(attempts).as_millis();
                assert!((full / 2..=full).contains(&w), "{attempts}: {w}");
            }
        }
        assert!(s.backoff(i64::MAX).as_millis() <= 10_000);
    }
}
