//! A [`Desk`] from plain published data — the templates, fee schedules and catalog parts a
//! server loaded for a push (or a test) — and the checklists a new job is pinned to.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use super::Desk;
use crate::checklist::{Template, builtin_template, default_template_for, default_templates};
use crate::model::{FeeSchedule, JobChecklist, JobKind, TemplateRef, WorkOrder};

/// What the desk published.
#[derive(Clone, Debug, Default)]
pub struct Published {
    templates: HashMap<(String, u32), Arc<Template>>,
    fee_schedules: HashMap<(String, u32), FeeSchedule>,
    parts: HashSet<String>,
}

fn builtins() -> &'static [Arc<Template>] {
    static B: OnceLock<Vec<Arc<Template>>> = OnceLock::new();
    B.get_or_init(|| default_templates().into_iter().map(Arc::new).collect())
}

impl Published {
    /// Nothing published (the built-in templates still are).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a published template version.
    pub fn add_template(&mut self, t: Arc<Template>) {
        self.templates.insert((t.id.clone(), t.version), t);
    }

    /// Adds a published fee schedule version.
    pub fn add_fee_schedule(&mut self, f: FeeSchedule) {
        self.fee_schedules.insert((f.id.clone(), f.version), f);
    }

    /// Adds a catalog part.
    pub fn add_part(&mut self, sku: impl Into<String>) {
        self.parts.insert(sku.into());
    }

    /// A template version, published or built in.
    pub fn template(&self, r: &TemplateRef) -> Option<Arc<Template>> {
        self.templates
            .get(&(r.id.clone(), r.version))
            .cloned()
            .or_else(|| {
                builtins()
                    .iter()
                    .find(|t| t.id == r.id && t.version == r.version)
                    .cloned()
            })
            // A superseded built-in version a job was pinned to before.
            .or_else(|| builtin_template(&r.id, r.version).map(Arc::new))
    }

    /// The newest version of template `id`: published, or the built-in one.
    fn newest(&self, id: &str) -> TemplateRef {
        let builtin = default_template_for_id(id);
        let version = self
            .templates
            .keys()
            .filter(|(t, _)| t == id)
            .map(|(_, v)| *v)
            .chain(builtin)
            .max()
            .unwrap_or(1);
        TemplateRef {
            id: id.to_owned(),
            version,
        }
    }

    /// The checklists a job of `kind` created now is pinned to: the newest version of the
    /// kind's template and of its return-visit template.
    pub fn pin(&self, kind: JobKind) -> JobChecklist {
        let visit = default_template_for(kind, false).id;
        let return_visit = default_template_for(kind, true).id;
        JobChecklist {
            visit: self.newest(&visit),
            return_visit: Some(self.newest(&return_visit)),
        }
    }

    /// The desk as one job's judge sees it: these publications and the job's pins (a job
    /// from before pinning is judged by the newest versions, as its device chose them).
    pub fn for_job(&self, order: &WorkOrder) -> JobDesk<'_> {
        JobDesk {
            published: self,
            pins: order
                .checklist
                .clone()
                .unwrap_or_else(|| self.pin(order.kind)),
        }
    }
}

fn default_template_for_id(id: &str) -> Option<u32> {
    builtins().iter().find(|t| t.id == id).map(|t| t.version)
}

/// [`Published`] with one job's pinned checklists.
pub struct JobDesk<'a> {
    published: &'a Published,
    pins: JobChecklist,
}

impl Desk for JobDesk<'_> {
    fn template(&self, r: &TemplateRef) -> Option<Arc<Template>> {
        self.published.template(r)
    }

    fn visit_template(&self, _visit_id: &str, return_visit: bool) -> Option<TemplateRef> {
        if return_visit {
            self.pins.return_visit.clone()
        } else {
            Some(self.pins.visit.clone())
        }
    }

    fn fee_schedule(&self, id: &str, version: u32) -> Option<FeeSchedule> {
        self.published
            .fee_schedules
            .get(&(id.to_owned(), version))
            .cloned()
    }

    fn part_known(&self, sku: &str) -> bool {
        self.published.parts.contains(sku)
    }
}
