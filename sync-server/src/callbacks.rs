//! Callbacks (回访), pure: the rules the desk sets for which completed jobs it calls back,
//! the sampling (deterministic for the rules' seed), a callback and its outcome, and the
//! measures (the customer's rating on the callback beside the rating given on the
//! technician's phone). No storage, no clock.
//!
//! Sources: 004 一 第4章 第17条 "售后服务部就商品安装情况对客户进行回访，作为对安装部门考核的内容
//! 之一" (every installation is called back, and the result assesses the installers); 第10章
//! 第36条 "采取的方式可以是电话回访、客户投诉电话、定期走访等" (the callback as the desk's
//! supervision of service quality); PROCEDURE 23 (the desk calls back a sample of customers).
//! A complaint's customer is called back too: 001 4.2.3(3) asks their opinion of the result.
//!
//! The rating on the technician's phone is given in front of the technician; the callback is
//! the independent measure, so the two are shown side by side.

use crate::msg::Msg;
use fieldkit_core::model::{JobKind, WorkOrderId};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The desk's rules for what to call back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallbackRules {
    /// Every installation (第17条).
    pub every_installation: bool,
    /// Every job the customer complained about.
    pub every_complaint: bool,
    /// This share (0–100 %) of the other completed jobs, picked by [`sample`].
    pub sample_percent: u8,
    /// The callback is due within this many days of the completion (1–30).
    pub within_days: u32,
    /// The sampling's seed: the same seed picks the same jobs.
    pub seed: u64,
}

impl Default for CallbackRules {
    fn default() -> Self {
        Self {
            every_installation: true,
            every_complaint: true,
            sample_percent: 20,
            within_days: 3,
            seed: 0,
        }
    }
}

/// Why rules are refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    #[error("sample_percent: 0–100")]
    Percent,
    #[error("within_days: 1–30")]
    Days,
}

impl RulesError {
    /// What to tell the reader.
    pub fn msg(&self) -> Msg {
        match self {
            RulesError::Percent => Msg::new("err-callback-rules-percent"),
            RulesError::Days => Msg::new("err-callback-rules-days"),
        }
    }
}

impl CallbackRules {
    /// The rules, or why they are out of range.
    pub fn check(self) -> Result<Self, RulesError> {
        if self.sample_percent > 100 {
            return Err(RulesError::Percent);
        }
        if !(1..=30).contains(&self.within_days) {
            return Err(RulesError::Days);
        }
        Ok(self)
    }
}

/// Why a job is called back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Installation,
    Complaint,
    Sample,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Installation => "installation",
            Self::Complaint => "complaint",
            Self::Sample => "sample",
        }
    }
}

/// The job's draw in 0..100 for a seed: the first 8 bytes of SHA-256(seed ‖ job id), mod 100.
pub fn draw(seed: u64, job: WorkOrderId) -> u8 {
    let mut h = Sha256::new();
    h.update(seed.to_be_bytes());
    h.update(job.to_string().as_bytes());
    let d = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&d[..8]);
    // Below 100: fits.
    (u64::from_be_bytes(first) % 100) as u8
}

/// Whether a completed job is called back under `rules`, and why (installation first, then
/// complaint, then the sample).
pub fn sample(
    rules: &CallbackRules,
    job: WorkOrderId,
    kind: JobKind,
    complained: bool,
) -> Option<Reason> {
    if rules.every_installation && kind == JobKind::Installation {
        Some(Reason::Installation)
    } else if rules.every_complaint && complained {
        Some(Reason::Complaint)
    } else if draw(rules.seed, job) < rules.sample_percent {
        Some(Reason::Sample)
    } else {
        None
    }
}

/// A problem the callback found, and what the desk made of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    /// The unit is still not right: a linked repair job (a callback's repair).
    Repair,
    /// The customer complains: a complaint taken in from the callback.
    Complaint,
}

/// What one call found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub reached: bool,
    /// 1–5, when reached.
    pub rating: Option<u8>,
    pub problem: Option<Problem>,
    pub note: Option<String>,
    pub by: String,
    pub at: i64,
}

/// Where a callback stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallbackState {
    /// To call (again).
    Open,
    /// The customer was reached and answered.
    Done,
    /// Not reached after [`MAX_ATTEMPTS`] calls.
    Unreachable,
}

impl CallbackState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Done => "done",
            Self::Unreachable => "unreachable",
        }
    }
}

/// Calls without reaching the customer before the callback is given up.
pub const MAX_ATTEMPTS: usize = 3;

