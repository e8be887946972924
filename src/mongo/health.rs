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

use chrono::{DateTime, Duration, NaiveDateTime};
use color_eyre::eyre::{Result, WrapErr, bail};
use futures::TryStreamExt;
use mongodb::bson::{Bson, Document, doc};
use mongodb::error::ErrorKind;
use mongodb::{Collection, Database};
use serde::Serialize;

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
/// String `_id`s and date fields stored as strings (automatic fix for dates).
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

/// Date fields that must be BSON dates.
pub const DATE_FIELDS: &[&str] = &[
    "created_at",
    "lent_at",
    "returned_at",
    "used_at",
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

// ---------------------------------------------------------------------------
// mongosh rendering

/// Renders a BSON value as a mongosh literal.
pub fn mongosh_value(value: &Bson) -> String {
    match value {
        Bson::Document(d) => mongosh_doc(d),
        Bson::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(mongosh_value)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Bson::String(s) => serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}")),
        Bson::ObjectId(oid) => format!("ObjectId(\"{}\")", oid.to_hex()),
        Bson::DateTime(d) => match DateTime::from_timestamp_millis(d.timestamp_millis()) {
            Some(t) => format!("ISODate(\"{}\")", t.format("%Y-%m-%dT%H:%M:%S%.3fZ")),
            None => format!("new Date({})", d.timestamp_millis()),
        },
        Bson::Null => "null".into(),
        Bson::Boolean(b) => b.to_string(),
        Bson::Int32(n) => n.to_string(),
        Bson::Int64(n) => n.to_string(),
        Bson::Double(n) => n.to_string(),
        other => other.to_string(),
    }
}

/// Renders a document as a mongosh object literal.
pub fn mongosh_doc(d: &Document) -> String {
    if d.is_empty() {
        return "{}".into();
    }
    let fields: Vec<String> = d
        .iter()
        .map(|(k, v)| {
            let plain = k
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
                && k.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
            let key = if plain {
                k.clone()
            } else {
                serde_json::to_string(k).unwrap_or_else(|_| format!("{k:?}"))
            };
            format!("{key}: {}", mongosh_value(v))
        })
        .collect();
    format!("{{ {} }}", fields.join(", "))
}

/// `db.<collection>.updateMany(<filter>, <pipeline>);` as mongosh reads it.
fn update_many_statement(collection: &str, filter: &Document, pipeline: &[Document]) -> String {
    format!(
        "db.{collection}.updateMany({}, {});",
        mongosh_doc(filter),
        mongosh_pipeline(pipeline)
    )
}

fn mongosh_pipeline(pipeline: &[Document]) -> String {
    mongosh_value(&Bson::Array(
        pipeline.iter().cloned().map(Bson::Document).collect(),
    ))
}

// ---------------------------------------------------------------------------
// tool-status

/// One direction of the tool-status check.
struct StatusRule {
    /// Status of the inconsistent tools.
    from: &'static str,
    /// Status the fix sets.
    to: &'static str,
    /// Whether the inconsistent tools have an open lending.
    has_open: bool,
    /// Example suffix.
    problem: &'static str,
}

const STATUS_RULES: [StatusRule; 2] = [
    StatusRule {
        from: "ausgeliehen",
        to: "verfügbar",
        has_open: false,
        problem: "status ausgeliehen but no open lending",
    },
    StatusRule {
        from: "verfügbar",
        to: "ausgeliehen",
        has_open: true,
        problem: "status verfügbar but an open lending",
    },
];

/// Tools with `rule.from` whose open lendings contradict it (soft-deleted tools are ignored).
fn status_pipeline(rule: &StatusRule) -> Vec<Document> {
    let open = if rule.has_open {
        doc! { "open_lendings.0": { "$exists": true } }
    } else {
        doc! { "open_lendings": { "$size": 0 } }
    };
    vec![
        doc! { "$match": { "status": rule.from, "deleted": { "$ne": true } } },
        doc! {
            "$lookup": {
                "from": "lendings",
                "localField": "barcode",
                "foreignField": "tool_barcode",
                "pipeline": [
                    { "$match": { "returned_at": null } },
                    { "$limit": 1 },
                    { "$project": { "_id": 1 } },
                ],
                "as": "open_lendings",
            }
        },
        doc! { "$match": open },
    ]
}

