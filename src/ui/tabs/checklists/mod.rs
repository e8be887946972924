//! Checklists tab: the daily, weekly and monthly maintenance checklists with their due
//! states, the items and their results, the selected item's evidence and fix; the
//! maintenance log and the reports. Engine work runs in `crate::ui::checklist_runner`.

pub mod detail;
pub mod follow_up;
pub mod keys;
pub mod log_view;
pub mod report_view;
pub mod text;
pub mod update;
pub mod view;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use self::text::{checklist_title, due_long, due_short, kind_label, status_mark};
use self::view::{ChecklistsView, FollowUpPlan, Input, Mode, RunMark};
use crate::checks::state::Due;
use crate::checks::{Cadence, Severity};
use crate::i18n::{Lang, Msg};
use crate::sanitize::escape_controls;
use crate::ui::dialogs::text_input::TextInput;
use crate::ui::render::centered;
use crate::ui::state::State;
use crate::ui::theme;
use crate::ui::widgets::table::{self, Cell, Column, TableView};
use crate::ui::widgets::wrap::wrap;

/// Draws the Checklists tab into `area`.
pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let lang = state.lang;
    let view = &state.checklists;
    let input_height = u16::from(matches!(
        view.input,
        Some(Input::Comment { .. } | Input::LogFilter(_))
    ));
    let notice_height = u16::from(view.notice.is_some());
    let [body, input, notice, hints] = Layout::vertical([
        Constraint::Min(3),
        Constraint::Length(input_height),
        Constraint::Length(notice_height),
        Constraint::Length(1),
    ])
    .areas(area);
    match view.mode {
        Mode::Checklist => draw_checklist(frame, body, state),
        Mode::Log => log_view::draw(frame, body, state),
        Mode::Reports => report_view::draw(frame, body, state),
    }
    match &view.input {
        Some(Input::Comment { id, text }) => {
            let prompt = Msg::CkCommentPrompt.fill(lang, &[&escape_controls(id)]);
            frame.render_widget(Paragraph::new(input_line(&prompt, text)), input);
        }
        Some(Input::LogFilter(text)) => {
            let prompt = Msg::CkFilterPrompt.text(lang);
            frame.render_widget(Paragraph::new(input_line(prompt, text)), input);
        }
        _ => {}
    }
    if let Some((message, error)) = &view.notice {
        let style = if *error { theme::bad() } else { theme::warn() };
        frame.render_widget(
            Paragraph::new(Line::styled(
                format!(" {}", escape_controls(message)),
                style,
            )),
            notice,
        );
    }
    frame.render_widget(
        Paragraph::new(Line::styled(text::hints(lang, view), theme::muted())),
        hints,
    );
    if let Some(Input::FollowUp(plan)) = &view.input {
        draw_follow_up(frame, area, lang, plan);
    }
}

/// The Overview's checklist rows: one per due or overdue checklist, naming the tab key, or
/// "all checklists done" with the next due one.
pub fn overview_lines(state: &State) -> Vec<Line<'static>> {
    let lang = state.lang;
    let view = &state.checklists;
    if view.snapshot.is_none() {
        if let Some(error) = &view.load_error {
            let text = Msg::CkStateError.fill(lang, &[&escape_controls(error)]);
            return vec![Line::styled(text, theme::bad())];
        }
        return vec![Line::styled(Msg::CkReading.text(lang), theme::muted())];
    }
    let mut lines = Vec::new();
    let mut next: Option<(chrono::DateTime<chrono::Utc>, Cadence)> = None;
    for cadence in Cadence::ALL {
        let title = cadence.title(lang);
        match view.due(cadence) {
            Some(Due::Overdue { since }) => lines.push(Line::styled(
                format!(
                    "⚠ {}",
                    Msg::CkOverviewOverdue.fill(lang, &[title, &view::utc(since)])
                ),
                theme::bad(),
            )),
            Some(Due::Due { since }) => lines.push(Line::styled(
                format!(
                    "• {}",
                    Msg::CkOverviewDue.fill(lang, &[title, &view::utc(since)])
                ),
                theme::warn(),
            )),
            Some(Due::Never) => lines.push(Line::styled(
                format!("• {}", Msg::CkOverviewNever.fill(lang, &[title])),
                theme::warn(),
            )),
            Some(Due::Done { next: at }) if next.is_none_or(|(n, _)| at < n) => {
                next = Some((at, cadence));
            }
            Some(Due::Done { .. }) | None => {}
        }
    }
    if lines.is_empty() {
        let next = next.map_or(String::new(), |(at, cadence)| {
            format!("{} {}", cadence.title(lang), view::utc(at))
        });
        lines.push(Line::styled(
            format!("✓ {}", Msg::CkOverviewAllDone.fill(lang, &[&next])),
            theme::ok(),
        ));
    }
    lines
}

