//! Collection maintenance (`validate`, `compact`, `reIndex`) and operation control
//! (`currentOp`, `killOp`).
//!
//! Like [`crate::mongo::stats`], a command the server rejects (unknown command, missing
//! privilege) becomes [`Availability::Unavailable`]; only network and driver failures are
//! errors.

use color_eyre::eyre::{Result, WrapErr};
use mongodb::bson::{Bson, Document, doc};
use mongodb::{Client, Database};
use serde::Serialize;

use crate::mongo::stats::{Availability, Topology, availability, num, num_u64};

/// Longest [`Operation::summary`], in characters.
const SUMMARY_MAX: usize = 200;

/// Result of `validate` on one collection.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValidateReport {
    /// Collection name.
    pub collection: String,
    /// Whether a full validation was requested.
    pub full: bool,
    /// The server's verdict.
    pub valid: bool,
    /// `nrecords`.
    pub records: Option<u64>,
    /// `nIndexes`.
    pub indexes: Option<u64>,
    /// `nInvalidDocuments`.
    pub invalid_documents: Option<u64>,
    /// `errors[]`, plus corrupt records and missing/extra index entries summarised.
    pub errors: Vec<String>,
    /// `warnings[]`.
    pub warnings: Vec<String>,
}

/// `validate` on one collection (`full: true` when asked).
///
/// A server that lacks the command or a user without the privilege gives
/// `Ok(Unavailable)`; so does a missing collection (`NamespaceNotFound`, reason
/// `Other` with the server's message naming the collection). Network and driver errors
/// are `Err` with context naming the collection.
pub async fn validate_collection(
    db: &Database,
    collection: &str,
    full: bool,
) -> Result<Availability<ValidateReport>> {
    let mut command = doc! { "validate": collection };
    if full {
        command.insert("full", true);
    }
    let answer = availability(db.run_command(command).await)
        .wrap_err_with(|| format!("cannot validate {}.{collection}", db.name()))?;
    Ok(answer.map(|reply| validate_report(collection, full, &reply)))
}

/// Builds a [`ValidateReport`] from the server's `validate` reply (pure).
pub fn validate_report(collection: &str, full: bool, reply: &Document) -> ValidateReport {
    let mut errors = strings(reply, "errors");
    for (key, what) in [
        ("corruptRecords", "corrupt record(s)"),
        ("missingIndexEntries", "missing index entr(ies)"),
        ("extraIndexEntries", "extra index entr(ies)"),
    ] {
        let count = reply.get_array(key).map_or(0, Vec::len);
        if count > 0 {
            errors.push(format!("{count} {what} ({key})"));
        }
    }
    let valid = reply.get_bool("valid").unwrap_or(errors.is_empty());
    ValidateReport {
        collection: collection.to_string(),
        full,
        valid,
        records: num_u64(reply, "nrecords"),
        indexes: num_u64(reply, "nIndexes"),
        invalid_documents: num_u64(reply, "nInvalidDocuments"),
        errors,
        warnings: strings(reply, "warnings"),
    }
}

