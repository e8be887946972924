//! Logs read from a command instead of a file: `journalctl -u scandy.service -o json` and
//! `docker logs --timestamps scandy-app-scandy`. Lines keep what the wrapper knows (journal
//! priority and time, docker time) and join into entries like file lines do.
//!
//! Nothing the command prints is written to the terminal here: lines are handed to the caller.

use std::collections::VecDeque;
use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::entry::MAX_LINE_BYTES;

/// Longest raw `journalctl -o json` line kept (JSON escaping and byte arrays inflate a message).
const MAX_JOURNAL_RAW: usize = 16 * MAX_LINE_BYTES;
/// Longest raw `docker logs` line kept: the message limit plus room for the timestamp, so a
/// cut line still exceeds [`MAX_LINE_BYTES`] and the parser marks it truncated.
const MAX_DOCKER_RAW: usize = MAX_LINE_BYTES + 64;
/// How long docker stderr lines are held back before the first line is handed out, so that
/// docker's own error ("Error: No such container") becomes a [`SourceUnavailable`] instead.
const STDERR_HOLD: Duration = Duration::from_millis(250);
/// Most docker stderr lines held back (more mean the container is simply logging).
const STDERR_HOLD_LINES: usize = 256;
/// Lines buffered between the pipe readers and [`ProcessTail::next_line`].
const CHANNEL_LINES: usize = 1024;

/// A log source read from a command's output instead of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcessSource {
    /// A systemd unit's journal (`scandy.service`).
    Journal {
        /// The unit name as given to `journalctl -u`.
        unit: String,
    },
    /// A docker container's log (`scandy-app-scandy`).
    Docker {
        /// The container name or id.
        container: String,
    },
}

impl ProcessSource {
    /// Display name: "journal:scandy.service", "docker:scandy-app-scandy".
    pub fn name(&self) -> String {
        match self {
            ProcessSource::Journal { unit } => format!("journal:{unit}"),
            ProcessSource::Docker { container } => format!("docker:{container}"),
        }
    }

    /// The program it needs ("journalctl" / "docker").
    pub fn program(&self) -> &'static str {
        match self {
            ProcessSource::Journal { .. } => "journalctl",
            ProcessSource::Docker { .. } => "docker",
        }
    }

    /// Arguments: journalctl -u UNIT -o json --all --no-pager -n LINES [-f]; docker logs --timestamps --tail LINES [-f] NAME.
    pub fn args(&self, follow: bool, lines: usize) -> Vec<String> {
        let lines = lines.to_string();
        let mut args: Vec<String> = match self {
            ProcessSource::Journal { unit } => {
                // `--all`: without it journalctl writes messages over 4096 bytes (a long traceback
                // logged as one record) as null.
                let fixed = [
                    "-u",
                    unit,
                    "-o",
                    "json",
                    "--all",
                    "--no-pager",
                    "-n",
                    &lines,
                ];
                fixed.iter().map(|a| a.to_string()).collect()
            }
            ProcessSource::Docker { .. } => ["logs", "--timestamps", "--tail", &lines]
                .iter()
                .map(|a| a.to_string())
                .collect(),
        };
        if follow {
            args.push("-f".to_owned());
        }
        if let ProcessSource::Docker { container } = self {
            args.push(container.clone());
        }
        args
    }
}

/// The program found on `path_var` (a PATH-style list), if any — no shell involved.
///
/// Empty and relative entries are skipped (they would mean the current directory).
pub fn find_program(program: &str, path_var: &OsStr) -> Option<PathBuf> {
    std::env::split_paths(path_var)
        .filter(|dir| dir.is_absolute())
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

/// Whether `path` is a regular file with an execute bit.
fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Why a source cannot be read here: the command is missing, or its own failure text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceUnavailable(pub String);

impl std::fmt::Display for SourceUnavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SourceUnavailable {}

pub use super::process_lines::{
    JOURNAL_OMITTED_MESSAGE, ProcessAssembler, ProcessLine, parse_docker_line, parse_journal_line,
};

/// Which pipe a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stream {
    Stdout,
    Stderr,
}

