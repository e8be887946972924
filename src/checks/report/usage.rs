//! The report's usage statistics from the Scandy database (the guide's
//! "Nutzungsstatistiken"): lendings and returns, consumable use, tickets opened and closed,
//! active tools and workers, the most borrowed tools and the overdue lendings.
//!
//! Scandy writes naive local wall-clock times into BSON dates as if they were UTC. The
//! period's UTC bounds are compared with those values as written, so "November" means
//! November on the workshop's clock, not in UTC (which would shift it by an hour or two).

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use color_eyre::eyre::{Result, WrapErr};
use futures::TryStreamExt;
use mongodb::Database;
use mongodb::bson::{Bson, Document, doc};
use serde::Serialize;

use super::Gathered;
use super::period::{Bucket, ReportPeriod};
use crate::config::Config;

/// A lending still open this many days after it started counts as overdue.
pub const OVERDUE_DAYS: i64 = 14;
/// How many of the most borrowed tools are listed.
pub const TOP_TOOLS: usize = 10;
/// How many of the most used consumables are listed.
pub const TOP_CONSUMABLES: usize = 5;
/// How many overdue lendings are listed (all are counted).
pub const OVERDUE_LISTED: i64 = 25;
/// Ticket statuses that mean closed. A ticket counts as closed in the period when its
/// status is one of these and its closing time lies in the period: `closed_at` when
/// present, else `resolved_at` (what the generator and newer Scandy versions write), else
/// `updated_at` (the last change, which for a closed ticket is usually the closing).
pub const CLOSED_STATUSES: [&str; 2] = ["geschlossen", "erledigt"];
/// The collections the statistics read; missing ones count 0 and are named.
const USED_COLLECTIONS: [&str; 6] = [
    "lendings",
    "tools",
    "workers",
    "consumable_usages",
    "consumables",
    "tickets",
];
/// `maxTimeMS` of every query.
const QUERY_TIME: Duration = Duration::from_secs(20);
/// Upper bound for all statistics together.
const USAGE_TIMEOUT: Duration = Duration::from_secs(90);

/// Numbers of one bucket (an ISO week of a monthly report, a day of a weekly one).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UsageBucket {
    /// The week or day.
    pub bucket: Bucket,
    /// Lendings started (`lent_at` in the bucket).
    pub lendings_started: u64,
    /// Lendings returned (`returned_at` in the bucket).
    pub lendings_returned: u64,
    /// Tickets opened (`created_at` in the bucket).
    pub tickets_opened: u64,
    /// Tickets closed (see [`CLOSED_STATUSES`]).
    pub tickets_closed: u64,
}

/// One of the most borrowed tools.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToolUse {
    /// `tool_barcode` of the lendings.
    pub barcode: String,
    /// The tool's name (empty when no tool has that barcode).
    pub name: String,
    /// Lendings started in the period.
    pub lendings: u64,
}

/// One of the most used consumables.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConsumableUse {
    /// `consumable_barcode` of the usages.
    pub barcode: String,
    /// The consumable's name (empty when unknown).
    pub name: String,
    /// Units taken (the sum of `-quantity` over withdrawals).
    pub units: f64,
    /// Number of withdrawals.
    pub withdrawals: u64,
}

/// A lending open for more than [`OVERDUE_DAYS`] days at the end of the period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OverdueLending {
    /// `tool_barcode`.
    pub tool_barcode: String,
    /// The tool's name (empty when unknown).
    pub tool_name: String,
    /// `worker_barcode`.
    pub worker_barcode: String,
    /// `lent_at` as written by Scandy.
    pub lent_at: DateTime<Utc>,
    /// Whole days between `lent_at` and the end of the period.
    pub days_open: i64,
}

/// Everything the usage section shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UsageStats {
    /// Per week (monthly) or per day (weekly).
    pub buckets: Vec<UsageBucket>,
    /// Lendings started in the period.
    pub lendings_started: u64,
    /// Lendings returned in the period.
    pub lendings_returned: u64,
    /// Consumable units taken in the period.
    pub consumable_units: f64,
    /// Consumable withdrawals (usages with a negative quantity) in the period.
    pub consumable_withdrawals: u64,
    /// The most used consumables, at most [`TOP_CONSUMABLES`].
    pub top_consumables: Vec<ConsumableUse>,
    /// Tickets opened in the period.
    pub tickets_opened: u64,
    /// Tickets closed in the period.
    pub tickets_closed: u64,
    /// Tools not deleted at the end of the period.
    pub active_tools: u64,
    /// Workers not deleted at the end of the period.
    pub active_workers: u64,
    /// The most borrowed tools, at most [`TOP_TOOLS`].
    pub top_tools: Vec<ToolUse>,
    /// Lendings overdue at the end of the period (all of them).
    pub overdue_count: u64,
    /// The oldest overdue lendings, at most [`OVERDUE_LISTED`].
    pub overdue: Vec<OverdueLending>,
    /// The instant overdue and active counts refer to: the period's end, or now while the
    /// period is still running.
    pub as_of: DateTime<Utc>,
    /// Collections the statistics read that do not exist (counted as 0).
    pub missing_collections: Vec<String>,
}

