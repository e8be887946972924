//! `scandyctl logs`: the newest entries of Scandy's logs (tracebacks joined to their entry),
//! merged by time and filtered, reaching back into rotations when the current file holds
//! too few; `--follow` keeps printing new entries across rotations; `--count` counts every
//! file with its rotations. Configured files that give no entry are named on stderr.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use color_eyre::eyre::{Result, WrapErr};
use serde::Serialize;

use super::UsageError;
use super::backup_cmd::load_config;
use crate::cli::{GlobalArgs, LogsArgs};
use crate::logs::assemble::assemble_from;
use crate::logs::configured::check_configured_files;
use crate::logs::entry::{Fields, Level, LogEntry};
use crate::logs::filter::{EntryFilter, merge_by_time, parse_since};
use crate::logs::history::{OlderEntries, newest_lines};
use crate::logs::process::{ProcessAssembler, ProcessTail};
use crate::logs::scan::{ScanCount, count_with_rotations};
use crate::logs::sources::{CommandSource, LogSource, command_sources, file_sources};
use crate::logs::watch::{LogEvent, WatchSizes, watch_logs};
use crate::sanitize::escape_controls;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

/// `scandyctl logs`.
pub async fn run(global: &GlobalArgs, args: &LogsArgs) -> Result<i32> {
    let config = load_config(global)?;
    for notice in check_configured_files(&config) {
        eprintln!("scandyctl: {notice}");
    }
    let mut files = file_sources(&config);
    let first_command = u16::try_from(files.len()).unwrap_or(u16::MAX);
    let mut commands = command_sources(&config, first_command);
    if let Some(wanted) = &args.source {
        let names: Vec<String> = files
            .iter()
            .map(|s| s.name.clone())
            .chain(commands.iter().map(CommandSource::name))
            .collect();
        let wanted_lower = wanted.to_lowercase();
        files.retain(|s| s.name.to_lowercase().contains(&wanted_lower));
        commands.retain(|c| c.name().to_lowercase().contains(&wanted_lower));
        if files.is_empty() && commands.is_empty() {
            return Err(UsageError(format!(
                "no log source matches \"{wanted}\"; available: {}",
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            ))
            .into());
        }
    }
    if files.is_empty() && commands.is_empty() {
        eprintln!(
            "no log files found: [logs] files = {:?} under {}",
            config.logs.files,
            config.scandy.root.display()
        );
        return Ok(1);
    }
    let filter = build_filter(args)?;
    if args.count {
        return count(&files, &filter, args.json);
    }
    let names: HashMap<u16, String> = files
        .iter()
        .map(|s| (s.id, s.name.clone()))
        .chain(commands.iter().map(|c| (c.id, c.name())))
        .collect();
    let mut printer = Printer {
        names: &names,
        filter: &filter,
        json: args.json,
        last_shown: HashMap::new(),
    };
    if args.follow {
        // The watcher follows before the history is read, so nothing written meanwhile is
        // lost; command sources report their newest lines through it.
        let mut events = start_watcher(&files, &commands).await;
        for entry in &file_history(&files, &filter, args.lines)? {
            printer.entry(entry);
        }
        follow(&mut events, &mut printer).await;
        return Ok(0);
    }
    let mut per_source = vec![file_history(&files, &filter, args.lines)?];
    for command in &commands {
        per_source.push(command_history(command, &filter, args.lines).await);
    }
    let merged = merge_by_time(per_source);
    let skip = merged.len().saturating_sub(args.lines);
    for entry in &merged[skip..] {
        printer.entry(entry);
    }
    Ok(0)
}

/// The newest `lines` matching entries of the files (and their rotations), merged.
fn file_history(files: &[LogSource], filter: &EntryFilter, lines: usize) -> Result<Vec<LogEntry>> {
    let paths: Vec<PathBuf> = files.iter().map(|s| s.path.clone()).collect();
    let mut per_source = Vec::new();
    for source in files {
        per_source.push(recent_entries(source, filter, lines, &paths)?);
    }
    let mut merged = merge_by_time(per_source);
    let skip = merged.len().saturating_sub(lines);
    Ok(merged.split_off(skip))
}

