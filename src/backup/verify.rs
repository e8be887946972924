//! Verifying a set: quick (members present, sizes and SHA-256) or deep (decrypt, decompress
//! and parse everything, CRCs and counts against the manifest). Results go to `verify.json`.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use color_eyre::eyre::Result;
use serde::{Deserialize, Serialize};

use super::archive::{ArchiveEvent, ArchiveReader};
use super::extract::{ExtractLimits, scan_tar};
use super::manifest::{
    MANIFEST_FILE, Manifest, MemberContent, SHA256SUMS_FILE, VERIFY_FILE, read_manifest,
    write_json_atomic,
};
use super::member::{DecryptHint, digest_file, open_member_with_hint, read_sha256sums};

/// How thorough a verification is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VerifyLevel {
    /// Manifest, presence, sizes and SHA-256 of every member.
    Quick,
    /// Also decrypt, decompress and parse every document and tar entry.
    Deep,
}

/// One problem found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Member or item concerned (`manifest.json`, `mongo.archive.zst`, a collection …).
    pub subject: String,
    /// What is wrong.
    pub message: String,
}

/// The result of verifying one set, as stored in `verify.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyReport {
    /// Set id.
    pub id: String,
    /// When the check ran.
    pub checked_at: DateTime<Utc>,
    /// Quick or deep.
    pub level: VerifyLevel,
    /// True when nothing was found.
    pub ok: bool,
    /// Everything that was wrong.
    pub findings: Vec<Finding>,
    /// What was checked, e.g. documents and tar entries read (deep).
    pub checked: BTreeMap<String, u64>,
}

/// Verifies the set in `dir` and records the result in its `verify.json`.
pub fn verify_set(
    dir: &Path,
    level: VerifyLevel,
    identities: &[age::x25519::Identity],
) -> Result<VerifyReport> {
    let id = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut report = VerifyReport {
        id: id.clone(),
        checked_at: Utc::now(),
        level,
        ok: false,
        findings: Vec::new(),
        checked: BTreeMap::new(),
    };
    match read_manifest(dir) {
        Ok(manifest) => {
            if manifest.id != id {
                report.finding(
                    MANIFEST_FILE,
                    format!("manifest id {} does not match directory {id}", manifest.id),
                );
            }
            let sums_ok = check_checksums(dir, &manifest, &mut report);
            if level == VerifyLevel::Deep && sums_ok {
                deep_check(dir, &manifest, identities, &mut report);
            } else if level == VerifyLevel::Deep {
                report.finding(
                    "deep check",
                    "skipped: the members do not match their checksums".into(),
                );
            }
        }
        Err(err) => report.finding(MANIFEST_FILE, format!("{err:#}")),
    }
    report.ok = report.findings.is_empty();
    write_json_atomic(&dir.join(VERIFY_FILE), &report)?;
    Ok(report)
}

/// Reads the last verification record of a set, if any.
pub fn read_verify_record(dir: &Path) -> Option<VerifyReport> {
    let text = std::fs::read_to_string(dir.join(VERIFY_FILE)).ok()?;
    serde_json::from_str(&text).ok()
}

impl VerifyReport {
    fn finding(&mut self, subject: &str, message: String) {
        self.findings.push(Finding {
            subject: subject.to_string(),
            message,
        });
    }
}

fn check_checksums(dir: &Path, manifest: &Manifest, report: &mut VerifyReport) -> bool {
    let before = report.findings.len();
    let sums = match read_sha256sums(&dir.join(SHA256SUMS_FILE)) {
        Ok(sums) => sums.into_iter().collect::<BTreeMap<_, _>>(),
        Err(err) => {
            report.finding(SHA256SUMS_FILE, format!("{err:#}"));
            BTreeMap::new()
        }
    };
    match (
        digest_file(&dir.join(MANIFEST_FILE)),
        sums.get(MANIFEST_FILE),
    ) {
        (Ok(digest), Some(expected)) if &digest.sha256 != expected => {
            report.finding(MANIFEST_FILE, "SHA-256 differs from SHA256SUMS".into())
        }
        (Ok(_), None) if !sums.is_empty() => {
            report.finding(MANIFEST_FILE, "not listed in SHA256SUMS".into())
        }
        (Err(err), _) => report.finding(MANIFEST_FILE, format!("{err:#}")),
        _ => {}
    }
    for member in &manifest.members {
        let path = dir.join(&member.name);
        let Ok(meta) = std::fs::metadata(&path) else {
            report.finding(&member.name, "missing".into());
            continue;
        };
        if meta.len() != member.size {
            report.finding(
                &member.name,
                format!("size {} bytes, manifest says {}", meta.len(), member.size),
            );
            continue;
        }
        match digest_file(&path) {
            Ok(digest) => {
                if digest.sha256 != member.sha256 {
                    report.finding(&member.name, "SHA-256 differs from the manifest".into());
                }
                match sums.get(&member.name) {
                    Some(listed) if *listed != digest.sha256 => {
                        report.finding(&member.name, "SHA-256 differs from SHA256SUMS".into())
                    }
                    None if !sums.is_empty() => {
                        report.finding(&member.name, "not listed in SHA256SUMS".into())
                    }
                    _ => {}
                }
            }
            Err(err) => report.finding(&member.name, format!("{err:#}")),
        }
        *report.checked.entry("member bytes".into()).or_default() += meta.len();
    }
    report.findings.len() == before
}

