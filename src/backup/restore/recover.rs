//! What every scandyctl does first: look at the restore journals and finish or undo the
//! restores that were interrupted (process gone), leave running ones alone, and refuse to
//! act on journals it cannot read or that another host wrote.
//!
//! Interrupted before the swap: the staging collections and the staging directory are
//! removed; the live data was never touched. Interrupted during the swap: the staged data
//! is complete and verified, so the swap is completed (roll forward). Either way the
//! journal stays, marked recovered, until the admin acknowledges it
//! (`scandyctl restore --ack ID`): `status` and the console show it until then.

use std::path::{Path, PathBuf};

use chrono::Utc;
use color_eyre::eyre::{Result, WrapErr, bail};
use mongodb::Database;
use serde::Serialize;

use super::files_stage::{move_into_place, remove_staging_dir};
use super::journal::{
    FoundJournal, JournalHandle, JournalRecovery, Phase, RecoveryAction, RestoreJournal,
    journal_dir, list_journals, mongo_server, remove_journal, run_is_alive,
};
use super::staging::{drop_dead_run_staging, drop_unowned_staging};
use super::swap::swap_database;
use crate::backup::inventory::Warning;
use crate::backup::lock::host_name;
use crate::config::Config;
use crate::state::StateLock;

/// What state a restore journal is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RestoreState {
    /// Its process runs on this host.
    Running,
    /// Interrupted before the swap; undone (staging removed).
    RolledBack,
    /// Interrupted during the swap; completed.
    RolledForward,
    /// Completed on its own after its terminal went away.
    CompletedUnattended,
    /// Interrupted, but finishing or undoing it failed for now (e.g. MongoDB unreachable).
    Pending,
    /// Unreadable or from another host: nothing was done automatically.
    Refused,
    /// Interrupted, but written for another install on this host (another backup
    /// directory or MongoDB server): left for that install's scandyctl.
    OtherInstall,
}

/// One journal and what it says, for `status`, the console and notes.
#[derive(Debug, Clone, Serialize)]
pub struct RestoreStatus {
    /// Run id (also what `restore --ack` takes).
    pub id: String,
    /// The journal file.
    pub path: PathBuf,
    /// Its state.
    pub state: RestoreState,
    /// The set restored (unknown for unreadable journals).
    pub set_id: Option<String>,
    /// Target database and/or files directory, for messages.
    pub target: Option<String>,
    /// One sentence for the admin.
    pub message: String,
    /// Whether this call finished or undid it.
    pub recovered_now: bool,
    /// The journal itself (absent when unreadable).
    pub journal: Option<RestoreJournal>,
}

/// The restore journals after a recovery pass.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RecoverySummary {
    /// Every journal still there, in run id order.
    pub restores: Vec<RestoreStatus>,
}

impl RecoverySummary {
    /// Messages about the restores this pass finished or undid (for stderr notes).
    pub fn notes(&self) -> Vec<String> {
        self.restores
            .iter()
            .filter(|r| {
                r.recovered_now || matches!(r.state, RestoreState::Pending | RestoreState::Refused)
            })
            .map(|r| r.message.clone())
            .collect()
    }

    /// A journal a new restore must not start past (pending or refused).
    pub fn unresolved(&self) -> Option<&RestoreStatus> {
        self.restores
            .iter()
            .find(|r| matches!(r.state, RestoreState::Pending | RestoreState::Refused))
    }

    /// The warnings `status` and the console show for these journals.
    pub fn warnings(&self) -> Vec<Warning> {
        self.restores.iter().map(warning_for).collect()
    }
}

/// Finishes or undoes every interrupted restore (see the module docs). Never fails: what
/// cannot be done now is reported as [`RestoreState::Pending`] or [`RestoreState::Refused`].
pub async fn recover_interrupted_restores(config: &Config) -> RecoverySummary {
    let dir = journal_dir();
    if !dir.is_dir() {
        return RecoverySummary::default();
    }
    let _lock = match StateLock::acquire(&dir.join(".recover.lock")) {
        Ok(lock) => lock,
        Err(e) => {
            return RecoverySummary {
                restores: vec![RestoreStatus {
                    id: String::new(),
                    path: dir.clone(),
                    state: RestoreState::Pending,
                    set_id: None,
                    target: None,
                    message: format!("cannot check the restore journals: {e:#}"),
                    recovered_now: false,
                    journal: None,
                }],
            };
        }
    };
    let mut restores = Vec::new();
    for found in list_journals() {
        if let Some(status) = recover_one(config, found).await {
            restores.push(status);
        }
    }
    RecoverySummary { restores }
}

