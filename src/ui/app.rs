//! The console's event loop: one channel of actions, a pure update, throttled redraws.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use color_eyre::eyre::{Result, WrapErr};
use tokio::sync::Notify;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use tokio::task::AbortHandle;

use super::action::{Action, Command};
use super::event::run_input;
use super::job_runner::JobRunner;
use super::render::draw;
use super::state::{FRAME_INTERVAL, InstallSummary, State, update};
use super::terminal::{self, RestoreGuard};
use crate::alerts::{AlertEngine, load_rules};
use crate::backup::snapshot::scan_snapshot;
use crate::config::Config;
use crate::i18n::Lang;
use crate::i18n::Msg;
use crate::logs::sources::{command_sources, file_sources};
use crate::logs::watch::{LogRequest, WatchSizes, watch_logs};
use crate::mongo::monitor::{MonitorSettings, run_monitor};
use crate::mongo::probe::{ProbeTimeouts, connect};
use crate::mongo::sample::{DatabaseSample, PreviousCounters, sample_database};
use crate::system::disk::disk_space;
use crate::ui::tab::Tab;
use crate::ui::tabs::logs::view::{LogsView, SourceInfo};
use crate::ui::tabs::system::view::SystemView;

/// How often the backup directory's free space is measured.
pub const DISK_INTERVAL: Duration = Duration::from_secs(10);

/// How often the Database tab is sampled while it is shown.
pub const DATABASE_INTERVAL: Duration = Duration::from_secs(5);

/// Longest time one database sample may take before it is reported as failed.
pub const SAMPLE_TIMEOUT: Duration = Duration::from_secs(20);

/// Everything the console needs to start.
#[derive(Debug, Clone)]
pub struct ConsoleContext {
    /// Display language.
    pub lang: Lang,
    /// The install shown (URI redacted).
    pub install: InstallSummary,
    /// The real connection string for the monitor (never displayed).
    pub mongo_uri: String,
    /// The whole configuration, for backup jobs (never displayed).
    pub config: Arc<Config>,
    /// Where exports go by default.
    pub export_dir: PathBuf,
    /// Test hook: `ui` panics on the console thread, `task` in a background task.
    pub debug_panic: Option<String>,
}

