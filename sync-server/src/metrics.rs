//! Counters and the push latency histogram, rendered in the Prometheus text format at
//! `/metrics`. Labels carry no personal data (outcomes and routes only).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use fieldkit_core::sync::protocol::{OpOutcome, PushResponse};

/// Upper bounds of the push latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// The server's metrics.
#[derive(Default)]
pub struct Metrics {
    ops_applied: AtomicU64,
    ops_duplicate: AtomicU64,
    ops_rejected: AtomicU64,
    ops_conflict: AtomicU64,
    ops_gap: AtomicU64,
    pushes: AtomicU64,
    push_buckets: [AtomicU64; BUCKETS.len()],
    push_seconds_micros: AtomicU64,
    pulls: AtomicU64,
    enrolments: AtomicU64,
    blob_bytes: AtomicU64,
    blobs_completed: AtomicU64,
}

impl Metrics {
    /// Counts a push's outcomes and its latency.
    pub fn record_push(&self, r: &PushResponse, took: Duration) {
        for res in &r.results {
            let c = match res.outcome {
                OpOutcome::Applied => &self.ops_applied,
                OpOutcome::Duplicate { .. } => &self.ops_duplicate,
                OpOutcome::Rejected { .. } => &self.ops_rejected,
                OpOutcome::Conflict { .. } => &self.ops_conflict,
                OpOutcome::Gap { .. } => &self.ops_gap,
            };
            c.fetch_add(1, Relaxed);
        }
        self.pushes.fetch_add(1, Relaxed);
        let s = took.as_secs_f64();
        for (i, b) in BUCKETS.iter().enumerate() {
            if s <= *b {
                self.push_buckets[i].fetch_add(1, Relaxed);
            }
        }
        self.push_seconds_micros
            .fetch_add(took.as_micros() as u64, Relaxed);
    }

    /// Counts a pull.
    pub fn record_pull(&self) {
        self.pulls.fetch_add(1, Relaxed);
    }

    /// Counts an enrolment.
    pub fn record_enrolment(&self) {
        self.enrolments.fetch_add(1, Relaxed);
    }

    /// Counts blob bytes received and blobs completed.
    pub fn record_blob(&self, bytes: u64, completed: bool) {
        self.blob_bytes.fetch_add(bytes, Relaxed);
        if completed {
            self.blobs_completed.fetch_add(1, Relaxed);
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut s = String::new();
        s.push_str("# HELP fieldkit_ops_total Ops received, by outcome.\n");
        s.push_str("# TYPE fieldkit_ops_total counter\n");
        for (name, c) in [
            ("applied", &self.ops_applied),
            ("duplicate", &self.ops_duplicate),
            ("rejected", &self.ops_rejected),
            ("conflict", &self.ops_conflict),
            ("gap", &self.ops_gap),
        ] {
            s.push_str(&format!(
                "fieldkit_ops_total{{outcome=\"{name}\"}} {}\n",
                c.load(Relaxed)
            ));
        }
        s.push_str("# HELP fieldkit_push_seconds Time to apply and commit a push.\n");
        s.push_str("# TYPE fieldkit_push_seconds histogram\n");
        for (i, b) in BUCKETS.iter().enumerate() {
            s.push_str(&format!(
                "fieldkit_push_seconds_bucket{{le=\"{b}\"}} {}\n",
                self.push_buckets[i].load(Relaxed)
            ));
        }
        let count = self.pushes.load(Relaxed);
        s.push_str(&format!(
            "fieldkit_push_seconds_bucket{{le=\"+Inf\"}} {count}\n"
        ));
        s.push_str(&format!(
            "fieldkit_push_seconds_sum {}\n",
            self.push_seconds_micros.load(Relaxed) as f64 / 1e6
        ));
        s.push_str(&format!("fieldkit_push_seconds_count {count}\n"));
        for (name, help, c) in [
            (
                "fieldkit_pulls_total",
                "Pull requests answered.",
                &self.pulls,
            ),
            (
                "fieldkit_enrolments_total",
                "Devices enrolled.",
                &self.enrolments,
            ),
            (
                "fieldkit_blob_bytes_total",
                "Blob bytes received.",
                &self.blob_bytes,
            ),
            (
                "fieldkit_blobs_completed_total",
                "Blobs completed and verified.",
                &self.blobs_completed,
            ),
        ] {
            s.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}\n",
                c.load(Relaxed)
            ));
        }
        s
    }
}
