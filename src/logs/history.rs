//! History above the followed file: listing a log's numbered rotations (`app.log.1`,
//! `app.log.2.gz`, …) newest first, reading one of them (gunzipped when needed), and
//! [`OlderEntries`], which pages backwards through a file and then its rotations.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;

use super::assemble::assemble_from;
use super::entry::LogEntry;
use super::tail::{LineSplitter, RawLine, read_last_lines, read_lines_before};

/// The rotations of `path` newest first: `app.log.1`, `app.log.2`, …, also `app.log.1.gz` etc. (numeric order, not lexical: .10 after .9), existing files only.
pub fn rotations(path: &Path) -> Vec<PathBuf> {
    let Some(base) = path.file_name().and_then(|n| n.to_str()) else {
        return Vec::new();
    };
    let dir = parent_dir(path);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<(u64, bool, PathBuf)> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name();
            let (index, gz) = rotation_index(base, name.to_str()?)?;
            Some((index, gz, e.path()))
        })
        .filter(|(_, _, p)| p.is_file())
        .collect();
    found.sort_by_key(|(index, gz, _)| (*index, *gz));
    found.into_iter().map(|(_, _, p)| p).collect()
}

/// The directory holding `path` (`.` for a bare file name).
pub(crate) fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// `Some((N, gz))` when `name` is `base.N` or `base.N.gz`.
fn rotation_index(base: &str, name: &str) -> Option<(u64, bool)> {
    let rest = name.strip_prefix(base)?.strip_prefix('.')?;
    let (digits, gz) = match rest.strip_suffix(".gz") {
        Some(d) => (d, true),
        None => (rest, false),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((digits.parse().ok()?, gz))
}

/// Whether `path` names a gzip-compressed log (`app.log.2.gz`).
pub fn is_compressed(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "gz")
}

