//! The backup set manifest (`manifest.json`): what a set holds and how to check it.

use std::path::Path;

use chrono::{DateTime, Utc};
use color_eyre::eyre::{Result, WrapErr};
use serde::{Deserialize, Serialize};

/// Version of the manifest layout written by this scandyctl.
pub const MANIFEST_FORMAT: u32 = 1;
/// File name of the manifest inside a set.
pub const MANIFEST_FILE: &str = "manifest.json";
/// File name of the checksum list inside a set.
pub const SHA256SUMS_FILE: &str = "SHA256SUMS";
/// File name of the verification record next to the members.
pub const VERIFY_FILE: &str = "verify.json";
/// Base name of the database member.
pub const MONGO_MEMBER: &str = "mongo.archive.zst";
/// Base name of the files member.
pub const FILES_MEMBER: &str = "files.tar.zst";

/// Kind of backup set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BackupKind {
    /// Everything: database and files.
    Full,
    /// Changes since a parent set.
    Incremental,
    /// Taken automatically before a restore over the live database.
    PreRestore,
    /// The oplog entries of the database between two positions (point-in-time restore).
    Oplog,
}

impl BackupKind {
    /// The word used in ids and listings (`full`, `incremental`, `pre-restore`).
    pub fn as_str(self) -> &'static str {
        match self {
            BackupKind::Full => "full",
            BackupKind::Incremental => "incremental",
            BackupKind::PreRestore => "pre-restore",
            BackupKind::Oplog => "oplog",
        }
    }

    /// Whether a set of this kind is a backup of the data (full or incremental): what
    /// "the newest good backup" and retention slots mean.
    pub fn is_data_backup(self) -> bool {
        matches!(self, BackupKind::Full | BackupKind::Incremental)
    }
}

/// What a member holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MemberContent {
    /// mongodump `--archive` stream, zstd-compressed.
    MongoArchive,
    /// tar of uploads, config files and logs, zstd-compressed.
    FilesTar,
    /// Document fingerprints (hashes only), zstd-compressed, never encrypted.
    Fingerprints,
    /// File stamps and content hashes (hashes only), zstd-compressed, never encrypted.
    FilesIndex,
}

/// One data member of a set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberEntry {
    /// File name inside the set (with `.age` when encrypted).
    pub name: String,
    /// What it holds.
    pub content: MemberContent,
    /// Size on disk in bytes.
    pub size: u64,
    /// SHA-256 of the file on disk, lowercase hex.
    pub sha256: String,
    /// Whether the member is age-encrypted.
    pub encrypted: bool,
}

/// One collection in the database member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CollectionEntry {
    /// Collection name.
    pub name: String,
    /// `collection` or `view`.
    pub kind: String,
    /// Number of documents dumped.
    pub documents: u64,
    /// Raw BSON bytes dumped.
    pub bytes: u64,
    /// CRC-64 (ECMA) of the documents as stored in the archive, hex.
    pub crc64: String,
    /// Collection options in canonical extended JSON.
    pub options: serde_json::Value,
    /// Index definitions (listIndexes output) in canonical extended JSON.
    pub indexes: Vec<serde_json::Value>,
}

/// The database part of a set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatabasePart {
    /// Database name.
    pub database: String,
    /// MongoDB server version at backup time.
    pub server_version: String,
    /// Connection string used, password redacted.
    pub uri_redacted: String,
    /// Every collection dumped.
    pub collections: Vec<CollectionEntry>,
}

impl DatabasePart {
    /// Total documents over all collections.
    pub fn total_documents(&self) -> u64 {
        self.collections.iter().map(|c| c.documents).sum()
    }

    /// Total raw BSON bytes over all collections.
    pub fn total_bytes(&self) -> u64 {
        self.collections.iter().map(|c| c.bytes).sum()
    }
}

/// Something that was left out of the set, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedItem {
    /// Path or name of what was skipped.
    pub item: String,
    /// Why it was skipped.
    pub reason: String,
}

/// The files part of a set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilesPart {
    /// Files in the tar.
    pub files: u64,
    /// Bytes of file content in the tar.
    pub bytes: u64,
    /// What the tar holds: upload, config and log roots that were included.
    pub included: Vec<String>,
    /// Files left out, with reasons (e.g. secrets without encryption).
    pub skipped: Vec<SkippedItem>,
    /// Regular files below the upload directories (the whole state, also in an
    /// incremental); absent in sets written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload_files: Option<u64>,
}

/// `manifest.json` of a backup set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Layout version ([`MANIFEST_FORMAT`]).
    pub format: u32,
    /// Set id, equal to the directory name.
    pub id: String,
    /// Kind of set.
    #[serde(rename = "type")]
    pub kind: BackupKind,
    /// Parent set for incrementals.
    pub parent: Option<String>,
    /// When the backup started (UTC).
    pub created_at: DateTime<Utc>,
    /// When it finished (UTC).
    pub finished_at: DateTime<Utc>,
    /// Host that took it.
    pub host: String,
    /// scandyctl version that wrote it.
    pub scandyctl_version: String,
    /// Scandy install directory at backup time.
    pub scandy_root: String,
    /// The database part.
    pub database: DatabasePart,
    /// The files part.
    pub files: FilesPart,
    /// Data members with sizes and checksums.
    pub members: Vec<MemberEntry>,
    /// age recipients' public keys when encrypted (never a secret).
    pub recipients: Vec<String>,
    /// The legacy backup this set was converted from (`import --legacy`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SetSource>,
    /// SHA-256 of the parent's `manifest.json` (incrementals).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_sha256: Option<String>,
    /// What an incremental holds against its parent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub increment: Option<IncrementInfo>,
    /// The replica set's oplog position taken before the dump (replica sets only); of an
    /// oplog slice: the position of its last entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oplog: Option<OplogPosition>,
    /// Of an oplog slice: the position it continues from (exclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oplog_from: Option<OplogPosition>,
    /// Why a full was written although an incremental was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_reason: Option<String>,
    /// Written by `flatten` from a chain, not from the server.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub synthetic: bool,
    /// The chain a synthetic full was made from, base first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub synthesized_from: Vec<String>,
}

