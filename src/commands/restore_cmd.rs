//! `scandyctl restore ID ...`: dry run, typed confirmation, safety backup, staged restore;
//! `scandyctl restore --ack JOURNAL` acknowledges an interrupted one.
//!
//! Once the restore has started it no longer depends on the terminal: SIGHUP and SIGPIPE
//! are ignored, output to a terminal or pipe that went away is dropped (the journal and
//! `--log FILE` still get everything), and `status` reports the outcome afterwards.

use std::fs::File;
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use color_eyre::eyre::{Result, WrapErr, bail};

use super::backup_cmd::{cancel_on_signal, load_config};
use super::progress_line::progress_text;
use super::recovery::print_notes;
use crate::backup::crypt::load_identities;
use crate::backup::progress::Progress;
use crate::backup::restore::{
    RestoreOutcome, RestorePart, RestorePlan, RestoreRequest, RunOptions, acknowledge,
    plan_restore, recover_interrupted_restores, run_restore_with,
};
use crate::cli::{GlobalArgs, OnlyArg, RestoreArgs};
use crate::maintenance_log::MaintenanceEntry;
use crate::maintenance_log::job_entry::restore_evidence;
use crate::sanitize::escape_controls;

/// How often `--log` gets a progress line.
const LOG_PROGRESS_EVERY: Duration = Duration::from_secs(2);

/// Plans, confirms and runs a restore (or acknowledges a journal with `--ack`); a restore
/// that fails before it runs (unknown set, refused plan) is recorded in the maintenance log
/// as `failed` too (usage errors are not).
pub async fn run(global: &GlobalArgs, args: &RestoreArgs) -> Result<i32> {
    let result = run_unlogged(global, args).await;
    if args.ack.is_none()
        && !args.dry_run
        && let Err(err) = &result
        && !err.is::<Declined>()
    {
        super::log_cmd::record_cli(args_entry(args), &result, |_| Vec::new());
    }
    result
}

/// The maintenance log entry of a restore that failed before it ran.
fn args_entry(args: &RestoreArgs) -> MaintenanceEntry {
    let what = args
        .id
        .clone()
        .or_else(|| args.at.clone())
        .unwrap_or_default();
    MaintenanceEntry::now("restore", &format!("restore of {what}"), "")
        .param_opt("set", args.id.clone())
        .param_opt("at", args.at.clone())
        .param_opt(
            "only",
            args.only.map(|only| match only {
                OnlyArg::Db => "db",
                OnlyArg::Files => "files",
            }),
        )
        .param_opt(
            "collections",
            args.collections.as_ref().map(|c| c.join(",")),
        )
        .param_opt("to_db", args.to_db.clone())
        .param_opt("missing_only", args.missing_only.then_some("true"))
}

