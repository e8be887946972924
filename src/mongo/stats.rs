//! Server and database statistics: `serverStatus`, `hello`, `replSetGetStatus`, `dbStats`,
//! `$collStats` / `collStats`.
//!
//! Servers differ in what they offer (a restricted user may not run `serverStatus`, a
//! wire-compatible server may lack `$collStats`), so every sub-command that the server
//! rejects becomes an [`Availability::Unavailable`] field instead of an error. Only
//! network and driver failures are returned as errors.

use futures::TryStreamExt;
use mongodb::bson::{Bson, Document, doc};
use mongodb::error::ErrorKind;
use mongodb::results::CollectionType;
use mongodb::{Client, Database};
use serde::Serialize;

/// A value the server may or may not be able (or willing) to report.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Availability<T> {
    /// The server reported it.
    Available {
        /// The value.
        value: T,
    },
    /// The server could not report it.
    Unavailable {
        /// Why not.
        reason: UnavailableReason,
    },
}

impl<T> Availability<T> {
    /// The value, if available.
    pub fn value(&self) -> Option<&T> {
        match self {
            Availability::Available { value } => Some(value),
            Availability::Unavailable { .. } => None,
        }
    }

    /// Converts the value, keeping an unavailable reason.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Availability<U> {
        match self {
            Availability::Available { value } => Availability::Available { value: f(value) },
            Availability::Unavailable { reason } => Availability::Unavailable { reason },
        }
    }

    /// A value from `Some`, else "not supported" (the server's answer lacks the field).
    pub fn from_option(value: Option<T>) -> Self {
        match value {
            Some(value) => Availability::Available { value },
            None => Availability::Unavailable {
                reason: UnavailableReason::NotSupported,
            },
        }
    }

    /// Short human text: the formatted value, or "not supported" / "not permitted" / ....
    pub fn display_with(&self, f: impl FnOnce(&T) -> String) -> String {
        match self {
            Availability::Available { value } => f(value),
            Availability::Unavailable { reason } => reason.to_string(),
        }
    }
}

/// Why a value is unavailable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnavailableReason {
    /// The server does not know the command or stage (CommandNotFound, 115, ...).
    NotSupported,
    /// The user may not run it (Unauthorized).
    NotPermitted,
    /// Another server-side error, with its message.
    Other(String),
}

impl std::fmt::Display for UnavailableReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UnavailableReason::NotSupported => f.write_str("not supported"),
            UnavailableReason::NotPermitted => f.write_str("not permitted"),
            UnavailableReason::Other(message) => write!(f, "unavailable: {message}"),
        }
    }
}

/// Classifies a driver error: `Some(reason)` when the server answered with an error (the
/// value is then unavailable), `None` for network/driver failures that callers propagate.
pub fn unavailable_reason(err: &mongodb::error::Error) -> Option<UnavailableReason> {
    let text = err.to_string();
    let lower = text.to_lowercase();
    let code = match err.kind.as_ref() {
        ErrorKind::Command(cmd) => Some(cmd.code),
        _ => None,
    };
    let not_supported = matches!(code, Some(59 | 115 | 40324 | 76))
        || lower.contains("no such command")
        || lower.contains("command not found")
        || lower.contains("commandnotfound")
        || lower.contains("unrecognized pipeline stage")
        || lower.contains("not supported");
    let not_permitted =
        code == Some(13) || lower.contains("not authorized") || lower.contains("unauthorized");
    if not_permitted {
        Some(UnavailableReason::NotPermitted)
    } else if not_supported {
        Some(UnavailableReason::NotSupported)
    } else if code.is_some() {
        let message = match err.kind.as_ref() {
            ErrorKind::Command(cmd) => cmd.message.clone(),
            _ => text,
        };
        Some(UnavailableReason::Other(message))
    } else {
        None
    }
}

