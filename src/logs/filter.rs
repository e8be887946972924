//! Choosing entries (level, source, time window, pattern), highlighting matches, merging sources by time.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::ops::Range;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};
use regex::Regex;

use super::entry::{Level, LogEntry};

/// Which entries to show; every `None` lets all entries through.
///
/// An entry without a level counts as Info; an entry without a timestamp fails a `since`/`until`
/// bound (it cannot be placed in the window). Both bounds are inclusive.
#[derive(Debug, Clone, Default)]
pub struct EntryFilter {
    /// Lowest level shown.
    pub min_level: Option<Level>,
    /// Source indices shown.
    pub sources: Option<Vec<u16>>,
    /// Earliest time shown (inclusive).
    pub since: Option<NaiveDateTime>,
    /// Latest time shown (inclusive).
    pub until: Option<NaiveDateTime>,
    /// Searched in message, logger and continuation lines.
    pub pattern: Option<Regex>,
}

impl EntryFilter {
    /// Whether the entry passes every set condition.
    pub fn matches(&self, e: &LogEntry) -> bool {
        self.level_ok(e) && self.source_ok(e) && self.time_ok(e) && self.pattern_ok(e)
    }

    /// Whether no condition is set (everything passes).
    pub fn is_empty(&self) -> bool {
        self.min_level.is_none()
            && self.sources.is_none()
            && self.since.is_none()
            && self.until.is_none()
            && self.pattern.is_none()
    }

    /// Level at or above `min_level`; a missing level counts as Info.
    fn level_ok(&self, e: &LogEntry) -> bool {
        self.min_level
            .is_none_or(|min| e.level.unwrap_or(Level::Info) >= min)
    }

    /// Source among the chosen ones.
    fn source_ok(&self, e: &LogEntry) -> bool {
        self.sources.as_ref().is_none_or(|s| s.contains(&e.source))
    }

    /// Timestamp within the window; without a timestamp only when no bound is set.
    fn time_ok(&self, e: &LogEntry) -> bool {
        if self.since.is_none() && self.until.is_none() {
            return true;
        }
        let Some(t) = e.timestamp else { return false };
        self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t <= u)
    }

    /// Pattern found in message, logger or a continuation line.
    fn pattern_ok(&self, e: &LogEntry) -> bool {
        let Some(re) = &self.pattern else { return true };
        re.is_match(&e.message)
            || e.logger.as_deref().is_some_and(|l| re.is_match(l))
            || e.continuation.iter().any(|l| re.is_match(l))
    }
}

/// Byte ranges of (non-empty) pattern matches in `text`, for highlighting.
pub fn match_ranges(pattern: &Regex, text: &str) -> Vec<Range<usize>> {
    pattern
        .find_iter(text)
        .map(|m| m.range())
        .filter(|r| !r.is_empty())
        .collect()
}

/// "1h", "30m", "2d", "90s", "1w" back from `now`, or an absolute "2025-07-31 21:00[:00]",
/// "2025-07-31T21:00:00", "2025-07-31" or a time of today "21:00"; errors name the bad text.
pub fn parse_since(text: &str, now: NaiveDateTime) -> Result<NaiveDateTime, String> {
    let t = text.trim();
    relative_time(t, now)
        .or_else(|| absolute_time(t, now))
        .ok_or_else(|| {
            format!(
                "cannot read time {text:?}: expected a span like 30m, 1h, 2d, 90s or a time like \
                 \"2025-07-31 21:00\""
            )
        })
}

/// `<number><unit>` (s, m/min, h, d, w) before `now`.
fn relative_time(t: &str, now: NaiveDateTime) -> Option<NaiveDateTime> {
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let n: i64 = t[..digits].parse().ok()?;
    let unit_seconds = match t[digits..].trim_start() {
        "s" | "sec" => 1,
        "m" | "min" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return None,
    };
    now.checked_sub_signed(TimeDelta::try_seconds(n.checked_mul(unit_seconds)?)?)
}

/// A date-time, a date (midnight) or a time of `now`'s day.
fn absolute_time(t: &str, now: NaiveDateTime) -> Option<NaiveDateTime> {
    const DATE_TIMES: [&str; 4] = [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ];
    if let Some(dt) = DATE_TIMES
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
    {
        return Some(dt);
    }
    if let Ok(day) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Some(day.and_time(NaiveTime::MIN));
    }
    ["%H:%M:%S", "%H:%M"]
        .iter()
        .find_map(|f| NaiveTime::parse_from_str(t, f).ok())
        .map(|time| now.date().and_time(time))
}

