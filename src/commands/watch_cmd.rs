//! `scandyctl watch`: samples the machine, Scandy, MongoDB, the backups and the logs,
//! evaluates the `[[alerts]]` rules and notifies through `[notify]`; one log line per event.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use color_eyre::eyre::Result;
use serde::Serialize;

use super::backup_cmd::cancel_on_signal;
use crate::alerts::{
    ActiveAlert, AlertEngine, AlertRule, MongoSignal, Signals, load_rules, priority_name,
};
use crate::backup::inventory::{Verification, scan_inventory};
use crate::backup::manifest::BackupKind;
use crate::cli::GlobalArgs;
use crate::config::{Config, LoadContext, load};
use crate::logs::entry::Level;
use crate::logs::filter::EntryFilter;
use crate::logs::scan::count_matching;
use crate::logs::sources::file_sources;
use crate::logs::watch::{LogEvent, WatchSizes, watch_logs};
use crate::mongo::probe::{self, FailureKind, ProbeTimeouts};
use crate::notify::{ActiveIncident, ChannelError, Escalator, NotifyConfig, load_notify, send};
use crate::sanitize::escape_controls;
use crate::system::http_probe::{probe_client, probe_health};
use crate::system::metrics::{SystemSampler, WatchedPaths, mongo_data_dir};

/// Exit code of `watch --once` when any alert is active (like a check that found problems).
const ALERTS_ACTIVE: i32 = crate::exit::VERIFY_FAILED;
/// Evaluations happen at most this often, whatever `system.refresh_ms` says.
const MIN_PERIOD: Duration = Duration::from_secs(5);
/// The backup directory is scanned at most this often.
const BACKUP_SCAN_PERIOD: Duration = Duration::from_secs(60);
/// Timeout of one `/health` request.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest wait for one channel's delivery before it counts as failed.
const SEND_TIMEOUT: Duration = Duration::from_secs(60);
/// The error rate is averaged over this many minutes.
const RATE_MINUTES: i64 = 5;

/// `scandyctl watch [--once] [--json]`.
pub async fn run(global: &GlobalArgs, once: bool, json: bool) -> Result<i32> {
    let loaded = load(&global.overrides(), &LoadContext::from_process())?;
    let file = loaded.file.as_deref();
    let rules = match load_rules(file) {
        Ok(rules) => rules,
        Err(err) => {
            eprintln!("scandyctl: {err}");
            return Ok(crate::exit::CONFIG);
        }
    };
    let notify = match load_notify(file) {
        Ok(notify) => notify,
        Err(err) => {
            eprintln!("scandyctl: {err}");
            return Ok(crate::exit::CONFIG);
        }
    };
    if once {
        run_once(loaded.config, rules, json).await
    } else {
        watch(loaded.config, rules, notify).await
    }
}

/// A signal that could not be sampled, and why (shown by `--once`).
#[derive(Debug, Clone, PartialEq, Serialize)]
struct Unavailable {
    /// Which signal.
    signal: &'static str,
    /// Why it is missing.
    reason: String,
}

/// The JSON of `watch --once --json`.
#[derive(Debug, Serialize)]
struct OnceReport<'a> {
    /// When the sample was taken.
    checked_at: DateTime<Utc>,
    /// Enabled rules.
    rules: usize,
    /// Active alerts, critical first.
    alerts: &'a [ActiveAlert],
    /// Signals that were not sampled (their rules neither fired nor cleared).
    unavailable: &'a [Unavailable],
}

