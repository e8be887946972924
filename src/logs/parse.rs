//! Recognises one log line: Scandy's Python formats, auto_backup.log, MongoDB JSON and legacy text.
//!
//! The Scandy formats are checked byte by byte (no regex): this runs over gigabyte files.

use std::borrow::Cow;

use chrono::{FixedOffset, Local, NaiveDate, NaiveDateTime, TimeZone};
use serde::Deserialize;

use super::entry::{Level, LogEntry, LogFormat, MAX_LINE_BYTES, TRUNCATION_MARKER};
use super::fields::message_fields;

/// What one line turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum ParsedLine {
    /// A line with a timestamp: a new entry (source 0, seq 0; the caller fills them).
    Start(LogEntry),
    /// A line without a recognised timestamp (raw text): belongs to the entry above.
    Continuation(String),
}

/// Parses one line (without its '\n'); lossy UTF-8, one trailing '\r' dropped, overlong lines cut.
pub fn parse_line(bytes: &[u8]) -> ParsedLine {
    let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
    let (text, truncated) = line_text(bytes);
    match parse_start(&text) {
        Some(mut entry) => {
            entry.truncated = truncated;
            ParsedLine::Start(entry)
        }
        None => ParsedLine::Continuation(text.into_owned()),
    }
}

/// Whether this raw line (without '\n') is cut by [`parse_line`].
pub fn exceeds_max_line(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
    bytes.len() > MAX_LINE_BYTES
}

/// Lossy text of a line, cut at a char boundary at [`MAX_LINE_BYTES`] with the marker appended.
fn line_text(bytes: &[u8]) -> (Cow<'_, str>, bool) {
    if bytes.len() <= MAX_LINE_BYTES {
        return (lossy(bytes), false);
    }
    let mut cut = MAX_LINE_BYTES;
    // Back up over at most three UTF-8 continuation bytes so a character is not split.
    while cut > MAX_LINE_BYTES - 3 && (bytes[cut] & 0xC0) == 0x80 {
        cut -= 1;
    }
    let mut text = lossy(&bytes[..cut]).into_owned();
    text.push_str(TRUNCATION_MARKER);
    (Cow::Owned(text), true)
}

/// Lossy UTF-8; valid text (the usual case) takes std's much faster validation path.
fn lossy(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// Tries every timestamped format, cheapest and most common first.
fn parse_start(text: &str) -> Option<LogEntry> {
    let b = text.as_bytes();
    match b.first()? {
        b'0'..=b'9' => parse_scandy(text).or_else(|| parse_mongo_text(text)),
        b'[' => parse_auto_backup(text),
        b'{' => parse_mongo_json(text),
        _ => None,
    }
}

/// Two ASCII digits at `at` as a number.
fn num2(b: &[u8], at: usize) -> Option<u32> {
    let (x, y) = (*b.get(at)?, *b.get(at + 1)?);
    if x.is_ascii_digit() && y.is_ascii_digit() {
        Some(u32::from(x - b'0') * 10 + u32::from(y - b'0'))
    } else {
        None
    }
}

/// `n` ASCII digits at `at` as a number.
fn num_n(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let digits = b.get(at..at + n)?;
    digits.iter().try_fold(0u32, |acc, &d| {
        d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
    })
}

/// A validated date and time from its parts.
fn make_time(y: u32, mo: u32, d: u32, h: u32, mi: u32, s: u32, ms: u32) -> Option<NaiveDateTime> {
    NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, mo, d)?.and_hms_milli_opt(h, mi, s, ms)
}

/// `YYYY-MM-DD?HH:MM:SS` at the start of `b` (any separator at byte 10); returns the time without fraction.
fn iso_prefix(b: &[u8]) -> Option<(u32, u32, u32, u32, u32, u32)> {
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    Some((
        num_n(b, 0, 4)?,
        num2(b, 5)?,
        num2(b, 8)?,
        num2(b, 11)?,
        num2(b, 14)?,
        num2(b, 17)?,
    ))
}

