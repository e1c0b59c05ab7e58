//! The technician's API: a [`FieldKit`] handle with methods named the way a technician
//! speaks (accept, call the customer, start travel, arrive, answer a step, record a part,
//! complete…). Every command runs the rules, then writes state and an outbox op in one
//! transaction; nothing else writes the database.

mod card;
mod checklist;
mod custody;
mod endings;
mod evidence;
mod jobs;
mod money;
mod onsite;
mod parts;
#[cfg(feature = "report")]
mod report;
mod returns;
mod signing;
mod sync;
#[cfg(feature = "client")]
mod sync_run;
mod take_back;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

pub use card::{BADGE_STEP, StepContext};
pub use checklist::ChecklistView;
pub use jobs::{Arrival, CallOutcome, JobDetail, JobSummary};
pub use onsite::CompletionRecord;
pub use parts::{CountResult, PartUse, Replenishment, StockCount, StockLevel};
pub use signing::{SignatureCheck, SignatureInput, SigningSummary, Verification};
pub use sync::{
    Applied, OpIssue, PULLED_CANCELLATION, PULLED_ORDER, PULLED_REMOVAL, ServerAccount,
};
pub use take_back::TakeBack;

use crate::checklist::{
    self as rules, AnswerValue, LoanerCount, Recorded, Stage, Template, VisitFacts,
};
use crate::clock::{Clock, SystemClock};
use crate::error::{Error, Result};
use crate::model::*;
pub use crate::store::Durability;
use crate::store::{PendingOp, Store, Tx, queries, records};
use crate::workflow::{Job, JobAction, JobStatus};

/// The `fee_settled` step's answer a settlement gives.
fn settled_answer(s: &SettlementRecord) -> Recorded {
    Recorded::Answer(AnswerValue::Choice(
        settled_choice(s.receipt_no.is_some()).to_owned(),
    ))
}

/// Settings of one device installation.
#[derive(Clone, Debug)]
pub struct DeviceConfig {
    /// The technician's local time offset from UTC, in minutes (China: +480). Decides what
    /// "today" means.
    pub utc_offset_minutes: i32,
    /// How photos are normalized (size, quality, thumbnail) and what is refused.
    pub photo: crate::media::photo::PhotoConfig,
    /// How durable every commit is. `Normal` (the default) survives the app being killed;
    /// completion, take-back and sign-off are always `Full` (survive power loss). `Full`
    /// here makes every commit survive power loss, at the cost measured in BENCHMARKS.md.
    pub durability: Durability,
    /// The key that encrypts the database (SQLCipher) and, through a file key kept in it,
    /// the photo, thumbnail and signature files. The apps always give one (Android
    /// Keystore, iOS Keychain); `None` keeps everything plain (tests, tools, the demo). A
    /// plain database opened with a key is encrypted once, with nothing lost; a wrong key
    /// is [`Error::WrongKey`] and changes nothing.
    pub database_key: Option<crate::store::DatabaseKey>,
    /// Closed jobs the server holds entirely are deleted from the phone this many days
    /// after their last change ([`FieldKit::purge_synced_jobs`]); `None` keeps them.
    pub purge_after_days: Option<u32>,
    /// The technician's language: the texts of refusals, blockers and errors the device
    /// shows ([`Error::reason`]). Chinese unless set; [`FieldKit::set_locale`] changes it.
    pub locale: crate::i18n::Locale,
}

impl Default for DeviceConfig {
    fn default() -> Self {
        Self {
            utc_offset_minutes: 8 * 60,
            photo: crate::media::photo::PhotoConfig::default(),
            durability: Durability::Normal,
            database_key: None,
            purge_after_days: Some(30),
            locale: crate::i18n::Locale::default(),
        }
    }
}

