//! The Operations view: `currentOp` with each operation's age, longest first; `K` kills
//! the selected one after a confirmation.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::reason_text;
use super::view::operations;
use crate::i18n::{Lang, Msg};
use crate::mongo::maintenance::Operation;
use crate::mongo::sample::DatabaseSample;
use crate::mongo::stats::Availability;
use crate::sanitize::escape_controls;
use crate::ui::db_actions::database_page;
use crate::ui::state::State;
use crate::ui::theme;
use crate::ui::widgets::table::{self, Cell, Column, Row, TableView};

/// Operations running longer than this are highlighted.
pub const SLOW_SECS: u64 = 10;

/// Draws the operation table into `area`.
pub fn draw(frame: &mut Frame, area: Rect, state: &State, sample: &DatabaseSample) {
    let lang = state.lang;
    let block = Block::new()
        .borders(Borders::TOP)
        .title(format!(" {} ", Msg::DbOperationsTitle.text(lang)));
    if let Availability::Unavailable { reason } = &sample.operations {
        let text = Msg::DbOperationsUnavailable.fill(lang, &[&reason_text(lang, reason)]);
        frame.render_widget(
            Paragraph::new(Line::styled(text, theme::warn())).block(block),
            area,
        );
        return;
    }
    let ops = operations(sample);
    let columns = vec![
        Column::new("opid", Constraint::Length(10)).right(),
        Column::new(Msg::DbColRunning.text(lang), Constraint::Length(11)).right(),
        Column::new("op", Constraint::Length(10)),
        Column::new(Msg::DbColNamespace.text(lang), Constraint::Length(24)),
        Column::new(Msg::DbColClient.text(lang), Constraint::Length(22)),
        Column::new(Msg::DbColApp.text(lang), Constraint::Length(14)),
        Column::new(Msg::DbColCommand.text(lang), Constraint::Min(20)),
    ];
    let rows: Vec<Row> = ops.iter().map(row).collect();
    let view = &state.database_view;
    let height = (ops.len().clamp(1, database_page(state.size)) + 2) as u16;
    let [table_area, detail_area] =
        Layout::vertical([Constraint::Length(height), Constraint::Min(0)]).areas(area);
    if let Some(op) = view.selected_operation(sample) {
        frame.render_widget(
            Paragraph::new(detail_lines(lang, op)).wrap(Wrap { trim: false }),
            detail_area,
        );
    }
    table::render(
        frame,
        table_area,
        &TableView {
            columns: &columns,
            rows: &rows,
            selected: view.operation_index(ops),
            offset: view.operation_offset,
            sort: None,
            block: Some(block),
            empty: Some(Line::styled(no_operations(lang), theme::muted())),
        },
    );
}

fn no_operations(lang: Lang) -> &'static str {
    Msg::DbNoOperations.text(lang)
}

fn row(op: &Operation) -> Row {
    let slow = op.secs_running.is_some_and(|s| s >= SLOW_SECS);
    let style = if op.waiting_for_lock {
        theme::bad()
    } else if slow {
        theme::warn()
    } else {
        Style::new()
    };
    let text = |value: &str| escape_controls(value).into_owned();
    let mut running = op.secs_running.map_or("–".into(), |s| format!("{s} s"));
    if op.waiting_for_lock {
        running.push_str(" lock");
    }
    vec![
        Cell::from(op.opid.to_string()),
        Cell::styled(running, style),
        Cell::from(text(&op.op)),
        Cell::from(text(&op.namespace)),
        Cell::from(text(op.client.as_deref().unwrap_or(""))),
        Cell::from(text(op.app_name.as_deref().unwrap_or(""))),
        Cell::styled(text(&op.summary), style),
    ]
}

/// The selected operation in full: connection, client, application and the command.
fn detail_lines(lang: Lang, op: &Operation) -> Vec<Line<'static>> {
    let text = |value: &str| escape_controls(value).into_owned();
    let mut facts = vec![format!("opid {}", op.opid)];
    facts.extend(op.description.as_deref().map(text));
    facts.extend(op.client.as_deref().map(text));
    facts.extend(op.app_name.as_deref().map(text));
    if op.waiting_for_lock {
        facts.push(Msg::DbWaitingForLock.text(lang).to_string());
    }
    vec![
        Line::styled(facts.join(" · "), theme::label()),
        Line::from(vec![
            Span::styled(format!("{} ", Msg::DbColCommand.text(lang)), theme::muted()),
            Span::raw(text(&op.summary)),
        ]),
        Line::styled(Msg::DbKillHint.text(lang), theme::muted()),
    ]
}