/// The journals of the install whose backup directory is `backup_dir`, as they are,
/// without acting on any (the console's periodic scans). Journals another install (another
/// backup directory) wrote are left out.
pub fn read_restore_statuses(backup_dir: &Path) -> RecoverySummary {
    RecoverySummary {
        restores: list_journals()
            .into_iter()
            .filter(|f| match &f.journal {
                Ok(journal) => same_path(&journal.backup_dir, backup_dir),
                Err(_) => true,
            })
            .filter_map(classify)
            .collect(),
    }
}

/// Why `journal` belongs to another install than `config`'s (another backup directory or
/// MongoDB server), or `None` when it is this install's.
fn other_install(journal: &RestoreJournal, config: &Config) -> Option<String> {
    let backup_dir = config.resolve(&config.backup.dir);
    if !same_path(&journal.backup_dir, &backup_dir) {
        return Some(format!(
            "it was written for the backup directory {}, this configuration uses {}",
            journal.backup_dir.display(),
            backup_dir.display()
        ));
    }
    let recorded = journal.mongo.as_deref()?;
    journal.database.as_ref()?;
    let current = mongo_server(&config.mongo.uri).unwrap_or_default();
    (recorded != current).then(|| {
        format!(
            "it was written for the MongoDB server {recorded}, this configuration uses {current}"
        )
    })
}

