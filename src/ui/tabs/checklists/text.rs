//! Fixed texts and marks of the Checklists tab: due states, item status marks in their
//! colours, item kinds and the key hints.

use ratatui::style::Style;

use super::view::{ChecklistsView, Input, Mode, RunMark, utc};
use crate::checks::state::Due;
use crate::checks::{Cadence, FollowUp, ItemDef, ItemKind, ItemResult, Severity};
use crate::i18n::{Lang, Msg};
use crate::ui::theme;

/// The spinner's frames.
pub const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// The short due state ("due", "overdue", "done", "never done") and its style.
pub fn due_short(lang: Lang, due: Option<Due>) -> (&'static str, Style) {
    match due {
        None => ("…", theme::muted()),
        Some(Due::Never) => (Msg::CkShortNever.text(lang), theme::warn()),
        Some(Due::Due { .. }) => (Msg::CkShortDue.text(lang), theme::warn()),
        Some(Due::Overdue { .. }) => (Msg::CkShortOverdue.text(lang), theme::bad()),
        Some(Due::Done { .. }) => (Msg::CkShortDone.text(lang), theme::ok()),
    }
}

/// The full due state: "overdue since …", "done, next due …".
pub fn due_long(lang: Lang, due: Option<Due>) -> String {
    match due {
        None => Msg::CkReading.text(lang).to_string(),
        Some(Due::Never) => Msg::CkDueNever.text(lang).to_string(),
        Some(Due::Due { since }) => Msg::CkDueSince.fill(lang, &[&utc(since)]),
        Some(Due::Overdue { since }) => Msg::CkOverdueSince.fill(lang, &[&utc(since)]),
        Some(Due::Done { next }) => Msg::CkDoneNext.fill(lang, &[&utc(next)]),
    }
}

/// The mark and style of an item: running, queued, not done, or its result's severity.
pub fn status_mark(
    view: &ChecklistsView,
    id: &str,
    result: Option<&ItemResult>,
) -> (&'static str, Style) {
    match view.running.get(id) {
        Some(RunMark::Running) => (SPINNER[view.spinner % SPINNER.len()], theme::warn()),
        Some(RunMark::Queued) => ("…", theme::muted()),
        None => match result {
            None => ("○", theme::muted()),
            Some(r) => severity_mark(r.severity),
        },
    }
}

/// `✓` ok, `i` info, `!` warning, `✗` failed, `?` unknown, in their colours.
pub fn severity_mark(severity: Severity) -> (&'static str, Style) {
    match severity {
        Severity::Ok => ("✓", theme::ok()),
        Severity::Info => ("i", Style::new().fg(ratatui::style::Color::Cyan)),
        Severity::Warning => ("!", theme::warn()),
        Severity::Failed => ("✗", theme::bad()),
        Severity::Unknown => ("?", theme::warn()),
    }
}

/// The style of a severity's text.
pub fn severity_style(severity: Severity) -> Style {
    severity_mark(severity).1
}

/// "auto", "manual" or "command".
pub fn kind_label(lang: Lang, def: &ItemDef) -> &'static str {
    match def.kind {
        ItemKind::Automatic => Msg::CkKindAuto,
        ItemKind::Manual => Msg::CkKindManual,
        ItemKind::Command { .. } => Msg::CkKindCommand,
    }
    .text(lang)
}

/// What the follow-up does, for the detail pane.
pub fn follow_up_text(lang: Lang, follow_up: FollowUp) -> &'static str {
    match follow_up {
        FollowUp::Compact => Msg::CkFollowCompact,
        FollowUp::CreateIndexes => Msg::CkFollowIndexes,
        FollowUp::WriteLogrotate => Msg::CkFollowLogrotate,
    }
    .text(lang)
}

/// The checklist's name as a heading: "Daily checklist".
pub fn checklist_title(lang: Lang, cadence: Cadence) -> String {
    Msg::CkChecklistTitle.fill(lang, &[cadence.title(lang)])
}

/// The key hints for what the tab shows now.
pub fn hints(lang: Lang, view: &ChecklistsView) -> String {
    let msg = match &view.input {
        Some(Input::Comment { .. }) => Msg::CkHintsComment,
        Some(Input::LogFilter(_)) => Msg::CkHintsFilter,
        Some(Input::FollowUp(_)) => Msg::YesNo,
        None => match view.mode {
            Mode::Checklist => Msg::CkHints,
            Mode::Log => Msg::CkHintsLog,
            Mode::Reports => Msg::CkHintsReports,
        },
    };
    format!(" {}", msg.text(lang))
}
