//! `scandyctl recover --diagnose | --auto --yes | --reports`: the recovery wizard headless.
//! Exit codes: `--diagnose` 0 healthy, 3 incident found; `--auto` 0 recovered and verified
//! (or nothing to recover), 1 restore or verification failed, 3 refused (needs a human).

use std::io::Write;

use color_eyre::eyre::{Result, bail};

use super::backup_cmd::cancel_on_signal;
use super::progress_line::{clear_progress, stderr_progress};
use crate::backup::crypt::load_identities;
use crate::cli::{GlobalArgs, RecoverArgs};
use crate::config::{LoadContext, load};
use crate::recovery::auto::{AutoOptions, AutoOutcome, run_auto};
use crate::recovery::detect::diagnose;
use crate::recovery::model::{CheckLevel, Diagnosis};
use crate::recovery::steps::StepContext;
use crate::recovery::{load_recovery, report};
use crate::sanitize::escape_controls;

/// Runs `scandyctl recover`.
pub async fn run(global: &GlobalArgs, args: &RecoverArgs) -> Result<i32> {
    if !args.diagnose && !args.auto && !args.reports {
        bail!(super::UsageError(
            "recover needs --diagnose, --auto --yes or --reports (the guided wizard is the \
             console's Recovery tab: scandyctl, then 7)"
                .into()
        ));
    }
    let loaded = load(&global.overrides(), &LoadContext::from_process())?;
    let state_dir = crate::state::state_dir();
    if args.reports {
        return list_reports(&state_dir, args.json);
    }
    let settings = load_recovery(loaded.file.as_deref())?;
    let config = loaded.config;
    if args.diagnose {
        let diagnosis = diagnose(&config, &settings).await;
        if args.json {
            println!("{}", crate::sanitize::to_json_pretty(&diagnosis)?);
        } else {
            print_diagnosis(&diagnosis);
        }
        return Ok(if diagnosis.healthy() {
            crate::exit::OK
        } else {
            crate::exit::VERIFY_FAILED
        });
    }
    let at = match &args.at {
        Some(text) => Some(
            crate::backup::pitr::window::parse_time(text).ok_or_else(|| {
                super::UsageError(format!(
                    "--at {}: not a time; write 2026-12-01 14:05 (local time) or RFC 3339",
                    escape_controls(text)
                ))
            })?,
        ),
        None => None,
    };
    let identities = match &config.backup.identity {
        Some(path) => load_identities(&config.resolve(path))?,
        None => Vec::new(),
    };
    let ctx = StepContext {
        config,
        config_file: loaded.file.clone(),
        settings,
        identities,
        actor: crate::maintenance_log::actor(),
    };
    let options = AutoOptions {
        backup: args.backup.clone(),
        at,
        inform: args.inform,
    };
    // Like a restore, the recovery must not die with the terminal that started it.
    // SAFETY: setting a signal's disposition to SIG_IGN has no preconditions.
    unsafe {
        libc::signal(libc::SIGHUP, libc::SIG_IGN);
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
    let outcome = run_auto(
        &ctx,
        &state_dir,
        &options,
        stderr_progress(),
        cancel_on_signal(),
    )
    .await;
    clear_progress();
    let outcome = outcome?;
    if args.json {
        // The terminal may have gone during the run: the outcome is in the report anyway.
        let _ = writeln!(
            std::io::stdout(),
            "{}",
            crate::sanitize::to_json_pretty(&outcome)?
        );
    } else {
        print_outcome(&outcome);
    }
    Ok(match outcome {
        AutoOutcome::Healthy => crate::exit::OK,
        AutoOutcome::Recovered { verified: true, .. } => crate::exit::OK,
        AutoOutcome::Recovered { .. } | AutoOutcome::Failed { .. } => crate::exit::ERROR,
        AutoOutcome::Refused { .. } => crate::exit::VERIFY_FAILED,
    })
}

/// Prints the diagnosis for a human.
fn print_diagnosis(d: &Diagnosis) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "Diagnosis of database {} ({}):",
        escape_controls(&d.database),
        d.at.with_timezone(&chrono::Local)
            .format("%Y-%m-%d %H:%M:%S")
    );
    for f in &d.findings {
        let mark = match f.level {
            CheckLevel::Ok => "  ok  ",
            CheckLevel::Warning => " warn ",
            CheckLevel::Failed => " FAIL ",
            CheckLevel::Skipped => " skip ",
        };
        let _ = writeln!(out, "[{mark}] {} {}", f.id, escape_controls(&f.title));
        for e in f.evidence.iter().filter(|e| !e.is_empty()) {
            let _ = writeln!(out, "          {}", escape_controls(e));
        }
    }
    match d.proposed() {
        None => {
            let _ = writeln!(out, "No incident found: Scandy looks healthy.");
        }
        Some(kind) => {
            let _ = writeln!(
                out,
                "Incident: {} [{}] ({})",
                kind.title(),
                kind.as_str(),
                d.severity.as_str()
            );
            if d.incidents.len() > 1 {
                let others: Vec<&str> = d.incidents[1..].iter().map(|k| k.title()).collect();
                let _ = writeln!(out, "Also found: {}", others.join(", "));
            }
            let next = if crate::recovery::auto::refusal(kind).is_some() {
                "the console's Recovery tab (scandyctl, then 7) guides the fix"
            } else {
                "scandyctl recover --auto --yes, or the console's Recovery tab (scandyctl, then 7)"
            };
            let _ = writeln!(out, "Next: {next}");
        }
    }
}

