//! The input of the alert engine: one sample of everything the rules look at.

use std::path::PathBuf;

/// Everything the rules look at, sampled by the caller; `None` means "not sampled".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Signals {
    /// Mounted filesystems and how full each is (used %); empty when not sampled.
    pub disks: Vec<(PathBuf, f64)>,
    /// Memory in use, percent of total.
    pub memory_used_percent: Option<f64>,
    /// CPU busy, percent over all cores.
    pub cpu_percent: Option<f64>,
    /// Scandy's `/health`: `Ok`, or the failure detail; `None` when not probed (no URL).
    pub health: Option<Result<(), String>>,
    /// MongoDB reachability and authentication.
    pub mongo: Option<MongoSignal>,
    /// Age of the newest backup set; `Some(None)` when there is no backup at all.
    pub backup_age: Option<Option<chrono::Duration>>,
    /// Set id of the newest set whose verification failed (`None`: the newest verified set
    /// is fine, or nothing was checked).
    pub verify_failed: Option<String>,
    /// Error-level log entries per minute (averaged over the last few minutes).
    pub errors_per_minute: Option<f64>,
    /// The error of the last scheduled backup when it failed (`None`: it did not fail, or
    /// nothing is scheduled).
    pub schedule_failed: Option<String>,
    /// The overdue scheduled runs ("daily since 2026-11-26 02:00 UTC"); `None`: none.
    pub schedule_missed: Option<String>,
}

/// What a MongoDB probe found (details must already be free of secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MongoSignal {
    /// Reachable and the credentials work.
    Ok,
    /// No answer: refused, timed out, DNS, TLS; the redacted reason.
    Unreachable(String),
    /// The server answered but refused the credentials; the redacted reason.
    AuthFailed(String),
}
