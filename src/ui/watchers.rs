//! The console's background watchers: backup directory, system, MongoDB load and the
//! Database tab's sampler. Each sends its findings to the event loop as actions.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use color_eyre::eyre::Result;
use tokio::sync::Notify;
use tokio::sync::mpsc::UnboundedSender;

use super::action::Action;
use crate::backup::snapshot::scan_snapshot;
use crate::config::Config;
use crate::mongo::probe::{ProbeTimeouts, connect};
use crate::mongo::sample::{DatabaseSample, PreviousCounters, sample_database};
use crate::system::disk::disk_space;

/// How often the backup directory's free space is measured.
pub const DISK_INTERVAL: Duration = Duration::from_secs(10);

/// How often the Database tab is sampled while it is shown.
pub const DATABASE_INTERVAL: Duration = Duration::from_secs(5);

/// Longest time one database sample may take before it is reported as failed.
pub const SAMPLE_TIMEOUT: Duration = Duration::from_secs(20);

/// Measures the backup directory and scans its sets every [`DISK_INTERVAL`], and at once
/// when asked to (after a job).
pub(super) async fn watch_backup_space(
    dir: PathBuf,
    legacy_dirs: Vec<PathBuf>,
    scandy_root: PathBuf,
    config_file: Option<PathBuf>,
    tx: UnboundedSender<Action>,
    rescan: Arc<Notify>,
) {
    loop {
        let path = dir.clone();
        let root = scandy_root.clone();
        let legacy = legacy_dirs.clone();
        let file = config_file.clone();
        let glance = tokio::task::spawn_blocking(move || {
            let state_dir = crate::state::state_dir();
            crate::schedule::summary::load_glance(file.as_deref(), &state_dir, chrono::Utc::now())
                .transpose()
        })
        .await
        .unwrap_or(None);
        if tx.send(Action::Schedule(glance)).is_err() {
            return;
        }
        let scanned = tokio::task::spawn_blocking(move || {
            let space = disk_space(&path).map_err(|err| format!("{err:#}"));
            let snapshot = scan_snapshot(
                &path,
                space.as_ref().ok(),
                chrono::Utc::now(),
                Some(&root),
                &legacy,
            )
            .map_err(|err| format!("{err:#}"));
            (space, snapshot)
        })
        .await;
        let (space, snapshot) = match scanned {
            Ok(results) => results,
            Err(err) => {
                let message = format!("backup directory task failed: {err}");
                (Err(message.clone()), Err(message))
            }
        };
        let overview = snapshot
            .as_ref()
            .map(|s| s.overview())
            .map_err(Clone::clone);
        if tx.send(Action::BackupSpace(space)).is_err()
            || tx.send(Action::BackupOverview(overview)).is_err()
            || tx.send(Action::BackupInventory(snapshot)).is_err()
        {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(DISK_INTERVAL) => {}
            _ = rescan.notified() => {}
        }
    }
}

/// Writes saved log entries on a blocking thread; never overwrites an existing file.
pub(super) fn save_logs(tx: UnboundedSender<Action>, path: PathBuf, text: String, count: usize) {
    tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let result = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .and_then(|mut file| file.write_all(text.as_bytes()))
            .map(|()| (path.clone(), count))
            .map_err(|err| format!("{}: {err}", path.display()));
        let _ = tx.send(Action::LogsSaved(result));
    });
}

/// How often the system is sampled.
pub fn system_refresh(config: &Config) -> Duration {
    Duration::from_millis(u64::from(config.system.refresh_ms))
}

/// While the System tab is hidden, one refresh in this many is sampled.
pub const HIDDEN_SAMPLE_EVERY: u64 = 5;

/// How often services and `/health` are asked.
pub const SERVICES_INTERVAL: Duration = Duration::from_secs(5);

/// Samples the machine at the configured refresh while the System tab is shown and every
/// [`HIDDEN_SAMPLE_EVERY`] refreshes otherwise (alerts and the history keep going at little
/// cost), and asks the services and `/health` every [`SERVICES_INTERVAL`].
pub(super) async fn watch_system(
    config: Arc<Config>,
    tx: UnboundedSender<Action>,
    visible: Arc<AtomicBool>,
) {
    use crate::system::metrics::{SystemSampler, WatchedPaths, mongo_data_dir};
    use crate::system::services::{service_status, service_targets};
    use crate::system::web_health::WebHealthMonitor;
    let paths = WatchedPaths {
        backup_dir: config.resolve(&config.backup.dir),
        mongo_data: mongo_data_dir(std::path::Path::new("/etc/mongod.conf")),
        scandy_root: config.scandy.root.clone(),
    };
    let refresh = system_refresh(&config);
    let mut sampler = Some(SystemSampler::new(paths));
    let mut web = WebHealthMonitor::new(
        &config.web.health_url,
        config.web.budget_policy(),
        Duration::from_secs(5),
    );
    let targets = service_targets(&config);
    let path_var = std::env::var_os("PATH").unwrap_or_default();
    let mut last_services: Option<Instant> = None;
    let mut ticker = tokio::time::interval(refresh);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut ticks: u64 = 0;
    loop {
        ticker.tick().await;
        ticks += 1;
        if !visible.load(Ordering::Relaxed) && ticks % HIDDEN_SAMPLE_EVERY != 1 {
            continue;
        }
        if let Some(mut taken) = sampler.take() {
            let Ok((back, sample)) = tokio::task::spawn_blocking(move || {
                let sample = taken.sample();
                (taken, sample)
            })
            .await
            else {
                return;
            };
            sampler = Some(back);
            if tx.send(Action::SystemSampled(Box::new(sample))).is_err() {
                return;
            }
        }
        if last_services.is_none_or(|at| at.elapsed() >= SERVICES_INTERVAL) {
            last_services = Some(Instant::now());
            let mut reports = Vec::with_capacity(targets.len());
            for target in &targets {
                reports.push(service_status(target, &path_var).await);
            }
            let _ = tx.send(Action::ServicesChecked(reports));
            let probe = web.check().await;
            let _ = tx.send(Action::HealthProbed(probe));
        }
    }
}