/// Prints how the unattended run ended; the report path is the last line on stdout.
fn print_outcome(outcome: &AutoOutcome) {
    let mut err = std::io::stderr().lock();
    match outcome {
        AutoOutcome::Healthy => {
            let _ = writeln!(err, "no incident found: nothing to recover");
        }
        AutoOutcome::Refused { incident, reason } => {
            let _ = writeln!(
                err,
                "scandyctl: {} cannot be recovered unattended: {reason}",
                incident.title()
            );
        }
        AutoOutcome::Failed {
            incident,
            error,
            report,
        } => {
            let _ = writeln!(
                err,
                "scandyctl: recovery of {} failed: {}",
                incident.title(),
                escape_controls(error)
            );
            let _ = writeln!(
                std::io::stdout(),
                "{}",
                escape_controls(&report.display().to_string())
            );
        }
        AutoOutcome::Recovered {
            incident,
            verified,
            report,
            backup,
            passed_over,
            restored,
            checks,
        } => {
            for s in passed_over {
                let _ = writeln!(
                    err,
                    "passed over {}: {}",
                    escape_controls(&s.id),
                    escape_controls(&s.reason)
                );
            }
            let _ = writeln!(
                err,
                "restored {} from {}",
                escape_controls(restored),
                escape_controls(backup)
            );
            for c in checks {
                let _ = writeln!(
                    err,
                    "  [{}] {} {}",
                    c.level.as_str(),
                    c.id,
                    escape_controls(&c.title)
                );
            }
            let _ = writeln!(
                err,
                "{} recovered; verification {}",
                incident.title(),
                if *verified {
                    "passed"
                } else {
                    "FAILED (see the report)"
                }
            );
            let _ = writeln!(
                std::io::stdout(),
                "{}",
                escape_controls(&report.display().to_string())
            );
        }
    }
}

/// `recover --reports`: the incident reports, newest first.
fn list_reports(state_dir: &std::path::Path, json: bool) -> Result<i32> {
    let reports = report::list_reports(state_dir);
    if json {
        println!("{}", crate::sanitize::to_json_pretty(&reports)?);
    } else if reports.is_empty() {
        println!("no incident reports yet");
    } else {
        for path in reports {
            println!("{}", escape_controls(&path.display().to_string()));
        }
    }
    Ok(crate::exit::OK)
}
