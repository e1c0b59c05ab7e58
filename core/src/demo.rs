//! Sample data and a scripted repair visit, shared by the README's demo, the crash test's
//! child process and the benchmarks. Names and numbers are made up. Compiled only with the
//! `demo` feature (and in the crate's unit tests); a shipped app does not carry it.

use chrono::Duration;

use crate::api::{CallOutcome, FieldKit, PartUse, SignatureInput, TakeBack};
use crate::checklist::AnswerValue;
use crate::error::Result;
use crate::media::signature::{StrokePoint, Strokes};
use crate::model::*;

/// A signature as a pad would report it: a few pressure-varying loops across the pad,
/// shaped by `seed` so different signers draw differently.
pub fn signature_strokes(seed: u32) -> Strokes {
    let (w, h) = (600.0f32, 200.0f32);
    let strokes = (0..3)
        .map(|s| {
            (0..40)
                .map(|i| {
                    let t = i as f32 / 39.0;
                    let phase = (seed % 7) as f32 + s as f32;
                    StrokePoint {
                        x: w * (0.1 + 0.25 * s as f32 + 0.2 * t),
                        y: h * (0.5 + 0.3 * (t * 9.0 + phase).sin()),
                        t_ms: (s * 400 + i * 10) as u32,
                        pressure: 0.3 + 0.5 * t,
                    }
                })
                .collect()
        })
        .collect();
    Strokes {
        width: w as u32,
        height: h as u32,
        strokes,
    }
}

/// A small real JPEG standing in for a camera photo (96×64, a gradient whose colours come
/// from `tag`, so different tags give different photos).
pub fn fake_photo(tag: &str) -> Vec<u8> {
    let seed = tag
        .bytes()
        .fold(2166136261u32, |h, b| (h ^ b as u32).wrapping_mul(16777619));
    let (w, h) = (96u16, 64u16);
    let mut rgb = Vec::with_capacity(w as usize * h as usize * 3);
    for y in 0..h as u32 {
        for x in 0..w as u32 {
            rgb.push((x * 2 + seed) as u8);
            rgb.push((y * 3 + (seed >> 8)) as u8);
            rgb.push(((x + y) + (seed >> 16)) as u8);
        }
    }
    let mut out = Vec::new();
    // Encoding a small in-memory RGB buffer into a Vec cannot fail.
    let _ =
        jpeg_encoder::Encoder::new(&mut out, 90).encode(&rgb, w, h, jpeg_encoder::ColorType::Rgb);
    out
}

/// The fee schedule used by the demo.
pub fn fee_schedule() -> FeeSchedule {
    FeeSchedule {
        id: "standard".into(),
        version: 3,
        currency: "CNY".into(),
        items: vec![
            FeeItem {
                code: "visit".into(),
                label_zh: "上门费".into(),
                label_en: "Call-out fee".into(),
                amount: 5000,
            },
            FeeItem {
                code: "labour".into(),
                label_zh: "维修工时费".into(),
                label_en: "Labour".into(),
                amount: 8000,
            },
        ],
    }
}

/// A repair work order promised for the next two hours from `now`.
pub fn repair_order(n: u32, now: Timestamp, billing: Billing) -> WorkOrder {
    WorkOrder {
        id: WorkOrderId::new(),
        number: format!("WO-DEMO-{n:05}"),
        kind: JobKind::Repair,
        customer: Customer {
            name: "王女士".into(),
            phone: "13800000000".into(),
        },
        site: Site {
            address: "上海市浦东新区示例路 1 号 101 室".into(),
            zone: Zone::Urban,
        },
        product: Product {
            model: "WM-8000".into(),
            serial: None,
        },
        reported_fault: "洗衣机不排水 / washer does not drain".into(),
        promised: TimeWindow {
            start: now + Duration::minutes(30),
            end: now + Duration::minutes(150),
        },
        billing,
        instructions: None,
        reported_at: now - Duration::hours(3),
        status: WorkOrderStatus::Assigned,
        checklist: None,
        parent: None,
        sale: None,
    }
}

