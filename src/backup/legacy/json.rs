//! (stub until the JSON reader lands)
use std::io::Read;

use color_eyre::Result;
use color_eyre::eyre::bail;

use super::{LegacyFormat, LegacySink, ReadOptions};

/// What a JSON backup declares about itself.
pub struct JsonInfo {
    /// v1 or v2.
    pub format: LegacyFormat,
    /// metadata.version.
    pub version: Option<String>,
    /// metadata.created_at.
    pub created_at: Option<chrono::NaiveDateTime>,
    /// Declared collections and v1 counts.
    pub declared: Vec<(String, Option<u64>)>,
}
/// Sniff.
pub fn sniff_json(_head: &[u8]) -> Option<LegacyFormat> {
    None
}
/// Info.
pub fn read_json_info<R: Read>(_input: R, _source: &str) -> Result<JsonInfo> {
    bail!("stub")
}
/// Read.
pub fn read_json<R: Read>(
    _input: R,
    _source: &str,
    _opts: &ReadOptions,
    _sink: &mut dyn LegacySink,
) -> Result<JsonInfo> {
    bail!("stub")
}
