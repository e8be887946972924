//! Services on the System tab: systemd units or docker containers with state, since,
//! restarts and main pid; Scandy's `/health` with its response-time history; MongoDB.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::view::SystemView;
use crate::i18n::{Lang, Msg};
use crate::mongo::probe::ConnectionState;
use crate::sanitize::escape_controls;
use crate::system::services::ServiceReport;
use crate::ui::render::format_latency;
use crate::ui::state::State;
use crate::ui::theme;

/// Lines the block needs: title, one per service (at least one), `/health`, MongoDB.
pub fn height(view: &SystemView) -> u16 {
    view.services.len().max(1) as u16 + 3
}

/// Draws the services into `area`.
pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let lang = state.lang;
    let view = &state.system;
    let block = Block::new()
        .borders(Borders::TOP)
        .title(format!(" {} ", Msg::SysServices.text(lang)))
        .title(
            Line::styled(
                format!(" {} ", Msg::SysServiceHints.text(lang)),
                theme::muted(),
            )
            .right_aligned(),
        );
    let mut lines: Vec<Line> = if view.services.is_empty() {
        vec![Line::styled(Msg::SysNoServices.text(lang), theme::muted())]
    } else {
        view.services
            .iter()
            .enumerate()
            .map(|(i, report)| service_line(lang, report, i == view.selected_service))
            .collect()
    };
    lines.push(health_line(lang, view));
    lines.push(mongo_line(lang, state));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn service_line(lang: Lang, report: &ServiceReport, selected: bool) -> Line<'static> {
    let base = if selected {
        Style::new().add_modifier(Modifier::REVERSED)
    } else {
        Style::new()
    };
    let text = |s: &str| escape_controls(s).into_owned();
    match report {
        ServiceReport::Status(status) => {
            let mut state = status.state.clone();
            if let Some(detail) = &status.detail {
                state.push_str(&format!(" ({detail})"));
            }
            if let Some(health) = &status.health {
                state.push_str(&format!(" · {health}"));
            }
            let mut facts = Vec::new();
            if let Some(since) = status.since {
                facts.push(
                    Msg::SysSince.fill(lang, &[&since.format("%Y-%m-%d %H:%M UTC").to_string()]),
                );
            }
            if let Some(restarts) = status.restarts {
                facts.push(Msg::SysRestarts.fill(lang, &[&restarts.to_string()]));
            }
            if let Some(pid) = status.main_pid {
                facts.push(format!("pid {pid}"));
            }
            let style = if status.up { theme::ok() } else { theme::bad() };
            Line::from(vec![
                Span::styled(format!("{:<28} ", text(&status.target.name())), base),
                Span::styled(format!("{:<28} ", text(&state)), style.patch(base)),
                Span::styled(facts.join(" · "), theme::muted()),
            ])
        }
        ServiceReport::NotAvailable { target, reason } => Line::from(vec![
            Span::styled(format!("{:<28} ", text(&target.name())), base),
            Span::styled(text(reason), theme::muted()),
        ]),
        ServiceReport::Failed { target, message } => Line::from(vec![
            Span::styled(format!("{:<28} ", text(&target.name())), base),
            Span::styled(text(message), theme::bad()),
        ]),
    }
}

fn health_line(lang: Lang, view: &SystemView) -> Line<'static> {
    let label = Span::styled(format!("{:<28} ", "/health"), Style::new());
    let Some(probe) = &view.health else {
        return Line::from(vec![
            label,
            Span::styled(Msg::SysProbing.text(lang), theme::muted()),
        ]);
    };
    let style = if !probe.healthy {
        theme::bad()
    } else if probe.rate_limited {
        theme::warn()
    } else {
        theme::ok()
    };
    let values: Vec<Option<f64>> = view.health_history.values().cloned().collect();
    let peak = values.iter().flatten().fold(0.0_f64, |a, b| a.max(*b));
    let history: String = values
        .iter()
        .rev()
        .take(30)
        .rev()
        .map(|v| match v {
            None => '✗',
            Some(ms) if peak <= 0.0 => {
                if *ms > 0.0 {
                    '▁'
                } else {
                    ' '
                }
            }
            Some(ms) => ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█']
                [((ms / peak) * 7.0).round().clamp(0.0, 7.0) as usize],
        })
        .collect();
    Line::from(vec![
        label,
        Span::styled(format!("{:<28} ", escape_controls(&probe.detail)), style),
        Span::styled(format_latency(probe.latency), theme::muted()),
        Span::styled(format!("  {history}"), theme::muted()),
    ])
}

fn mongo_line(lang: Lang, state: &State) -> Line<'static> {
    let label = Span::raw(format!("{:<28} ", "MongoDB"));
    match &state.mongo {
        ConnectionState::Connected { info, .. } => {
            let mut facts = vec![info.version.clone(), format_latency(info.latency)];
            if let Some(load) = state.system.mongo_load {
                if let Some((open, limit)) = load.connections {
                    facts.push(
                        Msg::DbConnections.fill(lang, &[&open.to_string(), &limit.to_string()]),
                    );
                }
                if let Some(rate) = load.ops_per_sec {
                    facts.push(Msg::DbOpsPerSec.fill(lang, &[&format!("{rate:.1}")]));
                }
            }
            Line::from(vec![
                label,
                Span::styled(
                    format!("{:<28} ", Msg::MongoConnected.text(lang)),
                    theme::ok(),
                ),
                Span::styled(facts.join(" · "), theme::muted()),
            ])
        }
        ConnectionState::Connecting { .. } => Line::from(vec![
            label,
            Span::styled(Msg::MongoConnecting.fill(lang, &["1"]), theme::warn()),
        ]),
        ConnectionState::Unreachable { failure, .. } => Line::from(vec![
            label,
            Span::styled(escape_controls(&failure.detail).into_owned(), theme::bad()),
        ]),
    }
}
