//! The key bindings: one table drives both the event loop and the help overlay.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::{Action, JobAction, MaintenanceAction, SystemAction};
use super::log_actions::LogsAction;
use super::tab::Tab;
use super::tabs::backups::view::BackupsAction;
use super::tabs::database::view::{DatabaseAction, DbPane};
use super::tabs::recovery::view::RecoveryAction;
use super::widgets::table::Movement;
use crate::backup::verify::VerifyLevel;
use crate::i18n::{Lang, Msg};

/// One key binding.
#[derive(Debug, Clone)]
pub struct KeyBinding {
    /// The key.
    pub code: KeyCode,
    /// Required modifiers (Shift is ignored for characters).
    pub modifiers: KeyModifiers,
    /// What it does.
    pub action: Action,
    /// Help text.
    pub help: Msg,
    /// The tab the binding works on; `None` for global bindings.
    pub scope: Option<Tab>,
}

fn bind(code: KeyCode, action: Action, help: Msg) -> KeyBinding {
    KeyBinding {
        code,
        modifiers: KeyModifiers::NONE,
        action,
        help,
        scope: None,
    }
}

fn on_tab(tab: Tab, code: KeyCode, action: Action, help: Msg) -> KeyBinding {
    KeyBinding {
        scope: Some(tab),
        ..bind(code, action, help)
    }
}

/// The console's key bindings, in help order.
pub fn keymap() -> Vec<KeyBinding> {
    let mut map: Vec<KeyBinding> = Tab::ALL
        .iter()
        .enumerate()
        .map(|(i, tab)| {
            let digit = char::from_digit(i as u32 + 1, 10).unwrap_or('1');
            bind(
                KeyCode::Char(digit),
                Action::SelectTab(*tab),
                Msg::HelpGoToTab,
            )
        })
        .collect();
    map.extend([
        bind(KeyCode::Tab, Action::NextTab, Msg::HelpNextTab),
        bind(KeyCode::BackTab, Action::PreviousTab, Msg::HelpPrevTab),
        bind(KeyCode::Char('?'), Action::ToggleHelp, Msg::HelpToggleHelp),
        bind(KeyCode::Esc, Action::CloseOverlay, Msg::HelpClose),
        bind(KeyCode::Char('r'), Action::RetryMongo, Msg::HelpRetry),
        bind(KeyCode::Char('q'), Action::Quit, Msg::HelpQuit),
        KeyBinding {
            code: KeyCode::Char('c'),
            modifiers: KeyModifiers::CONTROL,
            action: Action::Quit,
            help: Msg::HelpQuit,
            scope: None,
        },
    ]);
    let mut backups = navigation(|m| BackupsAction::Move(m).into());
    backups.extend([
        (
            KeyCode::Char('f'),
            BackupsAction::CycleFilter.into(),
            Msg::HelpBackupsFilter,
        ),
        (
            KeyCode::Char('s'),
            BackupsAction::CycleSort.into(),
            Msg::HelpSortColumn,
        ),
        (
            KeyCode::Char('S'),
            BackupsAction::FlipSort.into(),
            Msg::HelpSortFlip,
        ),
        (
            KeyCode::Char('b'),
            JobAction::NewBackup.into(),
            Msg::HelpNewBackup,
        ),
        (
            KeyCode::Char('v'),
            JobAction::Verify(VerifyLevel::Quick).into(),
            Msg::HelpVerifyQuick,
        ),
        (
            KeyCode::Char('V'),
            JobAction::Verify(VerifyLevel::Deep).into(),
            Msg::HelpVerifyDeep,
        ),
        (
            KeyCode::Char('R'),
            JobAction::Restore.into(),
            Msg::HelpRestore,
        ),
        (
            KeyCode::Char('x'),
            JobAction::Export.into(),
            Msg::HelpExport,
        ),
        (KeyCode::Char('p'), JobAction::Prune.into(), Msg::HelpPrune),
        (
            KeyCode::Char('c'),
            JobAction::Cancel.into(),
            Msg::HelpCancelJob,
        ),
        (
            KeyCode::Char('d'),
            JobAction::Dismiss.into(),
            Msg::HelpDismissJobs,
        ),
    ]);
    map.extend(
        backups
            .into_iter()
            .map(|(code, action, help)| on_tab(Tab::Backups, code, action, help)),
    );
    let system: [(KeyCode, Action, Msg); 6] = [
        (
            KeyCode::Char('j'),
            SystemAction::MoveService(1).into(),
            Msg::HelpSysService,
        ),
        (
            KeyCode::Down,
            SystemAction::MoveService(1).into(),
            Msg::HelpSysService,
        ),
        (
            KeyCode::Char('k'),
            SystemAction::MoveService(-1).into(),
            Msg::HelpSysService,
        ),
        (
            KeyCode::Up,
            SystemAction::MoveService(-1).into(),
            Msg::HelpSysService,
        ),
        (
            KeyCode::Char('R'),
            SystemAction::Restart.into(),
            Msg::HelpSysRestart,
        ),
        (
            KeyCode::Char('m'),
            SystemAction::ToggleSort.into(),
            Msg::HelpSysSort,
        ),
    ];
    map.extend(
        system
            .into_iter()
            .map(|(code, action, help)| on_tab(Tab::System, code, action, help)),
    );
    map.extend(
        logs_bindings()
            .into_iter()
            .map(|(code, action, help)| on_tab(Tab::Logs, code, action, help)),
    );
    map.extend(
        database_bindings()
            .into_iter()
            .map(|(code, action, help)| on_tab(Tab::Database, code, action, help)),
    );
    map.extend(
        super::tabs::checklists::keys::bindings()
            .into_iter()
            .map(|(code, action, help)| on_tab(Tab::Checklists, code, action, help)),
    );
    map.extend(
        recovery_bindings()
            .into_iter()
            .map(|(code, action, help)| on_tab(Tab::Recovery, code, action, help)),
    );
    map
}

