//! `mongodump --out` directories (`<db>/<coll>.bson[.gz]` + `<coll>.metadata.json[.gz]`),
//! as Scandy's native backup writes them, and the BSON stream inside each `.bson` file.

use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use color_eyre::Result;
use color_eyre::eyre::{WrapErr, bail, eyre};
use mongodb::bson::RawDocumentBuf;

use super::{Conversions, LegacySink, ReadOptions};
use crate::backup::archive::CollectionMetadata;
use crate::backup::archive::format::{MAX_BSON_LEN, MIN_BSON_LEN};

/// One collection of a dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpCollection {
    /// Database (the directory's name).
    pub db: String,
    /// Collection name (mongodump's `%XX` escapes undone).
    pub name: String,
    /// Its `.bson` or `.bson.gz` file (absent for a view, which has metadata only).
    pub bson: PathBuf,
    /// Its `.metadata.json[.gz]` file, if the dump has one.
    pub metadata: Option<PathBuf>,
    /// Whether the files are gzip-compressed (`--gzip`).
    pub compressed: bool,
    /// Bytes of the `.bson` file on disk.
    pub size: u64,
}

/// What a dump directory holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DumpListing {
    /// Databases with at least one collection, sorted.
    pub databases: Vec<String>,
    /// Collections, by database and name.
    pub collections: Vec<DumpCollection>,
    /// The directory holds no file at all (Scandy's failed native backup).
    pub empty: bool,
}

/// Reads length-prefixed BSON documents until the input ends; returns how many were read.
/// Every length is checked before anything is allocated; a torn document is an error.
pub fn read_bson_stream(input: impl Read, source: &str, sink: &mut dyn LegacySink) -> Result<u64> {
    let mut input = BufReader::with_capacity(256 * 1024, input);
    let mut offset: u64 = 0;
    let mut count = 0u64;
    loop {
        let mut prefix = [0u8; 4];
        let got = read_up_to(&mut input, &mut prefix)
            .wrap_err_with(|| format!("{source}: cannot read at byte {offset}"))?;
        if got == 0 {
            return Ok(count);
        }
        if got < 4 {
            bail!("{source} is truncated: {got} stray byte(s) at byte {offset}");
        }
        let len = i32::from_le_bytes(prefix);
        let Ok(len) = usize::try_from(len) else {
            bail!("{source}: the document at byte {offset} declares a negative length ({len})");
        };
        if !(MIN_BSON_LEN..=MAX_BSON_LEN).contains(&len) {
            bail!(
                "{source}: the document at byte {offset} declares {len} bytes, outside \
                 {MIN_BSON_LEN}..={MAX_BSON_LEN}: not a BSON dump, or a damaged one"
            );
        }
        let mut bytes = vec![0u8; len];
        bytes[..4].copy_from_slice(&prefix);
        let got = read_up_to(&mut input, &mut bytes[4..])
            .wrap_err_with(|| format!("{source}: cannot read the document at byte {offset}"))?;
        if got < len - 4 {
            bail!(
                "{source} is truncated: the document at byte {offset} declares {len} bytes, \
                 only {} follow",
                got + 4
            );
        }
        if bytes[len - 1] != 0 {
            bail!("{source}: the document at byte {offset} does not end with a NUL byte");
        }
        let doc = RawDocumentBuf::from_bytes(bytes)
            .map_err(|e| eyre!("{source}: the document at byte {offset} is not BSON: {e}"))?;
        sink.document(doc)?;
        count += 1;
        offset += len as u64;
    }
}

