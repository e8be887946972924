//! Taking a backup: database and files into a new set, written as `<id>.partial` and
//! renamed only once every member, the manifest and SHA256SUMS are on disk and fsynced.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::Utc;
use color_eyre::eyre::{Result, WrapErr};
use mongodb::bson::Bson;
use tokio_util::sync::CancellationToken;

use super::chain::files_index::{FileStamp, PathKey};
use super::chain::increment::{collection_deltas, files_index, plan_files, write_change_members};
use super::chain::oplog::{changes_since, oplog_position};
use super::chain::parent::{ChainLimits, ParentPlan, Wanted, choose_parent};
use super::chain::tracker::{ChangeTracker, OplogChanges};
use super::crypt::{parse_recipients, recipient_strings};
use super::dump::{DumpOptions, dump_database_tracked};
use super::files::{select_files, write_files_tar_filtered};
use super::id::{PARTIAL_SUFFIX, backup_id};
use super::lock::{BackupLock, acquire, host_name};
use super::manifest::{
    BackupKind, CollectionEntry, DatabasePart, FILES_MEMBER, FilesPart, IncrementInfo,
    MANIFEST_FILE, MANIFEST_FORMAT, MONGO_MEMBER, Manifest, MemberContent, MemberEntry,
    OplogPosition, SkippedItem,
};
use super::member::{MemberWriter, digest_file, fsync_dir, seal_set};
use super::progress::{Cancelled, Progress, Stage};
use crate::config::{Config, redact_uri};

/// zstd level of both members (fast, good ratio for BSON and logs).
pub const ZSTD_LEVEL: i32 = 3;

/// What to back up.
#[derive(Debug, Clone)]
pub struct BackupRequest {
    /// Kind of set.
    pub kind: BackupKind,
    /// Parent set (incrementals); `None` picks the newest set of the database.
    pub parent: Option<String>,
    /// With [`BackupKind::Incremental`]: take a full when the chain would grow past
    /// `backup.max_chain` sets or its base is older than `backup.max_chain_age_days`.
    pub auto: bool,
    /// With [`BackupKind::Incremental`]: compare every document even when the oplog could
    /// name the changed ones.
    pub scan: bool,
    /// Ask the server for totals first so progress can show an ETA (worth it on a terminal).
    pub estimate_totals: bool,
}

/// A finished backup.
#[derive(Debug, Clone)]
pub struct BackupOutcome {
    /// Set id.
    pub id: String,
    /// Set directory.
    pub path: PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
    /// Notes for the user (stale lock broken, partial sets removed, secrets skipped).
    pub notes: Vec<String>,
    /// How long the phases took.
    pub timings: BackupTimings,
}

/// How long the phases of a backup took, in seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct BackupTimings {
    /// Reading the database (scan or oplog) and writing its member.
    pub database_s: f64,
    /// Selecting, reading and writing the files.
    pub files_s: f64,
    /// Of the database phase: reading the oplog for the changed `_id`s (incrementals).
    pub oplog_s: f64,
}

/// Takes the backup directory lock and creates a set.
pub async fn create_backup(
    config: &Config,
    request: &BackupRequest,
    progress: Arc<dyn Fn(Progress) + Send + Sync>,
    cancel: CancellationToken,
) -> Result<BackupOutcome> {
    let dir = config.resolve(&config.backup.dir);
    let lock = acquire(&dir, "backup")?;
    super::preflight::check_space(config, request.kind).await?;
    let mut outcome = create_backup_locked(config, request, &lock, progress, cancel).await?;
    outcome.notes.splice(0..0, lock.notes.iter().cloned());
    Ok(outcome)
}

