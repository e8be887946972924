//! Everything the console's Backups tab shows about a backup directory, read in one scan.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use color_eyre::eyre::Result;

use super::install_state::{add_install_warnings, backup_dir_state, scan_scandy_backups};
use super::inventory::{
    BackupOverview, Inventory, SetInfo, Verification, Warning, scan_inventory_detailed,
    status_warnings, summarize,
};
use super::legacy::check::LegacyVerifyReport;
use super::legacy::scan::{LegacyInventory, scan_legacy};
use super::manifest::Manifest;
use super::verify::VerifyReport;
use crate::system::disk::DiskSpace;

/// The manifest and the last verification record of one set.
#[derive(Debug, Clone, PartialEq)]
pub struct SetDetail {
    /// The parsed `manifest.json`.
    pub manifest: Manifest,
    /// The parsed `verify.json`, when the set was ever verified.
    pub verify: Option<VerifyReport>,
}

/// A backup directory as seen at one moment: inventory, per-set details and warnings.
#[derive(Debug, Clone, PartialEq)]
pub struct BackupsSnapshot {
    /// The directory that was scanned.
    pub dir: PathBuf,
    /// When the scan ran.
    pub scanned_at: DateTime<Utc>,
    /// Sets (newest first), `.partial` leftovers and unreadable directories.
    pub inventory: Inventory,
    /// Manifest and verification record of each set, by set id.
    pub details: BTreeMap<String, SetDetail>,
    /// Warnings as `status` shows them.
    pub warnings: Vec<Warning>,
    /// Legacy backups (Scandy's own, mongodump output) in the scanned directories.
    pub legacy: LegacyInventory,
    /// Their last verification records (from the state directory), by legacy id.
    pub legacy_verify: BTreeMap<String, LegacyVerifyReport>,
    /// The point-in-time window of the newest data backup's database (oplog slices).
    pub window: super::pitr::window::Window,
}

impl BackupsSnapshot {
    /// The manifest and verification record of set `id`.
    pub fn detail(&self, id: &str) -> Option<&SetDetail> {
        self.details.get(id)
    }

    /// The Overview's one-glance summary of this snapshot.
    pub fn overview(&self) -> BackupOverview {
        summarize(&self.inventory, self.warnings.clone())
    }

    /// The newest set that is not a safety backup (the "last successful backup").
    pub fn newest_backup(&self) -> Option<&SetInfo> {
        self.inventory.sets.iter().find(|s| s.kind.is_data_backup())
    }

    /// The newest set a recovery would start from: not a safety backup, and its last
    /// verification did not fail (passed, or never ran).
    pub fn newest_good(&self) -> Option<&SetInfo> {
        self.inventory.sets.iter().find(|s| {
            s.kind.is_data_backup() && !matches!(s.verification, Verification::Failed { .. })
        })
    }
}

/// Scans `dir` once: inventory, manifests, verification records and warnings at `now`
/// (interrupted restores among them); with the install's root, Scandy's own backups and
/// the directory's state are named too. `legacy_dirs` are scanned for legacy backups.
pub fn scan_snapshot(
    dir: &Path,
    space: Option<&DiskSpace>,
    now: DateTime<Utc>,
    scandy_root: Option<&Path>,
    legacy_dirs: &[PathBuf],
) -> Result<BackupsSnapshot> {
    let (inventory, details) = scan_inventory_detailed(dir)?;
    let mut warnings = status_warnings(&inventory, space, now);
    let own = scandy_root.and_then(scan_scandy_backups);
    add_install_warnings(&mut warnings, dir, own.as_ref(), &backup_dir_state(dir));
    warnings.extend(super::restore::read_restore_statuses(dir).warnings());
    let legacy = scan_legacy(legacy_dirs);
    let state = crate::state::state_dir();
    let legacy_verify = legacy
        .backups
        .iter()
        .filter_map(|b| super::legacy::store::read_record(&state, &b.id).map(|r| (b.id.clone(), r)))
        .collect();
    let database = inventory
        .sets
        .iter()
        .find(|s| s.kind.is_data_backup())
        .and_then(|s| details.get(&s.id))
        .map(|d| d.manifest.database.database.clone());
    let window = match database {
        Some(database)
            if details
                .values()
                .any(|d| d.manifest.kind == super::manifest::BackupKind::Oplog) =>
        {
            let manifests: Vec<_> = details.values().map(|d| d.manifest.clone()).collect();
            super::pitr::window::window_of(&manifests, &database)
        }
        _ => Default::default(),
    };
    Ok(BackupsSnapshot {
        dir: dir.to_path_buf(),
        scanned_at: now,
        inventory,
        details,
        warnings,
        legacy,
        legacy_verify,
        window,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_directory_is_an_empty_snapshot_with_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nothing-here");
        let snapshot = scan_snapshot(&missing, None, Utc::now(), None, &[]).unwrap();
        assert!(snapshot.inventory.sets.is_empty());
        assert!(snapshot.details.is_empty());
        assert!(snapshot.newest_good().is_none());
        assert_eq!(snapshot.overview().warnings[0].code, "no-backup");
        assert!(
            snapshot
                .warnings
                .iter()
                .any(|w| w.code == "backup-dir-missing")
        );
    }

    #[test]
    fn partial_leftovers_are_listed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("scandy-20261126T020000Z-full.partial")).unwrap();
        let snapshot = scan_snapshot(dir.path(), None, Utc::now(), None, &[]).unwrap();
        assert_eq!(snapshot.inventory.partials.len(), 1);
        assert!(snapshot.warnings.iter().any(|w| w.code == "partial-left"));
    }
}
