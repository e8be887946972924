//! A one-line text field for dialogs (paths, database names, typed confirmations).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// The value being edited and the cursor position (in characters).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextInput {
    /// Current text.
    pub value: String,
    /// Cursor position in characters, 0..=len.
    pub cursor: usize,
}

impl TextInput {
    /// A field holding `value` with the cursor at its end.
    pub fn with(value: impl Into<String>) -> TextInput {
        let value = value.into();
        let cursor = value.chars().count();
        TextInput { value, cursor }
    }

    fn byte_at(&self, chars: usize) -> usize {
        self.value
            .char_indices()
            .nth(chars)
            .map_or(self.value.len(), |(i, _)| i)
    }

    /// Applies an editing key; returns false when the key is not an editing key.
    pub fn handle(&mut self, key: &KeyEvent) -> bool {
        let len = self.value.chars().count();
        match key.code {
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.value.clear();
                self.cursor = 0;
            }
            KeyCode::Char(c)
                if !key
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
                    && !c.is_control() =>
            {
                let at = self.byte_at(self.cursor);
                self.value.insert(at, c);
                self.cursor += 1;
            }
            KeyCode::Backspace if self.cursor > 0 => {
                let at = self.byte_at(self.cursor - 1);
                self.value.remove(at);
                self.cursor -= 1;
            }
            KeyCode::Delete if self.cursor < len => {
                let at = self.byte_at(self.cursor);
                self.value.remove(at);
            }
            KeyCode::Left => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Right => self.cursor = (self.cursor + 1).min(len),
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = len,
            KeyCode::Backspace | KeyCode::Delete => {}
            _ => return false,
        }
        true
    }

    /// The text split at the cursor: (before, character under the cursor or a space, after).
    pub fn split(&self) -> (String, String, String) {
        let before: String = self.value.chars().take(self.cursor).collect();
        let mut rest = self.value.chars().skip(self.cursor);
        let under = rest.next().map_or(" ".to_string(), |c| c.to_string());
        (before, under, rest.collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn edits_at_the_cursor_with_multibyte_text() {
        let mut input = TextInput::with("Grüße");
        input.handle(&key(KeyCode::Left));
        input.handle(&key(KeyCode::Backspace));
        assert_eq!(input.value, "Grüe");
        input.handle(&key(KeyCode::Char('ß')));
        assert_eq!(input.value, "Grüße");
        input.handle(&key(KeyCode::Home));
        input.handle(&key(KeyCode::Delete));
        assert_eq!(input.value, "rüße");
        assert_eq!(
            input.split(),
            ("".into(), "r".into(), "üße".into()),
            "cursor at the start"
        );
        assert!(input.handle(&KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)));
        assert_eq!(input, TextInput::default());
        assert!(!input.handle(&key(KeyCode::Enter)));
        assert!(!input.handle(&KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)));
    }
}