/// One evaluation; `for_seconds` is ignored so a single sample can fire every rule.
async fn run_once(config: Config, rules: Vec<AlertRule>, json: bool) -> Result<i32> {
    let rules: Vec<AlertRule> = rules
        .into_iter()
        .map(|rule| AlertRule {
            for_seconds: 0,
            ..rule
        })
        .collect();
    let enabled = rules.iter().filter(|r| r.enabled).count();
    let mut engine = AlertEngine::new(rules);
    let mut sources = SignalSources::new(config.clone());
    let gather = async {
        // The CPU needs a second reading; the other probes run meanwhile.
        tokio::time::sleep(Duration::from_secs(1)).await;
        sources.gather().await
    };
    let ((mut signals, mut unavailable), rate) = tokio::join!(gather, once_error_rate(&config));
    match rate {
        Ok(rate) => signals.errors_per_minute = Some(rate),
        Err(reason) => unavailable.push(Unavailable {
            signal: "error_rate",
            reason,
        }),
    }
    let now = Utc::now();
    let alerts = engine.evaluate(&signals, now);
    if json {
        let report = OnceReport {
            checked_at: now,
            rules: enabled,
            alerts: &alerts,
            unavailable: &unavailable,
        };
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_alerts(&alerts, enabled, &unavailable);
    }
    Ok(if alerts.is_empty() {
        crate::exit::OK
    } else {
        ALERTS_ACTIVE
    })
}

/// The text output of `watch --once`.
fn print_alerts(alerts: &[ActiveAlert], rules: usize, unavailable: &[Unavailable]) {
    if alerts.is_empty() {
        println!("no active alerts ({rules} rules checked)");
    }
    for alert in alerts {
        println!(
            "{:<8} {:<20} {}",
            priority_name(alert.priority).to_uppercase(),
            alert.id,
            alert.title
        );
        println!("{:<8} {:<20} {}", "", "", alert.summary);
    }
    for missing in unavailable {
        println!("not checked: {}: {}", missing.signal, missing.reason);
    }
}

/// Error entries per minute over the last minutes, counted in the current log files.
async fn once_error_rate(config: &Config) -> Result<f64, String> {
    let sources = file_sources(config);
    if sources.is_empty() {
        return Err("no log files found (logs.files)".into());
    }
    let since = chrono::Local::now().naive_local() - chrono::Duration::minutes(RATE_MINUTES);
    let filter = EntryFilter {
        min_level: Some(Level::Error),
        sources: None,
        since: Some(since),
        until: None,
        pattern: None,
    };
    let counted = tokio::task::spawn_blocking(move || {
        let mut errors = 0u64;
        let mut problems = Vec::new();
        for source in &sources {
            match count_matching(&source.path, source.id, &filter) {
                Ok(count) => errors += count.matching,
                Err(err) => problems.push(err.to_string()),
            }
        }
        (errors, problems, sources.len())
    })
    .await;
    match counted {
        Ok((_, problems, total)) if problems.len() == total => Err(problems.join("; ")),
        Ok((errors, _, _)) => Ok(errors as f64 / RATE_MINUTES as f64),
        Err(err) => Err(format!("counting failed: {err}")),
    }
}

