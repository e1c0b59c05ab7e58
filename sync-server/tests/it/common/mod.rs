//! Test helpers: a throwaway PostgreSQL cluster, a server on 127.0.0.1, an HTTP client, and
//! the dispatcher calls the tests make; a phone made of the core ([`journal`]), a hostile
//! client ([`hostile`]), a fault-injecting proxy ([`proxy`]) and a WebDriver client
//! ([`webdriver`]). Also compiled into the benchmarks (`benches/common`, by `#[path]`).
#![allow(dead_code)]

pub mod dashboard_fixture;
pub mod fleet;
pub mod hostile;
pub mod journal;
pub mod phone;
pub mod proxy;
pub mod s3;
pub mod webdriver;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{TimeZone, Utc};
use fieldkit_core::model::*;
use fieldkit_core::sync::client::SyncOptions;
use fieldkit_core::sync::device_key::DeviceKey;
use fieldkit_core::sync::protocol::{EnrollResponse, Op, PUSH_SIGNATURE};
use fieldkit_core::{DeviceConfig, FieldKit, demo};
use fieldkit_server::{Config, Server};
use serde_json::{Value, json};

/// A PostgreSQL cluster in a temp dir on a free port; stopped when dropped.
pub struct Pg {
    pub url: String,
    bin: PathBuf,
    dir: tempfile::TempDir,
    as_postgres: bool,
}

fn pg_bin() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists() && p.join("pg_ctl").exists())
        .collect();
    dirs.sort();
    dirs.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn run(as_postgres: bool, bin: &Path, tool: &str, args: &[&str]) -> std::process::Output {
    let exe = bin.join(tool);
    let out = if as_postgres {
        Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(&exe)
            .args(args)
            .output()
    } else {
        Command::new(&exe).args(args).output()
    };
    out.unwrap_or_else(|e| panic!("cannot run {}: {e}", exe.display()))
}

impl Pg {
    /// Starts a cluster, or `None` when PostgreSQL is absent and `FIELDKIT_SKIP_PG=1`.
    /// Panics with instructions when it is absent and skipping was not asked for.
    pub fn start() -> Option<Pg> {
        let Some(bin) = pg_bin() else {
            if std::env::var("FIELDKIT_SKIP_PG").as_deref() == Ok("1") {
                eprintln!("PostgreSQL not found: PostgreSQL tests skipped (FIELDKIT_SKIP_PG=1)");
                return None;
            }
            panic!(
                "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin: run \
                 `bash .ci/postgres.sh` (installs the Debian package), or set FIELDKIT_SKIP_PG=1 \
                 to skip the PostgreSQL backend"
            );
        };
        let as_postgres = is_root();
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        std::fs::create_dir(&data).expect("data dir");
        if as_postgres {
            let st = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .expect("chown");
            assert!(st.success(), "chown of the cluster dir to postgres failed");
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let d = data.to_string_lossy().to_string();
        let out = run(
            as_postgres,
            &bin,
            "initdb",
            &["-A", "trust", "-U", "postgres", "-E", "UTF8", "-D", &d],
        );
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // `FIELDKIT_PG_OPTS`: more server options for a diagnostic run (e.g. a bench's
        // `-c shared_preload_libraries=pg_stat_statements`); none in tests or CI.
        let extra = std::env::var("FIELDKIT_PG_OPTS").unwrap_or_default();
        let opts = format!("-p {port} -h 127.0.0.1 -k {d} -c fsync=on {extra}");
        let log = dir.path().join("pg.log").to_string_lossy().to_string();
        let out = run(
            as_postgres,
            &bin,
            "pg_ctl",
            &["-D", &d, "-o", &opts, "-l", &log, "-w", "start"],
        );
        assert!(
            out.status.success(),
            "pg_ctl start failed: {} {}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        Some(Pg {
            url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            bin,
            dir,
            as_postgres,
        })
    }
}

impl Pg {
    /// Runs one of the cluster's client tools (`pg_dump`…, from the same bin dir as the
    /// server) as the cluster's user.
    pub fn tool(&self, tool: &str, args: &[&str]) -> std::process::Output {
        run(self.as_postgres, &self.bin, tool, args)
    }

