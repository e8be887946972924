//! Reads a Python value's `repr()` (dicts, lists, tuples, sets, strings with escapes,
//! numbers, `None`/`True`/`False`, calls like `datetime.datetime(…)` kept as written) and
//! JSON, as Scandy writes them into its event lines.

use super::fields::FieldValue;

/// Deepest nesting of dicts and lists that is parsed (deeper input gives nothing).
const MAX_DEPTH: usize = 32;

/// Parses the Python repr (or JSON) value at the start of `text`; trailing text is ignored.
pub fn parse_python_value(text: &str) -> Option<FieldValue> {
    let mut reader = ReprReader { text, at: 0 };
    reader.value(0)
}

/// Parses `text` as exactly one Python repr value (only spaces may follow).
pub fn parse_whole(text: &str) -> Option<FieldValue> {
    let mut reader = ReprReader { text, at: 0 };
    let value = reader.value(0)?;
    reader.skip_space();
    (reader.at == text.len()).then_some(value)
}

/// A cursor over a Python repr.
struct ReprReader<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> ReprReader<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn skip_space(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.at += 1;
        }
    }

    /// Consumes `byte` (after spaces) when it comes next.
    fn eat(&mut self, byte: u8) -> bool {
        self.skip_space();
        if self.peek() == Some(byte) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Option<FieldValue> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.skip_space();
        match self.peek()? {
            b'{' => self.dict(depth),
            b'[' => self.sequence(b']', depth),
            b'(' => self.sequence(b')', depth),
            b'\'' | b'"' => self.string(false).map(FieldValue::Text),
            b'<' => self.angle_raw(),
            b'-' | b'+' | b'.' | b'0'..=b'9' => self.number(),
            b if b.is_ascii_alphabetic() || b == b'_' => self.word(),
            _ => None,
        }
    }

    /// `{k: v, …}` as a Map, `{a, b}` (a set) as a List.
    fn dict(&mut self, depth: usize) -> Option<FieldValue> {
        self.at += 1;
        if self.eat(b'}') {
            return Some(FieldValue::Map(Vec::new()));
        }
        let first = self.value(depth + 1)?;
        if !self.eat(b':') {
            return self
                .rest_of_sequence(first, b'}', depth)
                .map(FieldValue::List);
        }
        let mut pairs = vec![(key_text(first), self.value(depth + 1)?)];
        loop {
            if self.eat(b'}') {
                return Some(FieldValue::Map(pairs));
            }
            if !self.eat(b',') {
                return None;
            }
            if self.eat(b'}') {
                return Some(FieldValue::Map(pairs));
            }
            let key = self.value(depth + 1)?;
            if !self.eat(b':') {
                return None;
            }
            pairs.push((key_text(key), self.value(depth + 1)?));
        }
    }

    /// `[…]` or `(…)`.
    fn sequence(&mut self, close: u8, depth: usize) -> Option<FieldValue> {
        self.at += 1;
        if self.eat(close) {
            return Some(FieldValue::List(Vec::new()));
        }
        let first = self.value(depth + 1)?;
        self.rest_of_sequence(first, close, depth)
            .map(FieldValue::List)
    }

    /// The items after `first` up to `close`.
    fn rest_of_sequence(
        &mut self,
        first: FieldValue,
        close: u8,
        depth: usize,
    ) -> Option<Vec<FieldValue>> {
        let mut items = vec![first];
        loop {
            if self.eat(close) {
                return Some(items);
            }
            if !self.eat(b',') {
                return None;
            }
            if self.eat(close) {
                return Some(items);
            }
            items.push(self.value(depth + 1)?);
        }
    }

    /// A quoted string at the cursor (the quote is the next byte), escapes decoded unless `raw`.
    fn string(&mut self, raw: bool) -> Option<String> {
        let quote = self.peek()?;
        self.at += 1;
        let mut out = String::new();
        loop {
            let rest = &self.text[self.at..];
            let stop = rest.find([quote as char, '\\'])?;
            out.push_str(&rest[..stop]);
            self.at += stop;
            if self.peek()? == quote {
                self.at += 1;
                return Some(out);
            }
            self.at += 1;
            let escaped = self.text[self.at..].chars().next()?;
            self.at += escaped.len_utf8();
            if raw {
                out.push('\\');
                out.push(escaped);
            } else {
                self.escape(escaped, &mut out)?;
            }
        }
    }

    /// Decodes the escape `\<c>…` (the cursor is after `c`).
    fn escape(&mut self, c: char, out: &mut String) -> Option<()> {
        let simple = match c {
            'n' => Some('\n'),
            't' => Some('\t'),
            'r' => Some('\r'),
            '0' => Some('\0'),
            'a' => Some('\x07'),
            'b' => Some('\x08'),
            'f' => Some('\x0c'),
            'v' => Some('\x0b'),
            '\\' | '\'' | '"' | '/' => Some(c),
            _ => None,
        };
        if let Some(decoded) = simple {
            out.push(decoded);
            return Some(());
        }
        let digits = match c {
            'x' => 2,
            'u' => 4,
            'U' => 8,
            other => {
                out.push('\\');
                out.push(other);
                return Some(());
            }
        };
        let code = self.hex(digits)?;
        if (0xD800..0xDC00).contains(&code) && self.text[self.at..].starts_with("\\u") {
            self.at += 2;
            let low = self.hex(4)?;
            let combined = 0x10000 + ((code - 0xD800) << 10) + (low.wrapping_sub(0xDC00) & 0x3FF);
            out.push(char::from_u32(combined).unwrap_or('\u{fffd}'));
        } else {
            out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
        }
        Some(())
    }

    /// `n` hex digits at the cursor as a number.
    fn hex(&mut self, n: usize) -> Option<u32> {
        let digits = self.text.get(self.at..self.at + n)?;
        let code = u32::from_str_radix(digits, 16).ok()?;
        self.at += n;
        Some(code)
    }

    /// A number (`-12`, `3.5`, `1e-05`), or `-inf`.
    fn number(&mut self) -> Option<FieldValue> {
        let start = self.at;
        let b = self.text.as_bytes();
        if matches!(self.peek(), Some(b'-' | b'+')) {
            self.at += 1;
            if self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
                let word = self.take_word();
                return matches!(word, "inf" | "nan" | "Infinity" | "NaN")
                    .then(|| FieldValue::Number(self.text[start..self.at].to_string()));
            }
        }
        while self.at < b.len() {
            let c = b[self.at];
            let exponent_sign = matches!(c, b'-' | b'+') && matches!(b[self.at - 1], b'e' | b'E');
            if c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'_') || exponent_sign {
                self.at += 1;
            } else {
                break;
            }
        }
        let number = &self.text[start..self.at];
        number
            .bytes()
            .any(|c| c.is_ascii_digit())
            .then(|| FieldValue::Number(number.to_string()))
    }

    /// Letters, digits, '_' and '.' at the cursor.
    fn take_word(&mut self) -> &'a str {
        let start = self.at;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.')
        {
            self.at += 1;
        }
        &self.text[start..self.at]
    }

    /// `None`, `True`, `False` (and JSON's `null`, `true`, `false`), a prefixed string
    /// (`b'…'`, `r'…'`), or a call like `datetime.datetime(…)` kept as written.
    fn word(&mut self) -> Option<FieldValue> {
        let start = self.at;
        let word = self.take_word();
        let prefix = word.len() <= 2 && word.bytes().all(|c| b"bBrRuUfF".contains(&c));
        if prefix && matches!(self.peek(), Some(b'\'' | b'"')) {
            let raw = word.contains(['r', 'R']);
            return self.string(raw).map(FieldValue::Text);
        }
        let value = match word {
            "None" | "null" => FieldValue::Null,
            "True" | "true" => FieldValue::Bool(true),
            "False" | "false" => FieldValue::Bool(false),
            "inf" | "nan" | "Infinity" | "NaN" => FieldValue::Number(word.to_string()),
            _ if self.peek() == Some(b'(') => {
                self.skip_balanced(b'(', b')')?;
                FieldValue::Raw(self.text[start..self.at].to_string())
            }
            _ => FieldValue::Raw(word.to_string()),
        };
        Some(value)
    }

    /// `<object at 0x7f…>` kept as written.
    fn angle_raw(&mut self) -> Option<FieldValue> {
        let start = self.at;
        self.skip_balanced(b'<', b'>')?;
        Some(FieldValue::Raw(self.text[start..self.at].to_string()))
    }

    /// Moves past the bracket at the cursor and its partner, skipping quoted strings.
    fn skip_balanced(&mut self, open: u8, close: u8) -> Option<()> {
        let mut depth = 0usize;
        while let Some(c) = self.peek() {
            match c {
                b'\'' | b'"' => {
                    self.string(false)?;
                    continue;
                }
                c if c == open => depth += 1,
                c if c == close => {
                    depth -= 1;
                    if depth == 0 {
                        self.at += 1;
                        return Some(());
                    }
                }
                _ => {}
            }
            self.at += 1;
        }
        None
    }
}

