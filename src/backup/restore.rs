//! Restoring a set: plan (dry run) first, then a safety backup of the live state, then the
//! database and the files. Nothing is changed when a precondition fails.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use color_eyre::eyre::{Result, WrapErr, bail, eyre};
use mongodb::bson::doc;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::create::{BackupRequest, create_backup_locked};
use super::extract::{ExtractLimits, ExtractReport, extract_tar, plan_extract, scan_tar};
use super::load::{LoadOptions, load_archive};
use super::lock::acquire;
use super::manifest::{BackupKind, Manifest, MemberContent, read_manifest};
use super::member::open_member_with_hint;
use super::progress::{Progress, Stage};
use super::verify::hint_for;
use super::verify::{VerifyLevel, verify_set_with};
use crate::config::{Config, redact_uri};
use crate::mongo::probe::{MongoUnreachable, ProbeTimeouts, connect, ping};

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
    #[serde(skip)]
    manifest: Option<Manifest>,
}

/// What a restore did.
#[derive(Debug, Clone, Serialize)]
pub struct RestoreOutcome {
    /// The safety backup taken first, if any.
    pub safety_backup: Option<String>,
    /// Documents loaded per collection.
    pub documents: Vec<(String, u64)>,
    /// Files written.
    pub files_written: usize,
    /// Files overwritten.
    pub files_overwritten: usize,
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
            manifest: None,
        }
    }
}

