//! The state at a set, from its chain's fingerprint members and files indexes alone
//! (no data member is read): what the next incremental compares against.

use std::collections::HashMap;

use color_eyre::eyre::{Result, bail};

use super::files_index::{FILES_INDEX_MEMBER, FileStamp, PathKey, apply, read_files_index};
use super::fingerprint::{FINGERPRINTS_MEMBER, Fingerprints, TableKind, read_fingerprints};
use super::links::Chain;
use super::tracker::CollectionState;

/// Database and files state at the end of a chain.
#[derive(Debug, Clone, Default)]
pub struct ChainState {
    /// Per collection: key to document hash.
    pub collections: HashMap<String, CollectionState>,
    /// Per tar path key: its stamp.
    pub files: HashMap<PathKey, FileStamp>,
}

/// Whether the set in `dir` has what an incremental needs of a parent.
pub fn has_change_tables(dir: &std::path::Path) -> bool {
    dir.join(FINGERPRINTS_MEMBER).is_file() && dir.join(FILES_INDEX_MEMBER).is_file()
}

/// Reads the fingerprints of every link and folds them; the digest and count of each
/// collection are checked against what each link recorded.
pub fn state_of(chain: &Chain) -> Result<ChainState> {
    let mut state = ChainState::default();
    for link in &chain.links {
        if !has_change_tables(&link.dir) {
            bail!(
                "set {} has no {FINGERPRINTS_MEMBER} or {FILES_INDEX_MEMBER} (written before incremental backups existed, or converted)",
                link.id
            );
        }
        let fingerprints = read_fingerprints(&link.dir.join(FINGERPRINTS_MEMBER))?;
        fold(&mut state.collections, &fingerprints, &link.id)?;
        let index = read_files_index(&link.dir.join(FILES_INDEX_MEMBER))?;
        apply(&mut state.files, &index);
    }
    Ok(state)
}

/// Applies one set's fingerprints to the state before it.
pub fn fold(
    state: &mut HashMap<String, CollectionState>,
    fingerprints: &Fingerprints,
    set: &str,
) -> Result<()> {
    state.retain(|name, _| fingerprints.contains_key(name));
    for (name, table) in fingerprints {
        let entry = match table.kind {
            TableKind::Full => {
                let entry = state.entry(name.clone()).or_default();
                entry.entries.clear();
                entry.entries.reserve(table.upserts.len());
                entry
            }
            TableKind::Delta => match state.get_mut(name) {
                Some(entry) => entry,
                None => bail!("set {set} changes collection {name}, which its parent lacks"),
            },
        };
        for key in &table.deletes {
            entry.entries.remove(key);
        }
        entry.entries.extend(table.upserts.iter().copied());
        entry.digest = table.state_digest;
        let (count, digest) = (
            entry.entries.len() as u64,
            entry
                .entries
                .values()
                .fold(0u128, |sum, h| sum.wrapping_add(*h)),
        );
        if count != table.state_documents || digest != table.state_digest {
            bail!(
                "set {set}: the fingerprints of {name} do not add up ({count} documents, {} recorded)",
                table.state_documents
            );
        }
    }
    Ok(())
}
