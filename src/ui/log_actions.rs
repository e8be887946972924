//! The pure part of the Logs tab: watcher reports, navigation, search, filters, jumps and
//! the prompt. Reading older entries and saving leave as [`Command`]s.

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Command;
use super::dialogs::text_input::TextInput;
use super::state::State;
use super::tabs::logs::page_rows;
use super::tabs::logs::view::{LogsView, Prompt, PromptKind, Search, StoredEntry};
use crate::i18n::Msg;
use crate::logs::entry::Level;
use crate::logs::filter::parse_since;
use crate::logs::watch::LogEvent;
use crate::ui::widgets::table::{Movement, scroll_offset};

/// The keys of the Logs tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogsAction {
    /// Move the selection (up at the top reads older entries).
    Move(Movement),
    /// Open the search prompt.
    Search,
    /// Select the next / previous match of the search.
    NextMatch(bool),
    /// Show only entries matching the search, or all.
    ToggleOnlyMatches,
    /// Cycle the level filter: all → warning → error → all.
    CycleLevel,
    /// Cycle the source filter: all → each source → all.
    CycleSource,
    /// Select the next / previous error.
    NextError(bool),
    /// Open the jump-to-time prompt.
    JumpToTime,
    /// Show or hide the selected entry's continuation lines.
    ToggleExpand,
    /// Mark or unmark the selected entry for saving.
    ToggleMark,
    /// Open the save prompt.
    Save,
    /// Show or hide the most frequent errors.
    ToggleSummary,
    /// Read older entries now.
    LoadOlder,
}

/// A report of the log watcher.
pub fn on_event(state: &mut State, event: LogEvent) -> Vec<Command> {
    match event {
        LogEvent::Loaded {
            entries,
            problems,
            events,
        } => {
            state.logs.events = events;
            for (source, message) in problems {
                set_problem(state, source, message);
            }
            state.logs.load(entries);
        }
        LogEvent::Appended(entries) => state.logs.append(entries),
        LogEvent::Continued { source, lines } => state.logs.continue_last(source, lines),
        LogEvent::Older { entries, more } => state.logs.prepend(entries, more),
        LogEvent::Problem { source, message } => set_problem(state, source, message),
    }
    keep_offset(state);
    if state.tab == super::tab::Tab::Logs {
        state.dirty = true;
    }
    Vec::new()
}

fn set_problem(state: &mut State, source: u16, message: String) {
    if let Some(info) = state.logs.sources.iter_mut().find(|s| s.id == source) {
        info.problem = Some(message);
    }
}

/// Keeps the first shown row so that the selection stays on screen.
fn keep_offset(state: &mut State) {
    let page = page_rows(state.size);
    let view = &mut state.logs;
    view.offset = scroll_offset(view.selected, view.offset, view.visible.len(), page);
}

/// A key of the Logs tab (no prompt open).
pub fn on_action(state: &mut State, action: LogsAction) -> Vec<Command> {
    let lang = state.lang;
    let page = page_rows(state.size);
    let view = &mut state.logs;
    state.dirty = true;
    let mut commands = Vec::new();
    match action {
        LogsAction::Move(movement) => {
            let at_top = view.move_selection(movement, page);
            if at_top && view.more_older && !view.loading_older {
                view.loading_older = true;
                commands.push(Command::LoadOlderLogs);
            }
        }
        LogsAction::LoadOlder => {
            if view.more_older && !view.loading_older {
                view.loading_older = true;
                commands.push(Command::LoadOlderLogs);
            }
        }
        LogsAction::Search => open_prompt(view, PromptKind::Search, String::new()),
        LogsAction::NextMatch(forward) => {
            let Some(search) = view.search.clone() else {
                view.notice = Some(Msg::LogsNoSearch.text(lang).to_string());
                return commands;
            };
            if !view.jump(forward, |e: &StoredEntry| search.matches(&e.entry)) {
                view.notice = Some(Msg::LogsNoFurtherMatch.text(lang).to_string());
            }
        }
        LogsAction::ToggleOnlyMatches => {
            view.only_matches = !view.only_matches && view.search.is_some();
            view.refilter();
        }
        LogsAction::CycleLevel => {
            view.min_level = match view.min_level {
                None => Some(Level::Warning),
                Some(Level::Warning) => Some(Level::Error),
                _ => None,
            };
            view.refilter();
        }
        LogsAction::CycleSource => {
            let ids: Vec<u16> = view.sources.iter().map(|s| s.id).collect();
            view.source_filter = match view.source_filter {
                None => ids.first().copied(),
                Some(current) => ids
                    .iter()
                    .position(|&id| id == current)
                    .and_then(|i| ids.get(i + 1).copied()),
            };
            view.refilter();
        }
        LogsAction::NextError(forward) => {
            let is_error = |e: &StoredEntry| e.entry.level.is_some_and(|l| l >= Level::Error);
            if !view.jump(forward, is_error) {
                view.notice = Some(Msg::LogsNoFurtherError.text(lang).to_string());
            }
        }
        LogsAction::JumpToTime => open_prompt(view, PromptKind::JumpToTime, String::new()),
        LogsAction::ToggleExpand => view.toggle_expanded(),
        LogsAction::ToggleMark => view.toggle_marked(),
        LogsAction::Save => {
            let stamp = view.newest.map_or_else(
                || "now".to_string(),
                |t| t.format("%Y%m%d-%H%M%S").to_string(),
            );
            let path = state.export_dir.join(format!("scandy-logs-{stamp}.log"));
            open_prompt(view, PromptKind::Save, path.display().to_string());
        }
        LogsAction::ToggleSummary => {
            view.show_summary = !view.show_summary;
            view.refresh_stats();
        }
    }
    keep_offset(state);
    commands
}

