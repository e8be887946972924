//! The Checklists tab's pure update: keys choose checklists and items and start engine work
//! (as commands), the runner's reports fill the view in. Keys of an open input are in
//! [`on_input_key`]; the follow-ups' confirmations are worded in [`super::follow_up`].

use crossterm::event::{KeyCode, KeyEvent};

use super::follow_up;
use super::text::checklist_title;
use super::view::{
    ChecklistsAction, ChecklistsCommand, ChecklistsEvent, ChecklistsSnapshot, FollowUpWork, Input,
    Mode, RunMark,
};
use crate::checks::{Cadence, FollowUp, ItemKind};
use crate::i18n::Msg;
use crate::jobs::{DbTask, JobSpec, JobStatus};
use crate::ui::action::Command;
use crate::ui::dialogs::text_input::TextInput;
use crate::ui::state::State;
use crate::ui::widgets::table::{Movement, move_selection};

/// Rows moved by a page key in the item and log lists.
const PAGE: usize = 10;

/// The command carrying `command`.
pub fn cmd(command: ChecklistsCommand) -> Command {
    Command::Checklists(command)
}

fn notice(state: &mut State, text: String, error: bool) -> Vec<Command> {
    state.checklists.notice = Some((text, error));
    Vec::new()
}

/// The checklist `step` places after (or before) `cadence`, wrapping around.
fn stepped(cadence: Cadence, step: isize) -> Cadence {
    let all = Cadence::ALL;
    let at = all.iter().position(|c| *c == cadence).unwrap_or(0) as isize;
    let len = all.len() as isize;
    all[((at + step).rem_euclid(len)) as usize]
}

fn scrolled(scroll: u16, movement: Movement) -> u16 {
    match movement {
        Movement::Down => scroll.saturating_add(1),
        Movement::Up => scroll.saturating_sub(1),
        Movement::PageDown => scroll.saturating_add(10),
        Movement::PageUp => scroll.saturating_sub(10),
        Movement::Home => 0,
        Movement::End => u16::MAX,
    }
}

/// A key of the tab.
pub fn on_action(state: &mut State, action: ChecklistsAction) -> Vec<Command> {
    state.dirty = true;
    let lang = state.lang;
    let view = &mut state.checklists;
    view.notice = None;
    match action {
        ChecklistsAction::Switch(step) => match view.mode {
            Mode::Reports => select_report(state, step),
            Mode::Log => Vec::new(),
            Mode::Checklist => {
                let cadence = stepped(view.cadence, step);
                show(state, cadence);
                Vec::new()
            }
        },
        ChecklistsAction::Show(cadence) => {
            view.mode = Mode::Checklist;
            show(state, cadence);
            Vec::new()
        }
        ChecklistsAction::Move(movement) => {
            match view.mode {
                Mode::Checklist => match movement {
                    Movement::PageDown | Movement::PageUp => {
                        view.detail_scroll = scrolled(view.detail_scroll, movement);
                    }
                    _ => {
                        let len = view.items_of(view.cadence).len();
                        let moved = move_selection(Some(view.selected), len, movement, PAGE);
                        if moved != Some(view.selected) {
                            view.detail_scroll = 0;
                        }
                        view.selected = moved.unwrap_or(0);
                    }
                },
                Mode::Log => {
                    let len = view.filtered_entries().len();
                    view.log_selected =
                        move_selection(Some(view.log_selected), len, movement, PAGE).unwrap_or(0);
                }
                Mode::Reports => view.report_scroll = scrolled(view.report_scroll, movement),
            }
            Vec::new()
        }
        ChecklistsAction::RunAll if view.mode == Mode::Checklist => run_all(state),
        ChecklistsAction::RunSelected if view.mode == Mode::Checklist => run_selected(state),
        ChecklistsAction::Confirm if view.mode == Mode::Checklist => open_comment(state),
        ChecklistsAction::FollowUp if view.mode == Mode::Checklist => offer_follow_up(state),
        ChecklistsAction::RunAll
        | ChecklistsAction::RunSelected
        | ChecklistsAction::Confirm
        | ChecklistsAction::FollowUp => {
            notice(state, Msg::CkOnlyInChecklist.text(lang).to_string(), false)
        }
        ChecklistsAction::ToggleLog => {
            view.mode = if view.mode == Mode::Log {
                Mode::Checklist
            } else {
                Mode::Log
            };
            view.log_selected = 0;
            vec![cmd(ChecklistsCommand::Load)]
        }
        ChecklistsAction::ToggleReports => {
            if view.mode == Mode::Reports {
                view.mode = Mode::Checklist;
                return Vec::new();
            }
            view.mode = Mode::Reports;
            let mut out = vec![cmd(ChecklistsCommand::Load)];
            out.extend(read_selected_report(state));
            out
        }
        ChecklistsAction::Filter if view.mode == Mode::Log => {
            view.input = Some(Input::LogFilter(TextInput::with(view.log_text.clone())));
            Vec::new()
        }
        ChecklistsAction::CycleKind if view.mode == Mode::Log => {
            let kinds = view.log_kinds();
            view.log_kind = match &view.log_kind {
                None => kinds.first().cloned(),
                Some(kind) => kinds
                    .iter()
                    .position(|k| k == kind)
                    .and_then(|at| kinds.get(at + 1))
                    .cloned(),
            };
            view.log_selected = 0;
            Vec::new()
        }
        ChecklistsAction::Filter | ChecklistsAction::CycleKind => {
            notice(state, Msg::CkOnlyInLog.text(lang).to_string(), false)
        }
    }
}

