//! The checklists' state in the state directory (`checklists.json`): the current round of
//! each checklist with its item results, when each was last completed, the error kinds
//! the log review has seen and the disk samples the growth rate is computed from.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use color_eyre::eyre::{Result, WrapErr};
use serde::{Deserialize, Serialize};

use super::model::{Cadence, ItemDef, ItemResult};
use crate::state::{StateLock, write_atomic};

/// Disk samples kept per mount point (one per daily check).
const DISK_SAMPLES: usize = 60;

/// One round of a checklist: from its first item to its last.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Round {
    /// When the first item of the round was done.
    pub started: Option<DateTime<Utc>>,
    /// When every item had a result (the checklist was completed).
    pub completed: Option<DateTime<Utc>>,
    /// Item id → its latest result in this round.
    pub results: BTreeMap<String, ItemResult>,
}

/// A disk measurement of one mount point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiskSample {
    /// When it was measured.
    pub at: DateTime<Utc>,
    /// Bytes used.
    pub used: u64,
    /// Bytes in total.
    pub total: u64,
}

/// Everything `checklists.json` holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChecklistsState {
    /// The current round of each checklist.
    #[serde(default)]
    pub rounds: BTreeMap<Cadence, Round>,
    /// When each checklist was last completed.
    #[serde(default)]
    pub completed: BTreeMap<Cadence, DateTime<Utc>>,
    /// When each checklist's automatic items last ran (the log review reads from here).
    #[serde(default)]
    pub last_checked: BTreeMap<Cadence, DateTime<Utc>>,
    /// Error kinds (message shapes) the log review has already reported.
    #[serde(default)]
    pub known_error_kinds: BTreeSet<String>,
    /// Mount point → its measurements, oldest first.
    #[serde(default)]
    pub disk: BTreeMap<String, Vec<DiskSample>>,
}

/// Whether a checklist is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Never completed.
    Never,
    /// Due since then (not overdue yet).
    Due {
        /// When it fell due.
        since: DateTime<Utc>,
    },
    /// Overdue: due for longer than its grace period.
    Overdue {
        /// When it fell due.
        since: DateTime<Utc>,
    },
    /// Done; due again at `next`.
    Done {
        /// When it is due again.
        next: DateTime<Utc>,
    },
}

impl Due {
    /// Whether the checklist should be walked now.
    pub fn is_due(self) -> bool {
        !matches!(self, Due::Done { .. })
    }
}

/// The file in `state_dir`.
pub fn state_path(state_dir: &Path) -> PathBuf {
    state_dir.join("checklists.json")
}

fn lock_path(state_dir: &Path) -> PathBuf {
    state_dir.join("checklists.lock")
}

/// Reads the state (an absent file is the empty state; a damaged one is an error naming it).
pub fn load_state(state_dir: &Path) -> Result<ChecklistsState> {
    let path = state_path(state_dir);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).wrap_err_with(|| {
            format!("{} is damaged (move it away to start over)", path.display())
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ChecklistsState::default()),
        Err(e) => Err(e).wrap_err_with(|| format!("cannot read {}", path.display())),
    }
}

/// Changes the state under the lock and writes it atomically; returns what `change` returned.
pub fn update_state<T>(
    state_dir: &Path,
    change: impl FnOnce(&mut ChecklistsState) -> T,
) -> Result<(ChecklistsState, T)> {
    crate::state::ensure_dir(state_dir)?;
    let _lock = StateLock::acquire(&lock_path(state_dir))?;
    let mut state = load_state(state_dir)?;
    let out = change(&mut state);
    let bytes = serde_json::to_vec_pretty(&state)?;
    write_atomic(&state_path(state_dir), &bytes)?;
    Ok((state, out))
}

/// When `cadence` is due, given the state at `now`.
pub fn due_state(state: &ChecklistsState, cadence: Cadence, now: DateTime<Utc>) -> Due {
    let Some(done) = state.completed.get(&cadence) else {
        return Due::Never;
    };
    let next = *done + cadence.period();
    if now < next {
        Due::Done { next }
    } else if now < next + cadence.grace() {
        Due::Due { since: next }
    } else {
        Due::Overdue { since: next }
    }
}

impl ChecklistsState {
    /// The round shown for `cadence` at `now`: the current one, or an empty one when the
    /// last round was completed and the checklist is due again.
    pub fn visible_round(&self, cadence: Cadence, now: DateTime<Utc>) -> Round {
        match self.rounds.get(&cadence) {
            Some(round) if round.completed.is_none_or(|c| now < c + cadence.period()) => {
                round.clone()
            }
            _ => Round::default(),
        }
    }

