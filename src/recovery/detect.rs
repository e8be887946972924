//! Detection (the guide's "Erkennung"): MongoDB, credentials, the database against the
//! newest backup, upload files, services and `/health`, disk space and recent log errors.
//! Every check is bounded in time; a check that cannot run is skipped with the reason.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Utc;

use super::model::{
    CheckLevel, Diagnosis, FilesState, Finding, IncidentKind, LostCollection, MongoState,
};
use super::reference::newest_reference;
use super::settings::RecoverySettings;
use crate::config::Config;
use crate::mongo::probe::{FailureKind, ProbeTimeouts, connect, ping};
use crate::notify::Priority;
use crate::system::disk::{disk_space, human_bytes};

/// How long one service status query may take.
const SERVICE_TIMEOUT: Duration = Duration::from_secs(3);
/// How long the `/health` request may take.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(5);
/// How long counting the collections may take.
const COUNT_TIMEOUT: Duration = Duration::from_secs(15);
/// Most files counted below the upload directories.
const MAX_FILES_COUNTED: u64 = 2_000_000;
/// Log lines read from the end of each log file.
const LOG_LINES: usize = 20_000;
/// A filesystem with less free space than this is full.
const FULL_BELOW_BYTES: u64 = 64 << 20;
/// ... or with at most this much free, in per mille.
const FULL_BELOW_PER_MILLE: u64 = 10;

/// Lost collections listed one by one in a finding's evidence.
const EVIDENCE_LINES: usize = 8;

/// What the live database holds: collection name → estimated document count.
pub type LiveCounts = BTreeMap<String, u64>;

/// Runs every check against `config`'s install and proposes the incident.
pub async fn diagnose(config: &Config, settings: &RecoverySettings) -> Diagnosis {
    let mut findings = Vec::new();
    let mut incidents = Vec::new();
    let reference = {
        let config = config.clone();
        tokio::task::spawn_blocking(move || newest_reference(&config))
            .await
            .ok()
            .flatten()
    };
    match &reference {
        Some(r) => findings.push(
            Finding::new(
                "SCY-REC-REFERENCE",
                CheckLevel::Ok,
                format!("newest backup to compare with: {}", r.id),
            )
            .with(format!(
                "taken {}",
                r.created_at.format("%Y-%m-%d %H:%M UTC")
            )),
        ),
        None => findings.push(Finding::new(
            "SCY-REC-REFERENCE",
            CheckLevel::Warning,
            "no usable backup found to compare with or restore from",
        )),
    }

    let (mongo, live) = probe_mongo(config).await;
    findings.push(mongo_finding(config, &mongo));
    match &mongo {
        MongoState::AuthFailed { .. } => incidents.push(IncidentKind::CredentialsBroken),
        MongoState::Unreachable { .. } => incidents.push(IncidentKind::MongoDown),
        MongoState::Reachable { .. } => {}
    }
    let mut lost_collections = Vec::new();
    if let Some(live) = &live {
        let (finding, lost, all_lost) =
            compare_collections(config, live, reference.as_ref(), settings.drop_threshold);
        findings.push(finding);
        if all_lost {
            incidents.push(IncidentKind::DatabaseLost);
        } else if !lost.is_empty() {
            incidents.push(IncidentKind::CollectionsLost);
        }
        lost_collections = lost;
    }

    let files = {
        let config = config.clone();
        let expected = reference.as_ref().and_then(|r| r.upload_files);
        tokio::task::spawn_blocking(move || upload_files(&config, expected))
            .await
            .ok()
    };
    if let Some(files) = &files {
        let (finding, lost) = files_finding(files, settings.drop_threshold);
        findings.push(finding);
        if lost {
            incidents.push(IncidentKind::FilesLost);
        }
    }

    let disk = disk_findings(config);
    if disk.iter().any(|f| f.level == CheckLevel::Failed) {
        incidents.push(IncidentKind::DiskFull);
    }
    findings.extend(disk);

    let services = service_findings(config).await;
    if services.iter().any(|f| f.level == CheckLevel::Failed) {
        incidents.push(IncidentKind::ServiceDown);
    }
    findings.extend(services);

    let top_errors = {
        let config = config.clone();
        tokio::task::spawn_blocking(move || recent_errors(&config, Duration::from_secs(3600)))
            .await
            .unwrap_or_default()
    };
    findings.push(errors_finding(&top_errors));

    incidents.sort_by_key(|k| IncidentKind::ALL.iter().position(|a| a == k));
    incidents.dedup();
    let severity = incidents
        .iter()
        .map(|k| k.severity())
        .max()
        .unwrap_or(Priority::Info);
    Diagnosis {
        at: Utc::now(),
        database: config.mongo.database.clone(),
        findings,
        incidents,
        severity,
        mongo,
        reference,
        lost_collections,
        files,
        top_errors,
    }
}

