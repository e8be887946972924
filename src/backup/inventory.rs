//! The inventory of a backup directory and the warnings `status` shows.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use color_eyre::eyre::{Result, WrapErr};
use serde::Serialize;

use super::id::{DELETING_SUFFIX, PARTIAL_SUFFIX, parse_backup_id};
use super::manifest::{BackupKind, read_manifest};
use super::snapshot::SetDetail;
use super::verify::{VerifyLevel, read_verify_record};
use crate::system::disk::DiskSpace;

/// Verification state of a set as the inventory shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum Verification {
    /// Never verified.
    Never,
    /// Last check passed.
    Ok {
        /// When.
        at: DateTime<Utc>,
        /// Quick or deep.
        level: VerifyLevel,
    },
    /// Last check failed.
    Failed {
        /// When.
        at: DateTime<Utc>,
        /// Quick or deep.
        level: VerifyLevel,
        /// How many findings.
        findings: usize,
    },
}

/// One set in the inventory.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SetInfo {
    /// Set id.
    pub id: String,
    /// Kind of set.
    #[serde(rename = "type")]
    pub kind: BackupKind,
    /// When it was taken.
    pub created_at: DateTime<Utc>,
    /// Bytes on disk (data members).
    pub size: u64,
    /// Whether its members are encrypted.
    pub encrypted: bool,
    /// Documents in the database member.
    pub documents: u64,
    /// Files in the files member.
    pub files: u64,
    /// Files skipped (e.g. secrets without encryption).
    pub skipped: usize,
    /// Last verification.
    pub verification: Verification,
    /// Set directory.
    pub path: PathBuf,
}

/// Everything found in a backup directory.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Inventory {
    /// Complete sets, newest first.
    pub sets: Vec<SetInfo>,
    /// Leftover `.partial` directories of interrupted runs.
    pub partials: Vec<PathBuf>,
    /// Directories that look like sets but cannot be read, with the reason.
    pub unreadable: Vec<(PathBuf, String)>,
}

impl Inventory {
    /// The newest set (of any kind).
    pub fn newest(&self) -> Option<&SetInfo> {
        self.sets.first()
    }

    /// Finds a set by id.
    pub fn find(&self, id: &str) -> Option<&SetInfo> {
        self.sets.iter().find(|s| s.id == id)
    }
}

/// Reads every set in `dir`; a missing directory gives an empty inventory.
pub fn scan_inventory(dir: &Path) -> Result<Inventory> {
    scan_inventory_detailed(dir).map(|(inventory, _)| inventory)
}

/// Like [`scan_inventory`], also keeping each set's manifest and verification record by id.
pub fn scan_inventory_detailed(dir: &Path) -> Result<(Inventory, BTreeMap<String, SetDetail>)> {
    let mut inventory = Inventory::default();
    let mut details = BTreeMap::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok((inventory, details)),
        Err(err) => {
            return Err(err)
                .wrap_err_with(|| format!("cannot read backup directory {}", dir.display()));
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if !path.is_dir() {
            continue;
        }
        if name.ends_with(PARTIAL_SUFFIX) {
            inventory.partials.push(path);
            continue;
        }
        // A set `prune` was removing when it was interrupted: never a set, whatever is left
        // of it; the next prune finishes the removal.
        if name.ends_with(DELETING_SUFFIX) {
            continue;
        }
        if parse_backup_id(&name).is_none() {
            continue;
        }
        match read_manifest(&path) {
            Ok(manifest) => {
                let record = read_verify_record(&path);
                let verification = match &record {
                    None => Verification::Never,
                    Some(record) if record.ok => Verification::Ok {
                        at: record.checked_at,
                        level: record.level,
                    },
                    Some(record) => Verification::Failed {
                        at: record.checked_at,
                        level: record.level,
                        findings: record.findings.len(),
                    },
                };
                inventory.sets.push(SetInfo {
                    id: manifest.id.clone(),
                    kind: manifest.kind,
                    created_at: manifest.created_at,
                    size: manifest.members_size(),
                    encrypted: manifest.encrypted(),
                    documents: manifest.database.total_documents(),
                    files: manifest.files.files,
                    skipped: manifest.files.skipped.len(),
                    verification,
                    path,
                });
                details.insert(
                    manifest.id.clone(),
                    SetDetail {
                        manifest,
                        verify: record,
                    },
                );
            }
            Err(err) => inventory.unreadable.push((path, format!("{err:#}"))),
        }
    }
    inventory
        .sets
        .sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    inventory.partials.sort();
    Ok((inventory, details))
}