/// The Recovery tab's keys.
fn recovery_bindings() -> Vec<(KeyCode, Action, Msg)> {
    let key = |c: char, action: RecoveryAction, help: Msg| (KeyCode::Char(c), action.into(), help);
    let mut keys = vec![
        (
            KeyCode::Enter,
            RecoveryAction::Continue.into(),
            Msg::HelpRcContinue,
        ),
        key('n', RecoveryAction::Start, Msg::HelpRcStart),
        key('c', RecoveryAction::Correct, Msg::HelpRcCorrect),
        key('d', RecoveryAction::Detect, Msg::HelpRcDetect),
        key('e', RecoveryAction::Edit, Msg::HelpRcEdit),
        key('s', RecoveryAction::Send, Msg::HelpRcSend),
        key('x', RecoveryAction::Skip, Msg::HelpRcSkip),
        key('b', RecoveryAction::OtherBackup, Msg::HelpRcOtherBackup),
        key('R', RecoveryAction::Restart, Msg::HelpRcRestart),
        key('t', RecoveryAction::ToggleTimeline, Msg::HelpRcTimeline),
    ];
    keys.extend(
        navigation(|m| RecoveryAction::Scroll(m).into())
            .into_iter()
            .map(|(code, action, _)| (code, action, Msg::HelpRcScroll)),
    );
    keys
}

