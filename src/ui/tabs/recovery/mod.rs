//! Recovery tab: the guided, resumable emergency-recovery wizard (detection, reaction,
//! recovery point, safety backup, restore, verification, informing users, report).

pub mod fix;
pub mod input;
pub mod intro;
pub mod point;
pub mod reaction;
pub mod restore;
pub mod text;
pub mod update;
pub mod view;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use self::text::{incident_title, step_title};
use self::view::{Busy, Input};
use crate::i18n::{Lang, Msg};
use crate::recovery::model::IncidentKind;
use crate::recovery::wizard::{Step, Wizard};
use crate::sanitize::escape_controls;
use crate::ui::state::State;
use crate::ui::tabs::alerts::priority_label;
use crate::ui::theme;

/// Draws the Recovery tab into `area`.
pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let lang = state.lang;
    let view = &state.recovery;
    let title = match &view.wizard {
        Some(w) => format!(" {} · {} ", Msg::RcTitle.text(lang), escape_controls(&w.id)),
        None => format!(" {} ", Msg::RcTitle.text(lang)),
    };
    let block = Block::bordered().title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let input_height = match &view.input {
        Some(Input::Notes) => 6,
        Some(Input::PickIncident(_) | Input::PickBackup(_)) | None => 0,
        Some(_) => 3,
    };
    let notice_height = u16::from(view.notice.is_some());
    let header_height = if view.wizard.is_some() { 2 } else { 0 };
    let [header, body, input, notice, hints] = Layout::vertical([
        Constraint::Length(header_height),
        Constraint::Min(1),
        Constraint::Length(input_height),
        Constraint::Length(notice_height),
        Constraint::Length(1),
    ])
    .areas(inner);
    if let Some(w) = &view.wizard {
        frame.render_widget(Paragraph::new(header_lines(state, w)), header);
    }
    let lines = body_lines(state, usize::from(body.width));
    draw_scrolled(frame, body, lines, view.scroll);
    if input_height > 0 {
        restore::draw_input(frame, input, state);
    }
    if let Some((text, error)) = &view.notice {
        let style = if *error { theme::bad() } else { theme::warn() };
        frame.render_widget(
            Paragraph::new(Line::styled(escape_controls(text).into_owned(), style)),
            notice,
        );
    }
    frame.render_widget(
        Paragraph::new(Line::styled(text::hints(state), theme::muted())),
        hints,
    );
}

/// Draws `lines` wrapped into `area`, from line `scroll` (clamped), with a "more" mark when
/// they do not fit.
fn draw_scrolled(frame: &mut Frame, area: Rect, lines: Vec<Line<'static>>, scroll: u16) {
    let width = usize::from(area.width.max(1));
    let rows: usize = lines.iter().map(|l| l.width().max(1).div_ceil(width)).sum();
    let height = usize::from(area.height);
    let max_scroll = rows.saturating_sub(height);
    let scroll = usize::from(scroll).min(max_scroll);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll as u16, 0)),
        area,
    );
    if rows > height && area.width > 4 {
        let mark = if scroll < max_scroll { "↓" } else { "↑" };
        let spot = Rect {
            x: area.x + area.width - 1,
            y: area.y + area.height - 1,
            width: 1,
            height: 1,
        };
        frame.render_widget(Paragraph::new(Span::styled(mark, theme::warn())), spot);
    }
}

