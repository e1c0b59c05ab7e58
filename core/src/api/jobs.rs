//! Before and around the visit: receiving jobs, today's list, accepting, the pre-visit call,
//! rescheduling, travel, delay notices, arrival, no access, cancellation.

use chrono::{Duration, FixedOffset, NaiveDate, TimeZone};
use serde::{Deserialize, Serialize};

use super::{FieldKit, text};
use crate::checklist::{Phase, Run};
use crate::error::{Error, Result};
use crate::model::*;
use crate::store::{Durability, queries};
use crate::sync::ops::*;
use crate::workflow::{Job, JobAction, JobStatus};

/// A line of the technician's job list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobSummary {
    pub id: WorkOrderId,
    pub number: String,
    pub kind: JobKind,
    pub status: JobStatus,
    pub promised: TimeWindow,
    pub zone: Zone,
    pub product_model: String,
    /// Personal data, for the technician's screen only.
    pub customer_name: String,
    /// Personal data, for the technician's screen only.
    pub address: String,
    /// The job this one was made from (a redelivery, a rework…): the list says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<ParentLink>,
}

/// Everything about one job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobDetail {
    pub order: WorkOrder,
    pub status: JobStatus,
    /// The open visit, or else the last one.
    pub visit: Option<Visit>,
}

/// What happened on the pre-visit call.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CallOutcome {
    /// The customer answered.
    pub reached: bool,
    pub confirmed: CallConfirmations,
    /// The window agreed; `None` keeps the promised one.
    pub agreed: Option<TimeWindow>,
    pub note: Option<String>,
}

/// What arrival recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Arrival {
    /// Arrived after the agreed window ended.
    pub late: bool,
    /// A delay notice reached the customer before the window ended.
    pub notified_in_time: bool,
}

impl FieldKit {
    /// Stores a work order dispatched to this technician (from the server; also used by the
    /// demo and tests before sync exists). Dispatcher-owned fields are replaced; the
    /// technician's progress is kept. Not queued for the server: it came from there.
    pub fn receive_work_order(&self, order: &WorkOrder) -> Result<()> {
        super::sync::validate_order(order)?;
        self.write(|tx| queries::upsert_work_order(tx, order, self.now()))
    }

    /// Today's jobs (in the technician's time zone) and any still-open earlier ones.
    pub fn todays_jobs(&self) -> Result<Vec<JobSummary>> {
        let offset = self.offset()?;
        self.jobs_on(self.now().with_timezone(&offset).date_naive())
    }

    /// Jobs promised on `day` (technician's time zone), plus still-open earlier ones.
    pub fn jobs_on(&self, day: NaiveDate) -> Result<Vec<JobSummary>> {
        let offset = self.offset()?;
        let start = offset
            .from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
            .single()
            .ok_or_else(|| Error::invalid("day", "not a valid local date"))?
            .to_utc();
        let end = start + Duration::days(1);
        self.store.read(|c| {
            let orders = queries::orders_for_day(c, start, end)?;
            orders
                .into_iter()
                .map(|o| {
                    let visit = queries::open_visit(c, o.id)?;
                    let status = Job {
                        order: o.status,
                        visit: visit.map(|v| v.status),
                    }
                    .status();
                    Ok(JobSummary {
                        id: o.id,
                        number: o.number,
                        kind: o.kind,
                        status,
                        promised: o.promised,
                        zone: o.site.zone,
                        product_model: o.product.model,
                        customer_name: o.customer.name,
                        address: o.site.address,
                        parent: o.parent,
                    })
                })
                .collect()
        })
    }

    /// One job with its current (or last) visit.
    pub fn job(&self, id: WorkOrderId) -> Result<JobDetail> {
        self.store.read(|c| {
            let order = queries::work_order(c, id)?;
            let open = queries::open_visit(c, id)?;
            let status = Job {
                order: order.status,
                visit: open.as_ref().map(|v| v.status),
            }
            .status();
            let visit = match open {
                Some(v) => Some(v),
                None => queries::last_visit(c, id)?,
            };
            Ok(JobDetail {
                order,
                status,
                visit,
            })
        })
    }