/// A prompt and a text field with its cursor shown reversed.
pub fn input_line(prompt: &str, input: &TextInput) -> Line<'static> {
    let (before, under, after) = input.split();
    Line::from(vec![
        Span::styled(format!(" {prompt}"), theme::warn()),
        Span::raw(escape_controls(&before).into_owned()),
        Span::styled(
            escape_controls(&under).into_owned(),
            Style::new().add_modifier(Modifier::REVERSED),
        ),
        Span::raw(escape_controls(&after).into_owned()),
    ])
}

/// The strip of the three checklists, the shown one's summary, its items and the detail.
fn draw_checklist(frame: &mut Frame, area: Rect, state: &State) {
    let lang = state.lang;
    let view = &state.checklists;
    let items = view.items_of(view.cadence);
    let wanted_table = items.len().max(1) as u16 + 3;
    let [strip, summary, list, detail_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(
            wanted_table
                .min(area.height.saturating_sub(2) / 2 + 1)
                .max(4),
        ),
        Constraint::Min(0),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(strip_line(lang, view)), strip);
    frame.render_widget(Paragraph::new(summary_line(lang, view)), summary);
    draw_items(frame, list, state);
    detail::draw(frame, detail_area, state);
}

/// " Daily: overdue │ Weekly: done │ Monthly: never done", the shown one highlighted.
fn strip_line(lang: Lang, view: &ChecklistsView) -> Line<'static> {
    let mut spans = Vec::new();
    for (i, cadence) in Cadence::ALL.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" │ ", theme::muted()));
        }
        let (due, style) = due_short(lang, view.due(cadence));
        if cadence == view.cadence {
            let label = format!("▶{}: {due} ", cadence.title(lang));
            spans.push(Span::styled(label, theme::tab_active()));
        } else {
            spans.push(Span::styled(
                format!(" {}: {due} ", cadence.title(lang)),
                style,
            ));
        }
    }
    Line::from(spans)
}

/// "Daily checklist · overdue since … · 2 of 6 done · 1 warning · 1 failed · 1 running".
fn summary_line(lang: Lang, view: &ChecklistsView) -> Line<'static> {
    let cadence = view.cadence;
    if let Some(error) = &view.load_error {
        return Line::styled(
            format!(
                " {}",
                Msg::CkStateError.fill(lang, &[&escape_controls(error)])
            ),
            theme::bad(),
        );
    }
    if view.snapshot.is_none() {
        return Line::styled(format!(" {}", Msg::CkReading.text(lang)), theme::muted());
    }
    let items = view.items_of(cadence);
    let round = view.round(cadence);
    let done = items
        .iter()
        .filter(|d| round.results.contains_key(&d.id))
        .count();
    let (_, due_style) = due_short(lang, view.due(cadence));
    let mut spans = vec![
        Span::raw(" "),
        Span::styled(due_long(lang, view.due(cadence)), due_style),
        Span::raw(" · "),
        Span::raw(Msg::CkProgress.fill(lang, &[&done.to_string(), &items.len().to_string()])),
    ];
    for severity in [Severity::Warning, Severity::Failed, Severity::Unknown] {
        let count = items
            .iter()
            .filter_map(|d| round.results.get(&d.id))
            .filter(|r| r.severity == severity)
            .count();
        if count > 0 {
            spans.push(Span::raw(" · "));
            spans.push(Span::styled(
                format!("{count} {}", severity.label(lang)),
                text::severity_style(severity),
            ));
        }
    }
    let running = items
        .iter()
        .filter(|d| view.running.contains_key(&d.id))
        .count();
    if running > 0 {
        spans.push(Span::raw(" · "));
        spans.push(Span::styled(
            Msg::CkRunningCount.fill(lang, &[&running.to_string()]),
            theme::warn(),
        ));
    }
    Line::from(spans)
}