/// The headless watcher: evaluates until Ctrl-C / SIGTERM (exit 0).
async fn watch(config: Config, rules: Vec<AlertRule>, notify: NotifyConfig) -> Result<i32> {
    let cancel = cancel_on_signal();
    let period = Duration::from_millis(u64::from(config.system.refresh_ms)).max(MIN_PERIOD);
    let host = hostname::get()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "localhost".into());
    let channels: Vec<&str> = notify.channels.iter().map(|c| c.name.as_str()).collect();
    log(&format!(
        "watch started: {} rules, every {} s, notify channels: {}",
        rules.iter().filter(|r| r.enabled).count(),
        period.as_secs(),
        if channels.is_empty() {
            "none (log only)".to_string()
        } else {
            channels.join(", ")
        }
    ));
    let mut engine = AlertEngine::new(rules);
    let mut escalator = Escalator::new(&notify);
    let mut attempts: BTreeMap<(String, String), u32> = BTreeMap::new();
    let mut sources = SignalSources::new(config.clone());
    let errors = ErrorRate::start(&config);
    let mut previous: Vec<ActiveAlert> = Vec::new();
    let mut ticker = tokio::time::interval(period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = ticker.tick() => {}
        }
        let gathered = tokio::select! {
            _ = cancel.cancelled() => break,
            gathered = sources.gather() => gathered,
        };
        let (mut signals, _) = gathered;
        signals.errors_per_minute = errors.as_ref().map(|e| e.per_minute(Utc::now()));
        let now = Utc::now();
        let active = engine.evaluate(&signals, now);
        log_changes(&previous, &active);
        let incidents: Vec<ActiveIncident> = active
            .iter()
            .map(|a| ActiveIncident {
                id: a.id.clone(),
                priority: a.priority,
                title: a.title.clone(),
                summary: a.summary.clone(),
            })
            .collect();
        let outgoing = escalator.update(&incidents, now, &host);
        let sends = outgoing.iter().map(|out| {
            let channel = notify.channel(&out.channel);
            async move {
                let Some(channel) = channel else {
                    return Err(ChannelError::new(
                        &out.channel,
                        "no such channel in [notify]",
                        &[],
                    ));
                };
                match tokio::time::timeout(SEND_TIMEOUT, send(channel, &out.notification)).await {
                    Ok(result) => result,
                    Err(_) => Err(ChannelError::new(
                        &channel.name,
                        format!("no answer within {} s", SEND_TIMEOUT.as_secs()),
                        &[],
                    )),
                }
            }
        });
        let results = tokio::select! {
            _ = cancel.cancelled() => break,
            results = futures::future::join_all(sends) => results,
        };
        let now = Utc::now();
        for (out, result) in outgoing.iter().zip(results) {
            let key = (out.channel.clone(), out.notification.incident.clone());
            match &result {
                Ok(()) => {
                    attempts.remove(&key);
                    log(&format!(
                        "notify {} sent: {} {}",
                        out.channel,
                        out.notification.status.as_str(),
                        out.notification.incident
                    ));
                }
                Err(err) => {
                    let tries = attempts.entry(key).or_insert(0);
                    *tries += 1;
                    let retry = crate::notify::escalation::backoff(*tries);
                    log(&format!(
                        "notify {} failed: {} (retry in {} s)",
                        out.channel,
                        err.message,
                        retry.num_seconds()
                    ));
                }
            }
            escalator.delivered(out, result, now);
        }
        // Failure counts of incidents that closed are no longer needed.
        let open = escalator.open_incidents();
        attempts.retain(|(_, incident), _| open.contains(incident));
        previous = active;
    }
    log("watch stopped");
    Ok(crate::exit::OK)
}

/// One line on stdout (journald adds the time); control characters escaped.
fn log(line: &str) {
    println!("{}", escape_controls(line));
}

/// Logs the alerts that fired, changed level or resolved since the previous evaluation.
fn log_changes(previous: &[ActiveAlert], active: &[ActiveAlert]) {
    for alert in active {
        let event = match previous.iter().find(|p| p.id == alert.id) {
            None => "firing",
            Some(p) if p.priority < alert.priority => "escalated",
            Some(p) if p.priority > alert.priority => "de-escalated",
            Some(_) => continue,
        };
        log(&format!(
            "alert {event}: {} {} {}",
            alert.id,
            priority_name(alert.priority),
            alert.title
        ));
    }
    for gone in previous
        .iter()
        .filter(|p| !active.iter().any(|a| a.id == p.id))
    {
        log(&format!("alert resolved: {} {}", gone.id, gone.title));
    }
}

/// What the backup directory said at the last scan.
#[derive(Debug, Clone)]
struct BackupState {
    scanned: Instant,
    age: Option<Option<chrono::Duration>>,
    verify_failed: Option<String>,
    problem: Option<String>,
}

/// Everything that samples signals, kept between evaluations (CPU baseline, MongoDB client).
struct SignalSources {
    config: Config,
    system: Option<SystemSampler>,
    http: reqwest::Client,
    mongo: Option<mongodb::Client>,
    backups: Option<BackupState>,
}

impl SignalSources {
    fn new(config: Config) -> Self {
        let paths = WatchedPaths {
            backup_dir: config.resolve(&config.backup.dir),
            mongo_data: mongo_data_dir(Path::new("/etc/mongod.conf")),
            scandy_root: config.scandy.root.clone(),
        };
        SignalSources {
            system: Some(SystemSampler::new(paths)),
            http: probe_client(),
            mongo: None,
            backups: None,
            config,
        }
    }

