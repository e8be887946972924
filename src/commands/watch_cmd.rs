//! `scandyctl watch`: samples the machine, Scandy, MongoDB, the backups and the logs,
//! evaluates the `[[alerts]]` rules and notifies through `[notify]`; one log line per event.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use color_eyre::eyre::Result;
use serde::Serialize;

use super::backup_cmd::cancel_on_signal;
use super::watch_signals::SignalSources;
use crate::alerts::{ActiveAlert, AlertEngine, AlertRule, load_rules, priority_name};
use crate::cli::GlobalArgs;
use crate::config::{Config, LoadContext, load};
use crate::logs::entry::Level;
use crate::logs::filter::EntryFilter;
use crate::logs::scan::count_matching;
use crate::logs::sources::file_sources;
use crate::logs::watch::{LogEvent, WatchSizes, watch_logs};
use crate::notify::{ActiveIncident, ChannelError, Escalator, NotifyConfig, load_notify, send};
use crate::sanitize::escape_controls;
use crate::system::http_probe::HealthProbe;
use crate::system::sample_log::{HistoryPoint, POINT_INTERVAL, append_point};

/// Exit code of `watch --once` when any alert is active (like a check that found problems).
const ALERTS_ACTIVE: i32 = crate::exit::VERIFY_FAILED;
/// Evaluations happen at most this often, whatever `system.refresh_ms` says.
const MIN_PERIOD: Duration = Duration::from_secs(5);
/// Longest wait for one channel's delivery before it counts as failed.
const SEND_TIMEOUT: Duration = Duration::from_secs(60);
/// The error rate is averaged over this many minutes.
const RATE_MINUTES: i64 = 5;

/// `scandyctl watch [--once] [--json]`.
pub async fn run(
    global: &GlobalArgs,
    once: bool,
    json: bool,
    metrics_listen: Option<String>,
) -> Result<i32> {
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
    let exports = Exports::new(loaded.file.clone(), metrics_listen.as_deref())?;
    if once {
        run_once(loaded.config, rules, json, exports).await
    } else {
        watch(loaded.config, rules, notify, exports).await
    }
}

/// What `watch` exports besides notifications: the schedule signals it reads, the metrics
/// text file and the `/metrics` endpoint.
struct Exports {
    config_file: Option<std::path::PathBuf>,
    served: Option<crate::metrics::server::MetricsText>,
}

impl Exports {
    fn new(config_file: Option<std::path::PathBuf>, listen: Option<&str>) -> Result<Exports> {
        let served = match listen {
            Some(addr) => {
                let text = crate::metrics::server::MetricsText::default();
                let bound = crate::metrics::serve_metrics(addr, text.clone())?;
                log(&format!("metrics: serving http://{bound}/metrics"));
                Some(text)
            }
            None => None,
        };
        Ok(Exports {
            config_file,
            served,
        })
    }

    /// Adds the failed and missed scheduled runs to `signals`.
    fn schedule_signals(&self, signals: &mut crate::alerts::Signals, now: DateTime<Utc>) {
        let state_dir = crate::state::state_dir();
        if let Ok(Some(glance)) =
            crate::schedule::summary::load_glance(self.config_file.as_deref(), &state_dir, now)
        {
            signals.schedule_failed = glance.failed().map(String::from);
            signals.schedule_missed = glance.missed_text();
        }
    }

    /// Refreshes `/metrics` and the metrics text file after an evaluation.
    fn publish(
        &self,
        config: &Config,
        signals: &crate::alerts::Signals,
        alerts: &[ActiveAlert],
        now: DateTime<Utc>,
    ) {
        let live = crate::metrics::Live {
            mongodb_up: signals
                .mongo
                .as_ref()
                .map(|m| *m == crate::alerts::MongoSignal::Ok),
            health_up: signals.health.as_ref().map(Result::is_ok),
            alerts: Some(
                alerts
                    .iter()
                    .map(|a| (a.rule.clone(), a.priority))
                    .collect(),
            ),
        };
        let file = self.config_file.as_deref();
        if let Some(served) = &self.served
            && let Ok(mut text) = served.lock()
        {
            *text = crate::metrics::render_metrics(config, file, &live, now);
        }
        if let Err(err) = crate::metrics::refresh_textfile(config, file, &live, now) {
            log(&format!("warning: metrics: {err:#}"));
        }
    }
}

/// A signal that could not be sampled, and why (shown by `--once`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(super) struct Unavailable {
    /// Which signal.
    pub signal: &'static str,
    /// Why it is missing.
    pub reason: String,
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
    /// Scandy's web app: the port check or the `/health` answer (`null` without a URL).
    health: Option<&'a HealthProbe>,
}

