//! The console's record of one job: progress, throughput, ETA, messages and outcome.

use std::time::{Duration, Instant};

use super::detached::WorkerRef;
use super::watch::WorkerReport;
use super::{DbTask, JobId, JobResult, JobSpec};
use crate::backup::progress::{Progress, Stage};

/// Where a job stands.
#[derive(Debug, Clone, PartialEq)]
pub enum JobStatus {
    /// Still running.
    Running,
    /// Finished; the result says what it did.
    Succeeded(JobResult),
    /// Failed with this message; nothing half-done was kept.
    Failed(String),
    /// Cancelled by the user; nothing half-done was kept.
    Cancelled,
    /// Its detached worker ended without an outcome (killed, crashed); why, if known.
    Interrupted(String),
}

/// One job as the console tracks it.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRecord {
    /// Job number.
    pub id: JobId,
    /// What it does.
    pub spec: JobSpec,
    /// When it started.
    pub started: Instant,
    /// When it ended.
    pub finished: Option<Instant>,
    /// Latest progress report.
    pub progress: Option<Progress>,
    /// When the current stage began and its byte/item counters at that moment.
    stage_start: Option<(Stage, Instant)>,
    /// Whether the user asked to cancel.
    pub cancel_requested: bool,
    /// Messages for the user (notes, refusals), oldest first.
    pub messages: Vec<String>,
    /// Where it stands.
    pub status: JobStatus,
    /// The detached worker running it (`None`: it runs inside this console).
    pub worker: Option<WorkerRef>,
    /// How many of the worker's messages are in `messages` already.
    worker_messages: usize,
}

impl JobRecord {
    /// A job that starts at `now`.
    pub fn new(id: JobId, spec: JobSpec, now: Instant) -> JobRecord {
        JobRecord {
            id,
            spec,
            started: now,
            finished: None,
            progress: None,
            stage_start: None,
            cancel_requested: false,
            messages: Vec::new(),
            status: JobStatus::Running,
            worker: None,
            worker_messages: 0,
        }
    }

    /// A job first seen in its job file (started by another console, or before this one).
    pub fn from_report(id: JobId, report: &WorkerReport) -> JobRecord {
        let mut job = JobRecord::new(id, report.spec.clone(), report.started);
        job.worker = Some(report.worker.clone());
        job.apply_report(report);
        job
    }

    /// Takes over what the job file says (progress with its stage's start, an accepted
    /// cancel, new messages, the end); returns whether the job ended with this report.
    pub fn apply_report(&mut self, report: &WorkerReport) -> bool {
        if !self.is_running() {
            return false;
        }
        if let Some((progress, since)) = report.progress {
            if self.stage_start.map(|(stage, _)| stage) != Some(progress.stage) {
                self.stage_start = Some((progress.stage, since));
            }
            self.progress = Some(progress);
        }
        self.cancel_requested |= report.cancel_requested;
        self.messages
            .extend(report.messages.iter().skip(self.worker_messages).cloned());
        self.worker_messages = self.worker_messages.max(report.messages.len());
        if report.status == JobStatus::Running {
            return false;
        }
        let at = report.finished.unwrap_or(report.started);
        self.finish(report.status.clone(), at);
        true
    }

    /// Whether the job runs in a detached worker (it outlives this console).
    pub fn is_detached(&self) -> bool {
        self.worker.is_some()
    }

    /// Whether the job is still running.
    pub fn is_running(&self) -> bool {
        self.status == JobStatus::Running
    }

    /// Records a progress report received at `now`.
    pub fn report(&mut self, progress: Progress, now: Instant) {
        if self.stage_start.map(|(stage, _)| stage) != Some(progress.stage) {
            self.stage_start = Some((progress.stage, now));
        }
        self.progress = Some(progress);
    }

    /// Records the end of the job at `now`.
    pub fn finish(&mut self, status: JobStatus, now: Instant) {
        self.status = status;
        self.finished = Some(now);
    }

    /// Time the job has run (until `now`, or until it finished).
    pub fn elapsed(&self, now: Instant) -> Duration {
        self.finished
            .unwrap_or(now)
            .saturating_duration_since(self.started)
    }

