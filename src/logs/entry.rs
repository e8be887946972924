//! One log entry (a first line plus its continuation lines) and its severity.

use chrono::NaiveDateTime;
use serde::Serialize;

pub use super::fields::{FieldValue, Fields};

/// Longest line kept whole; longer lines are cut at a char boundary and marked.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// Appended to a line that was cut at [`MAX_LINE_BYTES`].
pub const TRUNCATION_MARKER: &str = " …[truncated]";

/// Severity of an entry (Python logging levels plus MongoDB's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Python DEBUG, MongoDB D1..D5.
    Debug,
    /// Python INFO, MongoDB I.
    Info,
    /// Python WARNING/WARN, MongoDB W.
    Warning,
    /// Python ERROR, MongoDB E.
    Error,
    /// Python CRITICAL/FATAL, MongoDB F.
    Critical,
}

impl Level {
    /// Reads a level name (case-insensitive) or a MongoDB severity code ("I", "W", "D2" …).
    pub fn parse(text: &str) -> Option<Level> {
        let bytes = text.as_bytes();
        if bytes.len() <= 2 {
            return Self::parse_mongo_code(bytes);
        }
        if bytes.len() > 8 {
            return None;
        }
        const NAMES: [(&str, Level); 7] = [
            ("INFO", Level::Info),
            ("WARNING", Level::Warning),
            ("ERROR", Level::Error),
            ("DEBUG", Level::Debug),
            ("CRITICAL", Level::Critical),
            ("WARN", Level::Warning),
            ("FATAL", Level::Critical),
        ];
        NAMES
            .iter()
            .find(|(name, _)| name.len() == bytes.len() && name.eq_ignore_ascii_case(text))
            .map(|&(_, level)| level)
    }

    /// MongoDB's one- or two-letter severity codes.
    fn parse_mongo_code(code: &[u8]) -> Option<Level> {
        match code {
            [b'I' | b'i'] => Some(Level::Info),
            [b'W' | b'w'] => Some(Level::Warning),
            [b'E' | b'e'] => Some(Level::Error),
            [b'F' | b'f'] => Some(Level::Critical),
            [b'D' | b'd'] | [b'D' | b'd', b'1'..=b'5'] => Some(Level::Debug),
            _ => None,
        }
    }

    /// The canonical upper-case name ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL").
    pub fn label(self) -> &'static str {
        match self {
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warning => "WARNING",
            Level::Error => "ERROR",
            Level::Critical => "CRITICAL",
        }
    }
}

/// Which format a line was recognised as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// `asctime - LEVEL - message` (Scandy's app.log).
    ScandyApp,
    /// `asctime - name - LEVEL - message` (Scandy's specialised logs).
    ScandyNamed,
    /// `[dd.mm.YYYY HH:MM:SS] message` (auto_backup.log).
    AutoBackup,
    /// MongoDB 4.4+ structured JSON log line.
    MongoJson,
    /// Legacy MongoDB text: `2025-07-31T21:35:27.958+0200 I NETWORK  [conn1] message`.
    MongoText,
    /// No recognised timestamp (text before the first entry, or overflow).
    Plain,
}

/// One log entry: a first line plus continuation lines (traceback) joined.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogEntry {
    /// Index of the source (file/unit) it came from; the caller assigns it.
    pub source: u16,
    /// Local time as written (MongoDB JSON/text times are converted to local time).
    pub timestamp: Option<NaiveDateTime>,
    /// Severity, when the format carries one.
    pub level: Option<Level>,
    /// Logger name ("scandy.security") or MongoDB component ("NETWORK").
    pub logger: Option<String>,
    /// The first line's message part, raw (not escaped; the renderer escapes).
    pub message: String,
    /// Following lines without a timestamp (traceback), raw.
    pub continuation: Vec<String>,
    /// Which format the first line was recognised as.
    pub format: LogFormat,
    /// Some line of this entry was cut at [`MAX_LINE_BYTES`].
    pub truncated: bool,
    /// Arrival order within its source (for a stable merge).
    pub seq: u64,
    /// Structured fields of the message (a security event's dict), empty for most entries.
    #[serde(skip_serializing_if = "Fields::is_empty")]
    pub fields: Fields,
}

impl LogEntry {
    /// An entry of the given format with no timestamp, level or continuation yet.
    pub fn new(format: LogFormat, message: String) -> Self {
        LogEntry {
            source: 0,
            timestamp: None,
            level: None,
            logger: None,
            message,
            continuation: Vec::new(),
            format,
            truncated: false,
            seq: 0,
            fields: Fields::default(),
        }
    }

