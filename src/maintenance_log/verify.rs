//! `log verify`: walks the hash chain across all files and the head, and names every line
//! that was edited, deleted, reordered or cannot be read.

use std::collections::HashMap;
use std::path::Path;

use serde::Serialize;

use super::MaintenanceEntry;
use super::files::{
    GENESIS_HASH, HEAD_FILE, HeadState, LOCK_FILE, log_files, read_head, split_lines,
};

/// What is wrong at one place of the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProblemKind {
    /// The line's bytes changed after it was written.
    Edited,
    /// Lines are gone (a gap in the chain).
    Deleted,
    /// A file the chain needs is gone (the head file).
    Missing,
    /// Lines are out of order.
    Reordered,
    /// A line (or the head) is not a readable entry.
    Unreadable,
    /// A line without a hash after the chain started (inserted, or its hash removed).
    Unchained,
}

impl ProblemKind {
    /// The word used in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::Edited => "edited",
            ProblemKind::Deleted => "deleted",
            ProblemKind::Missing => "missing",
            ProblemKind::Reordered => "reordered",
            ProblemKind::Unreadable => "unreadable",
            ProblemKind::Unchained => "unchained",
        }
    }
}

/// One problem, naming the file and (when it is about a line) the line number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainProblem {
    /// File name inside the state directory.
    pub file: String,
    /// Line number (1-based), when the problem is about one line.
    pub line: Option<usize>,
    /// What kind of problem.
    pub kind: ProblemKind,
    /// What exactly is wrong.
    pub message: String,
}

impl std::fmt::Display for ChainProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{} line {line}: ", self.file)?,
            None => write!(f, "{}: ", self.file)?,
        }
        write!(f, "{} — {}", self.kind.as_str(), self.message)
    }
}

/// The result of checking the chain.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ChainReport {
    /// The files checked, in chain order.
    pub files: Vec<String>,
    /// Lines checked.
    pub entries: usize,
    /// Of those, lines carrying a hash.
    pub chained: usize,
    /// Of those, lines written before the log was chained (accepted at the start only).
    pub legacy: usize,
    /// Everything that is wrong; empty when the chain is intact.
    pub problems: Vec<ChainProblem>,
    /// Remarks that are no failure (legacy lines, clock steps, an interrupted append).
    pub notes: Vec<String>,
}

impl ChainReport {
    /// Whether no problem was found.
    pub fn intact(&self) -> bool {
        self.problems.is_empty()
    }
}

/// One line of the log with where it is.
struct Line {
    file: usize,
    number: usize,
    hash: String,
    entry: Result<MaintenanceEntry, String>,
}

/// Checks the whole chain of the log in `state_dir` (rotated files, current file, head).
pub fn verify_chain(state_dir: &Path) -> ChainReport {
    // A consistent snapshot: wait for a running append (not possible on a read-only dir).
    let _lock = crate::state::StateLock::acquire(&state_dir.join(LOCK_FILE)).ok();
    let mut report = ChainReport::default();
    let files = match log_files(state_dir) {
        Ok(files) => files,
        Err(err) => {
            report.problems.push(ChainProblem {
                file: state_dir.display().to_string(),
                line: None,
                kind: ProblemKind::Unreadable,
                message: format!("{err:#}"),
            });
            return report;
        }
    };
    let mut lines = Vec::new();
    for (index, file) in files.iter().enumerate() {
        report.files.push(file.name.clone());
        let bytes = match std::fs::read(&file.path) {
            Ok(bytes) => bytes,
            Err(err) => {
                report.problems.push(ChainProblem {
                    file: file.name.clone(),
                    line: None,
                    kind: ProblemKind::Unreadable,
                    message: format!("cannot read {}: {err}", file.path.display()),
                });
                continue;
            }
        };
        for (n, raw) in split_lines(&bytes).into_iter().enumerate() {
            let entry = if raw.is_empty() {
                Err("an empty line".to_string())
            } else {
                serde_json::from_slice::<MaintenanceEntry>(raw)
                    .map_err(|e| format!("not a maintenance log entry ({e})"))
            };
            lines.push(Line {
                file: index,
                number: n + 1,
                hash: super::line_hash(raw),
                entry,
            });
        }
    }
    report.entries = lines.len();
    let names: Vec<String> = files.iter().map(|f| f.name.clone()).collect();
    let mut walk = Walk {
        names: &names,
        lines: &lines,
        report: &mut report,
        reported: vec![false; lines.len()],
    };
    walk.chain();
    walk.head(read_head(state_dir));
    if report.entries == 0 && report.problems.is_empty() {
        report
            .notes
            .push("the maintenance log is empty".to_string());
    }
    report
}