fn deep_check(
    dir: &Path,
    manifest: &Manifest,
    identities: &[age::x25519::Identity],
    report: &mut VerifyReport,
) {
    if let Some(member) = manifest.member(MemberContent::MongoArchive)
        && let Err(err) = deep_check_archive(&dir.join(&member.name), manifest, identities, report)
    {
        report.finding(&member.name, format!("{err:#}"));
    }
    if let Some(member) = manifest.member(MemberContent::FilesTar) {
        let limits = ExtractLimits {
            max_total_bytes: manifest.files.bytes + manifest.files.bytes / 10 + (1 << 20),
            max_entries: manifest.files.files * 2 + 10_000,
        };
        let hint = hint_for(manifest);
        let outcome = open_member_with_hint(&dir.join(&member.name), identities, &hint)
            .and_then(|reader| scan_tar(reader, &limits));
        match outcome {
            Ok(entries) => {
                let files = entries.iter().filter(|e| e.is_file()).count() as u64;
                let bytes: u64 = entries.iter().map(|e| e.size).sum();
                report
                    .checked
                    .insert("tar entries".into(), entries.len() as u64);
                if files != manifest.files.files {
                    report.finding(
                        &member.name,
                        format!("{files} files, manifest says {}", manifest.files.files),
                    );
                }
                if bytes != manifest.files.bytes {
                    report.finding(
                        &member.name,
                        format!(
                            "{bytes} bytes of files, manifest says {}",
                            manifest.files.bytes
                        ),
                    );
                }
            }
            Err(err) => report.finding(&member.name, format!("{err:#}")),
        }
    }
}

fn deep_check_archive(
    path: &Path,
    manifest: &Manifest,
    identities: &[age::x25519::Identity],
    report: &mut VerifyReport,
) -> Result<()> {
    let mut reader = ArchiveReader::new(open_member_with_hint(
        path,
        identities,
        &hint_for(manifest),
    )?)?;
    let expected: BTreeMap<&str, _> = manifest
        .database
        .collections
        .iter()
        .map(|c| (c.name.as_str(), c))
        .collect();
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    let mut documents = 0u64;
    while let Some(event) = reader.next_event()? {
        match event {
            ArchiveEvent::Document {
                collection, bytes, ..
            } => {
                for element in bytes.iter() {
                    element.map_err(|e| {
                        color_eyre::eyre::eyre!("collection {collection}: invalid BSON: {e}")
                    })?;
                }
                *seen.entry(collection).or_default() += 1;
                documents += 1;
            }
            ArchiveEvent::CollectionEof {
                collection,
                documents: count,
                crc_expected,
                crc_actual,
                ..
            } => {
                if crc_expected != crc_actual {
                    report.finding(
                        &collection,
                        format!(
                            "CRC {crc_actual:016x} differs from the archive's {crc_expected:016x}"
                        ),
                    );
                }
                match expected.get(collection.as_str()) {
                    Some(entry) => {
                        if entry.documents != count {
                            report.finding(
                                &collection,
                                format!("{count} documents, manifest says {}", entry.documents),
                            );
                        }
                        if entry.crc64 != format!("{crc_actual:016x}") {
                            report.finding(&collection, "CRC differs from the manifest".into());
                        }
                    }
                    None => {
                        report.finding(&collection, "in the archive but not in the manifest".into())
                    }
                }
                seen.entry(collection).or_default();
            }
        }
    }
    for entry in &manifest.database.collections {
        if entry.kind == "collection" && !seen.contains_key(&entry.name) {
            report.finding(
                &entry.name,
                "in the manifest but missing from the archive".into(),
            );
        }
    }
    report.checked.insert("documents".into(), documents);
    report
        .checked
        .insert("collections".into(), seen.len() as u64);
    Ok(())
}

/// What to say when a member cannot be decrypted: the set's recipients from the manifest.
pub fn hint_for(manifest: &Manifest) -> DecryptHint {
    DecryptHint {
        recipients: manifest.recipients.clone(),
        identity_file: None,
    }
}
