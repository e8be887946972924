//! A set's chain: the set, its parent, the parent's parent, … down to the base full,
//! each link checked (present, its manifest the one the child names by SHA-256, and
//! optionally its members against their checksums).

use std::path::{Path, PathBuf};

use color_eyre::eyre::Result;

use crate::backup::manifest::{BackupKind, MANIFEST_FILE, Manifest, read_manifest};
use crate::backup::member::digest_file;
use crate::backup::verify::{VerifyLevel, verify_set_alone};

/// Longest chain followed before giving up (a loop or a damaged directory).
const MAX_DEPTH: usize = 1000;

/// One set of a chain.
#[derive(Debug, Clone)]
pub struct ChainLink {
    /// Set id.
    pub id: String,
    /// Set directory.
    pub dir: PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
}

/// A chain, base full first and the asked-for set last.
#[derive(Debug, Clone)]
pub struct Chain {
    /// The links, base first.
    pub links: Vec<ChainLink>,
}

impl Chain {
    /// The set the chain ends at.
    pub fn target(&self) -> &ChainLink {
        self.links.last().expect("a chain has at least one link")
    }

    /// The base full.
    pub fn base(&self) -> &ChainLink {
        &self.links[0]
    }

    /// Ids base first.
    pub fn ids(&self) -> Vec<String> {
        self.links.iter().map(|l| l.id.clone()).collect()
    }

    /// Whether the chain is a single full set.
    pub fn is_single(&self) -> bool {
        self.links.len() == 1
    }
}

/// A chain that cannot be followed: which link and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBroken {
    /// The set whose link is broken.
    pub at: String,
    /// What is wrong.
    pub reason: String,
}

impl std::fmt::Display for ChainBroken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "chain broken at {}: {}", self.at, self.reason)
    }
}

impl std::error::Error for ChainBroken {}

/// Follows the parents of `id` in `backup_dir`; every parent must be there with the
/// manifest its child names. With `quick_verify`, each link's members are also checked
/// against their checksums (and the result recorded in its `verify.json`).
pub fn resolve_chain(backup_dir: &Path, id: &str, quick_verify: bool) -> Result<Chain> {
    let dir = backup_dir.join(id);
    let manifest = read_manifest(&dir).map_err(|e| broken(id, format!("{e:#}")))?;
    let mut links = vec![ChainLink {
        id: id.to_string(),
        dir,
        manifest,
    }];
    loop {
        let child = links.last().expect("not empty");
        if child.manifest.kind != BackupKind::Incremental {
            break;
        }
        if links.len() > MAX_DEPTH {
            return Err(broken(&child.id, format!("longer than {MAX_DEPTH} sets")).into());
        }
        let Some(parent) = child.manifest.parent.clone() else {
            return Err(broken(&child.id, "an incremental without a parent".into()).into());
        };
        if links.iter().any(|l| l.id == parent) {
            return Err(broken(&child.id, format!("parent {parent} is part of a loop")).into());
        }
        let parent_dir = backup_dir.join(&parent);
        let manifest_path = parent_dir.join(MANIFEST_FILE);
        if !manifest_path.is_file() {
            return Err(broken(&child.id, format!("parent {parent} is missing")).into());
        }
        let digest = digest_file(&manifest_path)
            .map_err(|e| broken(&child.id, format!("parent {parent}: {e:#}")))?;
        if child.manifest.parent_sha256.as_deref() != Some(digest.sha256.as_str()) {
            return Err(broken(
                &child.id,
                format!("parent manifest changed ({parent}/{MANIFEST_FILE} is not the one this set was taken against)"),
            )
            .into());
        }
        let manifest = read_manifest(&parent_dir)
            .map_err(|e| broken(&child.id, format!("parent {parent}: {e:#}")))?;
        links.push(ChainLink {
            id: parent,
            dir: parent_dir,
            manifest,
        });
    }
    links.reverse();
    if quick_verify {
        for link in &links {
            check_link(link)?;
        }
    }
    Ok(Chain { links })
}

/// An incremental's chain, link by link: presence, the parent manifest hashes and each
/// link's members (quick); deep also replays the chain and checks the fingerprints.
pub fn chain_findings(
    dir: &Path,
    manifest: &Manifest,
    level: VerifyLevel,
    identities: &[age::x25519::Identity],
) -> Vec<(String, String)> {
    use super::merge::{write_chain_archive, write_chain_tar};
    if manifest.kind != crate::backup::manifest::BackupKind::Incremental {
        return Vec::new();
    }
    let backup_dir = dir.parent().unwrap_or(Path::new("."));
    let chain = match resolve_chain(backup_dir, &manifest.id, false) {
        Ok(chain) => chain,
        Err(err) => return vec![("chain".into(), format!("{err:#}"))],
    };
    let (_, parents) = chain.links.split_last().expect("a chain has a link");
    for link in parents {
        if let Err(err) = check_link(link) {
            return vec![("chain".into(), format!("{err:#}"))];
        }
    }
    if level == VerifyLevel::Deep {
        if let Err(err) = write_chain_archive(&chain, identities, std::io::sink()) {
            return vec![("chain".into(), format!("replaying the database: {err:#}"))];
        }
        if let Err(err) = write_chain_tar(&chain, identities, std::io::sink()) {
            return vec![("chain".into(), format!("replaying the files: {err:#}"))];
        }
    }
    Vec::new()
}

/// Checks one link's members against their checksums.
pub fn check_link(link: &ChainLink) -> Result<()> {
    let report = verify_set_alone(
        &link.dir,
        VerifyLevel::Quick,
        &[],
        &|_| {},
        &tokio_util::sync::CancellationToken::new(),
    )?;
    if let Some(finding) = report.findings.first() {
        return Err(broken(
            &link.id,
            format!("{}: {}", finding.subject, finding.message),
        )
        .into());
    }
    Ok(())
}

fn broken(at: &str, reason: String) -> ChainBroken {
    ChainBroken {
        at: at.to_string(),
        reason,
    }
}