/// Merges per-source entry lists (each already in order) into one list by timestamp.
///
/// An entry without a timestamp sorts with its predecessor's time in the same source (so it
/// stays right after it); ties keep source order (the outer list's order), then seq. Stable, O(n log k).
pub fn merge_by_time(sources: Vec<Vec<LogEntry>>) -> Vec<LogEntry> {
    let total = sources.iter().map(Vec::len).sum();
    let mut lists: Vec<_> = sources
        .into_iter()
        .map(|s| s.into_iter().peekable())
        .collect();
    let mut last_time: Vec<Option<NaiveDateTime>> = vec![None; lists.len()];
    let mut heap = BinaryHeap::with_capacity(lists.len());
    for (i, list) in lists.iter_mut().enumerate() {
        if let Some(head) = list.peek() {
            heap.push(Reverse((head.timestamp, i, head.seq)));
        }
    }
    let mut merged = Vec::with_capacity(total);
    while let Some(Reverse((_, i, _))) = heap.pop() {
        let Some(entry) = lists[i].next() else {
            continue;
        };
        last_time[i] = entry.timestamp.or(last_time[i]);
        merged.push(entry);
        if let Some(head) = lists[i].peek() {
            heap.push(Reverse((head.timestamp.or(last_time[i]), i, head.seq)));
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::entry::LogFormat;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").expect("test time")
    }

    fn entry(source: u16, seq: u64, time: Option<&str>, level: Option<Level>) -> LogEntry {
        let mut e = LogEntry::new(LogFormat::ScandyApp, format!("s{source}#{seq}"));
        e.source = source;
        e.seq = seq;
        e.timestamp = time.map(at);
        e.level = level;
        e
    }

    #[test]
    fn empty_filter_passes_everything() {
        let f = EntryFilter::default();
        assert!(f.is_empty());
        assert!(f.matches(&entry(0, 0, None, None)));
    }

    #[test]
    fn level_filter_treats_missing_level_as_info() {
        let f = EntryFilter {
            min_level: Some(Level::Warning),
            ..Default::default()
        };
        assert!(!f.is_empty());
        assert!(!f.matches(&entry(0, 0, None, None)));
        assert!(!f.matches(&entry(0, 0, None, Some(Level::Info))));
        assert!(f.matches(&entry(0, 0, None, Some(Level::Warning))));
        assert!(f.matches(&entry(0, 0, None, Some(Level::Critical))));
        let info = EntryFilter {
            min_level: Some(Level::Info),
            ..Default::default()
        };
        assert!(info.matches(&entry(0, 0, None, None)));
        assert!(!info.matches(&entry(0, 0, None, Some(Level::Debug))));
    }

    #[test]
    fn time_window_is_inclusive_and_needs_a_timestamp() {
        let f = EntryFilter {
            since: Some(at("2025-07-31 21:00:00")),
            until: Some(at("2025-07-31 22:00:00")),
            ..Default::default()
        };
        assert!(f.matches(&entry(0, 0, Some("2025-07-31 21:00:00"), None)));
        assert!(f.matches(&entry(0, 0, Some("2025-07-31 22:00:00"), None)));
        assert!(!f.matches(&entry(0, 0, Some("2025-07-31 20:59:59"), None)));
        assert!(!f.matches(&entry(0, 0, Some("2025-07-31 22:00:01"), None)));
        assert!(!f.matches(&entry(0, 0, None, None)));
    }

    #[test]
    fn pattern_searches_message_logger_and_continuation() {
        let f = EntryFilter {
            pattern: Regex::new("(?i)valueerror|security").ok(),
            ..Default::default()
        };
        let mut e = entry(0, 0, None, None);
        assert!(!f.matches(&e));
        e.continuation.push("ValueError: x".into());
        assert!(f.matches(&e));
        e.continuation.clear();
        e.logger = Some("scandy.security".into());
        assert!(f.matches(&e));
        let sources = EntryFilter {
            sources: Some(vec![2]),
            ..Default::default()
        };
        assert!(!sources.matches(&e));
        e.source = 2;
        assert!(sources.matches(&e));
    }

    #[test]
    fn match_ranges_are_byte_ranges() {
        let re = Regex::new("ä+|x*").expect("regex");
        assert_eq!(match_ranges(&re, "aääbä"), [1..5, 6..8]);
    }

    #[test]
    fn since_spans_and_times() {
        let now = at("2025-07-31 21:35:27");
        assert_eq!(parse_since("1h", now), Ok(at("2025-07-31 20:35:27")));
        assert_eq!(parse_since("30m", now), Ok(at("2025-07-31 21:05:27")));
        assert_eq!(parse_since("2d", now), Ok(at("2025-07-29 21:35:27")));
        assert_eq!(parse_since(" 90s ", now), Ok(at("2025-07-31 21:33:57")));
        assert_eq!(parse_since("1w", now), Ok(at("2025-07-24 21:35:27")));
        assert_eq!(
            parse_since("2025-07-31 21:00", now),
            Ok(at("2025-07-31 21:00:00"))
        );
        assert_eq!(
            parse_since("2025-07-31T21:00:05", now),
            Ok(at("2025-07-31 21:00:05"))
        );
        assert_eq!(
            parse_since("2025-07-30", now),
            Ok(at("2025-07-30 00:00:00"))
        );
        assert_eq!(parse_since("08:15", now), Ok(at("2025-07-31 08:15:00")));
        let err = parse_since("gestern", now).expect_err("must fail");
        assert!(err.contains("\"gestern\""), "{err}");
        assert!(parse_since("5y", now).is_err());
        assert!(parse_since("99999999999999999999h", now).is_err());
        assert!(parse_since("9999999999999d", now).is_err());
    }

    #[test]
    fn merge_interleaves_and_keeps_untimed_after_predecessor() {
        let a = vec![
            entry(0, 0, Some("2025-07-31 10:00:00"), None),
            entry(0, 1, None, None),
            entry(0, 2, Some("2025-07-31 10:00:02"), None),
        ];
        let b = vec![
            entry(1, 0, None, None),
            entry(1, 1, Some("2025-07-31 10:00:00"), None),
            entry(1, 2, Some("2025-07-31 10:00:01"), None),
        ];
        let merged = merge_by_time(vec![a, b]);
        let order: Vec<_> = merged.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(order, ["s1#0", "s0#0", "s0#1", "s1#1", "s1#2", "s0#2"]);
    }
}
