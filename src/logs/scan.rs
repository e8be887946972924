//! Reads whole log files forward, joining and filtering entries without keeping them:
//! `scandyctl logs --count` (a file together with its rotations, oldest first; a record
//! Scandy wrote twice counts once) and the throughput benchmark.

use std::io::{self, Read};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use super::assemble::EntryAssembler;
use super::entry::{LogEntry, MAX_LINE_BYTES};
use super::filter::EntryFilter;
use super::history::{open_text, rotations};
use super::repeats::RepeatTracker;
use super::sources::LogSource;

/// Size of one read.
const CHUNK: usize = 1 << 20;

/// What a scan found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScanCount {
    /// Entries read (tracebacks count once, a repeated record once).
    pub entries: u64,
    /// Entries that passed the filter.
    pub matching: u64,
    /// Bytes read (after gunzipping).
    pub bytes: u64,
    /// Entries left out as the repeat of the entry before (Scandy's doubled `Request:` lines).
    pub repeats: u64,
    /// Files read.
    pub files: u64,
}

impl ScanCount {
    /// Adds another scan's numbers to these.
    pub fn add(&mut self, other: &ScanCount) {
        self.entries += other.entries;
        self.matching += other.matching;
        self.bytes += other.bytes;
        self.repeats += other.repeats;
        self.files += other.files;
    }
}

/// Counts entries of one log, across the files it is read from.
struct Counter<'f> {
    filter: &'f EntryFilter,
    count: ScanCount,
    repeats: RepeatTracker,
}

impl Counter<'_> {
    fn tally(&mut self, entry: LogEntry) {
        let matches = self.filter.matches(&entry);
        if self.repeats.is_repeat(entry) {
            self.count.repeats += 1;
            return;
        }
        self.count.entries += 1;
        if matches {
            self.count.matching += 1;
        }
    }

    /// Reads everything `reader` yields as lines of `source`.
    fn read_all(&mut self, mut reader: impl Read, source: u16) -> io::Result<()> {
        let mut assembler = EntryAssembler::new(source);
        let mut buffer = vec![0u8; CHUNK];
        let mut carry: Vec<u8> = Vec::new();
        self.count.files += 1;
        loop {
            let read = match reader.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => n,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(err),
            };
            self.count.bytes += read as u64;
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
                    self.tally(entry);
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
            self.tally(entry);
        }
        if let Some(entry) = assembler.finish() {
            self.tally(entry);
        }
        Ok(())
    }

    /// Reads one file (gunzipped when it ends in `.gz`); errors name the file.
    fn read_file(&mut self, path: &Path, source: u16) -> io::Result<()> {
        let reader = open_text(path)?;
        self.read_all(reader, source)
            .map_err(|err| io::Error::new(err.kind(), format!("{}: {err}", path.display())))
    }
}

/// Counts the entries of `path` (as source `source`) and those passing `filter`.
pub fn count_matching(path: &Path, source: u16, filter: &EntryFilter) -> io::Result<ScanCount> {
    let mut counter = Counter {
        filter,
        count: ScanCount::default(),
        repeats: RepeatTracker::default(),
    };
    counter.read_file(path, source)?;
    Ok(counter.count)
}

/// Counts a source's file together with its rotations, read in history order (oldest
/// rotation first, the file last). Files whose device and inode are in `counted` are left
/// out and every file read is added to it, so no file is counted twice across sources.
pub fn count_with_rotations(
    source: &LogSource,
    filter: &EntryFilter,
    counted: &mut Vec<(u64, u64)>,
) -> io::Result<ScanCount> {
    let mut counter = Counter {
        filter,
        count: ScanCount::default(),
        repeats: RepeatTracker::default(),
    };
    let mut files = rotations(&source.path);
    files.reverse();
    files.push(source.path.clone());
    for path in files {
        let metadata = std::fs::metadata(&path)
            .map_err(|err| io::Error::new(err.kind(), format!("{}: {err}", path.display())))?;
        let id = (metadata.dev(), metadata.ino());
        if counted.contains(&id) {
            continue;
        }
        counted.push(id);
        counter.read_file(&path, source.id)?;
    }
    Ok(counter.count)
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

    #[test]
    fn rotations_count_oldest_first_once_and_repeats_once() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let line = |i: u32| {
            format!(
                "2025-07-31 21:35:{:02},000 - INFO - Request: GET /{i}\n",
                i % 60
            )
        };
        let write = |name: &str, from: u32, to: u32| {
            let text: String = (from..to).map(line).collect();
            std::fs::write(dir.path().join(name), text).unwrap();
        };
        write("app.log", 20, 30);
        write("app.log.1", 10, 20);
        let gz = std::fs::File::create(dir.path().join("app.log.2.gz")).unwrap();
        let mut enc = flate2::write::GzEncoder::new(gz, flate2::Compression::fast());
        for i in 0..10 {
            enc.write_all(line(i).as_bytes()).unwrap();
            enc.write_all(line(i).as_bytes()).unwrap();
        }
        enc.finish().unwrap();
        // The last line of app.log.1 written again as the first of app.log: one record.
        let current = format!(
            "{}{}",
            line(19),
            std::fs::read_to_string(dir.path().join("app.log")).unwrap()
        );
        std::fs::write(dir.path().join("app.log"), current).unwrap();
        let source = |id: u16, name: &str| LogSource {
            id,
            name: name.into(),
            path: dir.path().join(name),
        };
        let everything = EntryFilter::default();
        let mut counted = Vec::new();
        let count = count_with_rotations(&source(0, "app.log"), &everything, &mut counted).unwrap();
        assert_eq!(
            (count.entries, count.matching, count.repeats, count.files),
            (30, 30, 11, 3)
        );
        let again =
            count_with_rotations(&source(1, "app.log.1"), &everything, &mut counted).unwrap();
        assert_eq!(
            (again.entries, again.files),
            (0, 0),
            "app.log.1 was counted already"
        );
        let mut fresh = Vec::new();
        let alone = count_with_rotations(&source(1, "app.log.1"), &everything, &mut fresh).unwrap();
        assert_eq!((alone.entries, alone.files), (10, 1));
        let gz = count_matching(&dir.path().join("app.log.2.gz"), 0, &everything).unwrap();
        assert_eq!((gz.entries, gz.repeats), (10, 10));
    }
}