/// Creates a set while the caller holds the lock (restore takes its safety backup this way).
pub async fn create_backup_locked(
    config: &Config,
    request: &BackupRequest,
    _lock: &BackupLock,
    progress: Arc<dyn Fn(Progress) + Send + Sync>,
    cancel: CancellationToken,
) -> Result<BackupOutcome> {
    let backup_dir = config.resolve(&config.backup.dir);
    set_test_resume_dir(&backup_dir);
    let mut notes = remove_partials(&backup_dir)?;
    let recipients = parse_recipients(
        &config.backup.recipients,
        config.backup.recipients_file.as_deref(),
    )
    .wrap_err("cannot read the backup recipients")?;
    let encrypt = !recipients.is_empty();

    let client = super::restore::connect_checked(config).await?;
    let database = client.database(&config.mongo.database);

    let parent = if request.kind == BackupKind::Incremental {
        let wanted = if request.auto {
            Wanted::Auto
        } else {
            Wanted::Incremental
        };
        let limits = ChainLimits {
            max_chain: config.backup.max_chain,
            max_age_days: config.backup.max_chain_age_days,
        };
        let (dir, db, explicit) = (
            backup_dir.clone(),
            config.mongo.database.clone(),
            request.parent.clone(),
        );
        tokio::task::spawn_blocking(move || {
            choose_parent(&dir, &db, explicit.as_deref(), wanted, limits, Utc::now())
        })
        .await
        .wrap_err("the parent check failed")?
    } else {
        Err(String::new())
    };
    let (kind, parent, full_reason) = match parent {
        Ok(plan) => (BackupKind::Incremental, Some(plan), None),
        Err(reason) if request.kind == BackupKind::Incremental => {
            notes.push(format!("taking a full backup: {reason}"));
            (BackupKind::Full, None, Some(reason))
        }
        Err(_) => (request.kind, None, None),
    };
    let parent_id = parent.as_ref().map(|p| p.chain.target().id.clone());
    let parent_sha = parent.as_ref().map(|p| p.manifest_sha256.clone());

    let (id, created_at) = unique_id(&backup_dir, kind).await;
    let final_dir = backup_dir.join(&id);
    let partial = backup_dir.join(format!("{id}{PARTIAL_SUFFIX}"));
    std::fs::create_dir(&partial)
        .wrap_err_with(|| format!("cannot create {}", partial.display()))?;
    let identity = SetIdentity {
        id: &id,
        kind,
        created_at,
        full_reason,
    };
    let result = write_set(
        config,
        request,
        &database,
        &partial,
        &identity,
        parent,
        &recipients,
        progress,
        cancel,
    )
    .await;
    // Acknowledged only while the parent is still the one it was compared against.
    let result = result.and_then(|(manifest, timings)| {
        if let (Some(parent), Some(sha)) = (&parent_id, &parent_sha) {
            let now = digest_file(&backup_dir.join(parent).join(MANIFEST_FILE))
                .map(|d| d.sha256)
                .unwrap_or_default();
            if &now != sha {
                color_eyre::eyre::bail!(
                    "the parent {parent} changed or went away during the backup"
                );
            }
        }
        Ok((manifest, timings))
    });
    let (manifest, timings) = match result {
        Ok(written) => written,
        Err(err) => {
            let _ = std::fs::remove_dir_all(&partial);
            return Err(err.wrap_err(format!("backup {id} failed; nothing was kept")));
        }
    };
    test_pause("before-rename");
    std::fs::rename(&partial, &final_dir).wrap_err_with(|| {
        format!(
            "cannot rename {} to {}",
            partial.display(),
            final_dir.display()
        )
    })?;
    fsync_dir(&backup_dir)?;
    if !manifest.files.skipped.is_empty() && !encrypt {
        let secrets = manifest
            .files
            .skipped
            .iter()
            .filter(|s| s.reason.contains("secret"))
            .count();
        if secrets > 0 {
            notes.push(format!(
                "{secrets} file(s) holding secrets were skipped (e.g. .env); set [backup] recipients to encrypt backups, or include_secrets = true"
            ));
        }
    }
    Ok(BackupOutcome {
        id,
        path: final_dir,
        manifest,
        notes,
        timings,
    })
}

/// Id, kind and time of the set being written.
struct SetIdentity<'a> {
    id: &'a str,
    kind: BackupKind,
    created_at: chrono::DateTime<Utc>,
    full_reason: Option<String>,
}