struct Walk<'a> {
    names: &'a [String],
    lines: &'a [Line],
    report: &'a mut ChainReport,
    reported: Vec<bool>,
}

impl Walk<'_> {
    /// `file line n` of line `i`; only `line n` when it is in the same file as line `near`.
    fn place(&self, i: usize, near: usize) -> String {
        let line = &self.lines[i];
        if line.file == self.lines[near].file {
            format!("line {}", line.number)
        } else {
            format!("{} line {}", self.names[line.file], line.number)
        }
    }

    fn problem(&mut self, i: usize, kind: ProblemKind, message: String) {
        self.reported[i] = true;
        let line = &self.lines[i];
        self.report.problems.push(ChainProblem {
            file: self.names[line.file].clone(),
            line: Some(line.number),
            kind,
            message,
        });
    }

    fn seq(&self, i: usize) -> u64 {
        self.lines[i].entry.as_ref().map(|e| e.seq).unwrap_or(0)
    }

    fn chain(&mut self) {
        let lines = self.lines;
        let mut by_hash: HashMap<&str, usize> = HashMap::new();
        for (i, line) in lines.iter().enumerate() {
            by_hash.entry(line.hash.as_str()).or_insert(i);
        }
        let mut chain_start: Option<usize> = None;
        for i in 0..lines.len() {
            let entry = match &lines[i].entry {
                Ok(entry) => entry,
                Err(reason) => {
                    let reason = reason.clone();
                    self.problem(i, ProblemKind::Unreadable, reason);
                    continue;
                }
            };
            if entry.prev.is_empty() {
                match chain_start {
                    None => self.report.legacy += 1,
                    Some(start) => {
                        let message = format!(
                            "it carries no hash of the line before it, although the chain \
                             starts at {} (inserted, or its prev removed)",
                            self.place(start, i)
                        );
                        self.problem(i, ProblemKind::Unchained, message);
                    }
                }
                continue;
            }
            chain_start.get_or_insert(i);
            self.report.chained += 1;
            let expected = if i == 0 {
                GENESIS_HASH
            } else {
                lines[i - 1].hash.as_str()
            };
            if entry.prev != expected {
                self.broken_link(i, entry, &by_hash);
            }
            if i > 0
                && let Ok(before) = &lines[i - 1].entry
                && entry.at < before.at
            {
                let note = format!(
                    "{} line {}: its time {} is before that of the line above ({}); the \
                     chain is intact (the clock was set back?)",
                    self.names[lines[i].file],
                    lines[i].number,
                    entry.at.format("%Y-%m-%d %H:%M:%S UTC"),
                    before.at.format("%Y-%m-%d %H:%M:%S UTC")
                );
                self.report.notes.push(note);
            }
        }
        if self.report.legacy > 0 {
            self.report.notes.push(format!(
                "{} line(s) at the start were written before the log was chained (legacy, \
                 unchained); the chain starts after them",
                self.report.legacy
            ));
        }
    }

    /// Line `i`'s `prev` is not the hash of the line before it: say what happened.
    fn broken_link(&mut self, i: usize, entry: &MaintenanceEntry, by_hash: &HashMap<&str, usize>) {
        let seq = entry.seq;
        if i == 0 {
            let (kind, message) = if seq > 1 {
                (
                    ProblemKind::Deleted,
                    format!(
                        "the log starts with entry {seq}: {} earlier entr{} missing (deleted, \
                         or an older maintenance-log-YYYY-MM.jsonl is gone)",
                        seq - 1,
                        if seq == 2 { "y is" } else { "ies are" }
                    ),
                )
            } else {
                (
                    ProblemKind::Edited,
                    "it is the first line of the log, but its prev is not 64 zeros".to_string(),
                )
            };
            self.problem(i, kind, message);
            return;
        }
        if let Some(&j) = by_hash.get(entry.prev.as_str()) {
            let message = format!(
                "its prev is the SHA-256 of {}, not of {} above it: lines are out of order",
                self.place(j, i),
                self.place(i - 1, i)
            );
            self.problem(i, ProblemKind::Reordered, message);
            return;
        }
        let before = self.seq(i - 1);
        if before > 0 && seq > before + 1 {
            let gone = seq - before - 1;
            let message = format!(
                "{gone} entr{} missing before this line: entry {before} ({}) is followed by \
                 entry {seq}, and its prev matches no line",
                if gone == 1 { "y is" } else { "ies are" },
                self.place(i - 1, i)
            );
            self.problem(i, ProblemKind::Deleted, message);
        } else if before > 0 && seq > 0 && seq <= before {
            let message = format!(
                "entry {seq} follows entry {before} ({}), and its prev matches no line",
                self.place(i - 1, i)
            );
            self.problem(i, ProblemKind::Reordered, message);
        } else if !self.reported[i - 1] {
            let message = format!("its SHA-256 does not match {}'s prev", self.place(i, i - 1));
            self.problem(i - 1, ProblemKind::Edited, message);
        }
    }

    /// Compares the end of the log with the head file.
    fn head(&mut self, head: HeadState) {
        let chained = self.report.chained > 0;
        let head = match head {
            HeadState::Present(head) => head,
            HeadState::Missing if chained => {
                self.report.problems.push(ChainProblem {
                    file: HEAD_FILE.to_string(),
                    line: None,
                    kind: ProblemKind::Missing,
                    message: "the head file is gone, so a deleted last entry would go unnoticed \
                              (the next append writes it again)"
                        .to_string(),
                });
                return;
            }
            HeadState::Missing => return,
            HeadState::Unreadable(reason) => {
                self.report.problems.push(ChainProblem {
                    file: HEAD_FILE.to_string(),
                    line: None,
                    kind: ProblemKind::Unreadable,
                    message: format!("not a maintenance log head ({reason})"),
                });
                return;
            }
        };
        let Some(last) = self.lines.len().checked_sub(1) else {
            if head.entries > 0 {
                self.report.problems.push(ChainProblem {
                    file: HEAD_FILE.to_string(),
                    line: None,
                    kind: ProblemKind::Deleted,
                    message: format!(
                        "the head records {} entr{}, but no log file holds any line",
                        head.entries,
                        if head.entries == 1 { "y" } else { "ies" }
                    ),
                });
            }
            return;
        };
        let last_seq = self.seq(last);
        if self.lines[last].hash == head.last {
            if last_seq > 0 && head.entries != last_seq {
                self.report.notes.push(format!(
                    "the head counts {} entries, the last line is entry {last_seq}",
                    head.entries
                ));
            }
            return;
        }
        let before_matches = last > 0 && self.lines[last - 1].hash == head.last;
        if before_matches && head.entries + 1 == last_seq {
            self.report.notes.push(format!(
                "the head is one entry behind (an append was interrupted before {HEAD_FILE} \
                 was written); the next append brings it up to date"
            ));
            return;
        }
        let place = format!(
            "{} line {}",
            self.names[self.lines[last].file], self.lines[last].number
        );
        if head.entries > last_seq && last_seq > 0 {
            let gone = head.entries - last_seq;
            let message = format!(
                "the head records {} entries, the log ends with entry {last_seq}: {gone} \
                 entr{} after this line {} missing",
                head.entries,
                if gone == 1 { "y" } else { "ies" },
                if gone == 1 { "is" } else { "are" }
            );
            self.problem(last, ProblemKind::Deleted, message);
        } else if let Some(j) = self.lines.iter().position(|l| l.hash == head.last) {
            self.report.problems.push(ChainProblem {
                file: HEAD_FILE.to_string(),
                line: None,
                kind: ProblemKind::Edited,
                message: format!(
                    "it points at {} line {} (entry {}), but the log goes on to {place} (entry \
                     {last_seq}): the head was replaced or lines were added without it",
                    self.names[self.lines[j].file], self.lines[j].number, head.entries
                ),
            });
        } else if !self.reported[last] {
            let message = format!("its SHA-256 does not match the head ({HEAD_FILE})");
            self.problem(last, ProblemKind::Edited, message);
        }
    }
}