    /// Appends a line without a timestamp. The first such line of an entry whose message is
    /// empty becomes its message (Scandy's start-up entry `INFO - ` + `=== ANWENDUNGSSTART ===`),
    /// unless it opens a traceback (indented or `Traceback …`).
    pub fn push_continuation(&mut self, text: String) {
        let promotes = self.continuation.is_empty()
            && self.format != LogFormat::Plain
            && self.message.trim().is_empty()
            && !text.trim().is_empty()
            && !text.starts_with([' ', '\t'])
            && !text.starts_with("Traceback (most recent call last)");
        if promotes {
            self.message = text;
        } else {
            self.continuation.push(text);
        }
    }

    /// Whether continuation lines follow the first line.
    pub fn is_multiline(&self) -> bool {
        !self.continuation.is_empty()
    }

    /// Number of lines: the first line plus continuation lines.
    pub fn line_count(&self) -> usize {
        1 + self.continuation.len()
    }

    /// The message followed by the continuation lines, joined with '\n'.
    pub fn full_text(&self) -> String {
        let extra: usize = self.continuation.iter().map(|l| l.len() + 1).sum();
        let mut text = String::with_capacity(self.message.len() + extra);
        text.push_str(&self.message);
        for line in &self.continuation {
            text.push('\n');
            text.push_str(line);
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_names_and_codes() {
        assert_eq!(Level::parse("INFO"), Some(Level::Info));
        assert_eq!(Level::parse("warning"), Some(Level::Warning));
        assert_eq!(Level::parse("Warn"), Some(Level::Warning));
        assert_eq!(Level::parse("ERROR"), Some(Level::Error));
        assert_eq!(Level::parse("critical"), Some(Level::Critical));
        assert_eq!(Level::parse("FATAL"), Some(Level::Critical));
        assert_eq!(Level::parse("DEBUG"), Some(Level::Debug));
        assert_eq!(Level::parse("D3"), Some(Level::Debug));
        assert_eq!(Level::parse("I"), Some(Level::Info));
        assert_eq!(Level::parse("W"), Some(Level::Warning));
        assert_eq!(Level::parse("E"), Some(Level::Error));
        assert_eq!(Level::parse("F"), Some(Level::Critical));
        assert_eq!(Level::parse("D6"), None);
        assert_eq!(Level::parse("X"), None);
        assert_eq!(Level::parse(""), None);
        assert_eq!(Level::parse("scandy.security"), None);
        assert_eq!(Level::parse("INFORMATION"), None);
    }

    #[test]
    fn level_order_and_labels() {
        assert!(Level::Debug < Level::Info);
        assert!(Level::Info < Level::Warning);
        assert!(Level::Warning < Level::Error);
        assert!(Level::Error < Level::Critical);
        let labels: Vec<_> = [
            Level::Debug,
            Level::Info,
            Level::Warning,
            Level::Error,
            Level::Critical,
        ]
        .iter()
        .map(|l| l.label())
        .collect();
        assert_eq!(labels, ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]);
        assert_eq!(
            serde_json::to_string(&Level::Warning).ok().as_deref(),
            Some("\"warning\"")
        );
    }

    #[test]
    fn entry_text_helpers() {
        let mut e = LogEntry::new(LogFormat::Plain, "Fehler: Ä".into());
        assert!(!e.is_multiline());
        assert_eq!(e.line_count(), 1);
        assert_eq!(e.full_text(), "Fehler: Ä");
        e.continuation = vec!["  a".into(), "b".into()];
        assert!(e.is_multiline());
        assert_eq!(e.line_count(), 3);
        assert_eq!(e.full_text(), "Fehler: Ä\n  a\nb");
    }

    #[test]
    fn first_line_after_an_empty_message_becomes_the_message() {
        let mut start = LogEntry::new(LogFormat::ScandyApp, String::new());
        start.push_continuation("=== ANWENDUNGSSTART ===".into());
        start.push_continuation("second".into());
        assert_eq!(start.message, "=== ANWENDUNGSSTART ===");
        assert_eq!(start.continuation, ["second"]);
        for opener in ["Traceback (most recent call last):", "  File \"x.py\"", ""] {
            let mut e = LogEntry::new(LogFormat::ScandyApp, " ".into());
            e.push_continuation(opener.into());
            assert_eq!(
                (e.message.as_str(), e.continuation.len()),
                (" ", 1),
                "{opener:?}"
            );
        }
        let mut plain = LogEntry::new(LogFormat::Plain, String::new());
        plain.push_continuation("x".into());
        assert_eq!(plain.continuation, ["x"]);
    }
}
