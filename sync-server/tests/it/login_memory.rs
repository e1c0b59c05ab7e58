//! A login flood does not take the server's memory: 200 logins at once against the real
//! `fieldkit-server` binary (a child process, so its peak resident memory is its own), with
//! the password hashing gate at 4 permits. Each argon2id check takes about 19 MiB; without
//! the gate 200 at once would peak near 200 × 19 MiB ≈ 3.8 GB (measured with 200 permits:
//! +2.1 GB on 2 cores). With it the peak (VmHWM) stays within the permits' worth above the
//! server's baseline (measured: +64 MiB), and the logins beyond the gate's line are answered
//! 503 with Retry-After at once instead of piling up.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::json;

/// The gate's permits in this test.
const PERMITS: u64 = 4;
/// Callers waiting behind them at most.
const QUEUE: u64 = 64;
/// One argon2id check (the crate's default parameters: m = 19456 KiB).
const ARGON2_KIB: u64 = 19_456;
/// Logins sent at once.
const LOGINS: usize = 200;

/// The server process; killed when dropped.
struct ServerProcess(Child);

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A field of `/proc/<pid>/status` in KiB (`VmHWM`, `VmRSS`).
fn status_kib(pid: u32, field: &str) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("the child's status");
    s.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("{field} in /proc/{pid}/status"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_argon2_gate_holds_memory_under_200_parallel_logins() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let child = Command::new(env!("CARGO_BIN_EXE_fieldkit-server"))
        .env("FIELDKIT_LISTEN", format!("127.0.0.1:{port}"))
        .env("FIELDKIT_DATA_DIR", dir.path())
        .env("FIELDKIT_LOGIN_PER_MINUTE", "1000000")
        .env("FIELDKIT_PASSWORD_HASH_CONCURRENCY", PERMITS.to_string())
        .env("FIELDKIT_PASSWORD_HASH_QUEUE", QUEUE.to_string())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the server binary starts");
    let child = ServerProcess(child);
    let pid = child.0.id();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    // Up when /healthz answers (it binds after migrating the new database).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(r) = http.get(format!("{base}/healthz")).send().await
            && r.status().is_success()
        {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the server came up");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let token = std::fs::read_to_string(dir.path().join("admin-token")).unwrap();
    let res = http
        .post(format!("{base}/v1/admin/dispatchers"))
        .bearer_auth(token.trim())
        .json(&json!({ "login": "desk", "password": "a long enough password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    // One login first: the server's own one-off allocations (the dummy hash, pools) are in
    // the baseline, not the flood.
    let login = |http: reqwest::Client| {
        let url = format!("{base}/login");
        async move {
            let t = "ef".repeat(32);
            let res = http
                .post(url)
                .header(reqwest::header::COOKIE, format!("fk_login={t}"))
                .form(&[
                    ("csrf", t.as_str()),
                    ("login", "desk"),
                    ("password", "a long enough password"),
                ])
                .send()
                .await
                .expect("an answer");
            let retry = res.headers().contains_key(reqwest::header::RETRY_AFTER);
            (res.status().as_u16(), retry)
        }
    };
    assert_eq!(login(http.clone()).await.0, 303);
    let baseline = status_kib(pid, "VmHWM");

    let answers =
        futures::future::join_all((0..LOGINS).map(|_| tokio::spawn(login(http.clone())))).await;
    let peak = status_kib(pid, "VmHWM");
    let (mut ok, mut busy) = (0, 0);
    for a in answers {
        match a.unwrap() {
            (303, _) => ok += 1,
            (503, true) => busy += 1,
            other => panic!("a login was answered {other:?}"),
        }
    }
    let bound = baseline + (PERMITS + 2) * ARGON2_KIB + 64 * 1024;
    println!(
        "200 parallel logins, {PERMITS} permits: baseline VmHWM {} MiB, peak {} MiB \
         (+{} MiB), bound {} MiB; {ok} logged in, {busy} told to retry (503); unbounded \
         would be ≈ {} MiB more",
        baseline / 1024,
        peak / 1024,
        (peak - baseline) / 1024,
        bound / 1024,
        LOGINS as u64 * ARGON2_KIB / 1024,
    );
    assert!(
        peak < bound,
        "peak {peak} KiB over the bound {bound} KiB (baseline {baseline} KiB)"
    );
    assert!(ok >= PERMITS as usize, "{ok} logged in");
    assert_eq!(ok + busy, LOGINS);
    // Still serving: the flood left nothing stuck.
    assert_eq!(login(http.clone()).await.0, 303);
}
