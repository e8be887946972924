//! The directory of detached jobs (`<state>/jobs/`): job files read and written under the
//! directory's lock, dead-worker detection, cancelling a worker, dismissing and retention.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use color_eyre::eyre::{Result, WrapErr, bail};

use super::job_file::{FileStatus, JobFile};
use crate::backup::lock::host_name;
use crate::state::{StateLock, state_dir, write_atomic};

/// The hidden subcommand a worker runs as (its command line names it and the job file).
pub const WORKER_SUBCOMMAND: &str = "job-worker";
/// Finished jobs older than this are removed by the next console.
pub const RETENTION: chrono::TimeDelta = chrono::TimeDelta::hours(24);
/// At most this many finished jobs are kept.
pub const KEEP_FINISHED: usize = 20;

/// Where a detached job runs: what the console needs to follow and cancel it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerRef {
    /// The job's key (its file name without `.json`).
    pub key: String,
    /// Process id of the worker.
    pub pid: u32,
    /// Host the worker runs on.
    pub host: String,
    /// The worker's log (stdout/stderr).
    pub log: PathBuf,
}

/// `<state>/jobs`.
pub fn jobs_dir() -> PathBuf {
    state_dir().join("jobs")
}

/// The job file of `key` in `dir`.
pub fn job_path(dir: &Path, key: &str) -> PathBuf {
    dir.join(format!("{key}.json"))
}

/// The worker log of `key` in `dir`.
pub fn log_path(dir: &Path, key: &str) -> PathBuf {
    dir.join(format!("{key}.log"))
}

fn lock(dir: &Path) -> Result<StateLock> {
    StateLock::acquire(&dir.join(".lock"))
}

/// A new job key: time, kind, console pid and a counter (`20260101T120000123Z-backup-42-1`).
pub fn new_key(kind: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed) + 1;
    format!(
        "{}-{kind}-{}-{n}",
        Utc::now().format("%Y%m%dT%H%M%S%3fZ"),
        std::process::id()
    )
}

/// Reads one job file.
pub fn read_job(path: &Path) -> Result<JobFile> {
    let bytes =
        std::fs::read(path).wrap_err_with(|| format!("cannot read the job {}", path.display()))?;
    serde_json::from_slice(&bytes)
        .wrap_err_with(|| format!("the job file {} is not readable", path.display()))
}

/// Writes one job file atomically under the directory's lock.
pub fn write_job(path: &Path, file: &JobFile) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let _lock = lock(dir)?;
    write_unlocked(path, file)
}

fn write_unlocked(path: &Path, file: &JobFile) -> Result<()> {
    let mut bytes = serde_json::to_vec_pretty(file).wrap_err("cannot encode the job file")?;
    bytes.push(b'\n');
    write_atomic(path, &bytes)
}

/// The job files in `dir` as (key, path), oldest key first; none when `dir` is missing.
pub fn list_jobs(dir: &Path) -> Vec<(String, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut jobs: Vec<(String, PathBuf)> = entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let key = name.strip_suffix(".json")?;
            (!key.starts_with('.') && !key.is_empty()).then(|| (key.to_string(), entry.path()))
        })
        .collect();
    jobs.sort();
    jobs
}

/// Whether a job's worker still runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    /// Its process exists and is a worker for this job.
    Alive,
    /// No such process (or another program under its pid).
    Dead,
    /// It runs on another host: cannot be told from here.
    OtherHost,
}

/// Whether the worker of `file` still runs (checked on this host only).
pub fn liveness(file: &JobFile) -> Liveness {
    if file.host != host_name() {
        return Liveness::OtherHost;
    }
    if worker_alive(file.pid, &file.key) {
        Liveness::Alive
    } else {
        Liveness::Dead
    }
}