#[allow(clippy::too_many_arguments)]
async fn write_set(
    config: &Config,
    request: &BackupRequest,
    database: &mongodb::Database,
    partial: &Path,
    identity: &SetIdentity<'_>,
    parent: Option<ParentPlan>,
    recipients: &[age::x25519::Recipient],
    progress: Arc<dyn Fn(Progress) + Send + Sync>,
    cancel: CancellationToken,
) -> Result<(Manifest, BackupTimings)> {
    let (id, created_at) = (identity.id, identity.created_at);
    let database_started = std::time::Instant::now();
    let mut oplog_s = 0.0;
    let encrypt = !recipients.is_empty();
    let suffix = if encrypt { ".age" } else { "" };
    let threads = std::thread::available_parallelism()
        .map(|n| n.get() as u32)
        .unwrap_or(2);

    let allow_secrets = encrypt || config.backup.include_secrets;
    let selection = select_files(config, allow_secrets)?;

    // Database member.
    let mongo_name = format!("{MONGO_MEMBER}{suffix}");
    let writer = MemberWriter::create(&partial.join(&mongo_name), recipients, ZSTD_LEVEL, threads)?;
    let dump_progress = progress.clone();
    let dump_options = DumpOptions {
        estimate_totals: request.estimate_totals,
        ..DumpOptions::default()
    };
    // The oplog position comes first: whatever is written during the dump is after it.
    let oplog = oplog_position(database.client()).await;
    let (tracker, method) = match parent {
        Some(plan) => {
            let oplog_started = std::time::Instant::now();
            let method = if request.scan {
                Method::Scan("asked for (--scan)".into())
            } else {
                read_method(database, &plan, oplog).await
            };
            oplog_s = oplog_started.elapsed().as_secs_f64();
            let ids = match &method {
                Method::Oplog(ids) => Some(ids.clone()),
                Method::Scan(_) => None,
            };
            let parent_state = ParentParts {
                id: plan.chain.target().id.clone(),
                manifest_sha256: plan.manifest_sha256.clone(),
                manifest: plan.chain.target().manifest.clone(),
                base: plan.chain.base().id.clone(),
                depth: plan.chain.links.len() as u32,
                files: plan.state.files,
                method,
            };
            (
                ChangeTracker::against(plan.state.collections, ids),
                Some(parent_state),
            )
        }
        None => (ChangeTracker::full(), None),
    };
    let (summary, writer, tracker) = dump_database_tracked(
        database,
        writer,
        &dump_options,
        Some(tracker),
        move |p| dump_progress(Progress::from_dump(&p)),
        cancel.clone(),
    )
    .await
    .wrap_err_with(|| format!("cannot dump database {}", config.mongo.database))?;
    let tracker = tracker.expect("the tracker comes back");
    let dropped = tracker.dropped();
    let tracked = tracker.into_results();
    let mongo_digest = writer
        .finish()
        .wrap_err_with(|| format!("cannot finish {mongo_name}"))?;
    test_pause("after-dump");
    if cancel.is_cancelled() {
        return Err(Cancelled.into());
    }

    // Files member (selected before the dump, so an unreadable file fails the backup at once).
    let database_s = database_started.elapsed().as_secs_f64();
    let files_started = std::time::Instant::now();
    let files_total: u64 = selection.entries.iter().map(|e| e.size).sum();
    let files_name = format!("{FILES_MEMBER}{suffix}");
    let files_path = partial.join(&files_name);
    let recipients_owned = recipients.to_vec();
    let files_progress = progress.clone();
    let files_cancel = cancel.clone();
    let parent_files = method.as_ref().map(|p| p.files.clone());
    let (tar_summary, files_digest, selection, files_index, files_delta) =
        tokio::task::spawn_blocking(move || -> Result<_> {
            let plan = plan_files(&selection, parent_files.as_ref());
            let mut writer =
                MemberWriter::create(&files_path, &recipients_owned, ZSTD_LEVEL, threads)?;
            let mut report = |bytes: u64| {
                files_progress(Progress {
                    stage: Stage::Files,
                    items: 0,
                    items_total: 0,
                    bytes,
                    bytes_total: files_total,
                });
            };
            let (summary, hashes) =
                write_files_tar_filtered(&selection, &mut writer, &mut report, &|e| {
                    plan.store.contains(&e.archive_path)
                })?;
            if files_cancel.is_cancelled() {
                return Err(Cancelled.into());
            }
            let digest = writer.finish()?;
            let (index, delta) = files_index(&plan, &hashes, parent_files.as_ref());
            Ok((summary, digest, selection, index, delta))
        })
        .await
        .wrap_err("the files task failed")??;
    let files_s = files_started.elapsed().as_secs_f64();
    test_pause("after-files");

    let collections: Vec<CollectionEntry> = summary
        .collections
        .iter()
        .map(|c| CollectionEntry {
            name: c.name.clone(),
            kind: c.kind.as_str().to_string(),
            documents: c.documents,
            bytes: c.bytes,
            crc64: format!("{:016x}", c.crc),
            options: Bson::Document(c.options.clone()).into_canonical_extjson(),
            indexes: c
                .indexes
                .iter()
                .map(|i| Bson::Document(i.clone()).into_canonical_extjson())
                .collect(),
        })
        .collect();
    let change_members = write_change_members(partial, &tracked, &files_index)?;
    let parent_link = method
        .as_ref()
        .map(|p| (p.id.clone(), p.manifest_sha256.clone()));
    let increment = method.map(|p| {
        let (method, scan_reason) = match p.method {
            Method::Oplog(_) => ("oplog".to_string(), None),
            Method::Scan(reason) => ("scan".to_string(), Some(reason)),
        };
        IncrementInfo {
            method,
            scan_reason,
            depth: p.depth,
            base: p.base,
            collections: collection_deltas(&tracked, &collections, &p.manifest),
            dropped: dropped.clone(),
            files: files_delta.clone(),
        }
    });
    let mut members = vec![
        MemberEntry {
            name: mongo_name.clone(),
            content: MemberContent::MongoArchive,
            size: mongo_digest.size,
            sha256: mongo_digest.sha256.clone(),
            encrypted: encrypt,
        },
        MemberEntry {
            name: files_name.clone(),
            content: MemberContent::FilesTar,
            size: files_digest.size,
            sha256: files_digest.sha256.clone(),
            encrypted: encrypt,
        },
    ];
    members.extend(change_members.iter().cloned());
    let included = config
        .backup
        .uploads
        .iter()
        .chain(&config.backup.config_files)
        .chain(&config.backup.log_dirs)
        .map(|p| p.display().to_string())
        .collect();
    let manifest = Manifest {
        format: MANIFEST_FORMAT,
        id: id.to_string(),
        kind: identity.kind,
        parent: parent_link.as_ref().map(|(id, _)| id.clone()),
        created_at,
        finished_at: Utc::now(),
        host: host_name(),
        scandyctl_version: env!("CARGO_PKG_VERSION").to_string(),
        scandy_root: config.scandy.root.display().to_string(),
        database: DatabasePart {
            database: config.mongo.database.clone(),
            server_version: summary.server_version.clone(),
            uri_redacted: redact_uri(&config.mongo.uri),
            collections,
        },
        files: FilesPart {
            files: tar_summary.files,
            bytes: tar_summary.bytes,
            included,
            skipped: selection
                .skipped
                .iter()
                .map(|s| SkippedItem {
                    item: s.path.display().to_string(),
                    reason: s.reason.clone(),
                })
                .collect(),
            upload_files: Some(
                selection
                    .entries
                    .iter()
                    .filter(|e| {
                        e.category == crate::backup::files::FileCategory::Uploads
                            && e.kind == crate::backup::extract::EntryKind::File
                    })
                    .count() as u64,
            ),
        },
        members,
        recipients: recipient_strings(recipients),
        source: None,
        parent_sha256: parent_link.map(|(_, sha)| sha),
        increment,
        oplog,
        oplog_from: None,
        full_reason: identity.full_reason.clone(),
        synthetic: false,
        synthesized_from: Vec::new(),
    };
    seal_set(partial, &manifest)?;
    Ok((
        manifest,
        BackupTimings {
            database_s,
            files_s,
            oplog_s,
        },
    ))
}

