//! Data health checks for a Scandy database, with the automatic fixes that are safe.
//!
//! [`run_checks`] looks for the inconsistencies admins keep running into (tool `status`
//! out of step with open lendings, orphaned lendings, documents without `department`
//! or `created_at`, strings where ObjectIds or dates belong, duplicate barcodes, TTL
//! deletions coming up). Every check runs on the server (`count_documents` with a
//! filter or an aggregation); only counts, at most [`MAX_EXAMPLES`] example documents
//! and, for a fix, the `_id`s of the affected documents reach this process.
//!
//! A check the server cannot run (an operator or stage it lacks, missing rights) gets
//! [`CheckState::Unavailable`] with the server's reason instead of failing the run.
//! [`apply_fix`] runs exactly the statements a check's [`FixPlan`] shows.

mod duplicate_barcodes;
mod lending_orphans;
mod missing_fields;
mod mongosh;
mod string_types;
mod tool_status;
mod ttl_due;

use chrono::{DateTime, NaiveDateTime};
use color_eyre::eyre::{Result, WrapErr, bail};
use futures::TryStreamExt;
use mongodb::bson::{Bson, Document, doc};
use mongodb::error::ErrorKind;
use mongodb::{Collection, Database};
use serde::Serialize;

pub use mongosh::{mongosh_doc, mongosh_value};

use duplicate_barcodes::duplicate_barcodes;
use lending_orphans::lending_orphans;
use missing_fields::{fix_created_at, missing_fields};
use string_types::{fix_string_dates, string_types};
use tool_status::{fix_tool_status, tool_status};
use ttl_due::ttl_due;

/// The most examples a check lists.
pub const MAX_EXAMPLES: usize = 5;

/// How far ahead [`CHECK_TTL_DUE`] looks for TTL deletions, in days.
pub const TTL_WINDOW_DAYS: i64 = 30;

/// Tool `status` inconsistent with open lendings (automatic fix).
pub const CHECK_TOOL_STATUS: &str = "tool-status";
/// Lendings pointing at missing tools or workers (list only).
pub const CHECK_LENDING_ORPHANS: &str = "lending-orphans";
/// Documents without `department` or `created_at` (automatic fix for `created_at`).
pub const CHECK_MISSING_FIELDS: &str = "missing-fields";
/// String `_id`s and date fields stored as strings, empty ones included (automatic fix
/// for dates: parseable strings become dates, empty strings null).
pub const CHECK_STRING_TYPES: &str = "string-types";
/// Duplicate barcodes within one department (list only).
pub const CHECK_DUPLICATE_BARCODES: &str = "duplicate-barcodes";
/// Users and workers the TTL index deletes within [`TTL_WINDOW_DAYS`] (informational).
pub const CHECK_TTL_DUE: &str = "ttl-due";

/// Every check id, in the order [`run_checks`] reports them.
pub const CHECK_IDS: &[&str] = &[
    CHECK_TOOL_STATUS,
    CHECK_LENDING_ORPHANS,
    CHECK_MISSING_FIELDS,
    CHECK_STRING_TYPES,
    CHECK_DUPLICATE_BARCODES,
    CHECK_TTL_DUE,
];

/// Scandy's core collections (string `_id`s and string dates are looked for here).
pub const CORE_COLLECTIONS: &[&str] = &[
    "tools",
    "consumables",
    "workers",
    "lendings",
    "consumable_usages",
    "users",
    "settings",
    "tickets",
];

/// Date fields that must be BSON dates (Scandy's timestamps, lending and usage times,
/// ticket and lending `due_date`, the TTL field `delete_at`).
pub const DATE_FIELDS: &[&str] = &[
    "created_at",
    "updated_at",
    "modified_at",
    "deleted_at",
    "lent_at",
    "returned_at",
    "used_at",
    "due_date",
    "delete_at",
];

/// Collections whose documents need a `department`.
pub const DEPARTMENT_COLLECTIONS: &[&str] = &["tools", "workers", "consumables", "tickets"];

/// Collections whose documents need a `created_at`.
pub const CREATED_AT_COLLECTIONS: &[&str] =
    &["tools", "workers", "consumables", "users", "lendings"];

/// Collections whose barcodes must be unique per department.
pub const BARCODE_COLLECTIONS: &[&str] = &["tools", "workers", "consumables"];

/// Why lending orphans are not fixed automatically.
const NO_FIX_ORPHANS: &str = "the lending history cannot be re-attached automatically: the tool or \
     worker may have been deleted on purpose (workers also vanish through the TTL index) or its \
     barcode changed; re-create it or correct the barcode in the lending by hand";
/// Why documents without a department are not fixed automatically.
const NO_FIX_DEPARTMENT: &str = "which department a document belongs to cannot be derived from \
     the data; assign it in Scandy or set `department` by hand";
/// Why string `_id`s are not fixed automatically.
const NO_FIX_STRING_IDS: &str = "an `_id` cannot be changed in place and other documents may \
     refer to the string; re-insert those documents with an ObjectId by hand";
