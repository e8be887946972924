//! Runs one job on the backup engine with a progress callback and a cancellation token.

use std::sync::Arc;

use color_eyre::eyre::{Result, WrapErr};
use tokio_util::sync::CancellationToken;

use super::BackupChoice;
use super::{JobResult, JobSpec};
use crate::backup::create::{BackupRequest, create_backup};
use crate::backup::crypt::load_identities;
use crate::backup::manifest::BackupKind;
use crate::backup::portable::export_set_with;
use crate::backup::progress::Progress;
use crate::backup::restore::{RestorePlan, RestoreRequest, plan_restore, run_restore};
use crate::backup::retention::apply_prune;
use crate::backup::verify::{VerifyLevel, verify_set_with};
use crate::config::Config;

/// A progress callback usable from async code and blocking threads.
pub type ProgressSink = Arc<dyn Fn(Progress) + Send + Sync>;

/// The configured decryption identities (none when no identity file is configured).
pub fn identities_for(config: &Config) -> Result<Vec<age::x25519::Identity>> {
    match &config.backup.identity {
        Some(path) => load_identities(&config.resolve(path)),
        None => Ok(Vec::new()),
    }
}

/// Works out a restore plan (the dry run shown before the user confirms).
pub async fn plan(config: &Config, request: &RestoreRequest) -> Result<RestorePlan> {
    let identities = identities_for(config)?;
    plan_restore(config, request, &identities).await
}

/// Runs `spec` to its end and records it in the maintenance log (a log that cannot be
/// written never fails the job); errors carry the engine's message, a cancel is
/// [`crate::backup::progress::Cancelled`] in the chain.
pub async fn run_job(
    config: Arc<Config>,
    spec: JobSpec,
    progress: ProgressSink,
    cancel: CancellationToken,
) -> Result<JobResult> {
    run_job_logging_to(crate::state::state_dir(), config, spec, progress, cancel).await
}

/// [`run_job`] with the maintenance log in `state_dir`.
pub async fn run_job_logging_to(
    state_dir: std::path::PathBuf,
    config: Arc<Config>,
    spec: JobSpec,
    progress: ProgressSink,
    cancel: CancellationToken,
) -> Result<JobResult> {
    let logged = spec.clone();
    let result = run_job_unlogged(config, spec, progress, cancel).await;
    let entry = crate::maintenance_log::job_entry::entry_for_job(&logged, &result);
    let _ = tokio::task::spawn_blocking(move || {
        crate::maintenance_log::append_entry(&state_dir, &entry)
    })
    .await;
    result
}

async fn run_job_unlogged(
    config: Arc<Config>,
    spec: JobSpec,
    progress: ProgressSink,
    cancel: CancellationToken,
) -> Result<JobResult> {
    let backup_dir = config.resolve(&config.backup.dir);
    match spec {
        JobSpec::Backup { choice } => {
            let request = BackupRequest {
                kind: match choice {
                    BackupChoice::Full => BackupKind::Full,
                    _ => BackupKind::Incremental,
                },
                parent: None,
                auto: choice == BackupChoice::Auto,
                scan: false,
                estimate_totals: true,
            };
            let outcome = create_backup(&config, &request, progress, cancel).await?;
            Ok(JobResult::Backup {
                id: outcome.id,
                notes: outcome.notes,
            })
        }
        JobSpec::Verify { id, level } => {
            let identities = match level {
                VerifyLevel::Deep => identities_for(&config)?,
                VerifyLevel::Quick => Vec::new(),
            };
            let dir = backup_dir.join(&id);
            if !dir.is_dir() {
                color_eyre::eyre::bail!("no backup set {id} in {}", backup_dir.display());
            }
            let report = tokio::task::spawn_blocking(move || {
                verify_set_with(&dir, level, &identities, &*progress, &cancel)
            })
            .await
            .wrap_err("the verify task failed")??;
            Ok(JobResult::Verify {
                id: report.id,
                level: report.level,
                findings: report.findings,
            })
        }
        JobSpec::Restore { request, plan } => {
            let identities = identities_for(&config)?;
            let outcome =
                run_restore(&config, &plan, &request, &identities, progress, cancel).await?;
            Ok(JobResult::Restore {
                safety_backup: outcome.safety_backup,
                collections: outcome.documents.len(),
                documents: outcome.documents.iter().map(|(_, n)| n).sum(),
                files_written: outcome.files_written,
                files_overwritten: outcome.files_overwritten,
            })
        }
        JobSpec::Export { id, out } => {
            let file = if out.is_dir() {
                out.join(format!("{id}.tar"))
            } else {
                out.clone()
            };
            if file.exists() || file.is_symlink() {
                color_eyre::eyre::bail!(
                    "{} already exists; choose another name (nothing was written)",
                    file.display()
                );
            }
            let (path, bytes) = tokio::task::spawn_blocking(move || {
                export_set_with(&backup_dir, &id, &out, &*progress, &cancel)
            })
            .await
            .wrap_err("the export task failed")??;
            Ok(JobResult::Export { path, bytes })
        }
        JobSpec::RestartService { target } => {
            let path = std::env::var_os("PATH").unwrap_or_default();
            crate::system::services::restart_service(&target, &path)
                .await
                .map_err(|message| color_eyre::eyre::eyre!("{}: {message}", target.name()))?;
            Ok(JobResult::ServiceRestarted)
        }
        JobSpec::Db(task) => Ok(JobResult::Db(
            super::db::run_db_task(config, task, progress, cancel).await?,
        )),
        JobSpec::Prune { plan } => {
            let outcome = tokio::task::spawn_blocking(move || apply_prune(&backup_dir, &plan))
                .await
                .wrap_err("the prune task failed")??;
            Ok(JobResult::Prune {
                removed: outcome.removed,
                bytes_freed: outcome.bytes_freed,
            })
        }
    }
}
