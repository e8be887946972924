//! The report's error analysis (the guide's "Fehleranalyse"): warnings and errors of the
//! period in the configured log files and their rotations, grouped by message shape with
//! counts, plus a per-day trend.
//!
//! Log timestamps are naive local times, like the database's: the period's bounds are
//! applied to them as written (see [`super::usage`]).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;

use super::period::ReportPeriod;
use crate::config::Config;
use crate::logs::assemble::EntryAssembler;
use crate::logs::entry::{Level, LogEntry};
use crate::logs::history::{open_text, rotations};
use crate::logs::repeats::{is_repeat, without_repeats};
use crate::logs::sources::file_sources;
use crate::logs::summary::{ErrorGroup, error_groups};
use crate::logs::tail::LineSplitter;

/// How many error and warning kinds the report lists.
pub const TOP_KINDS: usize = 15;
/// Entries are grouped in chunks of about this many (so memory stays bounded).
const CHUNK_ENTRIES: usize = 20_000;
/// Reading the logs stops after this long (the counts then say they are incomplete).
const READ_TIME_LIMIT: std::time::Duration = std::time::Duration::from_secs(120);
/// A file last written this long before the period starts cannot hold entries of it (the
/// margin covers the offset between local log times and UTC file times).
const MTIME_MARGIN: chrono::Duration = chrono::Duration::days(2);

/// One kind of warning or error: a message shape with its numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorKind {
    /// The masked message (numbers, ids, IPs replaced).
    pub shape: String,
    /// The highest level seen.
    pub level: Level,
    /// Entries of this shape in the period.
    pub count: u64,
    /// First seen in the period.
    pub first: Option<NaiveDateTime>,
    /// Last seen in the period.
    pub last: Option<NaiveDateTime>,
}

/// Errors and warnings of one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DayCount {
    /// The day.
    pub day: NaiveDate,
    /// Entries at ERROR or CRITICAL.
    pub errors: u64,
    /// Entries at WARNING.
    pub warnings: u64,
}

/// Everything the error section shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorAnalysis {
    /// The files read (display names), each with its rotations.
    pub sources: Vec<String>,
    /// Files that could not be read (or not to their end), with the reason.
    pub unreadable: Vec<String>,
    /// Entries at ERROR or above in the period (a record Scandy wrote twice counts once).
    pub errors: u64,
    /// Entries at WARNING in the period.
    pub warnings: u64,
    /// How many different kinds there were.
    pub kind_count: usize,
    /// The most frequent kinds, at most [`TOP_KINDS`].
    pub kinds: Vec<ErrorKind>,
    /// Every day of the period, in order.
    pub per_day: Vec<DayCount>,
}

/// Reads the logs of `config` for `period` (blocking: run it in `spawn_blocking`).
pub fn gather_errors(config: &Config, period: &ReportPeriod) -> ErrorAnalysis {
    let mut reader = PeriodReader::new(period);
    let deadline = std::time::Instant::now() + READ_TIME_LIMIT;
    let mut sources = Vec::new();
    let mut seen: HashSet<(u64, u64)> = HashSet::new();
    for source in file_sources(config) {
        sources.push(source.name.clone());
        let mut files: Vec<PathBuf> = if source.is_rotation() {
            Vec::new()
        } else {
            rotations(&source.path)
        };
        files.reverse();
        files.push(source.path.clone());
        for file in files {
            let Ok(meta) = std::fs::metadata(&file) else {
                continue;
            };
            if !seen.insert((meta.dev(), meta.ino())) {
                continue;
            }
            let written = meta
                .modified()
                .ok()
                .map(chrono::DateTime::<chrono::Utc>::from);
            if written.is_some_and(|w| w < period.start - MTIME_MARGIN) {
                continue;
            }
            match reader.read_file(source.id, &file, deadline) {
                Ok(true) => {}
                Ok(false) => {
                    reader.unreadable.push(format!(
                        "{}: reading stopped after {} s, the counts are incomplete",
                        file.display(),
                        READ_TIME_LIMIT.as_secs()
                    ));
                    return reader.finish(sources);
                }
                Err(err) => reader.unreadable.push(format!("{}: {err}", file.display())),
            }
        }
    }
    reader.finish(sources)
}

