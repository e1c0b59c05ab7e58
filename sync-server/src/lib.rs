//! The FieldKit sync server: the device sync protocol under `/v1` (enrolment, push, pull,
//! blobs), the dispatcher API under `/v1/admin` and the dispatchers' dashboard (HTML pages
//! at `/`), over one [`storage::Storage`] (SQLite or PostgreSQL) and an `object_store` for
//! blobs.
//!
//! Start it with [`Server::start`] (tests: `127.0.0.1:0`, then [`Server::addr`]) or run it
//! until Ctrl-C / SIGTERM with [`serve`].
//!
//! The modules, bottom up (each imports only those above it in this list; `.ci/module-check.py`
//! fails on a cycle):
//! - [`clock`], [`net`], [`config`], [`metrics`], [`tls`], [`openapi`], [`instance`]: no server
//!   state;
//! - [`records`]: the record types every layer passes around;
//! - [`push`] (the rules a push is judged by), [`measures`] (the quality measures),
//!   [`people`] (technicians' profiles and who should do a job), pure;
//! - [`storage`]: one trait, SQLite and PostgreSQL backends split by domain;
//! - [`error`], [`limits`], [`auth`], [`device_keys`], [`blobs`], [`drawings`], [`events`]
//!   (live events, across instances on PostgreSQL), [`webhooks`], [`signatures`]: services
//!   over storage;
//! - [`state`]: what every handler gets;
//! - [`desk`]: what the desk does, whichever face asks;
//! - the two faces: [`routes`] (JSON) and [`dashboard`] (HTML pages);
//! - [`app`]: the faces joined under the shared layers; [`serve`]: the connections they are
//!   served on; this file starts and stops it all.

pub mod app;
pub mod auth;
pub mod blobs;
pub mod callbacks;
pub mod clock;
pub mod complaints;
pub mod config;
pub mod dashboard;
pub mod desk;
pub mod device_keys;
pub mod drawings;
pub mod error;
pub mod events;
pub mod i18n;
pub mod instance;
pub mod limits;
pub mod measures;
pub mod metrics;
pub mod msg;
pub mod net;
pub mod openapi;
pub mod people;
pub mod push;
pub mod records;
pub mod routes;
pub mod serve;
pub mod signatures;
pub mod sla;
pub mod spares;
pub mod state;
pub mod storage;
pub mod stored;
#[cfg(test)]
mod test_ops;
pub mod tls;
pub mod tools;
pub mod webhooks;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

pub use config::Config;

/// The log filter: `RUST_LOG` when set, else `default` (see [`log_filter_from`]).
pub fn log_filter(default: &str) -> tracing_subscriber::EnvFilter {
    log_filter_from(&std::env::var("RUST_LOG").unwrap_or_else(|_| default.to_owned()))
}

/// The log filter `spec` asks for, with the PostgreSQL driver held at `info` whatever it
/// says: at `debug` the driver logs every query's parameters, customers' names, phones and
/// addresses among them. A spec that does not parse falls back to `info`.
pub fn log_filter_from(spec: &str) -> tracing_subscriber::EnvFilter {
    let filter = tracing_subscriber::EnvFilter::try_new(spec)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    match "tokio_postgres=info".parse() {
        Ok(cap) => filter.add_directive(cap),
        Err(_) => filter,
    }
}
use object_store::ObjectStore;
use tokio::sync::watch;

use crate::auth::{RateLimiter, TrustedProxies, hash_secret, new_admin_token};
use crate::state::AppState;
use crate::storage::Storage;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("data dir: {0}")]
    DataDir(std::io::Error),
    #[error("storage: {0}")]
    Storage(#[from] storage::StorageError),
    #[error("blob store: {0}")]
    Blobs(String),
    #[error("listen: {0}")]
    Listen(std::io::Error),
    #[error("TLS: {0}")]
    Tls(String),
}

/// A running server.
pub struct Server {
    addr: SocketAddr,
    metrics_addr: Option<SocketAddr>,
    admin_token: String,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    metrics_task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    drawings: drawings::Worker,
    instance: Arc<instance::Instance>,
    storage: Arc<dyn Storage>,
    webhooks: Option<webhooks::Worker>,
    feed: Arc<webhooks::Feed>,
    /// PostgreSQL's live-event publisher and listener (`None`: in process).
    live: Option<events::LiveTasks>,
    events: Arc<events::Events>,
}

