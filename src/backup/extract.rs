//! Safe reading of untrusted tar archives: scanning (verify, dry runs) and extracting.
//!
//! Refused, naming the entry: absolute paths, `..` components, symlinks that are absolute or
//! resolve outside the target, hard links, devices, fifos, paths through an existing symlink,
//! more bytes or entries than the limits allow. Nothing is ever written outside the target:
//! no link is followed while writing, files appear under their real name only via rename.

use std::cell::Cell;
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use color_eyre::eyre::{Result, WrapErr, bail, eyre};
use serde::{Deserialize, Serialize};

use crate::sanitize::escape_controls;

mod guard;
use guard::{Counted, GapReader, escape_reason, normal_entry_path};

/// What a tar entry is (anything else is refused).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum EntryKind {
    /// Regular file.
    File,
    /// Directory.
    Dir,
    /// Symbolic link with its (relative) target.
    Symlink {
        /// The link target as stored.
        target: String,
    },
}

/// One checked tar entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TarEntryInfo {
    /// Normalised relative path (`./` and trailing `/` removed).
    pub path: String,
    /// Content bytes (0 for directories and symlinks).
    pub size: u64,
    /// Permission bits from the header.
    pub mode: u32,
    /// Modification time, seconds since the epoch.
    pub mtime: u64,
    /// File, directory or symlink.
    pub kind: EntryKind,
}

impl TarEntryInfo {
    /// Whether this entry is a regular file.
    pub fn is_file(&self) -> bool {
        self.kind == EntryKind::File
    }
}

/// Bounds against decompression bombs and hostile archives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtractLimits {
    /// Most content bytes (all entries together) that may be read.
    pub max_total_bytes: u64,
    /// Most entries (files, directories, symlinks) an archive may hold.
    pub max_entries: u64,
}

/// What [`extract_tar`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtractReport {
    /// Every file and symlink written (including those that replaced an existing path).
    pub written: Vec<PathBuf>,
    /// The subset of `written` that replaced something already there.
    pub overwritten: Vec<PathBuf>,
    /// Content bytes written.
    pub bytes: u64,
}

/// Reads every entry of a tar stream fully and checks it like [`extract_tar`] would.
pub fn scan_tar(reader: impl Read, limits: &ExtractLimits) -> Result<Vec<TarEntryInfo>> {
    let mut entries = Vec::new();
    let mut links: HashMap<String, String> = HashMap::new();
    walk(reader, limits, |info, data| {
        let parts: Vec<&str> = info.path.split('/').collect();
        for end in 1..parts.len() {
            let prefix = parts[..end].join("/");
            if links.contains_key(&prefix) {
                bail!(
                    "refusing tar entry {}: it goes through the symlink {}",
                    shown(&info.path),
                    shown(&prefix)
                );
            }
        }
        io::copy(data, &mut io::sink())
            .wrap_err_with(|| format!("cannot read tar entry {}", shown(&info.path)))?;
        match &info.kind {
            EntryKind::Symlink { target } => links.insert(info.path.clone(), target.clone()),
            _ => links.remove(&info.path),
        };
        entries.push(info.clone());
        Ok(())
    })?;
    for (link, target) in &links {
        if let Some(why) = escape_reason(link, target, |p| links.get(p).cloned()) {
            bail!(
                "refusing symlink {} -> {}: {why}",
                shown(link),
                shown(target)
            );
        }
    }
    Ok(entries)
}

