//! Several server *processes* (the `fieldkit-server` binary) on one throwaway PostgreSQL and
//! one blob directory, each on its own fixed port on 127.0.0.1, killed (SIGKILL) and
//! restarted on the same port; a small round-robin HTTP/1.1 proxy in front of them that skips
//! a backend it cannot connect to; and the CPU the processes used (from `/proc`). Used by
//! the fleet test (`tests/it/fleet.rs`) and the fleet benchmark (`benches/fleet_load.rs`).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;

use super::Pg;

/// How long a (re)started instance may take to answer `/healthz`.
const READY_DEADLINE: Duration = Duration::from_secs(60);

/// One server process's slot: its port and data dir stay across restarts.
struct Instance {
    port: u16,
    dir: PathBuf,
    child: Option<Child>,
    starts: usize,
}

/// `n` server processes on one PostgreSQL database, sharing a blob directory and an admin
/// token. Every process is killed when this is dropped.
pub struct Fleet {
    pub database_url: String,
    pub admin: String,
    pub blob_dir: PathBuf,
    root: PathBuf,
    args: Vec<String>,
    instances: Vec<Instance>,
}

/// A free port on 127.0.0.1 (bound and released: the OS hands out ports in turn, so it is
/// not given again at once).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

impl Fleet {
    /// Starts `n` instances of the server binary `exe` on `database_url`, with data under
    /// `root` (per instance `root/instance-<i>`, blobs in `root/blobs`) and `args` added to
    /// every command line. The first one is started alone (it applies the migrations), the
    /// others once it answers.
    pub fn start(exe: &Path, n: usize, database_url: &str, root: &Path, args: &[String]) -> Fleet {
        let blob_dir = root.join("blobs");
        std::fs::create_dir_all(&blob_dir).expect("blob dir");
        let admin = format!("fleet-admin-{}", uuid::Uuid::now_v7().simple());
        let mut fleet = Fleet {
            database_url: database_url.to_owned(),
            admin,
            blob_dir,
            root: root.to_owned(),
            args: {
                let mut a = vec![exe.to_string_lossy().into_owned()];
                a.extend(args.iter().cloned());
                a
            },
            instances: (0..n)
                .map(|i| Instance {
                    port: free_port(),
                    dir: root.join(format!("instance-{i}")),
                    child: None,
                    starts: 0,
                })
                .collect(),
        };
        fleet.spawn(0);
        fleet.wait_ready(0);
        for i in 1..n {
            fleet.spawn(i);
        }
        for i in 1..n {
            fleet.wait_ready(i);
        }
        fleet
    }

    /// The instances' addresses, in order.
    pub fn addrs(&self) -> Vec<SocketAddr> {
        self.instances
            .iter()
            .map(|i| SocketAddr::from(([127, 0, 0, 1], i.port)))
            .collect()
    }

    /// How many instances.
    pub fn len(&self) -> usize {
        self.instances.len()
    }

    /// The process id of instance `i`, while it runs.
    pub fn pid(&self, i: usize) -> Option<u32> {
        self.instances[i].child.as_ref().map(Child::id)
    }

    /// Where instance `i`'s output goes (appended across restarts).
    pub fn log_path(&self, i: usize) -> PathBuf {
        self.root.join(format!("instance-{i}.log"))
    }

    fn spawn(&mut self, i: usize) {
        let log_path = self.log_path(i);
        let inst = &mut self.instances[i];
        std::fs::create_dir_all(&inst.dir).expect("instance dir");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .expect("instance log");
        let mut cmd = Command::new(&self.args[0]);
        cmd.args(&self.args[1..])
            .arg("--listen")
            .arg(format!("127.0.0.1:{}", inst.port))
            .arg("--data-dir")
            .arg(&inst.dir)
            .arg("--database-url")
            .arg(&self.database_url)
            .arg("--blob-url")
            .arg(format!("file://{}", self.blob_dir.display()))
            .arg("--admin-token")
            .arg(&self.admin)
            .env(
                "RUST_LOG",
                std::env::var("FIELDKIT_FLEET_LOG").unwrap_or("warn".into()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone().expect("log handle")))
            .stderr(Stdio::from(log));
        inst.child = Some(cmd.spawn().expect("the server binary starts"));
        inst.starts += 1;
    }

