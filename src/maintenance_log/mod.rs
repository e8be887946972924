//! The maintenance log (the guide's "Wartungsprotokoll"): one JSON line per entry in the
//! state directory, each line carrying the SHA-256 of the line before it, so that an
//! edited, deleted or reordered entry is detectable ([`verify_chain`]). Appends happen
//! under a short lock and through atomic writes; the log is never rewritten, only rotated
//! by month (`maintenance-log-YYYY-MM.jsonl`) without breaking the chain. A small head file
//! remembers the last line's hash, so a deleted or edited last line is detected too.

mod append;
mod files;
pub mod job_entry;
mod verify;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use color_eyre::eyre::Result;
use serde::{Deserialize, Serialize};

pub use append::append_entry;
pub use files::{CURRENT_FILE, GENESIS_HASH, HEAD_FILE, LOCK_FILE, line_hash};
pub use verify::{ChainProblem, ChainReport, ProblemKind, verify_chain};

/// How an action ended, as the `outcome` field of an entry spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// It did what was asked.
    Ok,
    /// It completed with findings worth a look (e.g. collections the server could not check).
    Warning,
    /// It failed (or found the thing it checked broken).
    Failed,
    /// It was stopped before its end.
    Cancelled,
}

impl Outcome {
    /// `ok`, `warning`, `failed` or `cancelled`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Warning => "warning",
            Outcome::Failed => "failed",
            Outcome::Cancelled => "cancelled",
        }
    }
}

/// One entry of the maintenance log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaintenanceEntry {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Position in the whole log (1 = first line ever); set by [`append_entry`].
    #[serde(default, skip_serializing_if = "is_zero")]
    pub seq: u64,
    /// The machine it happened on (filled in by [`append_entry`] when empty).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub host: String,
    /// What kind of work (`backup`, `verify`, `restore`, `checklist`, `incident`, …).
    pub kind: String,
    /// Who did it (the login name, `$SUDO_USER` first).
    pub actor: String,
    /// One line.
    pub title: String,
    /// More detail (may be empty).
    #[serde(default)]
    pub detail: String,
    /// The parameters of the action (set id, level, collection, target …).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
    /// `ok`, `warning`, `failed` or `cancelled` (old lines without it read as `ok`).
    #[serde(default = "ok_outcome")]
    pub outcome: String,
    /// What shows the outcome (new set id, findings, documents restored, the error chain).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
    /// A report file, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<PathBuf>,
    /// Hex SHA-256 of the previous line (64 zeros for the first line ever); set by
    /// [`append_entry`]. Empty on lines written before the log was chained.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub prev: String,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn ok_outcome() -> String {
    Outcome::Ok.as_str().to_string()
}

impl Default for MaintenanceEntry {
    /// An empty `ok` entry at the Unix epoch; [`append_entry`] fills in host and actor.
    fn default() -> MaintenanceEntry {
        MaintenanceEntry {
            at: DateTime::<Utc>::UNIX_EPOCH,
            seq: 0,
            host: String::new(),
            kind: String::new(),
            actor: String::new(),
            title: String::new(),
            detail: String::new(),
            params: BTreeMap::new(),
            outcome: ok_outcome(),
            evidence: Vec::new(),
            report: None,
            prev: String::new(),
        }
    }
}

impl MaintenanceEntry {
    /// An entry of `kind` made now, on this host, by whoever runs scandyctl.
    pub fn now(kind: &str, title: &str, detail: &str) -> MaintenanceEntry {
        MaintenanceEntry {
            at: Utc::now(),
            host: host(),
            kind: kind.to_string(),
            actor: actor(),
            title: title.to_string(),
            detail: detail.to_string(),
            ..MaintenanceEntry::default()
        }
    }

    /// The entry with parameter `key` set to `value`.
    pub fn param(mut self, key: &str, value: impl Into<String>) -> MaintenanceEntry {
        self.params.insert(key.to_string(), value.into());
        self
    }

