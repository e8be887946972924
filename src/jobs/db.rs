//! Database maintenance as jobs: validate, compact, reIndex, creating Scandy's missing
//! indexes, killOp and the data-health fixes. A command the server lacks or the user may
//! not run ends the job with a clear "not supported" / "not permitted" failure.

use std::sync::Arc;

use color_eyre::eyre::{Result, bail};
use mongodb::Database;
use tokio_util::sync::CancellationToken;

use super::run::ProgressSink;
use crate::backup::progress::{Cancelled, Progress, Stage};
use crate::config::Config;
use crate::mongo::checked::connect_db;
use crate::mongo::health::{FixOutcome, apply_fix};
use crate::mongo::indexes::{create_missing_indexes, regular_collections};
use crate::mongo::maintenance::{
    CompactReport, KillReport, ReindexReport, ValidateReport, compact_collection, kill_operation,
    reindex_collection, validate_collection,
};
use crate::mongo::stats::Availability;

/// A maintenance task on the configured database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbTask {
    /// `validate` one collection, or every regular collection when `None`.
    Validate {
        /// The collection, or all.
        collection: Option<String>,
        /// `full: true`.
        full: bool,
    },
    /// `compact` one collection.
    Compact {
        /// The collection.
        collection: String,
    },
    /// `reIndex` one collection (standalone servers only).
    Reindex {
        /// The collection.
        collection: String,
    },
    /// Create Scandy's expected indexes that are missing.
    CreateMissingIndexes,
    /// `killOp` one operation.
    KillOperation {
        /// Its opid.
        opid: i64,
    },
    /// Apply the fix of one data-health check.
    HealthFix {
        /// The check id (see `crate::mongo::health::CHECK_IDS`).
        check: String,
    },
}

/// What a maintenance task achieved.
#[derive(Debug, Clone, PartialEq)]
pub enum DbOutcome {
    /// Collections validated; unavailable ones carry the reason.
    Validated {
        /// One report per collection the server validated.
        reports: Vec<ValidateReport>,
        /// Collections the server would not validate, with the reason.
        unavailable: Vec<(String, String)>,
    },
    /// A collection was compacted.
    Compacted(CompactReport),
    /// A collection's indexes were rebuilt.
    Reindexed(ReindexReport),
    /// Missing indexes were created (`collection.index` names).
    IndexesCreated(Vec<String>),
    /// killOp was sent.
    Killed(KillReport),
    /// A health fix was applied.
    Fixed(FixOutcome),
}

/// Runs `task` against the configured database.
pub async fn run_db_task(
    config: Arc<Config>,
    task: DbTask,
    progress: ProgressSink,
    cancel: CancellationToken,
) -> Result<DbOutcome> {
    let client = connect_db(&config).await?;
    let db = client.database(&config.mongo.database);
    match task {
        DbTask::Validate { collection, full } => {
            validate(&db, collection, full, &*progress, &cancel).await
        }
        DbTask::Compact { collection } => {
            let report = compact_collection(&db, &collection).await?;
            Ok(DbOutcome::Compacted(available(
                "compact",
                &collection,
                report,
            )?))
        }
        DbTask::Reindex { collection } => {
            let report = reindex_collection(&db, &collection).await?;
            Ok(DbOutcome::Reindexed(available(
                "reIndex",
                &collection,
                report,
            )?))
        }
        DbTask::CreateMissingIndexes => Ok(DbOutcome::IndexesCreated(
            create_missing_indexes(&db).await?,
        )),
        DbTask::KillOperation { opid } => {
            let report = kill_operation(&client, opid).await?;
            Ok(DbOutcome::Killed(available(
                "killOp",
                &format!("operation {opid}"),
                report,
            )?))
        }
        DbTask::HealthFix { check } => {
            let now = chrono::Local::now().naive_local();
            Ok(DbOutcome::Fixed(apply_fix(&db, &check, now).await?))
        }
    }
}

/// The value, or an error "`command` on `subject`: not supported by this server".
fn available<T>(command: &str, subject: &str, value: Availability<T>) -> Result<T> {
    match value {
        Availability::Available { value } => Ok(value),
        Availability::Unavailable { reason } => {
            bail!(
                "{command} on {subject}: {}",
                unavailable_text(&reason.to_string())
            )
        }
    }
}

/// "not supported" → "not supported by this server", "not permitted" → "… for this user".
fn unavailable_text(reason: &str) -> String {
    match reason {
        "not supported" => "not supported by this server".into(),
        "not permitted" => "not permitted for this user".into(),
        other => other.into(),
    }
}

async fn validate(
    db: &Database,
    collection: Option<String>,
    full: bool,
    progress: &(dyn Fn(Progress) + Send + Sync),
    cancel: &CancellationToken,
) -> Result<DbOutcome> {
    let names = match collection {
        Some(name) => vec![name],
        None => regular_collections(db).await?,
    };
    let total = names.len() as u64;
    let mut reports = Vec::new();
    let mut unavailable = Vec::new();
    for (done, name) in names.iter().enumerate() {
        if cancel.is_cancelled() {
            return Err(Cancelled.into());
        }
        progress(Progress {
            stage: Stage::Maintenance,
            items: done as u64,
            items_total: total,
            bytes: 0,
            bytes_total: 0,
        });
        match validate_collection(db, name, full).await? {
            Availability::Available { value } => reports.push(value),
            Availability::Unavailable { reason } => {
                unavailable.push((name.clone(), unavailable_text(&reason.to_string())))
            }
        }
    }
    if reports.is_empty()
        && let Some((name, reason)) = unavailable.first()
    {
        bail!("validate on {name}: {reason}");
    }
    Ok(DbOutcome::Validated {
        reports,
        unavailable,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mongo::stats::UnavailableReason;

    #[test]
    fn unavailable_commands_become_clear_errors() {
        let err = available::<u8>(
            "compact",
            "tools",
            Availability::Unavailable {
                reason: UnavailableReason::NotSupported,
            },
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "compact on tools: not supported by this server"
        );
        let err = available::<u8>(
            "killOp",
            "operation 7",
            Availability::Unavailable {
                reason: UnavailableReason::NotPermitted,
            },
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "killOp on operation 7: not permitted for this user"
        );
    }
}
