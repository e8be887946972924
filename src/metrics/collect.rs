//! The metrics scandyctl exports: backups per type, verification, the schedule, alerts,
//! MongoDB and `/health`, free space; each sample labelled with the host and database.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};

use super::text::{Family, render};
use crate::backup::inventory::{Verification, scan_inventory_detailed};
use crate::config::Config;
use crate::notify::Priority;
use crate::schedule::state::{Outcome, ScheduleState, state_path};
use crate::schedule::{Zone, load_schedule, slots};

/// What only a live evaluation knows (`watch`); `None` leaves the metric out (a merged
/// text file keeps its last value).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Live {
    /// MongoDB answered and accepted the credentials.
    pub mongodb_up: Option<bool>,
    /// Scandy's `/health` answered healthy.
    pub health_up: Option<bool>,
    /// The firing alerts: rule and priority.
    pub alerts: Option<Vec<(String, Priority)>>,
}

fn seconds(at: DateTime<Utc>) -> f64 {
    at.timestamp_millis() as f64 / 1000.0
}

/// The instance labels of every sample: `host` and `database`.
pub fn instance_labels(config: &Config) -> Vec<(&'static str, String)> {
    vec![
        ("host", crate::backup::lock::host_name()),
        ("database", config.mongo.database.clone()),
    ]
}

fn backup_families(config: &Config, out: &mut Vec<Family>) {
    let dir = config.resolve(&config.backup.dir);
    let mut success = Family::gauge(
        "scandyctl_backup_last_success_timestamp_seconds",
        "When the newest complete backup set of each type finished (Unix time).",
    );
    let mut duration = Family::gauge(
        "scandyctl_backup_last_duration_seconds",
        "How long the newest backup set of each type took to write.",
    );
    let mut size = Family::gauge(
        "scandyctl_backup_last_size_bytes",
        "Bytes on disk of the newest backup set of each type.",
    );
    let mut sets = Family::gauge("scandyctl_backup_sets", "Complete backup sets by type.");
    let mut verified = Family::gauge(
        "scandyctl_verify_last_success_timestamp_seconds",
        "When a backup set last passed its verification (Unix time).",
    );
    let mut last_ok = Family::gauge(
        "scandyctl_verify_last_ok",
        "1 when the most recent verification of any set passed, 0 when it failed.",
    );
    if let Ok((inventory, details)) = scan_inventory_detailed(&dir) {
        let mut counts: BTreeMap<&str, u64> = BTreeMap::from([("full", 0)]);
        let mut seen = std::collections::BTreeSet::new();
        for set in &inventory.sets {
            let kind = set.kind.as_str();
            *counts.entry(kind).or_default() += 1;
            if !seen.insert(kind) {
                continue; // newest first: only the newest of each type
            }
            let finished = details
                .get(&set.id)
                .map_or(set.created_at, |d| d.manifest.finished_at);
            success.push(&[("type", kind)], seconds(finished));
            duration.push(
                &[("type", kind)],
                (finished - set.created_at).num_milliseconds().max(0) as f64 / 1000.0,
            );
            size.push(&[("type", kind)], set.size as f64);
        }
        for (kind, count) in counts {
            sets.push(&[("type", kind)], count as f64);
        }
        let ok_times = inventory.sets.iter().filter_map(|s| match s.verification {
            Verification::Ok { at, .. } => Some(at),
            _ => None,
        });
        if let Some(at) = ok_times.max() {
            verified.push(&[], seconds(at));
        }
        let newest_check = inventory
            .sets
            .iter()
            .filter_map(|s| match s.verification {
                Verification::Ok { at, .. } => Some((at, 1.0)),
                Verification::Failed { at, .. } => Some((at, 0.0)),
                Verification::Never => None,
            })
            .max_by_key(|(at, _)| *at);
        if let Some((_, ok)) = newest_check {
            last_ok.push(&[], ok);
        }
    }
    out.extend([success, duration, size, sets, verified, last_ok]);
    if let Ok(space) = crate::system::disk::disk_space(&dir) {
        out.push(Family::single(
            "scandyctl_backup_dir_free_bytes",
            "Bytes available in the backup directory's filesystem.",
            space.available as f64,
        ));
    }
}

fn schedule_families(config_file: Option<&Path>, now: DateTime<Utc>, out: &mut Vec<Family>) {
    let mut next = Family::gauge(
        "scandyctl_schedule_next_run_timestamp_seconds",
        "When each [schedule] entry fires next (Unix time).",
    );
    let mut last = Family::gauge(
        "scandyctl_schedule_last_run_ok",
        "1 when the last scheduled run of each entry succeeded, 0 when it failed.",
    );
    if let Ok(schedule) = load_schedule(config_file) {
        let zone = Zone::from_config(schedule.timezone);
        let state: ScheduleState = std::fs::read(state_path(&crate::state::state_dir()))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        for entry in &schedule.entries {
            if let Some(at) = slots::entry_next(entry, zone, now) {
                next.push(&[("entry", &entry.name)], seconds(at));
            }
            match state.entries.get(&entry.name).and_then(|e| e.outcome) {
                Some(Outcome::Ok) => last.push(&[("entry", &entry.name)], 1.0),
                Some(Outcome::Failed) => last.push(&[("entry", &entry.name)], 0.0),
                _ => {}
            }
        }
    }
    out.extend([next, last]);
}

fn live_families(live: &Live, out: &mut Vec<Family>) {
    if let Some(alerts) = &live.alerts {
        let mut family = Family::gauge(
            "scandyctl_alerts_firing",
            "Alerts firing now, by rule and priority.",
        );
        let mut counts: BTreeMap<(&str, &str), u64> = BTreeMap::new();
        for (rule, priority) in alerts {
            *counts.entry((rule, priority.as_str())).or_default() += 1;
        }
        for ((rule, priority), n) in counts {
            family.push(&[("rule", rule), ("priority", priority)], n as f64);
        }
        out.push(family);
    }
    let flag = |b: bool| if b { 1.0 } else { 0.0 };
    if let Some(up) = live.mongodb_up {
        out.push(Family::single(
            "scandyctl_mongodb_up",
            "1 when MongoDB answers and accepts the credentials.",
            flag(up),
        ));
    }
    if let Some(up) = live.health_up {
        out.push(Family::single(
            "scandyctl_health_up",
            "1 when Scandy's /health endpoint answers healthy.",
            flag(up),
        ));
    }
}

/// Every family scandyctl knows now.
pub fn collect(
    config: &Config,
    config_file: Option<&Path>,
    live: &Live,
    now: DateTime<Utc>,
) -> Vec<Family> {
    let mut out = Vec::new();
    backup_families(config, &mut out);
    schedule_families(config_file, now, &mut out);
    live_families(live, &mut out);
    out
}

/// The metrics in the text format, instance labels added.
pub fn render_metrics(
    config: &Config,
    config_file: Option<&Path>,
    live: &Live,
    now: DateTime<Utc>,
) -> String {
    let labels = instance_labels(config);
    let labels: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (*k, v.as_str())).collect();
    render(&collect(config, config_file, live, now), &labels)
}
