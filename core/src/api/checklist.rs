//! What the technician sees of the checklist: every step with its status, what is next,
//! and what still blocks completion.

use serde::Serialize;

use super::FieldKit;
use crate::checklist::{Blocker, Localized, Phase, Progress, Run, StepKind, StepStatus};
use crate::error::{Error, Result};
use crate::model::{TemplateRef, WorkOrderId};
use crate::store::queries;

/// One step as shown to the technician.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StepState {
    pub id: String,
    pub label: Localized,
    pub help: Option<Localized>,
    pub phase: Phase,
    /// The step kind's name ("confirm", "photo", …).
    pub kind: &'static str,
    /// The kind in full: choice options, number unit and range, photos needed, signer role…
    /// (what the app needs to draw the step, whatever template the visit follows).
    pub spec: StepKind,
    pub required: bool,
    pub applicable: bool,
    pub status: StepStatus,
}

/// The checklist of a job's open visit.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChecklistView {
    pub template: TemplateRef,
    pub steps: Vec<StepState>,
    /// The step to do next, if any can be done now.
    pub next: Option<String>,
    /// What stops completion now, in the technician's words.
    pub blockers: Vec<Blocker>,
    pub progress: Progress,
    /// Paid work (fees must be agreed before it starts).
    pub paid: bool,
}

impl FieldKit {
    /// The checklist of the job's open visit.
    pub fn checklist(&self, id: WorkOrderId) -> Result<ChecklistView> {
        self.store.read(|c| self.checklist_in(c, id))
    }

    /// [`FieldKit::checklist`] read on `c` (the reader, or a command's transaction).
    pub(super) fn checklist_in(
        &self,
        c: &rusqlite::Connection,
        id: WorkOrderId,
    ) -> Result<ChecklistView> {
        let order = queries::work_order(c, id)?;
        let visit = queries::open_visit(c, id)?
            .ok_or_else(|| Error::not_found("open visit of work order", id))?;
        let cur = super::Current {
            order,
            visit: Some(visit.clone()),
            facts: None,
        };
        let template = self.template(c, &visit.template)?;
        let facts = self.facts(c, &cur, &visit)?;
        let run = Run::new(&template, &facts);
        Ok(ChecklistView {
            template: visit.template.clone(),
            steps: run
                .steps()
                .into_iter()
                .map(|v| StepState {
                    id: v.step.id.clone(),
                    label: v.step.label.clone(),
                    help: v.step.help.clone(),
                    phase: v.step.phase,
                    kind: v.step.kind.name(),
                    spec: v.step.kind.clone(),
                    required: v.step.required,
                    applicable: v.applicable,
                    status: v.status,
                })
                .collect(),
            next: run.next().map(|s| s.id.clone()),
            blockers: run.completion_blockers(),
            progress: run.progress(),
            paid: run.is_paid(),
        })
    }
}
