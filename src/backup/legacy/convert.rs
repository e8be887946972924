//! `import --legacy`: a legacy backup becomes a regular set (mongodump-format archive, files
//! tar, manifest with its `source`), written as `<id>.partial` and renamed when complete,
//! then deep-verified. The legacy backup itself is only read.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::Utc;
use color_eyre::eyre::{Result, WrapErr, bail, eyre};
use mongodb::bson::{Bson, Document, RawDocumentBuf, doc};
use sha2::{Digest, Sha256};

use super::check::{LegacyVerifyReport, LiveDatabase, verify_legacy_with_metadata};
use super::{Conversions, LegacyBackup, LegacyFile, LegacySink, ReadOptions, ReaderNote};
use crate::backup::archive::{
    ArchiveHeader, ArchiveWriter, CollectionKind, CollectionMetadata, CollectionPrelude,
};
use crate::backup::create::ZSTD_LEVEL;
use crate::backup::crypt::{parse_recipients, recipient_strings};
use crate::backup::id::{PARTIAL_SUFFIX, backup_id};
use crate::backup::inventory::scan_inventory_detailed;
use crate::backup::lock::{acquire, host_name};
use crate::backup::manifest::{
    BackupKind, CollectionEntry, DatabasePart, FILES_MEMBER, FilesPart, MANIFEST_FORMAT,
    MONGO_MEMBER, Manifest, MemberContent, MemberEntry, SetSource,
};
use crate::backup::member::{MemberWriter, digest_file, fsync_dir, seal_set};
use crate::backup::verify::{VerifyLevel, VerifyReport, verify_set};
use crate::config::{Config, redact_uri};
use crate::mongo::indexes::expected_scandy_indexes;

/// What a conversion produced.
#[derive(Debug, Clone)]
pub struct ConvertOutcome {
    /// The new (or already existing) set's id.
    pub id: String,
    /// Its directory.
    pub path: PathBuf,
    /// Whether an earlier conversion of the same source was found and reused.
    pub reused: bool,
    /// The set's manifest.
    pub manifest: Manifest,
    /// The legacy backup's deep verify (pass one).
    pub legacy_report: LegacyVerifyReport,
    /// The new set's deep verify.
    pub set_report: Option<VerifyReport>,
}

/// SHA-256 of a legacy backup: of the file, or of a directory's sorted `path size sha256` lines.
pub fn source_sha256(path: &Path) -> Result<String> {
    let meta = std::fs::symlink_metadata(path)
        .wrap_err_with(|| format!("cannot read {}", path.display()))?;
    if !meta.is_dir() {
        return Ok(digest_file(path)?.sha256);
    }
    let mut files = Vec::new();
    collect_files(path, path, &mut files)?;
    files.sort();
    let mut hasher = Sha256::new();
    for rel in files {
        let full = path.join(&rel);
        let digest = digest_file(&full)?;
        hasher.update(format!("{} {} {}\n", rel, digest.size, digest.sha256).as_bytes());
    }
    Ok(format!("{:x}", hasher.finalize()))
}

fn collect_files(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<()> {
    for entry in
        std::fs::read_dir(dir).wrap_err_with(|| format!("cannot read {}", dir.display()))?
    {
        let entry = entry.wrap_err_with(|| format!("cannot read {}", dir.display()))?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            collect_files(root, &entry.path(), out)?;
        } else if kind.is_file() {
            let rel = entry.path();
            let rel = rel.strip_prefix(root).unwrap_or(&rel);
            out.push(rel.to_string_lossy().into_owned());
        }
    }
    Ok(())
}

/// The `_id_` index every collection has.
fn id_index() -> Document {
    doc! { "v": 2, "key": { "_id": 1 }, "name": "_id_" }
}

