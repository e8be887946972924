//! Capturing an oplog slice: the database's oplog entries from the newest position any set
//! of it reached (a backup's position or the previous slice's end) to the oplog's newest
//! entry, as a set of type `oplog` whose member is a mongodump archive of the entries
//! (namespace `local.oplog.rs`), zstd-compressed, encrypted like every set, checksummed.

use chrono::Utc;
use color_eyre::eyre::{Result, WrapErr, bail};
use futures::TryStreamExt;
use mongodb::bson::RawDocumentBuf;

use crate::backup::archive::{
    ArchiveHeader, ArchiveWriter, CollectionKind, CollectionMetadata, CollectionPrelude,
};
use crate::backup::chain::oplog::{entries_after, oplog_position};
use crate::backup::create::{ZSTD_LEVEL, remove_partials};
use crate::backup::crypt::{parse_recipients, recipient_strings};
use crate::backup::id::{PARTIAL_SUFFIX, backup_id};
use crate::backup::lock::{acquire, host_name};
use crate::backup::manifest::{
    BackupKind, CollectionEntry, DatabasePart, FilesPart, MANIFEST_FORMAT, MONGO_MEMBER, Manifest,
    MemberContent, MemberEntry, OplogPosition,
};
use crate::backup::member::{MemberWriter, fsync_dir, seal_set};
use crate::config::{Config, redact_uri};

use super::window::newest_position;

/// Namespace the entries are stored under in the slice's archive.
pub const SLICE_DB: &str = "local";
/// Collection the entries are stored under in the slice's archive.
pub const SLICE_COLLECTION: &str = "oplog.rs";

/// A written slice.
#[derive(Debug, Clone)]
pub struct Slice {
    /// Its set id.
    pub id: String,
    /// Entries stored.
    pub entries: u64,
    /// The position it continues from (exclusive).
    pub from: OplogPosition,
    /// The position it reaches (inclusive).
    pub to: OplogPosition,
}

