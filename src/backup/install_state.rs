//! What a real install says about backups before scandyctl made any: the backups Scandy
//! keeps in `<root>/backups`, and whether `backup.dir` exists or sits on a mount point
//! that is not mounted (a backup there would fill the root filesystem instead).

use std::path::{Component, Path, PathBuf};

use chrono::NaiveDateTime;
use serde::Serialize;

use super::inventory::Warning;

/// The backups Scandy itself wrote into `<root>/backups`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScandyOwnBackups {
    /// `<root>/backups`.
    pub dir: PathBuf,
    /// How many backups (files and dump directories) are there.
    pub count: usize,
    /// The newest one's name.
    pub newest: Option<String>,
    /// Its time, from the name (Scandy's local time).
    pub newest_at: Option<NaiveDateTime>,
    /// `scandy_native_backup_*` directories left empty by a failed mongodump.
    pub empty_dumps: usize,
}

/// The time in a Scandy backup name: `scandy_backup_20261202_051315.zip`,
/// `scandy_weekly_backup_…`, `scandy_native_backup_…/`.
pub fn scandy_backup_time(name: &str) -> Option<NaiveDateTime> {
    let rest = [
        "scandy_backup_",
        "scandy_weekly_backup_",
        "scandy_native_backup_",
    ]
    .iter()
    .find_map(|p| name.strip_prefix(p))?;
    let stamp = rest.get(..15)?;
    let tail = &rest[15..];
    if !(tail.is_empty() || [".json", ".zip", ".tar.gz"].contains(&tail)) {
        return None;
    }
    NaiveDateTime::parse_from_str(stamp, "%Y%m%d_%H%M%S").ok()
}

/// Scandy's own backups under `root/backups`; `None` when there are none.
pub fn scan_scandy_backups(root: &Path) -> Option<ScandyOwnBackups> {
    let dir = root.join("backups");
    let entries = std::fs::read_dir(&dir).ok()?;
    let mut found: Vec<(NaiveDateTime, String)> = Vec::new();
    let mut empty_dumps = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(at) = scandy_backup_time(&name) else {
            continue;
        };
        let path = entry.path();
        if name.starts_with("scandy_native_backup_") {
            if !path.is_dir() {
                continue;
            }
            let empty = std::fs::read_dir(&path).map_or(true, |mut d| d.next().is_none());
            empty_dumps += usize::from(empty);
        } else if !path.is_file() {
            continue;
        }
        found.push((at, name));
    }
    if found.is_empty() {
        return None;
    }
    found.sort();
    let newest = found.last().cloned();
    Some(ScandyOwnBackups {
        dir,
        count: found.len(),
        newest_at: newest.as_ref().map(|(at, _)| *at),
        newest: newest.map(|(_, name)| name),
        empty_dumps,
    })
}

/// Whether `backup.dir` can take a backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum BackupDirState {
    /// It exists.
    Exists,
    /// It does not exist yet; the first backup creates it.
    Missing,
    /// It lies under a mount point of `/etc/fstab` that is not mounted.
    Unmounted {
        /// The mount point.
        mount_point: PathBuf,
    },
}

/// The state of `dir` from `/etc/fstab` and `/proc/self/mountinfo`.
pub fn backup_dir_state(dir: &Path) -> BackupDirState {
    let fstab = std::fs::read_to_string("/etc/fstab").unwrap_or_default();
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    backup_dir_state_with(dir, &fstab, &mountinfo)
}

/// [`backup_dir_state`] with the two tables given (for tests).
pub fn backup_dir_state_with(dir: &Path, fstab: &str, mountinfo: &str) -> BackupDirState {
    let dir = normal(dir);
    let mounted: Vec<PathBuf> = mountinfo
        .lines()
        .filter_map(|l| l.split_whitespace().nth(4))
        .map(|p| PathBuf::from(unescape_mount(p)))
        .collect();
    let configured: Vec<PathBuf> = fstab
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let fields: Vec<&str> = l.split_whitespace().collect();
            let (target, kind) = (fields.get(1)?, fields.get(2).copied().unwrap_or(""));
            (target.starts_with('/') && kind != "swap")
                .then(|| PathBuf::from(unescape_mount(target)))
        })
        .collect();
    let deepest = |points: &[PathBuf]| {
        points
            .iter()
            .filter(|p| dir.starts_with(p))
            .max_by_key(|p| p.components().count())
            .cloned()
    };
    if let Some(point) = deepest(&configured)
        && !mounted.contains(&point)
        && deepest(&mounted).is_none_or(|m| m.components().count() < point.components().count())
    {
        return BackupDirState::Unmounted { mount_point: point };
    }
    if dir.is_dir() {
        BackupDirState::Exists
    } else {
        BackupDirState::Missing
    }
}

