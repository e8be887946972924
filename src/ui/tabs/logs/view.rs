//! The Logs tab's own state: a bounded buffer of entries merged by time, the filter
//! (level, source, search), the selection with follow mode, expanded and marked entries.

use std::collections::VecDeque;

use chrono::NaiveDateTime;
use regex::Regex;

use crate::logs::entry::{Level, LogEntry};
use crate::logs::filter::match_ranges;
use crate::logs::summary::{ErrorGroup, error_groups, errors_per_minute};
use crate::ui::dialogs::text_input::TextInput;
use crate::ui::widgets::table::{Movement, move_selection};

/// Default number of entries kept (`[logs] max_entries`).
pub const DEFAULT_MAX_ENTRIES: usize = 200_000;

/// Minutes in the error-rate sparkline.
pub const RATE_MINUTES: usize = 60;

/// Error groups in the summary.
pub const SUMMARY_GROUPS: usize = 30;

/// One entry as the console keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEntry {
    /// Session-unique id (selection, marks and expansion follow it).
    pub uid: u64,
    /// The entry.
    pub entry: LogEntry,
    /// Continuation lines shown.
    pub expanded: bool,
    /// Marked for saving.
    pub marked: bool,
}

/// A log source as the tab shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceInfo {
    /// Source id (entries carry it).
    pub id: u16,
    /// Display name.
    pub name: String,
    /// A read problem, if any.
    pub problem: Option<String>,
}

/// The compiled search.
#[derive(Debug, Clone)]
pub struct Search {
    /// What was typed.
    pub text: String,
    /// The pattern (case-insensitive), when it compiles.
    pub regex: Option<Regex>,
    /// Why it does not compile.
    pub error: Option<String>,
}

impl Search {
    /// Compiles `text` case-insensitively; an invalid pattern keeps its error.
    pub fn new(text: &str) -> Search {
        match regex::RegexBuilder::new(text)
            .case_insensitive(true)
            .size_limit(1 << 20)
            .build()
        {
            Ok(regex) => Search {
                text: text.to_string(),
                regex: Some(regex),
                error: None,
            },
            Err(err) => Search {
                text: text.to_string(),
                regex: None,
                error: Some(err.to_string().lines().last().unwrap_or("").to_string()),
            },
        }
    }

    /// Whether `entry` matches (message, logger or any continuation line).
    pub fn matches(&self, entry: &LogEntry) -> bool {
        let Some(regex) = &self.regex else {
            return false;
        };
        regex.is_match(&entry.message)
            || entry.logger.as_deref().is_some_and(|l| regex.is_match(l))
            || entry.continuation.iter().any(|l| regex.is_match(l))
    }

    /// Byte ranges to highlight in `text`.
    pub fn ranges(&self, text: &str) -> Vec<std::ops::Range<usize>> {
        self.regex
            .as_ref()
            .map_or_else(Vec::new, |r| match_ranges(r, text))
    }
}

/// What the one-line prompt at the bottom asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    /// A search pattern (applied while typing).
    Search,
    /// A time to jump to.
    JumpToTime,
    /// A file to save entries to.
    Save,
}

/// The open prompt.
#[derive(Debug, Clone)]
pub struct Prompt {
    /// What it asks for.
    pub kind: PromptKind,
    /// The text typed so far.
    pub input: TextInput,
    /// The search before the prompt opened (restored on Esc).
    pub previous: Option<Search>,
    /// Why the last Enter was refused.
    pub error: Option<String>,
}

/// The Logs tab's state.
#[derive(Debug, Clone)]
pub struct LogsView {
    /// Entries merged by time, oldest first.
    pub entries: VecDeque<StoredEntry>,
    /// Most entries kept; the oldest go first.
    pub capacity: usize,
    /// Entries dropped because of the capacity.
    pub dropped: u64,
    /// The sources.
    pub sources: Vec<SourceInfo>,
    /// Whether the first screen arrived.
    pub loaded: bool,
    /// Whether filesystem events are used (false: polling).
    pub events: bool,
    /// Whether older entries can still be read.
    pub more_older: bool,
    /// Whether older entries are being read.
    pub loading_older: bool,
    /// Show only entries at or above this level.
    pub min_level: Option<Level>,
    /// Show only this source.
    pub source_filter: Option<u16>,
    /// The search (highlight, `n`/`N`).
    pub search: Option<Search>,
    /// Show only entries matching the search.
    pub only_matches: bool,
    /// Indices into `entries` of the entries shown.
    pub visible: Vec<usize>,
    /// The selected row (index into `visible`).
    pub selected: Option<usize>,
    /// First row shown (index into `visible`).
    pub offset: usize,
    /// Keep the newest entry selected as entries arrive.
    pub follow: bool,
    /// The error summary is open.
    pub show_summary: bool,
    /// The open prompt.
    pub prompt: Option<Prompt>,
    /// A short notice (saved file, no match, …) until the next key.
    pub notice: Option<String>,
    /// Errors per minute in the hour up to the newest entry (oldest minute first).
    pub error_rate: Vec<u64>,
    /// The newest entry's time (the end of `error_rate`).
    pub newest: Option<NaiveDateTime>,
    /// The most frequent error messages (kept up to date while the summary is open).
    pub summary: Vec<ErrorGroup>,
    next_uid: u64,
}

