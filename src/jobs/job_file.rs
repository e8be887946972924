//! The job file of a detached job (`<state>/jobs/<key>.json`): what the worker runs, who runs
//! it, its progress and its outcome, as plain serializable records, and the conversion of the
//! console's [`JobSpec`] to what a worker needs and back.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use super::file_records::{ProgressRecord, ResultRecord, StageRecord};
use super::{BackupChoice, JobSpec, Shared};
use crate::backup::manifest::BackupKind;
use crate::backup::progress::Progress;
use crate::backup::restore::{
    CollectionChange, DatabasePlan, FilesPlan, RestorePart, RestorePlan, RestoreRequest,
};
use crate::backup::retention::{PrunePlan, Removal};
use crate::backup::verify::VerifyLevel;

/// Version of the job file layout.
pub const FORMAT: u32 = 1;

/// One detached job as stored on disk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobFile {
    /// Layout version ([`FORMAT`]).
    pub format: u32,
    /// The job's key (the file name without `.json`).
    pub key: String,
    /// What the job does.
    pub spec: DetachedSpec,
    /// Process id of the worker.
    pub pid: u32,
    /// Host the worker runs on.
    pub host: String,
    /// The worker's stdout/stderr.
    pub log: PathBuf,
    /// When the job started.
    pub started: DateTime<Utc>,
    /// When the file was last written.
    pub updated: DateTime<Utc>,
    /// When the job ended.
    pub finished: Option<DateTime<Utc>>,
    /// Where it stands.
    pub status: FileStatus,
    /// Latest progress report.
    pub progress: Option<ProgressRecord>,
    /// When the stage of the latest report began.
    pub stage_since: Option<DateTime<Utc>>,
    /// Whether a cancel was accepted (the worker is cleaning up).
    pub cancel_requested: bool,
    /// Notes for the user, oldest first.
    pub messages: Vec<String>,
    /// What the job achieved (status `done`).
    pub result: Option<ResultRecord>,
    /// Why it failed (status `failed` or `interrupted`).
    pub error: Option<String>,
}

impl JobFile {
    /// A running job that starts now.
    pub fn new(key: &str, spec: DetachedSpec, pid: u32, host: &str, log: PathBuf) -> JobFile {
        let now = Utc::now();
        JobFile {
            format: FORMAT,
            key: key.to_string(),
            spec,
            pid,
            host: host.to_string(),
            log,
            started: now,
            updated: now,
            finished: None,
            status: FileStatus::Running,
            progress: None,
            stage_since: None,
            cancel_requested: false,
            messages: Vec::new(),
            result: None,
            error: None,
        }
    }

    /// Records a progress report made at `now` (a new stage restarts its clock).
    pub fn report(&mut self, progress: Progress, now: DateTime<Utc>) {
        let record = ProgressRecord::from(progress);
        if self.progress.as_ref().map(|p| p.stage) != Some(record.stage) {
            self.stage_since = Some(now);
        }
        self.progress = Some(record);
    }

    /// Records the end of the job at `now`.
    pub fn finish(&mut self, status: FileStatus, now: DateTime<Utc>) {
        self.status = status;
        self.finished = Some(now);
    }

    /// Whether the job has ended (done, failed, cancelled or interrupted).
    pub fn is_finished(&self) -> bool {
        self.status != FileStatus::Running
    }
}

/// Where a detached job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileStatus {
    /// The worker is at it.
    Running,
    /// Finished; `result` says what it did.
    Done,
    /// Failed; `error` says why.
    Failed,
    /// Cancelled; nothing half-done was kept.
    Cancelled,
    /// The worker process ended without writing an outcome (killed, crashed).
    Interrupted,
}

/// What a detached job does, with everything the worker needs to carry it out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DetachedSpec {
    /// A new backup.
    Backup {
        /// Full, incremental or auto (jobs written before incrementals: full).
        #[serde(default)]
        backup_type: BackupChoice,
    },
    /// Verifies one set.
    Verify {
        /// Set id.
        id: String,
        /// Quick or deep.
        level: VerifyLevel,
    },
    /// A restore the user confirmed: the worker plans it again and runs it only when the
    /// new plan changes what was confirmed.
    Restore {
        /// What was asked for.
        request: RestoreRecord,
        /// What the user saw and confirmed.
        confirmed: ConfirmedRestore,
    },
    /// Writes one set as a portable tar file.
    Export {
        /// Set id.
        id: String,
        /// Target file, or a directory for `<id>.tar`.
        out: PathBuf,
    },
    /// Removes the sets the user confirmed (the engine refuses when the plan went stale).
    Prune {
        /// The sets to remove, newest first.
        remove: Vec<RemovalRecord>,
        /// Their total size.
        bytes_freed: u64,
    },
}

