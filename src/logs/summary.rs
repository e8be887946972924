//! The monthly "Fehleranalyse": recurring errors grouped by message shape (security events
//! by event type), errors per minute; a record Scandy wrote twice counts once.

use std::collections::HashMap;

use chrono::{NaiveDateTime, TimeDelta, Timelike};
use serde::Serialize;

use super::entry::{Level, LogEntry};
use super::fields::{SECURITY_EVENT, event_label};
use super::repeats::without_repeats;

/// Separates a multi-line entry's message shape from its last line's (the exception) shape.
const LAST_LINE_JOINER: &str = " ⏎ ";

/// A message with numbers, ids, IPs, URLs' query values, hex and quoted strings masked, so
/// that variants group together ("IP: 10.0.0.7" -> "IP: <ip>", 24 hex -> "<id>", UUID -> "<uuid>").
pub fn message_shape(message: &str) -> String {
    let mut shaper = Shaper {
        text: message,
        bytes: message.as_bytes(),
        out: String::new(),
    };
    shaper.run();
    shaper.out
}

/// Hand-written masking scanner; it only ever cuts the text at ASCII bytes.
struct Shaper<'a> {
    text: &'a str,
    bytes: &'a [u8],
    out: String,
}

impl Shaper<'_> {
    /// Scans the message once, copying plain text and masking variable parts.
    fn run(&mut self) {
        self.out.reserve(self.text.len());
        let mut i = 0;
        let mut copied = 0;
        while i < self.bytes.len() {
            let Some((end, mask)) = self.mask_at(i) else {
                i += 1;
                continue;
            };
            self.out.push_str(&self.text[copied..i]);
            self.out.push_str(mask);
            i = end;
            copied = end;
        }
        self.out.push_str(&self.text[copied..]);
    }

    /// The variable part starting at `i`, if any: where it ends and what replaces it.
    fn mask_at(&self, i: usize) -> Option<(usize, &'static str)> {
        let b = self.bytes;
        match b[i] {
            b'"' => self.quoted(i, b'"').map(|end| (end, "\"<s>\"")),
            b'\'' if !self.word_before(i) => self.quoted(i, b'\'').map(|end| (end, "'<s>'")),
            b'=' if self.in_query(i) => Some((self.query_value_end(i + 1), "=<v>")),
            c if c.is_ascii_alphanumeric() && !self.word_before(i) => {
                self.word_mask(i).or_else(|| self.number_at(i))
            }
            _ => self.number_at(i),
        }
    }

    /// Whether the byte before `i` is part of a word (letter, digit or '_').
    fn word_before(&self, i: usize) -> bool {
        i > 0 && is_word(self.bytes[i - 1])
    }

    /// End (after the closing quote) of a quoted string opened at `i`; `'` must close a word.
    fn quoted(&self, i: usize, quote: u8) -> Option<usize> {
        let b = self.bytes;
        let mut j = i + 1;
        while let Some(k) = memchr::memchr(quote, &b[j..]) {
            let close = j + k;
            if quote == b'"' || b.get(close + 1).is_none_or(|&c| !is_word(c)) {
                return Some(close + 1);
            }
            j = close + 1;
        }
        None
    }

    /// Whether the '=' at `i` is a query parameter's (after '?' or '&' in the same token).
    fn in_query(&self, i: usize) -> bool {
        let token_start = self.bytes[..i]
            .iter()
            .rposition(|c| c.is_ascii_whitespace())
            .map_or(0, |p| p + 1);
        let token = &self.bytes[token_start..i];
        let Some(q) = token.iter().position(|&c| c == b'?') else {
            return false;
        };
        let key_start = token
            .iter()
            .rposition(|&c| c == b'?' || c == b'&')
            .unwrap_or(q);
        key_start >= q && key_start + 1 < token.len()
    }

    /// End of a query value starting at `i` (stops at '&', '#' or whitespace).
    fn query_value_end(&self, i: usize) -> usize {
        self.bytes[i..]
            .iter()
            .position(|&c| c == b'&' || c == b'#' || c.is_ascii_whitespace())
            .map_or(self.bytes.len(), |p| i + p)
    }

    /// A masked token (UUID, IPv4, 0x-hex, ObjectId, long hex) starting a word at `i`.
    fn word_mask(&self, i: usize) -> Option<(usize, &'static str)> {
        let rest = &self.bytes[i..];
        if let Some(len) = uuid_len(rest) {
            return Some((i + len, "<uuid>"));
        }
        if let Some(len) = ipv4_len(rest) {
            return Some((i + len, "<ip>"));
        }
        let word = rest.iter().take_while(|&&c| is_word(c)).count();
        let token = &rest[..word];
        if token.len() > 2
            && token[0] == b'0'
            && matches!(token[1], b'x' | b'X')
            && all_hex(&token[2..])
        {
            return Some((i + word, "<hex>"));
        }
        if !all_hex(token) || !token.iter().any(u8::is_ascii_digit) {
            return None;
        }
        if token.len() == 24 {
            return Some((i + word, "<id>"));
        }
        let has_letter = token.iter().any(u8::is_ascii_alphabetic);
        (token.len() >= 8 && has_letter).then_some((i + word, "<hex>"))
    }

    /// A number at `i` (digits, with '.' or ',' between digits), masked as `<n>`.
    fn number_at(&self, i: usize) -> Option<(usize, &'static str)> {
        self.bytes[i]
            .is_ascii_digit()
            .then(|| (self.number_end(i), "<n>"))
    }

    /// End of a number starting at `i`.
    fn number_end(&self, i: usize) -> usize {
        let b = self.bytes;
        let mut j = i;
        loop {
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            let joined =
                j + 1 < b.len() && matches!(b[j], b'.' | b',') && b[j + 1].is_ascii_digit();
            if !joined {
                return j;
            }
            j += 1;
        }
    }
}

