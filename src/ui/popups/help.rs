//! The help overlay, generated from the keymap table.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use crate::i18n::Msg;
use crate::ui::keymap::{help_lines, tab_help_lines};
use crate::ui::render::centered;
use crate::ui::state::State;
use crate::ui::theme;

/// Draws the key help centred over `area`.
pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let entries = help_lines(state.lang);
    let tab_entries = tab_help_lines(state.lang, state.tab);
    let key_width = entries
        .iter()
        .chain(&tab_entries)
        .map(|(keys, _)| keys.chars().count())
        .max()
        .unwrap_or(0);
    let entry_line = |(keys, text): &(String, String)| {
        Line::from(vec![
            Span::styled(format!(" {keys:<key_width$}  "), theme::warn()),
            Span::raw(text.clone()),
        ])
    };
    let mut lines: Vec<Line> = entries.iter().map(entry_line).collect();
    if !tab_entries.is_empty() {
        lines.push(Line::raw(""));
        let heading = Msg::HelpTabKeys.fill(state.lang, &[state.tab.title().text(state.lang)]);
        lines.push(Line::styled(format!(" {heading}"), theme::label()));
        lines.extend(tab_entries.iter().map(entry_line));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        format!(" {}", Msg::HelpFooter.text(state.lang)),
        theme::muted(),
    ));
    let width = lines.iter().map(|line| line.width()).max().unwrap_or(20) as u16 + 4;
    let popup = centered(area, width, lines.len() as u16 + 2);
    frame.render_widget(Clear, popup);
    let block = Block::bordered().title(format!(" {} ", Msg::HelpTitle.text(state.lang)));
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}
