//! Carrying out a restore plan: lock, interrupted restores first, quick verify, space
//! checks, the journal, the safety backup, staging (database and files), the checks
//! before the swap, the swap, and the end of the journal.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use color_eyre::eyre::{self, Result, WrapErr, bail, eyre};
use mongodb::bson::Bson;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::files_stage::{check_moves, create_staging_dir, staged_entries, staging_dir_for};
use super::journal::{
    CollectionState, JOURNAL_FORMAT, JournalCollection, JournalDatabase, JournalFiles,
    JournalHandle, JournalProgress, Phase, RestoreJournal, mongo_server, this_process,
};
use super::precheck::check_space;
use super::recover::{move_files, recover_interrupted_restores, sweep_orphan_staging};
use super::staging::{drop_run_staging, new_run_id, staging_name};
use super::swap::{check_renames, set_state, swap_database};
use super::{RestoreOutcome, RestorePlan, RestoreRequest, connect_checked, limits_for};
use crate::backup::chain::open::open_state;
use crate::backup::create::{BackupRequest, create_backup_locked};
use crate::backup::extract::extract_tar;
use crate::backup::load::{CollectionLoad, ExpectedCollection, LoadOptions, load_archive_with};
use crate::backup::lock::{BackupLock, acquire};
use crate::backup::manifest::{BackupKind, Manifest, MemberContent};
use crate::backup::progress::{Cancelled, Progress, Stage, Throttle, is_cancelled};
use crate::backup::verify::{VerifyLevel, verify_set_with};
use crate::config::Config;

/// How often progress is written into the journal.
const JOURNAL_PROGRESS_EVERY: Duration = Duration::from_secs(1);

/// Options of [`run_restore_with`] beyond the plan.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Set by the caller when the terminal went away (hang-up, stderr gone): the journal
    /// then stays after the run, so `status` tells the admin how it ended.
    pub terminal_lost: Option<Arc<AtomicBool>>,
}

/// How long the phases of a restore took, in seconds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RestoreTimings {
    /// The pre-restore safety backup.
    pub safety_backup_s: f64,
    /// Loading, checking and indexing the staging collections.
    pub load_s: f64,
    /// Extracting the files into the staging directory.
    pub files_s: f64,
    /// The database swap alone (renames and views).
    pub database_swap_s: f64,
    /// The whole swap (database, then files moved into place).
    pub swap_s: f64,
    /// Everything.
    pub total_s: f64,
}

/// Carries out a plan (see the module docs).
pub async fn run_restore(
    config: &Config,
    plan: &RestorePlan,
    request: &RestoreRequest,
    identities: &[age::x25519::Identity],
    progress: Arc<dyn Fn(Progress) + Send + Sync>,
    cancel: CancellationToken,
) -> Result<RestoreOutcome> {
    let options = RunOptions::default();
    run_restore_with(
        config, plan, request, identities, progress, cancel, &options,
    )
    .await
}