/// Metadata for a collection whose backup carries none: Scandy's expected indexes.
fn scandy_metadata(name: &str) -> CollectionMetadata {
    let mut indexes = vec![id_index()];
    for expected in expected_scandy_indexes()
        .into_iter()
        .filter(|e| e.collection == name)
    {
        let mut spec = doc! { "v": 2, "key": expected.key_document(), "name": &expected.name };
        if expected.unique {
            spec.insert("unique", true);
        }
        if expected.sparse {
            spec.insert("sparse", true);
        }
        if let Some(secs) = expected.ttl_secs {
            spec.insert("expireAfterSeconds", secs as i64);
        }
        indexes.push(spec);
    }
    CollectionMetadata {
        collection_name: name.to_string(),
        options: Document::new(),
        indexes,
        uuid: None,
        kind: CollectionKind::Collection,
    }
}

/// Writes the archive and the files tar while the reader streams the backup (pass two).
struct WriteSink {
    db: String,
    archive: ArchiveWriter<MemberWriter>,
    tar: tar::Builder<MemberWriter>,
    current: Option<String>,
    totals: BTreeMap<String, crate::backup::archive::CollectionTotals>,
    files: u64,
    file_bytes: u64,
}

impl LegacySink for WriteSink {
    fn begin_collection(&mut self, name: &str, _: Option<&CollectionMetadata>) -> Result<()> {
        self.current = Some(name.to_string());
        Ok(())
    }

    fn document(&mut self, doc: RawDocumentBuf) -> Result<()> {
        let name = self
            .current
            .as_deref()
            .ok_or_else(|| eyre!("a document outside a collection"))?;
        self.archive
            .write_segment(&self.db, name, [doc.as_bytes()])
            .wrap_err_with(|| format!("cannot write {name} into the archive"))
    }

    fn end_collection(&mut self, _: &Conversions) -> Result<()> {
        let name = self
            .current
            .take()
            .ok_or_else(|| eyre!("a collection ended twice"))?;
        let totals = self
            .archive
            .finish_collection(&self.db, &name)
            .wrap_err_with(|| format!("cannot finish {name} in the archive"))?;
        self.totals.insert(name, totals);
        Ok(())
    }

    fn file(&mut self, file: &LegacyFile, data: &mut dyn Read) -> Result<()> {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(file.size);
        header.set_mode(file.mode & 0o7777);
        header.set_mtime(file.mtime.max(0) as u64);
        self.tar
            .append_data(&mut header, &file.root_path, data.take(file.size))
            .wrap_err_with(|| format!("cannot add entry {} to the files archive", file.entry))?;
        self.files += 1;
        self.file_bytes += file.size;
        Ok(())
    }

    fn note(&mut self, _: ReaderNote) {}
}

/// An existing set converted from the same source (same SHA-256 and member) the same way
/// (types recovered or kept).
fn find_existing(
    backup_dir: &Path,
    sha256: &str,
    member: Option<&str>,
    keep_types: bool,
) -> Option<(String, Manifest)> {
    let (inventory, details) = scan_inventory_detailed(backup_dir).ok()?;
    inventory.sets.iter().find_map(|set| {
        let manifest = &details.get(&set.id)?.manifest;
        let source = manifest.source.as_ref()?;
        (source.sha256 == sha256
            && source.member.as_deref() == member
            && source.kept_types == keep_types)
            .then(|| (set.id.clone(), manifest.clone()))
    })
}