/// Fractional seconds (`[.,]digits`) at `at` as milliseconds, and the index after them.
fn fraction_ms(b: &[u8], at: usize) -> (u32, usize) {
    if !matches!(b.get(at), Some(b',' | b'.')) {
        return (0, at);
    }
    let digits = b[at + 1..]
        .iter()
        .take_while(|d| d.is_ascii_digit())
        .count();
    let ms = b[at + 1..at + 1 + digits.min(3)]
        .iter()
        .fold(0u32, |acc, &d| acc * 10 + u32::from(d - b'0'));
    let scale = [1000, 100, 10, 1][digits.min(3)];
    (ms * scale, at + 1 + digits)
}

/// Scandy's Python formats: `YYYY-MM-DD HH:MM:SS,mmm - [name - ]LEVEL - message`.
fn parse_scandy(text: &str) -> Option<LogEntry> {
    let b = text.as_bytes();
    if b.get(10) != Some(&b' ') {
        return None;
    }
    let (y, mo, d, h, mi, s) = iso_prefix(b)?;
    let (ms, end) = fraction_ms(b, 19);
    let rest = text.get(end..)?.strip_prefix(" - ")?;
    let timestamp = make_time(y, mo, d, h, mi, s, ms)?;
    let mut entry = scandy_fields(rest);
    entry.timestamp = Some(timestamp);
    Some(entry)
}

/// Splits the part after the timestamp into level, optional logger name and message.
fn scandy_fields(rest: &str) -> LogEntry {
    let Some(first) = find_separator(rest) else {
        return scandy_without_separator(rest);
    };
    let field = &rest[..first];
    let after = &rest[first + 3..];
    if let Some(level) = Level::parse(field) {
        return scandy_entry(LogFormat::ScandyApp, None, level, after);
    }
    if let Some((level, message)) = level_then_message(after) {
        return scandy_entry(LogFormat::ScandyNamed, Some(field), level, message);
    }
    LogEntry::new(LogFormat::ScandyApp, rest.to_owned())
}

/// Byte index of the first " - " in `text` (memchr for '-', then a look at its neighbours).
fn find_separator(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    memchr::memchr_iter(b'-', b)
        .find(|&i| i > 0 && b[i - 1] == b' ' && b.get(i + 1) == Some(&b' '))
        .map(|i| i - 1)
}

/// `LEVEL - message` (or a bare `LEVEL -` at the end) at the start of `text`.
fn level_then_message(text: &str) -> Option<(Level, &str)> {
    match find_separator(text) {
        Some(at) => Some((Level::parse(&text[..at])?, &text[at + 3..])),
        None => Some((Level::parse(text.trim_end().trim_end_matches(" -"))?, "")),
    }
}

/// A line like `… - INFO` or `… - INFO -` with an empty message, or an unknown shape.
fn scandy_without_separator(rest: &str) -> LogEntry {
    match Level::parse(rest.trim_end().trim_end_matches(" -")) {
        Some(level) => scandy_entry(LogFormat::ScandyApp, None, level, ""),
        None => LogEntry::new(LogFormat::ScandyApp, rest.to_owned()),
    }
}

/// Builds a Scandy entry from its parts.
fn scandy_entry(format: LogFormat, logger: Option<&str>, level: Level, message: &str) -> LogEntry {
    let mut entry = LogEntry::new(format, message.to_owned());
    entry.level = Some(level);
    entry.logger = logger.map(str::to_owned);
    entry.fields = message_fields(message);
    entry
}

