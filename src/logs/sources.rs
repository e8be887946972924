//! Which logs an install has: the files and globs of `[logs] files` (relative to the Scandy
//! root), plus MongoDB's log when it exists. Rotations (`app.log.1`, `.gz`) a glob matches
//! are history of their file, not sources of their own; a rotation named as a plain path is
//! a source of its own.

use std::path::{Path, PathBuf};

use super::process::ProcessSource;
use crate::config::Config;

/// MongoDB's log on a native install.
pub const MONGOD_LOG: &str = "/var/log/mongodb/mongod.log";

/// One log source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSource {
    /// Position in the source list (entries carry it).
    pub id: u16,
    /// Short display name: the path relative to the Scandy root, or the absolute path.
    pub name: String,
    /// The file.
    pub path: PathBuf,
}

impl LogSource {
    /// Whether the file is a rotation (`app.log.1`, `app.log.2.gz`): read, never followed.
    pub fn is_rotation(&self) -> bool {
        self.path
            .file_name()
            .is_some_and(|n| is_rotation(&n.to_string_lossy()))
    }
}

/// A log read from a command: a systemd unit's journal or a docker container's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandSource {
    /// Position in the source list (after the files).
    pub id: u16,
    /// What to run.
    pub source: ProcessSource,
}

impl CommandSource {
    /// Display name, e.g. `journal:scandy.service`.
    pub fn name(&self) -> String {
        self.source.name()
    }
}

/// The journald units and docker containers of `config`, numbered from `first_id`.
pub fn command_sources(config: &Config, first_id: u16) -> Vec<CommandSource> {
    let journals = config
        .logs
        .journal_units
        .iter()
        .map(|unit| ProcessSource::Journal { unit: unit.clone() });
    let containers = config
        .logs
        .docker_containers
        .iter()
        .map(|name| ProcessSource::Docker {
            container: name.clone(),
        });
    journals
        .chain(containers)
        .enumerate()
        .map(|(i, source)| CommandSource {
            id: first_id.saturating_add(u16::try_from(i).unwrap_or(u16::MAX)),
            source,
        })
        .collect()
}

/// Whether `name` is a rotation of another log (`app.log.1`, `app.log.2.gz`, `x.log.gz`).
pub fn is_rotation(name: &str) -> bool {
    let name = name.strip_suffix(".gz").unwrap_or(name);
    match name.rsplit_once('.') {
        Some((stem, suffix)) => {
            !suffix.is_empty() && suffix.bytes().all(|b| b.is_ascii_digit()) && stem.contains('.')
        }
        None => false,
    }
}

/// The configured log files of `config` that exist now, in configuration order, without
/// duplicates and without the rotations a glob matches (a rotation named as a plain path
/// stays); MongoDB's log is added last when it exists and is readable.
pub fn file_sources(config: &Config) -> Vec<LogSource> {
    let mut paths: Vec<PathBuf> = Vec::new();
    for pattern in &config.logs.files {
        for path in expand(&config.resolve(Path::new(pattern))) {
            if !paths.contains(&path) {
                paths.push(path);
            }
        }
    }
    let mongod = PathBuf::from(MONGOD_LOG);
    if !paths.contains(&mongod) && std::fs::File::open(&mongod).is_ok() {
        paths.push(mongod);
    }
    paths
        .into_iter()
        .enumerate()
        .map(|(i, path)| LogSource {
            id: u16::try_from(i).unwrap_or(u16::MAX),
            name: display_name(&config.scandy.root, &path),
            path,
        })
        .collect()
}

/// Whether a `[logs] files` pattern is a glob (not a plain path).
pub fn is_glob(pattern: &str) -> bool {
    pattern.contains(['*', '?', '['])
}

