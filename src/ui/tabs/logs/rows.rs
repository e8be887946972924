//! The entry list of the Logs tab: one line per entry (time, level, source, message with
//! search matches highlighted), continuation lines under an expanded entry, marks.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::level_style;
use super::view::{LogsView, Search, StoredEntry};
use crate::i18n::{Lang, Msg};
use crate::logs::entry::Level;
use crate::sanitize::escape_controls;
use crate::ui::theme;

/// Width of the source column.
const SOURCE_WIDTH: usize = 11;
/// Indent of continuation lines (under the message column).
const INDENT: usize = 2 + 14 + 1 + 5 + 1 + SOURCE_WIDTH + 1;

/// Draws the shown entries around the selection into `area`.
pub fn draw(frame: &mut Frame, area: Rect, view: &LogsView, lang: Lang) {
    let height = usize::from(area.height);
    if view.visible.is_empty() {
        let text = if view.entries.is_empty() {
            Msg::LogsEmpty.text(lang)
        } else {
            Msg::LogsNoMatch.text(lang)
        };
        frame.render_widget(Paragraph::new(Line::styled(text, theme::muted())), area);
        return;
    }
    let width = usize::from(area.width);
    let start = first_shown(view, height);
    let mut lines: Vec<Line> = Vec::with_capacity(height);
    if start == 0 && view.more_older {
        let text = if view.loading_older {
            Msg::LogsLoadingOlder.text(lang)
        } else {
            Msg::LogsOlderHint.text(lang)
        };
        lines.push(Line::styled(text, theme::muted()));
    }
    for row in start..view.visible.len() {
        if lines.len() >= height {
            break;
        }
        let stored = &view.entries[view.visible[row]];
        let selected = view.selected == Some(row);
        lines.push(entry_line(view, stored, selected, width, lang));
        if stored.expanded {
            for text in &stored.entry.continuation {
                if lines.len() >= height {
                    break;
                }
                lines.push(continuation_line(text, view.search.as_ref(), width));
            }
        }
    }
    frame.render_widget(Paragraph::new(lines), area);
}

/// Lines an entry takes on screen.
fn entry_height(stored: &StoredEntry) -> usize {
    if stored.expanded {
        1 + stored.entry.continuation.len()
    } else {
        1
    }
}

/// The first row shown: the state's offset when the selection fits below it, else the
/// row that puts the selection at the bottom.
fn first_shown(view: &LogsView, height: usize) -> usize {
    let Some(selected) = view.selected else {
        return view.offset.min(view.visible.len().saturating_sub(1));
    };
    let room = height.saturating_sub(1).max(1);
    let fits = |start: usize| {
        (start..=selected)
            .map(|row| entry_height(&view.entries[view.visible[row]]))
            .sum::<usize>()
            <= room
    };
    if view.offset <= selected && fits(view.offset) {
        return view.offset;
    }
    let mut start = selected;
    let mut used = entry_height(&view.entries[view.visible[selected]]);
    while start > 0 {
        let above = entry_height(&view.entries[view.visible[start - 1]]);
        if used + above > room {
            break;
        }
        used += above;
        start -= 1;
    }
    start
}

/// Short level label (5 cells).
fn level_label(level: Option<Level>) -> &'static str {
    match level {
        Some(Level::Debug) => "DEBUG",
        Some(Level::Info) => "INFO ",
        Some(Level::Warning) => "WARN ",
        Some(Level::Error) => "ERROR",
        Some(Level::Critical) => "CRIT ",
        None => "     ",
    }
}

/// A source name shortened to its file stem ("logs/security.log" → "security").
pub fn short_source(name: &str) -> String {
    let file = name.rsplit('/').next().unwrap_or(name);
    file.strip_suffix(".log").unwrap_or(file).to_string()
}

fn entry_line(
    view: &LogsView,
    stored: &StoredEntry,
    selected: bool,
    width: usize,
    lang: Lang,
) -> Line<'static> {
    let entry = &stored.entry;
    let base = if selected {
        Style::new().add_modifier(Modifier::REVERSED)
    } else {
        Style::new()
    };
    let time = entry.timestamp.map_or_else(
        || " ".repeat(14),
        |t| t.format("%m-%d %H:%M:%S").to_string(),
    );
    let source = short_source(view.source_name(entry.source));
    let source: String = source.chars().take(SOURCE_WIDTH).collect();
    let mut spans = vec![
        Span::styled(if stored.marked { "● " } else { "  " }, theme::label()),
        Span::styled(format!("{time} "), theme::muted().patch(base)),
        Span::styled(
            format!("{} ", level_label(entry.level)),
            level_style(entry.level).patch(base),
        ),
        Span::styled(
            format!("{source:<SOURCE_WIDTH$} "),
            theme::muted().patch(base),
        ),
    ];
    if let Some(logger) = &entry.logger {
        spans.push(Span::styled(
            format!("{}: ", escape_controls(logger)),
            theme::muted().patch(base),
        ));
    }
    let room = width.saturating_sub(INDENT);
    spans.extend(highlighted(
        &entry.message,
        view.search.as_ref(),
        level_style(entry.level).patch(base),
        room,
    ));
    if entry.is_multiline() && !stored.expanded {
        spans.push(Span::styled(
            format!(
                "  {}",
                Msg::LogsMoreLines.fill(lang, &[&entry.continuation.len().to_string()])
            ),
            theme::muted(),
        ));
    }
    if entry.truncated {
        spans.push(Span::styled(" ✂", theme::warn()));
    }
    Line::from(spans)
}

fn continuation_line(text: &str, search: Option<&Search>, width: usize) -> Line<'static> {
    let mut spans = vec![Span::styled(
        format!("{}│ ", " ".repeat(INDENT - 2)),
        theme::muted(),
    )];
    spans.extend(highlighted(
        text,
        search,
        Style::new(),
        width.saturating_sub(INDENT),
    ));
    Line::from(spans)
}

/// `text` cut to about `room` cells, control characters escaped, search matches reversed.
fn highlighted(
    text: &str,
    search: Option<&Search>,
    style: Style,
    room: usize,
) -> Vec<Span<'static>> {
    let cut = cut_at_char(text, room.max(1) * 2);
    let ranges = search.map_or_else(Vec::new, |s| s.ranges(cut));
    let mut spans = Vec::new();
    let mut at = 0;
    let hit = style.add_modifier(Modifier::REVERSED).patch(theme::warn());
    for range in ranges {
        if range.start < at {
            continue;
        }
        if range.start > at {
            spans.push(Span::styled(
                escape_controls(&cut[at..range.start]).into_owned(),
                style,
            ));
        }
        spans.push(Span::styled(
            escape_controls(&cut[range.clone()]).into_owned(),
            hit,
        ));
        at = range.end;
    }
    if at < cut.len() {
        spans.push(Span::styled(
            escape_controls(&cut[at..]).into_owned(),
            style,
        ));
    }
    spans
}

/// At most `max` bytes of `text`, cut at a character boundary.
fn cut_at_char(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}
