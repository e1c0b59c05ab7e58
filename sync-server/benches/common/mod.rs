//! Shared by the server's plain (harness = false) benches: latency samples and percentiles,
//! markdown tables, the machine and its load, a byte-counting TCP proxy (optionally cutting
//! the connection at a byte count), and the test helpers (server on 127.0.0.1, throwaway
//! PostgreSQL cluster) from `tests/it/common`.

#![allow(dead_code)] // each bench uses a different subset

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub mod load;
#[path = "../../tests/it/common/mod.rs"]
pub mod testing;

/// Latencies of one operation, in call order.
#[derive(Default, Clone)]
pub struct Samples {
    pub name: String,
    nanos: Vec<u64>,
}

impl Samples {
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            nanos: Vec::new(),
        }
    }

    pub fn push(&mut self, d: Duration) {
        self.nanos
            .push(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    }

    pub fn extend(&mut self, other: &Samples) {
        self.nanos.extend_from_slice(&other.nanos);
    }

    pub fn len(&self) -> usize {
        self.nanos.len()
    }

    pub fn summary(&self) -> Summary {
        let mut v = self.nanos.clone();
        v.sort_unstable();
        let n = v.len();
        assert!(n > 0, "no samples for {}", self.name);
        // Nearest-rank percentile: the smallest sample with at least p% of samples at or below.
        let rank = |p: f64| v[((p / 100.0 * n as f64).ceil() as usize).clamp(1, n) - 1];
        let sum: u128 = v.iter().map(|&x| u128::from(x)).sum();
        Summary {
            n,
            p50: rank(50.0),
            p99: rank(99.0),
            max: v[n - 1],
            mean: (sum / n as u128) as u64,
        }
    }
}

/// Nanoseconds.
#[derive(Clone, Copy, Debug)]
pub struct Summary {
    pub n: usize,
    pub p50: u64,
    pub p99: u64,
    pub max: u64,
    pub mean: u64,
}

/// A duration in nanoseconds, printed in µs, ms or s.
pub fn fmt_ns(ns: u64) -> String {
    if ns >= 10_000_000_000 {
        format!("{:.2} s", ns as f64 / 1e9)
    } else if ns >= 1_000_000 {
        format!("{:.2} ms", ns as f64 / 1e6)
    } else {
        format!("{:.1} µs", ns as f64 / 1e3)
    }
}

pub fn fmt_bytes(b: u64) -> String {
    if b >= 10 * 1024 * 1024 {
        format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0))
    } else if b >= 10 * 1024 {
        format!("{:.1} KiB", b as f64 / 1024.0)
    } else {
        format!("{b} B")
    }
}

pub fn ratio(a: f64, b: f64) -> String {
    if b == 0.0 {
        "-".into()
    } else {
        format!("{:.2}×", a / b)
    }
}

/// The header of a latency table.
pub fn latency_header() {
    println!("| | calls | p50 | p99 | mean | max |");
    println!("|---|---:|---:|---:|---:|---:|");
}

/// One latency row.
pub fn latency_row(s: &Samples) {
    let o = s.summary();
    println!(
        "| {} | {} | {} | {} | {} | {} |",
        s.name,
        o.n,
        fmt_ns(o.p50),
        fmt_ns(o.p99),
        fmt_ns(o.mean),
        fmt_ns(o.max)
    );
}

/// A table of an operation, its anchor and their ratio.
pub fn print_table(title: &str, op: &Samples, anchor: &Samples) {
    let (o, a) = (op.summary(), anchor.summary());
    println!("\n### {title}\n");
    latency_header();
    latency_row(op);
    latency_row(anchor);
    let r = |x: u64, y: u64| ratio(x as f64, y as f64);
    println!(
        "| **ratio** (FieldKit / anchor) | | **{}** | **{}** | {} | {} |",
        r(o.p50, a.p50),
        r(o.p99, a.p99),
        r(o.mean, a.mean),
        r(o.max, a.max)
    );
}