/// Connects, pings and counts the configured database's collections.
pub async fn probe_mongo(config: &Config) -> (MongoState, Option<LiveCounts>) {
    let timeouts = ProbeTimeouts::default();
    let failed = |kind: FailureKind, detail: String| match kind {
        FailureKind::Auth => MongoState::AuthFailed { detail },
        _ => MongoState::Unreachable { detail },
    };
    let client = match connect(&config.mongo.uri, timeouts).await {
        Ok(client) => client,
        Err(f) => return (failed(f.kind, f.detail), None),
    };
    let info = match ping(&client, &config.mongo.uri, timeouts).await {
        Ok(info) => info,
        Err(f) => return (failed(f.kind, f.detail), None),
    };
    let state = MongoState::Reachable {
        version: info.version,
        latency_ms: info.latency.as_millis() as u64,
    };
    let db = client.database(&config.mongo.database);
    match tokio::time::timeout(COUNT_TIMEOUT, live_counts(&db)).await {
        Ok(Ok(counts)) => (state, Some(counts)),
        Ok(Err(err)) => {
            let secret = crate::mongo::probe::password_of(&config.mongo.uri);
            let probe = crate::mongo::probe::classify(&err, |text| match &secret {
                Some(s) if s.len() >= 3 => text.replace(s.as_str(), "***"),
                _ => text,
            });
            let unauthorized = matches!(
                err.kind.as_ref(),
                mongodb::error::ErrorKind::Command(c) if c.code == 13
            );
            let kind = if unauthorized {
                FailureKind::Auth
            } else {
                probe.kind
            };
            let detail = format!("cannot list the collections: {}", probe.detail);
            (failed(kind, detail), None)
        }
        Err(_) => (
            MongoState::Unreachable {
                detail: format!(
                    "counting the collections took longer than {} s",
                    COUNT_TIMEOUT.as_secs()
                ),
            },
            None,
        ),
    }
}

/// Estimated document counts of the regular collections (no staging, no `system.*`).
pub async fn live_counts(db: &mongodb::Database) -> mongodb::error::Result<LiveCounts> {
    let mut counts = LiveCounts::new();
    for name in db.list_collection_names().await? {
        if name.starts_with("system.") || crate::backup::restore::is_staging_collection(&name) {
            continue;
        }
        let n = db
            .collection::<mongodb::bson::Document>(&name)
            .estimated_document_count()
            .await?;
        counts.insert(name, n);
    }
    Ok(counts)
}

fn mongo_finding(config: &Config, mongo: &MongoState) -> Finding {
    let uri = crate::config::redact_uri(&config.mongo.uri);
    match mongo {
        MongoState::Reachable {
            version,
            latency_ms,
        } => Finding::new(
            "SCY-REC-MONGO",
            CheckLevel::Ok,
            format!("MongoDB answers ({version}, {latency_ms} ms)"),
        )
        .with(uri),
        MongoState::AuthFailed { detail } => Finding::new(
            "SCY-REC-AUTH",
            CheckLevel::Failed,
            "MongoDB refuses the credentials",
        )
        .with(format!("{uri}: {detail}"))
        .with(format!(
            "compare the password in {} (MONGO_INITDB_ROOT_PASSWORD, MONGODB_URI) with the \
             database user; the data itself is most likely intact",
            config.resolve(&config.scandy.env_file).display()
        ))
        .with("never run `docker compose down -v`: it deletes the database volume with all data"),
        MongoState::Unreachable { detail } => Finding::new(
            "SCY-REC-MONGO",
            CheckLevel::Failed,
            "MongoDB does not answer",
        )
        .with(format!("{uri}: {detail}"))
        .with("see MongoDB's own log (/var/log/mongodb/mongod.log) and `systemctl status mongod`"),
    }
}