fn status_update(rule: &StatusRule, now: NaiveDateTime) -> Document {
    doc! { "$set": { "status": rule.to, "modified_at": bson_date(now) } }
}

fn tool_status_plan(now: NaiveDateTime) -> FixPlan {
    let mut lines = Vec::new();
    for (i, rule) in STATUS_RULES.iter().enumerate() {
        let mut pipeline = status_pipeline(rule);
        pipeline.push(doc! { "$project": { "_id": 1 } });
        let var = format!("ids{}", i + 1);
        lines.push(format!(
            "const {var} = db.tools.aggregate({}).toArray().map(d => d._id);",
            mongosh_pipeline(&pipeline)
        ));
        lines.push(format!(
            "db.tools.updateMany({{ _id: {{ $in: {var} }}, status: {} }}, {});",
            mongosh_value(&Bson::String(rule.from.into())),
            mongosh_doc(&status_update(rule, now))
        ));
    }
    FixPlan {
        description: "set status verfügbar on tools marked ausgeliehen without an open lending \
             and ausgeliehen on tools marked verfügbar with an open lending (modified_at = now)"
            .into(),
        mongosh: lines.join("\n"),
    }
}

async fn tool_status(db: &Database, now: NaiveDateTime) -> MResult<Found> {
    let tools = coll(db, "tools");
    let mut count = 0;
    let mut examples = Vec::new();
    for rule in &STATUS_RULES {
        let (n, docs) = count_and_examples(
            &tools,
            status_pipeline(rule),
            doc! { "_id": 1 },
            doc! { "barcode": 1, "name": 1 },
        )
        .await?;
        count += n;
        examples.extend(
            docs.iter()
                .map(|d| format!("{}: {}", label("tools", d), rule.problem)),
        );
    }
    examples.truncate(MAX_EXAMPLES);
    Ok(Found {
        count,
        examples,
        fix: Some(tool_status_plan(now)),
        no_fix: None,
    })
}

async fn fix_tool_status(db: &Database, now: NaiveDateTime) -> MResult<u64> {
    let tools = coll(db, "tools");
    let mut modified = 0;
    for rule in &STATUS_RULES {
        let mut pipeline = status_pipeline(rule);
        pipeline.push(doc! { "$project": { "_id": 1 } });
        // Only the _ids of the inconsistent tools are held, never whole documents.
        let ids: Vec<Bson> = tools
            .aggregate(pipeline)
            .await?
            .try_filter_map(|d| async move { Ok(d.get("_id").cloned()) })
            .try_collect()
            .await?;
        for chunk in ids.chunks(1000) {
            let result = tools
                .update_many(
                    doc! { "_id": { "$in": chunk.to_vec() }, "status": rule.from },
                    status_update(rule, now),
                )
                .await?;
            modified += result.modified_count;
        }
    }
    Ok(modified)
}

// ---------------------------------------------------------------------------
// lending-orphans

fn exists_lookup(from: &str, local: &str, as_field: &str) -> Document {
    doc! {
        "$lookup": {
            "from": from,
            "localField": local,
            "foreignField": "barcode",
            "pipeline": [{ "$limit": 1 }, { "$project": { "_id": 1 } }],
            "as": as_field,
        }
    }
}

async fn lending_orphans(db: &Database) -> MResult<Found> {
    let pipeline = vec![
        exists_lookup("tools", "tool_barcode", "tool"),
        exists_lookup("workers", "worker_barcode", "worker"),
        doc! { "$match": { "$or": [{ "tool": { "$size": 0 } }, { "worker": { "$size": 0 } }] } },
    ];
    let (count, docs) = count_and_examples(
        &coll(db, "lendings"),
        pipeline,
        doc! { "_id": 1 },
        doc! {
            "tool_barcode": 1,
            "worker_barcode": 1,
            "returned_at": 1,
            "missing_tool": { "$eq": [{ "$size": "$tool" }, 0] },
            "missing_worker": { "$eq": [{ "$size": "$worker" }, 0] },
        },
    )
    .await?;
    let examples = docs
        .iter()
        .map(|d| {
            let missing = |key: &str| {
                if d.get_bool(key).unwrap_or(false) {
                    " (missing)"
                } else {
                    ""
                }
            };
            let open = match d.get("returned_at") {
                None | Some(Bson::Null) => "open",
                Some(_) => "returned",
            };
            format!(
                "lendings {}: tool {}{} → worker {}{}, {open}",
                show(d.get("_id")),
                text(d.get("tool_barcode")),
                missing("missing_tool"),
                text(d.get("worker_barcode")),
                missing("missing_worker"),
            )
        })
        .collect();
    Ok(Found {
        count,
        examples,
        fix: None,
        no_fix: Some(NO_FIX_ORPHANS.into()),
    })
}