/// The newest `lines` entries of a command source that pass `filter`; a command that
/// cannot run is reported on stderr and contributes nothing.
async fn command_history(
    command: &CommandSource,
    filter: &EntryFilter,
    lines: usize,
) -> Vec<LogEntry> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut tail = match ProcessTail::spawn(&command.source, false, lines.saturating_mul(4), &path)
    {
        Ok(tail) => tail,
        Err(unavailable) => {
            eprintln!(
                "scandyctl: {}: {}",
                command.name(),
                escape_controls(&unavailable.0)
            );
            return Vec::new();
        }
    };
    let mut assembler = ProcessAssembler::new(command.id);
    let mut entries = Vec::new();
    loop {
        match tail.next_line().await {
            Ok(Some(line)) => entries.extend(assembler.push(line)),
            Ok(None) => break,
            Err(unavailable) => {
                eprintln!(
                    "scandyctl: {}: {}",
                    command.name(),
                    escape_controls(&unavailable.0)
                );
                break;
            }
        }
    }
    entries.extend(assembler.finish());
    if let Some(failure) = tail.failure() {
        eprintln!(
            "scandyctl: {}: {}",
            command.name(),
            escape_controls(&failure.0)
        );
    }
    entries.retain(|e| filter.matches(e));
    let skip = entries.len().saturating_sub(lines);
    entries.split_off(skip)
}

/// `--count`: every entry of the files and their rotations, each file once, a record
/// Scandy wrote twice once.
fn count(sources: &[LogSource], filter: &EntryFilter, json: bool) -> Result<i32> {
    let mut total = ScanCount::default();
    let mut counted = Vec::new();
    for source in sources {
        let found = count_with_rotations(source, filter, &mut counted)
            .wrap_err_with(|| format!("cannot count the entries of {}", source.name))?;
        total.add(&found);
    }
    if json {
        println!(
            "{}",
            serde_json::json!({
                "entries": total.entries,
                "matching": total.matching,
                "bytes": total.bytes,
                "repeats": total.repeats,
                "files": total.files,
            })
        );
    } else {
        println!("{}", total.matching);
    }
    Ok(0)
}

/// The filter the flags describe; bad values are usage errors naming them.
fn build_filter(args: &LogsArgs) -> Result<EntryFilter> {
    let min_level = match &args.level {
        Some(text) => Some(Level::parse(text).ok_or_else(|| {
            UsageError(format!(
                "--level {text}: unknown level (debug, info, warning, error, critical)"
            ))
        })?),
        None => None,
    };
    let now = chrono::Local::now().naive_local();
    let since = match &args.since {
        Some(text) => Some(
            parse_since(text, now).map_err(|err| UsageError(format!("--since {text}: {err}")))?,
        ),
        None => None,
    };
    let pattern = match &args.grep {
        Some(text) => Some(
            regex::RegexBuilder::new(text)
                .case_insensitive(true)
                .build()
                .map_err(|err| UsageError(format!("--grep {text}: not a valid pattern: {err}")))?,
        ),
        None => None,
    };
    Ok(EntryFilter {
        min_level,
        sources: None,
        since,
        until: None,
        pattern,
    })
}

/// Most lines read from a log in one step while looking for the newest entries.
const MAX_STEP_LINES: usize = 200_000;

/// The last `wanted` entries of `source` that pass `filter`, reading backwards from the end
/// of the file in steps and on into its rotations (`.1`, `.2`, … `.gz`; those that are
/// sources of their own, in `sources`, left out) — never more than needed.
fn recent_entries(
    source: &LogSource,
    filter: &EntryFilter,
    wanted: usize,
    sources: &[PathBuf],
) -> Result<Vec<LogEntry>> {
    let mut step = wanted.saturating_mul(8).clamp(1000, MAX_STEP_LINES);
    let (lines, start) = newest_lines(&source.path, step)
        .wrap_err_with(|| format!("cannot read {}", source.path.display()))?;
    let (mut batch, first) = assemble_from(source.id, &lines, start);
    let mut older = OlderEntries::before(source.id, &source.path, first, sources);
    // Newest batch first.
    let mut batches: Vec<Vec<LogEntry>> = Vec::new();
    let mut found = 0;
    loop {
        let reached_since = filter.since.is_some_and(|since| {
            batch
                .iter()
                .find_map(|e| e.timestamp)
                .is_some_and(|first| first < since)
        });
        batch.retain(|e| filter.matches(e));
        found += batch.len();
        batches.push(batch);
        if found >= wanted || reached_since || older.is_exhausted() {
            break;
        }
        step = step.saturating_mul(2).min(MAX_STEP_LINES);
        batch = older.read(step);
    }
    let mut matching: Vec<LogEntry> = batches.into_iter().rev().flatten().collect();
    let skip = matching.len().saturating_sub(wanted);
    Ok(matching.split_off(skip))
}

