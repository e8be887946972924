//! Console state and the pure `update` function that changes it.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crossterm::event::{MouseButton, MouseEventKind};

use super::action::{Action, Command};
use super::alert_signals;
use super::db_actions;
use super::dialogs::Dialog;
use super::job_actions;
use super::keymap;
use super::log_actions;
use super::system_actions;
use super::tab::Tab;
use super::tabs::backups::view::{BackupsView, page_rows, visible_sets};
use super::tabs::checklists::update as checklists;
use super::tabs::checklists::view::ChecklistsView;
use super::tabs::database::view::DatabaseView;
use super::tabs::logs::view::LogsView;
use super::tabs::recovery::update as recovery;
use super::tabs::recovery::view::RecoveryView;
use super::tabs::system::view::SystemView;
use crate::alerts::{ActiveAlert, AlertEngine, default_rules};
use crate::backup::inventory::BackupOverview;
use crate::backup::retention::RetentionPolicy;
use crate::backup::snapshot::BackupsSnapshot;
use crate::config::ValueSource;
use crate::i18n::Lang;
use crate::jobs::{JobId, JobRecord};
use crate::mongo::health::CheckResult;
use crate::mongo::probe::ConnectionState;
use crate::mongo::sample::DatabaseSample;
use crate::system::disk::DiskSpace;

/// What kind of install the console is looking at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstallKindLabel {
    /// Native / LXC install with systemd.
    Native,
    /// Docker compose install.
    Docker,
    /// One instance of a multi-instance docker setup.
    MultiInstance(String),
    /// Not detected; values come from configuration.
    Configured,
}

/// The install shown on the Overview (no secrets: the URI is redacted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallSummary {
    /// Detected kind.
    pub kind: InstallKindLabel,
    /// Install directory.
    pub root: PathBuf,
    /// Where the root came from.
    pub root_source: ValueSource,
    /// Database name.
    pub database: String,
    /// Redacted connection string.
    pub uri_redacted: String,
    /// The config file in use, if any.
    pub config_file: Option<PathBuf>,
    /// The backup directory.
    pub backup_dir: PathBuf,
}

/// Where the data health checks of the Database tab stand.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum HealthStatus {
    /// Not run in this session.
    #[default]
    NotRun,
    /// Running now.
    Running,
    /// Finished.
    Done {
        /// One result per check.
        results: Vec<CheckResult>,
        /// When they finished.
        at: chrono::DateTime<chrono::Utc>,
    },
    /// Could not run.
    Failed(String),
}

impl HealthStatus {
    /// The results of the last run, if it finished.
    pub fn results(&self) -> &[CheckResult] {
        match self {
            HealthStatus::Done { results, .. } => results,
            _ => &[],
        }
    }
}

/// The whole console state; render functions read it, only `update` writes it.
#[derive(Debug, Clone)]
pub struct State {
    /// Display language.
    pub lang: Lang,
    /// The visible tab.
    pub tab: Tab,
    /// Whether the help overlay is open.
    pub help_open: bool,
    /// The install being managed.
    pub install: InstallSummary,
    /// Latest MongoDB connection state.
    pub mongo: ConnectionState,
    /// Latest measurement of the backup directory (None until the first one).
    pub backup_space: Option<Result<DiskSpace, String>>,
    /// Latest summary of the backup inventory (None until the first scan).
    pub backups: Option<Result<BackupOverview, String>>,
    /// Latest full scan of the backup directory for the Backups tab (None until the first).
    pub inventory: Option<Result<BackupsSnapshot, String>>,
    /// Filter, sort, selection and scroll of the Backups tab.
    pub backups_view: BackupsView,
    /// The backup schedule at a glance (`None`: not scheduled or not read yet).
    pub schedule: Option<Result<crate::schedule::summary::ScheduleGlance, String>>,
    /// Latest sample for the Database tab (None until the first one).
    pub database: Option<Result<Box<DatabaseSample>, String>>,
    /// Pane, sort and selections of the Database tab.
    pub database_view: DatabaseView,
    /// The data health checks.
    pub health: HealthStatus,
    /// A short notice on the Database tab (why a key did nothing), until the next key.
    pub database_notice: Option<String>,
    /// The Logs tab: entries, filter, selection.
    pub logs: LogsView,
    /// The System tab: samples, history, services, `/health`.
    pub system: SystemView,
    /// The Recovery tab: the open wizard and its drafts.
    pub recovery: RecoveryView,
    /// The Checklists tab: the checklists' state, the shown checklist, what runs.
    pub checklists: ChecklistsView,
    /// The alert rules with their state between samples.
    pub alert_engine: AlertEngine,
    /// The alerts firing now (Overview and the tab bar show them).
    pub alerts: Vec<ActiveAlert>,
    /// Failures of background tasks not yet dismissed (oldest first).
    pub errors: Vec<(String, String)>,
    /// Jobs started in this session, oldest first.
    pub jobs: Vec<JobRecord>,
    /// Number of the last job started.
    pub next_job: JobId,
    /// The open dialog, if any; it receives every key.
    pub dialog: Option<Dialog>,
    /// Retention rules for the prune preview.
    pub retention: RetentionPolicy,
    /// Where exports go by default (the directory the console was started in).
    pub export_dir: PathBuf,
    /// The clock as of the last tick.
    pub now: Instant,
    /// Terminal size.
    pub size: (u16, u16),
    /// Set when the loop should exit.
    pub quit: bool,
    /// Set when the screen must be redrawn.
    pub dirty: bool,
}