/// Runs a command result through [`unavailable_reason`]: server errors become
/// `Ok(Unavailable)`, other errors stay errors.
pub fn availability<T>(
    result: Result<T, mongodb::error::Error>,
) -> Result<Availability<T>, mongodb::error::Error> {
    match result {
        Ok(value) => Ok(Availability::Available { value }),
        Err(err) => match unavailable_reason(&err) {
            Some(reason) => Ok(Availability::Unavailable { reason }),
            None => Err(err),
        },
    }
}

/// A BSON number (int32, int64 or double) as `f64`.
pub(crate) fn num(doc: &Document, key: &str) -> Option<f64> {
    match doc.get(key)? {
        Bson::Int32(v) => Some(f64::from(*v)),
        Bson::Int64(v) => Some(*v as f64),
        Bson::Double(v) => Some(*v),
        _ => None,
    }
}

/// A non-negative BSON number as `u64`.
pub(crate) fn num_u64(doc: &Document, key: &str) -> Option<u64> {
    num(doc, key).map(|v| {
        if v.is_finite() && v > 0.0 {
            v as u64
        } else {
            0
        }
    })
}

fn date_string(value: Option<&Bson>) -> Option<String> {
    match value? {
        Bson::DateTime(dt) => dt.try_to_rfc3339_string().ok(),
        _ => None,
    }
}

/// Current and available connections from `serverStatus.connections`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Connections {
    /// Open connections.
    pub current: u64,
    /// Connections the server could still accept.
    pub available: u64,
}

/// Operation totals since server start (`serverStatus.opcounters`); a console computes
/// rates from two samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct OpCounters {
    /// Inserted documents.
    pub insert: u64,
    /// Queries.
    pub query: u64,
    /// Updates.
    pub update: u64,
    /// Deletes.
    pub delete: u64,
    /// getMore calls.
    pub getmore: u64,
    /// Other commands.
    pub command: u64,
}

impl OpCounters {
    /// Per-second rates between `earlier` and `self`, taken `seconds` apart.
    pub fn rates_since(&self, earlier: &OpCounters, seconds: f64) -> [(&'static str, f64); 6] {
        let rate = |now: u64, then: u64| {
            if seconds > 0.0 {
                now.saturating_sub(then) as f64 / seconds
            } else {
                0.0
            }
        };
        [
            ("insert", rate(self.insert, earlier.insert)),
            ("query", rate(self.query, earlier.query)),
            ("update", rate(self.update, earlier.update)),
            ("delete", rate(self.delete, earlier.delete)),
            ("getmore", rate(self.getmore, earlier.getmore)),
            ("command", rate(self.command, earlier.command)),
        ]
    }
}

/// Memory use from `serverStatus.mem`, in MiB as the server reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Memory {
    /// Resident set size, MiB.
    pub resident_mb: u64,
    /// Virtual size, MiB.
    pub virtual_mb: u64,
}

/// How the server is deployed, from `hello`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Topology {
    /// A single `mongod` without replication.
    Standalone,
    /// A replica set member.
    ReplicaSet {
        /// `setName`.
        set_name: String,
        /// `hosts`.
        hosts: Vec<String>,
        /// The current primary, if known.
        primary: Option<String>,
        /// The member we are talking to.
        me: Option<String>,
    },
    /// A `mongos` router.
    Sharded,
}

/// One member from `replSetGetStatus`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplicaMember {
    /// `host:port`.
    pub name: String,
    /// Numeric member state (1 primary, 2 secondary, ...).
    pub state: i64,
    /// `stateStr`, e.g. `PRIMARY`.
    pub state_str: String,
    /// `health` (1 up, 0 down), when reported.
    pub health: Option<f64>,
    /// Whether this is the member we are connected to.
    pub is_self: bool,
    /// `optimeDate` as RFC 3339.
    pub optime: Option<String>,
    /// Seconds behind the primary's optime, when both are known.
    pub lag_secs: Option<i64>,
}

