//! `scandyctl db stats` and `scandyctl db indexes`: server/database statistics and the
//! index check, as aligned tables or JSON.

use color_eyre::eyre::Result;
use serde::Serialize;

use super::backup_cmd::load_config;
use crate::cli::GlobalArgs;
use crate::maintenance_log::MaintenanceEntry;
use crate::mongo::indexes::{
    FindingKind, IndexFinding, IndexInfo, Severity, all_indexes, collection_indexes,
    create_missing_indexes, findings_for,
};
use crate::mongo::stats::{
    Availability, CollectionKind, DatabaseOverview, ServerOverview, Topology, database_overview,
    server_overview,
};
use crate::sanitize::escape_controls;
use crate::system::disk::human_bytes;

pub use crate::mongo::checked::{connect_db, scram_hint};

/// Prints rows as a table with two spaces between columns; `right` marks numeric columns.
/// Cells are shown with control characters escaped (they may come from the server).
pub(crate) fn print_table(headers: &[&str], right: &[bool], rows: &[Vec<String>]) {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|cell| escape_controls(cell).into_owned())
                .collect()
        })
        .collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let parts: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, cell)| {
                if right.get(i).copied().unwrap_or(false) {
                    format!("{cell:>w$}", w = widths[i])
                } else {
                    format!("{cell:<w$}", w = widths[i])
                }
            })
            .collect();
        println!("{}", parts.join("  ").trim_end());
    };
    line(headers.to_vec());
    for row in &rows {
        line(row.iter().map(String::as_str).collect());
    }
}

fn duration_text(secs: u64) -> String {
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match (d, h) {
        (0, 0) => format!("{m} min {} s", secs % 60),
        (0, _) => format!("{h} h {m} min"),
        _ => format!("{d} d {h} h"),
    }
}

/// `db stats --json` output.
#[derive(Debug, Serialize)]
struct StatsOutput<'a> {
    server: &'a ServerOverview,
    database: &'a DatabaseOverview,
}

/// `scandyctl db stats`.
pub async fn run_stats(global: &GlobalArgs, json: bool) -> Result<i32> {
    let config = load_config(global)?;
    let client = connect_db(&config).await?;
    let server = server_overview(&client).await?;
    let database = database_overview(&client.database(&config.mongo.database)).await?;
    if json {
        let out = StatsOutput {
            server: &server,
            database: &database,
        };
        println!("{}", crate::sanitize::to_json_pretty(&out)?);
    } else {
        print_server(&server);
        println!();
        print_database(&database);
    }
    Ok(crate::exit::OK)
}

fn print_server(server: &ServerOverview) {
    let rows: Vec<(&str, String)> = vec![
        ("version", server.version.display_with(Clone::clone)),
        (
            "uptime",
            server.uptime_secs.display_with(|s| duration_text(*s)),
        ),
        ("storage engine", server.storage_engine.display_with(Clone::clone)),
        (
            "connections",
            server
                .connections
                .display_with(|c| format!("{} current, {} available", c.current, c.available)),
        ),
        (
            "memory",
            server.memory.display_with(|m| {
                format!("{} MiB resident, {} MiB virtual", m.resident_mb, m.virtual_mb)
            }),
        ),
        (
            "operations",
            server.opcounters.display_with(|o| {
                format!(
                    "insert {}, query {}, update {}, delete {}, getmore {}, command {} (since start)",
                    o.insert, o.query, o.update, o.delete, o.getmore, o.command
                )
            }),
        ),
        (
            "topology",
            server.topology.display_with(|t| match t {
                Topology::Standalone => "standalone".to_string(),
                Topology::Sharded => "sharded cluster (mongos)".to_string(),
                Topology::ReplicaSet {
                    set_name,
                    hosts,
                    primary,
                    ..
                } => format!(
                    "replica set {set_name} ({} host{}, primary {})",
                    hosts.len(),
                    if hosts.len() == 1 { "" } else { "s" },
                    primary.as_deref().unwrap_or("unknown")
                ),
            }),
        ),
    ];
    println!("Server");
    for (label, value) in rows {
        println!("  {label:<15} {}", escape_controls(&value));
    }
    match &server.members {
        Some(Availability::Available { value }) if !value.is_empty() => {
            println!();
            let rows: Vec<Vec<String>> = value
                .iter()
                .map(|m| {
                    vec![
                        format!("{}{}", m.name, if m.is_self { " *" } else { "" }),
                        m.state_str.clone(),
                        m.health
                            .map(|h| if h >= 1.0 { "up" } else { "down" }.to_string())
                            .unwrap_or_else(|| "-".into()),
                        m.lag_secs
                            .map(|l| format!("{l} s"))
                            .unwrap_or_else(|| "-".into()),
                    ]
                })
                .collect();
            print_table(
                &["MEMBER", "STATE", "HEALTH", "LAG"],
                &[false, false, false, true],
                &rows,
            );
        }
        Some(Availability::Unavailable { reason }) => {
            println!(
                "  {:<15} {}",
                "members",
                escape_controls(&reason.to_string())
            );
        }
        _ => {}
    }
}