/// Reads MongoDB's connections and operation counters every [`SERVICES_INTERVAL`] while
/// the System tab is shown.
pub(super) async fn watch_mongo_load(
    uri: String,
    tx: UnboundedSender<Action>,
    visible: Arc<AtomicBool>,
) {
    use crate::mongo::stats::{OpCounters, server_overview};
    use crate::ui::tabs::system::view::MongoLoad;
    let mut client: Option<mongodb::Client> = None;
    let mut previous: Option<(OpCounters, Instant)> = None;
    loop {
        tokio::time::sleep(SERVICES_INTERVAL).await;
        if !visible.load(Ordering::Relaxed) {
            continue;
        }
        if client.is_none() {
            client = connect(&uri, ProbeTimeouts::default()).await.ok();
        }
        let Some(connected) = client.as_ref() else {
            continue;
        };
        let Ok(Ok(overview)) =
            tokio::time::timeout(SERVICES_INTERVAL, server_overview(connected)).await
        else {
            client = None;
            continue;
        };
        let now = Instant::now();
        let counters = overview.opcounters.value().copied();
        let ops_per_sec = match (counters, previous) {
            (Some(current), Some((before, at))) => Some(
                current
                    .rates_since(&before, now.duration_since(at).as_secs_f64())
                    .iter()
                    .map(|(_, rate)| rate)
                    .sum(),
            ),
            _ => None,
        };
        previous = counters.map(|c| (c, now));
        let load = MongoLoad {
            connections: overview
                .connections
                .value()
                .map(|c| (c.current, c.current + c.available)),
            ops_per_sec,
        };
        if tx.send(Action::MongoLoad(load)).is_err() {
            return;
        }
    }
}

/// Which database the Database tab samples (the URI is never displayed).
pub(super) struct DatabaseTarget {
    /// The connection string.
    pub(super) uri: String,
    /// The database name.
    pub(super) database: String,
}

/// Samples the database every [`DATABASE_INTERVAL`] while the Database tab is shown, and at
/// once when asked to.
pub(super) async fn watch_database(
    target: DatabaseTarget,
    tx: UnboundedSender<Action>,
    refresh: Arc<Notify>,
    visible: Arc<AtomicBool>,
) {
    let mut client = None;
    let mut previous = None;
    loop {
        if visible.load(Ordering::Relaxed) {
            let sample = sample_once(&target, &mut client, &mut previous).await;
            if sample.is_err() {
                client = None;
                previous = None;
            }
            if tx.send(Action::DatabaseSampled(sample)).is_err() {
                return;
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(DATABASE_INTERVAL) => {}
            _ = refresh.notified() => {}
        }
    }
}

/// One database sample, connecting first when there is no client; errors are redacted.
pub(super) async fn sample_once(
    target: &DatabaseTarget,
    client: &mut Option<mongodb::Client>,
    previous: &mut Option<PreviousCounters>,
) -> Result<Box<DatabaseSample>, String> {
    if client.is_none() {
        let connected = connect(&target.uri, ProbeTimeouts::default())
            .await
            .map_err(|failure| failure.detail)?;
        *client = Some(connected);
    }
    let Some(client) = client.as_ref() else {
        return Err("no client".into());
    };
    match tokio::time::timeout(
        SAMPLE_TIMEOUT,
        sample_database(client, &target.database, previous),
    )
    .await
    {
        Ok(Ok(sample)) => Ok(Box::new(sample)),
        Ok(Err(err)) => Err(redact_secrets(&target.uri, format!("{err:#}"))),
        Err(_) => Err(format!(
            "no complete answer within {} s",
            SAMPLE_TIMEOUT.as_secs()
        )),
    }
}

/// Removes the URI's password from a message, should a driver error quote it.
pub(super) fn redact_secrets(uri: &str, message: String) -> String {
    match crate::mongo::probe::password_of(uri) {
        Some(password) if !password.is_empty() => message.replace(&password, "****"),
        _ => message,
    }
}
