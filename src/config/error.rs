//! Configuration errors: each message names the file, line, key or source an admin must fix.

use std::fmt;
use std::io;
use std::path::PathBuf;

use super::ValueSource;
use super::uri::UriError;

/// Why the configuration could not be loaded. Messages never contain a secret.
#[derive(Debug)]
pub enum ConfigError {
    /// `--config FILE` or `$SCANDYCTL_CONFIG` names a file that does not exist.
    FileMissing {
        /// The file that was asked for.
        path: PathBuf,
        /// `--config` or `SCANDYCTL_CONFIG`.
        given_by: String,
    },
    /// The config file exists but cannot be read.
    FileUnreadable {
        /// The config file.
        path: PathBuf,
        /// The OS reason, e.g. "permission denied".
        reason: String,
    },
    /// The config file is not valid TOML.
    Syntax {
        /// The config file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column (characters).
        column: usize,
        /// The TOML parser's message.
        message: String,
        /// The key (`mongo.uri`) or section (`[mongo]`) the error is in, when known.
        key: Option<String>,
    },
    /// A key the config file may not hold.
    UnknownKey {
        /// The config file.
        path: PathBuf,
        /// The full key, e.g. `mongo.urii`.
        key: String,
        /// 1-based line.
        line: usize,
        /// The closest valid key.
        suggestion: Option<String>,
    },
    /// A section the config file may not hold.
    UnknownSection {
        /// The config file.
        path: PathBuf,
        /// The section as written.
        section: String,
        /// 1-based line.
        line: usize,
        /// The closest valid section.
        suggestion: Option<String>,
    },
    /// A key with a value of the wrong type.
    WrongType {
        /// The config file.
        path: PathBuf,
        /// The full key.
        key: String,
        /// 1-based line.
        line: usize,
        /// What the key takes ("a string").
        expected: &'static str,
        /// What was found ("integer").
        found: String,
    },
    /// Scandy's `.env` exists but cannot be read.
    DotEnvUnreadable {
        /// The `.env` file.
        path: PathBuf,
        /// The OS reason.
        reason: String,
    },
    /// `mongo.uri` is not a valid MongoDB connection string.
    InvalidUri {
        /// Always `mongo.uri`.
        key: &'static str,
        /// Where the URI came from.
        source: Box<ValueSource>,
        /// The config file line, when it came from the config file.
        line: Option<usize>,
        /// What is wrong with it.
        error: UriError,
    },
    /// Any other value that cannot be used.
    InvalidValue {
        /// The full key.
        key: &'static str,
        /// Where the value came from.
        source: Box<ValueSource>,
        /// The config file line, when it came from the config file.
        line: Option<usize>,
        /// What is wrong and what is allowed.
        message: String,
    },
}

impl ConfigError {
    /// The process exit code for configuration errors (`exit::CONFIG`).
    pub fn exit_code(&self) -> i32 {
        crate::exit::CONFIG
    }
}

fn origin(
    f: &mut fmt::Formatter<'_>,
    key: &str,
    source: &ValueSource,
    line: &Option<usize>,
) -> fmt::Result {
    write!(f, "{key} from {source}")?;
    if let Some(line) = line {
        write!(f, " (line {line})")?;
    }
    Ok(())
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::FileMissing { path, given_by } => {
                write!(
                    f,
                    "config file {} (given by {given_by}) does not exist",
                    path.display()
                )
            }
            ConfigError::FileUnreadable { path, reason } => {
                write!(f, "cannot read config file {}: {reason}", path.display())
            }
            ConfigError::Syntax {
                path,
                line,
                column,
                message,
                key,
            } => {
                write!(
                    f,
                    "config file {}: syntax error at line {line}, column {column}",
                    path.display()
                )?;
                match key {
                    Some(k) if k.starts_with('[') => write!(f, " (section {k})")?,
                    Some(k) => write!(f, " (key \"{k}\")")?,
                    None => {}
                }
                write!(f, ": {message}")
            }
            ConfigError::UnknownKey {
                path,
                key,
                line,
                suggestion,
            } => {
                write!(
                    f,
                    "config file {}: unknown key \"{key}\" at line {line}",
                    path.display()
                )?;
                match suggestion {
                    Some(s) => write!(f, " — did you mean \"{s}\"?"),
                    None => {
                        let section = key.split_once('.').map(|(s, _)| s).unwrap_or("");
                        let valid = super::schema::keys_of(section);
                        if valid.is_empty() {
                            write!(
                                f,
                                " (valid sections: {})",
                                super::schema::all_sections().join(", ")
                            )
                        } else {
                            write!(f, " (valid keys in [{section}]: {})", valid.join(", "))
                        }
                    }
                }
            }
            ConfigError::UnknownSection {
                path,
                section,
                line,
                suggestion,
            } => {
                write!(
                    f,
                    "config file {}: unknown section \"{section}\" at line {line}",
                    path.display()
                )?;
                match suggestion {
                    Some(s) => write!(f, " — did you mean \"{s}\"?"),
                    None => write!(
                        f,
                        " (valid sections: {})",
                        super::schema::all_sections().join(", ")
                    ),
                }
            }
            ConfigError::WrongType {
                path,
                key,
                line,
                expected,
                found,
            } => write!(
                f,
                "config file {}: key \"{key}\" at line {line}: expected {expected}, found {found}",
                path.display()
            ),
            ConfigError::DotEnvUnreadable { path, reason } => {
                write!(
                    f,
                    "cannot read Scandy's .env file {}: {reason}",
                    path.display()
                )
            }
            ConfigError::InvalidUri {
                key,
                source,
                line,
                error,
            } => {
                origin(f, key, source, line)?;
                write!(f, ": {error}")
            }
            ConfigError::InvalidValue {
                key,
                source,
                line,
                message,
            } => {
                origin(f, key, source, line)?;
                write!(f, ": {message}")
            }
        }
    }
}

/// The message already names the URI problem, so no separate `source` is reported
/// (error chains would otherwise print it twice).
impl std::error::Error for ConfigError {}

/// The OS reason of an I/O error in lower case, without "(os error N)".
pub fn os_reason(err: &io::Error) -> String {
    let text = match err.raw_os_error() {
        Some(code) => io::Error::from_raw_os_error(code).to_string(),
        None if err.kind() == io::ErrorKind::InvalidData => "not valid UTF-8 text".to_string(),
        None => err.to_string(),
    };
    let text = match text.find(" (os error") {
        Some(cut) => text[..cut].to_string(),
        None => text,
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => text,
    }
}
