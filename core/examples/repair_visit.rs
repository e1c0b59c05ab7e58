//! Walks one paid repair visit end to end on a fresh local database, offline, printing the
//! checklist progress after each step and the completion record at the end.
//!
//! `cargo run -p fieldkit-core --example repair_visit [DATA_DIR]`

use std::sync::Arc;

use fieldkit_core::clock::ManualClock;
use fieldkit_core::demo;
use fieldkit_core::model::Billing;
use fieldkit_core::{DeviceConfig, FieldKit};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = match std::env::args().nth(1) {
        Some(d) => std::path::PathBuf::from(d),
        None => std::env::temp_dir().join(format!("fieldkit-demo-{}", std::process::id())),
    };
    // A manual clock, moved on a few minutes per step, so the record shows realistic times.
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let kit = FieldKit::open_with_clock(&dir, DeviceConfig::default(), clock.clone())?;
    println!(
        "FieldKit device {} — database {}",
        kit.device_id(),
        kit.store().path().display()
    );
    demo::stock_the_van(&kit)?;
    let order = demo::repair_order(1, chrono::Utc::now(), Billing::Warranty);
    kit.receive_work_order(&order)?;
    for job in kit.todays_jobs()? {
        println!(
            "today: {} {:?} {:?} {}",
            job.number, job.kind, job.status, job.product_model
        );
    }
    let record = demo::walk_repair_visit(&kit, order.id, &mut |what| {
        clock.advance(chrono::Duration::minutes(7));
        let status = kit.job(order.id)?.status;
        match kit.checklist(order.id) {
            Ok(c) => println!(
                "{what:<28} job: {:<12} checklist {:>2}/{:<2} next: {}",
                status.as_str(),
                c.progress.satisfied,
                c.progress.applicable_required,
                c.next.as_deref().unwrap_or("-")
            ),
            Err(_) => println!("{what:<28} job: {}", status.as_str()),
        }
        Ok(())
    })?;
    println!(
        "\ncompletion record:\n{}",
        serde_json::to_string_pretty(&record)?
    );
    println!(
        "outbox: {} ops waiting for the server",
        kit.pending_ops(10_000)?.len()
    );
    for level in kit.van_stock()? {
        println!("van stock: {} × {}", level.quantity, level.part.sku);
    }
    Ok(())
}
