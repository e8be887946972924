//! The Checklists tab's state: the checklists' state as last read, which checklist and item
//! are shown, what runs in the background, the open input, the maintenance log and report
//! views; and the keys, commands and reports that drive it.

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::checks::state::{ChecklistsState, Due, Round, due_state};
use crate::checks::{Cadence, ItemDef, ItemResult};
use crate::jobs::{JobId, JobSpec};
use crate::maintenance_log::MaintenanceEntry;
use crate::ui::dialogs::text_input::TextInput;
use crate::ui::widgets::table::Movement;

/// A key of the Checklists tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecklistsAction {
    /// The previous (-1) or next (+1) checklist; in the report view the report.
    Switch(isize),
    /// Show this checklist.
    Show(Cadence),
    /// Move the item selection (log view: the entry; report view: scroll the text).
    Move(Movement),
    /// Run every automatic item of the shown checklist in the background.
    RunAll,
    /// Run the selected item again (a manual item: open its confirmation).
    RunSelected,
    /// Confirm the selected manual item, with an optional comment.
    Confirm,
    /// Offer the selected item's follow-up (behind a confirmation).
    FollowUp,
    /// Show or leave the maintenance log.
    ToggleLog,
    /// Show or leave the reports.
    ToggleReports,
    /// Log view: type a text filter.
    Filter,
    /// Log view: cycle the kind filter (all, then each kind present).
    CycleKind,
}

/// What the tab shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// The checklists, their items and the selected item's detail.
    #[default]
    Checklist,
    /// The maintenance log.
    Log,
    /// The monthly reports.
    Reports,
}

/// Where an item of a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunMark {
    /// Waiting for the items before it.
    Queued,
    /// Running now.
    Running,
}

/// A report file in the report directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFile {
    /// The file.
    pub path: PathBuf,
    /// When it was last written.
    pub modified: Option<DateTime<Utc>>,
}

impl ReportFile {
    /// The file name (shown in the list).
    pub fn name(&self) -> String {
        self.path.file_name().map_or_else(
            || self.path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    }
}

/// What the runner read from the state directory, and when.
#[derive(Debug, Clone, PartialEq)]
pub struct ChecklistsSnapshot {
    /// `checklists.json`.
    pub state: ChecklistsState,
    /// The maintenance log, oldest first.
    pub entries: Vec<MaintenanceEntry>,
    /// The report files, newest first.
    pub reports: Vec<ReportFile>,
    /// The directory the reports are in.
    pub report_dir: PathBuf,
    /// When it was read: due states are shown as of this moment.
    pub at: DateTime<Utc>,
}

/// What a confirmed follow-up does.
#[derive(Debug, Clone, PartialEq)]
pub enum FollowUpWork {
    /// Compact these collections, one job after the other.
    Compact(Vec<String>),
    /// Start this job.
    Job(JobSpec),
    /// Write the logrotate rule shown (never over an existing file).
    WriteLogrotate,
}

/// The confirmation of a follow-up: what exactly will happen.
#[derive(Debug, Clone, PartialEq)]
pub struct FollowUpPlan {
    /// The popup's title.
    pub title: String,
    /// What will happen, one paragraph each.
    pub lines: Vec<String>,
    /// What it blocks or risks.
    pub warning: Option<String>,
    /// The exact statements or file content, shown verbatim.
    pub statements: Vec<String>,
    /// What "yes" starts.
    pub work: FollowUpWork,
}

/// The open input of the tab (it receives every key but Ctrl-C).
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// The optional comment confirming a manual item.
    Comment {
        /// The item.
        id: String,
        /// The comment typed so far.
        text: TextInput,
    },
    /// The text filter of the maintenance log.
    LogFilter(TextInput),
    /// The confirmation of a follow-up.
    FollowUp(Box<FollowUpPlan>),
}

/// The Checklists tab's state.
#[derive(Debug, Clone, PartialEq)]
pub struct ChecklistsView {
    /// Every item (scandyctl's and the site's), in checklist order.
    pub items: Vec<ItemDef>,
    /// The checklists' state as last read (`None` until the first read).
    pub snapshot: Option<ChecklistsSnapshot>,
    /// Why the last read failed, if it did.
    pub load_error: Option<String>,
    /// The checklist shown.
    pub cadence: Cadence,
    /// The selected item (index into the shown checklist's items).
    pub selected: usize,
    /// First line shown of the item's detail.
    pub detail_scroll: u16,
    /// Items queued or running, by id.
    pub running: BTreeMap<String, RunMark>,
    /// The spinner's frame (advances on ticks while items run).
    pub spinner: usize,
    /// What the tab shows.
    pub mode: Mode,
    /// The open input.
    pub input: Option<Input>,
    /// A note for the admin (`true`: an error), until the next key.
    pub notice: Option<(String, bool)>,
    /// Log view: the text filter (case-insensitive).
    pub log_text: String,
    /// Log view: only entries of this kind.
    pub log_kind: Option<String>,
    /// Log view: the selected entry (index into the filtered entries, newest first).
    pub log_selected: usize,
    /// Report view: the selected report (index into the reports, newest first).
    pub report_selected: usize,
    /// Report view: the text read (file, content or why it cannot be read).
    pub report_text: Option<(PathBuf, Result<String, String>)>,
    /// Report view: first line shown.
    pub report_scroll: u16,
    /// Waiting for the collection list of a compact follow-up.
    pub listing: bool,
    /// Collections still to compact after the running one.
    pub compact_queue: VecDeque<String>,
    /// The compact job running now, with its collection.
    pub compact_job: Option<(JobId, String)>,
    /// Collections compacted in this follow-up, and how many failed.
    pub compact_done: (usize, usize),
    /// The logrotate follow-up: the file it writes and the rule (`None`: not offered).
    pub logrotate: Option<(PathBuf, String)>,
}

