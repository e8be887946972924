//! The signal sources of `scandyctl watch`: system sampler, Scandy's web app (port and
//! budgeted `/health`), MongoDB and the backup inventory, kept between evaluations.

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::Utc;

use super::watch_cmd::Unavailable;
use crate::alerts::{MongoSignal, Signals};
use crate::backup::inventory::{Verification, scan_inventory};
use crate::config::Config;
use crate::mongo::probe::{self, FailureKind, ProbeTimeouts};
use crate::system::http_probe::HealthProbe;
use crate::system::metrics::{SystemSampler, WatchedPaths, mongo_data_dir};
use crate::system::web_health::WebHealthMonitor;

/// The backup directory is scanned at most this often.
const BACKUP_SCAN_PERIOD: Duration = Duration::from_secs(60);
/// Timeout of one port check or `/health` request.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(5);

/// What the backup directory said at the last scan.
#[derive(Debug, Clone)]
struct BackupState {
    scanned: Instant,
    age: Option<Option<chrono::Duration>>,
    verify_failed: Option<String>,
    problem: Option<String>,
}

/// Everything that samples signals, kept between evaluations (CPU baseline, MongoDB client).
pub(super) struct SignalSources {
    config: Config,
    system: Option<SystemSampler>,
    web: Option<WebHealthMonitor>,
    /// The newest web check (port or `/health`).
    pub last_health: Option<HealthProbe>,
    mongo: Option<mongodb::Client>,
    /// Round trip of the newest MongoDB ping in milliseconds (`None`: it failed).
    pub last_mongo_ms: Option<u64>,
    backups: Option<BackupState>,
}

impl SignalSources {
    /// Sources for `config`.
    pub(super) fn new(config: Config) -> Self {
        let paths = WatchedPaths {
            backup_dir: config.resolve(&config.backup.dir),
            mongo_data: mongo_data_dir(Path::new("/etc/mongod.conf")),
            scandy_root: config.scandy.root.clone(),
        };
        SignalSources {
            system: Some(SystemSampler::new(paths)),
            web: (!config.web.health_url.trim().is_empty()).then(|| {
                WebHealthMonitor::new(
                    &config.web.health_url,
                    config.web.budget_policy(),
                    HEALTH_TIMEOUT,
                )
            }),
            last_health: None,
            mongo: None,
            last_mongo_ms: None,
            backups: None,
            config,
        }
    }

    /// Samples everything but the error rate; missing signals come with a reason.
    pub(super) async fn gather(&mut self) -> (Signals, Vec<Unavailable>) {
        let mut unavailable = Vec::new();
        let sampler = self.system.take();
        let system = async move {
            let mut sampler = sampler?;
            tokio::task::spawn_blocking(move || {
                let sample = sampler.sample();
                (sampler, sample)
            })
            .await
            .ok()
        };
        let web = self.web.take();
        let health = async move {
            let mut web = web?;
            let probe = web.check().await;
            Some((web, probe))
        };
        let uri = self.config.mongo.uri.clone();
        let client = self.mongo.take();
        let mongo = probe_mongo(uri, client);
        let backups = self.scan_backups();
        let checklists = checklists_overdue();
        let (system, health, (mongo, client, mongo_ms), backups, checklists) =
            tokio::join!(system, health, mongo, backups, checklists);
        self.mongo = client;
        self.last_mongo_ms = mongo_ms;
        let health = health.map(|(web, probe)| {
            self.web = Some(web);
            let signal = if probe.healthy {
                Ok(())
            } else {
                Err(probe.detail.clone())
            };
            self.last_health = Some(probe);
            signal
        });
        let mut signals = Signals {
            health,
            mongo: Some(mongo),
            backup_age: backups.age,
            verify_failed: backups.verify_failed.clone(),
            ..Signals::default()
        };
        if signals.health.is_none() {
            unavailable.push(Unavailable {
                signal: "health",
                reason: "web.health_url is empty".into(),
            });
        }
        match checklists {
            Ok(overdue) => signals.checklists_overdue = overdue,
            Err(reason) => unavailable.push(Unavailable {
                signal: "checklist_overdue",
                reason,
            }),
        }
        if let Some(problem) = &backups.problem {
            unavailable.push(Unavailable {
                signal: "backup_age",
                reason: problem.clone(),
            });
        }
        match system {
            Some((sampler, sample)) => {
                self.system = Some(sampler);
                signals.disks = sample
                    .filesystems
                    .iter()
                    // Size 0: statvfs failed or a pseudo filesystem; nothing to judge.
                    .filter(|fs| fs.total > 0)
                    .map(|fs| (fs.mount.clone(), fs.used_percent()))
                    .collect();
                if sample.memory_total > 0 {
                    signals.memory_used_percent =
                        Some(sample.memory_used as f64 * 100.0 / sample.memory_total as f64);
                }
                signals.cpu_percent = Some(f64::from(sample.cpu_total));
            }
            None => unavailable.push(Unavailable {
                signal: "system",
                reason: "the system sampler stopped".into(),
            }),
        }
        self.backups = Some(backups);
        (signals, unavailable)
    }

