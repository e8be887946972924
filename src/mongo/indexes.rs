//! Index inspection: what exists (with size and usage), what Scandy expects, and what is
//! wrong (missing expected indexes, the legacy unique `barcode_1`, unused indexes).

use std::collections::HashMap;

use color_eyre::eyre::{Result, WrapErr};
use futures::TryStreamExt;
use mongodb::bson::{Bson, Document, doc};
use mongodb::error::ErrorKind;
use mongodb::{Database, IndexModel};
use serde::Serialize;

use super::stats::{Availability, UnavailableReason, availability, num, num_u64};
use crate::datagen::{IndexSpec, expected_indexes};

/// Collections where a unique `barcode_1` breaks multi-department installs.
const BARCODE_COLLECTIONS: &[&str] = &["tools", "workers", "consumables"];

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

/// An index Scandy creates at start (mirrors `crate::datagen`'s list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExpectedIndex {
    /// Collection.
    pub collection: String,
    /// Index name (pymongo style).
    pub name: String,
    /// Key fields and directions, in order.
    pub keys: Vec<(String, i32)>,
    /// `unique: true`.
    pub unique: bool,
    /// `sparse: true`.
    pub sparse: bool,
    /// TTL `expireAfterSeconds`.
    pub ttl_secs: Option<u64>,
}

impl ExpectedIndex {
    fn from_spec(spec: IndexSpec) -> Self {
        ExpectedIndex {
            collection: spec.collection,
            name: spec.name,
            keys: spec.keys,
            unique: spec.unique,
            sparse: spec.sparse,
            ttl_secs: spec.expire_after_secs,
        }
    }

    /// The key pattern as a document.
    pub fn key_document(&self) -> Document {
        let mut keys = Document::new();
        for (field, dir) in &self.keys {
            keys.insert(field.clone(), *dir);
        }
        keys
    }

    /// The key pattern as text, e.g. `{department: 1, barcode: 1}`.
    pub fn keys_string(&self) -> String {
        keys_string(&self.key_document())
    }

    fn options_text(&self) -> String {
        let mut parts = vec![format!("name: {}", js_string(&self.name))];
        if self.unique {
            parts.push("unique: true".into());
        }
        if self.sparse {
            parts.push("sparse: true".into());
        }
        if let Some(secs) = self.ttl_secs {
            parts.push(format!("expireAfterSeconds: {secs}"));
        }
        format!("{{{}}}", parts.join(", "))
    }

    /// The mongosh line that creates this index.
    pub fn mongosh(&self) -> String {
        format!(
            "{}.createIndex({}, {})",
            shell_collection(&self.collection),
            self.keys_string(),
            self.options_text()
        )
    }

    /// The `createIndexes` command that creates this index.
    pub fn create_command(&self) -> Document {
        let mut index = doc! { "key": self.key_document(), "name": &self.name };
        if self.unique {
            index.insert("unique", true);
        }
        if self.sparse {
            index.insert("sparse", true);
        }
        if let Some(secs) = self.ttl_secs {
            index.insert("expireAfterSeconds", secs as i64);
        }
        doc! { "createIndexes": &self.collection, "indexes": [index] }
    }

    fn matches_keys(&self, info: &IndexInfo) -> bool {
        info.collection == self.collection && info.keys == self.keys_string()
    }

    fn matches_options(&self, info: &IndexInfo) -> bool {
        info.unique == self.unique && info.sparse == self.sparse && info.ttl_secs == self.ttl_secs
    }
}

/// Scandy's indexes (what `init_db` creates), without `_id_` and the legacy `barcode_1`.
pub fn expected_scandy_indexes() -> Vec<ExpectedIndex> {
    expected_indexes(false)
        .iter()
        .map(|(coll, model)| ExpectedIndex::from_spec(IndexSpec::from_model(coll, model)))
        .collect()
}

/// Kind of an index problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// An index Scandy expects does not exist.
    MissingExpected,
    /// An index with the expected keys exists with other options (unique/sparse/TTL).
    OptionsDiffer,
    /// The legacy unique `barcode_1` on tools/workers/consumables.
    LegacyBarcode,
    /// An index nobody used since `since` (only non-unique, non-TTL, non-Scandy ones).
    Unused,
}

/// How urgent a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth a look.
    Info,
    /// Breaks or slows Scandy.
    Warning,
}

