//! History above the followed file: listing a log's numbered rotations (`app.log.1`,
//! `app.log.2.gz`, …) newest first and reading one of them, gunzipped when needed.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;

use super::tail::{LineSplitter, RawLine};

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

/// All lines of one rotated file (transparently gunzipped when it ends in `.gz`); capped at `max_lines` (keep the LAST max_lines) so a huge file cannot exhaust memory.
pub fn read_rotation(path: &Path, max_lines: usize) -> io::Result<Vec<RawLine>> {
    let with_path = |e: io::Error| io::Error::new(e.kind(), format!("{}: {e}", path.display()));
    let file = File::open(path).map_err(with_path)?;
    let gz = path.extension().is_some_and(|e| e == "gz");
    let reader: Box<dyn Read> = if gz {
        Box::new(MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    };
    last_lines_of(reader, max_lines).map_err(with_path)
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

    #[test]
    fn read_rotation_error_names_the_file() {
        let err = read_rotation(Path::new("/nonexistent/app.log.1"), 10).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/app.log.1"), "{err}");
    }
}