/// [`run_restore`] with [`RunOptions`].
pub async fn run_restore_with(
    config: &Config,
    plan: &RestorePlan,
    request: &RestoreRequest,
    identities: &[age::x25519::Identity],
    progress: Arc<dyn Fn(Progress) + Send + Sync>,
    cancel: CancellationToken,
    options: &RunOptions,
) -> Result<RestoreOutcome> {
    let started = Instant::now();
    let backup_dir = config.resolve(&config.backup.dir);
    let lock = acquire(&backup_dir, "restore")?;
    let mut notes = lock.notes.clone();
    let recovery = recover_interrupted_restores(config).await;
    notes.extend(recovery.notes());
    if let Some(unresolved) = recovery.unresolved() {
        bail!(
            "an earlier restore needs attention first: {}; nothing was changed",
            unresolved.message
        );
    }
    let manifest = plan
        .manifest()
        .cloned()
        .ok_or_else(|| eyre!("restore plan without manifest"))?;
    let set_dir = backup_dir.join(&plan.id);
    quick_verify(&set_dir, &plan.id, &progress, &cancel).await?;

    let client = if plan.database.is_some() || plan.safety_backup {
        Some(
            connect_checked(config)
                .await
                .wrap_err("restore refused; nothing was changed")?,
        )
    } else {
        None
    };
    if let (Some(db_plan), Some(client)) = (&plan.database, &client) {
        let swept = sweep_orphan_staging(&client.database(&db_plan.target)).await?;
        if !swept.is_empty() {
            notes.push(format!(
                "removed {} staging collection(s) an interrupted restore left in {}: {}",
                swept.len(),
                db_plan.target,
                swept.join(", ")
            ));
        }
    }
    let run_id = new_run_id();
    let files_staging = plan
        .files
        .as_ref()
        .map(|f| staging_dir_for(&f.target, &run_id));
    notes.extend(
        check_space(
            config,
            plan,
            &manifest,
            client.as_ref(),
            files_staging.as_deref(),
        )
        .await?,
    );
    let journal = JournalHandle::create(initial_journal(
        &run_id,
        plan,
        &manifest,
        &backup_dir,
        files_staging.clone(),
        plan.database
            .as_ref()
            .and_then(|_| mongo_server(&config.mongo.uri)),
    ))?;
    let run = Run {
        config,
        plan,
        request,
        identities,
        manifest,
        set_dir,
        client,
        journal: journal.clone(),
        progress: journal_progress(progress, journal.clone()),
        cancel,
        lock: &lock,
        timings: Mutex::new(RestoreTimings::default()),
    };
    let outcome = match run.execute().await {
        Ok(outcome) => outcome,
        Err(Failure::BeforeSwap(err)) => return Err(run.undo(err).await),
        Err(Failure::DuringSwap(err)) => {
            let swapped = journal
                .snapshot()
                .database
                .map(|d| d.in_state(CollectionState::Swapped).len())
                .unwrap_or(0);
            return Err(err.wrap_err(format!(
                "the restore stopped during the swap with {swapped} collection(s) in place; \
                 the staged data is complete and verified: the next scandyctl command (e.g. \
                 `scandyctl status`) completes the swap (journal {})",
                journal.path().display()
            )));
        }
    };
    let mut outcome = outcome;
    outcome.notes.splice(0..0, notes);
    outcome.timings.total_s = started.elapsed().as_secs_f64();
    let lost = options
        .terminal_lost
        .as_ref()
        .is_some_and(|flag| flag.load(Ordering::Relaxed));
    let summary = outcome_sentence(&outcome);
    journal.update(|j| {
        j.phase = Phase::Finished;
        j.terminal_lost = lost;
        j.outcome = Some(summary);
    })?;
    if !lost {
        journal.remove()?;
    }
    drop(lock);
    Ok(outcome)
}

/// One line for the journal of a finished run.
fn outcome_sentence(outcome: &RestoreOutcome) -> String {
    let documents: u64 = outcome.documents.iter().map(|(_, n)| n).sum();
    let mut text = format!(
        "restored {} collection(s), {documents} document(s); {} file(s) written, {} overwritten",
        outcome.documents.len(),
        outcome.files_written,
        outcome.files_overwritten
    );
    if let Some(safety) = &outcome.safety_backup {
        text.push_str(&format!("; safety backup {safety}"));
    }
    text
}

/// The quick verification every restore starts with.
async fn quick_verify(
    set_dir: &std::path::Path,
    id: &str,
    progress: &Arc<dyn Fn(Progress) + Send + Sync>,
    cancel: &CancellationToken,
) -> Result<()> {
    let dir = set_dir.to_path_buf();
    let (progress, cancel) = (progress.clone(), cancel.clone());
    let report = tokio::task::spawn_blocking(move || {
        verify_set_with(&dir, VerifyLevel::Quick, &[], &*progress, &cancel)
    })
    .await
    .wrap_err("the verify task failed")??;
    if !report.ok {
        let first = &report.findings[0];
        bail!(
            "backup {id} failed verification ({}: {}); nothing was changed",
            first.subject,
            first.message
        );
    }
    Ok(())
}