/// Collects the period's warnings and errors chunk by chunk.
struct PeriodReader {
    start: NaiveDateTime,
    end: NaiveDateTime,
    chunk: Vec<LogEntry>,
    groups: HashMap<String, ErrorGroup>,
    per_day: BTreeMap<NaiveDate, DayCount>,
    unreadable: Vec<String>,
}

impl PeriodReader {
    fn new(period: &ReportPeriod) -> Self {
        let per_day = period
            .days()
            .into_iter()
            .map(|day| {
                (
                    day,
                    DayCount {
                        day,
                        errors: 0,
                        warnings: 0,
                    },
                )
            })
            .collect();
        PeriodReader {
            start: period.naive_start(),
            end: period.naive_end(),
            chunk: Vec::new(),
            groups: HashMap::new(),
            per_day,
            unreadable: Vec::new(),
        }
    }

    /// Reads one file (gunzipped when `.gz`) as entries of source `source`; `false` when
    /// `deadline` passed before its end.
    fn read_file(
        &mut self,
        source: u16,
        path: &Path,
        deadline: std::time::Instant,
    ) -> std::io::Result<bool> {
        let mut text = open_text(path)?;
        let mut assembler = EntryAssembler::new(source);
        let mut splitter = LineSplitter::default();
        let mut buf = vec![0u8; 64 * 1024];
        let mut lines = Vec::new();
        loop {
            let n = match text.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            splitter.feed(&buf[..n], &mut lines);
            for line in lines.drain(..) {
                if let Some(entry) = assembler.push(&line) {
                    self.take(entry);
                }
            }
            if std::time::Instant::now() >= deadline {
                return Ok(false);
            }
        }
        if let Some(line) = splitter.finish()
            && let Some(entry) = assembler.push(&line)
        {
            self.take(entry);
        }
        if let Some(entry) = assembler.finish() {
            self.take(entry);
        }
        Ok(true)
    }

    /// Keeps `entry` when it is a warning or worse inside the period.
    fn take(&mut self, entry: LogEntry) {
        let in_period = entry
            .timestamp
            .is_some_and(|t| t >= self.start && t < self.end);
        if !in_period || entry.level.is_none_or(|l| l < Level::Warning) {
            return;
        }
        // A chunk is closed only where no repeat pair would be split.
        let splits_repeat = self
            .chunk
            .last()
            .is_some_and(|last| is_repeat(last, &entry));
        if self.chunk.len() >= CHUNK_ENTRIES && !splits_repeat {
            self.flush();
        }
        self.chunk.push(entry);
    }

    /// Groups the current chunk into the totals.
    fn flush(&mut self) {
        for entry in without_repeats(&self.chunk) {
            let (Some(t), Some(level)) = (entry.timestamp, entry.level) else {
                continue;
            };
            if let Some(day) = self.per_day.get_mut(&t.date()) {
                if level >= Level::Error {
                    day.errors += 1;
                } else {
                    day.warnings += 1;
                }
            }
        }
        for group in error_groups(&self.chunk, Level::Warning, usize::MAX) {
            match self.groups.get_mut(&group.shape) {
                Some(known) => merge_group(known, group),
                None => {
                    self.groups.insert(group.shape.clone(), group);
                }
            }
        }
        self.chunk.clear();
    }

    /// The analysis of everything read.
    fn finish(mut self, sources: Vec<String>) -> ErrorAnalysis {
        self.flush();
        let mut groups: Vec<ErrorGroup> = self.groups.into_values().collect();
        groups.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| b.last.cmp(&a.last))
                .then_with(|| a.shape.cmp(&b.shape))
        });
        let kind_count = groups.len();
        let per_day: Vec<DayCount> = self.per_day.into_values().collect();
        ErrorAnalysis {
            sources,
            unreadable: self.unreadable,
            errors: per_day.iter().map(|d| d.errors).sum(),
            warnings: per_day.iter().map(|d| d.warnings).sum(),
            kind_count,
            kinds: groups
                .into_iter()
                .take(TOP_KINDS)
                .map(|g| ErrorKind {
                    shape: g.shape,
                    level: g.level,
                    count: g.count,
                    first: g.first,
                    last: g.last,
                })
                .collect(),
            per_day,
        }
    }
}

