//! Sync with the server: `protocol` holds the wire types shared by the device and the server,
//! `ops` the typed op catalogue both sides write and read through, `replay` folds a job's ops
//! back into the facts the rules need (the server re-runs the checklist gate and signature
//! checks with it), and `client` (feature `client`) is the device's HTTP transport, `tls` the
//! servers it trusts, `device_key` the key that signs its enrolment and pushes. Below `store`
//! and `api`: nothing here reads or writes the device database (the device's sync run is
//! `api`'s, over `client`).

#[cfg(feature = "client")]
pub mod client;
#[cfg(feature = "client")]
pub mod device_key;
pub mod ops;
pub mod protocol;
pub mod replay;
#[cfg(feature = "client")]
pub mod tls;
