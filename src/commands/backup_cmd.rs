//! `scandyctl backup` and `scandyctl verify`.

use color_eyre::eyre::{Result, bail};
use tokio_util::sync::CancellationToken;

use super::progress_line::{clear_progress, stderr_progress};
use crate::backup::create::{BackupRequest, create_backup};
use crate::backup::crypt::load_identities;
use crate::backup::inventory::scan_inventory;
use crate::backup::manifest::BackupKind;
use crate::backup::verify::{VerifyLevel, VerifyReport, verify_set_with};
use crate::cli::{BackupTypeArg, GlobalArgs};
use crate::config::{Config, LoadContext, load};
use crate::maintenance_log::{MaintenanceEntry, Outcome};

/// Loads the configuration for a headless command.
pub fn load_config(global: &GlobalArgs) -> Result<Config> {
    Ok(load(&global.overrides(), &LoadContext::from_process())?.config)
}

/// Cancels the token on Ctrl-C / SIGTERM so partial work is cleaned up.
pub fn cancel_on_signal() -> CancellationToken {
    let token = CancellationToken::new();
    let child = token.clone();
    tokio::spawn(async move {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending::<()>().await } } => {}
        }
        child.cancel();
    });
    token
}

/// `scandyctl backup --type full|incremental|auto [--parent ID]`: prints the new set id on
/// stdout (an incremental that had to be a full says why on stderr).
pub async fn run_backup(
    global: &GlobalArgs,
    kind: BackupTypeArg,
    parent: Option<String>,
    scan: bool,
    json: bool,
) -> Result<i32> {
    let config = load_config(global)?;
    if parent.is_some() && matches!(kind, BackupTypeArg::Full) {
        bail!("--parent only applies to --type incremental or auto");
    }
    let request = BackupRequest {
        kind: match kind {
            BackupTypeArg::Full => BackupKind::Full,
            _ => BackupKind::Incremental,
        },
        parent,
        auto: matches!(kind, BackupTypeArg::Auto),
        scan,
        estimate_totals: std::io::IsTerminal::is_terminal(&std::io::stderr()),
    };
    let outcome = create_backup(&config, &request, stderr_progress(), cancel_on_signal()).await;
    clear_progress();
    super::log_cmd::record_cli(
        backup_entry(kind, request.parent.as_deref()),
        &outcome,
        |o| {
            let mut evidence = vec![format!("set {}", o.id)];
            evidence.extend(o.notes.iter().map(|n| format!("note: {n}")));
            evidence
        },
    );
    let outcome = outcome?;
    for note in &outcome.notes {
        eprintln!("note: {note}");
    }
    if json {
        println!(
            "{}",
            crate::sanitize::to_json_pretty(&serde_json::json!({
                "id": outcome.id,
                "path": outcome.path,
                "manifest": outcome.manifest,
                "notes": outcome.notes,
                "timings": outcome.timings,
            }))?
        );
    } else {
        println!("{}", outcome.id);
    }
    Ok(crate::exit::OK)
}

/// The maintenance log entry of a CLI backup (its outcome added when it ends).
fn backup_entry(kind: BackupTypeArg, parent: Option<&str>) -> MaintenanceEntry {
    let kind = match kind {
        BackupTypeArg::Full => "full",
        BackupTypeArg::Incremental => "incremental",
        BackupTypeArg::Auto => "auto",
    };
    MaintenanceEntry::now("backup", &format!("{kind} backup"), "")
        .param("type", kind)
        .param_opt("parent", parent)
}

/// The maintenance log entry of verifying set `id`.
fn verify_entry(id: &str, level: VerifyLevel) -> MaintenanceEntry {
    let level = crate::maintenance_log::job_entry::level_name(level);
    MaintenanceEntry::now("verify", &format!("{level} verify of {id}"), "")
        .param("set", id)
        .param("level", level)
}

