//! The selected item's detail pane: its result and when it ran, the evidence, the comment of
//! a confirmed manual item, the fix and the follow-up on offer.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::text::{follow_up_text, severity_mark, severity_style};
use super::view::{RunMark, utc};
use crate::checks::{ItemDef, ItemKind, ItemResult, Severity};
use crate::i18n::{Lang, Msg};
use crate::sanitize::escape_controls;
use crate::ui::state::State;
use crate::ui::theme;

/// Width of the labels.
const LABEL: usize = 12;

/// Draws the detail of the selected item into `area`.
pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    if area.height < 3 {
        return;
    }
    let lang = state.lang;
    let view = &state.checklists;
    let Some(def) = view.selected_item() else {
        frame.render_widget(Block::bordered(), area);
        return;
    };
    let result = view.result(def.cadence, &def.id);
    let title = format!(
        " {} · {} ",
        escape_controls(&def.id),
        escape_controls(def.title.get(lang))
    );
    let lines = lines(
        lang,
        def,
        result.as_ref(),
        view.running.get(&def.id).copied(),
    );
    let block = Block::bordered().title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    draw_scrolled(frame, inner, lines, view.detail_scroll);
}

/// A `label  value` line.
fn field(label: &str, value: Span<'static>) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{label:<LABEL$}"), theme::label()),
        value,
    ])
}

/// The detail's lines for `def` with its `result` in the shown round.
pub fn lines(
    lang: Lang,
    def: &ItemDef,
    result: Option<&ItemResult>,
    running: Option<RunMark>,
) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    match (running, result) {
        (Some(RunMark::Running), _) => lines.push(field(
            Msg::CkDetailResult.text(lang),
            Span::styled(Msg::CkRunningItem.text(lang).to_string(), theme::warn()),
        )),
        (Some(RunMark::Queued), _) => lines.push(field(
            Msg::CkDetailResult.text(lang),
            Span::styled(Msg::CkQueued.text(lang).to_string(), theme::muted()),
        )),
        (None, None) => lines.push(field(
            Msg::CkDetailResult.text(lang),
            Span::styled(Msg::CkDetailNotRun.text(lang).to_string(), theme::muted()),
        )),
        (None, Some(r)) => {
            let (mark, style) = severity_mark(r.severity);
            lines.push(Line::from(vec![
                Span::styled(
                    format!("{:<LABEL$}", Msg::CkDetailResult.text(lang)),
                    theme::label(),
                ),
                Span::styled(format!("{mark} {} ", r.severity.label(lang)), style),
                Span::raw(format!("— {}", escape_controls(&r.summary))),
            ]));
        }
    }
    if let Some(r) = result {
        let mut when = utc(r.at);
        if let Some(by) = &r.by {
            when.push_str(&format!(" · {}", escape_controls(by)));
        }
        if def.kind != ItemKind::Manual {
            when.push_str(&format!(" · {:.1} s", r.millis as f64 / 1000.0));
        }
        let label = if def.kind == ItemKind::Manual {
            Msg::CkDetailConfirmed
        } else {
            Msg::CkDetailChecked
        };
        lines.push(field(label.text(lang), Span::raw(when)));
        if let Some(comment) = &r.comment {
            lines.push(field(
                Msg::CkDetailComment.text(lang),
                Span::raw(escape_controls(comment).into_owned()),
            ));
        }
    }
    if let ItemKind::Command { command, .. } = &def.kind {
        lines.push(field(
            Msg::CkDetailCommand.text(lang),
            Span::styled(
                format!("sh -c {}", escape_controls(command)),
                theme::muted(),
            ),
        ));
    }
    if let Some(r) = result.filter(|r| !r.evidence.is_empty()) {
        lines.push(Line::styled(
            Msg::CkDetailEvidence.text(lang).to_string(),
            theme::label(),
        ));
        for line in &r.evidence {
            lines.push(Line::raw(format!("  {}", escape_controls(line))));
        }
    }
    if def.kind == ItemKind::Manual && result.is_none() {
        lines.push(Line::styled(
            Msg::CkManualHint.text(lang).to_string(),
            theme::warn(),
        ));
    }
    let needs_fix = result.is_none_or(|r| r.severity > Severity::Info);
    if needs_fix && !def.fix.get(lang).trim().is_empty() {
        let style = result.map_or(theme::muted(), |r| severity_style(r.severity));
        lines.push(Line::from(vec![
            Span::styled(format!("{:<LABEL$}", Msg::CkDetailFix.text(lang)), style),
            Span::raw(escape_controls(def.fix.get(lang)).into_owned()),
        ]));
    }
    if let Some(follow_up) = def.follow_up {
        let text = if result.is_some() {
            follow_up_text(lang, follow_up).to_string()
        } else {
            format!(
                "{} ({})",
                follow_up_text(lang, follow_up),
                Msg::CkAfterRun.text(lang)
            )
        };
        lines.push(field(
            Msg::CkDetailFollowUp.text(lang),
            Span::styled(text, theme::warn()),
        ));
    }
    lines
}

/// Draws `lines` wrapped into `area` from line `scroll` (clamped), with a mark when more
/// lines follow or precede.
pub fn draw_scrolled(frame: &mut Frame, area: Rect, lines: Vec<Line<'static>>, scroll: u16) {
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
    if rows > height && area.width > 4 && area.height > 0 {
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