/// The Logs tab's keys.
fn logs_bindings() -> Vec<(KeyCode, Action, Msg)> {
    let nav = |m: Movement| Action::from(LogsAction::Move(m));
    let mut keys: Vec<_> = navigation(nav)
        .into_iter()
        .map(|(code, action, help)| match code {
            KeyCode::End => (code, action, Msg::HelpLogsFollow),
            _ => (code, action, help),
        })
        .collect();
    keys.extend([
        (KeyCode::Char('g'), nav(Movement::Home), Msg::HelpFirstRow),
        (KeyCode::Char('G'), nav(Movement::End), Msg::HelpLogsFollow),
        (
            KeyCode::Char('/'),
            LogsAction::Search.into(),
            Msg::HelpLogsSearch,
        ),
        (
            KeyCode::Char('n'),
            LogsAction::NextMatch(true).into(),
            Msg::HelpLogsNextMatch,
        ),
        (
            KeyCode::Char('N'),
            LogsAction::NextMatch(false).into(),
            Msg::HelpLogsPrevMatch,
        ),
        (
            KeyCode::Char('f'),
            LogsAction::ToggleOnlyMatches.into(),
            Msg::HelpLogsOnlyMatches,
        ),
        (
            KeyCode::Char('l'),
            LogsAction::CycleLevel.into(),
            Msg::HelpLogsLevel,
        ),
        (
            KeyCode::Char('s'),
            LogsAction::CycleSource.into(),
            Msg::HelpLogsSource,
        ),
        (
            KeyCode::Char('e'),
            LogsAction::NextError(true).into(),
            Msg::HelpLogsNextError,
        ),
        (
            KeyCode::Char('E'),
            LogsAction::NextError(false).into(),
            Msg::HelpLogsPrevError,
        ),
        (
            KeyCode::Char('t'),
            LogsAction::JumpToTime.into(),
            Msg::HelpLogsTime,
        ),
        (
            KeyCode::Enter,
            LogsAction::ToggleExpand.into(),
            Msg::HelpLogsExpand,
        ),
        (
            KeyCode::Char('m'),
            LogsAction::ToggleMark.into(),
            Msg::HelpLogsMark,
        ),
        (
            KeyCode::Char('w'),
            LogsAction::Save.into(),
            Msg::HelpLogsSave,
        ),
        (
            KeyCode::Char('S'),
            LogsAction::ToggleSummary.into(),
            Msg::HelpLogsSummary,
        ),
        (
            KeyCode::Char('o'),
            LogsAction::LoadOlder.into(),
            Msg::HelpLogsOlder,
        ),
    ]);
    keys
}

/// The Database tab's keys.
fn database_bindings() -> Vec<(KeyCode, Action, Msg)> {
    let mut keys = navigation(|m| DatabaseAction::Move(m).into());
    keys.extend([
        (
            KeyCode::Right,
            DatabaseAction::NextPane.into(),
            Msg::HelpDbNextPane,
        ),
        (
            KeyCode::Left,
            DatabaseAction::PreviousPane.into(),
            Msg::HelpDbPrevPane,
        ),
        (
            KeyCode::Char('d'),
            DatabaseAction::Show(DbPane::Collections).into(),
            Msg::HelpDbCollections,
        ),
        (
            KeyCode::Char('o'),
            DatabaseAction::Show(DbPane::Operations).into(),
            Msg::HelpDbOperations,
        ),
        (
            KeyCode::Char('h'),
            DatabaseAction::Show(DbPane::Health).into(),
            Msg::HelpDbHealth,
        ),
        (
            KeyCode::Char('s'),
            DatabaseAction::CycleSort.into(),
            Msg::HelpSortColumn,
        ),
        (
            KeyCode::Char('S'),
            DatabaseAction::FlipSort.into(),
            Msg::HelpSortFlip,
        ),
        (
            KeyCode::Char('v'),
            MaintenanceAction::Validate.into(),
            Msg::HelpDbValidate,
        ),
        (
            KeyCode::Char('V'),
            MaintenanceAction::ValidateAll.into(),
            Msg::HelpDbValidateAll,
        ),
        (
            KeyCode::Char('C'),
            MaintenanceAction::Compact.into(),
            Msg::HelpDbCompact,
        ),
        (
            KeyCode::Char('I'),
            MaintenanceAction::Reindex.into(),
            Msg::HelpDbReindex,
        ),
        (
            KeyCode::Char('m'),
            MaintenanceAction::CreateIndexes.into(),
            Msg::HelpDbCreateIndexes,
        ),
        (
            KeyCode::Char('K'),
            MaintenanceAction::KillOperation.into(),
            Msg::HelpDbKill,
        ),
        (
            KeyCode::Char('H'),
            MaintenanceAction::RunHealthChecks.into(),
            Msg::HelpDbRunHealth,
        ),
        (
            KeyCode::Char('F'),
            MaintenanceAction::FixCheck.into(),
            Msg::HelpDbFix,
        ),
        (
            KeyCode::Char('c'),
            JobAction::Cancel.into(),
            Msg::HelpCancelJob,
        ),
    ]);
    keys
}