    /// The postmaster's process id (the first line of `postmaster.pid`), while it runs.
    pub fn postmaster_pid(&self) -> Option<u32> {
        let text = std::fs::read_to_string(self.dir.path().join("data/postmaster.pid")).ok()?;
        text.lines().next()?.trim().parse().ok()
    }

    /// The URL of another database of this cluster.
    pub fn url_of(&self, database: &str) -> String {
        let (server, _) = self.url.rsplit_once('/').expect("the url names a database");
        format!("{server}/{database}")
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        let d = self.dir.path().join("data").to_string_lossy().to_string();
        let _ = run(
            self.as_postgres,
            &self.bin,
            "pg_ctl",
            &["-D", &d, "-m", "immediate", "stop"],
        );
    }
}

/// A property test's config: `cases` cases, and the regressions kept beside the test's source
/// file (`judge_property.rs` → `judge_property.proptest-regressions`), where they were before
/// the tests became one binary. proptest's default looks for the directory holding a
/// `main.rs` (now `tests/it/`) and would use `tests/proptest-regressions/judge_property.txt`.
pub fn proptest_config(cases: u32) -> proptest::test_runner::Config {
    proptest::test_runner::Config {
        cases,
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::WithSource("proptest-regressions"),
        )),
        ..proptest::test_runner::Config::default()
    }
}

/// 2026-11-23 09:00 Beijing time: where the tests' manual clocks start.
pub fn morning() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 11, 23, 1, 0, 0).unwrap()
}

/// Which storage backend a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A server on 127.0.0.1 with its data dir (and cluster, for PostgreSQL).
pub struct TestServer {
    pub server: Server,
    pub base: String,
    pub admin: String,
    pub client: reqwest::Client,
    pub dir: tempfile::TempDir,
    pub pg: Option<Pg>,
    /// The keys of devices enrolled through [`TestServer::enrol`], by token: what
    /// [`TestServer::push_ops`] signs with.
    pub keys:
        std::sync::Mutex<std::collections::HashMap<String, (DeviceId, std::sync::Arc<DeviceKey>)>>,
}

/// An enrolment as the storage takes it, for storage-level tests: the device's key is named
/// after the token (the same token: the same key, a repeat).
pub fn enrolment(
    code_hash: String,
    device_id: DeviceId,
    token_hash: String,
    now: i64,
) -> fieldkit_server::storage::enrolment::Enrolment {
    fieldkit_server::storage::enrolment::Enrolment {
        code_hash,
        device_id,
        public_key: format!("key-of-{token_hash}"),
        token_hash,
        now,
    }
}

/// An HTTP client (rustls with the ring provider, as the device will use).
pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().build().expect("client")
}

/// Starts a server; `tweak` adjusts the config. `None` when PostgreSQL is skipped.
pub async fn server(backend: Backend, tweak: impl FnOnce(&mut Config)) -> Option<TestServer> {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = Config::for_tests(dir.path().join("server"));
    config.enroll_per_minute = 10_000;
    // Benchmarks and tests drive devices as fast as they go: no per-device bucket unless a
    // test sets one (`tests/it/limits.rs`).
    config.device_requests_per_minute = 0;
    let pg = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => {
            let pg = Pg::start()?;
            config.database_url = Some(pg.url.clone());
            Some(pg)
        }
    };
    tweak(&mut config);
    // Over TLS the test's own client trusts the certificates the server was given.
    let (scheme, client) = match &config.tls_cert {
        None => ("http", client()),
        Some(cert) => {
            let pem = std::fs::read(cert).expect("the test's certificate");
            let certs = reqwest::Certificate::from_pem_bundle(&pem).expect("PEM certificates");
            let _ = rustls::crypto::ring::default_provider().install_default();
            let client = reqwest::Client::builder()
                .tls_certs_merge(certs)
                .build()
                .expect("client");
            ("https", client)
        }
    };
    let server = Server::start(config).await.expect("server starts");
    let base = format!("{scheme}://{}", server.addr());
    let admin = server.admin_token().to_owned();
    Some(TestServer {
        server,
        base,
        admin,
        client,
        dir,
        pg,
        keys: Default::default(),
    })
}

