//! systemd units named `scandy*.service` and the directories they run in.

use std::path::{Path, PathBuf};

/// A Scandy systemd unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// The unit file.
    pub path: PathBuf,
    /// `WorkingDirectory=` as written (without a leading `-`).
    pub working_dir: PathBuf,
    /// The port of gunicorn's `--bind` / `-b` in `ExecStart=`, if any.
    pub bind_port: Option<u16>,
}

impl Unit {
    /// The unit's file name, e.g. `scandy.service`.
    pub fn file_name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

/// Finds `scandy*.service` units with a `WorkingDirectory=` in the given directories.
pub fn scan(dirs: &[PathBuf]) -> Vec<Unit> {
    let mut units = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                name.starts_with("scandy") && name.ends_with(".service") && !name.contains('@')
            })
            .collect();
        paths.sort();
        units.extend(paths.iter().filter_map(|p| read_unit(p)));
    }
    units
}

fn read_unit(path: &Path) -> Option<Unit> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut working_dir = None;
    let mut bind_port = None;
    for line in text.lines().map(str::trim) {
        if let Some(dir) = line.strip_prefix("WorkingDirectory=") {
            let dir = dir.trim().trim_start_matches('-').trim_matches('"');
            if !dir.is_empty() {
                working_dir = Some(PathBuf::from(dir));
            }
        } else if let Some(cmd) = line.strip_prefix("ExecStart=") {
            bind_port = bind_port.or_else(|| gunicorn_port(cmd));
        }
    }
    Some(Unit {
        path: path.to_path_buf(),
        working_dir: working_dir?,
        bind_port,
    })
}

/// `--bind 0.0.0.0:5000`, `--bind=127.0.0.1:5001` or `-b :5000`.
pub(super) fn gunicorn_port(cmd: &str) -> Option<u16> {
    let words: Vec<&str> = cmd.split_whitespace().collect();
    for (i, word) in words.iter().enumerate() {
        let value = match *word {
            "--bind" | "-b" => words.get(i + 1).copied(),
            w => w
                .strip_prefix("--bind=")
                .or_else(|| w.strip_prefix("-b").filter(|v| v.contains(':'))),
        };
        if let Some(port) = value
            .and_then(|v| v.trim_matches(['"', '\'']).rsplit_once(':'))
            .and_then(|(_, p)| p.parse().ok())
        {
            return Some(port);
        }
    }
    None
}
