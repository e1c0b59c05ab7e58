//! A complaint (投诉) and the rules of its handling, pure: what the desk records at intake,
//! what may follow what, and where a complaint stands at an instant. No storage, no clock.
//!
//! Sources: 001 第4章 4.2.1 (channels: 电话、在线客服、邮件、信函), 4.2.2 (record it in detail;
//! judge it valid or not — a valid one goes to the department, an invalid one is explained to
//! the customer), 4.2.3 (investigate, act, report the result to the customer and ask their
//! opinion), 4.3.1 (handled within 3 working days; an extension is told to the customer);
//! 004 一 第7章 第28条 (written or spoken complaints; the after-sales department handles them,
//! "确保用户满意", records and files the result, finds the cause and the person responsible
//! for their assessment), 第8章 第30条 (every call, letter and visit is received and recorded).
//!
//! The life of a complaint: `open` (taken in) → assessed (valid or not, cause, responsible
//! party) → `handled` (the resolution recorded; the time that counts against the due time) →
//! `closed` (the result reported to the customer with their opinion). A customer who is not
//! satisfied with the result reopens it (`open` again, the earlier rounds kept): "确保用户满意"
//! is not met by a resolution the customer rejects. An extension moves the due time and is
//! told to the customer before the due time passes (4.3.1(2) "应及时告知客户"); once it has
//! passed the complaint is late and can only be handled.

use crate::msg::Msg;
use fieldkit_core::model::WorkOrderId;
use serde::{Deserialize, Serialize};

/// How the complaint reached the company.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// 电话 (a call to the desk).
    Phone,
    /// 信函 / 邮件 (a letter or an e-mail).
    Letter,
    /// 来访 (the customer came in).
    Visit,
    /// 在线客服 (online).
    Online,
    /// Raised on the technician's phone at the visit (the customer's feedback).
    Device,
    /// Found by the desk's callback (回访).
    Callback,
}

impl Channel {
    pub const ALL: [Channel; 6] = [
        Self::Phone,
        Self::Letter,
        Self::Visit,
        Self::Online,
        Self::Device,
        Self::Callback,
    ];
    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Phone => "phone",
            Self::Letter => "letter",
            Self::Visit => "visit",
            Self::Online => "online",
            Self::Device => "device",
            Self::Callback => "callback",
        }
    }
}

/// What the complaint is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// 产品质量.
    ProductQuality,
    /// 服务质量 (the work done).
    ServiceQuality,
    /// 服务态度.
    Attitude,
    /// 时效 (late, no-show, slow repair).
    Timeliness,
    /// 收费.
    Charges,
    /// 财物损坏 (damage at the customer's home).
    Damage,
    /// 其他.
    Other,
}

impl Category {
    pub const ALL: [Category; 7] = [
        Self::ProductQuality,
        Self::ServiceQuality,
        Self::Attitude,
        Self::Timeliness,
        Self::Charges,
        Self::Damage,
        Self::Other,
    ];
    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ProductQuality => "product_quality",
            Self::ServiceQuality => "service_quality",
            Self::Attitude => "attitude",
            Self::Timeliness => "timeliness",
            Self::Charges => "charges",
            Self::Damage => "damage",
            Self::Other => "other",
        }
    }
}

/// Who was responsible (004 第28条(3) "查清用户投诉的原因，并纳入对相关责任人的考核").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Responsible {
    /// A technician (name them in `technician_id`).
    Technician,
    /// The service desk.
    Desk,
    /// The product (the manufacturer's quality).
    Product,
    /// Delivery and logistics.
    Logistics,
    /// Nobody at the company: the complaint was not founded.
    None,
}

/// Where a complaint stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Taken in, not yet handled (or reopened by a dissatisfied customer).
    Open,
    /// Handled: the resolution is recorded; the result is still to be reported.
    Handled,
    /// The result was reported to the customer and they accepted it (or could not be
    /// reached).
    Closed,
}

impl State {
    /// The stable snake_case name (stored in the `state` column).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Handled => "handled",
            Self::Closed => "closed",
        }
    }
}