    /// The entry with parameter `key` set when `value` is `Some`.
    pub fn param_opt(self, key: &str, value: Option<impl Into<String>>) -> MaintenanceEntry {
        match value {
            Some(value) => self.param(key, value),
            None => self,
        }
    }

    /// The entry with this outcome.
    pub fn outcome(mut self, outcome: Outcome) -> MaintenanceEntry {
        self.outcome = outcome.as_str().to_string();
        self
    }

    /// The entry with `lines` added to its evidence.
    pub fn evidence<I, S>(mut self, lines: I) -> MaintenanceEntry
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.evidence.extend(lines.into_iter().map(Into::into));
        self
    }

    /// The entry finished by `result`: `ok` with `evidence(value)`, or `failed` /
    /// `cancelled` with the error chain as evidence.
    pub fn with_result<T>(
        self,
        result: &Result<T>,
        evidence: impl FnOnce(&T) -> Vec<String>,
    ) -> MaintenanceEntry {
        match result {
            Ok(value) => {
                let lines = evidence(value);
                self.evidence(lines)
            }
            Err(err) => self.with_error(err),
        }
    }

    /// The entry marked `cancelled` (a [`crate::backup::progress::Cancelled`] in the chain)
    /// or `failed`, with the error chain as evidence.
    pub fn with_error(self, err: &color_eyre::eyre::Report) -> MaintenanceEntry {
        if crate::backup::progress::is_cancelled(err) {
            self.outcome(Outcome::Cancelled)
                .evidence([format!("cancelled: {err:#}")])
        } else {
            self.outcome(Outcome::Failed).evidence([format!("{err:#}")])
        }
    }

    /// Whether the outcome is `failed`.
    pub fn failed(&self) -> bool {
        self.outcome == Outcome::Failed.as_str()
    }
}

/// The current log file in `state_dir` (older months sit beside it as
/// `maintenance-log-YYYY-MM.jsonl`).
pub fn log_path(state_dir: &Path) -> PathBuf {
    state_dir.join(CURRENT_FILE)
}

/// Every readable entry of the log in `state_dir`, across the rotated files, oldest first
/// (unreadable lines skipped; [`verify_chain`] reports them).
pub fn read_entries(state_dir: &Path) -> Vec<MaintenanceEntry> {
    let Ok(files) = files::log_files(state_dir) else {
        return Vec::new();
    };
    let mut entries = Vec::new();
    for file in files {
        let Ok(bytes) = std::fs::read(&file.path) else {
            continue;
        };
        entries.extend(
            files::split_lines(&bytes)
                .into_iter()
                .filter_map(|line| serde_json::from_slice::<MaintenanceEntry>(line).ok()),
        );
    }
    entries
}

/// The entries at or after `since` (when given) of `kind` (when given), oldest first.
pub fn read_entries_filtered(
    state_dir: &Path,
    since: Option<DateTime<Utc>>,
    kind: Option<&str>,
) -> Vec<MaintenanceEntry> {
    read_entries(state_dir)
        .into_iter()
        .filter(|e| since.is_none_or(|since| e.at >= since))
        .filter(|e| kind.is_none_or(|kind| e.kind.eq_ignore_ascii_case(kind)))
        .collect()
}

/// Appends `entry` to the log of this user's state directory ([`crate::state::state_dir`]).
pub fn record(entry: &MaintenanceEntry) -> Result<()> {
    append_entry(&crate::state::state_dir(), entry)
}

/// The login name of whoever runs scandyctl (`SUDO_USER` first: the admin behind sudo).
pub fn actor() -> String {
    ["SUDO_USER", "USER", "LOGNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| "unknown".to_string())
}

/// This machine's host name (`unknown` when the system does not say).
pub fn host() -> String {
    hostname::get()
        .ok()
        .map(|h| h.to_string_lossy().into_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".to_string())
}
