//! Steps 5 (the restore: what is overwritten, the typed confirmation, the job's progress and
//! outcome) and 6 (verification), and the tab's input box.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::intro::finding_lines;
use super::view::Input;
use super::{field, utc};
use crate::i18n::{Lang, Msg};
use crate::recovery::wizard::{RunState, SafetyDecision, Wizard};
use crate::sanitize::escape_controls;
use crate::ui::dialogs::text_input::TextInput;
use crate::ui::state::State;
use crate::ui::theme;

/// Step 5.
pub fn restore_lines(state: &State, w: &Wizard, width: usize) -> Vec<Line<'static>> {
    let lang = state.lang;
    let view = &state.recovery;
    let mut out = Vec::new();
    if let Some(scope) = &w.scope {
        out.push(field(
            Msg::RcRestoring.text(lang),
            escape_controls(&scope.describe()).into_owned(),
        ));
        if !scope.not_in_backup.is_empty() {
            out.push(field(
                Msg::RcNotInBackup.text(lang),
                escape_controls(&scope.not_in_backup.join(", ")).into_owned(),
            ));
        }
    }
    if let Some(point) = &w.point {
        out.push(field(
            Msg::RcFromBackup.text(lang),
            escape_controls(point.id()).into_owned(),
        ));
    }
    let safety = match &w.safety {
        Some(SafetyDecision::Take) => Msg::RcSafetyYes.text(lang).to_string(),
        Some(SafetyDecision::Skipped { reason }) => {
            Msg::RcSafetySkippedBecause.fill(lang, &[&escape_controls(reason)])
        }
        Some(SafetyDecision::NotPossible { why }) => {
            Msg::RcSafetyNo.fill(lang, &[&escape_controls(why)])
        }
        None => "—".into(),
    };
    out.push(field(Msg::RcStepSafety.text(lang), safety));
    match &w.restore {
        None => match &view.prepared {
            None => out.push(Line::styled(
                Msg::RcPreparing.text(lang).to_string(),
                theme::muted(),
            )),
            Some(prepared) => {
                out.push(Line::raw(""));
                out.push(Line::styled(
                    Msg::RcOverwriteHeading.text(lang).to_string(),
                    theme::bad(),
                ));
                if let Some(db) = &prepared.plan.database {
                    out.push(field(
                        Msg::RcDatabase.text(lang),
                        escape_controls(&db.target).into_owned(),
                    ));
                    for c in &db.collections {
                        let now = c.current_documents.map_or_else(
                            || Msg::RcMissingNow.text(lang).to_string(),
                            |n| Msg::RcNowCount.fill(lang, &[&n.to_string()]),
                        );
                        out.push(Line::raw(format!(
                            "  {:<24} {}",
                            escape_controls(&c.name),
                            Msg::RcCollectionChange
                                .fill(lang, &[&now, &c.backup_documents.to_string()])
                        )));
                    }
                }
                if let Some(files) = &prepared.plan.files {
                    out.push(field(
                        Msg::RcFilesDir.text(lang),
                        escape_controls(&files.target.display().to_string()).into_owned(),
                    ));
                    out.push(Line::raw(format!(
                        "  {}",
                        Msg::RcFilesChange.fill(
                            lang,
                            &[
                                &files.added.len().to_string(),
                                &files.overwritten.len().to_string()
                            ]
                        )
                    )));
                }
                out.push(Line::raw(""));
                out.push(Line::styled(
                    Msg::RsTypeToConfirm
                        .fill(lang, &[&prepared.confirm_word(&state.install.database)]),
                    theme::warn(),
                ));
            }
        },
        Some(run) => {
            out.push(field(Msg::RcStarted.text(lang), utc(run.started_at)));
            if let Some(key) = &run.job_key {
                out.push(field(
                    Msg::RcJob.text(lang),
                    escape_controls(key).into_owned(),
                ));
            }
            match run.state {
                RunState::Running => {
                    out.push(Line::raw(""));
                    let job = state.jobs.iter().find(|j| {
                        Some(j.id) == view.restore_job
                            || j.worker.as_ref().map(|k| &k.key) == run.job_key.as_ref()
                    });
                    match job {
                        Some(job) => {
                            out.extend(crate::ui::job_list::job_lines(lang, job, state.now, width))
                        }
                        None => out.push(Line::styled(
                            Msg::RcWaitingForJob.text(lang).to_string(),
                            theme::muted(),
                        )),
                    }
                    out.push(Line::styled(
                        Msg::RcDetachedNote.text(lang).to_string(),
                        theme::muted(),
                    ));
                }
                RunState::Done => {
                    out.push(Line::styled(
                        Msg::RcRestoreDone.fill(
                            lang,
                            &[&run.documents.to_string(), &run.files_written.to_string()],
                        ),
                        theme::ok(),
                    ));
                    if let Some(id) = &run.safety_backup {
                        out.push(field(
                            Msg::RcSafetyBackup.text(lang),
                            escape_controls(id).into_owned(),
                        ));
                    }
                }
                RunState::Failed => {
                    out.push(Line::styled(
                        Msg::RcRestoreFailedWith.fill(
                            lang,
                            &[&escape_controls(run.error.as_deref().unwrap_or("?"))],
                        ),
                        theme::bad(),
                    ));
                }
            }
        }
    }
    for fix in &w.fix_log {
        out.push(field(
            Msg::RcFixDone.text(lang),
            escape_controls(fix).into_owned(),
        ));
    }
    out
}