/// Server-wide facts for the statistics view.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServerOverview {
    /// `buildInfo.version`.
    pub version: Availability<String>,
    /// `serverStatus.uptime`, seconds.
    pub uptime_secs: Availability<u64>,
    /// `serverStatus.storageEngine.name`.
    pub storage_engine: Availability<String>,
    /// `serverStatus.connections`.
    pub connections: Availability<Connections>,
    /// `serverStatus.opcounters`.
    pub opcounters: Availability<OpCounters>,
    /// `serverStatus.mem`.
    pub memory: Availability<Memory>,
    /// Deployment kind from `hello`.
    pub topology: Availability<Topology>,
    /// `replSetGetStatus.members` (only asked for replica sets).
    pub members: Option<Availability<Vec<ReplicaMember>>>,
}

/// Collects [`ServerOverview`]; server-side refusals become unavailable fields.
pub async fn server_overview(client: &Client) -> color_eyre::eyre::Result<ServerOverview> {
    let admin = client.database("admin");
    let version = availability(admin.run_command(doc! { "buildInfo": 1 }).await)?
        .map(|build| build.get_str("version").unwrap_or("unknown").to_string());
    let status = availability(admin.run_command(doc! { "serverStatus": 1 }).await)?;
    let uptime_secs = match &status {
        Availability::Available { value } => Availability::from_option(num_u64(value, "uptime")),
        Availability::Unavailable { reason } => Availability::Unavailable {
            reason: reason.clone(),
        },
    };
    let storage_engine = match &status {
        Availability::Available { value } => Availability::from_option(
            value
                .get_document("storageEngine")
                .ok()
                .and_then(|e| e.get_str("name").ok())
                .map(str::to_string),
        ),
        Availability::Unavailable { reason } => Availability::Unavailable {
            reason: reason.clone(),
        },
    };
    let sub = |name: &str| -> Availability<Document> {
        match &status {
            Availability::Available { value } => {
                Availability::from_option(value.get_document(name).ok().cloned())
            }
            Availability::Unavailable { reason } => Availability::Unavailable {
                reason: reason.clone(),
            },
        }
    };
    let connections = sub("connections").map(|c| Connections {
        current: num_u64(&c, "current").unwrap_or(0),
        available: num_u64(&c, "available").unwrap_or(0),
    });
    let opcounters = sub("opcounters").map(|c| OpCounters {
        insert: num_u64(&c, "insert").unwrap_or(0),
        query: num_u64(&c, "query").unwrap_or(0),
        update: num_u64(&c, "update").unwrap_or(0),
        delete: num_u64(&c, "delete").unwrap_or(0),
        getmore: num_u64(&c, "getmore").unwrap_or(0),
        command: num_u64(&c, "command").unwrap_or(0),
    });
    let memory = sub("mem").map(|m| Memory {
        resident_mb: num_u64(&m, "resident").unwrap_or(0),
        virtual_mb: num_u64(&m, "virtual").unwrap_or(0),
    });
    let topology = availability(admin.run_command(doc! { "hello": 1 }).await)?.map(|hello| {
        if hello.get_str("msg").ok() == Some("isdbgrid") {
            Topology::Sharded
        } else if let Ok(set_name) = hello.get_str("setName") {
            let strings = |key: &str| -> Vec<String> {
                hello
                    .get_array(key)
                    .map(|a| {
                        a.iter()
                            .filter_map(|h| h.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            Topology::ReplicaSet {
                set_name: set_name.to_string(),
                hosts: strings("hosts"),
                primary: hello.get_str("primary").ok().map(str::to_string),
                me: hello.get_str("me").ok().map(str::to_string),
            }
        } else {
            Topology::Standalone
        }
    });
    let members = match topology.value() {
        Some(Topology::ReplicaSet { .. }) => Some(
            availability(admin.run_command(doc! { "replSetGetStatus": 1 }).await)?
                .map(|status| replica_members(&status)),
        ),
        _ => None,
    };
    Ok(ServerOverview {
        version,
        uptime_secs,
        storage_engine,
        connections,
        opcounters,
        memory,
        topology,
        members,
    })
}

fn replica_members(status: &Document) -> Vec<ReplicaMember> {
    let docs: Vec<&Document> = status
        .get_array("members")
        .map(|a| a.iter().filter_map(Bson::as_document).collect())
        .unwrap_or_default();
    let optime_millis = |m: &Document| match m.get("optimeDate") {
        Some(Bson::DateTime(dt)) => Some(dt.timestamp_millis()),
        _ => None,
    };
    let primary_millis = docs
        .iter()
        .find(|m| num(m, "state") == Some(1.0))
        .and_then(|m| optime_millis(m));
    docs.iter()
        .map(|m| ReplicaMember {
            name: m.get_str("name").unwrap_or("?").to_string(),
            state: num(m, "state").unwrap_or(-1.0) as i64,
            state_str: m.get_str("stateStr").unwrap_or("?").to_string(),
            health: num(m, "health"),
            is_self: m.get_bool("self").unwrap_or(false),
            optime: date_string(m.get("optimeDate")),
            lag_secs: match (primary_millis, optime_millis(m)) {
                (Some(p), Some(o)) => Some(((p - o) / 1000).max(0)),
                _ => None,
            },
        })
        .collect()
}

/// Totals from `dbStats` (bytes).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DbTotals {
    /// Collections (and views, as the server counts them).
    pub collections: u64,
    /// Documents.
    pub objects: u64,
    /// Uncompressed data size.
    pub data_size: u64,
    /// Allocated storage.
    pub storage_size: u64,
    /// Number of indexes.
    pub indexes: u64,
    /// Total index size.
    pub index_size: u64,
}

/// Storage statistics of one collection (bytes).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StorageStats {
    /// Uncompressed data size.
    pub size: u64,
    /// Allocated storage.
    pub storage_size: u64,
    /// Average document size.
    pub avg_obj_size: u64,
    /// Number of indexes.
    pub nindexes: u64,
    /// Total index size.
    pub total_index_size: u64,
}

/// Where a collection's numbers came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StatsSource {
    /// The `$collStats: {storageStats: {}}` aggregation stage.
    CollStatsAggregation,
    /// The `collStats` command.
    CollStatsCommand,
    /// Only `estimatedDocumentCount` worked.
    EstimatedCount,
}

/// Kind of a namespace in `listCollections`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CollectionKind {
    /// A regular collection.
    Collection,
    /// A view (no storage of its own).
    View,
    /// A time-series collection.
    Timeseries,
}