/// Whether process `pid` is the worker of job `key`: its command line names the worker
/// subcommand and the key (so a reused pid does not count; a zombie has an empty one).
pub fn worker_alive(pid: u32, key: &str) -> bool {
    match std::fs::read(format!("/proc/{pid}/cmdline")) {
        Ok(cmdline) => {
            let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
            args.iter().any(|a| *a == WORKER_SUBCOMMAND.as_bytes())
                && args
                    .iter()
                    .any(|a| String::from_utf8_lossy(a).contains(key))
        }
        Err(_) if Path::new("/proc/self/cmdline").exists() => false,
        Err(_) => pid_exists(pid),
    }
}

fn pid_exists(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks for existence and permission.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Marks the job `interrupted` when it still says running but its worker is gone (checked
/// again under the lock, after the worker's last write); returns the new file if it did.
pub fn mark_interrupted_if_dead(path: &Path) -> Result<Option<JobFile>> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let _lock = lock(dir)?;
    let mut file = read_job(path)?;
    if file.is_finished() || liveness(&file) != Liveness::Dead {
        return Ok(None);
    }
    let now = Utc::now();
    file.error = Some(format!(
        "the worker process (pid {}) ended without writing an outcome",
        file.pid
    ));
    file.updated = now;
    file.finish(FileStatus::Interrupted, now);
    write_unlocked(path, &file)?;
    Ok(Some(file))
}

/// Asks the worker of a running job to cancel (SIGTERM); it decides whether it can stop
/// cleanly and records the answer in the job file.
pub fn request_cancel(path: &Path) -> Result<()> {
    let file = read_job(path)?;
    if file.is_finished() {
        bail!("the job has already ended");
    }
    match liveness(&file) {
        Liveness::OtherHost => bail!(
            "the job runs on {} (pid {}); cancel it there",
            file.host,
            file.pid
        ),
        Liveness::Dead => bail!("its worker (pid {}) is no longer running", file.pid),
        Liveness::Alive => {}
    }
    let pid = libc::pid_t::try_from(file.pid).wrap_err("bad worker pid")?;
    // SAFETY: kill(2) with a pid just checked to be this job's worker.
    if unsafe { libc::kill(pid, libc::SIGTERM) } != 0 {
        return Err(std::io::Error::last_os_error())
            .wrap_err_with(|| format!("cannot signal the worker (pid {pid})"));
    }
    Ok(())
}

/// Removes finished jobs of `keys` (file and log); running ones are left alone. Returns
/// the keys removed.
pub fn dismiss(dir: &Path, keys: &[String]) -> Result<Vec<String>> {
    let _lock = lock(dir)?;
    let mut removed = Vec::new();
    for key in keys {
        let path = job_path(dir, key);
        if read_job(&path).is_ok_and(|f| f.is_finished()) {
            remove_job(dir, key)?;
            removed.push(key.clone());
        }
    }
    Ok(removed)
}

fn remove_job(dir: &Path, key: &str) -> Result<()> {
    let path = job_path(dir, key);
    std::fs::remove_file(&path).wrap_err_with(|| format!("cannot remove {}", path.display()))?;
    let _ = std::fs::remove_file(log_path(dir, key));
    Ok(())
}

/// Removes finished jobs that ended before `now - RETENTION`, then the oldest finished ones
/// beyond [`KEEP_FINISHED`]; unreadable files are left for the admin. Returns the keys removed.
pub fn apply_retention(dir: &Path, now: DateTime<Utc>) -> Result<Vec<String>> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let _lock = lock(dir)?;
    let mut finished: Vec<(DateTime<Utc>, String)> = list_jobs(dir)
        .into_iter()
        .filter_map(|(key, path)| {
            let file = read_job(&path).ok()?;
            file.is_finished()
                .then(|| (file.finished.unwrap_or(file.updated), key))
        })
        .collect();
    finished.sort();
    let excess = finished.len().saturating_sub(KEEP_FINISHED);
    let mut removed = Vec::new();
    for (i, (ended, key)) in finished.into_iter().enumerate() {
        if i < excess || ended < now - RETENTION {
            remove_job(dir, &key)?;
            removed.push(key);
        }
    }
    Ok(removed)
}

#[cfg(test)]
#[path = "detached_tests.rs"]
mod tests;
