//! The wizard's steps as engine functions on a [`Wizard`]: the console and `scandyctl
//! recover` run the same code; each records what it did in the timeline.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::Utc;
use color_eyre::eyre::{Result, WrapErr, bail};
use tokio_util::sync::CancellationToken;

use super::detect::{diagnose, probe_mongo};
use super::model::{IncidentKind, PointSource};
use super::point::{choose_point, loss_window};
use super::scope::scope_for;
use super::settings::RecoverySettings;
use super::verify_after::{VerifyInputs, verify_recovery};
use super::wizard::{RestoreRun, RunState, SafetyDecision, SentMessage, Step, Wizard};
use crate::backup::manifest::{Manifest, read_manifest};
use crate::backup::progress::Progress;
use crate::backup::restore::{RestoreOutcome, plan_restore, run_restore};
use crate::config::Config;
use crate::jobs::job_file::RestoreRecord;
use crate::notify::{Notification, NotificationStatus, Priority};

/// What every step needs.
pub struct StepContext {
    /// The configuration.
    pub config: Config,
    /// The config file (for `[notify]`), when there is one.
    pub config_file: Option<PathBuf>,
    /// `[recovery]`.
    pub settings: RecoverySettings,
    /// age identities for encrypted backups.
    pub identities: Vec<age::x25519::Identity>,
    /// Who is at the keyboard (or `scandyctl` for unattended runs).
    pub actor: String,
}

/// Step 1: runs detection and proposes the incident.
pub async fn detect(ctx: &StepContext, w: &mut Wizard) {
    let d = diagnose(&ctx.config, &ctx.settings).await;
    w.incident = d.proposed();
    w.priority = Some(d.severity);
    w.corrected = false;
    w.log(
        "scandyctl",
        format!(
            "detection: {} ({} checks)",
            d.summary_line(),
            d.findings.len()
        ),
    );
    w.diagnosis = Some(d);
}

/// Step 1: the admin corrects the proposed incident.
pub fn correct_incident(ctx: &StepContext, w: &mut Wizard, kind: IncidentKind) {
    if w.incident != Some(kind) {
        w.incident = Some(kind);
        w.corrected = true;
        w.priority = Some(kind.severity());
        w.log(&ctx.actor, format!("incident set to {}", kind.title()));
    }
}

/// The message prefilled for the team (step 2).
pub fn team_message(w: &Wizard) -> String {
    let diagnosis = w
        .diagnosis
        .as_ref()
        .map(|d| d.summary_line())
        .unwrap_or_default();
    format!(
        "Scandy incident {}: {diagnosis}. Recovery has started.",
        w.id
    )
}

/// The message prefilled for the users (step 7).
pub fn users_message(w: &Wizard) -> String {
    match (&w.point, w.incident) {
        (Some(p), _) => format!(
            "Scandy is available again; data up to {} restored; changes after that need \
             re-entering.",
            p.reference
                .created_at
                .with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M")
        ),
        _ => "Scandy is available again.".to_string(),
    }
}

/// Sends `message` through the configured channels of the incident's priority (all
/// channels when the escalation names none); every result is kept.
pub async fn send_message(
    ctx: &StepContext,
    w: &Wizard,
    message: &str,
    resolved: bool,
) -> Result<SentMessage> {
    let notify = crate::notify::load_notify(ctx.config_file.as_deref())
        .map_err(|e| color_eyre::eyre::eyre!("{e}"))?;
    let priority = w.priority.unwrap_or(Priority::Critical);
    let mut names: Vec<String> = notify.channels_for(priority).to_vec();
    if names.is_empty() {
        names = notify.channels.iter().map(|c| c.name.clone()).collect();
    }
    let host = crate::backup::lock::host_name();
    let notification = Notification {
        incident: format!("recovery:{}", w.id),
        priority,
        status: if resolved {
            NotificationStatus::Resolved
        } else {
            NotificationStatus::Firing
        },
        title: w.incident.map_or("Scandy recovery".to_string(), |k| {
            format!("Scandy: {}", k.title())
        }),
        summary: message.to_string(),
        host,
        at: Utc::now(),
    };
    let mut channels = Vec::new();
    for name in names {
        let result = match notify.channel(&name) {
            Some(channel) => crate::notify::send(channel, &notification)
                .await
                .err()
                .map(|e| e.message),
            None => Some("no such channel in [notify]".to_string()),
        };
        channels.push((name, result));
    }
    Ok(SentMessage {
        at: Utc::now(),
        message: message.to_string(),
        channels,
    })
}

