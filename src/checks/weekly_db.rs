//! The weekly database items: `validate` of every collection, the index findings of the
//! Database tab, the six data health checks, and `compact` (a manual item: the console
//! runs [`compact_all`] after the admin's go-ahead).

use std::time::Duration;

use mongodb::Database;

use super::model::{ItemResult, PerfDatum, Severity};
use super::run::{CheckContext, ItemRun};
use super::support::{CALL_TIMEOUT, bounded, capped, connect, scandy_db, unknown};
use crate::config::Config;
use crate::mongo::health::{CheckResult, CheckState, run_checks};
use crate::mongo::indexes::{FindingKind, IndexFinding, index_findings, regular_collections};
use crate::mongo::maintenance::{
    CompactReport, ValidateReport, compact_collection, validate_collection,
};
use crate::mongo::stats::{Availability, UnavailableReason};

/// Longest time `compact` may take on one collection.
pub const COMPACT_TIMEOUT: Duration = Duration::from_secs(1800);
/// Longest time `validate` may take on one collection.
pub const VALIDATE_TIMEOUT: Duration = Duration::from_secs(60);
/// Most evidence lines an item lists one by one.
const MAX_LINES: usize = 40;
/// Most index findings listed one by one (a database without indexes misses about 45).
const MAX_INDEX_LINES: usize = 100;

/// How `validate` went on one collection.
#[derive(Debug, Clone, PartialEq)]
pub enum ValidateOutcome {
    /// The server's report.
    Report(ValidateReport),
    /// The server could not validate it (not supported, not permitted, …).
    Unavailable(String),
}

/// The validate item: every regular collection of the Scandy database.
pub async fn validate_item(ctx: &CheckContext, id: &str) -> ItemRun {
    let client = match connect(ctx, id).await {
        Ok(client) => client,
        Err(result) => return result.into(),
    };
    let db = scandy_db(ctx, &client);
    let names = match bounded(
        &format!("cannot list the collections of {}", db.name()),
        CALL_TIMEOUT,
        regular_collections(&db),
    )
    .await
    {
        Ok(names) => names,
        Err(why) => return unknown(id, format!("could not check: {why}")).into(),
    };
    let mut outcomes = Vec::with_capacity(names.len());
    for name in names {
        let what = format!("validate {}.{name}", db.name());
        match bounded(
            &what,
            VALIDATE_TIMEOUT,
            validate_collection(&db, &name, false),
        )
        .await
        {
            Ok(Availability::Available { value }) => {
                outcomes.push((name, ValidateOutcome::Report(value)));
            }
            Ok(Availability::Unavailable { reason }) => {
                outcomes.push((name, ValidateOutcome::Unavailable(reason.to_string())));
            }
            Err(why) => return unknown(id, format!("could not check: {why}")).into(),
        }
    }
    validate_result(id, db.name(), &outcomes).into()
}

/// The validate item's result from each collection's outcome (pure).
pub fn validate_result(
    id: &str,
    database: &str,
    outcomes: &[(String, ValidateOutcome)],
) -> ItemResult {
    if outcomes.is_empty() {
        return ItemResult::new(
            id,
            Severity::Info,
            format!("database {database} holds no collection to validate"),
        );
    }
    let mut invalid = Vec::new();
    let mut lines = Vec::new();
    let mut unavailable = 0;
    for (name, outcome) in outcomes {
        match outcome {
            ValidateOutcome::Report(report) if !report.valid => {
                invalid.push(name.clone());
                let errors = if report.errors.is_empty() {
                    "no error text".to_string()
                } else {
                    report.errors.join("; ")
                };
                lines.insert(invalid.len() - 1, format!("{name}: INVALID: {errors}"));
            }
            ValidateOutcome::Report(report) => {
                let mut line = format!("{name}: valid");
                if let Some(records) = report.records {
                    line.push_str(&format!(", {records} records"));
                }
                if let Some(indexes) = report.indexes {
                    line.push_str(&format!(", {indexes} indexes"));
                }
                if !report.warnings.is_empty() {
                    line.push_str(&format!(" (warnings: {})", report.warnings.join("; ")));
                }
                lines.push(line);
            }
            ValidateOutcome::Unavailable(why) => {
                unavailable += 1;
                lines.push(format!("{name}: not validated: {why}"));
            }
        }
    }
    let total = outcomes.len();
    let (severity, summary) = if !invalid.is_empty() {
        (
            Severity::Failed,
            format!(
                "{} of {total} collections invalid: {}",
                invalid.len(),
                invalid.join(", ")
            ),
        )
    } else if unavailable == total {
        (
            Severity::Unknown,
            format!("could not check: the server validates none of the {total} collections"),
        )
    } else if unavailable > 0 {
        (
            Severity::Info,
            format!(
                "{} collections valid, {unavailable} not validated by the server",
                total - unavailable
            ),
        )
    } else {
        (Severity::Ok, format!("all {total} collections valid"))
    };
    let mut result = ItemResult::new(id, severity, summary);
    result.evidence = capped(lines, MAX_LINES);
    result.perf(PerfDatum::new(
        "invalid_collections",
        invalid.len() as f64,
        None,
        Some(1.0),
    ))
}

