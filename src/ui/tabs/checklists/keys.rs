//! The Checklists tab's key bindings (part of the one keymap table that drives the event
//! loop and the help overlay).

use crossterm::event::KeyCode;

use super::view::ChecklistsAction;
use crate::checks::Cadence;
use crate::i18n::Msg;
use crate::ui::action::Action;

/// The Checklists tab's keys (`r` stays "reconnect": running is `a` and Enter).
pub fn bindings() -> Vec<(KeyCode, Action, Msg)> {
    let key =
        |c: char, action: ChecklistsAction, help: Msg| (KeyCode::Char(c), action.into(), help);
    let mut keys = vec![
        (
            KeyCode::Left,
            ChecklistsAction::Switch(-1).into(),
            Msg::HelpCkSwitch,
        ),
        (
            KeyCode::Right,
            ChecklistsAction::Switch(1).into(),
            Msg::HelpCkSwitch,
        ),
        key('d', ChecklistsAction::Show(Cadence::Daily), Msg::HelpCkShow),
        key(
            'w',
            ChecklistsAction::Show(Cadence::Weekly),
            Msg::HelpCkShow,
        ),
        key(
            'm',
            ChecklistsAction::Show(Cadence::Monthly),
            Msg::HelpCkShow,
        ),
    ];
    keys.extend(
        crate::ui::keymap::navigation(|m| ChecklistsAction::Move(m).into())
            .into_iter()
            .map(|(code, action, help)| match code {
                KeyCode::PageDown | KeyCode::PageUp => (code, action, Msg::HelpCkScrollDetail),
                _ => (code, action, help),
            }),
    );
    keys.extend([
        key('a', ChecklistsAction::RunAll, Msg::HelpCkRunAll),
        (
            KeyCode::Enter,
            ChecklistsAction::RunSelected.into(),
            Msg::HelpCkRun,
        ),
        key('c', ChecklistsAction::Confirm, Msg::HelpCkConfirm),
        key('f', ChecklistsAction::FollowUp, Msg::HelpCkFollowUp),
        key('l', ChecklistsAction::ToggleLog, Msg::HelpCkLog),
        key('v', ChecklistsAction::ToggleReports, Msg::HelpCkReports),
        key('/', ChecklistsAction::Filter, Msg::HelpCkFilter),
        key('t', ChecklistsAction::CycleKind, Msg::HelpCkKind),
    ]);
    keys
}
