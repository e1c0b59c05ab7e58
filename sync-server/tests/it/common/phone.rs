//! A real phone for tests that play a device against the server: a FieldKit core on its own
//! database, enrolled as a technician, with every job, the fee schedule, the parts catalogue
//! and the checklists pulled, and its van stocked.

use fieldkit_core::model::*;
use fieldkit_core::sync::protocol::*;
use fieldkit_core::{DeviceConfig, FieldKit, demo};

use super::{TestServer, to_wire};

/// A phone of `technician`: enrolled, every job and the desk's catalog pulled (`receive`
/// may edit a job before the phone stores it), its van stocked.
pub struct Phone {
    pub kit: FieldKit,
    _dir: tempfile::TempDir,
    pub token: String,
}

pub async fn phone(ts: &TestServer, technician: &str, receive: impl Fn(&mut WorkOrder)) -> Phone {
    let dir = tempfile::tempdir().unwrap();
    let kit = FieldKit::open(dir.path(), DeviceConfig::default()).unwrap();
    let token = ts.enrol(technician, kit.device_id()).await.token;
    let mut cursor = 0;
    loop {
        let page: PullResponse = ts
            .client
            .get(ts.url(&format!("/v1/pull?cursor={cursor}&limit=500")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for c in page.changes {
            match c.change {
                Change::WorkOrder { mut work_order } => {
                    receive(&mut work_order);
                    kit.receive_work_order(&work_order).unwrap();
                }
                Change::FeeSchedule { fee_schedule } => {
                    kit.set_fee_schedule(&fee_schedule).unwrap()
                }
                Change::CatalogPart { part } => kit.add_catalog_part(&part).unwrap(),
                Change::ChecklistTemplate { json } => {
                    kit.install_template(&json).unwrap();
                }
                _ => {}
            }
        }
        cursor = page.cursor;
        if !page.more {
            break;
        }
    }
    kit.issue_stock("PUMP-220", 2).unwrap();
    Phone {
        kit,
        _dir: dir,
        token,
    }
}

impl Phone {
    pub fn outbox(&self) -> Vec<Op> {
        self.kit
            .pending_ops(10_000)
            .unwrap()
            .iter()
            .map(to_wire)
            .collect()
    }

    /// The demo's paid repair of `job`, walked honestly up to and including `last` (a step
    /// [`demo::walk_repair_visit`] reports).
    pub fn walk_until(&self, job: WorkOrderId, last: &str) {
        let r = demo::walk_repair_visit(&self.kit, job, &mut |s| {
            if s == last {
                Err(fieldkit_core::Error::Invalid {
                    field: "walk",
                    reason: "stopped here".into(),
                })
            } else {
                Ok(())
            }
        });
        assert!(
            matches!(r, Err(fieldkit_core::Error::Invalid { .. })),
            "stopped at {last}"
        );
    }

    /// The demo's paid repair of `job`, walked honestly to completion; the whole outbox.
    pub fn walked(&self, job: WorkOrderId) -> Vec<Op> {
        demo::walk_repair_visit(&self.kit, job, &mut |_| Ok(())).unwrap();
        self.outbox()
    }
}

/// The server's answer to `op` in a push's response.
pub fn answer(r: &PushResponse, op: &Op) -> OpOutcome {
    r.results
        .iter()
        .find(|x| x.op_id == op.op_id)
        .unwrap_or_else(|| panic!("no answer for {}", op.kind))
        .outcome
        .clone()
}
