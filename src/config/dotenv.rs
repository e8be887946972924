//! A small parser for Scandy's `.env` (`KEY=value`, `export`, quotes, comments, `${VAR}`).
//!
//! Values are secrets: warnings name line numbers and keys, never values.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

/// The parsed contents of a `.env` file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DotEnv {
    /// Keys and values; a later line wins over an earlier one.
    pub values: BTreeMap<String, String>,
    /// Lines that could not be understood (line numbers and keys only).
    pub warnings: Vec<String>,
}

impl DotEnv {
    /// The value of `key` when it is set and not empty.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

/// Reads and parses a `.env` file; `Ok(None)` when it does not exist.
pub fn read(path: &Path) -> io::Result<Option<DotEnv>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(parse(&String::from_utf8_lossy(&bytes)))),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err),
    }
}

/// Parses `.env` text.
pub fn parse(text: &str) -> DotEnv {
    let mut env = DotEnv::default();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let number = i + 1;
        let line = lines[i].trim_start_matches('\u{feff}').trim();
        i += 1;
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line
            .strip_prefix("export ")
            .map(str::trim_start)
            .unwrap_or(line);
        let Some((key, raw)) = line.split_once('=') else {
            env.warnings
                .push(format!("line {number}: not a KEY=value line; ignored"));
            continue;
        };
        let key = key.trim();
        if !valid_key(key) {
            env.warnings
                .push(format!("line {number}: invalid variable name; ignored"));
            continue;
        }
        let raw = raw.trim_start();
        let value = match raw.chars().next() {
            Some(quote @ ('"' | '\'')) => {
                let mut text = raw[1..].to_string();
                // A quoted value may continue over several lines.
                let closed = loop {
                    if let Some((value, after)) = close_quote(&text, quote) {
                        break Some((value, after));
                    }
                    if i >= lines.len() {
                        break None;
                    }
                    text.push('\n');
                    text.push_str(lines[i]);
                    i += 1;
                };
                match closed {
                    Some((value, after)) => {
                        let after = after.trim();
                        if !after.is_empty() && !after.starts_with('#') {
                            env.warnings.push(format!(
                                "line {number}: text after the closing quote of {key} ignored"
                            ));
                        }
                        if quote == '"' {
                            interpolate(&unescape(&value), &env.values)
                        } else {
                            value
                        }
                    }
                    None => {
                        env.warnings.push(format!(
                            "line {number}: the quote of {key} is never closed; ignored"
                        ));
                        continue;
                    }
                }
            }
            _ => interpolate(strip_comment(raw).trim_end(), &env.values),
        };
        env.values.insert(key.to_string(), value);
    }
    env
}

fn valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}

/// Finds the closing quote (honouring `\"` in double quotes): the raw value and what follows.
fn close_quote(text: &str, quote: char) -> Option<(String, &str)> {
    let mut escaped = false;
    for (pos, c) in text.char_indices() {
        if quote == '"' && c == '\\' && !escaped {
            escaped = true;
            continue;
        }
        if c == quote && !escaped {
            return Some((text[..pos].to_string(), &text[pos + 1..]));
        }
        escaped = false;
    }
    None
}

fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some(c @ ('"' | '\'' | '\\')) => out.push(c),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Drops a ` # comment` from an unquoted value.
fn strip_comment(raw: &str) -> &str {
    let mut prev_space = true;
    for (pos, c) in raw.char_indices() {
        if c == '#' && prev_space {
            return &raw[..pos];
        }
        prev_space = c.is_whitespace();
    }
    raw
}

/// Expands `${VAR}` and `${VAR:-default}` from keys defined earlier in the file.
pub fn interpolate(value: &str, known: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        out.push_str(&rest[..start]);
        let inner = &rest[start + 2..start + len];
        let (name, default) = match inner.split_once(":-") {
            Some((name, default)) => (name, Some(default)),
            None => (inner, None),
        };
        match known.get(name).filter(|v| !v.is_empty()) {
            Some(v) => out.push_str(v),
            None => out.push_str(default.unwrap_or("")),
        }
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    out
}

/// The MongoDB connection string Scandy would use, from its `.env`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvUri {
    /// The URI (may hold a password).
    pub uri: String,
    /// The `.env` key(s) it came from, e.g. `MONGODB_URI`.
    pub keys: String,
    /// True when `authSource=admin` was added, as Scandy does for URIs with credentials.
    pub auth_source_added: bool,
}

const LEGACY_KEYS: [&str; 5] = [
    "MONGO_HOST",
    "MONGO_PORT",
    "MONGO_USER",
    "MONGO_PASSWORD",
    "MONGO_DB",
];

impl DotEnv {
    /// `MONGODB_URI`, or one built from the older `MONGO_HOST`/`MONGO_PORT`/`MONGO_USER`/
    /// `MONGO_PASSWORD`/`MONGO_DB`; `authSource=admin` added when credentials lack one.
    pub fn scandy_uri(&self) -> Option<EnvUri> {
        let (uri, keys) = match self.get("MONGODB_URI") {
            Some(uri) => (uri.to_string(), "MONGODB_URI".to_string()),
            None => {
                let used: Vec<&str> = LEGACY_KEYS
                    .iter()
                    .copied()
                    .filter(|k| self.get(k).is_some())
                    .collect();
                if !used.iter().any(|k| *k != "MONGO_DB") {
                    return None;
                }
                let enc =
                    |k: &str| urlencoding::encode(self.get(k).unwrap_or_default()).into_owned();
                let credentials = match (self.get("MONGO_USER"), self.get("MONGO_PASSWORD")) {
                    (Some(_), Some(_)) => {
                        format!("{}:{}@", enc("MONGO_USER"), enc("MONGO_PASSWORD"))
                    }
                    (Some(_), None) => format!("{}@", enc("MONGO_USER")),
                    _ => String::new(),
                };
                let host = self.get("MONGO_HOST").unwrap_or("localhost");
                let port = self.get("MONGO_PORT").unwrap_or("27017");
                let db = self.get("MONGO_DB").unwrap_or("");
                (
                    format!("mongodb://{credentials}{host}:{port}/{db}"),
                    used.join(", "),
                )
            }
        };
        Some(match super::uri::with_default_auth_source(&uri) {
            Some(with_source) => EnvUri {
                uri: with_source,
                keys,
                auth_source_added: true,
            },
            None => EnvUri {
                uri,
                keys,
                auth_source_added: false,
            },
        })
    }

    /// The database name Scandy uses: `MONGO_INITDB_DATABASE`, else `MONGODB_DB`, else the
    /// older `MONGO_DB`; with the key it came from.
    pub fn scandy_database(&self) -> Option<(&str, &'static str)> {
        ["MONGO_INITDB_DATABASE", "MONGODB_DB", "MONGO_DB"]
            .into_iter()
            .find_map(|k| self.get(k).map(|v| (v, k)))
    }
}
