//! Legacy backups on the command line: `list`/`status` rows, `verify ID|PATH`,
//! `import --legacy ID|PATH`, and the conversion in front of `restore ID`.

use std::path::Path;
use std::time::Duration;

use chrono::Utc;
use color_eyre::eyre::{Result, bail};
use serde::Serialize;

use crate::backup::inventory::human_age;
use crate::backup::legacy::LegacyBackup;
use crate::backup::legacy::check::{LegacyVerifyReport, LiveDatabase, read_live, verify_legacy};
use crate::backup::legacy::convert::{ConvertOutcome, convert_legacy};
use crate::backup::legacy::scan::{
    LegacyInventory, PathKind, entries_at, legacy_dirs, scan_legacy,
};
use crate::backup::legacy::store::{read_record, write_record};
use crate::backup::verify::VerifyLevel;
use crate::config::Config;
use crate::sanitize::escape_controls;
use crate::system::disk::human_bytes;

/// How long the live-database comparison may take before it is skipped.
const LIVE_TIMEOUT: Duration = Duration::from_secs(10);

/// The legacy inventory of a config's directories.
pub fn legacy_inventory(config: &Config) -> LegacyInventory {
    scan_legacy(&legacy_dirs(config))
}

/// One legacy backup as `list --json` shows it (beside the sets, with `type: legacy`).
#[derive(Debug, Serialize)]
pub struct LegacyRow<'a> {
    /// Always `legacy`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The backup.
    #[serde(flatten)]
    pub backup: &'a LegacyBackup,
    /// Its last verification, from the state directory.
    pub verification: Option<LegacyVerifyReport>,
}

/// The rows of `list --json` / `status --json` for `inventory`.
pub fn legacy_rows(inventory: &LegacyInventory) -> Vec<LegacyRow<'_>> {
    let state = crate::state::state_dir();
    inventory
        .backups
        .iter()
        .map(|backup| LegacyRow {
            kind: "legacy",
            backup,
            verification: read_record(&state, &backup.id),
        })
        .collect()
}

fn verification_text(backup: &LegacyBackup) -> String {
    if backup.failed {
        return "FAILED: empty, Scandy's mongodump failed".into();
    }
    match read_record(&crate::state::state_dir(), &backup.id) {
        None => "never verified".into(),
        Some(r) if r.ok => format!("ok {} ago", human_age(Utc::now() - r.at)),
        Some(r) => format!(
            "FAILED {} ago ({})",
            human_age(Utc::now() - r.at),
            r.findings.iter().filter(|f| f.severity == "error").count()
        ),
    }
}

/// The display name of a backup: its file (and member).
pub fn display_name(backup: &LegacyBackup) -> String {
    let file = backup
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match &backup.member {
        Some(member) => format!("{file}:{member}"),
        None => file,
    }
}

/// Prints the legacy part of `list` / `status`.
pub fn print_legacy(inventory: &LegacyInventory) {
    if inventory.backups.is_empty() && inventory.unknown.is_empty() {
        return;
    }
    let now = Utc::now();
    println!(
        "legacy backups (Scandy's own and mongodump output; never written into, renamed or \
         pruned by scandyctl):"
    );
    println!(
        "{:<34} {:<18} {:<20} {:>10} {:>10} verification / name",
        "id", "format", "time (UTC)", "age", "size"
    );
    for backup in &inventory.backups {
        println!(
            "{:<34} {:<18} {:<20} {:>10} {:>10} {} / {}",
            backup.id,
            backup.format.as_str(),
            backup.created_at.format("%Y-%m-%d %H:%M:%S"),
            human_age(now - backup.created_at),
            human_bytes(backup.size),
            verification_text(backup),
            escape_controls(&display_name(backup)),
        );
    }
    for unknown in &inventory.unknown {
        println!(
            "unknown: {} ({}); left untouched",
            escape_controls(&unknown.path.display().to_string()),
            escape_controls(&unknown.reason)
        );
    }
}

/// What a `verify`/`import`/`restore` argument names.
pub enum Target {
    /// Legacy backups (one, or a weekly ZIP's members).
    Legacy(Vec<LegacyBackup>),
    /// Not legacy: a set id or something else for the caller.
    Other,
}