/// Letters, digits and '_' make up words.
fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Whether every byte is a hex digit (and there is at least one).
fn all_hex(token: &[u8]) -> bool {
    !token.is_empty() && token.iter().all(u8::is_ascii_hexdigit)
}

/// Length of a UUID (8-4-4-4-12 hex) at the start of `b`, not followed by a word byte.
fn uuid_len(b: &[u8]) -> Option<usize> {
    let head = b.get(..36)?;
    let ok = head.iter().enumerate().all(|(k, &c)| match k {
        8 | 13 | 18 | 23 => c == b'-',
        _ => c.is_ascii_hexdigit(),
    });
    (ok && b.get(36).is_none_or(|&c| !is_word(c))).then_some(36)
}

/// Length of a dotted IPv4 address at the start of `b`, not followed by a word or ".digit".
fn ipv4_len(b: &[u8]) -> Option<usize> {
    let mut j = 0;
    for part in 0..4 {
        if part > 0 {
            if b.get(j) != Some(&b'.') {
                return None;
            }
            j += 1;
        }
        let digits = b[j..].iter().take_while(|c| c.is_ascii_digit()).count();
        if !(1..=3).contains(&digits) {
            return None;
        }
        j += digits;
    }
    let next_is_word = b.get(j).is_some_and(|&c| is_word(c));
    let next_is_part = b.get(j) == Some(&b'.') && b.get(j + 1).is_some_and(u8::is_ascii_digit);
    (!next_is_word && !next_is_part).then_some(j)
}

/// The shape an entry is grouped by: a Scandy event's label (`SECURITY_EVENT: login_failed`),
/// else its message's shape, plus its last line's for a traceback.
fn entry_shape(e: &LogEntry) -> String {
    if let Some(label) = event_label(&e.message, &e.fields) {
        return label;
    }
    let mut shape = message_shape(&e.message);
    if let Some(last) = e.continuation.iter().rev().find(|l| !l.trim().is_empty()) {
        shape.push_str(LAST_LINE_JOINER);
        shape.push_str(&message_shape(last.trim()));
    }
    shape
}