fn print_database(database: &DatabaseOverview) {
    match &database.totals {
        Availability::Available { value: t } => println!(
            "Database {}: {} collections, {} documents, data {}, storage {}, {} indexes ({})",
            escape_controls(&database.name),
            t.collections,
            t.objects,
            human_bytes(t.data_size),
            human_bytes(t.storage_size),
            t.indexes,
            human_bytes(t.index_size)
        ),
        Availability::Unavailable { reason } => {
            println!(
                "Database {}: dbStats {}",
                escape_controls(&database.name),
                escape_controls(&reason.to_string())
            )
        }
    }
    if database.collections.is_empty() {
        println!("no collections");
        return;
    }
    let rows: Vec<Vec<String>> = database
        .collections
        .iter()
        .map(|c| {
            let kind = match c.kind {
                CollectionKind::Collection => "collection",
                CollectionKind::View => "view",
                CollectionKind::Timeseries => "timeseries",
            };
            let count = c.count.map(|n| n.to_string()).unwrap_or_else(|| "-".into());
            let ttl = c
                .ttl
                .iter()
                .map(|t| format!("{} {} s", t.field, t.expire_after_secs))
                .collect::<Vec<_>>()
                .join(", ");
            let mut row = vec![c.name.clone(), kind.to_string(), count];
            match &c.storage {
                Some(Availability::Available { value: s }) => row.extend([
                    human_bytes(s.size),
                    human_bytes(s.storage_size),
                    human_bytes(s.avg_obj_size),
                    s.nindexes.to_string(),
                    human_bytes(s.total_index_size),
                ]),
                Some(Availability::Unavailable { reason }) => {
                    row.push(reason.to_string());
                    row.extend(std::iter::repeat_n("-".to_string(), 4));
                }
                None => row.extend(std::iter::repeat_n("-".to_string(), 5)),
            }
            row.push(if ttl.is_empty() { "-".into() } else { ttl });
            row
        })
        .collect();
    print_table(
        &[
            "COLLECTION",
            "TYPE",
            "DOCUMENTS",
            "SIZE",
            "STORAGE",
            "AVG DOC",
            "INDEXES",
            "INDEX SIZE",
            "TTL",
        ],
        &[false, false, true, true, true, true, true, true, false],
        &rows,
    );
}

/// `db indexes --json` output.
#[derive(Debug, Serialize)]
struct IndexesOutput<'a> {
    database: &'a str,
    /// With `--create-missing`: `collection.index` of each created index.
    #[serde(skip_serializing_if = "Option::is_none")]
    created: Option<&'a [String]>,
    /// With `--create-missing`: expected indexes not created because their collection
    /// does not exist yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    skipped: Option<&'a [String]>,
    indexes: &'a [IndexInfo],
    findings: &'a [IndexFinding],
}

/// Order of findings: the Scandy defect first, pending indexes last, warnings before
/// notices, then by collection and index.
fn finding_order(a: &IndexFinding, b: &IndexFinding) -> std::cmp::Ordering {
    let rank = |f: &IndexFinding| match f.kind {
        FindingKind::ScandyIndexDefect => 0,
        FindingKind::PendingCollection => 2,
        _ => 1,
    };
    rank(a)
        .cmp(&rank(b))
        .then_with(|| b.severity.cmp(&a.severity))
        .then_with(|| a.collection.cmp(&b.collection))
        .then_with(|| a.index.cmp(&b.index))
}