/// Step 3: deep-verifies backups newest first (or `wanted`) and measures the data-loss
/// window against the live database.
pub async fn choose_recovery_point(
    ctx: &StepContext,
    w: &mut Wizard,
    wanted: Option<String>,
) -> Result<()> {
    let config = ctx.config.clone();
    let identities = ctx.identities.clone();
    let point = tokio::task::spawn_blocking(move || {
        choose_point(&config, &identities, wanted.as_deref(), &|_| {})
    })
    .await
    .wrap_err("the verify task failed")??;
    let (_, live) = probe_mongo(&ctx.config).await;
    let window = loss_window(&point.reference, live.as_ref());
    for s in &point.skipped {
        w.log("scandyctl", format!("passed over {}: {}", s.id, s.reason));
    }
    w.log(
        "scandyctl",
        format!(
            "recovery point {} (taken {}), deep verify passed; data-loss window {} min",
            point.id(),
            point.reference.created_at.format("%Y-%m-%d %H:%M UTC"),
            window.minutes()
        ),
    );
    w.point = Some(point);
    w.window = Some(window);
    Ok(())
}

/// The set a recovery point restores: the set itself, or a legacy backup converted into a
/// set first (its deep verify passed already).
async fn set_for_point(ctx: &StepContext, w: &mut Wizard) -> Result<(String, Manifest)> {
    let Some(point) = &w.point else {
        bail!("no recovery point chosen");
    };
    let dir = ctx.config.resolve(&ctx.config.backup.dir);
    if point.reference.source == PointSource::Set {
        let id = point.id().to_string();
        let manifest = read_manifest(&dir.join(&id))?;
        return Ok((id, manifest));
    }
    let legacy = crate::backup::legacy::scan::scan_legacy(
        &crate::backup::legacy::scan::legacy_dirs(&ctx.config),
    );
    let Some(backup) = legacy.find(point.id()).cloned() else {
        bail!("legacy backup {} is gone", point.id());
    };
    let config = ctx.config.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        crate::backup::legacy::convert::convert_legacy(&config, &backup, false, None)
    })
    .await
    .wrap_err("the conversion task failed")??;
    w.log(
        "scandyctl",
        format!(
            "legacy backup {} {} set {}",
            point.id(),
            if outcome.reused {
                "already converted into"
            } else {
                "converted into"
            },
            outcome.id
        ),
    );
    Ok((outcome.id, outcome.manifest))
}

/// Steps 4 and 5 prepared: the scope and the restore request (a legacy point converted).
/// `safety` is the admin's decision; `None` takes the safety backup when anything live is
/// readable.
pub async fn prepare_restore(
    ctx: &StepContext,
    w: &mut Wizard,
    safety: Option<SafetyDecision>,
    at: Option<chrono::DateTime<Utc>>,
) -> Result<(RestoreRecord, Manifest)> {
    let incident = w.incident.unwrap_or(IncidentKind::DatabaseLost);
    let (set_id, manifest) = set_for_point(ctx, w).await?;
    let Some(diagnosis) = &w.diagnosis else {
        bail!("no diagnosis");
    };
    let point = w.point.as_ref().expect("set_for_point checked it");
    let has_files = manifest
        .members
        .iter()
        .any(|m| m.content == crate::backup::manifest::MemberContent::FilesTar)
        && manifest.files.files > 0;
    let scope = scope_for(incident, diagnosis, &point.reference, has_files);
    if scope.is_empty() {
        bail!(
            "{} needs no restore from backup {}",
            incident.title(),
            point.id()
        );
    }
    let safety = safety.unwrap_or(if diagnosis.mongo.readable() || scope.missing_files {
        SafetyDecision::Take
    } else {
        SafetyDecision::NotPossible {
            why: "MongoDB cannot be read".into(),
        }
    });
    match &safety {
        SafetyDecision::Take => w.log(
            "scandyctl",
            "a safety backup of the current state is taken before the restore",
        ),
        SafetyDecision::Skipped { reason } => {
            w.log(&ctx.actor, format!("safety backup skipped: {reason}"))
        }
        SafetyDecision::NotPossible { why } => {
            w.log("scandyctl", format!("no safety backup: {why}"))
        }
    }
    let request = scope.request(&set_id, safety == SafetyDecision::Take, at);
    w.log(
        &ctx.actor,
        format!("restore of {} from {set_id} planned", scope.describe()),
    );
    w.scope = Some(scope);
    w.safety = Some(safety);
    Ok((RestoreRecord::from(&request), manifest))
}

/// The record of a restore that starts now.
pub fn restore_started(record: &RestoreRecord, job_key: Option<String>) -> RestoreRun {
    RestoreRun {
        request: record.clone(),
        set_id: record.id.clone(),
        pid: job_key.is_none().then(std::process::id),
        job_key,
        state: RunState::Running,
        started_at: Utc::now(),
        finished_at: None,
        safety_backup: None,
        documents: 0,
        files_written: 0,
        seconds: Vec::new(),
        error: None,
    }
}