/// Converts `backup` into a regular set in `backup.dir` (blocking). Refused when its deep
/// verify finds an error (nothing is written then). A source converted before is reused.
pub fn convert_legacy(
    config: &Config,
    backup: &LegacyBackup,
    keep_types: bool,
    live: Option<&LiveDatabase>,
) -> Result<ConvertOutcome> {
    let backup_dir = config.resolve(&config.backup.dir);
    let shown = backup.path.display().to_string();
    let sha256 = source_sha256(&backup.path)?;
    let (legacy_report, metadata) = verify_legacy_with_metadata(
        backup,
        VerifyLevel::Deep,
        &config.mongo.database,
        live,
        keep_types,
    );
    if !legacy_report.ok {
        let errors: Vec<String> = legacy_report
            .findings
            .iter()
            .filter(|f| f.severity == "error")
            .map(|f| format!("{}: {}", f.subject, f.message))
            .collect();
        bail!(
            "legacy backup {} ({shown}) cannot be converted: {}; nothing was written",
            backup.id,
            errors.join("; ")
        );
    }
    if let Some((id, manifest)) =
        find_existing(&backup_dir, &sha256, backup.member.as_deref(), keep_types)
    {
        return Ok(ConvertOutcome {
            path: backup_dir.join(&id),
            id,
            reused: true,
            manifest,
            legacy_report,
            set_report: None,
        });
    }
    let _lock = acquire(&backup_dir, "conversion")?;
    let recipients = parse_recipients(
        &config.backup.recipients,
        config.backup.recipients_file.as_deref(),
    )
    .wrap_err("cannot read the backup recipients")?;
    let encrypt = !recipients.is_empty();
    let suffix = if encrypt { ".age" } else { "" };

    let mut created_at = backup.created_at;
    let mut id = backup_id(created_at, BackupKind::Full);
    while backup_dir.join(&id).exists() || backup_dir.join(format!("{id}{PARTIAL_SUFFIX}")).exists()
    {
        created_at += chrono::Duration::seconds(1);
        id = backup_id(created_at, BackupKind::Full);
    }
    let partial = backup_dir.join(format!("{id}{PARTIAL_SUFFIX}"));
    std::fs::create_dir(&partial)
        .wrap_err_with(|| format!("cannot create {}", partial.display()))?;
    let result = write_converted(
        config,
        backup,
        &legacy_report,
        &metadata,
        keep_types,
        &sha256,
        &partial,
        &id,
        created_at,
        &recipients,
        suffix,
    );
    let manifest = match result {
        Ok(manifest) => manifest,
        Err(err) => {
            let _ = std::fs::remove_dir_all(&partial);
            return Err(err.wrap_err(format!(
                "converting legacy backup {} failed; nothing was kept",
                backup.id
            )));
        }
    };
    let final_dir = backup_dir.join(&id);
    std::fs::rename(&partial, &final_dir).wrap_err_with(|| {
        format!(
            "cannot rename {} to {}",
            partial.display(),
            final_dir.display()
        )
    })?;
    fsync_dir(&backup_dir)?;
    let set_report = if encrypt {
        None
    } else {
        Some(verify_set(&final_dir, VerifyLevel::Deep, &[])?)
    };
    Ok(ConvertOutcome {
        id,
        path: final_dir,
        reused: false,
        manifest,
        legacy_report,
        set_report,
    })
}