/// Whether two paths name the same directory (compared resolved when both exist).
fn same_path(a: &Path, b: &Path) -> bool {
    if a == b {
        return true;
    }
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Drops the staging collections in `db` that no restore journal owns (left by a crash of
/// a run whose journal is gone, e.g. of another scandyctl version); returns their names.
/// Call it only while holding the backup directory lock, so no restore starts meanwhile.
pub async fn sweep_orphan_staging(db: &Database) -> Result<Vec<String>> {
    // Journals are read after listing: a run writes its journal before it creates staging.
    let names = super::staging::list_staging(db).await?;
    if names.is_empty() {
        return Ok(names);
    }
    let owned: Vec<String> = list_journals()
        .into_iter()
        .filter(|f| match &f.journal {
            Ok(j) => !matches!(j.phase, Phase::Recovered | Phase::Finished),
            Err(_) => true,
        })
        .map(|f| f.id)
        .collect();
    drop_unowned_staging(db, &owned).await
}

/// Removes the journal `id` once the admin has read it; a running or not yet recovered
/// restore is refused (unless `force`). `all` acknowledges every recovered journal.
pub fn acknowledge(id: &str, force: bool) -> Result<Vec<String>> {
    let found = list_journals();
    let mut removed = Vec::new();
    let mut matched = false;
    for journal in found {
        let status = classify_found(&journal);
        let wanted = id == "all" || journal.id == id;
        if !wanted {
            continue;
        }
        matched = true;
        let Some(status) = status else {
            remove_journal(&journal.path)?;
            continue;
        };
        let blocked = match status.state {
            RestoreState::Running => true,
            RestoreState::Pending => !force,
            RestoreState::Refused | RestoreState::OtherInstall => id == "all" && !force,
            _ => false,
        };
        if blocked {
            if id == "all" {
                continue;
            }
            bail!(
                "restore journal {} is {}: {}; nothing was acknowledged{}",
                journal.id,
                state_word(status.state),
                status.message,
                if status.state == RestoreState::Pending {
                    " (add --force to drop the journal anyway)"
                } else {
                    ""
                }
            );
        }
        remove_journal(&journal.path)?;
        removed.push(journal.id.clone());
    }
    if !matched {
        bail!(
            "no restore journal {id} in {} (scandyctl status lists them)",
            journal_dir().display()
        );
    }
    Ok(removed)
}

fn state_word(state: RestoreState) -> &'static str {
    match state {
        RestoreState::Running => "still running",
        RestoreState::Pending => "not recovered yet",
        RestoreState::Refused => "refused",
        RestoreState::OtherInstall => "another install's",
        _ => "done",
    }
}

/// Classifies one journal and, when its run is gone, finishes or undoes it.
async fn recover_one(config: &Config, found: FoundJournal) -> Option<RestoreStatus> {
    let journal = match &found.journal {
        Ok(journal) => journal.clone(),
        Err(_) => return classify(found),
    };
    let interrupted = !matches!(journal.phase, Phase::Recovered | Phase::Finished)
        && journal.host == host_name()
        && !run_is_alive(&journal);
    if !interrupted {
        if journal.phase == Phase::Finished && !journal.terminal_lost && !run_is_alive(&journal) {
            // Killed after it completed but before it removed its journal: nothing to report.
            let _ = remove_journal(&found.path);
            return None;
        }
        return classify(found);
    }
    if let Some(reason) = other_install(&journal, config) {
        return Some(RestoreStatus {
            id: found.id.clone(),
            path: found.path.clone(),
            state: RestoreState::OtherInstall,
            set_id: Some(journal.set_id.clone()),
            target: Some(target_text(&journal)),
            message: format!(
                "{} was interrupted ({}), but {reason}; nothing was done: run scandyctl with \
                 that install's configuration (--config) to finish or undo it",
                journal.subject(),
                journal.phase.label()
            ),
            recovered_now: false,
            journal: Some(journal),
        });
    }
    let handle = JournalHandle::resume(found.path.clone(), journal.clone());
    let result = if journal.phase.past_commit_point() {
        roll_forward(config, &handle).await
    } else {
        roll_back(config, &handle).await
    };
    let mut status = match result {
        Ok(()) => classify_found(&FoundJournal {
            path: found.path.clone(),
            id: found.id.clone(),
            journal: Ok(handle.snapshot()),
        })?,
        Err(err) => RestoreStatus {
            id: found.id.clone(),
            path: found.path.clone(),
            state: RestoreState::Pending,
            set_id: Some(journal.set_id.clone()),
            target: Some(target_text(&journal)),
            message: format!(
                "{} was interrupted ({}); finishing it failed for now: {err:#}; the next scandyctl command tries again",
                journal.subject(),
                journal.phase.label()
            ),
            recovered_now: false,
            journal: Some(journal),
        },
    };
    status.recovered_now = status.state != RestoreState::Pending;
    Some(status)
}

/// Undoes a run interrupted before the swap.
async fn roll_back(config: &Config, handle: &JournalHandle) -> Result<()> {
    let journal = handle.snapshot();
    let mut removed = 0;
    if let Some(db) = &journal.database {
        let client = super::connect_checked(config)
            .await
            .wrap_err("cannot reach MongoDB to remove the staging collections")?;
        // When it died is not known: a journal written in the last minute may belong to a
        // run killed a moment ago whose requests are still executing, so its staging is
        // watched for a few seconds from now.
        let now = Utc::now();
        let died_by = if now - journal.updated_at < chrono::Duration::seconds(60) {
            now
        } else {
            journal.updated_at
        };
        removed = drop_dead_run_staging(
            &client.database(&db.target),
            &journal.id,
            &db.staging_names(),
            died_by,
        )
        .await?;
    }
    if let Some(files) = &journal.files {
        remove_staging_dir(&files.staging_dir)?;
    }
    let message = format!(
        "{} was interrupted before it changed anything; staging data removed",
        journal.subject()
    );
    handle.update(|j| {
        j.phase = Phase::Recovered;
        j.recovery = Some(JournalRecovery {
            at: Utc::now(),
            action: RecoveryAction::RolledBack,
            swapped: Vec::new(),
            files_moved: Vec::new(),
            staging_removed: removed,
            message,
        });
    })
}

/// Completes a run interrupted during the swap.
async fn roll_forward(config: &Config, handle: &JournalHandle) -> Result<()> {
    let journal = handle.snapshot();
    let mut swapped = Vec::new();
    if journal.database.is_some() {
        let client = super::connect_checked(config)
            .await
            .wrap_err("cannot reach MongoDB to complete the swap")?;
        swapped = swap_database(&client, handle).await?.swapped;
    }
    let mut files_moved = Vec::new();
    if let Some(files) = journal.files.clone() {
        files_moved = move_files(handle, files.staging_dir, files.target).await?;
    }
    let mut message = format!(
        "{} was interrupted during the swap; scandyctl completed it",
        journal.subject()
    );
    if swapped.is_empty() && files_moved.is_empty() {
        message.push_str(" (everything was already in place)");
    } else {
        if !swapped.is_empty() {
            message.push_str(&format!(
                ", swapping {} ({} collection(s))",
                swapped.join(", "),
                swapped.len()
            ));
        }
        if !files_moved.is_empty() {
            message.push_str(&format!(
                ", moving {} file entr(y/ies) into place ({})",
                files_moved.len(),
                files_moved.join(", ")
            ));
        }
    }
    if let Some(safety) = &journal.safety_backup {
        message.push_str(&format!(
            "; the state before it is in the safety backup {safety}"
        ));
    }
    handle.update(|j| {
        j.phase = Phase::Recovered;
        j.recovery = Some(JournalRecovery {
            at: Utc::now(),
            action: RecoveryAction::RolledForward,
            swapped,
            files_moved,
            staging_removed: 0,
            message,
        });
    })
}

/// Moves what is left of a staging directory into place on a blocking thread, journaling
/// each top-level entry.
pub(super) async fn move_files(
    handle: &JournalHandle,
    staging: PathBuf,
    target: PathBuf,
) -> Result<Vec<String>> {
    let handle = handle.clone();
    tokio::task::spawn_blocking(move || {
        if !staging.exists() {
            return Ok(Vec::new());
        }
        move_into_place(&staging, &target, &mut |name| {
            handle.update(|j| {
                if let Some(f) = &mut j.files {
                    f.moved.push(name.to_string());
                }
            })
        })
    })
    .await
    .wrap_err("the file move task failed")?
}

fn target_text(journal: &RestoreJournal) -> String {
    let mut parts = Vec::new();
    if let Some(db) = &journal.database {
        parts.push(db.target.clone());
    }
    if let Some(files) = &journal.files {
        parts.push(files.target.display().to_string());
    }
    parts.join(" and ")
}

fn classify(found: FoundJournal) -> Option<RestoreStatus> {
    classify_found(&found)
}

/// What a journal says, without acting on it; `None` for a finished run nobody needs to hear of.
fn classify_found(found: &FoundJournal) -> Option<RestoreStatus> {
    let journal = match &found.journal {
        Ok(journal) => journal,
        Err(reason) => {
            return Some(RestoreStatus {
                id: found.id.clone(),
                path: found.path.clone(),
                state: RestoreState::Refused,
                set_id: None,
                target: None,
                message: format!(
                    "restore journal {} cannot be read ({reason}); nothing was done automatically: \
                     check the database and files, then remove it with `scandyctl restore --ack {}`",
                    found.path.display(),
                    found.id
                ),
                recovered_now: false,
                journal: None,
            });
        }
    };
    let status = |state, message: String| {
        Some(RestoreStatus {
            id: found.id.clone(),
            path: found.path.clone(),
            state,
            set_id: Some(journal.set_id.clone()),
            target: Some(target_text(journal)),
            message,
            recovered_now: false,
            journal: Some(journal.clone()),
        })
    };
    if journal.phase == Phase::Recovered {
        let recovery = journal.recovery.as_ref();
        let state = match recovery.map(|r| r.action) {
            Some(RecoveryAction::RolledForward) => RestoreState::RolledForward,
            _ => RestoreState::RolledBack,
        };
        let message = recovery
            .map(|r| r.message.clone())
            .unwrap_or_else(|| format!("{} was recovered", journal.subject()));
        return status(state, message);
    }
    if journal.host != host_name() {
        return status(
            RestoreState::Refused,
            format!(
                "restore journal {} was written on host {}, not this one; nothing was done \
                 automatically: check that restore there, then remove the journal with \
                 `scandyctl restore --ack {}`",
                found.path.display(),
                journal.host,
                found.id
            ),
        );
    }
    let alive = run_is_alive(journal);
    if journal.phase == Phase::Finished {
        if !journal.terminal_lost && !alive {
            return None;
        }
        if alive {
            return status(
                RestoreState::Running,
                format!("{} is finishing (pid {})", journal.subject(), journal.pid),
            );
        }
        let outcome = journal.outcome.clone().unwrap_or_default();
        return status(
            RestoreState::CompletedUnattended,
            format!(
                "{} completed at {} after its terminal went away: {outcome}",
                journal.subject(),
                journal.updated_at.format("%Y-%m-%d %H:%M:%S UTC")
            ),
        );
    }
    if alive {
        let progress = journal
            .progress
            .as_ref()
            .map(|p| format!(", {} {} items", p.stage, p.items))
            .unwrap_or_default();
        return status(
            RestoreState::Running,
            format!(
                "{} is running (pid {}, phase {}{progress})",
                journal.subject(),
                journal.pid,
                journal.phase.label()
            ),
        );
    }
    status(
        RestoreState::Pending,
        format!(
            "{} was interrupted ({}); the next scandyctl command finishes or undoes it",
            journal.subject(),
            journal.phase.label()
        ),
    )
}

/// The `status` warning for one journal.
fn warning_for(status: &RestoreStatus) -> Warning {
    let code = match status.state {
        RestoreState::Running => "restore-running",
        RestoreState::RolledBack => "restore-rolled-back",
        RestoreState::RolledForward => "restore-rolled-forward",
        RestoreState::CompletedUnattended => "restore-unattended",
        RestoreState::Pending => "restore-pending",
        RestoreState::Refused => "restore-journal-refused",
        RestoreState::OtherInstall => "restore-other-install",
    };
    let ack = match status.state {
        RestoreState::Running => String::new(),
        _ => format!(" (acknowledge: scandyctl restore --ack {})", status.id),
    };
    let set = status.set_id.clone().unwrap_or_default();
    let target = status.target.clone().unwrap_or_default();
    let args = match status.state {
        RestoreState::Running | RestoreState::Pending => vec![set, target],
        RestoreState::Refused | RestoreState::OtherInstall => {
            vec![status.path.display().to_string(), status.id.clone()]
        }
        _ => vec![set, target, status.id.clone()],
    };
    Warning {
        code,
        message: format!("{}{ack}", status.message),
        args,
    }
}