impl Default for LogsView {
    fn default() -> Self {
        LogsView::new(DEFAULT_MAX_ENTRIES)
    }
}

impl LogsView {
    /// An empty view keeping at most `capacity` entries.
    pub fn new(capacity: usize) -> LogsView {
        LogsView {
            entries: VecDeque::new(),
            capacity: capacity.max(1),
            dropped: 0,
            sources: Vec::new(),
            loaded: false,
            events: false,
            more_older: true,
            loading_older: false,
            min_level: None,
            source_filter: None,
            search: None,
            only_matches: false,
            visible: Vec::new(),
            selected: None,
            offset: 0,
            follow: true,
            show_summary: false,
            prompt: None,
            notice: None,
            error_rate: Vec::new(),
            newest: None,
            summary: Vec::new(),
            next_uid: 0,
        }
    }

    fn store(&mut self, entry: LogEntry) -> StoredEntry {
        self.next_uid += 1;
        StoredEntry {
            uid: self.next_uid,
            entry,
            expanded: false,
            marked: false,
        }
    }

    /// Whether the stored entry at `index` passes the filter.
    pub fn passes(&self, stored: &StoredEntry) -> bool {
        let entry = &stored.entry;
        if let Some(min) = self.min_level
            && entry.level.unwrap_or(Level::Info) < min
        {
            return false;
        }
        if self.source_filter.is_some_and(|s| s != entry.source) {
            return false;
        }
        if self.only_matches
            && let Some(search) = &self.search
            && search.regex.is_some()
        {
            return search.matches(entry);
        }
        true
    }

    /// The selected entry, if any.
    pub fn selected_entry(&self) -> Option<&StoredEntry> {
        let index = *self.visible.get(self.selected?)?;
        self.entries.get(index)
    }

    fn selected_uid(&self) -> Option<u64> {
        self.selected_entry().map(|e| e.uid)
    }

    /// Recomputes the shown entries, keeping the selected entry selected when it stays.
    pub fn refilter(&mut self) {
        let keep = self.selected_uid();
        self.visible = (0..self.entries.len())
            .filter(|&i| self.passes(&self.entries[i]))
            .collect();
        self.reselect(keep);
    }

    fn reselect(&mut self, uid: Option<u64>) {
        if self.follow || self.visible.is_empty() {
            self.selected = self.visible.len().checked_sub(1);
            return;
        }
        let found = uid.and_then(|uid| {
            self.visible
                .iter()
                .position(|&i| self.entries[i].uid == uid)
        });
        self.selected = Some(found.unwrap_or(0).min(self.visible.len() - 1));
    }

    /// The first screen: replaces everything.
    pub fn load(&mut self, entries: Vec<LogEntry>) {
        self.entries.clear();
        for entry in entries {
            let stored = self.store(entry);
            self.entries.push_back(stored);
        }
        self.loaded = true;
        self.trim_front();
        self.refilter();
        self.refresh_stats();
    }

    /// New entries (merged by time among themselves): appended in time order.
    pub fn append(&mut self, entries: Vec<LogEntry>) {
        let keep = self.selected_uid();
        let mut in_order = true;
        for entry in entries {
            let stored = self.store(entry);
            let at = self.insert_position(&stored.entry);
            if at == self.entries.len() {
                if self.passes(&stored) {
                    self.visible.push(at);
                }
                self.entries.push_back(stored);
            } else {
                self.entries.insert(at, stored);
                in_order = false;
            }
        }
        let dropped = self.trim_front();
        if !in_order {
            self.visible = (0..self.entries.len())
                .filter(|&i| self.passes(&self.entries[i]))
                .collect();
        } else if dropped > 0 {
            self.visible.retain(|&i| i >= dropped);
            for i in &mut self.visible {
                *i -= dropped;
            }
        }
        self.reselect(keep);
        self.refresh_stats();
    }

