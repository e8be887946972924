//! `schedule.json` in the state directory: per entry the watermark (newest slot handled),
//! the last run's start, end, outcome, set id and error, and the next run. Written
//! atomically; a corrupt file is renamed aside and the schedule starts fresh.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use color_eyre::eyre::{Result, WrapErr};
use serde::{Deserialize, Serialize};

use super::slots::Watermarks;

/// File name of the schedule state in the state directory.
pub const STATE_FILE: &str = "schedule.json";

/// File name of the lock that keeps two schedule runners from working at once.
pub const RUN_LOCK_FILE: &str = "schedule.lock";

/// Current format of `schedule.json`.
pub const STATE_FORMAT: u32 = 1;

/// How a scheduled run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Running now (or killed while running, when its pid is gone).
    Running,
    /// Backup written and every step after it passed.
    Ok,
    /// The backup or a step after it failed.
    Failed,
    /// The backup directory was busy; the run waits and retries.
    Deferred,
}

impl Outcome {
    /// Lowercase name, as in the state file.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Running => "running",
            Outcome::Ok => "ok",
            Outcome::Failed => "failed",
            Outcome::Deferred => "deferred",
        }
    }
}

/// The record of one schedule entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EntryState {
    /// The newest slot handled: it ran, or it came before the schedule knew the entry.
    pub watermark: Option<DateTime<Utc>>,
    /// The slot of the last run.
    pub last_slot: Option<DateTime<Utc>>,
    /// When the last run started.
    pub last_start: Option<DateTime<Utc>>,
    /// When the last run ended.
    pub last_end: Option<DateTime<Utc>>,
    /// How the last run ended.
    pub outcome: Option<Outcome>,
    /// The set the last run wrote.
    pub set_id: Option<String>,
    /// What went wrong in the last run.
    pub error: Option<String>,
    /// When the entry fires next.
    pub next_run: Option<DateTime<Utc>>,
    /// When a set was last written by this entry (successful runs only).
    pub last_success: Option<DateTime<Utc>>,
    /// Seconds the last successful backup took.
    pub last_duration_seconds: Option<f64>,
    /// Bytes of the last successful set.
    pub last_size_bytes: Option<u64>,
}

/// The whole state file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduleState {
    /// [`STATE_FORMAT`].
    pub format: u32,
    /// Per entry name.
    pub entries: BTreeMap<String, EntryState>,
    /// The next run of the whole schedule.
    pub next_run: Option<DateTime<Utc>>,
    /// The process running a slot now (pid), if any.
    pub running_pid: Option<u32>,
    /// The backup directory the sets were written to (a vanished one is noticed).
    pub backup_dir: Option<PathBuf>,
    /// Last write.
    pub updated_at: Option<DateTime<Utc>>,
}

impl Default for ScheduleState {
    fn default() -> Self {
        ScheduleState {
            format: STATE_FORMAT,
            entries: BTreeMap::new(),
            next_run: None,
            running_pid: None,
            backup_dir: None,
            updated_at: None,
        }
    }
}

impl ScheduleState {
    /// The watermark of every entry that has one.
    pub fn watermarks(&self) -> Watermarks {
        self.entries
            .iter()
            .filter_map(|(name, e)| e.watermark.map(|w| (name.clone(), w)))
            .collect()
    }

    /// The record of `name`, created when missing.
    pub fn entry_mut(&mut self, name: &str) -> &mut EntryState {
        self.entries.entry(name.to_string()).or_default()
    }

    /// The most recently started run of any entry: (entry, record).
    pub fn last_run(&self) -> Option<(&str, &EntryState)> {
        self.entries
            .iter()
            .filter(|(_, e)| e.last_start.is_some())
            .max_by_key(|(_, e)| e.last_start)
            .map(|(n, e)| (n.as_str(), e))
    }

    /// True when a scheduled run ever wrote a set.
    pub fn ever_succeeded(&self) -> bool {
        self.entries.values().any(|e| e.last_success.is_some())
    }
}

/// The state file in `state_dir`.
pub fn state_path(state_dir: &Path) -> PathBuf {
    state_dir.join(STATE_FILE)
}

/// A loaded state and the warnings about it (a corrupt file that was set aside).
#[derive(Debug, Clone)]
pub struct LoadedState {
    /// The state (fresh when the file was missing or corrupt).
    pub state: ScheduleState,
    /// Warnings for the admin.
    pub warnings: Vec<String>,
}

/// Reads the state; a missing file is a fresh state, a corrupt one is renamed to
/// `schedule.json.corrupt-<UTC time>` with a warning and a fresh state is returned.
pub fn load_state(path: &Path, now: DateTime<Utc>) -> Result<LoadedState> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Ok(LoadedState {
                state: ScheduleState::default(),
                warnings: Vec::new(),
            });
        }
        Err(err) => {
            return Err(err).wrap_err_with(|| format!("cannot read {}", path.display()));
        }
    };
    match serde_json::from_slice::<ScheduleState>(&bytes) {
        Ok(state) if state.format == STATE_FORMAT => Ok(LoadedState {
            state,
            warnings: Vec::new(),
        }),
        parsed => {
            let why = match parsed {
                Ok(state) => format!("format {} is not {STATE_FORMAT}", state.format),
                Err(err) => err.to_string(),
            };
            let aside = path.with_file_name(format!(
                "{STATE_FILE}.corrupt-{}",
                now.format("%Y%m%dT%H%M%SZ")
            ));
            std::fs::rename(path, &aside)
                .wrap_err_with(|| format!("cannot move the corrupt {} aside", path.display()))?;
            Ok(LoadedState {
                state: ScheduleState::default(),
                warnings: vec![format!(
                    "the schedule state {} could not be read ({why}); moved it to {} and \
                     started afresh",
                    path.display(),
                    aside.display()
                )],
            })
        }
    }
}

/// Writes the state atomically (temp file, fsync, rename).
pub fn save_state(path: &Path, state: &mut ScheduleState, now: DateTime<Utc>) -> Result<()> {
    state.updated_at = Some(now);
    let text = serde_json::to_vec_pretty(state).wrap_err("cannot encode the schedule state")?;
    crate::state::write_atomic(path, &text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_corrupt_file_set_aside() {
        let dir = tempfile::tempdir().unwrap();
        let path = state_path(dir.path());
        let now = Utc::now();
        assert_eq!(
            load_state(&path, now).unwrap().state,
            ScheduleState::default()
        );
        let mut state = ScheduleState::default();
        state.entry_mut("daily").outcome = Some(Outcome::Ok);
        state.entry_mut("daily").watermark = Some(now);
        save_state(&path, &mut state, now).unwrap();
        let loaded = load_state(&path, now).unwrap();
        assert_eq!(loaded.state, state);
        assert!(loaded.warnings.is_empty());
        assert_eq!(loaded.state.watermarks()["daily"], now);

        std::fs::write(&path, b"{\"format\": 1, \"entries\": {").unwrap();
        let loaded = load_state(&path, now).unwrap();
        assert_eq!(loaded.state, ScheduleState::default());
        assert!(
            loaded.warnings[0].contains("moved it to"),
            "{:?}",
            loaded.warnings
        );
        assert!(!path.exists());
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names[0].starts_with("schedule.json.corrupt-"), "{names:?}");
    }
}
