//! `scandyctl schedule show|run|install`: automatic backups from `[schedule]`.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use color_eyre::eyre::{Result, WrapErr, bail};
use serde_json::json;

use super::backup_cmd::cancel_on_signal;
use crate::cli::{GlobalArgs, ScheduleCommand};
use crate::config::{LoadContext, LoadedConfig, load};
use crate::notify::load_notify;
use crate::sanitize::escape_controls;
use crate::schedule::runner::{Pass, Runner};
use crate::schedule::slots::{entry_upcoming, upcoming};
use crate::schedule::state::{load_state, state_path};
use crate::schedule::units::{InstallKind, UnitParams, enable_commands, unit_files};
use crate::schedule::{ScheduleConfig, ScheduledType, Zone, load_schedule};

/// Default longest wait of `schedule run --once` for a busy backup directory.
const DEFAULT_ONCE_WAIT_SECONDS: u64 = 3600;

/// Runs a `scandyctl schedule` subcommand; returns the exit code.
pub async fn run(global: &GlobalArgs, command: ScheduleCommand) -> Result<i32> {
    let loaded = load(&global.overrides(), &LoadContext::from_process())?;
    let schedule = load_schedule(loaded.file.as_deref())?;
    match command {
        ScheduleCommand::Show { json } => show(&loaded, &schedule, json),
        ScheduleCommand::Run { once, wait, json } => {
            let runner = match runner(loaded, schedule) {
                Ok(runner) => runner,
                Err(code) => return Ok(code),
            };
            if once {
                let wait = Duration::from_secs(wait.unwrap_or(DEFAULT_ONCE_WAIT_SECONDS));
                run_once(&runner, wait, json).await
            } else {
                runner.run_daemon(&cancel_on_signal()).await?;
                println!("schedule stopped");
                Ok(crate::exit::OK)
            }
        }
        ScheduleCommand::Install {
            timer,
            service: _,
            dry_run,
            enable,
            unit_dir,
        } => {
            let kind = if timer {
                InstallKind::Timer
            } else {
                InstallKind::Service
            };
            install(&loaded, &schedule, kind, dry_run, enable, &unit_dir)
        }
    }
}

fn runner(loaded: LoadedConfig, schedule: ScheduleConfig) -> Result<Runner, i32> {
    if schedule.is_empty() {
        eprintln!(
            "scandyctl: error: no [schedule] entries in {}; add daily, weekly or monthly \
             (see the README, \"Scheduled backups\")",
            loaded
                .file
                .as_deref()
                .map_or("the configuration (no config file found)".into(), |f| {
                    format!("config file {}", f.display())
                })
        );
        return Err(crate::exit::CONFIG);
    }
    let notify = match load_notify(loaded.file.as_deref()) {
        Ok(notify) => notify,
        Err(err) => {
            eprintln!(
                "scandyctl: error: {}",
                crate::sanitize::escape_controls_keep_lines(&err.to_string())
            );
            return Err(crate::exit::CONFIG);
        }
    };
    Ok(Runner {
        config_file: loaded.file.clone(),
        zone: Zone::from_config(schedule.timezone),
        config: loaded.config,
        schedule,
        notify,
        state_dir: crate::state::state_dir(),
        log: Arc::new(|line: &str| {
            println!("{}", escape_controls(line));
            let _ = std::io::stdout().flush();
        }),
    })
}

async fn run_once(runner: &Runner, wait: Duration, json: bool) -> Result<i32> {
    let runner = if json {
        // stdout carries the JSON result only; progress lines go to stderr.
        let mut quiet = runner.clone();
        quiet.log = Arc::new(|line: &str| eprintln!("{}", escape_controls(line)));
        quiet
    } else {
        runner.clone()
    };
    let pass = runner.run_once(wait, &cancel_on_signal()).await?;
    if runner.slices_enabled() {
        runner.capture_slice().await;
    }
    if json {
        println!("{}", crate::sanitize::to_json_pretty(&pass)?);
    }
    Ok(match pass {
        Pass::NothingDue { next } => {
            if !json {
                println!(
                    "nothing due; next run {}",
                    next.map_or("never".into(), |n| n
                        .format("%Y-%m-%d %H:%M UTC")
                        .to_string())
                );
            }
            crate::exit::OK
        }
        Pass::Ran(report) if report.error.is_none() => crate::exit::OK,
        Pass::Ran(_) => crate::exit::ERROR,
        Pass::Deferred { reason } => {
            eprintln!(
                "scandyctl: error: {}; the run stays due and happens at the next pass",
                escape_controls(&reason)
            );
            crate::exit::BUSY
        }
    })
}