/// The step strip and the incident line.
fn header_lines(state: &State, w: &Wizard) -> Vec<Line<'static>> {
    let lang = state.lang;
    let mut strip = Vec::new();
    for step in Step::ALL {
        let style = if step == w.step {
            theme::tab_active()
        } else if step < w.step {
            theme::ok()
        } else {
            theme::muted()
        };
        strip.push(Span::styled(format!(" {} ", step.number()), style));
    }
    let position = if w.step == Step::Closed {
        step_title(lang, w.step).to_string()
    } else if w.step == Step::RecoveryPoint && !update::restores(w) && w.incident.is_some() {
        Msg::RcStepOf.fill(lang, &["3", Msg::RcStepFix.text(lang)])
    } else {
        Msg::RcStepOf.fill(
            lang,
            &[&w.step.number().to_string(), step_title(lang, w.step)],
        )
    };
    strip.push(Span::styled(format!("  {position}"), theme::label().bold()));
    let mut second = vec![Span::styled(
        format!("{} ", Msg::RcIncident.text(lang)),
        theme::label(),
    )];
    match w.incident {
        Some(kind) => second.push(Span::styled(
            incident_title(lang, kind).to_string(),
            theme::bad(),
        )),
        None if w.diagnosis.is_some() => second.push(Span::styled(
            Msg::RcHealthyShort.text(lang).to_string(),
            theme::ok(),
        )),
        None => second.push(Span::raw("…")),
    }
    if w.corrected {
        second.push(Span::styled(
            format!(" ({})", Msg::RcCorrected.text(lang)),
            theme::muted(),
        ));
    }
    if let Some(priority) = w.priority.filter(|_| w.incident.is_some()) {
        let (label, style) = priority_label(priority);
        second.push(Span::raw(" · "));
        second.push(Span::styled(label, style));
    }
    if let Some(busy) = state.recovery.busy {
        second.push(Span::styled(
            format!("  ⏳ {}", text::busy_text(lang, busy)),
            theme::warn(),
        ));
    }
    vec![Line::from(strip), Line::from(second)]
}

/// The body for what the tab shows now.
fn body_lines(state: &State, width: usize) -> Vec<Line<'static>> {
    let view = &state.recovery;
    let lang = state.lang;
    if let Some(Input::PickIncident(at)) = &view.input {
        return picker_lines(
            lang,
            Msg::RcPickIncident,
            IncidentKind::ALL
                .iter()
                .map(|k| incident_title(lang, *k).to_string()),
            *at,
        );
    }
    if let Some(Input::PickBackup(at)) = &view.input {
        return point::candidate_lines(lang, &view.candidates, *at);
    }
    let Some(w) = &view.wizard else {
        return intro::lines(state);
    };
    if view.timeline {
        return intro::timeline_lines(lang, w);
    }
    let restore_kind = update::restores(w);
    match w.step {
        Step::Detection => intro::detection_lines(state, w),
        Step::Reaction => reaction::reaction_lines(state, w, width),
        Step::RecoveryPoint if restore_kind => point::point_lines(lang, w),
        Step::RecoveryPoint => fix::guide_lines(state, w),
        Step::Safety => point::safety_lines(lang, w),
        Step::Restore => restore::restore_lines(state, w, width),
        Step::Verification => {
            restore::verification_lines(lang, w, view.busy == Some(Busy::Verifying))
        }
        Step::Inform => reaction::inform_lines(state, w, width),
        Step::PostIncident | Step::Closed => intro::post_lines(state, w),
    }
}

/// A list with one highlighted row and a heading.
fn picker_lines(
    lang: Lang,
    heading: Msg,
    rows: impl Iterator<Item = String>,
    at: usize,
) -> Vec<Line<'static>> {
    let mut lines = vec![Line::styled(
        heading.text(lang).to_string(),
        theme::label().bold(),
    )];
    for (i, row) in rows.enumerate() {
        if i == at {
            lines.push(Line::styled(format!("▶ {row}"), theme::tab_active()));
        } else {
            lines.push(Line::raw(format!("  {row}")));
        }
    }
    lines
}

/// A heading line.
pub fn heading(text: impl Into<String>) -> Line<'static> {
    Line::styled(text.into(), theme::label().bold())
}

/// A `label  value` line.
pub fn field(label: &str, value: impl Into<String>) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{label:<18}"), theme::label()),
        Span::raw(value.into()),
    ])
}

/// A UTC time as `2026-11-26 02:00 UTC`.
pub fn utc(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}
