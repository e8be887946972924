//! Lines of command sources: `journalctl -o json` and `docker logs --timestamps` lines with
//! what the wrapper knows (priority, time, identifier), joined into entries like file lines
//! (a gunicorn traceback written as many journal records joins the entry above it).

use chrono::{DateTime, Local, NaiveDateTime};
use serde_json::Value;

use super::assemble::MAX_CONTINUATION_LINES;
use super::entry::{Level, LogEntry, LogFormat};
use super::parse::{ParsedLine, exceeds_max_line, parse_line};

/// Text used when journalctl left a message out (`-o json` writes fields over 4096 bytes as null).
pub const JOURNAL_OMITTED_MESSAGE: &str = "[message left out by journalctl: over 4096 bytes]";

/// One line of a command source with what the wrapper knows about it.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessLine {
    /// The log line itself, raw (may hold its own timestamp, e.g. Scandy's format).
    pub text: Vec<u8>,
    /// The wrapper's time of the line (journal realtime, docker timestamp), local.
    pub timestamp: Option<NaiveDateTime>,
    /// The wrapper's severity (journal PRIORITY).
    pub level: Option<Level>,
    /// The wrapper's program name (journal SYSLOG_IDENTIFIER or _COMM).
    pub logger: Option<String>,
}

impl ProcessLine {
    /// A line with no wrapper metadata.
    pub fn plain(text: Vec<u8>) -> Self {
        ProcessLine {
            text,
            timestamp: None,
            level: None,
            logger: None,
        }
    }
}

/// journalctl -o json line → ProcessLine (MESSAGE, PRIORITY, __REALTIME_TIMESTAMP, SYSLOG_IDENTIFIER/_COMM); non-JSON → None.
pub fn parse_journal_line(bytes: &[u8]) -> Option<ProcessLine> {
    let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
    if bytes.first() != Some(&b'{') {
        return None;
    }
    let record: serde_json::Map<String, Value> = serde_json::from_slice(bytes).ok()?;
    let text = match record.get("MESSAGE") {
        Some(Value::Null) => JOURNAL_OMITTED_MESSAGE.as_bytes().to_vec(),
        Some(value) => field_bytes(value).unwrap_or_default(),
        None => Vec::new(),
    };
    let logger = ["SYSLOG_IDENTIFIER", "_COMM"]
        .iter()
        .filter_map(|key| record.get(*key).and_then(field_bytes))
        .find(|name| !name.is_empty())
        .map(|name| String::from_utf8_lossy(&name).into_owned());
    Some(ProcessLine {
        text,
        timestamp: record.get("__REALTIME_TIMESTAMP").and_then(journal_time),
        level: record.get("PRIORITY").and_then(journal_level),
        logger,
    })
}

/// A journal field's bytes: a string, an array of byte values (binary data), or the first of
/// several values (a field set more than once is written as an array of values).
fn field_bytes(value: &Value) -> Option<Vec<u8>> {
    match value {
        Value::String(text) => Some(text.as_bytes().to_vec()),
        Value::Array(items) => match items.first() {
            Some(Value::String(_) | Value::Array(_)) => items.first().and_then(field_bytes),
            _ => items
                .iter()
                .map(|item| item.as_u64().and_then(|n| u8::try_from(n).ok()))
                .collect(),
        },
        _ => None,
    }
}

/// PRIORITY "0".."7" as a level: 0–2 Critical, 3 Error, 4 Warning, 5–6 Info, 7 Debug.
fn journal_level(value: &Value) -> Option<Level> {
    let priority = match value {
        Value::String(text) => text.parse::<u8>().ok()?,
        Value::Number(n) => u8::try_from(n.as_u64()?).ok()?,
        _ => return None,
    };
    match priority {
        0..=2 => Some(Level::Critical),
        3 => Some(Level::Error),
        4 => Some(Level::Warning),
        5 | 6 => Some(Level::Info),
        7 => Some(Level::Debug),
        _ => None,
    }
}

