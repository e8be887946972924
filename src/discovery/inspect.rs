//! Recognising one directory as a native, docker compose or multi-instance install.

use std::path::{Path, PathBuf};

use super::compose::{self, Service};
use super::host::HostView;
use super::systemd::Unit;
use super::weigh::{Findings, weigh};
use super::{Install, InstallKind};
use crate::config::dotenv::{self, DotEnv};
use crate::config::{first_host_port, redact_uri};

const COMPOSE_FILES: [&str; 4] = [
    "docker-compose.yml",
    "docker-compose.yaml",
    "compose.yml",
    "compose.yaml",
];
const NATIVE_MARKERS: [&str; 4] = ["app/__init__.py", "app/logs", "app/static", "app/templates"];

/// The install at `dir`, if `dir` is one, with the units that run in it attached.
///
/// `.env` (full of secrets, possibly another application's) is only read once a compose
/// file mentioning Scandy or a Scandy `app/` directory was seen. Whether it is native or
/// docker is weighed from the units, processes, venv, `.env` and the docker daemon
/// (see [`super::weigh`]); `forced` (`scandy.kind`) overrides the weighing.
pub fn inspect(
    dir: &Path,
    units: &[Unit],
    host: &HostView,
    forced: Option<InstallKind>,
) -> Option<Install> {
    if !dir.is_dir() {
        return None;
    }
    let composes: Vec<(&str, String)> = COMPOSE_FILES
        .iter()
        .filter_map(|name| Some((*name, std::fs::read_to_string(dir.join(name)).ok()?)))
        .filter(|(_, text)| text.to_ascii_lowercase().contains("scandy"))
        .collect();
    let marker = NATIVE_MARKERS.iter().find(|m| dir.join(m).exists());
    if composes.is_empty() && marker.is_none() {
        return None;
    }
    let mut evidence = Vec::new();
    let env = match dotenv::read(&dir.join(".env")) {
        Ok(env) => env,
        Err(err) => {
            let reason = crate::config::os_reason(&err);
            evidence.push(format!(".env unreadable: {reason}"));
            None
        }
    };
    let env_values = env.as_ref().map(|e| e.values.clone()).unwrap_or_default();
    let compose = composes.iter().find_map(|(name, text)| {
        let services = compose::parse(text, &env_values);
        from_compose(dir, name, &services, env.as_ref()).map(|install| (*name, install))
    });
    let native_layout = marker.is_some() && dir.join(".env").is_file();
    if compose.is_none() && !native_layout && units.is_empty() {
        return None;
    }
    let canonical_dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let findings = Findings {
        dir: &canonical_dir,
        units,
        env: env.as_ref(),
        compose: compose
            .as_ref()
            .map(|(name, install)| (*name, install.containers.as_slice())),
        native_layout,
    };
    let verdict = weigh(&findings, host, forced);
    let mut install = match compose {
        Some((_, mut install)) if verdict.docker => {
            evidence.append(&mut install.evidence);
            install.evidence = evidence;
            install
        }
        _ => {
            if let Some(marker) = marker.filter(|_| native_layout) {
                evidence.insert(0, format!(".env and {marker} present"));
            }
            native(dir, env.unwrap_or_default(), evidence)
        }
    };
    install.verdict = verdict.summary;
    install.signals = verdict.signals;
    for unit in units {
        attach_unit(&mut install, unit);
    }
    if install.web_port.is_none() {
        install.web_port = host
            .gunicorns()
            .iter()
            .filter(|g| g.cwd == canonical_dir)
            .find_map(|g| g.bind_port);
    }
    Some(install)
}

fn native(dir: &Path, env: DotEnv, evidence: Vec<String>) -> Install {
    let database = env
        .scandy_database()
        .map(|(db, _)| db.to_string())
        .unwrap_or_else(|| "scandy".into());
    let uri = env
        .scandy_uri()
        .map(|u| u.uri)
        .unwrap_or_else(|| format!("mongodb://localhost:27017/{database}"));
    Install {
        kind: InstallKind::Native,
        root: dir.to_path_buf(),
        instance: None,
        database,
        mongo_uri_redacted: Some(redact_uri(&uri)),
        mongo_port: first_host_port(&uri).and_then(|(_, port)| port),
        mongo_uri: Some(uri),
        web_port: env.get("WEB_PORT").and_then(|p| p.trim().parse().ok()),
        service_unit: None,
        containers: Vec::new(),
        log_files: log_files(dir),
        upload_dirs: upload_dirs(dir),
        evidence,
        verdict: String::new(),
        signals: Vec::new(),
    }
}

/// A unit's working directory that holds no recognisable install.
pub fn unit_only(dir: &Path) -> Install {
    let mut install = native(dir, DotEnv::default(), Vec::new());
    install.verdict = "native: a systemd unit runs in this directory".into();
    if !dir.is_dir() {
        install.evidence.push("the directory does not exist".into());
    }
    install
}

/// Records a systemd unit that runs the install.
pub fn attach_unit(install: &mut Install, unit: &Unit) {
    install.evidence.push(format!(
        "{} WorkingDirectory={}",
        unit.file_name(),
        unit.working_dir.display()
    ));
    if install.service_unit.is_none() {
        install.service_unit = Some(unit.path.clone());
    }
    if install.web_port.is_none() {
        install.web_port = unit.bind_port;
    }
}

