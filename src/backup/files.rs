//! Which files go into a backup (uploads, config files, logs) and the tar stream holding them.
//!
//! Symlinks are never followed: a link is stored as a link when it points inside the Scandy
//! root, otherwise it is skipped with a reason. Files holding secrets are skipped unless the
//! caller allows them (encrypted backups or `include_secrets`). No message holds a secret value.

use std::collections::BTreeMap;
use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Component, Path, PathBuf};

use color_eyre::eyre::{Result, WrapErr, bail};
use serde::{Deserialize, Serialize};

use super::extract::EntryKind;
use crate::config::{Config, os_reason};

mod secrets;
use secrets::{secret_keys, secret_name};

/// The part of a Scandy install a file belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileCategory {
    /// `backup.uploads`: user uploads.
    Uploads,
    /// `backup.config_files`: `.env`, `docker-compose.yml`, …
    Config,
    /// `backup.log_dirs`: logs including rotated ones.
    Logs,
}

/// One file, directory or symlink to put into the tar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Where it is on disk.
    pub source: PathBuf,
    /// Path inside the tar: relative to `scandy.root`, or `external/<absolute path>`.
    pub archive_path: String,
    /// Uploads, config or logs.
    pub category: FileCategory,
    /// Size in bytes at selection time (0 for directories and symlinks).
    pub size: u64,
    /// File, directory or symlink (with its target rewritten relative to the link).
    pub kind: EntryKind,
}

/// Something left out of the backup, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedFile {
    /// The path on disk.
    pub path: PathBuf,
    /// Why it was left out (never holds a secret value).
    pub reason: String,
}

/// The result of [`select_files`]: entries sorted by `archive_path`, and what was skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileSelection {
    /// What goes into the tar, sorted by `archive_path` (directories before their content).
    pub entries: Vec<FileEntry>,
    /// What was left out.
    pub skipped: Vec<SkippedFile>,
}

/// What [`write_files_tar`] wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TarSummary {
    /// Regular files in the tar.
    pub files: u64,
    /// Bytes of file content in the tar (sum of the file entries' sizes).
    pub bytes: u64,
    /// Files that changed while being archived (vanished, shrank, changed type).
    pub notes: Vec<String>,
}

/// The hint every "skipped because of secrets" reason ends with.
const SECRET_HINT: &str = "set [backup] recipients to encrypt backups, or include_secrets = true";
/// How often (in bytes) progress is reported during long copies.
const PROGRESS_STEP: u64 = 1 << 20;

/// Collects the configured uploads, config files and log directories below `scandy.root`.
/// Missing paths and unsafe symlinks are skipped with a reason; unreadable files are errors.
pub fn select_files(config: &Config, allow_secrets: bool) -> Result<FileSelection> {
    let root = absolute_normal(&config.scandy.root);
    let mut selector = Selector {
        backup_dir: absolute_normal(&config.resolve(&config.backup.dir)),
        root,
        allow_secrets,
        entries: BTreeMap::new(),
        skipped: Vec::new(),
    };
    for path in &config.backup.uploads {
        selector.add_tree(
            &absolute_normal(&config.resolve(path)),
            FileCategory::Uploads,
        )?;
    }
    for path in &config.backup.config_files {
        selector.add_config_file(&absolute_normal(&config.resolve(path)))?;
    }
    for path in &config.backup.log_dirs {
        selector.add_tree(&absolute_normal(&config.resolve(path)), FileCategory::Logs)?;
    }
    Ok(FileSelection {
        entries: selector.entries.into_values().collect(),
        skipped: selector.skipped,
    })
}

struct Selector {
    root: PathBuf,
    backup_dir: PathBuf,
    allow_secrets: bool,
    entries: BTreeMap<String, FileEntry>,
    skipped: Vec<SkippedFile>,
}

impl Selector {
    fn skip(&mut self, path: &Path, reason: impl Into<String>) {
        self.skipped.push(SkippedFile {
            path: path.to_path_buf(),
            reason: reason.into(),
        });
    }

