//! Configuration by flags and environment (clap), and what it resolves to at start-up.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;

use crate::clock::Clock;
use crate::net::Cidr;

/// The server's settings. Every flag also reads an environment variable.
#[derive(Clone, Debug, Parser)]
#[command(
    name = "fieldkit-server",
    about = "FieldKit sync server and dispatcher API"
)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "FIELDKIT_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Directory for the embedded database, local blobs and the generated admin token.
    #[arg(long, env = "FIELDKIT_DATA_DIR", default_value = "fieldkit-data")]
    pub data_dir: PathBuf,
    /// `postgres://…` selects PostgreSQL; absent, SQLite in the data dir.
    #[arg(long, env = "FIELDKIT_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Blob storage: absent = `<data-dir>/blobs`; `file:///path`; `s3://bucket/prefix`
    /// (S3-compatible; needs the `s3` feature; credentials, region and endpoint from the
    /// `--s3-*` settings, else the AWS_* environment).
    #[arg(long, env = "FIELDKIT_BLOB_URL")]
    pub blob_url: Option<String>,
    /// S3-compatible storage's endpoint (`https://oss-cn-hangzhou.aliyuncs.com`,
    /// `http://127.0.0.1:9000` for MinIO…), addressed path-style; absent, AWS's own (or
    /// `AWS_ENDPOINT`). An `http://` endpoint is allowed, for a store on a private network.
    #[arg(long, env = "FIELDKIT_S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,
    /// S3 region; absent, `AWS_REGION` or `us-east-1`.
    #[arg(long, env = "FIELDKIT_S3_REGION")]
    pub s3_region: Option<String>,
    /// S3 access key id; absent, `AWS_ACCESS_KEY_ID` (or the instance's role).
    #[arg(long, env = "FIELDKIT_S3_ACCESS_KEY_ID")]
    pub s3_access_key_id: Option<String>,
    /// S3 secret access key; absent, `AWS_SECRET_ACCESS_KEY`.
    #[arg(long, env = "FIELDKIT_S3_SECRET_ACCESS_KEY", hide_env_values = true)]
    pub s3_secret_access_key: Option<String>,
    /// The dispatcher's bearer token; absent, one is generated and written to
    /// `<data-dir>/admin-token` (and reused from there).
    #[arg(long, env = "FIELDKIT_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// Device clocks further than this from the server's are flagged (seconds).
    #[arg(long, env = "FIELDKIT_MAX_CLOCK_SKEW_SECS", default_value_t = 600)]
    pub max_clock_skew_secs: i64,
    /// Largest request body after decompression (bytes).
    #[arg(long, env = "FIELDKIT_MAX_BODY_BYTES", default_value_t = 8 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Largest blob (bytes).
    #[arg(long, env = "FIELDKIT_MAX_BLOB_BYTES", default_value_t = 256 * 1024 * 1024)]
    pub max_blob_bytes: u64,
    /// Enrolment attempts allowed per client address per minute.
    #[arg(long, env = "FIELDKIT_ENROLL_PER_MINUTE", default_value_t = 20)]
    pub enroll_per_minute: u32,
    /// How long an enrolment code stays valid (minutes), unless the dispatcher says: short,
    /// since the technician enrols while on the phone with the desk.
    #[arg(
        long,
        env = "FIELDKIT_ENROLMENT_CODE_TTL_MINUTES",
        default_value_t = 30
    )]
    pub enrolment_code_ttl_minutes: i64,
    /// PostgreSQL pool size.
    #[arg(long, env = "FIELDKIT_PG_MAX_CONNECTIONS", default_value_t = 16)]
    pub pg_max_connections: usize,
    /// Webhook deliveries: attempts before one is marked failed.
    #[arg(long, env = "FIELDKIT_WEBHOOK_MAX_ATTEMPTS", default_value_t = 10)]
    pub webhook_max_attempts: i64,
    /// Webhook deliveries: timeout of one attempt (ms).
    #[arg(long, env = "FIELDKIT_WEBHOOK_TIMEOUT_MS", default_value_t = 10_000)]
    pub webhook_timeout_ms: u64,
    /// Webhook deliveries: the first retry's wait (ms); each next one doubles, with jitter.
    #[arg(long, env = "FIELDKIT_WEBHOOK_BACKOFF_MS", default_value_t = 5_000)]
    pub webhook_backoff_ms: u64,
    /// Webhook deliveries: the longest wait between attempts (ms).
    #[arg(
        long,
        env = "FIELDKIT_WEBHOOK_BACKOFF_CAP_MS",
        default_value_t = 3_600_000
    )]
    pub webhook_backoff_cap_ms: u64,
    /// Completions feed: how often it is polled when no push wakes it (ms).
    #[arg(long, env = "FIELDKIT_WEBHOOK_POLL_MS", default_value_t = 1_000)]
    pub webhook_poll_ms: u64,
    /// Webhook deliveries in flight at most.
    #[arg(long, env = "FIELDKIT_WEBHOOK_CONCURRENCY", default_value_t = 8)]
    pub webhook_concurrency: usize,
    /// Dashboard: the dispatchers' UTC offset for the times shown and typed (minutes; China:
    /// 480).
    #[arg(
        long,
        env = "FIELDKIT_DASHBOARD_UTC_OFFSET_MINUTES",
        default_value_t = 480
    )]
    pub dashboard_utc_offset_minutes: i32,
    /// Dashboard: how long a login lasts (minutes).
    #[arg(long, env = "FIELDKIT_DASHBOARD_SESSION_MINUTES", default_value_t = 12 * 60)]
    pub dashboard_session_minutes: i64,
    /// Dashboard: login attempts per minute and client address.
    #[arg(long, env = "FIELDKIT_LOGIN_PER_MINUTE", default_value_t = 30)]
    pub login_per_minute: u32,
    /// Dashboard: a login ends after this many minutes without a request from the
    /// dispatcher (the board's own background refreshes do not count).
    #[arg(long, env = "FIELDKIT_DASHBOARD_IDLE_MINUTES", default_value_t = 30)]
    pub dashboard_idle_minutes: i64,
    /// Password hashes and checks (argon2id, ~19 MiB each) run at once at most; absent:
    /// two per core, at least 2.
    #[arg(long, env = "FIELDKIT_PASSWORD_HASH_CONCURRENCY")]
    pub password_hash_concurrency: Option<usize>,
    /// Logins waiting for a password check at most; more are refused (503) at once.
    #[arg(long, env = "FIELDKIT_PASSWORD_HASH_QUEUE", default_value_t = 64)]
    pub password_hash_queue: usize,
    /// Failed logins in a row one login name may have (from any address) before each next
    /// attempt must wait (30 s, doubling).
    #[arg(long, env = "FIELDKIT_LOGIN_BACKOFF_AFTER", default_value_t = 5)]
    pub login_backoff_after: i64,
    /// The longest such wait (seconds): the bound on how long failed logins can keep a
    /// login name out.
    #[arg(long, env = "FIELDKIT_LOGIN_BACKOFF_MAX_SECS", default_value_t = 900)]
    pub login_backoff_max_secs: i64,
    /// Serve HTTPS with this certificate chain (PEM, leaf first); needs `--tls-key`. Without
    /// it the server speaks plain HTTP (behind a TLS-terminating proxy, or on loopback).
    #[arg(long, env = "FIELDKIT_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key of `--tls-cert` (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, env = "FIELDKIT_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// The address customers and devices reach this server at (e.g.
    /// `https://sync.example.com`): the customer's copy's QR code points at its verify page.
    /// Without it the dashboard uses the address the dispatcher's browser used.
    #[arg(long, env = "FIELDKIT_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// The customer's copy: a font covering Chinese and Latin (TTF/OTF/TTC).
    #[arg(
        long,
        env = "FIELDKIT_PDF_FONT",
        default_value = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
    )]
    pub pdf_font: PathBuf,
    /// The face in the font collection.
    #[arg(long, env = "FIELDKIT_PDF_FONT_INDEX", default_value_t = 0)]
    pub pdf_font_index: u32,
    /// The company named on the customer's copy.
    #[arg(long, env = "FIELDKIT_COMPANY_NAME", default_value = "FieldKit")]
    pub company_name: String,
    /// The company's service hotline (服务热线, e.g. `400-820-8820`): sent to the phones with
    /// the technician's card and printed on the customer's copy. Default: none (nothing is
    /// printed; never a made-up number).
    #[arg(long, env = "FIELDKIT_SERVICE_HOTLINE", value_parser = crate::people::card::parse_hotline)]
    pub service_hotline: Option<String>,
    /// Connections: a request's headers must arrive within this long (seconds) of the
    /// server starting to wait for them (a new connection, or the next request on a kept-alive
    /// one), else the connection is closed.
    #[arg(long, env = "FIELDKIT_HEADER_READ_TIMEOUT_SECS", default_value_t = 10)]
    pub header_read_timeout_secs: u64,
    /// Requests: the longest pause while a request body arrives (seconds); a body that stalls
    /// longer is abandoned (the request fails).
    #[arg(long, env = "FIELDKIT_BODY_TIMEOUT_SECS", default_value_t = 30)]
    pub body_timeout_secs: u64,
    /// Connections: one that moves no byte either way for this long (seconds) is closed.
    #[arg(long, env = "FIELDKIT_IDLE_TIMEOUT_SECS", default_value_t = 120)]
    pub idle_timeout_secs: u64,
    /// Connections open at once at most; further ones wait in the listen backlog.
    #[arg(long, env = "FIELDKIT_MAX_CONNECTIONS", default_value_t = 4096)]
    pub max_connections: usize,
    /// Requests handled at once at most; over it a request is answered 503 with
    /// `Retry-After`.
    #[arg(long, env = "FIELDKIT_MAX_CONCURRENT_REQUESTS", default_value_t = 512)]
    pub max_concurrent_requests: usize,
    /// Each device's pushes and pulls: a token bucket refilled at this many requests per
    /// minute; over it a 429 with `Retry-After`.
    #[arg(
        long,
        env = "FIELDKIT_DEVICE_REQUESTS_PER_MINUTE",
        default_value_t = 600
    )]
    pub device_requests_per_minute: u32,
    /// Each device's bucket holds this many requests (the burst a device may make at once).
    #[arg(long, env = "FIELDKIT_DEVICE_BURST", default_value_t = 120)]
    pub device_burst: u32,
    /// Pushes waiting for or in the database writer at most; over it a 503 with
    /// `Retry-After` (the device retries later instead of queueing without end).
    #[arg(long, env = "FIELDKIT_MAX_QUEUED_WRITES", default_value_t = 256)]
    pub max_queued_writes: usize,
    /// The public verify page: lookups at once at most (they read beside the writer, never
    /// through it); over it a 503 with `Retry-After`.
    #[arg(long, env = "FIELDKIT_VERIFY_CONCURRENCY", default_value_t = 8)]
    pub verify_concurrency: usize,
    /// Reverse proxies whose `X-Forwarded-For` is believed (addresses or CIDR ranges,
    /// comma-separated). The rate limits count per client: the TCP peer, or behind these the
    /// right-most address in `X-Forwarded-For` that is not one of them; IPv6 per /64.
    #[arg(long, env = "FIELDKIT_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<Cidr>,
    /// Webhooks: addresses (or CIDR ranges, comma-separated) receivers may have although
    /// internal (loopback, private, link-local…), reachable over plain `http://` too. Without
    /// it webhooks are `https://` only and never reach an internal address.
    #[arg(long, env = "FIELDKIT_WEBHOOK_ALLOW", value_delimiter = ',')]
    pub webhook_allow: Vec<Cidr>,
    /// Serve `/metrics` without a token on this separate address (e.g. a private
    /// interface). On the public address `/metrics` always needs the admin token.
    #[arg(long, env = "FIELDKIT_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    /// How often the signature-drawing worker looks for checks nobody woke it for (another
    /// instance's pushes, a stopped instance's leases ended), in milliseconds.
    #[arg(long, env = "FIELDKIT_DRAWING_RESCAN_MS", default_value_t = 5_000)]
    pub drawing_rescan_ms: u64,
    /// How long an instance's claim on a drawing check holds, in milliseconds: the checks
    /// of an instance that died are taken over by another once it ends (a check takes
    /// milliseconds; keep it well above that).
    #[arg(long, env = "FIELDKIT_DRAWING_LEASE_MS", default_value_t = 60_000)]
    pub drawing_lease_ms: u64,
    /// On SIGTERM, how long `/readyz` answers 503 while the server still serves, before it
    /// stops accepting (time for a load balancer to take it out of rotation), in seconds.
    #[arg(long, env = "FIELDKIT_DRAIN_DELAY_SECS", default_value_t = 0)]
    pub drain_delay_secs: u64,
    /// The time the server goes by: the system's (tests may set a manual one).
    #[arg(skip)]
    pub clock: Clock,
}

impl Config {
    /// Defaults with this data dir, listening on 127.0.0.1 and a free port (tests).
    pub fn for_tests(data_dir: impl Into<PathBuf>) -> Self {
        let mut c = Config::parse_from(["fieldkit-server"]);
        c.listen = SocketAddr::from(([127, 0, 0, 1], 0));
        c.data_dir = data_dir.into();
        c.database_url = None;
        c.blob_url = None;
        c.s3_endpoint = None;
        c.s3_region = None;
        c.s3_access_key_id = None;
        c.s3_secret_access_key = None;
        c.admin_token = None;
        c
    }
}