/// auto_backup.log: `[dd.mm.YYYY HH:MM:SS] message`; the level is guessed from the words used.
fn parse_auto_backup(text: &str) -> Option<LogEntry> {
    let b = text.as_bytes();
    if b.len() < 21 || b[3] != b'.' || b[6] != b'.' || b[11] != b' ' || b[14] != b':' {
        return None;
    }
    if b[17] != b':' || b[20] != b']' {
        return None;
    }
    let timestamp = make_time(
        num_n(b, 7, 4)?,
        num2(b, 4)?,
        num2(b, 1)?,
        num2(b, 12)?,
        num2(b, 15)?,
        num2(b, 18)?,
        0,
    )?;
    let message = text.get(21..)?;
    let message = message.strip_prefix(' ').unwrap_or(message);
    let mut entry = LogEntry::new(LogFormat::AutoBackup, message.to_owned());
    entry.timestamp = Some(timestamp);
    entry.level = Some(auto_backup_level(message));
    Some(entry)
}

/// Error if the message speaks of failure, Warning if of a warning, else Info.
fn auto_backup_level(message: &str) -> Level {
    let lower = message.to_lowercase();
    if ["fehler", "error", "failed"]
        .iter()
        .any(|w| lower.contains(w))
    {
        Level::Error
    } else if lower.contains("warn") {
        Level::Warning
    } else {
        Level::Info
    }
}