/// The list keys every tab with a list shares: `j`/`k`, arrows, pages, first and last.
pub(crate) fn navigation(action: impl Fn(Movement) -> Action) -> Vec<(KeyCode, Action, Msg)> {
    vec![
        (KeyCode::Char('j'), action(Movement::Down), Msg::HelpRowDown),
        (KeyCode::Down, action(Movement::Down), Msg::HelpRowDown),
        (KeyCode::Char('k'), action(Movement::Up), Msg::HelpRowUp),
        (KeyCode::Up, action(Movement::Up), Msg::HelpRowUp),
        (
            KeyCode::PageDown,
            action(Movement::PageDown),
            Msg::HelpPageDown,
        ),
        (KeyCode::PageUp, action(Movement::PageUp), Msg::HelpPageUp),
        (KeyCode::Home, action(Movement::Home), Msg::HelpFirstRow),
        (KeyCode::End, action(Movement::End), Msg::HelpLastRow),
    ]
}

fn matches(binding: &KeyBinding, key: &KeyEvent) -> bool {
    let wanted = key.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
    binding.code == key.code && binding.modifiers == wanted
}

/// The global action bound to `key`, if any (tab-scoped bindings are ignored).
pub fn action_for(key: &KeyEvent) -> Option<Action> {
    keymap()
        .into_iter()
        .find(|binding| binding.scope.is_none() && matches(binding, key))
        .map(|binding| binding.action)
}

/// The action bound to `key` while `tab` is shown: the tab's own bindings, then global ones.
pub fn action_in(tab: Tab, key: &KeyEvent) -> Option<Action> {
    let map = keymap();
    let scoped = map
        .iter()
        .find(|binding| binding.scope == Some(tab) && matches(binding, key));
    let global = || {
        map.iter()
            .find(|binding| binding.scope.is_none() && matches(binding, key))
    };
    scoped.or_else(global).map(|binding| binding.action.clone())
}

/// Human label of a binding, e.g. `Ctrl-C`, `Shift-Tab`, `?`.
pub fn key_label(binding: &KeyBinding) -> String {
    match binding.code {
        KeyCode::Char(c) if binding.modifiers.contains(KeyModifiers::CONTROL) => {
            format!("Ctrl-{}", c.to_ascii_uppercase())
        }
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Tab => "Tab".into(),
        KeyCode::BackTab => "Shift-Tab".into(),
        KeyCode::Esc => "Esc".into(),
        KeyCode::Enter => "Enter".into(),
        KeyCode::Up => "↑".into(),
        KeyCode::Down => "↓".into(),
        KeyCode::Left => "←".into(),
        KeyCode::Right => "→".into(),
        other => format!("{other:?}"),
    }
}

/// Help lines (keys, description) of the global bindings, generated from [`keymap`].
pub fn help_lines(lang: Lang) -> Vec<(String, String)> {
    let mut lines = scoped_help_lines(lang, None);
    lines.push(("Mouse".into(), Msg::HelpMouse.text(lang).to_string()));
    lines
}

/// Help lines of the bindings that only work on `tab` (empty when it has none).
pub fn tab_help_lines(lang: Lang, tab: Tab) -> Vec<(String, String)> {
    scoped_help_lines(lang, Some(tab))
}

