//! Helpers the console's Recovery tab needs on top of the wizard's steps: building the step
//! context, filling a restore's outcome from its detached job, and re-checking an incident
//! that was fixed without a restore.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use super::model::{CheckLevel, Diagnosis, Finding, IncidentKind};
use super::settings::{RecoverySettings, load_recovery};
pub use super::steps::restore_outcome_line;
use super::steps::{StepContext, restore_finished};
use super::verify_after::VerificationReport;
use super::wizard::RestoreRun;
use crate::backup::restore::{RestoreOutcome, RestoreTimings};
use crate::config::Config;
use crate::jobs::job_file::{FileStatus, JobFile, ResultRecord};

/// The step context for `config` loaded from `config_file`, and the problems met on the way
/// (an unreadable `[recovery]` section or identity file: the defaults / no identities apply).
pub fn step_context(
    config: &Config,
    config_file: Option<PathBuf>,
    actor: String,
) -> (StepContext, Vec<String>) {
    let mut problems = Vec::new();
    let settings = load_recovery(config_file.as_deref()).unwrap_or_else(|e| {
        problems.push(format!("{e:#}; the default [recovery] settings apply"));
        RecoverySettings::default()
    });
    let identities = match &config.backup.identity {
        Some(path) => {
            crate::backup::crypt::load_identities(&config.resolve(path)).unwrap_or_else(|e| {
                problems.push(format!("{e:#}"));
                Vec::new()
            })
        }
        None => Vec::new(),
    };
    let context = StepContext {
        config: config.clone(),
        config_file,
        settings,
        identities,
        actor,
    };
    (context, problems)
}

/// Fills `run` from the finished job file of its restore; returns false (and leaves `run`
/// alone) while the job still runs.
pub fn restore_finished_from_job(run: &mut RestoreRun, file: &JobFile) -> bool {
    if !file.is_finished() {
        return false;
    }
    let outcome = match (&file.status, &file.result) {
        (FileStatus::Done, Some(result)) => outcome_of(result, file.started, file.finished),
        (FileStatus::Done, None) => {
            Err("the restore job ended without recording its result".into())
        }
        (FileStatus::Cancelled, _) => Err("the restore was cancelled; nothing was changed".into()),
        (status, _) => Err(file.error.clone().unwrap_or_else(|| {
            format!("the restore job ended {status:?} without a reason").to_lowercase()
        })),
    };
    restore_finished(run, &outcome);
    true
}

/// Fills `run` from the outcome of a restore job that ran inside the console: the
/// stored result of a success, or the error.
pub fn restore_finished_from_result(
    run: &mut RestoreRun,
    result: std::result::Result<&ResultRecord, String>,
    started: DateTime<Utc>,
) {
    let outcome = match result {
        Ok(record) => outcome_of(record, started, Some(Utc::now())),
        Err(e) => Err(e),
    };
    restore_finished(run, &outcome);
}

fn outcome_of(
    result: &ResultRecord,
    started: DateTime<Utc>,
    finished: Option<DateTime<Utc>>,
) -> std::result::Result<RestoreOutcome, String> {
    let ResultRecord::Restore {
        safety_backup,
        collections: _,
        documents,
        files_written,
        files_overwritten,
    } = result
    else {
        return Err("the job recorded the result of another kind of job".into());
    };
    let total = finished.map_or(0.0, |f| {
        (f - started).num_milliseconds().max(0) as f64 / 1000.0
    });
    Ok(RestoreOutcome {
        run_id: String::new(),
        safety_backup: safety_backup.clone(),
        documents: vec![("all collections".into(), *documents)],
        files_written: *files_written,
        files_overwritten: *files_overwritten,
        timings: RestoreTimings {
            total_s: total,
            ..RestoreTimings::default()
        },
        notes: Vec::new(),
    })
}

/// Verification of an incident fixed without a restore: detection run again, its findings as
/// the checks; it passes when `incident` is no longer found.
pub fn recheck_report(incident: IncidentKind, diagnosis: &Diagnosis) -> VerificationReport {
    let still = diagnosis.incidents.contains(&incident);
    let mut checks: Vec<Finding> = diagnosis.findings.clone();
    checks.push(Finding::new(
        "SCY-VER-RECHECK",
        if still {
            CheckLevel::Failed
        } else {
            CheckLevel::Ok
        },
        if still {
            format!("{} is still found", incident.title())
        } else {
            format!("{} is no longer found", incident.title())
        },
    ));
    let passed = !checks.iter().any(|c| c.level == CheckLevel::Failed);
    VerificationReport {
        at: Utc::now(),
        checks,
        passed,
        health_ok_at: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::job_file::{ConfirmedRestore, DetachedSpec, RestoreRecord};
    use crate::recovery::wizard::RunState;

    fn record() -> RestoreRecord {
        RestoreRecord {
            id: "scandy-x-full".into(),
            only: Some("db".into()),
            collections: None,
            to_db: None,
            files_to: None,
            safety_backup: true,
            at: None,
            missing_files_only: false,
        }
    }

    #[test]
    fn a_finished_job_fills_the_run() {
        let spec = DetachedSpec::Restore {
            request: record(),
            confirmed: ConfirmedRestore {
                database: None,
                files_target: None,
                safety_backup: true,
            },
        };
        let mut file = JobFile::new("k", spec, 1, "h", "/tmp/k.log".into());
        let mut run = super::super::steps::restore_started(&record(), Some("k".into()));
        assert!(!restore_finished_from_job(&mut run, &file));
        file.result = Some(ResultRecord::Restore {
            safety_backup: Some("scandy-y-pre-restore".into()),
            collections: 3,
            documents: 120,
            files_written: 4,
            files_overwritten: 0,
        });
        file.finish(FileStatus::Done, Utc::now());
        assert!(restore_finished_from_job(&mut run, &file));
        assert_eq!(run.state, RunState::Done);
        assert_eq!(run.documents, 120);
        assert_eq!(run.safety_backup.as_deref(), Some("scandy-y-pre-restore"));
        assert!(restore_outcome_line(&run).contains("120 documents"));

        let mut failed = super::super::steps::restore_started(&record(), Some("k".into()));
        file.status = FileStatus::Interrupted;
        file.error = Some("the worker process (pid 1) ended".into());
        assert!(restore_finished_from_job(&mut failed, &file));
        assert_eq!(failed.state, RunState::Failed);
        assert!(restore_outcome_line(&failed).contains("pid 1"));
    }
}
