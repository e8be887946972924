//! Small dialogs: export path, prune preview, cancel and quit confirmations.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use crate::backup::inventory::human_age;
use crate::backup::retention::PrunePlan;
use crate::i18n::{Lang, Msg};
use crate::jobs::{BackupChoice, JobId};
use crate::sanitize::escape_controls;
use crate::system::disk::human_bytes;
use crate::ui::dialogs::text_input::TextInput;
use crate::ui::dialogs::{Confirmation, Dialog};
use crate::ui::render::centered;
use crate::ui::state::State;
use crate::ui::theme;
use crate::ui::widgets::wrap::wrap;

/// Draws `dialog` (any but the restore dialog) over `area`.
pub fn draw(frame: &mut Frame, area: Rect, state: &State, dialog: &Dialog) {
    let lang = state.lang;
    let (title, lines, style) = match dialog {
        Dialog::Restore(_) => return,
        Dialog::BackupType { selected } => backup_type_lines(lang, *selected),
        Dialog::Export { id, path, invalid } => export_lines(lang, id, path, *invalid),
        Dialog::Prune { plan, scroll } => {
            let now = state.snapshot().map_or_else(Utc::now, |s| s.scanned_at);
            let room = usize::from(area.height.saturating_sub(10));
            prune_lines(lang, plan, *scroll, room, now)
        }
        Dialog::CancelJob { id } => cancel_lines(lang, state, *id),
        Dialog::Confirm(confirmation) => confirmation_lines(lang, confirmation, area.width),
        Dialog::Quit { running } => (
            Msg::QuitTitle.text(lang).to_string(),
            vec![
                Line::raw(Msg::QuitRunning.fill(lang, &[&running.to_string()])),
                Line::raw(""),
                Line::styled(Msg::YesNo.text(lang), theme::muted()),
            ],
            theme::warn(),
        ),
    };
    let width = lines
        .iter()
        .map(Line::width)
        .chain([title.chars().count() + 4])
        .max()
        .unwrap_or(20)
        .clamp(40, usize::from(area.width.saturating_sub(4)).max(40)) as u16
        + 2;
    let popup = centered(area, width, lines.len() as u16 + 2);
    frame.render_widget(Clear, popup);
    let block = Block::bordered()
        .border_style(style)
        .title(format!(" {title} "));
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}