    /// Records `result` for an item of `cadence` (of the checklist `items`) at `now`;
    /// returns whether this completed the checklist.
    pub fn record(
        &mut self,
        cadence: Cadence,
        items: &[ItemDef],
        result: ItemResult,
        now: DateTime<Utc>,
    ) -> bool {
        let mut round = self.visible_round(cadence, now);
        if round.completed.is_some() {
            // Re-running an item of a completed round updates it; the round stays completed.
            round.results.insert(result.id.clone(), result);
            self.rounds.insert(cadence, round);
            return false;
        }
        round.started.get_or_insert(now);
        round.results.insert(result.id.clone(), result);
        let complete = items
            .iter()
            .filter(|i| i.cadence == cadence)
            .all(|i| round.results.contains_key(&i.id));
        if complete {
            round.completed = Some(now);
            self.completed.insert(cadence, now);
        }
        self.rounds.insert(cadence, round);
        complete
    }

    /// Adds a disk sample for `mount`, keeping the newest [`DISK_SAMPLES`].
    pub fn add_disk_sample(&mut self, mount: &str, sample: DiskSample) {
        let samples = self.disk.entry(mount.to_string()).or_default();
        samples.push(sample);
        let extra = samples.len().saturating_sub(DISK_SAMPLES);
        samples.drain(..extra);
    }
}

/// Days until a filesystem is full at the growth between its oldest sample of the last 30
/// days and `now_sample` (`None` when it does not grow or there is no earlier sample).
pub fn days_until_full(samples: &[DiskSample], now_sample: DiskSample) -> Option<f64> {
    let month_ago = now_sample.at - chrono::Duration::days(30);
    let first = samples
        .iter()
        .filter(|s| s.at >= month_ago && s.at < now_sample.at)
        .min_by_key(|s| s.at)?;
    let hours = (now_sample.at - first.at).num_seconds() as f64 / 3600.0;
    if hours < 1.0 || now_sample.used <= first.used {
        return None;
    }
    let per_day = (now_sample.used - first.used) as f64 / hours * 24.0;
    let free = now_sample.total.saturating_sub(now_sample.used) as f64;
    Some(free / per_day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::model::{ItemKind, Severity, Text};

    fn item(id: &str, cadence: Cadence) -> ItemDef {
        ItemDef {
            id: id.into(),
            cadence,
            kind: ItemKind::Automatic,
            title: Text::same(id),
            fix: Text::same(""),
            follow_up: None,
        }
    }

    #[test]
    fn a_round_completes_and_falls_due_again() {
        let items = [item("A", Cadence::Daily), item("B", Cadence::Daily)];
        let t0: DateTime<Utc> = "2026-11-02T08:00:00Z".parse().unwrap();
        let mut s = ChecklistsState::default();
        assert_eq!(due_state(&s, Cadence::Daily, t0), Due::Never);
        assert!(!s.record(
            Cadence::Daily,
            &items,
            ItemResult::new("A", Severity::Ok, ""),
            t0
        ));
        assert!(s.record(
            Cadence::Daily,
            &items,
            ItemResult::new("B", Severity::Ok, ""),
            t0
        ));
        assert!(!due_state(&s, Cadence::Daily, t0).is_due());
        let next = t0 + chrono::Duration::hours(25);
        assert_eq!(
            due_state(&s, Cadence::Daily, next),
            Due::Due {
                since: t0 + chrono::Duration::hours(24)
            }
        );
        assert!(s.visible_round(Cadence::Daily, next).results.is_empty());
        let late = t0 + chrono::Duration::hours(40);
        assert!(matches!(
            due_state(&s, Cadence::Daily, late),
            Due::Overdue { .. }
        ));
    }

    #[test]
    fn growth_gives_days_until_full() {
        let t0: DateTime<Utc> = "2026-11-01T00:00:00Z".parse().unwrap();
        let first = DiskSample {
            at: t0,
            used: 50,
            total: 100,
        };
        let now = DiskSample {
            at: t0 + chrono::Duration::days(10),
            used: 60,
            total: 100,
        };
        assert_eq!(days_until_full(&[first], now), Some(40.0));
        let flat = DiskSample { used: 50, ..now };
        assert_eq!(days_until_full(&[first], flat), None);
    }
}