    /// Where `entry` belongs: after every entry not newer than it (entries without a time
    /// go to the end).
    fn insert_position(&self, entry: &LogEntry) -> usize {
        let Some(time) = entry.timestamp else {
            return self.entries.len();
        };
        let mut at = self.entries.len();
        while at > 0 {
            match self.entries[at - 1].entry.timestamp {
                Some(before) if before > time => at -= 1,
                _ => break,
            }
        }
        at
    }

    /// Continuation lines of the newest entry of `source` (a traceback that arrived after
    /// its first line).
    pub fn continue_last(&mut self, source: u16, lines: Vec<String>) {
        if let Some(stored) = self
            .entries
            .iter_mut()
            .rev()
            .find(|e| e.entry.source == source)
        {
            for line in lines {
                stored.entry.push_continuation(line);
            }
        }
    }

    /// Older entries read on request: placed before everything.
    pub fn prepend(&mut self, entries: Vec<LogEntry>, more: bool) {
        let keep = self.selected_uid();
        let room = self.capacity.saturating_sub(self.entries.len());
        let skip = entries.len().saturating_sub(room);
        for entry in entries.into_iter().skip(skip).rev() {
            let stored = self.store(entry);
            self.entries.push_front(stored);
        }
        self.more_older = more && skip == 0;
        self.loading_older = false;
        self.visible = (0..self.entries.len())
            .filter(|&i| self.passes(&self.entries[i]))
            .collect();
        self.reselect(keep);
        self.refresh_stats();
    }

    /// Recomputes the error rate and, while it is open, the error summary.
    pub fn refresh_stats(&mut self) {
        self.newest = self.entries.iter().rev().find_map(|e| e.entry.timestamp);
        self.error_rate = match self.newest {
            Some(end) => {
                errors_per_minute(self.entries.iter().map(|e| &e.entry), end, RATE_MINUTES)
            }
            None => Vec::new(),
        };
        if self.show_summary {
            self.summary = error_groups(
                self.entries.iter().map(|e| &e.entry),
                Level::Error,
                SUMMARY_GROUPS,
            );
        }
    }

    /// Drops the oldest entries beyond the capacity; returns how many.
    fn trim_front(&mut self) -> usize {
        let excess = self.entries.len().saturating_sub(self.capacity);
        self.entries.drain(..excess);
        self.dropped += excess as u64;
        if excess > 0 {
            self.more_older = true;
        }
        excess
    }

    /// Moves the selection; moving up leaves follow mode, `End` enters it. Returns whether
    /// the selection is at the top after a move up (older entries may be read).
    pub fn move_selection(&mut self, movement: Movement, page: usize) -> bool {
        let before = self.selected;
        self.selected = move_selection(self.selected, self.visible.len(), movement, page);
        match movement {
            Movement::End => self.follow = true,
            _ => self.follow = self.follow && self.selected >= before && movement != Movement::Home,
        }
        let up = matches!(movement, Movement::Up | Movement::PageUp | Movement::Home);
        up && self.selected == Some(0) && before == Some(0)
    }

    /// Selects the next (`forward`) or previous shown entry after the selection that
    /// satisfies `wanted`; returns whether one was found.
    pub fn jump(&mut self, forward: bool, wanted: impl Fn(&StoredEntry) -> bool) -> bool {
        let Some(current) = self.selected else {
            return false;
        };
        let found = if forward {
            (current + 1..self.visible.len()).find(|&i| wanted(&self.entries[self.visible[i]]))
        } else {
            (0..current)
                .rev()
                .find(|&i| wanted(&self.entries[self.visible[i]]))
        };
        if let Some(row) = found {
            self.selected = Some(row);
            self.follow = false;
        }
        found.is_some()
    }

    /// Selects the first shown entry at or after `time`; returns whether there is one.
    pub fn jump_to_time(&mut self, time: NaiveDateTime) -> bool {
        let found = self
            .visible
            .iter()
            .position(|&i| self.entries[i].entry.timestamp.is_some_and(|t| t >= time));
        if let Some(row) = found {
            self.selected = Some(row);
            self.follow = false;
        }
        found.is_some()
    }

    /// Toggles the continuation lines of the selected entry.
    pub fn toggle_expanded(&mut self) {
        if let Some(&index) = self.selected.and_then(|s| self.visible.get(s))
            && let Some(stored) = self.entries.get_mut(index)
        {
            stored.expanded = !stored.expanded;
        }
    }

    /// Toggles the mark of the selected entry.
    pub fn toggle_marked(&mut self) {
        if let Some(&index) = self.selected.and_then(|s| self.visible.get(s))
            && let Some(stored) = self.entries.get_mut(index)
        {
            stored.marked = !stored.marked;
        }
    }

