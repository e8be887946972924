//! Recognises a legacy backup by its content (the name only gives the time).

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use chrono::NaiveDateTime;

use super::LegacyFormat;
use super::containers::{list_tar, list_zip, sniff_archive};
use super::dumpdir::list_dump_dir;
use super::json::sniff_json;
use crate::backup::id::{DELETING_SUFFIX, PARTIAL_SUFFIX};
use crate::backup::verify::is_own_set_dir;

/// How many leading bytes detection reads of a file.
const HEAD_BYTES: usize = 64 * 1024;

/// What one directory entry is.
#[derive(Debug, Clone, PartialEq)]
pub enum Classification {
    /// A scandyctl set (or its leftovers): the regular inventory's business.
    OwnSet,
    /// Nothing that looks like a backup (hidden files, logs, notes).
    Ignored,
    /// A recognised legacy backup.
    Legacy(Detected),
    /// Looks like a backup by its name but is no format scandyctl knows (or is unreadable).
    Unknown(String),
}

/// A recognised legacy backup.
#[derive(Debug, Clone, PartialEq)]
pub struct Detected {
    /// Its format.
    pub format: LegacyFormat,
    /// The time its own metadata states (Scandy's local time), if any.
    pub meta_time: Option<NaiveDateTime>,
    /// Members of a weekly ZIP (the backups it holds), with their sizes.
    pub members: Vec<(String, u64)>,
    /// A dump directory Scandy left empty.
    pub failed: bool,
}

fn legacy(format: LegacyFormat) -> Classification {
    Classification::Legacy(Detected {
        format,
        meta_time: None,
        members: Vec::new(),
        failed: false,
    })
}

/// Whether a name suggests a backup, so that an unrecognised one is worth reporting.
fn looks_like_backup(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("scandy_")
        || lower.contains("backup")
        || lower.contains("dump")
        || [".archive", ".gz", ".zip", ".json", ".tar", ".bson", ".tgz"]
            .iter()
            .any(|ext| lower.ends_with(ext))
}

/// Classifies `path` (a file or directory in a backup directory) by its content.
pub fn classify(path: &Path) -> Classification {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if name.starts_with('.') || name == "lost+found" {
        return Classification::Ignored;
    }
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Classification::Ignored;
    };
    if meta.is_dir() {
        if name.ends_with(PARTIAL_SUFFIX) || name.ends_with(DELETING_SUFFIX) || is_own_set_dir(path)
        {
            return Classification::OwnSet;
        }
        return classify_dir(path, &name);
    }
    if !meta.is_file() {
        return Classification::Ignored;
    }
    // Listing a tar.gz reads all of it: a file that did not change is not read again.
    let stamp = (meta.len(), meta.modified().ok());
    if let Some((seen, found)) = cache().lock().ok().and_then(|c| c.get(path).cloned())
        && seen == stamp
    {
        return found;
    }
    let found = classify_file_uncached(path, &name);
    if let Ok(mut cache) = cache().lock() {
        if cache.len() > 4096 {
            cache.clear();
        }
        cache.insert(path.to_path_buf(), (stamp, found.clone()));
    }
    found
}

/// A file's size and modification time when it was classified.
type Stamp = (u64, Option<std::time::SystemTime>);

/// Classifications of files by path, with the stamp they had.
type ClassCache = Mutex<HashMap<PathBuf, (Stamp, Classification)>>;

fn cache() -> &'static ClassCache {
    static CACHE: OnceLock<ClassCache> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

fn classify_file_uncached(path: &Path, name: &str) -> Classification {
    match classify_file(path) {
        Ok(Some(found)) => found,
        Ok(None) if looks_like_backup(name) => Classification::Unknown(
            "neither a scandyctl set nor a backup format scandyctl recognises".into(),
        ),
        Ok(None) => Classification::Ignored,
        Err(reason) if looks_like_backup(name) => Classification::Unknown(reason),
        Err(_) => Classification::Ignored,
    }
}

fn classify_dir(path: &Path, name: &str) -> Classification {
    match list_dump_dir(path) {
        Ok(listing) if !listing.collections.is_empty() => legacy(LegacyFormat::MongodumpDir),
        Ok(listing) if listing.empty && name.starts_with("scandy_native_backup_") => {
            Classification::Legacy(Detected {
                format: LegacyFormat::MongodumpDir,
                meta_time: None,
                members: Vec::new(),
                failed: true,
            })
        }
        Ok(_) if looks_like_backup(name) => Classification::Unknown(
            "a directory that is neither a scandyctl set nor a mongodump directory".into(),
        ),
        Ok(_) => Classification::Ignored,
        Err(err) if looks_like_backup(name) => Classification::Unknown(format!("{err:#}")),
        Err(_) => Classification::Ignored,
    }
}

fn read_head(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(HEAD_BYTES);
    std::fs::File::open(path)?
        .take(HEAD_BYTES as u64)
        .read_to_end(&mut head)?;
    Ok(head)
}

/// The first bytes of a gzip stream, decompressed (as many as the head yields).
fn gunzip_head(head: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut decoder = flate2::read::GzDecoder::new(head).take(HEAD_BYTES as u64);
    // A truncated head ends the stream early; what came out so far is enough.
    let mut buf = [0u8; 8192];
    loop {
        match decoder.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
    out
}

fn is_tar(head: &[u8]) -> bool {
    head.len() >= 262 && &head[257..262] == b"ustar"
}

fn classify_file(path: &Path) -> Result<Option<Classification>, String> {
    let head = read_head(path).map_err(|e| format!("cannot read it: {e}"))?;
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        let listing = list_zip(path).map_err(|e| format!("{e:#}"))?;
        return Ok(Some(Classification::Legacy(Detected {
            format: listing.format,
            meta_time: listing.created_at,
            members: listing
                .members
                .iter()
                .map(|m| {
                    let size = listing
                        .entries
                        .iter()
                        .find(|e| &e.name == m)
                        .map_or(0, |e| e.size);
                    (m.clone(), size)
                })
                .collect(),
            failed: false,
        })));
    }
    let (inner, gzipped) = if head.starts_with(&[0x1f, 0x8b]) {
        (gunzip_head(&head), true)
    } else {
        (head.clone(), false)
    };
    if is_tar(&inner) {
        let listing = list_tar(path).map_err(|e| format!("{e:#}"))?;
        return Ok(Some(Classification::Legacy(Detected {
            format: LegacyFormat::ScandyTar,
            meta_time: listing.created_at,
            members: Vec::new(),
            failed: false,
        })));
    }
    if sniff_archive(&head) || sniff_archive(&inner) {
        return Ok(Some(legacy(LegacyFormat::MongodumpArchive)));
    }
    if !gzipped && let Some(format) = sniff_json(&head) {
        return Ok(Some(legacy(format)));
    }
    Ok(None)
}
