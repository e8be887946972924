//! `scandyctl list`, `status`, `export` and `import`.

use std::path::Path;

use chrono::Utc;
use color_eyre::eyre::Result;

use super::backup_cmd::{cancel_on_signal, load_config};
use super::legacy_cmd;
use super::progress_line::{clear_progress, stderr_progress};
use crate::backup::install_state::{add_install_warnings, backup_dir_state, scan_scandy_backups};
use std::collections::BTreeMap;

use crate::backup::inventory::{
    Inventory, SetInfo, Verification, human_age, scan_inventory_detailed, status_warnings,
};
use crate::backup::manifest::Manifest;
use crate::backup::pitr::window::window_of;
use crate::backup::portable::{export_set_with, import_set};
use crate::backup::restore::RecoverySummary;
use crate::backup::snapshot::SetDetail;
use crate::cli::GlobalArgs;
use crate::maintenance_log::{MaintenanceEntry, Outcome};
use crate::sanitize::escape_controls;
use crate::system::disk::{disk_space, human_bytes};

fn verification_text(set: &SetInfo) -> String {
    let now = Utc::now();
    match &set.verification {
        Verification::Never => "never verified".into(),
        Verification::Ok { at, .. } => format!("ok {} ago", human_age(now - *at)),
        Verification::Failed { at, findings, .. } => {
            format!("FAILED {} ago ({findings})", human_age(now - *at))
        }
    }
}

fn print_sets(inventory: &Inventory, details: &BTreeMap<String, SetDetail>) {
    let now = Utc::now();
    if inventory.sets.is_empty() {
        println!("no backup sets");
        return;
    }
    println!(
        "{:<38} {:<12} {:<20} {:>10} {:>10} {:<4} verification",
        "id", "type", "time (UTC)", "age", "size", "enc"
    );
    for set in &inventory.sets {
        println!(
            "{:<38} {:<12} {:<20} {:>10} {:>10} {:<4} {}",
            set.id,
            set.kind.as_str(),
            set.created_at.format("%Y-%m-%d %H:%M:%S"),
            human_age(now - set.created_at),
            human_bytes(set.size),
            if set.encrypted { "yes" } else { "no" },
            verification_text(set)
        );
        if let Some(line) = details.get(&set.id).and_then(|d| chain_line(&d.manifest)) {
            println!("    {}", escape_controls(&line));
        }
    }
}

/// The second line of an incremental, an oplog slice or a synthetic full.
fn chain_line(manifest: &Manifest) -> Option<String> {
    if let Some(increment) = &manifest.increment {
        let stored: u64 = manifest
            .database
            .collections
            .iter()
            .map(|c| c.documents)
            .sum();
        return Some(format!(
            "incremental of {} (chain depth {}, base {}, {}): {stored} of {} documents and {} of {} files stored",
            manifest.parent.as_deref().unwrap_or("?"),
            increment.depth,
            increment.base,
            increment.method,
            manifest.state_total_documents(),
            manifest.files.files,
            increment.files.files
        ));
    }
    if let (Some(from), Some(to)) = (manifest.oplog_from, manifest.oplog) {
        return Some(format!(
            "oplog from {} to {}: {} entries",
            from.time().format("%Y-%m-%d %H:%M:%S"),
            to.time().format("%Y-%m-%d %H:%M:%S"),
            manifest.database.total_documents()
        ));
    }
    if manifest.synthetic {
        return Some(format!(
            "synthetic full of {}",
            manifest.synthesized_from.join(" <- ")
        ));
    }
    None
}

/// The point-in-time window line, when there are oplog slices.
fn print_window(details: &BTreeMap<String, SetDetail>, database: &str) {
    let manifests: Vec<Manifest> = details.values().map(|d| d.manifest.clone()).collect();
    let window = window_of(&manifests, database);
    if !window.spans.is_empty() {
        println!("point in time: {}", window.describe());
    }
}

/// `scandyctl list`.
pub fn run_list(global: &GlobalArgs, json: bool) -> Result<i32> {
    let config = load_config(global)?;
    let (inventory, details) = scan_inventory_detailed(&config.resolve(&config.backup.dir))?;
    let legacy = legacy_cmd::legacy_inventory(&config);
    if json {
        let mut rows: Vec<serde_json::Value> = inventory
            .sets
            .iter()
            .map(serde_json::to_value)
            .collect::<Result<_, _>>()?;
        for row in legacy_cmd::legacy_rows(&legacy) {
            rows.push(serde_json::to_value(row)?);
        }
        println!("{}", crate::sanitize::to_json_pretty(&rows)?);
    } else {
        print_sets(&inventory, &details);
        print_window(&details, &config.mongo.database);
        legacy_cmd::print_legacy(&legacy);
    }
    Ok(crate::exit::OK)
}

