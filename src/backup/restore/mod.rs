//! Restoring a set: plan (dry run) first, then space checks and a safety backup of the
//! live state, then a staged restore: every collection is loaded into a staging collection
//! and the files into a staging directory, all checked, and only then swapped into place
//! (`renameCollection` with `dropTarget`, renames of the files). A journal in the state
//! directory records every step, so an interrupted restore is finished or undone by the
//! next scandyctl ([`recover_interrupted_restores`]). Nothing is changed when a
//! precondition fails.

pub mod files_stage;
pub mod hooks;
pub mod journal;
pub mod precheck;
pub mod recover;
mod run;
pub mod staging;
pub mod swap;

use std::path::PathBuf;

use color_eyre::eyre::{Result, WrapErr, bail};
use mongodb::bson::doc;
use serde::Serialize;

use super::chain::Chain;
use super::chain::merge::chain_limits;
use super::chain::open::{chain_of, open_state};
use super::extract::{ExtractLimits, plan_extract, scan_tar};
use super::manifest::{Manifest, MemberContent, read_manifest};
use crate::config::{Config, redact_uri};
use crate::mongo::probe::{MongoUnreachable, ProbeTimeouts, connect, ping};

pub use recover::{
    RecoverySummary, RestoreState, RestoreStatus, acknowledge, read_restore_statuses,
    recover_interrupted_restores, sweep_orphan_staging,
};
pub use run::{RestoreTimings, RunOptions, run_restore, run_restore_with};
pub use staging::is_staging_collection;

/// Which part of a set to restore.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RestorePart {
    /// Only the database.
    Db,
    /// Only the files.
    Files,
}

/// What the user asked for.
#[derive(Debug, Clone)]
pub struct RestoreRequest {
    /// Set id.
    pub id: String,
    /// Restrict to one part.
    pub only: Option<RestorePart>,
    /// Restrict the database part to these collections.
    pub collections: Option<Vec<String>>,
    /// Restore into this database instead of the configured one.
    pub to_db: Option<String>,
    /// Extract files here instead of the Scandy root.
    pub files_to: Option<PathBuf>,
    /// Take a `pre-restore` backup before overwriting live data.
    pub safety_backup: bool,
    /// Restore the database to this point in time (oplog slices; `id` is then ignored:
    /// the newest base before it is chosen).
    pub at: Option<chrono::DateTime<chrono::Utc>>,
    /// Restore only files that do not exist now; never overwrite one (recovery of lost
    /// uploads leaves files changed since the backup as they are).
    pub missing_files_only: bool,
}

/// One collection the restore replaces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CollectionChange {
    /// Collection name.
    pub name: String,
    /// Documents in the backup.
    pub backup_documents: u64,
    /// Documents there now (`None`: the collection does not exist).
    pub current_documents: Option<u64>,
}

/// The database part of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatabasePlan {
    /// Target database.
    pub target: String,
    /// Whether the target is the live (configured) database.
    pub live: bool,
    /// Collections replaced.
    pub collections: Vec<CollectionChange>,
}

/// The files part of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FilesPlan {
    /// Directory the files go to.
    pub target: PathBuf,
    /// Files that do not exist yet.
    pub added: Vec<PathBuf>,
    /// Files that will be overwritten.
    pub overwritten: Vec<PathBuf>,
    /// Only files that do not exist are restored (`overwritten` is then empty).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub missing_only: bool,
}

/// Everything a restore will change; printed by `--dry-run` and shown before confirming.
#[derive(Debug, Clone, Serialize)]
pub struct RestorePlan {
    /// Set id.
    pub id: String,
    /// Database changes, if the database part is restored.
    pub database: Option<DatabasePlan>,
    /// File changes, if the files part is restored.
    pub files: Option<FilesPlan>,
    /// Whether a `pre-restore` safety backup is taken first.
    pub safety_backup: bool,
    /// Whether the restore overwrites live data (the configured database or the Scandy root).
    pub overwrites_live: bool,
    /// The sets read, base full first (one set unless the set is an incremental).
    pub chain: Vec<String>,
    /// Replay of oplog slices onto the base up to a point in time (`restore --at`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub point_in_time: Option<PointInTime>,
    #[serde(skip)]
    manifest: Option<Manifest>,
    #[serde(skip)]
    links: Option<Chain>,
}

