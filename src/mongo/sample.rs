//! One sample of everything the Database tab shows: server overview, database and
//! collection statistics, every index with Scandy's index findings, and the current
//! operations. Taken in the background; the console only reads finished samples.

use std::time::Instant;

use chrono::{DateTime, Utc};
use color_eyre::eyre::{Result, WrapErr};
use mongodb::Client;

use super::indexes::{IndexFinding, IndexInfo, all_indexes, findings_for};
use super::maintenance::{Operation, current_operations};
use super::stats::{
    Availability, DatabaseOverview, OpCounters, ServerOverview, database_overview, server_overview,
};

/// Everything the Database tab shows, as of `sampled_at`.
#[derive(Debug, Clone, PartialEq)]
pub struct DatabaseSample {
    /// When the sample was finished.
    pub sampled_at: DateTime<Utc>,
    /// Server-wide facts.
    pub server: ServerOverview,
    /// `dbStats` and per-collection statistics.
    pub database: DatabaseOverview,
    /// Every index of every regular collection.
    pub indexes: Vec<IndexInfo>,
    /// Missing expected indexes, the legacy `barcode_1`, unused indexes.
    pub findings: Vec<IndexFinding>,
    /// Active operations (`currentOp`).
    pub operations: Availability<Vec<Operation>>,
    /// Operations per second since the previous sample (all opcounters together).
    pub ops_per_sec: Option<f64>,
}

impl DatabaseSample {
    /// The indexes of `collection`, in the server's order.
    pub fn indexes_of<'a>(&'a self, collection: &'a str) -> impl Iterator<Item = &'a IndexInfo> {
        self.indexes
            .iter()
            .filter(move |i| i.collection == collection)
    }

    /// The index findings about `collection`.
    pub fn findings_of<'a>(
        &'a self,
        collection: &'a str,
    ) -> impl Iterator<Item = &'a IndexFinding> {
        self.findings
            .iter()
            .filter(move |f| f.collection == collection)
    }
}

/// The opcounters of the previous sample and when they were read.
#[derive(Debug, Clone, Copy)]
pub struct PreviousCounters {
    /// Totals then.
    pub counters: OpCounters,
    /// When.
    pub at: Instant,
}

/// Samples the server and database `db_name`; `previous` turns opcounters into a rate and
/// is updated for the next call.
pub async fn sample_database(
    client: &Client,
    db_name: &str,
    previous: &mut Option<PreviousCounters>,
) -> Result<DatabaseSample> {
    let server = server_overview(client)
        .await
        .wrap_err("cannot read the server overview")?;
    let now = Instant::now();
    let ops_per_sec = match (server.opcounters.value(), previous.as_ref()) {
        (Some(counters), Some(before)) => {
            let seconds = now.saturating_duration_since(before.at).as_secs_f64();
            Some(
                counters
                    .rates_since(&before.counters, seconds)
                    .iter()
                    .map(|(_, rate)| rate)
                    .sum(),
            )
        }
        _ => None,
    };
    *previous = server.opcounters.value().map(|counters| PreviousCounters {
        counters: *counters,
        at: now,
    });
    let db = client.database(db_name);
    let database = database_overview(&db).await?;
    let indexes = all_indexes(&db)
        .await
        .wrap_err_with(|| format!("cannot read the indexes of {db_name}"))?;
    let findings = findings_for(&indexes);
    let mut operations = current_operations(client)
        .await
        .wrap_err("cannot read the current operations")?;
    // A restore's staging collections are no Scandy collections: their operations stay out.
    if let Availability::Available { value } = &mut operations {
        value.retain(|op| {
            !op.namespace
                .contains(crate::backup::restore::staging::STAGING_PREFIX)
        });
    }
    Ok(DatabaseSample {
        sampled_at: Utc::now(),
        server,
        database,
        indexes,
        findings,
        operations,
        ops_per_sec,
    })
}