/// Extracts a tar stream below `target` (which must exist), for entries `filter` accepts.
/// Every entry is checked, accepted or not. On error, entries already extracted stay.
pub fn extract_tar(
    reader: impl Read,
    target: &Path,
    limits: &ExtractLimits,
    filter: &dyn Fn(&str) -> bool,
) -> Result<ExtractReport> {
    let root = std::fs::canonicalize(target)
        .wrap_err_with(|| format!("cannot open {}", target.display()))?;
    if !root.is_dir() {
        bail!("cannot extract into {}: not a directory", target.display());
    }
    let mut report = ExtractReport::default();
    let mut dirs: Vec<(PathBuf, u32, u64)> = Vec::new();
    let mut links: Vec<(String, String)> = Vec::new();
    walk(reader, limits, |info, data| {
        if info.path.is_empty() || !filter(&info.path) {
            return Ok(());
        }
        let dest = root.join(&info.path);
        let shown_path = target.join(&info.path);
        prepare_parents(&root, &info.path)?;
        let existing = std::fs::symlink_metadata(&dest).ok();
        match &info.kind {
            EntryKind::Dir => {
                match &existing {
                    Some(meta) if meta.is_dir() => {}
                    Some(_) => bail!(
                        "cannot extract directory {}: a file or symlink is in the way",
                        shown_path.display()
                    ),
                    None => std::fs::create_dir(&dest).wrap_err_with(|| {
                        format!("cannot create directory {}", shown_path.display())
                    })?,
                }
                dirs.push((dest, info.mode, info.mtime));
                return Ok(());
            }
            EntryKind::File => {
                if existing.as_ref().is_some_and(|m| m.is_dir()) {
                    bail!(
                        "cannot extract file {}: a directory is in the way",
                        shown_path.display()
                    );
                }
                report.bytes += write_file(&dest, data, info)
                    .wrap_err_with(|| format!("cannot extract {}", shown_path.display()))?;
            }
            EntryKind::Symlink {
                target: link_target,
            } => {
                if existing.as_ref().is_some_and(|m| m.is_dir()) {
                    bail!(
                        "cannot extract symlink {}: a directory is in the way",
                        shown_path.display()
                    );
                }
                write_symlink(&dest, link_target)
                    .wrap_err_with(|| format!("cannot create symlink {}", shown_path.display()))?;
                links.push((info.path.clone(), link_target.clone()));
            }
        }
        if existing.is_some() {
            report.overwritten.push(shown_path.clone());
        }
        report.written.push(shown_path);
        Ok(())
    })?;
    // Links checked one by one can still escape together (`a -> .`, `b -> a/..`): check
    // every link against what is on disk now and remove the ones that escape.
    let on_disk = |p: &str| -> Option<String> {
        let path = root.join(p);
        let meta = std::fs::symlink_metadata(&path).ok()?;
        if !meta.file_type().is_symlink() {
            return None;
        }
        Some(
            std::fs::read_link(&path)
                .ok()?
                .to_str()
                .map(str::to_string)
                .unwrap_or_else(|| "/".into()),
        )
    };
    for (link, link_target) in &links {
        if let Some(why) = escape_reason(link, link_target, on_disk) {
            let _ = std::fs::remove_file(root.join(link));
            bail!(
                "refusing symlink {} -> {}: {why} (removed it)",
                shown(link),
                shown(link_target)
            );
        }
    }
    dirs.sort_by_key(|(path, _, _)| std::cmp::Reverse(path.components().count()));
    for (dir, mode, mtime) in dirs {
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(mode & 0o777))
            .wrap_err_with(|| format!("cannot set the mode of {}", dir.display()))?;
        if let Ok(handle) = File::open(&dir) {
            handle
                .set_modified(epoch(mtime))
                .wrap_err_with(|| format!("cannot set the mtime of {}", dir.display()))?;
        }
    }
    Ok(report)
}

/// Why a symlink at `link` (relative to an extraction root) pointing to `target` would lead
/// outside the root, following further links through `lookup`; `None` when it stays inside.
pub fn symlink_escape_reason(
    link: &str,
    target: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Option<String> {
    escape_reason(link, target, lookup)
}

/// Splits scanned entries into paths that would be added and paths that would be replaced.
pub fn plan_extract(entries: &[TarEntryInfo], target: &Path) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let mut added = Vec::new();
    let mut overwritten = Vec::new();
    for entry in entries
        .iter()
        .filter(|e| !e.path.is_empty() && e.kind != EntryKind::Dir)
    {
        let path = target.join(&entry.path);
        if std::fs::symlink_metadata(&path).is_ok() {
            overwritten.push(path);
        } else {
            added.push(path);
        }
    }
    (added, overwritten)
}

/// Runs `visit` for every checked entry with a reader of its content (bounded by the limits),
/// then reads the rest of the stream so compression and encryption trailers are verified.
fn walk(
    reader: impl Read,
    limits: &ExtractLimits,
    mut visit: impl FnMut(&TarEntryInfo, &mut dyn Read) -> Result<()>,
) -> Result<()> {
    let gap = Rc::new(Cell::new(Some(0u64)));
    let mut archive = tar::Archive::new(GapReader {
        inner: reader,
        gap: gap.clone(),
    });
    let mut total = 0u64;
    let mut count = 0u64;
    let entries = archive
        .entries()
        .map_err(|e| eyre!("cannot read the tar archive: {e}"))?;
    for entry in entries {
        let mut entry =
            entry.map_err(|e| eyre!("cannot read the tar archive after {count} entries: {e}"))?;
        count += 1;
        if count > limits.max_entries {
            bail!(
                "the archive holds more than {} entries; refusing it",
                limits.max_entries
            );
        }
        let Some(info) = check_entry(&entry)? else {
            gap.set(None);
            io::copy(
                &mut Counted {
                    inner: &mut entry,
                    total: &mut total,
                    max: limits.max_total_bytes,
                },
                &mut io::sink(),
            )
            .wrap_err("cannot read the tar archive")?;
            gap.set(Some(0));
            continue;
        };
        if info.is_file() && total.saturating_add(info.size) > limits.max_total_bytes {
            bail!(
                "refusing tar entry {}: {} bytes would exceed the limit of {} bytes",
                shown(&info.path),
                info.size,
                limits.max_total_bytes
            );
        }
        gap.set(None);
        let mut data = Counted {
            inner: &mut entry,
            total: &mut total,
            max: limits.max_total_bytes,
        };
        visit(&info, &mut data)?;
        io::copy(&mut data, &mut io::sink())
            .wrap_err_with(|| format!("cannot read tar entry {}", shown(&info.path)))?;
        gap.set(Some(0));
    }
    let mut rest = archive.into_inner();
    io::copy(&mut rest, &mut io::sink()).wrap_err("cannot read the end of the archive")?;
    Ok(())
}