/// `scandyctl verify [ID | --all] [--deep]`: exit 0 only when every check passed. Ctrl-C
/// stops it; the set being checked keeps its previous record.
pub async fn run_verify(
    global: &GlobalArgs,
    id: Option<String>,
    all: bool,
    deep: bool,
    json: bool,
) -> Result<i32> {
    let config = load_config(global)?;
    let dir = config.resolve(&config.backup.dir);
    let inventory = scan_inventory(&dir)?;
    let mut legacy = Vec::new();
    let ids: Vec<String> = if all {
        legacy = super::legacy_cmd::legacy_inventory(&config).backups;
        inventory.sets.iter().map(|s| s.id.clone()).collect()
    } else if let Some(id) = id {
        if inventory.find(&id).is_none() {
            match super::legacy_cmd::resolve(&config, &id)? {
                super::legacy_cmd::Target::Legacy(found) => legacy = found,
                super::legacy_cmd::Target::Other if !dir.join(&id).is_dir() => {
                    bail!(
                        "no backup set {} in {}",
                        crate::sanitize::escape_controls(&id),
                        dir.display()
                    )
                }
                super::legacy_cmd::Target::Other => {}
            }
        }
        if legacy.is_empty() {
            vec![id]
        } else {
            Vec::new()
        }
    } else {
        match inventory.newest() {
            Some(set) => vec![set.id.clone()],
            None => {
                let found = super::legacy_cmd::legacy_inventory(&config).backups.len();
                if found > 0 {
                    bail!(
                        "no backup sets in {}; {found} legacy backup(s) found: verify one by \
                         its id (scandyctl list), or all with --all",
                        dir.display()
                    )
                }
                bail!("no backup sets in {}", dir.display())
            }
        }
    };
    let legacy_reports = if legacy.is_empty() {
        Vec::new()
    } else {
        super::legacy_cmd::run_verify(&config, legacy, deep, json).await?
    };
    let legacy_ok = legacy_reports.iter().all(|r| r.ok);
    let level = if deep {
        VerifyLevel::Deep
    } else {
        VerifyLevel::Quick
    };
    let identities = match (&config.backup.identity, deep) {
        (Some(path), true) => load_identities(&config.resolve(path))?,
        _ => Vec::new(),
    };
    let progress = stderr_progress();
    let cancel = cancel_on_signal();
    let mut reports: Vec<VerifyReport> = Vec::new();
    for id in ids {
        let set_dir = dir.join(&id);
        let ids = identities.clone();
        let (progress, cancel) = (progress.clone(), cancel.clone());
        let report = tokio::task::spawn_blocking(move || {
            verify_set_with(&set_dir, level, &ids, &*progress, &cancel)
        })
        .await;
        clear_progress();
        let report = report
            .map_err(color_eyre::eyre::Report::from)
            .and_then(|r| r);
        let entry = match &report {
            Ok(r) if !r.ok => verify_entry(&id, level).outcome(Outcome::Failed),
            _ => verify_entry(&id, level),
        };
        super::log_cmd::record_cli(entry, &report, |r| {
            if r.ok {
                vec!["0 findings".to_string()]
            } else {
                crate::maintenance_log::job_entry::findings_evidence(&r.findings)
            }
        });
        let report = report?;
        if !json {
            print_report(&report);
        }
        reports.push(report);
    }
    if json {
        if legacy_reports.is_empty() {
            println!("{}", crate::sanitize::to_json_pretty(&reports)?);
        } else if reports.is_empty() && !all {
            println!("{}", crate::sanitize::to_json_pretty(&legacy_reports)?);
        } else {
            let mut rows: Vec<serde_json::Value> = reports
                .iter()
                .map(serde_json::to_value)
                .collect::<Result<_, _>>()?;
            for report in &legacy_reports {
                rows.push(serde_json::to_value(report)?);
            }
            println!("{}", crate::sanitize::to_json_pretty(&rows)?);
        }
    }
    Ok(if legacy_ok && reports.iter().all(|r| r.ok) {
        crate::exit::OK
    } else {
        crate::exit::VERIFY_FAILED
    })
}

fn print_report(report: &VerifyReport) {
    let level = match report.level {
        VerifyLevel::Quick => "quick",
        VerifyLevel::Deep => "deep",
    };
    let outcome = if report.ok { "ok" } else { "FAILED" };
    let checked: Vec<String> = report
        .checked
        .iter()
        .map(|(k, v)| format!("{v} {k}"))
        .collect();
    println!("{} {level}: {outcome} ({})", report.id, checked.join(", "));
    for finding in &report.findings {
        println!("  {}: {}", finding.subject, finding.message);
    }
}
