//! The legacy inventory: every legacy backup in the backup directory and `backup.legacy_dirs`,
//! with stable ids.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Local, NaiveDateTime, TimeZone, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::detect::{Classification, classify};
use super::{LegacyBackup, LegacyFormat, TimeSource};
use crate::backup::install_state::scandy_backup_time;
use crate::config::Config;

/// Everything legacy found in the scanned directories.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LegacyInventory {
    /// The directories scanned (canonical where possible), in order.
    pub dirs: Vec<PathBuf>,
    /// Recognised backups, newest first.
    pub backups: Vec<LegacyBackup>,
    /// Entries that look like backups but are no known format, with the reason.
    pub unknown: Vec<UnknownEntry>,
}

/// An entry scandyctl could not recognise (left untouched).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnknownEntry {
    /// The file or directory.
    pub path: PathBuf,
    /// Why it is not recognised.
    pub reason: String,
}

impl LegacyInventory {
    /// Finds a backup by id.
    pub fn find(&self, id: &str) -> Option<&LegacyBackup> {
        self.backups.iter().find(|b| b.id == id)
    }

    /// The newest backup that is not a failed (empty) dump.
    pub fn newest_usable(&self) -> Option<&LegacyBackup> {
        self.backups.iter().find(|b| !b.failed)
    }
}

/// The directories a config's legacy scan covers: `backup.dir`, then `backup.legacy_dirs`
/// (relative ones under `scandy.root`), without duplicates.
pub fn legacy_dirs(config: &Config) -> Vec<PathBuf> {
    let mut dirs = vec![config.resolve(&config.backup.dir)];
    dirs.extend(config.backup.legacy_dirs.iter().map(|d| config.resolve(d)));
    dedupe(dirs)
}

fn dedupe(dirs: Vec<PathBuf>) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    for dir in dirs {
        let canonical = std::fs::canonicalize(&dir).unwrap_or(dir);
        if !out.contains(&canonical) {
            out.push(canonical);
        }
    }
    out
}

/// A naive local time (how Scandy names its backups) as UTC.
pub fn local_to_utc(naive: NaiveDateTime) -> DateTime<Utc> {
    Local
        .from_local_datetime(&naive)
        .earliest()
        .map_or_else(|| Utc.from_utc_datetime(&naive), |t| t.with_timezone(&Utc))
}

/// The stable id of a backup at `path` (and `member` of a weekly ZIP) taken at `at`.
pub fn legacy_id(path: &Path, member: Option<&str>, at: DateTime<Utc>) -> String {
    let mut hasher = Sha256::new();
    hasher.update(path.as_os_str().as_encoded_bytes());
    if let Some(member) = member {
        hasher.update([0u8]);
        hasher.update(member.as_bytes());
    }
    let digest = hasher.finalize();
    let hex: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    format!("legacy-{}-{hex}", at.format("%Y%m%dT%H%M%S"))
}

fn mtime(path: &Path) -> DateTime<Utc> {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .map(DateTime::<Utc>::from)
        .unwrap_or_default()
}

fn size_of(path: &Path) -> u64 {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return 0;
    };
    if !meta.is_dir() {
        return meta.len();
    }
    walk_size(path)
}

fn walk_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => walk_size(&e.path()),
            Ok(t) if t.is_file() => e.metadata().map_or(0, |m| m.len()),
            _ => 0,
        })
        .sum()
}

fn json_meta_time(path: &Path, format: LegacyFormat) -> Option<NaiveDateTime> {
    if !matches!(
        format,
        LegacyFormat::ScandyJsonV1 | LegacyFormat::ScandyJsonV2
    ) {
        return None;
    }
    let file = std::fs::File::open(path).ok()?;
    super::json::read_json_info(std::io::BufReader::new(file), &path.display().to_string())
        .ok()?
        .created_at
}

/// When a backup was taken, and where that came from: its name, else its metadata, else
/// the file's modification time.
fn backup_time(
    path: &Path,
    name: &str,
    meta_time: Option<NaiveDateTime>,
    format: LegacyFormat,
) -> (DateTime<Utc>, TimeSource) {
    if let Some(at) = scandy_backup_time(name) {
        return (local_to_utc(at), TimeSource::Name);
    }
    if let Some(at) = meta_time.or_else(|| json_meta_time(path, format)) {
        return (local_to_utc(at), TimeSource::Metadata);
    }
    (mtime(path), TimeSource::Mtime)
}

/// Scans `dirs` (missing ones are skipped) for legacy backups.
pub fn scan_legacy(dirs: &[PathBuf]) -> LegacyInventory {
    let mut inventory = LegacyInventory {
        dirs: dirs.to_vec(),
        ..LegacyInventory::default()
    };
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        for path in paths {
            scan_entry(&path, &mut inventory);
        }
    }
    inventory
        .backups
        .sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.id.cmp(&b.id)));
    inventory
}

/// What one path in a backup directory is, as the legacy inventory sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum PathKind {
    /// A scandyctl set or its leftovers.
    OwnSet,
    /// Nothing that looks like a backup.
    Ignored,
    /// Looks like a backup, but no known format (the reason).
    Unknown(String),
    /// Legacy backups (several for a weekly ZIP: one per member).
    Legacy(Vec<LegacyBackup>),
}

/// Classifies `path` and builds its inventory entries (ids from the path as given).
pub fn entries_at(path: &Path) -> PathKind {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let detected = match classify(path) {
        Classification::OwnSet => return PathKind::OwnSet,
        Classification::Ignored => return PathKind::Ignored,
        Classification::Unknown(reason) => return PathKind::Unknown(reason),
        Classification::Legacy(detected) => detected,
    };
    if detected.format == LegacyFormat::ScandyZipWeekly {
        let members = detected
            .members
            .iter()
            .map(|(member, size)| {
                let (created_at, time_source) = match scandy_backup_time(base_name(member)) {
                    Some(at) => (local_to_utc(at), TimeSource::Name),
                    None => (mtime(path), TimeSource::Mtime),
                };
                LegacyBackup {
                    id: legacy_id(path, Some(member), created_at),
                    format: detected.format,
                    path: path.to_path_buf(),
                    member: Some(member.clone()),
                    created_at,
                    time_source,
                    size: *size,
                    failed: false,
                }
            })
            .collect();
        return PathKind::Legacy(members);
    }
    let (created_at, time_source) = backup_time(path, &name, detected.meta_time, detected.format);
    PathKind::Legacy(vec![LegacyBackup {
        id: legacy_id(path, None, created_at),
        format: detected.format,
        path: path.to_path_buf(),
        member: None,
        created_at,
        time_source,
        size: size_of(path),
        failed: detected.failed,
    }])
}

fn scan_entry(path: &Path, inventory: &mut LegacyInventory) {
    match entries_at(path) {
        PathKind::OwnSet | PathKind::Ignored => {}
        PathKind::Unknown(reason) => inventory.unknown.push(UnknownEntry {
            path: path.to_path_buf(),
            reason,
        }),
        PathKind::Legacy(backups) => inventory.backups.extend(backups),
    }
}

fn base_name(member: &str) -> &str {
    member.rsplit('/').next().unwrap_or(member)
}
