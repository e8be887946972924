//! The Health view: Scandy's data checks with counts, then the selected check's examples
//! and its fix (the exact mongosh statements) or why there is none.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::i18n::{Lang, Msg};
use crate::mongo::health::{CheckResult, CheckState};
use crate::sanitize::escape_controls;
use crate::ui::db_actions::database_page;
use crate::ui::state::{HealthStatus, State};
use crate::ui::theme;
use crate::ui::widgets::table::{self, Cell, Column, Row, TableView};

/// Draws the health checks into `area`.
pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let lang = state.lang;
    let block = Block::new()
        .borders(Borders::TOP)
        .title(format!(" {} ", Msg::DbHealthTitle.text(lang)));
    let (results, at) = match &state.health {
        HealthStatus::NotRun => {
            return message(
                frame,
                area,
                block,
                Msg::DbHealthNotRun.text(lang),
                theme::muted(),
            );
        }
        HealthStatus::Running => {
            return message(
                frame,
                area,
                block,
                Msg::DbHealthRunning.text(lang),
                theme::warn(),
            );
        }
        HealthStatus::Failed(err) => {
            let text = Msg::DbHealthFailed.fill(lang, &[&escape_controls(err)]);
            return message(frame, area, block, &text, theme::bad());
        }
        HealthStatus::Done { results, at } => (results, at),
    };
    let block = block.title(
        Line::styled(
            format!(
                " {} ",
                Msg::DbCheckedAt.fill(lang, &[&at.format("%H:%M:%S UTC").to_string()])
            ),
            theme::muted(),
        )
        .right_aligned(),
    );
    let height = (results.len().clamp(1, database_page(state.size)) + 2) as u16;
    let [table_area, detail_area] =
        Layout::vertical([Constraint::Length(height), Constraint::Min(0)]).areas(area);
    let columns = vec![
        Column::new("", Constraint::Length(2)),
        Column::new(Msg::DbColCheck.text(lang), Constraint::Min(30)),
        Column::new(Msg::DbColFound.text(lang), Constraint::Length(8)).right(),
        Column::new(Msg::DbColFix.text(lang), Constraint::Length(16)),
    ];
    let rows: Vec<Row> = results.iter().map(|r| row(lang, r)).collect();
    let selected = state
        .database_view
        .check
        .min(results.len().saturating_sub(1));
    table::render(
        frame,
        table_area,
        &TableView {
            columns: &columns,
            rows: &rows,
            selected: (!results.is_empty()).then_some(selected),
            offset: selected.saturating_sub(usize::from(height.saturating_sub(3))),
            sort: None,
            block: Some(block),
            empty: None,
        },
    );
    if let Some(check) = results.get(selected) {
        frame.render_widget(
            Paragraph::new(detail_lines(lang, check)).wrap(Wrap { trim: false }),
            detail_area,
        );
    }
}

fn message(frame: &mut Frame, area: Rect, block: Block, text: &str, style: Style) {
    frame.render_widget(
        Paragraph::new(Line::styled(text.to_string(), style))
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}

fn row(lang: Lang, check: &CheckResult) -> Row {
    let (mark, style) = match (&check.state, check.informational) {
        (CheckState::Ok, _) => ("✓", theme::ok()),
        (CheckState::Findings, true) => ("ℹ", theme::label()),
        (CheckState::Findings, false) => ("✗", theme::bad()),
        (CheckState::Unavailable(_), _) => ("?", theme::warn()),
    };
    let found = match &check.state {
        CheckState::Unavailable(_) => "–".to_string(),
        _ => check.count.to_string(),
    };
    let fix = if check.fix.is_some() {
        Msg::DbFixAvailable.text(lang)
    } else if check.state == CheckState::Findings && !check.informational {
        Msg::DbFixManual.text(lang)
    } else {
        ""
    };
    vec![
        Cell::styled(mark, style),
        Cell::from(escape_controls(&check.title).into_owned()),
        Cell::styled(found, style),
        Cell::from(fix),
    ]
}

fn detail_lines(lang: Lang, check: &CheckResult) -> Vec<Line<'static>> {
    let text = |s: &str| escape_controls(s).into_owned();
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("{} ", check.id), theme::label()),
        Span::raw(text(&check.title)),
    ])];
    if let CheckState::Unavailable(reason) = &check.state {
        lines.push(Line::styled(
            Msg::DbCheckUnavailable.fill(lang, &[&text(reason)]),
            theme::warn(),
        ));
    }
    if !check.examples.is_empty() {
        lines.push(Line::styled(Msg::DbExamples.text(lang), theme::muted()));
        for example in &check.examples {
            lines.push(Line::raw(format!("  {}", text(example))));
        }
    }
    if let Some(fix) = &check.fix {
        lines.push(Line::styled(
            Msg::DbFixPrompt.fill(lang, &[&text(&fix.description)]),
            theme::ok(),
        ));
        for statement in fix.mongosh.lines() {
            lines.push(Line::styled(
                format!("  {}", text(statement)),
                theme::label(),
            ));
        }
    }
    if let Some(why) = &check.no_fix {
        lines.push(Line::styled(text(why), theme::muted()));
    }
    lines
}
