//! Verification after a recovery (step 6): document counts and indexes against the
//! manifest, a sample of documents read back, the Scandy data-health checks, upload files,
//! `/health`, and no new error kinds in the logs since the restore.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::bson::{Document, doc};
use serde::{Deserialize, Serialize};

use super::model::{CheckLevel, Finding};
use super::scope::RecoveryScope;
use crate::backup::manifest::Manifest;
use crate::config::Config;

/// Documents read back per restored collection.
const SAMPLE: i64 = 20;
/// How long verification waits for `/health` to answer OK.
const HEALTH_WAIT: Duration = Duration::from_secs(120);

/// The result of verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationReport {
    /// When it ran.
    pub at: DateTime<Utc>,
    /// Every check.
    pub checks: Vec<Finding>,
    /// No check failed.
    pub passed: bool,
    /// When `/health` first answered OK, if it did.
    pub health_ok_at: Option<DateTime<Utc>>,
}

/// What verification compares against.
pub struct VerifyInputs<'a> {
    /// The restored set's manifest.
    pub manifest: &'a Manifest,
    /// What was restored.
    pub scope: &'a RecoveryScope,
    /// When the restore started (logs are read from then on).
    pub restore_started: DateTime<Utc>,
    /// The error kinds seen before the incident was handled.
    pub known_errors: &'a [(String, u64)],
    /// The database was restored to a point in time (its counts are not the manifest's).
    pub point_in_time: bool,
}

/// Runs every check.
pub async fn verify_recovery(config: &Config, inputs: &VerifyInputs<'_>) -> VerificationReport {
    let mut checks = Vec::new();
    if inputs.scope.has_database() {
        checks.extend(database_checks(config, inputs).await);
    }
    if inputs.scope.missing_files {
        checks.push(files_check(config, inputs.manifest));
    }
    let (health, health_ok_at) = health_check(config).await;
    checks.extend(health);
    checks.push(logs_check(config, inputs));
    let passed = !checks.iter().any(|c| c.level == CheckLevel::Failed);
    VerificationReport {
        at: Utc::now(),
        checks,
        passed,
        health_ok_at,
    }
}

/// The collections the scope restored.
fn restored<'a>(manifest: &'a Manifest, scope: &RecoveryScope) -> Vec<&'a str> {
    manifest
        .database
        .collections
        .iter()
        .map(|c| c.name.as_str())
        .filter(|n| scope.whole_database || scope.collections.iter().any(|c| c == n))
        .collect()
}

async fn database_checks(config: &Config, inputs: &VerifyInputs<'_>) -> Vec<Finding> {
    let client = match crate::backup::restore::connect_checked(config).await {
        Ok(client) => client,
        Err(err) => {
            return vec![
                Finding::new("SCY-VER-DB", CheckLevel::Failed, "MongoDB cannot be read")
                    .with(format!("{err:#}")),
            ];
        }
    };
    let db = client.database(&config.mongo.database);
    let names = restored(inputs.manifest, inputs.scope);
    let mut counts = Finding::new("SCY-VER-COUNTS", CheckLevel::Ok, "");
    let mut indexes = Finding::new("SCY-VER-INDEXES", CheckLevel::Ok, "");
    let mut sample = Finding::new("SCY-VER-SAMPLE", CheckLevel::Ok, "");
    let (mut counted, mut index_total, mut sampled) = (0u64, 0usize, 0u64);
    for name in &names {
        let entry = inputs
            .manifest
            .database
            .collections
            .iter()
            .find(|c| c.name == *name)
            .expect("restored names come from the manifest");
        let expected = inputs
            .manifest
            .state_documents(name)
            .unwrap_or(entry.documents);
        let handle = db.collection::<Document>(name);
        let live = if entry.kind == "view" {
            Ok(0)
        } else {
            handle.count_documents(doc! {}).await
        };
        match live {
            Ok(n) if entry.kind == "view" || n == expected || inputs.point_in_time => counted += n,
            Ok(n) => {
                counts.level = CheckLevel::Failed;
                counts.evidence.push(format!(
                    "{name}: {n} documents, the backup holds {expected}"
                ));
            }
            Err(e) => {
                counts.level = CheckLevel::Failed;
                counts.evidence.push(format!("{name}: cannot count: {e}"));
            }
        }
        if entry.kind == "view" {
            continue;
        }
        let wanted: Vec<String> = entry
            .indexes
            .iter()
            .filter_map(|i| i.get("name").and_then(|n| n.as_str()).map(str::to_string))
            .collect();
        match handle.list_index_names().await {
            Ok(live_names) => {
                for index in &wanted {
                    if live_names.contains(index) {
                        index_total += 1;
                    } else {
                        indexes.level = CheckLevel::Failed;
                        indexes
                            .evidence
                            .push(format!("{name}: index {index} is missing"));
                    }
                }
            }
            Err(e) => {
                indexes.level = CheckLevel::Failed;
                indexes
                    .evidence
                    .push(format!("{name}: cannot list indexes: {e}"));
            }
        }
        let read = async {
            let docs: Vec<Document> = handle
                .find(doc! {})
                .limit(SAMPLE)
                .await?
                .try_collect()
                .await?;
            Ok::<_, mongodb::error::Error>(docs.len() as u64)
        };
        match read.await {
            Ok(n) if n >= expected.min(SAMPLE as u64) => sampled += n,
            Ok(n) => {
                sample.level = CheckLevel::Failed;
                sample
                    .evidence
                    .push(format!("{name}: only {n} documents could be read back"));
            }
            Err(e) => {
                sample.level = CheckLevel::Failed;
                sample
                    .evidence
                    .push(format!("{name}: reading back failed: {e}"));
            }
        }
    }
    counts.title = format!(
        "document counts of {} restored collection(s) match the backup ({counted} documents)",
        names.len()
    );
    if counts.level == CheckLevel::Failed {
        counts.title = "document counts differ from the backup".into();
    } else if inputs.point_in_time {
        counts.level = CheckLevel::Skipped;
        counts.title = format!(
            "{counted} documents in {} collection(s) after the point-in-time replay (not a \
             backup's counts)",
            names.len()
        );
    }
    indexes.title = if indexes.level == CheckLevel::Ok {
        format!("all {index_total} indexes of the backup are present")
    } else {
        "indexes of the backup are missing".into()
    };
    sample.title = if sample.level == CheckLevel::Ok {
        format!("{sampled} sample documents read back")
    } else {
        "sample documents could not be read back".into()
    };
    let now = chrono::Local::now().naive_local();
    let health = match crate::mongo::health::run_checks(&db, now).await {
        Ok(results) => {
            let problems: Vec<String> = results
                .iter()
                .filter(|r| r.has_problems())
                .map(|r| format!("{}: {} finding(s)", r.id, r.count))
                .collect();
            let mut f = Finding::new(
                "SCY-VER-DATA-HEALTH",
                if problems.is_empty() {
                    CheckLevel::Ok
                } else {
                    CheckLevel::Warning
                },
                format!(
                    "Scandy data-health checks: {} of {} without findings",
                    results.len() - problems.len(),
                    results.len()
                ),
            );
            f.evidence = problems;
            f
        }
        Err(e) => Finding::new(
            "SCY-VER-DATA-HEALTH",
            CheckLevel::Warning,
            "Scandy data-health checks could not run",
        )
        .with(format!("{e:#}")),
    };
    vec![counts, indexes, sample, health]
}