/// Fills `buf` as far as the input allows; returns how many bytes were read.
pub(super) fn read_up_to(input: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Undoes mongodump's escaping of file names (`%2F` for `/`, `%24` for `$`, ...).
pub(super) fn unescape(name: &str) -> String {
    let bytes = name.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(high), Some(low)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((high * 16 + low) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Splits a dump file name into collection name, kind and compression.
pub(super) fn split_name(file: &str) -> Option<(&str, bool, bool)> {
    let (base, gz) = match file.strip_suffix(".gz") {
        Some(base) => (base, true),
        None => (file, false),
    };
    if let Some(coll) = base.strip_suffix(".metadata.json") {
        return Some((coll, true, gz));
    }
    base.strip_suffix(".bson").map(|coll| (coll, false, gz))
}

/// Lists `dir`: its database subdirectories, or `dir` itself when it holds `.bson` files
/// directly (a dump of one database, named after the directory).
pub fn list_dump_dir(dir: &Path) -> Result<DumpListing> {
    let entries = read_dir_sorted(dir)?;
    let mut listing = DumpListing {
        empty: entries.is_empty(),
        ..DumpListing::default()
    };
    let own_name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // `oplog.bson` at the top belongs to `--oplog`, not to a database.
    let direct = list_database(dir, &own_name, true)?;
    if !direct.is_empty() {
        listing.databases.push(own_name);
        listing.collections = direct;
        return Ok(listing);
    }
    for path in entries {
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if !meta.is_dir() {
            continue;
        }
        let db = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let collections = list_database(&path, &db, false)?;
        if !collections.is_empty() {
            listing.databases.push(db);
            listing.collections.extend(collections);
        }
    }
    Ok(listing)
}

fn read_dir_sorted(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .wrap_err_with(|| format!("cannot read the directory {}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .collect();
    paths.sort();
    Ok(paths)
}

/// The collections of one database directory (regular files only; symlinks are skipped).
fn list_database(dir: &Path, db: &str, top: bool) -> Result<Vec<DumpCollection>> {
    let mut found: Vec<DumpCollection> = Vec::new();
    for path in read_dir_sorted(dir)? {
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if !meta.is_file() {
            continue;
        }
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Some((coll, is_metadata, gz)) = split_name(&file) else {
            continue;
        };
        let name = unescape(coll);
        if name.is_empty() || (top && name == "oplog") {
            continue;
        }
        let at = match found.iter().position(|c| c.name == name) {
            Some(at) => at,
            None => {
                found.push(DumpCollection {
                    db: db.to_string(),
                    name: name.clone(),
                    bson: dir.join(format!("{coll}.bson{}", if gz { ".gz" } else { "" })),
                    metadata: None,
                    compressed: gz,
                    size: 0,
                });
                found.len() - 1
            }
        };
        let entry = &mut found[at];
        if is_metadata {
            entry.metadata = Some(path);
        } else {
            entry.bson = path;
            entry.compressed = gz;
            entry.size = meta.len();
        }
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

/// Opens a dump file, decompressing it when it is gzip.
fn open(path: &Path, compressed: bool) -> Result<Box<dyn Read>> {
    let file =
        std::fs::File::open(path).wrap_err_with(|| format!("cannot open {}", path.display()))?;
    Ok(if compressed {
        Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(file)))
    } else {
        Box::new(file)
    })
}

/// Reads a collection's metadata file.
fn read_metadata(path: &Path, collection: &str) -> Result<CollectionMetadata> {
    let gz = path.extension().is_some_and(|e| e == "gz");
    let mut text = String::new();
    open(path, gz)?
        .take(64 * 1024 * 1024)
        .read_to_string(&mut text)
        .wrap_err_with(|| format!("cannot read {}", path.display()))?;
    CollectionMetadata::from_extjson(&text, collection)
        .map_err(|e| eyre!("{}: {e}", path.display()))
}

/// Streams the collections of `db` (or of the dump's only database) into `sink`.
pub fn read_dump_dir(
    dir: &Path,
    db: Option<&str>,
    opts: &ReadOptions,
    sink: &mut dyn LegacySink,
) -> Result<()> {
    // A dump's documents are BSON already: quick and deep read the same bytes (deep checks
    // every element in the sink), and there are no types to recover.
    let _ = opts;
    let listing = list_dump_dir(dir)?;
    let db = match db {
        Some(db) => db.to_string(),
        None => match listing.databases.as_slice() {
            [only] => only.clone(),
            [] => bail!(
                "{} holds no collection: not a mongodump directory, or an empty one",
                dir.display()
            ),
            several => bail!(
                "{} holds several databases ({}); name the one to read",
                dir.display(),
                several.join(", ")
            ),
        },
    };
    if !listing.databases.contains(&db) {
        bail!(
            "{} holds no database {db} (it holds {})",
            dir.display(),
            listing.databases.join(", ")
        );
    }
    for coll in listing.collections.iter().filter(|c| c.db == db) {
        if coll.name.starts_with("system.") {
            continue;
        }
        let metadata = match &coll.metadata {
            Some(path) => Some(read_metadata(path, &coll.name)?),
            None => None,
        };
        let has_data = std::fs::symlink_metadata(&coll.bson).is_ok_and(|m| m.is_file());
        sink.begin_collection(&coll.name, metadata.as_ref())?;
        if has_data {
            let source = coll.bson.display().to_string();
            read_bson_stream(open(&coll.bson, coll.compressed)?, &source, sink)?;
        }
        sink.end_collection(&Conversions::default())?;
    }
    Ok(())
}

#[cfg(test)]
#[path = "dumpdir_tests.rs"]
mod tests;