/// `scandyctl status`: inventory plus warnings (interrupted restores among them, until
/// acknowledged); exit 0 also with warnings.
pub fn run_status(global: &GlobalArgs, json: bool, restores: &RecoverySummary) -> Result<i32> {
    let loaded = crate::config::load(
        &global.overrides(),
        &crate::config::LoadContext::from_process(),
    )?;
    let config = loaded.config.clone();
    let schedule = crate::schedule::summary::load_glance(
        loaded.file.as_deref(),
        &crate::state::state_dir(),
        Utc::now(),
    );
    let dir = config.resolve(&config.backup.dir);
    let (inventory, details) = scan_inventory_detailed(&dir)?;
    let legacy = legacy_cmd::legacy_inventory(&config);
    let space = disk_space(&dir).ok();
    let manifests: Vec<Manifest> = details.values().map(|d| d.manifest.clone()).collect();
    let window = window_of(&manifests, &config.mongo.database);
    let mut warnings = status_warnings(&inventory, space.as_ref(), Utc::now());
    let own = scan_scandy_backups(&config.scandy.root);
    let dir_state = backup_dir_state(&dir);
    add_install_warnings(&mut warnings, &dir, own.as_ref(), &dir_state);
    warnings.extend(restores.warnings());
    warnings.extend(crate::recovery::wizard::open_wizard_warning(
        &crate::state::state_dir(),
    ));
    if let Ok(Some(glance)) = &schedule {
        warnings.extend(glance.warnings());
    }
    crate::metrics::write_for_status(&config, loaded.file.as_deref());
    if json {
        println!(
            "{}",
            crate::sanitize::to_json_pretty(&serde_json::json!({
                "backup_dir": dir,
                "free_bytes": space.as_ref().map(|s| s.available),
                "total_bytes": space.as_ref().map(|s| s.total),
                "sets": inventory.sets,
                "point_in_time": window,
                "partials": inventory.partials,
                "backup_dir_state": dir_state,
                "scandy_backups": own,
                "legacy": legacy_cmd::legacy_rows(&legacy),
                "legacy_unknown": legacy.unknown,
                "warnings": warnings,
                "restores": restores.restores,
                "schedule": match &schedule {
                    Ok(glance) => serde_json::json!(glance),
                    Err(err) => serde_json::json!({ "error": err }),
                },
            }))?
        );
        return Ok(crate::exit::OK);
    }
    println!("backup directory {}", dir.display());
    if let Some(space) = &space {
        println!(
            "  {} free of {} ({} % used)",
            human_bytes(space.available),
            human_bytes(space.total),
            space.used_percent()
        );
    }
    print_sets(&inventory, &details);
    print_window(&details, &config.mongo.database);
    legacy_cmd::print_legacy(&legacy);
    print_schedule(&schedule);
    if warnings.is_empty() {
        println!("no warnings");
    } else {
        println!("warnings:");
        for warning in &warnings {
            println!("  [{}] {}", warning.code, escape_controls(&warning.message));
        }
    }
    Ok(crate::exit::OK)
}

fn print_schedule(schedule: &Result<Option<crate::schedule::summary::ScheduleGlance>, String>) {
    let glance = match schedule {
        Ok(None) => return println!("schedule: not scheduled"),
        Err(err) => return println!("schedule: {}", escape_controls(err)),
        Ok(Some(glance)) => glance,
    };
    match (&glance.next_local, glance.next_run) {
        (Some(local), Some(utc)) => println!(
            "schedule: next run {local} ({}) for {}",
            utc.format("%Y-%m-%d %H:%M UTC"),
            glance.next_entries.join(", ")
        ),
        _ => println!("schedule: no next run"),
    }
    match &glance.last {
        None => println!("  last scheduled run: never"),
        Some(last) => println!(
            "  last scheduled run: {} {} ({} ago){}",
            last.entry,
            last.outcome.as_str(),
            human_age(Utc::now() - last.started),
            last.set_id
                .as_deref()
                .map(|id| format!(", set {}", escape_controls(id)))
                .unwrap_or_default()
        ),
    }
}