fn files_check(config: &Config, manifest: &Manifest) -> Finding {
    let state = super::detect::upload_files(config, manifest.files.upload_files);
    let ok = state.missing_dirs.is_empty() && state.expected.is_none_or(|e| state.present >= e);
    let mut f = Finding::new(
        "SCY-VER-FILES",
        if ok {
            CheckLevel::Ok
        } else {
            CheckLevel::Failed
        },
        match state.expected {
            Some(e) => format!("upload files: {} present, {e} in the backup", state.present),
            None => format!("upload files: {} present", state.present),
        },
    );
    for dir in state.missing_dirs {
        f.evidence.push(format!("still missing: {dir}"));
    }
    f
}

/// Waits (bounded) for `/health` to answer OK.
async fn health_check(config: &Config) -> (Option<Finding>, Option<DateTime<Utc>>) {
    if config.web.health_url.trim().is_empty() {
        return (None, None);
    }
    let mut monitor = crate::system::web_health::WebHealthMonitor::new(
        &config.web.health_url,
        config.web.budget_policy(),
        Duration::from_secs(5),
    );
    let started = Instant::now();
    let mut last = None;
    while started.elapsed() < HEALTH_WAIT {
        let probe = monitor.check().await;
        if probe.healthy {
            // Through the port alone when the shared `/health` budget defers the request:
            // the port is open and the last answer any scandyctl got was healthy.
            let via_port = probe.via == crate::system::http_probe::ProbeVia::Port;
            let f = Finding::new(
                "SCY-VER-HEALTH",
                CheckLevel::Ok,
                format!(
                    "{} answers {} ({} ms)",
                    config.web.health_url,
                    probe.status.unwrap_or(200),
                    probe.latency.as_millis()
                ),
            )
            .with(if via_port {
                "the port is open; the next /health request waits for Scandy's rate budget"
                    .to_string()
            } else {
                probe.detail
            });
            return (Some(f), Some(Utc::now()));
        }
        last = Some(probe);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let detail = last.map(|p| p.detail).unwrap_or_default();
    let f = Finding::new(
        "SCY-VER-HEALTH",
        CheckLevel::Failed,
        format!(
            "{} did not answer OK within {} s",
            config.web.health_url,
            HEALTH_WAIT.as_secs()
        ),
    )
    .with(detail);
    (Some(f), None)
}

fn logs_check(config: &Config, inputs: &VerifyInputs<'_>) -> Finding {
    let since = (Utc::now() - inputs.restore_started)
        .to_std()
        .unwrap_or_default()
        + Duration::from_secs(1);
    let now = super::detect::recent_errors(config, since);
    let new: Vec<&(String, u64)> = now
        .iter()
        .filter(|(shape, _)| !inputs.known_errors.iter().any(|(k, _)| k == shape))
        .collect();
    let mut f = Finding::new(
        "SCY-VER-LOGS",
        if new.is_empty() {
            CheckLevel::Ok
        } else {
            CheckLevel::Warning
        },
        if new.is_empty() {
            "no new error kinds in the logs since the restore".to_string()
        } else {
            format!(
                "{} new error kind(s) in the logs since the restore",
                new.len()
            )
        },
    );
    for (shape, n) in new {
        f.evidence.push(format!("{n}× {shape}"));
    }
    f
}