/// Compares the live counts with the reference: the finding, the lost collections, and
/// whether everything the reference holds is lost.
pub fn compare_collections(
    config: &Config,
    live: &LiveCounts,
    reference: Option<&super::model::Reference>,
    drop_threshold: u32,
) -> (Finding, Vec<LostCollection>, bool) {
    let database = &config.mongo.database;
    let live_total: u64 = live.values().sum();
    let Some(reference) = reference else {
        let level = if live.is_empty() || live_total == 0 {
            CheckLevel::Failed
        } else {
            CheckLevel::Ok
        };
        let finding = Finding::new(
            "SCY-REC-DATABASE",
            level,
            format!(
                "database {database}: {} collections, {live_total} documents (no backup to compare with)",
                live.len()
            ),
        );
        return (finding, Vec::new(), level == CheckLevel::Failed);
    };
    let mut lost = Vec::new();
    let mut with_data = 0;
    for (name, expected) in &reference.collections {
        if *expected == 0 {
            continue;
        }
        with_data += 1;
        let now = live.get(name).copied();
        let floor = expected.saturating_mul(100 - u64::from(drop_threshold)) / 100;
        if now.is_none_or(|n| n == 0 || n < floor) {
            lost.push(LostCollection {
                name: name.clone(),
                expected: *expected,
                live: now,
            });
        }
    }
    let all_lost = with_data > 0 && lost.len() == with_data;
    let mut finding = if lost.is_empty() {
        Finding::new(
            "SCY-REC-DATABASE",
            CheckLevel::Ok,
            format!(
                "database {database}: {} collections, {live_total} documents, plausible against {}",
                live.len(),
                reference.id
            ),
        )
    } else if all_lost {
        Finding::new(
            "SCY-REC-DATABASE",
            CheckLevel::Failed,
            format!(
                "database {database} is lost: none of the {with_data} collections of {} has its data",
                reference.id
            ),
        )
    } else {
        Finding::new(
            "SCY-REC-DATABASE",
            CheckLevel::Failed,
            format!(
                "{} collection(s) of {database} lost or emptied against {}",
                lost.len(),
                reference.id
            ),
        )
    };
    for c in lost.iter().take(EVIDENCE_LINES) {
        finding.evidence.push(match c.live {
            None => format!("{}: missing (backup: {} documents)", c.name, c.expected),
            Some(n) => format!(
                "{}: {n} documents (backup: {}; threshold {drop_threshold} %)",
                c.name, c.expected
            ),
        });
    }
    if lost.len() > EVIDENCE_LINES {
        finding
            .evidence
            .push(format!("… and {} more", lost.len() - EVIDENCE_LINES));
    }
    (finding, lost, all_lost)
}

/// The configured upload directories: files present and directories missing.
pub fn upload_files(config: &Config, expected: Option<u64>) -> FilesState {
    let mut present = 0;
    let mut missing_dirs = Vec::new();
    for dir in &config.backup.uploads {
        let path = config.resolve(dir);
        if !path.is_dir() {
            missing_dirs.push(path.display().to_string());
            continue;
        }
        present += count_files(&path, MAX_FILES_COUNTED.saturating_sub(present));
    }
    FilesState {
        expected,
        present,
        missing_dirs,
    }
}

/// Regular files below `dir` (symlinks not followed), at most `limit`.
fn count_files(dir: &Path, limit: u64) -> u64 {
    let mut count = 0;
    let mut stack: Vec<PathBuf> = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&next) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                stack.push(entry.path());
            } else if kind.is_file() {
                count += 1;
                if count >= limit {
                    return count;
                }
            }
        }
    }
    count
}

/// The files finding, and whether the files count as lost.
pub fn files_finding(files: &FilesState, drop_threshold: u32) -> (Finding, bool) {
    let floor = files
        .expected
        .map(|e| e.saturating_mul(100 - u64::from(drop_threshold)) / 100);
    let shrunk = files
        .expected
        .zip(floor)
        .is_some_and(|(e, f)| e > 0 && files.present < f.max(1));
    let lost = (!files.missing_dirs.is_empty() && files.expected.is_none_or(|e| e > 0)) || shrunk;
    let title = match files.expected {
        Some(e) => format!("upload files: {} present, {e} in the backup", files.present),
        None => format!("upload files: {} present", files.present),
    };
    let mut finding = Finding::new(
        "SCY-REC-FILES",
        if lost {
            CheckLevel::Failed
        } else {
            CheckLevel::Ok
        },
        title,
    );
    for dir in &files.missing_dirs {
        finding.evidence.push(format!("missing: {dir}"));
    }
    (finding, lost)
}