/// A running command source: reads stdout and stderr line by line.
///
/// docker writes the container's stderr (where gunicorn logs) to its own stderr, so both pipes
/// are log lines there; journalctl's stderr is only kept for its failure text. Before the first
/// line is handed out, docker stderr lines are held back briefly (up to 250 ms or 256 lines, or
/// until a stdout line or the exit) so a failing docker's error text is not mistaken for a log
/// line. Stdout and stderr lines are handed out in the order they arrive.
#[derive(Debug)]
pub struct ProcessTail {
    program: &'static str,
    kind_docker: bool,
    child: Child,
    lines: mpsc::Receiver<(Stream, Vec<u8>)>,
    output_open: bool,
    ready: VecDeque<Vec<u8>>,
    held: Vec<Vec<u8>>,
    hold_until: Option<Instant>,
    /// Docker stderr is still being held back (nothing handed out yet).
    holding: bool,
    first_stderr: Option<String>,
    delivered: bool,
    ended: bool,
    failure: Option<SourceUnavailable>,
}

impl ProcessTail {
    /// Spawns the command found on `path_var` (no shell; stdin null; killed on drop).
    ///
    /// Must be called within a tokio runtime. A missing program gives
    /// `SourceUnavailable("journalctl is not available here")`.
    pub fn spawn(
        source: &ProcessSource,
        follow: bool,
        lines: usize,
        path_var: &OsStr,
    ) -> Result<ProcessTail, SourceUnavailable> {
        let program = source.program();
        let Some(path) = find_program(program, path_var) else {
            return Err(SourceUnavailable(format!(
                "{program} is not available here"
            )));
        };
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(SourceUnavailable(format!(
                "{program} cannot be read outside the async runtime"
            )));
        }
        let mut child = Command::new(&path)
            .args(source.args(follow, lines))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| SourceUnavailable(format!("cannot start {}: {e}", path.display())))?;
        let kind_docker = matches!(source, ProcessSource::Docker { .. });
        let cap = if kind_docker {
            MAX_DOCKER_RAW
        } else {
            MAX_JOURNAL_RAW
        };
        let (tx, rx) = mpsc::channel(CHANNEL_LINES);
        if let Some(stdout) = child.stdout.take() {
            tokio::spawn(read_lines(stdout, Stream::Stdout, cap, tx.clone()));
        }
        if let Some(stderr) = child.stderr.take() {
            tokio::spawn(read_lines(stderr, Stream::Stderr, cap, tx));
        }
        Ok(ProcessTail {
            program,
            kind_docker,
            child,
            lines: rx,
            output_open: true,
            ready: VecDeque::new(),
            held: Vec::new(),
            hold_until: None,
            holding: kind_docker,
            first_stderr: None,
            delivered: false,
            ended: false,
            failure: None,
        })
    }

    /// The next line (parsed for the source's kind), or None at the end of output; Err when
    /// the command failed before giving any line (exit status and its first stderr line).
    ///
    /// Cancel-safe: dropping the future loses no line.
    pub async fn next_line(&mut self) -> Result<Option<ProcessLine>, SourceUnavailable> {
        loop {
            if let Some(raw) = self.ready.pop_front() {
                self.delivered = true;
                return Ok(Some(self.parse(&raw)));
            }
            if self.ended {
                return Ok(None);
            }
            if !self.output_open {
                let status = self.child.wait().await;
                self.ended = true;
                let failure = match status {
                    Ok(status) if status.success() => None,
                    Ok(status) => Some(self.failure_text(status)),
                    Err(e) => Some(SourceUnavailable(format!("{}: {e}", self.program))),
                };
                if let Some(failure) = failure {
                    self.failure = Some(failure.clone());
                    if !self.delivered {
                        return Err(failure);
                    }
                }
                self.release_held();
                continue;
            }
            let received = match self.hold_until {
                Some(deadline) => tokio::select! {
                    received = self.lines.recv() => received,
                    () = tokio::time::sleep_until(deadline) => {
                        self.release_held();
                        continue;
                    }
                },
                None => self.lines.recv().await,
            };
            match received {
                Some((stream, raw)) => self.accept(stream, raw),
                None => self.output_open = false,
            }
        }
    }

    /// The failure of a command that ended badly after it had given lines, if any.
    pub fn failure(&self) -> Option<&SourceUnavailable> {
        self.failure.as_ref()
    }

    /// Sorts one raw line into the ready queue, the held-back queue or the failure text.
    fn accept(&mut self, stream: Stream, raw: Vec<u8>) {
        if stream == Stream::Stderr {
            self.remember_stderr(&raw);
        }
        match (stream, self.kind_docker) {
            (Stream::Stdout, _) => {
                self.release_held();
                self.ready.push_back(raw);
            }
            (Stream::Stderr, true) if self.holding => {
                self.held.push(raw);
                self.hold_until
                    .get_or_insert_with(|| Instant::now() + STDERR_HOLD);
                if self.held.len() >= STDERR_HOLD_LINES {
                    self.release_held();
                }
            }
            (Stream::Stderr, true) => self.ready.push_back(raw),
            (Stream::Stderr, false) => {}
        }
    }

    /// Ends the hold-back: held docker stderr lines become ready, in order.
    fn release_held(&mut self) {
        self.holding = false;
        self.hold_until = None;
        self.ready.extend(self.held.drain(..));
    }

    /// Keeps the first meaningful stderr line (journalctl's "Hint: …" notices only as a fallback).
    fn remember_stderr(&mut self, raw: &[u8]) {
        let text = String::from_utf8_lossy(raw);
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        let is_hint = text.starts_with("Hint:");
        let replace = match &self.first_stderr {
            None => true,
            Some(kept) => kept.starts_with("Hint:") && !is_hint,
        };
        if replace {
            let cut: String = text.chars().take(300).collect();
            self.first_stderr = Some(crate::sanitize::escape_controls(&cut).into_owned());
        }
    }

    /// "docker failed (exit status 1): Error: No such container: x".
    fn failure_text(&self, status: ExitStatus) -> SourceUnavailable {
        use std::os::unix::process::ExitStatusExt;
        let how = match (status.code(), status.signal()) {
            (Some(code), _) => format!("exit status {code}"),
            (None, Some(signal)) => format!("signal {signal}"),
            (None, None) => status.to_string(),
        };
        SourceUnavailable(match &self.first_stderr {
            Some(line) => format!("{} failed ({how}): {line}", self.program),
            None => format!("{} failed ({how})", self.program),
        })
    }

    /// A raw line parsed for the source's kind.
    fn parse(&self, raw: &[u8]) -> ProcessLine {
        if self.kind_docker {
            parse_docker_line(raw)
        } else {
            parse_journal_line(raw).unwrap_or_else(|| ProcessLine::plain(raw.to_vec()))
        }
    }
}