/// Checks one entry's type, path and link target; `None` for entries to pass over.
fn check_entry<R: Read>(entry: &tar::Entry<'_, R>) -> Result<Option<TarEntryInfo>> {
    let raw = String::from_utf8(entry.path_bytes().into_owned()).map_err(|e| {
        eyre!(
            "refusing tar entry {}: the name is not UTF-8",
            shown(&String::from_utf8_lossy(e.as_bytes()))
        )
    })?;
    let header = entry.header();
    let refuse = |why: &str| eyre!("refusing tar entry {}: {why}", shown(&raw));
    let kind = match header.entry_type() {
        tar::EntryType::Regular | tar::EntryType::Continuous => EntryKind::File,
        tar::EntryType::Directory => EntryKind::Dir,
        tar::EntryType::Symlink => {
            let target = entry
                .link_name_bytes()
                .ok_or_else(|| refuse("symlink without a target"))?;
            let target = String::from_utf8(target.into_owned())
                .map_err(|_| refuse("symlink target is not UTF-8"))?;
            EntryKind::Symlink { target }
        }
        tar::EntryType::XGlobalHeader => return Ok(None),
        tar::EntryType::Link => return Err(refuse("hard links are not allowed")),
        tar::EntryType::Char => return Err(refuse("character devices are not allowed")),
        tar::EntryType::Block => return Err(refuse("block devices are not allowed")),
        tar::EntryType::Fifo => return Err(refuse("fifos are not allowed")),
        other => {
            return Err(refuse(&format!(
                "unsupported entry type {:?}",
                other.as_byte() as char
            )));
        }
    };
    let path = normal_entry_path(&raw).map_err(&refuse)?;
    if path.is_empty() && kind != EntryKind::Dir {
        return Err(refuse("empty path"));
    }
    if let EntryKind::Symlink { target } = &kind {
        if target.is_empty() || target.starts_with('/') {
            return Err(refuse(&format!(
                "symlink to {} is absolute or empty",
                shown(target)
            )));
        }
        if let Some(why) = escape_reason(&path, target, |_| None) {
            return Err(refuse(&format!("symlink to {}: {why}", shown(target))));
        }
    }
    let size = if kind == EntryKind::File {
        entry.size()
    } else {
        0
    };
    let mode = header
        .mode()
        .map_err(|e| refuse(&format!("bad mode: {e}")))?
        & 0o7777;
    let mtime = header.mtime().unwrap_or(0);
    Ok(Some(TarEntryInfo {
        path,
        size,
        mode,
        mtime,
        kind,
    }))
}

/// Creates the missing parent directories of `rel` below `root`, refusing to pass through
/// a symlink or a non-directory.
fn prepare_parents(root: &Path, rel: &str) -> Result<()> {
    let mut current = root.to_path_buf();
    let parts: Vec<&str> = rel.split('/').collect();
    for part in &parts[..parts.len().saturating_sub(1)] {
        current.push(part);
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                bail!(
                    "refusing tar entry {}: it goes through the symlink {}",
                    shown(rel),
                    current.display()
                )
            }
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => bail!(
                "cannot extract {}: {} is not a directory",
                shown(rel),
                current.display()
            ),
            Err(e) if e.kind() == io::ErrorKind::NotFound => match std::fs::create_dir(&current) {
                Ok(()) => {}
                Err(e)
                    if e.kind() == io::ErrorKind::AlreadyExists
                        && current.is_dir()
                        && !current.is_symlink() => {}
                Err(e) => {
                    return Err(e).wrap_err_with(|| {
                        format!("cannot create directory {}", current.display())
                    });
                }
            },
            Err(e) => {
                return Err(e).wrap_err_with(|| format!("cannot inspect {}", current.display()));
            }
        }
    }
    Ok(())
}

/// A temporary name in the directory of `dest` (short: works for names up to NAME_MAX).
fn temp_name(dest: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    dest.with_file_name(format!(".scandyctl-tmp-{}-{n}", std::process::id()))
}

/// Writes a file via a temporary name, sets mode and mtime, fsyncs, renames into place.
fn write_file(dest: &Path, data: &mut dyn Read, info: &TarEntryInfo) -> Result<u64> {
    let temp = temp_name(dest);
    let result = (|| -> Result<u64> {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&temp)
            .wrap_err_with(|| format!("cannot create {}", temp.display()))?;
        let written = io::copy(data, &mut file)?;
        file.set_permissions(std::fs::Permissions::from_mode(info.mode & 0o777))?;
        file.set_modified(epoch(info.mtime))?;
        file.sync_all()?;
        std::fs::rename(&temp, dest)?;
        Ok(written)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// Creates a symlink via a temporary name and renames it over `dest`.
fn write_symlink(dest: &Path, target: &str) -> Result<()> {
    let temp = temp_name(dest);
    std::os::unix::fs::symlink(target, &temp)?;
    if let Err(e) = std::fs::rename(&temp, dest) {
        let _ = std::fs::remove_file(&temp);
        return Err(e.into());
    }
    Ok(())
}

fn epoch(seconds: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(seconds)
}

fn shown(text: &str) -> String {
    escape_controls(text).into_owned()
}
