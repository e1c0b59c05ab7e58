//! Several instances on one database (issue 20): drawing checks claimed with leases (each
//! done once, a dead instance's taken over when its lease ends, a stopping instance's
//! released at once), rate limits counted in storage and shared, login backoff, sessions,
//! enrolment and push idempotency across two in-process servers on one PostgreSQL, and the
//! instance's lifecycle: `/readyz`, drain, a push in flight finished by the shutdown, and the
//! binary's SIGTERM.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::journal::Phone;
use crate::common::{self, Backend, Pg, TestServer};
use fieldkit_core::demo;
use fieldkit_core::model::*;
use fieldkit_core::sync::device_key::DeviceKey;
use fieldkit_core::sync::protocol::*;
use fieldkit_server::clock::Clock;
use fieldkit_server::drawings::check_waiting;
use fieldkit_server::storage::leases::DRAWING_LEASE_MS;
use fieldkit_server::storage::postgres::PostgresStorage;
use fieldkit_server::storage::sqlite::SqliteStorage;
use fieldkit_server::storage::{Flag, Storage};
use fieldkit_server::{Config, Server};
use reqwest::Method;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// 2027-01-15 08:00 UTC: the manual clocks' start.
const NOW: i64 = 1_800_000_000_000;
const LEASE: i64 = DRAWING_LEASE_MS;
pub(crate) const ADMIN: &str = "fk_admin_shared_by_both_instances_0123456789";
pub(crate) const DEADLINE: Duration = Duration::from_secs(30);

// ------------------------------------------------------------------ raw database access

/// The database behind a storage, for what the storage API does not show (rows as stored).
enum Raw {
    Sqlite(std::path::PathBuf),
    Pg(tokio_postgres::Client),
}

