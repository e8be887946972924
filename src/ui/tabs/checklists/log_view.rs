//! The maintenance log on the Checklists tab: every entry newest first, filtered by text and
//! kind, with the selected entry's detail below.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Block;

use super::detail::draw_scrolled;
use crate::i18n::Msg;
use crate::sanitize::escape_controls;
use crate::ui::state::State;
use crate::ui::theme;
use crate::ui::widgets::table::{self, Cell, Column, TableView};

/// Draws the maintenance log into `area`.
pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let lang = state.lang;
    let view = &state.checklists;
    let entries = view.filtered_entries();
    let total = view.snapshot.as_ref().map_or(0, |s| s.entries.len());
    let list_height = (entries.len() as u16 + 3)
        .min(area.height.saturating_sub(1) * 3 / 5)
        .max(4);
    let [header, list, detail] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(list_height),
        Constraint::Min(0),
    ])
    .areas(area);
    let mut spans = vec![
        Span::styled(
            format!(" {}", Msg::CkLogTitle.text(lang)),
            theme::label().bold(),
        ),
        Span::raw(" · "),
        Span::raw(Msg::CkLogCount.fill(lang, &[&entries.len().to_string(), &total.to_string()])),
        Span::raw(" · "),
    ];
    let kind = match &view.log_kind {
        Some(kind) => escape_controls(kind).into_owned(),
        None => Msg::CkLogAllKinds.text(lang).to_string(),
    };
    spans.push(Span::styled(
        Msg::CkLogKind.fill(lang, &[&kind]),
        if view.log_kind.is_some() {
            theme::warn()
        } else {
            theme::muted()
        },
    ));
    if !view.log_text.is_empty() {
        spans.push(Span::raw(" · "));
        spans.push(Span::styled(
            Msg::CkLogText.fill(lang, &[&escape_controls(&view.log_text)]),
            theme::warn(),
        ));
    }
    frame.render_widget(ratatui::widgets::Paragraph::new(Line::from(spans)), header);
    let columns = [
        Column::new(Msg::CkColWhen.text(lang), Constraint::Length(16)),
        Column::new(Msg::CkLogColKind.text(lang), Constraint::Length(10)),
        Column::new(Msg::CkLogColWho.text(lang), Constraint::Length(9)),
        Column::new(Msg::CkLogColEntry.text(lang), Constraint::Fill(1)),
    ];
    let rows: Vec<Vec<Cell>> = entries
        .iter()
        .map(|e| {
            vec![
                Cell::from(e.at.format("%Y-%m-%d %H:%M").to_string()),
                Cell::styled(escape_controls(&e.kind).into_owned(), theme::muted()),
                Cell::from(escape_controls(&e.actor).into_owned()),
                Cell::styled(
                    escape_controls(&e.title).into_owned(),
                    outcome_style(&e.outcome),
                ),
            ]
        })
        .collect();
    let empty = if total == 0 {
        Msg::CkLogNone
    } else {
        Msg::CkLogNoMatch
    };
    let selected = (!rows.is_empty()).then(|| view.log_selected.min(rows.len() - 1));
    table::render(
        frame,
        list,
        &TableView {
            columns: &columns,
            rows: &rows,
            selected,
            offset: 0,
            sort: None,
            block: Some(Block::bordered().title(format!(" {} ", Msg::CkLogTitle.text(lang)))),
            empty: Some(Line::styled(empty.text(lang), theme::muted())),
        },
    );
    let Some(entry) = selected.and_then(|at| entries.get(at)) else {
        return;
    };
    let block = Block::bordered().title(format!(" {} ", escape_controls(&entry.title)));
    let inner = block.inner(detail);
    frame.render_widget(block, detail);
    let mut head = format!(
        "{} · {} · {}",
        entry.at.format("%Y-%m-%d %H:%M:%S UTC"),
        escape_controls(&entry.kind),
        escape_controls(&entry.actor)
    );
    if !entry.host.is_empty() {
        head.push_str(&format!("@{}", escape_controls(&entry.host)));
    }
    let mut lines: Vec<Line<'static>> = vec![Line::from(vec![
        Span::styled(head, theme::label()),
        Span::raw(" · "),
        Span::styled(
            escape_controls(&entry.outcome).into_owned(),
            outcome_style(&entry.outcome),
        ),
    ])];
    if !entry.params.is_empty() {
        let params: Vec<String> = entry
            .params
            .iter()
            .map(|(k, v)| format!("{}={}", escape_controls(k), escape_controls(v)))
            .collect();
        lines.push(Line::styled(params.join("  "), theme::muted()));
    }
    lines.extend(
        entry
            .detail
            .lines()
            .map(|l| Line::raw(escape_controls(l).into_owned())),
    );
    lines.extend(
        entry
            .evidence
            .iter()
            .map(|l| Line::raw(format!("  {}", escape_controls(l)))),
    );
    draw_scrolled(frame, inner, lines, 0);
}

/// Failed entries in red, warnings in yellow, the rest plain.
fn outcome_style(outcome: &str) -> ratatui::style::Style {
    match outcome {
        "failed" => theme::bad(),
        "warning" | "cancelled" => theme::warn(),
        _ => ratatui::style::Style::new(),
    }
}
