//! Word wrapping of plain text into lines of at most a given display width.

use super::table::text_width;

/// `text` broken at spaces into lines of at most `width` cells; words longer than a line
/// are split.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if text_width(&candidate) <= width {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        for ch in word.chars() {
            if text_width(&line) + text_width(ch.encode_utf8(&mut [0; 4])) > width {
                lines.push(std::mem::take(&mut line));
            }
            line.push(ch);
        }
    }
    lines.push(line);
    lines
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wraps_at_spaces_and_splits_long_words() {
        assert_eq!(wrap("a bb ccc", 4), vec!["a bb", "ccc"]);
        assert_eq!(wrap("abcdefgh x", 3), vec!["abc", "def", "gh", "x"]);
        assert_eq!(wrap("", 5), vec![""]);
        assert_eq!(wrap("Grüße aus Köln", 6), vec!["Grüße", "aus", "Köln"]);
    }
}