impl Raw {
    async fn pg(url: &str) -> Raw {
        let (c, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .expect("a raw connection");
        tokio::spawn(conn);
        Raw::Pg(c)
    }

    /// Runs `sql` (no parameters).
    async fn exec(&self, sql: &str) {
        match self {
            Raw::Sqlite(path) => {
                let c = rusqlite::Connection::open(path).unwrap();
                c.busy_timeout(Duration::from_secs(10)).unwrap();
                c.execute_batch(sql).unwrap();
            }
            Raw::Pg(c) => c.batch_execute(sql).await.unwrap(),
        }
    }

    /// The first column of the first row of `sql`, a count.
    async fn count(&self, sql: &str) -> i64 {
        match self {
            Raw::Sqlite(path) => {
                let c = rusqlite::Connection::open(path).unwrap();
                c.busy_timeout(Duration::from_secs(10)).unwrap();
                c.query_row(sql, [], |r| r.get(0)).unwrap()
            }
            Raw::Pg(c) => c.query_one(sql, &[]).await.unwrap().get(0),
        }
    }

    /// Adds waiting drawing checks `op-<n>` for `n` in `range` (never claimed, created in
    /// that order).
    async fn add_checks(&self, range: std::ops::Range<u32>) {
        let mut sql = String::new();
        for n in range {
            sql.push_str(&format!(
                "INSERT INTO drawing_checks (op_id, device_id, work_order_id, created_at)
                 VALUES ('op-{n:04}', 'dev', 'job-{n:04}', {});\n",
                NOW + i64::from(n)
            ));
        }
        self.exec(&sql).await;
    }
}

fn ids(checks: &[fieldkit_server::storage::DrawingCheck]) -> Vec<String> {
    checks.iter().map(|c| c.op_id.clone()).collect()
}

fn op_ids(range: std::ops::Range<u32>) -> Vec<String> {
    range.map(|n| format!("op-{n:04}")).collect()
}

// ------------------------------------------------------------------ the lease contract

/// The contract both backends keep: a claim hides its checks until its lease ends, oldest
/// first; a dead claimer's checks are taken over after the lease; a finish is recorded once
/// whoever finishes; a stopping claimer releases what it holds and another takes it at once.
async fn lease_contract(s: Arc<dyn Storage>, raw: Raw) {
    raw.add_checks(0..5).await;
    let a = s
        .claim_drawings("a".into(), NOW, NOW + LEASE, 3)
        .await
        .unwrap();
    assert_eq!(ids(&a), op_ids(0..3), "oldest first");
    let b = s
        .claim_drawings("b".into(), NOW, NOW + 2 * LEASE, 10)
        .await
        .unwrap();
    assert_eq!(ids(&b), op_ids(3..5), "the claimed ones are hidden");
    assert!(
        s.claim_drawings("b".into(), NOW + LEASE - 1, NOW + 2 * LEASE, 10)
            .await
            .unwrap()
            .is_empty(),
        "hidden until the lease ends"
    );
    assert_eq!(
        raw.count("SELECT COUNT(*) FROM drawing_checks WHERE claimed_by = 'a'")
            .await,
        3
    );

    // "a" died: its checks are taken over when the lease ends.
    let taken = s
        .claim_drawings("b".into(), NOW + LEASE, NOW + 2 * LEASE, 10)
        .await
        .unwrap();
    assert_eq!(ids(&taken), op_ids(0..3));

    // Both finish the same check (a's came back to life): recorded once, flags once.
    let flag = Flag {
        work_order_id: Some("job-0000".into()),
        op_id: Some("op-0000".into()),
        device_id: "dev".into(),
        kind: "signature".into(),
        detail: "signature x: the strokes do not draw the signature image".into(),
        said: None,
        created_at: NOW + LEASE,
    };
    assert!(
        s.finish_drawing("op-0000".into(), vec![flag.clone()], NOW + LEASE)
            .await
            .unwrap()
    );
    assert!(
        !s.finish_drawing("op-0000".into(), vec![flag], NOW + LEASE + 1)
            .await
            .unwrap(),
        "a second finish writes nothing"
    );
    assert_eq!(
        raw.count("SELECT COUNT(*) FROM flags WHERE op_id = 'op-0000'")
            .await,
        1
    );

    // "b" stops: it releases its four and "c" takes them at once; "a" holds nothing now.
    let at = NOW + LEASE + 5;
    assert_eq!(s.release_drawings("b".into(), at).await.unwrap(), 4);
    assert_eq!(s.release_drawings("a".into(), at).await.unwrap(), 0);
    let c = s
        .claim_drawings("c".into(), at, at + LEASE, 10)
        .await
        .unwrap();
    assert_eq!(ids(&c), op_ids(1..5));
    // What storage lists as waiting is what is not finished, claimed or not.
    assert_eq!(ids(&s.pending_drawings(10).await.unwrap()).len(), 0);
    assert_eq!(
        raw.count("SELECT COUNT(*) FROM drawing_checks").await,
        4,
        "claimed, not finished"
    );
}

/// The rate-limit counter both backends keep: per scope and key, per window; an older
/// window (an instance whose clock is behind) counts into the newer; swept when old.
async fn rate_limit_contract(s: Arc<dyn Storage>, raw: Raw) {
    let hit = |scope: &str, key: &str, w: i64| s.hit_rate_limit(scope.into(), key.into(), w);
    assert_eq!(hit("enroll", "10.0.0.1", NOW).await.unwrap(), 1);
    assert_eq!(hit("enroll", "10.0.0.1", NOW).await.unwrap(), 2);
    assert_eq!(hit("enroll", "10.0.0.2", NOW).await.unwrap(), 1, "per key");
    assert_eq!(hit("login", "10.0.0.1", NOW).await.unwrap(), 1, "per scope");
    assert_eq!(
        hit("enroll", "10.0.0.1", NOW - 60_000).await.unwrap(),
        3,
        "a clock behind counts into the newer window"
    );
    assert_eq!(
        hit("enroll", "10.0.0.1", NOW + 60_000).await.unwrap(),
        1,
        "a new window starts over"
    );
    assert_eq!(s.sweep_rate_limits(NOW + 60_000).await.unwrap(), 2);
    assert_eq!(raw.count("SELECT COUNT(*) FROM rate_limits").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leases_and_counters_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let s: Arc<dyn Storage> = Arc::new(SqliteStorage::open(dir.path()).unwrap());
    let db = dir.path().join("fieldkit-server.db");
    lease_contract(s.clone(), Raw::Sqlite(db.clone())).await;
    rate_limit_contract(s, Raw::Sqlite(db)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leases_and_counters_postgres() {
    let Some(pg) = Pg::start() else { return };
    let s: Arc<dyn Storage> = Arc::new(PostgresStorage::connect(&pg.url, 4).await.unwrap());
    lease_contract(s.clone(), Raw::pg(&pg.url).await).await;
    rate_limit_contract(s, Raw::pg(&pg.url).await).await;
}

/// Two instances (two pools) work the same 150 checks at once, each as its worker does:
/// every check is done exactly once, none is left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_do_every_check_once() {
    let Some(pg) = Pg::start() else { return };
    let mut instances = Vec::new();
    for name in ["i1", "i2"] {
        let s: Arc<dyn Storage> = Arc::new(PostgresStorage::connect(&pg.url, 4).await.unwrap());
        instances.push((name, s));
    }
    let raw = Raw::pg(&pg.url).await;
    raw.add_checks(0..150).await;
    let heard: Arc<Mutex<HashMap<String, Vec<&'static str>>>> = Default::default();
    let clock = Clock::manual(NOW);
    let mut workers = Vec::new();
    for (name, s) in instances {
        let (heard, clock) = (heard.clone(), clock.clone());
        workers.push(tokio::spawn(async move {
            let (_stop, stopped) = tokio::sync::watch::channel(false);
            let checked = move |job: &str| {
                heard
                    .lock()
                    .unwrap()
                    .entry(job.to_owned())
                    .or_default()
                    .push(name)
            };
            let mut claimed = 0;
            loop {
                let n = check_waiting(s.as_ref(), &clock, name, &checked, &stopped)
                    .await
                    .unwrap();
                if n == 0 {
                    return claimed;
                }
                claimed += n;
            }
        }));
    }
    let mut claimed = 0;
    for w in workers {
        claimed += w.await.unwrap();
    }
    let heard = heard.lock().unwrap().clone();
    assert_eq!(heard.len(), 150, "every check done");
    assert!(
        heard.values().all(|by| by.len() == 1),
        "each once: {:?}",
        heard
            .iter()
            .filter(|(_, by)| by.len() > 1)
            .collect::<Vec<_>>()
    );
    assert_eq!(claimed, 150, "each claimed once");
    assert_eq!(raw.count("SELECT COUNT(*) FROM drawing_checks").await, 0);
}

// ------------------------------------------------------------------ two servers, one PG

/// A server on the cluster's database with the shared admin token; `tweak` adjusts it.
pub(crate) async fn instance(pg: &Pg, tweak: impl FnOnce(&mut Config)) -> TestServer {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = Config::for_tests(dir.path().join("server"));
    config.enroll_per_minute = 10_000;
    config.device_requests_per_minute = 0;
    config.database_url = Some(pg.url.clone());
    config.admin_token = Some(ADMIN.into());
    tweak(&mut config);
    let server = Server::start(config).await.expect("server starts");
    TestServer {
        base: format!("http://{}", server.addr()),
        admin: ADMIN.into(),
        server,
        client: common::client(),
        dir,
        pg: None,
        keys: Default::default(),
    }
}

/// Waits until `done` holds, polling; fails after [`DEADLINE`].
pub(crate) async fn until<F: std::future::Future<Output = bool>>(
    what: &str,
    mut done: impl FnMut() -> F,
) {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while !done().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A check claimed by an instance that died is taken over by a running one when the lease
/// ends, by its periodic rescan (nothing wakes it): not before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_instances_check_is_taken_over_after_its_lease() {
    let Some(pg) = Pg::start() else { return };
    let clock = Clock::manual(NOW);
    let b = instance(&pg, |c| {
        c.clock = clock.clone();
        c.drawing_rescan_ms = 20;
    })
    .await;
    let raw = Raw::pg(&pg.url).await;
    raw.exec(&format!(
        "INSERT INTO drawing_checks (op_id, device_id, work_order_id, created_at, claimed_by,
                                     lease_until)
         VALUES ('op-dead', 'dev', 'job-dead', {NOW}, 'dead-instance', {});",
        NOW + LEASE
    ))
    .await;
    // A fresh check arrives behind it: once the worker did that one, it has looked at the
    // dead one too, and left it alone (leased).
    raw.add_checks(0..1).await;
    until("the fresh check done", || async {
        raw.count("SELECT COUNT(*) FROM drawing_checks WHERE op_id = 'op-0000'")
            .await
            == 0
    })
    .await;
    assert_eq!(
        raw.count("SELECT COUNT(*) FROM drawing_checks WHERE claimed_by = 'dead-instance'")
            .await,
        1,
        "not taken while the lease holds"
    );
    clock.advance(LEASE);
    until("the dead instance's check taken over", || async {
        raw.count("SELECT COUNT(*) FROM drawing_checks").await == 0
    })
    .await;
    b.server.shutdown().await.unwrap();
}

/// The per-address enrolment limit counts across instances; an account's login backoff and
/// a dashboard session hold on both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_backoff_and_sessions_are_shared() {
    let Some(pg) = Pg::start() else { return };
    let clock = Clock::manual(NOW);
    let tweak = |c: &mut Config| {
        c.clock = clock.clone();
        c.enroll_per_minute = 4;
        c.login_backoff_after = 2;
    };
    let a = instance(&pg, tweak).await;
    let b = instance(&pg, tweak).await;

    // Four wrong codes from one address, spread over both instances: the fifth is refused
    // by either, as it would be by one server.
    let key = DeviceKey::generate().unwrap();
    let wrong = key.enrolment("ABCD-EFGH-JKLM", DeviceId::new());
    let enrol = |ts: &TestServer| ts.client.post(ts.url("/v1/enroll")).json(&wrong).send();
    for ts in [&a, &b, &a, &b] {
        assert_eq!(enrol(ts).await.unwrap().status().as_u16(), 401);
    }
    for ts in [&a, &b] {
        assert_eq!(enrol(ts).await.unwrap().status().as_u16(), 429);
    }
    // A new window (the servers' clock) starts over.
    clock.advance(60_000);
    assert_eq!(enrol(&b).await.unwrap().status().as_u16(), 401);

    // Login backoff: two failures on A hold the account back on B, right password or not.
    a.create_account("desk", "dispatcher password", "dispatcher")
        .await;
    let try_login = |ts: &TestServer, password: &'static str| {
        let token = "ab".repeat(32);
        ts.no_redirects()
            .post(ts.url("/login"))
            .header(reqwest::header::COOKIE, format!("fk_login={token}"))
            .form(&[
                ("csrf", token.as_str()),
                ("login", "desk"),
                ("password", password),
            ])
            .send()
    };
    for _ in 0..2 {
        assert_eq!(try_login(&a, "a wrong guess").await.unwrap().status(), 401);
    }
    assert_eq!(
        try_login(&b, "dispatcher password").await.unwrap().status(),
        429
    );
    clock.advance(30_000);
    // A session opened on B is good on A.
    let who = b.dashboard_login("desk", "dispatcher password").await;
    let (status, _) = a.page(&who, "/board").await;
    assert_eq!(status, 200, "the session is in storage");
    b.server.shutdown().await.unwrap();
    a.server.shutdown().await.unwrap();
}

