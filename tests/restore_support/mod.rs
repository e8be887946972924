//! What the restore drills compare and watch: the exact state of a database (raw BSON per
//! `_id`, indexes, options), of an install's files, and the restore journals on disk.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use mongodb::bson::{Bson, Document, RawDocumentBuf, doc};
use scandyctl::datagen::{GenOptions, generate};

use crate::backup_support::{Fixture, file_snapshot};

/// The reserved prefix of staging collections.
pub const STAGING_PREFIX: &str = "__scandyctl_restore";

/// One collection or view, exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionImage {
    /// `collection` or `view`.
    pub kind: String,
    /// Its options (`listCollections`), relaxed extended JSON.
    pub options: String,
    /// Index specifications without `v`/`ns`, sorted by name.
    pub indexes: Vec<String>,
    /// Raw documents sorted by `_id` (empty for views).
    pub documents: Vec<Vec<u8>>,
}

/// A whole database, collection by collection.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DbImage {
    /// Name → image.
    pub collections: BTreeMap<String, CollectionImage>,
}

impl DbImage {
    /// Documents over all collections.
    pub fn documents(&self) -> usize {
        self.collections.values().map(|c| c.documents.len()).sum()
    }

    /// The first difference to `other` in a few words, or `None` when equal.
    pub fn difference(&self, other: &DbImage) -> Option<String> {
        let names = |i: &DbImage| i.collections.keys().cloned().collect::<Vec<_>>();
        if names(self) != names(other) {
            return Some(format!(
                "collections {:?} vs {:?}",
                names(self),
                names(other)
            ));
        }
        for (name, a) in &self.collections {
            let b = &other.collections[name];
            if a.kind != b.kind || a.options != b.options {
                return Some(format!(
                    "{name}: {}/{} vs {}/{}",
                    a.kind, a.options, b.kind, b.options
                ));
            }
            if a.indexes != b.indexes {
                return Some(format!(
                    "{name}: indexes {:?} vs {:?}",
                    a.indexes, b.indexes
                ));
            }
            if a.documents != b.documents {
                let first = a
                    .documents
                    .iter()
                    .zip(&b.documents)
                    .position(|(x, y)| x != y)
                    .unwrap_or(a.documents.len().min(b.documents.len()));
                return Some(format!(
                    "{name}: {} vs {} documents, first difference at #{first}",
                    a.documents.len(),
                    b.documents.len()
                ));
            }
        }
        None
    }
}

/// Reads `database` exactly as the server holds it.
pub async fn db_image(client: &mongodb::Client, database: &str) -> DbImage {
    let db = client.database(database);
    let specs: Vec<Document> = db
        .run_cursor_command(doc! { "listCollections": 1 })
        .await
        .expect("listCollections")
        .try_collect()
        .await
        .expect("listCollections batches");
    let mut image = DbImage::default();
    for spec in specs {
        let name = spec.get_str("name").expect("name").to_string();
        if name.starts_with("system.") {
            continue;
        }
        let kind = spec.get_str("type").unwrap_or("collection").to_string();
        let options = spec.get_document("options").cloned().unwrap_or_default();
        let mut indexes = Vec::new();
        let mut documents = Vec::new();
        if kind == "collection" {
            let coll = db.collection::<RawDocumentBuf>(&name);
            let specs: Vec<Document> = db
                .run_cursor_command(doc! { "listIndexes": &name })
                .await
                .expect("listIndexes")
                .try_collect()
                .await
                .expect("listIndexes batches");
            for mut index in specs {
                index.remove("v");
                index.remove("ns");
                indexes.push(Bson::Document(index).into_relaxed_extjson().to_string());
            }
            indexes.sort();
            let docs: Vec<RawDocumentBuf> = coll
                .find(doc! {})
                .sort(doc! { "_id": 1 })
                .await
                .expect("find")
                .try_collect()
                .await
                .expect("documents");
            documents = docs.into_iter().map(RawDocumentBuf::into_bytes).collect();
        }
        image.collections.insert(
            name,
            CollectionImage {
                kind,
                options: Bson::Document(options).into_relaxed_extjson().to_string(),
                indexes,
                documents,
            },
        );
    }
    image
}

/// Every file below an install root: relative path → (content, mode, mtime).
pub type FilesImage = BTreeMap<String, (Vec<u8>, u32, i64)>;

/// Reads the files below `root`.
pub fn files_image(root: &Path) -> FilesImage {
    file_snapshot(root)
        .into_iter()
        .map(|(path, content, mode, mtime)| (path, (content, mode, mtime)))
        .collect()
}

/// The staging collections left in `database`.
pub async fn staging_collections(client: &mongodb::Client, database: &str) -> Vec<String> {
    let mut names = client
        .database(database)
        .list_collection_names()
        .await
        .expect("list collections");
    names.retain(|n| n.starts_with(STAGING_PREFIX));
    names.sort();
    names
}

/// Staging directories of file restores left beside or inside `root`.
pub fn staging_dirs(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for dir in [root.parent().unwrap(), root] {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            if entry
                .file_name()
                .to_string_lossy()
                .contains("scandyctl-restore-")
            {
                found.push(entry.path());
            }
        }
    }
    found
}

/// The restore journal directory of a fixture.
pub fn journal_dir(fx: &Fixture) -> PathBuf {
    fx.dir.path().join("state").join("restore")
}