/// One index problem with its fix.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndexFinding {
    /// What is wrong.
    pub kind: FindingKind,
    /// How urgent.
    pub severity: Severity,
    /// Collection.
    pub collection: String,
    /// Index name (expected or existing).
    pub index: String,
    /// Key pattern.
    pub keys: String,
    /// One-line explanation.
    pub message: String,
    /// mongosh line(s) that fix it.
    pub fix: Option<String>,
    /// The database command(s) that fix it, as relaxed extended JSON.
    pub fix_commands: Vec<serde_json::Value>,
}

/// Key pattern as text: `{department: 1, barcode: 1}`, `{name: "text"}`.
pub fn keys_string(keys: &Document) -> String {
    let parts: Vec<String> = keys
        .iter()
        .map(|(field, value)| {
            let value = match value {
                Bson::Int32(v) => v.to_string(),
                Bson::Int64(v) => v.to_string(),
                Bson::Double(v) if v.fract() == 0.0 => format!("{}", *v as i64),
                Bson::String(s) => js_string(s),
                other => other.to_string(),
            };
            format!("{}: {value}", js_key(field))
        })
        .collect();
    format!("{{{}}}", parts.join(", "))
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

fn js_key(field: &str) -> String {
    if is_identifier(field) {
        field.to_string()
    } else {
        js_string(field)
    }
}

fn js_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| format!("\"{text}\""))
}