/// The existing files `pattern` names: a plain path as it is, a glob's matches sorted and
/// without rotations.
fn expand(pattern: &Path) -> Vec<PathBuf> {
    let text = pattern.to_string_lossy();
    if !is_glob(&text) {
        return [pattern.to_path_buf()]
            .into_iter()
            .filter(|p| p.is_file())
            .collect();
    }
    let mut found: Vec<PathBuf> = glob::glob(&text)
        .map(|paths| paths.flatten().collect())
        .unwrap_or_default();
    found.retain(|p| {
        p.is_file()
            && !p
                .file_name()
                .is_some_and(|n| is_rotation(&n.to_string_lossy()))
    });
    found.sort();
    found
}

fn display_name(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The sources whose name contains `wanted` (case-insensitive), or an error listing the
/// available names.
pub fn select_sources(sources: &[LogSource], wanted: &str) -> Result<Vec<LogSource>, String> {
    let lower = wanted.to_lowercase();
    let chosen: Vec<LogSource> = sources
        .iter()
        .filter(|s| s.name.to_lowercase().contains(&lower))
        .cloned()
        .collect();
    if chosen.is_empty() {
        let names: Vec<&str> = sources.iter().map(|s| s.name.as_str()).collect();
        return Err(format!(
            "no log source matches \"{wanted}\"; available: {}",
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        ));
    }
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotations_are_recognised() {
        for name in ["app.log.1", "app.log.10", "app.log.2.gz", "security.log.5"] {
            assert!(is_rotation(name), "{name}");
        }
        for name in ["app.log", "auto_backup.log", "mongod.log", "log.1x", "12"] {
            assert!(!is_rotation(name), "{name}");
        }
    }

    #[test]
    fn a_rotation_named_as_a_plain_path_is_a_source() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("app/logs")).unwrap();
        for file in [
            "app/logs/app.log",
            "app/logs/app.log.1",
            "app/logs/app.log.2.gz",
        ] {
            std::fs::write(root.join(file), "x\n").unwrap();
        }
        let mut config = Config::default();
        config.scandy.root = root.to_path_buf();
        config.logs.files = vec![
            "app/logs/*.log*".into(),
            "app/logs/app.log.1".into(),
            "app/logs/app.log.2.gz".into(),
            "app/logs/app.log.1".into(),
            "app/logs/app.log.3".into(),
        ];
        let sources: Vec<LogSource> = file_sources(&config)
            .into_iter()
            .filter(|s| s.path.starts_with(root))
            .collect();
        let names: Vec<&str> = sources.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "app/logs/app.log",
                "app/logs/app.log.1",
                "app/logs/app.log.2.gz"
            ]
        );
        let rotation: Vec<bool> = sources.iter().map(LogSource::is_rotation).collect();
        assert_eq!(rotation, [false, true, true]);
    }

    #[test]
    fn sources_come_from_the_globs_without_rotations() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("app/logs")).unwrap();
        std::fs::create_dir_all(root.join("logs")).unwrap();
        for file in [
            "app/logs/app.log",
            "app/logs/app.log.1",
            "logs/security.log",
            "logs/auto_backup.log",
            "logs/errors.log.2.gz",
        ] {
            std::fs::write(root.join(file), "x\n").unwrap();
        }
        let mut config = Config::default();
        config.scandy.root = root.to_path_buf();
        config.logs.files = vec![
            "app/logs/*".into(),
            "logs/*.log".into(),
            "app/logs/app.log".into(),
        ];
        let names: Vec<String> = file_sources(&config)
            .into_iter()
            .filter(|s| s.path.starts_with(root))
            .map(|s| s.name)
            .collect();
        assert_eq!(
            names,
            vec![
                "app/logs/app.log",
                "logs/auto_backup.log",
                "logs/security.log"
            ]
        );
        let sources = file_sources(&config);
        assert_eq!(
            select_sources(&sources, "SECURITY").unwrap()[0].name,
            "logs/security.log"
        );
        let err = select_sources(&sources, "nginx").unwrap_err();
        assert!(
            err.contains("nginx") && err.contains("logs/security.log"),
            "{err}"
        );
    }
}
