//! Database tab: server and database overview, then one of three views — collections with
//! the selected collection's indexes, current operations, or Scandy's data health — and the
//! job list of maintenance (and backup) jobs.

pub mod collections;
pub mod header;
pub mod health;
pub mod operations;
pub mod view;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use self::view::DbPane;
use crate::i18n::{Lang, Msg};
use crate::mongo::probe::ConnectionState;
use crate::mongo::stats::{Availability, UnavailableReason};
use crate::sanitize::escape_controls;
use crate::ui::state::{HealthStatus, State};
use crate::ui::tabs::overview::failure_hint;
use crate::ui::theme;

/// Lines of the overview above the views.
pub const HEADER_LINES: u16 = 4;

/// Draws the Database tab into `area`.
pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let [header_area, bar, rest] = Layout::vertical([
        Constraint::Length(HEADER_LINES),
        Constraint::Length(1),
        Constraint::Min(0),
    ])
    .areas(area);
    let jobs_height = crate::ui::job_list::height(state).min(rest.height / 3 + 1);
    let [body, jobs_area] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(jobs_height)]).areas(rest);
    if jobs_height > 0 {
        crate::ui::job_list::draw(frame, jobs_area, state);
    }
    draw_pane_bar(frame, bar, state);
    let unreachable = matches!(state.mongo, ConnectionState::Unreachable { .. });
    let sample = match &state.database {
        None if !unreachable => {
            frame.render_widget(
                Paragraph::new(Msg::DbSampling.text(state.lang)).style(theme::muted()),
                header_area,
            );
            None
        }
        Some(Ok(sample)) if !unreachable => Some(sample.as_ref()),
        _ => {
            frame.render_widget(
                Paragraph::new(failure_lines(state)).wrap(Wrap { trim: false }),
                header_area.union(body),
            );
            return;
        }
    };
    if let Some(sample) = sample {
        frame.render_widget(
            Paragraph::new(header::lines(state.lang, sample)),
            header_area,
        );
    }
    match state.database_view.pane {
        DbPane::Collections => {
            if let Some(sample) = sample {
                collections::draw(frame, body, state, sample);
            }
        }
        DbPane::Operations => {
            if let Some(sample) = sample {
                operations::draw(frame, body, state, sample);
            }
        }
        DbPane::Health => health::draw(frame, body, state),
    }
}

/// Why there is no sample: the connection failure with its hint, or the sampler's error.
fn failure_lines(state: &State) -> Vec<Line<'static>> {
    let lang = state.lang;
    let mut lines = vec![Line::styled(
        Msg::DbUnavailable.text(lang).to_string(),
        theme::bad(),
    )];
    if let ConnectionState::Unreachable { failure, .. } = &state.mongo {
        lines.push(Line::raw(format!("  {}", escape_controls(&failure.detail))));
        if let Some(hint) = failure_hint(failure.kind) {
            lines.push(Line::styled(
                format!("  {}", hint.text(lang)),
                theme::warn(),
            ));
        }
    } else if let Some(Err(message)) = &state.database {
        lines.push(Line::raw(format!("  {}", escape_controls(message))));
        let lower = message.to_lowercase();
        if lower.contains("auth") || lower.contains("scram") {
            lines.push(Line::styled(
                format!("  {}", Msg::HintAuth.text(lang)),
                theme::warn(),
            ));
        }
    }
    lines
}

/// The view switcher: "Collections (15) │ Operations (3) │ Health: 2 problems", and a
/// notice or the key hints on the right.
fn draw_pane_bar(frame: &mut Frame, area: Rect, state: &State) {
    let lang = state.lang;
    let sample = state.sample();
    let mut spans = Vec::new();
    for pane in DbPane::ALL {
        let label = match pane {
            DbPane::Collections => Msg::DbPaneCollections.fill(
                lang,
                &[&sample
                    .map_or(0, |s| s.database.collections.len())
                    .to_string()],
            ),
            DbPane::Operations => Msg::DbPaneOperations.fill(
                lang,
                &[&sample.map_or(0, |s| view::operations(s).len()).to_string()],
            ),
            DbPane::Health => health_label(lang, &state.health),
        };
        let style = if pane == state.database_view.pane {
            theme::tab_active()
        } else {
            theme::tab_inactive()
        };
        if !spans.is_empty() {
            spans.push(Span::styled(" │ ", theme::muted()));
        }
        spans.push(Span::styled(format!(" {label} "), style));
    }
    let labels = Line::from(spans);
    let [left, right] = Layout::horizontal([
        Constraint::Length(labels.width() as u16 + 2),
        Constraint::Min(0),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(labels), left);
    let hint = match &state.database_notice {
        Some(notice) => Line::styled(escape_controls(notice).into_owned(), theme::warn()),
        None => Line::styled(pane_hints(lang, state.database_view.pane), theme::muted()),
    };
    frame.render_widget(Paragraph::new(hint.right_aligned()), right);
}

fn pane_hints(lang: Lang, pane: DbPane) -> &'static str {
    match pane {
        DbPane::Collections => Msg::DbHintsCollections.text(lang),
        DbPane::Operations => Msg::DbHintsOperations.text(lang),
        DbPane::Health => Msg::DbHintsHealth.text(lang),
    }
}

fn health_label(lang: Lang, health: &HealthStatus) -> String {
    match health {
        HealthStatus::NotRun => Msg::DbPaneHealthNotRun.text(lang).to_string(),
        HealthStatus::Running => Msg::DbPaneHealthRunning.text(lang).to_string(),
        HealthStatus::Failed(_) => Msg::DbPaneHealthFailed.text(lang).to_string(),
        HealthStatus::Done { results, .. } => {
            let problems = results.iter().filter(|r| r.has_problems()).count();
            Msg::DbPaneHealth.fill(lang, &[&problems.to_string()])
        }
    }
}

/// A value the server may not report, in words: the formatted value, "not supported by
/// this server" or "not permitted for this user".
pub fn available_text<T>(
    lang: Lang,
    value: &Availability<T>,
    f: impl FnOnce(&T) -> String,
) -> String {
    match value {
        Availability::Available { value } => f(value),
        Availability::Unavailable { reason } => reason_text(lang, reason),
    }
}

/// Why a value is missing, in words.
pub fn reason_text(lang: Lang, reason: &UnavailableReason) -> String {
    match reason {
        UnavailableReason::NotSupported => Msg::DbNotSupported.text(lang).to_string(),
        UnavailableReason::NotPermitted => Msg::DbNotPermitted.text(lang).to_string(),
        UnavailableReason::Other(message) => escape_controls(message).into_owned(),
    }
}