/// A callback as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Callback {
    pub id: String,
    pub work_order_id: WorkOrderId,
    pub reason: Reason,
    /// When the job's completion arrived (ms).
    pub completed_at: i64,
    /// `within_days` after the completion (ms).
    pub due_at: i64,
    /// The rules' version it was picked under (0: the defaults).
    pub rules_version: i64,
    pub state: CallbackState,
    /// Every call, oldest first.
    pub calls: Vec<Outcome>,
    /// The repair job made from a problem found.
    pub repair_job_id: Option<WorkOrderId>,
    /// The complaint taken in from a problem found.
    pub complaint_id: Option<String>,
    pub revision: u32,
    pub updated_at: i64,
}

/// Why an outcome is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OutcomeError {
    #[error("回访已结束 (the callback is finished)")]
    Finished,
    #[error(
        "接通时须有 1–5 的评分；未接通时不可评分或登记问题 (a reached customer gives a rating of 1 to 5; an unreached one gives neither a rating nor a problem)"
    )]
    Rating,
    #[error("投诉须写明客户所说 (a complaint needs what the customer said in the note)")]
    ComplaintNote,
}

impl OutcomeError {
    /// What to tell the reader.
    pub fn msg(&self) -> Msg {
        Msg::new(match self {
            OutcomeError::Finished => "err-callback-finished",
            OutcomeError::Rating => "err-callback-rating",
            OutcomeError::ComplaintNote => "err-callback-complaint-note",
        })
    }
}

impl Callback {
    /// The callback after one call, or why not (pure; the revision moves on).
    pub fn record(&self, o: Outcome) -> Result<Callback, OutcomeError> {
        if self.state != CallbackState::Open {
            return Err(OutcomeError::Finished);
        }
        match (o.reached, o.rating) {
            (true, Some(1..=5)) => {}
            (false, None) if o.problem.is_none() => {}
            _ => return Err(OutcomeError::Rating),
        }
        if o.problem == Some(Problem::Complaint)
            && o.note.as_deref().is_none_or(|n| n.trim().is_empty())
        {
            return Err(OutcomeError::ComplaintNote);
        }
        let mut c = self.clone();
        c.updated_at = o.at;
        c.state = if o.reached {
            CallbackState::Done
        } else if c.calls.len() + 1 >= MAX_ATTEMPTS {
            CallbackState::Unreachable
        } else {
            CallbackState::Open
        };
        c.calls.push(o);
        c.revision = c.revision.saturating_add(1);
        Ok(c)
    }

    /// The answered call, if any.
    pub fn answer(&self) -> Option<&Outcome> {
        self.calls.iter().find(|o| o.reached)
    }
}

/// The callback measures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CallbackMeasures {
    /// Callbacks picked.
    pub picked: u32,
    /// Reached and answered.
    pub done: u32,
    pub unreachable: u32,
    /// Open and past the due time.
    pub overdue: u32,
    /// Mean rating on the callback (1–5), over the answered ones.
    pub callback_rating: Option<f64>,
    /// Mean rating the same customers gave on the technician's phone, over the answered
    /// callbacks whose job has one: side by side with `callback_rating`.
    pub device_rating: Option<f64>,
    /// Answered callbacks rated 4 or 5, of the answered.
    pub satisfied_rate: Option<f64>,
    /// Answered callbacks that found a problem.
    pub problems: u32,
}

/// The measures over `all` at `now`; `device_rating(job)` is the last rating given on the
/// technician's phone for that job.
pub fn measures(
    all: &[Callback],
    now: i64,
    device_rating: impl Fn(WorkOrderId) -> Option<u8>,
) -> CallbackMeasures {
    let mut m = CallbackMeasures {
        picked: u32::try_from(all.len()).unwrap_or(u32::MAX),
        ..Default::default()
    };
    let (mut sum, mut dev_sum, mut dev_n, mut happy) = (0u32, 0u32, 0u32, 0u32);
    for c in all {
        match c.state {
            CallbackState::Unreachable => m.unreachable += 1,
            CallbackState::Open if now >= c.due_at => m.overdue += 1,
            _ => {}
        }
        let Some(a) = c.answer() else { continue };
        let Some(r) = a.rating else { continue };
        m.done += 1;
        sum += u32::from(r);
        happy += u32::from(r >= 4);
        m.problems += u32::from(a.problem.is_some());
        if let Some(d) = device_rating(c.work_order_id) {
            dev_sum += u32::from(d);
            dev_n += 1;
        }
    }
    let mean = |s: u32, n: u32| (n > 0).then(|| f64::from(s) / f64::from(n));
    m.callback_rating = mean(sum, m.done);
    m.device_rating = mean(dev_sum, dev_n);
    m.satisfied_rate = mean(happy, m.done);
    m
}

#[cfg(test)]
mod tests;