/// The 1-minute load average now (other builds share this machine).
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

/// Tracks the 1-minute load average over a run: `note()` at interesting points, `range()`.
#[derive(Default)]
pub struct Load(Vec<f64>);

impl Load {
    pub fn note(&mut self) {
        if let Ok(v) = load_average().parse() {
            self.0.push(v);
        }
    }

    pub fn range(&self) -> String {
        let lo = self.0.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = self.0.iter().copied().fold(0.0, f64::max);
        if self.0.is_empty() {
            "?".into()
        } else {
            format!("{lo:.2}–{hi:.2}")
        }
    }
}

/// Prints the machine the numbers were taken on.
pub fn print_machine(data_dir: &Path, load: &Load) {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "?".into());
    let rustc = std::process::Command::new("rustc")
        .arg("-V")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "?".into());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| "?".into());
    println!("\n### Machine\n");
    println!("| | |\n|---|---|");
    println!("| CPUs (nproc) | {cpus} |");
    println!("| CPU | {cpu} |");
    println!("| OS | {} {kernel} |", std::env::consts::OS);
    println!("| rustc | {rustc} |");
    println!("| SQLite | {} (bundled) |", rusqlite::version());
    println!(
        "| data dir | `{}` ({}) |",
        data_dir.display(),
        filesystem(data_dir)
    );
    println!("| load average (1 min) during the run | {} |", load.range());
}

/// The filesystem type holding `path`, from /proc/mounts (longest matching mount point).
fn filesystem(path: &Path) -> String {
    let path = path.canonicalize().unwrap_or_else(|_| path.to_owned());
    let Ok(mounts) = std::fs::read_to_string("/proc/mounts") else {
        return "?".into();
    };
    mounts
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (_dev, mnt, fs) = (f.next()?, f.next()?, f.next()?);
            path.starts_with(mnt).then(|| (mnt.len(), fs.to_owned()))
        })
        .max()
        .map_or_else(|| "?".into(), |(_, fs)| fs)
}

/// A fresh directory for the bench's databases: under `$FIELDKIT_BENCH_DIR` when set, else
/// the system temp dir. Removed on drop.
pub fn bench_dir() -> tempfile::TempDir {
    match std::env::var_os("FIELDKIT_BENCH_DIR") {
        Some(d) => {
            let d = PathBuf::from(d);
            std::fs::create_dir_all(&d).expect("create FIELDKIT_BENCH_DIR");
            tempfile::tempdir_in(d).expect("temp dir")
        }
        None => tempfile::tempdir().expect("temp dir"),
    }
}

/// `n` from the environment variable `var`, else `default`.
pub fn env_count(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

// ---------------------------------------------------------------- proxy

/// Bytes through a [`Proxy`] so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bytes {
    /// Client → server (requests: request line, headers, bodies as sent).
    pub up: u64,
    /// Server → client (responses).
    pub down: u64,
}

impl std::ops::Sub for Bytes {
    type Output = Bytes;
    fn sub(self, o: Bytes) -> Bytes {
        Bytes {
            up: self.up - o.up,
            down: self.down - o.down,
        }
    }
}

impl std::ops::Add for Bytes {
    type Output = Bytes;
    fn add(self, o: Bytes) -> Bytes {
        Bytes {
            up: self.up + o.up,
            down: self.down + o.down,
        }
    }
}

#[derive(Default)]
struct ProxyState {
    up: AtomicU64,
    down: AtomicU64,
    /// Cut every connection once `up` reaches this (u64::MAX: never).
    cut_at: AtomicU64,
    cuts: AtomicU64,
    closing: AtomicBool,
}

