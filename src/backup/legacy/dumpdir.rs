//! (stub until the dump reader lands)
use std::io::Read;
use std::path::{Path, PathBuf};

use color_eyre::Result;
use color_eyre::eyre::bail;

use super::{LegacySink, ReadOptions};

/// One collection of a dump.
pub struct DumpCollection {
    /// Database.
    pub db: String,
    /// Collection.
    pub name: String,
    /// BSON file.
    pub bson: PathBuf,
    /// Metadata file.
    pub metadata: Option<PathBuf>,
    /// gzip.
    pub compressed: bool,
    /// bytes.
    pub size: u64,
}
/// Listing.
pub struct DumpListing {
    /// Databases.
    pub databases: Vec<String>,
    /// Collections.
    pub collections: Vec<DumpCollection>,
    /// Empty.
    pub empty: bool,
}
/// Stream.
pub fn read_bson_stream(
    _input: impl Read,
    _source: &str,
    _sink: &mut dyn LegacySink,
) -> Result<u64> {
    bail!("stub")
}
/// List.
pub fn list_dump_dir(_dir: &Path) -> Result<DumpListing> {
    bail!("stub")
}
/// Read.
pub fn read_dump_dir(
    _dir: &Path,
    _db: Option<&str>,
    _opts: &ReadOptions,
    _sink: &mut dyn LegacySink,
) -> Result<()> {
    bail!("stub")
}