type Parts = (String, Vec<Line<'static>>, Style);

fn backup_type_lines(lang: Lang, selected: BackupChoice) -> Parts {
    let choices = [
        (BackupChoice::Full, Msg::BackupTypeFull),
        (BackupChoice::Incremental, Msg::BackupTypeIncremental),
        (BackupChoice::Auto, Msg::BackupTypeAuto),
    ];
    let mut lines: Vec<Line<'static>> = choices
        .iter()
        .map(|(choice, msg)| {
            let text = format!(
                "{} {}",
                if *choice == selected { "▶" } else { " " },
                msg.text(lang)
            );
            if *choice == selected {
                Line::styled(
                    text,
                    Style::new().add_modifier(ratatui::style::Modifier::REVERSED),
                )
            } else {
                Line::raw(text)
            }
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        Msg::BackupTypeHints.text(lang),
        theme::muted(),
    ));
    (
        Msg::BackupTypeTitle.text(lang).to_string(),
        lines,
        theme::label(),
    )
}

fn export_lines(lang: Lang, id: &str, path: &TextInput, invalid: bool) -> Parts {
    let (before, under, after) = path.split();
    let mut lines = vec![
        Line::raw(Msg::ExportPrompt.text(lang)),
        Line::from(vec![
            Span::raw("  "),
            Span::raw(escape_controls(&before).into_owned()),
            Span::styled(
                escape_controls(&under).into_owned(),
                Style::new().add_modifier(ratatui::style::Modifier::REVERSED),
            ),
            Span::raw(escape_controls(&after).into_owned()),
        ]),
    ];
    if invalid {
        lines.push(Line::styled(Msg::ExportEmpty.text(lang), theme::bad()));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(Msg::ExportHints.text(lang), theme::muted()));
    (
        Msg::ExportTitle.fill(lang, &[&escape_controls(id)]),
        lines,
        theme::label(),
    )
}

fn prune_lines(
    lang: Lang,
    plan: &PrunePlan,
    scroll: usize,
    room: usize,
    now: DateTime<Utc>,
) -> Parts {
    let mut body: Vec<Line<'static>> = Vec::new();
    for removal in &plan.remove {
        body.push(Line::styled(
            format!(
                "  ✗ {:<34} {:>10}  {}",
                escape_controls(&removal.id),
                human_bytes(removal.size),
                Msg::BackupsAgo.fill(lang, &[&human_age(now - removal.created_at)])
            ),
            theme::bad(),
        ));
    }
    for kept in &plan.keep {
        body.push(Line::styled(
            format!(
                "  ✓ {:<34} {}",
                escape_controls(&kept.id),
                escape_controls(&kept.reasons.join(", "))
            ),
            theme::ok(),
        ));
    }
    let room = room.max(3);
    let start = scroll.min(body.len().saturating_sub(room));
    let shown: Vec<Line<'static>> = body.iter().skip(start).take(room).cloned().collect();
    let mut lines = vec![if plan.remove.is_empty() {
        Line::styled(Msg::PruneNothing.text(lang), theme::ok())
    } else {
        Line::styled(
            Msg::PruneSummary.fill(
                lang,
                &[
                    &plan.remove.len().to_string(),
                    &human_bytes(plan.bytes_freed),
                    &plan.keep.len().to_string(),
                ],
            ),
            theme::warn(),
        )
    }];
    lines.push(Line::raw(""));
    lines.extend(shown);
    if body.len() > room {
        lines.push(Line::styled(
            Msg::PruneScroll.fill(
                lang,
                &[
                    &(start + 1).to_string(),
                    &(start + room).min(body.len()).to_string(),
                    &body.len().to_string(),
                ],
            ),
            theme::muted(),
        ));
    }
    lines.push(Line::raw(""));
    let hints = if plan.remove.is_empty() {
        Msg::PruneHintsNothing
    } else {
        Msg::PruneHints
    };
    lines.push(Line::styled(hints.text(lang), theme::muted()));
    (Msg::PruneTitle.text(lang).to_string(), lines, theme::warn())
}

fn cancel_lines(lang: Lang, state: &State, id: JobId) -> Parts {
    let what = state
        .jobs
        .iter()
        .find(|j| j.id == id)
        .map(|j| crate::ui::job_text::job_title(lang, j))
        .unwrap_or_default();
    (
        Msg::CancelTitle.text(lang).to_string(),
        vec![
            Line::raw(Msg::CancelQuestion.fill(lang, &[&what])),
            Line::styled(Msg::CancelPromise.text(lang), theme::muted()),
            Line::raw(""),
            Line::styled(Msg::YesNo.text(lang), theme::muted()),
        ],
        theme::warn(),
    )
}

fn confirmation_lines(lang: Lang, confirmation: &Confirmation, width: u16) -> Parts {
    let width = usize::from(width.saturating_sub(8)).clamp(30, 90);
    let mut lines: Vec<Line<'static>> = Vec::new();
    for paragraph in &confirmation.lines {
        for part in wrap(&escape_controls(paragraph), width) {
            lines.push(Line::raw(part));
        }
    }
    if let Some(warning) = &confirmation.warning {
        lines.push(Line::raw(""));
        for part in wrap(&format!("⚠ {}", escape_controls(warning)), width) {
            lines.push(Line::styled(part, theme::warn()));
        }
    }
    if !confirmation.statements.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled(Msg::DbStatements.text(lang), theme::muted()));
        for statement in &confirmation.statements {
            for part in wrap(&escape_controls(statement), width.saturating_sub(2)) {
                lines.push(Line::styled(format!("  {part}"), theme::label()));
            }
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(Msg::YesNo.text(lang), theme::muted()));
    (
        escape_controls(&confirmation.title).into_owned(),
        lines,
        theme::warn(),
    )
}
