//! Container formats: Scandy's ZIPs (dump layout, JSON layout, weekly ZIP of ZIPs), its
//! `tar.gz` with a mongodump archive, and plain mongodump `--archive` files. Entry names are
//! checked before anything is read (no `..`, no absolute paths, no links).

mod archive_stream;
mod entry_paths;
mod tar_reader;
mod zip_reader;

pub use archive_stream::pick_database;
pub use entry_paths::{checked_name, root_path_for};
pub use tar_reader::{list_tar, read_archive_file, read_tar};
pub use zip_reader::{list_zip, read_zip};

use super::LegacyFormat;
use crate::backup::archive::format::MAGIC_BYTES;

/// One file entry of a container (the wrapping directory, if any, removed from its name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerEntry {
    /// Name inside the container.
    pub name: String,
    /// Uncompressed size in bytes.
    pub size: u64,
}

/// What a container holds, from its directory (and the heads of a few entries).
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerListing {
    /// The layout it has.
    pub format: LegacyFormat,
    /// Its file entries.
    pub entries: Vec<ContainerEntry>,
    /// Databases of its dump or archive.
    pub databases: Vec<String>,
    /// Collections it holds (or declares, for a JSON backup).
    pub collections: Vec<String>,
    /// Entries with secrets in clear (`config/.env`).
    pub secrets: Vec<String>,
    /// The backups a weekly ZIP holds.
    pub members: Vec<String>,
    /// The time its own metadata states (Scandy's local time), if any.
    pub created_at: Option<chrono::NaiveDateTime>,
}

/// Whether `head` starts with the mongodump archive magic number.
pub fn sniff_archive(head: &[u8]) -> bool {
    head.starts_with(&MAGIC_BYTES)
}

#[cfg(test)]
#[path = "../containers_tests.rs"]
mod tests;
