//! Tabs whose capability is not built yet say so plainly (no invented numbers).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::i18n::Msg;
use crate::ui::state::State;
use crate::ui::tab::Tab;
use crate::ui::theme;

/// Draws the "not available yet" panel for `tab`.
pub fn draw(frame: &mut Frame, area: Rect, state: &State, tab: Tab) {
    let lang = state.lang;
    let description = match tab {
        Tab::Logs => Msg::PlaceholderLogs,
        Tab::System => Msg::PlaceholderSystem,
        Tab::Backups => Msg::PlaceholderBackups,
        Tab::Database => Msg::PlaceholderDatabase,
        Tab::Checklists => Msg::PlaceholderChecklists,
        Tab::Recovery | Tab::Overview => Msg::PlaceholderChecklists,
    };
    let lines = vec![
        Line::raw(""),
        Line::raw(description.text(lang)),
        Line::raw(""),
        Line::styled(Msg::PlaceholderNow.text(lang), theme::muted()),
    ];
    let title = Msg::PlaceholderTitle.fill(lang, &[tab.title().text(lang)]);
    let block = Block::bordered().title(format!(" {title} "));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}