    /// Metadata without following links; `None` (and a skip) when the path does not exist.
    fn stat(&mut self, path: &Path) -> Result<Option<Metadata>> {
        match std::fs::symlink_metadata(path) {
            Ok(meta) => Ok(Some(meta)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                self.skip(path, "does not exist");
                Ok(None)
            }
            Err(e) => Err(io_error("cannot read", path, &e)),
        }
    }

    fn add_tree(&mut self, top: &Path, category: FileCategory) -> Result<()> {
        let mut stack = vec![top.to_path_buf()];
        while let Some(path) = stack.pop() {
            if path.starts_with(&self.backup_dir) {
                self.skip(&path, "is the backup directory (or inside it)");
                continue;
            }
            let Some(meta) = self.stat(&path)? else {
                continue;
            };
            if meta.is_dir() {
                let children = std::fs::read_dir(&path)
                    .map_err(|e| io_error("cannot list directory", &path, &e))?;
                for child in children {
                    let child = child.map_err(|e| io_error("cannot list directory", &path, &e))?;
                    stack.push(child.path());
                }
                self.add(&path, category, &meta, EntryKind::Dir);
            } else {
                self.add_non_dir(&path, category, &meta)?;
            }
        }
        Ok(())
    }

    fn add_config_file(&mut self, path: &Path) -> Result<()> {
        let Some(meta) = self.stat(path)? else {
            return Ok(());
        };
        if meta.is_dir() {
            bail!(
                "cannot read {}: is a directory, not a file (fix [backup] config_files)",
                path.display()
            );
        }
        if meta.is_file() && !self.allow_secrets {
            let file = open_nofollow(path).map_err(|e| io_error("cannot read", path, &e))?;
            let keys = secret_keys(file).map_err(|e| io_error("cannot read", path, &e))?;
            if !keys.is_empty() {
                self.skip(
                    path,
                    format!("holds secrets ({}); {SECRET_HINT}", keys.join(", ")),
                );
                return Ok(());
            }
        }
        self.add_non_dir(path, FileCategory::Config, &meta)
    }