fn limits_for(manifest: &Manifest) -> ExtractLimits {
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
    let set_dir = config.resolve(&config.backup.dir).join(&request.id);
    if !super::id::is_safe_id(&request.id) || !set_dir.is_dir() {
        bail!(
            "no backup set {} in {}",
            request.id,
            config.resolve(&config.backup.dir).display()
        );
    }
    let manifest = read_manifest(&set_dir)?;
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
        let existing: HashSet<String> = db
            .list_collection_names()
            .await
            .wrap_err_with(|| format!("cannot list collections of {target}"))?
            .into_iter()
            .collect();
        let mut collections = Vec::new();
        for name in names {
            let entry = manifest
                .database
                .collections
                .iter()
                .find(|c| c.name == name)
                .expect("checked above");
            let current = if existing.contains(name) {
                Some(
                    db.collection::<mongodb::bson::Document>(name)
                        .count_documents(doc! {})
                        .await
                        .wrap_err_with(|| format!("cannot count {target}.{name}"))?,
                )
            } else {
                None
            };
            collections.push(CollectionChange {
                name: name.to_string(),
                backup_documents: entry.documents,
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
        let member = manifest
            .member(MemberContent::FilesTar)
            .ok_or_else(|| eyre!("backup {} has no files member", request.id))?;
        let path = set_dir.join(&member.name);
        let limits = limits_for(&manifest);
        let ids = identities.to_vec();
        let hint = hint_for(&manifest);
        let entries = tokio::task::spawn_blocking(move || {
            open_member_with_hint(&path, &ids, &hint).and_then(|r| scan_tar(r, &limits))
        })
        .await
        .wrap_err("the file scan task failed")??;
        let (added, overwritten) = plan_extract(&entries, &target);
        Some(FilesPlan {
            target,
            added,
            overwritten,
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
        manifest: Some(manifest),
    })
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

/// Carries out a plan: lock, quick verify, safety backup, database, files.
pub async fn run_restore(
    config: &Config,
    plan: &RestorePlan,
    request: &RestoreRequest,
    identities: &[age::x25519::Identity],
    progress: Arc<dyn Fn(Progress) + Send + Sync>,
    cancel: CancellationToken,
) -> Result<RestoreOutcome> {
    let backup_dir = config.resolve(&config.backup.dir);
    let lock = acquire(&backup_dir, "restore")?;
    let set_dir = backup_dir.join(&plan.id);
    let manifest = plan
        .manifest
        .clone()
        .ok_or_else(|| eyre!("restore plan without manifest"))?;
    let report = {
        let dir = set_dir.clone();
        let (progress, cancel) = (progress.clone(), cancel.clone());
        tokio::task::spawn_blocking(move || {
            verify_set_with(&dir, VerifyLevel::Quick, &[], &*progress, &cancel)
        })
        .await
        .wrap_err("the verify task failed")??
    };
    if !report.ok {
        let first = &report.findings[0];
        bail!(
            "backup {} failed verification ({}: {}); nothing was changed",
            plan.id,
            first.subject,
            first.message
        );
    }
    let client = if plan.database.is_some() || plan.safety_backup {
        Some(
            connect_checked(config)
                .await
                .wrap_err("restore refused; nothing was changed")?,
        )
    } else {
        None
    };

    let safety_backup = if plan.safety_backup {
        let request = BackupRequest {
            kind: BackupKind::PreRestore,
            parent: None,
            estimate_totals: false,
        };
        let outcome =
            create_backup_locked(config, &request, &lock, progress.clone(), cancel.clone())
                .await
                .wrap_err("the safety backup failed; nothing was restored")?;
        Some(outcome.id)
    } else {
        None
    };

    let mut outcome = RestoreOutcome {
        safety_backup,
        documents: Vec::new(),
        files_written: 0,
        files_overwritten: 0,
    };
    if let (Some(db_plan), Some(client)) = (&plan.database, &client) {
        let member = manifest
            .member(MemberContent::MongoArchive)
            .ok_or_else(|| eyre!("backup {} has no database member", plan.id))?;
        let reader = open_member_with_hint(
            &set_dir.join(&member.name),
            identities,
            &hint_for(&manifest),
        )?;
        let options = LoadOptions {
            collections: request.collections.clone(),
            drop_existing: true,
            ..LoadOptions::default()
        };
        let load_progress = progress.clone();
        let summary = load_archive(
            reader,
            &client.database(&db_plan.target),
            &options,
            move |p| {
                load_progress(Progress {
                    stage: Stage::Restore,
                    items: p.total_documents,
                    items_total: 0,
                    bytes: p.archive_bytes,
                    bytes_total: 0,
                })
            },
            cancel.clone(),
        )
        .await
        .wrap_err_with(|| format!("restoring the database {} failed", db_plan.target))?;
        outcome.documents = summary
            .collections
            .iter()
            .map(|c| (c.name.clone(), c.documents))
            .collect();
    }
    if let Some(files_plan) = &plan.files {
        let member = manifest
            .member(MemberContent::FilesTar)
            .ok_or_else(|| eyre!("backup {} has no files member", plan.id))?;
        let path = set_dir.join(&member.name);
        let target = files_plan.target.clone();
        let limits = limits_for(&manifest);
        let ids = identities.to_vec();
        let hint = hint_for(&manifest);
        std::fs::create_dir_all(&target)
            .wrap_err_with(|| format!("cannot create {}", target.display()))?;
        let files_total = manifest.files.files;
        let extract_progress = progress.clone();
        extract_progress(Progress {
            stage: Stage::Extract,
            items: 0,
            items_total: files_total,
            bytes: 0,
            bytes_total: 0,
        });
        let report: ExtractReport = tokio::task::spawn_blocking(move || {
            let reader = open_member_with_hint(&path, &ids, &hint)?;
            let entries = std::sync::atomic::AtomicU64::new(0);
            let throttle = std::sync::Mutex::new(super::progress::Throttle::new());
            let count_entry = |_: &str| {
                let done = entries.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                if throttle.lock().is_ok_and(|mut t| t.ready()) {
                    extract_progress(Progress {
                        stage: Stage::Extract,
                        items: done.min(files_total),
                        items_total: files_total,
                        bytes: 0,
                        bytes_total: 0,
                    });
                }
                true
            };
            extract_tar(reader, &target, &limits, &count_entry)
        })
        .await
        .wrap_err("the extract task failed")??;
        outcome.files_written = report.written.len();
        outcome.files_overwritten = report.overwritten.len();
    }
    drop(lock);
    Ok(outcome)
}
