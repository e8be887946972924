//! Keys while an input of the Recovery tab is open: the message and notes editors, the
//! typed reason and confirmations, and the pickers.

use crossterm::event::{KeyCode, KeyEvent};

use super::update::{cmd, save};
use super::view::{Busy, Input, RESTART_WORD, RecoveryCommand, RecoveryView};
use crate::i18n::Msg;
use crate::jobs::JobSpec;
use crate::recovery::model::IncidentKind;
use crate::recovery::steps::restore_started;
use crate::recovery::wizard::SafetyDecision;
use crate::ui::action::Command;
use crate::ui::dialogs::text_input::TextInput;
use crate::ui::state::State;

/// A key while an input of the tab is open.
pub fn on_input_key(state: &mut State, key: &KeyEvent) -> Vec<Command> {
    state.dirty = true;
    let Some(input) = state.recovery.input.take() else {
        return Vec::new();
    };
    let lang = state.lang;
    let view = &mut state.recovery;
    let keep = |view: &mut RecoveryView, input| view.input = Some(input);
    match input {
        Input::Message => match key.code {
            KeyCode::Enter | KeyCode::Esc => Vec::new(),
            _ => {
                view.draft.handle(key);
                keep(view, Input::Message);
                Vec::new()
            }
        },
        Input::Notes => match key.code {
            KeyCode::Esc => Vec::new(),
            KeyCode::Enter => {
                let at = view
                    .notes
                    .value
                    .char_indices()
                    .nth(view.notes.cursor)
                    .map_or(view.notes.value.len(), |(i, _)| i);
                view.notes.value.insert(at, '\n');
                view.notes.cursor += 1;
                keep(view, Input::Notes);
                Vec::new()
            }
            _ => {
                view.notes.handle(key);
                keep(view, Input::Notes);
                Vec::new()
            }
        },
        Input::SkipReason(mut typed) => match key.code {
            KeyCode::Esc => Vec::new(),
            KeyCode::Enter => {
                let reason = typed.value.trim().to_string();
                if reason.is_empty() {
                    view.notice = Some((Msg::RcReasonNeeded.text(lang).into(), true));
                    keep(view, Input::SkipReason(typed));
                    return Vec::new();
                }
                let Some(w) = view.wizard.clone() else {
                    return Vec::new();
                };
                view.busy = Some(Busy::Preparing);
                view.prepared = None;
                vec![cmd(RecoveryCommand::Prepare {
                    wizard: Box::new(w),
                    decision: Some(SafetyDecision::Skipped { reason }),
                })]
            }
            _ => {
                typed.handle(key);
                keep(view, Input::SkipReason(typed));
                Vec::new()
            }
        },
        Input::ConfirmRestore(mut typed) => match key.code {
            KeyCode::Esc => Vec::new(),
            KeyCode::Enter => confirm_restore(state, typed),
            _ => {
                if typed.handle(key) {
                    view.notice = None;
                }
                keep(view, Input::ConfirmRestore(typed));
                Vec::new()
            }
        },
        Input::ConfirmRestart(mut typed) => match key.code {
            KeyCode::Esc => Vec::new(),
            KeyCode::Enter if typed.value.trim() == RESTART_WORD => {
                let Some(w) = view.wizard.clone() else {
                    return Vec::new();
                };
                view.busy = Some(Busy::Restarting);
                vec![cmd(RecoveryCommand::RestartServices(Box::new(w)))]
            }
            KeyCode::Enter => {
                view.notice = Some((Msg::RcMismatch.fill(lang, &[RESTART_WORD]), true));
                keep(view, Input::ConfirmRestart(typed));
                Vec::new()
            }
            _ => {
                typed.handle(key);
                keep(view, Input::ConfirmRestart(typed));
                Vec::new()
            }
        },
        Input::PickIncident(at) => {
            let len = IncidentKind::ALL.len();
            match key.code {
                KeyCode::Esc => Vec::new(),
                KeyCode::Enter => {
                    let Some(w) = view.wizard.clone() else {
                        return Vec::new();
                    };
                    view.busy = Some(Busy::Correcting);
                    vec![cmd(RecoveryCommand::Correct(
                        Box::new(w),
                        IncidentKind::ALL[at.min(len - 1)],
                    ))]
                }
                _ => {
                    keep(view, Input::PickIncident(pick(at, len, key)));
                    Vec::new()
                }
            }
        }
        Input::PickBackup(at) => {
            let len = view.candidates.len().max(1);
            match key.code {
                KeyCode::Esc => Vec::new(),
                KeyCode::Enter => {
                    let (Some(w), Some(c)) = (view.wizard.clone(), view.candidates.get(at)) else {
                        return Vec::new();
                    };
                    let wanted = Some(c.id.clone());
                    view.busy = Some(Busy::ChoosingPoint);
                    vec![cmd(RecoveryCommand::ChoosePoint {
                        wizard: Box::new(w),
                        wanted,
                    })]
                }
                _ => {
                    keep(view, Input::PickBackup(pick(at, len, key)));
                    Vec::new()
                }
            }
        }
    }
}

fn pick(at: usize, len: usize, key: &KeyEvent) -> usize {
    match key.code {
        KeyCode::Up | KeyCode::Char('k') => at.saturating_sub(1),
        KeyCode::Down | KeyCode::Char('j') => (at + 1).min(len.saturating_sub(1)),
        KeyCode::Home => 0,
        KeyCode::End => len.saturating_sub(1),
        _ => at,
    }
}

/// Enter in the typed confirmation of the restore: starts the detached job when the name
/// matches.
fn confirm_restore(state: &mut State, typed: TextInput) -> Vec<Command> {
    let view = &mut state.recovery;
    let (Some(prepared), Some(mut w)) = (view.prepared.clone(), view.wizard.clone()) else {
        return Vec::new();
    };
    let expected = prepared.confirm_word(&state.install.database);
    if typed.value != expected {
        view.notice = Some((Msg::RcMismatch.fill(state.lang, &[&expected]), true));
        view.input = Some(Input::ConfirmRestore(typed));
        return Vec::new();
    }
    let record = crate::jobs::job_file::RestoreRecord::from(&*prepared.request);
    w.restore = Some(restore_started(&record, None));
    w.log(
        &state.recovery.actor,
        format!("restore of {} confirmed and started", record.id),
    );
    let mut out = crate::ui::job_actions::start_job(
        state,
        JobSpec::Restore {
            request: prepared.request.clone(),
            plan: prepared.plan.clone(),
        },
    );
    state.recovery.restore_job = Some(state.next_job);
    state.recovery.prepared = None;
    out.insert(0, save(&w));
    state.recovery.wizard = Some(w);
    out
}
