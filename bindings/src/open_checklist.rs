//! The checklist a screen keeps open while the technician works through a visit: the calls a
//! tap makes take the step's position in the view (an `i32`) instead of two id strings, so a
//! tick crosses the FFI without a serialized buffer, and one call answers a step and returns
//! the view the screen redraws (BENCHMARKS.md §4). The rules are the core's, exactly as for
//! `FieldKit::answer_step`: this is another way in, not another path.

use std::sync::{Arc, RwLock};

use fieldkit_core::checklist::AnswerValue;
use fieldkit_core::model::WorkOrderId;

use crate::checklist::{ChecklistView, view_of};
use crate::error::{FieldKitError, Result};
use crate::kit::{FieldKit, Observers};
use crate::shared::Answer;

/// A step answered, with the checklist as it stands after it.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct AnsweredStep {
    /// The change's outbox sequence number (as `answer_step` returns).
    pub seq: i64,
    /// The checklist after the answer: what the screen redraws.
    pub view: ChecklistView,
}

/// The checklist of one job's open visit, held open by a screen. Steps are named by their
/// position in [`OpenChecklist::view`]'s `steps` (0-based); the positions are the visit's
/// template's, which does not change while the visit is open. Every call is local and takes
/// microseconds (a write without fsync unless the kit is `power_loss_safe`).
#[derive(uniffi::Object)]
pub struct OpenChecklist {
    core: Arc<fieldkit_core::FieldKit>,
    observers: Arc<Observers>,
    job: WorkOrderId,
    job_text: String,
    /// The step ids by position, from the last view read.
    steps: RwLock<Vec<String>>,
}

#[uniffi::export]
impl FieldKit {
    /// Opens the checklist of the job's open visit for a screen: `NotFound` without one.
    pub fn open_checklist(&self, job_id: String) -> Result<Arc<OpenChecklist>> {
        let job = crate::convert::job_id(&job_id)?;
        let view = self.core.checklist(job)?;
        let steps = view.steps.iter().map(|s| s.id.clone()).collect();
        Ok(Arc::new(OpenChecklist {
            core: self.core.clone(),
            observers: self.observers.clone(),
            job,
            job_text: job.to_string(),
            steps: RwLock::new(steps),
        }))
    }
}

#[uniffi::export]
impl OpenChecklist {
    /// The job this checklist belongs to.
    pub fn job_id(&self) -> String {
        self.job_text.clone()
    }

    /// The checklist now (as `FieldKit::checklist`).
    pub fn view(&self) -> Result<ChecklistView> {
        self.read_view()
    }

    /// Ticks the step at `step` (a confirmation step): the cheapest call there is, no buffer
    /// either way. Returns the change's outbox sequence number.
    pub fn confirm(&self, step: i32) -> Result<i64> {
        self.answer_value(step, &AnswerValue::Confirmed)
    }

    /// Answers the step at `step`, refused as `answer_step` refuses.
    pub fn answer(&self, step: i32, answer: Answer) -> Result<i64> {
        self.answer_value(step, &AnswerValue::from(answer))
    }

    /// Answers the step at `step` and returns the checklist after it, in one call.
    /// The view is read in the answer's own transaction, where the pages it needs are
    /// already decrypted (a separate read after the commit decrypts them again).
    pub fn answer_and_view(&self, step: i32, answer: Answer) -> Result<AnsweredStep> {
        let step_id = self.step_id(step)?;
        let (seq, view) =
            self.core
                .answer_step_then_view(self.job, &step_id, &AnswerValue::from(answer))?;
        self.observers.notify(&self.job_text, "answer_step");
        Ok(AnsweredStep {
            seq,
            view: self.remember(view_of(view)),
        })
    }
}

impl OpenChecklist {
    fn read_view(&self) -> Result<ChecklistView> {
        Ok(self.remember(view_of(self.core.checklist(self.job)?)))
    }

    /// Keeps the step ids by position of `view`, the latest the screen was given.
    fn remember(&self, view: ChecklistView) -> ChecklistView {
        let mut steps = self.steps.write().unwrap_or_else(|e| e.into_inner());
        if steps.len() != view.steps.len() || steps.iter().zip(&view.steps).any(|(a, b)| *a != b.id)
        {
            *steps = view.steps.iter().map(|s| s.id.clone()).collect();
        }
        view
    }

    fn step_id(&self, step: i32) -> Result<String> {
        let steps = self.steps.read().unwrap_or_else(|e| e.into_inner());
        usize::try_from(step)
            .ok()
            .and_then(|i| steps.get(i).cloned())
            .ok_or_else(|| FieldKitError::validation("step", "no step at this position"))
    }

    fn answer_value(&self, step: i32, answer: &AnswerValue) -> Result<i64> {
        let step_id = self.step_id(step)?;
        let seq = self.core.answer_step(self.job, &step_id, answer)?;
        self.observers.notify(&self.job_text, "answer_step");
        Ok(seq)
    }
}