impl Server {
    /// Opens storage, binds the listener and starts serving in the background.
    pub async fn start(config: Config) -> Result<Server, StartError> {
        std::fs::create_dir_all(&config.data_dir).map_err(StartError::DataDir)?;
        let pg_url = config
            .database_url
            .as_deref()
            .filter(|u| u.starts_with("postgres://") || u.starts_with("postgresql://"));
        let storage: Arc<dyn Storage> = match pg_url {
            Some(url) => Arc::new(
                storage::postgres::PostgresStorage::connect(url, config.pg_max_connections).await?,
            ),
            None => Arc::new(storage::sqlite::SqliteStorage::open(&config.data_dir)?),
        };
        // Boards and streams hear every instance's changes through PostgreSQL.
        let (events, live) = match pg_url {
            Some(url) => {
                let (e, t) = events::Events::postgres(url).await?;
                (e, Some(t))
            }
            None => (events::Events::in_process(), None),
        };
        let blob_store = blob_store(&config)?;
        let admin_token = match &config.admin_token {
            Some(t) if !t.trim().is_empty() => t.trim().to_owned(),
            _ => admin_token_file(&config.data_dir).map_err(StartError::DataDir)?,
        };
        let token_key: Arc<[u8]> = {
            let mut fresh = vec![0u8; 32];
            rand::RngCore::fill_bytes(&mut rand::rng(), &mut fresh);
            storage
                .server_key(device_keys::TOKEN_KEY, fresh)
                .await?
                .into()
        };
        let clock = config.clock.clone();
        let instance = Arc::new(instance::Instance::new());
        let drawings = drawings::Drawings::default();
        let feed = Arc::new(webhooks::Feed::new(events.clone()));
        let board = Arc::new(state::BoardEvents::new(events.clone()));
        // A completion counted once its drawings match: the feed and the boards hear of it.
        let drawings_task = drawings.start(
            storage.clone(),
            clock.clone(),
            {
                let (feed, board) = (feed.clone(), board.clone());
                Arc::new(move |job: &str| {
                    feed.completions_pushed();
                    board.job_changed(job);
                })
            },
            drawings::WorkerSettings {
                instance: instance.id().to_owned(),
                rescan: Duration::from_millis(config.drawing_rescan_ms.max(10)),
                lease: Duration::from_millis(config.drawing_lease_ms.max(1_000)),
            },
        );
        let metrics = Arc::new(metrics::Metrics::default());
        let webhook_policy = webhooks::WebhookPolicy {
            allow: config.webhook_allow.clone().into(),
        };
        let state = AppState {
            feed: feed.clone(),
            storage: storage.clone(),
            clock,
            drawings,
            blobs: blobs::Blobs::new(blob_store, config.max_blob_bytes),
            metrics: metrics.clone(),
            admin_token_hash: hash_secret(&admin_token).into(),
            token_key,
            policy: push::PushPolicy {
                max_clock_skew_ms: config.max_clock_skew_secs.saturating_mul(1000),
            },
            enroll_limiter: Arc::new(RateLimiter::shared(
                config.enroll_per_minute,
                Duration::from_secs(60),
                storage.clone(),
                "enroll",
                config.clock.clone(),
            )),
            enrolment_code_ttl_minutes: config.enrolment_code_ttl_minutes,
            max_body_bytes: config.max_body_bytes,
            board,
            dashboard: state::Settings {
                utc_offset_minutes: config.dashboard_utc_offset_minutes,
                session_minutes: config.dashboard_session_minutes.max(1),
                idle_minutes: config.dashboard_idle_minutes.max(1),
                https: config.tls_cert.is_some()
                    || config
                        .public_url
                        .as_deref()
                        .is_some_and(|u| u.starts_with("https://")),
                copy: Arc::new(state::CopySettings {
                    font: config.pdf_font.clone(),
                    font_index: config.pdf_font_index,
                    public_url: config.public_url.clone(),
                    company: config.company_name.clone(),
                    service_hotline: config.service_hotline.clone(),
                }),
            },
            login_limiter: Arc::new(RateLimiter::shared(
                config.login_per_minute,
                Duration::from_secs(60),
                storage.clone(),
                "login",
                config.clock.clone(),
            )),
            limits: Arc::new(limits::Limits {
                requests: limits::Gate::new(config.max_concurrent_requests),
                writes: limits::Gate::new(config.max_queued_writes),
                verify: limits::Gate::new(config.verify_concurrency),
                devices: limits::DeviceBuckets::new(
                    config.device_requests_per_minute,
                    config.device_burst,
                    config.clock.clone(),
                ),
            }),
            trusted_proxies: TrustedProxies(config.trusted_proxies.clone().into()),
            webhook_policy,
            password_gate: Arc::new(auth::PasswordGate::new(
                config
                    .password_hash_concurrency
                    .unwrap_or_else(auth::PasswordGate::default_permits),
                config.password_hash_queue,
            )),
            login_backoff: auth::LoginBackoff {
                free: config.login_backoff_after.max(1),
                max_ms: config.login_backoff_max_secs.max(1).saturating_mul(1000),
                ..auth::LoginBackoff::default()
            },
            instance: instance.clone(),
        };
        let app = app::router(state, Duration::from_secs(config.body_timeout_secs));
        let conn_limits = serve::ConnLimits {
            header_read_timeout: Duration::from_secs(config.header_read_timeout_secs),
            idle_timeout: Duration::from_secs(config.idle_timeout_secs),
            max_connections: config.max_connections,
        };
        let tls = match (&config.tls_cert, &config.tls_key) {
            (Some(cert), Some(key)) => {
                Some(tls::server_config(cert, key).map_err(StartError::Tls)?)
            }
            (None, None) => None,
            _ => return Err(StartError::Tls("give both --tls-cert and --tls-key".into())),
        };
        let listener = listen(config.listen).map_err(StartError::Listen)?;
        let addr = listener.local_addr().map_err(StartError::Listen)?;
        // Bound before anything is served: a metrics address that cannot be had fails the
        // start.
        let metrics_listener = match config.metrics_listen {
            Some(a) => Some(listen(a).map_err(StartError::Listen)?),
            None => None,
        };
        let (shutdown, stopped) = watch::channel(false);
        let stop = |mut rx: watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        let task = match tls {
            None => tokio::spawn(serve::run(
                listener,
                app,
                conn_limits,
                stop(stopped.clone()),
            )),
            Some(tls) => {
                let listener = tls::TlsListener::new(listener, tls, config.max_connections)
                    .map_err(StartError::Listen)?;
                tokio::spawn(serve::run(
                    listener,
                    app,
                    conn_limits,
                    stop(stopped.clone()),
                ))
            }
        };
        let (metrics_addr, metrics_task) = match metrics_listener {
            Some(l) => {
                let a = l.local_addr().map_err(StartError::Listen)?;
                tracing::info!(addr = %a, "metrics listening");
                let app = app::metrics_router(metrics);
                (
                    Some(a),
                    Some(tokio::spawn(serve::run(
                        l,
                        app,
                        conn_limits,
                        stop(stopped.clone()),
                    ))),
                )
            }
            None => (None, None),
        };
        let delivery = delivery_settings(&config);
        let webhooks = webhooks::Worker::start(storage.clone(), feed.clone(), delivery);
        let scheme = if config.tls_cert.is_some() {
            "https"
        } else {
            "http"
        };
        tracing::info!(%addr, scheme, backend = storage.backend(), instance = instance.id(),
            "fieldkit-server listening");
        Ok(Server {
            addr,
            metrics_addr,
            admin_token,
            shutdown,
            task,
            metrics_task,
            drawings: drawings_task,
            instance,
            storage,
            webhooks: Some(webhooks),
            feed,
            live,
            events,
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The address `/metrics` is served on without a token (`--metrics-listen`), if any.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// The dispatcher's token (configured or generated).
    pub fn admin_token(&self) -> &str {
        &self.admin_token
    }

    /// The storage backend in use.
    pub fn storage(&self) -> Arc<dyn Storage> {
        self.storage.clone()
    }

    /// The live events this server publishes and hears ([`events`]).
    pub fn events(&self) -> Arc<events::Events> {
        self.events.clone()
    }

    /// This instance's id (what its leases are held under).
    pub fn instance_id(&self) -> &str {
        self.instance.id()
    }

    /// Starts draining: `/readyz` answers 503 from now on (a load balancer stops sending
    /// new requests) while everything is still served. [`Server::shutdown`] drains too.
    pub fn drain(&self) {
        self.instance.drain();
    }

    /// Drains and stops: stops accepting, ends the SSE streams, lets requests in flight
    /// (pushes among them) finish, stops the drawing worker and releases the checks it
    /// holds to the other instances, stops the webhook worker (attempts in flight end and
    /// are recorded first), and returns.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        self.instance.drain();
        self.shutdown.send_replace(true);
        self.feed.close();
        let served = match (&mut self.task).await {
            Ok(r) => r,
            Err(e) => Err(std::io::Error::other(e)),
        };
        if let Some(t) = self.metrics_task.take() {
            let _ = t.await;
        }
        // A check not done is still waiting in storage, its lease released: another
        // instance (or the next start) does it.
        self.drawings.stop().await;
        if let Some(w) = self.webhooks.take() {
            w.stop().await;
        }
        // What this instance changed last reaches the other instances' boards.
        if let Some(live) = self.live.take() {
            live.stop(Duration::from_secs(2)).await;
        }
        served
    }
}

/// Connections waiting to be accepted. A fleet coming back online at once connects in a burst:
/// a short queue (the platform's default may be 128) drops SYNs, and each dropped one costs
/// its device a one-second retransmit.
const ACCEPT_BACKLOG: u32 = 4096;

/// Binds the listening socket with [`ACCEPT_BACKLOG`].
fn listen(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(ACCEPT_BACKLOG)
}

/// Runs the server until Ctrl-C or SIGTERM, then drains: `/readyz` answers 503 for
/// `--drain-delay-secs` while everything is still served, then [`Server::shutdown`].
pub async fn serve(config: Config) -> Result<(), StartError> {
    let delay = Duration::from_secs(config.drain_delay_secs);
    let server = Server::start(config).await?;
    shutdown_signal().await;
    server.drain();
    tracing::info!(delay_secs = delay.as_secs(), "draining");
    if !delay.is_zero() {
        // The load balancer's readiness checks see the 503 and send nothing new.
        tokio::time::sleep(delay).await;
    }
    tracing::info!("shutting down");
    server.shutdown().await.map_err(StartError::Listen)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// The admin token from `<data_dir>/admin-token`, generated (mode 0600) on first start.
fn admin_token_file(dir: &Path) -> std::io::Result<String> {
    let path = dir.join("admin-token");
    match std::fs::read_to_string(&path) {
        Ok(t) if !t.trim().is_empty() => return Ok(t.trim().to_owned()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let token = new_admin_token();
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&path)?;
    std::io::Write::write_all(&mut f, format!("{token}\n").as_bytes())?;
    f.sync_all()?;
    tracing::info!(path = %path.display(), "generated the dispatcher's admin token");
    Ok(token)
}

fn delivery_settings(c: &Config) -> webhooks::DeliverySettings {
    webhooks::DeliverySettings {
        max_attempts: c.webhook_max_attempts.max(1),
        timeout: Duration::from_millis(c.webhook_timeout_ms.max(1)),
        backoff_base: Duration::from_millis(c.webhook_backoff_ms.max(1)),
        backoff_cap: Duration::from_millis(
            c.webhook_backoff_cap_ms.max(c.webhook_backoff_ms.max(1)),
        ),
        poll: Duration::from_millis(c.webhook_poll_ms.max(10)),
        concurrency: c.webhook_concurrency.max(1),
        clock: c.clock.clone(),
        policy: webhooks::WebhookPolicy {
            allow: c.webhook_allow.clone().into(),
        },
    }
}

fn blob_store(config: &Config) -> Result<Arc<dyn ObjectStore>, StartError> {
    let local = |dir: &Path| -> Result<Arc<dyn ObjectStore>, StartError> {
        std::fs::create_dir_all(dir).map_err(StartError::DataDir)?;
        let fs = object_store::local::LocalFileSystem::new_with_prefix(dir)
            .map_err(|e| StartError::Blobs(e.to_string()))?;
        Ok(Arc::new(fs))
    };
    match config.blob_url.as_deref() {
        None => local(&config.data_dir.join("blobs")),
        Some(u) if u.starts_with("file://") => local(Path::new(&u["file://".len()..])),
        Some(u) if u.starts_with("s3://") => s3_store(u, config),
        Some(_) => Err(StartError::Blobs(
            "blob url must be file:///path or s3://bucket/prefix".into(),
        )),
    }
}

/// An S3-compatible store for `s3://bucket/prefix`: the bucket from the URL, every key under
/// the prefix; endpoint, region and credentials from the `--s3-*` settings over the AWS_*
/// environment.
#[cfg(feature = "s3")]
fn s3_store(url: &str, config: &Config) -> Result<Arc<dyn ObjectStore>, StartError> {
    let rest = &url["s3://".len()..];
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(StartError::Blobs("s3://bucket/prefix: no bucket".into()));
    }
    let mut b = object_store::aws::AmazonS3Builder::from_env().with_bucket_name(bucket);
    if let Some(e) = &config.s3_endpoint {
        b = b
            .with_endpoint(e)
            .with_allow_http(e.starts_with("http://"))
            .with_virtual_hosted_style_request(false);
    }
    if let Some(r) = &config.s3_region {
        b = b.with_region(r);
    }
    if let Some(k) = &config.s3_access_key_id {
        b = b.with_access_key_id(k);
    }
    if let Some(k) = &config.s3_secret_access_key {
        b = b.with_secret_access_key(k);
    }
    let s3 = b.build().map_err(|e| StartError::Blobs(e.to_string()))?;
    let prefix = prefix.trim_matches('/');
    if prefix.is_empty() {
        Ok(Arc::new(s3))
    } else {
        Ok(Arc::new(object_store::prefix::PrefixStore::new(s3, prefix)))
    }
}

#[cfg(not(feature = "s3"))]
fn s3_store(_url: &str, _config: &Config) -> Result<Arc<dyn ObjectStore>, StartError> {
    Err(StartError::Blobs(
        "this build has no S3 support: build fieldkit-server with `--features s3`".into(),
    ))
}
