//! Follows a set of log files for the console: the newest lines of each at once (read from
//! the end, never the whole file), then everything written afterwards across rotations, and
//! older entries on request — further back in the file, then `app.log.1`, `.2`, … `.gz`.
//! File reads run on blocking threads; the caller receives finished batches.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedReceiver;

use super::assemble::EntryAssembler;
pub use super::assemble::assemble_from;
use super::entry::LogEntry;
use super::filter::merge_by_time;
use super::history::{OlderEntries, newest_lines};
use super::parse::{ParsedLine, parse_line};
use super::process::{ProcessAssembler, ProcessTail};
use super::sources::{CommandSource, LogSource};
use super::tail::{ChangeSignal, FileTail};

/// How often files are checked when no filesystem event arrives.
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// What the watcher reports.
#[derive(Debug, Clone, PartialEq)]
pub enum LogEvent {
    /// The newest entries of every source, merged by time (the first screen).
    Loaded {
        /// Merged entries, oldest first.
        entries: Vec<LogEntry>,
        /// Per source: a read error, if its file could not be read.
        problems: Vec<(u16, String)>,
        /// Whether filesystem events are used (false: polling only).
        events: bool,
    },
    /// Entries written since the last report, merged by time.
    Appended(Vec<LogEntry>),
    /// Lines that continue the newest entry of `source` (a traceback written after its
    /// first line was already reported).
    Continued {
        /// Which source.
        source: u16,
        /// The continuation lines, raw.
        lines: Vec<String>,
    },
    /// Older entries read on request, merged by time, and whether still older ones exist.
    Older {
        /// Merged entries, oldest first.
        entries: Vec<LogEntry>,
        /// Whether a further request can return more.
        more: bool,
    },
    /// A read failed (the file stays followed).
    Problem {
        /// Which source.
        source: u16,
        /// What happened.
        message: String,
    },
}

/// What the console can ask the watcher for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogRequest {
    /// Read older entries of every source.
    Older,
}

/// How much the watcher reads at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchSizes {
    /// Lines per source for the first screen.
    pub initial_lines: usize,
    /// Lines per source per request for older entries.
    pub older_lines: usize,
}

impl Default for WatchSizes {
    fn default() -> Self {
        WatchSizes {
            initial_lines: 2_000,
            older_lines: 5_000,
        }
    }
}

/// One followed file.
struct Followed {
    source: LogSource,
    tail: FileTail,
    /// Whether new lines are read: a rotation listed as a source of its own is not written
    /// to (and following its name would read the next rotation's content as new).
    follows: bool,
    assembler: EntryAssembler,
    history: OlderEntries,
    /// The newest entry was reported while the file was quiet; continuation lines that
    /// follow belong to it.
    open_tail: bool,
}

/// Aborts a task when dropped (command followers end with the watcher).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// How long a command source may be quiet before its open entry is reported.
pub const COMMAND_QUIET: Duration = Duration::from_millis(300);

/// Follows one command source until it ends.
async fn follow_command(command: CommandSource, lines: usize, emit: LogSink) {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut tail = match ProcessTail::spawn(&command.source, true, lines, &path) {
        Ok(tail) => tail,
        Err(unavailable) => {
            emit(LogEvent::Problem {
                source: command.id,
                message: unavailable.0,
            });
            return;
        }
    };
    let mut assembler = ProcessAssembler::new(command.id);
    loop {
        let mut batch = Vec::new();
        let wait = if assembler.pending().is_some() {
            COMMAND_QUIET
        } else {
            Duration::from_secs(3600)
        };
        let ended = match tokio::time::timeout(wait, tail.next_line()).await {
            Err(_) => {
                batch.extend(assembler.finish());
                false
            }
            Ok(Ok(Some(line))) => {
                batch.extend(assembler.push(line));
                // Whatever else is already waiting goes into the same batch.
                loop {
                    match tokio::time::timeout(Duration::from_millis(20), tail.next_line()).await {
                        Ok(Ok(Some(line))) if batch.len() < 5_000 => {
                            batch.extend(assembler.push(line));
                        }
                        Ok(Ok(Some(line))) => {
                            batch.extend(assembler.push(line));
                            break false;
                        }
                        Ok(Ok(None)) | Ok(Err(_)) => break true,
                        Err(_) => break false,
                    }
                }
            }
            Ok(Ok(None)) | Ok(Err(_)) => true,
        };
        if ended {
            batch.extend(assembler.finish());
        }
        if !batch.is_empty() {
            emit(LogEvent::Appended(batch));
        }
        if ended {
            let message = tail
                .failure()
                .map(|f| f.0.clone())
                .unwrap_or_else(|| format!("{} ended", command.name()));
            emit(LogEvent::Problem {
                source: command.id,
                message,
            });
            return;
        }
    }
}

/// Receives every [`LogEvent`].
pub type LogSink = Arc<dyn Fn(LogEvent) + Send + Sync>;