// ---------------------------------------------------------------------------
// missing-fields

/// `missing`, `null` or an empty string.
fn missing_filter(field: &str) -> Document {
    doc! { field: { "$in": [Bson::Null, ""] } }
}

fn created_at_fix_filter() -> Document {
    doc! { "created_at": null, "_id": { "$type": "objectId" } }
}

fn created_at_fix_update() -> Vec<Document> {
    vec![doc! { "$set": { "created_at": { "$toDate": "$_id" } } }]
}

async fn missing_fields(db: &Database) -> MResult<Found> {
    let mut count = 0;
    let mut examples = Vec::new();
    let mut department_missing = 0;
    let mut fix_collections = Vec::new();
    let checks = DEPARTMENT_COLLECTIONS
        .iter()
        .map(|&c| (c, "department", missing_filter("department")))
        .chain(
            CREATED_AT_COLLECTIONS
                .iter()
                .map(|&c| (c, "created_at", doc! { "created_at": null })),
        );
    for (name, field, filter) in checks {
        let collection = coll(db, name);
        let n = collection.count_documents(filter.clone()).await?;
        if n == 0 {
            continue;
        }
        count += n;
        if field == "department" {
            department_missing += n;
        } else if collection.count_documents(created_at_fix_filter()).await? > 0 {
            fix_collections.push(name);
        }
        if examples.len() < MAX_EXAMPLES {
            let mut cursor = collection
                .find(filter)
                .sort(doc! { "_id": 1 })
                .limit((MAX_EXAMPLES - examples.len()) as i64)
                .projection(doc! { "barcode": 1, "name": 1, "username": 1, "title": 1, "firstname": 1, "lastname": 1 })
                .await?;
            while let Some(d) = cursor.try_next().await? {
                examples.push(format!("{}: no {field}", label(name, &d)));
            }
        }
    }
    let fix = (!fix_collections.is_empty()).then(|| FixPlan {
        description: format!(
            "set created_at from the ObjectId's creation time in {} (the ObjectId holds UTC, \
             Scandy's other dates are local time: may be off by the UTC offset)",
            fix_collections.join(", ")
        ),
        mongosh: fix_collections
            .iter()
            .map(|c| update_many_statement(c, &created_at_fix_filter(), &created_at_fix_update()))
            .collect::<Vec<_>>()
            .join("\n"),
    });
    Ok(Found {
        count,
        examples,
        fix,
        no_fix: (department_missing > 0).then(|| NO_FIX_DEPARTMENT.to_string()),
    })
}

async fn fix_created_at(db: &Database) -> MResult<u64> {
    let mut modified = 0;
    for name in CREATED_AT_COLLECTIONS {
        let collection = coll(db, name);
        if collection.count_documents(created_at_fix_filter()).await? == 0 {
            continue;
        }
        let result = collection
            .update_many(created_at_fix_filter(), created_at_fix_update())
            .await?;
        modified += result.modified_count;
    }
    Ok(modified)
}

// ---------------------------------------------------------------------------
// string-types

fn string_type(field: &str) -> Document {
    doc! { field: { "$type": "string" } }
}

fn is_string_expr(field: &str) -> Document {
    doc! { "$cond": [{ "$eq": [{ "$type": format!("${field}") }, "string"] }, 1, 0] }
}

fn string_date_update(field: &str) -> Vec<Document> {
    vec![doc! {
        "$set": {
            field: {
                "$dateFromString": { "dateString": format!("${field}"), "onError": format!("${field}") }
            }
        }
    }]
}

