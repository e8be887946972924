//! Command-line interface: global flags and subcommands (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub use crate::cli_maintenance::{
    CadenceArg, CheckArgs, LogArgs, LogCommand, ReportArgs, ReportKindArg,
};
use crate::config::{CliOverrides, LanguageSetting};

/// scandyctl: console and headless CLI for Scandy installations.
#[derive(Debug, Parser)]
#[command(name = "scandyctl", version, about, long_about = None)]
pub struct Cli {
    /// Flags that apply to every subcommand.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do; without a subcommand the console opens.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Flags shared by all subcommands; they override environment, config file and `.env`.
#[derive(Debug, Args, Clone, Default)]
pub struct GlobalArgs {
    /// Config file (else $SCANDYCTL_CONFIG, ./scandyctl.toml, ~/.config/scandyctl/config.toml, /etc/scandyctl/config.toml).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Scandy install directory (its .env is read).
    #[arg(long, global = true, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// MongoDB connection string.
    #[arg(long = "mongo-uri", global = true, value_name = "URI")]
    pub mongo_uri: Option<String>,
    /// Database name.
    #[arg(long, global = true, value_name = "NAME")]
    pub database: Option<String>,
    /// Backup directory.
    #[arg(long = "backup-dir", global = true, value_name = "DIR")]
    pub backup_dir: Option<PathBuf>,
    /// Console language.
    #[arg(long, global = true, value_enum, value_name = "LANG")]
    pub lang: Option<LangArg>,
}

/// Values of `--lang`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LangArg {
    /// Follow LANG.
    Auto,
    /// English.
    En,
    /// German.
    De,
}

