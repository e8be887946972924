//! The detached worker process: reads the configuration from its stdin and the job from its
//! job file, runs it through [`run_job`], writes progress (at most four times a second) and
//! the outcome to the job file. SIGHUP is ignored; SIGTERM and SIGINT cancel the job when it
//! can stop cleanly (the same rule as the console's cancel), else they are refused.

use std::io::Read;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use color_eyre::eyre::{Result, WrapErr, bail};
use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;

use super::detached::{read_job, write_job};
use super::job_file::{
    ConfirmedRestore, DetachedSpec, FileStatus, JobFile, ResultRecord, prune_plan,
};
use super::run::{ProgressSink, plan, run_job};
use super::{JobRecord, JobResult, JobSpec, Shared};
use crate::backup::progress::{Progress, is_cancelled};
use crate::config::Config;

/// Least time between two writes of the job file for progress.
pub const WRITE_INTERVAL: Duration = Duration::from_millis(250);

/// What the worker knows, shared by the progress sink, the signal handler and the writer.
struct WorkerState {
    file: JobFile,
    record: JobRecord,
    dirty: bool,
}

type SharedState = Arc<Mutex<WorkerState>>;

fn locked(state: &SharedState) -> std::sync::MutexGuard<'_, WorkerState> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs the job of `job_path` with the configuration read from `config_source`; returns the
/// exit code (the outcome is in the job file).
pub async fn run_worker(job_path: &Path, mut config_source: impl Read) -> Result<i32> {
    // SAFETY: ignoring SIGHUP is a plain disposition change.
    unsafe {
        libc::signal(libc::SIGHUP, libc::SIG_IGN);
    }
    let config = (|| -> Result<Config> {
        let mut bytes = Vec::new();
        config_source
            .read_to_end(&mut bytes)
            .wrap_err("cannot read the configuration from the console")?;
        serde_json::from_slice(&bytes).wrap_err("the console handed over no usable configuration")
    })();
    let file = read_job(job_path)?;
    if file.pid != std::process::id() {
        bail!(
            "{} belongs to pid {}, not to this worker",
            job_path.display(),
            file.pid
        );
    }
    if file.is_finished() {
        bail!("{} has already ended", job_path.display());
    }
    let config = match config {
        Ok(config) => Arc::new(config),
        Err(err) => {
            let mut file = file;
            file.error = Some(format!("{err:#}"));
            file.finish(FileStatus::Failed, Utc::now());
            write_job(job_path, &file)?;
            return Err(err);
        }
    };
    let spec = file.spec.clone();
    let state: SharedState = Arc::new(Mutex::new(WorkerState {
        record: JobRecord::new(0, spec.to_spec(), Instant::now()),
        file,
        dirty: false,
    }));
    let cancel = CancellationToken::new();
    let mut term = signal(SignalKind::terminate()).wrap_err("cannot catch SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).wrap_err("cannot catch SIGINT")?;
    let mut work = tokio::spawn(run_detached(
        config,
        spec,
        progress_sink(state.clone()),
        cancel.clone(),
    ));
    let mut ticks = tokio::time::interval(WRITE_INTERVAL);
    let outcome = loop {
        tokio::select! {
            outcome = &mut work => break outcome,
            _ = term.recv() => on_cancel_signal(&state, &cancel),
            _ = int.recv() => on_cancel_signal(&state, &cancel),
            _ = ticks.tick() => {}
        }
        flush(&state, job_path);
    };
    let (status, result, error) = match outcome {
        Ok(Ok(result)) => (FileStatus::Done, ResultRecord::from_result(&result), None),
        Ok(Err(err)) if is_cancelled(&err) => (FileStatus::Cancelled, None, None),
        Ok(Err(err)) => (FileStatus::Failed, None, Some(format!("{err:#}"))),
        Err(join) if join.is_panic() => {
            (FileStatus::Failed, None, Some(format!("panicked: {join}")))
        }
        Err(join) => (FileStatus::Failed, None, Some(join.to_string())),
    };
    let file = {
        let mut shared = locked(&state);
        shared.file.result = result;
        shared.file.error = error;
        shared.file.updated = Utc::now();
        shared.file.finish(status, Utc::now());
        shared.file.clone()
    };
    write_job(job_path, &file).wrap_err("cannot record the job's outcome")?;
    Ok(match status {
        FileStatus::Failed => crate::exit::ERROR,
        _ => crate::exit::OK,
    })
}

/// Builds the job and runs it: a restore is planned again and must change exactly what the
/// user confirmed; a prune removes the confirmed sets (the engine refuses a stale plan).
async fn run_detached(
    config: Arc<Config>,
    spec: DetachedSpec,
    progress: ProgressSink,
    cancel: CancellationToken,
) -> Result<JobResult> {
    let job = match &spec {
        DetachedSpec::Restore { request, confirmed } => {
            let request = request.to_request();
            let fresh = plan(&config, &request)
                .await
                .wrap_err("cannot plan the restore again; nothing was changed")?;
            if let Some(change) = confirmed.difference(&ConfirmedRestore::from(&fresh)) {
                bail!("{change} since the preview; nothing was changed (preview it again)");
            }
            JobSpec::Restore {
                request: Shared::new(request),
                plan: Shared::new(fresh),
            }
        }
        DetachedSpec::Prune {
            remove,
            bytes_freed,
        } => JobSpec::Prune {
            plan: Shared::new(prune_plan(remove, *bytes_freed)),
        },
        other => other.to_spec(),
    };
    run_job(config, job, progress, cancel).await
}

fn progress_sink(state: SharedState) -> ProgressSink {
    Arc::new(move |progress: Progress| {
        let mut shared = locked(&state);
        shared.file.report(progress, Utc::now());
        shared.record.report(progress, Instant::now());
        shared.dirty = true;
    })
}

/// SIGTERM or SIGINT: cancel when the job can stop cleanly now, else record the refusal.
fn on_cancel_signal(state: &SharedState, cancel: &CancellationToken) {
    let mut shared = locked(state);
    if shared.record.cancellable() {
        cancel.cancel();
        shared.record.cancel_requested = true;
        shared.file.cancel_requested = true;
    } else {
        shared.file.messages.push(
            "cancel refused: the job is writing and would leave a half-done state; it runs to its end"
                .to_string(),
        );
    }
    shared.dirty = true;
}

/// Writes the job file when something changed.
fn flush(state: &SharedState, path: &Path) {
    let file = {
        let mut shared = locked(state);
        if !shared.dirty {
            return;
        }
        shared.dirty = false;
        shared.file.updated = Utc::now();
        shared.file.clone()
    };
    if let Err(err) = write_job(path, &file) {
        eprintln!("scandyctl job-worker: {err:#}");
    }
}