/// The customer's opinion of the result (4.2.3(3) "征求客户意见").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Opinion {
    Satisfied,
    /// Accepts it, without being pleased.
    Acceptable,
    /// Rejects the result: the complaint is reopened.
    Dissatisfied,
    /// Could not be reached to hear the result (closed; counts in no satisfaction ratio).
    Unreachable,
}

/// The desk's judgement (4.2.2(2)(3); 004 第28条(3)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    /// 有效投诉 or not; an invalid one is explained to the customer.
    pub valid: bool,
    /// The cause found.
    pub cause: String,
    pub responsible: Responsible,
    /// The technician responsible, when `responsible` is `technician`.
    pub technician_id: Option<String>,
    pub by: String,
    pub at: i64,
}

/// An extension of the due time (4.3.1(2)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    /// The new due time (ms; the end of a local day).
    pub due_at: i64,
    pub reason: String,
    /// When the customer was told (the desk records it as it tells them).
    pub told_at: i64,
    pub by: String,
}

/// A resolution (4.2.3(2)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolution {
    pub text: String,
    pub by: String,
    pub at: i64,
}

/// The result reported to the customer and their opinion (4.2.3(3)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub opinion: Opinion,
    /// What the customer said, if anything.
    pub note: Option<String>,
    pub by: String,
    pub at: i64,
}

/// One round of handling that the customer rejected (kept when the complaint is reopened).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Round {
    pub resolution: Resolution,
    pub report: Report,
}

/// A complaint as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Complaint {
    pub id: String,
    pub channel: Channel,
    pub category: Category,
    pub work_order_id: Option<WorkOrderId>,
    /// What the customer said, as recorded (may hold personal data: never logged).
    pub summary: String,
    /// When the company received it (ms).
    pub received_at: i64,
    /// The desk account (login) that took it in; `device` for one from a device.
    pub taken_by: String,
    /// The device op (`feedback`) it was taken in from.
    pub source_op_id: Option<String>,
    /// The end of the Nth working day after the receipt's day (ms): handled in time means
    /// strictly before it.
    pub due_at: i64,
    /// The due time was counted Monday–Friday because the holiday calendar does not cover a
    /// year it needed (the desk should upload that year's calendar).
    pub due_estimated: bool,
    pub state: State,
    pub assessment: Option<Assessment>,
    pub extension: Option<Extension>,
    /// The current round's resolution (none while open).
    pub resolution: Option<Resolution>,
    /// When the complaint was first handled (ms): the time measured against the due time.
    pub first_handled_at: Option<i64>,
    /// The last report to the customer.
    pub report: Option<Report>,
    /// Earlier rounds the customer rejected, oldest first.
    pub rounds: Vec<Round>,
    /// 1 when taken in, one more per change.
    pub revision: u32,
    pub updated_at: i64,
}

/// A change the desk makes to a complaint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Assess {
        valid: bool,
        cause: String,
        responsible: Responsible,
        technician_id: Option<String>,
    },
    /// A new due time (ms), told to the customer now.
    Extend {
        due_at: i64,
        reason: String,
    },
    Resolve {
        text: String,
    },
    Report {
        opinion: Opinion,
        note: Option<String>,
    },
}

/// Why a change is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChangeError {
    /// The complaint is closed: nothing more may be recorded.
    #[error("投诉已结案 (the complaint is closed)")]
    Closed,
    /// Only an open complaint may be assessed, extended or resolved.
    #[error("投诉已处理，等待回复客户 (the complaint is handled; report the result first)")]
    AlreadyHandled,
    /// A resolution needs the assessment first (the cause and who was responsible).
    #[error(
        "请先认定投诉（有效性、原因、责任方） (assess the complaint first: validity, cause, responsible party)"
    )]
    NotAssessed,
    /// A report needs a resolution to report.
    #[error(
        "投诉尚未处理，没有可回复的结果 (the complaint is not handled yet: there is no result to report)"
    )]
    NotHandled,
    /// A technician must be named when a technician was responsible, and only then.
    #[error(
        "责任方为技师时须指明技师，其他情况不可指明 (name the technician when, and only when, a technician was responsible)"
    )]
    TechnicianNaming,
    /// An extension is told to the customer before the due time passes (4.3.1(2)); after it,
    /// the complaint is late and is handled, not extended.
    #[error(
        "期限已过，不能再延期，请尽快处理 (the due time has passed: it can no longer be extended; handle it)"
    )]
    TooLate,
    /// An extension must move the due time later.
    #[error("延期后的期限须晚于当前期限 (an extension must move the due time later)")]
    NotLater,
    /// A required text is empty or too long.
    #[error("{0}: 1–{MAX_TEXT} 个字符 (1 to {MAX_TEXT} characters)")]
    Text(&'static str),
}

