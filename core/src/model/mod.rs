//! Plain domain types of a field visit. Imports nothing else of ours: every other module
//! speaks in these words.

mod evidence;
mod ids;
mod money;
mod order;
mod parts;
/// Returns and exchanges (退换货): [`returns::decide`]. Not glob re-exported: its names
/// (`Outcome`, `Reason`, `Request`…) are short and read as `returns::Outcome`.
pub mod returns;
/// The returns rules' table of rules and edges (tests, the server's tests, the demo).
#[cfg(any(test, feature = "demo"))]
pub mod returns_table;
mod sale;
mod visit;
pub mod workdays;

pub use evidence::*;
pub use ids::*;
pub use money::*;
pub use order::*;
pub use parts::*;
pub use sale::*;
pub use visit::*;

/// A point in time (UTC). Stored as milliseconds since the Unix epoch.
pub type Timestamp = chrono::DateTime<chrono::Utc>;

/// Money in the smallest unit of the currency (fen for CNY).
pub type Cents = i64;