/// The journals in the fixture's state directory, parsed (unreadable ones skipped).
pub fn journals(fx: &Fixture) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(journal_dir(fx))
        .into_iter()
        .flatten()
        .flatten()
    {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "json")
            && let Ok(text) = std::fs::read(&path)
            && let Ok(value) = serde_json::from_slice(&text)
        {
            out.push(value);
        }
    }
    out
}

/// The phase of the newest journal, if any.
pub fn current_phase(fx: &Fixture) -> Option<String> {
    journals(fx)
        .into_iter()
        .max_by_key(|j| j["started_at"].as_str().unwrap_or("").to_string())
        .and_then(|j| j["phase"].as_str().map(str::to_string))
}

/// Waits (polling every 5 ms) until `pred` holds; `None` after `timeout`.
pub fn poll_until<T>(timeout: Duration, mut pred: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = pred() {
            return Some(v);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The smallest datagen scale that yields at least `target` documents.
pub fn scale_for(target: usize) -> usize {
    let probe = generate(&GenOptions {
        scale: 100,
        ..GenOptions::default()
    });
    let per_scale = probe.total_documents() as f64 / 100.0;
    let mut scale = ((target as f64 / per_scale).ceil() as usize).max(1);
    loop {
        let n = generate(&GenOptions {
            scale,
            ..GenOptions::default()
        })
        .total_documents();
        if n >= target {
            return scale;
        }
        scale = scale * 21 / 20 + 1;
    }
}

/// Changes `database` and the install's files so that they differ from a backup taken
/// before in documents (deleted, changed, added), in an index, and in files (changed and
/// added; nothing deleted, so a files restore that merges gives a known state).
pub async fn change_everything(client: &mongodb::Client, fx: &Fixture) {
    let db = client.database(&fx.database);
    let mut names = db.list_collection_names().await.expect("names");
    names.retain(|n| !n.starts_with("system."));
    names.sort();
    for (i, name) in names.iter().enumerate() {
        let coll = db.collection::<Document>(name);
        let ids: Vec<Bson> = coll
            .find(doc! {})
            .projection(doc! { "_id": 1 })
            .sort(doc! { "_id": 1 })
            .await
            .expect("ids")
            .try_collect::<Vec<Document>>()
            .await
            .expect("ids")
            .into_iter()
            .filter_map(|d| d.get("_id").cloned())
            .collect();
        let doomed: Vec<Bson> = ids.iter().step_by(7).take(500).cloned().collect();
        let removed: Vec<Document> = coll
            .find(doc! { "_id": { "$in": doomed.clone() } })
            .await
            .expect("doomed")
            .try_collect()
            .await
            .expect("doomed");
        coll.delete_many(doc! { "_id": { "$in": doomed } })
            .await
            .expect("delete");
        for id in ids.iter().skip(1).step_by(11).take(200) {
            coll.update_one(
                doc! { "_id": id },
                doc! { "$set": { "drill_changed": i as i64 } },
            )
            .await
            .expect("update");
        }
        // Re-added under new ids (their unique keys are free again), marked.
        let added: Vec<Document> = removed
            .into_iter()
            .take(100)
            .enumerate()
            .map(|(n, mut d)| {
                d.insert("_id", mongodb::bson::oid::ObjectId::new());
                d.insert("drill_added", format!("{name}-{n}"));
                d
            })
            .collect();
        if !added.is_empty() {
            coll.insert_many(added).await.expect("insert");
        }
    }
    let first = names.first().expect("a collection");
    db.collection::<Document>(first)
        .create_index(
            mongodb::IndexModel::builder()
                .keys(doc! { "drill_added": 1 })
                .options(
                    mongodb::options::IndexOptions::builder()
                        .name("drill_added_1".to_string())
                        .sparse(true)
                        .build(),
                )
                .build(),
        )
        .await
        .expect("index");
    let write = |rel: &str, content: &[u8], mtime: u64| {
        let path = fx.root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
        let time = std::time::UNIX_EPOCH + Duration::from_secs(mtime);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(time)
            .unwrap();
    };
    write(
        "app/static/uploads/logos/logo.png",
        b"a new logo, not the one in the backup",
        1_700_100_000,
    );
    write(
        "app/static/uploads/tools/drill/neu.png",
        b"an upload the backup does not hold",
        1_700_100_100,
    );
    write("docker-compose.yml", b"services: {}\n", 1_700_100_200);
}

/// `before` with every file of `restored` laid over it: what a files restore of the set
/// holding `restored` makes of `before` (it merges; files the set lacks stay).
pub fn merged(before: &FilesImage, restored: &FilesImage) -> FilesImage {
    let mut out = before.clone();
    for (path, entry) in restored {
        out.insert(path.clone(), entry.clone());
    }
    out
}

/// Kills `pid` with SIGKILL.
pub fn kill9(pid: u32) {
    // SAFETY: signalling a child process of this test.
    unsafe {
        libc::kill(pid as libc::pid_t, libc::SIGKILL);
    }
}

/// A tiny deterministic generator for drill moments (xorshift64*), seeded per run.
pub struct DrillRng(u64);

impl DrillRng {
    /// Seeds from `SCANDYCTL_DRILL_SEED` or the clock; prints the seed to reproduce a run.
    pub fn from_env() -> DrillRng {
        let seed = std::env::var("SCANDYCTL_DRILL_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
                    | 1
            });
        eprintln!("drill seed {seed} (SCANDYCTL_DRILL_SEED={seed} repeats this run)");
        DrillRng(seed)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1)
    }
}