/// Why duplicate barcodes are not fixed automatically.
const NO_FIX_DUPLICATES: &str = "only a person can tell which document is the real one: merge or \
     relabel the duplicates, then soft-delete the others";
/// Why TTL deletions have no fix.
const NO_FIX_TTL: &str = "informational: the TTL index deletes these documents on purpose; \
     change or remove `delete_at` in Scandy to keep someone";

/// How a check ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckState {
    /// Nothing found.
    Ok,
    /// At least one finding.
    Findings,
    /// The server could not run the check (the reason says why).
    Unavailable(String),
}

/// What an automatic fix does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FixPlan {
    /// Human readable summary.
    pub description: String,
    /// The exact mongosh statements [`apply_fix`] runs, one per line.
    pub mongosh: String,
}

/// The result of one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckResult {
    /// Stable id, e.g. `tool-status` (see [`CHECK_IDS`]).
    pub id: &'static str,
    /// One-line title.
    pub title: String,
    /// Number of findings (what is counted is described per check in [`run_checks`]).
    pub count: u64,
    /// At most [`MAX_EXAMPLES`] human readable examples (collection, `_id`, barcode/name).
    pub examples: Vec<String>,
    /// The automatic fix, when there are findings it can repair.
    pub fix: Option<FixPlan>,
    /// Why (some of) the findings have no automatic fix, when there are such findings.
    pub no_fix: Option<String>,
    /// Whether findings are only notices (they do not make the data unhealthy).
    pub informational: bool,
    /// Outcome.
    pub state: CheckState,
}

impl CheckResult {
    /// Whether this check found problems (not counting informational notices).
    pub fn has_problems(&self) -> bool {
        self.state == CheckState::Findings && !self.informational
    }
}

/// What [`apply_fix`] changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FixOutcome {
    /// The check id.
    pub check: String,
    /// Number of documents modified.
    pub modified: u64,
}

/// What a check function found.
struct Found {
    count: u64,
    examples: Vec<String>,
    fix: Option<FixPlan>,
    no_fix: Option<String>,
}

/// Runs every check against `db`; `now` is the naive local time of the install.
///
/// Counts: `tool-status` tools, `lending-orphans` lendings, `missing-fields` missing
/// fields (a document without both counts twice), `string-types` string values (each
/// string `_id` and each string date field), `duplicate-barcodes` groups of documents
/// sharing `{department, barcode}`, `ttl-due` users plus workers.
///
/// Network and other non-command failures are errors; a command the server refuses
/// makes that check [`CheckState::Unavailable`].
pub async fn run_checks(db: &Database, now: NaiveDateTime) -> Result<Vec<CheckResult>> {
    let mut results = Vec::with_capacity(CHECK_IDS.len());
    for &id in CHECK_IDS {
        let (title, informational) = describe(id);
        let outcome = match id {
            CHECK_TOOL_STATUS => tool_status(db, now).await,
            CHECK_LENDING_ORPHANS => lending_orphans(db).await,
            CHECK_MISSING_FIELDS => missing_fields(db).await,
            CHECK_STRING_TYPES => string_types(db).await,
            CHECK_DUPLICATE_BARCODES => duplicate_barcodes(db).await,
            _ => ttl_due(db, now).await,
        };
        let result = match outcome {
            Ok(found) => CheckResult {
                id,
                title: title.to_string(),
                count: found.count,
                examples: found.examples,
                fix: found.fix.filter(|_| found.count > 0),
                no_fix: found.no_fix.filter(|_| found.count > 0),
                informational,
                state: if found.count == 0 {
                    CheckState::Ok
                } else {
                    CheckState::Findings
                },
            },
            Err(err) => match refused(&err) {
                Some(reason) => CheckResult {
                    id,
                    title: title.to_string(),
                    count: 0,
                    examples: Vec::new(),
                    fix: None,
                    no_fix: None,
                    informational,
                    state: CheckState::Unavailable(reason),
                },
                None => {
                    return Err(err).wrap_err_with(|| {
                        format!("health check {id} failed on database {}", db.name())
                    });
                }
            },
        };
        results.push(result);
    }
    Ok(results)
}

/// Applies the automatic fix of `check_id` (`tool-status`, `missing-fields` for
/// `created_at`, `string-types` for dates) and returns the number of modified documents.
pub async fn apply_fix(db: &Database, check_id: &str, now: NaiveDateTime) -> Result<FixOutcome> {
    let modified = match check_id {
        CHECK_TOOL_STATUS => fix_tool_status(db, now).await,
        CHECK_MISSING_FIELDS => fix_created_at(db).await,
        CHECK_STRING_TYPES => fix_string_dates(db).await,
        CHECK_LENDING_ORPHANS => bail!("check {check_id} has no automatic fix: {NO_FIX_ORPHANS}"),
        CHECK_DUPLICATE_BARCODES => {
            bail!("check {check_id} has no automatic fix: {NO_FIX_DUPLICATES}")
        }
        CHECK_TTL_DUE => bail!("check {check_id} has no automatic fix: {NO_FIX_TTL}"),
        other => bail!(
            "unknown check {other:?}; known checks: {}",
            CHECK_IDS.join(", ")
        ),
    }
    .wrap_err_with(|| format!("fix for {check_id} failed on database {}", db.name()))?;
    Ok(FixOutcome {
        check: check_id.to_string(),
        modified,
    })
}