/// The index findings item: what the Database tab finds wrong with the indexes.
pub async fn index_item(ctx: &CheckContext, id: &str) -> ItemRun {
    let client = match connect(ctx, id).await {
        Ok(client) => client,
        Err(result) => return result.into(),
    };
    let db = scandy_db(ctx, &client);
    let what = format!("cannot read the indexes of {}", db.name());
    match bounded(&what, CALL_TIMEOUT * 2, index_findings(&db)).await {
        Ok(findings) => index_result(id, db.name(), &findings).into(),
        Err(why) => unknown(id, format!("could not check: {why}")).into(),
    }
}

/// The index item's result from the findings (pure): missing Scandy indexes, other
/// options and the legacy `barcode_1` are warnings, unused indexes info; indexes of
/// collections that do not exist yet are only counted.
pub fn index_result(id: &str, database: &str, findings: &[IndexFinding]) -> ItemResult {
    let problems: Vec<&IndexFinding> = findings.iter().filter(|f| f.kind.is_problem()).collect();
    let pending = findings.len() - problems.len();
    let mut lines: Vec<String> = problems.iter().map(|f| finding_line(f)).collect();
    if pending > 0 {
        lines.push(format!(
            "{pending} expected indexes belong to collections that do not exist yet (created with them; no problem)"
        ));
    }
    let count = |kind: FindingKind| problems.iter().filter(|f| f.kind == kind).count();
    let missing = count(FindingKind::MissingExpected);
    let warnings = problems
        .iter()
        .filter(|f| f.severity == crate::mongo::indexes::Severity::Warning)
        .count();
    let severity = if warnings > 0 {
        Severity::Warning
    } else if problems.is_empty() {
        Severity::Ok
    } else {
        Severity::Info
    };
    let summary = if problems.is_empty() {
        format!("the indexes of {database} are as Scandy expects them")
    } else {
        let mut parts = Vec::new();
        if missing > 0 {
            parts.push(format!("{missing} of Scandy's indexes missing"));
        }
        for (kind, what) in [
            (FindingKind::OptionsDiffer, "with other options"),
            (FindingKind::LegacyBarcode, "legacy unique barcode index"),
            (FindingKind::Unused, "unused"),
        ] {
            let n = count(kind);
            if n > 0 {
                parts.push(format!("{n} {what}"));
            }
        }
        if parts.is_empty() {
            parts.push("Scandy's index setup failed".to_string());
        }
        parts.join(", ")
    };
    let mut result = ItemResult::new(id, severity, summary);
    result.evidence = capped(lines, MAX_INDEX_LINES);
    result.perf(PerfDatum::new(
        "missing_indexes",
        missing as f64,
        Some(1.0),
        None,
    ))
}

/// One evidence line of an index finding.
fn finding_line(finding: &IndexFinding) -> String {
    let place = format!("{}.{} {}", finding.collection, finding.index, finding.keys);
    match finding.kind {
        FindingKind::ScandyIndexDefect => finding.message.clone(),
        FindingKind::MissingExpected => format!("missing: {place}"),
        FindingKind::OptionsDiffer => format!("other options: {place}: {}", finding.message),
        FindingKind::LegacyBarcode => format!("legacy: {place}: {}", finding.message),
        FindingKind::Unused => format!("unused: {place}: {}", finding.message),
        FindingKind::PendingCollection => format!("pending: {place}"),
    }
}

/// The data health item: the six Scandy checks of `scandyctl db health`.
pub async fn data_health_item(ctx: &CheckContext, id: &str) -> ItemRun {
    let client = match connect(ctx, id).await {
        Ok(client) => client,
        Err(result) => return result.into(),
    };
    let db: Database = scandy_db(ctx, &client);
    let now = chrono::Local::now().naive_local();
    let what = format!("cannot run the health checks on {}", db.name());
    match bounded(&what, CALL_TIMEOUT * 3, run_checks(&db, now)).await {
        Ok(checks) => data_health_result(id, db.name(), &checks).into(),
        Err(why) => unknown(id, format!("could not check: {why}")).into(),
    }
}

