//! Schedule maths: when each entry fires, merging entries that fall on the same minute, and
//! which runs are due at a given moment (catch-up runs once; a slot never runs twice).
//!
//! Every function takes the current time as an argument, so tests drive them with a fake
//! clock.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use serde::Serialize;

use super::config::{ScheduleConfig, ScheduleEntry, ScheduledType};
use super::zone::Zone;
use crate::backup::verify::VerifyLevel;

/// How far back an entry that has no record yet still counts as due (a timer or a daemon
/// started just after the slot runs it; one installed at noon waits for the next slot).
pub const FIRST_RUN_GRACE: Duration = Duration::hours(1);

/// A slot counts as missed once it is this much overdue and has not run.
pub const MISSED_AFTER: Duration = Duration::hours(1);

/// Most candidates looked at per search (fall-back repeats and gaps need a few).
const SEARCH_LIMIT: usize = 16;

/// One run of the schedule: the entries that fall on the same instant, merged.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Slot {
    /// When it runs (UTC).
    pub at: DateTime<Utc>,
    /// The entries it serves, in the order of the config.
    pub entries: Vec<String>,
    /// The strongest backup type of those entries.
    #[serde(rename = "type")]
    pub kind: ScheduledType,
    /// The strongest verification of those entries.
    pub verify: VerifyLevel,
}

fn stronger_verify(a: VerifyLevel, b: VerifyLevel) -> VerifyLevel {
    if a == VerifyLevel::Deep || b == VerifyLevel::Deep {
        VerifyLevel::Deep
    } else {
        VerifyLevel::Quick
    }
}

/// The first instant after `after` at which `entry` fires in `zone`.
pub fn entry_next(
    entry: &ScheduleEntry,
    zone: Zone,
    after: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let mut local = minute_floor(zone.to_local(after));
    for _ in 0..SEARCH_LIMIT {
        let candidate = entry.cron.find_next_occurrence(&local, false).ok()?;
        let at = zone.slot_instant(candidate);
        if at > after {
            return Some(at);
        }
        local = candidate;
    }
    None
}

/// The last instant at or before `at` at which `entry` fired in `zone`.
pub fn entry_prev(entry: &ScheduleEntry, zone: Zone, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let mut local = zone.to_local(at);
    let mut inclusive = true;
    for _ in 0..SEARCH_LIMIT {
        let candidate = entry
            .cron
            .find_previous_occurrence(&local, inclusive)
            .ok()?;
        let fired = zone.slot_instant(candidate);
        if fired <= at {
            return Some(fired);
        }
        local = candidate;
        inclusive = false;
    }
    None
}

fn minute_floor(t: NaiveDateTime) -> NaiveDateTime {
    use chrono::Timelike as _;
    t.with_second(0)
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(t)
}

/// Merges the entries firing at one instant into a slot with the strongest type and
/// verification (a Sunday that is the 1st: one full backup, verified deep).
fn merge<'a>(at: DateTime<Utc>, entries: impl Iterator<Item = &'a ScheduleEntry>) -> Slot {
    let mut slot = Slot {
        at,
        entries: Vec::new(),
        kind: ScheduledType::Incremental,
        verify: VerifyLevel::Quick,
    };
    for entry in entries {
        slot.entries.push(entry.name.clone());
        slot.kind = slot.kind.max(entry.kind);
        slot.verify = stronger_verify(slot.verify, entry.verify);
    }
    slot
}

/// The next `count` slots after `after`, coinciding entries merged.
pub fn upcoming(
    config: &ScheduleConfig,
    zone: Zone,
    after: DateTime<Utc>,
    count: usize,
) -> Vec<Slot> {
    let mut slots = Vec::new();
    let mut from = after;
    while slots.len() < count {
        let next: Vec<(DateTime<Utc>, &ScheduleEntry)> = config
            .entries
            .iter()
            .filter_map(|e| entry_next(e, zone, from).map(|at| (at, e)))
            .collect();
        let Some(at) = next.iter().map(|(at, _)| *at).min() else {
            break;
        };
        slots.push(merge(
            at,
            next.iter().filter(|(t, _)| *t == at).map(|(_, e)| *e),
        ));
        from = at;
    }
    slots
}

/// The next `count` instants of one entry.
pub fn entry_upcoming(
    entry: &ScheduleEntry,
    zone: Zone,
    after: DateTime<Utc>,
    count: usize,
) -> Vec<DateTime<Utc>> {
    let mut out = Vec::new();
    let mut from = after;
    while out.len() < count {
        let Some(at) = entry_next(entry, zone, from) else {
            break;
        };
        out.push(at);
        from = at;
    }
    out
}

/// For each entry, the newest slot that counts as handled: it ran, or it came before the
/// schedule knew the entry. A slot at or before its watermark never runs (again).
pub type Watermarks = BTreeMap<String, DateTime<Utc>>;

/// The watermark of an entry without a record: slots from [`FIRST_RUN_GRACE`] before `now`
/// on are still due.
pub fn initial_watermark(now: DateTime<Utc>) -> DateTime<Utc> {
    now - FIRST_RUN_GRACE
}

/// What is due at `now`: one merged run of every entry whose newest slot is past its
/// watermark. However many slots were missed, each entry runs once (catch-up); a clock that
/// went backwards finds the newest slot at or before its watermark and runs nothing.
/// Returns the run and, per entry served, the slot it settles (the new watermark).
pub fn due(
    config: &ScheduleConfig,
    zone: Zone,
    watermarks: &Watermarks,
    now: DateTime<Utc>,
) -> Option<(Slot, BTreeMap<String, DateTime<Utc>>)> {
    let mut settles = BTreeMap::new();
    let mut entries = Vec::new();
    for entry in &config.entries {
        let Some(latest) = entry_prev(entry, zone, now) else {
            continue;
        };
        let mark = watermarks
            .get(&entry.name)
            .copied()
            .unwrap_or_else(|| initial_watermark(now));
        if latest > mark {
            settles.insert(entry.name.clone(), latest);
            entries.push(entry);
        }
    }
    let at = settles.values().max().copied()?;
    Some((merge(at, entries.into_iter()), settles))
}

/// The entries whose newest slot is more than [`MISSED_AFTER`] overdue and has not run.
pub fn missed(
    config: &ScheduleConfig,
    zone: Zone,
    watermarks: &Watermarks,
    now: DateTime<Utc>,
) -> Vec<(String, DateTime<Utc>)> {
    config
        .entries
        .iter()
        .filter_map(|entry| {
            let latest = entry_prev(entry, zone, now)?;
            let mark = watermarks.get(&entry.name).copied()?;
            (latest > mark && now - latest > MISSED_AFTER).then(|| (entry.name.clone(), latest))
        })
        .collect()
}

/// The instant the schedule next needs attention after `now`: its next slot.
pub fn next_wake(config: &ScheduleConfig, zone: Zone, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    config
        .entries
        .iter()
        .filter_map(|e| entry_next(e, zone, now))
        .min()
}

#[cfg(test)]
#[path = "slots_tests.rs"]
mod tests;
