//! Reads a whole log file forward, joining and filtering entries without keeping them:
//! `scandyctl logs --count` and the throughput benchmark.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use super::assemble::EntryAssembler;
use super::entry::MAX_LINE_BYTES;
use super::filter::EntryFilter;

/// Size of one read.
const CHUNK: usize = 1 << 20;

/// What a scan found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScanCount {
    /// Entries read (tracebacks count once).
    pub entries: u64,
    /// Entries that passed the filter.
    pub matching: u64,
    /// Bytes read.
    pub bytes: u64,
}

/// Counts the entries of `path` (as source `source`) and those passing `filter`.
pub fn count_matching(path: &Path, source: u16, filter: &EntryFilter) -> io::Result<ScanCount> {
    let mut file = File::open(path)
        .map_err(|err| io::Error::new(err.kind(), format!("{}: {err}", path.display())))?;
    let mut count = ScanCount::default();
    let mut assembler = EntryAssembler::new(source);
    let tally = |entry: super::entry::LogEntry, count: &mut ScanCount| {
        count.entries += 1;
        if filter.matches(&entry) {
            count.matching += 1;
        }
    };
    let mut buffer = vec![0u8; CHUNK];
    let mut carry: Vec<u8> = Vec::new();
    loop {
        let read = file
            .read(&mut buffer)
            .map_err(|err| io::Error::new(err.kind(), format!("{}: {err}", path.display())))?;
        if read == 0 {
            break;
        }
        count.bytes += read as u64;
        let mut rest = &buffer[..read];
        while let Some(end) = memchr::memchr(b'\n', rest) {
            let line = &rest[..end];
            let finished = if carry.is_empty() {
                assembler.push(line)
            } else {
                carry.extend_from_slice(line);
                let done = assembler.push(&carry);
                carry.clear();
                done
            };
            if let Some(entry) = finished {
                tally(entry, &mut count);
            }
            rest = &rest[end + 1..];
        }
        if carry.len() < MAX_LINE_BYTES + 1 {
            let room = MAX_LINE_BYTES + 1 - carry.len();
            carry.extend_from_slice(&rest[..rest.len().min(room)]);
        }
    }
    if !carry.is_empty()
        && let Some(entry) = assembler.push(&carry)
    {
        tally(entry, &mut count);
    }
    if let Some(entry) = assembler.finish() {
        tally(entry, &mut count);
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_entries_across_chunk_boundaries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        let mut text = String::new();
        for i in 0..50_000 {
            text.push_str(&format!(
                "2025-07-31 21:35:27,958 - ERROR - Fehler {i}\nTraceback (most recent call last):\n  File \"x.py\", line {i}\n"
            ));
            text.push_str(&format!(
                "2025-07-31 21:35:28,000 - INFO - Request: GET /tools/{i} - IP: 10.0.0.1\n"
            ));
        }
        text.push_str("2025-07-31 21:35:29,000 - INFO - no newline at the end");
        std::fs::write(&path, &text).unwrap();
        let filter = EntryFilter {
            min_level: Some(super::super::entry::Level::Error),
            sources: None,
            since: None,
            until: None,
            pattern: None,
        };
        let count = count_matching(&path, 0, &filter).unwrap();
        assert_eq!(count.entries, 100_001);
        assert_eq!(count.matching, 50_000);
        assert_eq!(count.bytes, text.len() as u64);
        let grep = EntryFilter {
            min_level: None,
            pattern: Some(regex::Regex::new("tools/4999[0-9]").unwrap()),
            ..filter
        };
        assert_eq!(count_matching(&path, 0, &grep).unwrap().matching, 10);
    }
}
