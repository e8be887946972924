//! Deciding, document by document, what an incremental stores: the live documents are
//! compared by fingerprint with the parent's state; only new and changed ones are written,
//! and the keys the parent had but the live collection lacks become deletes.

use std::collections::{HashMap, HashSet};

use color_eyre::eyre::{Result, bail};
use mongodb::bson::Bson;

use super::fingerprint::{
    CollectionFingerprints, DocHash, Fingerprints, IdKey, TableKind, doc_hash, id_key,
};

/// One collection's state at a set: every key with its document hash.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CollectionState {
    /// Key to document hash.
    pub entries: HashMap<IdKey, DocHash>,
    /// Wrapping sum of the document hashes.
    pub digest: u128,
}

/// How the documents of one collection are read for an incremental.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// Every document (a cursor drain).
    Scan,
    /// Only the documents with these `_id`s (the oplog named them).
    Ids(Vec<Bson>),
}

/// Per-collection counts of an incremental.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChangeCounts {
    /// Documents the parent did not have.
    pub inserted: u64,
    /// Documents whose bytes differ from the parent's.
    pub changed: u64,
    /// Documents the parent had and the live collection lacks.
    pub deleted: u64,
    /// Documents equal to the parent's.
    pub unchanged: u64,
}

/// What the tracker learned of one collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackedCollection {
    /// Its fingerprints for the new set.
    pub fingerprints: CollectionFingerprints,
    /// Counts against the parent (all inserted for a full).
    pub counts: ChangeCounts,
    /// Whether the parent had no such collection (or there is no parent).
    pub created: bool,
}

/// Fingerprints every dumped document and decides which ones the set stores.
#[derive(Debug, Default)]
pub struct ChangeTracker {
    parent: Option<HashMap<String, CollectionState>>,
    oplog_ids: Option<HashMap<String, OplogChanges>>,
    current: Option<Current>,
    done: Vec<(String, TrackedCollection)>,
}

/// What the oplog says about one collection since the parent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OplogChanges {
    /// `_id`s touched by inserts, updates and deletes.
    pub ids: Vec<Bson>,
    /// A command touched the collection (drop, rename, create, …): scan it instead.
    pub rescan: bool,
}

#[derive(Debug)]
struct Current {
    name: String,
    parent: Option<CollectionState>,
    by_ids: bool,
    found: HashSet<IdKey>,
    documents: u64,
    digest: u128,
    parent_documents: u64,
    entries: Vec<(IdKey, DocHash)>,
    counts: ChangeCounts,
}

impl ChangeTracker {
    /// A tracker for a full set: every document is stored and fingerprinted.
    pub fn full() -> Self {
        ChangeTracker::default()
    }

    /// A tracker for an incremental against `parent`'s state; with `oplog_ids`, collections
    /// are read by the `_id`s the oplog named instead of scanned.
    pub fn against(
        parent: HashMap<String, CollectionState>,
        oplog_ids: Option<HashMap<String, OplogChanges>>,
    ) -> Self {
        ChangeTracker {
            parent: Some(parent),
            oplog_ids,
            ..ChangeTracker::default()
        }
    }

    /// How to read `collection`.
    pub fn source(&self, collection: &str) -> Source {
        let in_parent = self
            .parent
            .as_ref()
            .is_some_and(|p| p.contains_key(collection));
        match &self.oplog_ids {
            Some(ids) if in_parent => match ids.get(collection) {
                Some(changes) if changes.rescan => Source::Scan,
                Some(changes) => Source::Ids(changes.ids.clone()),
                None => Source::Ids(Vec::new()),
            },
            _ => Source::Scan,
        }
    }

    /// Starts a collection.
    pub fn begin(&mut self, collection: &str) {
        let by_ids = matches!(self.source(collection), Source::Ids(_));
        let parent = self.parent.as_mut().and_then(|p| p.remove(collection));
        let (parent_documents, digest) = match (&parent, by_ids) {
            (Some(p), true) => (p.entries.len() as u64, p.digest),
            _ => (0, 0),
        };
        self.current = Some(Current {
            name: collection.to_string(),
            parent,
            by_ids,
            found: HashSet::new(),
            documents: parent_documents,
            digest,
            parent_documents,
            entries: Vec::new(),
            counts: ChangeCounts::default(),
        });
    }

    /// Looks at one document; returns whether the set stores it.
    pub fn observe(&mut self, doc: &[u8]) -> Result<bool> {
        let Some(current) = self.current.as_mut() else {
            bail!("a document arrived outside a collection");
        };
        let Some(key) = id_key(doc) else {
            bail!(
                "a document of {} has no readable _id; an incremental needs one per document",
                current.name
            );
        };
        let hash = doc_hash(doc);
        let Some(parent) = current.parent.as_mut() else {
            current.entries.push((key, hash));
            current.documents += 1;
            current.digest = current.digest.wrapping_add(hash);
            current.counts.inserted += 1;
            return Ok(true);
        };
        let old = if current.by_ids {
            if !current.found.insert(key) {
                return Ok(false); // the same _id twice in one answer
            }
            parent.entries.get(&key).copied()
        } else {
            current.documents += 1;
            current.digest = current.digest.wrapping_add(hash);
            parent.entries.remove(&key)
        };
        let store = match old {
            Some(old) if old == hash => {
                current.counts.unchanged += 1;
                false
            }
            Some(old) => {
                current.counts.changed += 1;
                if current.by_ids {
                    current.digest = current.digest.wrapping_sub(old).wrapping_add(hash);
                }
                true
            }
            None => {
                current.counts.inserted += 1;
                if current.by_ids {
                    current.documents += 1;
                    current.digest = current.digest.wrapping_add(hash);
                }
                true
            }
        };
        if store {
            current.entries.push((key, hash));
        }
        Ok(store)
    }