    /// Bytes per second and items per second in the current stage.
    pub fn throughput(&self, now: Instant) -> Option<(f64, f64)> {
        let progress = self.progress?;
        let (_, since) = self.stage_start?;
        let secs = self
            .finished
            .unwrap_or(now)
            .saturating_duration_since(since)
            .as_secs_f64();
        if secs < 0.2 {
            return None;
        }
        Some((progress.bytes as f64 / secs, progress.items as f64 / secs))
    }

    /// Time left in the current stage, from its fraction done and its time so far.
    pub fn eta(&self, now: Instant) -> Option<Duration> {
        if !self.is_running() {
            return None;
        }
        let fraction = self.progress?.fraction()?;
        let (_, since) = self.stage_start?;
        let spent = now.saturating_duration_since(since).as_secs_f64();
        if fraction <= 0.0 || spent < 0.5 {
            return None;
        }
        Some(Duration::from_secs_f64(spent * (1.0 - fraction) / fraction))
    }

    /// Whether a cancel can be honoured now without leaving anything half-done: a restore
    /// that has started writing the database or the files must run to its end, and of the
    /// database tasks only validate (between collections) can stop early.
    pub fn cancellable(&self) -> bool {
        if !self.is_running() {
            return false;
        }
        match (&self.spec, self.progress.map(|p| p.stage)) {
            (JobSpec::Restore { .. }, Some(Stage::Restore | Stage::Extract)) => false,
            (JobSpec::Prune { .. }, _) => false,
            (JobSpec::Db(task), _) => matches!(task, DbTask::Validate { .. }),
            (JobSpec::RestartService { .. }, _) => false,
            _ => true,
        }
    }
}

/// `h:mm:ss` or `m:ss`.
pub fn clock(duration: Duration) -> String {
    let secs = duration.as_secs();
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progress(stage: Stage, items: u64, items_total: u64, bytes: u64) -> Progress {
        Progress {
            stage,
            items,
            items_total,
            bytes,
            bytes_total: 0,
        }
    }

    #[test]
    fn throughput_and_eta_follow_the_current_stage() {
        let t0 = Instant::now();
        let mut job = JobRecord::new(
            1,
            JobSpec::Backup {
                choice: crate::jobs::BackupChoice::Full,
            },
            t0,
        );
        job.report(progress(Stage::Database, 0, 1000, 0), t0);
        let t4 = t0 + Duration::from_secs(4);
        job.report(progress(Stage::Database, 400, 1000, 4_000_000), t4);
        let (bytes, items) = job.throughput(t4).unwrap();
        assert!((bytes - 1_000_000.0).abs() < 1.0);
        assert!((items - 100.0).abs() < 0.01);
        assert_eq!(job.eta(t4), Some(Duration::from_secs(6)));
        let t5 = t0 + Duration::from_secs(5);
        job.report(progress(Stage::Files, 1, 0, 10), t5);
        assert_eq!(job.eta(t5), None, "unknown total: no ETA");
        assert_eq!(job.throughput(t5), None, "the new stage has just begun");
        job.finish(JobStatus::Cancelled, t5);
        assert_eq!(
            job.elapsed(t5 + Duration::from_secs(60)),
            Duration::from_secs(5)
        );
        assert!(!job.cancellable());
    }

    #[test]
    fn a_restore_cannot_be_cancelled_once_it_writes() {
        use crate::backup::restore::RestoreRequest;
        let t0 = Instant::now();
        let request = RestoreRequest {
            id: "x".into(),
            only: None,
            collections: None,
            to_db: None,
            files_to: None,
            safety_backup: true,
            at: None,
            missing_files_only: false,
        };
        let plan = crate::backup::restore::RestorePlan::preview("x", None, None, false);
        let mut job = JobRecord::new(
            2,
            JobSpec::Restore {
                request: super::super::Shared::new(request),
                plan: super::super::Shared::new(plan),
            },
            t0,
        );
        assert!(job.cancellable());
        job.report(progress(Stage::Verify, 1, 2, 0), t0);
        assert!(job.cancellable());
        job.report(progress(Stage::Restore, 1, 2, 0), t0);
        assert!(!job.cancellable());
    }

    #[test]
    fn clock_formats() {
        assert_eq!(clock(Duration::from_secs(9)), "0:09");
        assert_eq!(clock(Duration::from_secs(3725)), "1:02:05");
    }
}