/// Entries of one message shape: how often, when first and last, an example.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorGroup {
    /// The masked message (for a traceback: message shape, " ⏎ ", last line's shape).
    pub shape: String,
    /// Number of entries with this shape.
    pub count: u64,
    /// Earliest timestamp seen.
    pub first: Option<NaiveDateTime>,
    /// Latest timestamp seen.
    pub last: Option<NaiveDateTime>,
    /// Highest level seen.
    pub level: Level,
    /// The message of the most recent entry (raw; the first one seen when none has a time).
    pub example: String,
    /// Sources the entries came from, ascending.
    pub sources: Vec<u16>,
}

impl ErrorGroup {
    /// A group holding one entry.
    fn new(shape: String, e: &LogEntry, level: Level) -> Self {
        ErrorGroup {
            shape,
            count: 1,
            first: e.timestamp,
            last: e.timestamp,
            level,
            example: e.message.clone(),
            sources: vec![e.source],
        }
    }

    /// Counts one more entry of this shape.
    fn add(&mut self, e: &LogEntry, level: Level) {
        self.count += 1;
        self.level = self.level.max(level);
        if let Err(at) = self.sources.binary_search(&e.source) {
            self.sources.insert(at, e.source);
        }
        let Some(t) = e.timestamp else { return };
        self.first = Some(self.first.map_or(t, |f| f.min(t)));
        if self.last.is_none_or(|l| t >= l) {
            self.last = Some(t);
            self.example.clone_from(&e.message);
        }
    }
}

/// The level an entry is held against the summary's threshold with: a security event
/// (`SECURITY_EVENT: …`, which Scandy writes as WARNING — a failed login) counts as an error.
fn summary_level(e: &LogEntry, level: Level) -> Level {
    if level == Level::Warning && e.message.starts_with(SECURITY_EVENT) {
        Level::Error
    } else {
        level
    }
}

/// Groups entries at or above `min_level` by shape, most frequent first (ties: most recent
/// last-seen first, then shape), at most `limit` groups. Entries without a level count as
/// Info; a security event at WARNING counts as an error; a repeat (see
/// [`super::repeats`]) is left out.
pub fn error_groups<'a>(
    entries: impl IntoIterator<Item = &'a LogEntry>,
    min_level: Level,
    limit: usize,
) -> Vec<ErrorGroup> {
    let mut groups: HashMap<String, ErrorGroup> = HashMap::new();
    for e in without_repeats(entries) {
        let level = e.level.unwrap_or(Level::Info);
        if summary_level(e, level) < min_level {
            continue;
        }
        let shape = entry_shape(e);
        match groups.get_mut(&shape) {
            Some(group) => group.add(e, level),
            None => {
                groups.insert(shape.clone(), ErrorGroup::new(shape, e, level));
            }
        }
    }
    let mut list: Vec<ErrorGroup> = groups.into_values().collect();
    list.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| b.last.cmp(&a.last))
            .then_with(|| a.shape.cmp(&b.shape))
    });
    list.truncate(limit);
    list
}

/// Errors (level >= Error) per calendar minute for the last `minutes` minutes up to the minute
/// holding `now` (index 0 = oldest, last index = `now`'s minute), for a sparkline; a repeat
/// (see [`super::repeats`]) is left out.
pub fn errors_per_minute<'a>(
    entries: impl IntoIterator<Item = &'a LogEntry>,
    now: NaiveDateTime,
    minutes: usize,
) -> Vec<u64> {
    let mut buckets = vec![0u64; minutes];
    let Some((start, end)) = minute_window(now, minutes) else {
        return buckets;
    };
    for e in without_repeats(entries) {
        let (Some(t), Some(level)) = (e.timestamp, e.level) else {
            continue;
        };
        if level < Level::Error || t < start || t >= end {
            continue;
        }
        let index = usize::try_from((t - start).num_seconds() / 60).unwrap_or(usize::MAX);
        if let Some(bucket) = buckets.get_mut(index) {
            *bucket += 1;
        }
    }
    buckets
}