/// A TTL index of a collection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TtlIndex {
    /// Index name.
    pub index: String,
    /// The date field.
    pub field: String,
    /// `expireAfterSeconds`.
    pub expire_after_secs: u64,
}

/// Statistics of one collection or view.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CollectionStats {
    /// Collection name.
    pub name: String,
    /// Collection, view or time series.
    pub kind: CollectionKind,
    /// For views: the source collection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub view_on: Option<String>,
    /// Documents (`None` for views or when no method worked).
    pub count: Option<u64>,
    /// Storage statistics (`None` for views).
    pub storage: Option<Availability<StorageStats>>,
    /// Which method produced `count` / `storage`.
    pub source: Option<StatsSource>,
    /// TTL indexes.
    pub ttl: Vec<TtlIndex>,
}

/// Per-database statistics.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatabaseOverview {
    /// Database name.
    pub name: String,
    /// `dbStats`.
    pub totals: Availability<DbTotals>,
    /// Every collection and view, sorted by name.
    pub collections: Vec<CollectionStats>,
}

/// Collects `dbStats` and per-collection statistics of `db`.
pub async fn database_overview(db: &Database) -> color_eyre::eyre::Result<DatabaseOverview> {
    use color_eyre::eyre::WrapErr;
    let totals = availability(db.run_command(doc! { "dbStats": 1 }).await)
        .wrap_err_with(|| format!("dbStats on {} failed", db.name()))?
        .map(|s| DbTotals {
            collections: num_u64(&s, "collections").unwrap_or(0),
            objects: num_u64(&s, "objects").unwrap_or(0),
            data_size: num_u64(&s, "dataSize").unwrap_or(0),
            storage_size: num_u64(&s, "storageSize").unwrap_or(0),
            indexes: num_u64(&s, "indexes").unwrap_or(0),
            index_size: num_u64(&s, "indexSize").unwrap_or(0),
        });
    let mut specs: Vec<_> = db
        .list_collections()
        .await
        .wrap_err_with(|| format!("cannot list the collections of {}", db.name()))?
        .try_collect()
        .await
        .wrap_err_with(|| format!("cannot list the collections of {}", db.name()))?;
    specs.sort_by(|a: &mongodb::results::CollectionSpecification, b| a.name.cmp(&b.name));
    let mut collections = Vec::with_capacity(specs.len());
    for spec in specs {
        if spec.name.starts_with("system.")
            || crate::backup::restore::is_staging_collection(&spec.name)
        {
            continue;
        }
        let kind = match spec.collection_type {
            CollectionType::View => CollectionKind::View,
            CollectionType::Timeseries => CollectionKind::Timeseries,
            _ => CollectionKind::Collection,
        };
        if kind == CollectionKind::View {
            collections.push(CollectionStats {
                name: spec.name.clone(),
                kind,
                view_on: spec.options.view_on.clone(),
                count: None,
                storage: None,
                source: None,
                ttl: Vec::new(),
            });
            continue;
        }
        let stats = collection_stats(db, &spec.name).await.wrap_err_with(|| {
            format!("cannot read the statistics of {}.{}", db.name(), spec.name)
        })?;
        collections.push(stats_with_kind(stats, kind));
    }
    Ok(DatabaseOverview {
        name: db.name().to_string(),
        totals,
        collections,
    })
}

