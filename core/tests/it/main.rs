//! The core's integration tests, in one test binary (one link instead of one per file): each
//! file below is a module, and `common` holds the helpers they share.
//!
//! A single module or test: `cargo test -p fieldkit-core --test it visit::` (test names carry
//! their module: `crash::crash_child`).

mod at_rest;
mod bad_input;
mod common;
mod crash;
mod custody;
mod customer_copy;
mod endings;
mod fact_steps;
mod money;
mod photo;
mod random_commands;
mod replay;
mod signing;
mod take_back;
mod visit;