/// Shows `cadence` with its first item selected.
fn show(state: &mut State, cadence: Cadence) {
    let view = &mut state.checklists;
    if view.cadence != cadence {
        view.cadence = cadence;
        view.selected = 0;
        view.detail_scroll = 0;
    }
}

/// Runs every automatic item of the shown checklist that is not running already.
fn run_all(state: &mut State) -> Vec<Command> {
    let lang = state.lang;
    let view = &mut state.checklists;
    let cadence = view.cadence;
    let automatic: Vec<String> = view
        .items_of(cadence)
        .into_iter()
        .filter(|d| d.is_automatic())
        .map(|d| d.id.clone())
        .collect();
    if automatic.is_empty() {
        let title = checklist_title(lang, cadence);
        return notice(state, Msg::CkNoAutomatic.fill(lang, &[&title]), false);
    }
    if automatic.iter().any(|id| view.running.contains_key(id)) {
        return notice(state, Msg::CkBusy.text(lang).to_string(), false);
    }
    for id in &automatic {
        view.running.insert(id.clone(), RunMark::Queued);
    }
    let count = automatic.len().to_string();
    view.notice = Some((Msg::CkRunStarted.fill(lang, &[&count]), false));
    vec![cmd(ChecklistsCommand::Run {
        cadence,
        ids: automatic,
    })]
}

/// Runs the selected item again; a manual item opens its confirmation instead.
fn run_selected(state: &mut State) -> Vec<Command> {
    let lang = state.lang;
    let view = &mut state.checklists;
    let Some(def) = view.selected_item().cloned() else {
        return Vec::new();
    };
    if def.kind == ItemKind::Manual {
        return open_comment(state);
    }
    if view.running.contains_key(&def.id) {
        return notice(state, Msg::CkBusy.text(lang).to_string(), false);
    }
    view.running.insert(def.id.clone(), RunMark::Queued);
    vec![cmd(ChecklistsCommand::Run {
        cadence: def.cadence,
        ids: vec![def.id],
    })]
}

