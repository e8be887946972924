//! The overlay that shows a failed background task.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use crate::i18n::Msg;
use crate::sanitize::escape_controls;
use crate::ui::render::centered;
use crate::ui::state::State;
use crate::ui::theme;

/// Draws the oldest undismissed background failure.
pub fn draw(frame: &mut Frame, area: Rect, state: &State, task: &str, message: &str) {
    let popup = centered(area, 80, 10);
    frame.render_widget(Clear, popup);
    let lines = vec![
        Line::styled(escape_controls(task).into_owned(), theme::bad()),
        Line::raw(escape_controls(message).into_owned()),
        Line::raw(""),
        Line::styled(Msg::ErrorDismiss.text(state.lang), theme::muted()),
    ];
    let block = Block::bordered()
        .border_style(theme::bad())
        .title(format!(" {} ", Msg::ErrorTitle.text(state.lang)));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        popup,
    );
}