/// Opens a log for reading its text: gunzipped when it ends in `.gz`.
pub fn open_text(path: &Path) -> io::Result<Box<dyn Read + Send>> {
    let file = File::open(path).map_err(|e| with_path(path, e))?;
    Ok(if is_compressed(path) {
        Box::new(MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    })
}

/// Prefixes an io error's message with the path it concerns.
fn with_path(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// All lines of one rotated file (transparently gunzipped when it ends in `.gz`); capped at `max_lines` (keep the LAST max_lines) so a huge file cannot exhaust memory.
pub fn read_rotation(path: &Path, max_lines: usize) -> io::Result<Vec<RawLine>> {
    let reader = open_text(path)?;
    last_lines_of(reader, max_lines).map_err(|e| with_path(path, e))
}

/// The newest `n` lines of a log and the byte offset where the first starts: read backwards
/// from the end of a plain file; a `.gz` file is gunzipped whole (offset 0: nothing older in it).
pub fn newest_lines(path: &Path, n: usize) -> io::Result<(Vec<RawLine>, u64)> {
    if is_compressed(path) {
        Ok((read_rotation(path, n)?, 0))
    } else {
        read_last_lines(path, n)
    }
}

/// Device and inode of `path`, when it exists.
fn file_id(path: &Path) -> Option<(u64, u64)> {
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// Most lines kept of one gunzipped rotation (its newest), so memory stays bounded.
const MAX_GZ_LINES: usize = 1_000_000;

/// Where the next older entries of one log come from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Position {
    /// Lines before `before` in `path`.
    InFile { path: PathBuf, before: u64 },
    /// The rotation number `index` of the log (0 = `.1`).
    Rotation { index: usize },
    /// Nothing older exists.
    Exhausted,
}

/// Pages backwards through one log: further back in the file, then its rotations newest
/// first (`.1`, `.2`, … `.gz` gunzipped). Serves the console's "older entries" and
/// `scandyctl logs` when the current file holds too few entries.
#[derive(Debug, Clone)]
pub struct OlderEntries {
    source: u16,
    position: Position,
    rotations: Vec<PathBuf>,
}

impl OlderEntries {
    /// Entries of `path` before byte offset `before`, then of its rotations; rotations that
    /// are the same file as one of `other_sources` (listed on their own) are left out.
    pub fn before(source: u16, path: &Path, before: u64, other_sources: &[PathBuf]) -> Self {
        OlderEntries {
            source,
            position: Position::InFile {
                path: path.to_path_buf(),
                before,
            },
            rotations: rotations_without(path, other_sources),
        }
    }

    /// Only the rotations of `path` (its own lines were read already or cannot be).
    pub fn rotations_of(source: u16, path: &Path, other_sources: &[PathBuf]) -> Self {
        OlderEntries {
            source,
            position: Position::Rotation { index: 0 },
            rotations: rotations_without(path, other_sources),
        }
    }

    /// Whether nothing older is left.
    pub fn is_exhausted(&self) -> bool {
        self.position == Position::Exhausted
    }

    /// The next older entries, about `lines` lines of them; empty only when exhausted.
    pub fn read(&mut self, lines: usize) -> Vec<LogEntry> {
        loop {
            match self.position.clone() {
                Position::Exhausted => return Vec::new(),
                Position::InFile { path, before: 0 } => {
                    let next = self
                        .rotations
                        .iter()
                        .position(|r| *r == path)
                        .map_or(0, |i| i + 1);
                    self.position = Position::Rotation { index: next };
                }
                Position::InFile { path, before } => {
                    let Ok((raw, start)) = read_lines_before(&path, before, lines) else {
                        self.position = Position::InFile { path, before: 0 };
                        continue;
                    };
                    let (entries, first) = assemble_from(self.source, &raw, start);
                    let first = if first >= before { 0 } else { first };
                    self.position = Position::InFile {
                        path,
                        before: first,
                    };
                    if !entries.is_empty() {
                        return entries;
                    }
                }
                Position::Rotation { index } => {
                    let Some(rotation) = self.rotations.get(index).cloned() else {
                        self.position = Position::Exhausted;
                        return Vec::new();
                    };
                    if is_compressed(&rotation) {
                        self.position = Position::Rotation { index: index + 1 };
                        let keep = lines.max(1).saturating_mul(20).min(MAX_GZ_LINES);
                        let raw = read_rotation(&rotation, keep).unwrap_or_default();
                        let (entries, _) = assemble_from(self.source, &raw, 0);
                        if !entries.is_empty() {
                            return entries;
                        }
                    } else {
                        let before = std::fs::metadata(&rotation).map_or(0, |m| m.len());
                        self.position = Position::InFile {
                            path: rotation,
                            before,
                        };
                    }
                }
            }
        }
    }
}

/// The rotations of `path`, newest first, without those that are one of `other_sources`.
fn rotations_without(path: &Path, other_sources: &[PathBuf]) -> Vec<PathBuf> {
    let others: Vec<(u64, u64)> = other_sources
        .iter()
        .filter(|p| p.as_path() != path)
        .filter_map(|p| file_id(p))
        .collect();
    rotations(path)
        .into_iter()
        .filter(|r| file_id(r).is_none_or(|id| !others.contains(&id)))
        .collect()
}

/// Splits everything `reader` yields into lines, keeping only the last `max_lines`.
fn last_lines_of(mut reader: impl Read, max_lines: usize) -> io::Result<Vec<RawLine>> {
    let mut kept: VecDeque<RawLine> = VecDeque::new();
    let mut splitter = LineSplitter::default();
    let mut buf = vec![0u8; 64 * 1024];
    let mut lines = Vec::new();
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        splitter.feed(&buf[..n], &mut lines);
        keep_last(&mut kept, lines.drain(..), max_lines);
    }
    keep_last(&mut kept, splitter.finish(), max_lines);
    Ok(kept.into())
}

/// Appends `lines` to `kept`, dropping the oldest beyond `max`.
fn keep_last(kept: &mut VecDeque<RawLine>, lines: impl IntoIterator<Item = RawLine>, max: usize) {
    for line in lines {
        if kept.len() == max {
            kept.pop_front();
        }
        if max > 0 {
            kept.push_back(line);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn rotation_names_are_parsed_numerically() {
        assert_eq!(rotation_index("app.log", "app.log.1"), Some((1, false)));
        assert_eq!(rotation_index("app.log", "app.log.10.gz"), Some((10, true)));
        assert_eq!(rotation_index("app.log", "app.log"), None);
        assert_eq!(rotation_index("app.log", "app.log.old"), None);
        assert_eq!(rotation_index("app.log", "app.log.1.bak"), None);
        assert_eq!(rotation_index("app.log", "app.logx.1"), None);
    }

    #[test]
    fn rotations_are_newest_first_with_gz_and_ten_after_nine() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("app.log");
        for name in [
            "app.log",
            "app.log.2.gz",
            "app.log.10",
            "app.log.1",
            "app.log.9",
        ] {
            std::fs::write(dir.path().join(name), b"x\n").unwrap();
        }
        std::fs::write(dir.path().join("other.log.3"), b"x\n").unwrap();
        let names: Vec<String> = rotations(&base)
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            ["app.log.1", "app.log.2.gz", "app.log.9", "app.log.10"]
        );
    }

    #[test]
    fn read_rotation_gunzips_and_keeps_the_last_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log.3.gz");
        let mut enc = flate2::write::GzEncoder::new(
            File::create(&path).unwrap(),
            flate2::Compression::fast(),
        );
        for i in 0..1000 {
            writeln!(enc, "line {i}").unwrap();
        }
        write!(enc, "tail without newline").unwrap();
        enc.finish().unwrap();
        let lines = read_rotation(&path, 3).unwrap();
        assert_eq!(
            lines,
            [
                b"line 998".to_vec(),
                b"line 999".to_vec(),
                b"tail without newline".to_vec()
            ]
        );
    }

    fn numbered_log(path: &Path, from: u32, to: u32) -> String {
        let text: String = (from..to)
            .map(|i| format!("2025-07-31 21:00:00,000 - INFO - Zeile {i}\n"))
            .collect();
        std::fs::write(path, &text).unwrap();
        text
    }

    fn numbers(entries: &[LogEntry]) -> Vec<u32> {
        entries
            .iter()
            .map(|e| e.message.trim_start_matches("Zeile ").parse().unwrap())
            .collect()
    }

    #[test]
    fn older_entries_page_through_the_file_then_rotations_but_not_other_sources() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("app.log");
        numbered_log(&dir.path().join("app.log.3"), 0, 10);
        let gz_text = numbered_log(&dir.path().join("tmp"), 10, 20);
        let mut enc = flate2::write::GzEncoder::new(
            File::create(dir.path().join("app.log.2.gz")).unwrap(),
            flate2::Compression::fast(),
        );
        enc.write_all(gz_text.as_bytes()).unwrap();
        enc.finish().unwrap();
        numbered_log(&dir.path().join("app.log.1"), 20, 30);
        numbered_log(&log, 30, 40);
        let (raw, start) = newest_lines(&log, 4).unwrap();
        let (newest, first) = assemble_from(0, &raw, start);
        assert_eq!(numbers(&newest), [36, 37, 38, 39]);
        let mut older = OlderEntries::before(0, &log, first, &[]);
        let mut pages = Vec::new();
        while !older.is_exhausted() {
            pages.push(numbers(&older.read(5)));
        }
        let all: Vec<u32> = pages.iter().rev().flatten().copied().collect();
        assert_eq!(all, (0..36).collect::<Vec<_>>());
        assert_eq!(pages[0], [31, 32, 33, 34, 35]);
        let mut without = OlderEntries::rotations_of(0, &log, &[dir.path().join("app.log.1")]);
        assert_eq!(numbers(&without.read(100)), (10..20).collect::<Vec<_>>());
        assert_eq!(numbers(&without.read(100)), (0..10).collect::<Vec<_>>());
        assert!(without.read(100).is_empty() && without.is_exhausted());
        let (gz_lines, gz_start) = newest_lines(&dir.path().join("app.log.2.gz"), 2).unwrap();
        assert_eq!((gz_lines.len(), gz_start), (2, 0));
    }

    #[test]
    fn read_rotation_error_names_the_file() {
        let err = read_rotation(Path::new("/nonexistent/app.log.1"), 10).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/app.log.1"), "{err}");
    }
}
