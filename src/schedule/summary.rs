//! The schedule at a glance for `status`, the console and `watch`: the next run, the last
//! scheduled outcome, failed and missed runs. Reads the state file, never writes it.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::config::{ScheduleConfig, load_schedule};
use super::slots;
use super::state::{EntryState, Outcome, ScheduleState, state_path};
use super::zone::Zone;
use crate::backup::inventory::Warning;

/// The last scheduled run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LastRun {
    /// The entries it served (merged runs record each entry).
    pub entry: String,
    /// When it started.
    pub started: DateTime<Utc>,
    /// How it ended.
    pub outcome: Outcome,
    /// The set it wrote.
    pub set_id: Option<String>,
    /// Its error.
    pub error: Option<String>,
}

/// What the schedule looks like now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScheduleGlance {
    /// The zone of the cron expressions.
    pub timezone: String,
    /// The next run and the entries it serves.
    pub next_run: Option<DateTime<Utc>>,
    /// The entries of the next run.
    pub next_entries: Vec<String>,
    /// The next run in the schedule's local time (`2026-12-03 02:00 +01:00`).
    pub next_local: Option<String>,
    /// The most recent scheduled run.
    pub last: Option<LastRun>,
    /// Entries whose newest slot is overdue by more than an hour, with that slot.
    pub missed: Vec<(String, DateTime<Utc>)>,
}

impl ScheduleGlance {
    /// The error of the last run when it failed.
    pub fn failed(&self) -> Option<&str> {
        let last = self.last.as_ref()?;
        (last.outcome == Outcome::Failed).then(|| last.error.as_deref().unwrap_or("unknown error"))
    }

    /// The overdue entries as one phrase ("daily since 2026-11-26 02:00 UTC").
    pub fn missed_text(&self) -> Option<String> {
        (!self.missed.is_empty()).then(|| {
            self.missed
                .iter()
                .map(|(name, at)| format!("{name} since {}", at.format("%Y-%m-%d %H:%M UTC")))
                .collect::<Vec<_>>()
                .join(", ")
        })
    }

    /// Warnings for `status` and the Backups tab (`schedule-failed`, `schedule-missed`).
    pub fn warnings(&self) -> Vec<Warning> {
        let mut out = Vec::new();
        if let Some(error) = self.failed() {
            out.push(Warning {
                code: "schedule-failed",
                message: format!("the last scheduled backup failed: {error}"),
                args: vec![error.to_string()],
            });
        }
        if let Some(missed) = self.missed_text() {
            out.push(Warning {
                code: "schedule-missed",
                message: format!(
                    "scheduled backup not run: {missed}; is the schedule service or timer running?"
                ),
                args: vec![missed],
            });
        }
        out
    }
}

/// The schedule state in `state_dir` (empty when absent or unreadable).
pub fn read_state(state_dir: &Path) -> ScheduleState {
    std::fs::read(state_path(state_dir))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// The glance of `schedule` with the state in `state_dir` at `now`.
pub fn glance_of(
    schedule: &ScheduleConfig,
    state: &ScheduleState,
    now: DateTime<Utc>,
) -> ScheduleGlance {
    let zone = Zone::from_config(schedule.timezone);
    let next = slots::upcoming(schedule, zone, now, 1).into_iter().next();
    let last = state
        .entries
        .iter()
        .filter(|(name, _)| schedule.entry(name).is_some())
        .filter_map(|(name, e): (&String, &EntryState)| Some((name, e, e.last_start?, e.outcome?)))
        .max_by_key(|(_, _, started, _)| *started)
        .map(|(name, e, started, outcome)| LastRun {
            entry: name.clone(),
            started,
            outcome,
            set_id: e.set_id.clone(),
            error: e.error.clone(),
        });
    ScheduleGlance {
        timezone: zone.name(),
        next_local: next.as_ref().map(|s| {
            format!(
                "{} {}",
                zone.to_local(s.at).format("%Y-%m-%d %H:%M"),
                zone.offset_at(s.at)
            )
        }),
        next_run: next.as_ref().map(|s| s.at),
        next_entries: next.map(|s| s.entries).unwrap_or_default(),
        last,
        missed: slots::missed(schedule, zone, &state.watermarks(), now),
    }
}

/// The glance from the config file's `[schedule]` and the state directory; `Ok(None)` when
/// nothing is scheduled, `Err` names a bad `[schedule]` section.
pub fn load_glance(
    config_file: Option<&Path>,
    state_dir: &Path,
    now: DateTime<Utc>,
) -> Result<Option<ScheduleGlance>, String> {
    let schedule = load_schedule(config_file).map_err(|e| e.to_string())?;
    if schedule.is_empty() {
        return Ok(None);
    }
    Ok(Some(glance_of(&schedule, &read_state(state_dir), now)))
}