async fn run_unlogged(global: &GlobalArgs, args: &RestoreArgs) -> Result<i32> {
    let config = load_config(global)?;
    if let Some(journal) = &args.ack {
        return run_ack(journal, args.force, args.json);
    }
    let at = match &args.at {
        Some(at) => {
            if matches!(args.only, Some(OnlyArg::Files)) {
                bail!(super::UsageError(
                    "--at restores the database to a point in time; files have no oplog (restore them from a set with --only files)".into()
                ));
            }
            Some(parse_time(at)?)
        }
        None => None,
    };
    let Some(id) = args.id.clone().or_else(|| at.map(|_| String::new())) else {
        bail!(super::UsageError(
            "restore needs a set id (or --at TIME, or --ack JOURNAL)".into()
        ));
    };
    let identities = match &config.backup.identity {
        Some(path) => load_identities(&config.resolve(path))?,
        None => Vec::new(),
    };
    print_notes(&recover_interrupted_restores(&config).await.notes());
    let mut missing_collections = Vec::new();
    let target = if at.is_some() {
        super::legacy_cmd::Target::Other
    } else {
        super::legacy_cmd::resolve(&config, &id)?
    };
    let id = match target {
        super::legacy_cmd::Target::Other => id,
        super::legacy_cmd::Target::Legacy(found) => {
            let backup = super::legacy_cmd::single(found, &id)?;
            if args.dry_run {
                return legacy_dry_run(&config, backup, args.json).await;
            }
            let outcome = super::legacy_cmd::convert(&config, backup, args.keep_types).await?;
            if args.json {
                eprintln!("legacy backup converted into set {}", outcome.id);
            } else {
                super::legacy_cmd::print_conversion(&outcome);
            }
            missing_collections = outcome.legacy_report.missing_collections.clone();
            outcome.id
        }
    };
    let request = RestoreRequest {
        id,
        only: args.only.map(|only| match only {
            OnlyArg::Db => RestorePart::Db,
            OnlyArg::Files => RestorePart::Files,
        }),
        collections: args.collections.clone(),
        to_db: args.to_db.clone(),
        files_to: args.files_to.clone(),
        safety_backup: !args.no_safety_backup,
        at,
        missing_files_only: args.missing_only,
    };
    let plan = plan_restore(&config, &request, &identities).await?;
    if args.no_safety_backup && plan.overwrites_live && !args.force && !args.dry_run {
        bail!(super::UsageError(
            "--no-safety-backup on live data (the configured database or the Scandy root) \
             needs --force too: without the safety backup nothing can undo this restore; \
             nothing was changed"
                .into()
        ));
    }
    if args.json && args.dry_run {
        println!("{}", crate::sanitize::to_json_pretty(&plan)?);
        return Ok(crate::exit::OK);
    }
    let mut plan_out: Box<dyn Write> = if args.json {
        Box::new(std::io::stderr().lock())
    } else {
        Box::new(std::io::stdout().lock())
    };
    print_plan(&mut plan_out, &plan, args.dry_run);
    if !missing_collections.is_empty() && plan.database.is_some() {
        let _ = writeln!(
            plan_out,
            "  not in this backup, left as they are (never dropped): {}",
            escape_controls(&missing_collections.join(", "))
        );
    }
    drop(plan_out);
    if args.dry_run {
        return Ok(crate::exit::OK);
    }
    if !args.yes {
        let database = plan
            .database
            .as_ref()
            .map(|d| d.target.clone())
            .unwrap_or_else(|| config.mongo.database.clone());
        confirm(&database, args.json)?;
    }
    let output = Arc::new(RestoreOutput::open(args.log.as_deref())?);
    detach_from_terminal(&output);
    output.log(&format!("restore of {} started", plan.id));
    let options = RunOptions {
        terminal_lost: Some(output.lost.clone()),
    };
    let result = run_restore_with(
        &config,
        &plan,
        &request,
        &identities,
        output.progress_sink(),
        cancel_on_signal(),
        &options,
    )
    .await;
    output.clear_progress();
    let entry = crate::maintenance_log::job_entry::with_restore_request(
        MaintenanceEntry::now("restore", &format!("restore of {}", plan.id), ""),
        &request,
    )
    .param_opt("database", plan.database.as_ref().map(|d| d.target.clone()));
    super::log_cmd::record_cli(entry, &result, restore_evidence);
    match result {
        Ok(outcome) => {
            report(&output, &outcome, args.json)?;
            Ok(crate::exit::OK)
        }
        Err(err) => {
            let text = format!("scandyctl: error: {}", escape_controls(&format!("{err:#}")));
            output.err_line(&text);
            Ok(super::exit_code_for(&err))
        }
    }
}

/// `restore --dry-run` of a legacy backup: what a restore would load (read from the backup
/// itself; nothing is converted or written).
async fn legacy_dry_run(
    config: &crate::config::Config,
    backup: crate::backup::legacy::LegacyBackup,
    json: bool,
) -> Result<i32> {
    let live = super::legacy_cmd::live_database(config).await;
    let database = config.mongo.database.clone();
    let live_for_check = live.clone();
    let report = tokio::task::spawn_blocking(move || {
        crate::backup::legacy::check::verify_legacy(
            &backup,
            crate::backup::verify::VerifyLevel::Deep,
            &database,
            live_for_check.as_ref(),
        )
    })
    .await?;
    if json {
        println!("{}", crate::sanitize::to_json_pretty(&report)?);
        return Ok(if report.ok {
            crate::exit::OK
        } else {
            crate::exit::VERIFY_FAILED
        });
    }
    println!(
        "restore of legacy backup {} ({}) would first convert it into a regular set, then \
         restore that set (safety backup, staged swap):",
        report.id,
        report.format.as_str()
    );
    for c in &report.collections {
        let now = live
            .as_ref()
            .and_then(|l| l.collections.get(&c.name))
            .map(|l| format!("{} now", l.documents))
            .unwrap_or_else(|| "does not exist".into());
        let conv = &c.conversions;
        println!(
            "    {:<28} {:>9} from backup, {now}; {} _id string(s) → ObjectId, {} date \
             string(s) → dates",
            escape_controls(&c.name),
            c.documents,
            conv.id_strings,
            conv.date_strings
        );
    }
    if !report.missing_collections.is_empty() {
        println!(
            "  not in this backup, left as they are (never dropped): {}",
            escape_controls(&report.missing_collections.join(", "))
        );
    }
    if report.files > 0 {
        println!(
            "  {} file(s) would be restored into the Scandy root",
            report.files
        );
    }
    for f in &report.findings {
        println!(
            "  [{}] {}",
            f.code,
            crate::sanitize::escape_controls_keep_lines(&f.message)
        );
    }
    Ok(if report.ok {
        crate::exit::OK
    } else {
        crate::exit::VERIFY_FAILED
    })
}