fn shell_collection(name: &str) -> String {
    if is_identifier(name) && !name.starts_with('$') {
        format!("db.{name}")
    } else {
        format!("db.getCollection({})", js_string(name))
    }
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

/// Regular collections of `db` (no views, no `system.*`), sorted.
pub async fn regular_collections(db: &Database) -> Result<Vec<String>> {
    let mut names: Vec<String> = db
        .list_collection_names()
        .filter(doc! { "type": "collection" })
        .await
        .wrap_err_with(|| format!("cannot list the collections of {}", db.name()))?
        .into_iter()
        .filter(|n| !n.starts_with("system."))
        .collect();
    names.sort();
    Ok(names)
}

/// Indexes of every regular collection, plus the collections Scandy expects indexes on.
pub async fn all_indexes(db: &Database) -> Result<Vec<IndexInfo>> {
    let mut out = Vec::new();
    for name in regular_collections(db).await? {
        out.extend(collection_indexes(db, &name).await?);
    }
    Ok(out)
}

fn to_json(command: &Document) -> serde_json::Value {
    Bson::Document(command.clone()).into_relaxed_extjson()
}

/// Compares `existing` with [`expected_scandy_indexes`] (pure; see [`index_findings`]).
pub fn findings_for(existing: &[IndexInfo]) -> Vec<IndexFinding> {
    let expected = expected_scandy_indexes();
    let mut findings = Vec::new();
    for want in &expected {
        let same_keys: Vec<&IndexInfo> = existing.iter().filter(|i| want.matches_keys(i)).collect();
        if same_keys.is_empty() {
            findings.push(IndexFinding {
                kind: FindingKind::MissingExpected,
                severity: Severity::Warning,
                collection: want.collection.clone(),
                index: want.name.clone(),
                keys: want.keys_string(),
                message: format!(
                    "expected index {} {} is missing",
                    want.name,
                    want.keys_string()
                ),
                fix: Some(want.mongosh()),
                fix_commands: vec![to_json(&want.create_command())],
            });
        } else if !same_keys.iter().any(|i| want.matches_options(i)) {
            let have = same_keys[0];
            let drop = doc! { "dropIndexes": &want.collection, "index": &have.name };
            findings.push(IndexFinding {
                kind: FindingKind::OptionsDiffer,
                severity: Severity::Warning,
                collection: want.collection.clone(),
                index: have.name.clone(),
                keys: want.keys_string(),
                message: format!(
                    "index {} has other options than Scandy expects ({})",
                    have.name,
                    want.options_text()
                ),
                fix: Some(format!(
                    "{}.dropIndex({}); {}",
                    shell_collection(&want.collection),
                    js_string(&have.name),
                    want.mongosh()
                )),
                fix_commands: vec![to_json(&drop), to_json(&want.create_command())],
            });
        }
    }
    for info in existing {
        if BARCODE_COLLECTIONS.contains(&info.collection.as_str())
            && info.keys == "{barcode: 1}"
            && info.unique
        {
            let drop = doc! { "dropIndexes": &info.collection, "index": &info.name };
            findings.push(IndexFinding {
                kind: FindingKind::LegacyBarcode,
                severity: Severity::Warning,
                collection: info.collection.clone(),
                index: info.name.clone(),
                keys: info.keys.clone(),
                message: format!(
                    "legacy unique index {} on {}: the same barcode cannot exist in two departments, which breaks multi-department installs",
                    info.name, info.collection
                ),
                fix: Some(format!(
                    "{}.dropIndex({})",
                    shell_collection(&info.collection),
                    js_string(&info.name)
                )),
                fix_commands: vec![to_json(&drop)],
            });
        }
    }
    for info in existing {
        let scandy = expected.iter().any(|want| want.matches_keys(info));
        if info.unused && info.name != "_id_" && !info.unique && info.ttl_secs.is_none() && !scandy
        {
            let since = info
                .usage
                .value()
                .and_then(|u| u.since.clone())
                .map(|s| format!(" since {s}"))
                .unwrap_or_default();
            findings.push(IndexFinding {
                kind: FindingKind::Unused,
                severity: Severity::Info,
                collection: info.collection.clone(),
                index: info.name.clone(),
                keys: info.keys.clone(),
                message: format!(
                    "index {} was not used{since}; it costs write time and memory",
                    info.name
                ),
                fix: Some(format!(
                    "{}.dropIndex({})",
                    shell_collection(&info.collection),
                    js_string(&info.name)
                )),
                fix_commands: vec![to_json(
                    &doc! { "dropIndexes": &info.collection, "index": &info.name },
                )],
            });
        }
    }
    findings
}

/// Index problems of `db`: missing expected indexes, legacy `barcode_1`, unused indexes.
pub async fn index_findings(db: &Database) -> Result<Vec<IndexFinding>> {
    Ok(findings_for(&all_indexes(db).await?))
}

/// Creates the expected indexes that are missing; returns `collection.index` of each.
pub async fn create_missing_indexes(db: &Database) -> Result<Vec<String>> {
    let missing: Vec<IndexFinding> = index_findings(db)
        .await?
        .into_iter()
        .filter(|f| f.kind == FindingKind::MissingExpected)
        .collect();
    let models = expected_indexes(false);
    let mut created = Vec::new();
    for finding in missing {
        let Some((_, model)) = models.iter().find(|(coll, model)| {
            coll == &finding.collection && IndexSpec::from_model(coll, model).name == finding.index
        }) else {
            continue;
        };
        db.collection::<Document>(&finding.collection)
            .create_index(model.clone())
            .await
            .wrap_err_with(|| {
                format!(
                    "cannot create index {} on {}.{}",
                    finding.index,
                    db.name(),
                    finding.collection
                )
            })?;
        created.push(format!("{}.{}", finding.collection, finding.index));
    }
    Ok(created)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_list_has_the_documented_indexes() {
        let all = expected_scandy_indexes();
        let find = |coll: &str, name: &str| {
            all.iter()
                .find(|i| i.collection == coll && i.name == name)
                .unwrap_or_else(|| panic!("{coll}.{name} missing"))
        };
        for coll in BARCODE_COLLECTIONS {
            let i = find(coll, "department_1_barcode_1");
            assert!(i.unique && i.sparse);
        }
        assert!(find("users", "username_1").unique);
        assert_eq!(find("users", "delete_at_1").ttl_secs, Some(0));
        assert_eq!(find("workers", "delete_at_1").ttl_secs, Some(0));
        assert!(find("timesheets", "user_id_1_year_1_kw_1").unique);
        let s = find("settings", "department_1_key_1");
        assert!(s.unique && s.sparse);
    }

    #[test]
    fn mongosh_and_command_text() {
        let all = expected_scandy_indexes();
        let tools = all
            .iter()
            .find(|i| i.collection == "tools" && i.name == "department_1_barcode_1")
            .unwrap();
        assert_eq!(
            tools.mongosh(),
            r#"db.tools.createIndex({department: 1, barcode: 1}, {name: "department_1_barcode_1", unique: true, sparse: true})"#
        );
        assert_eq!(
            to_json(&tools.create_command()).to_string(),
            r#"{"createIndexes":"tools","indexes":[{"key":{"department":1,"barcode":1},"name":"department_1_barcode_1","unique":true,"sparse":true}]}"#
        );
        assert_eq!(
            keys_string(&doc! { "used_at": -1, "a.b": "text" }),
            r#"{used_at: -1, "a.b": "text"}"#
        );
    }
}
