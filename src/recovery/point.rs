//! The recovery point (step 3): the newest backup that passes a deep verify now, the ones
//! passed over and why, and the data-loss window.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::detect::LiveCounts;
use super::model::{PointSource, Reference};
use super::reference::{Candidate, candidates, reference_of};
use crate::backup::legacy::check::verify_legacy;
use crate::backup::verify::{VerifyLevel, verify_set};
use crate::config::Config;

/// A backup passed over, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedPoint {
    /// Set or legacy id.
    pub id: String,
    /// Why it was not used.
    pub reason: String,
}

/// The backup recovery restores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecoveryPoint {
    /// What it holds.
    pub reference: Reference,
    /// When its deep verify passed.
    pub verified_at: DateTime<Utc>,
    /// Newer backups passed over, newest first.
    pub skipped: Vec<SkippedPoint>,
}

impl RecoveryPoint {
    /// Set or legacy id.
    pub fn id(&self) -> &str {
        &self.reference.id
    }
}

/// The data-loss window: from the backup to now, and what changed since.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LossWindow {
    /// When the backup was taken.
    pub from: DateTime<Utc>,
    /// When the window was measured.
    pub to: DateTime<Utc>,
    /// Collections that still hold data and whose live count differs from the backup: what
    /// restoring them would roll back (empty when the live database could not be read).
    pub changed_collections: Vec<String>,
    /// Whether the live database could be read.
    pub live_read: bool,
}

impl LossWindow {
    /// Its length in whole minutes.
    pub fn minutes(&self) -> i64 {
        (self.to - self.from).num_minutes().max(0)
    }
}

/// Deep-verifies candidates newest first (or only `wanted`) and returns the first that
/// passes (blocking: run it off the async runtime). `on_check` hears of each one checked.
pub fn choose_point(
    config: &Config,
    identities: &[age::x25519::Identity],
    wanted: Option<&str>,
    on_check: &dyn Fn(&str),
) -> color_eyre::eyre::Result<RecoveryPoint> {
    let mut list = candidates(config);
    if let Some(id) = wanted {
        list.retain(|c| c.id == id);
        if list.is_empty() {
            list = explicit_set(config, id)?;
        }
    }
    let mut skipped = Vec::new();
    for candidate in list {
        on_check(&candidate.id);
        match check(config, identities, &candidate) {
            Ok(reference) => {
                return Ok(RecoveryPoint {
                    reference,
                    verified_at: Utc::now(),
                    skipped,
                });
            }
            Err(reason) => skipped.push(SkippedPoint {
                id: candidate.id.clone(),
                reason,
            }),
        }
    }
    let why: Vec<String> = skipped
        .iter()
        .map(|s| format!("{}: {}", s.id, s.reason))
        .collect();
    match wanted {
        Some(id) if why.is_empty() => color_eyre::eyre::bail!("no backup {id} found"),
        _ if why.is_empty() => color_eyre::eyre::bail!(
            "no backup to recover from in {}",
            config.resolve(&config.backup.dir).display()
        ),
        _ => color_eyre::eyre::bail!("no backup passes a deep verify: {}", why.join("; ")),
    }
}

/// A set named by id that the candidate list leaves out (a pre-restore set).
fn explicit_set(config: &Config, id: &str) -> color_eyre::eyre::Result<Vec<Candidate>> {
    let dir = config.resolve(&config.backup.dir).join(id);
    if !crate::backup::id::is_safe_id(id) || !dir.join("manifest.json").is_file() {
        color_eyre::eyre::bail!(
            "no backup {id} in {}",
            config.resolve(&config.backup.dir).display()
        );
    }
    let manifest = crate::backup::manifest::read_manifest(&dir)?;
    Ok(vec![Candidate {
        id: id.to_string(),
        source: PointSource::Set,
        created_at: manifest.created_at,
        legacy: None,
        known_bad: None,
    }])
}

/// Deep-verifies one candidate: what it holds, or why it cannot be used.
fn check(
    config: &Config,
    identities: &[age::x25519::Identity],
    candidate: &Candidate,
) -> Result<Reference, String> {
    match &candidate.legacy {
        None => {
            let dir = config.resolve(&config.backup.dir).join(&candidate.id);
            let report = verify_set(&dir, VerifyLevel::Deep, identities)
                .map_err(|e| format!("deep verify failed: {e:#}"))?;
            if !report.ok {
                let first: Vec<String> = report
                    .findings
                    .iter()
                    .take(3)
                    .map(|f| format!("{}: {}", f.subject, f.message))
                    .collect();
                return Err(format!("deep verify failed: {}", first.join("; ")));
            }
        }
        Some(backup) => {
            let report = verify_legacy(backup, VerifyLevel::Deep, &config.mongo.database, None);
            let _ = crate::backup::legacy::store::write_record(&crate::state::state_dir(), &report);
            if !report.ok {
                let first: Vec<String> = report
                    .findings
                    .iter()
                    .filter(|f| f.severity == "error")
                    .take(3)
                    .map(|f| format!("{}: {}", f.subject, f.message))
                    .collect();
                return Err(format!("deep verify failed: {}", first.join("; ")));
            }
        }
    }
    reference_of(config, candidate).ok_or_else(|| "its contents cannot be read".to_string())
}

/// The data-loss window of `point` against the live counts (when readable).
pub fn loss_window(reference: &Reference, live: Option<&LiveCounts>) -> LossWindow {
    let mut changed = Vec::new();
    if let Some(live) = live {
        for (name, now) in live.iter().filter(|(_, n)| **n > 0) {
            let before = reference
                .collections
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, c)| *c);
            if before != Some(*now) {
                changed.push(name.clone());
            }
        }
    }
    LossWindow {
        from: reference.created_at,
        to: Utc::now(),
        changed_collections: changed,
        live_read: live.is_some(),
    }
}