    /// The technician takes the job.
    pub fn accept(&self, id: WorkOrderId) -> Result<JobStatus> {
        self.command(id, Durability::Normal, |tx, cur, now| {
            let status = self.transition(tx, cur, JobAction::Accept, now)?;
            tx.record(id, None, &JobOp::Accept)?;
            Ok(status)
        })
    }

    /// Records the pre-visit call (PROCEDURE step 1). A call that reached the customer and
    /// agreed a time confirms the visit and plans it; an unanswered call is recorded only.
    pub fn call_customer(&self, id: WorkOrderId, call: &CallOutcome) -> Result<JobStatus> {
        if let Some(w) = call.agreed
            && w.start >= w.end
        {
            return Err(Error::invalid("agreed window", "ends before it starts"));
        }
        if call.agreed.is_some() && !call.reached {
            return Err(Error::invalid(
                "agreed window",
                "no time can be agreed without reaching the customer",
            ));
        }
        let note = call
            .note
            .as_deref()
            .map(|n| text("note", n, 2000))
            .transpose()?;
        self.command(id, Durability::Normal, |tx, cur, now| {
            let record = PreVisitCall {
                id: CallId::new(),
                work_order_id: id,
                called_at: now,
                reached: call.reached,
                confirmed: call.confirmed,
                agreed: call.agreed,
                note,
            };
            let mut status = cur.job().status();
            if call.reached {
                status = self.transition(tx, cur, JobAction::Confirm, now)?;
                let agreed = call.agreed.unwrap_or(cur.order.promised);
                match cur.visit.as_mut() {
                    Some(v) => {
                        v.agreed = agreed;
                        queries::update_visit(tx, v)?;
                    }
                    None => {
                        let template = self.template_for_new_visit(tx, &cur.order)?;
                        let number = queries::last_visit(tx, id)?.map_or(1, |v| v.number + 1);
                        let visit = Visit {
                            id: VisitId::new(),
                            work_order_id: id,
                            number,
                            status: VisitStatus::Planned,
                            template,
                            agreed,
                            planned_at: now,
                            travel_started_at: None,
                            arrived_at: None,
                            work_started_at: None,
                            ended_at: None,
                        };
                        queries::insert_visit(tx, &visit)?;
                        cur.visit = Some(visit);
                    }
                }
            } else if cur.order.status.is_terminal() {
                return Err(cur.job().apply(JobAction::Confirm).err().map_or_else(
                    || Error::invalid("call", "the job is closed"),
                    Error::Refused,
                ));
            }
            queries::insert_call(tx, &record)?;
            let visit_id = cur.visit.as_ref().map(|v| v.id);
            // The checklist the device planned the visit with (the server judges with the
            // job's pinned one, and says so when they differ).
            let op = JobOp::CallCustomer(CallCustomerV1 {
                id: record.id,
                work_order_id: id,
                called_at: record.called_at,
                reached: record.reached,
                confirmed: record.confirmed,
                agreed: record.agreed,
                note: record.note.clone(),
                template: cur.visit.as_ref().map(|v| v.template.clone()),
            });
            tx.record(id, visit_id, &op)?;
            Ok(status)
        })
    }

    /// Moves the appointment (before arrival): a new time must be agreed by calling again.
    pub fn reschedule(
        &self,
        id: WorkOrderId,
        window: TimeWindow,
        reason: &str,
    ) -> Result<JobStatus> {
        let reason = text("reason", reason, 500)?;
        if window.start >= window.end {
            return Err(Error::invalid("window", "ends before it starts"));
        }
        self.command(id, Durability::Normal, |tx, cur, now| {
            let visit_id = cur.visit.as_ref().map(|v| v.id);
            let status = self.transition(tx, cur, JobAction::Reschedule, now)?;
            queries::set_promised(tx, id, window, now)?;
            cur.order.promised = window;
            tx.record(
                id,
                visit_id,
                &JobOp::Reschedule(RescheduleV1 { window, reason }),
            )?;
            Ok(status)
        })
    }