fn stats_with_kind(mut stats: CollectionStats, kind: CollectionKind) -> CollectionStats {
    stats.kind = kind;
    stats
}

/// Raw storage statistics of a collection, in `collStats` field names (merged over
/// shards): from `$collStats`, else the `collStats` command.
pub(crate) async fn raw_coll_stats(
    db: &Database,
    name: &str,
) -> Result<Availability<(Document, StatsSource)>, mongodb::error::Error> {
    let aggregated = availability(
        async {
            db.collection::<Document>(name)
                .aggregate([doc! { "$collStats": { "storageStats": {} } }])
                .await?
                .try_collect::<Vec<Document>>()
                .await
        }
        .await,
    )?;
    let mut from_aggregation = None;
    if let Availability::Available { value } = &aggregated {
        let merged = merge_storage_stats(
            value
                .iter()
                .filter_map(|d| d.get_document("storageStats").ok()),
        );
        if let Some(merged) = merged {
            // Some servers answer the stage with zero sizes; the command may know better.
            let plausible = num_u64(&merged, "count").unwrap_or(0) == 0
                || num_u64(&merged, "size").unwrap_or(0) > 0;
            if plausible {
                return Ok(Availability::Available {
                    value: (merged, StatsSource::CollStatsAggregation),
                });
            }
            from_aggregation = Some(merged);
        }
    }
    let command = availability(db.run_command(doc! { "collStats": name }).await)?;
    match (command, from_aggregation) {
        (Availability::Available { value }, _) => Ok(Availability::Available {
            value: (value, StatsSource::CollStatsCommand),
        }),
        (_, Some(merged)) => Ok(Availability::Available {
            value: (merged, StatsSource::CollStatsAggregation),
        }),
        (Availability::Unavailable { reason }, None) => {
            // Report the aggregation's reason when it failed, else the command's.
            Ok(Availability::Unavailable {
                reason: match aggregated {
                    Availability::Unavailable { reason: agg } => agg,
                    Availability::Available { .. } => reason,
                },
            })
        }
    }
}

