//! Sync with the server: `protocol` holds the wire types shared by the device and the server.

pub mod protocol;
pub mod replay;
