//! Logs tab: every source merged by time (or one alone), level colours, search highlight,
//! follow mode, tracebacks collapsed to one line (expandable), the error rate per minute,
//! the most frequent errors, and a prompt for search, jump-to-time and save.

pub mod rows;
pub mod view;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use self::view::{LogsView, PromptKind};
use crate::i18n::{Lang, Msg};
use crate::logs::entry::{Fields, Level};
use crate::sanitize::escape_controls;
use crate::ui::state::State;
use crate::ui::theme;
use crate::ui::widgets::table::{text_width, truncate};

/// Lines above the entry list.
pub const HEADER_LINES: u16 = 2;
/// Lines of the selected entry shown in full below the list.
pub const DETAIL_LINES: u16 = 3;

/// Rows of entries on screen for a terminal of `size`.
pub fn page_rows(size: (u16, u16)) -> usize {
    usize::from(size.1.saturating_sub(2 + HEADER_LINES + DETAIL_LINES + 3)).max(1)
}

/// Draws the Logs tab into `area`.
pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let lang = state.lang;
    let view = &state.logs;
    let [header, body, detail, bottom] = Layout::vertical([
        Constraint::Length(HEADER_LINES),
        Constraint::Min(0),
        Constraint::Length(DETAIL_LINES + 1),
        Constraint::Length(1),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(header_lines(lang, view)), header);
    if !view.loaded {
        frame.render_widget(
            Paragraph::new(Msg::LogsReading.text(lang)).style(theme::muted()),
            body,
        );
    } else if view.sources.is_empty() {
        frame.render_widget(
            Paragraph::new(Msg::LogsNoSources.text(lang))
                .style(theme::warn())
                .wrap(Wrap { trim: false }),
            body,
        );
    } else if view.show_summary {
        let [list, summary] =
            Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                .spacing(1)
                .areas(body);
        rows::draw(frame, list, view, lang);
        draw_summary(frame, summary, view, lang);
    } else {
        rows::draw(frame, body, view, lang);
    }
    draw_detail(frame, detail, view, lang);
    frame.render_widget(Paragraph::new(bottom_line(lang, view)), bottom);
}

fn header_lines(lang: Lang, view: &LogsView) -> Vec<Line<'static>> {
    let mut first = vec![Span::styled(
        Msg::LogsCounts.fill(
            lang,
            &[
                &view.sources.len().to_string(),
                &view.visible.len().to_string(),
                &view.entries.len().to_string(),
            ],
        ),
        theme::label(),
    )];
    let mut filters = Vec::new();
    if let Some(level) = view.min_level {
        filters.push(Msg::LogsFilterLevel.fill(lang, &[level.label()]));
    }
    if let Some(source) = view.source_filter {
        filters.push(escape_controls(view.source_name(source)).into_owned());
    }
    if let Some(search) = &view.search {
        let mut text = format!("/{}/", escape_controls(&search.text));
        if view.only_matches {
            text.push_str(&format!(" ({})", Msg::LogsOnlyMatches.text(lang)));
        }
        filters.push(text);
    }
    if !filters.is_empty() {
        first.push(Span::raw(format!(" · {}", filters.join(" · "))));
    }
    let (mode, style) = if view.follow {
        (Msg::LogsFollowing.text(lang), theme::ok())
    } else {
        (Msg::LogsPaused.text(lang), theme::warn())
    };
    first.push(Span::styled(format!("   {mode}"), style));
    for source in view.sources.iter().filter(|s| s.problem.is_some()) {
        first.push(Span::styled(
            format!(
                "   ⚠ {}: {}",
                escape_controls(&source.name),
                escape_controls(source.problem.as_deref().unwrap_or(""))
            ),
            theme::bad(),
        ));
    }
    vec![Line::from(first), rate_line(lang, view)]
}

/// "Errors/min until 21:35 ▁▁▃█▁ · 12 in the hour".
fn rate_line(lang: Lang, view: &LogsView) -> Line<'static> {
    let Some(newest) = view.newest else {
        return Line::raw("");
    };
    let total: u64 = view.error_rate.iter().sum();
    let peak = view.error_rate.iter().copied().max().unwrap_or(0);
    let bars: String = view.error_rate.iter().map(|&n| bar(n, peak)).collect();
    Line::from(vec![
        Span::styled(
            Msg::LogsRate.fill(lang, &[&newest.format("%H:%M").to_string()]),
            theme::muted(),
        ),
        Span::styled(
            bars,
            if total > 0 {
                theme::bad()
            } else {
                theme::muted()
            },
        ),
        Span::raw(format!(
            " {}",
            Msg::LogsRateTotal.fill(lang, &[&total.to_string(), &peak.to_string()])
        )),
    ])
}