/// The data health item's result from the checks (pure): each check with findings is
/// one evidence line with its count; problems are a warning (it is data, not an outage).
pub fn data_health_result(id: &str, database: &str, checks: &[CheckResult]) -> ItemResult {
    let mut lines = Vec::new();
    let mut problems = Vec::new();
    let mut notices = 0;
    let mut unavailable = 0;
    for check in checks {
        match &check.state {
            CheckState::Ok => {}
            CheckState::Findings => {
                let mut line = format!("{}: {} — {}", check.id, check.count, check.title);
                if check.informational {
                    notices += 1;
                    line.push_str(" (informational)");
                } else {
                    problems.push(check.id);
                    if check.fix.is_some() {
                        line.push_str(&format!(" — fix: scandyctl db health --fix {}", check.id));
                    }
                }
                if !check.examples.is_empty() {
                    line.push_str(&format!("; e.g. {}", check.examples.join("; ")));
                }
                lines.push(line);
            }
            CheckState::Unavailable(why) => {
                unavailable += 1;
                lines.push(format!("{}: not checked: {why}", check.id));
            }
        }
    }
    let (severity, summary) = if !problems.is_empty() {
        (
            Severity::Warning,
            format!(
                "{} of {} checks found problems in {database}: {}",
                problems.len(),
                checks.len(),
                problems.join(", ")
            ),
        )
    } else if unavailable == checks.len() && !checks.is_empty() {
        (
            Severity::Unknown,
            "could not check: the server ran none of the checks".to_string(),
        )
    } else if notices > 0 || unavailable > 0 {
        (
            Severity::Info,
            format!("no problems in {database} ({notices} notices, {unavailable} checks not run)"),
        )
    } else {
        (
            Severity::Ok,
            format!("all {} checks passed on {database}", checks.len()),
        )
    };
    let mut result = ItemResult::new(id, severity, summary);
    result.evidence = lines;
    result.perf(PerfDatum::new(
        "data_health_problems",
        problems.len() as f64,
        Some(1.0),
        None,
    ))
}

/// Runs `compact` on every regular collection of the Scandy database, one after the
/// other; a server without `compact` (SecantusDB) gives each collection a clean
/// "not supported" message. A failed connection is one entry named after the database.
pub async fn compact_all(config: &Config) -> Vec<(String, Result<CompactReport, String>)> {
    let database = config.mongo.database.clone();
    let client = match tokio::time::timeout(
        super::support::CONNECT_TIMEOUT,
        crate::mongo::checked::connect_db(config),
    )
    .await
    {
        Ok(Ok(client)) => client,
        Ok(Err(err)) => return vec![(database, Err(format!("{err:#}")))],
        Err(_) => {
            return vec![(
                database,
                Err(format!(
                    "MongoDB did not answer within {} s",
                    super::support::CONNECT_TIMEOUT.as_secs()
                )),
            )];
        }
    };
    let db = client.database(&database);
    let names = match bounded(
        &format!("cannot list the collections of {database}"),
        CALL_TIMEOUT,
        regular_collections(&db),
    )
    .await
    {
        Ok(names) => names,
        Err(why) => return vec![(database, Err(why))],
    };
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let what = format!("compact {database}.{name}");
        let outcome = match bounded(&what, COMPACT_TIMEOUT, compact_collection(&db, &name)).await {
            Ok(Availability::Available { value }) => Ok(value),
            Ok(Availability::Unavailable { reason }) => Err(compact_refusal(&reason)),
            Err(why) => Err(why),
        };
        out.push((name, outcome));
    }
    out
}

/// What a refused `compact` means for the admin.
fn compact_refusal(reason: &UnavailableReason) -> String {
    match reason {
        UnavailableReason::NotSupported => {
            "command not supported by this server (nothing to do: it cannot compact)".to_string()
        }
        UnavailableReason::NotPermitted => {
            "not permitted: the MongoDB user may not run compact".to_string()
        }
        UnavailableReason::Other(message) => format!("the server refused compact: {message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(name: &str, valid: bool, errors: &[&str]) -> ValidateReport {
        ValidateReport {
            collection: name.into(),
            full: false,
            valid,
            records: Some(3),
            indexes: Some(1),
            invalid_documents: None,
            errors: errors.iter().map(|e| e.to_string()).collect(),
            warnings: Vec::new(),
        }
    }

    #[test]
    fn an_invalid_collection_fails_with_the_servers_errors_first() {
        let outcomes = vec![
            (
                "lendings".to_string(),
                ValidateOutcome::Report(report("lendings", true, &[])),
            ),
            (
                "tools".to_string(),
                ValidateOutcome::Report(report(
                    "tools",
                    false,
                    &["2 corrupt record(s) (corruptRecords)"],
                )),
            ),
        ];
        let result = validate_result("SCY-DB-010", "scandy", &outcomes);
        assert_eq!(result.severity, Severity::Failed);
        assert_eq!(result.summary, "1 of 2 collections invalid: tools");
        assert_eq!(
            result.evidence,
            vec![
                "tools: INVALID: 2 corrupt record(s) (corruptRecords)",
                "lendings: valid, 3 records, 1 indexes",
            ]
        );
    }

    #[test]
    fn a_server_without_validate_cannot_check() {
        let outcomes = vec![(
            "tools".to_string(),
            ValidateOutcome::Unavailable("not supported".into()),
        )];
        let result = validate_result("SCY-DB-010", "scandy", &outcomes);
        assert_eq!(result.severity, Severity::Unknown);
        assert_eq!(result.evidence, vec!["tools: not validated: not supported"]);
    }

    #[test]
    fn compact_refusals_read_cleanly() {
        assert_eq!(
            compact_refusal(&UnavailableReason::NotSupported),
            "command not supported by this server (nothing to do: it cannot compact)"
        );
        assert!(compact_refusal(&UnavailableReason::Other("busy".into())).ends_with("busy"));
    }
}
