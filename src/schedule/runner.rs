//! The schedule runner: finds what is due, runs backup → verify → prune through the backup
//! engine under the backup directory lock, records the outcome in `schedule.json` and
//! reports a failure through `[notify]`. One runner works at a time per state directory.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use color_eyre::eyre::{Result, WrapErr};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::config::{AfterStep, ScheduleConfig};
use super::slots::{self, Slot};
use super::state::{
    LoadedState, Outcome, RUN_LOCK_FILE, ScheduleState, load_state, save_state, state_path,
};
use super::zone::Zone;
use crate::backup::create::{BackupRequest, create_backup_locked};
use crate::backup::lock::{BusyError, acquire};
use crate::backup::manifest::BackupKind;
use crate::backup::preflight::{check_dir_present, check_space};
use crate::backup::retention::{apply_prune, plan_prune_dir};
use crate::backup::verify::{VerifyLevel, verify_set_with};
use crate::config::Config;
use crate::notify::NotifyConfig;

/// Seconds between two attempts while the backup directory is busy (default).
pub const DEFAULT_RETRY_SECONDS: u64 = 30;

/// Environment variable that shortens the busy retry interval (tests).
pub const RETRY_ENV: &str = "SCANDYCTL_SCHEDULE_RETRY_SECONDS";

/// The busy retry interval: [`RETRY_ENV`] or [`DEFAULT_RETRY_SECONDS`].
pub fn retry_interval() -> Duration {
    let seconds = std::env::var(RETRY_ENV)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|s| (1..=3600).contains(s))
        .unwrap_or(DEFAULT_RETRY_SECONDS);
    Duration::from_secs(seconds)
}

/// Where a line for the admin goes (stdout of the daemon, the journal under systemd).
pub type LogSink = Arc<dyn Fn(&str) + Send + Sync>;

/// Everything a schedule run needs.
#[derive(Clone)]
pub struct Runner {
    /// The effective configuration.
    pub config: Config,
    /// `[schedule]`.
    pub schedule: ScheduleConfig,
    /// `[notify]`, for failures.
    pub notify: NotifyConfig,
    /// The zone of the cron expressions.
    pub zone: Zone,
    /// The state directory (`schedule.json`, `schedule.lock`).
    pub state_dir: PathBuf,
    /// Where progress lines go.
    pub log: LogSink,
    /// The config file (`[schedule]`, for the metrics file).
    pub config_file: Option<PathBuf>,
}

/// What one scheduled run did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunReport {
    /// The slot that ran.
    pub slot: Slot,
    /// How it ended.
    pub outcome: Outcome,
    /// The set written.
    pub set_id: Option<String>,
    /// What went wrong.
    pub error: Option<String>,
    /// The verification result (`None`: not verified).
    pub verified: Option<bool>,
    /// Sets removed by the prune step.
    pub pruned: Option<usize>,
    /// Remarks (stale lock broken, prune deferred, incremental ran as full, ...).
    pub notes: Vec<String>,
}

/// The result of one look at the schedule.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Pass {
    /// Nothing was due.
    NothingDue {
        /// The next slot.
        next: Option<DateTime<Utc>>,
    },
    /// A slot ran (successfully or not).
    Ran(RunReport),
    /// The backup directory was busy: the slot stays due and is retried.
    Deferred {
        /// Who holds the lock.
        reason: String,
    },
}

impl Runner {
    fn say(&self, line: &str) {
        (self.log)(line);
    }

    fn load(&self, now: DateTime<Utc>) -> Result<ScheduleState> {
        let LoadedState { state, warnings } = load_state(&state_path(&self.state_dir), now)?;
        for warning in warnings {
            self.say(&format!("warning: {warning}"));
        }
        Ok(state)
    }

    fn save(&self, state: &mut ScheduleState) -> Result<()> {
        let now = Utc::now();
        state.next_run = slots::next_wake(&self.schedule, self.zone, now);
        for entry in &self.schedule.entries {
            state.entry_mut(&entry.name).next_run = slots::entry_next(entry, self.zone, now);
        }
        save_state(&state_path(&self.state_dir), state, now)?;
        let live = crate::metrics::Live::default();
        if let Err(err) =
            crate::metrics::refresh_textfile(&self.config, self.config_file.as_deref(), &live, now)
        {
            self.say(&format!("warning: metrics: {err:#}"));
        }
        Ok(())
    }

    /// Whether anything is due at `now` (reads the state, takes no lock).
    pub fn is_due(&self, now: DateTime<Utc>) -> Result<bool> {
        let state = self.load(now)?;
        Ok(slots::due(&self.schedule, self.zone, &state.watermarks(), now).is_some())
    }