/// How an incremental learns what changed.
enum Method {
    /// The oplog named the changed `_id`s per collection.
    Oplog(std::collections::HashMap<String, OplogChanges>),
    /// Every document is compared; why the oplog was not used.
    Scan(String),
}

/// What writing an incremental needs of its parent.
struct ParentParts {
    id: String,
    manifest_sha256: String,
    manifest: Manifest,
    base: String,
    depth: u32,
    files: std::collections::HashMap<PathKey, FileStamp>,
    method: Method,
}

/// The oplog when it reaches back to the parent's position, else a scan with the reason.
async fn read_method(
    database: &mongodb::Database,
    plan: &ParentPlan,
    oplog: Option<OplogPosition>,
) -> Method {
    let parent = &plan.chain.target().manifest;
    match (oplog, parent.oplog) {
        (None, _) => Method::Scan("standalone server: no oplog".into()),
        (Some(_), None) => Method::Scan(format!("the parent {} has no oplog position", parent.id)),
        (Some(_), Some(since)) => {
            match changes_since(database.client(), database.name(), since).await {
                Ok(ids) => Method::Oplog(ids),
                Err(reason) => Method::Scan(reason),
            }
        }
    }
}

/// A new id for `kind`; waits for the next second if a set with this id already exists.
async fn unique_id(dir: &Path, kind: BackupKind) -> (String, chrono::DateTime<Utc>) {
    loop {
        let now = Utc::now();
        let id = backup_id(now, kind);
        let taken = dir.join(&id).exists() || dir.join(format!("{id}{PARTIAL_SUFFIX}")).exists();
        if !taken {
            return (id, now);
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

/// Removes `*.partial` directories left by interrupted runs; returns a note per removal.
pub fn remove_partials(dir: &Path) -> Result<Vec<String>> {
    let mut notes = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(notes);
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(PARTIAL_SUFFIX) && entry.path().is_dir() {
            std::fs::remove_dir_all(entry.path())
                .wrap_err_with(|| format!("cannot remove leftover {}", entry.path().display()))?;
            notes.push(format!(
                "removed {name}: a backup that was interrupted before it completed"
            ));
        }
    }
    Ok(notes)
}

/// Environment variable naming the point where [`test_pause`] stops.
const TEST_PAUSE_ENV: &str = "SCANDYCTL_TEST_PAUSE";
/// A file of this name in the backup directory ends a [`test_pause`] early.
pub(crate) const TEST_RESUME_FILE: &str = ".scandyctl-test-resume";
/// The backup directory of the running backup, for [`test_pause`]'s resume file.
static TEST_RESUME_DIR: std::sync::Mutex<Option<PathBuf>> = std::sync::Mutex::new(None);

/// Remembers the backup directory for [`test_pause`] (only while a pause is requested).
fn set_test_resume_dir(dir: &Path) {
    if std::env::var_os(TEST_PAUSE_ENV).is_some()
        && let Ok(mut slot) = TEST_RESUME_DIR.lock()
    {
        *slot = Some(dir.to_path_buf());
    }
}

/// Test hook: `SCANDYCTL_TEST_PAUSE=<point>` stops here for a minute so a test can act (kill
/// the process, break MongoDB, fill the disk). The pause ends early once the file
/// `<backup.dir>/.scandyctl-test-resume` appears (polled every 100 ms; removed on resume).
/// Blocks the calling thread: from async code call it through `spawn_blocking`.
pub(crate) fn test_pause(point: &str) {
    if !std::env::var(TEST_PAUSE_ENV).is_ok_and(|p| p == point) {
        return;
    }
    let resume = TEST_RESUME_DIR
        .lock()
        .ok()
        .and_then(|dir| dir.as_ref().map(|d| d.join(TEST_RESUME_FILE)));
    if let Some(file) = &resume {
        let _ = std::fs::remove_file(file); // a stale file must not end this pause
    }
    eprintln!("paused at {point}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::time::Instant::now() < deadline {
        if let Some(file) = &resume
            && file.exists()
        {
            let _ = std::fs::remove_file(file);
            eprintln!("resumed at {point}");
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}
