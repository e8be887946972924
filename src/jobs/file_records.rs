//! Progress and results of detached jobs as stored in their job files, and their
//! conversions to the engine's [`Progress`] and the console's [`JobResult`].

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::JobResult;
use crate::backup::progress::{Progress, Stage};
use crate::backup::verify::{Finding, VerifyLevel};

/// A progress report as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressRecord {
    /// Current stage.
    pub stage: StageRecord,
    /// Items done.
    pub items: u64,
    /// Items expected (0: unknown).
    pub items_total: u64,
    /// Bytes done.
    pub bytes: u64,
    /// Bytes expected (0: unknown).
    pub bytes_total: u64,
}

/// A [`Stage`] as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StageRecord {
    /// Dumping the database.
    Database,
    /// Archiving files.
    Files,
    /// Checking members.
    Verify,
    /// Loading the database.
    Restore,
    /// Extracting files.
    Extract,
    /// Writing a portable file.
    Export,
    /// Database maintenance.
    Maintenance,
}

impl From<Stage> for StageRecord {
    fn from(stage: Stage) -> StageRecord {
        match stage {
            Stage::Database => StageRecord::Database,
            Stage::Files => StageRecord::Files,
            Stage::Verify => StageRecord::Verify,
            Stage::Restore => StageRecord::Restore,
            Stage::Extract => StageRecord::Extract,
            Stage::Export => StageRecord::Export,
            Stage::Maintenance => StageRecord::Maintenance,
        }
    }
}

impl From<StageRecord> for Stage {
    fn from(stage: StageRecord) -> Stage {
        match stage {
            StageRecord::Database => Stage::Database,
            StageRecord::Files => Stage::Files,
            StageRecord::Verify => Stage::Verify,
            StageRecord::Restore => Stage::Restore,
            StageRecord::Extract => Stage::Extract,
            StageRecord::Export => Stage::Export,
            StageRecord::Maintenance => Stage::Maintenance,
        }
    }
}

impl From<Progress> for ProgressRecord {
    fn from(p: Progress) -> ProgressRecord {
        ProgressRecord {
            stage: p.stage.into(),
            items: p.items,
            items_total: p.items_total,
            bytes: p.bytes,
            bytes_total: p.bytes_total,
        }
    }
}

impl From<ProgressRecord> for Progress {
    fn from(p: ProgressRecord) -> Progress {
        Progress {
            stage: p.stage.into(),
            items: p.items,
            items_total: p.items_total,
            bytes: p.bytes,
            bytes_total: p.bytes_total,
        }
    }
}

/// What a detached job achieved, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ResultRecord {
    /// A set was written.
    Backup {
        /// New set id.
        id: String,
        /// Notes.
        notes: Vec<String>,
    },
    /// A set was checked.
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
        /// Files written.
        files_written: usize,
        /// Of those, overwritten.
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
}

impl ResultRecord {
    /// The stored form of a result; `None` for results of jobs that never run detached.
    pub fn from_result(result: &JobResult) -> Option<ResultRecord> {
        Some(match result.clone() {
            JobResult::Backup { id, notes } => ResultRecord::Backup { id, notes },
            JobResult::Verify {
                id,
                level,
                findings,
            } => ResultRecord::Verify {
                id,
                level,
                findings,
            },
            JobResult::Restore {
                safety_backup,
                collections,
                documents,
                files_written,
                files_overwritten,
            } => ResultRecord::Restore {
                safety_backup,
                collections,
                documents,
                files_written,
                files_overwritten,
            },
            JobResult::Export { path, bytes } => ResultRecord::Export { path, bytes },
            JobResult::Prune {
                removed,
                bytes_freed,
            } => ResultRecord::Prune {
                removed,
                bytes_freed,
            },
            JobResult::Db(_) | JobResult::ServiceRestarted => return None,
        })
    }

    /// The console's result.
    pub fn to_result(&self) -> JobResult {
        match self.clone() {
            ResultRecord::Backup { id, notes } => JobResult::Backup { id, notes },
            ResultRecord::Verify {
                id,
                level,
                findings,
            } => JobResult::Verify {
                id,
                level,
                findings,
            },
            ResultRecord::Restore {
                safety_backup,
                collections,
                documents,
                files_written,
                files_overwritten,
            } => JobResult::Restore {
                safety_backup,
                collections,
                documents,
                files_written,
                files_overwritten,
            },
            ResultRecord::Export { path, bytes } => JobResult::Export { path, bytes },
            ResultRecord::Prune {
                removed,
                bytes_freed,
            } => JobResult::Prune {
                removed,
                bytes_freed,
            },
        }
    }
}
