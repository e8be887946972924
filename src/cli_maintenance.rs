//! Command-line flags of the maintenance commands: `check`, `log` and `report`.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

/// Which checklist `scandyctl check` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CadenceArg {
    /// The daily checklist.
    Daily,
    /// The weekly checklist.
    Weekly,
    /// The monthly checklist.
    Monthly,
}

/// Flags of `scandyctl check`.
#[derive(Debug, Args, Clone)]
pub struct CheckArgs {
    /// Which checklist's automatic items to run.
    #[arg(value_enum)]
    pub cadence: CadenceArg,
    /// Machine-readable output.
    #[arg(long, conflicts_with = "nagios")]
    pub json: bool,
    /// One Nagios/Icinga status line with performance data (exit 0/1/2/3).
    #[arg(long)]
    pub nagios: bool,
}

/// Flags of `scandyctl log`.
#[derive(Debug, Args, Clone)]
pub struct LogArgs {
    /// `verify` checks the hash chain instead of listing.
    #[command(subcommand)]
    pub command: Option<LogCommand>,
    /// Only entries at or after this time (`2026-11-01`, `2026-11-01T08:00:00Z`, `7d`, `12h`).
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// Only entries of this kind (backup, verify, restore, checklist, …).
    #[arg(long, value_name = "KIND")]
    pub kind: Option<String>,
    /// Machine-readable output (one JSON object per line).
    #[arg(long)]
    pub json: bool,
}

/// Subcommands of `scandyctl log`.
#[derive(Debug, Subcommand, Clone)]
pub enum LogCommand {
    /// Check that no entry of the maintenance log was edited, deleted or reordered.
    Verify {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
}

/// Which report `scandyctl report` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportKindArg {
    /// One ISO week (the last complete one unless `--week` says otherwise).
    Weekly,
    /// One calendar month (the last complete one unless `--month` says otherwise).
    Monthly,
}

/// Flags of `scandyctl report`.
#[derive(Debug, Args, Clone)]
pub struct ReportArgs {
    /// Weekly or monthly.
    #[arg(value_enum)]
    pub kind: ReportKindArg,
    /// The month of a monthly report (`2026-11`).
    #[arg(long, value_name = "YYYY-MM")]
    pub month: Option<String>,
    /// The ISO week of a weekly report (`2026-W47`).
    #[arg(long, value_name = "YYYY-Www")]
    pub week: Option<String>,
    /// Output file: `.md` for Markdown, `.html` for one self-contained HTML page.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Machine-readable summary of what was written.
    #[arg(long)]
    pub json: bool,
}
