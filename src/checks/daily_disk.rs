//! The daily disk space item (`SCY-DSK-001`): free space of every filesystem that matters
//! and the days until full at the growth measured between checks.

use std::path::{Path, PathBuf};

use chrono::Utc;

use super::daily::DISK_ID;
use super::model::{ItemResult, PerfDatum, Severity};
use super::run::{CheckContext, ItemRun, StateNotes};
use super::state::{ChecklistsState, DiskSample, days_until_full};
use crate::system::disk::{disk_space, human_bytes};

/// A filesystem that fills within this many days is a warning.
const DAYS_WARN: f64 = 14.0;
/// ... and within this many a failure.
const DAYS_FAIL: f64 = 2.0;

/// The directories whose filesystems matter: what, path.
fn watched_paths(ctx: &CheckContext) -> Vec<(&'static str, PathBuf)> {
    let config = &ctx.config;
    let mut paths = vec![
        ("backup directory", config.resolve(&config.backup.dir)),
        ("Scandy root", config.scandy.root.clone()),
    ];
    if let Some(data) = crate::system::metrics::mongo_data_dir(Path::new("/etc/mongod.conf")) {
        paths.push(("MongoDB data", data));
    }
    paths.push(("scandyctl state", ctx.state_dir.clone()));
    paths
}

/// Measures the filesystems and compares them with the earlier samples in `prior`.
pub fn disk_space_item(ctx: &CheckContext, prior: &ChecklistsState) -> ItemRun {
    let mounts = crate::system::mounts::read_mounts().unwrap_or_default();
    let now = Utc::now();
    let warn = f64::from(ctx.settings.disk_warn_percent);
    let fail = f64::from(ctx.settings.disk_fail_percent);
    let mut severity = Severity::Ok;
    let mut evidence = Vec::new();
    let mut notes = StateNotes::default();
    let mut lowest: Option<(f64, String)> = None;
    // Mount point → its line in `evidence` (paths on one filesystem share a line).
    let mut seen: Vec<(String, usize)> = Vec::new();
    for (what, path) in watched_paths(ctx) {
        let existing = crate::system::mounts::canonical_existing(&path);
        let Ok(space) = disk_space(&existing) else {
            evidence.push(format!("{what}: {} cannot be measured", path.display()));
            continue;
        };
        let mount = crate::system::mounts::mount_for(&mounts, &existing)
            .map(|m| m.mount_point.display().to_string())
            .unwrap_or_else(|| existing.display().to_string());
        if let Some((_, line)) = seen.iter().find(|(m, _)| *m == mount) {
            evidence[*line].push_str(&format!(", {what}"));
            continue;
        }
        let free_percent = if space.total == 0 {
            100.0
        } else {
            space.available as f64 * 100.0 / space.total as f64
        };
        let used = space.total.saturating_sub(space.available);
        let sample = DiskSample {
            at: now,
            used,
            total: space.total,
        };
        let samples = prior.disk.get(&mount).map(Vec::as_slice).unwrap_or(&[]);
        let days = days_until_full(samples, sample);
        let mut level = if free_percent < fail {
            Severity::Failed
        } else if free_percent < warn {
            Severity::Warning
        } else {
            Severity::Ok
        };
        match days {
            Some(d) if d < DAYS_FAIL => level = level.max(Severity::Failed),
            Some(d) if d < DAYS_WARN => level = level.max(Severity::Warning),
            _ => {}
        }
        severity = severity.max(level);
        let growth = match days {
            Some(d) => format!("full in {d:.0} days at the current growth"),
            None if samples.is_empty() => "growth: measured from the next check on".to_string(),
            None => "not growing".to_string(),
        };
        seen.push((mount.clone(), evidence.len()));
        evidence.push(format!(
            "{mount}: {} free of {} ({free_percent:.0} % free, {}); {growth} — {what}",
            human_bytes(space.available),
            human_bytes(space.total),
            level.as_str()
        ));
        if lowest.as_ref().is_none_or(|(p, _)| free_percent < *p) {
            lowest = Some((free_percent, mount.clone()));
        }
        notes.disk.push((mount, sample));
    }
    let summary = match &lowest {
        Some((p, mount)) => format!("lowest free space: {p:.0} % on {mount}"),
        None => "no filesystem could be measured".to_string(),
    };
    if lowest.is_none() {
        severity = Severity::Unknown;
    }
    let mut result = ItemResult::new(DISK_ID, severity, summary);
    result.evidence = evidence;
    if let Some((p, _)) = lowest {
        result = result.perf(PerfDatum::new(
            "disk_free_percent",
            p,
            Some(warn),
            Some(fail),
        ));
    }
    ItemRun { result, notes }
}
