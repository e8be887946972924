//! The backups recovery can use, newest first: scandyctl's full and incremental sets and
//! Scandy's own backups. Pre-restore sets are left out (they hold the state a restore
//! replaced, often the broken one); `--backup ID` can still name one.

use chrono::{DateTime, Utc};

use super::model::{PointSource, Reference};
use crate::backup::inventory::{Verification, scan_inventory};
use crate::backup::legacy::LegacyBackup;
use crate::backup::legacy::check::{LegacyVerifyReport, verify_legacy};
use crate::backup::manifest::read_manifest;
use crate::backup::verify::VerifyLevel;
use crate::config::Config;

/// One backup recovery could restore.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Set or legacy id.
    pub id: String,
    /// Set or legacy.
    pub source: PointSource,
    /// When it was taken.
    pub created_at: DateTime<Utc>,
    /// The legacy backup, for a legacy candidate.
    pub legacy: Option<LegacyBackup>,
    /// Why it is known to be unusable already (its last verification failed).
    pub known_bad: Option<String>,
}

/// Every usable-looking backup, newest first (sets before legacy backups of the same time).
pub fn candidates(config: &Config) -> Vec<Candidate> {
    let mut list = Vec::new();
    if let Ok(inventory) = scan_inventory(&config.resolve(&config.backup.dir)) {
        for set in inventory.sets.iter().filter(|s| s.kind.is_data_backup()) {
            let known_bad = match &set.verification {
                Verification::Failed { at, findings, .. } => Some(format!(
                    "its verification of {} found {findings} problem(s)",
                    at.format("%Y-%m-%d %H:%M UTC")
                )),
                _ => None,
            };
            list.push(Candidate {
                id: set.id.clone(),
                source: PointSource::Set,
                created_at: set.created_at,
                legacy: None,
                known_bad,
            });
        }
    }
    let legacy =
        crate::backup::legacy::scan::scan_legacy(&crate::backup::legacy::scan::legacy_dirs(config));
    for backup in legacy.backups.into_iter().filter(|b| !b.failed) {
        if list.iter().any(|c: &Candidate| c.id == backup.id) {
            continue;
        }
        list.push(Candidate {
            id: backup.id.clone(),
            source: PointSource::Legacy,
            created_at: backup.created_at,
            legacy: Some(backup),
            known_bad: None,
        });
    }
    list.sort_by(|a, b| {
        b.created_at
            .cmp(&a.created_at)
            .then_with(|| (a.source as u8).cmp(&(b.source as u8)))
    });
    list
}

/// The newest candidate not known to be bad, with what it holds (blocking).
pub fn newest_reference(config: &Config) -> Option<Reference> {
    candidates(config)
        .into_iter()
        .filter(|c| c.known_bad.is_none())
        .find_map(|c| reference_of(config, &c))
}

/// What `candidate` holds: documents per collection and upload files (blocking; a legacy
/// backup without a stored verification is read once, quickly).
pub fn reference_of(config: &Config, candidate: &Candidate) -> Option<Reference> {
    match &candidate.legacy {
        None => {
            let dir = config.resolve(&config.backup.dir).join(&candidate.id);
            let manifest = read_manifest(&dir).ok()?;
            let collections = manifest
                .database
                .collections
                .iter()
                .map(|c| {
                    (
                        c.name.clone(),
                        manifest.state_documents(&c.name).unwrap_or(c.documents),
                    )
                })
                .collect();
            Some(Reference {
                id: candidate.id.clone(),
                source: PointSource::Set,
                created_at: manifest.created_at,
                collections,
                upload_files: manifest.files.upload_files,
            })
        }
        Some(backup) => {
            let report = legacy_report(config, backup)?;
            Some(Reference {
                id: candidate.id.clone(),
                source: PointSource::Legacy,
                created_at: backup.created_at,
                collections: report
                    .collections
                    .iter()
                    .map(|c| (c.name.clone(), c.documents))
                    .collect(),
                upload_files: None,
            })
        }
    }
}

/// The stored verification of a legacy backup, or a quick one now; `None` when it fails.
fn legacy_report(config: &Config, backup: &LegacyBackup) -> Option<LegacyVerifyReport> {
    let stored = crate::backup::legacy::store::read_record(&crate::state::state_dir(), &backup.id);
    let report = stored
        .unwrap_or_else(|| verify_legacy(backup, VerifyLevel::Quick, &config.mongo.database, None));
    report.ok.then_some(report)
}