/// Free space of the filesystems of the backup directory, the Scandy root and MongoDB's data.
fn disk_findings(config: &Config) -> Vec<Finding> {
    let mut paths = vec![
        ("backup directory", config.resolve(&config.backup.dir)),
        ("Scandy root", config.scandy.root.clone()),
    ];
    if let Some(data) = crate::system::metrics::mongo_data_dir(Path::new("/etc/mongod.conf")) {
        paths.push(("MongoDB data", data));
    }
    let mut seen = Vec::new();
    let mut findings = Vec::new();
    for (what, path) in paths {
        let existing = crate::system::mounts::canonical_existing(&path);
        let Ok(space) = disk_space(&existing) else {
            continue;
        };
        let key = (space.total, space.available);
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        let full = space.available < FULL_BELOW_BYTES
            || space.available.saturating_mul(1000) <= space.total * FULL_BELOW_PER_MILLE;
        findings.push(
            Finding::new(
                "SCY-REC-DISK",
                if full {
                    CheckLevel::Failed
                } else {
                    CheckLevel::Ok
                },
                format!(
                    "{what}: {} free of {} ({} % used)",
                    human_bytes(space.available),
                    human_bytes(space.total),
                    space.used_percent()
                ),
            )
            .with(existing.display().to_string()),
        );
    }
    findings
}

/// The configured services and `/health`.
async fn service_findings(config: &Config) -> Vec<Finding> {
    use crate::system::services::{ServiceReport, service_status_within, service_targets};
    let path_var = std::env::var_os("PATH").unwrap_or_default();
    let mut findings = Vec::new();
    for target in service_targets(config) {
        let finding = match service_status_within(&target, &path_var, SERVICE_TIMEOUT).await {
            ServiceReport::Status(status) => Finding::new(
                "SCY-REC-SERVICE",
                if status.up {
                    CheckLevel::Ok
                } else {
                    CheckLevel::Failed
                },
                format!("{}: {}", target.name(), status.state),
            )
            .with(status.detail.unwrap_or_default()),
            ServiceReport::NotAvailable { reason, .. } => Finding::new(
                "SCY-REC-SERVICE",
                CheckLevel::Skipped,
                format!("{}: not checked", target.name()),
            )
            .with(reason),
            ServiceReport::Failed { message, .. } => Finding::new(
                "SCY-REC-SERVICE",
                CheckLevel::Failed,
                format!("{}: status unknown", target.name()),
            )
            .with(message),
        };
        findings.push(finding);
    }
    if !config.web.health_url.trim().is_empty() {
        let mut monitor = crate::system::web_health::WebHealthMonitor::new(
            &config.web.health_url,
            config.web.budget_policy(),
            HEALTH_TIMEOUT,
        );
        let probe = monitor.check().await;
        let level = if probe.healthy || probe.rate_limited {
            CheckLevel::Ok
        } else {
            CheckLevel::Failed
        };
        findings.push(
            Finding::new(
                "SCY-REC-HEALTH",
                level,
                format!(
                    "{}: {} ({} ms)",
                    config.web.health_url,
                    probe
                        .status
                        .map_or_else(|| "no answer".to_string(), |s| s.to_string()),
                    probe.latency.as_millis()
                ),
            )
            .with(probe.detail),
        );
    }
    findings
}

/// Errors of the last `window` in the configured log files: (kind, count), top three.
pub fn recent_errors(config: &Config, window: Duration) -> Vec<(String, u64)> {
    use crate::logs::entry::Level;
    let since =
        chrono::Local::now().naive_local() - chrono::Duration::from_std(window).unwrap_or_default();
    let mut entries = Vec::new();
    for source in crate::logs::sources::file_sources(config) {
        if source.is_rotation() {
            continue;
        }
        let Ok((lines, start)) = crate::logs::history::newest_lines(&source.path, LOG_LINES) else {
            continue;
        };
        let (found, _) = crate::logs::assemble::assemble_from(source.id, &lines, start);
        entries.extend(
            found
                .into_iter()
                .filter(|e| e.timestamp.is_some_and(|t| t >= since)),
        );
    }
    crate::logs::summary::error_groups(&entries, Level::Error, 3)
        .into_iter()
        .map(|g| (g.shape, g.count))
        .collect()
}

fn errors_finding(top: &[(String, u64)]) -> Finding {
    if top.is_empty() {
        return Finding::new(
            "SCY-REC-LOGS",
            CheckLevel::Ok,
            "no errors in the logs of the last hour",
        );
    }
    let total: u64 = top.iter().map(|(_, n)| n).sum();
    let mut finding = Finding::new(
        "SCY-REC-LOGS",
        CheckLevel::Warning,
        format!("{total} errors of the top kinds in the logs of the last hour"),
    );
    for (shape, n) in top {
        finding.evidence.push(format!("{n}× {shape}"));
    }
    finding
}