    /// Waits until instance `i` answers `GET /healthz` with 200 (panics, with its log, when
    /// it exits or takes longer than a minute).
    pub fn wait_ready(&mut self, i: usize) {
        let t = Instant::now();
        let addr = self.addrs()[i];
        loop {
            if healthz(addr) {
                return;
            }
            let exited = self.instances[i]
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten());
            if exited.is_some() || t.elapsed() > READY_DEADLINE {
                panic!(
                    "instance {i} did not become ready ({exited:?} after {:.1?}); its log:\n{}",
                    t.elapsed(),
                    std::fs::read_to_string(self.log_path(i)).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// SIGKILLs instance `i` and reaps it.
    pub fn kill(&mut self, i: usize) {
        if let Some(mut c) = self.instances[i].child.take() {
            c.kill().expect("SIGKILL");
            let status = c.wait().expect("reaped");
            assert!(!status.success(), "instance {i} was killed: {status}");
        }
    }

    /// Starts instance `i` again on its port and waits until it answers.
    pub fn restart(&mut self, i: usize) {
        assert!(self.instances[i].child.is_none(), "instance {i} still runs");
        self.spawn(i);
        self.wait_ready(i);
    }

    /// How many times instance `i` was started.
    pub fn starts(&self, i: usize) -> usize {
        self.instances[i].starts
    }

    /// Stops every instance (SIGKILL) and reaps it.
    pub fn stop(&mut self) {
        for i in 0..self.instances.len() {
            self.kill(i);
        }
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        for inst in &mut self.instances {
            if let Some(mut c) = inst.child.take() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }
}

/// `GET /healthz` answered 200.
fn healthz(addr: SocketAddr) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    if s.write_all(b"GET /healthz HTTP/1.1\r\nhost: fleet\r\nconnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 12];
    s.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.1 200")
}

// ------------------------------------------------------------------------------ CPU time

/// The clock ticks per second of `/proc/<pid>/stat`'s times.
pub fn clock_ticks() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100)
}

/// `/proc/<pid>/stat`'s fields after the command name (field 3 onwards), or `None` when the
/// process is gone.
fn stat_fields(pid: u32) -> Option<Vec<u64>> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &text[text.rfind(')')? + 2..];
    Some(
        after
            .split_whitespace()
            .map(|f| f.parse::<i64>().unwrap_or(0).max(0) as u64)
            .collect(),
    )
}

/// CPU ticks (user + system) process `pid` used, its waited-for children's too when
/// `children` (PostgreSQL's postmaster reaps its backends: their time lands there).
pub fn cpu_ticks(pid: u32, children: bool) -> u64 {
    // Fields 14–17 (utime, stime, cutime, cstime) are at 11–14 counting from field 3.
    stat_fields(pid).map_or(0, |f| {
        let own = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
        if children {
            own + f.get(13).copied().unwrap_or(0) + f.get(14).copied().unwrap_or(0)
        } else {
            own
        }
    })
}

/// The CPU ticks of a PostgreSQL cluster: the postmaster (with the backends it reaped) and
/// its live children (backends, background workers).
pub fn pg_cpu_ticks(pg: &Pg) -> u64 {
    let Some(postmaster) = pg.postmaster_pid() else {
        return 0;
    };
    let mut total = cpu_ticks(postmaster, true);
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for e in dir.flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            // Field 4 (ppid) is at 1 counting from field 3.
            if stat_fields(pid).and_then(|f| f.get(1).copied()) == Some(u64::from(postmaster)) {
                total += cpu_ticks(pid, false);
            }
        }
    }
    total
}

// ------------------------------------------------------------------------- the proxy

/// What the round-robin proxy did.
#[derive(Default)]
pub struct RrCounts {
    /// Requests taken in.
    pub requests: AtomicU64,
    /// Per backend: requests forwarded.
    pub forwarded: Vec<AtomicU64>,
    /// Connection attempts refused (a dead backend skipped).
    pub skipped: AtomicU64,
    /// Forwarded, but the backend died before answering: answered 502.
    pub broken: AtomicU64,
    /// No backend could be reached: answered 503.
    pub unavailable: AtomicU64,
}

