//! Install discovery: finds native, docker compose and multi-instance Scandy installs.

mod compose;
mod inspect;
mod render;
mod systemd;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use render::render_text;

/// How Scandy is installed.
#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstallKind {
    /// Native / LXC: gunicorn under systemd, local `mongod`.
    #[serde(rename = "native")]
    Native,
    /// One docker compose project (`scandy-app-scandy`, `scandy-mongodb-scandy`).
    #[serde(rename = "docker-compose")]
    DockerCompose,
    /// One instance of a multi-instance setup (`scandy-app-<inst>`).
    #[serde(rename = "multi-instance")]
    MultiInstance,
}

impl fmt::Display for InstallKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InstallKind::Native => "native",
            InstallKind::DockerCompose => "docker-compose",
            InstallKind::MultiInstance => "multi-instance",
        })
    }
}

/// One Scandy install found on this machine.
#[derive(Serialize, Clone, Debug)]
pub struct Install {
    /// Native, docker compose or multi-instance.
    pub kind: InstallKind,
    /// The install directory (holding `.env`, `app/` or the compose file).
    pub root: PathBuf,
    /// The instance name of a multi-instance setup.
    pub instance: Option<String>,
    /// The database name.
    pub database: String,
    /// The connection string with the password replaced by `***`.
    #[serde(rename = "mongo_uri")]
    pub mongo_uri_redacted: Option<String>,
    /// The raw connection string (may hold a secret; never print it).
    #[serde(skip)]
    pub mongo_uri: Option<String>,
    /// The MongoDB port reachable from this host, if known.
    pub mongo_port: Option<u16>,
    /// Scandy's web port, if known.
    pub web_port: Option<u16>,
    /// The systemd unit running it.
    pub service_unit: Option<PathBuf>,
    /// Container names from the compose file.
    pub containers: Vec<String>,
    /// Existing log files (`app/logs/app.log*`, `logs/*.log`).
    pub log_files: Vec<PathBuf>,
    /// Existing upload directories (`app/static/uploads`, `.../logos`).
    pub upload_dirs: Vec<PathBuf>,
    /// What was found, in short human sentences.
    pub evidence: Vec<String>,
}

/// Where to look for installs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchPaths {
    /// Directories that may be an install or contain installs one level down.
    pub roots: Vec<PathBuf>,
    /// Directories holding systemd units.
    pub systemd_dirs: Vec<PathBuf>,
}

/// The systemd unit directories searched by default.
pub fn default_systemd_dirs() -> Vec<PathBuf> {
    vec![
        PathBuf::from("/etc/systemd/system"),
        PathBuf::from("/lib/systemd/system"),
    ]
}

impl SearchPaths {
    /// `/opt/scandy`, `/opt`, `/srv`, every `/home/*`, `/root` and the current directory.
    pub fn defaults() -> Self {
        let mut roots = vec![
            PathBuf::from("/opt/scandy"),
            PathBuf::from("/opt"),
            PathBuf::from("/srv"),
        ];
        if let Ok(entries) = std::fs::read_dir("/home") {
            let mut homes: Vec<PathBuf> = entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect();
            homes.sort();
            roots.extend(homes);
        }
        roots.push(PathBuf::from("/root"));
        if let Ok(cwd) = std::env::current_dir() {
            roots.push(cwd);
        }
        SearchPaths {
            roots,
            systemd_dirs: default_systemd_dirs(),
        }
    }

    /// The given directories, with the default systemd unit directories.
    pub fn with_roots(roots: Vec<PathBuf>) -> Self {
        SearchPaths {
            roots,
            systemd_dirs: default_systemd_dirs(),
        }
    }
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Finds installs under `paths`: deduplicated by canonical root, sorted by root.
pub fn discover(paths: &SearchPaths) -> Vec<Install> {
    let mut found: BTreeMap<PathBuf, Install> = BTreeMap::new();
    for root in &paths.roots {
        let root = canonical(root);
        if found.contains_key(&root) {
            continue;
        }
        if let Some(install) = inspect::inspect(&root) {
            found.insert(root, install);
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&root) else {
            continue;
        };
        let mut children: Vec<PathBuf> = entries
            .flatten()
            .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        children.sort();
        for child in children {
            let child = canonical(&child);
            if !found.contains_key(&child)
                && let Some(install) = inspect::inspect(&child)
            {
                found.insert(child, install);
            }
        }
    }
    for unit in systemd::scan(&paths.systemd_dirs) {
        let root = canonical(&unit.working_dir);
        let install = found.entry(root.clone()).or_insert_with(|| {
            inspect::inspect(&root).unwrap_or_else(|| inspect::unit_only(&root))
        });
        inspect::attach_unit(install, &unit);
    }
    found.into_values().collect()
}

/// Inspects one directory (the configured `scandy.root`) and the units pointing at it.
///
/// The install keeps `root` as given (not canonicalised), so it compares equal to the config.
pub fn inspect_root(root: &Path, systemd_dirs: &[PathBuf]) -> Option<Install> {
    let canonical_root = canonical(root);
    let units: Vec<_> = systemd::scan(systemd_dirs)
        .into_iter()
        .filter(|u| canonical(&u.working_dir) == canonical_root)
        .collect();
    let mut install = match inspect::inspect(root) {
        Some(install) => install,
        None if !units.is_empty() => inspect::unit_only(root),
        None => return None,
    };
    install.root = root.to_path_buf();
    for unit in &units {
        inspect::attach_unit(&mut install, unit);
    }
    Some(install)
}
