//! The active alerts box on the Overview (the tab bar shows their count on every tab).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::alerts::Priority;
use crate::i18n::Msg;
use crate::sanitize::escape_controls;
use crate::ui::state::State;
use crate::ui::theme;

/// The lines of the box: one per active alert, or "no active alert".
pub fn lines(state: &State) -> Vec<Line<'static>> {
    let lang = state.lang;
    if state.alerts.is_empty() {
        return vec![Line::styled(Msg::AlertsNone.text(lang), theme::ok())];
    }
    state
        .alerts
        .iter()
        .map(|alert| {
            let (label, style) = priority_label(alert.priority);
            Line::from(vec![
                Span::styled(format!("{label:<9}"), style),
                Span::raw(escape_controls(&alert.title).into_owned()),
                Span::styled(
                    format!(
                        "  {}",
                        Msg::AlertsSince.fill(
                            lang,
                            &[&alert.since.format("%Y-%m-%d %H:%M UTC").to_string()]
                        )
                    ),
                    theme::muted(),
                ),
            ])
        })
        .collect()
}

/// Draws the box with `lines` into `area`.
pub fn draw(frame: &mut Frame, area: Rect, state: &State, lines: Vec<Line<'static>>) {
    let block = Block::bordered().title(format!(
        " {} ({}) ",
        Msg::AlertsTitle.text(state.lang),
        state.alerts.len()
    ));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// "CRITICAL" in red, "WARNING" in yellow, "INFO" muted.
pub fn priority_label(priority: Priority) -> (&'static str, ratatui::style::Style) {
    match priority {
        Priority::Critical => ("CRITICAL", theme::bad()),
        Priority::Warning => ("WARNING", theme::warn()),
        Priority::Info => ("INFO", theme::muted()),
    }
}