/// Gathers the usage statistics; an unreachable database or a query that fails or takes
/// too long makes the section unavailable with the reason (already free of secrets).
pub async fn gather_usage(
    config: &Config,
    period: &ReportPeriod,
    now: DateTime<Utc>,
) -> Gathered<UsageStats> {
    let client = match crate::mongo::checked::connect_db(config).await {
        Ok(client) => client,
        Err(err) => return Gathered::Unavailable(format!("{err:#}")),
    };
    let db = client.database(&config.mongo.database);
    let gathered = tokio::time::timeout(USAGE_TIMEOUT, usage_stats(&db, period, now)).await;
    match gathered {
        Ok(Ok(stats)) => Gathered::Ok(stats),
        Ok(Err(err)) => Gathered::Unavailable(format!("{err:#}")),
        Err(_) => Gathered::Unavailable(format!(
            "the database {} did not answer within {} s",
            config.mongo.database,
            USAGE_TIMEOUT.as_secs()
        )),
    }
}

/// Runs every query of the usage section against `db`.
pub async fn usage_stats(
    db: &Database,
    period: &ReportPeriod,
    now: DateTime<Utc>,
) -> Result<UsageStats> {
    let present = db
        .list_collection_names()
        .await
        .wrap_err_with(|| format!("cannot list the collections of {}", db.name()))?;
    let missing_collections = USED_COLLECTIONS
        .iter()
        .filter(|c| !present.iter().any(|p| p == *c))
        .map(|c| c.to_string())
        .collect();
    let buckets = period.buckets();
    let started = bucket_counts(db, "lendings", "lent_at", Vec::new(), &buckets).await?;
    let returned = bucket_counts(db, "lendings", "returned_at", Vec::new(), &buckets).await?;
    let opened = bucket_counts(db, "tickets", "created_at", Vec::new(), &buckets).await?;
    let closing = vec![
        doc! { "$match": { "status": { "$in": CLOSED_STATUSES.to_vec() } } },
        doc! { "$addFields": { "_report_closed_at": {
            "$ifNull": ["$closed_at", { "$ifNull": ["$resolved_at", "$updated_at"] }]
        } } },
    ];
    let closed = bucket_counts(db, "tickets", "_report_closed_at", closing, &buckets).await?;
    let (top_consumables, consumable_units, consumable_withdrawals) =
        consumable_use(db, period).await?;
    let as_of = period.end.min(now);
    let (overdue_count, overdue) = overdue_lendings(db, as_of).await?;
    let usage_buckets: Vec<UsageBucket> = buckets
        .iter()
        .enumerate()
        .map(|(i, bucket)| UsageBucket {
            bucket: bucket.clone(),
            lendings_started: started[i],
            lendings_returned: returned[i],
            tickets_opened: opened[i],
            tickets_closed: closed[i],
        })
        .collect();
    Ok(UsageStats {
        lendings_started: started.iter().sum(),
        lendings_returned: returned.iter().sum(),
        tickets_opened: opened.iter().sum(),
        tickets_closed: closed.iter().sum(),
        buckets: usage_buckets,
        consumable_units,
        consumable_withdrawals,
        top_consumables,
        active_tools: count_active(db, "tools", as_of).await?,
        active_workers: count_active(db, "workers", as_of).await?,
        top_tools: top_tools(db, period).await?,
        overdue_count,
        overdue,
        as_of,
        missing_collections,
    })
}

/// A BSON date for `at`.
fn bson_date(at: DateTime<Utc>) -> Bson {
    Bson::DateTime(mongodb::bson::DateTime::from_millis(at.timestamp_millis()))
}

/// `{ $gte: start, $lt: end }`.
fn date_range(start: DateTime<Utc>, end: DateTime<Utc>) -> Document {
    doc! { "$gte": bson_date(start), "$lt": bson_date(end) }
}

