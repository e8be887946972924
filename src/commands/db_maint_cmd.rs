//! `scandyctl db validate|compact|reindex`: collection maintenance, as tables or JSON.

use color_eyre::eyre::{Result, bail};
use mongodb::Database;
use serde::Serialize;

use super::UsageError;
use super::backup_cmd::load_config;
use super::db_cmd::{connect_db, print_table};
use crate::cli::GlobalArgs;
use crate::maintenance_log::{MaintenanceEntry, Outcome};
use crate::mongo::indexes::regular_collections;
use crate::mongo::maintenance::{
    COMPACT_WARNING, REINDEX_WARNING, ValidateReport, compact_collection, reindex_allowed,
    reindex_collection, validate_collection,
};
use crate::mongo::stats::{Availability, Topology, UnavailableReason, server_overview};
use crate::sanitize::escape_controls;
use crate::system::disk::human_bytes;

/// One collection's `validate` outcome in `db validate --json`.
#[derive(Debug, Serialize)]
struct ValidateEntry {
    /// Collection name.
    collection: String,
    /// The report, or why the server could not validate.
    result: Availability<ValidateReport>,
}

/// `db validate --json` output.
#[derive(Debug, Serialize)]
struct ValidateOutput<'a> {
    /// Database name.
    database: &'a str,
    /// One entry per collection.
    collections: &'a [ValidateEntry],
    /// How many collections the server found invalid.
    invalid: usize,
}

/// `scandyctl db validate`: validates every regular collection, or `collection`.
///
/// Returns 0 when every validated collection is valid, 3
/// ([`crate::exit::VERIFY_FAILED`]) when any is invalid, 1 when the server could not
/// validate any collection (unsupported / not permitted). An unknown collection is a
/// usage error (exit code 2).
pub async fn run_validate(
    global: &GlobalArgs,
    collection: Option<String>,
    full: bool,
    json: bool,
) -> Result<i32> {
    let config = load_config(global)?;
    let client = connect_db(&config).await?;
    let db = client.database(&config.mongo.database);
    let names = match collection {
        Some(name) => {
            ensure_collection(&db, &name).await?;
            vec![name]
        }
        None => regular_collections(&db).await?,
    };
    let mut entries = Vec::with_capacity(names.len());
    for name in names {
        let result = validate_collection(&db, &name, full).await?;
        entries.push(ValidateEntry {
            collection: name,
            result,
        });
    }
    let invalid = entries
        .iter()
        .filter(|e| e.result.value().is_some_and(|r| !r.valid))
        .count();
    super::log_cmd::record_entry(&validate_log_entry(db.name(), full, &entries, invalid));
    if json {
        let out = ValidateOutput {
            database: db.name(),
            collections: &entries,
            invalid,
        };
        println!("{}", crate::sanitize::to_json_pretty(&out)?);
    } else {
        print_validate(db.name(), &entries);
    }
    Ok(validate_exit_code(&entries, invalid))
}

/// The maintenance log entry of a finished `db validate`.
fn validate_log_entry(
    database: &str,
    full: bool,
    entries: &[ValidateEntry],
    invalid: usize,
) -> MaintenanceEntry {
    let unavailable: Vec<&ValidateEntry> = entries
        .iter()
        .filter(|e| e.result.value().is_none())
        .collect();
    let outcome = match validate_exit_code(entries, invalid) {
        crate::exit::OK if unavailable.is_empty() => Outcome::Ok,
        crate::exit::OK => Outcome::Warning,
        _ => Outcome::Failed,
    };
    let what = match entries {
        [one] => one.collection.clone(),
        _ => "every collection".to_string(),
    };
    MaintenanceEntry::now("validate", &format!("validate {what}"), "")
        .param("database", database)
        .param_opt("full", full.then_some("true"))
        .param("via", "cli")
        .outcome(outcome)
        .evidence([format!(
            "{} collection(s) validated, {invalid} invalid, {} not validated",
            entries.len() - unavailable.len(),
            unavailable.len()
        )])
        .evidence(entries.iter().filter_map(|e| match &e.result {
            Availability::Available { value } if !value.valid => Some(format!(
                "{}: INVALID ({})",
                e.collection,
                value.errors.join("; ")
            )),
            Availability::Unavailable { reason } => Some(format!("{}: {reason}", e.collection)),
            Availability::Available { .. } => None,
        }))
}

/// 3 when any collection is invalid, 1 when none could be validated, else 0.
fn validate_exit_code(entries: &[ValidateEntry], invalid: usize) -> i32 {
    if invalid > 0 {
        crate::exit::VERIFY_FAILED
    } else if !entries.is_empty() && entries.iter().all(|e| e.result.value().is_none()) {
        crate::exit::ERROR
    } else {
        crate::exit::OK
    }
}