/// Opens the comment line confirming the selected manual item.
fn open_comment(state: &mut State) -> Vec<Command> {
    let lang = state.lang;
    let view = &mut state.checklists;
    let Some(def) = view.selected_item().cloned() else {
        return Vec::new();
    };
    if def.kind != ItemKind::Manual {
        return notice(state, Msg::CkNotManual.fill(lang, &[&def.id]), false);
    }
    if view.running.contains_key(&def.id) {
        return notice(state, Msg::CkBusy.text(lang).to_string(), false);
    }
    view.input = Some(Input::Comment {
        id: def.id,
        text: TextInput::default(),
    });
    Vec::new()
}

/// Offers the selected item's follow-up: a confirmation naming what will happen.
fn offer_follow_up(state: &mut State) -> Vec<Command> {
    let lang = state.lang;
    let view = &mut state.checklists;
    let Some(def) = view.selected_item().cloned() else {
        return Vec::new();
    };
    let Some(kind) = def.follow_up else {
        return notice(state, Msg::CkNoFollowUp.fill(lang, &[&def.id]), false);
    };
    if view.result(def.cadence, &def.id).is_none() {
        return notice(state, Msg::CkRunFirst.fill(lang, &[&def.id]), false);
    }
    if view.listing || view.compact_job.is_some() {
        return notice(state, Msg::CkBusy.text(lang).to_string(), false);
    }
    match kind {
        FollowUp::Compact => {
            view.listing = true;
            view.notice = Some((Msg::CkListing.text(lang).to_string(), false));
            vec![cmd(ChecklistsCommand::ListCollections)]
        }
        FollowUp::CreateIndexes => {
            let plan = follow_up::create_indexes_plan(state);
            state.checklists.input = Some(Input::FollowUp(Box::new(plan)));
            Vec::new()
        }
        FollowUp::WriteLogrotate => match follow_up::logrotate_plan(state) {
            Some(plan) => {
                state.checklists.input = Some(Input::FollowUp(Box::new(plan)));
                Vec::new()
            }
            None => notice(state, Msg::CkNoLogrotateRule.text(lang).to_string(), true),
        },
    }
}

/// The previous or next report, read in the background.
fn select_report(state: &mut State, step: isize) -> Vec<Command> {
    let view = &mut state.checklists;
    let len = view.snapshot.as_ref().map_or(0, |s| s.reports.len());
    if len == 0 {
        return Vec::new();
    }
    let at = (view.report_selected as isize + step).clamp(0, len as isize - 1) as usize;
    if at == view.report_selected {
        return Vec::new();
    }
    view.report_selected = at;
    view.report_scroll = 0;
    read_selected_report(state)
}

/// Reads the selected report unless its text is there already.
fn read_selected_report(state: &mut State) -> Vec<Command> {
    let view = &mut state.checklists;
    let Some(report) = view
        .snapshot
        .as_ref()
        .and_then(|s| s.reports.get(view.report_selected))
    else {
        return Vec::new();
    };
    if view
        .report_text
        .as_ref()
        .is_some_and(|(path, _)| *path == report.path)
    {
        return Vec::new();
    }
    let path = report.path.clone();
    view.report_text = None;
    vec![cmd(ChecklistsCommand::ReadReport(path))]
}

/// A key while an input of the tab is open.
pub fn on_input_key(state: &mut State, key: &KeyEvent) -> Vec<Command> {
    state.dirty = true;
    let Some(input) = state.checklists.input.take() else {
        return Vec::new();
    };
    let view = &mut state.checklists;
    match input {
        Input::Comment { id, mut text } => match key.code {
            KeyCode::Esc => Vec::new(),
            KeyCode::Enter => {
                let comment = Some(text.value.trim().to_string()).filter(|c| !c.is_empty());
                view.running.insert(id.clone(), RunMark::Running);
                vec![cmd(ChecklistsCommand::Confirm { id, comment })]
            }
            _ => {
                text.handle(key);
                view.input = Some(Input::Comment { id, text });
                Vec::new()
            }
        },
        Input::LogFilter(mut text) => match key.code {
            KeyCode::Esc => Vec::new(),
            KeyCode::Enter => {
                view.log_text = text.value.trim().to_string();
                view.log_selected = 0;
                Vec::new()
            }
            _ => {
                text.handle(key);
                view.input = Some(Input::LogFilter(text));
                Vec::new()
            }
        },
        Input::FollowUp(plan) => match key.code {
            KeyCode::Char('y' | 'Y' | 'j' | 'J') => start_follow_up(state, plan.work),
            KeyCode::Esc | KeyCode::Char('n' | 'N') => Vec::new(),
            _ => {
                view.input = Some(Input::FollowUp(plan));
                Vec::new()
            }
        },
    }
}