/// The fields of a [`RestoreRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreRecord {
    /// Set id.
    pub id: String,
    /// `db` or `files` when only one part is restored.
    pub only: Option<String>,
    /// Only these collections.
    pub collections: Option<Vec<String>>,
    /// Another target database.
    pub to_db: Option<String>,
    /// Another directory for the files.
    pub files_to: Option<PathBuf>,
    /// Whether a safety backup is taken before overwriting live data.
    pub safety_backup: bool,
    /// Point in time of the database (`restore --at`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<DateTime<Utc>>,
    /// Only files that do not exist are restored.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub missing_files_only: bool,
}

/// The restore plan the user confirmed (what the title and the check before the run need).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmedRestore {
    /// The database part.
    pub database: Option<ConfirmedDatabase>,
    /// The directory the files go to, when the files part is restored.
    pub files_target: Option<PathBuf>,
    /// Whether a safety backup is taken first.
    pub safety_backup: bool,
}

/// The database part of a confirmed restore.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmedDatabase {
    /// Target database.
    pub target: String,
    /// Whether it is the live database.
    pub live: bool,
    /// Collections replaced, with their document counts in the backup.
    pub collections: Vec<(String, u64)>,
}

/// One set of a confirmed prune.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemovalRecord {
    /// Set id.
    pub id: String,
    /// When it was taken.
    pub created_at: DateTime<Utc>,
    /// Bytes of its data members.
    pub size: u64,
    /// Kind of set.
    pub kind: BackupKind,
}

impl DetachedSpec {
    /// The detached form of `spec`; `None` for jobs that stay in the console (database
    /// maintenance, service restarts: short, and tied to what the console shows).
    pub fn from_spec(spec: &JobSpec) -> Option<DetachedSpec> {
        Some(match spec {
            JobSpec::Backup { choice } => DetachedSpec::Backup {
                backup_type: *choice,
            },
            JobSpec::Verify { id, level } => DetachedSpec::Verify {
                id: id.clone(),
                level: *level,
            },
            JobSpec::Restore { request, plan } => DetachedSpec::Restore {
                request: RestoreRecord::from(&**request),
                confirmed: ConfirmedRestore::from(&**plan),
            },
            JobSpec::Export { id, out } => DetachedSpec::Export {
                id: id.clone(),
                out: out.clone(),
            },
            JobSpec::Prune { plan } => DetachedSpec::Prune {
                remove: plan.remove.iter().map(RemovalRecord::from).collect(),
                bytes_freed: plan.bytes_freed,
            },
            JobSpec::Db(_) | JobSpec::RestartService { .. } => return None,
        })
    }

    /// The console's job spec for showing this job. A restore carries the confirmed plan
    /// without its manifest: the worker plans again before it runs.
    pub fn to_spec(&self) -> JobSpec {
        match self {
            DetachedSpec::Backup { backup_type } => JobSpec::Backup {
                choice: *backup_type,
            },
            DetachedSpec::Verify { id, level } => JobSpec::Verify {
                id: id.clone(),
                level: *level,
            },
            DetachedSpec::Restore { request, confirmed } => JobSpec::Restore {
                request: Shared::new(request.to_request()),
                plan: Shared::new(confirmed.to_preview(&request.id)),
            },
            DetachedSpec::Export { id, out } => JobSpec::Export {
                id: id.clone(),
                out: out.clone(),
            },
            DetachedSpec::Prune {
                remove,
                bytes_freed,
            } => JobSpec::Prune {
                plan: Shared::new(prune_plan(remove, *bytes_freed)),
            },
        }
    }

    /// A short word for file names (`backup`, `verify`, `restore`, `export`, `prune`).
    pub fn kind(&self) -> &'static str {
        match self {
            DetachedSpec::Backup { .. } => "backup",
            DetachedSpec::Verify { .. } => "verify",
            DetachedSpec::Restore { .. } => "restore",
            DetachedSpec::Export { .. } => "export",
            DetachedSpec::Prune { .. } => "prune",
        }
    }
}

