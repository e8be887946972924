//! Background jobs: what the console runs on the backup engine (backup, verify, restore,
//! export, prune), their progress, throughput, ETA and outcome. No terminal code here.

pub mod db;
pub mod detached;
pub mod file_records;
pub mod job_file;
pub mod launch;
pub mod record;
pub mod run;
pub mod watch;
pub mod worker;

use std::path::PathBuf;
use std::sync::Arc;

use crate::backup::restore::{RestorePlan, RestoreRequest};
use crate::backup::retention::PrunePlan;
use crate::backup::verify::{Finding, VerifyLevel};

pub use db::{DbOutcome, DbTask};

pub use detached::WorkerRef;
pub use record::{JobRecord, JobStatus};

/// Number of a job within one console session (1, 2, …).
pub type JobId = u64;

/// A shared, immutable value that compares by identity (plans carry manifests that are not
/// comparable and need not be copied).
#[derive(Debug)]
pub struct Shared<T>(pub Arc<T>);

impl<T> Shared<T> {
    /// Wraps a value.
    pub fn new(value: T) -> Shared<T> {
        Shared(Arc::new(value))
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(Arc::clone(&self.0))
    }
}

impl<T> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl<T> std::ops::Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// Which backup a backup job takes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackupChoice {
    /// Database and files, complete.
    #[default]
    Full,
    /// Only what changed since the newest set (a full when no parent can be used).
    Incremental,
    /// Incremental, but a full when the chain is too long or too old.
    Auto,
}

/// What a job does.
#[derive(Debug, Clone, PartialEq)]
pub enum JobSpec {
    /// A new backup of the database and the files.
    Backup {
        /// Full, incremental or auto.
        choice: BackupChoice,
    },
    /// Verifies one set.
    Verify {
        /// Set id.
        id: String,
        /// Quick or deep.
        level: VerifyLevel,
    },
    /// Carries out a restore plan the user confirmed.
    Restore {
        /// What was asked for.
        request: Shared<RestoreRequest>,
        /// What will change (shown before confirming).
        plan: Shared<RestorePlan>,
    },
    /// Writes one set as a portable tar file.
    Export {
        /// Set id.
        id: String,
        /// Target file, or a directory to write `<id>.tar` into.
        out: PathBuf,
    },
    /// Removes the sets a retention plan selected.
    Prune {
        /// The plan the user confirmed.
        plan: Shared<PrunePlan>,
    },
    /// Database maintenance.
    Db(DbTask),
    /// Restarts a service (systemd unit or docker container).
    RestartService {
        /// Which one.
        target: crate::system::services::ServiceTarget,
    },
}

impl JobSpec {
    /// The set the job works on, if it is about one set.
    pub fn set_id(&self) -> Option<&str> {
        match self {
            JobSpec::Verify { id, .. } | JobSpec::Export { id, .. } => Some(id),
            JobSpec::Restore { request, .. } => Some(&request.id),
            JobSpec::Backup { .. }
            | JobSpec::Prune { .. }
            | JobSpec::Db(_)
            | JobSpec::RestartService { .. } => None,
        }
    }

    /// Whether the job takes the backup directory lock (only one such job runs at a time).
    pub fn takes_lock(&self) -> bool {
        matches!(
            self,
            JobSpec::Backup { .. } | JobSpec::Restore { .. } | JobSpec::Prune { .. }
        )
    }
}

/// What a finished job achieved.
#[derive(Debug, Clone, PartialEq)]
pub enum JobResult {
    /// A set was written.
    Backup {
        /// New set id.
        id: String,
        /// Notes (stale lock broken, leftovers removed, secrets skipped).
        notes: Vec<String>,
    },
    /// A set was checked (a failed check is a result, not a job failure).
    Verify {
        /// Set id.
        id: String,
        /// Quick or deep.
        level: VerifyLevel,
        /// What was wrong.
        findings: Vec<Finding>,
    },
    /// A restore completed.
    Restore {
        /// The safety backup taken first.
        safety_backup: Option<String>,
        /// Collections loaded.
        collections: usize,
        /// Documents loaded.
        documents: u64,
        /// Files written (new and overwritten).
        files_written: usize,
        /// Of those, files overwritten.
        files_overwritten: usize,
    },
    /// A set was exported.
    Export {
        /// The file written.
        path: PathBuf,
        /// Its size.
        bytes: u64,
    },
    /// Sets were removed.
    Prune {
        /// Removed ids.
        removed: Vec<String>,
        /// Bytes freed.
        bytes_freed: u64,
    },
    /// A maintenance task finished.
    Db(DbOutcome),
    /// A service was restarted.
    ServiceRestarted,
}
