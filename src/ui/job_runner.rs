//! Runs jobs, restore dry runs and the data health checks as tasks of the event loop; their progress and outcome
//! come back as actions. Backup, verify, restore, export and prune jobs go to a detached
//! worker process (followed through the jobs directory); maintenance and service restarts,
//! and any job whose worker cannot start, run here. Cancel tokens are kept here, never in
//! the pure state.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::action::Action;
use crate::backup::progress::{Progress, Stage, is_cancelled};
use crate::backup::restore::RestoreRequest;
use crate::config::Config;
use crate::jobs::detached::{dismiss, job_path, request_cancel};
use crate::jobs::job_file::DetachedSpec;
use crate::jobs::launch::Launcher;
use crate::jobs::run::{ProgressSink, plan, run_job};
use crate::jobs::{JobId, JobSpec, JobStatus, Shared};
use crate::mongo::checked::connect_db;
use crate::mongo::health::run_checks;

/// Least time between two progress actions of one job (stage changes always pass).
pub const PROGRESS_INTERVAL: Duration = Duration::from_millis(100);

/// The running jobs of one console session.
pub struct JobRunner {
    config: Arc<Config>,
    tx: UnboundedSender<Action>,
    running: HashMap<JobId, (CancellationToken, JoinHandle<()>)>,
    launcher: Result<Launcher, String>,
    jobs_dir: PathBuf,
}

impl JobRunner {
    /// A runner that reports to `tx`, follows the detached jobs of `jobs_dir` and starts
    /// workers with `launcher` (or, when there is none, says why and runs every job here).
    pub fn new(
        config: Arc<Config>,
        tx: UnboundedSender<Action>,
        jobs_dir: PathBuf,
        launcher: Result<Launcher, String>,
    ) -> JobRunner {
        JobRunner {
            config,
            tx,
            running: HashMap::new(),
            launcher,
            jobs_dir,
        }
    }

    /// Starts job `id` in a detached worker when its kind runs there, else here (its end then
    /// arrives as [`Action::JobFinished`], even on a panic). The returned action says which,
    /// and must be applied before any later one.
    pub fn start(&mut self, id: JobId, spec: JobSpec) -> Option<Action> {
        let mut note = None;
        if let Some(detached) = DetachedSpec::from_spec(&spec) {
            let launched = self.launcher.as_ref().map_err(Clone::clone).and_then(|l| {
                l.launch(&detached, &self.config)
                    .map_err(|err| format!("{err:#}"))
            });
            match launched {
                Ok(worker) => return Some(Action::JobDetached { id, worker }),
                Err(reason) => note = Some(Action::JobInConsole { id, reason }),
            }
        }
        self.running.retain(|_, (_, handle)| !handle.is_finished());
        let cancel = CancellationToken::new();
        let progress = throttled_progress(id, self.tx.clone());
        let work = tokio::spawn(run_job(self.config.clone(), spec, progress, cancel.clone()));
        let tx = self.tx.clone();
        let handle = tokio::spawn(async move {
            let status = match work.await {
                Ok(Ok(result)) => JobStatus::Succeeded(result),
                Ok(Err(err)) if is_cancelled(&err) => JobStatus::Cancelled,
                Ok(Err(err)) => JobStatus::Failed(format!("{err:#}")),
                Err(join) if join.is_panic() => JobStatus::Failed(format!("panicked: {join}")),
                Err(join) => JobStatus::Failed(join.to_string()),
            };
            let _ = tx.send(Action::JobFinished {
                id,
                status,
                at: Instant::now(),
            });
        });
        self.running.insert(id, (cancel, handle));
        note
    }

    /// Asks the detached worker of job `id` (job file `key`) to cancel; a failure to reach
    /// it comes back as a note on the job.
    pub fn cancel_worker(&self, id: JobId, key: String) {
        let path = job_path(&self.jobs_dir, &key);
        let tx = self.tx.clone();
        tokio::task::spawn_blocking(move || {
            if let Err(err) = request_cancel(&path) {
                let _ = tx.send(Action::JobMessage {
                    id,
                    text: format!("cannot cancel: {err:#}"),
                });
            }
        });
    }

    /// Removes the job files of finished detached jobs.
    pub fn dismiss(&self, keys: Vec<String>) {
        let dir = self.jobs_dir.clone();
        let tx = self.tx.clone();
        tokio::task::spawn_blocking(move || {
            if let Err(err) = dismiss(&dir, &keys) {
                let _ = tx.send(Action::TaskFailed {
                    task: "dismiss jobs".into(),
                    message: format!("{err:#}"),
                });
            }
        });
    }

    /// Asks job `id` to stop; it cleans up and reports [`JobStatus::Cancelled`].
    pub fn cancel(&self, id: JobId) {
        if let Some((token, _)) = self.running.get(&id) {
            token.cancel();
        }
    }

    /// Works out a restore plan in the background.
    pub fn plan_restore(&self, request: Shared<RestoreRequest>) {
        let config = self.config.clone();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let result = plan(&config, &request)
                .await
                .map(Shared::new)
                .map_err(|err| format!("{err:#}"));
            let _ = tx.send(Action::RestorePlanned {
                request,
                plan: result,
            });
        });
    }

    /// Runs the data health checks in the background.
    pub fn run_health_checks(&self) {
        let config = self.config.clone();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let results = async {
                let client = connect_db(&config).await?;
                let db = client.database(&config.mongo.database);
                run_checks(&db, chrono::Local::now().naive_local()).await
            }
            .await
            .map_err(|err| format!("{err:#}"));
            let _ = tx.send(Action::HealthChecked {
                results,
                at: chrono::Utc::now(),
            });
        });
    }

    /// Cancels every running job and waits up to `grace` for them to clean up.
    pub async fn shutdown(self, grace: Duration) {
        let handles: Vec<JoinHandle<()>> = self
            .running
            .into_values()
            .filter(|(_, handle)| !handle.is_finished())
            .map(|(token, handle)| {
                token.cancel();
                handle
            })
            .collect();
        let _ = tokio::time::timeout(grace, futures::future::join_all(handles)).await;
    }
}

/// A progress sink that sends at most one action per [`PROGRESS_INTERVAL`] (plus every
/// change of stage).
fn throttled_progress(id: JobId, tx: UnboundedSender<Action>) -> ProgressSink {
    let last: Mutex<Option<(Instant, Stage)>> = Mutex::new(None);
    Arc::new(move |progress: Progress| {
        let now = Instant::now();
        let mut last = last.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let due = match *last {
            Some((at, stage)) => stage != progress.stage || now - at >= PROGRESS_INTERVAL,
            None => true,
        };
        if due {
            *last = Some((now, progress.stage));
            let _ = tx.send(Action::JobProgress {
                id,
                progress,
                at: now,
            });
        }
    })
}
