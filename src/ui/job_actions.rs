//! The pure part of jobs and dialogs: keys that start backup actions, dialog outcomes, and
//! job reports from the event loop. Side effects leave as [`Command`]s.

use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::{Command, JobAction};
use super::dialogs::restore_form::RestoreForm;
use super::dialogs::text_input::TextInput;
use super::dialogs::{Dialog, DialogOutcome};
use super::state::State;
use crate::backup::progress::Progress;
use crate::backup::restore::{RestorePlan, RestoreRequest};
use crate::backup::retention::{parent_map, plan_prune_with_parents};
use crate::i18n::Msg;
use crate::jobs::watch::WorkerEvent;
use crate::jobs::{BackupChoice, DbTask, JobId, JobRecord, JobSpec, JobStatus, Shared, WorkerRef};

/// Starts `spec` as the next job.
pub fn start_job(state: &mut State, spec: JobSpec) -> Vec<Command> {
    state.next_job += 1;
    let id = state.next_job;
    state.jobs.push(JobRecord::new(id, spec.clone(), state.now));
    state.dirty = true;
    vec![Command::StartJob { id, spec }]
}

/// A backup action key on the Backups tab.
pub fn on_job_action(state: &mut State, action: JobAction) -> Vec<Command> {
    let selected = state
        .snapshot()
        .and_then(|s| state.backups_view.selected_set(s).map(|set| set.id.clone()));
    match action {
        JobAction::NewBackup => open(
            state,
            Dialog::BackupType {
                selected: BackupChoice::Auto,
            },
        ),
        JobAction::Verify(level) => match selected {
            Some(id) => start_job(state, JobSpec::Verify { id, level }),
            None => Vec::new(),
        },
        JobAction::Restore => {
            let Some(id) = selected else {
                return Vec::new();
            };
            let manifest = state
                .snapshot()
                .and_then(|s| s.detail(&id))
                .map(|d| d.manifest.clone());
            let mut form = RestoreForm::new(
                &id,
                manifest.as_ref(),
                &state.install.database,
                state.install.root.clone(),
            );
            form.window = state
                .snapshot()
                .filter(|s| !s.window.spans.is_empty())
                .map(|s| s.window.describe());
            open(state, Dialog::Restore(Box::new(form)))
        }
        JobAction::Export => {
            let Some(id) = selected else {
                return Vec::new();
            };
            let path = state.export_dir.join(format!("{id}.tar"));
            let path = TextInput::with(path.display().to_string());
            open(
                state,
                Dialog::Export {
                    id,
                    path,
                    invalid: false,
                },
            )
        }
        JobAction::Prune => {
            let Some(snapshot) = state.snapshot() else {
                return Vec::new();
            };
            let plan = plan_prune_with_parents(
                &snapshot.inventory.sets,
                &parent_map(&snapshot.details),
                &state.retention,
                snapshot.scanned_at,
            );
            open(
                state,
                Dialog::Prune {
                    plan: Shared::new(plan),
                    scroll: 0,
                },
            )
        }
        JobAction::Dismiss => {
            let keys: Vec<String> = state
                .jobs
                .iter()
                .filter(|j| !j.is_running())
                .filter_map(|j| j.worker.as_ref().map(|w| w.key.clone()))
                .collect();
            let before = state.jobs.len();
            state.jobs.retain(JobRecord::is_running);
            state.dirty |= state.jobs.len() != before;
            if keys.is_empty() {
                Vec::new()
            } else {
                vec![Command::DismissJobs(keys)]
            }
        }
        JobAction::Cancel => {
            let Some(job) = state.jobs.iter_mut().rev().find(|j| j.is_running()) else {
                return Vec::new();
            };
            if job.cancellable() {
                let id = job.id;
                open(state, Dialog::CancelJob { id })
            } else {
                job.messages
                    .push(Msg::JobNotCancellable.text(state.lang).into());
                state.dirty = true;
                Vec::new()
            }
        }
    }
}

fn open(state: &mut State, dialog: Dialog) -> Vec<Command> {
    state.dialog = Some(dialog);
    state.dirty = true;
    Vec::new()
}

/// Asks before quitting while jobs of this console run (they are cancelled); quits at once
/// otherwise: detached jobs run on.
pub fn on_quit(state: &mut State) -> Vec<Command> {
    let running = state
        .jobs
        .iter()
        .filter(|j| j.is_running() && !j.is_detached())
        .count();
    if running == 0 {
        state.quit = true;
    } else {
        state.dialog = Some(Dialog::Quit { running });
        state.dirty = true;
    }
    Vec::new()
}