    /// Sets off to the customer. Everything to do before leaving (the call, tools and parts)
    /// must be done.
    pub fn start_travel(&self, id: WorkOrderId) -> Result<JobStatus> {
        self.command(id, Durability::Normal, |tx, cur, now| {
            let visit = cur.visit("start travel")?.clone();
            let template = self.template(tx, &visit.template)?;
            let facts = self.facts(tx, cur, &visit)?;
            let blockers = Run::new(&template, &facts).blockers_before(Phase::Arrival);
            if !blockers.is_empty() {
                return Err(Error::Blocked {
                    action: "start travel",
                    blockers,
                });
            }
            let status = self.transition(tx, cur, JobAction::StartTravel, now)?;
            tx.record(id, Some(visit.id), &JobOp::StartTravel)?;
            Ok(status)
        })
    }

    /// Tells the customer the technician will be late (step 3): reason and new ETA.
    pub fn notify_delay(
        &self,
        id: WorkOrderId,
        reason: &str,
        new_eta: Timestamp,
    ) -> Result<DelayNotice> {
        let reason = text("reason", reason, 500)?;
        self.command(id, Durability::Normal, |tx, cur, now| {
            let visit = cur.visit("notify a delay")?;
            if !matches!(visit.status, VisitStatus::Planned | VisitStatus::EnRoute) {
                return Err(Error::invalid("delay notice", "already on site"));
            }
            if new_eta <= now {
                return Err(Error::invalid("new ETA", "is not in the future"));
            }
            let notice = DelayNotice {
                id: DelayNoticeId::new(),
                visit_id: visit.id,
                notified_at: now,
                reason,
                new_eta,
                in_time: now <= visit.agreed.end,
            };
            queries::insert_delay(tx, &notice)?;
            tx.record(
                id,
                Some(visit.id),
                &JobOp::NotifyDelay(NotifyDelayV1 {
                    id: notice.id,
                    visit_id: notice.visit_id,
                    notified_at: notice.notified_at,
                    reason: notice.reason.clone(),
                    new_eta: notice.new_eta,
                    in_time: notice.in_time,
                }),
            )?;
            Ok(notice)
        })
    }

    /// Arrives at the customer's. Says whether it was late and whether the customer was told
    /// in time.
    pub fn arrive(&self, id: WorkOrderId) -> Result<Arrival> {
        self.command(id, Durability::Normal, |tx, cur, now| {
            let visit = cur.visit("arrive")?.clone();
            self.transition(tx, cur, JobAction::Arrive, now)?;
            let late = now > visit.agreed.end;
            let notified_in_time = queries::delays(tx, visit.id)?.iter().any(|d| d.in_time);
            let arrival = Arrival {
                late,
                notified_in_time,
            };
            tx.record(
                id,
                Some(visit.id),
                &JobOp::Arrive(ArriveV1 {
                    late: arrival.late,
                    notified_in_time: arrival.notified_in_time,
                }),
            )?;
            Ok(arrival)
        })
    }

    /// Nobody home, or no access to the site: the visit ends and a new time must be agreed.
    pub fn no_access(&self, id: WorkOrderId, note: &str) -> Result<JobStatus> {
        let note = text("note", note, 2000)?;
        self.command(id, Durability::Normal, |tx, cur, now| {
            let visit_id = cur.visit("report no access")?.id;
            let status = self.transition(tx, cur, JobAction::NoAccess, now)?;
            tx.record(id, Some(visit_id), &JobOp::NoAccess(NoAccessV1 { note }))?;
            Ok(status)
        })
    }

    /// Cancels the job (the customer called it off). What was recorded stays.
    pub fn cancel(&self, id: WorkOrderId, reason: &str) -> Result<JobStatus> {
        let reason = text("reason", reason, 500)?;
        self.command(id, Durability::Normal, |tx, cur, now| {
            let visit_id = cur.visit.as_ref().map(|v| v.id);
            let status = self.transition(tx, cur, JobAction::Cancel, now)?;
            tx.record(id, visit_id, &JobOp::Cancel(ReasonV1 { reason }))?;
            Ok(status)
        })
    }

    fn offset(&self) -> Result<FixedOffset> {
        FixedOffset::east_opt(self.config.utc_offset_minutes * 60)
            .ok_or_else(|| Error::invalid("utc offset", "out of range"))
    }
}