    /// Runs what is due at `now` (one merged run, catch-up included), under the schedule
    /// lock: a second runner waits here and then finds the slot settled.
    pub async fn run_pass(&self, now: DateTime<Utc>, cancel: &CancellationToken) -> Result<Pass> {
        let lock_path = self.state_dir.join(RUN_LOCK_FILE);
        let _run_lock =
            tokio::task::spawn_blocking(move || crate::state::StateLock::acquire(&lock_path))
                .await
                .wrap_err("the schedule lock task failed")??;
        // The time may have moved on while another runner held the lock.
        let now = now.max(Utc::now());
        let mut state = self.load(now)?;
        settle_interrupted(&mut state);
        let Some((slot, settles)) = slots::due(&self.schedule, self.zone, &state.watermarks(), now)
        else {
            for entry in &self.schedule.entries {
                let record = state.entry_mut(&entry.name);
                if record.watermark.is_none() {
                    record.watermark = Some(slots::initial_watermark(now));
                }
            }
            self.save(&mut state)?;
            return Ok(Pass::NothingDue {
                next: state.next_run,
            });
        };
        self.jitter(cancel).await;
        let dir = self.config.resolve(&self.config.backup.dir);
        let held_before = state.ever_succeeded() && state.backup_dir.as_deref() == Some(&*dir);
        let start = Utc::now();
        let mut report = RunReport {
            slot: slot.clone(),
            outcome: Outcome::Failed,
            set_id: None,
            error: None,
            verified: None,
            pruned: None,
            notes: Vec::new(),
        };
        let lock = match check_dir_present(&dir, held_before)
            .and_then(|()| acquire(&dir, "scheduled backup"))
        {
            Ok(lock) => lock,
            Err(err) if err.is::<BusyError>() => {
                let reason = err.to_string();
                for name in &slot.entries {
                    let record = state.entry_mut(name);
                    record.outcome = Some(Outcome::Deferred);
                    record.error = Some(reason.clone());
                }
                self.save(&mut state)?;
                self.say(&format!("deferred: {reason}; retrying"));
                return Ok(Pass::Deferred { reason });
            }
            Err(err) => {
                report.error = Some(format!("{err:#}"));
                return self.finish(state, report, &settles, start, None).await;
            }
        };
        report.notes.extend(lock.notes.iter().cloned());
        for name in &slot.entries {
            let record = state.entry_mut(name);
            record.outcome = Some(Outcome::Running);
            record.last_start = Some(start);
            record.last_slot = Some(slot.at);
            record.error = None;
        }
        state.running_pid = Some(std::process::id());
        self.save(&mut state)?;
        self.say(&format!(
            "running {} backup for {} (slot {})",
            slot.kind.as_str(),
            slot.entries.join(", "),
            slot.at.format("%Y-%m-%d %H:%M UTC")
        ));
        let steps = self.steps(&slot, &lock, cancel, &mut report).await;
        drop(lock);
        if let Err(err) = steps {
            report.error = Some(format!("{err:#}"));
        } else if self.schedule.runs(AfterStep::Prune) {
            self.prune(&dir, &mut report);
        }
        if report.error.is_none() {
            report.outcome = Outcome::Ok;
        }
        let size = report
            .set_id
            .as_ref()
            .and_then(|id| crate::backup::manifest::read_manifest(&dir.join(id)).ok())
            .map(|m| m.members_size());
        if cancel.is_cancelled() && report.outcome == Outcome::Failed {
            // Stopped (SIGTERM): the slot stays due and runs at the next start.
            report.error = Some("interrupted: scandyctl was stopped during the run".into());
            return self
                .finish(state, report, &Default::default(), start, size)
                .await;
        }
        state.backup_dir = Some(dir);
        self.finish(state, report, &settles, start, size).await
    }

