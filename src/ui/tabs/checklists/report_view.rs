//! The reports on the Checklists tab: the report files newest first and the chosen one as
//! text (Markdown shown plainly: headings bold, tables as they are, everything escaped).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::detail::draw_scrolled;
use super::view::utc;
use crate::i18n::Msg;
use crate::sanitize::escape_controls;
use crate::ui::state::State;
use crate::ui::theme;
use crate::ui::widgets::table::{self, Cell, Column, TableView};

/// Draws the report list and the chosen report into `area`.
pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let lang = state.lang;
    let view = &state.checklists;
    let Some(snapshot) = &view.snapshot else {
        let text = Msg::CkReading.text(lang);
        frame.render_widget(Paragraph::new(Line::styled(text, theme::muted())), area);
        return;
    };
    let dir = escape_controls(&snapshot.report_dir.display().to_string()).into_owned();
    if snapshot.reports.is_empty() {
        let block = Block::bordered().title(format!(" {} ", Msg::CkReportsTitle.text(lang)));
        frame.render_widget(
            Paragraph::new(Line::styled(
                Msg::CkReportsNone.fill(lang, &[&dir]),
                theme::muted(),
            ))
            .block(block)
            .wrap(Wrap { trim: false }),
            area,
        );
        return;
    }
    let list_height = (snapshot.reports.len() as u16 + 3)
        .min(area.height / 3)
        .max(4);
    let [list, text_area] =
        Layout::vertical([Constraint::Length(list_height), Constraint::Min(0)]).areas(area);
    let columns = [
        Column::new(Msg::CkReportColName.text(lang), Constraint::Fill(1)),
        Column::new(Msg::CkReportColWritten.text(lang), Constraint::Length(20)),
    ];
    let rows: Vec<Vec<Cell>> = snapshot
        .reports
        .iter()
        .map(|r| {
            vec![
                Cell::from(escape_controls(&r.name()).into_owned()),
                Cell::styled(r.modified.map(utc).unwrap_or_default(), theme::muted()),
            ]
        })
        .collect();
    let selected = view.report_selected.min(rows.len() - 1);
    table::render(
        frame,
        list,
        &TableView {
            columns: &columns,
            rows: &rows,
            selected: Some(selected),
            offset: 0,
            sort: None,
            block: Some(
                Block::bordered().title(format!(" {} · {dir} ", Msg::CkReportsTitle.text(lang))),
            ),
            empty: None,
        },
    );
    let report = &snapshot.reports[selected];
    let block = Block::bordered().title(format!(" {} ", escape_controls(&report.name())));
    let inner = block.inner(text_area);
    frame.render_widget(block, text_area);
    let lines = match &view.report_text {
        Some((path, Ok(text))) if *path == report.path => markdown_lines(text),
        Some((path, Err(e))) if *path == report.path => {
            vec![Line::styled(escape_controls(e).into_owned(), theme::bad())]
        }
        _ => vec![Line::styled(
            Msg::CkReportReading.fill(lang, &[&escape_controls(&report.name())]),
            theme::muted(),
        )],
    };
    draw_scrolled(frame, inner, lines, view.report_scroll);
}

/// Markdown as plain lines: headings bold without their `#`, everything else as it is,
/// every line escaped.
pub fn markdown_lines(text: &str) -> Vec<Line<'static>> {
    text.lines()
        .map(|line| {
            let trimmed = line.trim_start();
            let level = trimmed.chars().take_while(|c| *c == '#').count();
            if (1..=6).contains(&level) && trimmed[level..].starts_with(' ') {
                let heading = escape_controls(trimmed[level..].trim()).into_owned();
                Line::styled(heading, Style::new().add_modifier(Modifier::BOLD))
            } else {
                Line::raw(escape_controls(line).into_owned())
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_lose_their_marks_and_everything_is_escaped() {
        let lines = markdown_lines("# Title\n| a | b |\n#hashtag\n- x \u{1b}[2J");
        let text: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        assert_eq!(text, ["Title", "| a | b |", "#hashtag", "- x \\x1b[2J"]);
        assert!(lines[0].style.add_modifier.contains(Modifier::BOLD));
        assert!(!lines[2].style.add_modifier.contains(Modifier::BOLD));
    }
}