/// Start of the oldest and end of the newest of `minutes` calendar minutes ending with `now`'s.
fn minute_window(now: NaiveDateTime, minutes: usize) -> Option<(NaiveDateTime, NaiveDateTime)> {
    let now_minute = now.with_second(0)?.with_nanosecond(0)?;
    let end = now_minute.checked_add_signed(TimeDelta::minutes(1))?;
    let back = TimeDelta::try_minutes(i64::try_from(minutes).ok()?)?;
    Some((end.checked_sub_signed(back)?, end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::entry::LogFormat;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.3f").expect("test time")
    }

    fn error(source: u16, time: &str, message: &str) -> LogEntry {
        let mut e = LogEntry::new(LogFormat::ScandyApp, message.into());
        e.source = source;
        e.timestamp = Some(at(time));
        e.level = Some(Level::Error);
        e
    }

    #[test]
    fn shape_masks_ips_ports_and_path_numbers() {
        assert_eq!(
            message_shape("Request: GET http://192.168.178.56:5000/workers/5 - IP: 192.168.178.50"),
            "Request: GET http://<ip>:<n>/workers/<n> - IP: <ip>"
        );
    }

    #[test]
    fn shape_masks_ids_uuids_hex_and_quotes() {
        assert_eq!(
            message_shape("Werkzeug 64b7f0c2a1e4d5f6a7b8c9d0 nicht gefunden"),
            "Werkzeug <id> nicht gefunden"
        );
        assert_eq!(
            message_shape("Session 123e4567-e89b-12d3-a456-426614174000 abgelaufen"),
            "Session <uuid> abgelaufen"
        );
        assert_eq!(
            message_shape("at 0x7f3a9c0b12 hash deadbeef1234"),
            "at <hex> hash <hex>"
        );
        assert_eq!(
            message_shape("KeyError: 'barcode' in \"Hämmer 3\""),
            "KeyError: '<s>' in \"<s>\""
        );
        assert_eq!(
            message_shape("Benutzer's Werkzeug ist weg"),
            "Benutzer's Werkzeug ist weg"
        );
    }

    #[test]
    fn shape_masks_numbers_and_query_values() {
        assert_eq!(
            message_shape("Dauer 3.52s, 12 Einträge, conn42"),
            "Dauer <n>s, <n> Einträge, conn<n>"
        );
        assert_eq!(
            message_shape("GET /tools?page=2&q=hammer&sort=name#top - ok"),
            "GET /tools?page=<v>&q=<v>&sort=<v>#top - ok"
        );
        assert_eq!(
            message_shape("a=b ohne Query, Größe=5"),
            "a=b ohne Query, Größe=<n>"
        );
        assert_eq!(message_shape("Version 1.2.3.4.5"), "Version <n>");
        assert_eq!(message_shape(""), "");
        assert_eq!(message_shape("äöü ß"), "äöü ß");
    }

    #[test]
    fn groups_count_and_order() {
        let entries = vec![
            error(0, "2025-07-31 10:00:00.000", "Werkzeug 1 nicht gefunden"),
            error(1, "2025-07-31 10:05:00.000", "Werkzeug 22 nicht gefunden"),
            error(0, "2025-07-31 09:00:00.000", "Werkzeug 3 nicht gefunden"),
            error(0, "2025-07-31 11:00:00.000", "Timeout nach 30s"),
            error(0, "2025-07-31 08:00:00.000", "Timeout nach 5s"),
            error(0, "2025-07-31 12:00:00.000", "Einmalig"),
        ];
        let mut info = error(2, "2025-07-31 12:00:00.000", "Werkzeug 9 nicht gefunden");
        info.level = Some(Level::Info);
        let all: Vec<_> = entries.iter().chain([&info]).collect();
        let groups = error_groups(all, Level::Error, 10);
        let summary: Vec<_> = groups.iter().map(|g| (g.shape.as_str(), g.count)).collect();
        assert_eq!(
            summary,
            [
                ("Werkzeug <n> nicht gefunden", 3),
                ("Timeout nach <n>s", 2),
                ("Einmalig", 1)
            ]
        );
        assert_eq!(groups[0].first, Some(at("2025-07-31 09:00:00.000")));
        assert_eq!(groups[0].last, Some(at("2025-07-31 10:05:00.000")));
        assert_eq!(groups[0].example, "Werkzeug 22 nicht gefunden");
        assert_eq!(groups[0].sources, [0, 1]);
        assert_eq!(error_groups(&entries, Level::Error, 1).len(), 1);
    }

    #[test]
    fn traceback_groups_by_exception_line() {
        let mut a = error(0, "2025-07-31 10:00:00.000", "Exception on /tools/7 [GET]");
        a.continuation = vec![
            "Traceback (most recent call last):".into(),
            "KeyError: 'x'".into(),
            "".into(),
        ];
        let mut b = a.clone();
        b.continuation[1] = "ValueError: bad 5".into();
        let groups = error_groups([&a, &b, &a], Level::Error, 10);
        let shapes: Vec<_> = groups.iter().map(|g| (g.shape.as_str(), g.count)).collect();
        assert_eq!(
            shapes,
            [
                ("Exception on /tools/<n> [GET] ⏎ KeyError: '<s>'", 2),
                ("Exception on /tools/<n> [GET] ⏎ ValueError: bad <n>", 1)
            ]
        );
    }

    #[test]
    fn doubled_records_count_once() {
        let text = "\
2025-07-31 10:00:01,000 - ERROR - Fehler beim Laden 5
2025-07-31 10:00:01,000 - ERROR - Fehler beim Laden 5
2025-07-31 10:00:02,000 - ERROR - Fehler beim Laden 6
2025-07-31 10:01:02,000 - ERROR - Fehler beim Laden 7
2025-07-31 10:01:02,000 - ERROR - Fehler beim Laden 7
";
        let entries = crate::logs::assemble::assemble_all(0, text.as_bytes());
        let groups = error_groups(&entries, Level::Error, 10);
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].count, 3);
        let now = at("2025-07-31 10:01:30.000");
        assert_eq!(errors_per_minute(&entries, now, 2), [2, 1]);
    }

    #[test]
    fn security_events_group_by_event_type() {
        let text = "\
2026-12-02 05:10:06,526 - scandy.security - WARNING - SECURITY_EVENT: {'event_type': 'login_failed', 'user': 'admin', 'ip': '127.0.0.1'}
2026-12-02 05:10:09,001 - scandy.security - WARNING - SECURITY_EVENT: {'event_type': 'login_failed', 'user': 'max', 'ip': '10.0.0.9'}
2026-12-02 05:11:00,000 - scandy.security - INFO - SECURITY_EVENT: {'event_type': 'login_success', 'user': 'admin', 'ip': '127.0.0.1'}
2026-12-02 05:12:00,000 - scandy.security - CRITICAL - SECURITY_EVENT: {'event_type': 'brute_force', 'ip': '10.0.0.9'}
2026-12-02 05:13:00,000 - scandy.security - WARNING - Ungewöhnliche Anfrage
";
        let entries = crate::logs::assemble::assemble_all(1, text.as_bytes());
        let groups = error_groups(&entries, Level::Error, 10);
        let summary: Vec<_> = groups
            .iter()
            .map(|g| (g.shape.as_str(), g.count, g.level))
            .collect();
        assert_eq!(
            summary,
            [
                ("SECURITY_EVENT: login_failed", 2, Level::Warning),
                ("SECURITY_EVENT: brute_force", 1, Level::Critical),
            ]
        );
        assert!(groups[0].example.contains("'user': 'max'"));
    }

    #[test]
    fn per_minute_buckets() {
        let now = at("2025-07-31 10:04:30.000");
        let mut warn = error(0, "2025-07-31 10:04:00.000", "w");
        warn.level = Some(Level::Warning);
        let entries = vec![
            error(0, "2025-07-31 10:04:59.999", "current minute, after now"),
            error(0, "2025-07-31 10:04:00.000", "current minute start"),
            error(0, "2025-07-31 10:03:59.999", "previous minute end"),
            error(0, "2025-07-31 10:02:00.000", "two back"),
            error(0, "2025-07-31 10:01:59.000", "outside"),
            error(0, "2025-07-31 10:05:00.000", "future minute"),
            warn,
        ];
        assert_eq!(errors_per_minute(&entries, now, 3), [1, 1, 2]);
        assert_eq!(errors_per_minute(&entries, now, 0), Vec::<u64>::new());
    }
}
