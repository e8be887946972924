//! Joins lines into entries: a line without a timestamp belongs to the entry above it.

use super::entry::{LogEntry, LogFormat};
use super::parse::{ParsedLine, exceeds_max_line, parse_line};
use super::tail::RawLine;

/// Most continuation lines one entry takes; further lines start Plain entries.
pub const MAX_CONTINUATION_LINES: usize = 1000;

/// Joins lines of one source into entries, assigning `source` and an increasing `seq`.
#[derive(Debug)]
pub struct EntryAssembler {
    source: u16,
    next_seq: u64,
    open: Option<LogEntry>,
}

impl EntryAssembler {
    /// An assembler for lines of the given source.
    pub fn new(source: u16) -> Self {
        EntryAssembler {
            source,
            next_seq: 0,
            open: None,
        }
    }

    /// Feeds one line (without its '\n'); returns the entry completed by it, if any.
    ///
    /// Empty lines before the first entry are skipped; after it they are continuation lines.
    pub fn push(&mut self, line: &[u8]) -> Option<LogEntry> {
        match parse_line(line) {
            ParsedLine::Start(entry) => self.open_entry(entry),
            ParsedLine::Continuation(text) => self.continue_entry(text, exceeds_max_line(line)),
        }
    }

    /// The entry still open (e.g. at end of input), if any.
    pub fn finish(&mut self) -> Option<LogEntry> {
        self.open.take()
    }

    /// The open entry without closing it (for showing the newest entry while following).
    pub fn pending(&self) -> Option<&LogEntry> {
        self.open.as_ref()
    }

    /// Makes `entry` the open one and returns the one it closes.
    fn open_entry(&mut self, mut entry: LogEntry) -> Option<LogEntry> {
        entry.source = self.source;
        entry.seq = self.next_seq;
        self.next_seq += 1;
        self.open.replace(entry)
    }

    /// Appends a line to the open entry, or starts a Plain entry when there is none or it is full.
    fn continue_entry(&mut self, text: String, truncated: bool) -> Option<LogEntry> {
        match self.open.as_mut() {
            Some(open) if open.continuation.len() < MAX_CONTINUATION_LINES => {
                open.push_continuation(text);
                open.truncated |= truncated;
                None
            }
            None if text.is_empty() => None,
            _ => {
                let mut plain = LogEntry::new(LogFormat::Plain, text);
                plain.truncated = truncated;
                self.open_entry(plain)
            }
        }
    }
}

/// Splits `text` on '\n' and assembles all entries of one source (for tests and headless use).
pub fn assemble_all(source: u16, text: &[u8]) -> Vec<LogEntry> {
    let mut assembler = EntryAssembler::new(source);
    let mut entries = Vec::new();
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', text) {
        entries.extend(assembler.push(&text[start..end]));
        start = end + 1;
    }
    if start < text.len() {
        entries.extend(assembler.push(&text[start..]));
    }
    entries.extend(assembler.finish());
    entries
}