fn print_validate(database: &str, entries: &[ValidateEntry]) {
    if entries.is_empty() {
        println!("Database {}: no collections", escape_controls(database));
        return;
    }
    println!("Database {}", escape_controls(database));
    let count = |n: Option<u64>| n.map_or_else(|| "-".to_string(), |n| n.to_string());
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            let name = escape_controls(&e.collection).into_owned();
            match &e.result {
                Availability::Available { value: r } => vec![
                    name,
                    if r.valid { "valid" } else { "INVALID" }.to_string(),
                    count(r.records),
                    count(r.indexes),
                    r.errors.len().to_string(),
                    r.warnings.len().to_string(),
                ],
                Availability::Unavailable { reason } => vec![
                    name,
                    escape_controls(&reason.to_string()).into_owned(),
                    "-".into(),
                    "-".into(),
                    "-".into(),
                    "-".into(),
                ],
            }
        })
        .collect();
    print_table(
        &[
            "COLLECTION",
            "STATUS",
            "RECORDS",
            "INDEXES",
            "ERRORS",
            "WARNINGS",
        ],
        &[false, false, true, true, true, true],
        &rows,
    );
    for entry in entries {
        let Some(report) = entry.result.value() else {
            continue;
        };
        let name = escape_controls(&entry.collection);
        for error in &report.errors {
            println!("  {name}: error: {}", escape_controls(error));
        }
        for warning in &report.warnings {
            println!("  {name}: warning: {}", escape_controls(warning));
        }
    }
}

/// `scandyctl db compact --collection NAME`: warns, asks for a typed `yes` (unless
/// `yes`; no terminal: exit 2), compacts and prints the bytes freed. A server without
/// `compact` or a user without the privilege is an error (exit 1); nothing changes.
pub async fn run_compact(
    global: &GlobalArgs,
    collection: String,
    yes: bool,
    json: bool,
) -> Result<i32> {
    let config = load_config(global)?;
    let client = connect_db(&config).await?;
    let db = client.database(&config.mongo.database);
    ensure_collection(&db, &collection).await?;
    let target = target_name(&db, &collection);
    let step = Rewrite {
        entry: MaintenanceEntry::now("compact", &format!("compact {collection}"), "")
            .param("database", db.name())
            .param("collection", &collection),
        command: "compact",
        cli: "db compact",
        target: target.clone(),
        warning: COMPACT_WARNING,
        prompt: format!("Type yes to compact {target}: "),
        unchanged: "compacted",
        yes,
        json,
    };
    let outcome = step.confirm(compact_collection(&db, &collection)).await?;
    step.finish(outcome, |report| {
        let freed = report
            .bytes_freed
            .map_or_else(|| "unknown".to_string(), human_bytes);
        format!("compacted {target}: {freed} freed")
    })
}

/// `scandyctl db reindex --collection NAME`: refuses (exit 2) unless the server is a
/// standalone; then warns, asks for a typed `yes` (unless `yes`), rebuilds the indexes
/// and prints their number. A server without `reIndex` is an error (exit 1).
pub async fn run_reindex(
    global: &GlobalArgs,
    collection: String,
    yes: bool,
    json: bool,
) -> Result<i32> {
    let config = load_config(global)?;
    let client = connect_db(&config).await?;
    let topology = server_overview(&client).await?.topology;
    ensure_reindex_allowed(&topology)?;
    let db = client.database(&config.mongo.database);
    ensure_collection(&db, &collection).await?;
    let target = target_name(&db, &collection);
    let step = Rewrite {
        entry: MaintenanceEntry::now("reindex", &format!("reIndex {collection}"), "")
            .param("database", db.name())
            .param("collection", &collection),
        command: "reIndex",
        cli: "db reindex",
        target: target.clone(),
        warning: REINDEX_WARNING,
        prompt: format!("Type yes to rebuild every index of {target}: "),
        unchanged: "rebuilt",
        yes,
        json,
    };
    let outcome = step.confirm(reindex_collection(&db, &collection)).await?;
    step.finish(outcome, |report| {
        let count = report
            .indexes
            .map_or_else(|| "its".to_string(), |n| n.to_string());
        format!("rebuilt {count} index(es) of {target}")
    })
}

/// What `compact` and `reindex` share: a warning, a typed `yes`, one server command and
/// its report (JSON, or one line), or a clear "not supported / not permitted" error.
struct Rewrite {
    /// What the maintenance log records (its outcome added when the command ends).
    entry: MaintenanceEntry,
    /// The server command, as the messages name it.
    command: &'static str,
    /// The CLI command, for the "needs confirmation" error.
    cli: &'static str,
    /// `database.collection`.
    target: String,
    warning: &'static str,
    prompt: String,
    unchanged: &'static str,
    yes: bool,
    json: bool,
}

impl Rewrite {
    /// Warns, asks unless `--yes`, then runs `work`.
    async fn confirm<T>(
        &self,
        work: impl std::future::Future<Output = Result<Availability<T>>>,
    ) -> Result<Availability<T>> {
        let command = self.cli.trim_start_matches("db ");
        say(
            self.json,
            &format!("{command} {}: {}", self.target, self.warning),
        );
        if !self.yes {
            super::confirm_yes(self.cli, &self.prompt, self.json, self.unchanged)?;
        }
        let result = work.await;
        if result.is_err() {
            super::log_cmd::record_cli(self.entry.clone(), &result, |_| Vec::new());
        }
        result
    }

