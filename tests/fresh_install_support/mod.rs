//! A database shaped like a fresh real Scandy install (its 12 collections, a few
//! documents, only `_id_` indexes) and helpers to read its collections and indexes back.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};

use futures::TryStreamExt;
use mongodb::bson::{DateTime, Document, doc};
use mongodb::{Database, IndexModel};
use serde_json::Value;

/// The 12 collections of a fresh real Scandy install.
pub const FRESH_INSTALL: [&str; 12] = [
    "auftrag_details",
    "consumable_usages",
    "consumables",
    "lendings",
    "settings",
    "system_locks",
    "ticket_history",
    "ticket_messages",
    "tickets",
    "tools",
    "users",
    "workers",
];

/// Replaces `db` with a fresh real install: Scandy's 12 collections,
/// a few documents, and no index but `_id_` (Scandy's own index setup failed).
pub async fn fresh_install(db: &Database) {
    db.drop().await.unwrap();
    let now = DateTime::now();
    let docs: BTreeMap<&str, Vec<Document>> = BTreeMap::from([
        (
            "users",
            vec![doc! {
                "username": "admin", "password_hash": "scrypt:x", "role": "admin",
                "is_active": true, "created_at": now, "updated_at": now,
            }],
        ),
        (
            "settings",
            vec![doc! { "key": "label_tools_name", "value": "Werkzeuge", "created_at": now }],
        ),
        (
            "tickets",
            vec![
                doc! {
                    "title": "Bohrer stumpf", "status": "offen", "priority": "normal",
                    "ticket_number": "2026-0001", "department": "Werkstatt",
                    "created_by": "admin", "created_at": now, "due_date": "",
                },
                doc! {
                    "title": "Werkbank reparieren", "status": "offen", "priority": "hoch",
                    "ticket_number": "2026-0002", "department": "Werkstatt",
                    "created_by": "admin", "created_at": now, "due_date": "2026-12-15",
                },
            ],
        ),
        (
            "system_locks",
            vec![doc! { "key": "auto_backup_lock", "created_at": now }],
        ),
    ]);
    for name in FRESH_INSTALL {
        match docs.get(name) {
            Some(docs) => {
                db.collection::<Document>(name)
                    .insert_many(docs.clone())
                    .await
                    .unwrap_or_else(|e| panic!("insert {name}: {e}"));
            }
            None => db
                .create_collection(name)
                .await
                .unwrap_or_else(|e| panic!("create {name}: {e}")),
        }
    }
    assert_eq!(collection_names(db).await, FRESH_INSTALL.map(String::from));
    for name in FRESH_INSTALL {
        assert_eq!(index_names(db, name).await, ["_id_"], "{name}");
    }
}

/// Collection names of `db`, sorted.
pub async fn collection_names(db: &Database) -> Vec<String> {
    let mut names = db.list_collection_names().await.unwrap();
    names.sort();
    names
}

/// Index names of `collection` as `listIndexes` reports them, sorted.
pub async fn index_names(db: &Database, collection: &str) -> Vec<String> {
    let models: Vec<IndexModel> = db
        .collection::<Document>(collection)
        .list_indexes()
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let mut names: Vec<String> = models
        .iter()
        .filter_map(|m| m.options.as_ref().and_then(|o| o.name.clone()))
        .collect();
    names.sort();
    names
}

/// `collection.index` of every finding of `kind`.
pub fn findings_of_kind(report: &Value, kind: &str) -> BTreeSet<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == kind)
        .map(|f| {
            format!(
                "{}.{}",
                f["collection"].as_str().unwrap(),
                f["index"].as_str().unwrap()
            )
        })
        .collect()
}

/// How many `collection.index` names there are per collection.
pub fn per_collection(names: &BTreeSet<String>) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for name in names {
        let (collection, _) = name.split_once('.').unwrap();
        *out.entry(collection.to_string()).or_insert(0) += 1;
    }
    out
}