/// String values per collection: `(collection, string _ids, [(date field, count)])`.
type StringCounts = Vec<(&'static str, u64, Vec<(&'static str, u64)>)>;

/// Counts string `_id`s and string dates with one aggregation per collection.
async fn string_counts(db: &Database, examples: &mut Vec<String>) -> MResult<StringCounts> {
    let mut out = Vec::new();
    for &name in CORE_COLLECTIONS {
        let mut or: Vec<Document> = vec![string_type("_id")];
        or.extend(DATE_FIELDS.iter().map(|f| string_type(f)));
        let mut group = doc! { "_id": Bson::Null, "id_string": { "$sum": is_string_expr("_id") } };
        for field in DATE_FIELDS {
            group.insert(*field, doc! { "$sum": is_string_expr(field) });
        }
        let mut project =
            doc! { "barcode": 1, "name": 1, "username": 1, "firstname": 1, "lastname": 1 };
        for field in DATE_FIELDS {
            project.insert(*field, 1);
        }
        let pipeline = vec![
            doc! { "$match": { "$or": or } },
            doc! {
                "$facet": {
                    "counts": [{ "$group": group }],
                    "examples": [{ "$sort": { "_id": 1 } }, { "$limit": MAX_EXAMPLES as i64 }, { "$project": project }],
                }
            },
        ];
        let mut cursor = coll(db, name).aggregate(pipeline).await?;
        let Some(result) = cursor.try_next().await? else {
            continue;
        };
        let Some(counts) = result
            .get_array("counts")
            .ok()
            .and_then(|a| a.first())
            .and_then(Bson::as_document)
        else {
            continue;
        };
        let ids = counts.get("id_string").map_or(0, number);
        let dates: Vec<(&'static str, u64)> = DATE_FIELDS
            .iter()
            .map(|f| (*f, counts.get(f).map_or(0, number)))
            .filter(|(_, n)| *n > 0)
            .collect();
        for d in result
            .get_array("examples")
            .map(|a| a.iter().filter_map(Bson::as_document).collect::<Vec<_>>())
            .unwrap_or_default()
        {
            if examples.len() >= MAX_EXAMPLES {
                break;
            }
            let mut problems = Vec::new();
            if matches!(d.get("_id"), Some(Bson::String(_))) {
                problems.push("_id is a string".to_string());
            }
            for field in DATE_FIELDS {
                if let Some(value @ Bson::String(_)) = d.get(field) {
                    problems.push(format!("{field} {} is a string", show(Some(value))));
                }
            }
            examples.push(format!("{}: {}", label(name, d), problems.join(", ")));
        }
        if ids > 0 || !dates.is_empty() {
            out.push((name, ids, dates));
        }
    }
    Ok(out)
}

fn string_dates_statements(counts: &StringCounts) -> Vec<(&'static str, &'static str)> {
    counts
        .iter()
        .flat_map(|(c, _, dates)| dates.iter().map(move |(f, _)| (*c, *f)))
        .collect()
}

async fn string_types(db: &Database) -> MResult<Found> {
    let mut examples = Vec::new();
    let counts = string_counts(db, &mut examples).await?;
    let count = counts
        .iter()
        .map(|(_, ids, dates)| ids + dates.iter().map(|(_, n)| n).sum::<u64>())
        .sum();
    let string_ids: u64 = counts.iter().map(|(_, ids, _)| ids).sum();
    let pairs = string_dates_statements(&counts);
    let fix = (!pairs.is_empty()).then(|| FixPlan {
        description: format!(
            "convert date strings to BSON dates with $dateFromString ({}); strings it cannot \
             parse stay unchanged",
            pairs
                .iter()
                .map(|(c, f)| format!("{c}.{f}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        mongosh: pairs
            .iter()
            .map(|(c, f)| update_many_statement(c, &string_type(f), &string_date_update(f)))
            .collect::<Vec<_>>()
            .join("\n"),
    });
    Ok(Found {
        count,
        examples,
        fix,
        no_fix: (string_ids > 0).then(|| NO_FIX_STRING_IDS.to_string()),
    })
}

async fn fix_string_dates(db: &Database) -> MResult<u64> {
    let counts = string_counts(db, &mut Vec::new()).await?;
    let mut modified = 0;
    for (name, field) in string_dates_statements(&counts) {
        let result = coll(db, name)
            .update_many(string_type(field), string_date_update(field))
            .await?;
        modified += result.modified_count;
    }
    Ok(modified)
}

// ---------------------------------------------------------------------------
// duplicate-barcodes

async fn duplicate_barcodes(db: &Database) -> MResult<Found> {
    let mut count = 0;
    let mut examples = Vec::new();
    for &name in BARCODE_COLLECTIONS {
        let pipeline = vec![
            doc! { "$match": { "deleted": { "$ne": true }, "barcode": { "$nin": [Bson::Null, ""] } } },
            doc! {
                "$group": {
                    "_id": { "department": "$department", "barcode": "$barcode" },
                    "n": { "$sum": 1 },
                    "ids": { "$push": "$_id" },
                }
            },
            doc! { "$match": { "n": { "$gt": 1 } } },
        ];
        let (n, groups) = count_and_examples(
            &coll(db, name),
            pipeline,
            doc! { "_id.department": 1, "_id.barcode": 1 },
            doc! { "n": 1, "ids": { "$slice": ["$ids", MAX_EXAMPLES as i32] } },
        )
        .await?;
        count += n;
        for g in groups {
            if examples.len() >= MAX_EXAMPLES {
                break;
            }
            let key = g.get_document("_id").cloned().unwrap_or_default();
            let department = match key.get("department") {
                Some(Bson::String(d)) => format!("department {d}"),
                _ => "no department".into(),
            };
            let ids: Vec<String> = g
                .get_array("ids")
                .map(|a| a.iter().map(|id| show(Some(id))).collect())
                .unwrap_or_default();
            examples.push(format!(
                "{name}: barcode {} in {department} {}× ({})",
                text(key.get("barcode")),
                number(g.get("n").unwrap_or(&Bson::Null)),
                ids.join(", ")
            ));
        }
    }
    Ok(Found {
        count,
        examples,
        fix: None,
        no_fix: Some(NO_FIX_DUPLICATES.into()),
    })
}

// ---------------------------------------------------------------------------
// ttl-due

async fn ttl_due(db: &Database, now: NaiveDateTime) -> MResult<Found> {
    let limit = now + Duration::days(TTL_WINDOW_DAYS);
    let filter = doc! { "delete_at": { "$lte": bson_date(limit) } };
    let mut count = 0;
    let mut found: Vec<(i64, String)> = Vec::new();
    for name in ["users", "workers"] {
        let collection = coll(db, name);
        count += collection.count_documents(filter.clone()).await?;
        let mut cursor = collection
            .find(filter.clone())
            .sort(doc! { "delete_at": 1, "_id": 1 })
            .limit(MAX_EXAMPLES as i64)
            .projection(doc! { "username": 1, "role": 1, "barcode": 1, "firstname": 1, "lastname": 1, "delete_at": 1 })
            .await?;
        while let Some(d) = cursor.try_next().await? {
            let Ok(at) = d.get_datetime("delete_at") else {
                continue;
            };
            let when = naive(at).map_or_else(
                || at.to_string(),
                |t| {
                    let days = (t - now).num_days();
                    let relative = if t < now {
                        format!("overdue by {} day(s)", (now - t).num_days())
                    } else {
                        format!("in {days} day(s)")
                    };
                    format!("{} ({relative})", t.format("%Y-%m-%d %H:%M"))
                },
            );
            let who = match name {
                "users" => format!(
                    "users {} {} ({} {})",
                    text(d.get("role")),
                    text(d.get("username")),
                    text(d.get("firstname")),
                    text(d.get("lastname"))
                ),
                _ => format!(
                    "workers {} {} {}",
                    text(d.get("barcode")),
                    text(d.get("firstname")),
                    text(d.get("lastname"))
                ),
            };
            found.push((at.timestamp_millis(), format!("{who}: delete_at {when}")));
        }
    }
    found.sort();
    let examples = found
        .into_iter()
        .take(MAX_EXAMPLES)
        .map(|(_, line)| line)
        .collect();
    Ok(Found {
        count,
        examples,
        fix: None,
        no_fix: Some(NO_FIX_TTL.into()),
    })
}