fn local_and_utc(zone: Zone, at: DateTime<Utc>) -> (String, String) {
    let local = zone.to_local(at);
    (
        format!("{} {}", local.format("%Y-%m-%d %H:%M"), zone.offset_at(at)),
        at.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

fn runs_as(kind: ScheduledType) -> &'static str {
    match kind {
        ScheduledType::Full => "full",
        ScheduledType::Incremental => {
            "incremental (a full when backup.max_chain or max_chain_age_days says so)"
        }
    }
}

fn show(loaded: &LoadedConfig, schedule: &ScheduleConfig, json: bool) -> Result<i32> {
    let zone = Zone::from_config(schedule.timezone);
    let now = Utc::now();
    let loaded_state = load_state(&state_path(&crate::state::state_dir()), now)?;
    for warning in &loaded_state.warnings {
        eprintln!("warning: {}", escape_controls(warning));
    }
    let state = loaded_state.state;
    let after: Vec<&str> = schedule
        .after
        .iter()
        .map(|s| match s {
            crate::schedule::AfterStep::Verify => "verify",
            crate::schedule::AfterStep::Prune => "prune",
        })
        .collect();
    let merged = upcoming(schedule, zone, now, 5);
    if json {
        let entries: Vec<_> = schedule
            .entries
            .iter()
            .map(|e| {
                let next: Vec<_> = entry_upcoming(e, zone, now, 5)
                    .into_iter()
                    .map(|at| {
                        let (local, _) = local_and_utc(zone, at);
                        json!({"local": local, "utc": at})
                    })
                    .collect();
                json!({
                    "name": e.name,
                    "cron": e.cron_text,
                    "type": e.kind,
                    "runs_as": "full",
                    "verify": e.verify,
                    "next": next,
                    "last": state.entries.get(&e.name),
                })
            })
            .collect();
        let out = json!({
            "config_file": loaded.file,
            "timezone": zone.name(),
            "jitter_seconds": schedule.jitter_seconds,
            "after": after,
            "entries": entries,
            "next_runs": merged,
            "warnings": loaded_state.warnings,
        });
        println!("{}", crate::sanitize::to_json_pretty(&out)?);
        return Ok(crate::exit::OK);
    }
    if schedule.is_empty() {
        println!("not scheduled: no [schedule] entries in the configuration");
        return Ok(crate::exit::OK);
    }
    println!(
        "schedule in {} (jitter {} s; after each backup: {})",
        zone.name(),
        schedule.jitter_seconds,
        if after.is_empty() {
            "nothing".into()
        } else {
            after.join(", ")
        }
    );
    for entry in &schedule.entries {
        println!(
            "\n{}  {}  type {}, runs as {}, verify {}",
            entry.name,
            escape_controls(&entry.cron_text),
            entry.kind.as_str(),
            runs_as(entry.kind),
            match entry.verify {
                crate::backup::verify::VerifyLevel::Quick => "quick",
                crate::backup::verify::VerifyLevel::Deep => "deep",
            }
        );
        for at in entry_upcoming(entry, zone, now, 5) {
            let (local, utc) = local_and_utc(zone, at);
            println!("  next  {local}  ({utc})");
        }
        match state.entries.get(&entry.name) {
            Some(record) if record.last_start.is_some() => {
                let outcome = record.outcome.map_or("unknown", |o| o.as_str());
                let when = record
                    .last_start
                    .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                    .unwrap_or_default();
                let set = record.set_id.as_deref().unwrap_or("no set");
                println!("  last  {when}  {outcome}  {}", escape_controls(set));
                if let Some(error) = &record.error {
                    println!("        {}", escape_controls(error));
                }
            }
            _ => println!("  last  never ran"),
        }
    }
    println!("\nnext runs (coinciding entries run once, strongest type and verification):");
    for slot in &merged {
        let (local, utc) = local_and_utc(zone, slot.at);
        println!(
            "  {local}  ({utc})  {}  {}",
            slot.entries.join("+"),
            match slot.verify {
                crate::backup::verify::VerifyLevel::Quick => "quick",
                crate::backup::verify::VerifyLevel::Deep => "deep",
            }
        );
    }
    Ok(crate::exit::OK)
}

fn install(
    loaded: &LoadedConfig,
    schedule: &ScheduleConfig,
    kind: InstallKind,
    dry_run: bool,
    enable: bool,
    unit_dir: &std::path::Path,
) -> Result<i32> {
    let binary = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .wrap_err("cannot find the path of the scandyctl binary")?;
    let config = loaded
        .file
        .as_ref()
        .map(|f| f.canonicalize().unwrap_or_else(|_| f.clone()));
    let mut writable: Vec<PathBuf> = vec![
        loaded.config.resolve(&loaded.config.backup.dir),
        crate::state::state_dir(),
    ];
    writable.extend(loaded.config.metrics.textfile_dir.clone());
    let params = UnitParams {
        binary,
        config,
        writable,
    };
    if schedule.is_empty() {
        eprintln!("warning: no [schedule] entries yet: the units run nothing until you add them");
    }
    let files = unit_files(kind, &params, schedule);
    if dry_run {
        for file in &files {
            println!("# {}", unit_dir.join(file.name).display());
            print!("{}", file.text);
            println!();
        }
    } else {
        std::fs::create_dir_all(unit_dir)
            .wrap_err_with(|| format!("cannot create {}", unit_dir.display()))?;
        for file in &files {
            let path = unit_dir.join(file.name);
            std::fs::write(&path, &file.text)
                .wrap_err_with(|| format!("cannot write {}", path.display()))?;
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))
                .wrap_err_with(|| format!("cannot chmod {}", path.display()))?;
            println!("wrote {}", path.display());
        }
    }
    let other = match kind {
        InstallKind::Service => "scandyctl-backup.timer",
        InstallKind::Timer => "scandyctl-schedule.service",
    };
    if unit_dir.join(other).exists() {
        eprintln!(
            "warning: {} is installed too; use one of the two (both at once never back up \
             twice, the schedule lock sees to that, but one is enough)",
            unit_dir.join(other).display()
        );
    }
    let commands = enable_commands(kind);
    if !enable {
        println!("to enable it:");
        for command in &commands {
            println!("  {command}");
        }
        return Ok(crate::exit::OK);
    }
    for command in &commands {
        println!("$ {command}");
        let words: Vec<&str> = command.split_whitespace().collect();
        let status = std::process::Command::new(words[0])
            .args(&words[1..])
            .status()
            .wrap_err_with(|| format!("cannot run {command}"))?;
        if !status.success() {
            bail!("{command} failed ({status})");
        }
    }
    Ok(crate::exit::OK)
}