/// Joins `raw` (read from byte offset `start`) into entries. When `start > 0`, leading
/// lines that continue an entry whose first line lies before `start` are left for the next
/// older read (unless no line of the chunk starts an entry); returns the entries and the
/// offset of the first line used.
pub fn assemble_from(source: u16, raw: &[RawLine], start: u64) -> (Vec<LogEntry>, u64) {
    // A chunk without any entry start (a binary or foreign file) is shown as it is.
    let skip = if start > 0 {
        raw.iter()
            .position(|l| matches!(parse_line(l), ParsedLine::Start(_)))
            .unwrap_or(0)
    } else {
        0
    };
    let skipped: u64 = raw[..skip].iter().map(|l| l.len() as u64 + 1).sum();
    let mut assembler = EntryAssembler::new(source);
    let mut entries: Vec<LogEntry> = raw[skip..]
        .iter()
        .filter_map(|line| assembler.push(line))
        .collect();
    entries.extend(assembler.finish());
    (entries, start + skipped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::entry::{Level, MAX_LINE_BYTES, TRUNCATION_MARKER};

    const APP: &str = "\
2025-07-31 21:35:27,958 - INFO - Request: GET http://192.168.178.56:5000/workers/ - IP: 192.168.178.50
2025-07-31 21:35:28,100 - ERROR - Fehler beim Laden der Werkzeuge
Traceback (most recent call last):
  File \"/opt/scandy/app/routes/tools.py\", line 212, in index
    tools = list(db.tools.find())
ValueError: ungültige Eingabe
2025-07-31 21:35:29,000 - INFO - Übersicht geladen
";

    #[test]
    fn traceback_joins_the_entry_above() {
        let entries = assemble_all(3, APP.as_bytes());
        assert_eq!(entries.len(), 3);
        assert_eq!(entries.iter().map(|e| e.seq).collect::<Vec<_>>(), [0, 1, 2]);
        assert!(entries.iter().all(|e| e.source == 3));
        assert_eq!(entries[1].level, Some(Level::Error));
        assert_eq!(entries[1].continuation.len(), 4);
        assert_eq!(entries[1].continuation[3], "ValueError: ungültige Eingabe");
        assert_eq!(entries[2].message, "Übersicht geladen");
        assert_eq!(entries[2].continuation.len(), 0);
    }

    #[test]
    fn push_returns_the_closed_entry_and_pending_shows_the_open_one() {
        let mut a = EntryAssembler::new(1);
        assert!(a.push(b"").is_none(), "leading empty line is skipped");
        assert!(a.push(b"2025-07-31 21:35:28,100 - ERROR - boom").is_none());
        assert!(a.push(b"Traceback (most recent call last):").is_none());
        assert_eq!(a.pending().map(|e| e.continuation.len()), Some(1));
        let closed = a.push(b"2025-07-31 21:35:29,000 - INFO - next");
        assert_eq!(
            closed.map(|e| (e.message, e.seq)),
            Some(("boom".to_string(), 0))
        );
        assert_eq!(a.pending().map(|e| e.seq), Some(1));
        assert_eq!(a.finish().map(|e| e.message), Some("next".to_string()));
        assert!(a.finish().is_none());
        assert!(a.pending().is_none());
    }

    #[test]
    fn lines_before_the_first_entry_become_plain() {
        let text =
            "  File \"x.py\", line 1, in f\nKeyError: 'a'\n2025-07-31 21:35:29,000 - INFO - ok\n";
        let entries = assemble_all(0, text.as_bytes());
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].format, LogFormat::Plain);
        assert_eq!(entries[0].timestamp, None);
        assert_eq!(entries[0].message, "  File \"x.py\", line 1, in f");
        assert_eq!(entries[0].continuation, ["KeyError: 'a'"]);
        assert_eq!(entries[1].seq, 1);
    }

    #[test]
    fn start_up_entry_takes_its_next_line_as_message() {
        let text = "2025-07-31 21:35:27,958 - INFO - \n=== ANWENDUNGSSTART ===\n\
2025-07-31 21:35:28,000 - ERROR - \nTraceback (most recent call last):\nKeyError: 'a'\n";
        let entries = assemble_all(0, text.as_bytes());
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].message, "=== ANWENDUNGSSTART ===");
        assert!(entries[0].continuation.is_empty());
        assert_eq!(entries[0].level, Some(Level::Info));
        assert_eq!(entries[1].message, "");
        assert_eq!(entries[1].continuation.len(), 2);
    }

    #[test]
    fn crlf_and_missing_final_newline() {
        let text =
            b"2025-07-31 21:35:27,958 - INFO - a\r\n  b\r\n2025-07-31 21:35:28,958 - INFO - c";
        let entries = assemble_all(0, text);
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].message, "a");
        assert_eq!(entries[0].continuation, ["  b"]);
        assert_eq!(entries[1].message, "c");
    }

    #[test]
    fn runaway_continuation_is_split() {
        let mut text = b"2025-07-31 21:35:27,958 - ERROR - start\n".to_vec();
        for i in 0..2500 {
            text.extend_from_slice(format!("line {i}\n").as_bytes());
        }
        let entries = assemble_all(0, &text);
        let counts: Vec<_> = entries.iter().map(|e| e.continuation.len()).collect();
        assert_eq!(counts, [1000, 1000, 498]);
        assert_eq!(entries[1].format, LogFormat::Plain);
        assert_eq!(entries[1].message, "line 1000");
        assert_eq!(entries[2].message, "line 2001");
        assert_eq!(entries.iter().map(|e| e.line_count()).sum::<usize>(), 2501);
    }

    #[test]
    fn binary_input_does_not_hang_and_stays_raw() {
        let mut bin = Vec::new();
        for i in 0..200_000u32 {
            bin.push((i.wrapping_mul(2_654_435_761) >> 24) as u8);
        }
        bin.extend_from_slice(b"\x00\x00\x1b[2J\xff");
        let entries = assemble_all(0, &bin);
        let lines: usize = entries.iter().map(|e| e.line_count()).sum();
        let newlines = bin.iter().filter(|&&b| b == b'\n').count();
        assert!(
            lines == newlines || lines == newlines + 1,
            "{lines} vs {newlines}"
        );
        assert!(
            entries
                .iter()
                .all(|e| e.continuation.len() <= MAX_CONTINUATION_LINES)
        );
        let last = entries.last().map(|e| e.full_text()).unwrap_or_default();
        assert!(last.ends_with("\0\0\x1b[2J\u{fffd}"), "{last:?}");
    }

    #[test]
    fn overlong_continuation_marks_the_entry() {
        let mut text = b"2025-07-31 21:35:27,958 - ERROR - start\n".to_vec();
        text.extend(std::iter::repeat_n(b'y', 100 * 1024));
        text.push(b'\n');
        let entries = assemble_all(0, &text);
        assert_eq!(entries.len(), 1);
        assert!(entries[0].truncated);
        assert!(entries[0].continuation[0].ends_with(TRUNCATION_MARKER));
        assert_eq!(
            entries[0].continuation[0].len(),
            MAX_LINE_BYTES + TRUNCATION_MARKER.len()
        );
    }
}