/// Keeps the findings about `collection` (and the Scandy defect when it has missing ones).
fn retain_collection(findings: &mut Vec<IndexFinding>, collection: &str) {
    let has_missing = findings
        .iter()
        .any(|f| f.collection == collection && f.kind == FindingKind::MissingExpected);
    findings.retain(|f| {
        f.collection == collection || (has_missing && f.kind == FindingKind::ScandyIndexDefect)
    });
}

/// `collection.index` of every pending expected index.
fn pending_names(findings: &[IndexFinding]) -> Vec<String> {
    findings
        .iter()
        .filter(|f| f.kind == FindingKind::PendingCollection)
        .map(|f| format!("{}.{}", f.collection, f.index))
        .collect()
}

/// `scandyctl db indexes`.
pub async fn run_indexes(
    global: &GlobalArgs,
    collection: Option<String>,
    json: bool,
    create_missing: bool,
) -> Result<i32> {
    let config = load_config(global)?;
    let client = connect_db(&config).await?;
    let db = client.database(&config.mongo.database);
    let created = if create_missing {
        let result = create_missing_indexes(&db).await;
        let entry =
            MaintenanceEntry::now("index-creation", "create the missing Scandy indexes", "")
                .param("database", db.name());
        super::log_cmd::record_cli(entry, &result, |created| {
            if created.is_empty() {
                vec!["no expected index was missing".to_string()]
            } else {
                created
                    .iter()
                    .map(|name| format!("created {name}"))
                    .collect()
            }
        });
        let mut created = result?;
        if let Some(only) = &collection {
            created.retain(|c| c.split_once('.').map(|(coll, _)| coll) == Some(only.as_str()));
        }
        Some(created)
    } else {
        None
    };
    let everything = all_indexes(&db).await?;
    let mut findings = findings_for(&everything);
    let indexes = match &collection {
        Some(name) => {
            retain_collection(&mut findings, name);
            collection_indexes(&db, name).await?
        }
        None => everything,
    };
    findings.sort_by(finding_order);
    let skipped = created.as_ref().map(|_| pending_names(&findings));
    if json {
        let out = IndexesOutput {
            database: &config.mongo.database,
            created: created.as_deref(),
            skipped: skipped.as_deref(),
            indexes: &indexes,
            findings: &findings,
        };
        println!("{}", crate::sanitize::to_json_pretty(&out)?);
        return Ok(crate::exit::OK);
    }
    if let Some(created) = &created {
        print_created(created, skipped.as_deref().unwrap_or_default());
    }
    print_indexes(&config.mongo.database, &indexes);
    println!();
    print_findings(&findings);
    Ok(crate::exit::OK)
}

fn print_created(created: &[String], skipped: &[String]) {
    if created.is_empty() {
        println!("no expected index of an existing collection was missing; nothing created");
    } else {
        for name in created {
            println!("created index {}", escape_controls(name));
        }
    }
    if !skipped.is_empty() {
        println!(
            "skipped {} index{} of collections that do not exist yet (creating an index would \
             create the collection; run --create-missing again once Scandy created it)",
            skipped.len(),
            if skipped.len() == 1 { "" } else { "es" }
        );
    }
    println!();
}