/// Resolves `arg` as a legacy id of the inventory, or as a path to a legacy backup. A path
/// that is neither a set nor a known format is refused, naming it.
pub fn resolve(config: &Config, arg: &str) -> Result<Target> {
    if arg.starts_with("legacy-") {
        let inventory = legacy_inventory(config);
        return match inventory.find(arg) {
            Some(backup) => Ok(Target::Legacy(vec![backup.clone()])),
            None => bail!(
                "no legacy backup {} in {} (scandyctl list shows them)",
                escape_controls(arg),
                inventory
                    .dirs
                    .iter()
                    .map(|d| d.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
    }
    let backup_dir = config.resolve(&config.backup.dir);
    let path = if Path::new(arg).is_absolute() || Path::new(arg).exists() {
        Path::new(arg).to_path_buf()
    } else {
        backup_dir.join(arg)
    };
    if !path.exists() {
        return Ok(Target::Other);
    }
    let path = std::fs::canonicalize(&path).unwrap_or(path);
    match entries_at(&path) {
        PathKind::Legacy(backups) => Ok(Target::Legacy(backups)),
        PathKind::OwnSet => Ok(Target::Other),
        PathKind::Unknown(reason) => bail!(
            "{} is neither a scandyctl backup set nor a backup format scandyctl recognises \
             ({reason}); nothing was written into it",
            path.display()
        ),
        PathKind::Ignored => bail!(
            "{} is neither a scandyctl backup set (no manifest.json or SHA256SUMS) nor a \
             backup format scandyctl recognises; nothing was written into it",
            path.display()
        ),
    }
}

/// The live database for comparisons, or `None` (with the reason printed) when unreachable.
pub async fn live_database(config: &Config) -> Option<LiveDatabase> {
    let read = async {
        let client = crate::backup::restore::connect_checked(config).await?;
        read_live(&client.database(&config.mongo.database)).await
    };
    match tokio::time::timeout(LIVE_TIMEOUT, read).await {
        Ok(Ok(live)) => Some(live),
        Ok(Err(err)) => {
            eprintln!(
                "note: the live database was not compared ({})",
                escape_controls(&format!("{err:#}"))
            );
            None
        }
        Err(_) => {
            eprintln!("note: the live database was not compared (no answer within 10 s)");
            None
        }
    }
}

/// `verify` of legacy backups: results go to the state directory, never into the backup.
pub async fn run_verify(
    config: &Config,
    backups: Vec<LegacyBackup>,
    deep: bool,
    json: bool,
) -> Result<Vec<LegacyVerifyReport>> {
    let level = if deep {
        VerifyLevel::Deep
    } else {
        VerifyLevel::Quick
    };
    let live = live_database(config).await;
    let state = crate::state::state_dir();
    let mut reports = Vec::new();
    for backup in backups {
        let database = config.mongo.database.clone();
        let live = live.clone();
        let report = tokio::task::spawn_blocking(move || {
            verify_legacy(&backup, level, &database, live.as_ref())
        })
        .await?;
        write_record(&state, &report)?;
        super::log_cmd::record_entry(&legacy_verify_entry(&report));
        if !json {
            print_report(&report);
        }
        reports.push(report);
    }
    Ok(reports)
}

/// The maintenance log entry of one legacy verify.
fn legacy_verify_entry(report: &LegacyVerifyReport) -> crate::maintenance_log::MaintenanceEntry {
    use crate::maintenance_log::{MaintenanceEntry, Outcome};
    let level = crate::maintenance_log::job_entry::level_name(report.level);
    let entry = MaintenanceEntry::now(
        "verify",
        &format!("{level} verify of legacy backup {}", report.id),
        "",
    )
    .param("set", &report.id)
    .param("level", level)
    .param("legacy", report.format.as_str())
    .param("via", "cli")
    .evidence([format!("{} finding(s)", report.findings.len())])
    .evidence(
        report
            .findings
            .iter()
            .take(10)
            .map(|f| format!("[{}] {}: {}", f.code, f.subject, f.message)),
    );
    if report.ok {
        entry
    } else {
        entry.outcome(Outcome::Failed)
    }
}

/// Prints one legacy verify result.
pub fn print_report(report: &LegacyVerifyReport) {
    let level = match report.level {
        VerifyLevel::Quick => "quick",
        VerifyLevel::Deep => "deep",
    };
    let outcome = if report.ok { "ok" } else { "FAILED" };
    println!(
        "{} ({}) {level}: {outcome} ({} collection(s), {} document(s), {} file(s))",
        report.id,
        report.format.as_str(),
        report.collections.len(),
        report.total_documents(),
        report.files
    );
    for c in &report.collections {
        let conv = &c.conversions;
        let converted = if conv.is_empty() {
            String::new()
        } else {
            format!(
                "; on restore: {} _id string(s) → ObjectId, {} date string(s) → dates, {} \
                 typed value(s)",
                conv.id_strings, conv.date_strings, conv.markers
            )
        };
        println!(
            "  {:<28} {:>9} document(s){converted}",
            escape_controls(&c.name),
            c.documents
        );
    }
    for f in &report.findings {
        let subject = if f.subject.is_empty() {
            String::new()
        } else {
            format!("{}: ", escape_controls(&f.subject))
        };
        println!(
            "  [{}] {subject}{}",
            f.code,
            escape_controls_keep(&f.message)
        );
    }
}

fn escape_controls_keep(text: &str) -> String {
    crate::sanitize::escape_controls_keep_lines(text)
}

/// Converts one legacy backup (blocking work off the runtime).
pub async fn convert(
    config: &Config,
    backup: LegacyBackup,
    keep_types: bool,
) -> Result<ConvertOutcome> {
    let live = live_database(config).await;
    let config = config.clone();
    tokio::task::spawn_blocking(move || convert_legacy(&config, &backup, keep_types, live.as_ref()))
        .await?
}

/// Picks exactly one backup of a target (a weekly ZIP needs its member's id).
pub fn single(backups: Vec<LegacyBackup>, arg: &str) -> Result<LegacyBackup> {
    match backups.len() {
        1 => Ok(backups.into_iter().next().expect("one")),
        0 => bail!("{} holds no backup", escape_controls(arg)),
        _ => bail!(
            "{} holds {} backups; name one by its id: {}",
            escape_controls(arg),
            backups.len(),
            backups
                .iter()
                .map(|b| format!("{} ({})", b.id, display_name(b)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Prints what a conversion did.
pub fn print_conversion(outcome: &ConvertOutcome) {
    let source = outcome.manifest.source.as_ref();
    if outcome.reused {
        println!(
            "legacy backup {} was converted before: set {}",
            source.map(|s| s.legacy_id.as_str()).unwrap_or("?"),
            outcome.id
        );
    } else {
        println!(
            "converted legacy backup {} into set {} ({} collection(s), {} document(s), {} \
             file(s))",
            source.map(|s| s.legacy_id.as_str()).unwrap_or("?"),
            outcome.id,
            outcome.manifest.database.collections.len(),
            outcome.manifest.database.total_documents(),
            outcome.manifest.files.files
        );
    }
    if let Some(source) = source {
        for (name, c) in &source.conversions {
            println!(
                "  {}: {} _id string(s) → ObjectId, {} date string(s) → dates, {} typed value(s)",
                escape_controls(name),
                c.id_strings,
                c.date_strings,
                c.markers
            );
        }
        if !source.indexes_added.is_empty() {
            println!(
                "  the backup holds no indexes: Scandy's expected indexes are recorded for {}",
                source.indexes_added.join(", ")
            );
        }
    }
    if !outcome.legacy_report.missing_collections.is_empty() {
        println!(
            "  not in this backup (a restore leaves them as they are): {}",
            outcome.legacy_report.missing_collections.join(", ")
        );
    }
    if let Some(report) = &outcome.set_report {
        println!(
            "  set {} deep verify: {}",
            outcome.id,
            if report.ok { "ok" } else { "FAILED" }
        );
    }
}
