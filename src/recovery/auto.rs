//! `scandyctl recover --auto --yes`: steps 1 and 3–8 without a human, for database,
//! collection and file loss. Incidents that need a decision or a fix by hand are refused
//! with the reason; the wizard's state is saved after every step like in the console.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use color_eyre::eyre::Result;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::model::IncidentKind;
use super::steps::{
    StepContext, choose_recovery_point, detect, enter, prepare_restore, restart_down_services,
    run_restore_here, send_message, users_message, verify,
};
use super::wizard::{RunState, Step, Wizard, close_wizard, load_wizard, save_wizard};
use crate::backup::progress::Progress;

/// What the unattended run asks for.
#[derive(Debug, Clone, Default)]
pub struct AutoOptions {
    /// Restore this backup instead of the newest that passes a deep verify.
    pub backup: Option<String>,
    /// Restore the database to this point in time (replica sets).
    pub at: Option<chrono::DateTime<chrono::Utc>>,
    /// Tell the users when done (through the configured channels).
    pub inform: bool,
}

/// How the unattended run ended.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum AutoOutcome {
    /// Nothing is wrong.
    Healthy,
    /// The incident needs a human; nothing was changed.
    Refused {
        /// The incident.
        incident: IncidentKind,
        /// Why, and what to do.
        reason: String,
    },
    /// Restored and verified (or verification failed: see `verified`).
    Recovered {
        /// The incident.
        incident: IncidentKind,
        /// Whether verification passed.
        verified: bool,
        /// The report (Markdown).
        report: PathBuf,
        /// The backup restored.
        backup: String,
        /// Newer backups passed over, and why.
        passed_over: Vec<super::point::SkippedPoint>,
        /// What was restored.
        restored: String,
        /// The verification's checks.
        checks: Vec<super::model::Finding>,
    },
    /// The restore failed; the report says how far it got.
    Failed {
        /// The incident.
        incident: IncidentKind,
        /// What went wrong.
        error: String,
        /// The report (Markdown).
        report: PathBuf,
    },
}

/// Why an incident cannot be handled unattended.
pub fn refusal(kind: IncidentKind) -> Option<&'static str> {
    match kind {
        IncidentKind::CredentialsBroken => Some(
            "the credentials in .env no longer match the database user: that needs a human \
             decision (fix the password, never `docker compose down -v`); nothing was changed",
        ),
        IncidentKind::MongoDown => Some(
            "MongoDB does not answer: start it first (`systemctl status mongod`, MongoDB's log) \
             and run the diagnosis again; nothing was changed",
        ),
        IncidentKind::DiskFull => Some(
            "a filesystem is full: free space first (the console's Recovery tab lists the \
             largest files and old backups); nothing was changed",
        ),
        IncidentKind::ServiceDown => Some(
            "the Scandy service is down but no data is lost: restart it (the console's \
             Recovery tab shows the unit's last log lines); nothing was changed",
        ),
        _ => None,
    }
}

/// Runs the unattended recovery; `state_dir` holds the wizard and the report. An open
/// wizard is resumed (its timeline kept): a restore it ran that was interrupted has been
/// finished or undone by the restore journal before this runs, so detection runs again.
pub async fn run_auto(
    ctx: &StepContext,
    state_dir: &Path,
    options: &AutoOptions,
    progress: Arc<dyn Fn(Progress) + Send + Sync>,
    cancel: CancellationToken,
) -> Result<AutoOutcome> {
    let mut w = match load_wizard(state_dir)? {
        Some(open) => resume(open)?,
        None => Wizard::start(chrono::Utc::now()),
    };
    let save = |w: &Wizard| {
        let _ = save_wizard(state_dir, w);
    };
    let earlier = w.incident;
    enter(&mut w, "scandyctl", Step::Detection);
    detect(ctx, &mut w).await;
    save(&w);
    let incident = match (w.incident, earlier) {
        (Some(incident), _) => incident,
        // Healthy again because the interrupted restore was completed: verify and report.
        (None, Some(earlier)) if w.restore.is_some() && w.scope.is_some() => {
            w.incident = Some(earlier);
            if let Some(run) = w.restore.as_mut() {
                run.state = RunState::Done;
                run.error = None;
            }
            w.log(
                "scandyctl",
                "restore finished: the restore journal completed the interrupted swap",
            );
            return finish(ctx, state_dir, options, w, earlier).await;
        }
        (None, _) => return Ok(AutoOutcome::Healthy),
    };
    if let Some(reason) = refusal(incident) {
        w.log(
            "scandyctl",
            format!("unattended recovery refused: {reason}"),
        );
        save(&w);
        return Ok(AutoOutcome::Refused {
            incident,
            reason: reason.to_string(),
        });
    }
    enter(&mut w, &ctx.actor, Step::RecoveryPoint);
    let step = async {
        choose_recovery_point(ctx, &mut w, options.backup.clone()).await?;
        save(&w);
        enter(&mut w, &ctx.actor, Step::Safety);
        let (record, _) = prepare_restore(ctx, &mut w, None, options.at).await?;
        save(&w);
        enter(&mut w, &ctx.actor, Step::Restore);
        run_restore_here(ctx, &mut w, &record, progress, cancel, &save).await?;
        restart_down_services(ctx, &mut w).await;
        Ok::<_, color_eyre::eyre::Report>(())
    };
    if let Err(err) = step.await {
        let error = format!("{err:#}");
        w.log("scandyctl", format!("recovery stopped: {error}"));
        enter(&mut w, "scandyctl", Step::PostIncident);
        let report = close(ctx, state_dir, &mut w)?;
        return Ok(AutoOutcome::Failed {
            incident,
            error,
            report,
        });
    }
    finish(ctx, state_dir, options, w, incident).await
}

