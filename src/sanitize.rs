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

/// Pretty JSON whose strings carry no raw control character: serde_json escapes the C0
/// controls, this also escapes DEL, the C1 codes (U+009B is CSI) and bidi overrides.
pub fn to_json_pretty<T: serde::Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    serde_json::to_string_pretty(value).map(escape_json_controls)
}

/// [`to_json_pretty`] on one line (JSON Lines).
pub fn to_json_line<T: serde::Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    serde_json::to_string(value).map(escape_json_controls)
}

/// Such characters can only stand inside JSON strings, where `\uXXXX` means the same.
fn escape_json_controls(json: String) -> String {
    if !json.chars().any(is_unsafe) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if is_unsafe(c) && !matches!(c, '\n' | '\t' | '\r') {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
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
        let json = to_json_pretty(&serde_json::json!({"k\u{9b}": "a\u{7f}\u{202e}\x1b"})).unwrap();
        assert!(!json.chars().any(|c| c.is_control() && c != '\n'), "{json}");
        let back: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back["k\u{9b}"], "a\u{7f}\u{202e}\x1b");
        assert_eq!(to_json_line(&"x\u{85}").unwrap(), "\"x\\u0085\"");
        assert_eq!(
            escape_controls_keep_lines("a\x1b]0;x\x07\nb\rc"),
            "a\\x1b]0;x\\x07\nb\\rc"
        );
    }
}