/// A dict key as text: strings as they are, anything else as written.
fn key_text(key: FieldValue) -> String {
    match key {
        FieldValue::Text(text) => text,
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(text: &str) -> Vec<(String, FieldValue)> {
        match parse_python_value(text) {
            Some(FieldValue::Map(pairs)) => pairs,
            other => panic!("not a dict: {other:?}"),
        }
    }

    fn t(s: &str) -> FieldValue {
        FieldValue::Text(s.into())
    }

    fn pair(k: &str, v: FieldValue) -> (String, FieldValue) {
        (k.to_string(), v)
    }

    #[test]
    fn quotes_escapes_none_bools_numbers_and_nesting() {
        let pairs = map(
            r#"{'user': "O'Brien", 'note': 'say \'hi\' \\ "x"', 'ip': None, 'ok': True, 'bad': False, 'n': -3, 'f': 1.5e-05, 'details': {'path': '/tools/5', 'ids': [1, 'a', None], 'inner': {'x': ()}}, 'tab': 'a\tb\x41\u00e4'}"#,
        );
        assert_eq!(
            pairs,
            [
                pair("user", t("O'Brien")),
                pair("note", t("say 'hi' \\ \"x\"")),
                pair("ip", FieldValue::Null),
                pair("ok", FieldValue::Bool(true)),
                pair("bad", FieldValue::Bool(false)),
                pair("n", FieldValue::Number("-3".into())),
                pair("f", FieldValue::Number("1.5e-05".into())),
                pair(
                    "details",
                    FieldValue::Map(vec![
                        pair("path", t("/tools/5")),
                        pair(
                            "ids",
                            FieldValue::List(vec![
                                FieldValue::Number("1".into()),
                                t("a"),
                                FieldValue::Null
                            ])
                        ),
                        pair(
                            "inner",
                            FieldValue::Map(vec![pair("x", FieldValue::List(vec![]))])
                        ),
                    ])
                ),
                pair("tab", t("a\tbAä")),
            ]
        );
        let value = FieldValue::Map(pairs[7..8].to_vec());
        assert_eq!(
            value.to_string(),
            "{details: {path: '/tools/5', ids: [1, 'a', None], inner: {x: []}}}"
        );
    }

    #[test]
    fn calls_json_and_odd_keys() {
        let pairs = map(
            "{'at': datetime.datetime(2025, 7, 31, 21, 35, 27, 958000), 'id': ObjectId('64b7f0c2a1e4d5f6a7b8c9d0'), 1: b'x', 'obj': <User admin>, 'roles': {'admin', 'mitarbeiter'},}",
        );
        assert_eq!(
            pairs,
            [
                pair(
                    "at",
                    FieldValue::Raw("datetime.datetime(2025, 7, 31, 21, 35, 27, 958000)".into())
                ),
                pair(
                    "id",
                    FieldValue::Raw("ObjectId('64b7f0c2a1e4d5f6a7b8c9d0')".into())
                ),
                pair("1", t("x")),
                pair("obj", FieldValue::Raw("<User admin>".into())),
                pair(
                    "roles",
                    FieldValue::List(vec![t("admin"), t("mitarbeiter")])
                ),
            ]
        );
        let json = map(
            r#"{"event_type": "login_failed", "user": null, "ok": true, "name": "\u00c4rger \ud83d\ude00"}"#,
        );
        assert_eq!(json[1], pair("user", FieldValue::Null));
        assert_eq!(json[2], pair("ok", FieldValue::Bool(true)));
        assert_eq!(json[3], pair("name", t("Ärger 😀")));
    }

    #[test]
    fn parse_whole_wants_nothing_after_the_value() {
        assert_eq!(parse_whole(" {'a': 1}  "), parse_python_value("{'a': 1}"));
        assert_eq!(parse_whole("kaputt {"), None);
        assert_eq!(
            parse_python_value("kaputt {"),
            Some(FieldValue::Raw("kaputt".into()))
        );
        assert_eq!(parse_python_value("{'a': \\"), None);
    }

    #[test]
    fn every_cut_of_a_tricky_repr_parses_or_gives_nothing() {
        let text = r#"{'ä': "O'Brien \u00e4\x41", 'n': [-1.5e-05, None, True, (1,)], 'at': datetime.datetime(2025, 7, 31), 'o': <X 'y'>, 's': {'a', 'b'}, 'j': "\ud83d\ude00"}"#;
        assert!(matches!(parse_whole(text), Some(FieldValue::Map(_))));
        for (cut, _) in text.char_indices() {
            let head = &text[..cut];
            assert_eq!(parse_whole(head), None, "an unclosed dict: {head}");
            assert!(
                !matches!(parse_python_value(head), Some(FieldValue::Map(_))),
                "{head}"
            );
        }
    }
}