impl ChecklistsView {
    /// A view of `items` showing the daily checklist, before the first read.
    pub fn new(items: Vec<ItemDef>) -> ChecklistsView {
        ChecklistsView {
            items,
            snapshot: None,
            load_error: None,
            cadence: Cadence::Daily,
            selected: 0,
            detail_scroll: 0,
            running: BTreeMap::new(),
            spinner: 0,
            mode: Mode::Checklist,
            input: None,
            notice: None,
            log_text: String::new(),
            log_kind: None,
            log_selected: 0,
            report_selected: 0,
            report_text: None,
            report_scroll: 0,
            listing: false,
            compact_queue: VecDeque::new(),
            compact_job: None,
            compact_done: (0, 0),
            logrotate: None,
        }
    }

    /// The items of `cadence`, in order.
    pub fn items_of(&self, cadence: Cadence) -> Vec<&ItemDef> {
        self.items.iter().filter(|i| i.cadence == cadence).collect()
    }

    /// The selected item of the shown checklist.
    pub fn selected_item(&self) -> Option<&ItemDef> {
        self.items_of(self.cadence).get(self.selected).copied()
    }

    /// Whether `cadence` is due, as of the last read (`None` before it).
    pub fn due(&self, cadence: Cadence) -> Option<Due> {
        let snapshot = self.snapshot.as_ref()?;
        Some(due_state(&snapshot.state, cadence, snapshot.at))
    }

    /// The round of `cadence` shown now (empty before the first read).
    pub fn round(&self, cadence: Cadence) -> Round {
        self.snapshot
            .as_ref()
            .map(|s| s.state.visible_round(cadence, s.at))
            .unwrap_or_default()
    }

    /// The result of item `id` of `cadence` in the shown round.
    pub fn result(&self, cadence: Cadence, id: &str) -> Option<ItemResult> {
        self.round(cadence).results.get(id).cloned()
    }

    /// Whether anything of the tab runs in the background (the spinner turns).
    pub fn is_busy(&self) -> bool {
        !self.running.is_empty() || self.listing || self.compact_job.is_some()
    }

    /// The maintenance log entries passing the filters, newest first.
    pub fn filtered_entries(&self) -> Vec<&MaintenanceEntry> {
        let Some(snapshot) = &self.snapshot else {
            return Vec::new();
        };
        let needle = self.log_text.trim().to_lowercase();
        snapshot
            .entries
            .iter()
            .rev()
            .filter(|e| self.log_kind.as_ref().is_none_or(|k| &e.kind == k))
            .filter(|e| {
                needle.is_empty()
                    || [&e.kind, &e.actor, &e.title, &e.detail, &e.outcome]
                        .into_iter()
                        .chain(&e.evidence)
                        .chain(e.params.values())
                        .any(|field| field.to_lowercase().contains(&needle))
            })
            .collect()
    }

    /// The kinds present in the maintenance log, sorted.
    pub fn log_kinds(&self) -> Vec<String> {
        let mut kinds: Vec<String> = self
            .snapshot
            .iter()
            .flat_map(|s| s.entries.iter().map(|e| e.kind.clone()))
            .collect();
        kinds.sort();
        kinds.dedup();
        kinds
    }

    /// The checklists that are overdue, as "daily since 2026-11-25 20:00 UTC" (`None`: none).
    pub fn overdue_text(&self) -> Option<String> {
        let snapshot = self.snapshot.as_ref()?;
        crate::alerts::signals::overdue_checklists(&snapshot.state, snapshot.at)
    }
}

impl Default for ChecklistsView {
    fn default() -> Self {
        ChecklistsView::new(Vec::new())
    }
}

/// What the checklist runner reports back.
#[derive(Debug, Clone, PartialEq)]
pub enum ChecklistsEvent {
    /// The state directory was read (or could not be).
    Loaded(Result<Box<ChecklistsSnapshot>, String>),
    /// Item `id` started running.
    ItemStarted(String),
    /// Item `id` finished: its result and whether it completed the checklist, or why it
    /// could not be recorded; the state as read right after.
    ItemDone {
        /// The item.
        id: String,
        /// Its result and whether the checklist is complete now.
        outcome: Result<(Box<ItemResult>, bool), String>,
        /// The state directory read afterwards.
        snapshot: Option<Box<ChecklistsSnapshot>>,
    },
    /// A report file was read (or could not be).
    ReportRead {
        /// The file.
        path: PathBuf,
        /// Its text, or why it cannot be read.
        text: Result<String, String>,
    },
    /// The collections to compact (or why they cannot be listed).
    Collections(Result<Vec<String>, String>),
    /// A follow-up file was written (or could not be).
    FileWritten(Result<PathBuf, String>),
}

/// Work the Checklists tab asks the event loop for.
#[derive(Debug, Clone, PartialEq)]
pub enum ChecklistsCommand {
    /// Read the state, the maintenance log and the report list.
    Load,
    /// Run these items of `cadence` one after the other and record each.
    Run {
        /// The checklist.
        cadence: Cadence,
        /// The items, in order.
        ids: Vec<String>,
    },
    /// Confirm a manual item with the admin's comment.
    Confirm {
        /// The item.
        id: String,
        /// The comment (empty: none).
        comment: Option<String>,
    },
    /// Read a report file.
    ReadReport(PathBuf),
    /// List the collections for a compact follow-up.
    ListCollections,
    /// Write the logrotate rule into `[checklists] logrotate_dir` (never over a file).
    WriteLogrotate,
}

/// A UTC time as `2026-11-26 02:00 UTC`.
pub fn utc(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}