impl TestServer {
    /// Another server instance on this one's PostgreSQL database (its own data dir, storage
    /// pool and state; the same admin token), as when several run behind a load balancer.
    /// Panics on SQLite (one instance only). `tweak` adjusts its config.
    pub async fn another_instance(&self, tweak: impl FnOnce(&mut Config)) -> TestServer {
        let url = self
            .pg
            .as_ref()
            .map(|pg| pg.url.clone())
            .expect("several instances need PostgreSQL");
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = Config::for_tests(dir.path().join("server"));
        config.enroll_per_minute = 10_000;
        config.device_requests_per_minute = 0;
        config.database_url = Some(url);
        config.admin_token = Some(self.admin.clone());
        tweak(&mut config);
        let server = Server::start(config).await.expect("the instance starts");
        TestServer {
            base: format!("http://{}", server.addr()),
            server,
            admin: self.admin.clone(),
            client: client(),
            dir,
            pg: None,
            keys: Default::default(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A dispatcher request (the admin token) to be finished and sent: for the calls
    /// [`TestServer::admin`] does not make (raw bodies, headers, streams, other answers).
    pub fn dispatcher(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(&self.admin)
    }

    /// A dispatcher call; returns status and JSON body (Null when empty).
    pub async fn admin(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut r = self.dispatcher(method, path);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let res = r.send().await.expect("request");
        let status = res.status().as_u16();
        let text = res.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn create_technician(&self, name: &str) -> String {
        let (s, v) = self
            .admin(
                reqwest::Method::POST,
                "/v1/admin/technicians",
                Some(json!({ "name": name })),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        v["id"].as_str().expect("id").to_owned()
    }

    /// A one-time enrolment code the desk makes for the technician.
    pub async fn enrolment_code(&self, technician_id: &str) -> String {
        let (s, v) = self
            .admin(
                reqwest::Method::POST,
                "/v1/admin/enrolment-codes",
                Some(json!({ "technician_id": technician_id })),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        v["code"].as_str().expect("a code").to_owned()
    }

    /// Enrols `device_id` for the technician with a fresh device key (kept for
    /// [`TestServer::push_ops`]); returns the enrolment answer.
    pub async fn enrol(&self, technician_id: &str, device_id: DeviceId) -> EnrollResponse {
        let code = self.enrolment_code(technician_id).await;
        let key = DeviceKey::generate().expect("a device key");
        let res = self
            .client
            .post(self.url("/v1/enroll"))
            .json(&key.enrolment(&code, device_id))
            .send()
            .await
            .expect("enroll");
        assert_eq!(res.status().as_u16(), 200);
        let got: EnrollResponse = res.json().await.expect("enroll body");
        self.keys
            .lock()
            .unwrap()
            .insert(got.token.clone(), (device_id, std::sync::Arc::new(key)));
        got
    }

    /// The `fieldkit-signature` header value for a push of `body` by the device holding
    /// `token` (enrolled through [`TestServer::enrol`]); `None` for a token it did not make.
    pub fn push_signature(&self, token: &str, body: &[u8]) -> Option<String> {
        let keys = self.keys.lock().unwrap();
        let (device, key) = keys.get(token)?;
        Some(key.sign_push(*device, body))
    }

    /// A signed push request of `ops` with `token` (not sent).
    pub fn signed_push(&self, token: &str, ops: &[Op]) -> reqwest::RequestBuilder {
        let body =
            serde_json::to_vec(&fieldkit_core::sync::protocol::PushRequest { ops: ops.to_vec() })
                .expect("push body");
        let mut req = self
            .client
            .post(self.url("/v1/push"))
            .bearer_auth(token)
            .header(reqwest::header::CONTENT_TYPE, "application/json");
        if let Some(sig) = self.push_signature(token, &body) {
            req = req.header(PUSH_SIGNATURE, sig);
        }
        req.body(body)
    }

    /// A technician's phone on the system clock: the core on its own database in a temp dir,
    /// its van stocked as the demo's ([`demo::stock_the_van`]), enrolled with a one-time code
    /// the desk makes (`options`: the phone's sync settings for the enrolment).
    pub async fn enrolled_kit(
        &self,
        technician_id: &str,
        options: &SyncOptions,
    ) -> (tempfile::TempDir, FieldKit) {
        let dir = tempfile::tempdir().expect("phone dir");
        let kit = FieldKit::open(dir.path(), DeviceConfig::default())
            .expect("the phone's database opens");
        demo::stock_the_van(&kit).expect("the van is stocked");
        let code = self.enrolment_code(technician_id).await;
        kit.enroll(&self.base, &code, options)
            .await
            .expect("the phone enrols");
        (dir, kit)
    }

    /// A read-only connection to the server's SQLite database (a `Backend::Sqlite` server).
    pub fn sqlite_db(&self) -> rusqlite::Connection {
        let path = self.dir.path().join("server").join("fieldkit-server.db");
        let c = rusqlite::Connection::open_with_flags(
            &path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .expect("server database");
        c.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
        c
    }

    /// Pushes `ops` with a device's token, expecting 200; the answer.
    pub async fn push_ops(
        &self,
        token: &str,
        ops: &[Op],
    ) -> fieldkit_core::sync::protocol::PushResponse {
        let res = self.signed_push(token, ops).send().await.expect("push");
        assert_eq!(res.status().as_u16(), 200);
        res.json().await.expect("push body")
    }

    /// Publishes what the demo's phones hold (`fieldkit_core::demo::stock_the_van`): the fee
    /// schedule and the drain pump. The server judges fee consents and parts against what
    /// the desk published.
    pub async fn publish_demo_catalog(&self) {
        let (s, v) = self
            .admin(
                reqwest::Method::POST,
                "/v1/admin/fee-schedules",
                Some(json!({ "fee_schedule": fieldkit_core::demo::fee_schedule() })),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        let (s, v) = self
            .admin(
                reqwest::Method::POST,
                "/v1/admin/parts",
                Some(json!({ "part": fieldkit_core::demo::van_part() })),
            )
            .await;
        assert_eq!(s, 201, "{v}");
    }

    /// The completions list once every drawing check has been done (the worker runs after
    /// the push is answered, and only then is a completion counted or held); gives up after
    /// 30 s.
    pub async fn settled_completions(&self) -> Vec<Value> {
        self.settled_completions_of("").await
    }

    /// [`TestServer::settled_completions`] of a query (`query`: e.g. `?state=held`).
    pub async fn settled_completions_of(&self, query: &str) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let (s, list) = self
                .admin(
                    reqwest::Method::GET,
                    &format!("/v1/admin/completions{query}"),
                    None,
                )
                .await;
            assert_eq!(s, 200, "{list}");
            let list = list.as_array().expect("a list").clone();
            if list.iter().all(|c| c["checks_pending"] == false) {
                return list;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "drawing checks still pending: {list:?}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Creates a work order (the fields of `order`) assigned to `technician_id`.
    pub async fn create_job(&self, order: &WorkOrder, technician_id: Option<&str>) -> Value {
        let (s, v) = self
            .admin(
                reqwest::Method::POST,
                "/v1/admin/work-orders",
                Some(json!({
                    "id": order.id,
                    "number": order.number,
                    "kind": order.kind,
                    "customer": order.customer,
                    "site": order.site,
                    "product": order.product,
                    "reported_fault": order.reported_fault,
                    "promised": order.promised,
                    "billing": order.billing,
                    "instructions": order.instructions,
                    "reported_at": order.reported_at,
                    "technician_id": technician_id,
                    "sale": order.sale,
                })),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        v
    }
}

/// A device's outbox entry as the wire op, whatever the outbox type is today (the older
/// `PendingOp` has no `visit_id` or `hash`: taken from the payload, or none).
pub fn to_wire<T: serde::Serialize>(p: &T) -> Op {
    let mut v = serde_json::to_value(p).expect("outbox entry serializes");
    if v.get("visit_id").is_none() {
        let visit = v["payload"].get("visit_id").cloned().unwrap_or(Value::Null);
        v["visit_id"] = visit;
    }
    if v.get("hash").is_none() {
        v["hash"] = Value::Null;
    }
    serde_json::from_value(v).expect("outbox entry is a wire op")
}

/// A dispatcher logged in to the dashboard over plain HTTP: the session cookie and the
/// session's CSRF token (read from a page's form).
pub struct DashboardLogin {
    pub cookie: String,
    pub csrf: String,
}

impl DashboardLogin {
    /// The same session reading the dashboard in English (the `fk_lang` cookie), for the
    /// tests that read the pages' English sentences.
    pub fn in_english(&self) -> DashboardLogin {
        DashboardLogin {
            cookie: format!("{}; fk_lang=en", self.cookie),
            csrf: self.csrf.clone(),
        }
    }
}

/// The value of `name="csrf" value="…"` in a page.
pub fn csrf_in(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    Some(html[at..].split('"').next()?.to_owned())
}

/// The `name=value` of a `Set-Cookie` header called `name`.
pub fn set_cookie(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap_or("").to_owned())
}

impl TestServer {
    /// An HTTP client that does not follow redirects (to see the dashboard's 303s).
    pub fn no_redirects(&self) -> reqwest::Client {
        let _ = rustls::crypto::ring::default_provider().install_default();
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
    }

    /// Creates a dashboard login with the administrator's role (every page) through the
    /// admin API.
    pub async fn create_dispatcher(&self, login: &str, password: &str) {
        self.create_account(login, password, "administrator").await;
    }

    /// Creates a dashboard login with `role` (`administrator` or `dispatcher`) through the
    /// admin API; its id.
    pub async fn create_account(&self, login: &str, password: &str, role: &str) -> String {
        let (s, v) = self
            .admin(
                reqwest::Method::POST,
                "/v1/admin/dispatchers",
                Some(json!({ "login": login, "password": password, "role": role })),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        v["id"].as_str().expect("the account's id").to_owned()
    }

    /// Logs in through the login form like a browser: GET the form (its double-submit
    /// cookie and token), POST it; the answer must be 303 to the board with a session.
    pub async fn dashboard_login(&self, login: &str, password: &str) -> DashboardLogin {
        let http = self.no_redirects();
        let res = http
            .get(self.url("/login"))
            .send()
            .await
            .expect("login page");
        assert_eq!(res.status().as_u16(), 200);
        let login_cookie = set_cookie(&res, "fk_login").expect("fk_login cookie");
        let token = csrf_in(&res.text().await.expect("body")).expect("login csrf");
        let res = http
            .post(self.url("/login"))
            .header(reqwest::header::COOKIE, &login_cookie)
            .form(&[
                ("csrf", token.as_str()),
                ("login", login),
                ("password", password),
            ])
            .send()
            .await
            .expect("login");
        assert_eq!(res.status().as_u16(), 303, "login refused");
        let cookie = set_cookie(&res, "fk_session").expect("session cookie");
        let board = http
            .get(self.url("/board"))
            .header(reqwest::header::COOKIE, &cookie)
            .send()
            .await
            .expect("board");
        assert_eq!(board.status().as_u16(), 200);
        let csrf = csrf_in(&board.text().await.expect("board body")).expect("session csrf");
        DashboardLogin { cookie, csrf }
    }

    /// A dashboard GET with the session; status and body.
    /// A job's page on the dashboard, as `who` sees it (must answer 200).
    pub async fn job_page(&self, who: &DashboardLogin, job: WorkOrderId) -> String {
        let (status, page) = self.page(who, &format!("/jobs/{job}")).await;
        assert_eq!(status, 200);
        page
    }

    pub async fn page(&self, who: &DashboardLogin, path: &str) -> (u16, String) {
        let res = self
            .no_redirects()
            .get(self.url(path))
            .header(reqwest::header::COOKIE, &who.cookie)
            .send()
            .await
            .expect("page");
        let status = res.status().as_u16();
        (status, res.text().await.expect("page body"))
    }

    /// A dashboard form POST with the session and its CSRF token; the raw response.
    pub async fn post_form(
        &self,
        who: &DashboardLogin,
        path: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut all = vec![("csrf", who.csrf.as_str())];
        all.extend_from_slice(fields);
        self.no_redirects()
            .post(self.url(path))
            .header(reqwest::header::COOKIE, &who.cookie)
            .form(&all)
            .send()
            .await
            .expect("post")
    }
}
