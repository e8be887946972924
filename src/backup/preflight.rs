//! Pre-flight checks before a backup starts: the backup directory is where it should be, and
//! its filesystem holds the estimated size of the new set plus `backup.min_free_percent`.

use std::path::{Path, PathBuf};

use color_eyre::eyre::{Result, WrapErr};
use mongodb::bson::{Bson, doc};
use serde::Serialize;

use super::files::select_files;
use super::inventory::scan_inventory;
use super::manifest::BackupKind;
use crate::config::Config;
use crate::system::disk::{disk_space, human_bytes};

/// Test hook: with this variable set the space check estimates nothing, so a test can fill
/// the disk while a backup streams.
pub const TEST_SKIP_ENV: &str = "SCANDYCTL_TEST_NO_PREFLIGHT";

/// The figures of a space check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpaceCheck {
    /// The backup directory.
    pub dir: PathBuf,
    /// Bytes available to scandyctl on its filesystem.
    pub available: u64,
    /// Size of that filesystem.
    pub total: u64,
    /// Estimated size of the new set.
    pub estimate: u64,
    /// Where the estimate comes from ("the newest full set scandy-…", "database data size
    /// and files").
    pub estimate_source: String,
    /// Bytes that must stay free (`backup.min_free_percent` of the filesystem).
    pub reserve: u64,
}

impl SpaceCheck {
    /// Whether the backup fits with the reserve left free.
    pub fn fits(&self) -> bool {
        self.available >= self.estimate.saturating_add(self.reserve)
    }
}

/// Not enough space: the backup was not started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotEnoughSpace {
    /// The figures.
    pub check: SpaceCheck,
    /// `backup.min_free_percent`.
    pub min_free_percent: u32,
}

impl std::fmt::Display for NotEnoughSpace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let c = &self.check;
        write!(
            f,
            "not enough space for a backup in {}: {} free of {}, the backup needs about {} \
             ({}) and {} ({} %) must stay free; nothing was started",
            c.dir.display(),
            human_bytes(c.available),
            human_bytes(c.total),
            human_bytes(c.estimate),
            c.estimate_source,
            human_bytes(c.reserve),
            self.min_free_percent
        )
    }
}

impl std::error::Error for NotEnoughSpace {}

/// Estimates the new set and measures the backup directory's filesystem; a set that does
/// not fit with `backup.min_free_percent` left free is [`NotEnoughSpace`].
pub async fn check_space(config: &Config, kind: BackupKind) -> Result<SpaceCheck> {
    let dir = config.resolve(&config.backup.dir);
    let (estimate, estimate_source) = if std::env::var_os(TEST_SKIP_ENV).is_some() {
        (0, "not estimated (test hook)".to_string())
    } else {
        estimate(config, &dir, kind).await?
    };
    let space = disk_space(&dir)?;
    let percent = u64::from(config.backup.min_free_percent.min(100));
    let check = SpaceCheck {
        dir,
        available: space.available,
        total: space.total,
        estimate,
        estimate_source,
        reserve: space.total / 100 * percent + space.total % 100 * percent / 100,
    };
    if !check.fits() {
        return Err(NotEnoughSpace {
            check,
            min_free_percent: config.backup.min_free_percent,
        }
        .into());
    }
    Ok(check)
}

/// The size of the newest set of `kind`, else the database's data size plus the files. What
/// cannot be read counts as 0: the backup itself then fails with the full reason.
async fn estimate(config: &Config, dir: &Path, kind: BackupKind) -> Result<(u64, String)> {
    let inventory = scan_inventory(dir)?;
    // An incremental never exceeds a full: without an earlier incremental, the newest full.
    let newest_like = inventory.sets.iter().find(|s| s.kind == kind).or_else(|| {
        inventory
            .sets
            .iter()
            .find(|s| kind == BackupKind::Incremental && s.kind == BackupKind::Full)
    });
    if let Some(set) = newest_like {
        return Ok((
            set.size,
            format!(
                "the size of the newest {} set {}",
                set.kind.as_str(),
                set.id
            ),
        ));
    }
    let data = database_size(config).await.unwrap_or(0);
    let allow_secrets = config.backup.include_secrets
        || !config.backup.recipients.is_empty()
        || config.backup.recipients_file.is_some();
    let files: u64 = select_files(config, allow_secrets)
        .map(|s| s.entries.iter().map(|e| e.size).sum())
        .unwrap_or(0);
    Ok((
        data.saturating_add(files),
        format!(
            "no {} set yet: database data size {} plus files {}",
            kind.as_str(),
            human_bytes(data),
            human_bytes(files)
        ),
    ))
}

/// `dbStats.dataSize` of the configured database.
async fn database_size(config: &Config) -> Result<u64> {
    let client = super::restore::connect_checked(config).await?;
    let stats = client
        .database(&config.mongo.database)
        .run_command(doc! { "dbStats": 1 })
        .await
        .wrap_err_with(|| format!("cannot read the size of database {}", config.mongo.database))?;
    Ok(match stats.get("dataSize") {
        Some(Bson::Int32(n)) => u64::try_from(*n).unwrap_or(0),
        Some(Bson::Int64(n)) => u64::try_from(*n).unwrap_or(0),
        Some(Bson::Double(n)) if *n > 0.0 => *n as u64,
        _ => 0,
    })
}

/// A backup directory that held sets and is gone (an unmounted disk) is refused, and so is
/// one whose parent is missing: the backup is never written to the filesystem below.
pub fn check_dir_present(dir: &Path, held_sets_before: bool) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if held_sets_before {
        color_eyre::eyre::bail!(
            "backup directory {} has vanished (it held the earlier scheduled backups: is its \
             disk unmounted?); not creating it on the filesystem below; nothing was started",
            dir.display()
        );
    }
    if let Some(parent) = dir.parent()
        && !parent.is_dir()
    {
        color_eyre::eyre::bail!(
            "backup directory {} cannot be created: its parent {} does not exist (is a disk \
             unmounted?); nothing was started",
            dir.display(),
            parent.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vanished_directory_is_refused_and_not_created() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("usb/backups");
        let err = check_dir_present(&dir, false).unwrap_err();
        assert!(err.to_string().contains("parent"), "{err}");
        std::fs::create_dir(tmp.path().join("usb")).unwrap();
        assert!(check_dir_present(&dir, false).is_ok());
        let err = check_dir_present(&dir, true).unwrap_err();
        assert!(err.to_string().contains("vanished"), "{err}");
        assert!(!dir.exists());
    }

    #[test]
    fn fits_with_the_reserve() {
        let check = SpaceCheck {
            dir: "/b".into(),
            available: 100,
            total: 1000,
            estimate: 10,
            estimate_source: String::new(),
            reserve: 90,
        };
        assert!(check.fits());
        let tight = SpaceCheck {
            estimate: 11,
            ..check
        };
        assert!(!tight.fits());
        let shown = NotEnoughSpace {
            check: tight,
            min_free_percent: 9,
        }
        .to_string();
        assert!(shown.contains("nothing was started"), "{shown}");
    }
}
