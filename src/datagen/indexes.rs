//! Scandy's indexes and seeding a database with a generated dataset.
//!
//! The index list follows the index setup Scandy runs at start (`init_db`): per
//! department unique barcodes, unique user names and settings keys, TTL deletion of
//! users and workers, plain indexes for the common queries. Names are the ones
//! pymongo derives from the keys, so they match a real install. Scandy creates no index
//! on `system_locks`, and its message indexes are on `messages` (ticket messages live in
//! `ticket_messages`, which has none).

use std::time::{Duration, Instant};

use color_eyre::eyre::{self, WrapErr};
use mongodb::bson::{Bson, Document, RawDocumentBuf};
use mongodb::options::IndexOptions;
use mongodb::{Database, IndexModel};

use super::Dataset;

/// Documents per `insert_many` call.
const BATCH: usize = 1000;

/// What [`seed`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedReport {
    /// Documents inserted per collection, in dataset order.
    pub counts: Vec<(String, u64)>,
    /// Number of indexes created (without `_id_`).
    pub indexes: usize,
    /// Wall time of inserts plus index builds.
    pub elapsed: Duration,
}

impl SeedReport {
    /// Returns the number of documents inserted over all collections.
    pub fn total_documents(&self) -> u64 {
        self.counts.iter().map(|(_, n)| n).sum()
    }
}

/// An index reduced to what matters for comparing installs (keys, name, options).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IndexSpec {
    /// Collection the index belongs to.
    pub collection: String,
    /// Index name, e.g. `department_1_barcode_1`.
    pub name: String,
    /// Key fields with direction (`1` / `-1`), in order.
    pub keys: Vec<(String, i32)>,
    /// `unique: true`.
    pub unique: bool,
    /// `sparse: true`.
    pub sparse: bool,
    /// TTL `expireAfterSeconds`, if any.
    pub expire_after_secs: Option<u64>,
}

impl IndexSpec {
    /// Builds the comparable form of an index model (from code or from `listIndexes`).
    pub fn from_model(collection: &str, model: &IndexModel) -> Self {
        let keys: Vec<(String, i32)> = model
            .keys
            .iter()
            .map(|(field, dir)| (field.clone(), direction(dir)))
            .collect();
        let options = model.options.as_ref();
        IndexSpec {
            collection: collection.to_string(),
            name: options
                .and_then(|o| o.name.clone())
                .unwrap_or_else(|| index_name(&keys)),
            keys,
            unique: options.and_then(|o| o.unique).unwrap_or(false),
            sparse: options.and_then(|o| o.sparse).unwrap_or(false),
            expire_after_secs: options.and_then(|o| o.expire_after).map(|d| d.as_secs()),
        }
    }
}

fn direction(value: &Bson) -> i32 {
    match value {
        Bson::Int32(v) => *v,
        Bson::Int64(v) => *v as i32,
        Bson::Double(v) => *v as i32,
        _ => 0,
    }
}

/// Returns the name pymongo gives an index, e.g. `consumable_barcode_1_used_at_-1`.
pub fn index_name(keys: &[(String, i32)]) -> String {
    keys.iter()
        .map(|(field, dir)| format!("{field}_{dir}"))
        .collect::<Vec<_>>()
        .join("_")
}

#[derive(Clone, Copy, Default)]
struct Opt {
    unique: bool,
    sparse: bool,
    ttl: Option<u64>,
}

const PLAIN: Opt = Opt {
    unique: false,
    sparse: false,
    ttl: None,
};
const UNIQUE: Opt = Opt {
    unique: true,
    sparse: false,
    ttl: None,
};
const UNIQUE_SPARSE: Opt = Opt {
    unique: true,
    sparse: true,
    ttl: None,
};
const TTL_NOW: Opt = Opt {
    unique: false,
    sparse: false,
    ttl: Some(0),
};

/// `(collection, keys, options)`; keys as `field` or `field:-1`, comma separated.
const SCANDY_INDEXES: &[(&str, &str, Opt)] = &[
    ("tools", "department,barcode", UNIQUE_SPARSE),
    ("tools", "name", PLAIN),
    ("tools", "category", PLAIN),
    ("tools", "location", PLAIN),
    ("tools", "status", PLAIN),
    ("tools", "status,category", PLAIN),
    ("tools", "location,status", PLAIN),
    ("workers", "department,barcode", UNIQUE_SPARSE),
    ("workers", "lastname", PLAIN),
    ("workers", "department", PLAIN),
    ("workers", "department,lastname", PLAIN),
    ("workers", "delete_at", TTL_NOW),
    ("consumables", "department,barcode", UNIQUE_SPARSE),
    ("consumables", "name", PLAIN),
    ("consumables", "category", PLAIN),
    ("consumables", "location", PLAIN),
    ("consumables", "category,quantity", PLAIN),
    ("lendings", "tool_barcode", PLAIN),
    ("lendings", "worker_barcode", PLAIN),
    ("lendings", "lent_at", PLAIN),
    ("lendings", "status,due_date", PLAIN),
    ("lendings", "worker_barcode,status", PLAIN),
    ("lendings", "tool_barcode,status", PLAIN),
    ("consumable_usages", "consumable_barcode", PLAIN),
    ("consumable_usages", "worker_barcode", PLAIN),
    ("consumable_usages", "used_at", PLAIN),
    ("consumable_usages", "consumable_barcode,used_at:-1", PLAIN),
    ("consumable_usages", "worker_barcode,used_at:-1", PLAIN),
    ("users", "username", UNIQUE),
    ("users", "email", PLAIN),
    ("users", "role,is_active", PLAIN),
    ("users", "delete_at", TTL_NOW),
    ("tickets", "status", PLAIN),
    ("tickets", "assigned_to", PLAIN),
    ("tickets", "created_at", PLAIN),
    ("tickets", "status,category", PLAIN),
    ("tickets", "assigned_to,status", PLAIN),
    ("tickets", "created_by,created_at:-1", PLAIN),
    ("tickets", "priority,status", PLAIN),
    ("settings", "department,key", UNIQUE_SPARSE),
    ("timesheets", "user_id", PLAIN),
    ("timesheets", "year", PLAIN),
    ("timesheets", "kw", PLAIN),
    ("timesheets", "user_id,year,kw", UNIQUE),
    ("homepage_notices", "is_active", PLAIN),
    ("homepage_notices", "priority", PLAIN),
    ("homepage_notices", "created_at", PLAIN),
    (
        "homepage_notices",
        "is_active,priority:-1,created_at:-1",
        PLAIN,
    ),
    ("messages", "ticket_id", PLAIN),
    ("messages", "created_at", PLAIN),
    ("messages", "ticket_id,created_at:-1", PLAIN),
    ("ticket_history", "ticket_id", PLAIN),
    ("ticket_history", "created_at", PLAIN),
    ("ticket_history", "ticket_id,created_at:-1", PLAIN),
];