fn merge_storage_stats<'a>(docs: impl Iterator<Item = &'a Document>) -> Option<Document> {
    let mut merged: Option<Document> = None;
    for stats in docs {
        match merged.as_mut() {
            None => merged = Some(stats.clone()),
            Some(total) => {
                for key in ["count", "size", "storageSize", "totalIndexSize"] {
                    let sum = num(total, key).unwrap_or(0.0) + num(stats, key).unwrap_or(0.0);
                    total.insert(key, sum as i64);
                }
            }
        }
    }
    merged
}

async fn collection_stats(
    db: &Database,
    name: &str,
) -> Result<CollectionStats, mongodb::error::Error> {
    let coll = db.collection::<Document>(name);
    let raw = raw_coll_stats(db, name).await?;
    let (count, storage, source) = match raw {
        Availability::Available {
            value: (stats, source),
        } => {
            let count = num_u64(&stats, "count");
            let size = num_u64(&stats, "size").unwrap_or(0);
            let avg = num_u64(&stats, "avgObjSize").unwrap_or_else(|| match count {
                Some(n) if n > 0 => size / n,
                _ => 0,
            });
            let storage = StorageStats {
                size,
                storage_size: num_u64(&stats, "storageSize").unwrap_or(0),
                avg_obj_size: avg,
                nindexes: num_u64(&stats, "nindexes").unwrap_or(0),
                total_index_size: num_u64(&stats, "totalIndexSize").unwrap_or(0),
            };
            (
                count,
                Availability::Available { value: storage },
                Some(source),
            )
        }
        Availability::Unavailable { reason } => {
            let count = availability(coll.estimated_document_count().await)?;
            match count {
                Availability::Available { value } => (
                    Some(value),
                    Availability::Unavailable { reason },
                    Some(StatsSource::EstimatedCount),
                ),
                Availability::Unavailable { .. } => {
                    (None, Availability::Unavailable { reason }, None)
                }
            }
        }
    };
    let ttl = match availability(
        async {
            coll.list_indexes()
                .await?
                .try_collect::<Vec<mongodb::IndexModel>>()
                .await
        }
        .await,
    )? {
        Availability::Available { value } => value
            .iter()
            .filter_map(|index| {
                let options = index.options.as_ref()?;
                let secs = options.expire_after?.as_secs();
                Some(TtlIndex {
                    index: options.name.clone().unwrap_or_default(),
                    field: index.keys.keys().next().cloned().unwrap_or_default(),
                    expire_after_secs: secs,
                })
            })
            .collect(),
        Availability::Unavailable { .. } => Vec::new(),
    };
    Ok(CollectionStats {
        name: name.to_string(),
        kind: CollectionKind::Collection,
        view_on: None,
        count,
        storage: Some(storage),
        source,
        ttl,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn availability_serializes_with_state() {
        let ok: Availability<u64> = Availability::Available { value: 3 };
        assert_eq!(
            serde_json::to_string(&ok).unwrap(),
            r#"{"state":"available","value":3}"#
        );
        let no: Availability<u64> = Availability::Unavailable {
            reason: UnavailableReason::NotSupported,
        };
        assert_eq!(
            serde_json::to_string(&no).unwrap(),
            r#"{"state":"unavailable","reason":"not_supported"}"#
        );
        assert_eq!(no.display_with(|v| v.to_string()), "not supported");
    }

    #[test]
    fn rates_from_two_samples() {
        let a = OpCounters {
            insert: 10,
            ..OpCounters::default()
        };
        let b = OpCounters {
            insert: 30,
            ..OpCounters::default()
        };
        assert_eq!(b.rates_since(&a, 2.0)[0], ("insert", 10.0));
    }
}
