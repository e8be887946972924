//! Makes untrusted text (paths, error messages, later log lines) safe to show on a terminal.

use std::borrow::Cow;

/// Replaces control characters (ESC, CR, BEL, C1 codes …) with visible escapes like `\x1b`.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) {
            match c {
                '\t' => out.push_str("    "),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                c if (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
                c => out.push_str(&format!("\\u{{{:04x}}}", c as u32)),
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// [`escape_controls`] line by line: the line breaks of a multi-line message stay.
pub fn escape_controls_keep_lines(text: &str) -> String {
    text.split('\n')
        .map(escape_controls)
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_sequences() {
        assert_eq!(escape_controls("a\x1b[2Jb\x07"), "a\\x1b[2Jb\\x07");
        assert_eq!(escape_controls("ok äöü"), "ok äöü");
        assert_eq!(escape_controls("\u{9b}31m"), "\\x9b31m");
        assert_eq!(
            escape_controls_keep_lines("a\x1b]0;x\x07\nb\rc"),
            "a\\x1b]0;x\\x07\nb\\rc"
        );
    }
}