/// A condition `status` warns about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// Stable machine-readable code.
    pub code: &'static str,
    /// Human-readable message.
    pub message: String,
    /// The values the console fills into its translated text (paths, counts).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
}

/// Warnings for the inventory at `now` given the backup directory's disk space.
pub fn status_warnings(
    inventory: &Inventory,
    space: Option<&DiskSpace>,
    now: DateTime<Utc>,
) -> Vec<Warning> {
    let mut warnings = Vec::new();
    let newest_backup = inventory.sets.iter().find(|s| s.kind.is_data_backup());
    match newest_backup {
        None => warnings.push(Warning {
            code: "no-backup",
            message: "no backup exists yet".into(),
            args: Vec::new(),
        }),
        Some(set) if now - set.created_at > Duration::hours(26) => warnings.push(Warning {
            code: "backup-too-old",
            message: format!(
                "the newest backup {} is {} old (more than 26 hours)",
                set.id,
                human_age(now - set.created_at)
            ),
            args: Vec::new(),
        }),
        _ => {}
    }
    if let Some(set) = newest_backup {
        match &set.verification {
            Verification::Failed { at, findings, .. } => warnings.push(Warning {
                code: "verify-failed",
                message: format!(
                    "the last verification of {} failed ({findings} findings, {})",
                    set.id,
                    at.format("%Y-%m-%d %H:%M UTC")
                ),
                args: Vec::new(),
            }),
            Verification::Never => warnings.push(Warning {
                code: "never-verified",
                message: format!("{} has never been verified", set.id),
                args: Vec::new(),
            }),
            Verification::Ok { at, .. } if now - *at > Duration::days(7) => {
                warnings.push(Warning {
                    code: "verify-too-old",
                    message: format!(
                        "{} was last verified {} ago (more than 7 days)",
                        set.id,
                        human_age(now - *at)
                    ),
                    args: Vec::new(),
                })
            }
            Verification::Ok { .. } => {}
        }
        if set.skipped > 0 {
            warnings.push(Warning {
                code: "secrets-skipped",
                message: format!("{} skipped {} file(s) (e.g. .env holding secrets); see `scandyctl status --json`", set.id, set.skipped),
             args: Vec::new() });
        }
    }
    if let Some(space) = space {
        let free_percent = (space.available * 100)
            .checked_div(space.total)
            .unwrap_or(100);
        if free_percent < 10 {
            warnings.push(Warning {
                code: "low-space",
                message: format!(
                    "backup directory has only {free_percent} % free ({} bytes)",
                    space.available
                ),
                args: Vec::new(),
            });
        }
    }
    for partial in &inventory.partials {
        warnings.push(Warning {
            code: "partial-left",
            message: format!(
                "{} is an interrupted backup; the next backup removes it",
                partial.display()
            ),
            args: Vec::new(),
        });
    }
    for (path, reason) in &inventory.unreadable {
        warnings.push(Warning {
            code: "unreadable-set",
            message: format!("{}: {reason}", path.display()),
            args: Vec::new(),
        });
    }
    warnings
}

/// An age like `3 h 12 min` or `2 d 4 h`.
pub fn human_age(age: Duration) -> String {
    let minutes = age.num_minutes().max(0);
    match minutes {
        0..=59 => format!("{minutes} min"),
        60..=1439 => format!("{} h {} min", minutes / 60, minutes % 60),
        _ => format!("{} d {} h", minutes / 1440, (minutes % 1440) / 60),
    }
}

/// A one-glance summary of the backup directory for the console's Overview.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BackupOverview {
    /// Number of complete sets.
    pub sets: usize,
    /// The newest set that is not a safety backup.
    pub newest: Option<SetInfo>,
    /// Warnings as `status` shows them.
    pub warnings: Vec<Warning>,
}

/// Scans `dir` and summarises it for the Overview.
pub fn backup_overview(
    dir: &Path,
    space: Option<&DiskSpace>,
    now: DateTime<Utc>,
) -> Result<BackupOverview> {
    let inventory = scan_inventory(dir)?;
    let warnings = status_warnings(&inventory, space, now);
    Ok(summarize(&inventory, warnings))
}

/// The Overview summary of an already scanned inventory and its warnings.
pub fn summarize(inventory: &Inventory, warnings: Vec<Warning>) -> BackupOverview {
    let newest = inventory
        .sets
        .iter()
        .find(|s| s.kind.is_data_backup())
        .cloned();
    BackupOverview {
        sets: inventory.sets.len(),
        newest,
        warnings,
    }
}