/// `__REALTIME_TIMESTAMP` (microseconds since the epoch, as a string) in local time.
fn journal_time(value: &Value) -> Option<NaiveDateTime> {
    let micros = match value {
        Value::String(text) => text.parse::<i64>().ok()?,
        Value::Number(n) => n.as_i64()?,
        _ => return None,
    };
    let utc = DateTime::from_timestamp_micros(micros)?;
    Some(utc.with_timezone(&Local).naive_local())
}

/// docker logs --timestamps line ("2025-07-31T19:35:27.958123456Z rest…") → ProcessLine with
/// the docker time (local) and the rest as text; a line without that prefix is kept whole.
pub fn parse_docker_line(bytes: &[u8]) -> ProcessLine {
    let head = &bytes[..bytes.len().min(48)];
    let (token, rest) = match memchr::memchr(b' ', head) {
        Some(space) => (&bytes[..space], &bytes[space + 1..]),
        None => (bytes.strip_suffix(b"\r").unwrap_or(bytes), &b""[..]),
    };
    match docker_time(token) {
        Some(timestamp) => ProcessLine {
            text: rest.to_vec(),
            timestamp: Some(timestamp),
            level: None,
            logger: None,
        },
        None => ProcessLine::plain(bytes.to_vec()),
    }
}

/// An RFC 3339 docker timestamp (`2025-07-31T19:35:27.958123456Z`) in local time.
fn docker_time(token: &[u8]) -> Option<NaiveDateTime> {
    if token.len() < 20 || token.len() > 40 || token.get(10) != Some(&b'T') {
        return None;
    }
    let text = std::str::from_utf8(token).ok()?;
    let time = DateTime::parse_from_rfc3339(text).ok()?;
    Some(time.with_timezone(&Local).naive_local())
}

/// Joins ProcessLines into entries and fills what a line lacks from its wrapper's metadata.
///
/// A line with its own timestamp (Scandy, MongoDB formats) starts an entry and keeps its own
/// time and level; the wrapper fills only what it lacks. A line without one continues the
/// entry above when it has a traceback shape (indented, empty, `Traceback (most recent call
/// last):`, `During handling of the above exception…`, `The above exception was…`, or an
/// exception line like `ValueError: …` right after an indented traceback line) — whatever its
/// journal priority. Any other line that the wrapper dated (every journal record, every
/// `docker logs --timestamps` line) is a message of its own and starts an entry, Error and
/// Critical lines included: one journal record or docker line is one write of the program,
/// and gunicorn's own `[…] [pid] [INFO] …` lines must not pile into one entry. A line the
/// wrapper did not date (non-JSON output, a docker line without prefix) joins the entry above
/// like a file line would.
#[derive(Debug)]
pub struct ProcessAssembler {
    source: u16,
    next_seq: u64,
    open: Option<LogEntry>,
    /// The open entry has a `Traceback (most recent call last):` line.
    in_traceback: bool,
    /// The open entry's last line was indented (a traceback's `File …` or code line).
    after_indented: bool,
}

impl ProcessAssembler {
    /// An assembler for lines of the given source.
    pub fn new(source: u16) -> Self {
        ProcessAssembler {
            source,
            next_seq: 0,
            open: None,
            in_traceback: false,
            after_indented: false,
        }
    }

    /// Feeds one line; returns the entry completed by it, if any.
    pub fn push(&mut self, line: ProcessLine) -> Option<LogEntry> {
        match parse_line(&line.text) {
            ParsedLine::Start(mut entry) => {
                entry.timestamp = entry.timestamp.or(line.timestamp);
                entry.level = entry.level.or(line.level);
                entry.logger = entry.logger.or(line.logger);
                self.open_entry(entry)
            }
            ParsedLine::Continuation(text) => self.continue_entry(text, line),
        }
    }

    /// The entry still open (e.g. at end of output), if any.
    pub fn finish(&mut self) -> Option<LogEntry> {
        self.open.take()
    }

    /// The open entry without closing it (for showing the newest entry while following).
    pub fn pending(&self) -> Option<&LogEntry> {
        self.open.as_ref()
    }