/// One evaluation; `for_seconds` is ignored so a single sample can fire every rule.
async fn run_once(
    config: Config,
    rules: Vec<AlertRule>,
    json: bool,
    exports: Exports,
) -> Result<i32> {
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
    exports.schedule_signals(&mut signals, now);
    let alerts = engine.evaluate(&signals, now);
    exports.publish(&config, &signals, &alerts, now);
    HistoryRecorder::default()
        .record(&signals, &sources, now)
        .await;
    if json {
        let report = OnceReport {
            checked_at: now,
            rules: enabled,
            alerts: &alerts,
            unavailable: &unavailable,
            health: sources.last_health.as_ref(),
        };
        println!("{}", crate::sanitize::to_json_pretty(&report)?);
    } else {
        print_alerts(&alerts, enabled, &unavailable);
        if let Some(probe) = &sources.last_health {
            println!("health: {}", health_state(probe));
        }
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
async fn watch(
    config: Config,
    rules: Vec<AlertRule>,
    notify: NotifyConfig,
    exports: Exports,
) -> Result<i32> {
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
    let mut last_health_state: Option<String> = None;
    // The first sample's CPU reading has no baseline: history starts with the second.
    let mut history = HistoryRecorder {
        skip_first: true,
        ..HistoryRecorder::default()
    };
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
        if let Some(probe) = &sources.last_health {
            let state = health_state(probe);
            if last_health_state.as_deref() != Some(state.as_str()) {
                log(&format!("health: {state}"));
                last_health_state = Some(state);
            }
        }
        signals.errors_per_minute = errors.as_ref().map(|e| e.per_minute(Utc::now()));
        let now = Utc::now();
        exports.schedule_signals(&mut signals, now);
        if history.due() {
            history.record(&signals, &sources, now).await;
        }
        let active = engine.evaluate(&signals, now);
        exports.publish(&config, &signals, &active, now);
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

/// The web app's state in words: `up`, `up, rate-limited: …` or `down: …` (logged on change).
fn health_state(probe: &HealthProbe) -> String {
    if !probe.healthy {
        format!("down: {}", probe.detail)
    } else if probe.rate_limited {
        if probe.via == crate::system::http_probe::ProbeVia::Request {
            probe.detail.clone()
        } else {
            "up, rate-limited (waiting for Retry-After)".to_string()
        }
    } else {
        "up".to_string()
    }
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

/// Appends a point to the long-term history at most every [`POINT_INTERVAL`]; a failed
/// write is logged (once until writing works again) and never stops the watcher.
#[derive(Default)]
struct HistoryRecorder {
    /// When the last point was taken.
    last: Option<std::time::Instant>,
    /// Whether the last write failed (so the failure is logged once).
    failing: bool,
    /// Leave out the next sample (its CPU reading has no baseline yet).
    skip_first: bool,
}

impl HistoryRecorder {
    /// Whether a point is due.
    fn due(&self) -> bool {
        self.last.is_none_or(|t| t.elapsed() >= POINT_INTERVAL)
    }

    /// Builds a point from this evaluation's samples (no extra request) and appends it.
    async fn record(
        &mut self,
        signals: &crate::alerts::Signals,
        sources: &SignalSources,
        at: DateTime<Utc>,
    ) {
        if std::mem::take(&mut self.skip_first) {
            return;
        }
        self.last = Some(std::time::Instant::now());
        let (Some(cpu), Some(memory)) = (signals.cpu_percent, signals.memory_used_percent) else {
            return;
        };
        let health = sources.last_health.as_ref();
        let point = HistoryPoint {
            at,
            cpu_percent: cpu as f32,
            memory_used_percent: memory as f32,
            load1: Some(sysinfo::System::load_average().one as f32),
            health_ok: health.map(|p| p.healthy),
            health_ms: health
                .filter(|p| p.via == crate::system::http_probe::ProbeVia::Request)
                .and_then(|p| u64::try_from(p.latency.as_millis()).ok()),
            mongo_ok: signals
                .mongo
                .as_ref()
                .map(|m| *m == crate::alerts::MongoSignal::Ok),
            mongo_ms: sources.last_mongo_ms,
            db_data_bytes: None,
            disk_used_percent: signals
                .disks
                .iter()
                .map(|(_, used)| *used as f32)
                .reduce(f32::max),
        };
        let state_dir = crate::state::state_dir();
        let written = tokio::task::spawn_blocking(move || append_point(&state_dir, &point))
            .await
            .unwrap_or_else(|err| Err(color_eyre::eyre::eyre!("the writer failed: {err}")));
        match written {
            Ok(()) if std::mem::take(&mut self.failing) => log("history: writing points again"),
            Err(err) if !self.failing => {
                self.failing = true;
                log(&format!(
                    "warning: history: {err:#} (watch goes on without it)"
                ));
            }
            _ => {}
        }
    }
}
