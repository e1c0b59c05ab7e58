//! Sample data for demos, tests and the benchmark (made-up names and numbers), and the Rust
//! side of the FFI benchmark. Not for production data: compiled only with the `demo`
//! feature, which the shipped library does not have.

use std::sync::Arc;
use std::time::Instant;

use fieldkit_core::checklist::AnswerValue;
use fieldkit_core::demo;
use fieldkit_core::model::Billing as CoreBilling;

use crate::convert::job_id;
use crate::error::{FieldKitError, Result};
use crate::jobs::WorkOrder;
use crate::kit::FieldKit;
use crate::onsite::FeeSchedule;
use crate::shared::Answer;
use crate::signing::Strokes;

/// A repair work order (status assigned) promised for the next two hours.
#[uniffi::export]
pub fn demo_repair_order(number: i32, paid: bool) -> WorkOrder {
    let billing = if paid {
        CoreBilling::Paid
    } else {
        CoreBilling::Warranty
    };
    let n = u32::try_from(number).unwrap_or(0);
    WorkOrder::from_core(demo::repair_order(n, chrono::Utc::now(), billing))
}

/// The dispatcher's request that creates `order` on the server (`POST
/// /v1/admin/work-orders`), assigned to `technician_id`: JSON, for tests and demos that
/// play the desk.
#[uniffi::export]
pub fn demo_dispatch_json(order: WorkOrder, technician_id: Option<String>) -> Result<String> {
    let o = order.to_core()?;
    let body = serde_json::json!({
        "id": o.id,
        "number": o.number,
        "kind": o.kind,
        "customer": o.customer,
        "site": o.site,
        "product": o.product,
        "reported_fault": o.reported_fault,
        "promised": o.promised,
        "billing": o.billing,
        "instructions": o.instructions,
        "reported_at": o.reported_at,
        "technician_id": technician_id,
    });
    Ok(body.to_string())
}

/// One publication of the desk (`POST {path}` with the JSON `body`).
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct DemoPublication {
    pub path: String,
    pub body: String,
}

/// What the desk publishes for the demo's visits, for tests and demos that play the desk:
/// the fee schedule and the part `demo_stock_the_van` puts on a phone. The server judges fee
/// consents and parts against what was published.
#[uniffi::export]
pub fn demo_publications() -> Vec<DemoPublication> {
    vec![
        DemoPublication {
            path: "/v1/admin/fee-schedules".into(),
            body: serde_json::json!({ "fee_schedule": demo::fee_schedule() }).to_string(),
        },
        DemoPublication {
            path: "/v1/admin/parts".into(),
            body: serde_json::json!({ "part": demo::van_part() }).to_string(),
        },
    ]
}

/// A small real JPEG (96×64) standing in for a camera photo; different tags, different
/// photos.
#[uniffi::export]
pub fn demo_photo(tag: String) -> Vec<u8> {
    demo::fake_photo(&tag)
}

/// A signature as a pad would report it; `seed` varies the shape.
#[uniffi::export]
pub fn demo_signature(seed: i32) -> Strokes {
    Strokes::from_core(demo::signature_strokes(seed.unsigned_abs()))
}

/// The fee schedule the demo uses ("standard" v3: visit, labour).
#[uniffi::export]
pub fn demo_fee_schedule() -> FeeSchedule {
    FeeSchedule::from_core(demo::fee_schedule())
}

/// Puts the demo's fee schedule, catalog part PUMP-220 and two pumps in the van.
#[uniffi::export]
pub fn demo_stock_the_van(kit: Arc<FieldKit>) -> Result<()> {
    Ok(demo::stock_the_van(&kit.core)?)
}

/// The Rust side of the FFI benchmark: times `iterations` calls of the core's
/// `answer_step` made directly in Rust (no FFI), returning nanoseconds per call.
#[uniffi::export]
pub fn bench_answer_step_in_rust(
    kit: Arc<FieldKit>,
    job_id_str: String,
    step_id: String,
    answer: Answer,
    iterations: i32,
) -> Result<Vec<i64>> {
    let id = job_id(&job_id_str)?;
    let answer = AnswerValue::from(answer);
    let n = usize::try_from(iterations)
        .map_err(|_| FieldKitError::validation("iterations", "must not be negative"))?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        kit.core.answer_step(id, &step_id, &answer)?;
        out.push(i64::try_from(t.elapsed().as_nanos()).unwrap_or(i64::MAX));
    }
    Ok(out)
}