    /// Appends `text` to the open entry, or starts a Plain entry (see the type's rule).
    fn continue_entry(&mut self, text: String, line: ProcessLine) -> Option<LogEntry> {
        let truncated = exceeds_max_line(&line.text);
        let joins = line.timestamp.is_none() || self.has_continuation_shape(&text);
        match self.open.as_mut() {
            Some(open) if joins && open.continuation.len() < MAX_CONTINUATION_LINES => {
                self.in_traceback |= is_traceback_header(&text);
                self.after_indented = is_indented(&text);
                open.continuation.push(text);
                open.truncated |= truncated;
                None
            }
            None if text.is_empty() => None,
            _ => {
                let level = plain_line_level(&text, line.level);
                let mut plain = LogEntry::new(LogFormat::Plain, text);
                plain.truncated = truncated;
                plain.timestamp = line.timestamp;
                plain.level = level;
                plain.logger = line.logger;
                self.open_entry(plain)
            }
        }
    }

    /// Whether `text` (without its own timestamp) looks like part of the entry above.
    fn has_continuation_shape(&self, text: &str) -> bool {
        text.is_empty()
            || is_indented(text)
            || is_traceback_header(text)
            || text.starts_with("During handling of the above exception")
            || text.starts_with("The above exception was the direct cause")
            || (self.in_traceback && self.after_indented && is_exception_line(text))
    }

    /// Makes `entry` the open one and returns the one it closes.
    fn open_entry(&mut self, mut entry: LogEntry) -> Option<LogEntry> {
        entry.source = self.source;
        entry.seq = self.next_seq;
        self.next_seq += 1;
        self.in_traceback = is_traceback_header(&entry.message);
        self.after_indented = false;
        self.open.replace(entry)
    }
}

/// Words that make a line without a level of its own an error (compared in lower case).
const ERROR_WORDS: [&str; 4] = ["fehler", "error", "traceback", "no such file"];

/// The level of a command line that carries no Scandy level (Scandy's `print` output, a
/// missing `/usr/bin/mongodump`): a journal PRIORITY of warning or worse as it is; else
/// gunicorn's own `[ERROR]`-style marker; else Error when the text speaks of one (`Fehler`,
/// `Error`, `Traceback`, `No such file`) — stdout reaches the journal as PRIORITY 6
/// whatever it says; else the priority.
pub fn plain_line_level(text: &str, priority: Option<Level>) -> Option<Level> {
    if priority.is_some_and(|p| p >= Level::Warning) {
        return priority;
    }
    if let Some(marked) = bracketed_level(text) {
        return Some(marked);
    }
    let lower = text.to_lowercase();
    if ERROR_WORDS.iter().any(|word| lower.contains(word)) {
        return Some(Level::Error);
    }
    priority
}

/// A level written in brackets near the start (`[2025-…] [1234] [ERROR] …`).
fn bracketed_level(text: &str) -> Option<Level> {
    let head = &text.as_bytes()[..text.len().min(80)];
    memchr::memchr_iter(b'[', head).find_map(|open| {
        let inner = &head[open + 1..];
        let close = memchr::memchr(b']', inner)?;
        let name = &inner[..close];
        if !(4..=8).contains(&name.len()) || !name.iter().all(u8::is_ascii_alphabetic) {
            return None;
        }
        Level::parse(std::str::from_utf8(name).ok()?)
    })
}

/// A line starting with a space or tab.
fn is_indented(text: &str) -> bool {
    text.starts_with([' ', '\t'])
}

/// Python's `Traceback (most recent call last):` line.
fn is_traceback_header(text: &str) -> bool {
    text.starts_with("Traceback (most recent call last)")
}