/// The same enrolment and the same push reach two instances at once: one device, one token;
/// each op applied once (the other answer says duplicate), stored once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_enrolment_and_push_at_two_instances_at_once() {
    let Some(pg) = Pg::start() else { return };
    let a = instance(&pg, |_| {}).await;
    let b = instance(&pg, |_| {}).await;
    a.publish_demo_catalog().await;
    let tech = a.create_technician("Wang Fang").await;
    let phone = Phone::new(chrono::Utc::now());
    let code = a.enrolment_code(&tech).await;
    let key = DeviceKey::generate().unwrap();
    let request = key.enrolment(&code, phone.device_id());
    let send = |ts: &TestServer| ts.client.post(ts.url("/v1/enroll")).json(&request).send();
    let (ra, rb) = tokio::join!(send(&a), send(&b));
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!((ra.status().as_u16(), rb.status().as_u16()), (200, 200));
    let (ea, eb): (EnrollResponse, EnrollResponse) =
        (ra.json().await.unwrap(), rb.json().await.unwrap());
    assert_eq!(ea.token, eb.token, "one token");
    let (_, devices) = a.admin(Method::GET, "/v1/admin/devices", None).await;
    assert_eq!(
        devices.as_array().unwrap().len(),
        1,
        "one device: {devices}"
    );
    let key = Arc::new(key);
    for ts in [&a, &b] {
        ts.keys
            .lock()
            .unwrap()
            .insert(ea.token.clone(), (phone.device_id(), key.clone()));
    }

    let order = demo::repair_order(1, chrono::Utc::now(), Billing::Paid);
    a.create_job(&order, Some(&tech)).await;
    phone.receive(&order);
    phone.accept(order.id);
    let ops = phone.outbox();
    assert!(ops.len() >= 2, "stock and accept: {ops:?}");
    let (ra, rb) = tokio::join!(
        a.signed_push(&ea.token, &ops).send(),
        b.signed_push(&ea.token, &ops).send()
    );
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!((ra.status().as_u16(), rb.status().as_u16()), (200, 200));
    let (pa, pb): (PushResponse, PushResponse) =
        (ra.json().await.unwrap(), rb.json().await.unwrap());
    for (i, op) in ops.iter().enumerate() {
        let outcomes = [&pa.results[i].outcome, &pb.results[i].outcome];
        let applied = outcomes
            .iter()
            .filter(|o| matches!(o, OpOutcome::Applied))
            .count();
        let duplicate = outcomes
            .iter()
            .filter(|o| matches!(o, OpOutcome::Duplicate { .. }))
            .count();
        assert_eq!((applied, duplicate), (1, 1), "op {}: {outcomes:?}", op.seq);
    }
    let raw = Raw::pg(&pg.url).await;
    assert_eq!(
        raw.count(&format!(
            "SELECT COUNT(*) FROM ops WHERE device_id = '{}'",
            phone.device_id()
        ))
        .await,
        ops.len() as i64,
        "stored once"
    );
    b.server.shutdown().await.unwrap();
    a.server.shutdown().await.unwrap();
}

