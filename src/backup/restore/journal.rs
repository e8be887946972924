//! The restore journal: one JSON file per restore run in `<state>/restore/<run>.json`,
//! rewritten atomically (temp file, fsync, rename, directory fsync) after every step.
//!
//! It says what the run is doing (phase), what it has done (collections staged and
//! swapped, files extracted and moved into place, the safety backup) and who runs it
//! (pid, process start time, boot id, host), so that any later scandyctl can tell a
//! running restore from an interrupted one and finish or undo the interrupted one.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use color_eyre::eyre::{Result, WrapErr, eyre};
use serde::{Deserialize, Serialize};

use crate::state::{state_dir, write_atomic};

/// Version of the journal layout.
pub const JOURNAL_FORMAT: u32 = 1;

/// The directory holding the restore journals.
pub fn journal_dir() -> PathBuf {
    state_dir().join("restore")
}

/// The journal file of restore run `id`.
pub fn journal_path(id: &str) -> PathBuf {
    journal_dir().join(format!("{id}.json"))
}

/// How far a restore run got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Checks done, nothing created yet.
    Preparing,
    /// Taking the pre-restore safety backup; the live data is untouched.
    SafetyBackup,
    /// Loading staging collections and extracting files into the staging directory; the
    /// live data is untouched.
    Staging,
    /// Everything is staged and verified; renaming into place (roll forward if interrupted).
    Swap,
    /// The run completed (the journal stays only when nobody may have seen the outcome).
    Finished,
    /// A later scandyctl finished or undid the interrupted run (see `recovery`).
    Recovered,
}

impl Phase {
    /// Lower-case label (`staging`, `swap`, ...).
    pub fn label(self) -> &'static str {
        match self {
            Phase::Preparing => "preparing",
            Phase::SafetyBackup => "safety-backup",
            Phase::Staging => "staging",
            Phase::Swap => "swap",
            Phase::Finished => "finished",
            Phase::Recovered => "recovered",
        }
    }

    /// Whether the live data may already hold restored parts (roll forward when interrupted).
    pub fn past_commit_point(self) -> bool {
        matches!(self, Phase::Swap | Phase::Finished)
    }
}

/// Where one collection of the restore is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CollectionState {
    /// Planned; its staging collection may be partly filled.
    Planned,
    /// Loaded, counted, CRC-checked and indexed under its staging name.
    Staged,
    /// Renamed into place (views: recreated).
    Swapped,
}

/// One collection or view of the restore.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalCollection {
    /// Its name in the target database.
    pub name: String,
    /// The staging collection it is loaded into (views have none).
    pub staging: Option<String>,
    /// `collection` or `view`.
    pub kind: String,
    /// Where it is.
    pub state: CollectionState,
    /// Documents staged.
    #[serde(default)]
    pub documents: u64,
    /// For views: the options to create it with (`viewOn`, `pipeline`, ...), canonical
    /// extended JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view_options: Option<serde_json::Value>,
}

/// The database part of a restore.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalDatabase {
    /// Target database.
    pub target: String,
    /// Whether the target is the live (configured) database.
    pub live: bool,
    /// Every collection and view restored, collections first.
    pub collections: Vec<JournalCollection>,
}

impl JournalDatabase {
    /// The collections (and views) in `state`.
    pub fn in_state(&self, state: CollectionState) -> Vec<String> {
        self.collections
            .iter()
            .filter(|c| c.state == state)
            .map(|c| c.name.clone())
            .collect()
    }

    /// The staging names of every collection.
    pub fn staging_names(&self) -> Vec<String> {
        self.collections
            .iter()
            .filter_map(|c| c.staging.clone())
            .collect()
    }
}

/// The files part of a restore.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalFiles {
    /// The directory the files go to.
    pub target: PathBuf,
    /// The staging directory beside (or inside) the target.
    pub staging_dir: PathBuf,
    /// Files and links extracted into the staging directory (`None`: not yet complete).
    #[serde(default)]
    pub extracted: Option<u64>,
    /// Top-level entries of the staging directory, once extracted.
    #[serde(default)]
    pub entries: Vec<String>,
    /// Top-level entries moved into place so far.
    #[serde(default)]
    pub moved: Vec<String>,
}

/// The last progress report of the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalProgress {
    /// Stage label (`database`, `restore`, `extract`, ...).
    pub stage: String,
    /// Items done.
    pub items: u64,
    /// Items expected (0: unknown).
    pub items_total: u64,
    /// Bytes done.
    pub bytes: u64,
}

/// What a later scandyctl did with an interrupted run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecoveryAction {
    /// Interrupted before the swap: staging removed, the live data was never touched.
    RolledBack,
    /// Interrupted during the swap: the swap was completed from the staged data.
    RolledForward,
}

/// The account of a recovery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalRecovery {
    /// When.
    pub at: DateTime<Utc>,
    /// Rolled back or forward.
    pub action: RecoveryAction,
    /// The collections this completion swapped (roll forward).
    #[serde(default)]
    pub swapped: Vec<String>,
    /// The top-level file entries this completion moved into place (roll forward).
    #[serde(default)]
    pub files_moved: Vec<String>,
    /// Staging collections removed (roll back).
    #[serde(default)]
    pub staging_removed: usize,
    /// The sentence shown to the admin.
    pub message: String,
}