/// One sparkline cell for `n` of at most `peak`.
fn bar(n: u64, peak: u64) -> char {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    if n == 0 || peak == 0 {
        return ' ';
    }
    let level = ((n as f64 / peak as f64) * 7.0).round() as usize;
    BARS[level.min(7)]
}

fn draw_detail(frame: &mut Frame, area: Rect, view: &LogsView, lang: Lang) {
    let block = Block::new().borders(Borders::TOP);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(stored) = view.selected_entry() else {
        return;
    };
    let entry = &stored.entry;
    let width = usize::from(inner.width.max(1));
    let budget = width * usize::from(DETAIL_LINES) * 4;
    let mut lines = Vec::new();
    if !entry.fields.is_empty() {
        lines.push(fields_line(&entry.fields, width));
    }
    let mut text = truncate(&escape_controls(&entry.message), budget);
    if entry.is_multiline() && !stored.expanded {
        text.push_str(&format!(
            "  {}",
            Msg::LogsMoreLines.fill(lang, &[&entry.continuation.len().to_string()])
        ));
    }
    lines.push(Line::styled(text, level_style(entry.level)));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

/// A security event's or user action's fields, cut to one row of `width` cells:
/// `event_type login_failed · user admin · ip 127.0.0.1`.
fn fields_line(fields: &Fields, width: usize) -> Line<'static> {
    let mut spans = Vec::new();
    let mut used = 0;
    for (i, (key, value)) in fields.iter().enumerate() {
        let key = format!(
            "{}{} ",
            if i == 0 { "" } else { " · " },
            escape_controls(key)
        );
        let room = width.saturating_sub(used + text_width(&key));
        if room == 0 {
            break;
        }
        let value = truncate(&escape_controls(&value.to_string()), room);
        used += text_width(&key) + text_width(&value);
        spans.push(Span::styled(key, theme::muted()));
        spans.push(Span::styled(value, theme::label()));
    }
    Line::from(spans)
}

/// The style of an entry of `level`.
pub fn level_style(level: Option<Level>) -> ratatui::style::Style {
    match level {
        Some(Level::Critical | Level::Error) => theme::bad(),
        Some(Level::Warning) => theme::warn(),
        Some(Level::Debug) => theme::muted(),
        _ => ratatui::style::Style::new(),
    }
}

fn draw_summary(frame: &mut Frame, area: Rect, view: &LogsView, lang: Lang) {
    let block = Block::new()
        .borders(Borders::LEFT | Borders::TOP)
        .title(format!(" {} ", Msg::LogsSummaryTitle.text(lang)));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = usize::from(inner.width);
    let mut lines = Vec::new();
    if view.summary.is_empty() {
        lines.push(Line::styled(Msg::LogsNoErrors.text(lang), theme::ok()));
    }
    for group in &view.summary {
        let last = group
            .last
            .map(|t| t.format("%m-%d %H:%M").to_string())
            .unwrap_or_default();
        lines.push(Line::from(vec![
            Span::styled(
                format!("{:>6}× ", group.count),
                level_style(Some(group.level)),
            ),
            Span::styled(format!("{last} "), theme::muted()),
            Span::raw(truncate(
                &escape_controls(&group.shape),
                width.saturating_sub(20),
            )),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

fn bottom_line(lang: Lang, view: &LogsView) -> Line<'static> {
    if let Some(prompt) = &view.prompt {
        let label = match prompt.kind {
            PromptKind::Search => Msg::LogsPromptSearch,
            PromptKind::JumpToTime => Msg::LogsPromptTime,
            PromptKind::Save => Msg::LogsPromptSave,
        };
        let mut spans = vec![
            Span::styled(format!("{} ", label.text(lang)), theme::label()),
            Span::raw(escape_controls(&prompt.input.value).into_owned()),
            Span::styled("▏", theme::label()),
        ];
        let error = prompt.error.clone().or_else(|| {
            (prompt.kind == PromptKind::Search)
                .then(|| view.search.as_ref().and_then(|s| s.error.clone()))
                .flatten()
        });
        if let Some(error) = error {
            spans.push(Span::styled(
                format!("   {}", escape_controls(&error)),
                theme::bad(),
            ));
        }
        return Line::from(spans);
    }
    if let Some(notice) = &view.notice {
        return Line::styled(escape_controls(notice).into_owned(), theme::warn());
    }
    Line::styled(Msg::LogsHints.text(lang), theme::muted())
}
