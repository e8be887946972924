//! The restore dialog: choices, the dry-run preview and the typed confirmation.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use crate::backup::restore::RestorePlan;
use crate::i18n::{Lang, Msg};
use crate::sanitize::escape_controls;
use crate::ui::dialogs::restore_form::{FormRow, RestoreForm, RestoreStep};
use crate::ui::dialogs::text_input::TextInput;
use crate::ui::render::centered;
use crate::ui::theme;
use crate::ui::widgets::wrap::wrap;

/// Width of the dialog.
const WIDTH: u16 = 84;
/// Most lines of files listed in the preview.
const FILES_SHOWN: usize = 6;

/// Draws the restore dialog over `area`.
pub fn draw(frame: &mut Frame, area: Rect, lang: Lang, form: &RestoreForm) {
    let room = usize::from(area.height.saturating_sub(2));
    let mut lines = match &form.step {
        RestoreStep::Choose => choose_lines(lang, form, room.saturating_sub(4)),
        RestoreStep::Planning => vec![
            Line::raw(""),
            Line::styled(Msg::RsPlanning.text(lang), theme::muted()),
        ],
        RestoreStep::Confirm { plan, typed, .. } => preview_lines(
            lang,
            plan,
            &form.confirm_word(),
            typed,
            room.saturating_sub(4),
        ),
    };
    if let Some(error) = &form.error {
        lines.push(Line::raw(""));
        let text = escape_controls(&error.message(lang)).into_owned();
        for part in wrap(&text, usize::from(WIDTH) - 2) {
            lines.push(Line::styled(part, theme::bad()));
        }
    }
    lines.push(Line::raw(""));
    let hints = match form.step {
        RestoreStep::Choose => Msg::RsHintsChoose,
        RestoreStep::Planning => Msg::RsHintsPlanning,
        RestoreStep::Confirm { .. } => Msg::RsHintsConfirm,
    };
    lines.push(Line::styled(hints.text(lang), theme::muted()));
    let popup = centered(area, WIDTH, lines.len() as u16 + 2);
    frame.render_widget(Clear, popup);
    let title = Msg::RsTitle.fill(lang, &[&escape_controls(&form.set_id)]);
    let block = Block::bordered()
        .border_style(theme::warn())
        .title(format!(" {title} "));
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}

fn check(on: bool) -> &'static str {
    if on { "[x]" } else { "[ ]" }
}

fn radio(on: bool) -> &'static str {
    if on { "(•)" } else { "( )" }
}

fn input_spans(input: &TextInput, focused: bool) -> Vec<Span<'static>> {
    let (before, under, after) = input.split();
    let under_style = if focused {
        Style::new().add_modifier(ratatui::style::Modifier::REVERSED)
    } else {
        Style::new()
    };
    vec![
        Span::raw(escape_controls(&before).into_owned()),
        Span::styled(escape_controls(&under).into_owned(), under_style),
        Span::raw(escape_controls(&after).into_owned()),
    ]
}

fn row_line(lang: Lang, form: &RestoreForm, row: FormRow, focused: bool) -> Line<'static> {
    let marker = if focused { "› " } else { "  " };
    let mut spans = vec![Span::styled(marker, theme::warn())];
    match row {
        FormRow::Database => spans.push(Span::raw(format!(
            "{} {}",
            check(form.database),
            Msg::RsDatabasePart.text(lang)
        ))),
        FormRow::AllCollections => {
            let chosen = form.collections.iter().filter(|c| c.chosen).count();
            spans.push(Span::raw(format!(
                "    {} {}",
                check(chosen == form.collections.len()),
                Msg::RsAllCollections.fill(
                    lang,
                    &[&chosen.to_string(), &form.collections.len().to_string()]
                )
            )));
        }
        FormRow::Collection(i) => {
            let c = &form.collections[i];
            spans.push(Span::raw(format!(
                "      {} {:<32} {:>10}",
                check(c.chosen),
                escape_controls(&c.name),
                Msg::BkDocuments.fill(lang, &[&c.documents.to_string()])
            )));
        }
        FormRow::DbTarget => spans.push(Span::raw(format!(
            "    {} {}   {} {}",
            radio(!form.db_elsewhere),
            Msg::RsLiveDatabase.fill(lang, &[&escape_controls(&form.live_db)]),
            radio(form.db_elsewhere),
            Msg::RsOtherDatabase.text(lang)
        ))),
        FormRow::DbName => {
            spans.push(Span::raw(format!("      {}: ", Msg::RsName.text(lang))));
            spans.extend(input_spans(&form.db_name, focused));
        }
        FormRow::PointInTime => {
            spans.push(Span::raw(format!(
                "    {}: ",
                Msg::RsPointInTime.text(lang)
            )));
            spans.extend(input_spans(&form.at, focused));
            if let Some(window) = &form.window {
                spans.push(Span::styled(
                    format!("  ({})", escape_controls(window)),
                    theme::muted(),
                ));
            }
        }
        FormRow::Files => spans.push(Span::raw(format!(
            "{} {}",
            check(form.files),
            Msg::RsFilesPart.text(lang)
        ))),
        FormRow::FilesTarget => spans.push(Span::raw(format!(
            "    {} {}   {} {}",
            radio(!form.files_elsewhere),
            Msg::RsOriginalPaths.fill(
                lang,
                &[&escape_controls(&form.live_root.display().to_string())]
            ),
            radio(form.files_elsewhere),
            Msg::RsOtherDirectory.text(lang)
        ))),
        FormRow::FilesDir => {
            spans.push(Span::raw(format!(
                "      {}: ",
                Msg::RsDirectory.text(lang)
            )));
            spans.extend(input_spans(&form.files_dir, focused));
        }
        FormRow::Preview => spans.push(Span::styled(
            format!("[ {} ]", Msg::RsPreview.text(lang)),
            if focused {
                theme::warn()
            } else {
                theme::label()
            },
        )),
    }
    Line::from(spans)
}

