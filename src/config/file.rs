//! Finding and reading the TOML config file, with a schema walk that names lines and keys.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::CliOverrides;
use super::error::{ConfigError, os_reason};
use super::load::LoadContext;
use super::schema::{self, KeyType};

/// A value read from the config file.
#[derive(Debug, Clone, PartialEq)]
pub enum FileValue {
    /// A string.
    Str(String),
    /// An array of strings, each with its 1-based line.
    List(Vec<(String, usize)>),
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
}

/// The keys set in the config file, each with its 1-based line.
#[derive(Debug, Clone, Default)]
pub struct FileSettings {
    /// The file that was read.
    pub path: PathBuf,
    /// Full key (`mongo.uri`) → value and line.
    pub values: BTreeMap<&'static str, (FileValue, usize)>,
}

impl FileSettings {
    /// A string key's value and line.
    pub fn string(&self, key: &str) -> Option<(&str, usize)> {
        match self.values.get(key) {
            Some((FileValue::Str(s), line)) => Some((s.as_str(), *line)),
            _ => None,
        }
    }

    /// An array key's value and line.
    pub fn list(&self, key: &str) -> Option<(Vec<String>, usize)> {
        let (entries, line) = self.entries(key)?;
        Some((entries.iter().map(|(s, _)| s.clone()).collect(), line))
    }

    /// An array key's items, each with its own line, and the key's line.
    pub fn entries(&self, key: &str) -> Option<(&[(String, usize)], usize)> {
        match self.values.get(key) {
            Some((FileValue::List(v), line)) => Some((v.as_slice(), *line)),
            _ => None,
        }
    }

    /// A boolean key's value and line.
    pub fn boolean(&self, key: &str) -> Option<(bool, usize)> {
        match self.values.get(key) {
            Some((FileValue::Bool(b), line)) => Some((*b, *line)),
            _ => None,
        }
    }

    /// An integer key's value and line.
    pub fn integer(&self, key: &str) -> Option<(i64, usize)> {
        match self.values.get(key) {
            Some((FileValue::Int(n), line)) => Some((*n, *line)),
            _ => None,
        }
    }
}

/// The config file to use (if any) and every place that was looked at.
#[derive(Debug, Clone, Default)]
pub struct Located {
    /// The first existing file.
    pub file: Option<PathBuf>,
    /// Every candidate in lookup order (up to and including the one used).
    pub searched: Vec<PathBuf>,
}

fn absolute(cwd: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    }
}

/// True when `path` exists, or when it cannot even be checked (reading it then reports why).
fn present(path: &Path) -> bool {
    match std::fs::metadata(path) {
        Ok(_) => true,
        Err(err) => {
            err.kind() != std::io::ErrorKind::NotFound && err.raw_os_error() != Some(libc::ENOTDIR)
        }
    }
}

/// Finds the config file: `--config`, `$SCANDYCTL_CONFIG`, `./scandyctl.toml`,
/// `~/.config/scandyctl/config.toml`, then `ctx.etc_config`.
pub fn locate(cli: &CliOverrides, ctx: &LoadContext) -> Result<Located, ConfigError> {
    let explicit = match (
        &cli.config_file,
        ctx.env.get("SCANDYCTL_CONFIG").filter(|v| !v.is_empty()),
    ) {
        (Some(path), _) => Some((absolute(&ctx.cwd, path), "--config")),
        (None, Some(var)) => Some((absolute(&ctx.cwd, Path::new(var)), "SCANDYCTL_CONFIG")),
        (None, None) => None,
    };
    if let Some((path, given_by)) = explicit {
        if !present(&path) {
            return Err(ConfigError::FileMissing {
                path,
                given_by: given_by.into(),
            });
        }
        return Ok(Located {
            file: Some(path.clone()),
            searched: vec![path],
        });
    }
    let mut candidates = vec![ctx.cwd.join("scandyctl.toml")];
    if let Some(home) = &ctx.home {
        candidates.push(home.join(".config/scandyctl/config.toml"));
    }
    candidates.push(ctx.etc_config.clone());
    let mut located = Located::default();
    for candidate in candidates {
        located.searched.push(candidate.clone());
        if present(&candidate) {
            located.file = Some(candidate);
            break;
        }
    }
    Ok(located)
}

/// Reads and checks a config file.
pub fn read(path: &Path) -> Result<FileSettings, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|err| ConfigError::FileUnreadable {
        path: path.to_path_buf(),
        reason: os_reason(&err),
    })?;
    parse(path, &text)
}