impl GlobalArgs {
    /// The flags as configuration overrides.
    pub fn overrides(&self) -> CliOverrides {
        CliOverrides {
            config_file: self.config.clone(),
            root: self.root.clone(),
            mongo_uri: self.mongo_uri.clone(),
            database: self.database.clone(),
            backup_dir: self.backup_dir.clone(),
            language: self.lang.map(|lang| match lang {
                LangArg::Auto => LanguageSetting::Auto,
                LangArg::En => LanguageSetting::En,
                LangArg::De => LanguageSetting::De,
            }),
        }
    }
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the full-screen console (the default).
    Console,
    /// Print the effective configuration and where each value came from (passwords redacted).
    Config {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Find Scandy installs (native, docker compose, multi-instance).
    Detect {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
        /// Print every finding weighed for the native/docker verdict.
        #[arg(long)]
        explain: bool,
        /// Directories to search (default: /opt/scandy, /opt, /srv, /home/*, /root, the current directory).
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
    /// Build a sandbox Scandy install with live logs and seeded data, and open the console on it.
    Demo(DemoArgs),
    /// Take a backup of the database and files (prints the new set id).
    Backup {
        /// Kind of backup.
        #[arg(long = "type", value_enum, default_value = "full")]
        kind: BackupTypeArg,
        /// Parent of an incremental (default: the newest set of the database).
        #[arg(long, value_name = "ID")]
        parent: Option<String>,
        /// Compare every document with the parent even where the oplog could name the changes.
        #[arg(long)]
        scan: bool,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Write a full set equal to the state at an incremental, from its chain alone.
    Flatten {
        /// Set id (an incremental; a full is copied as it is).
        id: String,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Check backup sets: sizes and SHA-256, with --deep also every document and tar entry.
    Verify {
        /// Set id (default: the newest set).
        id: Option<String>,
        /// Verify every set.
        #[arg(long, conflicts_with = "id")]
        all: bool,
        /// Decrypt, decompress and parse everything.
        #[arg(long)]
        deep: bool,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Restore a set (database and/or files); takes a safety backup of the live state first.
    Restore(RestoreArgs),
    /// Emergency recovery: diagnose what is wrong (exit 3 when an incident is found), or
    /// recover database, collection or file loss unattended with --auto --yes.
    Recover(RecoverArgs),
    /// Write a set as one portable file (for SFTP or physical media).
    Export {
        /// Set id.
        id: String,
        /// Output file, or an existing directory to write `<ID>.tar` into.
        #[arg(long, value_name = "PATH")]
        out: PathBuf,
    },
    /// Verify an exported file and add it to the backup directory, or (`--legacy`) convert
    /// one of Scandy's own backups or a mongodump output into a regular set.
    Import {
        /// The exported file.
        #[arg(required_unless_present = "legacy")]
        file: Option<PathBuf>,
        /// A legacy backup (its id from `scandyctl list`, or its path) to convert.
        #[arg(long, value_name = "ID|PATH", conflicts_with = "file")]
        legacy: Option<String>,
        /// With --legacy: keep `_id` and date strings as strings (the JSON literally).
        #[arg(long, requires = "legacy")]
        keep_types: bool,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Remove backup sets the retention policy no longer keeps (7 days, 4 weeks, 12 months).
    Prune(PruneArgs),
    /// Show the newest entries of Scandy's logs (tracebacks joined), merged by time.
    Logs(LogsArgs),
    /// List backup sets.
    List {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Backup inventory and warnings (no recent backup, failed verify, low space, ...).
    Status {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// MongoDB statistics and index checks.
    Db(DbArgs),
    /// Automatic backups: show the schedule, run it (daemon or once), install systemd units.
    Schedule(ScheduleArgs),
    /// Oplog slices for point-in-time restore (replica sets).
    Oplog {
        /// What to do.
        #[command(subcommand)]
        command: OplogCommand,
    },
    /// Notification channels (e-mail, webhooks): send a test message.
    Notify(NotifyArgs),
    /// Evaluate the alert rules headless (as a systemd service) and notify; `--once` checks once.
    Watch {
        /// One evaluation (thresholds only, `for_seconds` ignored); exit 3 when any alert is active.
        #[arg(long)]
        once: bool,
        /// Machine-readable output (with `--once`).
        #[arg(long, requires = "once")]
        json: bool,
        /// Serve the metrics for Prometheus at http://ADDR/metrics (e.g. 127.0.0.1:9817).
        #[arg(long, value_name = "ADDR", conflicts_with = "once")]
        metrics_listen: Option<String>,
    },
    /// Run the automatic items of the daily, weekly or monthly maintenance checklist
    /// (exit 0 ok, 1 warning, 2 failed, 3 could not check).
    Check(CheckArgs),
    /// Show the maintenance log (`log verify` checks its hash chain).
    Log(LogArgs),
    /// Write the weekly or monthly maintenance report (Markdown or HTML): exit 0 written,
    /// 6 written but MongoDB unreachable (its section says so), 2 bad --month/--week/--out.
    Report(ReportArgs),
    /// Runs one job for the console in the background (started by the console, which hands
    /// over its configuration on stdin).
    #[command(name = "job-worker", hide = true)]
    JobWorker {
        /// The job file in the state directory.
        #[arg(long, value_name = "FILE")]
        job: PathBuf,
    },
}

/// Flags of `scandyctl schedule`.
#[derive(Debug, Args, Clone)]
pub struct ScheduleArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: ScheduleCommand,
}

/// Subcommands of `scandyctl oplog`.
#[derive(Debug, Subcommand, Clone)]
pub enum OplogCommand {
    /// Store the oplog entries since the newest position as a slice (a set of type `oplog`).
    Capture {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// The point-in-time window: from which times `restore --at` can reach.
    Window {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
}

/// Subcommands of `scandyctl schedule`.
#[derive(Debug, Subcommand, Clone)]
pub enum ScheduleCommand {
    /// Each entry with its next five runs (local time and UTC), the last run and its outcome.
    Show {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Run the schedule in the foreground (for systemd): sleep until the next slot, back up,
    /// verify, prune; `--once` runs what is due now (catch-up included) and exits.
    Run {
        /// One pass: run what is due, then exit (what a systemd timer or cron calls).
        #[arg(long)]
        once: bool,
        /// With `--once`: longest wait in seconds for a busy backup directory (default 3600).
        #[arg(long, requires = "once", value_name = "SECONDS")]
        wait: Option<u64>,
        /// Machine-readable output (with `--once`).
        #[arg(long, requires = "once")]
        json: bool,
    },
    /// Write the systemd units (the service or the timer) with this binary and config filled in.
    Install {
        /// The timer pair scandyctl-backup.{service,timer} (`schedule run --once`).
        #[arg(long, conflicts_with = "service")]
        timer: bool,
        /// The daemon scandyctl-schedule.service (`schedule run`; the default).
        #[arg(long)]
        service: bool,
        /// Print the units instead of writing them.
        #[arg(long)]
        dry_run: bool,
        /// Also run `systemctl daemon-reload` and `systemctl enable --now` for the unit.
        #[arg(long, conflicts_with = "dry_run")]
        enable: bool,
        /// Directory to write the units to.
        #[arg(long, value_name = "DIR", default_value = "/etc/systemd/system")]
        unit_dir: PathBuf,
    },
}

/// Flags of `scandyctl notify`.
#[derive(Debug, Args, Clone)]
pub struct NotifyArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: NotifyCommand,
}

/// Subcommands of `scandyctl notify`.
#[derive(Debug, Subcommand, Clone)]
pub enum NotifyCommand {
    /// Send a test message through every `[notify]` channel (or one); exit 1 if any failed.
    Test {
        /// Only this channel.
        #[arg(long, value_name = "NAME")]
        channel: Option<String>,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
}

/// Flags of `scandyctl logs`.
#[derive(Debug, Args, Clone)]
pub struct LogsArgs {
    /// Keep printing new entries as they are written (across log rotations) until Ctrl-C.
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// Only sources whose name contains this text (e.g. `app`, `security`, `auto_backup`).
    #[arg(long, value_name = "NAME")]
    pub source: Option<String>,
    /// Only entries at or above this level (debug, info, warning, error, critical).
    #[arg(long, value_name = "LEVEL")]
    pub level: Option<String>,
    /// Only entries since a time: `30m`, `1h`, `2d` ago, or `2025-07-31 21:00`.
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// Only entries matching this regular expression, case-insensitive (message, logger and
    /// traceback lines).
    #[arg(long, value_name = "RE")]
    pub grep: Option<String>,
    /// How many entries to show (before following); taken from the rotations (`app.log.1`,
    /// `.2.gz`, …) when the current file holds fewer.
    #[arg(long, short = 'n', default_value_t = 50, value_name = "N")]
    pub lines: usize,
    /// Read every file with its rotations (`app.log.1` … `.N`, `.gz` too; each file once) and
    /// print only the number of matching entries (like `grep -c`, but a traceback counts once
    /// and a record Scandy wrote twice — same time, level and message in a row — once).
    #[arg(long, conflicts_with = "follow")]
    pub count: bool,
    /// One JSON object per entry (JSON Lines).
    #[arg(long)]
    pub json: bool,
}

/// Flags of `scandyctl db`.
#[derive(Debug, Args, Clone)]
pub struct DbArgs {
    /// What to inspect.
    #[command(subcommand)]
    pub command: DbCommand,
}

/// Subcommands of `scandyctl db`.
#[derive(Debug, Subcommand, Clone)]
pub enum DbCommand {
    /// Server and database statistics: version, uptime, connections, operations, topology,
    /// per-collection documents, sizes and TTL.
    Stats {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Indexes with size and usage, checked against the ones Scandy expects.
    Indexes {
        /// Only this collection.
        #[arg(long, value_name = "NAME")]
        collection: Option<String>,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
        /// Create the expected indexes that are missing.
        #[arg(long)]
        create_missing: bool,
    },
    /// Data health checks (orphans, duplicates, ...); `--fix CHECK` repairs one check.
    Health {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
        /// Apply the fix of this check.
        #[arg(long, value_name = "CHECK")]
        fix: Option<String>,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
    /// Validate collections (structure, documents, indexes); exit 3 when any is invalid.
    Validate {
        /// Only this collection.
        #[arg(long, value_name = "NAME")]
        collection: Option<String>,
        /// Full validation (slower, more thorough).
        #[arg(long)]
        full: bool,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Compact one collection to release unused disk space (asks for confirmation).
    Compact {
        /// The collection to compact.
        #[arg(long, value_name = "NAME")]
        collection: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Rebuild every index of one collection (standalone servers only; deprecated since
    /// MongoDB 6.0; asks for confirmation).
    Reindex {
        /// The collection whose indexes are rebuilt.
        #[arg(long, value_name = "NAME")]
        collection: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
}

/// Values of `backup --type`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum BackupTypeArg {
    /// Database and files, complete.
    Full,
    /// Only what changed since the parent (a full when no parent can be used).
    Incremental,
    /// Incremental, but a full once the chain gets longer than `backup.max_chain` sets or
    /// its base older than `backup.max_chain_age_days`.
    Auto,
}

/// Values of `restore --only`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OnlyArg {
    /// Only the database.
    Db,
    /// Only the files.
    Files,
}

/// Flags of `scandyctl recover`.
#[derive(Debug, Args, Clone)]
pub struct RecoverArgs {
    /// Run the detection only and print the diagnosis (exit 0 healthy, 3 incident found).
    #[arg(long, conflicts_with_all = ["auto", "reports"])]
    pub diagnose: bool,
    /// Recover unattended: recovery point, safety backup, restore, verification, report.
    #[arg(long, requires = "yes", conflicts_with = "reports")]
    pub auto: bool,
    /// Confirm the unattended recovery (it overwrites what was lost with the backup).
    #[arg(long)]
    pub yes: bool,
    /// With --auto: restore this backup (set or legacy id) instead of the newest good one.
    #[arg(long, value_name = "ID", requires = "auto")]
    pub backup: Option<String>,
    /// With --auto: restore the database to this time (replica sets; local time or RFC 3339).
    #[arg(
        long,
        value_name = "TIME",
        requires = "auto",
        conflicts_with = "backup"
    )]
    pub at: Option<String>,
    /// With --auto: tell the users through the configured channels when done.
    #[arg(long, requires = "auto")]
    pub inform: bool,
    /// List the incident reports written so far.
    #[arg(long)]
    pub reports: bool,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

/// Flags of `scandyctl restore`.
#[derive(Debug, Args, Clone)]
pub struct RestoreArgs {
    /// Set id.
    #[arg(required_unless_present_any = ["ack", "at"])]
    pub id: Option<String>,
    /// Point in time to restore the database to (`2026-12-01 14:05[:30]` local time, or
    /// RFC 3339): the newest base before it, then the oplog slices up to it (replica sets).
    #[arg(long, value_name = "TIME", conflicts_with = "id")]
    pub at: Option<String>,
    /// Print what would change and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Restore only the database or only the files.
    #[arg(long, value_enum)]
    pub only: Option<OnlyArg>,
    /// Restore only these collections (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    pub collections: Option<Vec<String>>,
    /// Restore into this database; the live one is left alone.
    #[arg(long, value_name = "NAME")]
    pub to_db: Option<String>,
    /// Extract files into this directory instead of the Scandy root.
    #[arg(long, value_name = "DIR")]
    pub files_to: Option<PathBuf>,
    /// Restore only files that do not exist now; never overwrite one.
    #[arg(long)]
    pub missing_only: bool,
    /// Do not take a pre-restore safety backup of the live state (needs --force on live data).
    #[arg(long)]
    pub no_safety_backup: bool,
    /// With --no-safety-backup: overwrite live data without a safety backup.
    #[arg(long)]
    pub force: bool,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
    /// For a legacy backup: keep `_id` and date strings as strings (the JSON literally).
    #[arg(long)]
    pub keep_types: bool,
    /// Append a copy of the progress and the outcome to FILE.
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Acknowledge an interrupted (or unattended) restore `status` reports: its journal id,
    /// or `all`; the journal is removed.
    #[arg(long, value_name = "JOURNAL", conflicts_with_all = ["id", "dry_run", "only", "collections", "to_db", "files_to", "no_safety_backup", "yes", "log"])]
    pub ack: Option<String>,
}

/// Flags of `scandyctl prune`; the `--keep-*` flags override the `backup.keep_*` keys.
#[derive(Debug, Args, Clone, Default)]
pub struct PruneArgs {
    /// Print what would be removed and remove nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
    /// Machine-readable output: the plan (with --dry-run) or what was removed.
    #[arg(long)]
    pub json: bool,
    /// Keep the newest full set of each of the last N days that have one.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=10_000))]
    pub keep_daily: Option<u32>,
    /// Keep the newest full set of each of the last N ISO weeks that have one.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=10_000))]
    pub keep_weekly: Option<u32>,
    /// Keep the newest full set of each of the last N months that have one.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=10_000))]
    pub keep_monthly: Option<u32>,
    /// Keep pre-restore safety sets younger than N days (the newest is always kept).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=10_000))]
    pub keep_pre_restore_days: Option<u32>,
}

/// Flags of `scandyctl demo`.
#[derive(Debug, Args, Clone)]
pub struct DemoArgs {
    /// Keep the sandbox directory (and its MongoDB data) after exit.
    #[arg(long)]
    pub keep: bool,
    /// Build the sandbox here instead of a new temporary directory.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Data size: number of tools (other collections scale with it).
    #[arg(long, default_value_t = 500)]
    pub scale: usize,
    /// New lines per second written to app/logs/app.log.
    #[arg(long, default_value_t = 5.0)]
    pub log_rate: f64,
}