/// A position in the oplog: the `ts` of its newest entry when the set was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OplogPosition {
    /// Seconds of the BSON timestamp.
    pub t: u32,
    /// Increment of the BSON timestamp.
    pub i: u32,
}

impl OplogPosition {
    /// The wall-clock second of the position.
    pub fn time(self) -> DateTime<Utc> {
        DateTime::from_timestamp(i64::from(self.t), 0).unwrap_or_default()
    }
}

/// What an incremental set holds against its parent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncrementInfo {
    /// `scan` (every document compared) or `oplog` (the oplog named the changed `_id`s).
    pub method: String,
    /// Why the oplog was not used, when it was not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan_reason: Option<String>,
    /// Sets between the base full and this one, this one included.
    pub depth: u32,
    /// The chain's base (a full set).
    pub base: String,
    /// Per collection: what changed.
    pub collections: Vec<CollectionDelta>,
    /// Collections the parent had and this set has not.
    pub dropped: Vec<String>,
    /// What changed among the files.
    pub files: FilesDelta,
}

/// What changed in one collection since the parent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectionDelta {
    /// Collection name.
    pub name: String,
    /// The parent had no such collection: the set holds all of it.
    pub created: bool,
    /// New documents.
    pub inserted: u64,
    /// Changed documents.
    pub changed: u64,
    /// Removed documents.
    pub deleted: u64,
    /// Documents as in the parent.
    pub unchanged: u64,
    /// Documents in the collection at this set.
    pub documents: u64,
    /// Index definitions differ from the parent's.
    pub indexes_changed: bool,
    /// Collection options differ from the parent's.
    pub options_changed: bool,
}

/// What changed among the files since the parent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilesDelta {
    /// Entries the parent did not have.
    pub added: u64,
    /// Entries whose size, times, inode or mode changed (stored again).
    pub changed: u64,
    /// Entries gone since the parent.
    pub deleted: u64,
    /// Entries not read (stamp as in the parent).
    pub unchanged: u64,
    /// Files at this set.
    pub files: u64,
    /// Bytes of file content at this set.
    pub bytes: u64,
}

/// Where a converted set came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetSource {
    /// The legacy format (`scandy-json-v2`, `mongodump-dir`, ...).
    pub format: String,
    /// The legacy file or directory.
    pub path: String,
    /// The weekly ZIP's member, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// SHA-256 of the source (of a directory: of its sorted file list with each file's hash).
    pub sha256: String,
    /// The legacy id it had in the inventory.
    pub legacy_id: String,
    /// Whether `_id` and date strings were kept as strings (`--keep-types`).
    pub kept_types: bool,
    /// Type conversions per collection (only collections with any).
    #[serde(default)]
    pub conversions: Vec<(String, crate::backup::legacy::Conversions)>,
    /// Collections whose indexes are Scandy's expected ones (the backup had none).
    #[serde(default)]
    pub indexes_added: Vec<String>,
}

impl Manifest {
    /// The member holding `content`, if present.
    pub fn member(&self, content: MemberContent) -> Option<&MemberEntry> {
        self.members.iter().find(|m| m.content == content)
    }

    /// Total size of the data members on disk.
    pub fn members_size(&self) -> u64 {
        self.members.iter().map(|m| m.size).sum()
    }

    /// Documents of `collection` at this set (for an incremental: the restored state, not
    /// the stored changes).
    pub fn state_documents(&self, collection: &str) -> Option<u64> {
        if let Some(delta) = self
            .increment
            .as_ref()
            .and_then(|i| i.collections.iter().find(|c| c.name == collection))
        {
            return Some(delta.documents);
        }
        self.database
            .collections
            .iter()
            .find(|c| c.name == collection)
            .map(|c| c.documents)
    }

    /// Documents at this set over all collections.
    pub fn state_total_documents(&self) -> u64 {
        self.database
            .collections
            .iter()
            .map(|c| self.state_documents(&c.name).unwrap_or(c.documents))
            .sum()
    }

    /// Whether any member is encrypted.
    pub fn encrypted(&self) -> bool {
        self.members.iter().any(|m| m.encrypted)
    }
}

/// Reads and parses `manifest.json` of the set in `dir`.
pub fn read_manifest(dir: &Path) -> Result<Manifest> {
    let path = dir.join(MANIFEST_FILE);
    let text = std::fs::read_to_string(&path)
        .wrap_err_with(|| format!("cannot read {}", path.display()))?;
    let manifest: Manifest = serde_json::from_str(&text)
        .wrap_err_with(|| format!("{} is not a valid manifest", path.display()))?;
    Ok(manifest)
}

/// Writes `value` as pretty JSON to `path` via a temporary file, fsync and rename.
pub fn write_json_atomic(path: &Path, value: &impl Serialize) -> Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .wrap_err_with(|| format!("cannot create a temporary file in {}", dir.display()))?;
    serde_json::to_writer_pretty(&mut tmp, value)
        .wrap_err_with(|| format!("cannot write {}", path.display()))?;
    tmp.write_all(b"\n")
        .wrap_err_with(|| format!("cannot write {}", path.display()))?;
    tmp.as_file()
        .sync_all()
        .wrap_err_with(|| format!("cannot fsync {}", path.display()))?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .wrap_err_with(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