    fn add_non_dir(&mut self, path: &Path, category: FileCategory, meta: &Metadata) -> Result<()> {
        let kind = meta.file_type();
        if kind.is_symlink() {
            return self.add_symlink(path, category);
        }
        if !kind.is_file() {
            self.skip(
                path,
                format!("is a {}, not a regular file", special_kind(meta)),
            );
            return Ok(());
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !self.allow_secrets
            && let Some(what) = secret_name(&name)
        {
            self.skip(
                path,
                format!("is {what} and may hold secrets; {SECRET_HINT}"),
            );
            return Ok(());
        }
        // Fail now, before a long database dump, when a file cannot be read.
        open_nofollow(path).map_err(|e| io_error("cannot read", path, &e))?;
        self.add(path, category, meta, EntryKind::File);
        Ok(())
    }

    fn add_symlink(&mut self, path: &Path, category: FileCategory) -> Result<()> {
        let target =
            std::fs::read_link(path).map_err(|e| io_error("cannot read symlink", path, &e))?;
        let parent = path.parent().unwrap_or(Path::new("/"));
        let resolved = normalize(&parent.join(&target));
        if !resolved.starts_with(&self.root) {
            self.skip(
                path,
                format!(
                    "is a symlink to {} outside the Scandy root {}; not followed",
                    target.display(),
                    self.root.display()
                ),
            );
            return Ok(());
        }
        let (Some(link_at), Some(points_to)) =
            (self.archive_path(path), self.archive_path(&resolved))
        else {
            self.skip(path, "name is not valid UTF-8");
            return Ok(());
        };
        let from_dir: Vec<&str> = link_at.split('/').filter(|c| !c.is_empty()).collect();
        let from_dir = &from_dir[..from_dir.len().saturating_sub(1)];
        let to: Vec<&str> = points_to.split('/').filter(|c| !c.is_empty()).collect();
        let target = relative_path(from_dir, &to);
        let meta =
            std::fs::symlink_metadata(path).map_err(|e| io_error("cannot read", path, &e))?;
        self.add(path, category, &meta, EntryKind::Symlink { target });
        Ok(())
    }

    fn add(&mut self, path: &Path, category: FileCategory, meta: &Metadata, kind: EntryKind) {
        let Some(archive_path) = self.archive_path(path) else {
            self.skip(path, "name is not valid UTF-8");
            return;
        };
        if archive_path.is_empty() {
            return; // the Scandy root itself: nothing to store for it
        }
        let size = if matches!(kind, EntryKind::File) {
            meta.len()
        } else {
            0
        };
        let entry = FileEntry {
            source: path.to_path_buf(),
            archive_path: archive_path.clone(),
            category,
            size,
            kind,
        };
        self.entries.entry(archive_path).or_insert(entry);
    }

    /// `app/logs/app.log` for paths under the root, `external/var/log/x` otherwise.
    fn archive_path(&self, path: &Path) -> Option<String> {
        let (prefix, rel) = match path.strip_prefix(&self.root) {
            Ok(rel) => ("", rel),
            Err(_) => ("external/", path.strip_prefix("/").unwrap_or(path)),
        };
        let rel = rel.to_str()?;
        Some(if rel.is_empty() && prefix.is_empty() {
            String::new()
        } else {
            format!("{prefix}{rel}")
        })
    }
}

/// Writes the selection as a tar (GNU headers, long names, mode, mtime, uid/gid kept) to `out`.
/// Files are streamed; a file that shrank while being read is padded with zeros (noted),
/// one that vanished is left out (noted). `progress` receives the content bytes written so far.
pub fn write_files_tar(
    selection: &FileSelection,
    out: impl Write,
    progress: &mut dyn FnMut(u64),
) -> Result<TarSummary> {
    write_files_tar_filtered(selection, out, progress, &|_| true).map(|(summary, _)| summary)
}

/// [`write_files_tar`] of the entries `include` accepts; also returns the content hash
/// (xxh3-128 of the bytes stored; of the target for symlinks) of each entry written.
pub fn write_files_tar_filtered(
    selection: &FileSelection,
    out: impl Write,
    progress: &mut dyn FnMut(u64),
    include: &dyn Fn(&FileEntry) -> bool,
) -> Result<(TarSummary, BTreeMap<String, u128>)> {
    let mut builder = tar::Builder::new(out);
    let mut summary = TarSummary::default();
    let mut hashes = BTreeMap::new();
    let mut last_report = 0u64;
    for entry in selection.entries.iter().filter(|e| include(e)) {
        let source = &entry.source;
        let context = || format!("cannot add {} to the files archive", source.display());
        match &entry.kind {
            EntryKind::File => {
                let file = match open_nofollow(source) {
                    Ok(file) => file,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {
                        summary.notes.push(format!(
                            "{} vanished during the backup; left out",
                            source.display()
                        ));
                        continue;
                    }
                    Err(e) => return Err(io_error("cannot read", source, &e)),
                };
                let meta = file
                    .metadata()
                    .map_err(|e| io_error("cannot read", source, &e))?;
                if !meta.is_file() {
                    summary.notes.push(format!(
                        "{} is no longer a regular file; left out",
                        source.display()
                    ));
                    continue;
                }
                let mut header = header_for(&meta, tar::EntryType::Regular, meta.len());
                let mut data = FileData {
                    file,
                    hasher: xxhash_rust::xxh3::Xxh3::new(),
                    remaining: meta.len(),
                    padded: 0,
                    path: source,
                    total: summary.bytes,
                    last_report: &mut last_report,
                    progress,
                };
                builder
                    .append_data(&mut header, &entry.archive_path, &mut data)
                    .wrap_err_with(context)?;
                if data.padded > 0 {
                    summary.notes.push(format!(
                        "{} shrank by {} bytes while being archived; the end was filled with zeros",
                        source.display(),
                        data.padded
                    ));
                }
                hashes.insert(entry.archive_path.clone(), data.hasher.digest128());
                summary.files += 1;
                summary.bytes += meta.len();
            }
            EntryKind::Dir => {
                let Ok(meta) = std::fs::symlink_metadata(source) else {
                    summary.notes.push(format!(
                        "{} vanished during the backup; left out",
                        source.display()
                    ));
                    continue;
                };
                let mut header = header_for(&meta, tar::EntryType::Directory, 0);
                builder
                    .append_data(&mut header, &entry.archive_path, io::empty())
                    .wrap_err_with(context)?;
                hashes.insert(entry.archive_path.clone(), 0);
            }
            EntryKind::Symlink { target } => {
                let Ok(meta) = std::fs::symlink_metadata(source) else {
                    summary.notes.push(format!(
                        "{} vanished during the backup; left out",
                        source.display()
                    ));
                    continue;
                };
                let mut header = header_for(&meta, tar::EntryType::Symlink, 0);
                builder
                    .append_link(&mut header, &entry.archive_path, target)
                    .wrap_err_with(context)?;
                hashes.insert(
                    entry.archive_path.clone(),
                    xxhash_rust::xxh3::xxh3_128(target.as_bytes()),
                );
            }
        }
    }
    builder
        .into_inner()
        .wrap_err("cannot finish the files archive")?;
    progress(summary.bytes);
    Ok((summary, hashes))
}

fn header_for(meta: &Metadata, kind: tar::EntryType, size: u64) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(kind);
    header.set_size(size);
    header.set_mode(meta.mode() & 0o7777);
    header.set_uid(u64::from(meta.uid()));
    header.set_gid(u64::from(meta.gid()));
    header.set_mtime(meta.mtime().max(0) as u64);
    header
}