/// `/a/./b/../c` → `/a/c` without touching the filesystem.
fn normal(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// fstab and mountinfo write a space as `\040`, a tab as `\011`, a backslash as `\134`.
fn unescape_mount(text: &str) -> String {
    text.replace("\\040", " ")
        .replace("\\011", "\t")
        .replace("\\012", "\n")
        .replace("\\134", "\\")
}

/// Adds what the install says to `status` warnings: Scandy's own backups replace "no
/// backup exists yet", and a missing or unmounted `backup.dir` is named.
pub fn add_install_warnings(
    warnings: &mut Vec<Warning>,
    dir: &Path,
    own: Option<&ScandyOwnBackups>,
    state: &BackupDirState,
) {
    if let Some(own) = own
        && let Some(slot) = warnings.iter_mut().find(|w| w.code == "no-backup")
    {
        let newest = own.newest.as_deref().unwrap_or("?");
        *slot = Warning {
            code: "no-backup-scandy-has",
            message: format!(
                "no scandyctl backup yet; Scandy keeps {} backup(s) of its own in {} (newest {newest})",
                own.count,
                own.dir.display()
            ),
            args: vec![
                own.count.to_string(),
                own.dir.display().to_string(),
                newest.into(),
            ],
        };
    }
    if let Some(own) = own.filter(|o| o.empty_dumps > 0) {
        warnings.push(Warning {
            code: "scandy-empty-dump",
            message: format!(
                "{} scandy_native_backup_* director(y/ies) in {} are empty: Scandy's mongodump failed there",
                own.empty_dumps,
                own.dir.display()
            ),
            args: vec![own.empty_dumps.to_string(), own.dir.display().to_string()],
        });
    }
    match state {
        BackupDirState::Exists => {}
        BackupDirState::Missing => warnings.push(Warning {
            code: "backup-dir-missing",
            message: format!(
                "backup.dir {} does not exist yet; the first backup creates it",
                dir.display()
            ),
            args: vec![dir.display().to_string()],
        }),
        BackupDirState::Unmounted { mount_point } => warnings.push(Warning {
            code: "backup-dir-unmounted",
            message: format!(
                "backup.dir {} is on {}, a mount point of /etc/fstab that is not mounted; backups are refused until it is",
                dir.display(),
                mount_point.display()
            ),
            args: vec![dir.display().to_string(), mount_point.display().to_string()],
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MOUNTINFO: &str = "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/vda rw\n\
        30 22 0:5 / /proc rw - proc proc rw\n\
        40 22 8:2 / /mnt/usb\\040disk rw - ext4 /dev/sdb1 rw\n";

    #[test]
    fn unmounted_fstab_mount_point_is_found() {
        let fstab = "# comment\n/dev/sdc1 /backups ext4 defaults,nofail 0 2\n\
                     /dev/sdb1 /mnt/usb\\040disk ext4 defaults 0 2\n/swapfile none swap sw 0 0\n";
        assert_eq!(
            backup_dir_state_with(Path::new("/backups/scandy"), fstab, MOUNTINFO),
            BackupDirState::Unmounted {
                mount_point: "/backups".into()
            }
        );
        // Mounted (the name has an escaped space): fine, then only existence counts.
        assert_eq!(
            backup_dir_state_with(Path::new("/mnt/usb disk/x/../y"), fstab, MOUNTINFO),
            BackupDirState::Missing
        );
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            backup_dir_state_with(dir.path(), fstab, MOUNTINFO),
            BackupDirState::Exists
        );
    }

    #[test]
    fn names_of_scandy_backups() {
        let t = |n: &str| scandy_backup_time(n).map(|t| t.to_string());
        assert_eq!(
            t("scandy_backup_20261202_051315.zip").as_deref(),
            Some("2026-12-02 05:13:15")
        );
        assert!(t("scandy_weekly_backup_20261129_020000.zip").is_some());
        assert!(t("scandy_native_backup_20261202_020000").is_some());
        assert!(t("scandy_backup_20261202_051315.tar.gz").is_some());
        assert!(t("scandy_backup_20261202_051315.json").is_some());
        assert!(t("scandy_backup_20261202_051315.txt").is_none());
        assert!(t("scandy_backup_2026.zip").is_none());
    }

    #[test]
    fn counts_scandy_backups_and_empty_dumps() {
        let root = tempfile::tempdir().unwrap();
        let backups = root.path().join("backups");
        std::fs::create_dir_all(backups.join("scandy_native_backup_20261201_020000")).unwrap();
        std::fs::create_dir_all(backups.join("scandy_native_backup_20261202_020000/scandy"))
            .unwrap();
        std::fs::write(backups.join("scandy_backup_20261202_051315.zip"), b"PK").unwrap();
        std::fs::write(backups.join("scandy_backup_20261130_051315.json"), b"{}").unwrap();
        std::fs::write(backups.join("notes.txt"), b"").unwrap();
        let own = scan_scandy_backups(root.path()).unwrap();
        assert_eq!(own.count, 4);
        assert_eq!(own.empty_dumps, 1);
        assert_eq!(
            own.newest.as_deref(),
            Some("scandy_backup_20261202_051315.zip")
        );
        let mut warnings = vec![Warning {
            code: "no-backup",
            message: "no backup exists yet".into(),
            args: Vec::new(),
        }];
        add_install_warnings(
            &mut warnings,
            Path::new("/backups"),
            Some(&own),
            &BackupDirState::Missing,
        );
        let codes: Vec<&str> = warnings.iter().map(|w| w.code).collect();
        assert_eq!(
            codes,
            vec![
                "no-backup-scandy-has",
                "scandy-empty-dump",
                "backup-dir-missing"
            ]
        );
        assert!(
            !warnings
                .iter()
                .any(|w| w.message.contains("no backup exists"))
        );
        assert!(
            warnings[0].message.contains("4 backup(s)"),
            "{}",
            warnings[0].message
        );
        let empty = tempfile::tempdir().unwrap();
        assert_eq!(scan_scandy_backups(empty.path()), None);
    }
}