    /// Ends the current collection; `asked` are the keys of the `_id`s it was read by.
    pub fn end(&mut self, asked: &[IdKey]) {
        let Some(mut current) = self.current.take() else {
            return;
        };
        current.entries.sort_unstable();
        let mut deletes = Vec::new();
        let kind = match current.parent.take() {
            None => TableKind::Full,
            Some(parent) if current.by_ids => {
                for key in asked {
                    if current.found.contains(key) {
                        continue;
                    }
                    if let Some(old) = parent.entries.get(key) {
                        deletes.push(*key);
                        current.documents -= 1;
                        current.digest = current.digest.wrapping_sub(*old);
                    }
                }
                deletes.sort_unstable();
                deletes.dedup();
                current.counts.deleted = deletes.len() as u64;
                current.counts.unchanged = current
                    .parent_documents
                    .saturating_sub(current.counts.changed + current.counts.deleted);
                TableKind::Delta
            }
            Some(parent) => {
                deletes = parent.entries.into_keys().collect();
                deletes.sort_unstable();
                current.counts.deleted = deletes.len() as u64;
                TableKind::Delta
            }
        };
        let created = kind == TableKind::Full && self.parent.is_some();
        self.done.push((
            current.name,
            TrackedCollection {
                fingerprints: CollectionFingerprints {
                    kind,
                    state_documents: current.documents,
                    state_digest: current.digest,
                    upserts: current.entries,
                    deletes,
                },
                counts: current.counts,
                created,
            },
        ));
    }

    /// Collections the parent had that were not dumped (dropped since).
    pub fn dropped(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .parent
            .as_ref()
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default();
        names.sort();
        names
    }

    /// Everything tracked, by collection.
    pub fn into_results(self) -> Vec<(String, TrackedCollection)> {
        self.done
    }
}

/// The fingerprint member of the tracked collections.
pub fn fingerprints_of(tracked: &[(String, TrackedCollection)]) -> Fingerprints {
    tracked
        .iter()
        .map(|(name, t)| (name.clone(), t.fingerprints.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use mongodb::bson::rawdoc;

    fn state(docs: &[&mongodb::bson::RawDocumentBuf]) -> CollectionState {
        let mut s = CollectionState::default();
        for d in docs {
            let h = doc_hash(d.as_bytes());
            s.entries.insert(id_key(d.as_bytes()).unwrap(), h);
            s.digest = s.digest.wrapping_add(h);
        }
        s
    }

    #[test]
    fn scan_against_a_parent_stores_only_changes() {
        let (a, b, c) = (
            rawdoc! {"_id": 1, "v": 1},
            rawdoc! {"_id": 2},
            rawdoc! {"_id": 3},
        );
        let b2 = rawdoc! {"_id": 2, "v": 2};
        let d = rawdoc! {"_id": 4};
        let parent = HashMap::from([("t".to_string(), state(&[&a, &b, &c]))]);
        let mut tracker = ChangeTracker::against(parent, None);
        tracker.begin("t");
        assert!(!tracker.observe(a.as_bytes()).unwrap());
        assert!(tracker.observe(b2.as_bytes()).unwrap());
        assert!(tracker.observe(d.as_bytes()).unwrap());
        tracker.end(&[]);
        let (_, t) = &tracker.into_results()[0];
        let counts = ChangeCounts {
            inserted: 1,
            changed: 1,
            deleted: 1,
            unchanged: 1,
        };
        assert_eq!(t.counts, counts);
        assert_eq!(t.fingerprints.kind, TableKind::Delta);
        assert_eq!(t.fingerprints.state_documents, 3);
        assert_eq!(t.fingerprints.state_digest, state(&[&a, &b2, &d]).digest);
        assert_eq!(t.fingerprints.deletes, vec![id_key(c.as_bytes()).unwrap()]);
    }

    #[test]
    fn reading_by_ids_gives_the_same_state_as_a_scan() {
        let (a, b, c) = (
            rawdoc! {"_id": 1, "v": 1},
            rawdoc! {"_id": 2},
            rawdoc! {"_id": 3},
        );
        let b2 = rawdoc! {"_id": 2, "v": 2};
        let d = rawdoc! {"_id": 4};
        let parent = HashMap::from([("t".to_string(), state(&[&a, &b, &c]))]);
        let ids = HashMap::from([(
            "t".to_string(),
            OplogChanges {
                ids: vec![Bson::Int32(2), Bson::Int32(3), Bson::Int32(4)],
                rescan: false,
            },
        )]);
        let mut tracker = ChangeTracker::against(parent, Some(ids));
        assert!(matches!(tracker.source("t"), Source::Ids(ref v) if v.len() == 3));
        tracker.begin("t");
        assert!(tracker.observe(b2.as_bytes()).unwrap());
        assert!(tracker.observe(d.as_bytes()).unwrap());
        let asked: Vec<IdKey> = [2, 3, 4]
            .iter()
            .map(|i| super::super::fingerprint::id_key_of_bson(&Bson::Int32(*i)).unwrap())
            .collect();
        tracker.end(&asked);
        let (_, t) = &tracker.into_results()[0];
        assert_eq!(t.fingerprints.state_documents, 3);
        assert_eq!(t.fingerprints.state_digest, state(&[&a, &b2, &d]).digest);
        assert_eq!(t.counts.unchanged, 1);
        assert_eq!(t.counts.deleted, 1);
    }
}
