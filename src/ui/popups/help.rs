//! The help overlay, generated from the keymap table.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
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
    let mut global: Vec<Line> = entries.iter().map(entry_line).collect();
    let mut scoped: Vec<Line> = Vec::new();
    if !tab_entries.is_empty() {
        let heading = Msg::HelpTabKeys.fill(state.lang, &[state.tab.title().text(state.lang)]);
        scoped.push(Line::styled(format!(" {heading}"), theme::label()));
        scoped.extend(tab_entries.iter().map(entry_line));
    }
    let footer = Line::styled(
        format!(" {}", Msg::HelpFooter.text(state.lang)),
        theme::muted(),
    );
    let block = Block::bordered().title(format!(" {} ", Msg::HelpTitle.text(state.lang)));
    let one_column = global.len() + scoped.len() + 3;
    if scoped.is_empty() || one_column + 2 <= usize::from(area.height) {
        // One column: the global keys, then the tab's keys.
        if !scoped.is_empty() {
            global.push(Line::raw(""));
            global.extend(scoped);
        }
        global.push(Line::raw(""));
        global.push(footer);
        let width = global.iter().map(Line::width).max().unwrap_or(20) as u16 + 4;
        let popup = centered(area, width, global.len() as u16 + 2);
        frame.render_widget(Clear, popup);
        frame.render_widget(Paragraph::new(global).block(block), popup);
        return;
    }
    // Too tall for the screen: the global keys and the tab's keys side by side.
    let left = global.iter().map(Line::width).max().unwrap_or(20) as u16 + 1;
    let right = scoped.iter().map(Line::width).max().unwrap_or(20) as u16 + 1;
    let rows = global.len().max(scoped.len()) as u16 + 2;
    let popup = centered(area, left + right + 2, rows + 2);
    frame.render_widget(Clear, popup);
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    let [body, _, foot] = Layout::vertical([
        Constraint::Min(0),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    let [left_area, right_area] =
        Layout::horizontal([Constraint::Length(left), Constraint::Min(0)]).areas(body);
    frame.render_widget(Paragraph::new(global), left_area);
    frame.render_widget(Paragraph::new(scoped), right_area);
    frame.render_widget(Paragraph::new(footer), foot);
}
