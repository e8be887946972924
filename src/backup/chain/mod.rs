//! Incremental backups: sets that store only what changed since a parent, the chains they
//! form (full ← incremental ← …), and replaying a chain into the state at any of its sets
//! (restore, verify, `flatten`).
//!
//! Every set keeps per-collection document fingerprints and a files index (hashes only),
//! so the next incremental compares against them without reading the parent's data. The
//! incremental's database member is an ordinary mongodump archive holding every
//! collection's metadata and only the new and changed documents; its files member holds
//! only new and changed entries. On a replica set the oplog names the changed `_id`s, so
//! only those documents are read.

pub mod files_index;
pub mod fingerprint;
pub mod flatten;
pub mod increment;
pub mod links;
pub mod merge;
pub mod open;
pub mod oplog;
pub mod parent;
pub mod state;
pub mod tracker;

pub use links::{Chain, ChainBroken, ChainLink, resolve_chain};