/// Runs `pipeline` on `collection` with `maxTimeMS` and collects the answers.
async fn aggregate(
    db: &Database,
    collection: &str,
    pipeline: Vec<Document>,
) -> Result<Vec<Document>> {
    let cursor = db
        .collection::<Document>(collection)
        .aggregate(pipeline)
        .max_time(QUERY_TIME)
        .await
        .wrap_err_with(|| format!("aggregation on {collection} failed"))?;
    cursor
        .try_collect()
        .await
        .wrap_err_with(|| format!("reading the aggregation on {collection} failed"))
}

/// Documents of `collection` whose `field` lies in each bucket (after the `before` stages),
/// counted by one `$bucket` stage.
async fn bucket_counts(
    db: &Database,
    collection: &str,
    field: &str,
    before: Vec<Document>,
    buckets: &[Bucket],
) -> Result<Vec<u64>> {
    let mut counts = vec![0u64; buckets.len()];
    let (Some(first), Some(last)) = (buckets.first(), buckets.last()) else {
        return Ok(counts);
    };
    let mut boundaries: Vec<Bson> = buckets.iter().map(|b| bson_date(b.start)).collect();
    boundaries.push(bson_date(last.end));
    let mut pipeline = before;
    pipeline.push(doc! { "$match": { field: date_range(first.start, last.end) } });
    pipeline.push(doc! { "$bucket": {
        "groupBy": format!("${field}"),
        "boundaries": boundaries,
        "default": "outside",
        "output": { "n": { "$sum": 1 } },
    } });
    for answer in aggregate(db, collection, pipeline).await? {
        let Ok(start) = answer.get_datetime("_id") else {
            continue;
        };
        if let Some(i) = buckets
            .iter()
            .position(|b| b.start.timestamp_millis() == start.timestamp_millis())
        {
            counts[i] += answer.get("n").and_then(number).unwrap_or(0.0) as u64;
        }
    }
    Ok(counts)
}

/// The most used consumables, the units taken and the number of withdrawals.
async fn consumable_use(
    db: &Database,
    period: &ReportPeriod,
) -> Result<(Vec<ConsumableUse>, f64, u64)> {
    let pipeline = vec![
        doc! { "$match": {
            "used_at": date_range(period.start, period.end),
            "quantity": { "$lt": 0 },
        } },
        doc! { "$group": {
            "_id": "$consumable_barcode",
            "units": { "$sum": { "$multiply": ["$quantity", -1] } },
            "withdrawals": { "$sum": 1 },
        } },
        doc! { "$sort": { "units": -1, "_id": 1 } },
    ];
    let groups = aggregate(db, "consumable_usages", pipeline).await?;
    let mut all: Vec<ConsumableUse> = groups
        .iter()
        .map(|g| ConsumableUse {
            barcode: g.get("_id").map(text_of).unwrap_or_default(),
            name: String::new(),
            units: g.get("units").and_then(number).unwrap_or(0.0),
            withdrawals: g.get("withdrawals").and_then(number).unwrap_or(0.0) as u64,
        })
        .collect();
    let units = all.iter().map(|c| c.units).sum();
    let withdrawals = all.iter().map(|c| c.withdrawals).sum();
    all.truncate(TOP_CONSUMABLES);
    let names = names_by_barcode(db, "consumables", all.iter().map(|c| c.barcode.clone())).await?;
    for consumable in &mut all {
        consumable.name = names.get(&consumable.barcode).cloned().unwrap_or_default();
    }
    Ok((all, units, withdrawals))
}

/// The tools lent most often in the period, with their names.
async fn top_tools(db: &Database, period: &ReportPeriod) -> Result<Vec<ToolUse>> {
    let pipeline = vec![
        doc! { "$match": { "lent_at": date_range(period.start, period.end) } },
        doc! { "$group": { "_id": "$tool_barcode", "lendings": { "$sum": 1 } } },
        doc! { "$sort": { "lendings": -1, "_id": 1 } },
        doc! { "$limit": TOP_TOOLS as i64 },
    ];
    let mut tools: Vec<ToolUse> = aggregate(db, "lendings", pipeline)
        .await?
        .iter()
        .map(|g| ToolUse {
            barcode: g.get("_id").map(text_of).unwrap_or_default(),
            name: String::new(),
            lendings: g.get("lendings").and_then(number).unwrap_or(0.0) as u64,
        })
        .collect();
    let names = names_by_barcode(db, "tools", tools.iter().map(|t| t.barcode.clone())).await?;
    for tool in &mut tools {
        tool.name = names.get(&tool.barcode).cloned().unwrap_or_default();
    }
    Ok(tools)
}