/// Runs the console until the user quits; the terminal is restored on every exit path.
pub async fn run(ctx: ConsoleContext) -> Result<()> {
    terminal::install_panic_hook();
    let mut term = terminal::init().wrap_err("cannot set up the terminal")?;
    let _restore = RestoreGuard;
    let size = term.size().wrap_err("cannot read the terminal size")?;
    let mut state = State::new(
        ctx.lang,
        ctx.install.clone(),
        Instant::now(),
        (size.width, size.height),
    );
    term.draw(|frame| draw(frame, &state))
        .wrap_err("cannot draw")?;
    state.retention = ctx.config.backup.retention;
    state.export_dir = ctx.export_dir.clone();
    let log_sources = file_sources(&ctx.config);
    let first_command = u16::try_from(log_sources.len()).unwrap_or(u16::MAX);
    let log_commands = command_sources(&ctx.config, first_command);
    state.logs = LogsView::new(ctx.config.logs.max_entries as usize);
    state.system = SystemView::new(system_refresh(&ctx.config));
    match load_rules(ctx.install.config_file.as_deref()) {
        Ok(rules) => state.alert_engine = AlertEngine::new(rules),
        Err(err) => state.errors.push((
            Msg::AlertsRulesError.text(ctx.lang).to_string(),
            format!("{err}; the default rules apply"),
        )),
    }
    state.logs.sources = log_sources
        .iter()
        .map(|s| (s.id, s.name.clone()))
        .chain(log_commands.iter().map(|c| (c.id, c.name())))
        .map(|(id, name)| SourceInfo {
            id,
            name,
            problem: None,
        })
        .collect();
    state.dirty = false;
    let mut last_draw = Instant::now();

    let (tx, mut rx) = unbounded_channel::<Action>();
    let wake = Arc::new(Notify::new());
    let rescan = Arc::new(Notify::new());
    let mut runner = JobRunner::new(ctx.config.clone(), tx.clone());
    let (log_requests, log_request_rx) = unbounded_channel::<LogRequest>();
    let refresh_database = Arc::new(Notify::new());
    let database_visible = Arc::new(AtomicBool::new(false));
    let system_visible = Arc::new(AtomicBool::new(false));
    let effects = Effects {
        wake: wake.clone(),
        rescan: rescan.clone(),
        refresh_database: refresh_database.clone(),
        database_visible: database_visible.clone(),
        system_visible: system_visible.clone(),
        log_requests,
        tx: tx.clone(),
    };
    let mut tasks = vec![
        spawn_supervised("terminal input", tx.clone(), run_input(tx.clone())),
        spawn_supervised("MongoDB monitor", tx.clone(), {
            let tx = tx.clone();
            run_monitor(
                MonitorSettings::new(ctx.mongo_uri.clone()),
                wake.clone(),
                move |s| {
                    let _ = tx.send(Action::Mongo(s));
                },
            )
        }),
        spawn_supervised(
            "backup directory space",
            tx.clone(),
            watch_backup_space(ctx.install.backup_dir.clone(), tx.clone(), rescan.clone()),
        ),
        spawn_supervised("log watcher", tx.clone(), {
            let tx = tx.clone();
            watch_logs(
                log_sources,
                log_commands,
                WatchSizes::default(),
                log_request_rx,
                Arc::new(move |event| {
                    let _ = tx.send(Action::Log(event));
                }),
            )
        }),
        spawn_supervised(
            "system sampler",
            tx.clone(),
            watch_system(ctx.config.clone(), tx.clone(), system_visible.clone()),
        ),
        spawn_supervised(
            "MongoDB load",
            tx.clone(),
            watch_mongo_load(ctx.mongo_uri.clone(), tx.clone(), system_visible),
        ),
        spawn_supervised(
            "database sampler",
            tx.clone(),
            watch_database(
                DatabaseTarget {
                    uri: ctx.mongo_uri.clone(),
                    database: ctx.config.mongo.database.clone(),
                },
                tx.clone(),
                refresh_database,
                database_visible,
            ),
        ),
    ];
    match ctx.debug_panic.as_deref() {
        Some("task") => tasks.push(spawn_supervised("debug task", tx.clone(), async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            panic!("deliberate panic in a background task (SCANDYCTL_DEBUG_PANIC=task)");
        })),
        Some("ui") => panic!("deliberate panic on the console thread (SCANDYCTL_DEBUG_PANIC=ui)"),
        _ => {}
    }

    let outcome = loop {
        let deadline = state
            .dirty
            .then(|| tokio::time::Instant::from_std(last_draw + FRAME_INTERVAL));
        tokio::select! {
            action = rx.recv() => match action {
                Some(action) => apply(&mut state, action, &effects, &mut runner),
                None => break Ok(()),
            },
            _ = sleep_until_opt(deadline) => {}
        }
        while let Ok(action) = rx.try_recv() {
            apply(&mut state, action, &effects, &mut runner);
        }
        if state.quit {
            break Ok(());
        }
        if state.dirty && last_draw.elapsed() >= FRAME_INTERVAL {
            if let Err(err) = term.draw(|frame| draw(frame, &state)) {
                break Err(err).wrap_err("cannot draw");
            }
            state.dirty = false;
            last_draw = Instant::now();
        }
    };
    runner.shutdown(SHUTDOWN_GRACE).await;
    for task in tasks {
        task.abort();
    }
    outcome
}

/// How long quitting waits for cancelled jobs to clean up.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Wake-ups the loop can give its background tasks.
struct Effects {
    wake: Arc<Notify>,
    rescan: Arc<Notify>,
    refresh_database: Arc<Notify>,
    database_visible: Arc<AtomicBool>,
    system_visible: Arc<AtomicBool>,
    log_requests: UnboundedSender<LogRequest>,
    tx: UnboundedSender<Action>,
}