impl State {
    /// A fresh state showing the Overview while MongoDB is being contacted.
    pub fn new(lang: Lang, install: InstallSummary, now: Instant, size: (u16, u16)) -> State {
        State {
            lang,
            tab: Tab::Overview,
            help_open: false,
            install,
            mongo: ConnectionState::Connecting { attempt: 1 },
            backup_space: None,
            backups: None,
            inventory: None,
            backups_view: BackupsView::default(),
            schedule: None,
            database: None,
            database_view: DatabaseView::default(),
            health: HealthStatus::NotRun,
            database_notice: None,
            logs: LogsView::default(),
            system: SystemView::default(),
            recovery: RecoveryView::default(),
            checklists: ChecklistsView::default(),
            alert_engine: AlertEngine::new(default_rules()),
            alerts: Vec::new(),
            errors: Vec::new(),
            jobs: Vec::new(),
            next_job: 0,
            dialog: None,
            retention: RetentionPolicy::default(),
            export_dir: PathBuf::from("."),
            now,
            size,
            quit: false,
            dirty: true,
        }
    }

    /// The latest Backups tab snapshot, when the last scan succeeded.
    pub fn snapshot(&self) -> Option<&BackupsSnapshot> {
        self.inventory.as_ref().and_then(|r| r.as_ref().ok())
    }

    /// Table rows on screen on the Backups tab at the current size.
    pub fn backups_page(&self) -> usize {
        let rows = self
            .snapshot()
            .map_or(0, |s| visible_sets(s, &self.backups_view).len());
        page_rows(self.size, rows)
    }

    /// The latest Database tab sample, when the last one succeeded.
    pub fn sample(&self) -> Option<&DatabaseSample> {
        self.database
            .as_ref()
            .and_then(|r| r.as_ref().ok())
            .map(|b| b.as_ref())
    }

    /// Whole seconds until the next MongoDB attempt, when it is unreachable.
    pub fn retry_countdown(&self) -> Option<u64> {
        match &self.mongo {
            ConnectionState::Unreachable {
                retry_in,
                reported_at,
                ..
            } => {
                let elapsed = self.now.saturating_duration_since(*reported_at);
                let left = retry_in.saturating_sub(elapsed);
                Some(left.as_secs() + u64::from(left.subsec_nanos() > 0))
            }
            _ => None,
        }
    }
}

