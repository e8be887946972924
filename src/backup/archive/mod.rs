//! mongodump's `--archive` format: what `mongorestore --archive` reads.
//!
//! [`ArchiveWriter`] produces the byte stream mongodump writes with one collection at a
//! time; [`ArchiveReader`] parses any such stream (also one from mongodump itself) and
//! recomputes each namespace's CRC-64. The format is specified in mongo-tools
//! `common/archive/spec.md`; [`format`] lists the constants and field layouts.

mod crc;
pub mod format;
mod metadata;
mod reader;
mod writer;

#[cfg(test)]
mod tests;

pub use crc::{NamespaceChecksum, crc64};
pub use format::{ArchiveHeader, NamespaceHeader};
pub use metadata::{CollectionKind, CollectionMetadata, CollectionPrelude};
pub use reader::{ArchiveEvent, ArchiveReader};
pub use writer::{ArchiveWriter, CollectionTotals};
