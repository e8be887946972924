//! The key bindings: one table drives both the event loop and the help overlay.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;
use super::tab::Tab;
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
}

fn bind(code: KeyCode, action: Action, help: Msg) -> KeyBinding {
    KeyBinding {
        code,
        modifiers: KeyModifiers::NONE,
        action,
        help,
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
        },
    ]);
    map
}

/// The action bound to `key`, if any.
pub fn action_for(key: &KeyEvent) -> Option<Action> {
    let wanted = key.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
    keymap()
        .into_iter()
        .find(|binding| binding.code == key.code && binding.modifiers == wanted)
        .map(|binding| binding.action)
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
        other => format!("{other:?}"),
    }
}

/// Help lines (keys, description) generated from [`keymap`].
pub fn help_lines(lang: Lang) -> Vec<(String, String)> {
    let mut lines: Vec<(String, String)> = Vec::new();
    for binding in keymap() {
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
    lines.push(("Mouse".into(), Msg::HelpMouse.text(lang).to_string()));
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
    }
}