/// Captures the next slice; `None` when the oplog has not moved since the last position.
pub async fn capture_slice(config: &Config) -> Result<Option<Slice>> {
    let dir = config.resolve(&config.backup.dir);
    let _lock = acquire(&dir, "oplog capture")?;
    remove_partials(&dir)?;
    let client = crate::backup::restore::connect_checked(config).await?;
    let database = config.mongo.database.as_str();
    let Some(to) = oplog_position(&client).await else {
        bail!(
            "{} has no oplog (a standalone mongod): point-in-time restore needs a replica set; a single-node one will do",
            redact_uri(&config.mongo.uri)
        );
    };
    let Some(from) = newest_position(&dir, database)? else {
        bail!(
            "no backup of {database} holds an oplog position yet: take a backup first (the slices continue from it)"
        );
    };
    if from >= to {
        return Ok(None);
    }
    // The gap the test checks: the entry at `from` must still be in the oplog.
    let mut cursor = entries_after(&client, from, Some(to)).await.map_err(|reason| {
        color_eyre::eyre::eyre!(
            "{reason}; the recovery window has a gap from {} (the last captured position); the next backup starts it again",
            from.time().format("%Y-%m-%d %H:%M:%S UTC")
        )
    })?;

    let recipients = parse_recipients(
        &config.backup.recipients,
        config.backup.recipients_file.as_deref(),
    )
    .wrap_err("cannot read the backup recipients")?;
    let encrypt = !recipients.is_empty();
    let now = Utc::now();
    let id = backup_id(now, BackupKind::Oplog);
    let partial = dir.join(format!("{id}{PARTIAL_SUFFIX}"));
    std::fs::create_dir(&partial)
        .wrap_err_with(|| format!("cannot create {}", partial.display()))?;
    let written = async {
        let name = format!("{MONGO_MEMBER}{}", if encrypt { ".age" } else { "" });
        let member = MemberWriter::create(&partial.join(&name), &recipients, ZSTD_LEVEL, 1)?;
        let prelude = CollectionPrelude {
            db: SLICE_DB.into(),
            collection: SLICE_COLLECTION.into(),
            metadata: CollectionMetadata {
                collection_name: SLICE_COLLECTION.into(),
                options: mongodb::bson::Document::new(),
                indexes: Vec::new(),
                uuid: None,
                kind: CollectionKind::Collection,
            },
            size: 0,
        };
        let header =
            ArchiveHeader::new("0.0.0", &format!("scandyctl {}", env!("CARGO_PKG_VERSION")));
        let mut writer = ArchiveWriter::new(member, &header, std::slice::from_ref(&prelude))?;
        let mut batch: Vec<RawDocumentBuf> = Vec::new();
        let (mut entries, mut bytes) = (0u64, 0usize);
        while let Some(entry) = cursor.try_next().await.wrap_err("cannot read the oplog")? {
            if !concerns(&entry, database) {
                continue;
            }
            bytes += entry.as_bytes().len();
            batch.push(entry);
            entries += 1;
            if bytes > 4 << 20 {
                writer.write_segment(
                    SLICE_DB,
                    SLICE_COLLECTION,
                    batch.iter().map(|d| d.as_bytes()),
                )?;
                batch.clear();
                bytes = 0;
            }
        }
        if !batch.is_empty() {
            writer.write_segment(
                SLICE_DB,
                SLICE_COLLECTION,
                batch.iter().map(|d| d.as_bytes()),
            )?;
        }
        let totals = writer.finish_collection(SLICE_DB, SLICE_COLLECTION)?;
        let digest = writer.finish()?.finish()?;
        let manifest = Manifest {
            format: MANIFEST_FORMAT,
            id: id.clone(),
            kind: BackupKind::Oplog,
            parent: None,
            created_at: now,
            finished_at: Utc::now(),
            host: host_name(),
            scandyctl_version: env!("CARGO_PKG_VERSION").to_string(),
            scandy_root: config.scandy.root.display().to_string(),
            database: DatabasePart {
                database: database.to_string(),
                server_version: String::new(),
                uri_redacted: redact_uri(&config.mongo.uri),
                collections: vec![CollectionEntry {
                    name: SLICE_COLLECTION.into(),
                    kind: "collection".into(),
                    documents: totals.documents,
                    bytes: totals.bytes,
                    crc64: format!("{:016x}", totals.crc),
                    options: serde_json::json!({}),
                    indexes: Vec::new(),
                }],
            },
            files: FilesPart {
                files: 0,
                bytes: 0,
                included: Vec::new(),
                skipped: Vec::new(),
                upload_files: None,
            },
            members: vec![MemberEntry {
                name: name.clone(),
                content: MemberContent::MongoArchive,
                size: digest.size,
                sha256: digest.sha256.clone(),
                encrypted: encrypt,
            }],
            recipients: recipient_strings(&recipients),
            source: None,
            parent_sha256: None,
            increment: None,
            oplog: Some(to),
            oplog_from: Some(from),
            full_reason: None,
            synthetic: false,
            synthesized_from: Vec::new(),
        };
        seal_set(&partial, &manifest)?;
        Ok::<u64, color_eyre::eyre::Report>(entries)
    }
    .await;
    let entries = match written {
        Ok(entries) => entries,
        Err(err) => {
            let _ = std::fs::remove_dir_all(&partial);
            return Err(err.wrap_err(format!("oplog slice {id} failed; nothing was kept")));
        }
    };
    let final_dir = dir.join(&id);
    std::fs::rename(&partial, &final_dir).wrap_err_with(|| {
        format!(
            "cannot rename {} to {}",
            partial.display(),
            final_dir.display()
        )
    })?;
    fsync_dir(&dir)?;
    Ok(Some(Slice {
        id,
        entries,
        from,
        to,
    }))
}

/// Whether an oplog entry may change `database` (its namespace, or a transaction or rename).
fn concerns(entry: &RawDocumentBuf, database: &str) -> bool {
    let ns = entry.get_str("ns").unwrap_or("");
    if ns
        .strip_prefix(database)
        .is_some_and(|rest| rest.starts_with('.'))
    {
        return true;
    }
    entry.get_str("op").is_ok_and(|op| op == "c") && ns == "admin.$cmd"
}
