//! Scandy's own backups and plain mongodump output ("legacy" backups): detection by content,
//! stable ids, streaming readers for every format, verify (results in the state directory,
//! never inside the backup) and conversion into a regular set.
//!
//! Every reader streams its backup into a [`LegacySink`]: collections one after the other
//! (never interleaved), each document as raw BSON, then the files it carries. Readers never
//! write anywhere; the sink decides what happens (verify counts, convert writes a set).

pub mod check;
pub mod containers;
pub mod convert;
pub mod dates;
pub mod detect;
pub mod dumpdir;
pub mod json;
pub mod scan;
pub mod store;
#[cfg(test)]
mod test_sink;

use std::io::Read;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use color_eyre::Result;
use mongodb::bson::RawDocumentBuf;
use serde::{Deserialize, Serialize};

use super::archive::CollectionMetadata;

/// The formats scandyctl recognises, named as `list` and `--json` show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LegacyFormat {
    /// `scandy_backup_<ts>.json`, metadata version 2.0 with `__type__` markers.
    ScandyJsonV2,
    /// `scandy_backup_<ts>.json`, version 1.0 or older (collections at the top level).
    ScandyJsonV1,
    /// ZIP with `mongodb/<db>/*.bson.gz` + metadata, `media/`, `config/`.
    ScandyZipDump,
    /// ZIP with a JSON v1 file at its root, `uploads/`, `logs/`.
    ScandyZipJson,
    /// ZIP of `scandy_backup_*.zip` files.
    ScandyZipWeekly,
    /// `mongodump --out` directory (`<db>/<coll>.bson[.gz]` + `.metadata.json[.gz]`).
    MongodumpDir,
    /// `scandy_backup_<ts>.tar.gz` with `mongodb_backup.archive`, `uploads/`, `logs/`.
    ScandyTar,
    /// A mongodump `--archive` file, optionally gzip-compressed.
    MongodumpArchive,
}

impl LegacyFormat {
    /// The name shown in listings (`scandy-json-v2`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            LegacyFormat::ScandyJsonV2 => "scandy-json-v2",
            LegacyFormat::ScandyJsonV1 => "scandy-json-v1",
            LegacyFormat::ScandyZipDump => "scandy-zip-dump",
            LegacyFormat::ScandyZipJson => "scandy-zip-json",
            LegacyFormat::ScandyZipWeekly => "scandy-zip-weekly",
            LegacyFormat::MongodumpDir => "mongodump-dir",
            LegacyFormat::ScandyTar => "scandy-tar",
            LegacyFormat::MongodumpArchive => "mongodump-archive",
        }
    }
}

/// Where a legacy backup's time came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TimeSource {
    /// The file or directory name (Scandy's local time).
    Name,
    /// The backup's own metadata.
    Metadata,
    /// The file's modification time.
    Mtime,
}

/// A file carried by a legacy backup, with the path it has under the Scandy root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyFile {
    /// The entry's name inside the backup (for messages).
    pub entry: String,
    /// Path relative to the Scandy root (`app/static/uploads/...`, `logs/...`, `.env`);
    /// already checked: relative, no `..`, no absolute part.
    pub root_path: String,
    /// Size in bytes.
    pub size: u64,
    /// Unix mode bits (0o644 when the format has none).
    pub mode: u32,
    /// Modification time (seconds since the epoch; 0 when unknown).
    pub mtime: i64,
}

/// Type conversions applied to one collection of a JSON backup.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversions {
    /// `{"__type__": ...}` markers turned into their BSON type.
    pub markers: u64,
    /// 24-hex `_id` strings turned into ObjectIds.
    pub id_strings: u64,
    /// Date strings turned into BSON dates.
    pub date_strings: u64,
}

impl Conversions {
    /// Adds `other` to these counts.
    pub fn add(&mut self, other: &Conversions) {
        self.markers += other.markers;
        self.id_strings += other.id_strings;
        self.date_strings += other.date_strings;
    }

    /// Whether nothing was converted.
    pub fn is_empty(&self) -> bool {
        self.markers == 0 && self.id_strings == 0 && self.date_strings == 0
    }
}