/// Fills in a finished restore's outcome.
pub fn restore_finished(
    run: &mut RestoreRun,
    outcome: &std::result::Result<RestoreOutcome, String>,
) {
    run.finished_at = Some(Utc::now());
    match outcome {
        Ok(o) => {
            run.state = RunState::Done;
            run.safety_backup = o.safety_backup.clone();
            run.documents = o.documents.iter().map(|(_, n)| n).sum();
            run.files_written = o.files_written as u64;
            let t = &o.timings;
            run.seconds = vec![
                ("safety_backup".into(), t.safety_backup_s),
                ("load".into(), t.load_s),
                ("files".into(), t.files_s),
                ("swap".into(), t.swap_s),
                ("total".into(), t.total_s),
            ];
        }
        Err(e) => {
            run.state = RunState::Failed;
            run.error = Some(e.clone());
        }
    }
}

/// The timeline line of a restore's outcome ("restore finished: 120 documents, 4 files in
/// 3.2 s, safety backup …" / "restore failed: …").
pub fn restore_outcome_line(run: &RestoreRun) -> String {
    match run.state {
        RunState::Done => {
            let total = run
                .seconds
                .iter()
                .find(|(k, _)| k == "total")
                .map(|(_, s)| format!(" in {s:.1} s"))
                .unwrap_or_default();
            let safety = run
                .safety_backup
                .as_ref()
                .map(|id| format!(", safety backup {id}"))
                .unwrap_or_default();
            format!(
                "restore finished: {} documents, {} files{total}{safety}",
                run.documents, run.files_written
            )
        }
        RunState::Failed => format!(
            "restore failed: {}",
            run.error.as_deref().unwrap_or("no reason given")
        ),
        RunState::Running => "restore running".to_string(),
    }
}

/// Step 5 in this process (headless): plans again and runs the restore.
pub async fn run_restore_here(
    ctx: &StepContext,
    w: &mut Wizard,
    record: &RestoreRecord,
    progress: Arc<dyn Fn(Progress) + Send + Sync>,
    cancel: CancellationToken,
    save: &dyn Fn(&Wizard),
) -> Result<()> {
    let request = record.to_request();
    let mut run = restore_started(record, None);
    w.restore = Some(run.clone());
    w.log(&ctx.actor, format!("restore of {} started", record.id));
    save(w);
    let result = async {
        let plan = plan_restore(&ctx.config, &request, &ctx.identities).await?;
        run_restore(
            &ctx.config,
            &plan,
            &request,
            &ctx.identities,
            progress,
            cancel,
        )
        .await
    }
    .await
    .map_err(|e| format!("{e:#}"));
    restore_finished(&mut run, &result);
    w.log("scandyctl", restore_outcome_line(&run));
    w.restore = Some(run);
    save(w);
    result.map(|_| ()).map_err(|e| color_eyre::eyre::eyre!(e))
}

/// After the restore: restarts the services the diagnosis found down.
pub async fn restart_down_services(ctx: &StepContext, w: &mut Wizard) {
    use crate::system::services::{restart_service, service_targets};
    let Some(d) = &w.diagnosis else { return };
    if !d.incidents.contains(&IncidentKind::ServiceDown) {
        return;
    }
    let path_var = std::env::var_os("PATH").unwrap_or_default();
    for target in service_targets(&ctx.config) {
        let line = match restart_service(&target, &path_var).await {
            Ok(()) => format!("{} restarted", target.name()),
            Err(e) => format!("restart of {} failed: {e}", target.name()),
        };
        w.fix_log.push(line.clone());
        w.log(&ctx.actor, line);
    }
}

/// Step 6: verification against the restored set.
pub async fn verify(ctx: &StepContext, w: &mut Wizard) -> Result<()> {
    let (Some(scope), Some(run)) = (&w.scope, &w.restore) else {
        bail!("nothing was restored to verify");
    };
    let manifest = read_manifest(&ctx.config.resolve(&ctx.config.backup.dir).join(&run.set_id))?;
    let known: Vec<(String, u64)> = w
        .diagnosis
        .as_ref()
        .map(|d| d.top_errors.clone())
        .unwrap_or_default();
    let inputs = VerifyInputs {
        manifest: &manifest,
        scope,
        restore_started: run.started_at,
        known_errors: &known,
        point_in_time: run.request.at.is_some(),
    };
    let report = verify_recovery(&ctx.config, &inputs).await;
    let failed: Vec<&str> = report
        .checks
        .iter()
        .filter(|c| c.level == super::model::CheckLevel::Failed)
        .map(|c| c.id.as_str())
        .collect();
    w.log(
        "scandyctl",
        if report.passed {
            format!("verification passed ({} checks)", report.checks.len())
        } else {
            format!("verification FAILED: {}", failed.join(", "))
        },
    );
    w.verification = Some(report);
    Ok(())
}

/// Moves the wizard to `step`, logging it.
pub fn enter(w: &mut Wizard, actor: &str, step: Step) {
    w.step = step;
    w.log(actor, format!("step {}: {}", step.number(), step.title()));
}