    /// Samples everything but the error rate; missing signals come with a reason.
    async fn gather(&mut self) -> (Signals, Vec<Unavailable>) {
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
        let health_url = self.config.web.health_url.clone();
        let http = self.http.clone();
        let health = async move {
            if health_url.trim().is_empty() {
                return None;
            }
            let probe = probe_health(&http, &health_url, HEALTH_TIMEOUT).await;
            Some(if probe.healthy {
                Ok(())
            } else {
                Err(probe.detail)
            })
        };
        let uri = self.config.mongo.uri.clone();
        let client = self.mongo.take();
        let mongo = probe_mongo(uri, client);
        let backups = self.scan_backups();
        let (system, health, (mongo, client), backups) =
            tokio::join!(system, health, mongo, backups);
        self.mongo = client;
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
                    let newest = inventory
                        .sets
                        .iter()
                        .find(|s| s.kind != BackupKind::PreRestore);
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

/// Pings MongoDB with the kept client (or a new one); the client is kept only while it works.
async fn probe_mongo(
    uri: String,
    client: Option<mongodb::Client>,
) -> (MongoSignal, Option<mongodb::Client>) {
    let timeouts = ProbeTimeouts::default();
    let client = match client {
        Some(client) => client,
        None => match probe::connect(&uri, timeouts).await {
            Ok(client) => client,
            Err(failure) => return (mongo_failure(failure), None),
        },
    };
    match probe::ping(&client, &uri, timeouts).await {
        Ok(_) => (MongoSignal::Ok, Some(client)),
        Err(failure) => (mongo_failure(failure), None),
    }
}

/// A failed probe as a signal (its detail is already redacted).
fn mongo_failure(failure: probe::ProbeFailure) -> MongoSignal {
    match failure.kind {
        FailureKind::Auth => MongoSignal::AuthFailed(failure.detail),
        _ => MongoSignal::Unreachable(failure.detail),
    }
}

/// Counts error entries as the log watcher reports them, in one-minute buckets.
struct ErrorRate {
    buckets: Arc<Mutex<BTreeMap<i64, u64>>>,
    task: tokio::task::JoinHandle<()>,
}

impl ErrorRate {
    /// Follows the configured log files; `None` when there are none.
    fn start(config: &Config) -> Option<ErrorRate> {
        let sources = file_sources(config);
        if sources.is_empty() {
            log("error rate: no log files found (logs.files); the error_rate rule stays quiet");
            return None;
        }
        let buckets: Arc<Mutex<BTreeMap<i64, u64>>> = Arc::default();
        let counted = buckets.clone();
        let sink = move |event: LogEvent| {
            let LogEvent::Appended(entries) = event else {
                return;
            };
            let errors = entries
                .iter()
                .filter(|e| e.level.is_some_and(|l| l >= Level::Error))
                .count() as u64;
            if errors == 0 {
                return;
            }
            let minute = Utc::now().timestamp().div_euclid(60);
            let mut map = counted
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            *map.entry(minute).or_insert(0) += errors;
            map.retain(|m, _| *m > minute - RATE_MINUTES);
        };
        let sizes = WatchSizes {
            initial_lines: 0,
            older_lines: 0,
        };
        let task = tokio::spawn(async move {
            let (requests_tx, requests) = tokio::sync::mpsc::unbounded_channel();
            // Keeps the request channel open for as long as the watcher runs.
            let _requests = requests_tx;
            watch_logs(sources, Vec::new(), sizes, requests, Arc::new(sink)).await;
        });
        Some(ErrorRate { buckets, task })
    }

    /// Errors per minute over the last [`RATE_MINUTES`] minutes.
    fn per_minute(&self, now: DateTime<Utc>) -> f64 {
        let minute = now.timestamp().div_euclid(60);
        let map = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let errors: u64 = map
            .range(minute - RATE_MINUTES + 1..=minute)
            .map(|(_, n)| n)
            .sum();
        errors as f64 / RATE_MINUTES as f64
    }
}

impl Drop for ErrorRate {
    fn drop(&mut self) {
        self.task.abort();
    }
}