/// Starts a confirmed follow-up.
fn start_follow_up(state: &mut State, work: FollowUpWork) -> Vec<Command> {
    let lang = state.lang;
    match work {
        FollowUpWork::Compact(collections) => {
            let view = &mut state.checklists;
            view.compact_queue = collections.into();
            view.compact_done = (0, 0);
            compact_next(state)
        }
        FollowUpWork::Job(spec) => {
            let out = crate::ui::job_actions::start_job(state, spec);
            let id = state.next_job.to_string();
            state.checklists.notice = Some((Msg::CkJobStarted.fill(lang, &[&id]), false));
            out
        }
        FollowUpWork::WriteLogrotate => vec![cmd(ChecklistsCommand::WriteLogrotate)],
    }
}

/// Starts the compact of the next queued collection, or reports the follow-up finished.
fn compact_next(state: &mut State) -> Vec<Command> {
    let lang = state.lang;
    let Some(collection) = state.checklists.compact_queue.pop_front() else {
        let (done, failed) = state.checklists.compact_done;
        let text = Msg::CkCompactDone.fill(lang, &[&done.to_string(), &failed.to_string()]);
        return notice(state, text, failed > 0);
    };
    let out = crate::ui::job_actions::start_job(
        state,
        JobSpec::Db(DbTask::Compact {
            collection: collection.clone(),
        }),
    );
    let view = &mut state.checklists;
    let (done, failed) = view.compact_done;
    let total = done + failed + 1 + view.compact_queue.len();
    let position = (done + failed + 1).to_string();
    view.notice = Some((
        Msg::CkCompactProgress.fill(lang, &[&position, &total.to_string(), &collection]),
        false,
    ));
    view.compact_job = Some((state.next_job, collection));
    out
}

/// After any job report: the compact follow-up moves on once its job ended.
pub fn follow_jobs(state: &mut State) -> Vec<Command> {
    let Some((id, collection)) = state.checklists.compact_job.clone() else {
        return Vec::new();
    };
    let Some(job) = state.jobs.iter().find(|j| j.id == id) else {
        return Vec::new();
    };
    if job.is_running() {
        return Vec::new();
    }
    let failure = match &job.status {
        JobStatus::Succeeded(_) => None,
        JobStatus::Failed(e) | JobStatus::Interrupted(e) => Some(e.clone()),
        JobStatus::Cancelled => Some(format!("compact of {collection} cancelled")),
        JobStatus::Running => return Vec::new(),
    };
    state.dirty = true;
    let view = &mut state.checklists;
    view.compact_job = None;
    match failure {
        None => view.compact_done.0 += 1,
        Some(e) => {
            view.compact_done.1 += 1;
            if e.contains("not supported") {
                // The server has no compact: the other collections would fail the same way.
                view.compact_queue.clear();
                return notice(state, e, true);
            }
        }
    }
    compact_next(state)
}