// ------------------------------------------------------------------ lifecycle

async fn get_status(ts: &TestServer, path: &str) -> (u16, String) {
    let res = ts.client.get(ts.url(path)).send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_answers_503_once_draining() {
    let Some(ts) = common::server(Backend::Sqlite, |_| {}).await else {
        return;
    };
    assert_eq!(get_status(&ts, "/readyz").await, (200, "ready\n".into()));
    ts.server.drain();
    let (status, body) = get_status(&ts, "/readyz").await;
    assert_eq!(status, 503);
    let body: ErrorBody = serde_json::from_str(&body).unwrap();
    assert_eq!(body.code, "unavailable");
    assert_eq!(get_status(&ts, "/healthz").await.0, 200, "alive, not ready");
    let (status, _) = get_status(&ts, "/v1/openapi.json").await;
    assert_eq!(status, 200, "still serving while it drains");
}

/// The shutdown lets a push in flight finish: the push's body is half sent when the server
/// is told to stop; it stops accepting, the rest arrives, the push is applied and answered,
/// then the server is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shutdown_finishes_a_push_in_flight() {
    let Some(ts) = common::server(Backend::Sqlite, |c| c.max_concurrent_requests = 1).await else {
        return;
    };
    ts.publish_demo_catalog().await;
    let tech = ts.create_technician("Wang Fang").await;
    let phone = Phone::new(chrono::Utc::now());
    let token = ts.enrol(&tech, phone.device_id()).await.token;
    let ops = phone.outbox();
    let body = serde_json::to_vec(&PushRequest { ops: ops.clone() }).unwrap();
    let signature = ts.push_signature(&token, &body).unwrap();
    let addr = ts.server.addr();

    let head = format!(
        "POST /v1/push HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\n{PUSH_SIGNATURE}: {signature}\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    let half = body.len() / 2;
    // In hand once it holds the one place: a probe is refused as busy. (A probe that held
    // the place first gets the push refused: then send it again.)
    let deadline = tokio::time::Instant::now() + DEADLINE;
    let mut conn = 'sent: loop {
        let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
        conn.write_all(head.as_bytes()).await.unwrap();
        conn.write_all(&body[..half]).await.unwrap();
        loop {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the push never in hand"
            );
            if get_status(&ts, "/healthz").await.0 == 503 {
                break 'sent conn;
            }
            let mut b = [0u8; 1];
            match conn.try_read(&mut b) {
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                // Answered (refused as busy) or closed: again.
                _ => continue 'sent,
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };

    let TestServer {
        server, dir: _dir, ..
    } = ts;
    let stopping = tokio::spawn(server.shutdown());
    until("no longer accepting", || async {
        tokio::net::TcpStream::connect(addr).await.is_err()
    })
    .await;
    assert!(!stopping.is_finished(), "the push is still in flight");
    conn.write_all(&body[half..]).await.unwrap();
    let mut answer = Vec::new();
    conn.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8(answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let json = &answer[answer.find("\r\n\r\n").unwrap() + 4..];
    let pushed: PushResponse = serde_json::from_str(json).unwrap();
    assert_eq!(pushed.results.len(), ops.len());
    assert!(
        pushed
            .results
            .iter()
            .all(|r| matches!(r.outcome, OpOutcome::Applied)),
        "{pushed:?}"
    );
    tokio::time::timeout(DEADLINE, stopping)
        .await
        .expect("the server stops")
        .unwrap()
        .unwrap();
    let stored = Raw::Sqlite(_dir.path().join("server").join("fieldkit-server.db"));
    assert_eq!(
        stored.count("SELECT COUNT(*) FROM ops").await,
        ops.len() as i64
    );
}

/// A free loopback port (bound, then let go for the server to take).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The binary on SIGTERM: `/readyz` answers 503 during the drain delay while it still
/// serves, then it exits 0 and its drawing checks are not left claimed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_drains_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_fieldkit-server"))
        .args(["--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
        .arg(dir.path())
        .args(["--drain-delay-secs", "2"])
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("the server binary starts");
    let http = common::client();
    let ready = |http: reqwest::Client| async move {
        http.get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await
            .map(|r| r.status().as_u16())
            .ok()
    };
    until("ready", || {
        let http = http.clone();
        async move { ready(http).await == Some(200) }
    })
    .await;
    let pid = child.id().to_string();
    let st = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(st.success());
    until("draining: not ready, still serving", || {
        let http = http.clone();
        async move { ready(http).await == Some(503) }
    })
    .await;
    let deadline = tokio::time::Instant::now() + DEADLINE;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(tokio::time::Instant::now() < deadline, "still running");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(status.success(), "{status:?}");
    assert!(ready(http).await.is_none(), "gone");
}