/// Adds the counts of `more` (a later chunk's group of the same shape) to `known`.
fn merge_group(known: &mut ErrorGroup, more: ErrorGroup) {
    known.count += more.count;
    known.level = known.level.max(more.level);
    known.first = match (known.first, more.first) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    if more.last.is_some() && more.last >= known.last {
        known.last = more.last;
        known.example = more.example;
    }
    for source in more.sources {
        if let Err(at) = known.sources.binary_search(&source) {
            known.sources.insert(at, source);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config_for(root: &Path) -> Config {
        let mut config = crate::config::Config::default();
        config.scandy.root = root.to_path_buf();
        config.logs.files = vec!["app/logs/*.log".into()];
        config
    }

    #[test]
    fn counts_the_period_across_rotations_and_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let logs = dir.path().join("app/logs");
        std::fs::create_dir_all(&logs).unwrap();
        let mut current = String::new();
        // Outside the period.
        current.push_str("2026-10-31 23:59:59,999 - ERROR - Datenbankfehler: timeout 1\n");
        // 2 errors on the 2nd (one traceback), one written twice (counts once).
        current.push_str("2026-11-02 08:00:00,000 - ERROR - Datenbankfehler: timeout 5\n");
        current.push_str("Traceback (most recent call last):\n  File \"x.py\"\nValueError: 7\n");
        current.push_str("2026-11-02 09:00:00,000 - ERROR - Datenbankfehler: timeout 9\n");
        current.push_str("2026-11-02 09:00:00,000 - ERROR - Datenbankfehler: timeout 9\n");
        current.push_str(
            "2026-11-03 10:00:00,000 - WARNING - Statische Datei nicht gefunden: /a.js\n",
        );
        current.push_str("2026-11-03 10:00:01,000 - INFO - Request: GET /\n");
        current.push_str("2026-12-01 00:00:00,000 - ERROR - Datenbankfehler: timeout 2\n");
        std::fs::write(logs.join("app.log"), current).unwrap();
        std::fs::write(
            logs.join("app.log.1"),
            "2026-11-01 00:00:00,000 - WARNING - Statische Datei nicht gefunden: /b.js\n",
        )
        .unwrap();
        let period = ReportPeriod::month(2026, 11).unwrap();
        let analysis = gather_errors(&config_for(dir.path()), &period);
        assert_eq!(analysis.sources, ["app/logs/app.log"]);
        // The 09:00 error was written twice: it counts once.
        assert_eq!((analysis.errors, analysis.warnings), (2, 2));
        let kinds: Vec<(&str, Level, u64)> = analysis
            .kinds
            .iter()
            .map(|k| (k.shape.as_str(), k.level, k.count))
            .collect();
        assert_eq!(
            kinds,
            [
                ("Statische Datei nicht gefunden: /a.js", Level::Warning, 1),
                ("Datenbankfehler: timeout <n>", Level::Error, 1),
                (
                    "Datenbankfehler: timeout <n> ⏎ ValueError: <n>",
                    Level::Error,
                    1
                ),
                ("Statische Datei nicht gefunden: /b.js", Level::Warning, 1),
            ]
        );
        assert_eq!(analysis.kind_count, 4);
        let second = analysis.per_day[1];
        assert_eq!((second.errors, second.warnings), (2, 0));
        assert_eq!(analysis.per_day[0].warnings, 1);
        assert_eq!(analysis.per_day[2].warnings, 1);
        assert_eq!(analysis.per_day.len(), 30);
    }

    #[test]
    fn merged_groups_keep_the_extremes() {
        let t = |h| {
            NaiveDate::from_ymd_opt(2026, 11, 2)
                .unwrap()
                .and_hms_opt(h, 0, 0)
        };
        let group = |count, first, last, level| ErrorGroup {
            shape: "x".into(),
            count,
            first,
            last,
            level,
            example: format!("{count}"),
            sources: vec![count as u16],
        };
        let mut known = group(2, t(5), t(6), Level::Warning);
        merge_group(&mut known, group(3, t(4), t(9), Level::Error));
        assert_eq!(known.count, 5);
        assert_eq!((known.first, known.last), (t(4), t(9)));
        assert_eq!(known.level, Level::Error);
        assert_eq!(known.example, "3");
        assert_eq!(known.sources, [2, 3]);
    }
}