    /// Prints the outcome; exit 0, or an error when the server refused.
    fn finish<T: Serialize>(
        &self,
        outcome: Availability<T>,
        line: impl FnOnce(&T) -> String,
    ) -> Result<i32> {
        if self.json {
            println!("{}", crate::sanitize::to_json_pretty(&outcome)?);
        }
        match outcome {
            Availability::Available { value } => {
                let line = line(&value);
                super::log_cmd::record_cli(self.entry.clone(), &Ok(()), |()| vec![line.clone()]);
                if !self.json {
                    println!("{line}");
                }
                Ok(crate::exit::OK)
            }
            Availability::Unavailable { reason } => {
                let failure: Result<i32> = Err(color_eyre::eyre::eyre!(unavailable_message(
                    self.command,
                    &reason
                )));
                super::log_cmd::record_cli(self.entry.clone(), &failure, |_| Vec::new());
                failure
            }
        }
    }
}

/// A usage error unless `reIndex` may run on this topology.
fn ensure_reindex_allowed(topology: &Availability<Topology>) -> Result<()> {
    let described = match topology {
        Availability::Available { value } if reindex_allowed(value) => return Ok(()),
        Availability::Available { value } => topology_text(value),
        Availability::Unavailable { reason } => format!("of unknown topology (hello: {reason})"),
    };
    bail!(UsageError(format!(
        "refusing reIndex: it is only allowed on a standalone server and this one is {described}; \
         reIndex is deprecated since MongoDB 6.0 (on a replica set, rebuild an index by dropping \
         and recreating it, member by member); nothing was changed"
    )))
}

fn topology_text(topology: &Topology) -> String {
    match topology {
        Topology::Standalone => "a standalone server".to_string(),
        Topology::Sharded => "a sharded cluster router (mongos)".to_string(),
        Topology::ReplicaSet { set_name, .. } => {
            format!("a member of replica set {}", escape_controls(set_name))
        }
    }
}

/// The error text for a maintenance command the server would not run.
fn unavailable_message(command: &str, reason: &UnavailableReason) -> String {
    match reason {
        UnavailableReason::NotSupported => format!(
            "{command} is not supported by this server (it does not know the command); \
             nothing was changed"
        ),
        UnavailableReason::NotPermitted => format!(
            "{command} is not permitted for this user (the database role lacks the privilege); \
             nothing was changed"
        ),
        UnavailableReason::Other(message) => {
            format!("{command} failed: {}", escape_controls(message))
        }
    }
}

/// A usage error naming the collection and the database unless `name` is a regular
/// collection of `db`.
async fn ensure_collection(db: &Database, name: &str) -> Result<()> {
    if regular_collections(db).await?.iter().any(|n| n == name) {
        return Ok(());
    }
    bail!(UsageError(format!(
        "no collection {:?} in database {}",
        escape_controls(name),
        escape_controls(db.name())
    )))
}

/// `database.collection` for messages, control characters escaped.
fn target_name(db: &Database, collection: &str) -> String {
    format!(
        "{}.{}",
        escape_controls(db.name()),
        escape_controls(collection)
    )
}

/// Prints a line for people: stdout, or stderr when stdout carries JSON.
fn say(json: bool, line: &str) {
    if json {
        eprintln!("{line}");
    } else {
        println!("{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(result: Availability<ValidateReport>) -> ValidateEntry {
        ValidateEntry {
            collection: "tools".into(),
            result,
        }
    }

    fn report(valid: bool) -> Availability<ValidateReport> {
        Availability::Available {
            value: ValidateReport {
                collection: "tools".into(),
                full: false,
                valid,
                records: Some(1),
                indexes: Some(1),
                invalid_documents: None,
                errors: vec![],
                warnings: vec![],
            },
        }
    }

    #[test]
    fn exit_codes_follow_the_reports() {
        let unsupported = || Availability::Unavailable {
            reason: UnavailableReason::NotSupported,
        };
        assert_eq!(validate_exit_code(&[], 0), 0);
        assert_eq!(validate_exit_code(&[entry(report(true))], 0), 0);
        assert_eq!(validate_exit_code(&[entry(report(false))], 1), 3);
        assert_eq!(validate_exit_code(&[entry(unsupported())], 0), 1);
        assert_eq!(
            validate_exit_code(&[entry(unsupported()), entry(report(true))], 0),
            0
        );
    }

    #[test]
    fn reindex_gate_refuses_replica_sets() {
        let rs = Availability::Available {
            value: Topology::ReplicaSet {
                set_name: "rs0".into(),
                hosts: vec![],
                primary: None,
                me: None,
            },
        };
        let err = ensure_reindex_allowed(&rs).unwrap_err();
        assert!(err.is::<UsageError>());
        assert!(err.to_string().contains("standalone"));
        let standalone = Availability::Available {
            value: Topology::Standalone,
        };
        assert!(ensure_reindex_allowed(&standalone).is_ok());
    }
}
