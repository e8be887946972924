//! Following detached jobs from a console: the jobs directory is read every 250 ms; each new
//! or changed job file becomes a [`WorkerReport`], a removed one [`WorkerEvent::Gone`]. A job
//! that says running while its worker is gone is marked interrupted on the way.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::detached::{
    Liveness, WorkerRef, apply_retention, list_jobs, liveness, mark_interrupted_if_dead,
};
use super::job_file::{FileStatus, JobFile};
use super::{JobSpec, JobStatus};
use crate::backup::progress::Progress;

/// How often the jobs directory is read.
pub const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// A detached job as a console shows it, with times turned into this process's instants.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkerReport {
    /// Where it runs.
    pub worker: WorkerRef,
    /// What it does.
    pub spec: JobSpec,
    /// When it started.
    pub started: Instant,
    /// Latest progress and when its stage began.
    pub progress: Option<(Progress, Instant)>,
    /// Whether the worker accepted a cancel.
    pub cancel_requested: bool,
    /// The worker's notes, oldest first.
    pub messages: Vec<String>,
    /// Where it stands.
    pub status: JobStatus,
    /// When it ended (set whenever `status` is not running).
    pub finished: Option<Instant>,
}

impl WorkerReport {
    /// The report of `file` read at `now` (wall clock) / `now_instant`.
    pub fn from_file(file: &JobFile, now: DateTime<Utc>, now_instant: Instant) -> WorkerReport {
        let ago = |t: DateTime<Utc>| (now - t).to_std().unwrap_or(Duration::ZERO);
        let started = now_instant
            .checked_sub(ago(file.started))
            .unwrap_or(now_instant);
        let after_start =
            |t: DateTime<Utc>| started + (t - file.started).to_std().unwrap_or(Duration::ZERO);
        let status = match file.status {
            FileStatus::Running => JobStatus::Running,
            FileStatus::Done => match &file.result {
                Some(result) => JobStatus::Succeeded(result.to_result()),
                None => JobStatus::Failed("the job ended without recording its result".into()),
            },
            FileStatus::Failed => JobStatus::Failed(
                file.error
                    .clone()
                    .unwrap_or_else(|| "failed without a reason".into()),
            ),
            FileStatus::Cancelled => JobStatus::Cancelled,
            FileStatus::Interrupted => {
                JobStatus::Interrupted(file.error.clone().unwrap_or_default())
            }
        };
        let finished = match file.status {
            FileStatus::Running => None,
            _ => Some(file.finished.map_or(now_instant, after_start)),
        };
        WorkerReport {
            worker: WorkerRef {
                key: file.key.clone(),
                pid: file.pid,
                host: file.host.clone(),
                log: file.log.clone(),
            },
            spec: file.spec.to_spec(),
            started,
            progress: file.progress.map(|p| {
                let since = file.stage_since.map_or(started, after_start);
                (Progress::from(p), since)
            }),
            cancel_requested: file.cancel_requested,
            messages: file.messages.clone(),
            status,
            finished,
        }
    }
}

/// What the jobs directory reader reports.
#[derive(Debug, Clone, PartialEq)]
pub enum WorkerEvent {
    /// A job file is new or changed.
    Report(Box<WorkerReport>),
    /// The job file of this key was removed (dismissed or expired).
    Gone(String),
}

/// Reads the jobs directory and remembers what it reported.
#[derive(Debug)]
pub struct JobScanner {
    dir: PathBuf,
    seen: HashMap<String, Vec<u8>>,
}

impl JobScanner {
    /// A scanner of `dir` that has reported nothing yet.
    pub fn new(dir: PathBuf) -> JobScanner {
        JobScanner {
            dir,
            seen: HashMap::new(),
        }
    }

    /// The changes since the last scan; unreadable files are skipped.
    pub fn scan(&mut self) -> Vec<WorkerEvent> {
        let mut events = Vec::new();
        let mut present = HashSet::new();
        for (key, path) in list_jobs(&self.dir) {
            present.insert(key.clone());
            let Ok(mut bytes) = std::fs::read(&path) else {
                continue;
            };
            let Ok(mut file) = serde_json::from_slice::<JobFile>(&bytes) else {
                continue;
            };
            if !file.is_finished()
                && liveness(&file) == Liveness::Dead
                && let Ok(Some(marked)) = mark_interrupted_if_dead(&path)
            {
                file = marked;
                bytes = std::fs::read(&path).unwrap_or_default();
            }
            if self.seen.get(&key) == Some(&bytes) {
                continue;
            }
            self.seen.insert(key, bytes);
            events.push(WorkerEvent::Report(Box::new(WorkerReport::from_file(
                &file,
                Utc::now(),
                Instant::now(),
            ))));
        }
        let gone: Vec<String> = self
            .seen
            .keys()
            .filter(|key| !present.contains(*key))
            .cloned()
            .collect();
        for key in gone {
            self.seen.remove(&key);
            events.push(WorkerEvent::Gone(key));
        }
        events
    }
}

/// Applies the retention to `dir`, then reports its job files to `sink` until aborted.
pub async fn watch_jobs(dir: PathBuf, sink: Arc<dyn Fn(WorkerEvent) + Send + Sync>) {
    let retention_dir = dir.clone();
    let _ = tokio::task::spawn_blocking(move || apply_retention(&retention_dir, Utc::now())).await;
    let mut scanner = JobScanner::new(dir);
    let mut ticks = tokio::time::interval(POLL_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Ok((back, events)) = tokio::task::spawn_blocking(move || {
            let events = scanner.scan();
            (scanner, events)
        })
        .await
        else {
            return;
        };
        scanner = back;
        for event in events {
            sink(event);
        }
    }
}