/// A TCP proxy on 127.0.0.1 in front of `target` that counts the bytes each way (what an
/// HTTP client and server put on the wire: request and status lines, headers, bodies as
/// sent, compressed or not) and can cut the connection at a given byte count.
pub struct Proxy {
    pub addr: SocketAddr,
    state: Arc<ProxyState>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    pub async fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy bind");
        let addr = listener.local_addr().expect("proxy addr");
        let state = Arc::new(ProxyState {
            cut_at: AtomicU64::new(u64::MAX),
            ..ProxyState::default()
        });
        let st = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let st = st.clone();
                tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(target).await {
                        let _ = client.set_nodelay(true);
                        let _ = server.set_nodelay(true);
                        pipe(client, server, st).await;
                    }
                });
            }
        });
        Proxy { addr, state, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn bytes(&self) -> Bytes {
        Bytes {
            up: self.state.up.load(Ordering::SeqCst),
            down: self.state.down.load(Ordering::SeqCst),
        }
    }

    /// Cuts the connection carrying the request once `more` further bytes went up.
    pub fn cut_after(&self, more: u64) {
        let at = self.state.up.load(Ordering::SeqCst) + more;
        self.state.cut_at.store(at, Ordering::SeqCst);
    }

    /// How many connections were cut.
    pub fn cuts(&self) -> u64 {
        self.state.cuts.load(Ordering::SeqCst)
    }

    /// A counter handle usable from a sync progress callback.
    pub fn counter(&self) -> ProxyCounter {
        ProxyCounter(self.state.clone())
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.state.closing.store(true, Ordering::SeqCst);
        self.task.abort();
    }
}

/// Reads a [`Proxy`]'s byte counts (cheap, `Send + Sync`).
#[derive(Clone)]
pub struct ProxyCounter(Arc<ProxyState>);

impl ProxyCounter {
    pub fn bytes(&self) -> Bytes {
        Bytes {
            up: self.0.up.load(Ordering::SeqCst),
            down: self.0.down.load(Ordering::SeqCst),
        }
    }

    /// Arms a cut once `more` further bytes went up.
    pub fn cut_after(&self, more: u64) {
        let at = self.0.up.load(Ordering::SeqCst) + more;
        self.0.cut_at.store(at, Ordering::SeqCst);
    }
}

async fn pipe(mut client: TcpStream, mut server: TcpStream, st: Arc<ProxyState>) {
    let (mut cr, mut cw) = client.split();
    let (mut sr, mut sw) = server.split();
    let mut up_buf = vec![0u8; 64 * 1024];
    let mut down_buf = vec![0u8; 64 * 1024];
    let (mut up_done, mut down_done) = (false, false);
    while !(up_done && down_done) {
        tokio::select! {
            r = cr.read(&mut up_buf), if !up_done => {
                let n = match r { Ok(n) => n, Err(_) => return };
                if n == 0 {
                    up_done = true;
                    let _ = sw.shutdown().await;
                    continue;
                }
                let before = st.up.load(Ordering::SeqCst);
                let cut_at = st.cut_at.load(Ordering::SeqCst);
                let pass = if before + n as u64 >= cut_at {
                    (cut_at.saturating_sub(before)) as usize
                } else {
                    n
                };
                st.up.fetch_add(pass as u64, Ordering::SeqCst);
                if sw.write_all(&up_buf[..pass]).await.is_err() {
                    return;
                }
                if pass < n || before + n as u64 == cut_at {
                    // The drop: what went through stays with the server, the rest is lost,
                    // and both sides see the connection die.
                    let _ = sw.flush().await;
                    st.cut_at.store(u64::MAX, Ordering::SeqCst);
                    st.cuts.fetch_add(1, Ordering::SeqCst);
                    return;
                }
            }
            r = sr.read(&mut down_buf), if !down_done => {
                let n = match r { Ok(n) => n, Err(_) => return };
                if n == 0 {
                    down_done = true;
                    let _ = cw.shutdown().await;
                    continue;
                }
                st.down.fetch_add(n as u64, Ordering::SeqCst);
                if cw.write_all(&down_buf[..n]).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Times an async block.
pub async fn timed<T>(f: impl std::future::Future<Output = T>) -> (T, Duration) {
    let t = Instant::now();
    let out = f.await;
    (out, t.elapsed())
}
