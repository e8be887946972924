//! Index inspection: what exists (with size and usage), what Scandy expects, and what is
//! wrong (missing expected indexes, the legacy unique `barcode_1`, unused indexes, the
//! Scandy defect that leaves a database without its indexes).

mod expected;
mod findings;
mod shell;

use std::collections::HashMap;

use color_eyre::eyre::{Result, WrapErr};
use futures::TryStreamExt;
use mongodb::bson::{Bson, Document, doc};
use mongodb::error::ErrorKind;
use mongodb::{Database, IndexModel};
use serde::Serialize;

pub use expected::{ExpectedIndex, expected_scandy_indexes};
pub use findings::{
    FindingKind, IndexFinding, SCANDY_INDEX_DEFECT_CAUSE, Severity, create_missing_indexes,
    findings_for, index_findings,
};
pub use shell::keys_string;

use super::stats::{Availability, UnavailableReason, availability, num, num_u64};

/// How often an index was used, from `$indexStats`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndexUsage {
    /// `accesses.ops`.
    pub ops: u64,
    /// `accesses.since` (RFC 3339), when the server reports it.
    pub since: Option<String>,
}

/// One existing index.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndexInfo {
    /// Collection.
    pub collection: String,
    /// Index name.
    pub name: String,
    /// Key pattern, e.g. `{department: 1, barcode: 1}`.
    pub keys: String,
    /// `unique: true`.
    pub unique: bool,
    /// `sparse: true`.
    pub sparse: bool,
    /// TTL `expireAfterSeconds`.
    pub ttl_secs: Option<u64>,
    /// `partialFilterExpression` as relaxed extended JSON.
    pub partial_filter: Option<String>,
    /// Size in bytes from `collStats.indexSizes`.
    pub size: Availability<u64>,
    /// Accesses from `$indexStats`.
    pub usage: Availability<IndexUsage>,
    /// `usage.ops == 0` (false when usage is unavailable).
    pub unused: bool,
}

fn is_namespace_not_found(err: &mongodb::error::Error) -> bool {
    matches!(err.kind.as_ref(), ErrorKind::Command(cmd) if cmd.code == 26)
}

async fn list_models(db: &Database, name: &str) -> Result<Vec<IndexModel>> {
    let coll = db.collection::<Document>(name);
    let listed = async { coll.list_indexes().await?.try_collect::<Vec<_>>().await }.await;
    match listed {
        Ok(models) => Ok(models),
        Err(err) if is_namespace_not_found(&err) => Ok(Vec::new()),
        Err(err) => Err(err).wrap_err_with(|| format!("cannot list the indexes of {name}")),
    }
}

async fn index_sizes(db: &Database, name: &str) -> Result<Availability<Document>> {
    let command = availability(db.run_command(doc! { "collStats": name }).await)
        .wrap_err_with(|| format!("collStats on {name} failed"))?;
    if let Availability::Available { value } = &command {
        return Ok(Availability::from_option(
            value.get_document("indexSizes").ok().cloned(),
        ));
    }
    let raw = super::stats::raw_coll_stats(db, name)
        .await
        .wrap_err_with(|| format!("$collStats on {name} failed"))?;
    Ok(match raw {
        Availability::Available { value: (stats, _) } => {
            Availability::from_option(stats.get_document("indexSizes").ok().cloned())
        }
        Availability::Unavailable { reason } => Availability::Unavailable { reason },
    })
}

async fn index_usage(
    db: &Database,
    name: &str,
) -> Result<Availability<HashMap<String, IndexUsage>>> {
    let coll = db.collection::<Document>(name);
    let stats = availability(
        async {
            coll.aggregate([doc! { "$indexStats": {} }])
                .await?
                .try_collect::<Vec<Document>>()
                .await
        }
        .await,
    )
    .wrap_err_with(|| format!("$indexStats on {name} failed"))?;
    Ok(stats.map(|docs| {
        let mut usage: HashMap<String, IndexUsage> = HashMap::new();
        for entry in docs {
            let Ok(index) = entry.get_str("name") else {
                continue;
            };
            let accesses = entry.get_document("accesses").ok();
            let ops = accesses.and_then(|a| num_u64(a, "ops")).unwrap_or(0);
            let since = match accesses.and_then(|a| a.get("since")) {
                Some(Bson::DateTime(dt)) => dt.try_to_rfc3339_string().ok(),
                _ => None,
            };
            // Several entries (one per shard/member) add up.
            let slot = usage.entry(index.to_string()).or_insert(IndexUsage {
                ops: 0,
                since: since.clone(),
            });
            slot.ops += ops;
            if slot.since.is_none() || (since.is_some() && since < slot.since) {
                slot.since = since.or(slot.since.take());
            }
        }
        usage
    }))
}

/// Every index of collection `name` with size and usage (empty when it does not exist).
pub async fn collection_indexes(db: &Database, name: &str) -> Result<Vec<IndexInfo>> {
    let models = list_models(db, name).await?;
    if models.is_empty() {
        return Ok(Vec::new());
    }
    let sizes = index_sizes(db, name).await?;
    let usage = index_usage(db, name).await?;
    let mut out = Vec::with_capacity(models.len());
    for model in models {
        let options = model.options.clone().unwrap_or_default();
        let index_name = options.name.clone().unwrap_or_else(|| {
            model
                .keys
                .iter()
                .map(|(k, v)| format!("{k}_{v}"))
                .collect::<Vec<_>>()
                .join("_")
        });
        let size = match &sizes {
            Availability::Available { value } => {
                Availability::from_option(num(value, &index_name).map(|v| v.max(0.0) as u64))
            }
            Availability::Unavailable { reason } => Availability::Unavailable {
                reason: reason.clone(),
            },
        };
        let index_usage = match &usage {
            Availability::Available { value } => match value.get(&index_name) {
                Some(u) => Availability::Available { value: u.clone() },
                None => Availability::Unavailable {
                    reason: UnavailableReason::Other("not reported by $indexStats".into()),
                },
            },
            Availability::Unavailable { reason } => Availability::Unavailable {
                reason: reason.clone(),
            },
        };
        let unused = matches!(&index_usage, Availability::Available { value } if value.ops == 0);
        out.push(IndexInfo {
            collection: name.to_string(),
            name: index_name,
            keys: keys_string(&model.keys),
            unique: options.unique.unwrap_or(false),
            sparse: options.sparse.unwrap_or(false),
            ttl_secs: options.expire_after.map(|d| d.as_secs()),
            partial_filter: options
                .partial_filter_expression
                .map(|f| Bson::Document(f).into_relaxed_extjson().to_string()),
            size,
            usage: index_usage,
            unused,
        });
    }
    Ok(out)
}

/// Regular collections of `db` (no views, no `system.*`, no restore staging), sorted.
pub async fn regular_collections(db: &Database) -> Result<Vec<String>> {
    let mut names: Vec<String> = db
        .list_collection_names()
        .filter(doc! { "type": "collection" })
        .await
        .wrap_err_with(|| format!("cannot list the collections of {}", db.name()))?
        .into_iter()
        .filter(|n| !n.starts_with("system.") && !crate::backup::restore::is_staging_collection(n))
        .collect();
    names.sort();
    Ok(names)
}

/// Indexes of every regular collection (each has at least one), in collection order.
pub async fn all_indexes(db: &Database) -> Result<Vec<IndexInfo>> {
    let mut out = Vec::new();
    for name in regular_collections(db).await? {
        out.extend(collection_indexes(db, &name).await?);
    }
    Ok(out)
}