/// A report of the checklist runner.
pub fn on_event(state: &mut State, event: ChecklistsEvent) -> Vec<Command> {
    let lang = state.lang;
    let mut out = Vec::new();
    match event {
        ChecklistsEvent::Loaded(Ok(snapshot)) => {
            state.checklists.load_error = None;
            if state.checklists.snapshot.as_ref() == Some(&*snapshot) {
                return Vec::new();
            }
            out.extend(take_snapshot(state, *snapshot));
        }
        ChecklistsEvent::Loaded(Err(e)) => {
            state.dirty |= state.checklists.load_error.as_ref() != Some(&e);
            state.checklists.load_error = Some(e);
            return Vec::new();
        }
        ChecklistsEvent::ItemStarted(id) => {
            state.checklists.running.insert(id, RunMark::Running);
        }
        ChecklistsEvent::ItemDone {
            id,
            outcome,
            snapshot,
        } => {
            state.checklists.running.remove(&id);
            if let Some(snapshot) = snapshot {
                out.extend(take_snapshot(state, *snapshot));
            }
            match outcome {
                Ok((_, true)) => {
                    let cadence = state
                        .checklists
                        .items
                        .iter()
                        .find(|d| d.id == id)
                        .map_or(state.checklists.cadence, |d| d.cadence);
                    let title = checklist_title(lang, cadence);
                    state.checklists.notice = Some((Msg::CkCompleted.fill(lang, &[&title]), false));
                }
                Ok((_, false)) => {}
                Err(e) => {
                    state.checklists.notice = Some((format!("{id}: {e}"), true));
                }
            }
        }
        ChecklistsEvent::ReportRead { path, text } => {
            let view = &mut state.checklists;
            let selected = view
                .snapshot
                .as_ref()
                .and_then(|s| s.reports.get(view.report_selected))
                .map(|r| &r.path);
            if selected == Some(&path) {
                view.report_text = Some((path, text));
            }
        }
        ChecklistsEvent::Collections(listed) => {
            state.checklists.listing = false;
            state.checklists.notice = None;
            match listed {
                Ok(collections) if collections.is_empty() => {
                    let text = Msg::CkNoCollections.text(lang).to_string();
                    return notice(state, text, false);
                }
                Ok(collections) => {
                    let plan = follow_up::compact_plan(state, collections);
                    state.checklists.input = Some(Input::FollowUp(Box::new(plan)));
                }
                Err(e) => return notice(state, e, true),
            }
        }
        ChecklistsEvent::FileWritten(written) => {
            match written {
                Ok(path) => {
                    let shown = path.display().to_string();
                    state.checklists.notice =
                        Some((Msg::CkFileWritten.fill(lang, &[&shown]), false));
                }
                Err(e) => state.checklists.notice = Some((e, true)),
            }
            out.push(cmd(ChecklistsCommand::Load));
        }
    }
    state.dirty = true;
    out
}

/// Takes a fresh read of the state directory: selections stay in range, the open report
/// view reads its report, the alerts see the due states.
fn take_snapshot(state: &mut State, snapshot: ChecklistsSnapshot) -> Vec<Command> {
    let at = snapshot.at;
    let view = &mut state.checklists;
    view.report_selected = view
        .report_selected
        .min(snapshot.reports.len().saturating_sub(1));
    view.snapshot = Some(snapshot);
    let entries = view.filtered_entries().len();
    view.log_selected = view.log_selected.min(entries.saturating_sub(1));
    state.dirty = true;
    crate::ui::alert_signals::evaluate(state, at);
    if state.checklists.mode == Mode::Reports {
        return read_selected_report(state);
    }
    Vec::new()
}

/// A clock tick: the spinner turns while something runs; returns whether to redraw.
pub fn on_tick(state: &mut State) -> bool {
    let view = &mut state.checklists;
    if !view.is_busy() {
        return false;
    }
    view.spinner = view.spinner.wrapping_add(1);
    state.tab == crate::ui::tab::Tab::Checklists
}

/// Esc without an overlay: back from the log or report view to the checklist.
pub fn close_view(state: &mut State) -> bool {
    let view = &mut state.checklists;
    if view.mode == Mode::Checklist {
        return false;
    }
    view.mode = Mode::Checklist;
    state.dirty = true;
    true
}
