//! Scandy writes some records twice (every `Request:` line, from two handlers, with the same
//! timestamp): of two consecutive entries of one source with the same time, level, logger,
//! message and continuation, the second is a repeat and counts once.

use std::collections::HashMap;

use super::entry::LogEntry;

/// Whether `entry` repeats `previous` (the entry before it in the same source): both dated,
/// and the same in time, level, logger, message and continuation lines.
pub fn is_repeat(previous: &LogEntry, entry: &LogEntry) -> bool {
    entry.timestamp.is_some()
        && previous.source == entry.source
        && previous.timestamp == entry.timestamp
        && previous.level == entry.level
        && previous.message == entry.message
        && previous.logger == entry.logger
        && previous.continuation == entry.continuation
}

/// Remembers the entry before the next one of a single source, pairing each entry with at
/// most one repeat (a record written twice, twice in a row, counts twice).
#[derive(Debug, Default)]
pub struct RepeatTracker {
    last: Option<LogEntry>,
}

impl RepeatTracker {
    /// Whether `entry` repeats the entry before it; remembers `entry` otherwise.
    pub fn is_repeat(&mut self, entry: LogEntry) -> bool {
        if self
            .last
            .as_ref()
            .is_some_and(|last| is_repeat(last, &entry))
        {
            self.last = None;
            return true;
        }
        self.last = Some(entry);
        false
    }
}

/// `entries` (one or several sources, each in order) without the repeats.
pub fn without_repeats<'a>(
    entries: impl IntoIterator<Item = &'a LogEntry>,
) -> impl Iterator<Item = &'a LogEntry> {
    let mut last: HashMap<u16, &'a LogEntry> = HashMap::new();
    entries.into_iter().filter(move |entry| {
        if last
            .get(&entry.source)
            .is_some_and(|previous| is_repeat(previous, entry))
        {
            last.remove(&entry.source);
            return false;
        }
        last.insert(entry.source, entry);
        true
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::assemble::assemble_all;

    const DOUBLED: &str = "\
2025-07-31 21:35:27,958 - INFO - Request: GET /workers/ - IP: 10.0.0.5
2025-07-31 21:35:27,958 - INFO - Request: GET /workers/ - IP: 10.0.0.5
2025-07-31 21:35:27,990 - INFO - Response: 200 OK 200
2025-07-31 21:35:28,000 - ERROR - Fehler X
2025-07-31 21:35:28,000 - ERROR - Fehler X
2025-07-31 21:35:28,000 - ERROR - Fehler X
2025-07-31 21:35:28,000 - ERROR - Fehler X
2025-07-31 21:35:28,000 - WARNING - Fehler X
2025-07-31 21:35:28,000 - ERROR - Fehler X
Traceback (most recent call last):
2025-07-31 21:35:28,000 - ERROR - Fehler X
";

    #[test]
    fn second_of_a_pair_is_a_repeat() {
        let entries = assemble_all(0, DOUBLED.as_bytes());
        assert_eq!(entries.len(), 10);
        let kept: Vec<u64> = without_repeats(&entries).map(|e| e.seq).collect();
        assert_eq!(kept, [0, 2, 3, 5, 7, 8, 9]);
        let mut tracker = RepeatTracker::default();
        let repeats: Vec<bool> = entries.into_iter().map(|e| tracker.is_repeat(e)).collect();
        assert_eq!(
            repeats,
            [
                false, true, false, false, true, false, true, false, false, false
            ]
        );
    }

    #[test]
    fn other_sources_and_undated_entries_are_no_repeats() {
        let mut a = assemble_all(0, DOUBLED.as_bytes());
        let mut b = assemble_all(1, DOUBLED.as_bytes());
        a.truncate(1);
        b.truncate(1);
        let both = [a[0].clone(), b[0].clone()];
        assert_eq!(without_repeats(&both).count(), 2);
        let plain = assemble_all(0, b"x\n2025-07-31 21:35:27,958 - INFO - y\nx\n");
        let twice = [plain[0].clone(), plain[0].clone()];
        assert_eq!(without_repeats(&twice).count(), 2);
    }
}
