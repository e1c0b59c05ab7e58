//! Shared by the plain (harness = false) benches: latency samples, percentiles, markdown
//! tables and the machine description printed beside them.

#![allow(dead_code)] // each bench uses a different subset

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Latencies of one operation, in call order.
#[derive(Default)]
pub struct Samples {
    pub name: String,
    nanos: Vec<u64>,
}

impl Samples {
    pub fn new(name: impl Into<String>, capacity: usize) -> Self {
        Self {
            name: name.into(),
            nanos: Vec::with_capacity(capacity),
        }
    }

    /// Times `f` once and keeps the latency; returns what `f` returned.
    pub fn time<T>(&mut self, f: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let out = f();
        self.push(start.elapsed());
        out
    }

    pub fn push(&mut self, d: Duration) {
        self.nanos
            .push(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
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

/// A duration in nanoseconds, printed in µs or ms.
pub fn fmt_ns(ns: u64) -> String {
    if ns >= 1_000_000 {
        format!("{:.2} ms", ns as f64 / 1e6)
    } else {
        format!("{:.1} µs", ns as f64 / 1e3)
    }
}

fn ratio(a: u64, b: u64) -> String {
    if b == 0 {
        "-".into()
    } else {
        format!("{:.2}×", a as f64 / b as f64)
    }
}

/// One markdown table: the FieldKit operation, its anchor, and their ratio.
pub fn print_table(title: &str, op: &Samples, anchor: &Samples) {
    let (o, a) = (op.summary(), anchor.summary());
    println!("\n### {title}\n");
    println!("| | calls | p50 | p99 | mean | max |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (s, name) in [(o, &op.name), (a, &anchor.name)] {
        println!(
            "| {name} | {} | {} | {} | {} | {} |",
            s.n,
            fmt_ns(s.p50),
            fmt_ns(s.p99),
            fmt_ns(s.mean),
            fmt_ns(s.max)
        );
    }
    println!(
        "| **ratio** (FieldKit / anchor) | | **{}** | **{}** | {} | {} |",
        ratio(o.p50, a.p50),
        ratio(o.p99, a.p99),
        ratio(o.mean, a.mean),
        ratio(o.max, a.max)
    );
}

/// Prints the machine the numbers were taken on.
pub fn print_machine(data_dir: &Path) {
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

/// A fresh directory for the bench's databases: under `$FIELDKIT_BENCH_DIR` when set (to
/// measure another filesystem), else the system temp dir. Removed on drop.
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

/// `n` from the environment variable `var`, else `default` (to shorten or lengthen a run).
pub fn env_count(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}
