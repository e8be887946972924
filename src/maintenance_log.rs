//! The maintenance log (the guide's "Wartungsprotokoll"): one JSON line per entry in the
//! state directory, written atomically under a short lock. Recovery appends its incident
//! reports here; checklists and updates add theirs.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use color_eyre::eyre::{Result, WrapErr};
use serde::{Deserialize, Serialize};

use crate::state::{StateLock, write_atomic};

/// One entry of the maintenance log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaintenanceEntry {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// What kind of work (`incident`, `checklist`, `update`).
    pub kind: String,
    /// Who did it (the login name).
    pub actor: String,
    /// One line.
    pub title: String,
    /// More detail (may be empty).
    #[serde(default)]
    pub detail: String,
    /// A report file, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<PathBuf>,
}

/// The log file in `state_dir`.
pub fn log_path(state_dir: &Path) -> PathBuf {
    state_dir.join("maintenance-log.jsonl")
}

/// Appends `entry` to the log in `state_dir`.
pub fn append_entry(state_dir: &Path, entry: &MaintenanceEntry) -> Result<()> {
    let path = log_path(state_dir);
    let _lock = StateLock::acquire(&state_dir.join("maintenance-log.lock"))?;
    let mut text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e).wrap_err_with(|| format!("cannot read {}", path.display())),
    };
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&serde_json::to_string(entry)?);
    text.push('\n');
    write_atomic(&path, text.as_bytes())
}

/// Every readable entry in the log of `state_dir`, oldest first (unreadable lines skipped).
pub fn read_entries(state_dir: &Path) -> Vec<MaintenanceEntry> {
    std::fs::read_to_string(log_path(state_dir))
        .unwrap_or_default()
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}

/// The login name of whoever runs scandyctl (`SUDO_USER` first: the admin behind sudo).
pub fn actor() -> String {
    ["SUDO_USER", "USER", "LOGNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| "unknown".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        for n in 0..3 {
            let entry = MaintenanceEntry {
                at: Utc::now(),
                kind: "incident".into(),
                actor: "anna".into(),
                title: format!("entry {n}"),
                detail: String::new(),
                report: None,
            };
            append_entry(dir.path(), &entry).unwrap();
        }
        let entries = read_entries(dir.path());
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[2].title, "entry 2");
    }
}