/// Starts the watcher (no file history of its own) and waits until it follows.
async fn start_watcher(
    sources: &[LogSource],
    commands: &[CommandSource],
) -> UnboundedReceiver<LogEvent> {
    let (tx, mut rx) = unbounded_channel();
    let (requests_tx, requests) = unbounded_channel();
    let sizes = WatchSizes {
        initial_lines: 50,
        older_lines: 0,
    };
    let sources = sources.to_vec();
    let commands = commands.to_vec();
    tokio::spawn(async move {
        // Keeps the request channel open for as long as the watcher runs.
        let _requests = requests_tx;
        let sink = move |event| {
            let _ = tx.send(event);
        };
        watch_logs(sources, commands, sizes, requests, Arc::new(sink)).await;
    });
    // The first report says the files are followed; it carries no entries.
    let _ = rx.recv().await;
    rx
}

/// Prints new entries as they are written until Ctrl-C.
async fn follow(events: &mut UnboundedReceiver<LogEvent>, printer: &mut Printer<'_>) {
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Some(LogEvent::Appended(entries)) => {
                    for entry in &entries {
                        printer.entry(entry);
                    }
                }
                Some(LogEvent::Continued { source, lines }) => printer.continued(source, &lines),
                Some(LogEvent::Problem { message, .. }) => {
                    eprintln!("scandyctl: {}", escape_controls(&message));
                }
                Some(_) => {}
                None => return,
            },
            _ = tokio::signal::ctrl_c() => return,
        }
    }
}

/// One entry as JSON Lines output.
#[derive(Debug, Serialize)]
struct EntryJson<'a> {
    source: &'a str,
    time: Option<String>,
    level: Option<Level>,
    logger: Option<&'a str>,
    message: &'a str,
    continuation: &'a [String],
    truncated: bool,
    #[serde(skip_serializing_if = "Fields::is_empty")]
    fields: &'a Fields,
}

/// Prints entries that pass the filter, text or JSON Lines.
struct Printer<'a> {
    names: &'a HashMap<u16, String>,
    filter: &'a EntryFilter,
    json: bool,
    /// Per source: whether its newest entry was printed (its later traceback lines are).
    last_shown: HashMap<u16, bool>,
}

impl Printer<'_> {
    fn entry(&mut self, entry: &LogEntry) {
        let shown = self.filter.matches(entry);
        self.last_shown.insert(entry.source, shown);
        if shown {
            print_entry(entry, self.names, self.json);
        }
    }

    fn continued(&mut self, source: u16, lines: &[String]) {
        if !self.last_shown.get(&source).copied().unwrap_or(false) {
            return;
        }
        for line in lines {
            if self.json {
                let name = self.names.get(&source).map_or("?", String::as_str);
                let record = serde_json::json!({ "source": name, "continuation": line });
                if let Ok(text) = crate::sanitize::to_json_line(&record) {
                    println!("{text}");
                }
            } else {
                println!("    {}", escape_controls(line));
            }
        }
    }
}

fn print_entry(entry: &LogEntry, names: &HashMap<u16, String>, json: bool) {
    let source = names.get(&entry.source).map_or("?", String::as_str);
    let time = entry
        .timestamp
        .map(|t| t.format("%Y-%m-%d %H:%M:%S%.3f").to_string());
    if json {
        let line = EntryJson {
            source,
            time,
            level: entry.level,
            logger: entry.logger.as_deref(),
            message: &entry.message,
            continuation: &entry.continuation,
            truncated: entry.truncated,
            fields: &entry.fields,
        };
        if let Ok(text) = crate::sanitize::to_json_line(&line) {
            println!("{text}");
        }
        return;
    }
    let level = entry.level.map_or("", Level::label);
    let logger = entry
        .logger
        .as_deref()
        .map(|l| format!("{l}: "))
        .unwrap_or_default();
    println!(
        "{} {level:<8} [{}] {}{}",
        time.as_deref().unwrap_or("-"),
        escape_controls(source),
        escape_controls(&logger),
        escape_controls(&entry.message)
    );
    for line in &entry.continuation {
        println!("    {}", escape_controls(line));
    }
}