    /// The backup state, rescanned when older than [`BACKUP_SCAN_PERIOD`].
    fn scan_backups(&self) -> impl std::future::Future<Output = BackupState> + 'static {
        let cached = self
            .backups
            .clone()
            .filter(|b| b.scanned.elapsed() < BACKUP_SCAN_PERIOD);
        let dir = self.config.resolve(&self.config.backup.dir);
        async move {
            if let Some(cached) = cached {
                return cached;
            }
            let scanned = Instant::now();
            let now = Utc::now();
            let dir_text = dir.display().to_string();
            match tokio::task::spawn_blocking(move || scan_inventory(&dir)).await {
                Ok(Ok(inventory)) => {
                    let newest = inventory.sets.iter().find(|s| s.kind.is_data_backup());
                    let verified = inventory
                        .sets
                        .iter()
                        .find(|s| !matches!(s.verification, Verification::Never));
                    BackupState {
                        scanned,
                        age: Some(newest.map(|s| now - s.created_at)),
                        verify_failed: verified
                            .filter(|s| matches!(s.verification, Verification::Failed { .. }))
                            .map(|s| s.id.clone()),
                        problem: None,
                    }
                }
                Ok(Err(err)) => BackupState {
                    scanned,
                    age: None,
                    verify_failed: None,
                    problem: Some(format!("cannot scan {dir_text}: {err:#}")),
                },
                Err(err) => BackupState {
                    scanned,
                    age: None,
                    verify_failed: None,
                    problem: Some(format!("scanning {dir_text} failed: {err}")),
                },
            }
        }
    }
}

/// The overdue checklists in the state directory's `checklists.json` (read on a blocking
/// thread; an absent file means nothing is overdue).
async fn checklists_overdue() -> Result<Option<String>, String> {
    let read = tokio::task::spawn_blocking(|| {
        crate::checks::state::load_state(&crate::state::state_dir())
            .map(|state| crate::alerts::signals::overdue_checklists(&state, Utc::now()))
            .map_err(|err| format!("{err:#}"))
    });
    read.await
        .unwrap_or_else(|err| Err(format!("reading the checklists failed: {err}")))
}

/// Pings MongoDB with the kept client (or a new one); the client is kept only while it works.
/// Also returns the ping's round trip in milliseconds.
async fn probe_mongo(
    uri: String,
    client: Option<mongodb::Client>,
) -> (MongoSignal, Option<mongodb::Client>, Option<u64>) {
    let timeouts = ProbeTimeouts::default();
    let client = match client {
        Some(client) => client,
        None => match probe::connect(&uri, timeouts).await {
            Ok(client) => client,
            Err(failure) => return (mongo_failure(failure), None, None),
        },
    };
    match probe::ping(&client, &uri, timeouts).await {
        Ok(info) => (
            MongoSignal::Ok,
            Some(client),
            u64::try_from(info.latency.as_millis()).ok(),
        ),
        Err(failure) => (mongo_failure(failure), None, None),
    }
}

/// A failed probe as a signal (its detail is already redacted).
fn mongo_failure(failure: probe::ProbeFailure) -> MongoSignal {
    match failure.kind {
        FailureKind::Auth => MongoSignal::AuthFailed(failure.detail),
        _ => MongoSignal::Unreachable(failure.detail),
    }
}