/// One restore run's journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestoreJournal {
    /// Layout version.
    pub format: u32,
    /// Run id (8 hex digits; also in the staging names).
    pub id: String,
    /// The set being restored.
    pub set_id: String,
    /// How far the run got.
    pub phase: Phase,
    /// Process id of the run.
    pub pid: u32,
    /// Start time of that process (clock ticks since boot, `/proc/<pid>/stat`).
    #[serde(default)]
    pub process_start: Option<u64>,
    /// Kernel boot id at the start of the run.
    #[serde(default)]
    pub boot_id: Option<String>,
    /// Host name.
    pub host: String,
    /// When the run started.
    pub started_at: DateTime<Utc>,
    /// When the journal was last written.
    pub updated_at: DateTime<Utc>,
    /// The backup directory the set lives in.
    pub backup_dir: PathBuf,
    /// The MongoDB server restored into (`host:port` of the first host, no credentials);
    /// `None` in journals of older versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mongo: Option<String>,
    /// The pre-restore safety backup, once taken.
    #[serde(default)]
    pub safety_backup: Option<String>,
    /// The database part.
    #[serde(default)]
    pub database: Option<JournalDatabase>,
    /// The files part.
    #[serde(default)]
    pub files: Option<JournalFiles>,
    /// The last progress report.
    #[serde(default)]
    pub progress: Option<JournalProgress>,
    /// The run lost its terminal (hang-up, closed stderr) and went on without it.
    #[serde(default)]
    pub terminal_lost: bool,
    /// How the run ended, in one sentence (finished runs).
    #[serde(default)]
    pub outcome: Option<String>,
    /// What a later scandyctl did with the interrupted run.
    #[serde(default)]
    pub recovery: Option<JournalRecovery>,
}

impl RestoreJournal {
    /// The target database, if the run restores one.
    pub fn target_db(&self) -> Option<&str> {
        self.database.as_ref().map(|d| d.target.as_str())
    }

    /// "restore of SET into DB" / "into FILES" for messages.
    pub fn subject(&self) -> String {
        let mut into = Vec::new();
        if let Some(db) = &self.database {
            into.push(db.target.clone());
        }
        if let Some(files) = &self.files {
            into.push(files.target.display().to_string());
        }
        format!("restore of {} into {}", self.set_id, into.join(" and "))
    }
}

/// A journal being written by its run (or a recovery); every update is on disk before it
/// returns. Clones share the journal.
#[derive(Debug, Clone)]
pub struct JournalHandle {
    path: PathBuf,
    state: Arc<Mutex<RestoreJournal>>,
}

impl JournalHandle {
    /// Writes the first version of `journal` to its file.
    pub fn create(journal: RestoreJournal) -> Result<JournalHandle> {
        let path = journal_path(&journal.id);
        write_journal(&path, &journal)?;
        Ok(JournalHandle {
            path,
            state: Arc::new(Mutex::new(journal)),
        })
    }

    /// Takes over the journal of an interrupted run read from `path` (nothing is written).
    pub fn resume(path: PathBuf, journal: RestoreJournal) -> JournalHandle {
        JournalHandle {
            path,
            state: Arc::new(Mutex::new(journal)),
        }
    }

    /// Changes the journal with `change` and writes it.
    pub fn update(&self, change: impl FnOnce(&mut RestoreJournal)) -> Result<()> {
        let mut journal = self
            .state
            .lock()
            .map_err(|_| eyre!("the restore journal lock is poisoned"))?;
        change(&mut journal);
        journal.updated_at = Utc::now();
        write_journal(&self.path, &journal)
    }

    /// A copy of the journal as last written.
    pub fn snapshot(&self) -> RestoreJournal {
        match self.state.lock() {
            Ok(journal) => journal.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The journal file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Removes the journal file (the run ended and its outcome was shown).
    pub fn remove(&self) -> Result<()> {
        remove_journal(&self.path)
    }
}

/// The MongoDB server a journal records for `uri`: `host:port` of its first host (the
/// SRV name for `mongodb+srv`), without credentials.
pub fn mongo_server(uri: &str) -> Option<String> {
    let (host, port) = crate::config::first_host_port(uri)?;
    Some(match port {
        Some(port) => format!("{}:{port}", host.to_ascii_lowercase()),
        None => host.to_ascii_lowercase(),
    })
}

/// Writes `journal` to `path` atomically and durably.
pub fn write_journal(path: &Path, journal: &RestoreJournal) -> Result<()> {
    let text = serde_json::to_vec_pretty(journal).wrap_err("cannot encode the restore journal")?;
    write_atomic(path, &text)
}

/// Reads the journal at `path`.
pub fn read_journal(path: &Path) -> Result<RestoreJournal> {
    let text = std::fs::read(path).wrap_err_with(|| format!("cannot read {}", path.display()))?;
    let journal: RestoreJournal = serde_json::from_slice(&text)
        .wrap_err_with(|| format!("{} is not a readable restore journal", path.display()))?;
    if journal.format > JOURNAL_FORMAT {
        return Err(eyre!(
            "{} has journal format {}, newer than this scandyctl understands ({JOURNAL_FORMAT})",
            path.display(),
            journal.format
        ));
    }
    Ok(journal)
}

/// Removes a journal file and syncs its directory.
pub fn remove_journal(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).wrap_err_with(|| format!("cannot remove {}", path.display())),
    }
    if let Some(dir) = path.parent()
        && let Ok(d) = std::fs::File::open(dir)
    {
        let _ = d.sync_all();
    }
    Ok(())
}