/// A dishwasher sold at `sold_at` for ¥2999.00 at a ¥300.00 discount, with its invoice: the
/// sale a demo return or exchange is judged on.
pub fn sale(sold_at: Timestamp) -> Sale {
    Sale {
        sold_at,
        price_paid: 299_900,
        list_price: 329_900,
        current_price: None,
        seasonal: false,
        category: returns::Category::Appliance,
        customer_type: CustomerType::Individual,
        requested_at: None,
    }
}

/// What a demo technician finds on a return: the unit leaks (a product fault), the invoice is
/// shown, no report, no misuse; the customer asks for an exchange.
pub fn return_findings() -> ReturnFindings {
    ReturnFindings {
        request: returns::Request::Exchange,
        proof_of_purchase: true,
        resalable: false,
        inspection: returns::Inspection::None,
        misuse: None,
        fault: returns::Fault::Product,
    }
}

/// The part the demo visit installs.
pub fn van_part() -> Part {
    Part {
        sku: "PUMP-220".into(),
        name: "排水泵 Drain pump 220V".into(),
        unit: "pcs".into(),
    }
}

/// Puts the catalog, van stock and fee schedule the demo visit needs on the device (a server
/// judging its journal must have published the same: [`fee_schedule`], [`van_part`]).
pub fn stock_the_van(kit: &FieldKit) -> Result<()> {
    kit.set_fee_schedule(&fee_schedule())?;
    kit.add_catalog_part(&van_part())?;
    kit.issue_stock("PUMP-220", 2)?;
    Ok(())
}

/// The pre-visit call as the demo makes it: the customer reached, everything confirmed, the
/// promised window kept.
pub fn call_reached() -> CallOutcome {
    CallOutcome {
        reached: true,
        confirmed: CallConfirmations::all(),
        agreed: None,
        note: None,
    }
}

/// Walks a paid repair visit from "assigned" to completion, following every step, and
/// calls `progress` after each one with the step's name.
pub fn walk_repair_visit(
    kit: &FieldKit,
    id: WorkOrderId,
    progress: &mut dyn FnMut(&str) -> Result<()>,
) -> Result<crate::api::CompletionRecord> {
    let step = |kit: &FieldKit, s: &str, a: AnswerValue| kit.answer_step(id, s, &a).map(|_| ());
    kit.accept(id)?;
    progress("accept")?;
    kit.call_customer(id, &call_reached())?;
    progress("call_customer")?;
    step(kit, "tools_parts_loaded", AnswerValue::Confirmed)?;
    progress("tools_parts_loaded")?;
    kit.start_travel(id)?;
    progress("start_travel")?;
    let eta = kit.job(id)?.order.promised.start + Duration::minutes(20);
    kit.notify_delay(id, "traffic on the ring road", eta)?;
    progress("notify_delay")?;
    kit.arrive(id)?;
    progress("arrive")?;
    step(kit, "id_badge", AnswerValue::Confirmed)?;
    progress("id_badge")?;
    step(kit, "shoe_covers", AnswerValue::Confirmed)?;
    progress("shoe_covers")?;
    step(kit, "warranty_proof", AnswerValue::YesNo(false))?;
    step(
        kit,
        "product_serial",
        AnswerValue::Serial("SN2024WM8000123".into()),
    )?;
    progress("warranty checked")?;
    step(kit, "unit_intact", AnswerValue::YesNo(false))?;
    step(
        kit,
        "anomaly_description",
        AnswerValue::Text("Scratch on the left panel".into()),
    )?;
    let finding =
        kit.record_finding(id, FindingKind::ManMadeDamage, "Scratch on the left panel")?;
    kit.add_photo(id, Some("anomaly_photo"), &fake_photo("scratch"))?;
    kit.summary_for_signing(id)?;
    kit.sign(
        id,
        &SignatureInput {
            signer_name: "王女士".into(),
            role: SignerRole::Customer,
            strokes: signature_strokes(1),
            step_id: Some("anomaly_signature".into()),
            finding: Some(finding.id),
        },
    )?;
    progress("anomaly recorded and signed")?;
    step(kit, "coverage", AnswerValue::Choice("paid".into()))?;
    step(kit, "paid_service_explained", AnswerValue::Confirmed)?;
    let fees = fee_schedule();
    kit.consent_to_fees(
        id,
        &fees.id,
        fees.version,
        &["visit".into(), "labour".into()],
        true,
    )?;
    // The customer signs the paid-service acknowledgement with the fees (004 八 第4条(10)).
    kit.summary_for_signing(id)?;
    kit.sign(
        id,
        &SignatureInput {
            signer_name: "王女士".into(),
            role: SignerRole::Customer,
            strokes: signature_strokes(1),
            step_id: Some("fee_consent_signature".into()),
            finding: None,
        },
    )?;
    progress("fees agreed")?;
    kit.start_work(id)?;
    progress("start_work")?;
    step(kit, "respect_home", AnswerValue::Confirmed)?;
    kit.record_part(
        id,
        &PartUse {
            sku: "PUMP-220".into(),
            quantity: 1,
            new_serial: Some("P22-000981".into()),
            old_part: OldPartFate::Returned,
            old_serial: None,
        },
    )?;
    progress("record_part")?;
    kit.pause(id, "customer's lunch")?;
    kit.resume(id)?;
    progress("pause/resume")?;
    step(
        kit,
        "work_done",
        AnswerValue::Text("Replaced the drain pump".into()),
    )?;
    step(kit, "parts_reviewed", AnswerValue::Confirmed)?;
    step(kit, "test_run_ok", AnswerValue::YesNo(true))?;
    progress("work done")?;
    kit.add_photo(id, Some("debris_removed"), &fake_photo("clean floor"))?;
    kit.summary_for_signing(id)?;
    kit.sign(
        id,
        &SignatureInput {
            signer_name: "王女士".into(),
            role: SignerRole::Customer,
            strokes: signature_strokes(1),
            step_id: Some("service_record_signature".into()),
            finding: None,
        },
    )?;
    progress("customer signed")?;
    // The rating is the feedback step's evidence: nothing to tick.
    kit.feedback(id, 5, Some("很专业 / very professional"), false)?;
    kit.settle(id, &sample_settlement())?;
    step(kit, "customer_copy", AnswerValue::Confirmed)?;
    step(kit, "goodbye", AnswerValue::Confirmed)?;
    progress("close-out")?;
    let record = kit.complete(id)?;
    progress("complete")?;
    Ok(record)
}