/// Applies one action; pure apart from the returned commands.
pub fn update(state: &mut State, action: Action) -> Vec<Command> {
    match action {
        Action::Tick(now) => {
            let before = state.retry_countdown();
            state.now = now;
            let spinning = checklists::on_tick(state);
            if state.retry_countdown() != before
                || state.jobs.iter().any(|j| j.is_running())
                || spinning
            {
                state.dirty = true;
            }
            Vec::new()
        }
        Action::Key(key) => {
            if key.kind != crossterm::event::KeyEventKind::Press {
                return Vec::new();
            }
            if state.dialog.is_some() {
                return job_actions::on_dialog_key(state, &key);
            }
            if state.tab == Tab::Logs && state.logs.prompt.is_some() {
                return log_actions::on_prompt_key(state, &key);
            }
            if state.tab == Tab::Recovery
                && state.recovery.input.is_some()
                && !recovery::is_ctrl_c(&key)
            {
                return super::tabs::recovery::input::on_input_key(state, &key);
            }
            if state.tab == Tab::Checklists
                && state.checklists.input.is_some()
                && !recovery::is_ctrl_c(&key)
            {
                return checklists::on_input_key(state, &key);
            }
            if state.database_notice.take().is_some() | state.logs.notice.take().is_some() {
                state.dirty = true;
            }
            match keymap::action_in(state.tab, &key) {
                Some(mapped) => update(state, mapped),
                None => Vec::new(),
            }
        }
        Action::Mouse(mouse) => {
            if let MouseEventKind::Down(MouseButton::Left) = mouse.kind
                && state.dialog.is_none()
                && let Some(tab) = tab_at(state.lang, mouse.column, mouse.row)
            {
                return update(state, Action::SelectTab(tab));
            }
            Vec::new()
        }
        Action::Resize(width, height) => {
            state.size = (width, height);
            let page = state.backups_page();
            let snapshot = state.inventory.as_ref().and_then(|r| r.as_ref().ok());
            state.backups_view.rescan(snapshot, snapshot, page);
            state.dirty = true;
            Vec::new()
        }
        Action::Quit => job_actions::on_quit(state),
        Action::NextTab => select(state, state.tab.next()),
        Action::PreviousTab => select(state, state.tab.previous()),
        Action::SelectTab(tab) => select(state, tab),
        Action::ToggleHelp => {
            state.help_open = !state.help_open;
            state.dirty = true;
            Vec::new()
        }
        Action::CloseOverlay => {
            if state.help_open {
                state.help_open = false;
            } else if !state.errors.is_empty() {
                state.errors.remove(0);
            } else if state.tab == Tab::Checklists {
                checklists::close_view(state);
            }
            state.dirty = true;
            Vec::new()
        }
        Action::RetryMongo => vec![Command::WakeMongoMonitor],
        Action::Mongo(connection) => {
            if state.mongo != connection {
                state.mongo = connection;
                state.dirty = true;
            }
            Vec::new()
        }
        Action::BackupSpace(space) => {
            let changed = state.backup_space.as_ref() != Some(&space);
            state.backup_space = Some(space);
            state.dirty |= changed;
            Vec::new()
        }
        Action::BackupOverview(overview) => {
            let changed = state.backups.as_ref() != Some(&overview);
            state.backups = Some(overview);
            state.dirty |= changed;
            Vec::new()
        }
        Action::Schedule(glance) => {
            state.dirty |= state.schedule != glance;
            state.schedule = glance;
            Vec::new()
        }
        Action::BackupInventory(inventory) => {
            if state.inventory.as_ref() == Some(&inventory) {
                return Vec::new();
            }
            let old = state.inventory.take();
            state.inventory = Some(inventory);
            let page = state.backups_page();
            let old = old.as_ref().and_then(|r| r.as_ref().ok());
            let new = state.inventory.as_ref().and_then(|r| r.as_ref().ok());
            state.backups_view.rescan(old, new, page);
            state.dirty = true;
            Vec::new()
        }
        Action::Backups(action) => {
            let page = state.backups_page();
            let snapshot = state.inventory.as_ref().and_then(|r| r.as_ref().ok());
            if state.backups_view.apply(action, snapshot, page) {
                state.dirty = true;
            }
            Vec::new()
        }
        Action::Job(action) => job_actions::on_job_action(state, action),
        Action::JobProgress { id, progress, at } => {
            job_actions::on_progress(state, id, progress, at)
        }
        Action::JobFinished { id, status, at } => {
            let mut out = job_actions::on_finished(state, id, status, at);
            out.extend(recovery::follow_job(state));
            out.extend(checklists::follow_jobs(state));
            out
        }
        Action::JobDetached { id, worker } => {
            let mut out = job_actions::on_detached(state, id, worker);
            out.extend(recovery::follow_job(state));
            out
        }
        Action::JobInConsole { id, reason } => job_actions::on_in_console(state, id, &reason),
        Action::JobMessage { id, text } => job_actions::on_message(state, id, text),
        Action::Worker(event) => {
            let mut out = job_actions::on_worker_event(state, event);
            out.extend(recovery::follow_job(state));
            out
        }
        Action::Recovery(action) => recovery::on_action(state, action),
        Action::RecoveryEvent(event) => recovery::on_event(state, event),
        Action::Checklist(action) => checklists::on_action(state, action),
        Action::Checklists(event) => checklists::on_event(state, event),
        Action::RestorePlanned { request, plan } => {
            job_actions::on_restore_planned(state, request, plan)
        }
        Action::DatabaseSampled(sample) => db_actions::on_sample(state, sample),
        Action::Database(action) => db_actions::on_navigation(state, action),
        Action::Maintenance(action) => db_actions::on_maintenance(state, action),
        Action::HealthChecked { results, at } => db_actions::on_health_checked(state, results, at),
        Action::Log(event) => log_actions::on_event(state, event),
        Action::Logs(action) => log_actions::on_action(state, action),
        Action::LogsSaved(result) => log_actions::on_saved(state, result),
        Action::SystemSampled(sample) => {
            let now = sample.taken_at;
            state.system.sampled(sample);
            state.dirty |= state.tab == Tab::System;
            alert_signals::evaluate(state, now);
            Vec::new()
        }
        Action::ServicesChecked(services) => {
            state.system.services_checked(services);
            state.dirty |= state.tab == Tab::System;
            Vec::new()
        }
        Action::HealthProbed(probe) => {
            state.system.probed(probe);
            state.dirty |= state.tab == Tab::System;
            Vec::new()
        }
        Action::MongoLoad(load) => {
            state.system.mongo_load = Some(load);
            state.dirty |= state.tab == Tab::System;
            Vec::new()
        }
        Action::System(action) => system_actions::on_action(state, action),
        Action::TaskFailed { task, message } => {
            state.errors.push((task, message));
            state.dirty = true;
            Vec::new()
        }
    }
}

