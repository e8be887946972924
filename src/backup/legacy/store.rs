//! Verification records of legacy backups, kept in scandyctl's state directory keyed by the
//! legacy id: never inside the legacy file or directory.

use std::path::{Path, PathBuf};

use color_eyre::eyre::{Result, WrapErr};

use super::check::LegacyVerifyReport;

/// `<state>/legacy-verify`.
pub fn records_dir(state_dir: &Path) -> PathBuf {
    state_dir.join("legacy-verify")
}

/// Stores `report` as `<state>/legacy-verify/<id>.json` (atomically).
pub fn write_record(state_dir: &Path, report: &LegacyVerifyReport) -> Result<PathBuf> {
    let path = records_dir(state_dir).join(format!("{}.json", report.id));
    let bytes = serde_json::to_vec_pretty(report).wrap_err("cannot serialise the report")?;
    crate::state::write_atomic(&path, &bytes)?;
    Ok(path)
}

/// The stored report of legacy backup `id`, if it was ever verified.
pub fn read_record(state_dir: &Path, id: &str) -> Option<LegacyVerifyReport> {
    if !crate::backup::id::is_safe_id(id) {
        return None;
    }
    let text = std::fs::read_to_string(records_dir(state_dir).join(format!("{id}.json"))).ok()?;
    serde_json::from_str(&text).ok()
}