/// The journal a run starts with: every collection planned under its staging name.
fn initial_journal(
    run_id: &str,
    plan: &RestorePlan,
    manifest: &Manifest,
    backup_dir: &std::path::Path,
    files_staging: Option<PathBuf>,
    mongo_server: Option<String>,
) -> RestoreJournal {
    let (pid, process_start, boot_id, host) = this_process();
    let database = plan.database.as_ref().map(|db_plan| {
        let mut collections: Vec<JournalCollection> = db_plan
            .collections
            .iter()
            .map(|c| {
                let kind = manifest
                    .database
                    .collections
                    .iter()
                    .find(|e| e.name == c.name)
                    .map_or("collection", |e| e.kind.as_str())
                    .to_string();
                JournalCollection {
                    staging: (kind != "view")
                        .then(|| staging_name(&db_plan.target, run_id, &c.name)),
                    name: c.name.clone(),
                    kind,
                    state: CollectionState::Planned,
                    documents: 0,
                    view_options: None,
                }
            })
            .collect();
        collections.sort_by_key(|c| c.kind == "view");
        JournalDatabase {
            target: db_plan.target.clone(),
            live: db_plan.live,
            collections,
        }
    });
    let files = plan
        .files
        .as_ref()
        .zip(files_staging)
        .map(|(f, staging_dir)| JournalFiles {
            target: f.target.clone(),
            staging_dir,
            extracted: None,
            entries: Vec::new(),
            moved: Vec::new(),
        });
    RestoreJournal {
        format: JOURNAL_FORMAT,
        id: run_id.to_string(),
        set_id: plan.id.clone(),
        phase: Phase::Preparing,
        pid,
        process_start,
        boot_id,
        host,
        started_at: Utc::now(),
        updated_at: Utc::now(),
        backup_dir: backup_dir.to_path_buf(),
        mongo: mongo_server,
        safety_backup: None,
        database,
        files,
        progress: None,
        terminal_lost: false,
        outcome: None,
        recovery: None,
    }
}

/// Passes progress on and writes it into the journal once a second.
fn journal_progress(
    progress: Arc<dyn Fn(Progress) + Send + Sync>,
    journal: JournalHandle,
) -> Arc<dyn Fn(Progress) + Send + Sync> {
    let throttle = Mutex::new(Throttle::every(JOURNAL_PROGRESS_EVERY));
    Arc::new(move |p: Progress| {
        progress(p);
        if throttle.lock().is_ok_and(|mut t| t.ready()) {
            let _ = journal.update(|j| {
                j.progress = Some(JournalProgress {
                    stage: p.stage.label().to_string(),
                    items: p.items,
                    items_total: p.items_total,
                    bytes: p.bytes,
                })
            });
        }
    })
}

/// Why a run stopped.
enum Failure {
    /// Before the swap: the live data is untouched.
    BeforeSwap(eyre::Report),
    /// During the swap: the journal stays for the roll forward.
    DuringSwap(eyre::Report),
}

/// Everything one run needs.
struct Run<'a> {
    config: &'a Config,
    plan: &'a RestorePlan,
    request: &'a RestoreRequest,
    identities: &'a [age::x25519::Identity],
    manifest: Manifest,
    set_dir: PathBuf,
    client: Option<mongodb::Client>,
    journal: JournalHandle,
    progress: Arc<dyn Fn(Progress) + Send + Sync>,
    cancel: CancellationToken,
    lock: &'a BackupLock,
    timings: Mutex<RestoreTimings>,
}