/// The string entries of array `key` (other entries rendered as extended JSON).
fn strings(reply: &Document, key: &str) -> Vec<String> {
    reply
        .get_array(key)
        .map(|items| {
            items
                .iter()
                .map(|item| match item {
                    Bson::String(text) => text.clone(),
                    other => other.clone().into_relaxed_extjson().to_string(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Outcome of `compact`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompactReport {
    /// Collection name.
    pub collection: String,
    /// `bytesFreed`.
    pub bytes_freed: Option<u64>,
}

/// `compact` on one collection; unsupported (e.g. SecantusDB) or forbidden gives
/// `Ok(Unavailable)`.
pub async fn compact_collection(
    db: &Database,
    collection: &str,
) -> Result<Availability<CompactReport>> {
    let answer = availability(db.run_command(doc! { "compact": collection }).await)
        .wrap_err_with(|| format!("cannot compact {}.{collection}", db.name()))?;
    Ok(answer.map(|reply| CompactReport {
        collection: collection.to_string(),
        bytes_freed: num_u64(&reply, "bytesFreed"),
    }))
}

/// Outcome of `reIndex`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReindexReport {
    /// Collection name.
    pub collection: String,
    /// `nIndexes`.
    pub indexes: Option<u64>,
}

/// `reIndex` on one collection; unsupported or forbidden gives `Ok(Unavailable)`.
pub async fn reindex_collection(
    db: &Database,
    collection: &str,
) -> Result<Availability<ReindexReport>> {
    let answer = availability(db.run_command(doc! { "reIndex": collection }).await)
        .wrap_err_with(|| format!("cannot rebuild the indexes of {}.{collection}", db.name()))?;
    Ok(answer.map(|reply| ReindexReport {
        collection: collection.to_string(),
        indexes: num_u64(&reply, "nIndexes"),
    }))
}

/// Whether `reIndex` may be offered: only on a standalone server.
pub fn reindex_allowed(topology: &Topology) -> bool {
    matches!(topology, Topology::Standalone)
}

/// The warning shown before compact (what it blocks).
pub const COMPACT_WARNING: &str = "compact rewrites the collection and its indexes to return unused disk space to the \
operating system and can run for a long time on a large collection; meanwhile it blocks index builds, drops and \
other changes to the collection (before MongoDB 4.4 also every read and write on the database).";

/// The warning shown before reIndex.
pub const REINDEX_WARNING: &str = "reIndex drops and rebuilds every index of the collection and blocks the collection while it runs; \
it is deprecated since MongoDB 6.0 and only allowed on a standalone server.";

/// One operation from `currentOp`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Operation {
    /// `opid`.
    pub opid: i64,
    /// `op` (query, command, getmore, insert, ..., none).
    pub op: String,
    /// `ns`.
    pub namespace: String,
    /// `client` or `client_s`.
    pub client: Option<String>,
    /// `desc` (e.g. conn12).
    pub description: Option<String>,
    /// `clientMetadata.application.name` or `appName`.
    pub app_name: Option<String>,
    /// `secs_running` (or `microsecs_running` / 1e6).
    pub secs_running: Option<u64>,
    /// `active`.
    pub active: bool,
    /// `waitingForLock`.
    pub waiting_for_lock: bool,
    /// Short raw one-line summary of `command`.
    pub summary: String,
}

/// Active operations from `currentOp` on admin, longest-running first, without the
/// `currentOp` operations themselves; unsupported or forbidden gives `Ok(Unavailable)`.
pub async fn current_operations(client: &Client) -> Result<Availability<Vec<Operation>>> {
    let admin = client.database("admin");
    let answer = availability(
        admin
            .run_command(doc! { "currentOp": 1, "active": true })
            .await,
    )
    .wrap_err("cannot list the current operations (currentOp on admin)")?;
    Ok(answer.map(|reply| operations_from_reply(&reply)))
}

/// The operations of a `currentOp` reply (pure): parsed, filtered and sorted.
pub fn operations_from_reply(reply: &Document) -> Vec<Operation> {
    let mut ops: Vec<Operation> = reply
        .get_array("inprog")
        .map(|items| {
            items
                .iter()
                .filter_map(Bson::as_document)
                .filter(|entry| !is_current_op(entry))
                .filter_map(operation)
                .collect()
        })
        .unwrap_or_default();
    ops.sort_by(|a, b| {
        b.secs_running
            .cmp(&a.secs_running)
            .then(a.opid.cmp(&b.opid))
    });
    ops
}

/// Whether `entry` is a `currentOp` command (or `$currentOp` aggregation) itself.
fn is_current_op(entry: &Document) -> bool {
    let Ok(command) = entry.get_document("command") else {
        return false;
    };
    if command.contains_key("currentOp") {
        return true;
    }
    command
        .get_array("pipeline")
        .ok()
        .and_then(|stages| stages.first())
        .and_then(Bson::as_document)
        .is_some_and(|stage| stage.contains_key("$currentOp"))
}

/// One `inprog` entry as an [`Operation`]; `None` for a non-numeric opid.
fn operation(entry: &Document) -> Option<Operation> {
    let opid = match entry.get("opid")? {
        Bson::Int32(v) => i64::from(*v),
        Bson::Int64(v) => *v,
        Bson::Double(v) if v.is_finite() && v.fract() == 0.0 => *v as i64,
        _ => return None,
    };
    let text = |key: &str| entry.get_str(key).ok().map(str::to_string);
    let secs_running = num_u64(entry, "secs_running")
        .or_else(|| num(entry, "microsecs_running").map(|us| (us.max(0.0) / 1e6) as u64));
    let app_name = entry
        .get_document("clientMetadata")
        .ok()
        .and_then(|m| m.get_document("application").ok())
        .and_then(|a| a.get_str("name").ok())
        .map(str::to_string)
        .or_else(|| text("appName"));
    Some(Operation {
        opid,
        op: text("op").unwrap_or_else(|| "none".to_string()),
        namespace: text("ns").unwrap_or_default(),
        client: text("client").or_else(|| text("client_s")),
        description: text("desc"),
        app_name,
        secs_running,
        active: entry.get_bool("active").unwrap_or(false),
        waiting_for_lock: entry.get_bool("waitingForLock").unwrap_or(false),
        summary: entry
            .get_document("command")
            .map(command_summary)
            .unwrap_or_default(),
    })
}

/// A one-line summary of a command document: first key and value, plus `filter`
/// (or `query`/`q`) when present; at most [`SUMMARY_MAX`] characters, raw.
pub fn command_summary(command: &Document) -> String {
    let Some((key, value)) = command.iter().next() else {
        return String::new();
    };
    let mut out = format!("{key}: {}", bson_text(value));
    let filter = ["filter", "query", "q"]
        .iter()
        .find_map(|k| command.get(*k).map(|v| (*k, v)));
    if let Some((name, filter)) = filter
        && name != key
    {
        out.push_str(&format!(" {name}: {}", bson_text(filter)));
    }
    truncate(&out, SUMMARY_MAX)
}

/// A BSON value as compact text: strings without quotes, the rest as relaxed JSON.
fn bson_text(value: &Bson) -> String {
    match value {
        Bson::String(text) => text.clone(),
        other => other.clone().into_relaxed_extjson().to_string(),
    }
}

/// `text` cut to `max` characters, ending in `…` when cut.
fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Result of `killOp`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KillReport {
    /// The opid asked to be killed.
    pub opid: i64,
    /// The server's `info` text, when present.
    pub info: Option<String>,
}

/// `killOp` on admin; unsupported or forbidden gives `Ok(Unavailable)`.
pub async fn kill_operation(client: &Client, opid: i64) -> Result<Availability<KillReport>> {
    let op = match i32::try_from(opid) {
        Ok(small) => Bson::Int32(small),
        Err(_) => Bson::Int64(opid),
    };
    let answer = availability(
        client
            .database("admin")
            .run_command(doc! { "killOp": 1, "op": op })
            .await,
    )
    .wrap_err_with(|| format!("cannot kill operation {opid} (killOp on admin)"))?;
    Ok(answer.map(|reply| KillReport {
        opid,
        info: reply.get_str("info").ok().map(str::to_string),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validate_reply_is_parsed() {
        let reply = doc! {
            "ns": "scandy.tools", "nInvalidDocuments": 0_i64, "nrecords": 42, "nIndexes": 3,
            "valid": true, "warnings": ["slow"], "errors": [], "corruptRecords": [],
            "missingIndexEntries": [], "extraIndexEntries": [], "ok": 1.0,
        };
        let report = validate_report("tools", true, &reply);
        assert_eq!(
            report,
            ValidateReport {
                collection: "tools".into(),
                full: true,
                valid: true,
                records: Some(42),
                indexes: Some(3),
                invalid_documents: Some(0),
                errors: vec![],
                warnings: vec!["slow".into()],
            }
        );
    }

    #[test]
    fn invalid_validate_reply_summarises_entries() {
        let reply = doc! {
            "valid": false, "errors": ["bad \u{1b}[2J key"],
            "corruptRecords": [{ "recordId": 1 }, { "recordId": 2 }],
            "missingIndexEntries": [{ "indexName": "barcode_1" }],
        };
        let report = validate_report("tools", false, &reply);
        assert!(!report.valid);
        assert_eq!(report.records, None);
        assert_eq!(
            report.errors,
            vec![
                "bad \u{1b}[2J key".to_string(),
                "2 corrupt record(s) (corruptRecords)".into(),
                "1 missing index entr(ies) (missingIndexEntries)".into(),
            ]
        );
    }

    #[test]
    fn missing_valid_flag_follows_errors() {
        assert!(validate_report("t", false, &doc! {}).valid);
        assert!(!validate_report("t", false, &doc! { "errors": ["x"] }).valid);
    }

    #[test]
    fn reindex_only_on_standalone() {
        assert!(reindex_allowed(&Topology::Standalone));
        assert!(!reindex_allowed(&Topology::Sharded));
        assert!(!reindex_allowed(&Topology::ReplicaSet {
            set_name: "rs0".into(),
            hosts: vec![],
            primary: None,
            me: None,
        }));
    }

    #[test]
    fn summary_names_command_and_filter() {
        let command = doc! { "find": "tools", "filter": { "status": "verliehen" }, "limit": 5 };
        assert_eq!(
            command_summary(&command),
            r#"find: tools filter: {"status":"verliehen"}"#
        );
        assert_eq!(command_summary(&doc! { "hello": 1 }), "hello: 1");
        assert_eq!(command_summary(&doc! {}), "");
        let long = doc! { "insert": "x".repeat(500) };
        let summary = command_summary(&long);
        assert_eq!(summary.chars().count(), SUMMARY_MAX);
        assert!(summary.ends_with('…'));
    }

    #[test]
    fn current_op_reply_is_filtered_and_sorted() {
        let reply = doc! { "inprog": [
            { "opid": 1, "op": "query", "ns": "s.tools", "secs_running": 2_i64, "active": true,
              "command": { "find": "tools" }, "client": "10.0.0.1:5000", "desc": "conn1",
              "clientMetadata": { "application": { "name": "scandy" } } },
            { "opid": 2_i64, "op": "command", "ns": "admin.$cmd", "secs_running": 0,
              "active": true, "command": { "currentOp": 1, "active": true } },
            { "opid": "shard01:77", "op": "query", "ns": "s.x", "command": { "find": "x" } },
            { "opid": 3.0, "op": "getmore", "ns": "s.lendings", "microsecs_running": 9_500_000_i64,
              "active": true, "waitingForLock": true, "client_s": "10.0.0.2:1", "appName": "cli",
              "command": { "getMore": 5_i64, "collection": "lendings" } },
            { "opid": 4, "command": { "aggregate": 1, "pipeline": [{ "$currentOp": {} }] } },
        ], "ok": 1 };
        let ops = operations_from_reply(&reply);
        assert_eq!(ops.iter().map(|o| o.opid).collect::<Vec<_>>(), vec![3, 1]);
        assert_eq!(ops[0].secs_running, Some(9));
        assert!(ops[0].waiting_for_lock);
        assert_eq!(ops[0].client.as_deref(), Some("10.0.0.2:1"));
        assert_eq!(ops[0].app_name.as_deref(), Some("cli"));
        assert_eq!(ops[1].app_name.as_deref(), Some("scandy"));
        assert_eq!(ops[1].description.as_deref(), Some("conn1"));
        assert_eq!(ops[1].summary, "find: tools");
    }
}
