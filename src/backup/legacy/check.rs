//! `verify` of a legacy backup: readable structure and counts (quick), every document parsed
//! (deep), and what it lacks against the live database.

use std::collections::BTreeMap;
use std::io::Read;

use chrono::{DateTime, Utc};
use color_eyre::Result;
use mongodb::bson::{RawBsonRef, RawDocumentBuf};
use serde::{Deserialize, Serialize};

use super::{
    Conversions, LegacyBackup, LegacyFile, LegacyFormat, LegacySink, ReadOptions, ReaderNote,
    read_legacy,
};
use crate::backup::archive::CollectionMetadata;
use crate::backup::verify::VerifyLevel;

/// Documents and bytes of one collection in a legacy backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectionCount {
    /// Collection name.
    pub name: String,
    /// Documents read.
    pub documents: u64,
    /// BSON bytes of those documents.
    pub bytes: u64,
    /// Type conversions a restore applies.
    pub conversions: Conversions,
}

/// One finding of a legacy verify.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegacyFinding {
    /// `error` (the backup cannot be used as it is) or `warning`.
    pub severity: String,
    /// Stable code (`unreadable`, `empty-dump`, `missing-collections`, `department-filtered`,
    /// `string-types`, `secret-in-clear`, `duplicate-id`, `count-mismatch`).
    pub code: String,
    /// What it concerns (an entry, a collection).
    pub subject: String,
    /// What it means (plain text; escaped when shown).
    pub message: String,
}

/// The stored result of verifying one legacy backup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LegacyVerifyReport {
    /// Legacy id.
    pub id: String,
    /// Format.
    pub format: LegacyFormat,
    /// The file or directory.
    pub path: String,
    /// The weekly ZIP's member, if any.
    pub member: Option<String>,
    /// Quick or deep.
    pub level: VerifyLevel,
    /// When it ran.
    pub at: DateTime<Utc>,
    /// No error finding.
    pub ok: bool,
    /// Collections with their counts, in backup order.
    pub collections: Vec<CollectionCount>,
    /// Files carried.
    pub files: u64,
    /// Their bytes.
    pub file_bytes: u64,
    /// Collections the live database has and the backup lacks.
    pub missing_collections: Vec<String>,
    /// Findings, errors first.
    pub findings: Vec<LegacyFinding>,
}

impl LegacyVerifyReport {
    /// Documents in all collections.
    pub fn total_documents(&self) -> u64 {
        self.collections.iter().map(|c| c.documents).sum()
    }
}

/// One live collection, for comparison.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LiveCollection {
    /// Estimated document count.
    pub documents: u64,
    /// Distinct string `department` values (0 when none).
    pub departments: usize,
}

/// What the live database holds, for comparison.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LiveDatabase {
    /// Collections by name.
    pub collections: BTreeMap<String, LiveCollection>,
}

/// Reads what [`LiveDatabase`] needs; collections whose departments cannot be read count 0.
pub async fn read_live(db: &mongodb::Database) -> Result<LiveDatabase> {
    use color_eyre::eyre::WrapErr;
    let names = db
        .list_collection_names()
        .await
        .wrap_err_with(|| format!("cannot list the collections of {}", db.name()))?;
    let mut collections = BTreeMap::new();
    for name in names {
        if name.starts_with("system.") || crate::backup::restore::is_staging_collection(&name) {
            continue;
        }
        let coll = db.collection::<mongodb::bson::Document>(&name);
        let departments = coll
            .distinct("department", mongodb::bson::doc! {})
            .await
            .map(|values| values.iter().filter(|v| v.as_str().is_some()).count())
            .unwrap_or(0);
        let documents = coll.estimated_document_count().await.unwrap_or(0);
        collections.insert(
            name,
            LiveCollection {
                documents,
                departments,
            },
        );
    }
    Ok(LiveDatabase { collections })
}

#[derive(Default)]
struct Current {
    name: String,
    documents: u64,
    bytes: u64,
    first_department: Option<String>,
    departments: usize,
    /// 64-bit hashes of the `_id`s (8 bytes per document: a 2 GB backup stays small).
    ids: Vec<u64>,
}