/// Reads `reader` to its end, sending each line (without '\n'); a line longer than `cap`
/// keeps its first `cap` bytes, the rest is dropped. Stops when the receiver is gone.
async fn read_lines<R: AsyncRead + Unpin>(
    mut reader: R,
    stream: Stream,
    cap: usize,
    tx: mpsc::Sender<(Stream, Vec<u8>)>,
) {
    let mut buf = vec![0u8; 64 * 1024];
    let mut line: Vec<u8> = Vec::new();
    loop {
        let n = match reader.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mut data = &buf[..n];
        while let Some(i) = memchr::memchr(b'\n', data) {
            append_capped(&mut line, &data[..i], cap);
            if tx.send((stream, std::mem::take(&mut line))).await.is_err() {
                return;
            }
            data = &data[i + 1..];
        }
        append_capped(&mut line, data, cap);
    }
    if !line.is_empty() {
        let _ = tx.send((stream, line)).await;
    }
}

/// Appends as much of `data` as fits under `cap`.
fn append_capped(line: &mut Vec<u8>, data: &[u8], cap: usize) {
    let room = cap.saturating_sub(line.len());
    line.extend_from_slice(&data[..data.len().min(room)]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::process_lines::is_exception_line;

    #[test]
    fn caps_appended_data() {
        let mut line = Vec::new();
        append_capped(&mut line, &[b'a'; 10], 4);
        append_capped(&mut line, &[b'b'; 10], 6);
        assert_eq!(line, b"aaaabb");
    }

    #[test]
    fn names_programs_and_args() {
        let j = ProcessSource::Journal {
            unit: "scandy.service".into(),
        };
        let d = ProcessSource::Docker {
            container: "scandy-app-scandy".into(),
        };
        assert_eq!(
            (j.name(), j.program()),
            ("journal:scandy.service".into(), "journalctl")
        );
        assert_eq!(
            (d.name(), d.program()),
            ("docker:scandy-app-scandy".into(), "docker")
        );
        assert_eq!(
            SourceUnavailable("x is not available here".into()).to_string(),
            "x is not available here"
        );
        assert!(is_exception_line(
            "pymongo.errors.ServerSelectionTimeoutError: x"
        ));
        assert!(is_exception_line("KeyboardInterrupt"));
        assert!(!is_exception_line("Fehler beim Laden: x"));
        assert!(!is_exception_line(": x"));
    }
}