fn model(keys_spec: &str, opt: Opt) -> IndexModel {
    let keys: Vec<(String, i32)> = keys_spec
        .split(',')
        .map(|part| match part.split_once(':') {
            Some((field, dir)) => (field.to_string(), dir.parse().unwrap_or(1)),
            None => (part.to_string(), 1),
        })
        .collect();
    let mut doc = Document::new();
    for (field, dir) in &keys {
        doc.insert(field.clone(), *dir);
    }
    let options = IndexOptions::builder()
        .name(index_name(&keys))
        .unique(opt.unique.then_some(true))
        .sparse(opt.sparse.then_some(true))
        .expire_after(opt.ttl.map(Duration::from_secs))
        .build();
    IndexModel::builder().keys(doc).options(options).build()
}

/// Returns Scandy's indexes (without `_id_`), optionally with the legacy unique `barcode_1`.
pub fn expected_indexes(include_legacy: bool) -> Vec<(String, IndexModel)> {
    let mut list: Vec<(String, IndexModel)> = SCANDY_INDEXES
        .iter()
        .map(|(coll, keys, opt)| (coll.to_string(), model(keys, *opt)))
        .collect();
    if include_legacy {
        list.push(("tools".into(), model("barcode", UNIQUE)));
    }
    list
}

/// Inserts the dataset (batches of 1000 raw documents), then creates Scandy's indexes.
pub async fn seed(db: &Database, data: &Dataset, include_legacy: bool) -> eyre::Result<SeedReport> {
    let started = Instant::now();
    let existing = db
        .list_collection_names()
        .await
        .wrap_err_with(|| format!("cannot list the collections of {}", db.name()))?;
    let mut counts = Vec::with_capacity(data.collections.len());
    for (name, docs) in &data.collections {
        let coll = db.collection::<RawDocumentBuf>(name);
        if docs.is_empty() && !existing.contains(name) {
            db.create_collection(name)
                .await
                .wrap_err_with(|| format!("cannot create collection {}.{name}", db.name()))?;
        }
        for chunk in docs.chunks(BATCH) {
            let raw = chunk
                .iter()
                .map(RawDocumentBuf::from_document)
                .collect::<Result<Vec<_>, _>>()
                .wrap_err_with(|| format!("cannot encode a {name} document as BSON"))?;
            coll.insert_many(raw)
                .await
                .wrap_err_with(|| format!("cannot insert into {}.{name}", db.name()))?;
        }
        counts.push((name.clone(), docs.len() as u64));
    }
    let indexes = expected_indexes(include_legacy);
    let mut by_collection: Vec<(String, Vec<IndexModel>)> = Vec::new();
    for (coll, model) in &indexes {
        match by_collection.iter_mut().find(|(c, _)| c == coll) {
            Some((_, models)) => models.push(model.clone()),
            None => by_collection.push((coll.clone(), vec![model.clone()])),
        }
    }
    for (coll, models) in by_collection {
        db.collection::<Document>(&coll)
            .create_indexes(models)
            .await
            .wrap_err_with(|| format!("cannot create the indexes of {}.{coll}", db.name()))?;
    }
    Ok(SeedReport {
        counts,
        indexes: indexes.len(),
        elapsed: started.elapsed(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_pymongo() {
        let (_, m) = &expected_indexes(false)
            .into_iter()
            .find(|(c, m)| c == "consumable_usages" && m.keys.len() == 2)
            .expect("compound usage index");
        let spec = IndexSpec::from_model("consumable_usages", m);
        assert_eq!(spec.name, "consumable_barcode_1_used_at_-1");
        assert_eq!(spec.keys[1], ("used_at".to_string(), -1));
    }

    #[test]
    fn legacy_index_is_optional() {
        let with = expected_indexes(true);
        let without = expected_indexes(false);
        assert_eq!(with.len(), without.len() + 1);
        let last = IndexSpec::from_model(&with.last().unwrap().0, &with.last().unwrap().1);
        assert_eq!((last.name.as_str(), last.unique), ("barcode_1", true));
    }
}