/// Collects counts and findings while a reader streams the backup.
#[derive(Default)]
struct CheckSink {
    deep: bool,
    current: Option<Current>,
    collections: Vec<CollectionCount>,
    departments: BTreeMap<String, (usize, Option<String>)>,
    findings: Vec<LegacyFinding>,
    files: u64,
    file_bytes: u64,
    metadata: BTreeMap<String, CollectionMetadata>,
}

fn id_hash(doc: &RawDocumentBuf) -> Option<u64> {
    let id = doc.get("_id").ok().flatten()?;
    let mut hasher = sha2::Sha256::default();
    use sha2::Digest;
    hasher.update([id.element_type() as u8]);
    match id {
        RawBsonRef::ObjectId(oid) => hasher.update(oid.bytes()),
        RawBsonRef::String(s) => hasher.update(s.as_bytes()),
        other => hasher.update(format!("{other:?}").as_bytes()),
    }
    let digest = hasher.finalize();
    Some(u64::from_le_bytes(digest[..8].try_into().ok()?))
}

impl LegacySink for CheckSink {
    fn begin_collection(&mut self, name: &str, meta: Option<&CollectionMetadata>) -> Result<()> {
        if let Some(meta) = meta {
            self.metadata.insert(name.to_string(), meta.clone());
        }
        self.current = Some(Current {
            name: name.to_string(),
            ..Current::default()
        });
        Ok(())
    }

    fn document(&mut self, doc: RawDocumentBuf) -> Result<()> {
        let Some(current) = self.current.as_mut() else {
            return Ok(());
        };
        current.documents += 1;
        current.bytes += doc.as_bytes().len() as u64;
        if self.deep {
            for element in doc.iter() {
                element.map_err(|e| {
                    color_eyre::eyre::eyre!(
                        "{}: document {} is not valid BSON: {e}",
                        current.name,
                        current.documents
                    )
                })?;
            }
        }
        if let Ok(Some(RawBsonRef::String(dept))) = doc.get("department") {
            match &current.first_department {
                None => {
                    current.first_department = Some(dept.to_string());
                    current.departments = 1;
                }
                Some(first) if first != dept => current.departments = 2,
                Some(_) => {}
            }
        }
        if let Some(hash) = id_hash(&doc) {
            current.ids.push(hash);
        }
        Ok(())
    }

    fn end_collection(&mut self, conversions: &Conversions) -> Result<()> {
        let Some(mut current) = self.current.take() else {
            return Ok(());
        };
        current.ids.sort_unstable();
        let duplicates = current.ids.windows(2).filter(|w| w[0] == w[1]).count();
        if duplicates > 0 {
            self.findings.push(LegacyFinding {
                severity: "error".into(),
                code: "duplicate-id".into(),
                subject: current.name.clone(),
                message: format!(
                    "{duplicates} document(s) of {} repeat an _id already seen: a restore \
                     would fail on them",
                    current.name
                ),
            });
        }
        self.departments.insert(
            current.name.clone(),
            (current.departments, current.first_department.clone()),
        );
        self.collections.push(CollectionCount {
            name: current.name,
            documents: current.documents,
            bytes: current.bytes,
            conversions: *conversions,
        });
        Ok(())
    }

    fn file(&mut self, file: &LegacyFile, data: &mut dyn Read) -> Result<()> {
        use color_eyre::eyre::WrapErr;
        let read = std::io::copy(data, &mut std::io::sink())
            .wrap_err_with(|| format!("cannot read entry {}", file.entry))?;
        self.files += 1;
        self.file_bytes += read;
        Ok(())
    }

    fn note(&mut self, note: ReaderNote) {
        let severity = "warning".to_string();
        let subject = note.entry.clone().unwrap_or_default();
        if !self
            .findings
            .iter()
            .any(|f| f.code == note.kind && f.subject == subject)
        {
            self.findings.push(LegacyFinding {
                severity,
                code: note.kind,
                subject,
                message: note.message,
            });
        }
    }
}

