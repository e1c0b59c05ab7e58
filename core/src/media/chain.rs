//! The hash chain of a job's timeline: every event carries the SHA-256 of itself and of the
//! event before it, so a deleted, reordered, inserted or altered event breaks every hash
//! after it. Pure functions; the store writes the hashes, `verify` recomputes them.

use sha2::{Digest, Sha256};

/// The fields of a timeline event that its hash covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainedEvent<'a> {
    pub id: &'a str,
    pub work_order_id: &'a str,
    pub visit_id: Option<&'a str>,
    pub kind: &'a str,
    pub at_ms: i64,
    /// The payload exactly as stored (JSON text).
    pub payload: &'a str,
}

/// The hash of `event` following an event whose hash is `prev` (`None` for the first).
pub fn event_hash(prev: Option<&str>, event: &ChainedEvent<'_>) -> String {
    let mut h = Sha256::new();
    h.update(b"fieldkit-event-v1\n");
    // Each field is tagged (absent / present) and length-prefixed, so no choice of field
    // contents can read as another.
    let at = event.at_ms.to_string();
    for field in [
        prev,
        Some(event.id),
        Some(event.work_order_id),
        event.visit_id,
        Some(event.kind),
        Some(at.as_str()),
        Some(event.payload),
    ] {
        match field {
            None => h.update([0u8]),
            Some(f) => {
                h.update([1u8]);
                h.update((f.len() as u64).to_be_bytes());
                h.update(f.as_bytes());
            }
        }
    }
    hex::encode(h.finalize())
}

/// Where a chain stops matching its stored hashes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainBreak {
    /// Position (0-based) of the first event whose stored hash is not the recomputed one.
    pub position: usize,
    pub stored: String,
    pub recomputed: String,
}

/// Recomputes the chain over `events` (in timeline order, each with its stored hash) and
/// returns the recomputed hash after each event, or the first break.
pub fn recompute<'a>(
    events: impl IntoIterator<Item = (ChainedEvent<'a>, &'a str)>,
) -> Result<Vec<String>, ChainBreak> {
    let mut out: Vec<String> = Vec::new();
    for (position, (event, stored)) in events.into_iter().enumerate() {
        let recomputed = event_hash(out.last().map(String::as_str), &event);
        if recomputed != stored {
            return Err(ChainBreak {
                position,
                stored: stored.to_owned(),
                recomputed,
            });
        }
        out.push(recomputed);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[derive(Clone, Debug)]
    struct Ev {
        id: String,
        visit: Option<String>,
        kind: String,
        at: i64,
        payload: String,
    }

    fn ev() -> impl Strategy<Value = Ev> {
        (
            "[0-9a-f]{8}",
            proptest::option::of("[0-9a-f]{4}"),
            "[a-z_]{3,12}",
            0i64..2_000_000_000_000,
            "\\PC{0,40}",
        )
            .prop_map(|(id, visit, kind, at, payload)| Ev {
                id,
                visit,
                kind,
                at,
                payload,
            })
    }

    fn chained(e: &Ev) -> ChainedEvent<'_> {
        ChainedEvent {
            id: &e.id,
            work_order_id: "wo",
            visit_id: e.visit.as_deref(),
            kind: &e.kind,
            at_ms: e.at,
            payload: &e.payload,
        }
    }

    fn hashes(events: &[Ev]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for e in events {
            let h = event_hash(out.last().map(String::as_str), &chained(e));
            out.push(h);
        }
        out
    }

    fn check(events: &[Ev], stored: &[String]) -> Result<Vec<String>, ChainBreak> {
        recompute(
            events
                .iter()
                .map(chained)
                .zip(stored.iter().map(String::as_str)),
        )
    }

    #[derive(Clone, Debug)]
    enum Tamper {
        Delete(usize),
        Swap(usize),
        Insert(usize, Ev),
        Field(usize, u8, String),
        StoredHash(usize),
    }

    fn tamper() -> impl Strategy<Value = Tamper> {
        prop_oneof![
            any::<usize>().prop_map(Tamper::Delete),
            any::<usize>().prop_map(Tamper::Swap),
            (any::<usize>(), ev()).prop_map(|(i, e)| Tamper::Insert(i, e)),
            (any::<usize>(), 0u8..5, "\\PC{0,12}").prop_map(|(i, f, v)| Tamper::Field(i, f, v)),
            any::<usize>().prop_map(Tamper::StoredHash),
        ]
    }

    proptest! {
        /// An untouched chain always verifies.
        #[test]
        fn an_untouched_chain_verifies(events in prop::collection::vec(ev(), 0..30)) {
            let stored = hashes(&events);
            prop_assert_eq!(check(&events, &stored), Ok(stored.clone()));
        }

        /// Deleting, reordering, inserting or altering any event, or altering a stored hash,
        /// is detected: either a stored hash no longer matches, or the head differs.
        #[test]
        fn any_tampering_is_detected(events in prop::collection::vec(ev(), 1..30), t in tamper()) {
            let stored = hashes(&events);
            let head = stored.last().cloned();
            let (mut ev2, mut st2) = (events.clone(), stored.clone());
            let n = events.len();
            match t {
                Tamper::Delete(i) => { ev2.remove(i % n); st2.remove(i % n); }
                Tamper::Swap(i) => {
                    let i = i % n;
                    let j = (i + 1) % n;
                    prop_assume!(i != j);
                    prop_assume!(chained(&ev2[i]) != chained(&ev2[j]));
                    ev2.swap(i, j);
                    st2.swap(i, j);
                }
                Tamper::Insert(i, e) => {
                    let i = i % (n + 1);
                    // The forger even computes a plausible hash for the inserted event.
                    let prev = if i == 0 { None } else { Some(st2[i - 1].as_str()) };
                    let h = event_hash(prev, &chained(&e));
                    ev2.insert(i, e);
                    st2.insert(i, h);
                }
                Tamper::Field(i, f, v) => {
                    let e = &mut ev2[i % n];
                    let before = chained(e).id.to_owned() + &format!("{:?}", chained(e));
                    match f {
                        0 => e.id = v,
                        1 => e.visit = Some(v),
                        2 => e.kind = v,
                        3 => e.at = e.at.wrapping_add(1),
                        _ => e.payload = v,
                    }
                    prop_assume!(before != chained(e).id.to_owned() + &format!("{:?}", chained(e)));
                }
                Tamper::StoredHash(i) => {
                    let h = &mut st2[i % n];
                    let flipped = if h.starts_with('0') { "1" } else { "0" };
                    h.replace_range(0..1, flipped);
                }
            }
            let detected = match check(&ev2, &st2) {
                Err(_) => true,
                Ok(recomputed) => recomputed.last().cloned() != head,
            };
            prop_assert!(detected);
        }
    }
}