/// The FieldKit core on one device. Cheap to share behind an `Arc`; every method is safe to
/// call from any thread.
pub struct FieldKit {
    store: Store,
    clock: Arc<dyn Clock>,
    config: DeviceConfig,
    templates: RwLock<HashMap<(String, u32), Arc<Template>>>,
    /// The job the last checklist answer went to, as it stood after that commit. A
    /// technician answers step after step on one job: the next answer skips reading the job
    /// and its checklist facts back. Locked around every write, so it never goes stale;
    /// any other write forgets it.
    last_job: Mutex<Option<(WorkOrderId, Current)>>,
    /// The technician's language now (from [`DeviceConfig::locale`], changed at run time).
    locale: crate::i18n::SharedLocale,
}

impl std::fmt::Debug for FieldKit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FieldKit")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

/// A job as loaded inside a command: the order, its open visit, and (once a command needed
/// them) the open visit's checklist facts.
struct Current {
    order: WorkOrder,
    visit: Option<Visit>,
    facts: Option<VisitFacts>,
}

impl Current {
    fn job(&self) -> Job {
        Job {
            order: self.order.status,
            visit: self.visit.as_ref().map(|v| v.status),
        }
    }

    fn visit(&self, action: &'static str) -> Result<&Visit> {
        self.visit.as_ref().ok_or_else(|| {
            Error::Refused(crate::workflow::Refusal {
                action,
                subject: "job",
                state: self.order.status.as_str(),
                hint: "no visit is under way",
            })
        })
    }
}

impl FieldKit {
    /// Opens the device database in `data_dir` (creating it on first use).
    pub fn open(data_dir: impl AsRef<Path>, config: DeviceConfig) -> Result<FieldKit> {
        Self::open_with_clock(data_dir, config, Arc::new(SystemClock))
    }

    /// Opens with an injected clock (tests, simulations).
    pub fn open_with_clock(
        data_dir: impl AsRef<Path>,
        config: DeviceConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<FieldKit> {
        let store = Store::open(
            data_dir.as_ref(),
            clock.now(),
            config.durability,
            config.database_key.as_ref(),
        )?;
        Ok(FieldKit {
            store,
            clock,
            locale: crate::i18n::SharedLocale::new(config.locale),
            config,
            templates: RwLock::new(HashMap::new()),
            last_job: Mutex::new(None),
        })
    }

    /// The technician's language now: what [`Error::reason`] should be asked for.
    pub fn locale(&self) -> crate::i18n::Locale {
        self.locale.get()
    }

    /// Changes the technician's language (the phone's language changed while the app ran).
    pub fn set_locale(&self, locale: crate::i18n::Locale) {
        self.locale.set(locale);
    }

    /// This device's id.
    pub fn device_id(&self) -> DeviceId {
        self.store.device_id()
    }

    /// Where an unreadable database was moved when this one was opened, if that happened.
    pub fn recovered_from(&self) -> Option<&Path> {
        self.store.recovered_from()
    }

    /// The underlying store, for tests that inspect the database. Apps and the FFI go through
    /// this facade's methods; the crate's own code uses the field. Public only with the
    /// `test-support` feature (integration tests; never a shipped build).
    #[cfg(feature = "test-support")]
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The underlying store, for the crate's unit tests (see the `test-support` feature).
    #[cfg(all(test, not(feature = "test-support")))]
    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    /// The outbox, oldest first: what the server has not acknowledged yet.
    pub fn pending_ops(&self, limit: i64) -> Result<Vec<PendingOp>> {
        self.store.pending_ops(limit)
    }

    /// How many ops wait for the server (cheaper than counting `pending_ops`).
    pub fn pending_op_count(&self) -> Result<usize> {
        self.store.pending_count()
    }

    /// Installs a checklist template sent by the desk (validated first). Visits already
    /// planned keep the version they started with; new visits use the newest. Reference
    /// data from the desk: not queued for the server.
    pub fn install_template(&self, json: &str) -> Result<TemplateRef> {
        let t = Template::from_json(json)?;
        let r = TemplateRef {
            id: t.id.clone(),
            version: t.version,
        };
        self.write(|tx| records::put_template(tx, &t.id, t.version, json))?;
        self.cache_template(Arc::new(t));
        Ok(r)
    }

    /// Stores a fee schedule version published by the desk (not queued for the server).
    pub fn set_fee_schedule(&self, schedule: &FeeSchedule) -> Result<()> {
        validate_fee_schedule(schedule)?;
        self.write(|tx| records::put_fee_schedule(tx, schedule))
    }

    /// Folds the write-ahead log into the database file and truncates it. Call when the app
    /// goes to the background; during use, a background thread does this incrementally.
    pub fn checkpoint(&self) -> Result<bool> {
        self.store.checkpoint()
    }

    /// Deletes attachment files no record refers to (left by a failed or interrupted
    /// ingest). Returns how many were removed.
    pub fn collect_orphans(&self) -> Result<usize> {
        let referenced = || {
            self.store
                .read(records::referenced_blobs)
                .map_err(|e| std::io::Error::other(e.to_string()))
        };
        Ok(self.store.blobs().collect_orphans(referenced)?)
    }

    /// Deletes from the phone every closed (completed or cancelled) job that the server
    /// holds entirely — none of its ops waiting, every file of it uploaded — and that has
    /// not changed for [`DeviceConfig::purge_after_days`], with its records and files. Call
    /// after a sync. Returns what went; nothing when the setting is `None`.
    pub fn purge_synced_jobs(&self) -> Result<crate::store::Purged> {
        let Some(days) = self.config.purge_after_days else {
            return Ok(crate::store::Purged::default());
        };
        let before = self.now() - chrono::Duration::days(i64::from(days));
        *self.last_job() = None;
        let purged = self
            .store
            .purge_closed_jobs(crate::clock::to_millis(before))?;
        if purged.jobs > 0 {
            self.collect_orphans()?;
        }
        Ok(purged)
    }

    // ------------------------------------------------------------ internals

    #[cfg(feature = "client")]
    pub(crate) fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }

