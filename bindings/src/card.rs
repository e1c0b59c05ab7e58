//! The technician's card on the phone: name, employee number (工号) and the company's service
//! hotline, as the server sent them (enrolment, pulls), and what a checklist step shows
//! beside its label (at `id_badge`, the employee number: 004 一 第5章 第19条 (3)). Thin
//! adapters over `fieldkit_core::api::card`.

use fieldkit_core::sync::protocol as wire;

use crate::error::Result;
use crate::kit::FieldKit;
use crate::shared::LocalizedText;

/// Who this phone's technician is, and the number customers call.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct TechnicianCard {
    pub technician_id: String,
    pub name: String,
    /// 工号; None until the desk saved the technician's profile.
    pub employee_number: Option<String>,
    /// The company's service hotline (服务热线); None when the server has none set.
    pub service_hotline: Option<String>,
}

impl From<wire::TechnicianCard> for TechnicianCard {
    fn from(c: wire::TechnicianCard) -> Self {
        Self {
            technician_id: c.technician_id,
            name: c.name,
            employee_number: c.employee_number,
            service_hotline: c.service_hotline,
        }
    }
}

/// What a checklist step shows beside its label.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct StepContext {
    pub step_id: String,
    /// At `id_badge`: the card whose employee number the technician shows.
    pub card: Option<TechnicianCard>,
    /// A line to show with the step (e.g. "出示工号卡：工号 A1234（张三）"), if any.
    pub prompt: Option<LocalizedText>,
}

#[uniffi::export]
impl FieldKit {
    /// The card the server last sent for this device's technician (None before enrolment,
    /// or from a server that sends none).
    pub fn technician_card(&self) -> Result<Option<TechnicianCard>> {
        Ok(self.core.technician_card()?.map(Into::into))
    }

    /// What the step `step_id` of the job's open visit shows beside its label.
    /// `NotFound` without an open visit or such a step.
    pub fn step_context(&self, job_id: String, step_id: String) -> Result<StepContext> {
        let c = self.job_read(&job_id, |k, id| k.step_context(id, &step_id))?;
        Ok(StepContext {
            step_id: c.step_id,
            card: c.card.map(Into::into),
            prompt: c.prompt.map(|(zh_cn, en)| LocalizedText { zh_cn, en }),
        })
    }
}