/// Parses config file text; `path` is only used in messages.
pub fn parse(path: &Path, text: &str) -> Result<FileSettings, ConfigError> {
    let doc = DeTable::parse(text).map_err(|err| {
        let offset = err.span().map(|s| s.start).unwrap_or(0);
        let (line, column) = line_col(text, offset);
        ConfigError::Syntax {
            path: path.to_path_buf(),
            line,
            column,
            message: err.message().trim().to_string(),
            key: key_near(text, offset),
        }
    })?;
    let mut settings = FileSettings {
        path: path.to_path_buf(),
        values: BTreeMap::new(),
    };
    let mut errors: Vec<(usize, ConfigError)> = Vec::new();
    for (name, value) in doc.get_ref() {
        let line = line_col(text, name.span().start).0;
        let name = name.get_ref().as_ref();
        if schema::EXTERNAL_SECTIONS.contains(&name) {
            continue;
        }
        match (schema::is_section(name), value.get_ref()) {
            (true, DeValue::Table(table)) => {
                walk_section(path, text, name, table, &mut settings, &mut errors)
            }
            (true, other) => errors.push((
                line,
                ConfigError::WrongType {
                    path: path.to_path_buf(),
                    key: name.to_string(),
                    line,
                    expected: "a table (a [section])",
                    found: other.type_str().to_string(),
                },
            )),
            (false, DeValue::Table(_)) => errors.push((
                line,
                ConfigError::UnknownSection {
                    path: path.to_path_buf(),
                    section: name.to_string(),
                    line,
                    suggestion: schema::suggest_section(name).map(String::from),
                },
            )),
            (false, _) => errors.push((
                line,
                ConfigError::UnknownKey {
                    path: path.to_path_buf(),
                    key: name.to_string(),
                    line,
                    suggestion: schema::suggest_key(None, name).map(String::from),
                },
            )),
        }
    }
    // Report the error that comes first in the file.
    match errors.into_iter().min_by_key(|(line, _)| *line) {
        Some((_, err)) => Err(err),
        None => Ok(settings),
    }
}

fn walk_section(
    path: &Path,
    text: &str,
    section: &str,
    table: &DeTable<'_>,
    settings: &mut FileSettings,
    errors: &mut Vec<(usize, ConfigError)>,
) {
    for (name, value) in table {
        let line = line_col(text, name.span().start).0;
        let full = format!("{section}.{}", name.get_ref());
        let Some((key, ty)) = schema::KEYS.iter().find(|(k, _)| *k == full).copied() else {
            let suggestion = schema::suggest_key(Some(section), name.get_ref()).map(String::from);
            errors.push((
                line,
                ConfigError::UnknownKey {
                    path: path.to_path_buf(),
                    key: full,
                    line,
                    suggestion,
                },
            ));
            continue;
        };
        let wrong = |found: String, line: usize| ConfigError::WrongType {
            path: path.to_path_buf(),
            key: key.to_string(),
            line,
            expected: ty.describe(),
            found,
        };
        match (ty, value.get_ref()) {
            (KeyType::String, DeValue::String(s)) => {
                settings
                    .values
                    .insert(key, (FileValue::Str(s.to_string()), line));
            }
            (KeyType::Bool, DeValue::Boolean(b)) => {
                settings.values.insert(key, (FileValue::Bool(*b), line));
            }
            (KeyType::Integer, DeValue::Integer(n)) => {
                match i64::from_str_radix(n.as_str(), n.radix()) {
                    Ok(n) => {
                        settings.values.insert(key, (FileValue::Int(n), line));
                    }
                    Err(_) => errors.push((line, wrong("an integer out of range".into(), line))),
                }
            }
            (KeyType::StringArray, DeValue::Array(items)) => match strings(text, items) {
                Ok(list) => {
                    settings.values.insert(key, (FileValue::List(list), line));
                }
                Err(item) => {
                    let item_line = line_col(text, item.span().start).0;
                    let found = format!("an array holding {}", item.get_ref().type_str());
                    errors.push((item_line, wrong(found, item_line)));
                }
            },
            (_, other) => errors.push((line, wrong(other.type_str().to_string(), line))),
        }
    }
}

/// The strings of an array with their lines, or the first item that is not a string.
fn strings<'a, 'i>(
    text: &str,
    items: &'a [Spanned<DeValue<'i>>],
) -> Result<Vec<(String, usize)>, &'a Spanned<DeValue<'i>>> {
    items
        .iter()
        .map(|item| match item.get_ref() {
            DeValue::String(s) => Ok((s.to_string(), line_col(text, item.span().start).0)),
            _ => Err(item),
        })
        .collect()
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    (line, before[line_start..].chars().count() + 1)
}

/// The known key (or `[section]`) a syntax error at `offset` belongs to; only schema
/// names are returned, so nothing from a value (a password) can leak into the message.
fn key_near(text: &str, offset: usize) -> Option<String> {
    let (line, _) = line_col(text, offset);
    let lines: Vec<&str> = text.lines().collect();
    let last = line.min(lines.len());
    let mut key: Option<String> = None;
    for raw in lines[..last].iter().rev() {
        let trimmed = raw.trim();
        if let Some(header) = trimmed.strip_prefix('[') {
            let section = header
                .trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or("")
                .trim()
                .trim_matches('"');
            return match key {
                Some(k) => {
                    let full = format!("{section}.{k}");
                    schema::key_type(&full).map(|_| full)
                }
                None => schema::is_section(section).then(|| format!("[{section}]")),
            };
        }
        if key.is_none()
            && let Some((name, _)) = trimmed.split_once('=')
        {
            let name = name.trim().trim_matches('"');
            if !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
            {
                key = Some(name.to_string());
            }
        }
    }
    key.filter(|k| schema::key_type(k).is_some())
}
