//! The report's backup section: the sets created in the period (kinds, sizes,
//! verification) and the newest good backup at the period's end, from the backup inventory.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Gathered;
use super::period::ReportPeriod;
use crate::backup::inventory::{Inventory, SetInfo, Verification, scan_inventory_detailed};

/// How a set's last verification went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VerifyState {
    /// Never verified.
    Never,
    /// The last verification passed.
    Ok,
    /// The last verification found problems.
    Failed,
}

/// One backup set as the report lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BackupRow {
    /// Set id.
    pub id: String,
    /// `full`, `incremental`, `pre-restore`, `oplog`.
    pub kind: String,
    /// When it was taken.
    pub created_at: DateTime<Utc>,
    /// Bytes on disk.
    pub size: u64,
    /// Whether its members are encrypted.
    pub encrypted: bool,
    /// The last verification.
    pub verification: VerifyState,
    /// When it was last verified.
    pub verified_at: Option<DateTime<Utc>>,
}

/// Everything the backup section shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BackupSummary {
    /// The backup directory.
    pub dir: String,
    /// Sets created in the period, newest first.
    pub created: Vec<BackupRow>,
    /// Sets per kind among `created`, in kind order.
    pub by_kind: Vec<(String, u64)>,
    /// Bytes of the sets created in the period.
    pub total_size: u64,
    /// Of `created`: verified and fine.
    pub verified_ok: u64,
    /// Of `created`: verification failed.
    pub verified_failed: u64,
    /// Of `created`: never verified.
    pub never_verified: u64,
    /// The newest data backup (full or incremental) taken before the period's end whose
    /// last verification passed.
    pub newest_good: Option<BackupRow>,
    /// Directories that look like sets but cannot be read.
    pub unreadable: usize,
}

/// Scans the backup directory `dir` for `period` (blocking: run it in `spawn_blocking`).
pub fn gather_backups(dir: &Path, period: &ReportPeriod) -> Gathered<BackupSummary> {
    match scan_inventory_detailed(dir) {
        Ok((inventory, _)) => Gathered::Ok(summary_of(&inventory, dir, period)),
        Err(err) => Gathered::Unavailable(format!("{err:#}")),
    }
}

/// The backup numbers of `inventory` for `period`.
pub fn summary_of(inventory: &Inventory, dir: &Path, period: &ReportPeriod) -> BackupSummary {
    let created: Vec<BackupRow> = inventory
        .sets
        .iter()
        .filter(|s| period.contains(s.created_at))
        .map(row_of)
        .collect();
    let mut by_kind: Vec<(String, u64)> = Vec::new();
    for row in &created {
        match by_kind.iter_mut().find(|(k, _)| *k == row.kind) {
            Some((_, n)) => *n += 1,
            None => by_kind.push((row.kind.clone(), 1)),
        }
    }
    by_kind.sort();
    let count =
        |state: VerifyState| created.iter().filter(|r| r.verification == state).count() as u64;
    BackupSummary {
        dir: dir.display().to_string(),
        total_size: created.iter().map(|r| r.size).sum(),
        verified_ok: count(VerifyState::Ok),
        verified_failed: count(VerifyState::Failed),
        never_verified: count(VerifyState::Never),
        by_kind,
        newest_good: inventory
            .sets
            .iter()
            .filter(|s| s.kind.is_data_backup() && s.created_at < period.end)
            .find(|s| matches!(s.verification, Verification::Ok { .. }))
            .map(row_of),
        created,
        unreadable: inventory.unreadable.len(),
    }
}

/// The report's view of one set.
fn row_of(set: &SetInfo) -> BackupRow {
    let (verification, verified_at) = match &set.verification {
        Verification::Never => (VerifyState::Never, None),
        Verification::Ok { at, .. } => (VerifyState::Ok, Some(*at)),
        Verification::Failed { at, .. } => (VerifyState::Failed, Some(*at)),
    };
    BackupRow {
        id: set.id.clone(),
        kind: set.kind.as_str().to_string(),
        created_at: set.created_at,
        size: set.size,
        encrypted: set.encrypted,
        verification,
        verified_at,
    }
}