fn open_prompt(view: &mut LogsView, kind: PromptKind, value: String) {
    let previous = view.search.clone();
    view.prompt = Some(Prompt {
        kind,
        input: TextInput::with(value),
        previous,
        error: None,
    });
}

/// A key while the prompt is open (every key goes to it; Ctrl-C still quits).
pub fn on_prompt_key(state: &mut State, key: &KeyEvent) -> Vec<Command> {
    if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
        state.quit = true;
        return Vec::new();
    }
    let Some(mut prompt) = state.logs.prompt.take() else {
        return Vec::new();
    };
    state.dirty = true;
    match key.code {
        KeyCode::Esc => {
            if prompt.kind == PromptKind::Search {
                state.logs.search = prompt.previous.clone();
                state.logs.refilter();
            }
        }
        KeyCode::Enter => return submit(state, prompt),
        _ => {
            if prompt.input.handle(key) {
                prompt.error = None;
                if prompt.kind == PromptKind::Search {
                    search_as_typed(state, &prompt.input.value);
                }
            }
            state.logs.prompt = Some(prompt);
        }
    }
    keep_offset(state);
    Vec::new()
}

/// Applies the search while it is typed: highlight, and the selection moves to the first
/// match at or after it.
fn search_as_typed(state: &mut State, text: &str) {
    let view = &mut state.logs;
    if text.is_empty() {
        view.search = None;
        view.refilter();
        return;
    }
    let search = Search::new(text);
    view.search = Some(search.clone());
    if view.only_matches {
        view.refilter();
        return;
    }
    let current = view
        .selected_entry()
        .is_some_and(|e| search.matches(&e.entry));
    if !current && !view.jump(false, |e| search.matches(&e.entry)) {
        view.jump(true, |e| search.matches(&e.entry));
    }
}

fn submit(state: &mut State, mut prompt: Prompt) -> Vec<Command> {
    let lang = state.lang;
    let text = prompt.input.value.trim().to_string();
    match prompt.kind {
        PromptKind::Search => {
            if state
                .logs
                .search
                .as_ref()
                .is_some_and(|s| s.regex.is_none())
            {
                prompt.error = Some(Msg::LogsBadPattern.text(lang).to_string());
                state.logs.prompt = Some(prompt);
            }
            Vec::new()
        }
        PromptKind::JumpToTime => {
            let now = state
                .logs
                .newest
                .unwrap_or_else(|| chrono::Local::now().naive_local());
            match parse_since(&text, now) {
                Ok(time) => {
                    if !state.logs.jump_to_time(time) {
                        state.logs.notice = Some(Msg::LogsNothingAfter.fill(lang, &[&text]));
                    }
                    keep_offset(state);
                }
                Err(err) => {
                    prompt.error = Some(err);
                    state.logs.prompt = Some(prompt);
                }
            }
            Vec::new()
        }
        PromptKind::Save => {
            if text.is_empty() {
                prompt.error = Some(Msg::ExportEmpty.text(lang).to_string());
                state.logs.prompt = Some(prompt);
                return Vec::new();
            }
            let path = PathBuf::from(&text);
            let path = if path.is_absolute() {
                path
            } else {
                state.export_dir.join(path)
            };
            let entries = state.logs.entries_to_save();
            let count = entries.len();
            let text = save_text(&state.logs, &entries);
            vec![Command::SaveLogs { path, text, count }]
        }
    }
}

/// The entries as text: `time LEVEL [source] message` and the continuation lines, raw.
fn save_text(view: &LogsView, entries: &[&StoredEntry]) -> String {
    let mut out = String::new();
    for stored in entries {
        let entry = &stored.entry;
        let time = entry.timestamp.map_or_else(
            || "-".to_string(),
            |t| t.format("%Y-%m-%d %H:%M:%S%.3f").to_string(),
        );
        let level = entry.level.map_or("", Level::label);
        out.push_str(&format!(
            "{time} {level} [{}] {}{}\n",
            view.source_name(entry.source),
            entry
                .logger
                .as_deref()
                .map(|l| format!("{l}: "))
                .unwrap_or_default(),
            entry.message
        ));
        for line in &entry.continuation {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// A save finished (or failed).
pub fn on_saved(state: &mut State, result: Result<(PathBuf, usize), String>) -> Vec<Command> {
    let lang = state.lang;
    state.logs.notice = Some(match result {
        Ok((path, count)) => {
            Msg::LogsSaved.fill(lang, &[&count.to_string(), &path.display().to_string()])
        }
        Err(err) => Msg::LogsSaveFailed.fill(lang, &[&err]),
    });
    state.dirty = true;
    Vec::new()
}
