//! Install discovery: finds native, docker compose and multi-instance Scandy installs.

mod compose;
pub mod host;
mod inspect;
mod render;
mod systemd;
pub mod weigh;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use host::HostView;

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

impl InstallKind {
    /// Parses `native`, `docker-compose` (also `docker`) or `multi-instance`.
    pub fn parse(text: &str) -> Option<InstallKind> {
        match text {
            "native" => Some(InstallKind::Native),
            "docker-compose" | "docker" | "compose" => Some(InstallKind::DockerCompose),
            "multi-instance" => Some(InstallKind::MultiInstance),
            _ => None,
        }
    }
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
    /// The kind and why, in one sentence ("native: systemd unit scandy.service runs in …").
    pub verdict: String,
    /// Every finding weighed for the verdict (`detect --explain` prints them).
    pub signals: Vec<weigh::Signal>,
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
    discover_with(paths, &HostView::live())
}

/// [`discover`] with the host facts (processes, docker daemon) taken from `host`.
pub fn discover_with(paths: &SearchPaths, host: &HostView) -> Vec<Install> {
    let units = systemd::scan(&paths.systemd_dirs);
    let units_in = |root: &Path| -> Vec<systemd::Unit> {
        units
            .iter()
            .filter(|u| canonical(&u.working_dir) == root)
            .cloned()
            .collect()
    };
    let mut found: BTreeMap<PathBuf, Install> = BTreeMap::new();
    let consider = |dir: &Path, found: &mut BTreeMap<PathBuf, Install>| -> bool {
        let dir = canonical(dir);
        if found.contains_key(&dir) {
            return true;
        }
        match inspect::inspect(&dir, &units_in(&dir), host, None) {
            Some(install) => {
                found.insert(dir, install);
                true
            }
            None => false,
        }
    };
    for root in &paths.roots {
        if consider(root, &mut found) {
            continue;
        }
        let Ok(entries) = std::fs::read_dir(canonical(root)) else {
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
            consider(&child, &mut found);
        }
    }
    // A gunicorn running elsewhere may be a Scandy install outside the searched places.
    for gunicorn in host.gunicorns() {
        consider(&gunicorn.cwd, &mut found);
    }
    for unit in &units {
        let root = canonical(&unit.working_dir);
        if let std::collections::btree_map::Entry::Vacant(slot) = found.entry(root) {
            let mut install = inspect::unit_only(slot.key());
            for unit in units_in(slot.key()) {
                inspect::attach_unit(&mut install, &unit);
            }
            slot.insert(install);
        }
    }
    found.into_values().collect()
}

/// Inspects one directory (the configured `scandy.root`) and the units pointing at it;
/// `forced` is the `scandy.kind` setting.
///
/// The install keeps `root` as given (not canonicalised), so it compares equal to the config.
pub fn inspect_root(
    root: &Path,
    systemd_dirs: &[PathBuf],
    forced: Option<InstallKind>,
) -> Option<Install> {
    let canonical_root = canonical(root);
    let units: Vec<_> = systemd::scan(systemd_dirs)
        .into_iter()
        .filter(|u| canonical(&u.working_dir) == canonical_root)
        .collect();
    let host = HostView::live();
    let mut install = match inspect::inspect(root, &units, &host, forced) {
        Some(install) => install,
        None if !units.is_empty() => {
            let mut install = inspect::unit_only(root);
            for unit in &units {
                inspect::attach_unit(&mut install, unit);
            }
            install
        }
        None => return None,
    };
    install.root = root.to_path_buf();
    Some(install)
}