fn select(state: &mut State, tab: Tab) -> Vec<Command> {
    if state.tab == tab {
        return Vec::new();
    }
    state.tab = tab;
    state.dirty = true;
    match tab {
        Tab::Database => vec![Command::RefreshDatabase],
        Tab::Checklists => vec![checklists::cmd(
            super::tabs::checklists::view::ChecklistsCommand::Load,
        )],
        _ => Vec::new(),
    }
}

/// Brand text drawn left of the tabs.
pub const BRAND: &str = " scandyctl ";

/// Column ranges `[start, end)` of each tab label on the tab bar (row 0).
pub fn tab_positions(lang: Lang) -> Vec<(Tab, u16, u16)> {
    let mut x = BRAND.chars().count() as u16 + 1;
    Tab::ALL
        .iter()
        .enumerate()
        .map(|(i, tab)| {
            let width = tab_label(lang, i, *tab).chars().count() as u16;
            let range = (*tab, x, x + width);
            x += width + 1;
            range
        })
        .collect()
}

/// The label of tab number `index` as drawn on the tab bar.
pub fn tab_label(lang: Lang, index: usize, tab: Tab) -> String {
    format!(" {} {} ", index + 1, tab.title().text(lang))
}

/// The tab under a click at (`column`, `row`), if any.
pub fn tab_at(lang: Lang, column: u16, row: u16) -> Option<Tab> {
    if row != 0 {
        return None;
    }
    tab_positions(lang)
        .into_iter()
        .find(|(_, start, end)| (*start..*end).contains(&column))
        .map(|(tab, _, _)| tab)
}

/// How long one frame lasts at most 30 frames per second.
pub const FRAME_INTERVAL: Duration = Duration::from_millis(33);

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
