//! Appending one entry: chain it to the last line, rotate the current file when a new
//! month starts, write the file and then the head, all under the log's lock.

use std::path::Path;

use chrono::Datelike;
use color_eyre::eyre::{Result, WrapErr};

use super::MaintenanceEntry;
use super::files::{
    GENESIS_HASH, Head, HeadState, LOCK_FILE, LogFile, log_files, read_head, read_optional,
    rotated_key, rotated_name, split_lines, write_head,
};
use crate::state::{StateLock, write_atomic};

/// Appends `entry` to the log in `state_dir` (its `seq` and `prev` are set here, an empty
/// host or actor filled in). Lines already written stay byte for byte as they are.
pub fn append_entry(state_dir: &Path, entry: &MaintenanceEntry) -> Result<()> {
    let _lock = StateLock::acquire(&state_dir.join(LOCK_FILE))?;
    let files = log_files(state_dir)?;
    let current_path = super::log_path(state_dir);
    let current = read_optional(&current_path)?;
    let tail = Tail::read(&files, &current)?;
    let (prev, seq) = link(&tail, &read_head(state_dir), &files)?;

    let mut line = entry.clone();
    line.seq = seq;
    line.prev = prev;
    if line.host.is_empty() {
        line.host = super::host();
    }
    if line.actor.is_empty() {
        line.actor = super::actor();
    }
    let text = crate::sanitize::to_json_line(&line)
        .wrap_err_with(|| format!("cannot encode the entry {:?}", line.title))?;

    let mut bytes = if rotate_if_new_month(state_dir, &current, &line)? {
        Vec::new()
    } else {
        current
    };
    if !bytes.is_empty() && !bytes.ends_with(b"\n") {
        bytes.push(b'\n');
    }
    bytes.extend_from_slice(text.as_bytes());
    bytes.push(b'\n');
    write_atomic(&current_path, &bytes).wrap_err_with(|| {
        format!(
            "cannot append to the maintenance log {}",
            current_path.display()
        )
    })?;
    write_head(
        state_dir,
        &Head {
            entries: seq,
            last: super::line_hash(text.as_bytes()),
        },
    )
}

/// The last two lines of the whole log (the current file, else the newest rotated one).
struct Tail {
    last: Option<Vec<u8>>,
    before_last: Option<Vec<u8>>,
}

impl Tail {
    fn read(files: &[LogFile], current: &[u8]) -> Result<Tail> {
        let mut found: Vec<Vec<u8>> = Vec::new();
        for (index, file) in files.iter().enumerate().rev() {
            let owned;
            let bytes: &[u8] = if index + 1 == files.len() && file.name == super::CURRENT_FILE {
                current
            } else {
                owned = read_optional(&file.path)?;
                &owned
            };
            for line in split_lines(bytes).into_iter().rev() {
                found.push(line.to_vec());
                if found.len() == 2 {
                    break;
                }
            }
            if found.len() == 2 {
                break;
            }
        }
        let mut lines = found.into_iter();
        Ok(Tail {
            last: lines.next(),
            before_last: lines.next(),
        })
    }
}

/// The `prev` and `seq` of the next line. The chain follows the last line when the head
/// agrees with it (or is one append behind, after an interrupted append, or absent);
/// otherwise it follows the head, so that a deleted or edited last line stays visible.
fn link(tail: &Tail, head: &HeadState, files: &[LogFile]) -> Result<(String, u64)> {
    let last_hash = tail
        .last
        .as_deref()
        .map(super::line_hash)
        .unwrap_or_else(|| GENESIS_HASH.to_string());
    let last_seq = match tail.last.as_deref().map(seq_of).unwrap_or(Some(0)) {
        Some(seq) => seq,
        None => count_lines(files)?,
    };
    let Some(head) = (match head {
        HeadState::Present(head) => Some(head),
        HeadState::Missing | HeadState::Unreadable(_) => None,
    }) else {
        return Ok((last_hash, last_seq + 1));
    };
    let one_behind = tail.before_last.as_deref().map(super::line_hash) == Some(head.last.clone())
        && head.entries + 1 == last_seq;
    if head.last == last_hash || one_behind {
        Ok((last_hash, last_seq + 1))
    } else {
        Ok((head.last.clone(), head.entries.max(last_seq) + 1))
    }
}

/// The `seq` of a chained line; `None` for a line without one (legacy or unreadable).
fn seq_of(line: &[u8]) -> Option<u64> {
    serde_json::from_slice::<MaintenanceEntry>(line)
        .ok()
        .map(|e| e.seq)
        .filter(|seq| *seq > 0)
}

/// Lines in all files (for a log whose last line carries no `seq`).
fn count_lines(files: &[LogFile]) -> Result<u64> {
    let mut count = 0;
    for file in files {
        count += split_lines(&read_optional(&file.path)?).len() as u64;
    }
    Ok(count)
}

/// Renames the current file to `maintenance-log-YYYY-MM.jsonl` (the month of its first
/// entry, UTC) when `next` belongs to a later month; returns whether it did.
fn rotate_if_new_month(state_dir: &Path, current: &[u8], next: &MaintenanceEntry) -> Result<bool> {
    let Some(first) = split_lines(current).first().copied() else {
        return Ok(false);
    };
    let Ok(first) = serde_json::from_slice::<MaintenanceEntry>(first) else {
        return Ok(false);
    };
    let month = (first.at.year(), first.at.month());
    if month >= (next.at.year(), next.at.month()) {
        return Ok(false);
    }
    let taken: Vec<(i32, u32, u32)> = log_files(state_dir)?
        .iter()
        .filter_map(|f| rotated_key(&f.name))
        .collect();
    let part = (1..)
        .find(|part| !taken.contains(&(month.0, month.1, *part)))
        .unwrap_or(1);
    let from = super::log_path(state_dir);
    let to = state_dir.join(rotated_name(month.0, month.1, part));
    std::fs::rename(&from, &to).wrap_err_with(|| {
        format!(
            "cannot rotate the maintenance log {} to {}",
            from.display(),
            to.display()
        )
    })?;
    Ok(true)
}