/// `restore --ack JOURNAL|all`.
fn run_ack(journal: &str, force: bool, json: bool) -> Result<i32> {
    let removed = acknowledge(journal, force)?;
    if json {
        println!(
            "{}",
            crate::sanitize::to_json_pretty(&serde_json::json!({ "acknowledged": removed }))?
        );
    } else if removed.is_empty() {
        println!("no restore journal to acknowledge");
    } else {
        for id in removed {
            println!("acknowledged restore journal {}", escape_controls(&id));
        }
    }
    Ok(crate::exit::OK)
}

/// From here on the restore goes on without the terminal: a hang-up is noted (journal,
/// log) but does not stop it, and writes to a closed pipe fail instead of killing it.
fn detach_from_terminal(output: &Arc<RestoreOutput>) {
    // SAFETY: SIG_IGN is a valid disposition; no handler code runs.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
    let Ok(mut hangup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
    else {
        // SAFETY: as above.
        unsafe {
            libc::signal(libc::SIGHUP, libc::SIG_IGN);
        }
        output.lost.store(true, Ordering::Relaxed);
        return;
    };
    let output = output.clone();
    tokio::spawn(async move {
        while hangup.recv().await.is_some() {
            output.lost.store(true, Ordering::Relaxed);
            output.log("hang-up received (terminal gone); the restore goes on");
        }
    });
}

/// Prints the outcome (stdout, and the log).
fn report(output: &RestoreOutput, outcome: &RestoreOutcome, json: bool) -> Result<()> {
    for note in &outcome.notes {
        output.err_line(&format!("note: {}", escape_controls(note)));
    }
    if json {
        output.out_line(&crate::sanitize::to_json_pretty(outcome)?);
    }
    if let Some(safety) = &outcome.safety_backup {
        let line = format!("safety backup: {safety} (restore it to undo)");
        if json {
            output.log(&line);
        } else {
            output.out_line(&line);
        }
    }
    let documents: u64 = outcome.documents.iter().map(|(_, n)| n).sum();
    let line = format!(
        "restored {} collection(s), {documents} document(s); {} file(s) written, {} overwritten \
         (swap {:.2} s)",
        outcome.documents.len(),
        outcome.files_written,
        outcome.files_overwritten,
        outcome.timings.swap_s
    );
    if json {
        output.log(&line);
    } else {
        output.out_line(&line);
    }
    Ok(())
}

/// Where a running restore's output goes: stdout/stderr while they work, the `--log` file
/// always.
struct RestoreOutput {
    log: Option<Mutex<File>>,
    /// Set on a hang-up or when writing to the terminal or pipe failed.
    lost: Arc<AtomicBool>,
    stderr_terminal: bool,
    started: Instant,
    progress_line: Mutex<(Instant, Instant)>,
}

impl RestoreOutput {
    fn open(log: Option<&Path>) -> Result<RestoreOutput> {
        let log = match log {
            Some(path) => Some(Mutex::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .wrap_err_with(|| format!("cannot open the log file {}", path.display()))?,
            )),
            None => None,
        };
        let long_ago = Instant::now() - Duration::from_secs(60);
        Ok(RestoreOutput {
            log,
            lost: Arc::new(AtomicBool::new(false)),
            stderr_terminal: std::io::stderr().is_terminal(),
            started: Instant::now(),
            progress_line: Mutex::new((long_ago, long_ago)),
        })
    }

    /// Appends a time-stamped line to the log file.
    fn log(&self, line: &str) {
        if let Some(file) = &self.log
            && let Ok(mut file) = file.lock()
        {
            let stamp = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ");
            let _ = writeln!(file, "{stamp} {line}");
            let _ = file.flush();
        }
    }

    fn write(&self, mut stream: impl Write, line: &str) {
        let ok = writeln!(stream, "{line}").and_then(|()| stream.flush());
        if ok.is_err() {
            self.lost.store(true, Ordering::Relaxed);
        }
    }

    /// A line for stdout (and the log).
    fn out_line(&self, line: &str) {
        self.write(std::io::stdout().lock(), line);
        self.log(line);
    }

    /// A line for stderr (and the log).
    fn err_line(&self, line: &str) {
        self.clear_progress();
        self.write(std::io::stderr().lock(), line);
        self.log(line);
    }

    fn clear_progress(&self) {
        if self.stderr_terminal {
            let mut err = std::io::stderr().lock();
            if write!(err, "\r\x1b[2K").and_then(|()| err.flush()).is_err() {
                self.lost.store(true, Ordering::Relaxed);
            }
        }
    }

    /// The progress callback: a redrawn line on a terminal stderr (10 a second), a line
    /// in the log every 2 s.
    fn progress_sink(self: &Arc<Self>) -> Arc<dyn Fn(Progress) + Send + Sync> {
        let output = self.clone();
        Arc::new(move |p: Progress| {
            let Ok(mut last) = output.progress_line.lock() else {
                return;
            };
            let text = progress_text(&p, output.started.elapsed());
            if output.stderr_terminal
                && !output.lost.load(Ordering::Relaxed)
                && last.0.elapsed() >= Duration::from_millis(100)
            {
                last.0 = Instant::now();
                let mut err = std::io::stderr().lock();
                if write!(err, "\r\x1b[2K{text}")
                    .and_then(|()| err.flush())
                    .is_err()
                {
                    output.lost.store(true, Ordering::Relaxed);
                }
            }
            if output.log.is_some() && last.1.elapsed() >= LOG_PROGRESS_EVERY {
                last.1 = Instant::now();
                output.log(&format!("progress {text}"));
            }
        })
    }
}

