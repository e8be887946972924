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
use super::checklist_runner::ChecklistRunner;
use super::event::run_input;
use super::job_runner::JobRunner;
use super::recovery_runner::RecoveryRunner;
use super::render::draw;
use super::state::{FRAME_INTERVAL, InstallSummary, State, update};
use super::tabs::checklists::view::{ChecklistsCommand, ChecklistsView};
use super::tabs::recovery::view::{Busy, RecoveryCommand};
use super::terminal::{self, RestoreGuard};
use super::watchers::{
    DatabaseTarget, save_logs, system_refresh, watch_backup_space, watch_database,
    watch_mongo_load, watch_system,
};
use crate::alerts::{AlertEngine, load_rules};
use crate::config::Config;
use crate::i18n::Lang;
use crate::i18n::Msg;
use crate::jobs::launch::Launcher;
use crate::jobs::watch::watch_jobs;
use crate::logs::sources::{command_sources, file_sources};
use crate::logs::watch::{LogRequest, WatchSizes, watch_logs};
use crate::mongo::monitor::{MonitorSettings, run_monitor};
use crate::ui::tab::Tab;
use crate::ui::tabs::logs::view::{LogsView, SourceInfo};
use crate::ui::tabs::system::view::SystemView;

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
    // The demo sandbox keeps its jobs to itself: they must not turn up in a real console.
    let jobs_dir = if ctx.install.root_source == crate::config::ValueSource::Demo {
        ctx.install.root.join(".scandyctl-state/jobs")
    } else {
        crate::jobs::detached::jobs_dir()
    };
    let launcher = Launcher::for_this_binary(jobs_dir.clone()).map_err(|err| format!("{err:#}"));
    let mut runner = JobRunner::new(ctx.config.clone(), tx.clone(), jobs_dir.clone(), launcher);
    let actor = crate::maintenance_log::actor();
    let (step_context, problems) = crate::recovery::console_support::step_context(
        &ctx.config,
        ctx.install.config_file.clone(),
        actor.clone(),
    );
    for problem in problems {
        state
            .errors
            .push((Msg::RcTitle.text(ctx.lang).to_string(), problem));
    }
    let recovery_dir = if ctx.install.root_source == crate::config::ValueSource::Demo {
        ctx.install.root.join(".scandyctl-state")
    } else {
        crate::state::state_dir()
    };
    let checklists = checklist_runner(&ctx, recovery_dir.clone(), &mut state, tx.clone());
    let recovery = RecoveryRunner::new(step_context, recovery_dir, jobs_dir.clone(), tx.clone());
    state.recovery.actor = actor;
    state.recovery.busy = Some(Busy::Loading);
    recovery.run(RecoveryCommand::Load);
    let (log_requests, log_request_rx) = unbounded_channel::<LogRequest>();
    let refresh_database = Arc::new(Notify::new());
    let database_visible = Arc::new(AtomicBool::new(false));
    let system_visible = Arc::new(AtomicBool::new(false));
    let checklists_refresh = checklists.refresh_loop();
    let effects = Effects {
        recovery,
        checklists,
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
            watch_backup_space(
                ctx.install.backup_dir.clone(),
                crate::backup::legacy::scan::legacy_dirs(&ctx.config),
                ctx.install.root.clone(),
                ctx.install.config_file.clone(),
                tx.clone(),
                rescan.clone(),
            ),
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
    tasks.push(spawn_supervised(
        "checklists refresh",
        tx.clone(),
        checklists_refresh,
    ));
    tasks.push(spawn_supervised("job watcher", tx.clone(), {
        let tx = tx.clone();
        watch_jobs(
            jobs_dir,
            Arc::new(move |event| {
                let _ = tx.send(Action::Worker(event));
            }),
        )
    }));
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
    let detached = state
        .jobs
        .iter()
        .filter(|j| j.is_running() && j.is_detached())
        .count();
    runner.shutdown(SHUTDOWN_GRACE).await;
    for task in tasks {
        task.abort();
    }
    drop(term);
    terminal::restore();
    if detached > 0 {
        eprintln!(
            "{}",
            Msg::JobsRunOn.fill(state.lang, &[&detached.to_string()])
        );
    }
    outcome
}

/// How long quitting waits for cancelled jobs to clean up.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Wake-ups the loop can give its background tasks.
struct Effects {
    recovery: RecoveryRunner,
    checklists: ChecklistRunner,
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
            Command::StartJob { id, spec } => {
                if let Some(action) = runner.start(id, spec) {
                    apply(state, action, effects, runner);
                }
            }
            Command::CancelJob(id) => runner.cancel(id),
            Command::CancelWorker { id, key } => runner.cancel_worker(id, key),
            Command::DismissJobs(keys) => runner.dismiss(keys),
            Command::PlanRestore(request) => runner.plan_restore(request),
            Command::RefreshDatabase => effects.refresh_database.notify_one(),
            Command::RunHealthChecks => runner.run_health_checks(),
            Command::LoadOlderLogs => {
                let _ = effects.log_requests.send(LogRequest::Older);
            }
            Command::SaveLogs { path, text, count } => {
                save_logs(effects.tx.clone(), path, text, count);
            }
            Command::Recovery(command) => effects.recovery.run(command),
            Command::Checklists(command) => effects.checklists.run(command),
        }
    }
}

/// The Checklists tab's runner for the console's install (state in `state_dir`), its view
/// in `state` and the first read of the state; a bad `[checklists]` section is shown and
/// the defaults apply.
fn checklist_runner(
    ctx: &ConsoleContext,
    state_dir: PathBuf,
    state: &mut State,
    tx: UnboundedSender<Action>,
) -> ChecklistRunner {
    let config = (*ctx.config).clone();
    let file = ctx.install.config_file.clone();
    let context = match crate::checks::CheckContext::load(
        config.clone(),
        file.clone(),
        state_dir.clone(),
        ctx.lang,
    ) {
        Ok(context) => context,
        Err(err) => {
            state.errors.push((
                Msg::CkSettingsError.text(ctx.lang).to_string(),
                format!("{err:#}; the default checklists apply"),
            ));
            crate::checks::CheckContext {
                config,
                config_file: file,
                state_dir,
                settings: Default::default(),
                lang: ctx.lang,
            }
        }
    };
    let rule_file = context
        .settings
        .logrotate_dir
        .join(crate::checks::logrotate::RULE_FILE_NAME);
    let rule = crate::checks::logrotate::logrotate_rule(&context.config);
    let runner = ChecklistRunner::new(context, tx);
    state.checklists = ChecklistsView::new(runner.items());
    state.checklists.logrotate = Some((rule_file, rule));
    runner.run(ChecklistsCommand::Load);
    runner
}

async fn sleep_until_opt(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
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