/// The demo's settlement: the consented total (visit + labour), in cash, receipt issued on
/// site.
pub fn sample_settlement() -> Settlement {
    Settlement {
        amount: fee_schedule()
            .items
            .iter()
            .filter(|i| i.code == "visit" || i.code == "labour")
            .map(|i| i.amount)
            .sum(),
        method: PaymentMethod::Cash,
        receipt_no: Some("SJ-20261204-0001".into()),
        reason: None,
    }
}

/// Waiting for parts (待件): one drain pump, from the demo catalogue or (`in_catalog` false) a SKU
/// no catalogue has, with the note (used by tests and the demo).
pub fn sample_parts_wait(in_catalog: bool) -> (Vec<PartRequest>, &'static str) {
    let sku = if in_catalog {
        "PUMP-220"
    } else {
        "NO-SUCH-PART"
    };
    (
        vec![PartRequest {
            sku: sku.into(),
            quantity: 1,
        }],
        "drain pump seized",
    )
}

/// A refused signature's reason and, when `witnessed`, the witness (used by tests and the demo).
pub fn sample_refusal(witnessed: bool) -> (&'static str, Option<&'static str>) {
    (
        "does not agree the work is finished",
        witnessed.then_some("Li Wei, the neighbour"),
    )
}

/// Walks a delivery from "assigned" to goods found damaged on unboxing: on site, the damage
/// photographed, described, recorded as a finding and signed by the customer on the
/// `damage_signature` step, a redelivery date proposed. Returns the finding, for
/// [`FieldKit::request_redelivery`] (used by tests and the demo).
pub fn walk_damaged_delivery(kit: &FieldKit, id: WorkOrderId) -> Result<FindingId> {
    let step = |s: &str, a: AnswerValue| kit.answer_step(id, s, &a).map(|_| ());
    kit.accept(id)?;
    kit.call_customer(id, &call_reached())?;
    step("goods_loaded", AnswerValue::Confirmed)?;
    kit.start_travel(id)?;
    kit.arrive(id)?;
    step("id_badge", AnswerValue::Confirmed)?;
    step("shoe_covers", AnswerValue::Confirmed)?;
    step("unbox_ok", AnswerValue::YesNo(false))?;
    kit.add_photo(id, Some("unbox_photos"), &fake_photo("dented side panel"))?;
    step(
        "damage_description",
        AnswerValue::Text("Dent on the left side panel".into()),
    )?;
    let finding = kit.record_finding(
        id,
        FindingKind::DamagedOnDelivery,
        "Dent on the left side panel",
    )?;
    kit.summary_for_signing(id)?;
    kit.sign(
        id,
        &SignatureInput {
            signer_name: "王女士".into(),
            role: SignerRole::Customer,
            strokes: signature_strokes(2),
            step_id: Some("damage_signature".into()),
            finding: Some(finding.id),
        },
    )?;
    step(
        "redelivery_date",
        AnswerValue::Text("the next working day".into()),
    )?;
    Ok(finding.id)
}