/// Streams exactly `remaining` bytes of a file (zeros after an early end) and reports progress.
struct FileData<'a> {
    file: File,
    hasher: xxhash_rust::xxh3::Xxh3,
    remaining: u64,
    padded: u64,
    path: &'a Path,
    total: u64,
    last_report: &'a mut u64,
    progress: &'a mut dyn FnMut(u64),
}

impl Read for FileData<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 || buf.is_empty() {
            return Ok(0);
        }
        let want = buf
            .len()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        let mut n = loop {
            match self.file.read(&mut buf[..want]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(io::Error::new(
                        e.kind(),
                        format!("cannot read {}: {}", self.path.display(), os_reason(&e)),
                    ));
                }
            }
        };
        if n == 0 {
            buf[..want].fill(0);
            n = want;
            self.padded += n as u64;
        }
        self.hasher.update(&buf[..n]);
        self.remaining -= n as u64;
        self.total += n as u64;
        if self.total - *self.last_report >= PROGRESS_STEP {
            *self.last_report = self.total;
            (self.progress)(self.total);
        }
        Ok(n)
    }
}

/// Opens a file for reading without following a final symlink or blocking on a fifo.
fn open_nofollow(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
}

/// "cannot read /x/y: permission denied": the path and the OS reason in one message.
fn io_error(action: &str, path: &Path, err: &io::Error) -> color_eyre::eyre::Report {
    color_eyre::eyre::eyre!("{action} {}: {}", path.display(), os_reason(err))
}

fn special_kind(meta: &Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let kind = meta.file_type();
    if kind.is_fifo() {
        "fifo"
    } else if kind.is_socket() {
        "socket"
    } else if kind.is_block_device() {
        "block device"
    } else if kind.is_char_device() {
        "character device"
    } else {
        "special file"
    }
}

/// An absolute path with `.` and `..` resolved lexically (no filesystem access).
fn absolute_normal(path: &Path) -> PathBuf {
    normalize(&std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()))
}

fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() && !out.has_root() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The relative path from directory `from` to `to` (both as components below one root).
fn relative_path(from: &[&str], to: &[&str]) -> String {
    let common = from.iter().zip(to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<&str> = vec![".."; from.len() - common];
    parts.extend(&to[common..]);
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}
