//! The long-term history of the machine, Scandy and MongoDB: one point every few minutes
//! in `history/YYYY-MM.jsonl` of the state directory, written by `scandyctl watch`. The
//! monthly checklist's performance analysis and the reports read it (availability,
//! response times, resource use over the month).

use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, Utc};
use color_eyre::eyre::{Result, WrapErr};
use serde::{Deserialize, Serialize};

use crate::state::{StateLock, write_atomic};

/// How often `watch` adds a point.
pub const POINT_INTERVAL: std::time::Duration = std::time::Duration::from_secs(300);

/// One point of the history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryPoint {
    /// When it was taken.
    pub at: DateTime<Utc>,
    /// CPU use of the whole machine, percent.
    pub cpu_percent: f32,
    /// Memory in use, percent.
    pub memory_used_percent: f32,
    /// One-minute load average.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load1: Option<f32>,
    /// Whether `/health` answered healthy (`None`: not asked this time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_ok: Option<bool>,
    /// `/health`'s response time in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_ms: Option<u64>,
    /// Whether MongoDB answered a ping.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mongo_ok: Option<bool>,
    /// The ping's round trip in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mongo_ms: Option<u64>,
    /// The Scandy database's data size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db_data_bytes: Option<u64>,
    /// The fullest watched filesystem's use, percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk_used_percent: Option<f32>,
}

/// The history directory in `state_dir`.
pub fn history_dir(state_dir: &Path) -> PathBuf {
    state_dir.join("history")
}

/// The file holding the points of `at`'s month.
pub fn month_file(state_dir: &Path, at: DateTime<Utc>) -> PathBuf {
    history_dir(state_dir).join(format!("{:04}-{:02}.jsonl", at.year(), at.month()))
}

/// Appends `point` to its month's file (atomically, under a short lock).
pub fn append_point(state_dir: &Path, point: &HistoryPoint) -> Result<()> {
    let dir = history_dir(state_dir);
    crate::state::ensure_dir(&dir)?;
    let _lock = StateLock::acquire(&dir.join(".lock"))?;
    let path = month_file(state_dir, point.at);
    let mut text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e).wrap_err_with(|| format!("cannot read {}", path.display())),
    };
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&serde_json::to_string(point)?);
    text.push('\n');
    write_atomic(&path, text.as_bytes())
}

/// The points from `from` (inclusive) to `to` (exclusive), oldest first; unreadable lines
/// and files are skipped.
pub fn read_points(state_dir: &Path, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<HistoryPoint> {
    let mut points = Vec::new();
    let mut month = from.with_day(1).unwrap_or(from).date_naive();
    while month <= to.date_naive() {
        let at = month.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
        let text = std::fs::read_to_string(month_file(state_dir, at)).unwrap_or_default();
        points.extend(
            text.lines()
                .filter_map(|l| serde_json::from_str::<HistoryPoint>(l).ok())
                .filter(|p| p.at >= from && p.at < to),
        );
        month = match month.checked_add_months(chrono::Months::new(1)) {
            Some(next) => next,
            None => break,
        };
    }
    points.sort_by_key(|p| p.at);
    points
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(at: &str) -> HistoryPoint {
        HistoryPoint {
            at: at.parse().unwrap(),
            cpu_percent: 10.0,
            memory_used_percent: 40.0,
            load1: None,
            health_ok: Some(true),
            health_ms: Some(12),
            mongo_ok: Some(true),
            mongo_ms: Some(2),
            db_data_bytes: None,
            disk_used_percent: None,
        }
    }

    #[test]
    fn points_span_months() {
        let dir = tempfile::tempdir().unwrap();
        for at in [
            "2026-10-31T23:55:00Z",
            "2026-11-01T00:00:00Z",
            "2026-11-15T12:00:00Z",
            "2026-12-01T00:00:00Z",
        ] {
            append_point(dir.path(), &point(at)).unwrap();
        }
        let from = "2026-10-31T00:00:00Z".parse().unwrap();
        let to = "2026-12-01T00:00:00Z".parse().unwrap();
        let got = read_points(dir.path(), from, to);
        assert_eq!(got.len(), 3);
        assert!(dir.path().join("history/2026-11.jsonl").is_file());
    }
}