/// Records damage found on site: on delivery (unboxing) or, when `on_delivery` is false, signs
/// of tampering (used by the property tests).
pub fn record_damage(kit: &FieldKit, id: WorkOrderId, on_delivery: bool) -> Result<()> {
    let kind = if on_delivery {
        FindingKind::DamagedOnDelivery
    } else {
        FindingKind::Tampering
    };
    kit.record_finding(id, kind, "dent on the side").map(drop)
}

/// The customer signs the latest finding of the visit (or, with none, a finding no visit has),
/// with no step (used by the property tests).
pub fn sign_latest_finding(kit: &FieldKit, id: WorkOrderId) -> Result<()> {
    let (latest, _) = latest_findings(kit, id)?;
    let input = SignatureInput {
        signer_name: "Customer Name".into(),
        role: SignerRole::Customer,
        strokes: signature_strokes(7),
        step_id: None,
        finding: Some(latest.unwrap_or_else(FindingId::new)),
    };
    kit.sign(id, &input).map(drop)
}

/// Requests a redelivery of the visit's latest damaged-on-delivery finding (or of a finding no
/// visit has) (used by the property tests).
pub fn redeliver_latest_damage(kit: &FieldKit, id: WorkOrderId) -> Result<()> {
    let (_, damaged) = latest_findings(kit, id)?;
    kit.request_redelivery(
        id,
        damaged.unwrap_or_else(FindingId::new),
        "dent on the side",
    )
    .map(drop)
}

/// Settles the call-out fee alone (what the property tests consent to) in cash with a receipt;
/// when `differs`, a lower amount with its reason (used by the property tests).
pub fn settle_call_out(kit: &FieldKit, id: WorkOrderId, differs: bool) -> Result<()> {
    let call_out: Cents = fee_schedule()
        .items
        .iter()
        .filter(|i| i.code == "visit")
        .map(|i| i.amount)
        .sum();
    let settlement = Settlement {
        amount: if differs { call_out - 1000 } else { call_out },
        method: PaymentMethod::Cash,
        receipt_no: Some("SJ-PROP-0001".into()),
        reason: differs.then(|| "a discount agreed on site".into()),
    };
    kit.settle(id, &settlement).map(drop)
}

/// Takes back the job's first loaner (or one it never lent) (used by the property tests).
pub fn return_first_loaner(kit: &FieldKit, id: WorkOrderId) -> Result<()> {
    let loaner = kit
        .loaners(id)?
        .first()
        .map_or_else(LoanerId::new, |l| l.id);
    kit.return_loaner(id, loaner)
}

/// Why the customer declined the quote (used by tests and the demo).
pub const SAMPLE_QUOTE_DECLINED: &str = "the repair costs more than the unit is worth";

/// Why another visit is needed (used by tests and the demo).
pub const SAMPLE_SECOND_VISIT: &str = "two people are needed to lift the unit";

