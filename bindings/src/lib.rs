//! uniffi bindings of the FieldKit core for Kotlin (Android, desktop JVM) and Swift (iOS).
//!
//! A thin adapter: no rule, no SQL, no network code of its own. One object, [`FieldKit`]
//! (`Arc` of the core's handle), with methods grouped in one module per domain, and
//! [`OpenChecklist`], a screen's checklist whose hot calls take primitives (each crossing
//! costs microseconds: BENCHMARKS.md §4). Records and enums mirror the core's types with ids
//! as strings, times as epoch milliseconds and counts as `i32`/`i64`; one error enum,
//! [`FieldKitError`], mapped from the core's errors in [`error`]; job observers as a callback
//! interface whose registration returns a cancelling handle. Local calls are synchronous;
//! enrolment and sync (and photo ingest) are async calls on tokio, with a progress observer.
//!
//! Generated Kotlin and Swift are build outputs: `bash .ci/kotlin-tests.sh --generate-only`.
//!
//! Feature `demo`: the `demo_*` sample data and `bench_answer_step_in_rust` (module `demo`), for
//! the samples, the Kotlin/Swift tests and the FFI benchmark; the shipped library is built
//! without it. Bindings must be generated from a library built with the same features as the
//! one they load (uniffi checks every function's checksum at load time).

uniffi::setup_scaffolding!();

#[cfg(all(test, feature = "demo"))]
mod adapter_tests;
mod card;
mod checklist;
mod convert;
mod custody;
#[cfg(feature = "demo")]
mod demo;
mod endings;
mod error;
mod evidence;
mod jobs;
mod kit;
mod money;
mod onsite;
mod open_checklist;
mod parts;
mod report;
mod return_facts;
mod returns;
mod shared;
mod signing;
mod stock;
mod sync;
mod take_back;
#[cfg(all(test, feature = "demo"))]
mod view_cost;

pub use card::{StepContext, TechnicianCard};
pub use checklist::{
    ChecklistView, ChoiceOption, Phase, Progress, StepKind, StepState, StepStatus, TemplateRef,
};
pub use custody::Loaner;
#[cfg(feature = "demo")]
pub use demo::{
    bench_answer_step_in_rust, demo_dispatch_json, demo_fee_schedule, demo_photo,
    demo_repair_order, demo_signature, demo_stock_the_van,
};
pub use error::{FieldKitError, PhotoProblem, ReportProblem};
pub use evidence::{Attachment, AttachmentKind};
pub use jobs::{
    Arrival, Billing, CallConfirmations, CallOutcome, DelayNotice, JobDetail, JobKind, JobStatus,
    JobSummary, TimeWindow, Visit, VisitOutcome, VisitStatus, WorkOrder, WorkOrderStatus, Zone,
};
pub use kit::{FieldKit, JobObserver, KitConfig, ObserverHandle};
pub use money::{PaymentMethod, Settlement, SettlementRecord};
pub use onsite::{
    CompletionRecord, FeeConsent, FeeItem, FeeSchedule, Feedback, Finding, FindingKind, LoanerUnit,
    TakeBack, TakeBackReceipt,
};
pub use open_checklist::{AnsweredStep, OpenChecklist};
pub use parts::{OldPartFate, Part, PartUsage, PartUse, StockLevel};
pub use report::CopyOptions;
pub use return_facts::{
    FaultBy, Inspection, Misuse, PriceBasis, ReturnDecision, ReturnFindings, ReturnOutcome,
    ReturnReason, ReturnRequest,
};
pub use returns::{CustomerType, GoodsCategory, Sale};
pub use shared::{Answer, BlockReason, Blocker, LocalizedText, SignerRole};
pub use signing::{
    Signature, SignatureCheck, SignatureInput, SigningSummary, StrokePoint, Strokes, SummaryAnswer,
    SummaryFees, SummaryFinding, SummaryPart, Verification,
};
pub use stock::{CountResult, Replenishment, StockCount};
pub use sync::{
    ServerAccount, SyncIssue, SyncIssueKind, SyncObserver, SyncOptions, SyncPhase, SyncReport,
    default_sync_options,
};