/// The prune plan of the confirmed removals (the kept sets are not needed to apply it).
pub fn prune_plan(remove: &[RemovalRecord], bytes_freed: u64) -> PrunePlan {
    PrunePlan {
        keep: Vec::new(),
        remove: remove
            .iter()
            .map(|r| Removal {
                id: r.id.clone(),
                created_at: r.created_at,
                size: r.size,
                kind: r.kind,
            })
            .collect(),
        bytes_freed,
    }
}

impl From<&Removal> for RemovalRecord {
    fn from(r: &Removal) -> RemovalRecord {
        RemovalRecord {
            id: r.id.clone(),
            created_at: r.created_at,
            size: r.size,
            kind: r.kind,
        }
    }
}

impl From<&RestoreRequest> for RestoreRecord {
    fn from(r: &RestoreRequest) -> RestoreRecord {
        RestoreRecord {
            id: r.id.clone(),
            only: r.only.map(|part| {
                match part {
                    RestorePart::Db => "db",
                    RestorePart::Files => "files",
                }
                .to_string()
            }),
            collections: r.collections.clone(),
            to_db: r.to_db.clone(),
            files_to: r.files_to.clone(),
            safety_backup: r.safety_backup,
            at: r.at,
            missing_files_only: r.missing_files_only,
        }
    }
}

impl RestoreRecord {
    /// The engine's request.
    pub fn to_request(&self) -> RestoreRequest {
        RestoreRequest {
            id: self.id.clone(),
            only: match self.only.as_deref() {
                Some("db") => Some(RestorePart::Db),
                Some("files") => Some(RestorePart::Files),
                _ => None,
            },
            collections: self.collections.clone(),
            to_db: self.to_db.clone(),
            files_to: self.files_to.clone(),
            safety_backup: self.safety_backup,
            at: self.at,
            missing_files_only: self.missing_files_only,
        }
    }
}

impl From<&RestorePlan> for ConfirmedRestore {
    fn from(plan: &RestorePlan) -> ConfirmedRestore {
        ConfirmedRestore {
            database: plan.database.as_ref().map(|d| ConfirmedDatabase {
                target: d.target.clone(),
                live: d.live,
                collections: d
                    .collections
                    .iter()
                    .map(|c| (c.name.clone(), c.backup_documents))
                    .collect(),
            }),
            files_target: plan.files.as_ref().map(|f| f.target.clone()),
            safety_backup: plan.safety_backup,
        }
    }
}

impl ConfirmedRestore {
    /// A plan to show (no manifest, no file lists).
    pub fn to_preview(&self, id: &str) -> RestorePlan {
        RestorePlan::preview(
            id,
            self.database.as_ref().map(|d| DatabasePlan {
                target: d.target.clone(),
                live: d.live,
                collections: d
                    .collections
                    .iter()
                    .map(|(name, documents)| CollectionChange {
                        name: name.clone(),
                        backup_documents: *documents,
                        current_documents: None,
                    })
                    .collect(),
            }),
            self.files_target.as_ref().map(|target| FilesPlan {
                target: target.clone(),
                added: Vec::new(),
                overwritten: Vec::new(),
                missing_only: false,
            }),
            self.safety_backup,
        )
    }

    /// How a fresh plan differs from the confirmed one in what it changes (target, the
    /// collections replaced, the files directory, the safety backup); `None` when it does
    /// not. Document counts of the live database may differ: they are what is replaced.
    pub fn difference(&self, fresh: &ConfirmedRestore) -> Option<String> {
        let names = |c: &ConfirmedRestore| -> Option<(String, bool, Vec<String>)> {
            c.database.as_ref().map(|d| {
                (
                    d.target.clone(),
                    d.live,
                    d.collections.iter().map(|(n, _)| n.clone()).collect(),
                )
            })
        };
        let (was, now) = (names(self), names(fresh));
        if was != now {
            return Some(match (was, now) {
                (Some((a, _, _)), Some((b, _, _))) if a != b => {
                    format!("the target database is now {b}, not {a}")
                }
                (Some(_), Some(_)) => "the collections to replace changed".to_string(),
                _ => "the database part changed".to_string(),
            });
        }
        if self.files_target != fresh.files_target {
            return Some("the files target changed".to_string());
        }
        if self.safety_backup != fresh.safety_backup {
            return Some("whether a safety backup is taken changed".to_string());
        }
        None
    }
}
