//! Files named as plain paths in `[logs] files` that give no entry — missing, empty, or in
//! no format scandyctl reads — are said by name instead of counting a silent 0.

use std::fmt;
use std::io::Read;
use std::path::Path;

use super::history::open_text;
use super::parse::{ParsedLine, parse_line};
use super::sources::is_glob;
use crate::config::Config;
use crate::sanitize::escape_controls;

/// Bytes of a file looked at for an entry in a known format.
pub const PROBE_BYTES: u64 = 1 << 20;

/// Characters of a foreign file's first line quoted in the notice.
const FIRST_LINE_CHARS: usize = 100;

/// Why a configured file gives no entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileProblem {
    /// Nothing exists at the path.
    NotFound,
    /// The path is a directory or something else that is not a file.
    NotAFile,
    /// The file holds nothing but white space.
    Empty,
    /// No line in its first [`PROBE_BYTES`] starts an entry in a known format.
    ForeignFormat {
        /// The first non-blank line, raw (escaped when shown).
        first_line: String,
    },
    /// The file cannot be read.
    Unreadable {
        /// The operating system's reason.
        reason: String,
    },
}

impl fmt::Display for FileProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileProblem::NotFound => f.write_str("not found"),
            FileProblem::NotAFile => f.write_str("not a file"),
            FileProblem::Empty => f.write_str("empty"),
            FileProblem::ForeignFormat { first_line } => {
                let mut shown: String = first_line.chars().take(FIRST_LINE_CHARS).collect();
                if shown.len() < first_line.len() {
                    shown.push('…');
                }
                write!(
                    f,
                    "no entry in Scandy's log format (first line: {})",
                    escape_controls(&shown)
                )
            }
            FileProblem::Unreadable { reason } => {
                write!(f, "cannot read: {}", escape_controls(reason))
            }
        }
    }
}

/// A configured file that gives no entry, named as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfiguredFileNotice {
    /// The path as written in `[logs] files`.
    pub configured: String,
    /// Why it gives no entry.
    pub problem: FileProblem,
}

impl fmt::Display for ConfiguredFileNotice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "logs.files: {}: {}",
            escape_controls(&self.configured),
            self.problem
        )
    }
}

/// The plain paths of `[logs] files` (globs left out) that give no entry, in configuration
/// order, each once.
pub fn check_configured_files(config: &Config) -> Vec<ConfiguredFileNotice> {
    let mut seen: Vec<&str> = Vec::new();
    let mut notices = Vec::new();
    for configured in &config.logs.files {
        if is_glob(configured) || seen.contains(&configured.as_str()) {
            continue;
        }
        seen.push(configured);
        if let Some(problem) = probe_file(&config.resolve(Path::new(configured))) {
            notices.push(ConfiguredFileNotice {
                configured: configured.clone(),
                problem,
            });
        }
    }
    notices
}

/// Why `path` gives no entry, or `None` when an entry starts in its first [`PROBE_BYTES`]
/// (`.gz` files are gunzipped first).
pub fn probe_file(path: &Path) -> Option<FileProblem> {
    let metadata = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Some(FileProblem::NotFound);
        }
        Err(err) => {
            return Some(FileProblem::Unreadable {
                reason: crate::config::os_reason(&err),
            });
        }
    };
    if !metadata.is_file() {
        return Some(FileProblem::NotAFile);
    }
    let mut head = Vec::new();
    let read = open_text(path).and_then(|r| r.take(PROBE_BYTES).read_to_end(&mut head));
    if let Err(err) = read {
        return Some(FileProblem::Unreadable {
            reason: crate::config::os_reason(&err),
        });
    }
    let mut first_line = None;
    for line in head.split(|&b| b == b'\n') {
        match parse_line(line) {
            ParsedLine::Start(_) => return None,
            ParsedLine::Continuation(text) if first_line.is_none() && !text.trim().is_empty() => {
                first_line = Some(text);
            }
            ParsedLine::Continuation(_) => {}
        }
    }
    Some(match first_line {
        Some(first_line) => FileProblem::ForeignFormat { first_line },
        None => FileProblem::Empty,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_paths_that_give_no_entry_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("logs/sub")).unwrap();
        std::fs::write(
            root.join("logs/ok.log"),
            "x\n2025-07-31 21:35:27,958 - INFO - a\n",
        )
        .unwrap();
        std::fs::write(root.join("logs/empty.log"), " \n\n").unwrap();
        std::fs::write(
            root.join("logs/nginx.log"),
            "\n10.0.0.1 - - [31/Jul/2025] \"GET / HTTP/1.1\" 200 \x1b[2J\n",
        )
        .unwrap();
        let mut config = Config::default();
        config.scandy.root = root.to_path_buf();
        config.logs.files = [
            "logs/ok.log",
            "logs/missing.log",
            "logs/empty.log",
            "logs/nginx.log",
            "logs/sub",
            "logs/*.nothing",
            "logs/missing.log",
        ]
        .map(String::from)
        .to_vec();
        let notices: Vec<String> = check_configured_files(&config)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            notices,
            [
                "logs.files: logs/missing.log: not found",
                "logs.files: logs/empty.log: empty",
                "logs.files: logs/nginx.log: no entry in Scandy's log format (first line: \
                 10.0.0.1 - - [31/Jul/2025] \"GET / HTTP/1.1\" 200 \\x1b[2J)",
                "logs.files: logs/sub: not a file",
            ]
        );
    }

    #[test]
    fn a_long_first_line_is_cut() {
        let problem = FileProblem::ForeignFormat {
            first_line: "ä".repeat(300),
        };
        let text = problem.to_string();
        assert!(text.ends_with(&format!("{}…)", "ä".repeat(100))), "{text}");
    }
}
