//! The files of the maintenance log: the current file, the rotated months in chain order,
//! the head file, line splitting and the line hash.

use std::path::{Path, PathBuf};

use color_eyre::eyre::{Result, WrapErr};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The current file's name.
pub const CURRENT_FILE: &str = "maintenance-log.jsonl";

/// The head file's name (number of entries and the last line's hash).
pub const HEAD_FILE: &str = "maintenance-log.head";

/// The lock file appends take.
pub const LOCK_FILE: &str = "maintenance-log.lock";

/// The `prev` of the first line ever: 64 zeros.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

const ROTATED_PREFIX: &str = "maintenance-log-";
const SUFFIX: &str = ".jsonl";

/// Hex SHA-256 of one line's exact bytes (without its newline).
pub fn line_hash(line: &[u8]) -> String {
    hex::encode(Sha256::digest(line))
}

/// One file of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFile {
    /// File name (shown in messages).
    pub name: String,
    /// Full path.
    pub path: PathBuf,
}

/// The name of a rotated file for `year`-`month`; `part` > 1 only when that name is taken.
pub fn rotated_name(year: i32, month: u32, part: u32) -> String {
    if part <= 1 {
        format!("{ROTATED_PREFIX}{year:04}-{month:02}{SUFFIX}")
    } else {
        format!("{ROTATED_PREFIX}{year:04}-{month:02}.{part}{SUFFIX}")
    }
}

/// `(year, month, part)` of a rotated file name, `None` for any other name.
pub fn rotated_key(name: &str) -> Option<(i32, u32, u32)> {
    let stem = name.strip_prefix(ROTATED_PREFIX)?.strip_suffix(SUFFIX)?;
    let (month_text, part) = match stem.split_once('.') {
        Some((month_text, part)) => (month_text, part.parse::<u32>().ok().filter(|p| *p > 1)?),
        None => (stem, 1),
    };
    let (year, month) = month_text.split_once('-')?;
    if year.len() != 4 || month.len() != 2 {
        return None;
    }
    let year: i32 = year.parse().ok()?;
    let month: u32 = month.parse().ok().filter(|m| (1..=12).contains(m))?;
    Some((year, month, part))
}

/// The log's files in chain order: rotated months oldest first, then the current file
/// (only files that exist). A missing state directory is an empty log.
pub fn log_files(state_dir: &Path) -> Result<Vec<LogFile>> {
    let listing = match std::fs::read_dir(state_dir) {
        Ok(listing) => listing,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(e).wrap_err_with(|| format!("cannot list {}", state_dir.display()));
        }
    };
    let mut rotated = Vec::new();
    let mut current = None;
    for entry in listing.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == CURRENT_FILE {
            current = Some(LogFile {
                path: entry.path(),
                name,
            });
        } else if let Some(key) = rotated_key(&name) {
            rotated.push((
                key,
                LogFile {
                    path: entry.path(),
                    name,
                },
            ));
        }
    }
    rotated.sort_by_key(|(key, _)| *key);
    let mut files: Vec<LogFile> = rotated.into_iter().map(|(_, f)| f).collect();
    files.extend(current);
    Ok(files)
}

/// The lines of a file without their newlines (a last line without newline counts; the
/// empty piece after the final newline does not).
pub fn split_lines(bytes: &[u8]) -> Vec<&[u8]> {
    if bytes.is_empty() {
        return Vec::new();
    }
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    body.split(|b| *b == b'\n').collect()
}

/// Reads `path`; a missing file is empty.
pub fn read_optional(path: &Path) -> Result<Vec<u8>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e).wrap_err_with(|| format!("cannot read {}", path.display())),
    }
}

/// The head file: how many entries the log holds and the hash of its last line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    /// Number of lines in the whole log (the last entry's `seq`).
    pub entries: u64,
    /// Hex SHA-256 of the last line.
    pub last: String,
}

/// What the head file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeadState {
    /// No head file.
    Missing,
    /// A head file that is not a head (the reason).
    Unreadable(String),
    /// A head.
    Present(Head),
}

/// Reads the head file of `state_dir`.
pub fn read_head(state_dir: &Path) -> HeadState {
    let path = state_dir.join(HEAD_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => match serde_json::from_slice::<Head>(&bytes) {
            Ok(head) if head.last.len() == 64 => HeadState::Present(head),
            Ok(_) => HeadState::Unreadable("its hash is not 64 hex digits".into()),
            Err(e) => HeadState::Unreadable(e.to_string()),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => HeadState::Missing,
        Err(e) => HeadState::Unreadable(e.to_string()),
    }
}

/// Writes the head file of `state_dir` atomically.
pub fn write_head(state_dir: &Path, head: &Head) -> Result<()> {
    let path = state_dir.join(HEAD_FILE);
    let mut text = serde_json::to_string(head)?;
    text.push('\n');
    crate::state::write_atomic(&path, text.as_bytes())
        .wrap_err_with(|| format!("cannot write the maintenance log head {}", path.display()))
}