    async fn jitter(&self, cancel: &CancellationToken) {
        if self.schedule.jitter_seconds == 0 {
            return;
        }
        let delay = rand::random_range(0..=u64::from(self.schedule.jitter_seconds) * 1000);
        self.say(&format!("waiting {} s (jitter_seconds)", delay / 1000));
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(delay)) => {}
            _ = cancel.cancelled() => {}
        }
    }

    /// Pre-flight, backup and verification while the lock is held.
    async fn steps(
        &self,
        slot: &Slot,
        lock: &crate::backup::lock::BackupLock,
        cancel: &CancellationToken,
        report: &mut RunReport,
    ) -> Result<()> {
        let kind = match slot.kind {
            super::ScheduledType::Incremental => BackupKind::Incremental,
            _ => BackupKind::Full,
        };
        check_space(&self.config, kind).await?;
        let request = BackupRequest {
            kind,
            parent: None,
            auto: kind == BackupKind::Incremental,
            scan: false,
            estimate_totals: false,
        };
        let outcome = create_backup_locked(
            &self.config,
            &request,
            lock,
            Arc::new(|_| {}),
            cancel.clone(),
        )
        .await?;
        report.notes.extend(outcome.notes.iter().cloned());
        report.set_id = Some(outcome.id.clone());
        self.say(&format!("backup {} written", outcome.id));
        if !self.schedule.runs(AfterStep::Verify) {
            return Ok(());
        }
        let identities = match (&self.config.backup.identity, slot.verify) {
            (Some(path), VerifyLevel::Deep) => {
                crate::backup::crypt::load_identities(&self.config.resolve(path))?
            }
            _ => Vec::new(),
        };
        let (path, level, token) = (outcome.path.clone(), slot.verify, cancel.clone());
        let verify = tokio::task::spawn_blocking(move || {
            verify_set_with(&path, level, &identities, &|_| {}, &token)
        })
        .await
        .wrap_err("the verify task failed")??;
        report.verified = Some(verify.ok);
        if !verify.ok {
            let first: Vec<String> = verify
                .findings
                .iter()
                .take(3)
                .map(|f| format!("{}: {}", f.subject, f.message))
                .collect();
            color_eyre::eyre::bail!(
                "verification of {} failed: {}",
                outcome.id,
                first.join("; ")
            );
        }
        self.say(&format!(
            "backup {} verified ({})",
            outcome.id,
            level_name(level)
        ));
        Ok(())
    }

    fn prune(&self, dir: &std::path::Path, report: &mut RunReport) {
        let policy = &self.config.backup.retention;
        let result =
            plan_prune_dir(dir, policy, Utc::now()).and_then(|plan| apply_prune(dir, &plan));
        match result {
            Ok(outcome) => {
                report.pruned = Some(outcome.removed.len());
                report.notes.extend(outcome.notes);
                self.say(&format!("prune removed {} set(s)", outcome.removed.len()));
            }
            // A prune that cannot run now happens at the next run; the backup stands.
            Err(err) => report.notes.push(format!(
                "prune not done, it runs with the next backup: {err:#}"
            )),
        }
    }

    /// Records the outcome (settling the slot's entries), reports a failure, writes metrics.
    async fn finish(
        &self,
        mut state: ScheduleState,
        report: RunReport,
        settles: &std::collections::BTreeMap<String, DateTime<Utc>>,
        start: DateTime<Utc>,
        size: Option<u64>,
    ) -> Result<Pass> {
        let end = Utc::now();
        let mut recovered = Vec::new();
        for name in &report.slot.entries {
            let record = state.entry_mut(name);
            if let Some(mark) = settles.get(name) {
                record.watermark = Some(record.watermark.map_or(*mark, |w| w.max(*mark)));
            }
            if record.outcome == Some(Outcome::Failed) && report.outcome == Outcome::Ok {
                recovered.push(name.clone());
            }
            record.last_slot = Some(report.slot.at);
            record.last_start = Some(start);
            record.last_end = Some(end);
            record.outcome = Some(report.outcome);
            record.set_id = report.set_id.clone();
            record.error = report.error.clone();
            if report.outcome == Outcome::Ok {
                record.last_success = Some(end);
                record.last_duration_seconds =
                    Some((end - start).num_milliseconds() as f64 / 1000.0);
                record.last_size_bytes = size;
            }
        }
        state.running_pid = None;
        self.save(&mut state)?;
        if let Err(err) = crate::maintenance_log::append_entry(&self.state_dir, &log_entry(&report))
        {
            self.say(&format!(
                "warning: not recorded in the maintenance log: {err:#}"
            ));
        }
        match &report.error {
            Some(error) => {
                self.say(&format!("scheduled backup failed: {error}"));
                for line in super::alert::notify_failure(&self.notify, &report, error).await {
                    self.say(&line);
                }
            }
            None if !recovered.is_empty() => {
                for line in super::alert::notify_recovered(&self.notify, &report).await {
                    self.say(&line);
                }
            }
            None => {}
        }
        for note in &report.notes {
            self.say(&format!("note: {note}"));
        }
        Ok(Pass::Ran(report))
    }

    /// `schedule run --once`: runs what is due (waiting out a busy lock for at most `wait`).
    pub async fn run_once(&self, wait: Duration, cancel: &CancellationToken) -> Result<Pass> {
        let started = std::time::Instant::now();
        loop {
            let pass = self.run_pass(Utc::now(), cancel).await?;
            if !matches!(pass, Pass::Deferred { .. }) || started.elapsed() >= wait {
                return Ok(pass);
            }
            tokio::select! {
                _ = tokio::time::sleep(retry_interval()) => {}
                _ = cancel.cancelled() => return Ok(pass),
            }
        }
    }

    /// `schedule run`: sleeps until the next slot, runs it, forever; returns when `cancel`
    /// fires (SIGTERM). Wakes at least once a minute, so a changed clock is noticed.
    pub async fn run_daemon(&self, cancel: &CancellationToken) -> Result<()> {
        self.say(&format!(
            "schedule started: {} entr{} in {}",
            self.schedule.entries.len(),
            if self.schedule.entries.len() == 1 {
                "y"
            } else {
                "ies"
            },
            self.zone.name()
        ));
        let mut wait = Duration::ZERO;
        let mut check = true;
        let mut last_slice: Option<std::time::Instant> = None;
        loop {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = cancel.cancelled() => return Ok(()),
            }
            let every = Duration::from_secs(u64::from(self.config.backup.oplog_slices));
            if !every.is_zero() && last_slice.is_none_or(|t| t.elapsed() >= every) {
                last_slice = Some(std::time::Instant::now());
                self.capture_slice().await;
            }
            let now = Utc::now();
            if !check && !matches!(self.is_due(now), Ok(true)) {
                wait = self.idle_wait(now);
                continue;
            }
            check = false;
            wait = match self.run_pass(now, cancel).await {
                Ok(Pass::Deferred { .. }) => {
                    check = true;
                    retry_interval()
                }
                Ok(Pass::Ran(_)) => {
                    check = true;
                    Duration::ZERO
                }
                Ok(Pass::NothingDue { next }) => {
                    if let Some(next) = next {
                        self.say(&format!("next run {}", next.format("%Y-%m-%d %H:%M UTC")));
                    }
                    self.idle_wait(now)
                }
                Err(err) => {
                    self.say(&format!("error: {err:#}; trying again in a minute"));
                    Duration::from_secs(60)
                }
            };
            if cancel.is_cancelled() {
                return Ok(());
            }
        }
    }

    /// Whether `backup.oplog_slices` asks for slices.
    pub fn slices_enabled(&self) -> bool {
        self.config.backup.oplog_slices > 0
    }

    /// Stores an oplog slice (`backup.oplog_slices`); a failure is said, not fatal.
    pub async fn capture_slice(&self) {
        match crate::backup::pitr::capture::capture_slice(&self.config).await {
            Ok(Some(slice)) => self.say(&format!(
                "oplog slice {} written ({} entries)",
                slice.id, slice.entries
            )),
            Ok(None) => {}
            Err(err) => self.say(&format!("oplog slice not written: {err:#}")),
        }
    }

    fn idle_wait(&self, now: DateTime<Utc>) -> Duration {
        let next = slots::next_wake(&self.schedule, self.zone, now);
        let until = next
            .map(|n| (n - now).to_std().unwrap_or(Duration::ZERO))
            .unwrap_or(Duration::from_secs(60));
        until.min(Duration::from_secs(60)) + Duration::from_millis(50)
    }
}