    /// The entries to save: the marked ones, or every shown entry when none is marked.
    pub fn entries_to_save(&self) -> Vec<&StoredEntry> {
        let marked: Vec<&StoredEntry> = self.entries.iter().filter(|e| e.marked).collect();
        if marked.is_empty() {
            self.visible.iter().map(|&i| &self.entries[i]).collect()
        } else {
            marked
        }
    }

    /// The display name of source `id`.
    pub fn source_name(&self, id: u16) -> &str {
        self.sources
            .iter()
            .find(|s| s.id == id)
            .map_or("?", |s| s.name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::entry::LogFormat;

    fn entry(source: u16, minute: u32, level: Level, message: &str) -> LogEntry {
        let mut e = LogEntry::new(LogFormat::ScandyApp, message.into());
        e.source = source;
        e.level = Some(level);
        e.timestamp =
            chrono::NaiveDate::from_ymd_opt(2025, 7, 31).and_then(|d| d.and_hms_opt(21, minute, 0));
        e
    }

    fn messages(view: &LogsView) -> Vec<String> {
        view.visible
            .iter()
            .map(|&i| view.entries[i].entry.message.clone())
            .collect()
    }

    #[test]
    fn appends_keep_time_order_and_the_capacity() {
        let mut view = LogsView::new(4);
        view.load(vec![
            entry(0, 1, Level::Info, "a"),
            entry(0, 3, Level::Info, "c"),
        ]);
        view.append(vec![
            entry(1, 2, Level::Error, "b"),
            entry(0, 4, Level::Info, "d"),
        ]);
        assert_eq!(messages(&view), ["a", "b", "c", "d"]);
        view.append(vec![entry(0, 5, Level::Info, "e")]);
        assert_eq!(messages(&view), ["b", "c", "d", "e"]);
        assert_eq!(view.dropped, 1);
        assert_eq!(view.selected, Some(3), "follow keeps the newest selected");
    }

    #[test]
    fn filters_and_selection_survive_new_entries() {
        let mut view = LogsView::new(100);
        view.load(vec![
            entry(0, 1, Level::Info, "start"),
            entry(0, 2, Level::Error, "Fehler eins"),
            entry(1, 3, Level::Warning, "warn"),
        ]);
        view.move_selection(Movement::Up, 10);
        assert!(!view.follow, "moving up pauses follow");
        let selected = view.selected_entry().unwrap().uid;
        view.append(vec![entry(0, 4, Level::Error, "Fehler zwei")]);
        assert_eq!(view.selected_entry().unwrap().uid, selected);
        view.min_level = Some(Level::Error);
        view.refilter();
        assert_eq!(messages(&view), ["Fehler eins", "Fehler zwei"]);
        view.min_level = None;
        view.source_filter = Some(1);
        view.refilter();
        assert_eq!(messages(&view), ["warn"]);
        view.source_filter = None;
        view.search = Some(Search::new("fehler"));
        view.only_matches = true;
        view.refilter();
        assert_eq!(messages(&view), ["Fehler eins", "Fehler zwei"]);
        view.move_selection(Movement::End, 10);
        assert!(view.follow);
    }

    #[test]
    fn older_entries_go_first_and_jumps_find_errors_and_times() {
        let mut view = LogsView::new(100);
        view.load(vec![
            entry(0, 10, Level::Info, "x"),
            entry(0, 11, Level::Info, "y"),
        ]);
        view.move_selection(Movement::Home, 10);
        view.prepend(
            vec![
                entry(0, 5, Level::Error, "old error"),
                entry(0, 6, Level::Info, "old"),
            ],
            false,
        );
        assert_eq!(messages(&view), ["old error", "old", "x", "y"]);
        assert_eq!(view.selected_entry().unwrap().entry.message, "x");
        assert!(!view.more_older);
        assert!(view.jump(false, |e| e.entry.level >= Some(Level::Error)));
        assert_eq!(view.selected_entry().unwrap().entry.message, "old error");
        let time = chrono::NaiveDate::from_ymd_opt(2025, 7, 31)
            .and_then(|d| d.and_hms_opt(21, 7, 0))
            .unwrap();
        assert!(view.jump_to_time(time));
        assert_eq!(view.selected_entry().unwrap().entry.message, "x");
        view.toggle_marked();
        assert_eq!(view.entries_to_save().len(), 1);
        let search = Search::new("(");
        assert!(search.regex.is_none() && search.error.is_some());
    }
}
