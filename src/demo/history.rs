//! Older log history of the demo install: rotated `app.log.N`, specialised logs, backup log.

use std::path::Path;

use chrono::{Duration, NaiveDateTime};
use color_eyre::eyre::{self, WrapErr};

use super::files::{nightly_times, write_file};
use super::lines::{LineGen, auto_backup_line};
use super::log_writer::RotatingLogWriter;

/// How many rotated `app.log.N` files the history fills (at most `keep`).
const ROTATED_FILES: u64 = 3;
/// How far back the `app.log` history reaches.
const HISTORY_DAYS: i64 = 3;

/// Fills `app/logs/app.log` and three rotated files, ending at `now`; skipped if present.
///
/// Entry sizes do not depend on the timestamp (fixed width), so a first pass counts
/// how many entries fill the files, and the second spreads exactly that many evenly.
pub fn write_app_log_history(
    root: &Path,
    now: NaiveDateTime,
    max_bytes: u64,
    keep: usize,
    seed: u64,
) -> eyre::Result<()> {
    let path = root.join("app/logs/app.log");
    if path.exists() {
        return Ok(());
    }
    let rotations = ROTATED_FILES.min(keep as u64);
    let fill = if max_bytes == 0 { 1 << 20 } else { max_bytes };
    let entries = count_entries(seed, now, max_bytes, rotations, fill / 2);
    let span_ms = Duration::days(HISTORY_DAYS).num_milliseconds();
    let step_ms = (span_ms / entries.max(1) as i64).max(1);
    let start = now - Duration::days(HISTORY_DAYS);
    let mut lines = LineGen::new(seed);
    let mut writer = RotatingLogWriter::new(&path, max_bytes, keep);
    for i in 0..entries {
        // Irregular but increasing: a fixed offset plus a deterministic jitter.
        let jitter = (i.wrapping_mul(2_654_435_761) >> 7) % (step_ms as u64 / 2 + 1);
        let at = start + Duration::milliseconds(i as i64 * step_ms + jitter as i64);
        writer
            .write_entry(&lines.app_entry(at.min(now)))
            .wrap_err_with(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// Counts entries until `rotations` rollovers happened and the base file holds `tail` bytes.
fn count_entries(seed: u64, now: NaiveDateTime, max_bytes: u64, rotations: u64, tail: u64) -> u64 {
    let mut lines = LineGen::new(seed);
    let (mut size, mut rolled, mut count) = (0u64, 0u64, 0u64);
    while rolled < rotations || size < tail {
        let len = lines.app_entry(now).len() as u64 + 1;
        if max_bytes > 0 && size > 0 && size + len >= max_bytes && rotations > 0 {
            rolled += 1;
            size = 0;
        }
        size += len;
        count += 1;
    }
    count
}

/// Names of Scandy's specialised logs under `logs/`.
pub const SPECIAL_LOGS: &[&str] = &[
    "security",
    "user_actions",
    "database",
    "api",
    "errors",
    "performance",
];

/// Writes `logs/<name>.log` (a week of entries each) and `logs/auto_backup.log`.
pub fn write_special_logs(root: &Path, now: NaiveDateTime, seed: u64) -> eyre::Result<()> {
    let mut lines = LineGen::new(seed ^ 0x0106);
    for (i, name) in SPECIAL_LOGS.iter().enumerate() {
        let path = root.join(format!("logs/{name}.log"));
        if path.exists() {
            continue;
        }
        let count: i64 = if *name == "errors" { 40 } else { 300 };
        let step = Duration::days(7).num_milliseconds() / count;
        let mut text = String::new();
        for k in 0..count {
            let at = now - Duration::days(7) + Duration::milliseconds(step * k + 37 * i as i64);
            text.push_str(&lines.special_entry(name, at));
            text.push('\n');
        }
        write_file(&path, text.as_bytes())?;
    }
    let path = root.join("logs/auto_backup.log");
    if !path.exists() {
        let mut text = String::new();
        let mut times = nightly_times(now, 14);
        times.reverse();
        for (day, at) in times.into_iter().enumerate() {
            text.push_str(&auto_backup_line(at, "Automatisches Backup gestartet"));
            text.push('\n');
            let done = at + Duration::seconds(3);
            let line = if day == 5 {
                "FEHLER: Backup fehlgeschlagen: [Errno 28] No space left on device".to_string()
            } else {
                format!(
                    "Backup erfolgreich erstellt: scandy_backup_{}.json",
                    at.format("%Y%m%d_%H%M%S")
                )
            };
            text.push_str(&auto_backup_line(done, &line));
            text.push('\n');
        }
        write_file(&path, text.as_bytes())?;
    }
    Ok(())
}