enum Role {
    App,
    Mongo,
    Express,
}

/// `scandy-app-<inst>` → (App, Some(inst)); the older `scandy-app` → (App, None).
fn role(container: &str) -> Option<(Role, Option<&str>)> {
    let prefixes = [
        ("scandy-mongo-express", Role::Express),
        ("scandy-mongodb", Role::Mongo),
        ("scandy-app", Role::App),
    ];
    for (prefix, role) in prefixes {
        if let Some(rest) = container.strip_prefix(prefix) {
            return match rest.strip_prefix('-') {
                Some(inst) if !inst.is_empty() => Some((role, Some(inst))),
                _ if rest.is_empty() => Some((role, None)),
                _ => None,
            };
        }
    }
    None
}

fn from_compose(
    dir: &Path,
    file: &str,
    services: &[Service],
    env: Option<&DotEnv>,
) -> Option<Install> {
    let mut evidence = Vec::new();
    let mut app = None;
    let mut mongo = None;
    let mut instance: Option<String> = None;
    let mut containers = Vec::new();
    for service in services {
        let Some((role, inst)) = role(service.container()).or_else(|| role(&service.name)) else {
            continue;
        };
        containers.push(service.container().to_string());
        evidence.push(format!("{file} container {}", service.container()));
        match inst {
            Some(inst) if instance.is_none() => instance = Some(inst.to_string()),
            Some(inst) if instance.as_deref() != Some(inst) => {
                evidence.push(format!(
                    "{file} also defines instance {inst} (not reported separately)"
                ));
                continue;
            }
            _ => {}
        }
        match role {
            Role::App => app = app.or(Some(service)),
            Role::Mongo => mongo = mongo.or(Some(service)),
            Role::Express => {}
        }
    }
    if app.is_none() && mongo.is_none() {
        return None;
    }
    let kind = match instance.as_deref() {
        None | Some("scandy") => InstallKind::DockerCompose,
        Some(_) => InstallKind::MultiInstance,
    };
    let empty = DotEnv::default();
    let env = env.unwrap_or(&empty);
    let mongo_env = |key: &str| {
        mongo
            .and_then(|m| m.environment.get(key))
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    let database = env
        .scandy_database()
        .map(|(db, _)| db.to_string())
        .or_else(|| mongo_env("MONGO_INITDB_DATABASE").map(String::from))
        .unwrap_or_else(|| match (&kind, &instance) {
            (InstallKind::MultiInstance, Some(inst)) => format!("{inst}_scandy"),
            _ => "scandy".into(),
        });
    let mongo_port = mongo.and_then(|m| m.published(27017));
    if mongo.is_some() && mongo_port.is_none() {
        evidence
            .push("MongoDB port not published; reach it from inside the compose network".into());
    }
    let user = mongo_env("MONGO_INITDB_ROOT_USERNAME")
        .or(env.get("MONGO_INITDB_ROOT_USERNAME"))
        .unwrap_or("admin");
    let password =
        mongo_env("MONGO_INITDB_ROOT_PASSWORD").or(env.get("MONGO_INITDB_ROOT_PASSWORD"));
    let port = mongo_port.unwrap_or(27017);
    let uri = match password {
        Some(pw) => format!(
            "mongodb://{}:{}@localhost:{port}/{database}?authSource=admin",
            urlencoding::encode(user),
            urlencoding::encode(pw)
        ),
        None => {
            evidence.push("no MONGO_INITDB_ROOT_PASSWORD in .env or the compose file".into());
            format!("mongodb://localhost:{port}/{database}")
        }
    };
    let web_port = app
        .and_then(|a| {
            a.published(5000)
                .or_else(|| a.ports.iter().find_map(|p| p.host))
        })
        .or_else(|| env.get("WEB_PORT").and_then(|p| p.trim().parse().ok()))
        .or(Some(5000));
    Some(Install {
        kind,
        root: dir.to_path_buf(),
        instance: if kind == InstallKind::MultiInstance {
            instance
        } else {
            None
        },
        database,
        mongo_uri_redacted: Some(redact_uri(&uri)),
        mongo_uri: Some(uri),
        mongo_port,
        web_port,
        service_unit: None,
        containers,
        log_files: log_files(dir),
        upload_dirs: upload_dirs(dir),
        evidence,
        verdict: String::new(),
        signals: Vec::new(),
    })
}

fn sorted_files(dir: &Path, keep: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| keep(&e.file_name().to_string_lossy()))
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Existing `app/logs/app.log*` and `logs/*.log`.
pub fn log_files(root: &Path) -> Vec<PathBuf> {
    let mut files = sorted_files(&root.join("app/logs"), |name| name.starts_with("app.log"));
    files.extend(sorted_files(&root.join("logs"), |name| {
        name.ends_with(".log")
    }));
    files
}

/// Existing `app/static/uploads` and `app/static/uploads/logos`.
pub fn upload_dirs(root: &Path) -> Vec<PathBuf> {
    ["app/static/uploads", "app/static/uploads/logos"]
        .iter()
        .map(|d| root.join(d))
        .filter(|d| d.is_dir())
        .collect()
}