/// The shown checklist's items as a table.
fn draw_items(frame: &mut Frame, area: Rect, state: &State) {
    let lang = state.lang;
    let view = &state.checklists;
    let cadence = view.cadence;
    let items = view.items_of(cadence);
    let round = view.round(cadence);
    let id_width = items
        .iter()
        .map(|d| d.id.chars().count())
        .max()
        .unwrap_or(2)
        .clamp(2, 14) as u16;
    let with_by = area.width >= 100;
    let mut columns = vec![
        Column::new("", Constraint::Length(1)),
        Column::new(Msg::CkColId.text(lang), Constraint::Length(id_width)),
        Column::new(Msg::CkColKind.text(lang), Constraint::Length(7)),
        Column::new(Msg::CkColItem.text(lang), Constraint::Fill(3)),
        Column::new(Msg::CkColResult.text(lang), Constraint::Fill(4)),
        Column::new(Msg::CkColWhen.text(lang), Constraint::Length(11)),
    ];
    if with_by {
        columns.push(Column::new(Msg::CkColBy.text(lang), Constraint::Length(9)));
    }
    let rows: Vec<Vec<Cell>> = items
        .iter()
        .map(|def| {
            let result = round.results.get(&def.id);
            let (mark, mark_style) = status_mark(view, &def.id, result);
            let (summary, style) = match (view.running.get(&def.id), result) {
                (Some(RunMark::Running), _) => {
                    (Msg::CkRunningItem.text(lang).to_string(), theme::warn())
                }
                (Some(RunMark::Queued), _) => {
                    (Msg::CkQueued.text(lang).to_string(), theme::muted())
                }
                (None, Some(r)) => (
                    escape_controls(&r.summary).into_owned(),
                    text::severity_style(r.severity),
                ),
                (None, None) => (Msg::CkNotDone.text(lang).to_string(), theme::muted()),
            };
            let mut row = vec![
                Cell::styled(mark, mark_style),
                Cell::from(escape_controls(&def.id).into_owned()),
                Cell::styled(kind_label(lang, def), theme::muted()),
                Cell::from(escape_controls(def.title.get(lang)).into_owned()),
                Cell::styled(summary, style),
                Cell::from(
                    result.map_or(String::new(), |r| r.at.format("%m-%d %H:%M").to_string()),
                ),
            ];
            if with_by {
                let by = result.and_then(|r| r.by.clone()).unwrap_or_default();
                row.push(Cell::from(escape_controls(&by).into_owned()));
            }
            row
        })
        .collect();
    let empty = Line::styled(Msg::CkNoItems.text(lang), theme::muted());
    let title = format!(" {} ", checklist_title(lang, cadence));
    table::render(
        frame,
        area,
        &TableView {
            columns: &columns,
            rows: &rows,
            selected: (!rows.is_empty()).then(|| view.selected.min(rows.len() - 1)),
            offset: 0,
            sort: None,
            block: Some(Block::bordered().title(title)),
            empty: Some(empty),
        },
    );
}

/// The confirmation of a follow-up, centred over `area`.
fn draw_follow_up(frame: &mut Frame, area: Rect, lang: Lang, plan: &FollowUpPlan) {
    let width = area.width.saturating_sub(4).clamp(20, 100);
    let text_width = usize::from(width.saturating_sub(2));
    let mut lines: Vec<Line<'static>> = Vec::new();
    for paragraph in &plan.lines {
        lines.extend(
            wrap(&escape_controls(paragraph), text_width)
                .into_iter()
                .map(Line::raw),
        );
    }
    if let Some(warning) = &plan.warning {
        lines.extend(
            wrap(&escape_controls(warning), text_width)
                .into_iter()
                .map(|l| Line::styled(l, theme::warn())),
        );
    }
    lines.push(Line::raw(""));
    let room = usize::from(area.height.saturating_sub(4)).saturating_sub(lines.len() + 2);
    let shown = plan.statements.len().min(room.max(1));
    for statement in plan.statements.iter().take(shown) {
        lines.push(Line::styled(
            format!("  {}", escape_controls(statement)),
            theme::label(),
        ));
    }
    if shown < plan.statements.len() {
        let more = (plan.statements.len() - shown).to_string();
        lines.push(Line::styled(
            format!("  {}", Msg::CkMore.fill(lang, &[&more])),
            theme::muted(),
        ));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(Msg::YesNo.text(lang), theme::muted()));
    let popup = centered(area, width, lines.len() as u16 + 2);
    frame.render_widget(Clear, popup);
    let block = Block::bordered()
        .border_style(theme::warn())
        .title(format!(" {} ", escape_controls(&plan.title)));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        popup,
    );
}