/// Something a reader noticed that is not an error (a secret in clear, string types kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReaderNote {
    /// Stable kind (`secret-in-clear`, `string-ids`, `string-dates`, `empty-dump`, ...).
    pub kind: String,
    /// The entry it is about, if any (already plain text; escaped when shown).
    pub entry: Option<String>,
    /// What it means for the admin.
    pub message: String,
}

/// Receives a legacy backup as a stream. Collections never interleave.
pub trait LegacySink {
    /// A collection starts; `metadata` holds its options and indexes when the format has them.
    fn begin_collection(&mut self, name: &str, metadata: Option<&CollectionMetadata>)
    -> Result<()>;
    /// One document of the current collection, as raw BSON (types recovered unless
    /// `keep_types`).
    fn document(&mut self, doc: RawDocumentBuf) -> Result<()>;
    /// The current collection ends; `conversions` counts what type recovery changed.
    fn end_collection(&mut self, conversions: &Conversions) -> Result<()>;
    /// A file the backup carries; `data` yields exactly `file.size` bytes.
    fn file(&mut self, file: &LegacyFile, data: &mut dyn Read) -> Result<()>;
    /// A note for the verify report and the plan.
    fn note(&mut self, note: ReaderNote);
}

/// How to read a legacy backup.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadOptions {
    /// No heuristic recovery: `_id` and date strings stay strings (`--keep-types`).
    /// `__type__` markers are Scandy's own encoding and are always decoded.
    pub keep_types: bool,
    /// Parse every document (deep) rather than only the structure and sizes (quick).
    pub deep: bool,
    /// Skip the files (database only).
    pub skip_files: bool,
}

/// A legacy backup found in a backup directory.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LegacyBackup {
    /// Stable id (`legacy-<yyyymmddTHHMMSS>-<8 hex of the path>`).
    pub id: String,
    /// Detected format.
    pub format: LegacyFormat,
    /// The file or directory.
    pub path: PathBuf,
    /// For a member of a weekly ZIP: the member's name.
    pub member: Option<String>,
    /// When it was taken (UTC; Scandy names are local time, converted).
    pub created_at: DateTime<Utc>,
    /// Where the time came from.
    pub time_source: TimeSource,
    /// Bytes on disk (of the member, for a weekly ZIP's member).
    pub size: u64,
    /// A mongodump directory Scandy left empty: a failed backup that looks like one.
    pub failed: bool,
}

/// Streams `backup` into `sink`. `database` picks the database of a dump that holds several
/// (the configured one); a dump of one database is read whatever its name.
pub fn read_legacy(
    backup: &LegacyBackup,
    database: &str,
    opts: &ReadOptions,
    sink: &mut dyn LegacySink,
) -> Result<()> {
    use color_eyre::eyre::{WrapErr, bail};
    let path = &backup.path;
    let shown = path.display().to_string();
    if backup.failed {
        bail!(
            "{shown} is empty: Scandy's mongodump call failed when it was made, so it holds \
             no data"
        );
    }
    match backup.format {
        LegacyFormat::ScandyJsonV1 | LegacyFormat::ScandyJsonV2 => {
            let file =
                std::fs::File::open(path).wrap_err_with(|| format!("cannot open {shown}"))?;
            let input = std::io::BufReader::with_capacity(1 << 20, file);
            json::read_json(input, &shown, opts, sink).map(|_| ())
        }
        LegacyFormat::MongodumpDir => {
            let listing = dumpdir::list_dump_dir(path)?;
            let db = (listing.databases.len() > 1).then_some(database);
            dumpdir::read_dump_dir(path, db, opts, sink)
        }
        LegacyFormat::ScandyZipDump
        | LegacyFormat::ScandyZipJson
        | LegacyFormat::ScandyZipWeekly => {
            containers::read_zip(path, backup.member.as_deref(), database, opts, sink)
        }
        LegacyFormat::ScandyTar => containers::read_tar(path, database, opts, sink),
        LegacyFormat::MongodumpArchive => containers::read_archive_file(path, database, opts, sink),
    }
}