/// Describes the plan on `out` (stderr under `--json`, so that stdout stays one JSON
/// document).
fn print_plan(out: &mut dyn Write, plan: &RestorePlan, dry_run: bool) {
    let verb = if dry_run { "would" } else { "will" };
    let _ = writeln!(out, "restore of {}:", plan.id);
    if plan.chain.len() > 1 {
        let _ = writeln!(
            out,
            "  chain read: {}",
            escape_controls(&plan.chain.join(" <- "))
        );
    }
    if let Some(pit) = &plan.point_in_time {
        let _ = writeln!(
            out,
            "  then {} oplog slice(s) {verb} be replayed up to {}",
            pit.slices.len(),
            pit.at.format("%Y-%m-%d %H:%M:%S UTC")
        );
    }
    if plan.safety_backup {
        let _ = writeln!(
            out,
            "  a pre-restore safety backup of the current state {verb} be taken first"
        );
    }
    if let Some(db) = &plan.database {
        let live = if db.live { " (the live database)" } else { "" };
        let _ = writeln!(
            out,
            "  database {}{live}: {} collection(s) {verb} be replaced (loaded beside the live ones, then swapped in)",
            escape_controls(&db.target),
            db.collections.len()
        );
        for c in &db.collections {
            let now = c
                .current_documents
                .map(|n| format!("{n} now"))
                .unwrap_or_else(|| "does not exist".into());
            let _ = writeln!(
                out,
                "    {:<28} {:>9} from backup, {now}",
                escape_controls(&c.name),
                c.backup_documents
            );
        }
    }
    if let Some(files) = &plan.files {
        let _ = writeln!(
            out,
            "  files into {}: {} added, {} overwritten",
            escape_controls(&files.target.display().to_string()),
            files.added.len(),
            files.overwritten.len()
        );
        for path in files.overwritten.iter().take(20) {
            let _ = writeln!(
                out,
                "    overwrite {}",
                escape_controls(&path.display().to_string())
            );
        }
        if files.overwritten.len() > 20 {
            let _ = writeln!(out, "    … and {} more", files.overwritten.len() - 20);
        }
    }
}

/// Asks for the database name on the terminal (the prompt on stderr under `--json`).
fn confirm(database: &str, json: bool) -> Result<()> {
    if !std::io::stdin().is_terminal() {
        bail!(super::NeedsConfirmation { command: "restore" });
    }
    let prompt = format!("Type the database name ({database}) to confirm the restore: ");
    if json {
        let mut err = std::io::stderr().lock();
        write!(err, "{prompt}")?;
        err.flush()?;
    } else {
        let mut out = std::io::stdout().lock();
        write!(out, "{prompt}")?;
        out.flush()?;
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    if line.trim() != database {
        bail!(Declined(format!(
            "confirmation did not match {database}; nothing was changed"
        )));
    }
    Ok(())
}

/// The typed confirmation did not match: nothing was attempted, nothing is logged.
#[derive(Debug)]
struct Declined(String);

impl std::fmt::Display for Declined {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Declined {}

/// `2026-12-01 14:05[:30]` in local time, or RFC 3339.
fn parse_time(text: &str) -> Result<chrono::DateTime<chrono::Utc>> {
    crate::backup::pitr::window::parse_time(text).ok_or_else(|| {
        super::UsageError(format!(
            "--at {}: not a time; write 2026-12-01 14:05, 2026-12-01 14:05:30 (local time) or RFC 3339",
            escape_controls(text)
        ))
        .into()
    })
}