/// One journal file found in the journal directory.
#[derive(Debug)]
pub struct FoundJournal {
    /// The file.
    pub path: PathBuf,
    /// Its run id (the file stem).
    pub id: String,
    /// The parsed journal, or why it cannot be read.
    pub journal: Result<RestoreJournal, String>,
}

/// Every journal in `dir`, sorted by run id; a missing directory has none.
pub fn list_journals_in(dir: &Path) -> Vec<FoundJournal> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<FoundJournal> = entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let id = name.strip_suffix(".json")?.to_string();
            if id.starts_with('.') {
                return None;
            }
            let path = entry.path();
            let journal = read_journal(&path).map_err(|e| format!("{e:#}"));
            Some(FoundJournal { path, id, journal })
        })
        .collect();
    found.sort_by(|a, b| a.id.cmp(&b.id));
    found
}

/// Every journal in [`journal_dir`].
pub fn list_journals() -> Vec<FoundJournal> {
    list_journals_in(&journal_dir())
}

/// This process's identity for a journal: pid, start time, boot id, host.
pub fn this_process() -> (u32, Option<u64>, Option<String>, String) {
    let pid = std::process::id();
    (
        pid,
        process_start(pid),
        boot_id(),
        crate::backup::lock::host_name(),
    )
}

/// The start time of process `pid` in clock ticks since boot (`/proc/<pid>/stat` field 22).
pub fn process_start(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: split after it.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// The kernel's boot id (changes on every boot).
pub fn boot_id() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .ok()
        .map(|s| s.trim().to_string())
}

/// Whether the process that writes `journal` is still running on this host.
pub fn run_is_alive(journal: &RestoreJournal) -> bool {
    if journal.boot_id.is_some() && journal.boot_id != boot_id() {
        return false;
    }
    match (journal.process_start, process_start(journal.pid)) {
        (Some(expected), Some(actual)) => expected == actual,
        (None, Some(_)) => true,
        (_, None) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn journal(id: &str) -> RestoreJournal {
        let (pid, process_start, boot_id, host) = this_process();
        RestoreJournal {
            format: JOURNAL_FORMAT,
            id: id.into(),
            set_id: "scandy-20261126T020000Z-full".into(),
            phase: Phase::Staging,
            pid,
            process_start,
            boot_id,
            host,
            started_at: Utc::now(),
            updated_at: Utc::now(),
            backup_dir: "/backups".into(),
            mongo: None,
            safety_backup: None,
            database: Some(JournalDatabase {
                target: "scandy".into(),
                live: true,
                collections: vec![JournalCollection {
                    name: "tools".into(),
                    staging: Some("__scandyctl_restore.0a1b2c3d.tools".into()),
                    kind: "collection".into(),
                    state: CollectionState::Staged,
                    documents: 3,
                    view_options: None,
                }],
            }),
            files: None,
            progress: None,
            terminal_lost: false,
            outcome: None,
            recovery: None,
        }
    }

    #[test]
    fn journals_round_trip_and_list_with_unreadable_ones() {
        let dir = tempfile::tempdir().unwrap();
        let j = journal("0a1b2c3d");
        write_journal(&dir.path().join("0a1b2c3d.json"), &j).unwrap();
        std::fs::write(dir.path().join("deadbeef.json"), b"{ not json").unwrap();
        let found = list_journals_in(dir.path());
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].journal.as_ref().unwrap(), &j);
        assert_eq!(found[1].id, "deadbeef");
        assert!(
            found[1]
                .journal
                .as_ref()
                .unwrap_err()
                .contains("not a readable restore journal")
        );
        assert_eq!(
            j.subject(),
            "restore of scandy-20261126T020000Z-full into scandy"
        );
        assert_eq!(
            j.database
                .as_ref()
                .unwrap()
                .in_state(CollectionState::Staged),
            ["tools"]
        );
    }

    #[test]
    fn liveness_follows_pid_start_time_and_boot() {
        let mut j = journal("0a1b2c3d");
        assert!(run_is_alive(&j), "this very process runs it");
        j.process_start = j.process_start.map(|t| t + 1);
        assert!(!run_is_alive(&j), "a reused pid is not the run");
        let mut j = journal("0a1b2c3d");
        j.boot_id = Some("another-boot".into());
        assert!(!run_is_alive(&j));
        let mut j = journal("0a1b2c3d");
        j.pid = u32::MAX - 1;
        assert!(!run_is_alive(&j));
        assert!(Phase::Swap.past_commit_point() && !Phase::Staging.past_commit_point());
    }
}
