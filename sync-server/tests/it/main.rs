//! The server's integration tests, in one test binary (one link instead of one per file):
//! each file below is a module, and `common` holds the helpers they share (server, PostgreSQL
//! cluster, phones, proxy, browser).
//!
//! A single module or test: `cargo test -p fieldkit-server --test it e2e::` (test names carry
//! their module: `sync_kill::sync_kill_child`).

mod adversarial;
mod api_i18n;
mod authz;
mod blob_stores;
mod callbacks;
mod card;
mod cash;
mod clock;
mod common;
mod complaints;
mod complaints_browser;
mod conformance;
mod dashboard;
mod dashboard_at_risk_browser;
mod dashboard_browser;
mod dashboard_i18n;
mod dashboard_security;
mod desk_accounts;
mod desk_audit;
mod device_sync;
mod e2e;
mod endings;
mod enrolment;
mod fleet;
mod instances;
mod instances_work;
mod invoices;
mod job_links_storage;
mod judge_property;
mod limits;
mod linked_jobs;
mod live_instances;
mod login_memory;
mod measures_e2e;
mod measures_storage;
mod migrations;
mod people;
mod returns;
mod settlement;
mod sla;
mod spares;
mod storage;
mod stored_sentences;
mod sync_faults;
mod sync_kill;
mod tls;
mod tools;
mod verify;
mod webhooks;
mod wire;
