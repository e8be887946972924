//! Draws the whole screen from `&State`: tab bar, tab body, status line, overlays.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::dialogs::Dialog;
use super::popups;
use super::state::{BRAND, State, tab_label};
use super::tab::Tab;
use super::tabs;
use super::theme;
use crate::i18n::Msg;
use crate::mongo::probe::ConnectionState;

/// Draws one frame. Never blocks.
pub fn draw(frame: &mut Frame, state: &State) {
    let [bar, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    draw_tab_bar(frame, bar, state);
    match state.tab {
        Tab::Overview => tabs::overview::draw(frame, body, state),
        Tab::Logs => tabs::logs::draw(frame, body, state),
        Tab::System => tabs::system::draw(frame, body, state),
        Tab::Backups => tabs::backups::draw(frame, body, state),
        Tab::Database => tabs::database::draw(frame, body, state),
        Tab::Checklists => tabs::checklists::draw(frame, body, state),
        Tab::Recovery => tabs::recovery::draw(frame, body, state),
    }
    draw_status_line(frame, status, state);
    if let Some(dialog) = &state.dialog {
        match dialog {
            Dialog::Restore(form) => popups::restore::draw(frame, frame.area(), state.lang, form),
            other => popups::confirm::draw(frame, frame.area(), state, other),
        }
    } else if state.help_open {
        popups::help::draw(frame, frame.area(), state);
    } else if let Some((task, message)) = state.errors.first() {
        popups::error::draw(frame, frame.area(), state, task, message);
    }
}

fn draw_tab_bar(frame: &mut Frame, area: Rect, state: &State) {
    let mut spans = vec![Span::styled(BRAND, theme::brand()), Span::raw(" ")];
    for (i, tab) in Tab::ALL.iter().enumerate() {
        let style = if *tab == state.tab {
            theme::tab_active()
        } else {
            theme::tab_inactive()
        };
        spans.push(Span::styled(tab_label(state.lang, i, *tab), style));
        spans.push(Span::raw(" "));
    }
    if let Some(worst) = state.alerts.iter().map(|a| a.priority).max() {
        let (_, style) = super::tabs::alerts::priority_label(worst);
        spans.push(Span::styled(
            format!(
                " {} ",
                Msg::AlertsBadge.fill(state.lang, &[&state.alerts.len().to_string()])
            ),
            style.add_modifier(ratatui::style::Modifier::REVERSED),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_status_line(frame: &mut Frame, area: Rect, state: &State) {
    let lang = state.lang;
    let (text, style) = match &state.mongo {
        ConnectionState::Connected { info, .. } => (
            format!(
                "MongoDB {} {} · {} ",
                Msg::MongoConnected.text(lang),
                info.version,
                format_latency(info.latency)
            ),
            theme::ok(),
        ),
        ConnectionState::Connecting { attempt } => (
            format!(
                "MongoDB {} ",
                Msg::MongoConnecting.fill(lang, &[&attempt.to_string()])
            ),
            theme::warn(),
        ),
        ConnectionState::Unreachable { .. } => (
            format!("MongoDB {} ", mongo_unreachable_text(state)),
            theme::bad(),
        ),
    };
    let [left, right] = Layout::horizontal([
        Constraint::Min(0),
        Constraint::Length(text.chars().count() as u16),
    ])
    .areas(area);
    let running = state.jobs.iter().filter(|j| j.is_running()).count();
    let mut hints = vec![Span::raw(format!(" {}", Msg::StatusHints.text(lang)))];
    if running > 0 {
        hints.push(Span::styled(
            format!("   {}", Msg::StatusJobs.fill(lang, &[&running.to_string()])),
            theme::warn().bg(ratatui::style::Color::DarkGray),
        ));
    }
    frame.render_widget(
        Paragraph::new(Line::from(hints)).style(theme::status_line()),
        left,
    );
    frame.render_widget(
        Paragraph::new(text).style(style.bg(ratatui::style::Color::DarkGray)),
        right,
    );
}

/// "unreachable — retrying in N s" (or "retrying now" once the countdown ran out).
pub fn mongo_unreachable_text(state: &State) -> String {
    match state.retry_countdown() {
        Some(0) | None => Msg::MongoRetryingNow.text(state.lang).to_string(),
        Some(secs) => Msg::MongoUnreachable.fill(state.lang, &[&secs.to_string()]),
    }
}

/// A latency as `0.8 ms` below 10 ms, else whole milliseconds.
pub fn format_latency(latency: std::time::Duration) -> String {
    let micros = latency.as_micros();
    if micros < 10_000 {
        format!("{:.1} ms", micros as f64 / 1000.0)
    } else {
        format!("{} ms", latency.as_millis())
    }
}

/// A rectangle of at most `width` x `height` centred in `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}