/// A round-robin HTTP/1.1 proxy on 127.0.0.1: each request goes to the next backend in turn
/// (its own connection to it); a backend that refuses the connection is skipped for the
/// next. A request whose backend dies before answering is answered 502 (the device retries,
/// as behind any load balancer). Stops accepting when dropped.
pub struct RoundRobin {
    pub addr: SocketAddr,
    pub counts: Arc<RrCounts>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RoundRobin {
    fn drop(&mut self) {
        self.task.abort();
    }
}

type ProxyBody = Full<Bytes>;

fn strip_hop_headers(h: &mut HeaderMap) {
    for name in [
        header::CONNECTION,
        header::TRANSFER_ENCODING,
        header::CONTENT_LENGTH,
        header::UPGRADE,
        header::TE,
        header::TRAILER,
    ] {
        h.remove(name);
    }
    h.remove("keep-alive");
}

fn plain(status: StatusCode) -> Response<ProxyBody> {
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = status;
    r
}

impl RoundRobin {
    /// Listens on a free port of 127.0.0.1 and spreads requests over `backends`.
    pub async fn start(backends: Vec<SocketAddr>) -> RoundRobin {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("proxy binds");
        let addr = listener.local_addr().expect("proxy address");
        let counts = Arc::new(RrCounts {
            forwarded: backends.iter().map(|_| AtomicU64::new(0)).collect(),
            ..RrCounts::default()
        });
        let next = Arc::new(AtomicUsize::new(0));
        let backends = Arc::new(backends);
        let c = counts.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let (c, next, backends) = (c.clone(), next.clone(), backends.clone());
                tokio::spawn(async move {
                    let svc = service_fn(move |req| {
                        let (c, next, backends) = (c.clone(), next.clone(), backends.clone());
                        async move {
                            Ok::<_, std::convert::Infallible>(
                                forward(&c, &next, &backends, req).await,
                            )
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        RoundRobin { addr, counts, task }
    }

    /// `http://127.0.0.1:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

async fn forward(
    c: &RrCounts,
    next: &AtomicUsize,
    backends: &[SocketAddr],
    req: Request<Incoming>,
) -> Response<ProxyBody> {
    c.requests.fetch_add(1, Ordering::Relaxed);
    let (parts, body) = req.into_parts();
    let Ok(body) = body.collect().await.map(|b| b.to_bytes()) else {
        return plain(StatusCode::BAD_REQUEST);
    };
    let mut headers = parts.headers.clone();
    strip_hop_headers(&mut headers);
    let first = next.fetch_add(1, Ordering::Relaxed);
    for k in 0..backends.len() {
        let b = (first + k) % backends.len();
        let Ok(stream) = tokio::net::TcpStream::connect(backends[b]).await else {
            c.skipped.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let Ok((mut send, conn)) =
            hyper::client::conn::http1::handshake::<_, ProxyBody>(TokioIo::new(stream)).await
        else {
            c.skipped.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        tokio::spawn(conn);
        c.forwarded[b].fetch_add(1, Ordering::Relaxed);
        let mut up = Request::new(Full::new(body.clone()));
        *up.method_mut() = parts.method.clone();
        *up.uri_mut() = parts.uri.clone();
        *up.headers_mut() = headers.clone();
        let answer = match send.send_request(up).await {
            Ok(res) => {
                let (rparts, rbody) = res.into_parts();
                rbody.collect().await.map(|b| (rparts, b.to_bytes()))
            }
            Err(e) => Err(e),
        };
        return match answer {
            Ok((mut rparts, rbody)) => {
                strip_hop_headers(&mut rparts.headers);
                Response::from_parts(rparts, Full::new(rbody))
            }
            Err(_) => {
                c.broken.fetch_add(1, Ordering::Relaxed);
                plain(StatusCode::BAD_GATEWAY)
            }
        };
    }
    c.unavailable.fetch_add(1, Ordering::Relaxed);
    plain(StatusCode::SERVICE_UNAVAILABLE)
}

// ------------------------------------------------------------- drawing checks finished

/// Makes the database at `url` count the drawing checks stored (a row trigger) and every
/// statement that finishes one (a
/// statement-level trigger on `DELETE FROM drawing_checks`, which fires for a statement that
/// deletes nothing too, and is undone with its transaction): a check taken by one instance
/// is finished once, a check two instances took is finished twice (the second deleting
/// nothing). Call after the migrations.
pub async fn count_drawing_finishes(url: &str) -> Result<(), tokio_postgres::Error> {
    let (c, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    let task = tokio::spawn(conn);
    c.batch_execute(
        "CREATE TABLE fleet_drawing_finishes (at TIMESTAMPTZ NOT NULL DEFAULT now());
         CREATE FUNCTION fleet_count_finish() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN INSERT INTO fleet_drawing_finishes DEFAULT VALUES; RETURN NULL; END $$;
         CREATE TRIGGER fleet_count_finish AFTER DELETE ON drawing_checks
           FOR EACH STATEMENT EXECUTE FUNCTION fleet_count_finish();
         CREATE TABLE fleet_drawing_checks (op_id TEXT NOT NULL);
         CREATE FUNCTION fleet_count_check() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN INSERT INTO fleet_drawing_checks VALUES (NEW.op_id); RETURN NULL; END $$;
         CREATE TRIGGER fleet_count_check AFTER INSERT ON drawing_checks
           FOR EACH ROW EXECUTE FUNCTION fleet_count_check();",
    )
    .await?;
    drop(c);
    let _ = task.await;
    Ok(())
}

/// What [`count_drawing_finishes`] counted: (checks stored, finishing statements).
pub async fn drawing_finishes(url: &str) -> Result<(i64, i64), tokio_postgres::Error> {
    let (c, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    let task = tokio::spawn(conn);
    let r = c
        .query_one(
            "SELECT (SELECT count(*) FROM fleet_drawing_checks),
                    (SELECT count(*) FROM fleet_drawing_finishes)",
            &[],
        )
        .await?;
    drop(c);
    let _ = task.await;
    Ok((r.get(0), r.get(1)))
}