/// A key while a dialog is open.
pub fn on_dialog_key(state: &mut State, key: &KeyEvent) -> Vec<Command> {
    if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
        state.quit = true;
        return Vec::new();
    }
    let Some(dialog) = state.dialog.as_mut() else {
        return Vec::new();
    };
    state.dirty = true;
    match dialog.on_key(key, &state.export_dir) {
        DialogOutcome::Stay => Vec::new(),
        DialogOutcome::Close => {
            state.dialog = None;
            Vec::new()
        }
        DialogOutcome::PlanRestore(request) => vec![Command::PlanRestore(request)],
        DialogOutcome::Start(spec) => {
            state.dialog = None;
            start_job(state, spec)
        }
        DialogOutcome::CancelJob(id) => {
            state.dialog = None;
            cancel_job(state, id)
        }
        DialogOutcome::Quit => {
            state.quit = true;
            Vec::new()
        }
    }
}

fn cancel_job(state: &mut State, id: JobId) -> Vec<Command> {
    match state.jobs.iter_mut().find(|j| j.id == id) {
        Some(job) if job.cancellable() => {
            job.cancel_requested = true;
            match &job.worker {
                Some(worker) => vec![Command::CancelWorker {
                    id,
                    key: worker.key.clone(),
                }],
                None => vec![Command::CancelJob(id)],
            }
        }
        Some(job) => {
            job.messages
                .push(Msg::JobNotCancellable.text(state.lang).into());
            Vec::new()
        }
        None => Vec::new(),
    }
}

/// A progress report of job `id`.
pub fn on_progress(state: &mut State, id: JobId, progress: Progress, at: Instant) -> Vec<Command> {
    if let Some(job) = state.jobs.iter_mut().find(|j| j.id == id && j.is_running()) {
        job.report(progress, at);
        state.dirty = true;
    }
    Vec::new()
}

/// The end of job `id`: the backup directory is read again at once; after a maintenance
/// job the database is sampled again, after a health fix the checks run again.
pub fn on_finished(state: &mut State, id: JobId, status: JobStatus, at: Instant) -> Vec<Command> {
    let Some(job) = state.jobs.iter_mut().find(|j| j.id == id) else {
        return vec![Command::RescanBackups];
    };
    job.finish(status, at);
    let spec = job.spec.clone();
    state.dirty = true;
    after_end(state, &spec)
}

/// What to refresh after a job with `spec` ended.
fn after_end(state: &mut State, spec: &JobSpec) -> Vec<Command> {
    match spec {
        JobSpec::Db(DbTask::HealthFix { .. }) => {
            state.health = crate::ui::state::HealthStatus::Running;
            vec![Command::RefreshDatabase, Command::RunHealthChecks]
        }
        JobSpec::Db(_) => vec![Command::RefreshDatabase],
        _ => vec![Command::RescanBackups],
    }
}

/// The dry-run plan for the open restore dialog arrived (or failed).
pub fn on_restore_planned(
    state: &mut State,
    request: Shared<RestoreRequest>,
    plan: Result<Shared<RestorePlan>, String>,
) -> Vec<Command> {
    if let Some(Dialog::Restore(form)) = state.dialog.as_mut()
        && form.set_id == request.id
    {
        form.planned(request, plan);
        state.dirty = true;
    }
    Vec::new()
}

/// Job `id` runs in a detached worker from now on.
pub fn on_detached(state: &mut State, id: JobId, worker: WorkerRef) -> Vec<Command> {
    if let Some(job) = state.jobs.iter_mut().find(|j| j.id == id) {
        job.worker = Some(worker);
        state.dirty = true;
    }
    Vec::new()
}

/// Job `id` could not be detached and runs inside this console.
pub fn on_in_console(state: &mut State, id: JobId, reason: &str) -> Vec<Command> {
    let text = Msg::JobInConsole.fill(state.lang, &[reason]);
    on_message(state, id, text)
}

/// A note for job `id`.
pub fn on_message(state: &mut State, id: JobId, text: String) -> Vec<Command> {
    if let Some(job) = state.jobs.iter_mut().find(|j| j.id == id) {
        job.messages.push(text);
        state.dirty = true;
    }
    Vec::new()
}

/// A detached job's file changed or went away: the job in the list follows it; a job not in
/// the list yet (another console's, or one from before this console started) is added.
pub fn on_worker_event(state: &mut State, event: WorkerEvent) -> Vec<Command> {
    match event {
        WorkerEvent::Report(report) => {
            let key = &report.worker.key;
            let known = state
                .jobs
                .iter_mut()
                .find(|j| j.worker.as_ref().is_some_and(|w| &w.key == key));
            let ended = match known {
                Some(job) => job.apply_report(&report),
                None => {
                    state.next_job += 1;
                    let job = JobRecord::from_report(state.next_job, &report);
                    let ended = !job.is_running();
                    state.jobs.push(job);
                    ended
                }
            };
            state.dirty = true;
            if ended {
                after_end(state, &report.spec)
            } else {
                Vec::new()
            }
        }
        WorkerEvent::Gone(key) => {
            let before = state.jobs.len();
            state
                .jobs
                .retain(|j| j.is_running() || j.worker.as_ref().is_none_or(|w| w.key != key));
            state.dirty |= state.jobs.len() != before;
            Vec::new()
        }
    }
}