    pub(crate) fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Runs a command on one job inside one write transaction.
    fn command<T>(
        &self,
        id: WorkOrderId,
        durability: Durability,
        f: impl FnOnce(&mut Tx<'_>, &mut Current, Timestamp) -> Result<T>,
    ) -> Result<T> {
        self.run_command(id, durability, false, f)
    }

    /// [`Self::command`] for commands that keep `Current` (order, visit and facts) exactly as
    /// they leave the database: the job stays in memory for the next command.
    fn command_keeping_job<T>(
        &self,
        id: WorkOrderId,
        f: impl FnOnce(&mut Tx<'_>, &mut Current, Timestamp) -> Result<T>,
    ) -> Result<T> {
        self.run_command(id, Durability::Normal, true, f)
    }

    fn run_command<T>(
        &self,
        id: WorkOrderId,
        durability: Durability,
        keep: bool,
        f: impl FnOnce(&mut Tx<'_>, &mut Current, Timestamp) -> Result<T>,
    ) -> Result<T> {
        let now = self.now();
        let mut last = self.last_job();
        let cached = match last.take() {
            Some((job, cur)) if job == id => Some(cur),
            _ => None,
        };
        let mut after = None;
        let value = self.store.write(durability, now, |tx| {
            let mut cur = match cached {
                Some(cur) => cur,
                None => Current {
                    order: queries::work_order(tx, id)?,
                    visit: queries::open_visit(tx, id)?,
                    facts: None,
                },
            };
            let value = f(tx, &mut cur, now)?;
            after = Some(cur);
            Ok(value)
        })?;
        if keep {
            *last = after.map(|cur| (id, cur));
        }
        Ok(value)
    }

    /// A write that is not a command on one job (reference data, stock, sync): forgets the
    /// job kept in memory.
    fn write<T>(&self, f: impl FnOnce(&mut Tx<'_>) -> Result<T>) -> Result<T> {
        let mut last = self.last_job();
        *last = None;
        self.store.write(Durability::Normal, self.now(), f)
    }

    fn last_job(&self) -> MutexGuard<'_, Option<(WorkOrderId, Current)>> {
        self.last_job.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Applies a workflow action and writes whatever moved (order status, visit status and
    /// milestone times, time entries). Records nothing in the outbox: callers do, with the
    /// details of the command.
    fn transition(
        &self,
        tx: &Tx<'_>,
        cur: &mut Current,
        action: JobAction,
        now: Timestamp,
    ) -> Result<JobStatus> {
        let next = cur.job().apply(action)?;
        if next.order != cur.order.status {
            queries::set_order_status(tx, cur.order.id, next.order, now)?;
            cur.order.status = next.order;
        }
        if let Some(visit) = cur.visit.as_mut() {
            let new_status = match next.visit {
                Some(s) => s,
                None => crate::model::VisitStatus::Ended(action.ending()),
            };
            if new_status != visit.status {
                visit.status = new_status;
                match new_status {
                    VisitStatus::EnRoute => {
                        visit.travel_started_at = Some(now);
                        queries::start_time(tx, visit.id, TimeKind::Travel, now, None)?;
                    }
                    VisitStatus::Arrived => {
                        visit.arrived_at = Some(now);
                        queries::stop_time(tx, visit.id, now)?;
                        queries::start_time(tx, visit.id, TimeKind::OnSite, now, None)?;
                    }
                    VisitStatus::Working => {
                        visit.work_started_at.get_or_insert(now);
                        if action == JobAction::Resume {
                            queries::stop_time(tx, visit.id, now)?;
                            queries::start_time(tx, visit.id, TimeKind::OnSite, now, None)?;
                        }
                    }
                    VisitStatus::Paused | VisitStatus::Planned => {}
                    VisitStatus::Ended(_) => {
                        visit.ended_at = Some(now);
                        queries::stop_time(tx, visit.id, now)?;
                    }
                }
                queries::update_visit(tx, visit)?;
            }
            if !visit.status.is_open() {
                cur.visit = None;
            }
        }
        Ok(next.status())
    }

    /// The checklist facts of a visit, read inside the command's transaction.
    fn facts(&self, c: &rusqlite::Connection, cur: &Current, visit: &Visit) -> Result<VisitFacts> {
        let f = queries::checklist_facts(c, cur.order.id, visit.id)?;
        let mut recorded = f.recorded;
        if let Some((agreed, _)) = f.fee_consent
            && let Some(step) = self.fee_step(c, visit)?
        {
            recorded.insert(step, Recorded::Answer(AnswerValue::FeeConsent { agreed }));
        }
        // The `fee_settled` step's answer is the visit's latest settlement.
        if let Some(s) = records::latest_settlement(c, visit.id)? {
            recorded.insert(FEE_SETTLED_STEP.to_owned(), settled_answer(&s));
        }
        // The visit was planned by the reached call that confirmed it.
        let reached = queries::reached_since(c, cur.order.id, visit.planned_at)?;
        Ok(VisitFacts {
            job_kind: cur.order.kind,
            order_billing: cur.order.billing,
            stage: stage_of(visit.status),
            recorded,
            photos: f.photos,
            signatures: f.signatures,
            previsit_call_reached: reached,
            feedback_recorded: records::feedback(c, visit.id)?.is_some(),
            unacknowledged_findings: f.unacknowledged_findings,
            acknowledged_findings: f.acknowledged_findings,
            parts: f.parts,
            customer_summary: f.customer_summary,
            loaners: LoanerCount {
                lent: f.loaners.0,
                out: f.loaners.1,
            },
            sale: cur.order.sale_facts(),
        })
    }

    /// The open visit's checklist facts, kept with the job in `cur` (read on first use).
    fn facts_mut<'c>(
        &self,
        c: &rusqlite::Connection,
        cur: &'c mut Current,
        action: &'static str,
    ) -> Result<&'c mut VisitFacts> {
        let stage = stage_of(cur.visit(action)?.status);
        let facts = match cur.facts.take() {
            Some(f) => f,
            None => self.facts(c, cur, cur.visit(action)?)?,
        };
        let facts = cur.facts.insert(facts);
        facts.stage = stage;
        Ok(facts)
    }

    /// The answers and exceptions recorded on a visit's steps, with when each was given
    /// (the fee-consent step's answer is the customer's latest fee consent).
    fn answers_with_times(
        &self,
        c: &rusqlite::Connection,
        order: WorkOrderId,
        visit: &Visit,
    ) -> Result<HashMap<String, (Recorded, Timestamp)>> {
        let mut out = queries::step_records(c, order, visit.id)?;
        if let Some((agreed, at)) = queries::checklist_facts(c, order, visit.id)?.fee_consent
            && let Some(step) = self.fee_step(c, visit)?
        {
            out.insert(
                step,
                (Recorded::Answer(AnswerValue::FeeConsent { agreed }), at),
            );
        }
        if let Some(s) = records::latest_settlement(c, visit.id)? {
            out.insert(FEE_SETTLED_STEP.to_owned(), (settled_answer(&s), s.at));
        }
        Ok(out)
    }

    /// The id of the fee-consent step of the visit's template, if it has one.
    fn fee_step(&self, c: &rusqlite::Connection, visit: &Visit) -> Result<Option<String>> {
        Ok(self
            .template(c, &visit.template)?
            .steps
            .iter()
            .find(|s| matches!(s.kind, rules::StepKind::FeeConsent))
            .map(|s| s.id.clone()))
    }

    /// The template a visit follows (cached; installed versions first, then the built-ins).
    fn template(&self, c: &rusqlite::Connection, r: &TemplateRef) -> Result<Arc<Template>> {
        let key = (r.id.clone(), r.version);
        if let Some(t) = self
            .templates
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return Ok(t.clone());
        }
        let t = match records::template_json(c, &r.id, r.version)? {
            Some(json) => Template::from_json(&json)?,
            None => rules::builtin_template(&r.id, r.version)
                .ok_or_else(|| Error::not_found("template", format!("{} v{}", r.id, r.version)))?,
        };
        let t = Arc::new(t);
        self.cache_template(t.clone());
        Ok(t)
    }

    /// The template a new visit of this order should follow.
    fn template_for_new_visit(
        &self,
        c: &rusqlite::Connection,
        order: &WorkOrder,
    ) -> Result<TemplateRef> {
        let return_visit = records::has_open_receipt(c, order.id)?;
        // The desk's pinned checklist, when the device holds it.
        let pinned = order.checklist.as_ref().and_then(|p| {
            if return_visit {
                p.return_visit.clone()
            } else {
                Some(p.visit.clone())
            }
        });
        if let Some(r) = pinned
            && self.template(c, &r).is_ok()
        {
            return Ok(r);
        }
        let builtin = rules::default_template_for(order.kind, return_visit);
        if let Some((version, json)) = records::latest_template(c, &builtin.id)?
            && version > builtin.version
        {
            let t = Template::from_json(&json)?;
            let r = TemplateRef {
                id: t.id.clone(),
                version: t.version,
            };
            self.cache_template(Arc::new(t));
            return Ok(r);
        }
        let r = TemplateRef {
            id: builtin.id.clone(),
            version: builtin.version,
        };
        self.cache_template(Arc::new(builtin));
        Ok(r)
    }

    fn cache_template(&self, t: Arc<Template>) {
        self.templates
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert((t.id.clone(), t.version), t);
    }
}

/// Which checklist phases a visit's status opens.
fn stage_of(status: VisitStatus) -> Stage {
    match status {
        VisitStatus::Planned => Stage::Planned,
        VisitStatus::EnRoute => Stage::EnRoute,
        VisitStatus::Arrived => Stage::OnSite,
        VisitStatus::Working | VisitStatus::Paused | VisitStatus::Ended(_) => Stage::Working,
    }
}

/// The checks a fee schedule from the desk must pass.
fn validate_fee_schedule(schedule: &FeeSchedule) -> Result<()> {
    if schedule.items.is_empty() {
        return Err(Error::invalid("fee schedule", "has no items"));
    }
    if schedule.items.iter().any(|i| i.amount < 0) {
        return Err(Error::invalid("fee schedule", "an amount is negative"));
    }
    Ok(())
}

/// Trims a free-text field and refuses it empty or too long.
fn text(field: &'static str, s: &str, max: usize) -> Result<String> {
    let t = s.trim();
    if t.is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    if t.chars().count() > max {
        return Err(Error::invalid(
            field,
            format!("longer than {max} characters"),
        ));
    }
    Ok(t.to_owned())
}