/// Runs until `requests` closes: reports the first screen, then new entries as they are
/// written, and older entries when asked. Command sources (journald, docker) report their
/// newest lines and everything after as [`LogEvent::Appended`]; a missing command is a
/// [`LogEvent::Problem`] of its source.
pub async fn watch_logs(
    sources: Vec<LogSource>,
    commands: Vec<CommandSource>,
    sizes: WatchSizes,
    mut requests: UnboundedReceiver<LogRequest>,
    emit: LogSink,
) {
    let _commands: Vec<_> = commands
        .into_iter()
        .map(|command| {
            let task = tokio::spawn(follow_command(command, sizes.initial_lines, emit.clone()));
            AbortOnDrop(task)
        })
        .collect();
    let paths: Vec<PathBuf> = sources.iter().map(|s| s.path.clone()).collect();
    let mut signal = ChangeSignal::new(&paths, POLL_INTERVAL);
    let events = signal.uses_events();
    let Ok((mut followed, loaded)) =
        tokio::task::spawn_blocking(move || open_all(sources, sizes.initial_lines)).await
    else {
        return;
    };
    let (entries, problems) = loaded;
    emit(LogEvent::Loaded {
        entries,
        problems,
        events,
    });
    loop {
        let (back, polled) = match tokio::task::spawn_blocking(move || {
            let polled = poll_all(&mut followed);
            (followed, polled)
        })
        .await
        {
            Ok(result) => result,
            Err(_) => return,
        };
        followed = back;
        report(&emit, polled);
        if followed.iter().any(|f| f.tail.has_more()) {
            tokio::task::yield_now().await;
            continue;
        }
        tokio::select! {
            _ = signal.changed() => {}
            request = requests.recv() => match request {
                Some(LogRequest::Older) => {
                    let Ok((back, older)) = tokio::task::spawn_blocking(move || {
                        let older = read_older(&mut followed, sizes.older_lines);
                        (followed, older)
                    })
                    .await
                    else {
                        return;
                    };
                    followed = back;
                    emit(older);
                }
                None => return,
            },
        }
    }
}

/// What one poll of every file found.
#[derive(Debug, Default)]
struct Polled {
    continued: Vec<(u16, Vec<String>)>,
    appended: Vec<LogEntry>,
    problems: Vec<(u16, String)>,
}

fn report(emit: &LogSink, polled: Polled) {
    for (source, lines) in polled.continued {
        emit(LogEvent::Continued { source, lines });
    }
    if !polled.appended.is_empty() {
        emit(LogEvent::Appended(polled.appended));
    }
    for (source, message) in polled.problems {
        emit(LogEvent::Problem { source, message });
    }
}

type Loaded = (Vec<LogEntry>, Vec<(u16, String)>);

/// Starts following every source at its end and reads its newest lines.
fn open_all(sources: Vec<LogSource>, lines: usize) -> (Vec<Followed>, Loaded) {
    let mut per_source = Vec::new();
    let mut problems = Vec::new();
    let mut followed = Vec::new();
    let paths: Vec<PathBuf> = sources.iter().map(|s| s.path.clone()).collect();
    for source in sources {
        // The follower starts first, so nothing written while the history is read is lost.
        let tail = FileTail::at_end(&source.path);
        let (entries, history) = match newest_lines(&source.path, lines) {
            Ok((raw, start)) => {
                let (entries, first) = assemble_from(source.id, &raw, start);
                let history = OlderEntries::before(source.id, &source.path, first, &paths);
                (entries, history)
            }
            Err(err) => {
                problems.push((source.id, format!("{}: {err}", source.path.display())));
                let history = OlderEntries::rotations_of(source.id, &source.path, &paths);
                (Vec::new(), history)
            }
        };
        per_source.push(entries);
        followed.push(Followed {
            open_tail: false,
            follows: !source.is_rotation(),
            assembler: EntryAssembler::new(source.id),
            tail,
            history,
            source,
        });
    }
    (followed, (merge_by_time(per_source), problems))
}

/// Reads what every file got since the last poll. A quiet file's open entry is reported
/// at once; continuation lines arriving later are reported as [`LogEvent::Continued`].
fn poll_all(followed: &mut [Followed]) -> Polled {
    let mut polled = Polled::default();
    let mut per_source = Vec::new();
    for f in followed.iter_mut().filter(|f| f.follows) {
        let lines = match f.tail.poll() {
            Ok(lines) => lines,
            Err(err) => {
                let message = format!("{}: {err}", f.source.path.display());
                polled.problems.push((f.source.id, message));
                Vec::new()
            }
        };
        let mut rest = lines.as_slice();
        if f.open_tail {
            let mut continued = Vec::new();
            while let Some((first, tail)) = rest.split_first() {
                let ParsedLine::Continuation(text) = parse_line(first) else {
                    break;
                };
                continued.push(text);
                rest = tail;
            }
            if !continued.is_empty() {
                polled.continued.push((f.source.id, continued));
            }
            if !rest.is_empty() {
                f.open_tail = false;
            }
        }
        let mut entries: Vec<LogEntry> = rest
            .iter()
            .filter_map(|line| f.assembler.push(line))
            .collect();
        if !f.tail.has_more()
            && let Some(open) = f.assembler.finish()
        {
            entries.push(open);
            f.open_tail = true;
        }
        per_source.push(entries);
    }
    polled.appended = merge_by_time(per_source);
    polled
}

/// Reads up to `lines` older lines of every source.
fn read_older(followed: &mut [Followed], lines: usize) -> LogEvent {
    let mut per_source = Vec::new();
    for f in followed.iter_mut() {
        per_source.push(f.history.read(lines));
    }
    let more = followed.iter().any(|f| !f.history.is_exhausted());
    LogEvent::Older {
        entries: merge_by_time(per_source),
        more,
    }
}