/// `ValueError: …`, `pymongo.errors.ServerSelectionTimeoutError: …` or a bare `KeyboardInterrupt`.
pub(super) fn is_exception_line(text: &str) -> bool {
    let name = text.split_once(':').map_or(text, |(name, _)| name);
    !name.is_empty()
        && name.split('.').all(|part| {
            part.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::entry::MAX_LINE_BYTES;
    use chrono::TimeZone;

    fn local_micros(micros: i64) -> NaiveDateTime {
        Local
            .from_utc_datetime(
                &DateTime::from_timestamp_micros(micros)
                    .expect("time")
                    .naive_utc(),
            )
            .naive_local()
    }

    fn local(rfc3339: &str) -> NaiveDateTime {
        DateTime::parse_from_rfc3339(rfc3339)
            .expect("time")
            .with_timezone(&Local)
            .naive_local()
    }

    fn journal(priority: &str, micros: i64, message: &str) -> ProcessLine {
        let line = serde_json::json!({
            "__REALTIME_TIMESTAMP": micros.to_string(),
            "PRIORITY": priority,
            "SYSLOG_IDENTIFIER": "gunicorn",
            "_COMM": "python3",
            "MESSAGE": message,
        });
        parse_journal_line(line.to_string().as_bytes()).expect("journal line")
    }

    #[test]
    fn journal_string_message_and_metadata() {
        let line = br#"{"__CURSOR":"s=1","__REALTIME_TIMESTAMP":"1753990527958123","PRIORITY":"6","SYSLOG_IDENTIFIER":"gunicorn","_COMM":"python3","MESSAGE":"[2025-07-31 21:35:27 +0200] [1234] [INFO] Booting worker with pid: 1235"}"#;
        let p = parse_journal_line(line).expect("json");
        assert_eq!(
            p.text,
            b"[2025-07-31 21:35:27 +0200] [1234] [INFO] Booting worker with pid: 1235"
        );
        assert_eq!(p.timestamp, Some(local("2025-07-31T19:35:27.958123Z")));
        assert_eq!(p.timestamp, Some(local_micros(1_753_990_527_958_123)));
        assert_eq!(p.level, Some(Level::Info));
        assert_eq!(p.logger.as_deref(), Some("gunicorn"));
    }

    #[test]
    fn journal_byte_array_message_stays_raw() {
        let line = br#"{"__REALTIME_TIMESTAMP":"1753990527000000","PRIORITY":"3","_COMM":"gunicorn","MESSAGE":[27,91,51,49,109,107,97,112,117,116,116,255,32,195,164]}"#;
        let p = parse_journal_line(line).expect("json");
        assert_eq!(p.text, b"\x1b[31mkaputt\xff \xc3\xa4");
        assert_eq!(p.logger.as_deref(), Some("gunicorn"));
        assert_eq!(p.level, Some(Level::Error));
        let mut a = ProcessAssembler::new(0);
        assert!(a.push(p).is_none());
        let e = a.finish().expect("entry");
        assert_eq!(e.message, "\x1b[31mkaputt\u{fffd} ä");
        assert_eq!(e.format, LogFormat::Plain);
    }

    #[test]
    fn journal_priorities() {
        let levels: Vec<_> = (0..=8)
            .map(|p| journal(&p.to_string(), 0, "x").level)
            .collect();
        use Level::*;
        assert_eq!(
            levels,
            [
                Some(Critical),
                Some(Critical),
                Some(Critical),
                Some(Error),
                Some(Warning),
                Some(Info),
                Some(Info),
                Some(Debug),
                None
            ]
        );
        let no_priority = parse_journal_line(br#"{"MESSAGE":"m"}"#).expect("json");
        assert_eq!(no_priority, ProcessLine::plain(b"m".to_vec()));
    }

    #[test]
    fn journal_odd_fields() {
        let p = parse_journal_line(br#"{"MESSAGE":null,"_COMM":"gunicorn"}"#).expect("json");
        assert_eq!(p.text, JOURNAL_OMITTED_MESSAGE.as_bytes());
        assert_eq!(p.logger.as_deref(), Some("gunicorn"));
        let p = parse_journal_line(br#"{"MESSAGE":["first","second"]}"#).expect("json");
        assert_eq!(p.text, b"first");
        assert!(parse_journal_line(b"-- No entries --").is_none());
        assert!(parse_journal_line(b"{not json").is_none());
        assert!(parse_journal_line(b"").is_none());
    }

    #[test]
    fn docker_lines() {
        let p = parse_docker_line(b"2025-07-31T19:35:27.958123456Z [2025-07-31 19:35:27 +0000] [1] [INFO] Listening at: http://0.0.0.0:5000 (1)");
        assert_eq!(
            p.text,
            b"[2025-07-31 19:35:27 +0000] [1] [INFO] Listening at: http://0.0.0.0:5000 (1)"
        );
        assert_eq!(p.timestamp, Some(local("2025-07-31T19:35:27.958123456Z")));
        let nanos = p.timestamp.map(|t| t.and_utc().timestamp_subsec_nanos());
        assert_eq!(nanos, Some(958_123_456));
        assert_eq!((p.level, p.logger), (None, None));
        let p = parse_docker_line(b"2025-07-31T19:35:27.95812345Z   indented");
        assert_eq!(p.text, b"  indented");
        assert_eq!(p.timestamp, Some(local("2025-07-31T19:35:27.95812345Z")));
        let p = parse_docker_line(b"2025-07-31T19:35:28Z ");
        assert_eq!((p.text.as_slice(), p.timestamp.is_some()), (&b""[..], true));
        let p = parse_docker_line(b"2025-07-31T19:35:28.1Z");
        assert_eq!((p.text.as_slice(), p.timestamp.is_some()), (&b""[..], true));
        for whole in [
            &b"no prefix here"[..],
            b"2025-07-31 21:35:27,958 - INFO - Scandy",
            b"2025-13-31T19:35:27.958Z bad month",
            b"",
        ] {
            assert_eq!(parse_docker_line(whole), ProcessLine::plain(whole.to_vec()));
        }
    }

    const TRACEBACK: [&str; 6] = [
        "Traceback (most recent call last):",
        "  File \"/opt/scandy/app/routes/tools.py\", line 212, in index",
        "    tools = list(db.tools.find())",
        "  File \"/usr/lib/python3/dist-packages/pymongo/cursor.py\", line 1248, in next",
        "    raise StopIteration",
        "ValueError: ungültige Eingabe",
    ];

    #[test]
    fn traceback_of_error_lines_joins() {
        let mut a = ProcessAssembler::new(4);
        let base = 1_753_990_527_958_000;
        for (i, text) in TRACEBACK.iter().enumerate() {
            assert!(a.push(journal("3", base + i as i64 * 1000, text)).is_none());
        }
        let e = a.finish().expect("entry");
        assert_eq!(e.message, TRACEBACK[0]);
        assert_eq!(e.continuation, TRACEBACK[1..]);
        assert_eq!(e.continuation.len(), 5);
        assert_eq!(e.timestamp, Some(local_micros(base)));
        assert_eq!(e.level, Some(Level::Error));
        assert_eq!(e.logger.as_deref(), Some("gunicorn"));
        assert_eq!((e.source, e.seq, e.format), (4, 0, LogFormat::Plain));
    }

    #[test]
    fn error_priority_lines_start_entries_but_tracebacks_join() {
        let mut a = ProcessAssembler::new(0);
        let mut out = Vec::new();
        out.extend(a.push(journal("6", 1, "[1] [INFO] Booting worker with pid: 7")));
        out.extend(a.push(journal("6", 2, "[1] [INFO] Booting worker with pid: 8")));
        out.extend(a.push(journal(
            "3",
            3,
            "[7] [ERROR] Error handling request /tools/",
        )));
        for text in TRACEBACK {
            out.extend(a.push(journal("3", 4, text)));
        }
        out.extend(a.push(journal("3", 5, "Fehler: Datenbank nicht erreichbar")));
        out.extend(a.push(journal("2", 6, "KeyError: 'x'")));
        out.extend(a.finish());
        let shape: Vec<_> = out
            .iter()
            .map(|e| (e.message.as_str(), e.continuation.len(), e.level))
            .collect();
        assert_eq!(
            shape,
            [
                (
                    "[1] [INFO] Booting worker with pid: 7",
                    0,
                    Some(Level::Info)
                ),
                (
                    "[1] [INFO] Booting worker with pid: 8",
                    0,
                    Some(Level::Info)
                ),
                (
                    "[7] [ERROR] Error handling request /tools/",
                    6,
                    Some(Level::Error)
                ),
                ("Fehler: Datenbank nicht erreichbar", 0, Some(Level::Error)),
                ("KeyError: 'x'", 0, Some(Level::Critical)),
            ]
        );
        assert_eq!(out[2].timestamp, Some(local_micros(3)));
        assert_eq!(
            out.iter().map(|e| e.seq).collect::<Vec<_>>(),
            [0, 1, 2, 3, 4]
        );
    }

    #[test]
    fn scandy_message_keeps_its_own_time_and_level() {
        let mut a = ProcessAssembler::new(0);
        let text = "2025-07-31 21:35:27,958 - WARNING - Statische Datei nicht gefunden: /static/js/delete.js - IP: 192.168.178.50";
        assert!(a.push(journal("3", 1_000_000, text)).is_none());
        let e = a.finish().expect("entry");
        assert_eq!(e.format, LogFormat::ScandyApp);
        assert_eq!(
            e.timestamp,
            NaiveDateTime::parse_from_str("2025-07-31 21:35:27.958", "%Y-%m-%d %H:%M:%S%.3f").ok()
        );
        assert_eq!(e.level, Some(Level::Warning));
        assert_eq!(
            e.logger.as_deref(),
            Some("gunicorn"),
            "filled from the journal"
        );
        assert!(e.message.starts_with("Statische Datei"));
    }

    #[test]
    fn undated_lines_join_like_file_lines() {
        let mut a = ProcessAssembler::new(0);
        assert!(
            a.push(ProcessLine::plain(Vec::new())).is_none(),
            "leading empty line"
        );
        assert!(a.push(ProcessLine::plain(b"first".to_vec())).is_none());
        assert!(a.push(ProcessLine::plain(b"second".to_vec())).is_none());
        let e = a.finish().expect("entry");
        assert_eq!((e.message.as_str(), e.continuation.len()), ("first", 1));
        assert_eq!(e.timestamp, None);
    }

    #[test]
    fn lines_without_a_level_that_speak_of_errors_are_errors() {
        let cases = [
            (
                "Fehler bei MongoDB-Initialisierung: timed out",
                "6",
                Some(Level::Error),
            ),
            (
                "/bin/sh: 1: /usr/bin/mongodump: No such file or directory",
                "6",
                Some(Level::Error),
            ),
            (
                "Traceback (most recent call last):",
                "6",
                Some(Level::Error),
            ),
            (
                "pymongo.errors.ServerSelectionTimeoutError: x",
                "6",
                Some(Level::Error),
            ),
            ("✅ MongoDB-Verbindung hergestellt", "6", Some(Level::Info)),
            (
                "[2025-07-31 21:35:27 +0200] [7] [INFO] Booting worker with pid: 7 (error-free)",
                "6",
                Some(Level::Info),
            ),
            (
                "[2025-07-31 21:35:27 +0200] [7] [CRITICAL] WORKER TIMEOUT (pid:8)",
                "6",
                Some(Level::Critical),
            ),
            ("Speicher knapp", "4", Some(Level::Warning)),
            ("Fehler, aber nur eine Warnung", "4", Some(Level::Warning)),
        ];
        for (text, priority, want) in cases {
            let mut a = ProcessAssembler::new(0);
            assert!(a.push(journal(priority, 1, text)).is_none());
            assert_eq!(a.finish().and_then(|e| e.level), want, "{text}");
        }
        assert_eq!(plain_line_level("Error: boom", None), Some(Level::Error));
        assert_eq!(plain_line_level("alles gut", None), None);
        let docker =
            parse_docker_line(b"2025-07-31T19:35:27.958Z Fehler bei MongoDB-Initialisierung");
        let mut a = ProcessAssembler::new(0);
        assert!(a.push(docker).is_none());
        assert_eq!(a.finish().and_then(|e| e.level), Some(Level::Error));
    }

    #[test]
    fn overlong_message_is_cut_and_marked() {
        let long = "x".repeat(MAX_LINE_BYTES + 10);
        let mut a = ProcessAssembler::new(0);
        assert!(a.push(journal("6", 1, &long)).is_none());
        assert!(a.push(journal("6", 2, &format!("  {long}"))).is_none());
        let e = a.finish().expect("entry");
        assert!(e.truncated);
        assert!(e.message.len() < MAX_LINE_BYTES + 32);
        assert!(e.continuation[0].len() < MAX_LINE_BYTES + 32);
    }
}