impl ChangeError {
    /// What to tell the reader (the field named, never the text).
    pub fn msg(&self) -> Msg {
        match self {
            ChangeError::Closed => Msg::new("err-complaint-closed"),
            ChangeError::AlreadyHandled => Msg::new("err-complaint-already-handled"),
            ChangeError::NotAssessed => Msg::new("err-complaint-not-assessed"),
            ChangeError::NotHandled => Msg::new("err-complaint-not-handled"),
            ChangeError::TechnicianNaming => Msg::new("err-complaint-technician-naming"),
            ChangeError::TooLate => Msg::new("err-complaint-too-late"),
            ChangeError::NotLater => Msg::new("err-complaint-not-later"),
            ChangeError::Text(field) => Msg::new("err-text-length")
                .arg("field", *field)
                .arg("max", MAX_TEXT),
        }
    }
}

/// The longest free text recorded (summary, cause, resolution, reason, note), in characters.
pub const MAX_TEXT: usize = 2000;

/// `t` trimmed, when 1 to [`MAX_TEXT`] characters.
pub fn text(field: &'static str, t: &str) -> Result<String, ChangeError> {
    let t = t.trim();
    if t.is_empty() || t.chars().count() > MAX_TEXT {
        return Err(ChangeError::Text(field));
    }
    Ok(t.to_owned())
}

/// What a complaint is taken in with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Intake {
    pub channel: Channel,
    pub category: Category,
    pub work_order_id: Option<WorkOrderId>,
    pub summary: String,
    pub received_at: i64,
    pub taken_by: String,
    pub source_op_id: Option<String>,
}

impl Complaint {
    /// A complaint just taken in (revision 1, open), due at `due_at` (`due_estimated`: counted
    /// Monday–Friday).
    pub fn taken_in(id: String, i: Intake, due_at: i64, due_estimated: bool, now: i64) -> Self {
        Complaint {
            id,
            channel: i.channel,
            category: i.category,
            work_order_id: i.work_order_id,
            summary: i.summary,
            received_at: i.received_at,
            taken_by: i.taken_by,
            source_op_id: i.source_op_id,
            due_at,
            due_estimated,
            state: State::Open,
            assessment: None,
            extension: None,
            resolution: None,
            first_handled_at: None,
            report: None,
            rounds: Vec::new(),
            revision: 1,
            updated_at: now,
        }
    }

    /// The due time in force: the latest extension's (each was told to the customer before
    /// the due time it moved had passed), else the original.
    pub fn due_in_force(&self) -> i64 {
        match &self.extension {
            Some(e) => e.due_at.max(self.due_at),
            None => self.due_at,
        }
    }

    /// Not yet handled and past the due time in force at `now`.
    pub fn overdue(&self, now: i64) -> bool {
        self.state == State::Open && now >= self.due_in_force()
    }

    /// First handled strictly before the due time in force; `None` while it is neither
    /// handled nor overdue at `now` (not yet judged).
    pub fn handled_in_time(&self, now: i64) -> Option<bool> {
        match self.first_handled_at {
            Some(at) => Some(at < self.due_in_force()),
            None if now >= self.due_in_force() => Some(false),
            None => None,
        }
    }