/// Verifies `backup` (blocking: run it off the async runtime). `live` compares against the
/// live database when it could be read. Nothing is written anywhere.
pub fn verify_legacy(
    backup: &LegacyBackup,
    level: VerifyLevel,
    database: &str,
    live: Option<&LiveDatabase>,
) -> LegacyVerifyReport {
    verify_legacy_with_metadata(backup, level, database, live, false).0
}

/// [`verify_legacy`], also returning the collection metadata the backup carries (by
/// collection); `keep_types` reads as a `--keep-types` restore would.
pub fn verify_legacy_with_metadata(
    backup: &LegacyBackup,
    level: VerifyLevel,
    database: &str,
    live: Option<&LiveDatabase>,
    keep_types: bool,
) -> (LegacyVerifyReport, BTreeMap<String, CollectionMetadata>) {
    let deep = level == VerifyLevel::Deep;
    let mut sink = CheckSink {
        deep,
        ..CheckSink::default()
    };
    let opts = ReadOptions {
        keep_types,
        deep,
        skip_files: false,
    };
    let read = read_legacy(backup, database, &opts, &mut sink);
    let mut findings = std::mem::take(&mut sink.findings);
    if let Err(err) = read {
        let (code, message) = if backup.failed {
            (
                "empty-dump",
                "the directory is empty: Scandy's mongodump call failed when this backup was \
                 made (is /usr/bin/mongodump installed?); it holds no data"
                    .to_string(),
            )
        } else {
            ("unreadable", format!("{err:#}"))
        };
        findings.insert(
            0,
            LegacyFinding {
                severity: "error".into(),
                code: code.into(),
                subject: backup.path.display().to_string(),
                message,
            },
        );
    }
    let conversions = sink
        .collections
        .iter()
        .fold(Conversions::default(), |mut acc, c| {
            acc.add(&c.conversions);
            acc
        });
    if conversions.id_strings > 0 || conversions.date_strings > 0 {
        findings.push(LegacyFinding {
            severity: "warning".into(),
            code: "string-types".into(),
            subject: String::new(),
            message: format!(
                "{} _id(s) and {} date(s) are stored as strings; a restore turns them back \
                 into ObjectIds and dates (--keep-types keeps the strings)",
                conversions.id_strings, conversions.date_strings
            ),
        });
    }
    let mut missing = Vec::new();
    if let Some(live) = live {
        let present: std::collections::BTreeSet<&str> =
            sink.collections.iter().map(|c| c.name.as_str()).collect();
        missing = live
            .collections
            .keys()
            .filter(|name| !present.contains(name.as_str()))
            .cloned()
            .collect();
        if !missing.is_empty() && !sink.collections.is_empty() {
            findings.push(LegacyFinding {
                severity: "warning".into(),
                code: "missing-collections".into(),
                subject: String::new(),
                message: format!(
                    "this backup misses {} collection(s) the live database has, e.g. {}; a \
                     restore leaves them as they are",
                    missing.len(),
                    missing[0]
                ),
            });
        }
        for (name, (departments, first)) in &sink.departments {
            let live_departments = live.collections.get(name).map_or(0, |c| c.departments);
            if *departments == 1 && live_departments > 1 {
                findings.push(LegacyFinding {
                    severity: "warning".into(),
                    code: "department-filtered".into(),
                    subject: name.clone(),
                    message: format!(
                        "every document of {name} belongs to department {} while the live \
                         collection has {live_departments}: a department-filtered export, \
                         the other departments are not in it",
                        first.as_deref().unwrap_or("?")
                    ),
                });
            }
        }
    }
    findings.sort_by_key(|f| f.severity != "error");
    let metadata = std::mem::take(&mut sink.metadata);
    let report = LegacyVerifyReport {
        id: backup.id.clone(),
        format: backup.format,
        path: backup.path.display().to_string(),
        member: backup.member.clone(),
        level,
        at: Utc::now(),
        ok: !findings.iter().any(|f| f.severity == "error"),
        collections: sink.collections,
        files: sink.files,
        file_bytes: sink.file_bytes,
        missing_collections: missing,
        findings,
    };
    (report, metadata)
}