/// Documents of `collection` (tools, workers) that exist at `as_of`: created before it (or
/// without a creation time) and not deleted before it.
async fn count_active(db: &Database, collection: &str, as_of: DateTime<Utc>) -> Result<u64> {
    let filter = doc! { "$and": [
        { "$or": [ { "deleted": { "$ne": true } }, { "deleted_at": { "$gte": bson_date(as_of) } } ] },
        { "created_at": { "$not": { "$gte": bson_date(as_of) } } },
    ] };
    db.collection::<Document>(collection)
        .count_documents(filter)
        .max_time(QUERY_TIME)
        .await
        .wrap_err_with(|| format!("cannot count the active {collection}"))
}

/// Lendings started more than [`OVERDUE_DAYS`] days before `as_of` and not returned by then:
/// how many, and the oldest of them.
async fn overdue_lendings(
    db: &Database,
    as_of: DateTime<Utc>,
) -> Result<(u64, Vec<OverdueLending>)> {
    let cutoff = as_of - chrono::Duration::days(OVERDUE_DAYS);
    let filter = doc! {
        "lent_at": { "$lt": bson_date(cutoff) },
        "$or": [ { "returned_at": Bson::Null }, { "returned_at": { "$gte": bson_date(as_of) } } ],
    };
    let lendings = db.collection::<Document>("lendings");
    let count = lendings
        .count_documents(filter.clone())
        .max_time(QUERY_TIME)
        .await
        .wrap_err("cannot count the overdue lendings")?;
    let found: Vec<Document> = lendings
        .find(filter)
        .sort(doc! { "lent_at": 1, "_id": 1 })
        .limit(OVERDUE_LISTED)
        .max_time(QUERY_TIME)
        .await
        .wrap_err("cannot list the overdue lendings")?
        .try_collect()
        .await
        .wrap_err("cannot read the overdue lendings")?;
    let mut listed: Vec<OverdueLending> = found
        .iter()
        .filter_map(|d| {
            let lent_at = DateTime::from_timestamp_millis(
                d.get_datetime("lent_at").ok()?.timestamp_millis(),
            )?;
            Some(OverdueLending {
                tool_barcode: d.get("tool_barcode").map(text_of).unwrap_or_default(),
                tool_name: String::new(),
                worker_barcode: d.get("worker_barcode").map(text_of).unwrap_or_default(),
                lent_at,
                days_open: (as_of - lent_at).num_days(),
            })
        })
        .collect();
    let names =
        names_by_barcode(db, "tools", listed.iter().map(|l| l.tool_barcode.clone())).await?;
    for lending in &mut listed {
        lending.tool_name = names
            .get(&lending.tool_barcode)
            .cloned()
            .unwrap_or_default();
    }
    Ok((count, listed))
}

/// The `name` of the documents of `collection` with these barcodes (the first one found
/// when several departments use the same barcode).
async fn names_by_barcode(
    db: &Database,
    collection: &str,
    barcodes: impl Iterator<Item = String>,
) -> Result<HashMap<String, String>> {
    let wanted: Vec<String> = barcodes.filter(|b| !b.is_empty()).collect();
    if wanted.is_empty() {
        return Ok(HashMap::new());
    }
    let found: Vec<Document> = db
        .collection::<Document>(collection)
        .find(doc! { "barcode": { "$in": wanted } })
        .projection(doc! { "barcode": 1, "name": 1 })
        .sort(doc! { "_id": 1 })
        .max_time(QUERY_TIME)
        .await
        .wrap_err_with(|| format!("cannot read names from {collection}"))?
        .try_collect()
        .await
        .wrap_err_with(|| format!("cannot read names from {collection}"))?;
    let mut names = HashMap::new();
    for d in &found {
        let (Some(barcode), Some(name)) = (d.get("barcode"), d.get("name")) else {
            continue;
        };
        names
            .entry(text_of(barcode))
            .or_insert_with(|| text_of(name));
    }
    Ok(names)
}

/// A number of any BSON numeric type (Decimal128 through its text).
fn number(value: &Bson) -> Option<f64> {
    match value {
        Bson::Int32(n) => Some(f64::from(*n)),
        Bson::Int64(n) => Some(*n as f64),
        Bson::Double(n) => Some(*n),
        Bson::Decimal128(d) => d.to_string().parse().ok(),
        _ => None,
    }
}

/// A barcode or name as text: strings as they are, numbers without quotes, null empty.
fn text_of(value: &Bson) -> String {
    match value {
        Bson::String(s) => s.clone(),
        Bson::Null | Bson::Undefined => String::new(),
        Bson::Int32(n) => n.to_string(),
        Bson::Int64(n) => n.to_string(),
        other => other.to_string(),
    }
}