/// Step 6.
pub fn verification_lines(lang: Lang, w: &Wizard, running: bool) -> Vec<Line<'static>> {
    let Some(v) = &w.verification else {
        let msg = if running {
            Msg::RcVerifying
        } else {
            Msg::RcVerifyNotRun
        };
        return vec![Line::styled(msg.text(lang).to_string(), theme::muted())];
    };
    let mut out = vec![if v.passed {
        Line::styled(Msg::RcVerifyPassed.text(lang).to_string(), theme::ok())
    } else {
        Line::styled(Msg::RcVerifyFailed.text(lang).to_string(), theme::bad())
    }];
    out.push(Line::styled(
        Msg::RcCheckedAt.fill(lang, &[&utc(v.at), &v.checks.len().to_string()]),
        theme::muted(),
    ));
    if let Some(at) = v.health_ok_at {
        out.push(field(Msg::RcHealthOk.text(lang), utc(at)));
    }
    out.push(Line::raw(""));
    for c in &v.checks {
        out.extend(finding_lines(c));
    }
    out
}

/// The open text input: the message, the notes, a reason or a typed confirmation.
pub fn draw_input(frame: &mut Frame, area: Rect, state: &State) {
    let lang = state.lang;
    let view = &state.recovery;
    let (title, input): (Msg, &TextInput) = match &view.input {
        Some(Input::Message) => (Msg::RcInputMessage, &view.draft),
        Some(Input::Notes) => (Msg::RcInputNotes, &view.notes),
        Some(Input::SkipReason(t)) => (Msg::RcInputReason, t),
        Some(Input::ConfirmRestore(t)) => (Msg::RcInputConfirm, t),
        Some(Input::ConfirmRestart(t)) => (Msg::RcInputRestart, t),
        _ => return,
    };
    let word = match (&view.input, &view.prepared) {
        (Some(Input::ConfirmRestore(_)), Some(p)) => p.confirm_word(&state.install.database),
        (Some(Input::ConfirmRestore(_)), None) => state.install.database.clone(),
        _ => super::view::RESTART_WORD.to_string(),
    };
    let block = Block::bordered().border_style(theme::warn()).title(format!(
        " {} ",
        title.fill(lang, &[&escape_controls(&word)])
    ));
    let (before, under, after) = input.split();
    let cursor = ratatui::style::Style::new().add_modifier(ratatui::style::Modifier::REVERSED);
    let mut lines: Vec<Line<'static>> = Vec::new();
    let mut current: Vec<Span<'static>> = Vec::new();
    let push_text = |text: &str,
                     style: Option<ratatui::style::Style>,
                     lines: &mut Vec<Line<'static>>,
                     current: &mut Vec<Span<'static>>| {
        let mut parts = text.split('\n').peekable();
        while let Some(part) = parts.next() {
            let shown = escape_controls(part).into_owned();
            current.push(match style {
                Some(s) => Span::styled(shown, s),
                None => Span::raw(shown),
            });
            if parts.peek().is_some() {
                lines.push(Line::from(std::mem::take(current)));
            }
        }
    };
    push_text(&before, None, &mut lines, &mut current);
    if under == "\n" {
        current.push(Span::styled(" ", cursor));
        lines.push(Line::from(std::mem::take(&mut current)));
    } else {
        push_text(&under, Some(cursor), &mut lines, &mut current);
    }
    push_text(&after, None, &mut lines, &mut current);
    lines.push(Line::from(current));
    let inner_height = usize::from(area.height.saturating_sub(2));
    let cursor_line = before.matches('\n').count();
    let skip = (cursor_line + 1).saturating_sub(inner_height);
    let lines: Vec<Line<'static>> = lines.into_iter().skip(skip).collect();
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