fn apply(state: &mut State, action: Action, effects: &Effects, runner: &mut JobRunner) {
    let commands = update(state, action);
    effects
        .database_visible
        .store(state.tab == Tab::Database, Ordering::Relaxed);
    effects
        .system_visible
        .store(state.tab == Tab::System, Ordering::Relaxed);
    for command in commands {
        match command {
            Command::WakeMongoMonitor => effects.wake.notify_one(),
            Command::RescanBackups => effects.rescan.notify_one(),
            Command::StartJob { id, spec } => runner.start(id, spec),
            Command::CancelJob(id) => runner.cancel(id),
            Command::PlanRestore(request) => runner.plan_restore(request),
            Command::RefreshDatabase => effects.refresh_database.notify_one(),
            Command::RunHealthChecks => runner.run_health_checks(),
            Command::LoadOlderLogs => {
                let _ = effects.log_requests.send(LogRequest::Older);
            }
            Command::SaveLogs { path, text, count } => {
                save_logs(effects.tx.clone(), path, text, count);
            }
        }
    }
}

async fn sleep_until_opt(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

async fn watch_backup_space(dir: PathBuf, tx: UnboundedSender<Action>, rescan: Arc<Notify>) {
    loop {
        let path = dir.clone();
        let scanned = tokio::task::spawn_blocking(move || {
            let space = disk_space(&path).map_err(|err| format!("{err:#}"));
            let snapshot = scan_snapshot(&path, space.as_ref().ok(), chrono::Utc::now())
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
fn save_logs(tx: UnboundedSender<Action>, path: PathBuf, text: String, count: usize) {
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
async fn watch_system(config: Arc<Config>, tx: UnboundedSender<Action>, visible: Arc<AtomicBool>) {
    use crate::system::http_probe::{probe_client, probe_health};
    use crate::system::metrics::{SystemSampler, WatchedPaths, mongo_data_dir};
    use crate::system::services::{service_status, service_targets};
    let paths = WatchedPaths {
        backup_dir: config.resolve(&config.backup.dir),
        mongo_data: mongo_data_dir(std::path::Path::new("/etc/mongod.conf")),
        scandy_root: config.scandy.root.clone(),
    };
    let refresh = system_refresh(&config);
    let mut sampler = Some(SystemSampler::new(paths));
    let client = probe_client();
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
            let probe = probe_health(&client, &config.web.health_url, Duration::from_secs(5)).await;
            let _ = tx.send(Action::HealthProbed(probe));
        }
    }
}

/// Reads MongoDB's connections and operation counters every [`SERVICES_INTERVAL`] while
/// the System tab is shown.
async fn watch_mongo_load(uri: String, tx: UnboundedSender<Action>, visible: Arc<AtomicBool>) {
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
struct DatabaseTarget {
    uri: String,
    database: String,
}

/// Samples the database every [`DATABASE_INTERVAL`] while the Database tab is shown, and at
/// once when asked to.
async fn watch_database(
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

async fn sample_once(
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
fn redact_secrets(uri: &str, message: String) -> String {
    match crate::mongo::probe::password_of(uri) {
        Some(password) if !password.is_empty() => message.replace(&password, "****"),
        _ => message,
    }
}

/// Spawns `work`; if it panics, the failure reaches the console as [`Action::TaskFailed`].
pub fn spawn_supervised<F>(name: &'static str, tx: UnboundedSender<Action>, work: F) -> AbortHandle
where
    F: Future<Output = ()> + Send + 'static,
{
    let handle = tokio::spawn(work);
    let abort = handle.abort_handle();
    tokio::spawn(async move {
        if let Err(err) = handle.await
            && err.is_panic()
        {
            let payload = err.into_panic();
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panicked".into());
            let _ = tx.send(Action::TaskFailed {
                task: name.to_string(),
                message: format!("panicked: {message}"),
            });
        }
    });
    abort
}