#[allow(clippy::too_many_arguments)]
fn write_converted(
    config: &Config,
    backup: &LegacyBackup,
    report: &LegacyVerifyReport,
    metadata: &BTreeMap<String, CollectionMetadata>,
    keep_types: bool,
    sha256: &str,
    partial: &Path,
    id: &str,
    created_at: chrono::DateTime<Utc>,
    recipients: &[age::x25519::Recipient],
    suffix: &str,
) -> Result<Manifest> {
    let db = config.mongo.database.clone();
    let mut indexes_added = Vec::new();
    let preludes: Vec<CollectionPrelude> = report
        .collections
        .iter()
        .map(|c| {
            let meta = metadata.get(&c.name).cloned().unwrap_or_else(|| {
                indexes_added.push(c.name.clone());
                scandy_metadata(&c.name)
            });
            CollectionPrelude {
                db: db.clone(),
                collection: c.name.clone(),
                metadata: meta,
                size: c.bytes as i64,
            }
        })
        .collect();
    let mongo_name = format!("{MONGO_MEMBER}{suffix}");
    let files_name = format!("{FILES_MEMBER}{suffix}");
    let mongo = MemberWriter::create(&partial.join(&mongo_name), recipients, ZSTD_LEVEL, 0)?;
    let files = MemberWriter::create(&partial.join(&files_name), recipients, ZSTD_LEVEL, 0)?;
    let header = ArchiveHeader::new("", &format!("scandyctl {}", env!("CARGO_PKG_VERSION")));
    let archive = ArchiveWriter::new(mongo, &header, &preludes)
        .wrap_err_with(|| format!("cannot start {mongo_name}"))?;
    let mut sink = WriteSink {
        db: db.clone(),
        archive,
        tar: tar::Builder::new(files),
        current: None,
        totals: BTreeMap::new(),
        files: 0,
        file_bytes: 0,
    };
    let opts = ReadOptions {
        keep_types,
        deep: true,
        skip_files: false,
    };
    super::read_legacy(backup, &config.mongo.database, &opts, &mut sink)?;
    let WriteSink {
        archive,
        tar,
        totals,
        files: file_count,
        file_bytes,
        ..
    } = sink;
    let mongo_digest = archive
        .finish()
        .wrap_err_with(|| format!("cannot finish {mongo_name}"))?
        .finish()?;
    let files_digest = tar
        .into_inner()
        .wrap_err_with(|| format!("cannot finish {files_name}"))?
        .finish()?;

    let collections = preludes
        .iter()
        .map(|p| {
            let t = totals.get(&p.collection).copied().unwrap_or_default();
            CollectionEntry {
                name: p.collection.clone(),
                kind: p.metadata.kind.as_str().to_string(),
                documents: t.documents,
                bytes: t.bytes,
                crc64: format!("{:016x}", t.crc),
                options: Bson::Document(p.metadata.options.clone()).into_canonical_extjson(),
                indexes: p
                    .metadata
                    .indexes
                    .iter()
                    .map(|i| Bson::Document(i.clone()).into_canonical_extjson())
                    .collect(),
            }
        })
        .collect();
    let manifest = Manifest {
        format: MANIFEST_FORMAT,
        id: id.to_string(),
        kind: BackupKind::Full,
        parent: None,
        created_at,
        finished_at: Utc::now(),
        host: host_name(),
        scandyctl_version: env!("CARGO_PKG_VERSION").to_string(),
        scandy_root: config.scandy.root.display().to_string(),
        database: DatabasePart {
            database: db,
            server_version: String::new(),
            uri_redacted: redact_uri(&config.mongo.uri),
            collections,
        },
        files: FilesPart {
            files: file_count,
            bytes: file_bytes,
            included: Vec::new(),
            skipped: Vec::new(),
            upload_files: None,
        },
        members: vec![
            MemberEntry {
                name: mongo_name.clone(),
                content: MemberContent::MongoArchive,
                size: mongo_digest.size,
                sha256: mongo_digest.sha256.clone(),
                encrypted: !recipients.is_empty(),
            },
            MemberEntry {
                name: files_name.clone(),
                content: MemberContent::FilesTar,
                size: files_digest.size,
                sha256: files_digest.sha256.clone(),
                encrypted: !recipients.is_empty(),
            },
        ],
        recipients: recipient_strings(recipients),
        source: Some(SetSource {
            format: backup.format.as_str().to_string(),
            path: backup.path.display().to_string(),
            member: backup.member.clone(),
            sha256: sha256.to_string(),
            legacy_id: backup.id.clone(),
            kept_types: keep_types,
            conversions: report
                .collections
                .iter()
                .filter(|c| !c.conversions.is_empty())
                .map(|c| (c.name.clone(), c.conversions))
                .collect(),
            indexes_added,
        }),
        parent_sha256: None,
        increment: None,
        oplog: None,
        oplog_from: None,
        full_reason: None,
        synthetic: false,
        synthesized_from: Vec::new(),
    };
    seal_set(partial, &manifest)?;
    Ok(manifest)
}