/// Title and whether the check is informational.
fn describe(id: &str) -> (&'static str, bool) {
    match id {
        CHECK_TOOL_STATUS => ("Tool status matches the open lendings", false),
        CHECK_LENDING_ORPHANS => ("Lendings point at existing tools and workers", false),
        CHECK_MISSING_FIELDS => ("Documents have department and created_at", false),
        CHECK_STRING_TYPES => ("_ids and dates are not stored as strings", false),
        CHECK_DUPLICATE_BARCODES => ("Barcodes are unique per department", false),
        _ => (
            "Users and workers the TTL index deletes within 30 days",
            true,
        ),
    }
}

/// The server's reason when it refused a command (unknown operator, no rights, ...).
fn refused(err: &mongodb::error::Error) -> Option<String> {
    match err.kind.as_ref() {
        ErrorKind::Command(cmd) => Some(format!(
            "the server refused the query: {} ({}, code {})",
            cmd.message, cmd.code_name, cmd.code
        )),
        _ => None,
    }
}

type MResult<T> = mongodb::error::Result<T>;

fn coll(db: &Database, name: &str) -> Collection<Document> {
    db.collection::<Document>(name)
}

/// Appends a `$facet` with the count and the first examples, runs it and returns both.
async fn count_and_examples(
    coll: &Collection<Document>,
    mut pipeline: Vec<Document>,
    sort: Document,
    project: Document,
) -> MResult<(u64, Vec<Document>)> {
    pipeline.push(doc! {
        "$facet": {
            "count": [{ "$count": "n" }],
            "examples": [
                { "$sort": sort },
                { "$limit": MAX_EXAMPLES as i64 },
                { "$project": project },
            ],
        }
    });
    let mut cursor = coll.aggregate(pipeline).await?;
    let Some(out) = cursor.try_next().await? else {
        return Ok((0, Vec::new()));
    };
    let count = out
        .get_array("count")
        .ok()
        .and_then(|a| a.first())
        .and_then(Bson::as_document)
        .and_then(|d| d.get("n"))
        .map_or(0, number);
    let examples = out
        .get_array("examples")
        .map(|a| a.iter().filter_map(Bson::as_document).cloned().collect())
        .unwrap_or_default();
    Ok((count, examples))
}

/// A BSON number as `u64` (0 for anything else).
fn number(value: &Bson) -> u64 {
    match value {
        Bson::Int32(n) => u64::try_from(*n).unwrap_or(0),
        Bson::Int64(n) => u64::try_from(*n).unwrap_or(0),
        Bson::Double(n) if *n >= 0.0 => *n as u64,
        _ => 0,
    }
}

/// A BSON date from a naive local time (Scandy stores naive times as if UTC).
fn bson_date(t: NaiveDateTime) -> Bson {
    Bson::DateTime(mongodb::bson::DateTime::from_millis(
        t.and_utc().timestamp_millis(),
    ))
}

/// A naive time from a BSON date.
fn naive(date: &mongodb::bson::DateTime) -> Option<NaiveDateTime> {
    DateTime::from_timestamp_millis(date.timestamp_millis()).map(|d| d.naive_utc())
}

/// A value for an example line: ObjectIds as hex, strings quoted, dates naive.
fn show(value: Option<&Bson>) -> String {
    match value {
        None => "(missing)".into(),
        Some(Bson::ObjectId(oid)) => oid.to_hex(),
        Some(Bson::String(s)) => serde_json::to_string(s).unwrap_or_else(|_| s.clone()),
        Some(Bson::DateTime(d)) => naive(d)
            .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_else(|| d.to_string()),
        Some(other) => other.to_string(),
    }
}

/// A plain text value (strings unquoted).
fn text(value: Option<&Bson>) -> String {
    match value {
        Some(Bson::String(s)) => s.clone(),
        other => show(other),
    }
}

/// `collection _id barcode B (name)` for an example line.
fn label(collection: &str, doc: &Document) -> String {
    let mut out = format!("{collection} {}", show(doc.get("_id")));
    if let Some(barcode) = doc.get("barcode") {
        out.push_str(&format!(" barcode {}", text(Some(barcode))));
    }
    for key in ["name", "username", "title"] {
        if let Some(Bson::String(name)) = doc.get(key) {
            out.push_str(&format!(" ({name})"));
            return out;
        }
    }
    if let (Some(Bson::String(first)), Some(Bson::String(last))) =
        (doc.get("firstname"), doc.get("lastname"))
    {
        out.push_str(&format!(" ({first} {last})"));
    }
    out
}
