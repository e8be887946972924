//! Choosing the parent of an incremental: the newest set of this database (or the one
//! asked for), its whole chain present, linked by manifest hash and passing a quick
//! verify, with fingerprints to compare against. Anything less gives a full, with the
//! reason.

use std::path::Path;

use chrono::{DateTime, Utc};

use super::links::{Chain, resolve_chain};
use super::state::{ChainState, has_change_tables, state_of};
use crate::backup::inventory::scan_inventory;
use crate::backup::manifest::{BackupKind, MANIFEST_FILE};
use crate::backup::member::digest_file;

/// What kind of set was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted {
    /// An incremental whenever a usable parent exists.
    Incremental,
    /// An incremental, but a full when the chain gets too long or too old.
    Auto,
}

/// Limits of `--type auto`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainLimits {
    /// Most sets in a chain (`backup.max_chain`).
    pub max_chain: u32,
    /// Oldest base in days (`backup.max_chain_age_days`).
    pub max_age_days: u32,
}

/// A usable parent with its chain and the state at it.
#[derive(Debug, Clone)]
pub struct ParentPlan {
    /// The parent's chain (the parent last).
    pub chain: Chain,
    /// The state at the parent.
    pub state: ChainState,
    /// SHA-256 of the parent's manifest.
    pub manifest_sha256: String,
}

/// Picks and checks the parent; `Err` holds the reason a full is taken instead.
pub fn choose_parent(
    backup_dir: &Path,
    database: &str,
    explicit: Option<&str>,
    wanted: Wanted,
    limits: ChainLimits,
    now: DateTime<Utc>,
) -> Result<ParentPlan, String> {
    let id = match explicit {
        Some(id) => {
            if !backup_dir.join(id).join(MANIFEST_FILE).is_file() {
                return Err(format!(
                    "the parent {id} is not a set in {}",
                    backup_dir.display()
                ));
            }
            id.to_string()
        }
        None => {
            let inventory = scan_inventory(backup_dir)
                .map_err(|e| format!("cannot list the backups: {e:#}"))?;
            let newest = inventory
                .sets
                .iter()
                .filter(|s| matches!(s.kind, BackupKind::Full | BackupKind::Incremental))
                .find(|s| {
                    crate::backup::manifest::read_manifest(&s.path)
                        .is_ok_and(|m| m.database.database == database)
                });
            match newest {
                Some(set) => set.id.clone(),
                None => return Err(format!("there is no earlier set of database {database}")),
            }
        }
    };
    let chain = resolve_chain(backup_dir, &id, true)
        .map_err(|e| format!("the parent {id} cannot be used: {e:#}"))?;
    let parent = chain.target();
    if parent.manifest.database.database != database {
        return Err(format!(
            "the parent {id} is a backup of database {}, not {database}",
            parent.manifest.database.database
        ));
    }
    if let Some(link) = chain.links.iter().find(|l| !has_change_tables(&l.dir)) {
        return Err(format!(
            "set {} has no fingerprints (written before incremental backups existed, or converted)",
            link.id
        ));
    }
    if wanted == Wanted::Auto {
        let length = chain.links.len() as u32 + 1;
        if length > limits.max_chain {
            return Err(format!(
                "the chain would hold {length} sets (backup.max_chain = {})",
                limits.max_chain
            ));
        }
        let age = now - chain.base().manifest.created_at;
        if age > chrono::Duration::days(i64::from(limits.max_age_days)) {
            return Err(format!(
                "the chain's base {} is {} days old (backup.max_chain_age_days = {})",
                chain.base().id,
                age.num_days(),
                limits.max_age_days
            ));
        }
    }
    let state = state_of(&chain).map_err(|e| format!("the parent {id} cannot be used: {e:#}"))?;
    let manifest_sha256 = digest_file(&parent.dir.join(MANIFEST_FILE))
        .map_err(|e| format!("the parent {id} cannot be used: {e:#}"))?
        .sha256;
    Ok(ParentPlan {
        chain,
        state,
        manifest_sha256,
    })
}