/// `scandyctl export ID --out FILE|DIR`: prints the file written and its size. Ctrl-C
/// stops it without leaving a file behind.
pub fn run_export(global: &GlobalArgs, id: &str, out: &Path) -> Result<i32> {
    let config = load_config(global)?;
    let progress = stderr_progress();
    let written = export_set_with(
        &config.resolve(&config.backup.dir),
        id,
        out,
        &*progress,
        &cancel_on_signal(),
    );
    clear_progress();
    let entry = MaintenanceEntry::now("export", &format!("export of {id}"), "")
        .param("set", id)
        .param("out", out.display().to_string());
    super::log_cmd::record_cli(entry, &written, |(path, size)| {
        vec![format!("wrote {} ({})", path.display(), human_bytes(*size))]
    });
    let (path, size) = written?;
    println!("{} ({})", path.display(), human_bytes(size));
    Ok(crate::exit::OK)
}

/// `scandyctl import FILE`.
pub fn run_import(global: &GlobalArgs, file: &Path) -> Result<i32> {
    let config = load_config(global)?;
    let imported = import_set(&config.resolve(&config.backup.dir), file);
    let entry = MaintenanceEntry::now("import", &format!("import of {}", file.display()), "")
        .param("file", file.display().to_string());
    super::log_cmd::record_cli(entry, &imported, |o| vec![format!("set {}", o.id)]);
    let outcome = match imported {
        Ok(outcome) => outcome,
        Err(err) => {
            let legacy = match crate::backup::legacy::scan::entries_at(file) {
                crate::backup::legacy::scan::PathKind::Legacy(found) => found.first().cloned(),
                _ => None,
            };
            return match legacy {
                Some(backup) => Err(err.wrap_err(format!(
                    "{} is a legacy backup ({}), not an export: convert it with scandyctl \
                     import --legacy {}",
                    file.display(),
                    backup.format.as_str(),
                    file.display()
                ))),
                None => Err(err),
            };
        }
    };
    println!("{}", outcome.id);
    Ok(crate::exit::OK)
}

/// `scandyctl import --legacy ID|PATH [--keep-types]`: converts a legacy backup into a set.
pub async fn run_import_legacy(
    global: &GlobalArgs,
    arg: &str,
    keep_types: bool,
    json: bool,
) -> Result<i32> {
    let config = load_config(global)?;
    let backups = match legacy_cmd::resolve(&config, arg)? {
        legacy_cmd::Target::Legacy(backups) => backups,
        legacy_cmd::Target::Other => color_eyre::eyre::bail!(
            "{} is no legacy backup (scandyctl list shows them; a scandyctl set needs no \
             conversion)",
            escape_controls(arg)
        ),
    };
    let backup = legacy_cmd::single(backups, arg)?;
    let converted = legacy_cmd::convert(&config, backup, keep_types).await;
    let entry = MaintenanceEntry::now("import", &format!("import of legacy backup {arg}"), "")
        .param("legacy", arg)
        .param_opt("keep_types", keep_types.then_some("true"));
    let entry = match &converted {
        Ok(o) if o.set_report.as_ref().is_some_and(|r| !r.ok) => entry.outcome(Outcome::Failed),
        _ => entry,
    };
    super::log_cmd::record_cli(entry, &converted, |o| {
        vec![format!(
            "set {}{}",
            o.id,
            if o.reused { " (reused)" } else { "" }
        )]
    });
    let outcome = converted?;
    if json {
        println!(
            "{}",
            crate::sanitize::to_json_pretty(&serde_json::json!({
                "id": outcome.id,
                "reused": outcome.reused,
                "path": outcome.path,
                "source": outcome.manifest.source,
                "collections": outcome.manifest.database.collections.len(),
                "documents": outcome.manifest.database.total_documents(),
                "files": outcome.manifest.files.files,
                "missing_collections": outcome.legacy_report.missing_collections,
                "verify": outcome.set_report,
            }))?
        );
    } else {
        legacy_cmd::print_conversion(&outcome);
    }
    Ok(match &outcome.set_report {
        Some(report) if !report.ok => crate::exit::VERIFY_FAILED,
        _ => crate::exit::OK,
    })
}