/// The maintenance log entry of one scheduled run (kind `backup`, `scheduled=<entries>`).
fn log_entry(report: &RunReport) -> crate::maintenance_log::MaintenanceEntry {
    use crate::maintenance_log::{MaintenanceEntry, Outcome as LogOutcome};
    let kind = report.slot.kind.as_str();
    let entry = MaintenanceEntry::now("backup", &format!("scheduled {kind} backup"), "")
        .param("scheduled", report.slot.entries.join(","))
        .param("type", kind)
        .param("slot", report.slot.at.to_rfc3339())
        .param("via", "schedule")
        .evidence(report.set_id.iter().map(|id| format!("set {id}")))
        .evidence(
            report
                .verified
                .map(|ok| format!("verification {}", if ok { "passed" } else { "FAILED" })),
        )
        .evidence(report.pruned.map(|n| format!("prune removed {n} set(s)")))
        .evidence(report.error.iter().cloned())
        .evidence(report.notes.iter().map(|n| format!("note: {n}")));
    if report.outcome == Outcome::Ok {
        entry
    } else {
        entry.outcome(LogOutcome::Failed)
    }
}

fn level_name(level: VerifyLevel) -> &'static str {
    match level {
        VerifyLevel::Quick => "quick",
        VerifyLevel::Deep => "deep",
    }
}

/// A run recorded as running whose process is gone was interrupted: it failed, and its slot
/// (never settled) runs again.
fn settle_interrupted(state: &mut ScheduleState) {
    let Some(pid) = state.running_pid else {
        return;
    };
    let alive = libc::pid_t::try_from(pid)
        // SAFETY: signal 0 only checks that the process exists.
        .map(|p| unsafe { libc::kill(p, 0) } == 0)
        .unwrap_or(false);
    if alive && pid != std::process::id() {
        return;
    }
    for record in state.entries.values_mut() {
        if record.outcome == Some(Outcome::Running) {
            record.outcome = Some(Outcome::Failed);
            record.error = Some(format!(
                "interrupted: the run (pid {pid}) ended before it finished"
            ));
        }
    }
    state.running_pid = None;
}
