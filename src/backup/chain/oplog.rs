//! The oplog of a replica set as a source of changes: the position a set records, and the
//! `_id`s written since a parent's position (so an incremental reads only those documents
//! instead of scanning). A gap — the oplog no longer reaching back to the parent — or a
//! command the oplog cannot describe per document means a scan, with the reason.

use std::collections::{HashMap, HashSet};

use futures::TryStreamExt;
use mongodb::Client;
use mongodb::bson::{Bson, Document, RawDocumentBuf, Timestamp, doc};
use mongodb::options::FindOptions;

use super::fingerprint::id_key_of_bson;
use super::tracker::OplogChanges;
use crate::backup::manifest::OplogPosition;

/// More changed `_id`s than this in one collection: scanning it is cheaper.
const MAX_IDS_PER_COLLECTION: usize = 200_000;

/// The newest oplog entry's position; `None` on a standalone server (no oplog). Taken from
/// `hello`'s `lastWrite` (no oplog read), else from the oplog's last entry.
pub async fn oplog_position(client: &Client) -> Option<OplogPosition> {
    let hello = client
        .database("admin")
        .run_command(doc! { "hello": 1 })
        .await
        .ok()?;
    hello.get_str("setName").ok()?;
    let last_write = hello
        .get_document("lastWrite")
        .ok()
        .and_then(|w| w.get_document("opTime").ok())
        .and_then(|o| o.get_timestamp("ts").ok());
    if let Some(ts) = last_write {
        return Some(OplogPosition {
            t: ts.time,
            i: ts.increment,
        });
    }
    let oplog = client.database("local").collection::<Document>("oplog.rs");
    let options = FindOptions::builder()
        .sort(doc! { "$natural": -1 })
        .limit(1)
        .build();
    let mut cursor = oplog.find(doc! {}).with_options(options).await.ok()?;
    let entry = cursor.try_next().await.ok()??;
    match entry.get("ts") {
        Some(Bson::Timestamp(ts)) => Some(OplogPosition {
            t: ts.time,
            i: ts.increment,
        }),
        _ => None,
    }
}

/// The oplog entries after `since` (up to `until` when given); `Err` says why not: the
/// oplog holds no entry at or before `since` any more (it was trimmed past it: a gap), or it
/// cannot be read. An entry at or before `since` still there means every later one is.
pub async fn entries_after(
    client: &Client,
    since: OplogPosition,
    until: Option<OplogPosition>,
) -> Result<mongodb::Cursor<RawDocumentBuf>, String> {
    let ts = |p: OplogPosition| Timestamp {
        time: p.t,
        increment: p.i,
    };
    let unreadable = |e: mongodb::error::Error| format!("the oplog cannot be read: {e}");
    let oplog = client
        .database("local")
        .collection::<RawDocumentBuf>("oplog.rs");
    let reaches_back = oplog
        .find_one(doc! { "ts": { "$lte": ts(since) } })
        .await
        .map_err(unreadable)?
        .is_some();
    if !reaches_back {
        return Err(format!(
            "the oplog no longer reaches back to {} (it no longer covers the parent: a gap)",
            show(since.t, since.i)
        ));
    }
    let mut range = doc! { "$gt": ts(since) };
    if let Some(until) = until {
        range.insert("$lte", ts(until));
    }
    oplog.find(doc! { "ts": range }).await.map_err(unreadable)
}

/// The `_id`s of `database` written since `since`, per collection; `Err` holds why a scan
/// is needed instead.
pub async fn changes_since(
    client: &Client,
    database: &str,
    since: OplogPosition,
) -> Result<HashMap<String, OplogChanges>, String> {
    let mut cursor = entries_after(client, since, None).await?;
    let mut changes = Changes::new(database);
    while let Some(entry) = cursor
        .try_next()
        .await
        .map_err(|e| format!("the oplog cannot be read: {e}"))?
    {
        let entry = entry
            .to_document()
            .map_err(|e| format!("an oplog entry is not valid BSON: {e}"))?;
        changes.add(&entry)?;
    }
    Ok(changes.finish())
}

fn show(t: u32, i: u32) -> String {
    let at = chrono::DateTime::from_timestamp(i64::from(t), 0)
        .map(|d| d.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_default();
    format!("{at} (#{i})")
}

struct Changes<'a> {
    database: &'a str,
    by_collection: HashMap<String, (OplogChanges, HashSet<u128>)>,
}

impl<'a> Changes<'a> {
    fn new(database: &'a str) -> Self {
        Changes {
            database,
            by_collection: HashMap::new(),
        }
    }

    fn collection(&mut self, name: &str) -> &mut (OplogChanges, HashSet<u128>) {
        self.by_collection.entry(name.to_string()).or_default()
    }

    fn rescan(&mut self, name: &str) {
        self.collection(name).0.rescan = true;
    }

    /// Takes one oplog entry (transactions: each of its operations).
    fn add(&mut self, entry: &Document) -> Result<(), String> {
        let op = entry.get_str("op").unwrap_or("");
        let ns = entry.get_str("ns").unwrap_or("");
        if op == "n" {
            return Ok(());
        }
        if op == "c" {
            return self.command(ns, entry);
        }
        let Some(collection) = ns
            .strip_prefix(self.database)
            .and_then(|rest| rest.strip_prefix('.'))
        else {
            return Ok(());
        };
        let id = match op {
            "u" => entry.get_document("o2").ok().and_then(|o| o.get("_id")),
            _ => entry.get_document("o").ok().and_then(|o| o.get("_id")),
        };
        let Some(id) = id.cloned() else {
            self.rescan(collection);
            return Ok(());
        };
        let Some(key) = id_key_of_bson(&id) else {
            self.rescan(collection);
            return Ok(());
        };
        let (changes, seen) = self.collection(collection);
        if !changes.rescan && seen.insert(key) {
            changes.ids.push(id);
            if changes.ids.len() > MAX_IDS_PER_COLLECTION {
                changes.rescan = true;
                changes.ids = Vec::new();
            }
        }
        Ok(())
    }

    fn command(&mut self, ns: &str, entry: &Document) -> Result<(), String> {
        let Ok(o) = entry.get_document("o") else {
            return Ok(());
        };
        if let Ok(ops) = o.get_array("applyOps") {
            for inner in ops {
                if let Bson::Document(inner) = inner {
                    self.add(inner)?;
                }
            }
            return Ok(());
        }
        let prefix = format!("{}.", self.database);
        if let Ok(from) = o.get_str("renameCollection") {
            let to = o.get_str("to").unwrap_or("");
            for full in [from, to] {
                if let Some(name) = full.strip_prefix(&prefix) {
                    self.rescan(name);
                }
            }
            return Ok(());
        }
        if ns != format!("{}.$cmd", self.database) {
            return Ok(());
        }
        if o.contains_key("dropDatabase") {
            return Err("the database was dropped since the parent".into());
        }
        let named = [
            "drop",
            "create",
            "collMod",
            "createIndexes",
            "dropIndexes",
            "deleteIndexes",
        ]
        .iter()
        .find_map(|k| o.get_str(k).ok());
        if let Some(name) = named {
            // Index and option changes come from listIndexes/listCollections anyway; a drop or
            // create may hide documents the oplog does not list one by one.
            if o.contains_key("drop") || o.contains_key("create") {
                self.rescan(name);
            }
        }
        Ok(())
    }

    fn finish(self) -> HashMap<String, OplogChanges> {
        self.by_collection
            .into_iter()
            .map(|(name, (changes, _))| (name, changes))
            .collect()
    }
}
