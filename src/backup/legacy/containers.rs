//! (stub until the container readers land)
use std::path::Path;

use color_eyre::Result;
use color_eyre::eyre::bail;

use super::{LegacyFormat, LegacySink, ReadOptions};

/// An entry.
pub struct ContainerEntry {
    /// Name.
    pub name: String,
    /// Size.
    pub size: u64,
}
/// Listing.
pub struct ContainerListing {
    /// Format.
    pub format: LegacyFormat,
    /// Entries.
    pub entries: Vec<ContainerEntry>,
    /// Databases.
    pub databases: Vec<String>,
    /// Collections.
    pub collections: Vec<String>,
    /// Secrets.
    pub secrets: Vec<String>,
    /// Members.
    pub members: Vec<String>,
    /// Time.
    pub created_at: Option<chrono::NaiveDateTime>,
}
/// List zip.
pub fn list_zip(_path: &Path) -> Result<ContainerListing> {
    bail!("stub")
}
/// List tar.
pub fn list_tar(_path: &Path) -> Result<ContainerListing> {
    bail!("stub")
}
/// Read zip.
pub fn read_zip(
    _path: &Path,
    _member: Option<&str>,
    _opts: &ReadOptions,
    _sink: &mut dyn LegacySink,
) -> Result<()> {
    bail!("stub")
}
/// Read tar.
pub fn read_tar(_path: &Path, _opts: &ReadOptions, _sink: &mut dyn LegacySink) -> Result<()> {
    bail!("stub")
}
/// Read archive.
pub fn read_archive_file(
    _path: &Path,
    _opts: &ReadOptions,
    _sink: &mut dyn LegacySink,
) -> Result<()> {
    bail!("stub")
}
/// Sniff archive.
pub fn sniff_archive(_head: &[u8]) -> bool {
    false
}