/// Offset `Z`, `+HHMM` or `+HH:MM` at the start of `b`, and the index after it.
fn parse_offset(b: &[u8]) -> Option<(FixedOffset, usize)> {
    let sign = match b.first()? {
        b'Z' | b'z' => return Some((FixedOffset::east_opt(0)?, 1)),
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let hours = num2(b, 1)?;
    let (minutes, len) = match b.get(3) {
        Some(b':') => (num2(b, 4)?, 6),
        _ => (num2(b, 3)?, 5),
    };
    let seconds = i32::try_from(hours * 3600 + minutes * 60).ok()?;
    Some((FixedOffset::east_opt(sign * seconds)?, len))
}

/// An ISO time with offset at the start of `b`, as local naive time, and the index after it.
fn iso_with_offset(b: &[u8]) -> Option<(NaiveDateTime, usize)> {
    if b.get(10) != Some(&b'T') {
        return None;
    }
    let (y, mo, d, h, mi, s) = iso_prefix(b)?;
    let (ms, end) = fraction_ms(b, 19);
    let (offset, len) = parse_offset(b.get(end..)?)?;
    let naive = make_time(y, mo, d, h, mi, s, ms)?;
    let utc = offset.from_local_datetime(&naive).single()?.naive_utc();
    Some((Local.from_utc_datetime(&utc).naive_local(), end + len))
}

/// Legacy MongoDB text: `2025-07-31T21:35:27.958+0200 I NETWORK  [conn1] message`.
fn parse_mongo_text(text: &str) -> Option<LogEntry> {
    let (timestamp, end) = iso_with_offset(text.as_bytes())?;
    let mut words = text.get(end..)?.trim_start_matches(' ').splitn(2, ' ');
    let level = Level::parse(words.next()?)?;
    let rest = words.next().unwrap_or("").trim_start_matches(' ');
    let (component, message) = match rest.split_once(' ') {
        Some((c, m)) if !c.starts_with('[') => (Some(c), m.trim_start_matches(' ')),
        _ => (None, rest),
    };
    let mut entry = LogEntry::new(LogFormat::MongoText, message.to_owned());
    entry.timestamp = Some(timestamp);
    entry.level = Some(level);
    entry.logger = component.filter(|c| *c != "-").map(str::to_owned);
    Some(entry)
}

/// The fields of a MongoDB JSON log line that an entry needs.
#[derive(Deserialize)]
struct MongoJsonLine {
    t: MongoDate,
    s: String,
    #[serde(default)]
    c: Option<String>,
    #[serde(default)]
    msg: String,
    #[serde(default)]
    attr: Option<serde_json::Value>,
}

/// `{"$date": "..."}` in a MongoDB JSON log line.
#[derive(Deserialize)]
struct MongoDate {
    #[serde(rename = "$date")]
    date: String,
}

/// MongoDB 4.4+ JSON log line; message is `msg` plus the compact `attr` JSON.
fn parse_mongo_json(text: &str) -> Option<LogEntry> {
    if !text.starts_with("{\"t\"") {
        return None;
    }
    let line: MongoJsonLine = serde_json::from_str(text).ok()?;
    let (timestamp, _) = iso_with_offset(line.t.date.as_bytes())?;
    let mut message = line.msg;
    if let Some(attr) = line.attr.filter(|a| !a.is_null()) {
        message.push(' ');
        message.push_str(&attr.to_string());
    }
    let mut entry = LogEntry::new(LogFormat::MongoJson, message);
    entry.timestamp = Some(timestamp);
    entry.level = Level::parse(&line.s);
    entry.logger = line.c.map(|c| c.trim_end().to_owned());
    Some(entry)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn start(line: &[u8]) -> LogEntry {
        match parse_line(line) {
            ParsedLine::Start(e) => e,
            ParsedLine::Continuation(t) => panic!("not an entry: {t:?}"),
        }
    }

    fn continuation(line: &[u8]) -> String {
        match parse_line(line) {
            ParsedLine::Continuation(t) => t,
            ParsedLine::Start(e) => panic!("unexpected entry: {e:?}"),
        }
    }

    fn time(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.3f").expect("test time")
    }

    fn local(rfc3339: &str) -> NaiveDateTime {
        DateTime::parse_from_rfc3339(rfc3339)
            .expect("test time")
            .with_timezone(&Local)
            .naive_local()
    }

    #[test]
    fn scandy_app_line() {
        let e = start(b"2025-07-31 21:35:27,958 - INFO - Request: GET http://192.168.178.56:5000/workers/ - IP: 192.168.178.50");
        assert_eq!(e.format, LogFormat::ScandyApp);
        assert_eq!(e.timestamp, Some(time("2025-07-31 21:35:27.958")));
        assert_eq!(e.level, Some(Level::Info));
        assert_eq!(e.logger, None);
        assert_eq!(
            e.message,
            "Request: GET http://192.168.178.56:5000/workers/ - IP: 192.168.178.50"
        );
        assert!(!e.truncated);
        assert!(e.continuation.is_empty());
    }

    #[test]
    fn scandy_warning_with_umlauts_and_crlf() {
        let e = start("2025-07-31 22:06:49,411 - WARNING - Statische Datei nicht gefunden: /static/js/delete.js - Größe äöü\r".as_bytes());
        assert_eq!(e.level, Some(Level::Warning));
        assert_eq!(e.timestamp, Some(time("2025-07-31 22:06:49.411")));
        assert_eq!(
            e.message,
            "Statische Datei nicht gefunden: /static/js/delete.js - Größe äöü"
        );
    }

    #[test]
    fn scandy_named_line() {
        let e = start(b"2025-07-31 21:35:27,958 - scandy.security - WARNING - Fehlgeschlagener Login fuer admin - IP: 10.0.0.7");
        assert_eq!(e.format, LogFormat::ScandyNamed);
        assert_eq!(e.logger.as_deref(), Some("scandy.security"));
        assert_eq!(e.level, Some(Level::Warning));
        assert_eq!(
            e.message,
            "Fehlgeschlagener Login fuer admin - IP: 10.0.0.7"
        );
    }

    #[test]
    fn scandy_edge_shapes() {
        let e = start(b"2025-07-31 21:35:27,958 - ERROR - ");
        assert_eq!((e.level, e.message.as_str()), (Some(Level::Error), ""));
        let e = start(b"2025-07-31 21:35:27,958 - CRITICAL");
        assert_eq!((e.level, e.message.as_str()), (Some(Level::Critical), ""));
        let e = start(b"2025-07-31 21:35:27,958 - something else - entirely");
        assert_eq!(
            (e.level, e.message.as_str()),
            (None, "something else - entirely")
        );
        assert_eq!(e.format, LogFormat::ScandyApp);
        let e = start(b"2025-07-31 21:35:27 - INFO - no millis");
        assert_eq!(e.timestamp, Some(time("2025-07-31 21:35:27.000")));
        assert_eq!(e.message, "no millis");
    }

    #[test]
    fn invalid_dates_are_continuations() {
        continuation(b"2025-13-31 21:35:27,958 - INFO - month 13");
        continuation(b"2025-02-30 21:35:27,958 - INFO - no such day");
        continuation(b"2025-07-31 25:35:27,958 - INFO - hour 25");
        continuation(b"2025-07-31");
        continuation(b"2025-07-31 21:35:27,958 INFO no separator");
    }

    #[test]
    fn auto_backup_levels() {
        let e = start(b"[31.07.2025 02:00:01] Starte automatisches Backup...");
        assert_eq!(e.format, LogFormat::AutoBackup);
        assert_eq!(e.timestamp, Some(time("2025-07-31 02:00:01.000")));
        assert_eq!(e.level, Some(Level::Info));
        assert_eq!(e.message, "Starte automatisches Backup...");
        let e =
            start("[31.07.2025 02:00:05] FEHLER beim Backup: mongodump nicht gefunden".as_bytes());
        assert_eq!(e.level, Some(Level::Error));
        assert_eq!(
            start(b"[01.08.2025 02:00:05] Backup failed").level,
            Some(Level::Error)
        );
        assert_eq!(
            start(b"[01.08.2025 02:00:05] Warnung: wenig Speicher").level,
            Some(Level::Warning)
        );
        continuation(b"[32.07.2025 02:00:01] bad day");
        continuation(b"[conn1] not a date at all, long enough");
    }

    #[test]
    fn mongo_json_line() {
        let line = br#"{"t":{"$date":"2025-07-31T21:35:27.958+02:00"},"s":"I","c":"NETWORK", "id":22943,"ctx":"listener","msg":"Connection accepted","attr":{"remote":"127.0.0.1:53412","connectionId":1,"connectionCount":1}}"#;
        let e = start(line);
        assert_eq!(e.format, LogFormat::MongoJson);
        assert_eq!(e.timestamp, Some(local("2025-07-31T21:35:27.958+02:00")));
        assert_eq!(e.level, Some(Level::Info));
        assert_eq!(e.logger.as_deref(), Some("NETWORK"));
        assert_eq!(
            e.message,
            r#"Connection accepted {"remote":"127.0.0.1:53412","connectionId":1,"connectionCount":1}"#
        );
        let e = start(br#"{"t":{"$date":"2025-07-31T19:35:27.958Z"},"s":"E","c":"STORAGE","id":1,"ctx":"initandlisten","msg":"WiredTiger error"}"#);
        assert_eq!(e.timestamp, Some(local("2025-07-31T19:35:27.958Z")));
        assert_eq!(
            (e.level, e.message.as_str()),
            (Some(Level::Error), "WiredTiger error")
        );
        continuation(br#"{"t":{"$date":"not a date"},"s":"I","msg":"x"}"#);
        continuation(br#"{"hello": "world"}"#);
    }

    #[test]
    fn mongo_text_line() {
        let e = start(
            b"2025-07-31T21:35:27.958+0200 I NETWORK  [conn1] end connection 127.0.0.1:53412",
        );
        assert_eq!(e.format, LogFormat::MongoText);
        assert_eq!(e.timestamp, Some(local("2025-07-31T21:35:27.958+02:00")));
        assert_eq!(e.level, Some(Level::Info));
        assert_eq!(e.logger.as_deref(), Some("NETWORK"));
        assert_eq!(e.message, "[conn1] end connection 127.0.0.1:53412");
        let e = start(b"2025-07-31T21:35:27.958+0200 W -        [main] low ulimit");
        assert_eq!((e.level, e.logger), (Some(Level::Warning), None));
        assert_eq!(e.message, "[main] low ulimit");
        continuation(b"2025-07-31T21:35:27.958+0200 NOTALEVEL x");
    }

    #[test]
    fn continuation_lines_stay_raw() {
        assert_eq!(
            continuation(b"Traceback (most recent call last):"),
            "Traceback (most recent call last):"
        );
        assert_eq!(
            continuation(b"  File \"/app/x.py\", line 3, in f\r"),
            "  File \"/app/x.py\", line 3, in f"
        );
        assert_eq!(continuation(b""), "");
        assert_eq!(continuation(b"a\x1b[2Jb\x00c\x07"), "a\x1b[2Jb\x00c\x07");
        let raw = "\x1b[31mrot\x1b[0m";
        let e = start(format!("2025-07-31 21:35:27,958 - ERROR - {raw}").as_bytes());
        assert_eq!(e.message, raw);
        assert_eq!(
            crate::sanitize::escape_controls(&e.message),
            "\\x1b[31mrot\\x1b[0m"
        );
    }

    #[test]
    fn invalid_utf8_is_lossy() {
        let e = start(b"2025-07-31 21:35:27,958 - ERROR - kaputt \xff\xfe ende");
        assert_eq!(e.message, "kaputt \u{fffd}\u{fffd} ende");
        assert_eq!(continuation(b"\xc3"), "\u{fffd}");
    }

    #[test]
    fn long_line_is_cut_at_char_boundary() {
        let mut line = b"2025-07-31 21:35:27,958 - ERROR - ".to_vec();
        while line.len() < 100 * 1024 {
            line.extend_from_slice("ä".as_bytes());
        }
        assert!(exceeds_max_line(&line));
        let e = start(&line);
        assert!(e.truncated);
        assert!(e.message.ends_with(TRUNCATION_MARKER));
        let kept = e.message.len() - TRUNCATION_MARKER.len() + 34;
        assert_eq!(kept, MAX_LINE_BYTES);
        let euros = continuation("€".repeat(40_000).as_bytes());
        assert_eq!(euros.len(), MAX_LINE_BYTES - 1 + TRUNCATION_MARKER.len());
        assert!(euros.starts_with('€') && !euros.contains('\u{fffd}'));
        assert!(!e.message.contains('\u{fffd}'));
        let exact = vec![b'x'; MAX_LINE_BYTES];
        assert!(!exceeds_max_line(&exact));
        assert_eq!(continuation(&exact).len(), MAX_LINE_BYTES);
    }

    /// Run with `cargo test --release --lib logs::parse -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn throughput() {
        let lines = [
            "2025-07-31 21:35:27,958 - INFO - Request: GET http://192.168.178.56:5000/workers/ - IP: 192.168.178.50",
            "2025-07-31 22:06:49,411 - WARNING - Statische Datei nicht gefunden: /static/js/delete.js - IP: 192.168.178.50",
            "2025-07-31 21:35:27,958 - scandy.security - WARNING - Fehlgeschlagener Login fuer admin - IP: 10.0.0.7",
            "  File \"/opt/scandy/app/routes/tools.py\", line 212, in edit",
        ];
        let mut text = String::new();
        while text.len() < 200 * 1024 * 1024 {
            for l in &lines {
                text.push_str(l);
                text.push('\n');
            }
        }
        for _ in 0..3 {
            let started = std::time::Instant::now();
            let mut starts = 0usize;
            let bytes = text.as_bytes();
            let mut from = 0;
            for end in memchr::memchr_iter(b'\n', bytes) {
                let line = &bytes[from..end];
                from = end + 1;
                if let ParsedLine::Start(e) = parse_line(line) {
                    starts += e.message.len() & 1;
                }
            }
            let secs = started.elapsed().as_secs_f64();
            let rate = text.len() as f64 / secs / 1e6;
            println!("parse_line: {rate:.0} MB/s ({starts})");
        }
        let started = std::time::Instant::now();
        let entries = crate::logs::assemble::assemble_all(0, text.as_bytes());
        let secs = started.elapsed().as_secs_f64();
        println!(
            "assemble_all: {:.0} MB/s ({})",
            text.len() as f64 / secs / 1e6,
            entries.len()
        );
    }
}