fn choose_lines(lang: Lang, form: &RestoreForm, room: usize) -> Vec<Line<'static>> {
    let rows = form.rows();
    let focus = form.focus.min(rows.len() - 1);
    let room = room.max(3);
    let start = if rows.len() <= room {
        0
    } else {
        focus.saturating_sub(room / 2).min(rows.len() - room)
    };
    let mut lines = vec![Line::styled(Msg::RsWhat.text(lang), theme::label())];
    lines.extend(
        rows.iter()
            .enumerate()
            .skip(start)
            .take(room)
            .map(|(i, row)| row_line(lang, form, *row, i == focus)),
    );
    lines
}

fn preview_lines(
    lang: Lang,
    plan: &RestorePlan,
    word: &str,
    typed: &TextInput,
    room: usize,
) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    if plan.safety_backup {
        lines.push(Line::styled(Msg::RsSafetyBackup.text(lang), theme::ok()));
    } else {
        lines.push(Line::styled(
            Msg::RsNoSafetyBackup.text(lang),
            theme::muted(),
        ));
    }
    let mut body = Vec::new();
    if let Some(db) = &plan.database {
        let msg = if db.live {
            Msg::RsPlanLiveDatabase
        } else {
            Msg::RsPlanOtherDatabase
        };
        body.push(Line::styled(
            msg.fill(
                lang,
                &[
                    &escape_controls(&db.target),
                    &db.collections.len().to_string(),
                ],
            ),
            if db.live { theme::warn() } else { Style::new() },
        ));
        for c in &db.collections {
            let now = match c.current_documents {
                Some(n) => Msg::RsNow.fill(lang, &[&n.to_string()]),
                None => Msg::RsAbsent.text(lang).to_string(),
            };
            body.push(Line::raw(format!(
                "    {:<32} {:>10} ← {now}",
                escape_controls(&c.name),
                c.backup_documents
            )));
        }
    }
    if let Some(files) = &plan.files {
        body.push(Line::raw(Msg::RsPlanFiles.fill(
            lang,
            &[
                &escape_controls(&files.target.display().to_string()),
                &files.added.len().to_string(),
                &files.overwritten.len().to_string(),
            ],
        )));
        for path in files.overwritten.iter().take(FILES_SHOWN) {
            body.push(Line::styled(
                format!(
                    "    {} {}",
                    Msg::RsOverwrite.text(lang),
                    escape_controls(&path.display().to_string())
                ),
                theme::warn(),
            ));
        }
        if files.overwritten.len() > FILES_SHOWN {
            body.push(Line::raw(format!(
                "    {}",
                Msg::BkMoreCollections.fill(
                    lang,
                    &[&(files.overwritten.len() - FILES_SHOWN).to_string()]
                )
            )));
        }
    }
    let keep = room.saturating_sub(4).max(2);
    if body.len() > keep {
        let more = body.len() - keep + 1;
        body.truncate(keep - 1);
        body.push(Line::raw(format!(
            "    {}",
            Msg::BkMoreCollections.fill(lang, &[&more.to_string()])
        )));
    }
    lines.extend(body);
    lines.push(Line::raw(""));
    let mut prompt = vec![Span::styled(
        Msg::RsTypeToConfirm.fill(lang, &[&escape_controls(word)]),
        theme::warn(),
    )];
    prompt.push(Span::raw(" "));
    prompt.extend(input_spans(typed, true));
    lines.push(Line::from(prompt));
    lines
}
