//! The top processes on the System tab, by CPU or memory, with Scandy's gunicorn and
//! `mongod` highlighted. Command lines arrive with secrets already redacted.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders};

use crate::i18n::{Lang, Msg};
use crate::sanitize::escape_controls;
use crate::system::disk::human_bytes;
use crate::system::metrics::SystemSample;
use crate::system::processes::{ProcessInfo, ProcessRole};
use crate::ui::theme;
use crate::ui::widgets::table::{self, Cell, Column, Row, SortDirection, SortSpec, TableView};

/// Draws the process table into `area`.
pub fn draw(frame: &mut Frame, area: Rect, lang: Lang, sample: &SystemSample, by_memory: bool) {
    let mut processes: Vec<&ProcessInfo> = sample.processes.iter().collect();
    if by_memory {
        processes.sort_by_key(|p| std::cmp::Reverse(p.memory_bytes));
    } else {
        processes.sort_by(|a, b| b.cpu_percent.total_cmp(&a.cpu_percent));
    }
    let columns = vec![
        Column::new("PID", Constraint::Length(8)).right(),
        Column::new(Msg::SysColName.text(lang), Constraint::Length(16)),
        Column::new("CPU %", Constraint::Length(6)).right(),
        Column::new(Msg::SysColMemory.text(lang), Constraint::Length(10)).right(),
        Column::new(Msg::SysColRole.text(lang), Constraint::Length(8)),
        Column::new(Msg::SysColCommand.text(lang), Constraint::Min(20)),
    ];
    let rows: Vec<Row> = processes.iter().map(|p| row(p)).collect();
    let block = Block::new()
        .borders(Borders::TOP)
        .title(format!(" {} ", Msg::SysProcesses.text(lang)));
    table::render(
        frame,
        area,
        &TableView {
            columns: &columns,
            rows: &rows,
            selected: None,
            offset: 0,
            sort: Some(SortSpec {
                column: if by_memory { 3 } else { 2 },
                direction: SortDirection::Descending,
            }),
            block: Some(block),
            empty: Some(Line::styled(Msg::SysNoProcesses.text(lang), theme::muted())),
        },
    );
}

fn row(process: &ProcessInfo) -> Row {
    let style = match process.role {
        Some(_) => theme::warn(),
        None => ratatui::style::Style::new(),
    };
    let role = match process.role {
        Some(ProcessRole::Scandy) => "Scandy",
        Some(ProcessRole::MongoDb) => "MongoDB",
        None => "",
    };
    vec![
        Cell::from(process.pid.to_string()),
        Cell::styled(escape_controls(&process.name).into_owned(), style),
        Cell::from(format!("{:.1}", process.cpu_percent)),
        Cell::from(human_bytes(process.memory_bytes)),
        Cell::styled(role, style),
        Cell::from(escape_controls(&process.command).into_owned()),
    ]
}