/// A point-in-time restore: the base set, then the slices replayed up to `at`.
#[derive(Debug, Clone, Serialize)]
pub struct PointInTime {
    /// The time asked for.
    pub at: chrono::DateTime<chrono::Utc>,
    /// The base set (the plan's `id`).
    pub base: String,
    /// Its oplog position: entries after it are replayed.
    pub after: super::manifest::OplogPosition,
    /// The slices replayed, in order.
    pub slices: Vec<String>,
    #[serde(skip)]
    manifests: Vec<Manifest>,
}

impl PointInTime {
    /// The plan of a restore to `at` from `reach` (see `pitr::window::plan_at`).
    pub fn new(at: chrono::DateTime<chrono::Utc>, reach: super::pitr::window::Reach) -> Self {
        PointInTime {
            at,
            base: reach.base.id.clone(),
            after: reach
                .base
                .oplog
                .unwrap_or(super::manifest::OplogPosition { t: 0, i: 0 }),
            slices: reach.slices.iter().map(|s| s.id.clone()).collect(),
            manifests: reach.slices,
        }
    }

    /// The slices' manifests.
    pub fn slice_manifests(&self) -> &[Manifest] {
        &self.manifests
    }
}

/// What a restore did.
#[derive(Debug, Clone, Serialize)]
pub struct RestoreOutcome {
    /// The restore run (journal) id.
    pub run_id: String,
    /// The safety backup taken first, if any.
    pub safety_backup: Option<String>,
    /// Documents loaded per collection.
    pub documents: Vec<(String, u64)>,
    /// Files written.
    pub files_written: usize,
    /// Files overwritten.
    pub files_overwritten: usize,
    /// How long each phase took.
    pub timings: RestoreTimings,
    /// Notes for the admin (stale lock broken, checks skipped, interrupted restores handled).
    pub notes: Vec<String>,
}

impl RestorePlan {
    /// A plan put together by hand, without a manifest: it can be shown (previews, tests)
    /// but `run_restore` refuses it.
    pub fn preview(
        id: &str,
        database: Option<DatabasePlan>,
        files: Option<FilesPlan>,
        safety_backup: bool,
    ) -> RestorePlan {
        RestorePlan {
            id: id.to_string(),
            database,
            files,
            safety_backup,
            overwrites_live: safety_backup,
            chain: vec![id.to_string()],
            point_in_time: None,
            manifest: None,
            links: None,
        }
    }

    /// The manifest of the set (`None` for previews).
    pub(crate) fn manifest(&self) -> Option<&Manifest> {
        self.manifest.as_ref()
    }

    /// The chain of an incremental set (`None` for a full).
    pub(crate) fn links(&self) -> Option<&Chain> {
        self.links.as_ref()
    }
}

pub(crate) fn limits_for(manifest: &Manifest, chain: Option<&Chain>) -> ExtractLimits {
    if let Some(chain) = chain {
        return chain_limits(chain);
    }
    ExtractLimits {
        max_total_bytes: manifest.files.bytes + manifest.files.bytes / 10 + (1 << 20),
        max_entries: manifest.files.files * 2 + 10_000,
    }
}

