//! The server's shared state, handed to every handler and page: storage, blobs, the clock,
//! the settings, and the channels that tell the webhook worker and the open dashboards what
//! changed. Built once by [`crate::Server::start`]; the faces (JSON routes, dashboard pages)
//! and the desk operations read it, nothing below them does.

use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::FromRef;
use tokio::sync::broadcast;

use crate::auth::{Keys, LoginBackoff, PasswordGate, RateLimiter, TrustedProxies};
use crate::blobs::Blobs;
use crate::clock::Clock;
use crate::drawings::Drawings;
use crate::events::{Events, Live};
use crate::limits::Limits;
use crate::metrics::Metrics;
use crate::push::PushPolicy;
use crate::storage::Storage;
use crate::webhooks::{Feed, WebhookPolicy};

/// Everything a handler may use.
#[derive(Clone)]
pub struct AppState {
    pub storage: Arc<dyn Storage>,
    /// The time, for everything the server records or compares.
    pub clock: Clock,
    /// Wakes the signature-drawing check after a push stored a completion.
    pub drawings: Drawings,
    pub blobs: Blobs,
    pub metrics: Arc<Metrics>,
    /// SHA-256 of the dispatcher's token.
    pub admin_token_hash: Arc<str>,
    /// The server's secret that device tokens are derived from (kept in storage, shared by
    /// every server on the database).
    pub token_key: Arc<[u8]>,
    pub policy: PushPolicy,
    pub enroll_limiter: Arc<RateLimiter>,
    pub enrolment_code_ttl_minutes: i64,
    pub max_body_bytes: usize,
    /// Wakes the webhook worker after pushes; tells SSE streams about new completions.
    pub feed: Arc<Feed>,
    /// Tells the dashboard's open boards which jobs changed.
    pub board: Arc<BoardEvents>,
    /// The dashboard's settings.
    pub dashboard: Settings,
    pub login_limiter: Arc<RateLimiter>,
    /// The load limits answered with `Retry-After` (429/503).
    pub limits: Arc<Limits>,
    /// Whose `X-Forwarded-For` the rate limits believe.
    pub trusted_proxies: TrustedProxies,
    /// Where webhooks may go.
    pub webhook_policy: WebhookPolicy,
    /// Password hashes and checks, a few at a time.
    pub password_gate: Arc<PasswordGate>,
    /// The per-account login backoff.
    pub login_backoff: LoginBackoff,
    /// This instance among those on the database: its lease id, whether it is draining.
    pub instance: Arc<crate::instance::Instance>,
}

impl FromRef<AppState> for TrustedProxies {
    fn from_ref(s: &AppState) -> TrustedProxies {
        s.trusted_proxies.clone()
    }
}

impl FromRef<AppState> for Keys {
    fn from_ref(s: &AppState) -> Keys {
        Keys {
            storage: s.storage.clone(),
            admin_token_hash: s.admin_token_hash.clone(),
        }
    }
}

/// The dashboard's settings.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The dispatchers' UTC offset (minutes) for times shown and typed.
    pub utc_offset_minutes: i32,
    /// How long a login lasts (minutes).
    pub session_minutes: i64,
    /// How long a login lasts without a request (minutes).
    pub idle_minutes: i64,
    /// Served over HTTPS (here, or by a proxy in front: `--public-url https://…`): the
    /// cookies take the `__Host-` prefix and pages send HSTS.
    pub https: bool,
    /// How the customer's copy is rendered.
    pub copy: Arc<CopySettings>,
}

/// How the dashboard renders the customer's copy (the same document the device prints).
#[derive(Clone, Debug)]
pub struct CopySettings {
    /// A font covering Chinese and Latin.
    pub font: PathBuf,
    pub font_index: u32,
    /// The server's public address for the verify URL; `None`: the browser's.
    pub public_url: Option<String>,
    /// The company named in the header.
    pub company: String,
    /// The service hotline (`--service-hotline`), sent with the technician's card.
    pub service_hotline: Option<String>,
}

/// Tells open boards which jobs changed (a push touched them, a dispatcher changed them), on
/// every instance ([`crate::events`]).
pub struct BoardEvents {
    events: Arc<Events>,
}

impl BoardEvents {
    /// Job changes on `events`.
    pub fn new(events: Arc<Events>) -> Self {
        Self { events }
    }

    /// A job changed: every open board re-reads its rows.
    pub fn job_changed(&self, work_order_id: &str) {
        self.events.publish(Live::Job(work_order_id.to_owned()));
    }

    /// The events as they are heard (boards take [`Live::Job`], and re-read every row on
    /// [`Live::Resync`] or when lagging).
    pub fn subscribe(&self) -> broadcast::Receiver<Live> {
        self.events.subscribe()
    }
}
