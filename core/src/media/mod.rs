//! Media: photos and signatures as evidence, and the hash chain that makes the record of a
//! visit tamper-evident.
pub mod chain;
pub mod packed;
pub mod photo;
pub mod signature;
