//! The parts of writing a set that know about parents: which files an incremental stores,
//! the files index, the change members on disk and the increment record of the manifest.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use color_eyre::eyre::Result;

use super::files_index::{
    FILES_INDEX_MEMBER, FileStamp, FilesIndex, PathKey, apply, path_key, totals, write_files_index,
};
use super::fingerprint::{FINGERPRINTS_MEMBER, TableKind, write_fingerprints};
use super::tracker::{TrackedCollection, fingerprints_of};
use crate::backup::extract::EntryKind;
use crate::backup::files::FileSelection;
use crate::backup::manifest::{
    CollectionDelta, CollectionEntry, FilesDelta, Manifest, MemberContent, MemberEntry,
};
use crate::backup::member::digest_file;

/// Which entries of a selection a set stores, and their stamps.
#[derive(Debug, Clone, Default)]
pub struct FilesPlan {
    /// Tar paths to store.
    pub store: HashSet<String>,
    /// Stamp of every selected entry, by tar path.
    pub stamps: HashMap<String, FileStamp>,
    /// Keys the parent had that are no longer selected.
    pub deletes: Vec<PathKey>,
    /// Counts against the parent.
    pub delta: FilesDelta,
}

/// Stamps every selected entry; against a parent's files state, keeps only the entries
/// whose stamp differs (unchanged files are neither read nor stored).
pub fn plan_files(
    selection: &FileSelection,
    parent: Option<&HashMap<PathKey, FileStamp>>,
) -> FilesPlan {
    let mut plan = FilesPlan::default();
    let mut selected = HashSet::with_capacity(selection.entries.len());
    for entry in &selection.entries {
        let kind = match entry.kind {
            EntryKind::File => 0,
            EntryKind::Dir => 1,
            EntryKind::Symlink { .. } => 2,
        };
        let stamp = std::fs::symlink_metadata(&entry.source)
            .map(|m| FileStamp::of(&m, kind))
            .unwrap_or(FileStamp {
                kind,
                ..FileStamp::default()
            });
        let key = path_key(&entry.archive_path);
        selected.insert(key);
        let store = match parent.and_then(|p| p.get(&key)) {
            None => {
                plan.delta.added += 1;
                true
            }
            Some(old) if old.same_metadata(&stamp) => {
                plan.delta.unchanged += 1;
                false
            }
            Some(_) => {
                plan.delta.changed += 1;
                true
            }
        };
        if store || parent.is_none() {
            plan.store.insert(entry.archive_path.clone());
        }
        plan.stamps.insert(entry.archive_path.clone(), stamp);
    }
    if let Some(parent) = parent {
        plan.deletes = parent
            .keys()
            .filter(|k| !selected.contains(k))
            .copied()
            .collect();
        plan.deletes.sort_unstable();
        plan.delta.deleted = plan.deletes.len() as u64;
    }
    plan
}

/// The files index of the new set, and the file totals of its state.
pub fn files_index(
    plan: &FilesPlan,
    hashes: &BTreeMap<String, u128>,
    parent: Option<&HashMap<PathKey, FileStamp>>,
) -> (FilesIndex, FilesDelta) {
    let mut upserts: Vec<(PathKey, FileStamp)> = hashes
        .iter()
        .filter_map(|(path, content)| {
            let stamp = plan.stamps.get(path)?;
            Some((
                path_key(path),
                FileStamp {
                    content: *content,
                    ..*stamp
                },
            ))
        })
        .collect();
    upserts.sort_unstable_by_key(|(k, _)| *k);
    let index = FilesIndex {
        kind: if parent.is_some() {
            TableKind::Delta
        } else {
            TableKind::Full
        },
        upserts,
        deletes: plan.deletes.clone(),
    };
    let mut state = parent.cloned().unwrap_or_default();
    apply(&mut state, &index);
    let (files, bytes) = totals(&state);
    let delta = FilesDelta {
        files,
        bytes,
        ..plan.delta.clone()
    };
    (index, delta)
}

/// Writes the fingerprint member and the files index into the set directory `dir`;
/// returns their member entries (never encrypted: they hold hashes only).
pub fn write_change_members(
    dir: &Path,
    tracked: &[(String, TrackedCollection)],
    index: &FilesIndex,
) -> Result<Vec<MemberEntry>> {
    write_fingerprints(&dir.join(FINGERPRINTS_MEMBER), &fingerprints_of(tracked))?;
    write_files_index(&dir.join(FILES_INDEX_MEMBER), index)?;
    let mut members = Vec::new();
    for (name, content) in [
        (FINGERPRINTS_MEMBER, MemberContent::Fingerprints),
        (FILES_INDEX_MEMBER, MemberContent::FilesIndex),
    ] {
        let digest = digest_file(&dir.join(name))?;
        members.push(MemberEntry {
            name: name.to_string(),
            content,
            size: digest.size,
            sha256: digest.sha256,
            encrypted: false,
        });
    }
    Ok(members)
}

/// Per collection: what changed against the parent's manifest.
pub fn collection_deltas(
    tracked: &[(String, TrackedCollection)],
    collections: &[CollectionEntry],
    parent: &Manifest,
) -> Vec<CollectionDelta> {
    let tracked: HashMap<&str, &TrackedCollection> =
        tracked.iter().map(|(n, t)| (n.as_str(), t)).collect();
    collections
        .iter()
        .map(|entry| {
            let before = parent
                .database
                .collections
                .iter()
                .find(|c| c.name == entry.name);
            let t = tracked.get(entry.name.as_str());
            let counts = t.map(|t| t.counts).unwrap_or_default();
            CollectionDelta {
                name: entry.name.clone(),
                created: before.is_none(),
                inserted: counts.inserted,
                changed: counts.changed,
                deleted: counts.deleted,
                unchanged: counts.unchanged,
                documents: t.map_or(0, |t| t.fingerprints.state_documents),
                indexes_changed: before.is_some_and(|b| b.indexes != entry.indexes),
                options_changed: before.is_some_and(|b| b.options != entry.options),
            }
        })
        .collect()
}