/// The latest finding of the job's current visit, and the latest of the kind damaged on
/// delivery (used by tests and the demo to sign one or request a redelivery).
pub fn latest_findings(
    kit: &FieldKit,
    id: WorkOrderId,
) -> Result<(Option<FindingId>, Option<FindingId>)> {
    let found = kit.findings(id)?;
    let damaged = found
        .iter()
        .rev()
        .find(|f| f.kind == FindingKind::DamagedOnDelivery)
        .map(|f| f.id);
    Ok((found.last().map(|f| f.id), damaged))
}

/// A unit that cannot be fixed on site goes to the workshop (used by tests and the demo).
pub fn sample_take_back() -> TakeBack {
    TakeBack {
        receipt_no: "R-0001".into(),
        reason: "motor needs bench repair".into(),
        goods_book_ref: "GB-2026-0042".into(),
        loaner: Some(("WM-LOAN".into(), "LN-77".into())),
        condition_photos: Vec::new(),
    }
}

/// Takes the unit back with its evidence ([`sample_take_back`]): a photo of the unit's
/// condition, the receipt shown to the customer and signed by them, then the take-back (used
/// by tests and the demo).
pub fn take_back_with_evidence(kit: &FieldKit, id: WorkOrderId) -> Result<TakeBackReceipt> {
    let tag = format!("condition of the unit {}", ReceiptId::new());
    kit.add_photo(id, None, &fake_photo(&tag))?;
    show_take_back_receipt(kit, id)?;
    sign_take_back_receipt(kit, id)?;
    take_back_citing_photos(kit, id)
}

/// Shows the customer [`sample_take_back`]'s receipt with the visit (used by the property
/// tests).
pub fn show_take_back_receipt(kit: &FieldKit, id: WorkOrderId) -> Result<()> {
    kit.take_back_summary(id, &sample_take_back()).map(drop)
}

/// The customer signs [`sample_take_back`]'s receipt (used by the property tests).
pub fn sign_take_back_receipt(kit: &FieldKit, id: WorkOrderId) -> Result<()> {
    kit.sign_take_back_receipt(
        id,
        &sample_take_back(),
        "Customer Name",
        &signature_strokes(9),
    )
    .map(drop)
}

/// Takes the unit back under [`sample_take_back`]'s receipt, naming the visit's latest photo
/// as the unit's condition (none when the visit has none) (used by tests and the property
/// tests).
pub fn take_back_citing_photos(kit: &FieldKit, id: WorkOrderId) -> Result<TakeBackReceipt> {
    let tb = TakeBack {
        condition_photos: kit.photos(id)?.pop().into_iter().collect(),
        ..sample_take_back()
    };
    kit.take_back(id, &tb)
}

/// Satisfies a finding step (`step_id`): records an anomaly of the kind the job's template
/// implies (damage on delivery for a delivery, man-made damage otherwise), shows the customer
/// the summary and has them sign it on the step, naming the finding (used by the walkers).
pub fn sign_finding_step(kit: &FieldKit, id: WorkOrderId, step_id: &str) -> Result<FindingId> {
    let kind = if kit.job(id)?.order.kind == crate::model::JobKind::Delivery {
        FindingKind::DamagedOnDelivery
    } else {
        FindingKind::ManMadeDamage
    };
    let finding = kit.record_finding(id, kind, "scratch on the left panel")?;
    kit.summary_for_signing(id)?;
    kit.sign(
        id,
        &SignatureInput {
            signer_name: "Customer Name".into(),
            role: SignerRole::Customer,
            strokes: signature_strokes(7),
            step_id: Some(step_id.into()),
            finding: Some(finding.id),
        },
    )?;
    Ok(finding.id)
}

/// Answers a loaner step (`step_id`) as the loaner records require: every loaner still out
/// is taken back first, then `collected` if any was lent, else `none_lent` (used by the
/// walkers).
pub fn settle_loaner_step(kit: &FieldKit, id: WorkOrderId, step_id: &str) -> Result<i64> {
    let loaners = kit.loaners(id)?;
    for l in loaners.iter().filter(|l| l.returned_at.is_none()) {
        kit.return_loaner(id, l.id)?;
    }
    let v = if loaners.is_empty() {
        "none_lent"
    } else {
        "collected"
    };
    kit.answer_step(id, step_id, &AnswerValue::Choice(v.into()))
}