fn print_indexes(database: &str, indexes: &[IndexInfo]) {
    if indexes.is_empty() {
        println!("no indexes in {}", escape_controls(database));
        return;
    }
    let rows: Vec<Vec<String>> = indexes
        .iter()
        .map(|i| {
            let mut options = Vec::new();
            if i.unique {
                options.push("unique".to_string());
            }
            if i.sparse {
                options.push("sparse".to_string());
            }
            if let Some(secs) = i.ttl_secs {
                options.push(format!("ttl {secs} s"));
            }
            if let Some(filter) = &i.partial_filter {
                options.push(format!("partial {filter}"));
            }
            let usage = i.usage.display_with(|u| {
                format!(
                    "{}{}",
                    u.ops,
                    if i.unused && i.name != "_id_" {
                        " (unused)"
                    } else {
                        ""
                    }
                )
            });
            let since = i
                .usage
                .value()
                .and_then(|u| u.since.clone())
                .unwrap_or_else(|| "-".into());
            vec![
                i.collection.clone(),
                i.name.clone(),
                i.keys.clone(),
                if options.is_empty() {
                    "-".into()
                } else {
                    options.join(", ")
                },
                i.size.display_with(|s| human_bytes(*s)),
                usage,
                since,
            ]
        })
        .collect();
    print_table(
        &[
            "COLLECTION",
            "INDEX",
            "KEYS",
            "OPTIONS",
            "SIZE",
            "OPS",
            "SINCE",
        ],
        &[false, false, false, false, true, true, false],
        &rows,
    );
}

fn print_findings(findings: &[IndexFinding]) {
    let (problems, pending): (Vec<&IndexFinding>, Vec<&IndexFinding>) =
        findings.iter().partition(|f| f.kind.is_problem());
    if problems.is_empty() {
        println!("no index problems found");
    } else {
        let warnings = problems
            .iter()
            .filter(|f| f.severity == Severity::Warning)
            .count();
        println!(
            "{} finding{} ({warnings} warning{}):",
            problems.len(),
            if problems.len() == 1 { "" } else { "s" },
            if warnings == 1 { "" } else { "s" }
        );
    }
    for f in &problems {
        let label = match f.kind {
            FindingKind::ScandyIndexDefect => "Scandy defect",
            FindingKind::MissingExpected => "missing",
            FindingKind::OptionsDiffer => "options differ",
            FindingKind::LegacyBarcode => "legacy barcode_1",
            FindingKind::Unused => "unused",
            FindingKind::PendingCollection => "pending",
        };
        let severity = match f.severity {
            Severity::Warning => "WARNING",
            Severity::Info => "info",
        };
        let subject = if f.collection.is_empty() {
            String::new()
        } else {
            format!(" {}:", escape_controls(&f.collection))
        };
        println!(
            "  {severity} [{label}]{subject} {}",
            escape_controls(&f.message)
        );
        if let Some(fix) = &f.fix {
            println!("    fix: {}", escape_controls(fix));
        }
    }
    if problems
        .iter()
        .any(|f| f.kind == FindingKind::MissingExpected)
    {
        println!("  (scandyctl db indexes --create-missing creates the missing ones)");
    }
    print_pending(&pending);
}

/// The expected indexes of absent collections, one line per collection.
fn print_pending(pending: &[&IndexFinding]) {
    if pending.is_empty() {
        return;
    }
    println!();
    println!(
        "will be needed when the collection appears ({} index{}; not a problem, not created now: \
         creating an index would create the collection):",
        pending.len(),
        if pending.len() == 1 { "" } else { "es" }
    );
    let mut by_collection: Vec<(&str, Vec<&str>)> = Vec::new();
    for f in pending {
        match by_collection.iter_mut().find(|(c, _)| *c == f.collection) {
            Some((_, names)) => names.push(&f.index),
            None => by_collection.push((&f.collection, vec![&f.index])),
        }
    }
    for (collection, names) in by_collection {
        println!(
            "  {}: {}",
            escape_controls(collection),
            escape_controls(&names.join(", "))
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mongo::probe::{FailureKind, MongoUnreachable, ProbeFailure};
    use color_eyre::eyre::Report;

    #[test]
    fn auth_failures_name_scram_and_the_env_password() {
        let err = Report::new(MongoUnreachable {
            uri_redacted: "mongodb://admin:***@db:27017".into(),
            failure: ProbeFailure {
                kind: FailureKind::Auth,
                detail: "Authentication failed.".into(),
            },
        });
        let err = scram_hint(err);
        let text = format!("{err:#}");
        assert!(text.contains("SCRAM authentication failed"), "{text}");
        assert!(text.contains(".env"), "{text}");
        assert!(err.is::<MongoUnreachable>());
        assert_eq!(
            super::super::exit_code_for(&err),
            crate::exit::MONGO_UNREACHABLE
        );
    }
}