impl Run<'_> {
    /// Safety backup, staging, checks, swap.
    async fn execute(&self) -> Result<RestoreOutcome, Failure> {
        let safety_backup = self.safety_backup().await.map_err(Failure::BeforeSwap)?;
        self.journal
            .update(|j| j.phase = Phase::Staging)
            .map_err(Failure::BeforeSwap)?;
        let loads = self.stage_database().await.map_err(Failure::BeforeSwap)?;
        let replay_notes = self
            .replay_point_in_time()
            .await
            .map_err(Failure::BeforeSwap)?;
        let (files_written, files_overwritten) =
            self.stage_files().await.map_err(Failure::BeforeSwap)?;
        if let (Some(client), Some(db)) = (&self.client, self.journal.snapshot().database) {
            check_renames(client, &db)
                .await
                .wrap_err("the restore stopped before the swap")
                .map_err(Failure::BeforeSwap)?;
        }
        if self.cancel.is_cancelled() {
            return Err(Failure::BeforeSwap(Cancelled.into()));
        }
        self.swap().await?;
        let timings = self.timings.lock().map(|t| t.clone()).unwrap_or_default();
        Ok(RestoreOutcome {
            run_id: self.journal.snapshot().id,
            safety_backup,
            documents: loads
                .iter()
                .map(|c| (c.name.clone(), c.documents))
                .collect(),
            files_written,
            files_overwritten,
            timings,
            notes: replay_notes,
        })
    }

    /// `restore --at`: replays the oplog slices onto the staged collections.
    async fn replay_point_in_time(&self) -> Result<Vec<String>> {
        let (Some(pit), Some(db_plan), Some(client)) =
            (&self.plan.point_in_time, &self.plan.database, &self.client)
        else {
            return Ok(Vec::new());
        };
        let staging: HashMap<String, String> = self
            .journal
            .snapshot()
            .database
            .iter()
            .flat_map(|d| &d.collections)
            .filter_map(|c| c.staging.clone().map(|s| (c.name.clone(), s)))
            .collect();
        let backup_dir = self.config.resolve(&self.config.backup.dir);
        let db = client.database(&db_plan.target);
        let target = crate::backup::pitr::apply::Target {
            db: &db,
            source_db: &self.manifest.database.database,
            staging: &staging,
        };
        let report = crate::backup::pitr::replay::replay_slices(
            &backup_dir,
            &target,
            pit.slice_manifests(),
            self.identities,
            pit.after,
            pit.at,
        )
        .await
        .wrap_err("replaying the oplog failed")?;
        let in_base: Vec<&str> = self
            .manifest
            .database
            .collections
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        Ok(report.notes(pit.slices.len(), pit.at, &pit.base, &in_base))
    }

    fn timing(&self, set: impl FnOnce(&mut RestoreTimings)) {
        if let Ok(mut t) = self.timings.lock() {
            set(&mut t);
        }
    }

    async fn safety_backup(&self) -> Result<Option<String>> {
        if !self.plan.safety_backup {
            return Ok(None);
        }
        let started = Instant::now();
        self.journal.update(|j| j.phase = Phase::SafetyBackup)?;
        let request = BackupRequest {
            kind: BackupKind::PreRestore,
            parent: None,
            auto: false,
            scan: false,
            estimate_totals: false,
        };
        let outcome = create_backup_locked(
            self.config,
            &request,
            self.lock,
            self.progress.clone(),
            self.cancel.clone(),
        )
        .await
        .wrap_err("the safety backup failed; nothing was restored")?;
        self.journal
            .update(|j| j.safety_backup = Some(outcome.id.clone()))?;
        self.timing(|t| t.safety_backup_s = started.elapsed().as_secs_f64());
        Ok(Some(outcome.id))
    }

    /// Loads every selected collection into its staging collection.
    async fn stage_database(&self) -> Result<Vec<CollectionLoad>> {
        let (Some(db_plan), Some(client)) = (&self.plan.database, &self.client) else {
            return Ok(Vec::new());
        };
        let started = Instant::now();
        let reader = open_state(
            &self.set_dir,
            &self.manifest,
            self.plan.links(),
            MemberContent::MongoArchive,
            self.identities,
        )?;
        let journal = self.journal.snapshot();
        let target_names: HashMap<String, String> = journal
            .database
            .iter()
            .flat_map(|d| &d.collections)
            .filter_map(|c| c.staging.clone().map(|s| (c.name.clone(), s)))
            .collect();
        let expected = self
            .manifest
            .database
            .collections
            .iter()
            .filter(|_| self.plan.links().is_none())
            .filter_map(|c| {
                let crc = u64::from_str_radix(&c.crc64, 16).ok()?;
                Some((
                    c.name.clone(),
                    ExpectedCollection {
                        documents: c.documents,
                        crc,
                    },
                ))
            })
            .collect();
        let options = LoadOptions {
            collections: self.request.collections.clone(),
            drop_existing: true,
            parallel: self.config.restore.parallel_collections.max(1) as usize,
            target_names,
            defer_views: true,
            expected,
            ..LoadOptions::default()
        };
        let items_total: u64 = db_plan.collections.iter().map(|c| c.backup_documents).sum();
        let progress = self.progress.clone();
        let journal_error: Arc<Mutex<Option<eyre::Report>>> = Arc::new(Mutex::new(None));
        let (handle, errors) = (self.journal.clone(), journal_error.clone());
        let summary = load_archive_with(
            reader,
            &client.database(&db_plan.target),
            &options,
            move |p| {
                progress(Progress {
                    stage: Stage::Restore,
                    items: p.total_documents,
                    items_total,
                    bytes: p.archive_bytes,
                    bytes_total: 0,
                })
            },
            move |load| {
                let written = handle.update(|j| {
                    set_state(j, &load.name, CollectionState::Staged);
                    if let Some(coll) = j
                        .database
                        .as_mut()
                        .and_then(|d| d.collections.iter_mut().find(|c| c.name == load.name))
                    {
                        coll.documents = load.documents;
                        if coll.kind == "view" {
                            coll.view_options =
                                Some(Bson::Document(load.options.clone()).into_canonical_extjson());
                        }
                    }
                });
                if let Err(err) = written
                    && let Ok(mut slot) = errors.lock()
                {
                    slot.get_or_insert(err);
                }
            },
            self.cancel.clone(),
        )
        .await
        .wrap_err_with(|| format!("restoring the database {} failed", db_plan.target))?;
        if let Some(err) = journal_error.lock().ok().and_then(|mut e| e.take()) {
            return Err(err.wrap_err("cannot write the restore journal"));
        }
        let not_staged: Vec<String> = self
            .journal
            .snapshot()
            .database
            .map(|d| d.in_state(CollectionState::Planned))
            .unwrap_or_default();
        if !not_staged.is_empty() {
            bail!(
                "the archive did not hold {} of backup {}",
                not_staged.join(", "),
                self.plan.id
            );
        }
        self.timing(|t| t.load_s = started.elapsed().as_secs_f64());
        Ok(summary.collections)
    }

    /// Extracts the files into the staging directory and checks they can move into place;
    /// returns the files written and how many replace existing ones.
    async fn stage_files(&self) -> Result<(usize, usize)> {
        let Some(files) = self.journal.snapshot().files else {
            return Ok((0, 0));
        };
        let started = Instant::now();
        let limits = limits_for(&self.manifest, self.plan.links());
        let ids = self.identities.to_vec();
        let (set_dir, manifest) = (self.set_dir.clone(), self.manifest.clone());
        let links = self.plan.links().cloned();
        let files_total = self
            .manifest
            .increment
            .as_ref()
            .map_or(self.manifest.files.files, |i| i.files.files);
        let progress = self.progress.clone();
        let cancel = self.cancel.clone();
        let (target, staging) = (files.target.clone(), files.staging_dir.clone());
        let missing_only = self.plan.files.as_ref().is_some_and(|f| f.missing_only);
        progress(Progress {
            stage: Stage::Extract,
            items: 0,
            items_total: files_total,
            bytes: 0,
            bytes_total: 0,
        });
        let (written, check, entries) = tokio::task::spawn_blocking(move || -> Result<_> {
            std::fs::create_dir_all(&target)
                .wrap_err_with(|| format!("cannot create {}", target.display()))?;
            create_staging_dir(&staging)?;
            let reader = open_state(
                &set_dir,
                &manifest,
                links.as_ref(),
                MemberContent::FilesTar,
                &ids,
            )?;
            let entries = std::sync::atomic::AtomicU64::new(0);
            let throttle = Mutex::new(Throttle::new());
            let count_entry = |_: &str| {
                let done = entries.fetch_add(1, Ordering::Relaxed) + 1;
                if throttle.lock().is_ok_and(|mut t| t.ready()) {
                    progress(Progress {
                        stage: Stage::Extract,
                        items: done.min(files_total),
                        items_total: files_total,
                        bytes: 0,
                        bytes_total: 0,
                    });
                }
                !cancel.is_cancelled()
            };
            let report = extract_tar(reader, &staging, &limits, &count_entry)?;
            if cancel.is_cancelled() {
                return Err(Cancelled.into());
            }
            let kept = if missing_only {
                super::files_stage::drop_existing(&staging, &target)?
            } else {
                report.written.len()
            };
            let check = check_moves(&staging, &target)?;
            Ok((kept, check, staged_entries(&staging)?))
        })
        .await
        .wrap_err("the extract task failed")?
        .wrap_err_with(|| format!("restoring the files into {} failed", files.target.display()))?;
        self.journal.update(|j| {
            if let Some(f) = &mut j.files {
                f.extracted = Some(written as u64);
                f.entries = entries;
            }
        })?;
        self.timing(|t| t.files_s = started.elapsed().as_secs_f64());
        Ok((written, check.overwritten))
    }

    /// The swap: from here on an interruption is completed, not undone.
    async fn swap(&self) -> Result<(), Failure> {
        let started = Instant::now();
        self.journal
            .update(|j| j.phase = Phase::Swap)
            .map_err(Failure::BeforeSwap)?;
        if let Some(client) = &self.client
            && self.plan.database.is_some()
        {
            match swap_database(client, &self.journal).await {
                Ok(report) => self.timing(|t| t.database_swap_s = report.elapsed.as_secs_f64()),
                Err(err) if self.nothing_swapped() => {
                    let back = self.journal.update(|j| j.phase = Phase::Staging);
                    return Err(match back {
                        Ok(()) => Failure::BeforeSwap(err),
                        Err(_) => Failure::DuringSwap(err),
                    });
                }
                Err(err) => return Err(Failure::DuringSwap(err)),
            }
        }
        if let Some(files) = self.journal.snapshot().files {
            move_files(&self.journal, files.staging_dir, files.target)
                .await
                .map_err(Failure::DuringSwap)?;
        }
        self.timing(|t| t.swap_s = started.elapsed().as_secs_f64());
        Ok(())
    }

    /// Whether the swap has not changed anything yet.
    fn nothing_swapped(&self) -> bool {
        let journal = self.journal.snapshot();
        let collections = journal
            .database
            .is_none_or(|d| d.in_state(CollectionState::Swapped).is_empty());
        let files = journal.files.is_none_or(|f| f.moved.is_empty());
        collections && files
    }

    /// Removes what the run staged after a failure before the swap; the journal goes
    /// once the staging data is gone (else the next scandyctl retries).
    async fn undo(&self, err: eyre::Report) -> eyre::Report {
        let journal = self.journal.snapshot();
        let mut cleanup: Result<()> = Ok(());
        if let (Some(db), Some(client)) = (&journal.database, &self.client) {
            let db_handle = client.database(&db.target);
            if let Err(e) = drop_run_staging(&db_handle, &journal.id, &db.staging_names()).await {
                cleanup = Err(e);
            }
        }
        if let Some(files) = &journal.files
            && let Err(e) = super::files_stage::remove_staging_dir(&files.staging_dir)
        {
            cleanup = Err(e);
        }
        let cancelled = is_cancelled(&err);
        match cleanup {
            Ok(()) => {
                let _ = self.journal.remove();
                if cancelled {
                    err.wrap_err("restore cancelled; nothing was changed (staging data removed)")
                } else {
                    err.wrap_err("nothing was changed (staging data removed)")
                }
            }
            Err(cleanup_err) => err.wrap_err(format!(
                "nothing was changed, but removing the staging data failed ({cleanup_err:#}); \
                 the next scandyctl command retries (journal {})",
                self.journal.path().display()
            )),
        }
    }
}