/// An open wizard taken over: a restore still marked running is either really running
/// (refused: busy) or was interrupted (marked failed; the journal has dealt with it).
fn resume(mut w: Wizard) -> Result<Wizard> {
    use crate::jobs::detached::{Liveness, job_path, jobs_dir, liveness, read_job};
    let Some(run) = w.restore.as_mut().filter(|r| r.state == RunState::Running) else {
        w.log("scandyctl", "resumed by an unattended recovery");
        return Ok(w);
    };
    let alive = match (&run.job_key, run.pid) {
        (Some(key), _) => {
            read_job(&job_path(&jobs_dir(), key)).is_ok_and(|job| liveness(&job) != Liveness::Dead)
        }
        (None, Some(pid)) => std::fs::read(format!("/proc/{pid}/cmdline"))
            .is_ok_and(|c| c.split(|b| *b == 0).any(|a| a == b"recover")),
        (None, None) => false,
    };
    if alive {
        color_eyre::eyre::bail!(
            "a recovery of incident {} is restoring right now ({}); wait for it to end, or \
             follow it in the console's Recovery tab; nothing was changed",
            w.id,
            run.job_key.as_ref().map_or_else(
                || format!("process {}", run.pid.unwrap_or(0)),
                |k| format!("job {k}")
            )
        );
    }
    run.state = RunState::Failed;
    run.finished_at = Some(chrono::Utc::now());
    run.error =
        Some("interrupted; the restore journal finished or undid it before this run".to_string());
    w.log(
        "scandyctl",
        "the restore was interrupted; resumed by an unattended recovery",
    );
    Ok(w)
}

/// Steps 6 to 8: verification, users informed (when asked), the report.
async fn finish(
    ctx: &StepContext,
    state_dir: &Path,
    options: &AutoOptions,
    mut w: Wizard,
    incident: IncidentKind,
) -> Result<AutoOutcome> {
    enter(&mut w, "scandyctl", Step::Verification);
    verify(ctx, &mut w).await?;
    let _ = save_wizard(state_dir, &w);
    enter(&mut w, &ctx.actor, Step::Inform);
    if options.inform {
        let message = users_message(&w);
        match send_message(ctx, &w, &message, true).await {
            Ok(sent) => w.users_informed = Some(sent),
            Err(e) => w.log("scandyctl", format!("users not informed: {e:#}")),
        }
    }
    enter(&mut w, &ctx.actor, Step::PostIncident);
    let report = close(ctx, state_dir, &mut w)?;
    Ok(AutoOutcome::Recovered {
        incident,
        verified: w.verification.as_ref().is_some_and(|v| v.passed),
        report,
        backup: w
            .point
            .as_ref()
            .map(|p| p.id().to_string())
            .unwrap_or_default(),
        passed_over: w
            .point
            .as_ref()
            .map(|p| p.skipped.clone())
            .unwrap_or_default(),
        restored: w.scope.as_ref().map(|s| s.describe()).unwrap_or_default(),
        checks: w.verification.map(|v| v.checks).unwrap_or_default(),
    })
}

/// Writes the report and closes the wizard; returns the report.
fn close(ctx: &StepContext, state_dir: &Path, w: &mut Wizard) -> Result<PathBuf> {
    let report = super::report::write_report(state_dir, w, &ctx.actor)?;
    w.report = Some(report.clone());
    w.step = Step::Closed;
    close_wizard(state_dir, w)?;
    Ok(report)
}