fn scoped_help_lines(lang: Lang, scope: Option<Tab>) -> Vec<(String, String)> {
    let mut lines: Vec<(String, String)> = Vec::new();
    for binding in keymap().into_iter().filter(|b| b.scope == scope) {
        let text = match &binding.action {
            Action::SelectTab(tab) => binding.help.fill(lang, &[tab.title().text(lang)]),
            _ => binding.help.text(lang).to_string(),
        };
        let label = key_label(&binding);
        match lines.last_mut() {
            Some((keys, last)) if *last == text => keys.push_str(&format!(", {label}")),
            _ => lines.push((label, text)),
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn digits_select_tabs_and_ctrl_c_quits() {
        assert_eq!(
            action_for(&key(KeyCode::Char('4'), KeyModifiers::NONE)),
            Some(Action::SelectTab(Tab::Backups))
        );
        assert_eq!(
            action_for(&key(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
        assert_eq!(
            action_for(&key(KeyCode::Char('c'), KeyModifiers::NONE)),
            None
        );
        assert_eq!(
            action_for(&key(KeyCode::Char('?'), KeyModifiers::SHIFT)),
            Some(Action::ToggleHelp)
        );
    }

    #[test]
    fn help_lists_every_binding() {
        let lines = help_lines(Lang::En);
        let joined: Vec<String> = lines.iter().map(|(k, d)| format!("{k} {d}")).collect();
        assert!(joined.contains(&"q, Ctrl-C quit".to_string()), "{joined:?}");
        assert!(joined.contains(&"7 go to tab Recovery".to_string()));
        assert!(joined.contains(&"Shift-Tab previous tab".to_string()));
        assert!(!joined.iter().any(|l| l.contains("filter by type")));
    }

    #[test]
    fn backups_keys_work_only_on_the_backups_tab() {
        let f = key(KeyCode::Char('f'), KeyModifiers::NONE);
        assert_eq!(
            action_in(Tab::Backups, &f),
            Some(Action::Backups(BackupsAction::CycleFilter))
        );
        assert_eq!(action_in(Tab::Overview, &f), None);
        assert_eq!(action_for(&f), None);
        let big_s = key(KeyCode::Char('S'), KeyModifiers::SHIFT);
        assert_eq!(
            action_in(Tab::Backups, &big_s),
            Some(Action::Backups(BackupsAction::FlipSort))
        );
        assert_eq!(
            action_in(Tab::Backups, &key(KeyCode::End, KeyModifiers::NONE)),
            Some(Action::Backups(BackupsAction::Move(Movement::End)))
        );
    }

    #[test]
    fn global_keys_keep_their_meaning_on_every_tab() {
        for tab in Tab::ALL {
            for (code, action) in [
                (KeyCode::Char('4'), Action::SelectTab(Tab::Backups)),
                (KeyCode::Char('q'), Action::Quit),
                (KeyCode::Char('r'), Action::RetryMongo),
                (KeyCode::Char('?'), Action::ToggleHelp),
                (KeyCode::Esc, Action::CloseOverlay),
                (KeyCode::Tab, Action::NextTab),
            ] {
                assert_eq!(
                    action_in(tab, &key(code, KeyModifiers::NONE)),
                    Some(action),
                    "{tab:?}"
                );
            }
        }
        let scoped: Vec<KeyBinding> = keymap().into_iter().filter(|b| b.scope.is_some()).collect();
        for binding in &scoped {
            assert!(
                keymap()
                    .iter()
                    .filter(|g| g.scope.is_none())
                    .all(|g| g.code != binding.code || g.modifiers != binding.modifiers),
                "{:?} shadows a global key",
                binding.code
            );
        }
    }

    #[test]
    fn backups_help_lists_the_tab_keys() {
        let lines = tab_help_lines(Lang::En, Tab::Backups);
        let joined: Vec<String> = lines.iter().map(|(k, d)| format!("{k} {d}")).collect();
        assert!(joined.contains(&"j, ↓ next row".to_string()), "{joined:?}");
        assert!(
            joined.contains(&"S reverse the sort".to_string()),
            "{joined:?}"
        );
        let checklists: Vec<String> = tab_help_lines(Lang::En, Tab::Checklists)
            .iter()
            .map(|(k, d)| format!("{k} {d}"))
            .collect();
        assert!(
            checklists.contains(&"a run all automatic items in the background".to_string()),
            "{checklists:?}"
        );
        assert!(checklists.contains(&"d, w, m daily / weekly / monthly checklist".to_string()));
    }
}