/// Works out what a restore would change without changing anything.
pub async fn plan_restore(
    config: &Config,
    request: &RestoreRequest,
    identities: &[age::x25519::Identity],
) -> Result<RestorePlan> {
    let point_in_time = match request.at {
        Some(at) => Some(point_in_time(config, at).await?),
        None => None,
    };
    let mut request = request.clone();
    if let Some(pit) = &point_in_time {
        request.id = pit.base.clone();
        request.only = Some(RestorePart::Db);
    }
    let request = &request;
    let set_dir = config.resolve(&config.backup.dir).join(&request.id);
    if !super::id::is_safe_id(&request.id) || !set_dir.is_dir() {
        bail!(
            "no backup set {} in {}",
            request.id,
            config.resolve(&config.backup.dir).display()
        );
    }
    let manifest = read_manifest(&set_dir)?;
    let links = chain_of(&config.resolve(&config.backup.dir), &manifest).map_err(|e| {
        e.wrap_err(format!(
            "backup {} cannot be restored; nothing was changed",
            request.id
        ))
    })?;
    let want_db = request.only != Some(RestorePart::Files);
    let want_files = request.only != Some(RestorePart::Db);
    if request.collections.is_some() && !want_db {
        bail!("--collections only applies to the database part; drop --only files");
    }

    let database = if want_db {
        let target = request
            .to_db
            .clone()
            .unwrap_or_else(|| config.mongo.database.clone());
        let live = target == config.mongo.database;
        let names: Vec<&str> = match &request.collections {
            Some(list) => {
                for name in list {
                    if !manifest
                        .database
                        .collections
                        .iter()
                        .any(|c| &c.name == name)
                    {
                        bail!("collection {name} is not in backup {}", request.id);
                    }
                }
                list.iter().map(String::as_str).collect()
            }
            None => manifest
                .database
                .collections
                .iter()
                .map(|c| c.name.as_str())
                .collect(),
        };
        let client = connect_checked(config)
            .await
            .wrap_err("restore refused; nothing was changed")?;
        let db = client.database(&target);
        let existing = swap::namespace_types(&db).await?;
        for name in &names {
            if existing.get(*name).is_some_and(|kind| kind == "timeseries") {
                bail!(
                    "{target}.{name} is a time-series collection here and the backup holds a \
                     regular one; scandyctl does not convert it: drop it first or restore with \
                     --to-db; nothing was changed"
                );
            }
        }
        let mut collections = Vec::new();
        for name in names {
            let entry = manifest
                .database
                .collections
                .iter()
                .find(|c| c.name == name)
                .expect("checked above");
            let handle = db.collection::<mongodb::bson::Document>(name);
            let current = match existing.get(name).map(String::as_str) {
                None => None,
                Some("view") => Some(handle.count_documents(doc! {}).await),
                Some(_) => Some(handle.estimated_document_count().await),
            };
            let current = current
                .transpose()
                .wrap_err_with(|| format!("cannot count {target}.{name}"))?;
            collections.push(CollectionChange {
                name: name.to_string(),
                backup_documents: manifest.state_documents(name).unwrap_or(entry.documents),
                current_documents: current,
            });
        }
        Some(DatabasePlan {
            target,
            live,
            collections,
        })
    } else {
        None
    };

    let files = if want_files {
        let target = request
            .files_to
            .clone()
            .unwrap_or_else(|| config.scandy.root.clone());
        let limits = limits_for(&manifest, links.as_ref());
        let ids = identities.to_vec();
        let (dir, m, l) = (set_dir.clone(), manifest.clone(), links.clone());
        let entries = tokio::task::spawn_blocking(move || {
            open_state(&dir, &m, l.as_ref(), MemberContent::FilesTar, &ids)
                .and_then(|r| scan_tar(r, &limits))
        })
        .await
        .wrap_err("the file scan task failed")??;
        let (added, overwritten) = plan_extract(&entries, &target);
        let overwritten = if request.missing_files_only {
            Vec::new()
        } else {
            overwritten
        };
        Some(FilesPlan {
            target,
            added,
            overwritten,
            missing_only: request.missing_files_only,
        })
    } else {
        None
    };
    let overwrites_live = database.as_ref().is_some_and(|d| d.live)
        || files
            .as_ref()
            .is_some_and(|f| f.target == config.scandy.root);
    Ok(RestorePlan {
        id: request.id.clone(),
        database,
        files,
        safety_backup: request.safety_backup && overwrites_live,
        overwrites_live,
        chain: links
            .as_ref()
            .map_or_else(|| vec![request.id.clone()], |c| c.ids()),
        point_in_time,
        manifest: Some(manifest),
        links,
    })
}

/// The base and the slices that reach `at`, each slice checked against its checksums.
async fn point_in_time(config: &Config, at: chrono::DateTime<chrono::Utc>) -> Result<PointInTime> {
    use super::pitr::window::{manifests_in, plan_at};
    let dir = config.resolve(&config.backup.dir);
    let reach = plan_at(&manifests_in(&dir)?, &config.mongo.database, at)?;
    for slice in &reach.slices {
        let slice_dir = dir.join(&slice.id);
        let report = tokio::task::spawn_blocking(move || {
            super::verify::verify_set(&slice_dir, super::verify::VerifyLevel::Quick, &[])
        })
        .await
        .wrap_err("the verify task failed")??;
        if let Some(finding) = report.findings.first() {
            bail!(
                "oplog slice {} failed verification ({}: {}); nothing was changed",
                slice.id,
                finding.subject,
                finding.message
            );
        }
    }
    Ok(PointInTime::new(at, reach))
}

/// Connects and pings MongoDB; a failure is a [`MongoUnreachable`] error (exit code 6).
pub async fn connect_checked(config: &Config) -> Result<mongodb::Client> {
    let timeouts = ProbeTimeouts {
        tcp: ProbeTimeouts::default().tcp,
        server: std::time::Duration::from_secs(10),
    };
    let uri = &config.mongo.uri;
    let unreachable = |failure| MongoUnreachable {
        uri_redacted: redact_uri(uri),
        failure,
    };
    let client = connect(uri, timeouts).await.map_err(unreachable)?;
    ping(&client, uri, timeouts).await.map_err(unreachable)?;
    Ok(client)
}
