//! What reading a checklist view costs inside the library, as the FFI returns it (BENCHMARKS.md
//! §4, "The redraw"): the core's view through `FieldKit::checklist`, and an open checklist's
//! view lowered into the buffer Kotlin or Swift would lift. A measurement, not a test:
//!
//! `cargo test --profile bench -p fieldkit-ffi --features demo --lib view_cost -- --ignored --nocapture`

use std::time::Instant;

use crate::adapter_tests::{kit, reached};
use crate::{Answer, ChecklistView};

const CALLS: u32 = 500;

/// Prints the table; `#[ignore]`d: a measurement, not a test.
#[test]
#[ignore = "a measurement: run with --ignored --nocapture"]
fn view_cost() {
    let (kit, id, _dir) = kit();
    kit.accept(id.clone()).expect("accept");
    kit.call_customer(id.clone(), reached()).expect("call");
    kit.answer_step(id.clone(), "tools_parts_loaded".into(), Answer::Confirmed)
        .expect("answer");
    let sheet = kit.open_checklist(id.clone()).expect("open checklist");
    println!("| round | `checklist(jobId)` µs | `OpenChecklist::view` + lower µs |");
    println!("|---|---:|---:|");
    for round in 1..=3 {
        let t = Instant::now();
        for _ in 0..CALLS {
            std::hint::black_box(kit.checklist(id.clone()).expect("view"));
        }
        let view = t.elapsed() / CALLS;
        let t = Instant::now();
        for _ in 0..CALLS {
            let v = sheet.view().expect("view");
            std::hint::black_box(<ChecklistView as uniffi::Lower<crate::UniFfiTag>>::lower(v));
        }
        let lowered = t.elapsed() / CALLS;
        println!(
            "| {round} | {:.1} | {:.1} |",
            view.as_secs_f64() * 1e6,
            lowered.as_secs_f64() * 1e6
        );
    }
}
