//! The point-in-time window: from which times a restore can reach, given the backups that
//! recorded an oplog position and the slices that continue from them, and where the gaps
//! are. A backup is a starting point from the moment it finished; slices carry it forward
//! as long as each continues where the previous one (or the backup) ended.

use std::path::Path;

use chrono::{DateTime, Utc};
use color_eyre::eyre::{Result, bail};
use serde::Serialize;

use crate::backup::inventory::scan_inventory_detailed;
use crate::backup::manifest::{BackupKind, Manifest, OplogPosition};

/// One gap-free stretch of the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Span {
    /// Earliest reachable time.
    pub from: DateTime<Utc>,
    /// Latest reachable time.
    pub to: DateTime<Utc>,
}

/// The recoverable window of a database.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Window {
    /// Gap-free stretches, oldest first.
    pub spans: Vec<Span>,
}

impl Window {
    /// The gaps between the stretches.
    pub fn gaps(&self) -> Vec<Span> {
        self.spans
            .windows(2)
            .map(|w| Span {
                from: w[0].to,
                to: w[1].from,
            })
            .collect()
    }

    /// "any time from A to B, gap-free" (or with its gaps named).
    pub fn describe(&self) -> String {
        let fmt = |t: DateTime<Utc>| t.format("%Y-%m-%d %H:%M:%S UTC").to_string();
        let (Some(first), Some(last)) = (self.spans.first(), self.spans.last()) else {
            return "no point-in-time window (no oplog slices)".into();
        };
        let gaps = self.gaps();
        if gaps.is_empty() {
            format!(
                "any time from {} to {}, gap-free",
                fmt(first.from),
                fmt(last.to)
            )
        } else {
            let named: Vec<String> = gaps
                .iter()
                .map(|g| format!("{} to {}", fmt(g.from), fmt(g.to)))
                .collect();
            format!(
                "any time from {} to {} except the gap{} {}",
                fmt(first.from),
                fmt(last.to),
                if gaps.len() == 1 { "" } else { "s" },
                named.join(", ")
            )
        }
    }
}

/// A base set and the slices that carry it forward.
#[derive(Debug, Clone)]
pub struct Reach {
    /// The data backup (full or incremental) to start from.
    pub base: Manifest,
    /// The slices from its position on, in order, while they connect.
    pub slices: Vec<Manifest>,
    /// The last position reached.
    pub reach: OplogPosition,
    /// The latest time reached: the last slice was captured then, with nothing after
    /// `reach` in the oplog.
    pub reach_time: DateTime<Utc>,
}

fn bases_and_slices(manifests: &[Manifest], database: &str) -> (Vec<Manifest>, Vec<Manifest>) {
    let mine = manifests.iter().filter(|m| m.database.database == database);
    let mut bases: Vec<Manifest> = mine
        .clone()
        .filter(|m| m.kind.is_data_backup() && m.oplog.is_some())
        .cloned()
        .collect();
    bases.sort_by_key(|m| m.oplog);
    let mut slices: Vec<Manifest> = mine
        .filter(|m| m.kind == BackupKind::Oplog && m.oplog.is_some() && m.oplog_from.is_some())
        .cloned()
        .collect();
    slices.sort_by_key(|m| m.oplog_from);
    (bases, slices)
}

/// How far each base reaches with the slices.
pub fn reaches(manifests: &[Manifest], database: &str) -> Vec<Reach> {
    let (bases, slices) = bases_and_slices(manifests, database);
    bases
        .into_iter()
        .map(|base| {
            let mut reach = base.oplog.expect("filtered");
            let mut reach_time = base.finished_at;
            let mut used: Vec<Manifest> = Vec::new();
            for slice in &slices {
                let (from, to) = (
                    slice.oplog_from.expect("filtered"),
                    slice.oplog.expect("filtered"),
                );
                if from > reach {
                    break;
                }
                if to > reach {
                    reach = to;
                    reach_time = reach_time.max(slice.created_at).max(to.time());
                    used.push(slice.clone());
                }
            }
            Reach {
                base,
                slices: used,
                reach,
                reach_time,
            }
        })
        .collect()
}

/// The window of `database` from the manifests of a backup directory.
pub fn window_of(manifests: &[Manifest], database: &str) -> Window {
    let mut spans: Vec<Span> = reaches(manifests, database)
        .into_iter()
        .filter(|r| !r.slices.is_empty())
        .map(|r| Span {
            from: r.base.finished_at,
            to: r.reach_time,
        })
        .collect();
    spans.sort_by_key(|s| s.from);
    let mut merged: Vec<Span> = Vec::new();
    for span in spans {
        match merged.last_mut() {
            Some(last) if span.from <= last.to => last.to = last.to.max(span.to),
            _ => merged.push(span),
        }
    }
    Window { spans: merged }
}

/// Every manifest in `backup_dir`.
pub fn manifests_in(backup_dir: &Path) -> Result<Vec<Manifest>> {
    let (_, details) = scan_inventory_detailed(backup_dir)?;
    Ok(details.into_values().map(|d| d.manifest).collect())
}

/// The newest oplog position any set of `database` reached.
pub fn newest_position(backup_dir: &Path, database: &str) -> Result<Option<OplogPosition>> {
    Ok(manifests_in(backup_dir)?
        .into_iter()
        .filter(|m| m.database.database == database)
        .filter(|m| m.kind.is_data_backup() || m.kind == BackupKind::Oplog)
        .filter_map(|m| m.oplog)
        .max())
}

/// The base and slices that reach `at`; refuses a time outside the window or in a gap,
/// naming it.
pub fn plan_at(manifests: &[Manifest], database: &str, at: DateTime<Utc>) -> Result<Reach> {
    let window = window_of(manifests, database);
    let fmt = |t: DateTime<Utc>| t.format("%Y-%m-%d %H:%M:%S UTC").to_string();
    let mut candidates = reaches(manifests, database);
    candidates.retain(|r| !r.slices.is_empty() && r.base.finished_at <= at && r.reach_time >= at);
    if let Some(best) = candidates.into_iter().max_by_key(|r| r.base.oplog) {
        let cut = best
            .slices
            .iter()
            .position(|s| s.created_at >= at)
            .map_or(best.slices.len(), |i| i + 1);
        return Ok(Reach {
            slices: best.slices[..cut].to_vec(),
            ..best
        });
    }
    if let Some(gap) = window.gaps().into_iter().find(|g| g.from < at && at < g.to) {
        bail!(
            "{} is inside a gap of the point-in-time window ({} to {}): no oplog slice covers it; the window is {}",
            fmt(at),
            fmt(gap.from),
            fmt(gap.to),
            window.describe()
        );
    }
    bail!(
        "{} is outside the point-in-time window: {}",
        fmt(at),
        window.describe()
    )
}

/// `2026-12-01 14:05[:30]` (also with `T`) in local time, or RFC 3339.
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    use chrono::TimeZone;
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .find_map(|format| chrono::NaiveDateTime::parse_from_str(text, format).ok())
    .and_then(|naive| chrono::Local.from_local_datetime(&naive).earliest())
    .map(|local| local.with_timezone(&Utc))
}