    /// The complaint after `change` by `by` at `now`, or why not. Pure; the revision and
    /// `updated_at` move on.
    pub fn apply(&self, change: Change, by: &str, now: i64) -> Result<Complaint, ChangeError> {
        let mut c = self.clone();
        if c.state == State::Closed {
            return Err(ChangeError::Closed);
        }
        match change {
            Change::Assess {
                valid,
                cause,
                responsible,
                technician_id,
            } => {
                if c.state != State::Open {
                    return Err(ChangeError::AlreadyHandled);
                }
                let technician_id = technician_id.filter(|t| !t.trim().is_empty());
                if (responsible == Responsible::Technician) != technician_id.is_some() {
                    return Err(ChangeError::TechnicianNaming);
                }
                c.assessment = Some(Assessment {
                    valid,
                    cause: text("cause", &cause)?,
                    responsible,
                    technician_id,
                    by: by.to_owned(),
                    at: now,
                });
            }
            Change::Extend { due_at, reason } => {
                if c.state != State::Open {
                    return Err(ChangeError::AlreadyHandled);
                }
                if now >= c.due_in_force() {
                    return Err(ChangeError::TooLate);
                }
                if due_at <= c.due_in_force() {
                    return Err(ChangeError::NotLater);
                }
                c.extension = Some(Extension {
                    due_at,
                    reason: text("reason", &reason)?,
                    told_at: now,
                    by: by.to_owned(),
                });
            }
            Change::Resolve { text: t } => {
                if c.state != State::Open {
                    return Err(ChangeError::AlreadyHandled);
                }
                if c.assessment.is_none() {
                    return Err(ChangeError::NotAssessed);
                }
                c.resolution = Some(Resolution {
                    text: text("resolution", &t)?,
                    by: by.to_owned(),
                    at: now,
                });
                c.first_handled_at.get_or_insert(now);
                c.state = State::Handled;
            }
            Change::Report { opinion, note } => {
                if c.state != State::Handled {
                    return Err(ChangeError::NotHandled);
                }
                let note = match note.as_deref().map(str::trim) {
                    None | Some("") => None,
                    Some(n) => Some(text("note", n)?),
                };
                let report = Report {
                    opinion,
                    note,
                    by: by.to_owned(),
                    at: now,
                };
                if opinion == Opinion::Dissatisfied {
                    let resolution = c.resolution.take().ok_or(ChangeError::NotHandled)?;
                    c.rounds.push(Round {
                        resolution,
                        report: report.clone(),
                    });
                    c.state = State::Open;
                } else {
                    c.state = State::Closed;
                }
                c.report = Some(report);
            }
        }
        c.revision = c.revision.saturating_add(1);
        c.updated_at = now;
        Ok(c)
    }
}

/// A ratio with its parts (`rate` is `None` when `den` is 0).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Ratio {
    pub num: u32,
    pub den: u32,
    pub rate: Option<f64>,
}

impl Ratio {
    pub fn of(num: u32, den: u32) -> Self {
        Self {
            num,
            den,
            rate: (den > 0).then(|| f64::from(num) / f64::from(den)),
        }
    }
}

/// The complaint measures over every complaint stored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ComplaintMeasures {
    pub received: u32,
    /// Open and past the due time now.
    pub overdue: u32,
    /// First handled before the due time in force, of those handled or past due.
    pub handled_in_time: Ratio,
    /// Customers satisfied with the result (`satisfied`, or `acceptable`), of the reports
    /// where the customer gave an opinion (every report, the rejected rounds included).
    pub satisfied: Ratio,
}

/// Computes the measures over `all` at `now` (pure).
pub fn measures(all: &[Complaint], now: i64) -> ComplaintMeasures {
    let mut m = ComplaintMeasures {
        received: u32::try_from(all.len()).unwrap_or(u32::MAX),
        ..Default::default()
    };
    let (mut in_time, mut judged, mut happy, mut asked) = (0u32, 0u32, 0u32, 0u32);
    for c in all {
        if c.overdue(now) {
            m.overdue += 1;
        }
        if let Some(ok) = c.handled_in_time(now) {
            judged += 1;
            in_time += u32::from(ok);
        }
        let reports = c
            .rounds
            .iter()
            .map(|r| &r.report)
            .chain(c.report.iter().filter(|_| c.state == State::Closed));
        for r in reports {
            match r.opinion {
                Opinion::Satisfied | Opinion::Acceptable => {
                    asked += 1;
                    happy += 1;
                }
                Opinion::Dissatisfied => asked += 1,
                Opinion::Unreachable => {}
            }
        }
    }
    m.handled_in_time = Ratio::of(in_time, judged);
    m.satisfied = Ratio::of(happy, asked);
    m
}

#[cfg(test)]
mod tests;
