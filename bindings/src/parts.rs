//! Parts: the catalog, the van stock (a ledger) and the parts used on a visit.

use fieldkit_core::api as core_api;
use fieldkit_core::model as m;

use crate::convert::ms;
use crate::error::Result;
use crate::kit::FieldKit;

/// A catalog entry.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Part {
    pub sku: String,
    pub name: String,
    /// Unit of counting ("pcs", "m"…).
    pub unit: String,
}

/// One part a job waits for (待件): a catalogue SKU and how many.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct PartRequest {
    pub sku: String,
    pub quantity: i64,
}

/// What happened to the part that was replaced.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum OldPartFate {
    None,
    Returned,
    Scrapped,
    LeftWithCustomer,
}

impl From<OldPartFate> for m::OldPartFate {
    fn from(f: OldPartFate) -> Self {
        match f {
            OldPartFate::None => Self::None,
            OldPartFate::Returned => Self::Returned,
            OldPartFate::Scrapped => Self::Scrapped,
            OldPartFate::LeftWithCustomer => Self::LeftWithCustomer,
        }
    }
}

impl From<m::OldPartFate> for OldPartFate {
    fn from(f: m::OldPartFate) -> Self {
        match f {
            m::OldPartFate::None => Self::None,
            m::OldPartFate::Returned => Self::Returned,
            m::OldPartFate::Scrapped => Self::Scrapped,
            m::OldPartFate::LeftWithCustomer => Self::LeftWithCustomer,
        }
    }
}

/// A part installed on site.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct PartUse {
    pub sku: String,
    pub quantity: i64,
    #[uniffi(default = None)]
    pub new_serial: Option<String>,
    pub old_part: OldPartFate,
    #[uniffi(default = None)]
    pub old_serial: Option<String>,
}

/// A part recorded on a visit.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct PartUsage {
    pub id: String,
    pub sku: String,
    pub quantity: i64,
    pub new_serial: Option<String>,
    pub old_part: OldPartFate,
    pub old_serial: Option<String>,
    /// The van held fewer than were used; recorded anyway, the desk reconciles.
    pub stock_short: bool,
    pub at_ms: i64,
}

impl From<m::PartUsage> for PartUsage {
    fn from(p: m::PartUsage) -> Self {
        Self {
            id: p.id.to_string(),
            sku: p.sku,
            quantity: p.quantity,
            new_serial: p.new_serial,
            old_part: p.old_part.into(),
            old_serial: p.old_serial,
            stock_short: p.stock_short,
            at_ms: ms(p.at),
        }
    }
}

/// How many of a part the van holds (negative: more used than issued).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct StockLevel {
    pub part: Part,
    pub quantity: i64,
}

#[uniffi::export]
impl FieldKit {
    /// Adds (or renames) a catalog part.
    pub fn add_catalog_part(&self, part: Part) -> Result<()> {
        Ok(self.core.add_catalog_part(&m::Part {
            sku: part.sku,
            name: part.name,
            unit: part.unit,
        })?)
    }

    /// Parts issued from the warehouse to the van; returns the new stock of that part.
    pub fn issue_stock(&self, sku: String, quantity: i64) -> Result<i64> {
        Ok(self.core.issue_stock(&sku, quantity)?)
    }

    /// Parts given back to the warehouse; returns the new stock.
    pub fn return_stock(&self, sku: String, quantity: i64) -> Result<i64> {
        Ok(self.core.return_stock(&sku, quantity)?)
    }

    /// Parts found defective and written off; returns the new stock.
    pub fn write_off_defective(&self, sku: String, quantity: i64) -> Result<i64> {
        Ok(self.core.write_off_defective(&sku, quantity)?)
    }

    /// The van's stock of every catalog part.
    pub fn van_stock(&self) -> Result<Vec<StockLevel>> {
        Ok(self
            .core
            .van_stock()?
            .into_iter()
            .map(|l| StockLevel {
                part: Part {
                    sku: l.part.sku,
                    name: l.part.name,
                    unit: l.part.unit,
                },
                quantity: l.quantity,
            })
            .collect())
    }

    /// Records a part installed on the open visit (work must have started).
    pub fn record_part(&self, job_id: String, usage: PartUse) -> Result<PartUsage> {
        let u = core_api::PartUse {
            sku: usage.sku,
            quantity: usage.quantity,
            new_serial: usage.new_serial,
            old_part: usage.old_part.into(),
            old_serial: usage.old_serial,
        };
        self.job_command(&job_id, "record_part", |k, id| k.record_part(id, &u))
            .map(Into::into)
    }

    /// Ends the open visit for want of a part (待件): work has started (the fault is
    /// diagnosed), the parts needed (catalogue SKUs, each once, 1–20 lines) are requested and
    /// the note says what was found. The job then waits for a follow-up visit, agreed with
    /// `call_customer` when the parts are in.
    pub fn await_parts(
        &self,
        job_id: String,
        parts: Vec<PartRequest>,
        note: String,
    ) -> Result<crate::jobs::JobStatus> {
        let parts: Vec<m::PartRequest> = parts
            .into_iter()
            .map(|p| m::PartRequest {
                sku: p.sku,
                quantity: p.quantity,
            })
            .collect();
        self.job_command(&job_id, "await_parts", |k, id| {
            k.await_parts(id, &parts, &note)
        })
        .map(Into::into)
    }

    /// The parts used on the job's current (or last) visit.
    pub fn parts_used(&self, job_id: String) -> Result<Vec<PartUsage>> {
        let parts = self.job_read(&job_id, |k, id| k.parts_used(id))?;
        Ok(parts.into_iter().map(Into::into).collect())
    }
}
